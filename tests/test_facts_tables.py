"""The facts tables behind every view: one row per school and year, one status per school."""

from __future__ import annotations

import pandas as pd
import pytest

from shnro_lib.facts import LISTED_STATUSES, school_status

YEAR = 2024
LISTED = ("ШНРО", "ШНСУ", "ШНРО и ШНСУ")


@pytest.fixture(scope="module")
def region(small_demo):
    from shnro_lib.pipeline.region import compute_from_dataset

    return compute_from_dataset(small_demo, YEAR)


def test_one_row_per_school_and_year_with_the_stages_own_numbers(region) -> None:
    facts = region.table("school_facts")
    assert not facts.duplicated(["school_id", "year"]).any()
    now = facts[facts["year"] == YEAR].set_index("school_id")
    assert len(now) == region.table("schools")["school_id"].nunique()
    ident = region.table("identify").set_index(region.table("identify")["school_id"].astype("string"))
    pd.testing.assert_series_equal(
        now["result_index"].astype(float),
        ident["result_index"].reindex(now.index).astype(float),
        check_names=False,
    )
    assert (now["category"].astype("string") == ident["category"].reindex(now.index).astype("string")).all()
    # earlier years carry that year's category from the panel, not the report year's
    panel = region.table("ident_panel").assign(school_id=lambda d: d["school_id"].astype("string"))
    early = facts[facts["year"] == YEAR - 2].merge(
        panel.assign(year=panel["year"].astype(int)), on=["school_id", "year"], suffixes=("", "_panel")
    )
    assert len(early) and (early["category"] == early["category_panel"]).all()


def test_small_groups_have_no_year_index(region) -> None:
    facts = region.table("school_facts")
    min_n = int(region.settings["min_group_size"])
    small = facts["participants"].fillna(0) < min_n
    assert facts.loc[small, "year_result_index"].isna().all()
    assert facts.loc[~small & facts["participants"].notna(), "year_result_index"].notna().any()


def test_a_listed_school_is_never_effective_and_a_mark_names_its_test(region) -> None:
    now = region.table("school_facts").query("year == @YEAR")
    listed = now["category"].isin(LISTED)
    assert (now.loc[listed, "status"].isin(LISTED_STATUSES)).all()
    assert not (listed & (now["status"] == "effective")).any()
    assert now.loc[listed, "entered_year"].notna().all() and (now.loc[listed, "entered_year"] <= YEAR).all()
    marked = now[now["worth_learning"].astype(bool)]
    worth = region.table("worth_learning")
    assert set(marked["school_id"]) == set(worth["school_id"].astype("string"))
    assert marked["worth_learning_route"].str.len().gt(0).all()


def test_the_status_model_follows_its_precedence() -> None:
    schools = pd.DataFrame({"school_id": ["a", "b", "c", "d"]})
    panel = pd.DataFrame(
        {
            "school_id": list("aaabbbccc"),
            "year": [2022, 2023, 2024] * 3,
            "category": ["нет", "ШНРО", "ШНРО", "ШНРО", "нет", "ШНСУ", "ШНРО", "нет", "нет"],
        }
    )
    traj = pd.DataFrame(
        {
            "school_id": ["a", "b", "c"],
            "status": ["stayed", "reentered", "left"],
            "status_ru": ["остаётся в списке", "вернулась в список", "вышла из списка"],
            "path": ["", "", ""],
            "left_year": [pd.NA, pd.NA, 2023],
            "effective_since": pd.NA,
        }
    )
    ident = pd.DataFrame({"school_id": ["a", "b", "c", "d"], "category": ["ШНРО", "ШНСУ", "нет", "нет"]})
    worth = pd.DataFrame({"school_id": ["c"], "route": ["вышла из списка и осталась вне его"]})
    s = school_status(ident, traj, worth, schools, panel, LISTED).set_index("school_id")
    assert s.loc["a", "entered_year"] == 2023 and s.loc["b", "entered_year"] == 2024
    assert pd.isna(s.loc["c", "entered_year"]) and s.loc["c", "left_year"] == 2023
    assert s.loc["c", "worth_learning"] and not s.loc["a", "worth_learning"]
    # no trajectory for a school: its status is missing, not «вне списка»
    assert pd.isna(s.loc["d", "status"])
    none = school_status(ident, None, None, schools).set_index("school_id")
    assert none["status_ru"].str.startswith("не оценено").all()


def test_municipal_and_regional_facts_add_up(region) -> None:
    m, r = region.table("municipality_facts"), region.table("region_facts")
    by_year = m.groupby("year")[["schools", "schools_listed", "schools_risk"]].sum()
    pd.testing.assert_frame_equal(
        by_year, r.set_index("year")[["schools", "schools_listed", "schools_risk"]], check_dtype=False
    )
    assert "monitoring_shnro_share" in r.columns and r["schools"].gt(0).all()


def test_every_stage_has_a_russian_title() -> None:
    """A skipped stage's reason names the stage it waited for: in Russian, never by its id."""
    from shnro_lib.pipeline.graph import stage_names
    from shnro_lib.pipeline.log import STAGE_TITLES_RU

    assert not set(stage_names()) - set(STAGE_TITLES_RU)
