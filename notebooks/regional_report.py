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
# # Региональный отчёт: сравнение муниципальных образований
#
# Тетрадь читает региональные результаты из кэша (`shnro_lib.pipeline.compute_region`) и рисует
# сравнение муниципалитетов. Пакетно её выполняет `shnro reports`.

# %% tags=["parameters"]
year = 2024
data_dir = "../data/demo"
rules = "lo_2018"
cache_dir = "../data/cache"
compute = False
test_fail = False

# %%
from shnro_lib import report
from shnro_lib.pipeline import compute_region

report.fail_for_testing(test_fail, "регион")
region = compute_region(data_dir, int(year), rules, cache_dir=None if compute else cache_dir)

# %%
report.show(report.regional_header(region))

# %%
report.show(report.regional_summary_section(region))

# %%
report.show(report.regional_compare_section(region))

# %%
report.show(report.regional_participation_section(region))

# %%
report.show(report.regional_distributions_section(region))

# %%
report.show(report.regional_identified_section(region))

# %%
report.show(report.regional_effects_section(region))

# %%
report.show(report.regional_monitoring_section(region))

# %%
report.show(report.method_annex(region, sid="r-method"))

# %%
report.show(report.data_quality_annex(region, sid="r-quality"))

# %%
report.show(report.footer_html(region.meta))
