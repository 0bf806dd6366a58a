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
# # Муниципальный отчёт (тетрадь)
#
# Эта ячейка в отчёт не попадает (тег `remove`). Отчёт — это все остальные ячейки сверху вниз:
# текст ячеек Markdown попадает в HTML как есть, у ячеек с кодом — только результат (таблицы,
# рисунки, фразы). Чтобы изменить раздел, правьте текст ячейки Markdown или вызов в ячейке с
# кодом (функции — `shnro_lib.report`); заголовки `## ...` образуют оглавление. Затем
# `make reports`. Пакетно тетрадь выполняет `shnro reports` и передаёт `cache_entry` — папку
# уже рассчитанных региональных результатов; без неё тетрадь рассчитает их сама (`cache_dir`).

# %% tags=["parameters"]
municipality = "Бокситогорский муниципальный район"
year = 2024
data_dir = "../../data/demo"
rules = "lo_2018"
cache_dir = "../../data/cache"
cache_entry = ""

# %%
from shnro_lib import report
from shnro_lib.pipeline import compute_region, load_region

region = (
    load_region(cache_entry)
    if cache_entry
    else compute_region(data_dir, int(year), rules, cache_dir=cache_dir)
)
report.check_municipality(region, municipality)
report.subtitle(region, municipality)

# %% [markdown]
# ## Главное на одном экране
#
# Ключевые показатели муниципалитета в отчётном году: число школ и участников оценочных процедур,
# средний индекс результатов (0 — среднее по региону) и число школ, выявленных по правилам
# идентификации.

# %%
report.summary_section(region, municipality)

# %% [markdown]
# ## Обзор данных: школы, участие, результаты
#
# Какие школы есть в муниципалитете, сколько обучающихся участвовали в каждой процедуре и как
# распределены средние баллы школ в сравнении с регионом.

# %%
report.overview_section(region, municipality)

# %% [markdown]
# ## Выявленные школы и основания
#
# Школы с низкими результатами (ШНРО), школы в неблагоприятных социальных условиях (ШНСУ) и зона
# риска; для каждой школы — какие критерии выполнены и почему.

# %%
report.identified_section(region, municipality)

# %% [markdown]
# ## Социальный контекст и похожие школы
#
# Результат школы сравнивается с ожидаемым при её социальном контексте; похожие школы — школы
# региона с самым близким контекстом.

# %%
report.context_section(region, municipality)

# %% [markdown]
# ## Динамика по годам

# %%
report.dynamics_section(region, municipality)

# %% [markdown]
# ## Эффекты программ поддержки
#
# Оценки эффекта программы рассчитаны по всему региону: по отдельному муниципалитету выборка
# слишком мала для надёжной оценки.

# %%
report.effects_section(region, municipality)

# %% [markdown]
# ## Цена и качество

# %%
report.costs_section(region, municipality)

# %% [markdown]
# ## Предлагаемые партнёрства

# %%
report.partners_section(region, municipality)

# %% [markdown]
# ## Мониторинг программы и переходы школ
#
# Показатели ежегодного мониторинга программы поддержки для школ муниципалитета; цели — плановая
# траектория из параметров мониторинга. Статус: «в графике», «риск» (в пределах допуска),
# «отставание».

# %%
report.monitoring_section(region, municipality)

# %% [markdown]
# ## Профили школ
#
# Ссылки на страницы школ муниципалитета; рядом — категория школы в отчётном году.

# %%
report.school_links_section(region, municipality, "../schools")

# %% [markdown]
# ## Приложение А. Методика

# %%
report.method_annex(region)

# %% [markdown]
# ## Приложение Б. Качество данных

# %%
report.data_quality_annex(region, municipality=municipality)
