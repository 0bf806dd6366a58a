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
# # Контекст школ: кластеры, ожидаемые результаты, резильентные и похожие школы
#
# Школы работают в разных условиях. Чтобы сравнивать их честно, мы (1) описываем социальный и
# ресурсный контекст каждой школы, (2) группируем школы со сходным контекстом в кластеры
# (кластерный подход Пермской концепции), (3) оцениваем, какой результат ожидается от школы при её
# контексте, и (4) находим школы, которые показывают результаты выше ожидаемого в неблагоприятных
# условиях, — «резильентные школы».

# %% tags=["parameters"]
data_dir = "../../data/demo"
year = 2024
config = None  # путь к YAML с параметрами контекста; None — parameters/context.yaml
example_school = None  # код школы для графика «похожие школы»; None — первая резильентная

# %%
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from shnro_lib import context as C
from shnro_lib.config import load_yaml
from shnro_lib.io import load_dataset

warnings.filterwarnings("ignore")
ds = load_dataset(data_dir)
meta = getattr(ds, "metadata", None) or {}
if not meta and (Path(data_dir) / "dataset.yaml").exists():
    meta = load_yaml(Path(data_dir) / "dataset.yaml") or {}
synthetic = bool(meta.get("synthetic", False))
SYN = " — СИНТЕТИЧЕСКИЕ ДАННЫЕ" if synthetic else ""
if synthetic:
    print("ВНИМАНИЕ: СИНТЕТИЧЕСКИЕ ДАННЫЕ — демонстрационный регион, не реальные школы.")
rep = C.context_analysis(ds, year, config)
cl, em, tab = rep.clusters, rep.model, rep.table
# which features each analysis used and how many schools it covered
for line in rep.coverage_ru():
    print(line)

# %% [markdown]
# ## Кластеры школ по контексту
#
# Признаки стандартизованы; число кластеров выбрано по критерию из параметров. Устойчивость —
# скорректированный индекс Рэнда (ARI) при бутстрепе школ: 1 — кластеры воспроизводятся полностью.

# %%
s = cl.stability
print(
    f"Метод: {cl.method}, число кластеров: {cl.k}; устойчивость ARI = {s['ari_mean']:.2f} "
    f"[{s['ari_low']:.2f}; {s['ari_high']:.2f}]{SYN}"
)
cl.profile[["cluster", "cluster_name", "n_schools"]].rename(
    columns={"cluster": "Кластер", "cluster_name": "Название", "n_schools": "Число школ"}
)

# %%
Z = cl.context.z.loc[cl.labels["school_id"], cl.features]
u, sv, vt = np.linalg.svd(Z.to_numpy() - Z.to_numpy().mean(axis=0), full_matrices=False)
scores = u[:, :2] * sv[:2]
expl = sv**2 / (sv**2).sum()
fig, ax = plt.subplots(figsize=(9, 7))
for c, name in cl.profile.set_index("cluster")["cluster_name"].items():
    m = (cl.labels["cluster"] == c).to_numpy()
    ax.scatter(scores[m, 0], scores[m, 1], s=14, alpha=0.7, label=f"{c}. {name}")
scale = np.abs(scores).max() / np.abs(vt[:2]).max() * 0.8
for j, f in enumerate(cl.features):
    ax.arrow(0, 0, vt[0, j] * scale, vt[1, j] * scale, color="k", alpha=0.6, head_width=0.08)
    ax.text(vt[0, j] * scale * 1.08, vt[1, j] * scale * 1.08, cl.context.labels.get(f, f), fontsize=7)
ax.set_xlabel(f"Главная компонента 1 ({expl[0]:.0%} дисперсии)")
ax.set_ylabel(f"Главная компонента 2 ({expl[1]:.0%} дисперсии)")
ax.set_title(f"Школы в пространстве признаков контекста, {year} г.{SYN}")
ax.legend(fontsize=7, loc="best")
plt.show()

# %% [markdown]
# Профиль кластеров: среднее стандартизованное значение каждого признака (0 — как в среднем по
# региону, +1 — на одно стандартное отклонение выше). Названия кластеров построены по признакам с
# наибольшими отклонениями.

# %%
zcols = [f"z_{f}" for f in cl.features]
heat = cl.profile.set_index("cluster_name")[zcols]
heat.columns = [cl.context.labels.get(f, f) for f in cl.features]
fig, ax = plt.subplots(figsize=(11, 0.6 * len(heat) + 3))
im = ax.imshow(heat.to_numpy(), cmap="RdBu_r", vmin=-2, vmax=2, aspect="auto")
ax.set_xticks(range(heat.shape[1]), heat.columns, rotation=45, ha="right", fontsize=8)
ax.set_yticks(range(heat.shape[0]), heat.index, fontsize=8)
for i in range(heat.shape[0]):
    for j in range(heat.shape[1]):
        ax.text(j, i, f"{heat.iat[i, j]:+.1f}", ha="center", va="center", fontsize=7)
fig.colorbar(im, ax=ax, label="Отклонение от среднего, ст. откл.")
ax.set_title(f"Профили кластеров{SYN}")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Ожидаемые результаты
#
# Индекс результатов школы за три года моделируется по признакам контекста. Если модель со
# случайным муниципальным эффектом вырождается (нулевая дисперсия муниципального эффекта), она
# заменяется МНК-регрессией — это указано ниже.

# %%
print(
    f"Модель: {em.model_used}; доля дисперсии, объяснённая контекстом: {em.r2:.2f}; школ: {em.n_schools}; "
    f"годы: {em.window}"
)
if em.reason:
    print(em.reason)
em.params.rename(
    columns={"label": "Признак", "coef": "Коэффициент", "se": "Ст. ошибка", "p_value": "p-значение"}
).drop(columns="feature").round(3)

# %%
d = tab.dropna(subset=["residual"]).sort_values("context_index")
fig, ax = plt.subplots(figsize=(9, 6))
ax.scatter(d["context_index"], d["result_index"], s=12, color="0.6", label="школы")
res_ = d[d["resilient"].astype(bool)]
und = d[d["underperforming_favourable"].astype(bool)]
ax.scatter(res_["context_index"], res_["result_index"], s=40, color="tab:green", label="резильентные")
ax.scatter(
    und["context_index"],
    und["result_index"],
    s=40,
    color="tab:red",
    label="ниже ожидаемого при благоприятном контексте",
)
# expected line and a 95 % band of a typical school's deviation
grid = np.linspace(d["context_index"].min(), d["context_index"].max(), 50)
coef = np.polyfit(d["context_index"], d["expected_result"], 1)
line = np.polyval(coef, grid)
band = 1.96 * float(np.median(d["residual_se"]))
ax.plot(grid, line, color="tab:blue", lw=2, label="ожидаемый результат")
ax.fill_between(
    grid, line - band, line + band, color="tab:blue", alpha=0.12, label="±1,96 типичной ст. ошибки отклонения"
)
cut = d["context_index"].quantile(rep.config["resilient"]["bottom_share"])
ax.axvline(cut, color="k", ls=":", lw=1)
ax.set_xlabel("Индекс контекста (выше — благоприятнее)")
ax.set_ylabel("Индекс результатов")
ax.set_title(f"Результаты и контекст, {year} г.{SYN}")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## Резильентные школы
#
# Контекст в нижней части распределения, а доверительный интервал отклонения от ожидаемого целиком
# выше нуля: школа стабильно показывает результаты лучше, чем предсказывает её контекст.

# %%
names = ds.schools.drop_duplicates("school_id").set_index("school_id")["name"]
cols = {
    "school_id": "Код ОО",
    "municipality": "Муниципалитет",
    "cluster_name": "Кластер",
    "context_index": "Индекс контекста",
    "result_index": "Индекс результатов",
    "expected_result": "Ожидаемый",
    "residual": "Отклонение",
    "residual_ci_low": "ДИ: от",
    "residual_ci_high": "ДИ: до",
}
show = tab[tab["resilient"].astype(bool)].sort_values("residual", ascending=False)
out = show[list(cols)].rename(columns=cols).round(2)
out.insert(1, "Школа", show["school_id"].map(names).to_numpy())
print(f"Резильентных школ: {len(out)}{SYN}")
out

# %%
show2 = tab[tab["underperforming_favourable"].astype(bool)].sort_values("residual")
out2 = show2[list(cols)].rename(columns=cols).round(2)
out2.insert(1, "Школа", show2["school_id"].map(names).to_numpy())
print(f"Школ с результатом ниже ожидаемого при благоприятном контексте: {len(out2)}{SYN}")
out2

# %% [markdown]
# ## Похожие школы
#
# Для каждой школы найдены ближайшие по контексту школы (как в австралийской системе My School).
# Сравнение с ними показывает, чего достигают школы в таких же условиях.

# %%
sid = example_school or (show["school_id"].iloc[0] if len(show) else tab["school_id"].dropna().iloc[0])
C.plot_similar_schools(ds, sid, year, config=config, synthetic=synthetic)
plt.show()
peers = rep.similar[rep.similar["school_id"] == sid].merge(
    tab[["school_id", "cluster_name", "result_index"]],
    left_on="similar_id",
    right_on="school_id",
    suffixes=("", "_peer"),
)
peers[["rank", "similar_id", "distance", "cluster_name", "result_index"]].rename(
    columns={
        "rank": "Ранг",
        "similar_id": "Код ОО",
        "distance": "Расстояние",
        "cluster_name": "Кластер",
        "result_index": "Индекс результатов",
    }
).round(2)

# %% [markdown]
# ## Смена кластеров по годам
#
# Контекст каждого года отнесён к кластерам опорного года; ниже — школы, сменившие кластер.

# %%
moves = C.clusters_across_years(ds, config=config)
changed = moves[moves["changed"]].sort_values("context_shift", ascending=False)
print(f"Смен кластера: {len(changed)}{SYN}")
changed.rename(
    columns={
        "school_id": "Код ОО",
        "year": "Год",
        "cluster": "Кластер",
        "cluster_reference": "Кластер в опорном году",
        "context_shift": "Изменение контекста, ст. откл.",
    }
).drop(columns=["changed", "cluster_name"]).head(20)

# %% [markdown]
# ## Методика

# %%
from IPython.display import Markdown

Markdown(C.context_method_ru(config))
