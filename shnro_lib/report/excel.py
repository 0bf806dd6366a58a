"""The municipal Excel workbook (``outputs.write_workbook``: Russian headers, no live formulas)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from shnro_lib import __version__
from shnro_lib.facts import region_school_facts
from shnro_lib.facts.select import facts_of_year, region_facts_now, with_facts
from shnro_lib.labels import LABELS_RU, money_labels
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
        **{c: f"Критерий: {t}" for c, t in criterion_titles(rules, crit_cols).items()},
    }
    note = (
        f"{municipality}, {year} г. Отпечаток данных: {region.fingerprint}; правила: {region.meta.get('rules')}; "
        f"shnro {__version__}. Индексы школ с числом участников меньше {min_n} не показаны."
    )
    if region.synthetic:
        note = f"{SYNTHETIC_TEXT}. " + note
    if region.failures:
        note += " Недоступно: " + ", ".join(sorted(region.failures)) + "."
    return write_workbook(sheets, path, notes={k: note for k in sheets}, column_labels=labels)
