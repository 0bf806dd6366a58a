"""The «school × year» panel on which monitoring indicators are evaluated."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from .config import MonitoringSettings, load_monitoring_config

# --------------------------------------------------------------------------- identification input


def _check_ident(ident: pd.DataFrame) -> pd.DataFrame:
    missing = {"school_id", "year", "category"} - set(ident.columns)
    if missing:
        raise ValueError("В таблице идентификации нет столбцов: " + ", ".join(sorted(missing)))
    out = ident.copy()
    out["school_id"] = out["school_id"].astype("string")
    out["year"] = out["year"].astype(int)
    out["category"] = out["category"].astype("string")
    if out.duplicated(["school_id", "year"]).any():
        raise ValueError("В таблице идентификации повторяются пары «школа — год»")
    return out


# --------------------------------------------------------------------------- panel


def _float(s: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(s) or str(s.dtype) == "boolean":
        return s.astype("Float64").astype(float)
    return pd.to_numeric(s, errors="coerce").astype(float)


def _yearly_results(results: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    from shnro_lib.indicators import school_result_index, standardised_results

    z = standardised_results(results)
    parts = []
    for y in years:
        ri = school_result_index(results, years=[y], standardised=z)
        if len(ri):
            parts.append(
                pd.DataFrame(
                    {
                        "school_id": ri.index.astype("string"),
                        "year": int(y),
                        "result_index": ri["result_index"].to_numpy(float),
                        "result_index_se": ri["result_index_se"].to_numpy(float),
                    }
                )
            )
    if not parts:
        return pd.DataFrame(columns=["school_id", "year", "result_index", "result_index_se"])
    return pd.concat(parts, ignore_index=True)


def _low_and_gia(results: pd.DataFrame, cfg: MonitoringSettings) -> pd.DataFrame:
    r = results.copy()
    r["school_id"] = r["school_id"].astype("string")
    r["year"] = r["year"].astype(int)
    n = _float(r["participants"])
    sl = _float(r["share_low"]) if "share_low" in r.columns else pd.Series(np.nan, index=r.index)
    ok = sl.notna() & (n > 0)
    low_procs = cfg.low_index.procedures
    m_low = ok & (r["procedure"].isin(low_procs) if low_procs else True)
    gcfg = cfg.gia
    m_gia = ok & r["procedure"].isin(gcfg.procedures)
    if gcfg.subjects:
        m_gia &= r["subject"].isin(gcfg.subjects)
    frame = pd.DataFrame(
        {
            "school_id": r["school_id"],
            "year": r["year"],
            "low_w": (n * sl).where(m_low, 0.0),
            "low_n": n.where(m_low, 0.0),
            "gia_participants": n.where(m_gia, 0.0),
            "gia_passed": (n * (1 - sl)).where(m_gia, 0.0),
            "has_gia": m_gia.astype(int),
        }
    )
    g = frame.groupby(["school_id", "year"], sort=False).sum()
    out = pd.DataFrame(index=g.index)
    out["low_index"] = (g["low_w"] / g["low_n"]).where(g["low_n"] > 0)
    out["gia_participants"] = g["gia_participants"].where(g["has_gia"] > 0)
    out["gia_passed"] = g["gia_passed"].where(g["has_gia"] > 0)
    return out.reset_index()


def _table_rows(dataset, name: str, columns: list[str]) -> pd.DataFrame | None:
    df = dataset.get(name) if hasattr(dataset, "get") else None
    if df is None:
        return None
    cols = [c for c in columns if c in df.columns]
    d = df[["school_id", "year", *cols]].copy()
    d = d[d["year"].notna()]
    d["school_id"] = d["school_id"].astype("string")
    d["year"] = d["year"].astype(int)
    return d.drop_duplicates(["school_id", "year"], keep="last")


def build_panel(
    dataset, ident: pd.DataFrame, config: str | Path | Mapping | MonitoringSettings | None = None
) -> pd.DataFrame:
    """The «school × year» panel on which indicators are evaluated.

    Parameters
    ----------
    dataset : a loaded :class:`~shnro_lib.io.Dataset` (``results`` required; ``process``,
        ``programme``, ``staff`` used when present).
    ident : identification per school-year: ``school_id, year, category`` (``municipality``
        optional — taken from ``schools`` otherwise).
    config : see :func:`load_monitoring_config`.

    Returns
    -------
    DataFrame, one row per row of ``ident``: keys, ``municipality``, ``category``,
    ``category_prev`` and every column listed in ``parameters/monitoring.yaml`` (numeric columns
    as float, flags as 1.0/0.0/NaN). ``attrs["tables"]`` lists the tables that were present.
    """
    cfg = load_monitoring_config(config)
    idt = _check_ident(ident)
    years = sorted(idt["year"].unique().tolist())
    prev_of = {y: (years[i - 1] if i else None) for i, y in enumerate(years)}
    panel = idt[["school_id", "year", "category"]].copy()
    sch = dataset.schools.drop_duplicates("school_id").copy()
    sch["school_id"] = sch["school_id"].astype("string")
    muni = sch.set_index("school_id")["municipality"].astype("string")
    if "municipality" in idt.columns:
        panel["municipality"] = idt["municipality"].astype("string").fillna(panel["school_id"].map(muni))
    else:
        panel["municipality"] = panel["school_id"].map(muni)
    # the first year has no previous one: a nullable integer keeps the join key an integer column
    panel["year_prev"] = panel["year"].map(prev_of).astype("Int64")
    prev = idt[["school_id", "year", "category"]].rename(
        columns={"year": "year_prev", "category": "category_prev"}
    )
    prev["year_prev"] = prev["year_prev"].astype("Int64")
    panel = panel.merge(prev, on=["school_id", "year_prev"], how="left")

    lists = {
        "listed": cfg.list_categories,
        "is_shnro": cfg.shnro_categories,
        "is_shnsu": cfg.shnsu_categories,
    }
    # a school-year whose category could not be assessed is missing in the flags, never «not listed»
    unknown = cfg.not_assessed_categories
    assessed = panel["category"].notna() & ~panel["category"].isin(unknown)
    assessed_prev = panel["category_prev"].notna() & ~panel["category_prev"].isin(unknown)
    for col, cats in lists.items():
        panel[col] = panel["category"].isin(cats).astype(float).where(assessed)
        panel[col + "_prev"] = panel["category_prev"].isin(cats).astype(float).where(assessed_prev)
    if "ident_index_known" in idt.columns:
        known = idt.set_index(["school_id", "year"])["ident_index_known"].astype("boolean")
        known = (
            pd.Series(
                known.reindex(pd.MultiIndex.from_frame(panel[["school_id", "year"]])).to_numpy(),
                index=panel.index,
            )
            .fillna(True)
            .astype(bool)
        )
        panel["is_shnro"] = panel["is_shnro"].where(known | (panel["is_shnro"] == 1))
    if "unassessed_categories" in idt.columns:
        # the identification says which categories it could not decide for the school
        keys = pd.MultiIndex.from_frame(panel[["school_id", "year"]])
        undecided = idt.set_index(["school_id", "year"])["unassessed_categories"].astype("string")
        undecided = pd.Series(undecided.reindex(keys).to_numpy(), index=panel.index).fillna("")
        for col, cat in (("is_shnro", "ШНРО"), ("is_shnsu", "ШНСУ")):
            open_ = undecided.str.split(", ").map(lambda cats, c=cat: c in cats)
            panel[col] = panel[col].where(~open_ | (panel[col] == 1))

    # results: single-year index and its change against the previous data year
    need_years = sorted(set(years) | {p for p in prev_of.values() if p is not None})
    yr = _yearly_results(dataset.results, need_years)
    panel = panel.merge(yr, on=["school_id", "year"], how="left")
    yr_prev = yr.rename(
        columns={
            "year": "year_prev",
            "result_index": "result_index_prev",
            "result_index_se": "result_index_se_prev",
        }
    )
    yr_prev["year_prev"] = yr_prev["year_prev"].astype("Int64")
    panel = panel.merge(yr_prev, on=["school_id", "year_prev"], how="left")
    panel["result_change"] = panel["result_index"] - panel["result_index_prev"]
    pc = cfg.positive_change
    up = panel["result_change"] > float(pc.min_change)
    if pc.require_significance:
        se = np.sqrt(panel["result_index_se"] ** 2 + panel["result_index_se_prev"] ** 2)
        up &= panel["result_change"] > float(pc.z) * se
    panel["result_up"] = up.astype(float).where(panel["result_change"].notna())

    panel = panel.merge(_low_and_gia(dataset.results, cfg), on=["school_id", "year"], how="left")

    tables = ["results"]
    proc = _table_rows(
        dataset,
        "process",
        [
            "share_teachers_diagnosed",
            "share_teachers_trained",
            "training_hours_per_teacher",
            "methodical_visits",
            "has_partner",
            "share_teachers_improved",
            "tutor_hours",
        ],
    )
    prog = _table_rows(dataset, "programme", ["in_programme", "cohort", "partner_school_id", "cost_rub"])
    staff = _table_rows(dataset, "staff", ["teachers", "vacancies"])
    for name, t in (("process", proc), ("programme", prog), ("staff", staff)):
        if t is not None:
            tables.append(name)
            panel = panel.merge(t, on=["school_id", "year"], how="left")
    if prog is not None and "partner_school_id" in panel.columns:
        present = panel["partner_school_id"].astype("string").str.strip().fillna("") != ""
        panel["partner_school_id_present"] = present.astype(float).where(
            panel["in_programme"].notna() | present
        )
        panel = panel.drop(columns="partner_school_id")

    numeric = [
        c
        for c in panel.columns
        if c not in ("school_id", "year", "year_prev", "category", "category_prev", "municipality")
    ]
    for c in numeric:
        panel[c] = _float(panel[c])
    for c in (
        "share_teachers_diagnosed",
        "share_teachers_improved",
        "methodical_visits",
        "has_partner",
        "partner_school_id_present",
        "in_programme",
        "teachers",
        "vacancies",
    ):
        if c not in panel.columns:
            panel[c] = np.nan
    panel["staff_positions"] = panel["teachers"] + panel["vacancies"]
    panel["teachers_diagnosed"] = panel["teachers"] * panel["share_teachers_diagnosed"]
    panel["teachers_improved"] = panel["teachers"] * panel["share_teachers_improved"]
    panel["methodical_covered"] = (
        (panel["methodical_visits"] > 0).astype(float).where(panel["methodical_visits"].notna())
    )
    hp, pp = panel["has_partner"], panel["partner_school_id_present"]
    net = (hp.fillna(0) > 0) | (pp.fillna(0) > 0)
    panel["in_network"] = net.astype(float).where(hp.notna() | pp.notna())
    panel = panel.sort_values(["year", "school_id"], kind="stable").reset_index(drop=True)
    panel.attrs["tables"] = tables
    panel.attrs["years"] = years
    return panel
