"""Composite indices (specs in ``parameters/indices.yaml``) and the territory flags."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from shnro_lib.indicators.school import latest_values


def index_inputs(
    tables: dict[str, pd.DataFrame], spec: dict, year: int, years: Sequence[int] | None = None
) -> pd.DataFrame:
    """Collect the components of a composite index for ``year`` from the canonical tables.

    Each component's value is the school's value in ``year`` or, if missing, the
    latest one in ``years`` (default: that year only). Booleans become 0/1.
    """
    yrs = list(years) if years is not None else [year]
    # the latest values of a table's components in one pass over that table
    wanted: dict[str, list[str]] = {}
    for comp in spec["components"]:
        t = tables.get(comp["table"])
        if t is not None and comp["column"] in t.columns:
            wanted.setdefault(comp["table"], []).append(comp["column"])
    latest = {name: latest_values(tables[name], cols, year, yrs) for name, cols in wanted.items()}
    parts = []
    for comp in spec["components"]:
        if comp["column"] not in wanted.get(comp["table"], []):
            continue
        v = latest[comp["table"]]
        if comp["column"] in v.columns:
            # only the schools with a value of this component, as one column's latest values give
            # them: the union of the parts' schools (and its order) is that of the components
            parts.append(v[comp["column"]].dropna().astype("Float64").astype(float))
    if not parts:
        return pd.DataFrame(index=pd.Index([], name="school_id", dtype="string"))
    return pd.concat(parts, axis=1)


def composite_index(frame: pd.DataFrame, spec: dict) -> pd.Series:
    """A weighted composite of standardised components (higher = more favourable).

    Parameters
    ----------
    frame : one row per school (the schools of one year), with the component columns.
    spec : ``components`` (each with ``column``, ``direction`` +1/-1, ``weight`` and an
        optional ``transform: one_minus``), ``standardise: zscore`` (across the rows of
        ``frame``) and ``min_weight_share``.

    Returns
    -------
    Series aligned with ``frame``: the weighted mean of ``direction * z`` over the observed
    components (see :func:`composite_index_table` for the coverage and the components used).
    """
    return composite_index_table(frame, spec)["value"]


def composite_index_table(frame: pd.DataFrame, spec: dict) -> pd.DataFrame:
    """A composite index with its coverage, computed from the components the data hold.

    A component the data do not have at all (no column, or no value for any school, or no
    spread) is left out of the index for every school — it is not a per-school gap.  The
    ``min_weight_share`` applies to the weight of the components present: a school gets an
    index when it has values for at least that share of it.

    Returns
    -------
    DataFrame aligned with ``frame``: ``value`` and ``coverage`` (the observed share of the
    weight of the components present).  ``attrs["used"]`` and ``attrs["absent"]`` list the
    columns used and left out (in the order of the spec).
    """
    method = spec.get("standardise")
    if method != "zscore":
        raise ValueError(f"Неизвестный метод стандартизации «{method}»: допустим только zscore")
    num = pd.Series(0.0, index=frame.index)
    den = pd.Series(0.0, index=frame.index)
    total = 0.0
    used, absent = [], []
    for comp in spec["components"]:
        col = comp["column"]
        x = (
            pd.to_numeric(frame[col], errors="coerce").astype(float)
            if col in frame.columns
            else pd.Series(np.nan, index=frame.index)
        )
        if comp.get("transform") == "one_minus":
            x = 1.0 - x
        sd = x.std(ddof=0)
        if not np.isfinite(sd) or sd <= 1e-12:
            absent.append(col)
            continue
        wgt = float(comp["weight"])
        total += wgt
        used.append(col)
        z = (x - x.mean()) / sd * float(comp["direction"])
        num = num + z.fillna(0.0) * wgt
        den = den + z.notna().astype(float) * wgt
    coverage = den / total if total > 0 else pd.Series(np.nan, index=frame.index)
    value = (num / den.where(den > 0)).where(coverage >= float(spec["min_weight_share"]) - 1e-12)
    out = pd.DataFrame({"value": value, "coverage": coverage})
    out.attrs.update({"used": used, "absent": absent})
    return out


def index_spec_table_ru(spec: dict) -> pd.DataFrame:
    """The components of a composite index as a Russian table for reports."""
    rows = []
    for comp in spec["components"]:
        direction = int(comp["direction"])
        rows.append(
            {
                "Показатель": comp.get("label_ru", comp["column"]),
                "Поле данных": f"{comp['table']}.{comp['column']}"
                + (" (используется 1 − значение)" if comp.get("transform") == "one_minus" else ""),
                "Направление": "чем больше, тем благоприятнее"
                if direction > 0
                else "чем больше, тем неблагоприятнее",
                "Вес": float(comp["weight"]),
                "Примечание": comp.get("note_ru") or "—",
            }
        )
    return pd.DataFrame(rows)


def _territory_values(schools: pd.DataFrame, t: pd.DataFrame, idx: pd.Index) -> dict:
    """Each school's territory values (monotown, pension-age share, unemployment).

    From its locality's row when ``t`` has one, else from its municipality's row.
    """
    muni = t[t["locality"].isna()].drop_duplicates("municipality").set_index("municipality")
    loc = (
        t[t["locality"].notna()]
        .drop_duplicates(["municipality", "locality"])
        .set_index(["municipality", "locality"])
    )
    sch = schools.set_index("school_id")
    locality = (
        sch["locality"] if "locality" in sch.columns else pd.Series(pd.NA, index=sch.index, dtype=object)
    )
    # a locality row is looked up only for a school with a locality name; the lookups are whole-column
    # reindexes on (municipality, locality) and municipality
    named = np.array([isinstance(v, str) for v in locality.tolist()], dtype=bool)
    loc_key = pd.MultiIndex.from_arrays([sch["municipality"], locality.where(named)])
    vals = {}
    for c in ["is_monotown", "share_pension_age", "unemployment_rate"]:
        if c not in t.columns:
            vals[c] = [pd.NA] * len(sch)
            continue
        at_loc = pd.Series(loc[c].reindex(loc_key).to_numpy(dtype=object), index=idx)
        at_loc[~named] = pd.NA
        at_muni = pd.Series(muni[c].reindex(sch["municipality"]).to_numpy(dtype=object), index=idx)
        vals[c] = at_loc.where(at_loc.notna(), at_muni).to_numpy(dtype=object)
    return vals


def _region_value(region: pd.DataFrame, column: str) -> float:
    return float(region[column].iloc[0]) if len(region) and column in region else np.nan


def _high(ratio: pd.Series, factor: float) -> pd.arrays.BooleanArray:
    """``ratio >= factor`` (NA where the ratio is unknown)."""
    return pd.array(np.where(ratio.isna(), None, ratio >= factor - 1e-12), dtype="boolean")


def territory_indicators(
    schools: pd.DataFrame, territories: pd.DataFrame | None, spec: dict, region_row: str = "__region__"
) -> pd.DataFrame:
    """Territory flags per school: monotown, pension-age share and unemployment vs the region.

    A school takes the row of its locality when ``territories`` has one (``municipality`` and
    ``locality`` match), otherwise its municipality's row (``locality`` empty).

    Parameters
    ----------
    spec : ``territory_flags`` of ``parameters/indices.yaml`` (``pension_ratio_factor``,
        ``unemployment_ratio_factor``).

    Returns
    -------
    DataFrame indexed by ``school_id``: ``is_monotown`` (boolean), ``pension_share``,
    ``pension_ratio`` and ``unemployment_ratio`` (to the region's row), ``high_pension`` and
    ``high_unemployment`` (booleans; NA when the values are unknown).
    """
    idx = pd.Index(schools["school_id"], name="school_id")
    out = pd.DataFrame(index=idx)
    if territories is None or territories.empty:
        for c in ["is_monotown", "high_pension", "high_unemployment"]:
            out[c] = pd.array([pd.NA] * len(out), dtype="boolean")
        for c in ["pension_share", "pension_ratio", "unemployment_ratio"]:
            out[c] = np.nan
        return out
    t = territories.copy()
    if "locality" not in t.columns:
        t["locality"] = pd.NA
    region = t[t["municipality"] == region_row]
    vals = _territory_values(schools, t[t["municipality"] != region_row], idx)
    out["is_monotown"] = pd.array(vals["is_monotown"], dtype="boolean")
    out["pension_share"] = pd.to_numeric(pd.Series(vals["share_pension_age"], index=idx), errors="coerce")
    unemp = pd.to_numeric(pd.Series(vals["unemployment_rate"], index=idx), errors="coerce")
    reg_p = _region_value(region, "share_pension_age")
    reg_u = _region_value(region, "unemployment_rate")
    out["pension_ratio"] = out["pension_share"] / reg_p if reg_p and np.isfinite(reg_p) else np.nan
    out["unemployment_ratio"] = unemp / reg_u if reg_u and np.isfinite(reg_u) else np.nan
    out["high_pension"] = _high(out["pension_ratio"], float(spec["pension_ratio_factor"]))
    out["high_unemployment"] = _high(out["unemployment_ratio"], float(spec["unemployment_ratio_factor"]))
    return out
