"""Further school indicators over a window of years (the identification criteria's inputs)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from shnro_lib.indicators.results import standardised_results


def _window(df: pd.DataFrame, years: Sequence[int] | None) -> pd.DataFrame:
    if years is None:
        return df
    return df[df["year"].isin([int(y) for y in years]).fillna(False)]


def _scored(
    results: pd.DataFrame,
    years: Sequence[int] | None,
    procedures: Sequence[str] | None,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The rows of the window and procedures with participants (only ``columns``, when given):
    one mask and one copy, not a copy of the whole table per condition."""
    keep = (results["participants"].fillna(0) > 0).to_numpy(dtype=bool)
    if years is not None:
        keep = keep & results["year"].isin([int(y) for y in years]).fillna(False).to_numpy(dtype=bool)
    if procedures is not None:
        keep = keep & results["procedure"].isin(list(procedures)).fillna(False).to_numpy(dtype=bool)
    if columns is None:
        return results.loc[keep]
    return results.loc[keep, list(dict.fromkeys(columns))]


def score_gap(
    results: pd.DataFrame,
    years: Sequence[int] | None = None,
    procedures: Sequence[str] | None = None,
    standardised: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Gap between the regional and the school mean, in points of a 100-point scale.

    For every row the gap is ``cell_mean - pct`` (the regional participant-weighted mean
    of the procedure x subject x grade x year cell minus the school's score, both as a
    percent of the maximum), so a positive gap means the school is below the region.
    Rows are averaged per school and procedure with participant weights.

    Returns
    -------
    DataFrame indexed by ``school_id`` with one column ``gap_<procedure>`` per procedure,
    ``score_gap_max`` (the largest gap over procedures), ``score_gap_mean``
    (participant-weighted over all rows) and ``score_gap_n`` (participants).
    """
    z = standardised if standardised is not None else standardised_results(results)
    z = _scored(z, years, procedures, ["school_id", "procedure", "cell_mean", "pct", "participants"])
    z = z.assign(gap=z["cell_mean"] - z["pct"], w=z["participants"].astype(float))
    z = z.assign(wg=z["w"] * z["gap"])
    by_proc = z.groupby(["school_id", "procedure"], observed=True)[["wg", "w"]].sum()
    gap = (by_proc["wg"] / by_proc["w"]).unstack("procedure")
    gap.columns = [f"gap_{c}" for c in gap.columns]
    tot = z.groupby("school_id")[["wg", "w"]].sum()
    out = gap.copy()
    out["score_gap_max"] = gap.max(axis=1)
    out["score_gap_mean"] = tot["wg"] / tot["w"]
    out["score_gap_n"] = tot["w"]
    out.index.name = "school_id"
    return out


def low_results_share(
    results: pd.DataFrame,
    years: Sequence[int] | None = None,
    procedures: Sequence[str] | None = None,
    by: Sequence[str] = (),
) -> pd.DataFrame:
    """Participant-weighted share of results below the pass line (``share_low``).

    Parameters
    ----------
    by : extra grouping columns besides ``school_id`` (e.g. ``("procedure", "year")``).

    Returns
    -------
    DataFrame indexed by ``school_id`` (plus ``by``) with ``share_low`` and
    ``low_n`` (participants in rows where ``share_low`` is known). Rows without
    ``share_low`` are ignored, never counted as zero.
    """
    keys = ["school_id", *by]
    r = _scored(results, years, procedures, [*keys, "participants", "share_low"])
    r = r[r["share_low"].notna()]
    w = r["participants"].astype(float)
    frame = pd.DataFrame({**{k: r[k] for k in keys}, "w": w, "wl": w * r["share_low"].astype(float)})
    g = frame.groupby(keys, observed=True)[["w", "wl"]].sum()
    return pd.DataFrame({"share_low": g["wl"] / g["w"], "low_n": g["w"]})


def failing_counts(
    results: pd.DataFrame,
    years: Sequence[int] | None = None,
    procedures: Sequence[str] | None = ("ЕГЭ",),
    by: Sequence[str] = (),
) -> pd.DataFrame:
    """Number of failing results (``participants * share_low``) per school (and ``by``)."""
    keys = ["school_id", *by]
    r = _scored(results, years, procedures, [*keys, "participants", "share_low"])
    r = r[r["share_low"].notna()]
    frame = pd.DataFrame(
        {
            **{k: r[k] for k in keys},
            "n_failing": r["participants"].astype(float) * r["share_low"].astype(float),
            "participants": r["participants"].astype(float),
        }
    )
    return frame.groupby(keys, observed=True)[["n_failing", "participants"]].sum()


def quality_by_monitoring(
    results: pd.DataFrame,
    years: Sequence[int] | None = None,
    procedures: Sequence[str] | None = None,
) -> pd.DataFrame:
    """«Качество знаний» (share of «4» and «5») per school and monitoring (procedure x subject).

    Grades and years of the window are pooled with participant weights.

    Returns
    -------
    Tidy DataFrame with ``school_id``, ``procedure``, ``subject``, ``share_quality``,
    ``participants``.
    """
    r = _scored(
        results, years, procedures, ["school_id", "procedure", "subject", "participants", "share_quality"]
    )
    r = r[r["share_quality"].notna()]
    w = r["participants"].astype(float)
    frame = pd.DataFrame(
        {
            "school_id": r["school_id"],
            "procedure": r["procedure"],
            "subject": r["subject"],
            "w": w,
            "wq": w * r["share_quality"].astype(float),
        }
    )
    g = frame.groupby(["school_id", "procedure", "subject"], observed=True)[["w", "wq"]].sum().reset_index()
    g["share_quality"] = g["wq"] / g["w"]
    return g.rename(columns={"w": "participants"}).drop(columns="wq")


def low_quality_monitorings(
    results: pd.DataFrame,
    years: Sequence[int] | None = None,
    procedures: Sequence[str] | None = None,
    threshold: float = 0.40,
) -> pd.DataFrame:
    """Count of monitorings (procedure x subject) with «качество знаний» at or below ``threshold``.

    Returns
    -------
    DataFrame indexed by ``school_id`` with ``n_low_quality`` (count), ``n_monitorings``
    (monitorings with a known quality) and ``min_quality``.
    """
    q = quality_by_monitoring(results, years, procedures)
    q = q.assign(low=(q["share_quality"] <= threshold + 1e-12).astype(int))
    g = q.groupby("school_id").agg(
        n_low_quality=("low", "sum"), n_monitorings=("low", "size"), min_quality=("share_quality", "min")
    )
    return g


def continuing_share(outcomes: pd.DataFrame, years: Sequence[int] | None = None) -> pd.DataFrame:
    """Share of 9th-grade leavers continuing to the 10th grade, over the window.

    Years are pooled with ``graduates_9`` weights when known (plain mean otherwise).

    Returns
    -------
    DataFrame indexed by ``school_id`` with ``continuing_senior`` and ``continuing_n``
    (9th-grade leavers in the window; NaN when unknown).
    """
    o = _window(outcomes, years)
    o = o[o["share_continuing_senior"].notna()]
    if "graduates_9" in o.columns:
        w = o["graduates_9"].astype(float)
    else:
        w = pd.Series(np.nan, index=o.index)
    known_w = w.notna().groupby(o["school_id"]).transform("all")
    w = w.where(known_w, 1.0)
    frame = pd.DataFrame(
        {
            "school_id": o["school_id"],
            "w": w,
            "wc": w * o["share_continuing_senior"],
            "g9": o["graduates_9"].astype(float) if "graduates_9" in o.columns else np.nan,
        }
    )
    by = frame.groupby("school_id")
    g = by.agg(w=("w", "sum"), wc=("wc", "sum"))
    # the grouped sum with min_count (not a Python function per school): no known leavers stays unknown
    g9 = by["g9"].sum(min_count=1)
    out = pd.DataFrame({"continuing_senior": g["wc"] / g["w"].where(g["w"] > 0), "continuing_n": g9})
    return out


def olympiad_share(
    outcomes: pd.DataFrame,
    context: pd.DataFrame | None,
    years: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Olympiad participants as a share of enrolment over the window.

    ``sum(olympiad_participants) / sum(enrolment)`` over the school-years of the window
    in which both are known.

    Returns
    -------
    DataFrame indexed by ``school_id`` with ``olympiad_share`` and ``olympiad_n`` (summed enrolment).
    """
    if context is None or "enrolment" not in context.columns:
        return pd.DataFrame(columns=["olympiad_share", "olympiad_n"], index=pd.Index([], name="school_id"))
    o = _window(outcomes, years)[["school_id", "year", "olympiad_participants"]]
    c = _window(context, years)[["school_id", "year", "enrolment"]]
    m = o.merge(c, on=["school_id", "year"], how="inner")
    m = m[m["olympiad_participants"].notna() & m["enrolment"].notna() & (m["enrolment"] > 0)]
    g = m.groupby("school_id").agg(p=("olympiad_participants", "sum"), e=("enrolment", "sum"))
    return pd.DataFrame(
        {"olympiad_share": g["p"].astype(float) / g["e"].astype(float), "olympiad_n": g["e"].astype(float)}
    )


def latest_values(
    table: pd.DataFrame, columns: Sequence[str], year: int, years: Sequence[int] | None = None
) -> pd.DataFrame:
    """Per school, the latest known value of each column in a year not after ``year``.

    Parameters
    ----------
    years : the allowed years (default: every year up to ``year``).

    Returns
    -------
    DataFrame indexed by ``school_id`` with the columns (missing stays missing) and
    ``<column>_year`` is not added; values are taken column by column.
    """
    t = table[table["year"] <= year] if "year" in table.columns else table
    if years is not None and "year" in t.columns:
        t = _window(t, years)
    if "year" in t.columns:
        t = t.sort_values("year")
    cols = list(dict.fromkeys(c for c in columns if c in t.columns))
    # one grouping for every column: ``last`` skips missing values column by column, and a school
    # without any value of a column is then dropped from that column only
    last = t.groupby("school_id")[cols].last() if cols else pd.DataFrame()
    frame = pd.DataFrame({col: last[col].dropna() for col in cols})
    frame.index.name = "school_id"
    return frame


def satisfaction(outcomes: pd.DataFrame, year: int, years: Sequence[int] | None = None) -> pd.DataFrame:
    """The latest НОК satisfaction share (``satisfaction_share``) in the window, as ``satisfaction``."""
    v = latest_values(outcomes, ["satisfaction_share"], year, years)
    return v.rename(columns={"satisfaction_share": "satisfaction"})
