"""Sums of the standardised results per school, year, procedure and cohort, for the result index.

A result index is a sum over the standardised rows of a window, weighted by participants and by
factors per year and per procedure.  Those factors are constant within a school x year x procedure
x cohort group, so the rows can be summed once per group and every index (another window, other
weights, one index per year) is a sum over the groups: an identification computes about ten of
them on one data set, and masking, factorizing and grouping the millions of rows each time was
the slow part of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

SUM_COLUMNS = ["w", "wz", "w2se2", "wse", "participants", "participants_known", "n_rows", "se_unknown"]


@dataclass(frozen=True)
class ResultSums:
    """Sums of the standardised rows per school x year x procedure x cohort.

    Attributes
    ----------
    frame : DataFrame with integer ``school`` and ``procedure`` codes, ``year``, ``cohort``
        (``year - grade``) and the sums ``w`` (participant weights), ``wz`` (weight x z),
        ``w2se2`` ((weight x z_se) squared), ``wse`` (weight x z_se), ``participants``
        (their sum, missing counts skipped), ``participants_known`` (rows with a count),
        ``n_rows`` and ``se_unknown`` (some row without a z_se).
    school_ids : the school ids the codes stand for, sorted (code ``i`` is ``school_ids[i]``).
    procedures : the procedure names the codes stand for.
    """

    frame: pd.DataFrame
    school_ids: pd.Index
    procedures: pd.Index


def result_sums(standardised: pd.DataFrame) -> ResultSums:
    """Sum the standardised rows once per school x year x procedure x cohort.

    Parameters
    ----------
    standardised : output of :func:`shnro_lib.indicators.standardised_results`.

    Returns
    -------
    ResultSums
        Over the rows a result index can use: a z, a positive weight (``weight``, else
        ``participants``) and a school id.
    """
    z = standardised
    weight = (z["weight"] if "weight" in z.columns else z["participants"]).to_numpy(
        dtype=float, na_value=np.nan
    )
    # sorted codes: every index lists its schools in the order of their ids
    school, school_ids = pd.factorize(z["school_id"], sort=True)
    procedure, procedures = pd.factorize(z["procedure"])
    keep = z["z"].notna().to_numpy(dtype=bool) & (weight > 0) & (school >= 0) & (procedure >= 0)
    zz = z["z"].to_numpy(dtype=float, na_value=np.nan)[keep]
    se = z["z_se"].to_numpy(dtype=float, na_value=np.nan)[keep]
    w = weight[keep]
    year = z["year"].to_numpy()[keep]
    participants = z["participants"].to_numpy(dtype=float, na_value=np.nan)[keep]
    rows = pd.DataFrame(
        {
            "school": school[keep],
            "year": year,
            "procedure": procedure[keep],
            "cohort": year.astype("int64") - z["grade"].to_numpy()[keep].astype("int64"),
            "w": w,
            "wz": w * zz,
            "w2se2": (w * se) ** 2,
            "wse": w * se,
            "participants": participants,
            "se_unknown": np.isnan(se),
        }
    )
    frame = (
        rows.groupby(["school", "year", "procedure", "cohort"], sort=True)
        .agg(
            w=("w", "sum"),
            wz=("wz", "sum"),
            w2se2=("w2se2", "sum"),
            wse=("wse", "sum"),
            participants=("participants", "sum"),
            participants_known=("participants", "count"),
            n_rows=("w", "size"),
            se_unknown=("se_unknown", "any"),
        )
        .reset_index()
    )
    return ResultSums(frame=frame, school_ids=pd.Index(school_ids), procedures=pd.Index(procedures))


def _factors(
    sums: ResultSums,
    years: Sequence[int] | None,
    procedures: Sequence[str] | None,
    year_weights: dict | None,
    procedure_weights: dict | None,
) -> np.ndarray:
    """Every group's factor on its participant weights: 0 for a year or procedure left out."""
    f = sums.frame
    a = np.ones(len(f), dtype=float)
    if years is not None:
        a[~f["year"].isin(list(years)).to_numpy(dtype=bool)] = 0.0
    proc = f["procedure"].to_numpy()
    if procedures is not None:
        a[~sums.procedures.isin(list(procedures))[proc]] = 0.0
    if year_weights:
        yrs = f["year"].to_numpy()
        distinct = np.unique(yrs)
        per_year = np.array([float(year_weights.get(int(y), 0.0)) for y in distinct])
        a = a * per_year[np.searchsorted(distinct, yrs)]
    if procedure_weights:
        per_proc = np.array([float(procedure_weights.get(str(p), 1.0)) for p in sums.procedures])
        a = a * per_proc[proc]
    return a


def aggregate_sums(
    sums: ResultSums,
    keys: list[str],
    years: Sequence[int] | None = None,
    procedures: Sequence[str] | None = None,
    year_weights: dict | None = None,
    procedure_weights: dict | None = None,
) -> tuple[pd.DataFrame, pd.Series]:
    """Sums per ``keys`` (``school`` and optionally ``year``) of the years and procedures asked for.

    Returns
    -------
    (DataFrame, Series)
        Per group ``wsum``, ``wz``, ``w2se2``, ``participants`` (missing when no row has a count),
        ``n_rows``, ``se_unknown``, ``n_years``; and the cohort-shared variance term, the sum over
        the group's cohorts of the squared sum of weight x z_se.
    """
    a = _factors(sums, years, procedures, year_weights, procedure_weights)
    keep = a > 0  # as a row whose weighted weight is not positive is left out (a NaN factor too)
    f, a = sums.frame.loc[keep], a[keep]
    terms = pd.DataFrame(
        {
            "school": f["school"],
            "year": f["year"],
            "cohort": f["cohort"],
            "wsum": a * f["w"],
            "wz": a * f["wz"],
            "w2se2": a * a * f["w2se2"],
            "wse": a * f["wse"],
            "participants": f["participants"],
            "participants_known": f["participants_known"],
            "n_rows": f["n_rows"],
            "se_unknown": f["se_unknown"],
        }
    )
    agg = terms.groupby(keys).agg(
        wsum=("wsum", "sum"),
        wz=("wz", "sum"),
        w2se2=("w2se2", "sum"),
        participants=("participants", "sum"),
        participants_known=("participants_known", "sum"),
        n_rows=("n_rows", "sum"),
        se_unknown=("se_unknown", "any"),
        n_years=("year", "nunique"),
    )
    # a school with no known count has no count (not 0)
    agg["participants"] = agg["participants"].where(agg.pop("participants_known") > 0)
    by_cohort = terms.groupby([*keys, "cohort"])["wse"].sum() ** 2
    shared = by_cohort.groupby(level=keys).sum().reindex(agg.index)
    return agg, shared
