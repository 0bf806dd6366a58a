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
# (регрессия к среднему, «провал Ашенфельтера»). Какая оценка допустима, зависит от плана программы
# (по каким годам и какому правилу отбирались когорты): он берётся из описания набора данных (dataset.yaml)
# или выводится из данных. Ниже — план, выбранная по нему оценка и все остальные рядом.

# %% tags=["parameters"]
data_dir = "../../data/demo"
config = None

# %%
import warnings

import matplotlib.pyplot as plt

from shnro_lib import effects as E
from shnro_lib.io import load_dataset
from shnro_lib.russian import fmt_num

warnings.simplefilter("ignore")
ds = load_dataset(data_dir)
synthetic = ds.is_synthetic
if synthetic:
    print("СИНТЕТИЧЕСКИЕ ДАННЫЕ: демонстрационный регион, не реальные школы")

# %% [markdown]
# ## «Вход–выход»: входная и выходная диагностика

# %%
io = E.input_output(ds, config)
io

# %% [markdown]
# ## План программы и выбор оценки
#
# Если у когорт есть чистый год до отбора — событийный анализ (разность разностей на этой базе); если отбор —
# чёткий порог по известному индексу без чистого года — регрессионная поправка на индекс отбора; иначе —
# сопоставление. Выбранная оценка отмечается предпочтительной, только если проверка на собственном плане
# данных (известный эффект в копиях этих данных) показала её несмещённой с покрытием интервалов не ниже 90 %.

# %%
design = E.programme_design(ds, config)
print(design.describe_ru())
for note in design.assumptions:
    print("Допущение:", note)
picked, valid = E.choose_estimator(design)
print("Выбрана:", picked, "; допустимы:", ", ".join(valid))

# %% [markdown]
# ## Оценки эффекта программы разными методами

# %%
table, details = E.programme_effects(ds, config, details=True, design=design)
print(details["simulation_check"]["note"])
table

# %% [markdown]
# ### Проверка на имитациях: план, ближайший к этим данным

# %%
E.simulation_table(E.closest_design(design))

# %% [markdown]
# ### Наивная оценка и регрессия к среднему
# Сколько «прироста» школы программы показали бы и без поддержки (по надёжности индекса отбора).

# %%
naive = table.set_index("estimator").loc["naive_pre_post"]
print(
    f"Наивная оценка: {fmt_num(naive['estimate_pp'], 2)} п. п.; ожидаемая регрессия к среднему: "
    f"{fmt_num(details['rtm_component']['pp'], 2, signed=True)} п. п."
)

# %% [markdown]
# ### Регрессионная поправка на индекс отбора по когортам и годам поддержки (п. п.)

# %%
details.get("selection_adjusted_cells", {}).get("pp")

# %% [markdown]
# ## Событийный анализ: провал в годы отбора и эффект в годы поддержки
# База — чистые годы до отбора; когорты без чистого года не входят (если таких когорт нет, график пуст).

# %%
if len(details.get("event_study", [])):
    E.plot_event_study(details["event_study"], unit="pp", synthetic=synthetic)
    plt.show()
else:
    print("Событийный анализ: ни у одной когорты нет чистого года до отбора")

# %% [markdown]
# ## Сопоставление: баланс до и после подбора пар

# %%
details.get("balance")

# %% [markdown]
# ## Разрывная регрессия у порога отбора

# %%
if "placebo" in details.get("rdd", {}):
    E.plot_rdd(details["rdd_data"], unit="pp", synthetic=synthetic)
    plt.show()
    details["rdd"]["placebo"]
else:
    print(
        "Разрывная регрессия не оценивалась:",
        details.get("rdd", {}).get("reason", "правило отбора неизвестно"),
    )

# %% [markdown]
# ## «Вход–процесс–выход»: связь прироста с интенсивностью поддержки
# Интенсивность не распределялась случайно: это связи, а не доказанные причинные эффекты.

# %%
E.dose_response(ds, config)

# %% [markdown]
# ## Методика

# %%
from IPython.display import Markdown  # noqa: E402

Markdown(E.effects_method_ru(config, design=design))
