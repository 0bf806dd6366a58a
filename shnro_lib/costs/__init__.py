"""«Цена–качество»: spending per pupil against context-adjusted results, DEA efficiency, cost-effectiveness.

- :func:`dea_efficiency` — output-oriented DEA under variable returns to scale (one ``linprog`` per
  unit) with an optional Simar–Wilson smoothed bootstrap;
- :func:`cost_quality` — one row per school: spending per pupil, expected result and residual
  (from :func:`shnro_lib.context.expected_results`), DEA efficiency and the quadrant; without a
  context model, the result index against the region's median instead (the table's notes say so);
- :func:`programme_cost_effectiveness` — roubles per pupil per 0.1 SD of gain on the effect estimate the
  programme's design picks, by municipality and by kind of support, its interval propagated;
- :func:`costs_method_ru` — the method annex (Russian markdown).
"""

from __future__ import annotations

from shnro_lib.costs.dea import dea_efficiency, silverman_bandwidth, smoothed_draws
from shnro_lib.costs.effectiveness import programme_cost_effectiveness
from shnro_lib.costs.method import costs_method_ru
from shnro_lib.costs.quality import COLUMNS, QUADRANTS, SPLIT_RU, cost_quality, plot_cost_quality
from shnro_lib.costs.settings import CostsSettings, NotEstimated, load_costs_config

__all__ = [
    "COLUMNS",
    "QUADRANTS",
    "SPLIT_RU",
    "CostsSettings",
    "NotEstimated",
    "cost_quality",
    "costs_method_ru",
    "dea_efficiency",
    "load_costs_config",
    "plot_cost_quality",
    "programme_cost_effectiveness",
    "silverman_bandwidth",
    "smoothed_draws",
]
