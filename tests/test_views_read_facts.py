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
