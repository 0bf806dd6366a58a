"""Who entered or left the list against the previous data year (changes only)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shnro_lib import indicators as ind
from shnro_lib.identify.classify import LISTED, NOT_ASSESSED, identify_schools
from shnro_lib.identify.rules import load_rules


def identification_changes(
    ds: Any,
    year: int,
    rules: str | Path | Mapping = "lo_2018",
    indices: str | Path | Mapping | None = None,
    override: Mapping[str, Any] | None = None,
    runs: Mapping[int, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """The schools whose category changed against the previous data year (changes only).

    Returns
    -------
    DataFrame per changed school, sorted by ``school_id``: ``school_id``, ``name``,
    ``municipality``, ``category``, ``category_prev``, ``change`` (:func:`category_change`),
    ``years_listed_window`` and ``years_evaluated`` (years of the rule window in which the school was
    listed / identification was run).  Empty (with ``attrs["previous_year"]`` ``None``) when
    there is no earlier year.  ``runs`` (year -> :func:`identify_schools` table) reuses
    identifications already computed.
    """
    r = load_rules(rules, (override or {}).get("criteria"))
    yrs = ind.window_years(ds.years, year, int(r["window"]))
    prev_years = [y for y in ds.years if y < year]
    run_years = sorted(set(yrs) | set(prev_years[-1:]) | {year})
    given = runs or {}
    runs = {
        y: (
            given[y]
            if y in given
            else identify_schools(
                ds, y, r, indices, override={"indices": (override or {}).get("indices")}, explain=False
            )
        ).set_index("school_id")
        for y in run_years
    }
    cur = runs[year]
    out = cur[["name", "municipality", "category"]].copy()
    out["years_listed_window"] = sum(
        runs[y]["category"].isin(LISTED).reindex(out.index).fillna(False).astype(int) for y in yrs
    )
    out["years_evaluated"] = len(yrs)
    if not prev_years:
        out = out.iloc[0:0].assign(category_prev=pd.Series(dtype="string"), change=pd.Series(dtype="string"))
        out.attrs["previous_year"] = None
        return out.reset_index()
    prev = runs[prev_years[-1]]
    out["category_prev"] = prev["category"].reindex(out.index).astype("string")
    out["change"] = category_change(out["category_prev"], cur["category"].astype("string"))
    changed = out["category"].astype("string").fillna("—") != out["category_prev"].fillna("—")
    out = out[changed.to_numpy()].sort_index()
    out = out[
        [
            "name",
            "municipality",
            "category",
            "category_prev",
            "change",
            "years_listed_window",
            "years_evaluated",
        ]
    ]
    out.attrs["previous_year"] = prev_years[-1]
    return out.reset_index()


def category_change(before: pd.Series, after: pd.Series) -> pd.Series:
    """What a move between two years' categories means for the list, in Russian.

    The list is ШНРО/ШНСУ (:data:`LISTED`); «зона риска» is outside it but named as such, so a move
    «нет» → «зона риска» reads «вошла в зону риска», not a vague «другая категория».
    """
    risk = "зона риска"
    unknown = before.isin([NOT_ASSESSED]).fillna(False) | after.isin([NOT_ASSESSED]).fillna(False)
    was, now = before.isin(LISTED).fillna(False), after.isin(LISTED).fillna(False)
    was_risk, now_risk = (before == risk).fillna(False), (after == risk).fillna(False)
    choice = np.select(
        [
            before.isna(),
            unknown | after.isna(),
            now & ~was,
            was & now_risk,
            was & ~now,
            was & now & (before != after).fillna(False),
            now_risk,
            was_risk,
        ],
        [
            "нет данных за прошлый год",
            "не оценено в одном из двух лет",
            "вошла в список",
            "вышла из списка, осталась в зоне риска",
            "вышла из списка",
            "сменила категорию в списке",
            "вошла в зону риска",
            "вышла из зоны риска",
        ],
        "без изменений",
    )
    return pd.Series(choice, index=after.index, dtype="string")
