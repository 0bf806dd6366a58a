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
# # Профиль одной школы: «проблемные зоны», динамика, практики
#
# Тетрадь для исследователя: одна школа, те же функции библиотеки (`shnro_lib.profiles`), что строят
# страницы школ в пакете `shnro reports`. Сначала — сама страница, затем таблицы, из которых она
# собрана, чтобы их можно было отсортировать, отфильтровать и проверить. Параметры: код школы
# (`school`) и отчётный год (`year`).

# %% tags=["parameters"]
school = "000007"
year = 2024
data_dir = "../../data/demo"
rules = "lo_2018"
cache_dir = "../../data/cache"

# %%
import html

from IPython.display import display

from shnro_lib import report
from shnro_lib.io import load_dataset
from shnro_lib.pipeline import compute_region
from shnro_lib.profiles import (
    profile_inputs,
    render_school_page,
    school_profile,
    worth_learning_sentences,
)

region = compute_region(data_dir, int(year), rules, cache_dir=cache_dir)
ds = load_dataset(data_dir)
if region.synthetic:
    report.show(report.synthetic_banner(region.meta.get("synthetic_note", "")))
inp = profile_inputs(region, ds)
prof = school_profile(inp, str(school))
print(
    f"{prof['school']['name']} ({prof['school']['municipality']}): "
    f"{prof['category']}. {prof['category_reason']}"
)

# %% [markdown]
# ## Страница школы
#
# Та же страница, что в пакете отчётов (`schools/<муниципалитет>/<школа>.html`).

# %%
page = render_school_page(inp, str(school))
report.show(
    f'<iframe srcdoc="{html.escape(page, quote=True)}" style="width:100%;height:900px;border:1px solid #ccc">'
    "</iframe>"
)

# %% [markdown]
# ## «Проблемные зоны»: все процедуры, предметы и классы
#
# `gap_region`, `gap_similar` — разница с регионом и с похожими школами (п. п. от максимального балла) и
# границы интервала; `weak` — отставание значимо; `small` — группа меньше порога малых групп
# (на странице значения скрыты).

# %%
zones = prof["zones"]
display(zones.sort_values(["weak", "gap_region"], ascending=[False, True]))

# %% [markdown]
# ## Индекс результатов по годам и ожидаемый по контексту результат

# %%
display(prof["trend"])
display(prof["context"])

# %% [markdown]
# ## Кадры и ресурсы: составляющие индексов

# %%
for ix in prof["indices"].values():
    print(ix["title"], ix["value"])
    display(ix["components"])

# %% [markdown]
# ## Процесс программы, диагностики, школа-лидер

# %%
display(prof["programme"])
display(prof["process"])
display(prof["diagnostics"])
display(prof["leader"])

# %% [markdown]
# ## Школы, чьи практики стоит изучить (регион)
#
# Список описательный, а не причинный. Школа текущего профиля отмечена, если она в списке.

# %%
for line in worth_learning_sentences(inp.worth):
    print(line)
display(inp.worth.assign(this_school=inp.worth["school_id"] == str(school)))
