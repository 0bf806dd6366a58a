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

# %% [markdown] tags=["remove"]
# # Региональный отчёт и сборник материалов (тетрадь)
#
# Эта ячейка в отчёт не попадает (тег `remove`). Тетрадь — единственный источник регионального
# отчёта и сборника материалов (`regional.html`, `collection.html`/`.pdf`): порядок разделов и
# текст — здесь. Пакетно её выполняет `shnro reports` с параметром `cache_entry`.

# %% tags=["parameters"]
year = 2024
data_dir = "../../data/demo"
rules = "lo_2018"
cache_dir = "../../data/cache"
cache_entry = ""

# %%
from shnro_lib import profiles, report
from shnro_lib.pipeline import compute_region, load_region

region = (
    load_region(cache_entry)
    if cache_entry
    else compute_region(data_dir, int(year), rules, cache_dir=cache_dir)
)
report.subtitle(region)

# %% [markdown]
# ## Главное о регионе

# %%
report.regional_summary_section(region)

# %% [markdown]
# ## Сравнение муниципальных образований
#
# Средний индекс результатов муниципальных образований с 95-процентными интервалами: различия
# внутри интервалов могут быть случайными.

# %%
report.regional_compare_section(region)

# %% [markdown]
# ## Участие в оценочных процедурах

# %%
report.regional_participation_section(region)

# %% [markdown]
# ## Распределения результатов

# %%
report.regional_distributions_section(region)

# %% [markdown]
# ## Выявленные школы по муниципалитетам

# %%
report.regional_identified_section(region)

# %% [markdown]
# ## Чувствительность выявления к выбору правил
#
# Насколько список зависит от решений, принятых при его составлении: сколько критериев нужно для
# категории, за сколько лет усредняются результаты, простой или сжатый индекс, и что дали бы другие
# наборы правил. Каппа Коэна (κ) — согласие с основным списком с поправкой на случайное совпадение.

# %%
report.regional_sensitivity_section(region)

# %% [markdown]
# ## Устойчивость списка по годам
#
# Сколько школ входит в список и выходит из него от года к году, сколько выходят и возвращаются и как
# это изменило бы правило «школа в списке, если выявлялась не менее k раз за n лет». Частая смена
# списка говорит о том, что он во многом отражает случайные колебания результатов.

# %%
report.regional_stability_section(region)

# %% [markdown]
# ## Школы, чьи практики стоит изучить
#
# Школы, где результаты с поправкой на социальный контекст выросли сильнее ожидаемой регрессии к
# среднему, и школы, вышедшие из списка и оставшиеся вне его. Список описательный: он подсказывает,
# где искать работающие практики, но не доказывает, что рост вызван именно ими.

# %%
profiles.regional_practices_section(region)

# %% [markdown]
# ## Эффекты программ и «цена–качество»

# %%
report.regional_effects_section(region)

# %% [markdown]
# ## Мониторинг программы: показатели, цели, переходы

# %%
report.regional_monitoring_section(region)

# %% [markdown]
# ## Сводки по муниципальным образованиям
#
# Главные показатели каждого муниципального образования; полные муниципальные отчёты — по ссылкам
# в оглавлении пакета.

# %%
report.municipal_summaries(region)

# %% [markdown]
# ## Приложение А. Методика

# %%
report.method_annex(region)

# %% [markdown]
# ## Приложение Б. Качество данных

# %%
report.data_quality_annex(region)
