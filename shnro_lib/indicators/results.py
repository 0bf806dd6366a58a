"""The school result index: standardised results, the index over a window, its shrinkage.

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

from .result_sums import ResultSums, aggregate_sums, result_sums
from .scale import has_scale, pct_of_range, result_weight, sat

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
    r = results.loc[(sat(results) & has_scale(results)).to_numpy()].copy()
    r["participants"] = (
        pd.to_numeric(r["participants"], errors="coerce").astype(float)
        if "participants" in r.columns
        else np.nan
    )
    r["pct"] = pct_of_range(r)
    # participants where the source gives them; without counts every result weighs the same
    r["weight"] = w = result_weight(r)
    r["_w_pct"] = w * r["pct"]
    g = r.groupby(CELL, observed=True)
    r["cell_mean"] = g["_w_pct"].transform("sum") / g["weight"].transform("sum")
    r["_w_dev2"] = w * (r["pct"] - r["cell_mean"]) ** 2
    g = r.groupby(CELL, observed=True)
    var = g["_w_dev2"].transform("sum") / g["weight"].transform("sum")
    r["cell_sd"] = np.sqrt(var)
    # a cell with one school (or identical scores) has no spread: z is undefined there
    r.loc[r["cell_sd"] <= 1e-9, "cell_sd"] = np.nan
    r["z"] = (r["pct"] - r["cell_mean"]) / r["cell_sd"]
    r["student_sd_pct"] = _within_school_sd(r, default_student_sd_pct)
    r["z_se"] = r["student_sd_pct"] / np.sqrt(r["participants"]) / r["cell_sd"]
    return r.drop(columns=["_w_pct", "_w_dev2"])


def _within_school_sd(r: pd.DataFrame, default: float) -> pd.Series:
    out = np.full(len(r), default, dtype=float)
    dev2 = ((r["pct"] - r["cell_mean"]) ** 2).to_numpy(dtype=float)
    inv_n = (1.0 / r["participants"]).to_numpy(dtype=float)
    # the groups' row positions on plain arrays: label lookups of millions of rows cost more than the fits
    for pos in r.groupby(["procedure", "subject", "grade"], observed=True).indices.values():
        x, y = inv_n[pos], dev2[pos]
        known = np.isfinite(x) & np.isfinite(y)
        x, y = x[known], y[known]
        if len(x) < 20 or np.ptp(x) <= 0:
            continue
        slope = np.polyfit(x, y, 1)[0]
        if slope > 0:
            # bounded to a plausible range: a student SD of 5-40 % of the maximum
            out[pos] = float(np.clip(np.sqrt(slope), 5.0, 40.0))
    return pd.Series(out, index=r.index)


def _school_index(index: pd.Index, ids: pd.Index, keys: list[str], by_year: bool) -> pd.Index:
    """The aggregated rows' index with the codes back to the school ids (and the years, ``by_year``)."""
    school = pd.Index(ids.take(index.get_level_values("school").to_numpy()), name="school_id")
    return (
        pd.MultiIndex.from_arrays([school, index.get_level_values("year")], names=["school_id", "year"])
        if by_year
        else school
    )


def school_result_index(
    results: pd.DataFrame,
    years: Sequence[int] | None = None,
    procedures: Sequence[str] | None = None,
    year_weights: dict[int, float] | None = None,
    standardised: pd.DataFrame | None = None,
    cohort_correlation: float = 0.6,
    procedure_weights: dict[str, float] | None = None,
    by_year: bool = False,
    sums: ResultSums | None = None,
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
    cohort_correlation : share of the sampling variance shared by all rows of the same
        cohort of pupils (same school and entry year ``year - grade``): the same children
        sit Russian and mathematics, and again next year one grade up.  Treating those
        rows as independent would make small schools look far more certain than they are.
    procedure_weights : optional weight per procedure multiplying the participant weights
        (a procedure not named keeps weight 1).
    by_year : one index per school and year (indexed by ``school_id`` and ``year``): each
        year's rows are those of that year's index alone, in one grouping for all the years.
    sums : output of :func:`result_sums` of ``standardised`` (``results`` and ``standardised`` are
        then ignored), to sum the rows once for many indices of one data set.

    Returns
    -------
    DataFrame indexed by ``school_id`` with ``result_index`` (participant-weighted
    mean z; higher is better), ``result_index_se`` (sampling SE, treating the
    rows as independent), ``participants`` (sum over rows), ``n_rows`` and
    ``n_years``.
    """
    if sums is None:
        sums = result_sums(standardised if standardised is not None else standardised_results(results))
    keys = ["school", "year"] if by_year else ["school"]
    agg, shared = aggregate_sums(sums, keys, years, procedures, year_weights, procedure_weights)
    rho = float(np.clip(cohort_correlation, 0.0, 1.0))
    out = pd.DataFrame(index=_school_index(agg.index, sums.school_ids, keys, by_year))
    agg.index = shared.index = out.index
    out["result_index"] = agg["wz"] / agg["wsum"]
    # a row without a participant count has no sampling error: the school's SE is unknown, not 0
    out["result_index_se"] = (np.sqrt((1 - rho) * agg["w2se2"] + rho * shared) / agg["wsum"]).where(
        ~agg["se_unknown"]
    )
    # a count the source did not give stays missing (never 0, never a number of rows)
    out["participants"] = agg["participants"].round().astype("Int64")
    out["n_rows"] = agg["n_rows"].astype(int)
    out["n_years"] = agg["n_years"].astype(int)
    return out


# ---------------------------------------------------------------------------
# Uncertainty: empirical-Bayes shrinkage of the result index
# ---------------------------------------------------------------------------


def shrink_index(index: pd.DataFrame, bottom_share: float = 0.25) -> pd.DataFrame:
    """Empirical-Bayes shrinkage of the result index and the probability of the bottom group.

    Model: ``x_i = theta_i + e_i``, ``e_i ~ N(0, se_i^2)``, ``theta_i ~ N(mu, tau^2)``.
    ``mu`` is the precision-free mean of ``x``; ``tau^2 = var(x) - mean(se^2)`` (method of
    moments, floored at 1 % of ``var(x)``). The shrunken index is
    ``mu + B_i (x_i - mu)`` with ``B_i = tau^2 / (tau^2 + se_i^2)``; the posterior is
    ``N(shrunken, B_i se_i^2)``.

    ``p_bottom_quartile`` is the posterior probability that ``theta_i`` lies below the
    ``bottom_share`` quantile of the prior, ``mu + tau * Phi^-1(bottom_share)``.

    Parameters
    ----------
    index : output of :func:`school_result_index` (``result_index``, ``result_index_se``).

    Returns
    -------
    Copy of ``index`` with ``shrunken_index``, ``shrinkage_weight`` (B), ``posterior_sd``,
    ``p_bottom_quartile``, ``z_vs_mean`` ((x - mu) / se) and attributes ``tau2``, ``mu``,
    ``cutoff``.
    """
    from scipy.stats import norm

    out = index.copy()
    x = out["result_index"].astype(float)
    se = out["result_index_se"].astype(float)
    ok = x.notna() & se.notna()
    mu = float(x[ok].mean()) if ok.any() else np.nan
    var_x = float(x[ok].var(ddof=1)) if ok.sum() > 1 else np.nan
    tau2 = max(var_x - float((se[ok] ** 2).mean()), 0.01 * var_x) if np.isfinite(var_x) else np.nan
    b = tau2 / (tau2 + se**2)
    out["shrinkage_weight"] = b
    out["shrunken_index"] = mu + b * (x - mu)
    out["posterior_sd"] = np.sqrt(b * se**2)
    cutoff = mu + np.sqrt(tau2) * norm.ppf(bottom_share) if np.isfinite(tau2) else np.nan
    psd = out["posterior_sd"].where(out["posterior_sd"] > 0)
    out["p_bottom_quartile"] = norm.cdf((cutoff - out["shrunken_index"]) / psd)
    out["z_vs_mean"] = (x - mu) / se.where(se > 0)
    out.attrs.update({"tau2": tau2, "mu": mu, "cutoff": cutoff})
    return out
