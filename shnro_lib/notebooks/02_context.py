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
import matplotlib.pyplot as plt

from shnro_lib import context as C
from shnro_lib.context import plots as P
from shnro_lib.context import views as V
from shnro_lib.io import load_dataset
from shnro_lib.readable import readable

ds = load_dataset(data_dir)
synthetic = ds.is_synthetic
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
readable(cl.profile[["cluster", "cluster_name", "n_schools"]], {"cluster_name": "Название"})

# %%
P.plot_cluster_map(cl, year, synthetic)
plt.show()

# %% [markdown]
# Профиль кластеров: среднее стандартизованное значение каждого признака (0 — как в среднем по
# региону, +1 — на одно стандартное отклонение выше). Названия кластеров построены по признакам с
# наибольшими отклонениями.

# %%
P.plot_cluster_profiles(cl, synthetic)
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
readable(em.params.drop(columns="feature").round(3))

# %%
P.plot_results_and_context(tab, rep.config.resilient.bottom_share, year, synthetic)
plt.show()

# %% [markdown]
# ## Резильентные школы
#
# Контекст в нижней части распределения, а доверительный интервал отклонения от ожидаемого целиком
# выше нуля: школа стабильно показывает результаты лучше, чем предсказывает её контекст.

# %%
resilient = V.flagged_schools(rep, ds.schools, "resilient")
print(f"Резильентных школ: {len(resilient)}{SYN}")
resilient

# %%
below = V.flagged_schools(rep, ds.schools, "underperforming_favourable")
print(f"Школ с результатом ниже ожидаемого при благоприятном контексте: {len(below)}{SYN}")
below

# %% [markdown]
# ## Похожие школы
#
# Для каждой школы найдены ближайшие по контексту школы (как в австралийской системе My School).
# Сравнение с ними показывает, чего достигают школы в таких же условиях.

# %%
resilient_ids = tab.loc[tab["resilient"].astype(bool)].sort_values("residual", ascending=False)["school_id"]
sid = example_school or (resilient_ids.iloc[0] if len(resilient_ids) else tab["school_id"].dropna().iloc[0])
C.plot_similar_schools(ds, sid, year, config=config, synthetic=synthetic)
plt.show()
V.similar_of(rep, sid)

# %% [markdown]
# ## Смена кластеров по годам
#
# Контекст каждого года отнесён к кластерам опорного года; ниже — школы, сменившие кластер.

# %%
moves = C.clusters_across_years(ds, config=config)
print(f"Смен кластера: {int(moves['changed'].sum())}{SYN}")
V.cluster_moves(moves)

# %% [markdown]
# ## Методика

# %%
from IPython.display import Markdown

Markdown(C.context_method_ru(config))
