"""The simulation table of ``benchmarks/effects.py``: bias, RMSE and coverage per design and estimator.

The benchmark writes ``shnro_lib/effects/data/effects_simulation.csv`` (one row per simulated design x
estimator: ``design, design_ru, estimator, n_reps, n_schools, truth_pp, mean_estimate_pp, bias_pp,
bias_mc_se_pp, rmse_pp, coverage, ci_width_pp, picked``).  :func:`closest_design` maps a data set's
design to the simulated one it resembles; :func:`picked_check` says whether the estimator the rule
picks passed there.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from shnro_lib.effects.settings import load_effects_config
from shnro_lib.russian import fmt_num, fmt_pct

DESIGNS_RU = {
    "single_clean": "одна когорта, отбор по одному году, есть чистый год раньше",
    "two_year_mean": "отбор по среднему за два года, чистого года нет (как в демо-данных)",
    "staggered": "поэтапный старт нескольких когорт, отбор по году перед стартом",
    "fuzzy": "нечёткий отбор: часть отобранных не участвует, часть неотобранных участвует",
}


def simulation_path(config=None) -> Path:
    """Where the benchmark writes (and the annex reads) the simulation table."""
    cfg = load_effects_config(config)
    return Path(__file__).resolve().parent / cfg.identifiability.simulation_table


def simulation_table(design: str | None = None, config=None) -> pd.DataFrame:
    """The stored simulation table (empty when the benchmark has not been run), optionally one design."""
    path = simulation_path(config)
    if not path.exists():
        return pd.DataFrame()
    tab = pd.read_csv(path)
    if design is not None:
        tab = tab[tab["design"] == design]
    return tab.sort_values(["design", "estimator"], kind="stable").reset_index(drop=True)


def closest_design(design) -> str | None:
    """The simulated design closest to a :class:`~shnro_lib.effects.design.ProgrammeDesign`.

    Clean base: one cohort with a sharp rule → ``single_clean``; several cohorts → ``staggered``;
    a rule that explains participation poorly → ``fuzzy``.  No clean year with a sharp rule →
    ``two_year_mean``.  Neither → None (no simulated design covers it).
    """
    kind = design.kind
    if kind == "clean_base":
        if not all(c.sharp for c in design.cohorts):
            return "fuzzy"
        return "single_clean" if len(design.cohorts) == 1 else "staggered"
    if kind == "sharp_index":
        return "two_year_mean"
    return None


def picked_check(sim_design: str | None, picked: str, config=None) -> dict:
    """Whether ``picked`` passed the simulation of ``sim_design`` (|bias| and coverage thresholds).

    Returns ``{"identifiable": bool, "row": dict | None, "note": Russian sentence}``.  Without a stored
    simulation the estimator is kept (``identifiable`` True) and the note says so.
    """
    cfg = load_effects_config(config)
    th = cfg.identifiability
    if sim_design is None:
        return {
            "identifiable": False,
            "row": None,
            "note": "Ни один из проверенных на имитациях планов программы не похож на этот.",
        }
    tab = simulation_table(sim_design, cfg)
    row = tab[tab["estimator"] == picked] if len(tab) else tab
    if not len(row):
        return {
            "identifiable": True,
            "row": None,
            "note": "Проверка на имитациях для этого плана не проводилась.",
        }
    r = row.iloc[0].to_dict()
    ok = bool(abs(r["bias_pp"]) < th.max_abs_bias_pp and r["coverage"] >= th.min_coverage)
    txt = (
        f"На имитациях плана «{DESIGNS_RU.get(sim_design, sim_design)}» (повторений: {int(r['n_reps'])}): "
        f"смещение {fmt_num(r['bias_pp'], 2, signed=True)} п. п., покрытие {fmt_pct(r['coverage'], 0)} "
        "95-процентных интервалов"
    )
    if ok:
        txt += "."
    else:
        txt += (
            f" — не проходит порог (|смещение| < {fmt_num(th.max_abs_bias_pp, 1)} п. п., покрытие ≥ "
            f"{fmt_pct(th.min_coverage, 0)})."
        )
    return {"identifiable": ok, "row": r, "note": txt}


def simulation_markdown(sim_design: str | None, config=None) -> str:
    """The annex table (Russian markdown) for one simulated design; «—» when it is not available."""
    from shnro_lib.effects.table import NAMES_RU

    tab = simulation_table(sim_design, config) if sim_design else pd.DataFrame()
    if not len(tab):
        return "Таблица имитаций для этого плана программы: —"
    lines = [
        f"Имитации плана «{DESIGNS_RU.get(sim_design, sim_design)}» (повторений: {int(tab['n_reps'].max())}, "
        f"школ в регионе: {int(tab['n_schools'].max())}):",
        "",
        "| Метод | Смещение, п. п. | RMSE, п. п. | Покрытие 95 % ДИ | Выбран правилом |",
        "|---|---|---|---|---|",
    ]

    def f(v, fmt):
        return "—" if not np.isfinite(v) else format(v, fmt).replace(".", ",").replace("-", "−")

    for _, r in tab[tab["estimator"] != "picked"].iterrows():
        lines.append(
            f"| {NAMES_RU.get(r['estimator'], r['estimator'])} | {f(r['bias_pp'], '+.2f')} | "
            f"{f(r['rmse_pp'], '.2f')} | {f(r['coverage'], '.0%')} | {'да' if r['picked'] else ''} |"
        )
    return "\n".join(lines)
