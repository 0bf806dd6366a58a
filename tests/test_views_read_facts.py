"""Every view selects from the facts tables: change a value there and the view shows the change.

A view that recomputed a quantity, or read it from the stage table the facts were built from, would
still show the old value.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

YEAR = 2024


@pytest.fixture(scope="module")
def region(small_demo):
    from shnro_lib.pipeline.region import compute_from_dataset

    return compute_from_dataset(small_demo, YEAR)


def edited(region, school_id: str, values: dict, year: int = YEAR):
    """``region`` with its school facts' row of ``school_id`` and ``year`` set to ``values``."""
    facts = region.table("school_facts").copy()
    row = (facts["school_id"].astype(str) == school_id) & (facts["year"] == year)
    assert row.sum() == 1
    for col, v in values.items():
        if isinstance(v, str):
            facts[col] = facts[col].astype(object)
        facts.loc[row, col] = v
    return replace(region, tables={**region.tables, "school_facts": facts})


def listed_school(region) -> str:
    now = region.table("school_facts").query("year == @YEAR")
    return str(now.loc[now["category"].isin(["ШНРО", "ШНРО и ШНСУ"]), "school_id"].sort_values().iloc[0])


def test_a_school_page_shows_the_facts_values(region, small_demo) -> None:
    from shnro_lib.profiles import profile_inputs, render_school_page

    sid = listed_school(region)
    before = render_school_page(profile_inputs(region, small_demo), sid)
    values = {
        "staff_index": 8.76,
        "resources_index": -7.65,
        "result_index": 6.54,
        "residual": 5.43,
        "status_ru": "состояние из сводки",
        "category": "ШНСУ",
    }
    early = {"year_result_index": 4.32, "year_result_index_se": 0.01}
    reg = edited(edited(region, sid, values), sid, early, YEAR - 1)
    html = render_school_page(profile_inputs(reg, small_demo), sid)
    for shown in ("+8,76", "−7,65", "+6,54", "+5,43", "состояние из сводки", "+4,32"):
        assert shown not in before and shown in html, shown
    assert '<span class="cat">ШНСУ</span>' in html


def _sheet(path, name: str) -> list[dict]:
    import openpyxl

    ws = openpyxl.load_workbook(path, read_only=True)[name]
    rows = [[c for c in r] for r in ws.iter_rows(values_only=True)]
    head = next(i for i, r in enumerate(rows) if "Код ОО" in r)
    return [dict(zip(rows[head], r, strict=False)) for r in rows[head + 1 :]]


def test_the_workbook_and_the_report_tables_show_the_facts_values(region, tmp_path) -> None:
    from shnro_lib.report import municipal_workbook
    from shnro_lib.report.monitoring import monitoring_section
    from shnro_lib.report.sections import identified_section
    from shnro_lib.vocabulary import name_ru

    sid = listed_school(region)
    muni = str(region.table("schools").set_index("school_id").loc[sid, "municipality"])
    reg = edited(region, sid, {"result_index": 6.54, "status_ru": "состояние из сводки"})
    reg = edited(reg, sid, {"year_result_index": 4.32}, YEAR - 1)
    path = municipal_workbook(reg, muni, tmp_path / "m.xlsx")
    ident = {str(r["Код ОО"]): r for r in _sheet(path, "Идентификация")}
    assert ident[sid][name_ru("result_index")] == pytest.approx(6.54)
    by_year = {str(r["Код ОО"]): r for r in _sheet(path, "Индексы по годам")}
    assert by_year[sid][f"{name_ru('year_result_index')}, {YEAR - 1}"] == pytest.approx(4.32)
    html = identified_section(reg, muni).to_html()
    assert "<td>6,54</td>" in html
    if reg.ok("trajectories"):
        paths = [t for t in monitoring_section(reg, muni).tables if "path" in t.columns]
        mine = paths[0][paths[0]["school_id"].astype(str) == sid]
        assert list(mine["status_ru"]) == ["состояние из сводки"]


def test_the_summary_counts_are_the_municipality_facts(region) -> None:
    from shnro_lib.report.sections import summary_section

    m = region.table("municipality_facts").copy()
    muni = str(m["municipality"].iloc[0])
    row = (m["municipality"] == muni) & (m["year"] == YEAR)
    m.loc[row, "schools"] = 777
    m.loc[row, "schools_not_assessed"] = 55
    reg = replace(region, tables={**region.tables, "municipality_facts": m})
    html = summary_section(reg, muni).to_html()
    assert "777" in html and "55" in html


def test_table_headers_carry_the_vocabularys_definition_as_a_tooltip(region, small_demo) -> None:
    from html import unescape

    from shnro_lib.profiles import profile_inputs, render_school_page
    from shnro_lib.report.sections import identified_section
    from shnro_lib.vocabulary import name_ru, vocabulary

    sid = listed_school(region)
    muni = str(region.table("schools").set_index("school_id").loc[sid, "municipality"])
    html = unescape(identified_section(region, muni).to_html())
    for qid in ("result_index", "shrunken_index", "category"):
        q = vocabulary()[qid]
        assert f'<th title="{q.definition}">{name_ru(qid)}</th>' in html, qid
    page = unescape(render_school_page(profile_inputs(region, small_demo), sid))
    assert f'title="{vocabulary()["status_ru"].definition}"' in page
    assert f'title="{vocabulary()["year_result_index"].definition}"' in page


def test_the_monitoring_table_heads_an_indicators_target_state_not_as_a_school_status(region) -> None:
    from shnro_lib.report.monitoring import monitoring_section
    from shnro_lib.vocabulary import name_ru

    muni = str(region.table("schools")["municipality"].iloc[0])
    indicators = next(t for t in monitoring_section(region, muni).tables if "title_ru" in t.columns)
    shown = monitoring_section(region, muni).blocks[0].frame
    assert "target_status_ru" in indicators.columns and "Выполнение цели" in shown.columns
    assert name_ru("status_ru") not in shown.columns
