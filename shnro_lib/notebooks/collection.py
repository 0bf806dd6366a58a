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
# # Методический сборник (тетрадь)
#
# Эта ячейка в сборник не попадает (тег `remove`). Тетрадь — источник методического сборника
# (`collection.html`/`.pdf`, план мероприятий, пункт 11): методы простыми словами, пример одной школы,
# списки по муниципалитетам, школы, чьи практики стоит изучить, и методика. Текст разделов правится
# здесь, в ячейках Markdown. Пакетно её выполняет `shnro reports` с параметром `cache_entry`.

# %% tags=["parameters"]
year = 2024
data_dir = "../../data/demo"
rules = "lo_2018"
cache_dir = "../../data/cache"
cache_entry = ""

# %%
from shnro_lib import profiles, report
from shnro_lib.pipeline import compute_region, load_region
from shnro_lib.report import collection

region = (
    load_region(cache_entry)
    if cache_entry
    else compute_region(data_dir, int(year), rules, cache_dir=cache_dir)
)
report.subtitle(region)

# %% [markdown]
# ## О сборнике
#
# Сборник собирает в одном документе то, что нужно методисту для работы со школами с низкими
# результатами (ШНРО) и школами, функционирующими в неблагоприятных социальных условиях (ШНСУ):
# как составляются списки, что означает каждый показатель, какие школы вошли в списки и у каких
# школ стоит перенимать опыт.

# %%
collection.collection_title(region)

# %% [markdown]
# ## Что означают показатели
#
# У каждого показателя одно название во всех отчётах, таблицах и файлах Excel. «Больше — лучше»
# означает, что высокое значение говорит о благополучии школы.

# %%
collection.glossary_section(region)

# %% [markdown]
# ## Как составляются списки
#
# Школа попадает в список, если выполнено заданное набором правил число критериев. Результаты
# усредняются за несколько лет и сдвигаются к среднему у малых школ, чтобы случайный неудачный год
# не решал судьбу школы. Ниже — правила отчётного года и пример одной школы.

# %%
collection.identification_method_section(region)

# %% [markdown]
# ### Пример: как выявлена одна школа
#
# Школа с самым низким индексом результатов среди вошедших в список ШНРО: каждый критерий набора
# правил и итог.

# %%
collection.worked_example_section(region)

# %% [markdown]
# ## Списки по муниципальным образованиям

# %%
collection.lists_by_municipality_section(region)

# %% [markdown]
# ## Школы, чьи практики стоит изучить
#
# Школы, где результаты с поправкой на социальный контекст выросли сильнее ожидаемой регрессии к
# среднему, и школы, вышедшие из списка и оставшиеся вне его. Для каждой школы указано, какая
# проверка пройдена, и что о её работе известно из данных: участие в программе, диагностики,
# методические выезды, партнёрство. Список описательный: опыт этих школ стоит изучить на месте.

# %%
profiles.regional_practices_section(region)

# %% [markdown]
# ## Приложение А. Методика

# %%
report.method_annex(region)

# %% [markdown]
# ## Приложение Б. Качество данных

# %%
report.data_quality_annex(region)
