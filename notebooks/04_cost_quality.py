# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# ruff: noqa: E402, B018

# %% [markdown]
# # «Цена–качество»
#
# Расходы на обучающегося против результата с учётом социального контекста, эффективность (DEA)
# и стоимость эффекта программы поддержки.

# %% tags=["parameters"]
data_dir = "../data/demo"
year = 2024
bootstrap_reps = 20

# %%
import warnings

import matplotlib.pyplot as plt

from shnro_lib import costs as K
from shnro_lib.io import load_dataset

warnings.simplefilter("ignore")
ds = load_dataset(data_dir)
synthetic = bool(ds.metadata.get("synthetic"))
if synthetic:
    print("СИНТЕТИЧЕСКИЕ ДАННЫЕ: демонстрационный регион, не реальные школы")

# %%
cq = K.cost_quality(ds, year, bootstrap_reps=bootstrap_reps)
K.plot_cost_quality(cq, synthetic=synthetic)
plt.show()
cq["quadrant"].value_counts()

# %%
cq.sort_values("efficiency").head(15)

# %% [markdown]
# ## Стоимость эффекта программы: рубли на обучающегося за 0,1 SD прироста

# %%
K.programme_cost_effectiveness(ds)

# %%
from IPython.display import Markdown  # noqa: E402

Markdown(K.costs_method_ru())
