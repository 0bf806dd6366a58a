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
# # Идентификация ШНРО и ШНСУ
#
# Школы с низкими результатами обучения (ШНРО) и школы, функционирующие в неблагоприятных социальных
# условиях (ШНСУ), выявляются по набору правил из `parameters/criteria/<rules>.yaml`; составные индексы —
# из `parameters/indices.yaml`. Вся логика — в `shnro_lib.identify`; здесь только вызовы и пояснения.

# %% tags=["parameters"]
data_dir = "../data/demo"
year = 2024
rules = "lo_2018"

# %%
import warnings

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from shnro_lib.identify import (
    criteria_table_ru,
    identification_changes,
    identification_method_ru,
    identify_schools,
    load_rules,
)
from shnro_lib.io import load_dataset

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    ds = load_dataset(data_dir)
r = load_rules(rules)
synthetic = bool(getattr(ds, "metadata", {}).get("synthetic"))
mark = "СИНТЕТИЧЕСКИЕ ДАННЫЕ. " if synthetic else ""
if synthetic:
    display(Markdown("**СИНТЕТИЧЕСКИЕ ДАННЫЕ**: демонстрационный регион, не реальные школы."))
table = identify_schools(ds, year, r)
print(f"{mark}Набор правил: {r.get('title_ru', r['name'])}; год {year}; школ {len(table)}")
table["category"].value_counts()

# %% [markdown]
# ## Критерии и пороги

# %%
criteria_table_ru(r)

# %% [markdown]
# ## Распределения показателей и отсечения

# %%
cut = table.attrs["cutoffs"].get("low_results")
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
axes[0].hist(table["result_index"].dropna(), bins=40, color="#7a9cc6")
if cut is not None and pd.notna(cut):
    axes[0].axvline(cut, color="crimson", label="отсечение нижних 25 %")
    axes[0].legend()
axes[0].set_title(f"{mark}Индекс результатов")
axes[0].set_xlabel("индекс (выше — лучше)")
if "social_wellbeing_index" in table:
    axes[1].hist(table["social_wellbeing_index"].dropna(), bins=40, color="#9cc67a")
    c2 = table.attrs["cutoffs"].get("low_wellbeing")
    if c2 is not None and pd.notna(c2):
        axes[1].axvline(c2, color="crimson", label="отсечение нижних 25 %")
        axes[1].legend()
    axes[1].set_title(f"{mark}Индекс социального благополучия")
    axes[1].set_xlabel("ИСБ (выше — благоприятнее)")
plt.tight_layout()

# %%
fig, ax = plt.subplots(figsize=(6, 4))
ax.scatter(table["result_index_se"], table["p_bottom_quartile"], s=8, alpha=0.6)
ax.axhspan(*r["result_index"].get("borderline_p", [0.2, 0.8]), color="orange", alpha=0.15,
           label="пограничные школы")
ax.set_xlabel("стандартная ошибка индекса")
ax.set_ylabel("вероятность попасть в нижние 25 %")
ax.set_title(f"{mark}Неопределённость оценки")
ax.legend()

# %% [markdown]
# ## Тепловая карта критериев по школам (выявленные школы)

# %%
crit_cols = [c for c in table.columns if c.startswith("crit_")]
flagged = table[table["category"] != "нет"].set_index("school_id")
heat = flagged[crit_cols].astype("Float64").fillna(0.5).astype(float)   # 0.5 = не оценён
fig, ax = plt.subplots(figsize=(10, max(3, len(heat) * 0.04)))
ax.imshow(heat.to_numpy(), aspect="auto", cmap="Reds", vmin=0, vmax=1, interpolation="nearest")
ax.set_xticks(range(len(crit_cols)))
ax.set_xticklabels([c.removeprefix("crit_") for c in crit_cols], rotation=60, ha="right")
ax.set_yticks([])
ax.set_ylabel(f"школы ({len(heat)})")
ax.set_title(f"{mark}Выполненные критерии (красный — да, розовый — нет данных)")
plt.tight_layout()

# %% [markdown]
# ## Доли по муниципалитетам

# %%
shares = pd.crosstab(table["municipality"], table["category"], normalize="index").round(3)
shares

# %%
ax = shares.plot.barh(stacked=True, figsize=(9, 7), colormap="tab20c")
ax.set_xlabel("доля школ")
ax.set_ylabel("")
ax.set_title(f"{mark}Категории школ по муниципалитетам")
plt.tight_layout()

# %% [markdown]
# ## Кто вошёл в список и кто вышел по сравнению с прошлым годом

# %%
changes = identification_changes(ds, year, r)
print(f"{mark}Сравнение с {changes.attrs['previous_year']} г.")
changes["change"].value_counts()

# %%
changes[changes["change"].isin(["вошла", "вышла"])].sort_values(["change", "municipality"])

# %% [markdown]
# ## Примеры пояснений

# %%
for text in table.loc[table["category"] != "нет", "explanation"].head(5):
    print("•", text)

# %% [markdown]
# ## Методика

# %%
display(Markdown(identification_method_ru(r)))
