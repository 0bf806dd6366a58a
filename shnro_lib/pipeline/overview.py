"""Overview tables of a region (schools, participation, score distributions, yearly index) and
the loader's report as tables: the descriptive part of the reports, no models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from shnro_lib.config import load_yaml
from shnro_lib.indicators import scale, school_result_index, standardised_results


def _wmean(df: pd.DataFrame, value: str, weight: str = "weight") -> pd.Series:
    v = df[value].astype(float)
    w = df[weight].astype(float).where(v.notna(), 0.0)
    return (v.fillna(0.0) * w), w


def _weighted(df: pd.DataFrame, keys: list[str], values: list[str]) -> pd.DataFrame:
    tmp = df[keys].copy()
    for v in values:
        num, w = _wmean(df, v)
        tmp[f"{v}__n"] = num
        tmp[f"{v}__w"] = w
    tmp["participants"] = df["participants"].astype(float)
    # a count the source did not give stays missing (min_count): never 0, never a number of rows
    g = tmp.groupby(keys, observed=True, dropna=False).sum(numeric_only=True, min_count=1)
    out = pd.DataFrame(index=g.index)
    out["participants"] = g["participants"].round().astype("Int64")
    for v in values:
        out[v] = g[f"{v}__n"] / g[f"{v}__w"].where(g[f"{v}__w"] > 0)
    return out.reset_index()


def overview_tables(ds: Any, year: int) -> dict[str, pd.DataFrame]:
    """Descriptive tables for the data overview of the reports.

    Returns
    -------
    dict with
        ``schools`` (school_id, name, municipality, locality, locality_type, school_type; lat, lon
        where the data have them, for the map),
        ``participation`` (municipality × year × procedure: schools, participants, rows),
        ``school_scores`` (school × year × procedure: participants, pct, z, share_low, share_quality),
        ``subject_scores`` (municipality × year × procedure × subject × grade: participants, pct, share_low),
        ``index_by_year`` (school × year: one-year result index, its SE and participants),
        ``programme`` (school × year programme participation, when the table exists).
    """
    sch = ds.schools
    keep = [
        c
        for c in [
            "school_id",
            "name",
            "municipality",
            "locality",
            "locality_type",
            "school_type",
            "lat",
            "lon",
        ]
        if c in sch.columns
    ]
    schools = sch[keep].copy().sort_values(["municipality", "name", "school_id"]).reset_index(drop=True)
    muni = schools.set_index("school_id")["municipality"]

    res = ds.results.copy()
    res["municipality"] = res["school_id"].map(muni)
    sat = res[scale.sat(res).to_numpy()]
    part = (
        sat.groupby(["municipality", "year", "procedure"], observed=True)
        .agg(
            schools=("school_id", "nunique"),
            participants=("participants", lambda s: s.sum(min_count=1)),
            rows=("school_id", "size"),
        )
        .reset_index()
    )
    part["participants"] = part["participants"].astype(float).round().astype("Int64")

    z = standardised_results(ds.results)
    z["municipality"] = z["school_id"].map(muni)
    school_scores = _weighted(
        z, ["school_id", "municipality", "year", "procedure"], ["pct", "z", "share_low", "share_quality"]
    )
    subject_scores = _weighted(
        z, ["municipality", "year", "procedure", "subject", "grade"], ["pct", "share_low"]
    )
    region_subject = _weighted(z, ["year", "procedure", "subject", "grade"], ["pct", "share_low"])
    region_subject = region_subject.rename(
        columns={"participants": "region_participants", "pct": "region_pct", "share_low": "region_share_low"}
    )
    subject_scores = subject_scores.merge(
        region_subject, on=["year", "procedure", "subject", "grade"], how="left"
    )

    frames = []
    for y in sorted(int(v) for v in z["year"].dropna().unique()):
        idx = school_result_index(ds.results, years=[y], standardised=z)
        if len(idx):
            frames.append(
                idx[["result_index", "result_index_se", "participants"]].reset_index().assign(year=y)
            )
    index_by_year = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=["school_id", "result_index", "result_index_se", "participants", "year"])
    )
    index_by_year["municipality"] = index_by_year["school_id"].map(muni)
    index_by_year["year"] = index_by_year["year"].astype("Int64")

    out = {
        "schools": schools,
        "participation": part,
        "school_scores": school_scores,
        "subject_scores": subject_scores,
        "index_by_year": index_by_year,
    }
    prog = ds.get("programme") if hasattr(ds, "get") else None
    if prog is not None and len(prog):
        p = prog.copy()
        p["municipality"] = p["school_id"].map(muni)
        out["programme"] = p
    return out


def load_report_tables(ds: Any) -> dict[str, pd.DataFrame]:
    """The loader's report as tables: per-table bookkeeping, problems, excluded rows."""
    rep = getattr(ds, "report", None)
    out: dict[str, pd.DataFrame] = {}
    if rep is None:
        return out
    rows = []
    for name, t in getattr(rep, "tables", {}).items():
        rows.append(
            {
                "table": name,
                "file": t.file,
                "sheet": t.sheet or "",
                "rows_read": t.rows_read,
                "rows_used": t.rows_used,
                "rows_excluded": t.rows_excluded,
                "rows_empty": t.rows_empty,
                "conversions": "; ".join(t.conversions),
            }
        )
    out["load_tables"] = pd.DataFrame(
        rows,
        columns=[
            "table",
            "file",
            "sheet",
            "rows_read",
            "rows_used",
            "rows_excluded",
            "rows_empty",
            "conversions",
        ],
    )
    try:
        prob = rep.to_frame()
        out["load_problems"] = prob.astype({c: "string" for c in prob.columns if c != "row"})
    except Exception:  # noqa: BLE001
        pass
    try:
        exc = rep.excluded.copy()
        out["load_excluded"] = exc.astype({c: "string" for c in exc.columns if c != "row"})
    except Exception:  # noqa: BLE001
        pass
    return out


def dataset_metadata(ds: Any, data_dir: str | Path | None) -> dict[str, Any]:
    """The data set's metadata (``dataset.yaml``): name, synthetic flag, note."""
    meta = dict(getattr(ds, "metadata", None) or {})
    if not meta and data_dir is not None:
        p = Path(data_dir) / "dataset.yaml"
        if p.exists():
            try:
                meta = dict(load_yaml(p) or {})
            except Exception:  # noqa: BLE001
                meta = {}
    return meta
