"""Results of the procedures, the observed index the region selects on, and other outcomes."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from .constants import PROCEDURES, SCALE_CHANGES


def _grade_size(enrol: np.ndarray, stype: pd.Series, grade: int) -> np.ndarray:
    per_grade = enrol / 11.0
    if grade >= 10:
        per_grade = per_grade * 0.55
    size = per_grade.copy()
    st = stype.to_numpy()
    size[(st == "ООШ") & (grade >= 10)] = 0
    size[(st == "НОШ") & (grade >= 5)] = 0
    return size


def make_results(
    rng,
    schools: pd.DataFrame,
    st: pd.DataFrame,
    effect: np.ndarray,
    year: int,
    cfg: dict,
    cohorts: dict[int, np.ndarray],
):
    enrol = st["enrolment"].to_numpy().astype(float)
    rho = float(cfg.get("cohort_correlation", 0.6))
    skip = {(s["procedure"], s["year"]) for s in cfg.get("skip", [])}
    parts = []
    for proc, grade, subj, mx, mu, sd, pass_, q4, q5, take in PROCEDURES:
        if (proc, year) in skip:
            continue
        mx = SCALE_CHANGES.get((proc, grade, subj), {}).get(year, mx)
        size = _grade_size(enrol, st["school_type"], grade) * take
        n = rng.poisson(np.maximum(size, 0))
        n[size <= 0] = 0
        if proc in ("ЕГЭ", "ОГЭ") and take < 1:
            # subject choice at a small school is lumpy
            n = np.where(rng.random(len(n)) < 0.15, 0, n)
        has = size > 0
        entry = year - grade
        if entry not in cohorts:
            cohort_size = np.maximum(_grade_size(enrol, st["school_type"], 5), 1.0)
            cohorts[entry] = rng.normal(0, 1, len(enrol)) * np.sqrt(rho / cohort_size)
        mean_z = effect + cohorts[entry] + rng.normal(0, 1, len(n)) * np.sqrt((1 - rho) / np.maximum(n, 1))
        # student scores within a school have an SD a little below the population's
        within = 0.9
        mean_share = np.clip(mu + sd * mean_z, 0.02, 0.98)
        p_low = norm.cdf((pass_ - mean_share) / (sd * within))
        p_q = 1 - norm.cdf((q4 - mean_share) / (sd * within))
        p_h = 1 - norm.cdf((q5 - mean_share) / (sd * within))
        k_low = rng.binomial(n, p_low)
        k_q = rng.binomial(n, p_q)
        k_h = np.minimum(rng.binomial(n, p_h), k_q)
        with np.errstate(invalid="ignore", divide="ignore"):
            df = pd.DataFrame(
                {
                    "school_id": st.index,
                    "year": year,
                    "procedure": proc,
                    "subject": subj,
                    "grade": grade,
                    "participants": n,
                    "mean_score": np.where(n > 0, np.round(mean_share * mx, 2), np.nan),
                    "max_score": float(mx),
                    "share_low": np.where(n > 0, k_low / n, np.nan),
                    "share_quality": np.where((n > 0) & (proc != "ЕГЭ"), k_q / n, np.nan),
                    "share_high": np.where(n > 0, k_h / n, np.nan),
                }
            )
        parts.append(df[has | (n > 0)])
    return pd.concat(parts, ignore_index=True)


def observed_index(res: pd.DataFrame) -> pd.Series:
    """The plain observed result index the region used to select programme schools.

    Scores as percent of the maximum, standardised across schools within
    procedure x subject x grade x year, then averaged per school with
    participant weights over the selection years.
    """
    r = res[res["participants"] > 0].copy()
    r["pct"] = r["mean_score"] / r["max_score"] * 100
    g = r.groupby(["procedure", "subject", "grade", "year"])["pct"]
    r["z"] = (r["pct"] - g.transform("mean")) / g.transform("std")
    r["wz"] = r["z"] * r["participants"]
    agg = r.groupby("school_id")[["wz", "participants"]].sum()
    return agg["wz"] / agg["participants"]


def make_outcomes(
    rng, st: pd.DataFrame, theta: np.ndarray, shocks: np.ndarray, years: list[int]
) -> pd.DataFrame:
    enrol = st["enrolment"].to_numpy()
    parts = []
    for t, y in enumerate(years):
        eff = theta + shocks[:, t]
        g9 = rng.poisson(np.maximum(enrol / 11, 0.5))
        g9[(st["school_type"] == "НОШ").to_numpy()] = 0
        g11 = rng.poisson(np.maximum(enrol / 11 * 0.55, 0.3))
        g11[st["school_type"].isin(["ООШ", "НОШ"]).to_numpy()] = 0
        cont = np.clip(0.68 + 0.25 * eff + rng.normal(0, 0.06, len(st)), 0.05, 1)
        cont = np.where(g9 > 0, cont, np.nan)
        rate = np.exp(-4.3 + 1.6 * eff)
        olymp = rng.poisson(enrol * rate)
        sat = np.clip(0.66 + 0.18 * eff + rng.normal(0, 0.08, len(st)), 0.05, 1)
        parts.append(
            pd.DataFrame(
                {
                    "school_id": st.index,
                    "year": y,
                    "share_continuing_senior": np.round(cont, 3),
                    "olympiad_participants": olymp,
                    "satisfaction_share": np.round(sat, 3),
                    "graduates_9": g9,
                    "graduates_11": g11,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)
