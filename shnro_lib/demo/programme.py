"""The support programme: its design, the selection of cohorts, its records and diagnostics."""

from __future__ import annotations

import datetime as _dt

import numpy as np
import pandas as pd
from scipy.stats import norm

from .constants import RISKS
from .results import make_results, observed_index


def dataset_facts(cfg: dict) -> dict:
    """The demo's facts for ``dataset.yaml``: the programme's selection rule and the targets."""
    prog = cfg["programme"]
    cohorts = {
        int(c): {
            "selection_years": [int(y) for y in sel["selection_years"]],
            "index": "result_index",
            "bottom_share": float(sel["bottom_share"]),
        }
        for c, sel in sorted(prog["cohorts"].items())
    }
    return {
        "programme": {"name": prog["name"], "cohorts": cohorts},
        "monitoring": {"targets": cfg["monitoring_targets"]},
    }


def with_programme_profile(cfg: dict, profile: str | None) -> dict:
    """``cfg`` with the programme's cohorts (and noncompliance) replaced by those of ``profile``."""
    if profile is None:
        return cfg
    profiles = cfg["programme"].get("profiles") or {}
    if profile not in profiles:
        raise ValueError(f"Нет профиля программы «{profile}»; есть: {', '.join(sorted(profiles))}")
    prog = {**cfg["programme"], **profiles[profile]}
    return {**cfg, "programme": prog}


def _select_cohort(
    rng: np.random.Generator, idx: pd.Series, free: np.ndarray, sel: dict, nc: dict
) -> np.ndarray:
    """Which eligible schools join the cohort: the rule (index at or below the bottom-share
    quantile over all schools), then noncompliance — selected schools declining and others joining."""
    chosen = (idx.to_numpy(float) <= idx.quantile(sel["bottom_share"])) & free
    if not (nc.get("decline_share") or nc.get("join_share")):
        return chosen  # no draw: the default demo's random stream stays as it was
    u = rng.random(len(idx))
    decline = chosen & (u < float(nc.get("decline_share", 0.0)))
    join = ~chosen & free & (u < float(nc.get("join_share", 0.0)))
    return (chosen & ~decline) | join


def assign_and_score(
    rng: np.random.Generator,
    schools: pd.DataFrame,
    st: pd.DataFrame,
    theta: np.ndarray,
    shocks: np.ndarray,
    improvement: np.ndarray,
    dose: np.ndarray,
    years: list[int],
    cfg: dict,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Results year by year, with the programme assigned by the plain rule on observed results.

    Returns the results, the programme effect per school and year and each school's cohort (0: none).
    """
    n = len(schools)
    effect = np.zeros((n, len(years)))
    cohort = np.full(n, 0)
    results_parts = []
    # a school's cohort of pupils (same entry year) is a random draw of ability shared by all
    # its subjects and years: this is why small schools' results jump from year to year
    cohorts: dict[int, np.ndarray] = {}
    pcfg = cfg["programme"]
    for t, year in enumerate(years):
        # programme effect active this year
        for i in range(n):
            if cohort[i] and year >= cohort[i]:
                ramp = min(1.0, (year - cohort[i] + 1) / pcfg["ramp_years"])
                effect[i, t] = pcfg["effect_per_dose"] * dose[i] * ramp
        part = make_results(
            rng, schools, st, theta + shocks[:, t] + effect[:, t] + improvement[:, t], year, cfg, cohorts
        )
        results_parts.append(part)
        next_year = year + 1
        if next_year in pcfg["cohorts"]:
            sel = pcfg["cohorts"][next_year]
            obs = pd.concat(results_parts)
            idx = observed_index(obs[obs["year"].isin(sel["selection_years"])])
            free = np.array([cohort[schools.index.get_loc(s)] == 0 for s in idx.index])
            joined = _select_cohort(rng, idx, free, sel, pcfg.get("noncompliance") or {})
            for s in idx.index[joined]:
                cohort[schools.index.get_loc(s)] = next_year
    results = pd.concat(results_parts, ignore_index=True)
    return results, effect, cohort


def make_programme(rng, schools, cohort, dose, years, st, cfg):
    pcfg = cfg["programme"]
    rows, prow = [], []
    leaders = st.index[st["group"] == "urban_advantaged"].tolist()
    for i, sid in enumerate(schools.index):
        if not cohort[i]:
            continue
        partner = leaders[int(rng.integers(0, len(leaders)))] if leaders and rng.random() < 0.6 else None
        for y in years:
            if y < cohort[i]:
                continue
            cost = pcfg["cost_base_rub"] + pcfg["cost_per_dose_rub"] * dose[i] * rng.lognormal(0, 0.1)
            rows.append(
                {
                    "school_id": sid,
                    "year": y,
                    "programme": pcfg["name"],
                    "in_programme": True,
                    "cohort": int(cohort[i]),
                    "partner_school_id": partner,
                    "cost_rub": round(cost, -3),
                }
            )
            d = dose[i]
            prow.append(
                {
                    "school_id": sid,
                    "year": y,
                    "share_teachers_diagnosed": round(min(1, 0.4 + 0.4 * d + rng.normal(0, 0.05)), 3),
                    "share_teachers_trained": round(
                        float(np.clip(0.15 + 0.45 * d + rng.normal(0, 0.05), 0, 1)), 3
                    ),
                    "training_hours_per_teacher": round(float(max(0, 18 + 40 * d + rng.normal(0, 6))), 1),
                    "methodical_visits": int(rng.poisson(2 + 4 * d)),
                    "has_partner": partner is not None,
                    "share_teachers_improved": round(
                        float(np.clip(0.2 + 0.35 * d + rng.normal(0, 0.07), 0, 1)), 3
                    ),
                    "tutor_hours": round(float(max(0, 20 * d + rng.normal(0, 5))), 1),
                }
            )
    return pd.DataFrame(rows), pd.DataFrame(prow)


def make_diagnostics(rng, schools, cohort, dose, theta, cfg):
    pcfg = cfg["programme"]
    treated = np.where(cohort > 0)[0]
    others = np.where(cohort == 0)[0]
    comp = rng.choice(others, size=min(pcfg["diagnostics_comparison_schools"], len(others)), replace=False)
    tests = [("Русский язык", 7, 30), ("Математика", 7, 25), ("Русский язык", 9, 33), ("Математика", 9, 31)]
    rows = []
    for i in list(treated) + list(comp):
        c = int(cohort[i]) if cohort[i] else 2022
        eff_out = pcfg["effect_per_dose"] * dose[i] / pcfg["ramp_years"] if cohort[i] else 0.0
        waves = [
            ("вход", _dt.date(c - 1, 10, 1), 0.0),
            ("промежуточная", _dt.date(c, 1, 20), 0.5),
            ("выход", _dt.date(c, 4, 25), 1.0),
        ]
        for subj, grade, mx in tests:
            n = int(rng.integers(5, 40))
            for wave, date, frac in waves:
                z = (
                    theta[i]
                    + frac * (eff_out + pcfg["diagnostics_practice_gain"])
                    + rng.normal(0, 1 / np.sqrt(n))
                )
                share = float(np.clip(0.55 + 0.16 * z, 0.02, 0.98))
                p_low = norm.cdf((0.3 - share) / 0.15)
                rows.append(
                    {
                        "school_id": schools.index[i],
                        "wave": wave,
                        "date": date.isoformat(),
                        "subject": subj,
                        "grade": grade,
                        "participants": n,
                        "mean_score": round(share * mx, 2),
                        "max_score": mx,
                        "share_low": round(float(rng.binomial(n, p_low) / n), 3),
                    }
                )
    return pd.DataFrame(rows)


def make_risk_profile(rng, schools, cohort, st, theta, years):
    rows = []
    last = years[-1]
    for i, sid in enumerate(schools.index):
        if not cohort[i]:
            continue
        for r in RISKS:
            base = rng.random() + (0.3 if st["group"].iloc[i] in ("disadvantaged", "rural_small") else 0)
            level = "высокий" if base > 1.0 else ("средний" if base > 0.55 else "низкий")
            rows.append({"school_id": sid, "year": last, "risk": r, "level": level})
    return pd.DataFrame(rows)
