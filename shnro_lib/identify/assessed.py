"""What an identification could assess: each criterion's coverage of the schools and the
categories that could not be decided for most of them."""

from __future__ import annotations

from typing import Any

import pandas as pd

from shnro_lib.identify.constants import EPS
from shnro_lib.identify.criteria import criterion_key
from shnro_lib.identify.sources import _Ctx


def coverage_table(ctx: _Ctx, evals: dict, absent: dict[str, str], year: int) -> pd.DataFrame:
    """Per criterion of the rule set: schools assessed, not assessable and why, schools where it fired
    (``attrs["coverage"]`` of an identification).  A criterion's row is made once per evaluation for
    the identifications sharing ``ctx.memo`` (it reads the criterion and its evaluation only)."""
    r = ctx.rules
    n_schools = len(ctx.school_ids())
    rows = []
    for name, c in r["criteria"].items():
        if name in absent:
            # a criterion nobody can check is not «met by 0 schools»
            rows.append(
                {
                    "criterion": name,
                    "title": c["title_ru"],
                    "assessed": 0,
                    "not_assessable": n_schools,
                    "fired": f"не оценено: {absent[name]}",
                    "why": absent[name],
                }
            )
            continue
        key = ("coverage", name, *criterion_key(ctx, c), int(year))
        rows.append(ctx.memoised(key, lambda name=name, c=c: _coverage_row(name, c, evals[name])))
    return pd.DataFrame(rows)


def _coverage_row(name: str, c: dict, e: pd.DataFrame) -> dict[str, Any]:
    """One criterion's row of :func:`coverage_table` from its evaluation ``e``."""
    na = e["fired"].isna()
    no_value = na & e["value"].isna()
    small = na & e["value"].notna()
    why = [f"нет значения у школы — {int(no_value.sum())}"] if no_value.any() else []
    if small.any():
        why.append(f"мала группа (менее {c['min_n']:g}) или данных не за все годы — {int(small.sum())}")
    return {
        "criterion": name,
        "title": c["title_ru"],
        "assessed": int((~na).sum()),
        "not_assessable": int(na.sum()),
        "fired": int(e["fired"].fillna(False).astype(bool).sum()),
        "why": "; ".join(why) or "—",
    }


def unassessed_categories(
    r: dict, undecided: dict[str, pd.Series], clauses: dict, absent: dict[str, str]
) -> dict[str, str]:
    """{category: reason} for the categories that could not be decided for most schools."""
    out = {}
    for cat, und in undecided.items():
        share = float(und.mean()) if len(und) else 1.0
        if share > 1 - float(r["coverage_min_share"]) + EPS:
            crit = sorted(
                {c for cl in r["categories"][cat]["any_of"] for c in cl["criteria"]},
                key=list(r["criteria"]).index,
            )
            why = list(dict.fromkeys(absent[c] for c in crit if c in absent))  # each missing source once
            if not clauses[cat]:
                reason = "ни одно условие не проверяется: " + "; ".join(why)
            else:
                reason = f"для {share * 100:.0f} % школ нет данных для проверки условий" + (
                    f" ({'; '.join(why)})" if why else ""
                )
            out[cat] = reason
    return out
