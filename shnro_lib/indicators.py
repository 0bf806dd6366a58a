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
    cohort_correlation: float = 0.6,
    procedure_weights: dict[str, float] | None = None,
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
    if procedure_weights:
        w = w * z["procedure"].map(lambda p: procedure_weights.get(str(p), 1.0)).astype(float)
    frame = pd.DataFrame({
        "school_id": z["school_id"], "year": z["year"], "w": w,
        "cohort": z["year"].astype("int64") - z["grade"].astype("int64"),
        "wz": w * z["z"], "wse": w * z["z_se"], "w2se2": (w * z["z_se"]) ** 2,
        "participants": z["participants"],
    })
    frame = frame[frame["w"] > 0]
    agg = frame.groupby("school_id").agg(
        wsum=("w", "sum"), wz=("wz", "sum"), w2se2=("w2se2", "sum"),
        participants=("participants", "sum"), n_rows=("w", "size"), n_years=("year", "nunique"),
    )
    by_cohort = frame.groupby(["school_id", "cohort"])["wse"].sum() ** 2
    shared = by_cohort.groupby(level="school_id").sum().reindex(agg.index)
    rho = float(np.clip(cohort_correlation, 0.0, 1.0))
    out = pd.DataFrame(index=agg.index)
    out["result_index"] = agg["wz"] / agg["wsum"]
    out["result_index_se"] = np.sqrt((1 - rho) * agg["w2se2"] + rho * shared) / agg["wsum"]
    out["participants"] = agg["participants"].astype(int)
    out["n_rows"] = agg["n_rows"].astype(int)
    out["n_years"] = agg["n_years"].astype(int)
    return out


# ---------------------------------------------------------------------------
# Further school indicators over a window of years (issue 3: identification)
# ---------------------------------------------------------------------------

def _window(df: pd.DataFrame, years: Sequence[int] | None) -> pd.DataFrame:
    if years is None:
        return df
    return df[df["year"].isin([int(y) for y in years]).fillna(False)]


def _scored(results: pd.DataFrame, years: Sequence[int] | None, procedures: Sequence[str] | None
            ) -> pd.DataFrame:
    r = _window(results, years)
    if procedures is not None:
        r = r[r["procedure"].isin(list(procedures)).fillna(False)]
    return r.loc[(r["participants"].fillna(0) > 0).to_numpy()]


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
    z = _scored(z, years, procedures)
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
    r = _scored(results, years, procedures)
    r = r[r["share_low"].notna()]
    keys = ["school_id", *by]
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
    r = _scored(results, years, procedures)
    r = r[r["share_low"].notna()]
    keys = ["school_id", *by]
    frame = pd.DataFrame({**{k: r[k] for k in keys},
                          "n_failing": r["participants"].astype(float) * r["share_low"].astype(float),
                          "participants": r["participants"].astype(float)})
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
    r = _scored(results, years, procedures)
    r = r[r["share_quality"].notna()]
    w = r["participants"].astype(float)
    frame = pd.DataFrame({"school_id": r["school_id"], "procedure": r["procedure"], "subject": r["subject"],
                          "w": w, "wq": w * r["share_quality"].astype(float)})
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
    g = q.groupby("school_id").agg(n_low_quality=("low", "sum"), n_monitorings=("low", "size"),
                                   min_quality=("share_quality", "min"))
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
    frame = pd.DataFrame({"school_id": o["school_id"], "w": w, "wc": w * o["share_continuing_senior"],
                          "g9": o["graduates_9"].astype(float) if "graduates_9" in o.columns else np.nan})
    g = frame.groupby("school_id").agg(w=("w", "sum"), wc=("wc", "sum"), g9=("g9", lambda s: s.sum(min_count=1)))
    out = pd.DataFrame({"continuing_senior": g["wc"] / g["w"].where(g["w"] > 0), "continuing_n": g["g9"]})
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
    return pd.DataFrame({"olympiad_share": g["p"].astype(float) / g["e"].astype(float),
                         "olympiad_n": g["e"].astype(float)})


def latest_values(table: pd.DataFrame, columns: Sequence[str], year: int,
                  years: Sequence[int] | None = None) -> pd.DataFrame:
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
    out = {}
    for col in columns:
        if col not in t.columns:
            continue
        s = t.loc[t[col].notna(), ["school_id", col]]
        out[col] = s.groupby("school_id")[col].last()
    frame = pd.DataFrame(out)
    frame.index.name = "school_id"
    return frame


def satisfaction(outcomes: pd.DataFrame, year: int, years: Sequence[int] | None = None) -> pd.DataFrame:
    """The latest НОК satisfaction share (``satisfaction_share``) in the window, as ``satisfaction``."""
    v = latest_values(outcomes, ["satisfaction_share"], year, years)
    return v.rename(columns={"satisfaction_share": "satisfaction"})


# ---------------------------------------------------------------------------
# Composite indices (specs in parameters/indices.yaml)
# ---------------------------------------------------------------------------

def index_inputs(tables: dict[str, pd.DataFrame], spec: dict, year: int,
                 years: Sequence[int] | None = None) -> pd.DataFrame:
    """Collect the components of a composite index for ``year`` from the canonical tables.

    Each component's value is the school's value in ``year`` or, if missing, the
    latest one in ``years`` (default: that year only). Booleans become 0/1.
    """
    yrs = list(years) if years is not None else [year]
    parts = []
    for comp in spec["components"]:
        t = tables.get(comp["table"])
        if t is None or comp["column"] not in t.columns:
            continue
        v = latest_values(t, [comp["column"]], year, yrs)
        if comp["column"] in v.columns:
            parts.append(v[comp["column"]].astype("Float64").astype(float))
    if not parts:
        return pd.DataFrame(index=pd.Index([], name="school_id", dtype="string"))
    return pd.concat(parts, axis=1)


def composite_index(frame: pd.DataFrame, spec: dict) -> pd.Series:
    """A weighted composite of standardised components (higher = more favourable).

    Parameters
    ----------
    frame : one row per school (the schools of one year), with the component columns.
    spec : ``components`` (each with ``column``, ``direction`` +1/-1, ``weight`` and an
        optional ``transform: one_minus``), ``standardise: zscore`` (across the rows of
        ``frame``) and ``min_weight_share``.

    Returns
    -------
    Series aligned with ``frame``: the weighted mean of ``direction * z`` over the observed
    components (see :func:`composite_index_table` for the coverage and the components used).
    """
    return composite_index_table(frame, spec)["value"]


def composite_index_table(frame: pd.DataFrame, spec: dict) -> pd.DataFrame:
    """A composite index with its coverage, computed from the components the data hold.

    A component the data do not have at all (no column, or no value for any school, or no
    spread) is left out of the index for every school — it is not a per-school gap.  The
    ``min_weight_share`` applies to the weight of the components present: a school gets an
    index when it has values for at least that share of it.

    Returns
    -------
    DataFrame aligned with ``frame``: ``value`` and ``coverage`` (the observed share of the
    weight of the components present).  ``attrs["used"]`` and ``attrs["absent"]`` list the
    columns used and left out (in the order of the spec).
    """
    method = spec.get("standardise")
    if method != "zscore":
        raise ValueError(f"Неизвестный метод стандартизации «{method}»: допустим только zscore")
    num = pd.Series(0.0, index=frame.index)
    den = pd.Series(0.0, index=frame.index)
    total = 0.0
    used, absent = [], []
    for comp in spec["components"]:
        col = comp["column"]
        x = (pd.to_numeric(frame[col], errors="coerce").astype(float) if col in frame.columns
             else pd.Series(np.nan, index=frame.index))
        if comp.get("transform") == "one_minus":
            x = 1.0 - x
        sd = x.std(ddof=0)
        if not np.isfinite(sd) or sd <= 1e-12:
            absent.append(col)
            continue
        wgt = float(comp["weight"])
        total += wgt
        used.append(col)
        z = (x - x.mean()) / sd * float(comp["direction"])
        num = num + z.fillna(0.0) * wgt
        den = den + z.notna().astype(float) * wgt
    coverage = den / total if total > 0 else pd.Series(np.nan, index=frame.index)
    value = (num / den.where(den > 0)).where(coverage >= float(spec["min_weight_share"]) - 1e-12)
    out = pd.DataFrame({"value": value, "coverage": coverage})
    out.attrs.update({"used": used, "absent": absent})
    return out


def index_spec_table_ru(spec: dict) -> pd.DataFrame:
    """The components of a composite index as a Russian table for reports."""
    rows = []
    for comp in spec["components"]:
        direction = int(comp["direction"])
        rows.append({
            "Показатель": comp.get("label_ru", comp["column"]),
            "Поле данных": f"{comp['table']}.{comp['column']}"
                           + (" (используется 1 − значение)" if comp.get("transform") == "one_minus" else ""),
            "Направление": "чем больше, тем благоприятнее" if direction > 0 else "чем больше, тем неблагоприятнее",
            "Вес": float(comp["weight"]),
            "Примечание": comp.get("note_ru") or "—",
        })
    return pd.DataFrame(rows)


def territory_indicators(schools: pd.DataFrame, territories: pd.DataFrame | None, spec: dict,
                         region_row: str = "__region__") -> pd.DataFrame:
    """Territory flags per school: monotown, pension-age share and unemployment vs the region.

    A school takes the row of its locality when ``territories`` has one (``municipality`` and
    ``locality`` match), otherwise its municipality's row (``locality`` empty).

    Parameters
    ----------
    spec : ``territory_flags`` of ``parameters/indices.yaml`` (``pension_ratio_factor``,
        ``unemployment_ratio_factor``).

    Returns
    -------
    DataFrame indexed by ``school_id``: ``is_monotown`` (boolean), ``pension_share``,
    ``pension_ratio`` and ``unemployment_ratio`` (to the region's row), ``high_pension`` and
    ``high_unemployment`` (booleans; NA when the values are unknown).
    """
    idx = pd.Index(schools["school_id"], name="school_id")
    out = pd.DataFrame(index=idx)
    if territories is None or territories.empty:
        for c in ["is_monotown", "high_pension", "high_unemployment"]:
            out[c] = pd.array([pd.NA] * len(out), dtype="boolean")
        for c in ["pension_share", "pension_ratio", "unemployment_ratio"]:
            out[c] = np.nan
        return out
    t = territories.copy()
    if "locality" not in t.columns:
        t["locality"] = pd.NA
    region = t[t["municipality"] == region_row]
    t = t[t["municipality"] != region_row]
    muni = t[t["locality"].isna()].drop_duplicates("municipality").set_index("municipality")
    loc = t[t["locality"].notna()].drop_duplicates(["municipality", "locality"]).set_index(
        ["municipality", "locality"])
    cols = ["is_monotown", "share_pension_age", "unemployment_rate"]
    sch = schools.set_index("school_id")
    loc_keys = list(zip(sch["municipality"], sch["locality"] if "locality" in sch.columns
                        else [pd.NA] * len(sch), strict=True))
    vals = {}
    for c in cols:
        if c not in t.columns:
            vals[c] = [pd.NA] * len(sch)
            continue
        v = []
        for (m, lc) in loc_keys:
            x = pd.NA
            if isinstance(lc, str) and (m, lc) in loc.index:
                x = loc.loc[(m, lc), c]
            if (x is pd.NA or pd.isna(x)) and m in muni.index:
                x = muni.loc[m, c]
            v.append(x)
        vals[c] = v
    out["is_monotown"] = pd.array(vals["is_monotown"], dtype="boolean")
    out["pension_share"] = pd.to_numeric(pd.Series(vals["share_pension_age"], index=idx), errors="coerce")
    unemp = pd.to_numeric(pd.Series(vals["unemployment_rate"], index=idx), errors="coerce")
    reg_p = float(region["share_pension_age"].iloc[0]) if len(region) and "share_pension_age" in region else np.nan
    reg_u = float(region["unemployment_rate"].iloc[0]) if len(region) and "unemployment_rate" in region else np.nan
    out["pension_ratio"] = out["pension_share"] / reg_p if reg_p and np.isfinite(reg_p) else np.nan
    out["unemployment_ratio"] = unemp / reg_u if reg_u and np.isfinite(reg_u) else np.nan
    pf = float(spec["pension_ratio_factor"])
    uf = float(spec["unemployment_ratio_factor"])
    out["high_pension"] = pd.array(np.where(out["pension_ratio"].isna(), None, out["pension_ratio"] >= pf - 1e-12),
                                   dtype="boolean")
    out["high_unemployment"] = pd.array(
        np.where(out["unemployment_ratio"].isna(), None, out["unemployment_ratio"] >= uf - 1e-12), dtype="boolean")
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
    b = tau2 / (tau2 + se ** 2)
    out["shrinkage_weight"] = b
    out["shrunken_index"] = mu + b * (x - mu)
    out["posterior_sd"] = np.sqrt(b * se ** 2)
    cutoff = mu + np.sqrt(tau2) * norm.ppf(bottom_share) if np.isfinite(tau2) else np.nan
    psd = out["posterior_sd"].where(out["posterior_sd"] > 0)
    out["p_bottom_quartile"] = norm.cdf((cutoff - out["shrunken_index"]) / psd)
    out["z_vs_mean"] = (x - mu) / se.where(se > 0)
    out.attrs.update({"tau2": tau2, "mu": mu, "cutoff": cutoff})
    return out
