"""The municipal Excel workbook (``outputs.write_workbook``: Russian headers, no live formulas)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from shnro_lib import __version__
from shnro_lib.excel_format import signed_format
from shnro_lib.facts import region_school_facts
from shnro_lib.facts.select import facts_of_year, region_facts_now, with_facts
from shnro_lib.labels import LABELS_RU, money_labels
from shnro_lib.pipeline.log import STAGE_TITLES_RU
from shnro_lib.report.format import SYNTHETIC_TEXT
from shnro_lib.report.helpers import criterion_labels, criterion_titles, with_names
from shnro_lib.report.helpers import min_n as _min_n
from shnro_lib.vocabulary import name_ru

# the monitoring table's status is the indicator's state against its target, not a school's status
MONITORING_COLUMNS = {
    "title_ru": "title_ru",
    "year": "year",
    "value": "value",
    "unit": "unit",
    "n_schools": "n_schools",
    "target": "target",
    "status_ru": "target_status_ru",
    "note": "note",
}
PARTNER_COLUMNS = [
    "school_id",
    "school_name",
    "category",
    "leader_id",
    "leader_name",
    "leader_municipality",
    "distance_km",
    "context_distance",
    "result_gap",
    "reason",
]
PROGRAMME_COLUMNS = [
    "school_id",
    "year",
    "programme",
    "in_programme",
    "cohort",
    "partner_school_id",
    "cost_rub",
]
SHEET_LABELS_RU = {"target_status_ru": "Выполнение цели"}
# «проблемные зоны»: percent of the maximum and percent points, one decimal (as the school pages show)
ZONE_PCT = [
    "pct",
    "pct_low",
    "pct_high",
    "region_pct",
    "gap_region",
    "gap_region_low",
    "gap_region_high",
    "similar_pct",
    "gap_similar",
    "gap_similar_low",
    "gap_similar_high",
]
ZONE_SHARES = {"share_low": "zone_share_low", "region_share_low": "zone_region_share_low"}
ZONE_FLAGS = ["weak_region", "weak_similar", "low_stands_out", "small"]
ZONE_COLUMNS = [
    "school_id",
    "procedure",
    "subject",
    "grade",
    "participants",
    *ZONE_PCT,
    "n_similar",
    *ZONE_SHARES.values(),
    *ZONE_FLAGS,
]


def zone_labels(level: float, min_n: int) -> dict[str, str]:
    """Russian headers of the «Проблемные зоны» sheet (``level``: the interval's level, e.g. 0.95)."""
    ci = f"{round(level * 100)}-процентного интервала"
    return {
        "pct": "Средний балл школы, % от максимума",
        "pct_low": f"Балл школы: нижняя граница {ci}",
        "pct_high": f"Балл школы: верхняя граница {ci}",
        "region_pct": "Средний балл по региону, % от максимума",
        "gap_region": "Разница с регионом, п. п.",
        "gap_region_low": f"Разница с регионом: нижняя граница {ci}, п. п.",
        "gap_region_high": f"Разница с регионом: верхняя граница {ci}, п. п.",
        "similar_pct": "Средний балл похожих школ, % от максимума",
        "n_similar": "Похожих школ с результатами",
        "gap_similar": "Разница с похожими школами, п. п.",
        "gap_similar_low": f"Разница с похожими: нижняя граница {ci}, п. п.",
        "gap_similar_high": f"Разница с похожими: верхняя граница {ci}, п. п.",
        "zone_share_low": "Доля низких результатов школы, %",
        "zone_region_share_low": "Доля низких результатов по региону, %",
        "weak_region": "Значимо ниже региона",
        "weak_similar": "Значимо ниже похожих школ",
        "low_stands_out": "Доля низких результатов выделяется",
        "small": f"Меньше {min_n} участников: значения скрыты",
    }


def zones_sheet(region: Any, municipality: str) -> pd.DataFrame | None:
    """The «проблемные зоны» of the municipality's schools as the ``problem_zones`` stage computed them
    (``None`` when the stage did not run): shares in percent, values of small groups hidden."""
    zones = region.for_municipality("problem_zones", municipality) if region.ok("problem_zones") else None
    if zones is None or not len(zones):
        return None
    z = zones.rename(columns=ZONE_SHARES).copy()
    for col in ZONE_SHARES.values():
        z[col] = z[col].astype(float) * 100
    # the same rule as the school pages: a group smaller than min_group_size shows no values
    small = z["small"].fillna(True).astype(bool).to_numpy()
    hidden = [*ZONE_PCT, *ZONE_SHARES.values()]
    z[hidden] = z[hidden].astype(float)
    z.loc[small, hidden] = np.nan
    z = z[[c for c in ZONE_COLUMNS if c in z.columns]]
    z = z.sort_values(["school_id", "procedure", "subject", "grade"], kind="stable").reset_index(drop=True)
    return with_names(region, z)


def programme_sheets(region: Any, municipality: str) -> dict[str, pd.DataFrame]:
    """The municipality's monitoring indicators, proposed partnerships and programme records, as the
    region's stages computed them (sheets only for the stages that ran)."""
    sheets: dict[str, pd.DataFrame] = {}
    mon = region.for_municipality("monitoring", municipality) if region.ok("monitoring") else None
    if mon is not None and len(mon):
        cols = [c for c in MONITORING_COLUMNS if c in mon.columns]
        mon = mon[cols].rename(columns=MONITORING_COLUMNS)
        sheets["Мониторинг"] = mon.sort_values(["title_ru", "year"], kind="stable").reset_index(drop=True)
    pairs = region.for_municipality("partners", municipality) if region.ok("partners") else None
    if pairs is not None and len(pairs):
        pairs = with_facts(pairs, region_facts_now(region, municipality))
        sheets["Партнёрства"] = pairs[[c for c in PARTNER_COLUMNS if c in pairs.columns]].reset_index(
            drop=True
        )
    prog = region.for_municipality("programme", municipality)
    if prog is not None and len(prog):
        prog = prog[[c for c in PROGRAMME_COLUMNS if c in prog.columns]]
        sheets["Программа"] = with_names(
            region, prog.sort_values(["school_id", "year"], kind="stable").reset_index(drop=True)
        )
    zones = zones_sheet(region, municipality)
    if zones is not None:
        sheets["Проблемные зоны"] = zones
    return sheets


def municipal_workbook(region: Any, municipality: str, path: Any) -> Any:
    """Excel for one municipality: schools with categories, criteria and indices (atomic write)."""
    from shnro_lib.outputs import write_workbook

    year = region.year
    sch = region.for_municipality("schools", municipality)
    min_n = _min_n(region)
    # every shown quantity is the school facts' (a small group's index is missing there already)
    facts = region_school_facts(region)
    facts = facts[(facts["municipality"] == municipality).fillna(False).to_numpy()]
    now = facts_of_year(facts, year)
    cur = now[["school_id", "year_result_index", "year_result_index_se", "participants"]]
    schools = sch.assign(school_id=sch["school_id"].astype("string")).merge(cur, on="school_id", how="left")
    sheets: dict[str, pd.DataFrame] = {"Школы": schools}
    for stage, sheet in (("identify", "Идентификация"), ("context", "Контекст"), ("costs", "Цена–качество")):
        if region.ok(stage):
            sheets[sheet] = with_names(region, with_facts(region.for_municipality(stage, municipality), now))
    piv = facts.pivot_table(index="school_id", columns="year", values="year_result_index", aggfunc="first")
    piv.columns = [f"{name_ru('year_result_index')}, {int(c)}" for c in piv.columns]
    sheets["Индексы по годам"] = with_names(region, piv.reset_index())
    part = region.for_municipality("participation", municipality)
    sheets["Участие"] = part
    sheets.update(programme_sheets(region, municipality))
    crit_cols = [c for df in sheets.values() for c in df.columns if str(c).startswith("crit_")]
    rules = region.meta.get("rules", "lo_2018")
    labels = {
        **LABELS_RU,
        **money_labels(region.currency),
        **criterion_labels(rules),
        **SHEET_LABELS_RU,
        **zone_labels(_ci_level(region), min_n),
        **{c: f"Критерий: {t}" for c, t in criterion_titles(rules, crit_cols).items()},
    }
    note = (
        f"{municipality}, {year} г. Отпечаток данных: {region.fingerprint}; "
        f"правила: {region.meta.get('rules')}; "
        f"shnro {__version__}. Индексы школ с числом участников меньше {min_n} не показаны."
    )
    if region.synthetic:
        note = f"{SYNTHETIC_TEXT}. " + note
    if region.failures:
        note += " Недоступно: " + ", ".join(sorted(STAGE_TITLES_RU.get(s, s) for s in region.failures)) + "."
    formats = {c: signed_format("0.0", plus=c.startswith("gap_")) for c in [*ZONE_PCT, *ZONE_SHARES.values()]}
    return write_workbook(
        sheets, path, notes={k: note for k in sheets}, column_labels=labels, number_formats=formats
    )


def _ci_level(region: Any) -> float:
    """The interval level of the school pages and of the «проблемные зоны» (``profiles.yaml: ci_level``)."""
    # read from the parameters, not through the profiles package (the reports never import it)
    from shnro_lib.config import load_yaml, parameters_dir

    override = ((region.meta.get("overrides") or {}).get("profiles") or {}).get("ci_level")
    return float(
        override if override is not None else load_yaml(parameters_dir() / "profiles.yaml")["ci_level"]
    )
