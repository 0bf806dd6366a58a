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
# # Мониторинг программы поддержки и сетевое партнёрство
#
# Ежегодные показатели мониторинга ШНРО/ШНСУ (раздел 3 концепции поддержки, паспорт программы),
# статус относительно целевых траекторий, переходы школ между категориями и «Список сетевого
# партнёрства» (пара «ШНРО — школа-лидер»). Показатели и цели — в `parameters/monitoring.yaml`,
# веса подбора пар — в `parameters/partners.yaml`; вся логика — в `shnro_lib.monitoring` и
# `shnro_lib.partners`.

# %% tags=["parameters"]
data_dir = "../../data/demo"
year = 2024
rules = "lo_2018"

# %%
import warnings

from IPython.display import Markdown, display

from shnro_lib import monitoring as mon
from shnro_lib import partners as pt
from shnro_lib.io import load_dataset

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    ds = load_dataset(data_dir)
synthetic = ds.is_synthetic
if synthetic:
    display(Markdown("**СИНТЕТИЧЕСКИЕ ДАННЫЕ: демонстрационный регион, не реальные школы.**"))

# %% [markdown]
# ## Показатели по региону
# Идентификация проводится за каждый год; категория школы в году определяет, в какие показатели она входит.

# %%
years = [y for y in ds.years if y <= year]
ident = mon.identification_panel(ds, years, rules)
# targets are facts of the data set (dataset.yaml), not parameters of the method
targets = mon.targets_from_facts(ds.facts)
if targets is None:
    display(
        Markdown("**Цели не заданы в dataset.yaml набора данных: статус относительно целей не оценивается.**")
    )
table = mon.evaluate_indicators(mon.build_panel(ds, ident), targets=targets)
mon.monitoring_wide(table)

# %% [markdown]
# ## Статус относительно целей: муниципалитеты × показатели
# Цвет — статус относительно целевой траектории («в графике», «риск», «отставание»), стрелка — изменение
# к прошлому году («!» — изменение в худшую сторону).

# %%
fig = mon.plot_status_grid(table, year, synthetic=synthetic)

# %% [markdown]
# ## Переходы между категориями
# Школа «перешла в эффективный режим», если вышла из списка и остаётся вне его заданное число лет.

# %%
fig_flow = mon.plot_transitions_flow(ident, synthetic=synthetic)

# %%
mon.transition_matrix(ident, years[-2], year) if len(years) > 1 else None

# %%
traj = mon.school_trajectories(ident, year)
traj["status_ru"].value_counts()

# %%
traj[traj["status"].isin(["effective", "left", "reentered"])]

# %% [markdown]
# ## Список сетевого партнёрства
# Каждой ШНРО подбирается школа-лидер (устойчиво высокий результат с учётом контекста) оптимальным
# распределением; у каждой пары — обоснование.

# %%
res = pt.partner_result(ds, year, rules=rules)
for note in res.notes:
    print(note)
res.paired[
    [
        "school_id",
        "school_name",
        "leader_id",
        "leader_name",
        "context_distance",
        "result_gap",
        "distance_km",
        "reason",
    ]
]

# %%
res.unpaired[["school_id", "school_name", "reason"]]

# %% [markdown]
# ## Методика

# %%
display(Markdown(mon.monitoring_method_ru(targets=targets)))
display(Markdown(pt.partners_method_ru()))
