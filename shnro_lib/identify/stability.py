"""Stability of the list over years: flip rate and a «k of n years» persistence rule.

A *panel* is one row per school and year with ``school_id``, ``year`` and ``category`` (the
output of :func:`identification_panel`, which monitoring reads too).
«Listed» means ШНРО, ШНСУ or both; «зона риска» is not listed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from shnro_lib.identify.classify import LISTED, identify_schools
from shnro_lib.identify.rules import load_rules


def identification_panel(
    ds: Any,
    years: Sequence[int] | None = None,
    rules: str | Path | Mapping = "lo_2018",
    override: Mapping[str, Any] | None = None,
    runs: Mapping[int, pd.DataFrame] | None = None,
    standardised: pd.DataFrame | None = None,
    memo: dict | None = None,
) -> pd.DataFrame:
    """:func:`identify_schools` for every year: the school × year categories.

    Parameters
    ----------
    ds : the loaded data set.
    years : the years (default: every data year), returned in ascending order.
    rules : a rule set's name, path or loaded dict.
    override : a user's ``criteria`` (merged over the rule set) and ``indices`` sections.
    runs : year -> identification table already computed with the same rules and override; those
        years are reused as they are, the others are identified here.
    standardised : :func:`shnro_lib.indicators.standardised_results` of ``ds.results``, shared by
        the years identified here (computed once otherwise).
    memo : the identification memo of :func:`identify_schools`, shared by the years identified
        here (a criterion's «k of n years» persistence reads the earlier years again).

    Returns
    -------
    DataFrame
        ``school_id, year`` (``Int64``), ``municipality, category``, and where the identification
        has them ``ident_index_known`` (the school had a result index: without one its «нет» for
        ШНРО is not a finding) and ``unassessed_categories``.
    """
    r = load_rules(rules, (override or {}).get("criteria"))
    indices = {"indices": (override or {}).get("indices")}
    memo = memo if memo is not None else {}
    parts = []
    for y in sorted(int(v) for v in (years if years is not None else ds.years)):
        t = (
            runs[y]
            if runs is not None and y in runs
            else identify_schools(
                ds, y, r, override=indices, standardised=standardised, memo=memo, explain=False
            )
        )
        part = pd.DataFrame(
            {
                "school_id": t["school_id"].astype("string"),
                "year": y,
                "municipality": t["municipality"].astype("string"),
                "category": t["category"].astype("string"),
            }
        )
        if "result_index" in t.columns:
            part["ident_index_known"] = t["result_index"].notna().to_numpy()
        if "unassessed_categories" in t.columns:
            part["unassessed_categories"] = t["unassessed_categories"].astype("string").to_numpy()
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out["year"] = out["year"].astype("Int64")
    return out


def _listed_wide(panel: pd.DataFrame, categories: Sequence[str]) -> pd.DataFrame:
    p = panel.assign(
        listed=panel["category"].isin(list(categories)).astype(int),
        year=panel["year"].astype(int),
        school_id=panel["school_id"].astype("string"),
    )
    return p.pivot_table(index="school_id", columns="year", values="listed", aggfunc="max").sort_index()


def flip_rate(panel: pd.DataFrame, categories: Sequence[str] = LISTED) -> pd.DataFrame:
    """Year-to-year turnover of the list and the share of schools that leave and re-enter it.

    Returns
    -------
    DataFrame, one row per year after the first plus a row «все годы» (year ``NA``): ``year``,
    ``listed`` (schools listed that year), ``entered``, ``left``, ``turnover`` ((entered + left) /
    schools listed in either year), ``reentered`` (entered this year after having been listed in an
    earlier year) and, in the last row, ``flip_rate``: the share of schools ever listed that left
    the list and came back (listed → not listed → listed) over the panel's years.
    """
    w = _listed_wide(panel, categories)
    years = list(w.columns)
    rows = []
    for a, b in zip(years, years[1:], strict=False):
        both = w[[a, b]].dropna()
        ent = int(((both[a] == 0) & (both[b] == 1)).sum())
        left = int(((both[a] == 1) & (both[b] == 0)).sum())
        union = int(((both[a] == 1) | (both[b] == 1)).sum())
        earlier = w[[y for y in years if y < a]].fillna(0).max(axis=1) if years.index(a) > 0 else 0
        re = int(
            (
                (both[a] == 0) & (both[b] == 1) & (pd.Series(earlier, index=w.index).reindex(both.index) == 1)
            ).sum()
        )
        rows.append(
            {
                "year": b,
                "listed": int((both[b] == 1).sum()),
                "entered": ent,
                "left": left,
                "turnover": (ent + left) / union if union else float("nan"),
                "reentered": re,
                "flip_rate": float("nan"),
            }
        )
    ever = w.fillna(0).max(axis=1) == 1
    flips = 0
    for _, row in w[ever].iterrows():
        seq = [int(v) for v in row.dropna()]
        first = seq.index(1)
        tail = seq[first:]
        if 0 in tail and 1 in tail[tail.index(0) :]:
            flips += 1
    total_turn = [r["turnover"] for r in rows]
    rows.append(
        {
            "year": pd.NA,
            "listed": int(ever.sum()),
            "entered": sum(r["entered"] for r in rows),
            "left": sum(r["left"] for r in rows),
            "turnover": float(pd.Series(total_turn).mean()) if total_turn else float("nan"),
            "reentered": sum(r["reentered"] for r in rows),
            "flip_rate": flips / int(ever.sum()) if ever.any() else float("nan"),
        }
    )
    out = pd.DataFrame(rows)
    out["year"] = out["year"].astype("Int64")
    return out


def persistent_panel(panel: pd.DataFrame, k: int, n: int, categories: Sequence[str] = LISTED) -> pd.DataFrame:
    """Apply a «k of n years» rule: a school is listed in a year when it was flagged in at least ``k``
    of the last ``n`` data years (fewer years at the start of the data: at least ``min(k, years)``).

    Returns
    -------
    The panel with ``category`` replaced: ``listed`` for persistent schools, ``нет`` otherwise, and
    the raw category kept as ``category_raw``.
    """
    if not 1 <= k <= n:
        raise ValueError("Правило устойчивости: нужно 1 ≤ k ≤ n")
    w = _listed_wide(panel, categories)
    years = list(w.columns)
    keep = {}
    for i, y in enumerate(years):
        span = years[max(0, i - n + 1) : i + 1]
        need = min(k, len(span))
        keep[y] = w[span].fillna(0).sum(axis=1) >= need
    flags = pd.DataFrame(keep).stack().rename("persistent").reset_index()
    flags.columns = ["school_id", "year", "persistent"]
    out = panel.assign(year=panel["year"].astype(int), school_id=panel["school_id"].astype("string"))
    out = out.merge(flags, on=["school_id", "year"], how="left")
    out["category_raw"] = out["category"]
    out["category"] = pd.Series(
        out["persistent"].fillna(False).map({True: "listed", False: "нет"}), dtype="string"
    )
    return out.drop(columns="persistent")


def persistence_tradeoff(
    panel: pd.DataFrame,
    truth_low: pd.Series | None,
    year: int,
    rules: Sequence[tuple[int, int]] = ((1, 1), (2, 3), (2, 2), (3, 3)),
    categories: Sequence[str] = LISTED,
) -> pd.DataFrame:
    """Flip rate and recall under each «k of n» rule (``(1, 1)``: no persistence).

    Parameters
    ----------
    truth_low : optional boolean Series by ``school_id`` (the schools that truly belong to the list,
        e.g. a benchmark's planted truth); without it the recall columns are «—».
    year : the year whose list is scored against ``truth_low``.

    Returns
    -------
    DataFrame: ``rule`` («k из n лет»), ``listed`` (in ``year``), ``flip_rate``, ``mean_turnover``,
    ``recall`` and ``precision`` against ``truth_low``.
    """
    rows = []
    for k, n in rules:
        p = (
            persistent_panel(panel, k, n, categories)
            if (k, n) != (1, 1)
            else panel.assign(
                category=panel["category"].where(~panel["category"].isin(list(categories)), "listed")
            )
        )
        fr = flip_rate(p, ("listed",))
        last = p[p["year"].astype(int) == int(year)].set_index("school_id")["category"] == "listed"
        rec = prec = float("nan")
        if truth_low is not None:
            t = truth_low.reindex(last.index).fillna(False).astype(bool)
            tp = int((last & t).sum())
            rec = tp / int(t.sum()) if t.any() else float("nan")
            prec = tp / int(last.sum()) if last.any() else float("nan")
        rows.append(
            {
                "rule": "без правила" if (k, n) == (1, 1) else f"{k} из {n} лет",
                "listed": int(last.sum()),
                "flip_rate": float(fr["flip_rate"].iloc[-1]),
                "mean_turnover": float(fr["turnover"].iloc[-1]),
                "recall": rec,
                "precision": prec,
            }
        )
    return pd.DataFrame(rows)
