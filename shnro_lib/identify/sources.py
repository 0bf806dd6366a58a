"""The school indicators behind the criteria, one function per ``indicator`` name of a rule file."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from shnro_lib import indicators as ind
from shnro_lib.identify.constants import EPS, INDEX_NAMES


@dataclass
class _Ctx:
    """Per-call context: the data set, rules, indices spec, the standardised results and a memo.

    ``standardised`` may be handed in (:func:`shnro_lib.indicators.standardised_results` of the
    data set's results): it depends on the data only, so several identifications share it.
    ``memo`` may be handed in too: a dict shared by several identifications of one data set (the
    years of a panel, the sensitivity variants, other rule sets), holding each indicator once per
    everything it reads (:func:`indicator`); without one, a dict of this call alone is used.
    """

    ds: Any
    rules: dict
    indices: Any  # identify.models.IndicesSettings (not imported: models imports this module)
    standardised: pd.DataFrame | None = None
    memo: dict | None = None

    def __post_init__(self) -> None:
        if self.memo is None:
            self.memo = {}
        # a memo belongs to one data set: its frames are that data set's
        owner = self.memo.setdefault(_DATA_SET, self.ds)
        if owner is not self.ds:
            raise ValueError("an identification memo is shared by the identifications of one data set only")

    def memoised(self, key: tuple, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per ``key`` across the identifications sharing :attr:`memo`.

        ``key`` must hold everything the value reads besides the data set (years, window,
        parameters, the parts of the rule set and index spec it uses).
        """
        memo = self.memo
        if key not in memo:
            memo[key] = compute()
        return memo[key]

    @property
    def std(self) -> pd.DataFrame:
        if self.standardised is None:
            self.standardised = self.memoised(
                ("standardised",), lambda: standardised_for_identification(self.ds.results)
            )
        return self.standardised

    @property
    def result_sums(self) -> ind.ResultSums:
        """The standardised results summed once for every result index of the data set."""
        return self.memoised(("result_sums",), lambda: ind.result_sums(self.std))

    @property
    def data_years(self) -> list[int]:
        """The data set's years (read from the results once, not per indicator)."""
        return self.memoised(("data_years",), lambda: list(self.ds.years))

    def years(self, year: int, window: int) -> list[int]:
        return ind.window_years(self.data_years, year, window)

    def school_ids(self) -> pd.Index:
        return self.memoised(
            ("school_ids",), lambda: pd.Index(self.ds.schools["school_id"], name="school_id")
        )


_DATA_SET = ("data set",)

# the columns of the results that the standardised results are made from and that the
# identification reads of them (the result index, the score gap)
STANDARDISED_INPUTS = (
    "school_id",
    "procedure",
    "subject",
    "grade",
    "year",
    "participants",
    "mean_score",
    "min_score",
    "max_score",
)


def standardised_for_identification(results: pd.DataFrame) -> pd.DataFrame:
    """:func:`shnro_lib.indicators.standardised_results` of the results' columns the identification
    uses (:data:`STANDARDISED_INPUTS`): the same values in those columns, without a copy of the
    results' other columns.

    Parameters
    ----------
    results : the data set's canonical ``results`` table.

    Returns
    -------
    DataFrame
        The standardised rows with ``pct``, ``weight``, ``cell_mean``, ``cell_sd``, ``z``,
        ``student_sd_pct`` and ``z_se`` beside the input columns present.
    """
    return ind.standardised_results(results[[c for c in STANDARDISED_INPUTS if c in results.columns]])


def freeze(obj: Any) -> str:
    """A canonical text of a (nested) rule or spec value, so that equal choices give equal keys
    (a settings model by its values: the memo's keys are the one place it is dumped)."""
    if isinstance(obj, BaseModel):
        obj = obj.model_dump()
    return json.dumps(obj, sort_keys=True, default=repr, ensure_ascii=False)


def spec_read(ctx: _Ctx, name: str) -> str:
    """The part of the rule set or the index spec that indicator ``name`` reads, as a key."""
    if name == "result_index":
        return freeze(ctx.rules["result_index"])
    if name in INDEX_NAMES:
        return freeze(getattr(ctx.indices, name))
    if name in TERRITORY_INDICATORS:
        return freeze(ctx.indices.territory_flags)
    return ""


def indicator(ctx: _Ctx, name: str, year: int, window: int, params: dict) -> pd.DataFrame:
    """``INDICATORS[name]`` of ``year`` over ``window`` years, computed once for every identification
    sharing ``ctx.memo``.

    An indicator reads the data set, its ``params``, and (the result index) the rule set's
    ``result_index`` section or (a composite index, a territory flag) its part of the index spec:
    all of them are in the key, so a shared memo gives what a separate call would.  The frame
    returned is shared: callers must not modify it.
    """
    key = ("indicator", name, int(year), int(window), freeze(params or {}), spec_read(ctx, name))
    return ctx.memoised(key, lambda: INDICATORS[name](ctx, year, window, params))


def _frame(values: pd.Series | pd.DataFrame, ctx: _Ctx, n: pd.Series | None = None) -> pd.DataFrame:
    out = pd.DataFrame(index=ctx.school_ids())
    out["value"] = values.reindex(out.index) if isinstance(values, pd.Series) else values
    out["n"] = n.reindex(out.index) if n is not None else np.nan
    return out


def result_procedures(ctx: _Ctx) -> list[str] | None:
    """The procedures of the result index: the rule set's list restricted to those the data hold
    (``None``: every procedure in the data)."""
    wanted = ctx.rules["result_index"]["procedures"]
    if wanted is None:
        return None
    held = ctx.memoised(("held_procedures",), lambda: held_procedures(ctx.ds))
    return [p for p in wanted if p in held]


def held_procedures(ds: Any) -> set[str]:
    """The procedures the data set's results hold."""
    # the distinct values first: a set over the whole column iterates every arrow string row by row
    return {str(p) for p in ds.results["procedure"].dropna().unique()}


def _result_index(ctx: _Ctx, year: int, window: int, params: dict) -> pd.DataFrame:
    ri = ctx.rules["result_index"]
    yrs = ctx.years(year, window)
    weights = None
    if ri["year_weights"]:
        yw = list(ri["year_weights"])
        weights = {y: float(yw[i]) if i < len(yw) else 0.0 for i, y in enumerate(sorted(yrs, reverse=True))}
    idx = ind.school_result_index(
        ctx.ds.results,
        years=yrs,
        procedures=result_procedures(ctx),
        year_weights=weights,
        procedure_weights=ri["procedure_weights"],
        sums=ctx.result_sums,
    )
    n_years = max(len(yrs), 1)
    # without counts (a source that does not publish them) the small-school floor cannot be applied
    idx = idx[
        (idx["participants"].astype(float) / n_years >= float(ri["min_participants"]))
        | idx["participants"].isna()
    ]
    sh = ind.shrink_index(idx, bottom_share=float(ri["bottom_share"]))
    value = sh["shrunken_index"] if ri["method"] == "shrunken" else sh["result_index"]
    # without participant counts the index has no SE and cannot be shrunk: the index itself is used
    # (classify notes it once)
    value = value.where(sh["result_index_se"].notna(), sh["result_index"])
    out = _frame(value, ctx, sh["participants"].astype(float))
    for c in ("result_index", "result_index_se", "shrunken_index", "p_bottom_quartile", "z_vs_mean"):
        out[c] = sh[c].reindex(out.index)
    out.attrs.update(sh.attrs)
    out.attrs["years"] = yrs
    return out


def _continuing(ctx: _Ctx, year: int, window: int, params: dict) -> pd.DataFrame:
    o = ctx.ds.get("outcomes")
    if o is None:
        return _frame(pd.Series(dtype=float), ctx)
    c = ind.continuing_share(o, ctx.years(year, window))
    return _frame(c["continuing_senior"], ctx, c["continuing_n"])


def _gap(ctx: _Ctx, year: int, window: int, params: dict) -> pd.DataFrame:
    g = ind.score_gap(ctx.ds.results, ctx.years(year, window), params.get("procedures"), standardised=ctx.std)
    return _frame(g["score_gap_max"], ctx, g["score_gap_n"])


def _olympiad(ctx: _Ctx, year: int, window: int, params: dict) -> pd.DataFrame:
    o = ctx.ds.get("outcomes")
    if o is None:
        return _frame(pd.Series(dtype=float), ctx)
    s = ind.olympiad_share(o, ctx.ds.get("context"), ctx.years(year, window))
    return _frame(s["olympiad_share"], ctx, s["olympiad_n"])


def _satisfaction(ctx: _Ctx, year: int, window: int, params: dict) -> pd.DataFrame:
    o = ctx.ds.get("outcomes")
    if o is None:
        return _frame(pd.Series(dtype=float), ctx)
    s = ind.satisfaction(o, year, ctx.years(year, window))
    return _frame(s.get("satisfaction", pd.Series(dtype=float)), ctx)


def _low_quality(ctx: _Ctx, year: int, window: int, params: dict) -> pd.DataFrame:
    q = ind.low_quality_monitorings(
        ctx.ds.results, ctx.years(year, window), params.get("procedures"), float(params["quality_threshold"])
    )
    return _frame(q["n_low_quality"].astype(float), ctx, q["n_monitorings"].astype(float))


def _composite(name: str) -> Callable[[_Ctx, int, int, dict], pd.DataFrame]:
    def fn(ctx: _Ctx, year: int, window: int, params: dict) -> pd.DataFrame:
        # the indicators layer reads a plain spec (it sits below the settings models)
        spec = getattr(ctx.indices, name).model_dump()
        data = ind.index_inputs(ctx.ds.tables, spec, year, ctx.years(year, window) or [year])
        t = ind.composite_index_table(data, spec)
        out = _frame(t["value"], ctx)
        out["coverage"] = t["coverage"].reindex(out.index)
        out.attrs.update(t.attrs)
        return out

    return fn


def _resource_flag(column: str) -> Callable[[_Ctx, int, int, dict], pd.DataFrame]:
    def fn(ctx: _Ctx, year: int, window: int, params: dict) -> pd.DataFrame:
        r = ctx.ds.get("resources")
        if r is None or column not in r.columns:
            return _frame(pd.Series(dtype="boolean"), ctx)
        v = ind.latest_values(r, [column], year, ctx.years(year, window))
        return _frame(v[column].astype("boolean") if column in v else pd.Series(dtype="boolean"), ctx)

    return fn


def _territory(column: str, shown: str | None) -> Callable[[_Ctx, int, int, dict], pd.DataFrame]:
    def fn(ctx: _Ctx, year: int, window: int, params: dict) -> pd.DataFrame:
        flags = ctx.indices.territory_flags.model_dump()
        t = ctx.memoised(
            ("territory", freeze(flags)),
            lambda: ind.territory_indicators(ctx.ds.schools, ctx.ds.get("territories"), flags),
        )
        out = _frame(t[column], ctx)
        if shown:
            out["shown"] = t[shown].reindex(out.index)
        return out

    return fn


def _procedure_low_shares(ctx: _Ctx, params: dict) -> pd.DataFrame:
    procs = params.get("procedures")
    return ctx.memoised(
        ("proc_low", freeze(procs)),
        lambda: ind.low_results_share(ctx.ds.results, None, procs, by=("procedure", "year")),
    )


def _n_procedures_low(ctx: _Ctx, year: int, window: int, params: dict) -> pd.DataFrame:
    s = _procedure_low_shares(ctx, params).reset_index()
    s = s[s["year"] == year]
    thr = float(params["share_threshold"])
    s = s.assign(low=(s["share_low"] >= thr - EPS).astype(float))
    g = s.groupby("school_id").agg(v=("low", "sum"), n=("low", "size"))
    return _frame(g["v"], ctx, g["n"].astype(float))


def _consecutive_low(ctx: _Ctx, year: int, window: int, params: dict) -> pd.DataFrame:
    """Longest run of consecutive data years ending in ``year`` with a procedure's share ≥ threshold."""
    s = _procedure_low_shares(ctx, params).reset_index()
    thr = float(params["share_threshold"])
    yrs = sorted(ctx.years(year, window), reverse=True)
    s = s[s["year"].isin(yrs)]
    wide = s.pivot_table(
        index=["school_id", "procedure"], columns="year", values="share_low", aggfunc="first"
    )
    run = pd.Series(0.0, index=wide.index)
    alive = pd.Series(True, index=wide.index)
    for y in yrs:
        col = wide[y] if y in wide.columns else pd.Series(np.nan, index=wide.index)
        hit = (col >= thr - EPS).fillna(False) & alive
        run = run + hit.astype(float)
        alive = hit
    has_now = wide[year].notna() if year in wide.columns else pd.Series(False, index=wide.index)
    run = run.where(has_now)
    best = run.groupby(level="school_id").max()
    return _frame(best, ctx)


def _failing_count(ctx: _Ctx, year: int, window: int, params: dict) -> pd.DataFrame:
    f = ind.failing_counts(ctx.ds.results, ctx.years(year, window), params["procedures"])
    return _frame(f["n_failing"], ctx, f["participants"])


def _fail_ru_math_years(ctx: _Ctx, year: int, window: int, params: dict) -> pd.DataFrame:
    yrs = ctx.years(year, window)
    f = ind.failing_counts(ctx.ds.results, yrs, ["ЕГЭ"], by=("subject", "year")).reset_index()
    ru = set(params["russian"])
    ma = set(params["math"])
    f["kind"] = np.where(f["subject"].isin(ru), "ru", np.where(f["subject"].isin(ma), "math", ""))
    f = f[f["kind"] != ""]
    g = f.groupby(["school_id", "year", "kind"])["n_failing"].sum().unstack("kind")
    for k in ("ru", "math"):
        if k not in g.columns:
            g[k] = np.nan
    both = ((g["ru"] > EPS) & (g["math"] > EPS)).astype(float)
    observed = g["ru"].notna() & g["math"].notna()
    per = pd.DataFrame({"both": both.where(observed), "obs": observed.astype(float)})
    agg = per.groupby(level="school_id").agg(v=("both", "sum"), obs=("obs", "sum"))
    # a school must be observed in every year of the window, otherwise the count is not evaluable
    value = agg["v"].where(agg["obs"] >= len(yrs))
    return _frame(value, ctx, agg["obs"])


INDICATORS: dict[str, Callable[[_Ctx, int, int, dict], pd.DataFrame]] = {
    "result_index": _result_index,
    "continuing_senior": _continuing,
    "score_gap": _gap,
    "olympiad_share": _olympiad,
    "satisfaction": _satisfaction,
    "low_quality_monitorings": _low_quality,
    **{name: _composite(name) for name in INDEX_NAMES},
    "in_renovation_plan": _resource_flag("in_renovation_plan"),
    "in_construction_plan": _resource_flag("in_construction_plan"),
    "is_monotown": _territory("is_monotown", None),
    "high_pension": _territory("high_pension", "pension_ratio"),
    "high_unemployment": _territory("high_unemployment", "unemployment_ratio"),
    "n_procedures_low_share": _n_procedures_low,
    "consecutive_low_years": _consecutive_low,
    "failing_ege_count": _failing_count,
    "fail_ru_math_years": _fail_ru_math_years,
}


# the indicators that read the index spec's territory flags
TERRITORY_INDICATORS = ("is_monotown", "high_pension", "high_unemployment")

# ---------------------------------------------------------------------------
# What the data hold: a criterion whose source is absent from the data set is
# dropped for every school with one note, never counted as a per-school gap.
# ---------------------------------------------------------------------------

TABLE_RU = {
    "results": "результаты",
    "outcomes": "итоги обучения",
    "context": "контекст",
    "staff": "кадры",
    "resources": "ресурсы",
    "territories": "территории",
}

# indicator -> the (table, column) pairs it needs, every one of them
NEEDS: dict[str, list[tuple[str, str]]] = {
    "result_index": [("results", "mean_score")],
    "continuing_senior": [("outcomes", "share_continuing_senior")],
    "score_gap": [("results", "mean_score")],
    "olympiad_share": [("outcomes", "olympiad_participants"), ("context", "enrolment")],
    "satisfaction": [("outcomes", "satisfaction_share")],
    "low_quality_monitorings": [("results", "share_quality")],
    "in_renovation_plan": [("resources", "in_renovation_plan")],
    "in_construction_plan": [("resources", "in_construction_plan")],
    "is_monotown": [("territories", "is_monotown")],
    "high_pension": [("territories", "share_pension_age")],
    "high_unemployment": [("territories", "unemployment_rate")],
    "n_procedures_low_share": [("results", "share_low")],
    "consecutive_low_years": [("results", "share_low")],
    "failing_ege_count": [("results", "share_low")],
    "fail_ru_math_years": [("results", "share_low")],
}


def column_present(ds: Any, table: str, column: str) -> bool:
    """The data set has the table, the column and at least one value in it."""
    t = ds.get(table)
    return t is not None and column in t.columns and bool(t[column].notna().any())


def absent_reason(ctx: _Ctx, indicator: str, params: dict) -> str | None:
    """Why an indicator cannot be computed for any school of this data set (``None``: it can)."""
    if indicator in INDEX_NAMES:
        spec = getattr(ctx.indices, indicator)
        if not any(column_present(ctx.ds, c.table, c.column) for c in spec.components):
            return f"в данных нет показателей индекса «{spec.title_ru}»"
        return None
    for table, column in NEEDS.get(indicator, []):
        if ctx.ds.get(table) is None:
            return f"в данных нет таблицы «{TABLE_RU.get(table, table)}» ({table})"
        if not column_present(ctx.ds, table, column):
            return f"в данных нет поля {table}.{column}"
    procs = (
        ctx.rules["result_index"]["procedures"]
        if indicator == "result_index"
        else params.get("procedures")
        if indicator in NEEDS and NEEDS[indicator][0][0] == "results"
        else None
    )
    if procs:
        held = ctx.memoised(("held_procedures",), lambda: held_procedures(ctx.ds))
        if not held & set(procs):
            return f"в данных нет процедур {', '.join(procs)} (есть: {', '.join(sorted(held)) or '—'})"
    return None
