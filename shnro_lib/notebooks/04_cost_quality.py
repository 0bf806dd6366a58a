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
data_dir = "../../data/demo"
year = 2024
bootstrap_reps = 20

# %%
import warnings

import matplotlib.pyplot as plt

from shnro_lib import costs as K
from shnro_lib.io import load_dataset

warnings.simplefilter("ignore")
ds = load_dataset(data_dir)
synthetic = ds.is_synthetic
if synthetic:
    print("СИНТЕТИЧЕСКИЕ ДАННЫЕ: демонстрационный регион, не реальные школы")

# %%
try:
    cq = K.cost_quality(ds, year, bootstrap_reps=bootstrap_reps)
except K.NotEstimated as exc:
    cq = None
    print("«Цена–качество»", exc)
if cq is not None:
    K.plot_cost_quality(cq, synthetic=synthetic)
    plt.show()
    print(cq["quadrant"].value_counts())

# %% [markdown]
# Эффективность DEA рядом с исправленной на смещение (сглаженный бутстреп Симара–Вильсона); интервал — для
# истинной эффективности, поэтому обычно лежит ниже исходной оценки.

# %%
if cq is not None:
    cols = [
        c
        for c in [
            "school_id",
            "municipality",
            "spending_per_pupil",
            "residual",
            "efficiency",
            "efficiency_bc",
            "efficiency_ci_low",
            "efficiency_ci_high",
            "quadrant",
        ]
        if c in cq.columns
    ]
    cq.sort_values("efficiency")[cols].head(15)

# %% [markdown]
# ## Стоимость эффекта программы: рубли на обучающегося за 0,1 SD прироста
# Эффект — выбранная по плану программы оценка (та же, что в тетради эффектов), её интервал перенесён в
# интервал стоимости.

# %%
try:
    ce = K.programme_cost_effectiveness(ds)
except K.NotEstimated as exc:
    ce = None
    print("Стоимость эффекта", exc)
ce

# %%
from IPython.display import Markdown  # noqa: E402

Markdown(K.costs_method_ru())
