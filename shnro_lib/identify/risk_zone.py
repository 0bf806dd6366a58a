"""«Зона риска»: which schools are in it (one flag per reason) and, for a reader, why.

The flags decide the category; the reasons are composed from them only when the table is to be
explained (the other years of a panel and the sensitivity variants read the category alone).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from shnro_lib.identify.clauses import category_hits, group_of
from shnro_lib.identify.constants import EPS
from shnro_lib.identify.explain import _fmt
from shnro_lib.identify.risk_inputs import index_decline
from shnro_lib.identify.sources import _Ctx

Phrases = Mapping[str, Mapping[str, str]]


@dataclass(frozen=True)
class RiskFlag:
    """The schools (a boolean mask over the table's rows) one reason of «зона риска» flags, and its
    Russian wording for the school at a position, given the criteria's phrases."""

    mask: np.ndarray
    say: Callable[[int, Phrases], str]


def risk_zone_flags(
    ctx: _Ctx,
    r: dict,
    year: int,
    out: pd.DataFrame,
    evals: dict,
    one_short: dict,
    ranking: pd.Series,
    clauses: dict,
    lower_half: dict,
    listed: np.ndarray,
) -> list[RiskFlag]:
    """Every reason of «зона риска» as a flag over ``out``'s rows, in the order a reader sees them; a
    school in the upper half of the result index is flagged by none.

    ``listed``: the schools already in a category (or not assessed), whom «almost met» does not flag.
    """
    rz, ri = r["risk_zone"], r["result_index"]
    sids = out.index.tolist()
    flags: list[RiskFlag] = []
    names = [n for n in evals if f"crit_{n}" in out.columns]
    near = {n: evals[n]["near"].reindex(out.index).fillna(False).to_numpy(dtype=bool) for n in names}
    group = group_of(r)
    for cat in rz["margin_categories"]:
        # «almost met»: the category would be met if the criteria missed within their risk margin
        # counted as met — a narrow miss of one of several secondary criteria alone is no risk
        near_out = pd.DataFrame(
            {f"crit_{n}": out[f"crit_{n}"].mask(near[n], True) for n in names}, index=out.index
        )
        hit_near = category_hits(near_out, clauses[cat], group, lower_half)[0].to_numpy(dtype=bool)
        in_cat = [n for n in names if any(n in cl["criteria"] for cl in clauses[cat])]

        def almost(i: int, phrases: Phrases, cat: str = cat, in_cat: list[str] = in_cat) -> str:
            missed = [n for n in in_cat if near[n][i]]
            return f"почти выполнены условия {cat}: " + ", ".join(phrases[n][sids[i]] for n in missed)

        flags.append(RiskFlag(hit_near & ~listed, almost))
    if rz["index_drop"] is not None:
        flags.append(_decline_flag(ctx, rz, year, out.index))
    if rz["borderline"]:
        p = out["p_bottom_quartile"].tolist()
        share = f"{float(ri['bottom_share']) * 100:.0f} %"

        def borderline(i: int, phrases: Phrases) -> str:
            return f"пограничная вероятность попасть в нижние {share} ({_fmt(p[i], 'pct')})"

        flags.append(RiskFlag(out["borderline"].fillna(False).to_numpy(dtype=bool), borderline))
    for cat in rz["one_short_categories"]:
        if cat in one_short:
            text = f"до категории {cat} не хватает одного критерия"
            flags.append(RiskFlag(one_short[cat].to_numpy(dtype=bool), lambda i, phrases, t=text: t))
    upper = (ranking > ranking.median()).reindex(out.index).fillna(False).to_numpy(dtype=bool)
    return [RiskFlag(f.mask & ~upper, f.say) for f in flags]


def _decline_flag(ctx: _Ctx, rz: dict, year: int, index: pd.Index) -> RiskFlag:
    """The schools whose result index fell significantly (:func:`index_decline`)."""
    d = index_decline(ctx, year, int(rz["index_drop_years"]))
    sig = (d["drop"] <= -float(rz["index_drop"]) + EPS) & (
        d["drop"] <= -float(rz["index_drop_z"]) * d["drop_se"]
    )
    if rz["index_drop_sustained"]:
        sig &= d["sustained"].astype(bool)
    d = d[sig]
    pos = index.get_indexer(d.index)
    found = pos >= 0
    mask = np.zeros(len(index), dtype=bool)
    mask[pos[found]] = True
    facts: dict[int, tuple[Any, float, float]] = {
        int(i): (y0, drop, se)
        for i, y0, drop, se in zip(
            pos[found],
            d["from_year"].to_numpy()[found].tolist(),
            d["drop"].to_numpy()[found].tolist(),
            d["drop_se"].to_numpy()[found].tolist(),
            strict=True,
        )
    }

    def declined(i: int, phrases: Phrases) -> str:
        y0, drop, se = facts[i]
        return (
            f"индекс результатов снизился с {int(y0)} г. на "
            f"{_fmt(-drop, 'number2')} SD (значимо: ст. ошибка {_fmt(se, 'number2')})"
        )

    return RiskFlag(mask, declined)


def flagged(flags: Sequence[RiskFlag], n: int) -> np.ndarray:
    """The schools any flag marks (all ``False`` without flags)."""
    return np.logical_or.reduce([f.mask for f in flags]) if flags else np.zeros(n, dtype=bool)


def risk_zone_reasons(
    flags: Sequence[RiskFlag], sids: Sequence[str], phrases: Phrases
) -> dict[str, list[str]]:
    """``{school_id: [reason, ...]}`` in the flags' order (empty for a school no flag marks)."""
    reasons: dict[str, list[str]] = {sid: [] for sid in sids}
    for f in flags:
        for i in np.flatnonzero(f.mask):
            reasons[sids[i]].append(f.say(int(i), phrases))
    return reasons
