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
# # Муниципальный отчёт
#
# Тетрадь выбирает из заранее рассчитанных региональных результатов (`shnro_lib.pipeline`) данные
# одного муниципалитета и рисует разделы отчёта. Пакетно её выполняет `shnro reports`; код ячеек в
# HTML-отчёт не попадает. `compute=True` — рассчитать всё внутри тетради без кэша (медленно, для
# сравнения скорости). `test_fail` — только для тестов: тетрадь намеренно падает.

# %% tags=["parameters"]
municipality = "Бокситогорский муниципальный район"
year = 2024
data_dir = "../data/demo"
rules = "lo_2018"
cache_dir = "../data/cache"
compute = False
test_fail = False

# %%
from shnro_lib import report
from shnro_lib.pipeline import compute_region

report.fail_for_testing(test_fail, municipality)
region = compute_region(data_dir, int(year), rules, cache_dir=None if compute else cache_dir)
if municipality not in region.municipalities:
    raise ValueError(f"Муниципалитет «{municipality}» не найден в данных")

# %%
report.show(report.municipal_header(region, municipality))

# %%
report.show(report.summary_section(region, municipality))

# %%
report.show(report.overview_section(region, municipality))

# %%
report.show(report.identified_section(region, municipality))

# %%
report.show(report.context_section(region, municipality))

# %%
report.show(report.dynamics_section(region, municipality))

# %%
report.show(report.effects_section(region, municipality))

# %%
report.show(report.costs_section(region, municipality))

# %%
report.show(report.partners_section(region, municipality))

# %%
report.show(report.monitoring_section(region, municipality))

# %%
report.show(report.method_annex(region))

# %%
report.show(report.data_quality_annex(region, municipality=municipality))

# %%
report.show(report.footer_html(region.meta))
