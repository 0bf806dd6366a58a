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

# %% [markdown]
# # Знакомство с данными
#
# Исследовательская тетрадь: загружает набор данных, показывает участие в оценочных процедурах,
# распределения результатов по процедурам и муниципалитетам и связь результатов с социальным
# контекстом. Дополняйте её своими ячейками; расчёты берите из `shnro_lib`.

# %% tags=["parameters"]
data_dir = "../../data/demo"
year = 2024

# %%
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML, display

from shnro_lib import report
from shnro_lib.io import load_dataset
from shnro_lib.io.holdings import holdings_ru
from shnro_lib.io.problems import grouped_problems_ru
from shnro_lib.pipeline import dataset_metadata, overview_tables

ds = load_dataset(data_dir)
meta = dataset_metadata(ds, data_dir)
synthetic = ds.is_synthetic
if synthetic:
    display(HTML(report.synthetic_banner(meta.get("note", ""))))
print(ds.report.summary_ru())
# every warning and note of the load, grouped by kind; and what the data set holds and did not collect
print(grouped_problems_ru(ds.report.problems))
print("\n".join(holdings_ru(ds)))
print(
    "Годы:",
    ds.years,
    "| муниципалитетов:",
    len(ds.municipalities),
    "| таблицы:",
    ", ".join(sorted(ds.tables)),
)

# %% [markdown]
# ## Участие по процедурам и годам

# %%
ov = overview_tables(ds, int(year))
part = ov["participation"]
piv = part.pivot_table(index="procedure", columns="year", values="participants", aggfunc="sum")
display(report.table(piv.reset_index().rename(columns=str), caption="Участники по процедурам и годам"))

# %% [markdown]
# ## Распределения результатов школ по процедурам

# %%
ss = ov["school_scores"]
fig, axes = plt.subplots(1, ss["procedure"].nunique(), figsize=(12, 3.5), sharey=True)
for ax, (proc, d) in zip(axes, ss.groupby("procedure"), strict=False):
    d.boxplot(column="pct", by="year", ax=ax, grid=False, showfliers=False)
    ax.set_title(proc)
    ax.set_xlabel("Год")
axes[0].set_ylabel("Средний балл школы, % от максимума")
fig.suptitle("СИНТЕТИЧЕСКИЕ ДАННЫЕ" if synthetic else "")
plt.show()

# %% [markdown]
# ## Результаты по муниципалитетам в отчётном году

# %%
cur = ss[ss["year"] == int(year)]
order = cur.groupby("municipality")["z"].median().sort_values().index
fig, ax = plt.subplots(figsize=(10, 6))
ax.boxplot([cur.loc[cur["municipality"] == m, "z"].dropna() for m in order], vert=False, showfliers=False)
ax.set_yticks(range(1, len(order) + 1))
ax.set_yticklabels(order, fontsize=7)
ax.set_xlabel("Стандартизованный балл школы")
ax.set_title(f"Результаты школ по муниципалитетам, {year}" + (" — СИНТЕТИЧЕСКИЕ ДАННЫЕ" if synthetic else ""))
plt.show()

# %% [markdown]
# ## Связь результатов с социальным контекстом

# %%
ctx = ds.get("context")
if ctx is None:
    print("Нет таблицы context: корреляции с контекстом недоступны")
else:
    idx = ov["index_by_year"]
    merged = idx[idx["year"] == int(year)].merge(ctx[ctx["year"] == int(year)], on=["school_id", "year"])
    cols = [c for c in ctx.columns if c.startswith("share_") or c in ("distance_to_center_km", "enrolment")]
    corr = merged[["result_index", *cols]].astype(float).corr()["result_index"].drop("result_index")
    corr = corr.sort_values().rename("r").reset_index().rename(columns={"index": "Показатель контекста"})
    display(
        report.table(
            corr,
            caption="Корреляция индекса результатов с показателями контекста",
            formats={"r": lambda v: report.fmt_num(v, 2)},
        )
    )

# %%
pd.set_option("display.max_columns", 30)
ds.results.head()
