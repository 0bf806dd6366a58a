"""Evaluating one criterion of a rule set: value, fired (nullable), near miss, cut-off."""

from __future__ import annotations

import numpy as np
import pandas as pd

from shnro_lib import indicators as ind
from shnro_lib.identify.constants import COMPARE, EPS
from shnro_lib.identify.sources import _Ctx, freeze, indicator, spec_read


def _bool_array(fired: pd.Series, evaluable: pd.Series) -> pd.Series:
    arr = pd.array(np.where(evaluable.to_numpy(), fired.to_numpy(dtype=bool), False), dtype="boolean")
    arr[~evaluable.to_numpy()] = pd.NA
    return pd.Series(arr, index=fired.index)


def _evaluate_once(ctx: _Ctx, name: str, c: dict, year: int) -> pd.DataFrame:
    """One criterion in one year: value, fired (nullable), near (risk margin), cut-off."""
    params = c["params"] or {}
    window = int(c["window"])
    f = indicator(ctx, c["indicator"], year, window, params)
    value = f["value"]
    evaluable = value.notna()
    if c["min_n"] is not None:
        evaluable &= f["n"].fillna(-np.inf) >= float(c["min_n"])
    op = c["op"]
    margin = float(c["risk_margin"] or 0)
    near = pd.Series(False, index=value.index)
    cut = np.nan
    if op == "is_true":
        fired = value.astype("boolean").fillna(False).astype(bool)
    elif op in COMPARE:
        x = pd.to_numeric(value, errors="coerce").astype(float)
        thr = float(c["threshold"])
        tol = {"<=": EPS, ">=": -EPS}.get(op, 0.0)
        fired = pd.Series(COMPARE[op](x.to_numpy(), thr + tol), index=x.index) & x.notna()
        if margin:
            shifted = thr + margin if op in ("<", "<=") else thr - margin
            near = pd.Series(COMPARE[op](x.to_numpy(), shifted + tol), index=x.index) & x.notna() & ~fired
        cut = thr
    else:
        x = pd.to_numeric(value, errors="coerce").astype(float).where(evaluable)
        share = float(c["threshold"])
        n_eval = int(x.notna().sum())
        if op == "bottom_share":
            pr = x.rank(method="min") / max(n_eval, 1)
        elif op == "top_share":
            pr = (-x).rank(method="min") / max(n_eval, 1)
        else:  # top_cumulative_share: the smallest set of largest values holding > share of the total
            s = x.dropna().sort_values(ascending=False)
            before = s.cumsum() - s
            total = float(s.sum())
            member = before < share * total - EPS if total > 0 else before < -1
            pr = pd.Series(np.where(member.reindex(x.index).fillna(False), 0.0, 1.0), index=x.index)
            share = 0.5
        fired = (pr <= share + EPS).fillna(False)
        if margin and op != "top_cumulative_share":
            near = (pr <= share + margin + EPS).fillna(False) & ~fired
        if op in ("bottom_share", "top_share") and fired.any():
            cut = float(x[fired].max() if op == "bottom_share" else x[fired].min())
    if c["indicator"] == "result_index":
        ri = ctx.rules["result_index"]
        if ri["method"] == "significant_and_bottom":
            zc = float(ri["significance_z"])
            fired = fired & (f["z_vs_mean"] <= -zc).fillna(False)
    out = pd.DataFrame({"value": value, "fired": _bool_array(fired, evaluable), "near": near & evaluable})
    if "shown" in f.columns:
        out["shown"] = f["shown"]
    out.attrs["cut"] = cut
    out.attrs["n_evaluable"] = int(evaluable.sum())
    return out


def criterion_key(ctx: _Ctx, c: dict) -> tuple:
    """What the evaluation of criterion ``c`` reads besides the data set and the year: the criterion
    itself and what its indicator reads of the rule set or the index spec (for the result index
    the ``result_index`` section, its method included)."""
    return (freeze(c), spec_read(ctx, c["indicator"]))


def evaluate_criterion(ctx: _Ctx, name: str, year: int) -> pd.DataFrame:
    """A criterion with its «k of n years» persistence, if any (once per criterion and year for the
    identifications sharing ``ctx.memo``; the frame is shared: callers must not modify it)."""
    c = ctx.rules["criteria"][name]
    return ctx.memoised(
        ("criterion", *criterion_key(ctx, c), int(year)), lambda: _evaluate_persistent(ctx, name, c, year)
    )


def _once(ctx: _Ctx, name: str, c: dict, year: int) -> pd.DataFrame:
    """:func:`_evaluate_once`, once per criterion and year (the persistence of later years reads it again)."""
    key = ("criterion once", *criterion_key(ctx, c), int(year))
    return ctx.memoised(key, lambda: _evaluate_once(ctx, name, c, year))


def _evaluate_persistent(ctx: _Ctx, name: str, c: dict, year: int) -> pd.DataFrame:
    pers = c["persistence"]
    now = _once(ctx, name, c, year)
    if not pers:
        return now
    yrs = ind.window_years(ctx.data_years, year, int(pers["n"]))
    hits = pd.Series(0, index=now.index)
    unknown = pd.Series(0, index=now.index)
    for y in yrs:
        e = now if y == year else _once(ctx, name, c, y)
        hits += e["fired"].fillna(False).astype(int)
        unknown += e["fired"].isna().astype(int)
    k = int(pers["k"])
    fired = hits >= k
    evaluable = fired | (hits + unknown < k)
    out = now.copy()
    out["fired"] = _bool_array(fired, evaluable)
    out["near"] = (hits == k - 1) & ~fired
    out["years_fired"] = hits
    return out
