"""Helpers on region results shared by the sections: names, flags, municipal figures, settings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd


def min_n(region: Any) -> int:
    """The small-group threshold the results were computed with (``report.yaml: min_group_size``)."""
    return int(region.settings["min_group_size"])


def max_rows(region: Any) -> int:
    """Rows shown in long tables (``report.yaml: max_table_rows``)."""
    return int(region.settings["max_table_rows"])


def dpi(region: Any) -> int:
    return int(region.settings["figure_dpi"])


def size(region: Any) -> tuple[float, float]:
    w, h = region.settings["figure_size"]
    return float(w), float(h)


def names(region: Any) -> pd.Series:
    sch = region.table("schools")
    return sch.set_index(sch["school_id"].astype(str))["name"]


def with_names(region: Any, df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    names_ = names(region)
    for col in [c for c in out.columns if c.endswith("school_id")]:
        ncol = "name" if col == "school_id" else col.replace("school_id", "name")
        if ncol not in out.columns:
            pos = list(out.columns).index(col) + 1
            out.insert(pos, ncol, out[col].astype(str).map(names_))
    return out


def flagged_mask(categories: pd.Series) -> pd.Series:
    """True for a category that marks a school (ШНРО, ШНСУ, both, «зона риска»)."""
    s = categories.astype("string").str.lower()
    return s.str.contains("шнро|шнсу|риск", regex=True).fillna(False).astype(bool)


def has_rows(df: pd.DataFrame | None) -> bool:
    return df is not None and len(df) > 0


def municipal_index(region: Any, municipality: str | None, year: int) -> tuple[float, int]:
    """Participant-weighted mean one-year result index of a municipality (or the region) and participants."""
    ib = region.table("index_by_year")
    sub = ib[ib["year"] == year]
    if municipality is not None:
        sub = sub[sub["municipality"] == municipality]
    n = sub["participants"].astype(float)
    # without counts (not published by the source) schools weigh the same and no count is stated
    w = n if n.notna().any() else pd.Series(1.0, index=sub.index)
    if w.sum() <= 0:
        return float("nan"), 0
    return float((sub["result_index"].astype(float) * w).sum() / w.sum()), (
        int(n.sum()) if n.notna().any() else None
    )


def municipal_indices(region: Any, year: int) -> pd.DataFrame:
    """:func:`municipal_index` of every municipality at once: ``municipality``, ``mean_index``,
    ``participants`` (one row per municipality of the region, in its order)."""
    ib = region.table("index_by_year")
    sub = ib[(ib["year"] == year).to_numpy()]
    n = sub["participants"].astype(float)
    g = sub.assign(_n=n, _known=n.notna()).groupby("municipality", sort=False)
    # the same weights as municipal_index: counts where the municipality has any, else 1 per row
    has_counts = g["_known"].transform("any").to_numpy()
    w = np.where(has_counts, n.to_numpy(), 1.0)
    parts = sub.assign(_w=w, _wx=sub["result_index"].astype(float).to_numpy() * w, _n=n)
    s = parts.groupby("municipality", sort=False).agg(
        _w=("_w", "sum"), _wx=("_wx", "sum"), _n=("_n", "sum"), _known=("_n", "count")
    )
    s = s.reindex(pd.Index(region.municipalities, name="municipality"))
    ok = s["_w"].fillna(0).to_numpy() > 0
    out = pd.DataFrame({"municipality": region.municipalities})
    out["mean_index"] = np.where(ok, s["_wx"].to_numpy() / np.where(ok, s["_w"].to_numpy(), 1.0), np.nan)
    counted = s["_known"].fillna(0).to_numpy() > 0
    out["participants"] = pd.array(
        [int(v) if c else (None if o else 0) for v, c, o in zip(s["_n"], counted, ok, strict=True)],
        dtype="Int64",
    )
    return out


def _count_by_municipality(
    values: pd.Series, school_ids: pd.Series, municipality_of: pd.Series, munis: list[str]
) -> np.ndarray:
    """How many of the schools ``school_ids`` with a true ``values`` are in each of ``munis``."""
    m = school_ids.astype(str).map(municipality_of).to_numpy()
    flags = values.fillna(False).astype(bool).to_numpy()
    counts = pd.Series(flags).groupby(m).sum()
    return counts.reindex(munis, fill_value=0).to_numpy(dtype=int)


def municipality_table(region: Any) -> pd.DataFrame:
    """One row per municipality: schools, participants, mean index, identified, resilient, programme."""
    from shnro_lib.facts.select import region_facts_now

    year = region.year
    munis = region.municipalities
    sch = region.table("schools")
    municipality_of = pd.Series(sch["municipality"].to_numpy(), index=sch["school_id"].astype(str))
    municipality_of = municipality_of[~municipality_of.index.duplicated()]
    out = municipal_indices(region, year)
    per_school = sch["municipality"].value_counts().reindex(munis, fill_value=0).to_numpy(dtype=int)
    # the counts of schools are the municipality facts' own
    lf = region.table("municipality_facts")
    rows = None
    if lf is not None and len(lf):
        now_rows = lf[(lf["year"].astype(int) == int(year)).to_numpy()].drop_duplicates("municipality")
        rows = now_rows.set_index("municipality").reindex(munis)
    have = rows["schools"].notna().to_numpy() if rows is not None else np.zeros(len(munis), bool)
    schools = rows["schools"].to_numpy() if rows is not None else np.zeros(len(munis))
    out.insert(1, "n_schools", np.where(have, np.nan_to_num(schools.astype(float)), per_school).astype(int))
    if region.ok("identify"):
        now = region_facts_now(region)
        flagged = _count_by_municipality(
            flagged_mask(now["category"]), now["school_id"], municipality_of, munis
        )
        listed = (
            (rows["schools_listed"].fillna(0) + rows["schools_risk"].fillna(0)).to_numpy()
            if rows is not None
            else flagged
        )
        out["n_identified"] = np.where(have, listed, flagged).astype(int)
    ctx = region.table("context") if region.ok("context") else None
    if ctx is not None and "resilient" in ctx.columns:
        out["n_resilient"] = _count_by_municipality(
            ctx["resilient"], ctx["school_id"], municipality_of, munis
        )
    prog = region.table("programme")
    if prog is not None and "in_programme" in prog.columns:
        cur = prog[(prog["year"] == year).to_numpy()]
        out["n_programme"] = _count_by_municipality(
            cur["in_programme"], cur["school_id"], municipality_of, munis
        )
    for c in ("n_schools", "participants", "n_identified", "n_resilient", "n_programme"):
        if c in out.columns:
            out[c] = out[c].astype("Int64")
    first = ["municipality", "n_schools", "participants", "mean_index"]
    return out[first + [c for c in out.columns if c not in first]]


def criterion_labels(rules: str) -> dict[str, str]:
    """The identification table's headers under ``rules`` (the bottom share of the probability
    column depends on the rule set); empty if the rule file is gone."""
    try:
        from shnro_lib.identify import column_labels_ru

        return column_labels_ru(rules)
    except Exception:  # noqa: BLE001 - a custom rule file may be gone; the shared labels still apply
        return {}


def criterion_titles(rules: str, columns: Sequence[str]) -> dict[str, str]:
    """Russian titles of ``crit_*`` columns from the rule set (the key itself if unavailable)."""
    try:
        from shnro_lib.identify import column_labels_ru

        labels = column_labels_ru(rules)
    except Exception:  # noqa: BLE001 - a custom rule file may be gone; the key still identifies it
        labels = {}
    return {c: str(labels.get(c, c)).removeprefix("Критерий: ") for c in columns}
