"""What «зона риска» reads besides the criteria: the decline of the result index over the years
and the schools' latest risk profiles."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from shnro_lib import indicators as ind
from shnro_lib.identify.sources import _Ctx, freeze, result_procedures


def index_decline(ctx: _Ctx, year: int, years_back: int) -> pd.DataFrame:
    """The yearly result index of ``year`` minus that of ``year - years_back`` (or the nearest
    earlier data year at least that far back), with the standard error of the difference.

    Returns
    -------
    DataFrame indexed by ``school_id``: ``drop`` (negative = decline), ``drop_se``, ``from_year``,
    ``sustained`` (the yearly index fell in every year of the span).  Computed once per year, span
    and the result index's procedures and their weights (all it reads of the rule set) for the
    identifications sharing ``ctx.memo``; the frame is shared: callers must not modify it.
    """
    ri = ctx.rules["result_index"]
    key = (
        "index_decline",
        int(year),
        int(years_back),
        freeze(ri["procedures"]),
        freeze(ri["procedure_weights"]),
    )
    return ctx.memoised(key, lambda: _index_decline(ctx, year, years_back))


def _index_decline(ctx: _Ctx, year: int, years_back: int) -> pd.DataFrame:
    earlier = [y for y in ctx.data_years if y <= year - years_back]
    if not earlier:
        return pd.DataFrame(columns=["drop", "drop_se", "from_year", "sustained"])
    y0 = max(earlier)
    procs, pw = result_procedures(ctx), ctx.rules["result_index"]["procedure_weights"]
    steps = [y for y in ctx.data_years if y0 <= y <= year]
    span = [y0, *steps[1:-1], year]
    # every year's index of the span in one grouping; a year without rows has no schools
    by_year = ind.school_result_index(
        ctx.ds.results, years=span, procedures=procs, procedure_weights=pw, by_year=True, sums=ctx.result_sums
    )
    held = set(by_year.index.get_level_values("year"))
    empty = by_year.iloc[:0].droplevel("year")

    def of(y: int) -> pd.DataFrame:
        return by_year.xs(y, level="year") if y in held else empty

    first, last = of(y0), of(year)
    out = pd.DataFrame(
        {
            "drop": last["result_index"] - first["result_index"],
            "drop_se": np.sqrt(last["result_index_se"] ** 2 + first["result_index_se"] ** 2),
        }
    )
    out["from_year"] = y0
    # a decline «over the years» falls in every step: a school whose index fell and half recovered
    # (or rose and fell back) is noise around its level, not a trend
    yearly = [of(y)["result_index"] for y in span]
    sustained = pd.Series(True, index=out.index)
    for prev, cur in zip(yearly[:-1], yearly[1:], strict=True):
        sustained &= (cur.reindex(out.index) < prev.reindex(out.index)).fillna(False)
    out["sustained"] = sustained
    return out.dropna(subset=["drop"])


def risk_profiles(ds: Any, year: int, levels: dict) -> pd.DataFrame:
    """Each school's high and medium risks of its latest risk profile up to ``year`` (``levels``:
    the rule set's numeric cut-offs of «высокий» and «средний»): ``risks_high``, ``risks_medium``."""
    rp = ds.get("risk_profile")
    if rp is None or rp.empty:
        return pd.DataFrame(columns=["risks_high", "risks_medium"])
    rp = rp[rp["year"] <= year]
    if rp.empty:
        return pd.DataFrame(columns=["risks_high", "risks_medium"])
    last = rp.groupby("school_id")["year"].transform("max")
    rp = rp[rp["year"] == last]

    def level(v: Any) -> str:
        s = str(v).strip().lower()
        try:
            x = float(s.replace(",", "."))
        except ValueError:
            return s
        return "высокий" if x >= levels["high"] else "средний" if x >= levels["medium"] else "низкий"

    rp = rp.assign(lv=rp["level"].map(level))
    high = rp[rp["lv"] == "высокий"].groupby("school_id")["risk"].agg(lambda s: "; ".join(sorted(s)))
    med = rp[rp["lv"] == "средний"].groupby("school_id")["risk"].agg(lambda s: "; ".join(sorted(s)))
    return pd.DataFrame({"risks_high": high, "risks_medium": med})
