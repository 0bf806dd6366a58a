"""School indicators computed from the canonical tables.

The central one is the *school result index*: every procedure x subject x
grade x year cell is put on a common scale (score as percent of the maximum,
standardised across schools within the cell), and a school's index is the
participant-weighted mean of its standardised scores over a window of years.
Standardising within the cell keeps years comparable when an exam's scale
changes (a new ВПР format, a changed ОГЭ maximum).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

CELL = ["procedure", "subject", "grade", "year"]


def window_years(years: Sequence[int], year: int, window: int = 3) -> list[int]:
    """The ``window`` years ending with ``year`` that are present in ``years``."""
    return [y for y in sorted(set(int(v) for v in years)) if year - window < y <= year]


def standardised_results(results: pd.DataFrame, default_student_sd_pct: float = 18.0) -> pd.DataFrame:
    """Put every result row on the scale of its procedure x subject x grade x year cell.

    Parameters
    ----------
    results : canonical ``results`` table.
    default_student_sd_pct : within-school student SD (percent of max) used when it
        cannot be estimated from the data for a procedure x subject x grade.

    Returns
    -------
    DataFrame
        The rows that have participants and a score, with added columns
        ``pct`` (score as percent of max), ``cell_mean`` and ``cell_sd``
        (participant-weighted, across schools), ``z`` (standardised score),
        ``student_sd_pct`` (estimated within-school SD of student scores) and
        ``z_se`` (sampling standard error of ``z``: ``student_sd / sqrt(n) / cell_sd``).

    Notes
    -----
    The within-school student SD is estimated per procedure x subject x grade by
    the method of moments: across schools, the squared deviation of a school's
    mean from the cell mean has expectation ``tau^2 + sigma_w^2 / n``; the slope
    on ``1/n`` estimates ``sigma_w^2``.  When the slope is not positive (too few
    schools or no size variation) the default is used.
    """
    r = results.loc[(results["participants"].fillna(0) > 0) & results["mean_score"].notna()
                    & (results["max_score"] > 0)].copy()
    r["participants"] = r["participants"].astype(float)
    r["pct"] = r["mean_score"].astype(float) / r["max_score"].astype(float) * 100.0
    w = r["participants"]
    r["_w_pct"] = w * r["pct"]
    g = r.groupby(CELL, observed=True)
    r["cell_mean"] = g["_w_pct"].transform("sum") / g["participants"].transform("sum")
    r["_w_dev2"] = w * (r["pct"] - r["cell_mean"]) ** 2
    g = r.groupby(CELL, observed=True)
    var = g["_w_dev2"].transform("sum") / g["participants"].transform("sum")
    r["cell_sd"] = np.sqrt(var)
    # a cell with one school (or identical scores) has no spread: z is undefined there
    r.loc[r["cell_sd"] <= 1e-9, "cell_sd"] = np.nan
    r["z"] = (r["pct"] - r["cell_mean"]) / r["cell_sd"]
    r["student_sd_pct"] = _within_school_sd(r, default_student_sd_pct)
    r["z_se"] = r["student_sd_pct"] / np.sqrt(r["participants"]) / r["cell_sd"]
    return r.drop(columns=["_w_pct", "_w_dev2"])


def _within_school_sd(r: pd.DataFrame, default: float) -> pd.Series:
    out = pd.Series(default, index=r.index, dtype=float)
    dev2 = (r["pct"] - r["cell_mean"]) ** 2
    inv_n = 1.0 / r["participants"]
    for _, idx in r.groupby(["procedure", "subject", "grade"], observed=True).groups.items():
        x, y = inv_n.loc[idx].to_numpy(), dev2.loc[idx].to_numpy()
        if len(x) < 20 or np.ptp(x) <= 0:
            continue
        slope = np.polyfit(x, y, 1)[0]
        if slope > 0:
            # bounded to a plausible range: a student SD of 5-40 % of the maximum
            out.loc[idx] = float(np.clip(np.sqrt(slope), 5.0, 40.0))
    return out


def school_result_index(
    results: pd.DataFrame,
    years: Sequence[int] | None = None,
    procedures: Sequence[str] | None = None,
    year_weights: dict[int, float] | None = None,
    standardised: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Combine standardised results into one index per school.

    Parameters
    ----------
    results : canonical ``results`` table (ignored when ``standardised`` is given).
    years : years to include (default: all).
    procedures : procedures to include (default: all).
    year_weights : optional weight per year multiplying the participant weights
        (e.g. FFT's 3:2:1 for the latest three years).
    standardised : output of :func:`standardised_results`, to avoid recomputing it.

    Returns
    -------
    DataFrame indexed by ``school_id`` with ``result_index`` (participant-weighted
    mean z; higher is better), ``result_index_se`` (sampling SE, treating the
    rows as independent), ``participants`` (sum over rows), ``n_rows`` and
    ``n_years``.
    """
    z = standardised if standardised is not None else standardised_results(results)
    z = z[z["z"].notna()]
    if years is not None:
        z = z[z["year"].isin(list(years))]
    if procedures is not None:
        z = z[z["procedure"].isin(list(procedures))]
    w = z["participants"].astype(float)
    if year_weights:
        w = w * z["year"].map(lambda y: year_weights.get(int(y), 0.0)).astype(float)
    frame = pd.DataFrame({
        "school_id": z["school_id"], "year": z["year"], "w": w,
        "wz": w * z["z"], "w2se2": (w * z["z_se"]) ** 2, "participants": z["participants"],
    })
    frame = frame[frame["w"] > 0]
    agg = frame.groupby("school_id").agg(
        wsum=("w", "sum"), wz=("wz", "sum"), w2se2=("w2se2", "sum"),
        participants=("participants", "sum"), n_rows=("w", "size"), n_years=("year", "nunique"),
    )
    out = pd.DataFrame(index=agg.index)
    out["result_index"] = agg["wz"] / agg["wsum"]
    out["result_index_se"] = np.sqrt(agg["w2se2"]) / agg["wsum"]
    out["participants"] = agg["participants"].astype(int)
    out["n_rows"] = agg["n_rows"].astype(int)
    out["n_years"] = agg["n_years"].astype(int)
    return out
