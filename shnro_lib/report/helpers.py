"""Helpers on region results shared by the sections: names, flags, municipal figures, settings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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


def municipality_table(region: Any) -> pd.DataFrame:
    """One row per municipality: schools, participants, mean index, identified, resilient, programme."""
    year = region.year
    sch = region.table("schools")
    rows = []
    from shnro_lib.facts.select import level_row, region_facts_now

    now = region_facts_now(region) if region.ok("identify") else None
    ctx = region.table("context") if region.ok("context") else None
    prog = region.table("programme")
    for m in region.municipalities:
        ids = set(sch.loc[sch["municipality"] == m, "school_id"].astype(str))
        idx, part = municipal_index(region, m, year)
        # the counts of schools are the municipality facts' own
        facts = level_row(region, m)
        n = int(facts["schools"]) if facts is not None else len(ids)
        row = {"municipality": m, "n_schools": n, "participants": part, "mean_index": idx}
        if now is not None and facts is not None:
            row["n_identified"] = int(facts["schools_listed"] + facts["schools_risk"])
        elif now is not None:
            row["n_identified"] = int(flagged_mask(now.loc[now["school_id"].isin(ids), "category"]).sum())
        if ctx is not None and "resilient" in ctx.columns:
            sub = ctx[ctx["school_id"].astype(str).isin(ids)]
            row["n_resilient"] = int(sub["resilient"].fillna(False).astype(bool).sum())
        if prog is not None and "in_programme" in prog.columns:
            sub = prog[(prog["year"] == year) & prog["school_id"].astype(str).isin(ids)]
            row["n_programme"] = int(sub["in_programme"].fillna(False).astype(bool).sum())
        rows.append(row)
    out = pd.DataFrame(rows)
    for c in ("n_schools", "participants", "n_identified", "n_resilient", "n_programme"):
        if c in out.columns:
            out[c] = out[c].astype("Int64")
    return out


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
