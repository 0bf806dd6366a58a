"""Views select from the facts tables: the shown quantities of a stage table are the facts' own.

A view's table of schools keeps the stage's rows and the columns that are not quantities (criteria
met, reasons, names); every column the school facts also hold is taken from the facts by school,
so a view can neither recompute nor relabel a quantity.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

# the facts' keys: never replaced in a stage table
KEYS = ("school_id", "year", "name", "municipality")


def facts_of_year(facts: pd.DataFrame, year: int) -> pd.DataFrame:
    """The school facts' rows of ``year`` (one per school), ``school_id`` as strings."""
    now = facts[facts["year"].astype(int) == int(year)]
    return now.assign(school_id=now["school_id"].astype("string")).reset_index(drop=True)


def with_facts(stage: pd.DataFrame, facts_now: pd.DataFrame) -> pd.DataFrame:
    """``stage`` (a table of schools with ``school_id``) whose quantities are the facts' values.

    Parameters
    ----------
    stage : a stage's table of schools (rows and column order are kept).
    facts_now : the school facts of one year (:func:`facts_of_year`).

    Returns
    -------
    DataFrame: ``stage`` with each of its columns that ``facts_now`` also holds (other than
    :data:`KEYS`) replaced by the facts' value of the row's school (missing for a school the facts
    do not hold).
    """
    if "school_id" not in stage.columns:
        return stage.copy()
    by_school = facts_now.drop_duplicates("school_id").set_index("school_id")
    ids = stage["school_id"].astype("string")
    out = stage.copy()
    for col in [c for c in stage.columns if c in by_school.columns and c not in KEYS]:
        out[col] = by_school[col].reindex(ids).set_axis(out.index)
    return out


def region_facts_now(region: Any, municipality: str | None = None) -> pd.DataFrame:
    """The report year's school facts of ``region`` (of one municipality when given)."""
    from shnro_lib.facts.tables import region_school_facts

    now = facts_of_year(region_school_facts(region), region.year)
    if municipality is not None:
        now = now[(now["municipality"] == municipality).fillna(False).to_numpy()].reset_index(drop=True)
    return now


def level_row(region: Any, municipality: str | None = None) -> dict[str, Any] | None:
    """The report year's row of ``municipality_facts`` (or ``region_facts`` for ``None``) as a dict;
    ``None`` when the stage did not run."""
    name = "region_facts" if municipality is None else "municipality_facts"
    t = region.table(name)
    if t is None or not len(t):
        return None
    sel = t["year"].astype(int) == int(region.year)
    if municipality is not None:
        sel &= (t["municipality"] == municipality).fillna(False)
    rows = t[sel.to_numpy()]
    return rows.iloc[0].to_dict() if len(rows) else None
