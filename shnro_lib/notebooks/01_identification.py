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
data_dir = "../../data/demo"
year = 2024
rules = "lo_2018"

# %%
import warnings

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from shnro_lib.identify import (
    category_sizes,
    criteria_coverage,
    criteria_matrix_ru,
    criteria_table_ru,
    identification_changes,
    identification_headline,
    identification_method_ru,
    identification_panel,
    identify_schools,
    load_rules,
    sensitivity_section_content,
    stability_section_content,
)
from shnro_lib.io import load_dataset

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    ds = load_dataset(data_dir)
r = load_rules(rules)
synthetic = ds.is_synthetic
mark = "СИНТЕТИЧЕСКИЕ ДАННЫЕ. " if synthetic else ""
if synthetic:
    display(Markdown("**СИНТЕТИЧЕСКИЕ ДАННЫЕ**: демонстрационный регион, не реальные школы."))
table = identify_schools(ds, year, r)
print(f"{mark}Набор правил: {r['title_ru']}; год {year}")
print(identification_headline(table, r))
for remark in table.attrs["notes"]:
    print("Примечание:", remark)

# %% [markdown]
# ## Размер категорий против намеченного
#
# Каждый набор правил указывает, какую долю школ он намерен выделить; если правило даёт намного
# больше, в таблице названы критерии, которые дают больше всего школ.

# %%
category_sizes(table, r)

# %% [markdown]
# ## Полнота данных по критериям

# %%
criteria_coverage(table)

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
    axes[0].axvline(cut, color="crimson", label="отсечение ШНРО")
    axes[0].legend()
axes[0].set_title(f"{mark}Индекс результатов")
axes[0].set_xlabel("индекс (выше — лучше)")
if "social_wellbeing_index" in table:
    axes[1].hist(table["social_wellbeing_index"].dropna(), bins=40, color="#9cc67a")
    c2 = table.attrs["cutoffs"].get("low_wellbeing")
    if c2 is not None and pd.notna(c2):
        axes[1].axvline(c2, color="crimson", label="отсечение ШНСУ по ИСБ")
        axes[1].legend()
    axes[1].set_title(f"{mark}Индекс социального благополучия")
    axes[1].set_xlabel("ИСБ (выше — благоприятнее)")
plt.tight_layout()

# %%
fig, ax = plt.subplots(figsize=(6, 4))
ax.scatter(table["result_index_se"], table["p_bottom_quartile"], s=8, alpha=0.6)
ax.axhspan(*r["result_index"]["borderline_p"], color="orange", alpha=0.15, label="пограничные школы")
ax.set_xlabel("стандартная ошибка индекса")
ax.set_ylabel(f"вероятность попасть в нижние {r['result_index']['bottom_share'] * 100:.0f} %")
ax.set_title(f"{mark}Неопределённость оценки")
ax.legend()

# %% [markdown]
# ## Критерии по школам (выявленные школы): ✓ — выполнен, ✗ — нет, «—» — нет данных

# %%
criteria_matrix_ru(table, r).head(30)

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
print(f"{mark}Сравнение с {changes.attrs['previous_year']} г.: сменили категорию {len(changes)} школ")
changes["change"].value_counts()

# %%
changes.sort_values(["change", "municipality", "school_id"])

# %% [markdown]
# ## Примеры пояснений

# %%
for text in table.loc[table["category"] != "нет", "explanation"].head(5):
    print("•", text)

# %% [markdown]
# ## Чувствительность: как изменились бы списки при другом разумном выборе
#
# Другие наборы правил из `parameters/criteria`, другое число критериев в условиях (k), окно 1 год
# вместо 3, простой индекс вместо сжатого. «Общих с основным» — школ в списке в обоих вариантах;
# κ — согласие Коэна с основным вариантом (1 — полное совпадение, 0 — не лучше случайного).

# %%
sens = sensitivity_section_content(ds, year, r)
for line in sens["sentences"]:
    print(mark + line)
sens["table"]

# %%
sens["kappa"]

# %% [markdown]
# ## Устойчивость списка по годам
#
# Сколько школ, попавших в список, выходят из него и возвращаются; правило «k из n лет» (школа в
# списке, если отбиралась не менее k раз за n последних лет) снижает мелькание ценой полноты.

# %%
panel = identification_panel(ds, [y for y in ds.years if y <= year], r)
stab = stability_section_content(panel, year=year)
for line in stab["sentences"]:
    print(mark + line)
stab["flip_rate"]

# %%
stab["persistence"]

# %% [markdown]
# ## Методика

# %%
display(Markdown(identification_method_ru(r)))
