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
# # Эффекты программы поддержки ШНРО
#
# Модели «вход–выход» и «вход–процесс–выход», честные квазиэкспериментальные оценки эффекта программы.
# Школы отбирались в программу по низким результатам, поэтому простое сравнение «до–после» завышает эффект
# (регрессия к среднему, «провал Ашенфельтера»). Ниже — все оценки рядом, предпочтительная отмечена.

# %% tags=["parameters"]
data_dir = "../data/demo"
config = None

# %%
import warnings

import matplotlib.pyplot as plt

from shnro_lib import effects as E
from shnro_lib.io import load_dataset

warnings.simplefilter("ignore")
ds = load_dataset(data_dir)
synthetic = bool(ds.metadata.get("synthetic"))
if synthetic:
    print("СИНТЕТИЧЕСКИЕ ДАННЫЕ: демонстрационный регион, не реальные школы")

# %% [markdown]
# ## «Вход–выход»: входная и выходная диагностика

# %%
io = E.input_output(ds, config)
io

# %% [markdown]
# ## Оценки эффекта программы разными методами
#
# Предпочтительная оценка — регрессионная поправка на точный индекс правила отбора с учётом размера школы
# (`selection_adjusted`): на имитациях с известным эффектом она практически несмещена и имеет покрытие
# интервалов, близкое к 95 %. Наивная «до–после» и DiD с годами отбора в базе (did2s, Каллауэй–Сант'Анна)
# завышены регрессией к среднему; RDD оценивает эффект только первого года у порога.

# %%
table, details = E.programme_effects(ds, config, details=True)
table

# %% [markdown]
# ### Наивная оценка и регрессия к среднему
# Сколько «прироста» школы программы показали бы и без поддержки (по надёжности индекса отбора).

# %%
naive = table.set_index("estimator").loc["naive_pre_post"]
print(f"Наивная оценка: {naive['estimate_pp']:.2f} п.п.; ожидаемая регрессия к среднему: "
      f"{details['rtm_component']['pp']:+.2f} п.п.")

# %% [markdown]
# ### Предпочтительная оценка по когортам и годам поддержки (п.п.)

# %%
details["selection_adjusted_cells"]["pp"]

# %% [markdown]
# ## Событийный анализ: провал в годы отбора и эффект в годы поддержки
# База — год до отбора (не год отбора); когорты, у которых все годы до старта были годами отбора, не входят.

# %%
E.plot_event_study(details["event_study"], unit="pp", synthetic=synthetic)
plt.show()

# %% [markdown]
# ## Сопоставление: баланс до и после подбора пар

# %%
details.get("balance")

# %% [markdown]
# ## Разрывная регрессия у порога отбора

# %%
E.plot_rdd(details["rdd_data"], unit="pp", synthetic=synthetic)
plt.show()
details["rdd"]["placebo"]

# %% [markdown]
# ## «Вход–процесс–выход»: связь прироста с интенсивностью поддержки
# Интенсивность не распределялась случайно: это связи, а не доказанные причинные эффекты.

# %%
E.dose_response(ds, config)

# %% [markdown]
# ## Методика

# %%
from IPython.display import Markdown  # noqa: E402

Markdown(E.effects_method_ru(config))
