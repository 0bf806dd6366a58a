"""Content of a school's profile page, computed once per region and sliced per school.

:func:`profile_inputs` does every region-wide computation once (the «школы, чьи практики стоит
изучить» list, per-school row positions of every table) and takes the «проблемные зоны» of every
school from the region's ``problem_zones`` stage (:mod:`shnro_lib.profiles.zones`), not recomputed;
:func:`school_profile` then only selects rows, so a page costs milliseconds and 40 000 schools
need no kernel.  Every value is a DataFrame or text in Russian; missing is ``NaN``/``NA`` (the
template shows «—»); a section that cannot be shown carries its Russian reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from shnro_lib.facts import region_school_facts
from shnro_lib.profiles.diagnostics import diagnostics_wide
from shnro_lib.profiles.settings import ProfilesSettings, load_profiles_settings
from shnro_lib.profiles.zones import CELL, problem_zones

__all__ = ["CELL", "ProfileInputs", "problem_zones", "profile_inputs", "school_profile"]
# the yearly quantities of the trend (the school facts' columns)
TREND_FACTS = ("year", "year_result_index", "year_result_index_se", "participants")
# the context quantities a page shows, as the school facts hold them
CONTEXT_FACTS = (
    "cluster_name",
    "result_index",
    "expected_result",
    "residual",
    "residual_ci_low",
    "residual_ci_high",
    "context_status",
    "residual_band",
)


def _flag(v: Any) -> bool:
    return not _missing(v) and bool(v)


def _missing(v: Any) -> bool:
    try:
        return v is None or v is pd.NA or bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


@dataclass
class ProfileInputs:
    """Region-wide inputs of the profile pages (built once by :func:`profile_inputs`)."""

    region: Any
    dataset: Any
    settings: ProfilesSettings
    min_n: int
    zones: pd.DataFrame
    worth: pd.DataFrame
    rows: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    index_specs: dict[str, dict] = field(default_factory=dict)
    region_means: dict[str, pd.Series] = field(default_factory=dict)
    records: dict[str, dict[str, dict]] = field(default_factory=dict)
    criteria_titles: dict[str, str] = field(default_factory=dict)

    def one(self, name: str, school_id: str) -> dict | None:
        """The single row of a one-row-per-school table as a dict (``None`` when absent)."""
        return self.records.get(name, {}).get(str(school_id))

    def of(self, name: str, school_id: str, key: str = "school_id") -> pd.DataFrame | None:
        """Rows of table ``name`` for one school (``None`` when the table is absent)."""
        t = self.tables.get(name)
        if t is None:
            return None
        pos = self.rows.get(f"{name}:{key}", {}).get(str(school_id))
        return t.iloc[pos] if pos is not None else t.iloc[0:0]


def _positions(df: pd.DataFrame, key: str) -> dict[str, np.ndarray]:
    # one pass over the table: row positions per school, so each page slices instead of filtering
    codes, uniques = pd.factorize(df[key].astype("string"), sort=True)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    return {str(u): order[bounds[i] : bounds[i + 1]] for i, u in enumerate(uniques)}


# the data set's tables a page reads, by their Russian names (a missing one is named in its reason)
DATASET_TABLES_RU = {
    "risk_profile": "«Рисковый профиль»",
    "staff": "«Кадровый потенциал»",
    "resources": "«Ресурсная обеспеченность»",
    "diagnostics": "«Диагностики вход/выход»",
    "process": "«Процесс программы»",
}


def _stage_tables(region: Any, tables: dict, reasons: dict) -> None:
    """The region's stage tables a page reads; a missing one leaves its reason."""
    for name in ("schools", "identify", "context", "similar", "partners", "programme"):
        t = region.table(name)
        if t is not None:
            tables[name] = t
        else:
            reasons[name] = region.reason(name) or "результаты этого раздела не рассчитывались"
    # computed once by the problem_zones stage of the batch; a region without it says why
    zones = region.table("problem_zones")
    if zones is None:
        zones = pd.DataFrame(columns=["school_id", *CELL])
        reasons["zones"] = region.reason("problem_zones")
    tables["zones"] = zones


def _dataset_tables(dataset: Any, tables: dict, reasons: dict) -> None:
    """The data set's own tables a page reads (risk profile, staff, resources, diagnostics, process)."""
    for name, label in DATASET_TABLES_RU.items():
        t = dataset.get(name) if dataset is not None else None
        if t is not None and len(t) > 0:
            tables[name] = t
        else:
            reasons[name] = f"в наборе данных нет таблицы {label}"
    if "diagnostics" in tables:
        tables["diagnostics"] = diagnostics_wide(tables["diagnostics"])


def _records(tables: dict, year: int) -> dict[str, dict[str, dict]]:
    """One dict row per school of the tables a page reads field by field."""
    records = {}
    for name in ("schools", "identify", "context", "partners", "worth", "facts"):
        t = tables.get(name)
        if name == "facts":
            t = t[t["year"] == year]
        if t is not None and "school_id" in t.columns:
            # dict rows: a page reads a few fields of one row, far cheaper than a pandas row per page
            d = t.drop_duplicates("school_id", keep="first")
            records[name] = dict(zip(d["school_id"].astype(str), d.to_dict("records"), strict=True))
    return records


def _row_positions(tables: dict) -> dict[str, dict[str, np.ndarray]]:
    """Row positions of every school in every table (and of every leader in the partnerships)."""
    rows: dict[str, dict[str, np.ndarray]] = {}
    for name, t in tables.items():
        if "school_id" in t.columns and len(t):
            rows[f"{name}:school_id"] = _positions(t, "school_id")
    if "partners" in tables and "leader_id" in tables["partners"].columns:
        lt = tables["partners"].dropna(subset=["leader_id"])
        tables["partners_led"] = lt
        rows["partners_led:leader_id"] = _positions(lt, "leader_id") if len(lt) else {}
    return rows


def _index_means(tables: dict, year: int) -> tuple[dict, dict[str, pd.Series]]:
    """The staff and resources index specs and the region's median of each of their components."""
    from shnro_lib.config import load_yaml, parameters_dir

    specs = load_yaml(parameters_dir() / "indices.yaml") or {}
    index_specs = {k: specs[k] for k in ("staff_index", "resources_index") if k in specs}
    means: dict[str, pd.Series] = {}
    for key, spec in index_specs.items():
        t = tables.get(spec["components"][0]["table"])
        if t is not None:
            ty = t[t["year"] == _latest_year(t, year)]
            cols = [c["column"] for c in spec["components"] if c["column"] in ty.columns]
            means[key] = ty[cols].apply(pd.to_numeric, errors="coerce").astype(float).median()
    return index_specs, means


def profile_inputs(region: Any, dataset: Any, config: Any = None) -> ProfileInputs:
    """Build the region-wide inputs once (see the module docstring).

    Parameters
    ----------
    region : :class:`~shnro_lib.pipeline.RegionResults`.
    dataset : the loaded :class:`~shnro_lib.io.Dataset` (results, risk profile, staff, resources,
        diagnostics, process); ``None`` leaves those sections with their reason.
    config : overrides of ``parameters/profiles.yaml``.
    """
    from shnro_lib.profiles.practices import listed_practices

    cfg = load_profiles_settings(config)
    year = int(region.year)
    reasons: dict[str, str] = {}
    tables: dict[str, pd.DataFrame] = {}
    _stage_tables(region, tables, reasons)
    _dataset_tables(dataset, tables, reasons)
    worth = listed_practices(region, dataset, cfg)
    tables["worth"] = worth
    # every index, SE, probability, band, category and the status come from the school facts; the
    # stage tables are read only for what is not a quantity (criteria met, reasons, names, links)
    tables["facts"] = region_school_facts(region, {"worth_learning": worth})
    records = _records(tables, year)
    rows = _row_positions(tables)
    index_specs, means = _index_means(tables, year)
    return ProfileInputs(
        region=region,
        dataset=dataset,
        settings=cfg,
        min_n=int(region.settings["min_group_size"]),
        zones=tables["zones"],
        worth=worth,
        rows=rows,
        tables=tables,
        reasons=reasons,
        index_specs=index_specs,
        region_means=means,
        records=records,
        criteria_titles=_criteria_titles(region),
    )


def _criteria_titles(region: Any) -> dict[str, str]:
    from shnro_lib.identify import load_rules

    try:
        rules = load_rules(str(region.meta.get("rules", "lo_2018")))
    except Exception:  # noqa: BLE001 - unknown rules only lose the criteria names in one sentence
        return {}
    return {f"crit_{k}": str(c.get("title_ru", k)) for k, c in rules["criteria"].items()}


def _latest_year(t: pd.DataFrame, year: int) -> int | None:
    ys = t.loc[t["year"] <= year, "year"].dropna()
    return int(ys.max()) if len(ys) else None


def _first(df: pd.DataFrame | None) -> dict | None:
    return df.iloc[0].to_dict() if df is not None and len(df) else None


def category_reason(row: dict | None, titles: dict[str, str]) -> str:
    """One Russian sentence: why the school is (not) identified.

    ``titles`` maps ``crit_<name>`` to the criterion's title (from the rules).
    """
    if row is None:
        return "Идентификация для этой школы не проводилась."
    cat = str(row.get("category", "") or "")
    fired = [f"«{t}»" for c, t in titles.items() if row.get(c) is True]
    if cat == "зона риска":
        why = row.get("risk_zone_reasons")
        why = "" if why is None or why is pd.NA or (isinstance(why, float) and np.isnan(why)) else str(why)
        return f"В зоне риска: {why or 'близка к границе категории'}."
    if cat in ("нет", ""):
        und = row.get("unassessed_categories")
        und = "" if und is None or und is pd.NA or (isinstance(und, float) and np.isnan(und)) else str(und)
        tail = f" {und}: не оценено — нет данных для проверки условий." if und else ""
        if fired:
            return (
                "Не выявлена: выполненных критериев ("
                + ", ".join(fired)
                + ") недостаточно ни для одной категории."
                + tail
            )
        return "Не выявлена: ни один критерий не выполнен." + tail
    return f"{cat}: выполнены критерии " + ", ".join(fired) + "." if fired else f"Категория: {cat}."


def _identity(inp: ProfileInputs, sid: str) -> dict[str, Any]:
    """The school, its category (the facts') with the reason, the identify row and the facts row."""
    school = inp.one("schools", sid)
    if school is None:
        raise KeyError(f"Школа с кодом {sid} не найдена в результатах региона")
    fact = inp.one("facts", sid) or {}
    category = fact.get("category")
    category = None if _missing(category) else str(category)
    ident = inp.one("identify", sid)
    if ident is not None:
        # the criteria met are the identify stage's; the category is the facts'
        ident = {**ident, "category": category}
    return {
        "school_id": sid,
        "school": school,
        "year": int(inp.region.year),
        "category": category if ident is not None and category is not None else "—",
        "category_reason": category_reason(ident, inp.criteria_titles),
        "ident": ident,
        "facts": fact,
    }


def _programme(inp: ProfileInputs, sid: str) -> pd.DataFrame | None:
    prog = inp.of("programme", sid)
    if prog is None:
        return None
    cols = ("year", "programme", "in_programme", "cohort", "partner_school_id")
    return prog.sort_values("year")[[c for c in cols if c in prog.columns]]


def _zone_areas(zones: pd.DataFrame | None, flag: str) -> list[str]:
    """«ОГЭ, Математика, 9 класс» for every cell where ``flag`` is set."""
    if zones is None:
        return []
    return [
        f"{r.procedure}, {r.subject}, {int(r.grade)} класс" for r in zones.itertuples() if getattr(r, flag)
    ]


def _trend(inp: ProfileInputs, sid: str) -> pd.DataFrame | None:
    trend = inp.of("facts", sid)
    # the years with results (``participants`` known); a small group's index is missing in the facts
    if trend is not None:
        trend = trend.loc[trend["participants"].notna(), list(TREND_FACTS)]
    return trend.sort_values("year") if trend is not None and len(trend) else None


def _risks(inp: ProfileInputs, sid: str, year: int) -> pd.DataFrame | None:
    """The risk profile's rows of the latest year up to ``year``."""
    risks = inp.of("risk_profile", sid)
    if risks is not None and len(risks):
        ly = _latest_year(risks, year)
        risks = (
            risks[risks["year"] == ly].sort_values(["level", "risk"], kind="stable")
            if ly
            else risks.iloc[0:0]
        )
    return risks


def _diagnostics(inp: ProfileInputs, sid: str) -> pd.DataFrame | None:
    diag = inp.of("diagnostics", sid)
    if diag is not None:
        diag = diag.dropna(axis=1, how="all")
        diag.attrs["waves"] = [
            w for w in inp.tables["diagnostics"].attrs["waves"] if f"n:{w}" in diag.columns
        ]
    return diag


def _leader(inp: ProfileInputs, sid: str, fact: dict) -> dict | None:
    """The proposed leader school: the partnership row with the facts' leader, name and distance."""
    leader = inp.one("partners", sid)
    if leader is None:
        return None
    lid = leader.get("leader_id")
    of_leader = inp.one("facts", str(lid)) or {} if not _missing(lid) else {}
    return {
        **leader,
        "leader_id": fact.get("partner_id"),
        "leader_name": fact.get("partner_name"),
        "distance_km": fact.get("partner_distance_km"),
        "leader_result_index": of_leader.get("result_index"),
    }


def _led(inp: ProfileInputs, sid: str) -> pd.DataFrame | None:
    """The schools this one is proposed to support, with their categories."""
    led = inp.of("partners_led", sid, key="leader_id")
    if led is not None and len(led):
        cats = {k: r.get("category") for k, r in inp.records.get("facts", {}).items()}
        led = led.assign(category=led["school_id"].astype(str).map(cats))
    return led


def _similar(inp: ProfileInputs, sid: str) -> pd.DataFrame | None:
    """The similar schools by rank, with their names and municipalities."""
    sim = inp.of("similar", sid)
    if sim is not None and len(sim):
        names = inp.tables["schools"].set_index(inp.tables["schools"]["school_id"].astype("string"))
        sim = sim.sort_values("rank").assign(
            name=lambda d: d["similar_id"].astype("string").map(names["name"]),
            municipality=lambda d: d["similar_id"].astype("string").map(names["municipality"]),
        )
    return sim


def school_profile(inp: ProfileInputs, school_id: str) -> dict[str, Any]:
    """Everything shown on one school's page (DataFrames, numbers and Russian text; no HTML).

    Parameters
    ----------
    inp : the region-wide inputs (:func:`profile_inputs`).
    school_id : the school's «Код ОО».

    Returns
    -------
    dict
        Keys: ``school`` (Series: name, municipality, type, locality), ``category``, ``category_reason``,
        ``programme`` (year rows), ``zones`` (procedure × subject × grade), ``weak_areas`` (sentences),
        ``trend`` (the school facts' ``year, year_result_index, year_result_index_se, participants``),
        ``context`` (dict or None), ``risks``, ``facts`` (the school's report-year facts row), ``status``
        on the page from ``facts['status_ru']``,
        ``indices`` (key -> dict(value, components DataFrame)), ``diagnostics`` (wide: вход/выход),
        ``leader`` (Series or None), ``led`` (schools this one is proposed to support), ``similar``
        (names and distances), ``worth`` (Series or None), ``reasons`` (section -> why it is empty).

    Raises
    ------
    KeyError
        The school is not in the region's results (Russian message).
    """
    sid = str(school_id)
    year = int(inp.region.year)
    reasons = dict(inp.reasons)
    out = _identity(inp, sid)
    fact = out["facts"]
    out["programme"] = _programme(inp, sid)
    zones = inp.of("zones", sid)
    out["zones"] = zones
    out["weak_areas"] = _zone_areas(zones, "weak")
    out["low_areas"] = _zone_areas(zones, "low_stands_out")
    out["trend"] = _trend(inp, sid)
    ctx = inp.one("context", sid)
    out["context"] = None if ctx is None else {**ctx, **{c: fact.get(c) for c in CONTEXT_FACTS}}
    out["risks"] = _risks(inp, sid, year)
    out["indices"] = _indices(inp, sid, fact, year)
    out["diagnostics"] = _diagnostics(inp, sid)
    out["process"] = inp.of("process", sid)
    out["leader"] = _leader(inp, sid, fact)
    out["led"] = _led(inp, sid)
    out["similar"] = _similar(inp, sid)
    # on the list only where the facts mark it, with the test the facts name
    worth = inp.one("worth", sid) if _flag(fact.get("worth_learning")) else None
    out["worth"] = None if worth is None else {**worth, "route": fact.get("worth_learning_route")}
    out["reasons"] = reasons
    return out


def _indices(inp: ProfileInputs, sid: str, fact: dict, year: int) -> dict[str, dict]:
    out = {}
    for key, spec in inp.index_specs.items():
        value = fact.get(key, np.nan)
        tname = spec["components"][0]["table"]
        rows = inp.of(tname, sid)
        comps = []
        row = None
        if rows is not None and len(rows):
            ly = _latest_year(rows, year)
            row = _first(rows[rows["year"] == ly]) if ly else None
        for c in spec["components"]:
            col = c["column"]
            comps.append(
                {
                    "label": c.get("label_ru", col),
                    "value": row.get(col, np.nan) if row is not None else np.nan,
                    "median": inp.region_means.get(key, pd.Series(dtype=float)).get(col, np.nan),
                    "direction": int(c.get("direction", 1)),
                    "column": col,
                }
            )
        out[key] = {
            "title": spec.get("title_ru", key),
            "value": value,
            "components": pd.DataFrame(comps),
            "year": int(row["year"]) if row is not None else None,
            "reason": inp.reasons.get(tname, ""),
        }
    return out
