"""Who entered or left the list against the previous year."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shnro_lib import indicators as ind
from shnro_lib.identify.classify import identify_schools
from shnro_lib.identify.rules import load_rules


def identification_changes(ds: Any, year: int, rules: str | Path | dict = "lo_2018",
                           indices: str | Path | dict | None = None) -> pd.DataFrame:
    """Who entered or left the list against the previous data year, and persistence over the window.

    Returns
    -------
    DataFrame per school: ``school_id``, ``name``, ``municipality``, ``category``,
    ``category_prev``, ``change`` (``вошла``, ``вышла``, ``осталась``, ``не в списке``; the list
    is ШНРО/ШНСУ, «зона риска» counts as not listed), ``years_listed`` and ``years_evaluated``
    (years of the rule window in which the school was listed / identification was run).
    """
    r = load_rules(rules)
    yrs = ind.window_years(ds.years, year, int(r["window"]))
    prev_years = [y for y in ds.years if y < year]
    runs = {y: identify_schools(ds, y, r, indices).set_index("school_id") for y in sorted(set(yrs) | set(prev_years[-1:]))}
    cur = runs.get(year, identify_schools(ds, year, r, indices).set_index("school_id"))

    def listed(df: pd.DataFrame) -> pd.Series:
        return df["category"].isin(["ШНРО", "ШНСУ", "ШНРО и ШНСУ"])

    out = cur[["name", "municipality", "category"]].copy()
    if prev_years:
        prev = runs[prev_years[-1]]
        out["category_prev"] = prev["category"].reindex(out.index)
        now_l, prev_l = listed(cur), listed(prev).reindex(out.index).fillna(False)
        out["change"] = np.select([now_l & ~prev_l, ~now_l & prev_l, now_l & prev_l],
                                  ["вошла", "вышла", "осталась"], "не в списке")
    else:
        out["category_prev"] = pd.NA
        out["change"] = "нет предыдущего года"
    out["years_listed"] = sum(listed(runs[y]).reindex(out.index).fillna(False).astype(int) for y in yrs)
    out["years_evaluated"] = len(yrs)
    out.attrs["previous_year"] = prev_years[-1] if prev_years else None
    return out.reset_index()

