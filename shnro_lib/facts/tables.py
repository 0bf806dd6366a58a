"""The facts tables: every quantity a reader sees, once, at the level it belongs to.

- :func:`school_year_facts` — school × year: the year's category and the year's result index for
  every data year up to the report year; for the report year also the identification window's
  indices, the context model, cost–quality, the proposed partner and the status
  (:func:`shnro_lib.facts.school_status`).
- :func:`municipality_year_facts` — municipality × year: schools, schools listed by category, and
  the monitoring indicators' values.
- :func:`region_year_facts` — the same for the region.

Columns are the vocabulary's ids (``shnro_lib.vocabulary``) or the stage's own column names; a
view renames them by that vocabulary, never recomputes them.  A quantity that could not be
assessed is missing (``NA``) and its reason is in the stage's failure, not a zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from shnro_lib.facts.status import school_status, values_by_school

# quantities of the report year, by the stage that computed them (the stage's column names)
REPORT_YEAR_COLUMNS: dict[str, tuple[str, ...]] = {
    "identify": (
        "result_index",
        "result_index_se",
        "shrunken_index",
        "p_bottom_quartile",
        "social_wellbeing_index",
        "staff_index",
        "resources_index",
        "explanation",
    ),
    "context": (
        "cluster_name",
        "expected_result",
        "residual",
        "residual_ci_low",
        "residual_ci_high",
        "result_band",
        "residual_band",
        "context_status",
    ),
    "costs": ("spending_per_pupil", "efficiency", "quadrant"),
}
PARTNER_COLUMNS = {
    "leader_id": "partner_id",
    "leader_name": "partner_name",
    "distance_km": "partner_distance_km",
}


def school_year_facts(
    tables: Mapping[str, pd.DataFrame],
    year: int,
    min_n: int,
    listed: tuple[str, ...] = ("ШНРО", "ШНСУ", "ШНРО и ШНСУ"),
) -> pd.DataFrame:
    """School × year facts (see the module docstring).

    Parameters
    ----------
    tables : the stages' tables so far (``schools``, ``index_by_year``, ``ident_panel``,
        ``identify``, ``context``, ``costs``, ``partners``, ``trajectories``, ``worth_learning``;
        any may be absent).
    year : the report year.
    min_n : the smallest group whose index is shown (``min_group_size``): a year's index of fewer
        participants is missing here, so no view can show it.
    listed : the list categories (``list_categories`` of the monitoring settings).

    Returns
    -------
    DataFrame, one row per school and year (``school_id, year, name, municipality``; every school
    of ``schools`` has a report-year row): ``category``, ``year_result_index``,
    ``year_result_index_se``, ``participants``; in the report year's rows also the columns of
    :data:`REPORT_YEAR_COLUMNS`, the partner and the status columns.
    """
    year = int(year)
    sch = tables["schools"].assign(school_id=lambda d: d["school_id"].astype("string"))
    sch = sch.drop_duplicates("school_id")[["school_id", "name", "municipality"]]
    keys = _school_years(tables, sch, year)
    out = keys.merge(sch, on="school_id", how="left")
    panel = tables.get("ident_panel")
    if panel is not None:
        cats = panel.assign(school_id=panel["school_id"].astype("string"), year=panel["year"].astype(int))
        out = out.merge(cats[["school_id", "year", "category"]], on=["school_id", "year"], how="left")
    else:
        out["category"] = pd.NA
    ib = tables.get("index_by_year")
    if ib is not None:
        idx = ib.assign(school_id=ib["school_id"].astype("string"), year=ib["year"].astype(int))
        idx = idx.rename(
            columns={"result_index": "year_result_index", "result_index_se": "year_result_index_se"}
        )
        small = (idx["participants"].fillna(0) < int(min_n)).to_numpy()
        idx.loc[small, ["year_result_index", "year_result_index_se"]] = np.nan
        out = out.merge(
            idx[["school_id", "year", "year_result_index", "year_result_index_se", "participants"]],
            on=["school_id", "year"],
            how="left",
        )
    report = _report_year(tables, sch, year, listed)
    out = out.merge(report.assign(year=year), on=["school_id", "year"], how="left", suffixes=("", "_report"))
    if "category_report" in out.columns:
        # the identify stage's category is the report year's category (the panel holds the same)
        mine = out["year"] == year
        out.loc[mine, "category"] = out.loc[mine, "category_report"]
        out = out.drop(columns="category_report")
    return out.sort_values(["school_id", "year"], kind="stable").reset_index(drop=True)


def region_school_facts(region: Any, missing: Mapping[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """The ``school_facts`` stage's table of ``region`` (:class:`~shnro_lib.pipeline.RegionResults`).

    Results assembled without that stage (by hand, as in tests) get it built here from the tables they
    have, with the region's report settings, and ``missing`` for the stage tables they lack (e.g. the
    ``worth_learning`` list a view computed): a view always selects from one facts table.
    """
    facts = region.table("school_facts")
    if facts is not None:
        return facts
    from shnro_lib.monitoring.config import load_monitoring_config

    listed = tuple(load_monitoring_config(None).list_categories)
    min_n = int(region.settings.get("min_group_size", 0))
    tables = {**dict(missing or {}), **region.tables}
    return school_year_facts(tables, region.year, min_n, listed)


def _school_years(tables: Mapping[str, pd.DataFrame], sch: pd.DataFrame, year: int) -> pd.DataFrame:
    parts = [sch[["school_id"]].assign(year=year)]
    for name in ("ident_panel", "index_by_year"):
        t = tables.get(name)
        if t is not None and len(t):
            parts.append(
                pd.DataFrame({"school_id": t["school_id"].astype("string"), "year": t["year"].astype(int)})
            )
    keys = pd.concat(parts, ignore_index=True).drop_duplicates()
    keys = keys[(keys["year"] <= year) & keys["school_id"].isin(sch["school_id"])]
    return keys.reset_index(drop=True)


def _report_year(
    tables: Mapping[str, pd.DataFrame], sch: pd.DataFrame, year: int, listed: tuple[str, ...]
) -> pd.DataFrame:
    out = sch[["school_id"]].copy()
    for stage, cols in REPORT_YEAR_COLUMNS.items():
        t = tables.get(stage)
        have = [c for c in cols if t is not None and c in t.columns]
        for c in cols:
            out[c] = values_by_school(t, c, pd.Index(out["school_id"])).to_numpy() if c in have else np.nan
    partners = tables.get("partners")
    for src, dst in PARTNER_COLUMNS.items():
        out[dst] = values_by_school(partners, src, pd.Index(out["school_id"])).to_numpy()
    status = school_status(
        tables.get("identify"),
        tables.get("trajectories"),
        tables.get("worth_learning"),
        sch,
        tables.get("ident_panel"),
        listed,
    )
    return out.merge(status, on="school_id", how="left")


def municipality_year_facts(
    facts: pd.DataFrame,
    monitoring: pd.DataFrame | None,
    listed: tuple[str, ...] = ("ШНРО", "ШНСУ", "ШНРО и ШНСУ"),
) -> pd.DataFrame:
    """Municipality × year: ``schools``, ``schools_listed``, ``schools_risk``, ``schools_not_assessed``
    and one column per monitoring indicator (its value, the monitoring stage's own figure)."""
    return _level_facts(facts, monitoring, listed, "municipality")


def region_year_facts(
    facts: pd.DataFrame,
    monitoring: pd.DataFrame | None,
    listed: tuple[str, ...] = ("ШНРО", "ШНСУ", "ШНРО и ШНСУ"),
) -> pd.DataFrame:
    """Region × year: the columns of :func:`municipality_year_facts` for the whole region."""
    return _level_facts(facts.assign(municipality="регион"), monitoring, listed, "region").drop(
        columns="municipality"
    )


# the monitoring table's ``level`` values
MONITORING_LEVELS = {"municipality": "муниципалитет", "region": "регион"}


def _level_facts(
    facts: pd.DataFrame, monitoring: pd.DataFrame | None, listed: tuple[str, ...], level: str
) -> pd.DataFrame:
    cat = facts["category"].astype("string")
    known = cat.notna() & ~cat.str.startswith("не оценено").fillna(False)
    f = facts.assign(
        _listed=cat.isin(listed).fillna(False) & known,
        _risk=(cat == "зона риска").fillna(False),
        _unknown=~known,
    )
    g = f.groupby(["municipality", "year"], sort=True)
    out = pd.DataFrame(
        {
            "schools": g.size(),
            "schools_listed": g["_listed"].sum(),
            "schools_risk": g["_risk"].sum(),
            "schools_not_assessed": g["_unknown"].sum(),
        }
    ).reset_index()
    if monitoring is not None and len(monitoring) and "level" in monitoring.columns:
        m = monitoring[monitoring["level"] == MONITORING_LEVELS[level]]
        if level == "region":
            m = m.assign(municipality="регион")
        wide = m.pivot_table(
            index=["municipality", "year"], columns="indicator", values="value", aggfunc="first"
        )
        wide.columns = [f"monitoring_{c}" for c in wide.columns]
        out = out.merge(
            wide.reset_index().assign(year=lambda d: d["year"].astype(int)),
            on=["municipality", "year"],
            how="outer",
        )
    return out.sort_values(["municipality", "year"], kind="stable").reset_index(drop=True)
