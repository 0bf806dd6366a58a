"""Identification computed once and shared: the sensitivity stage reuses the identify stage's base
run, several years share the rule set and the standardised results, and the column-wise helpers
give what the cell-by-cell ones gave."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shnro_lib import indicators as ind
from shnro_lib.identify import (
    identify_each_year,
    identify_schools,
    rule_set_kappa,
    sensitivity_runs,
    sensitivity_table,
)
from shnro_lib.identify.classify import _joined
from shnro_lib.identify.criteria import evaluate_criterion
from shnro_lib.identify.explain import criterion_phrase, criterion_phrases
from shnro_lib.identify.models import load_indices
from shnro_lib.identify.rules import load_rules
from shnro_lib.identify.sources import _Ctx
from shnro_lib.pipeline import stages as S

YEAR = 2024
# a user's --config reaching both identify and sensitivity: the base run must be the same choice
OVERRIDES = {
    "plain": {},
    "config": {
        "criteria": {"risk_zone": {"borderline": False}},
        "indices": {"territory_flags": {"pension_ratio_factor": 1.1}},
    },
}


@pytest.fixture(scope="module", params=sorted(OVERRIDES))
def stage_runs(request, small_demo):
    """The identify stage's runs and the sensitivity stage fed with its base run, per override."""
    over = S.identify_override(OVERRIDES[request.param])
    runs = S.identify_years(small_demo, [2023, YEAR], "lo_2018", over)
    return over, runs, S.sensitivity(small_demo, YEAR, "lo_2018", over, runs[YEAR])


def test_sensitivity_with_the_reused_base_equals_a_recomputed_one(small_demo, stage_runs) -> None:
    over, runs, reused = stage_runs
    recomputed = sensitivity_runs(small_demo, YEAR, "lo_2018", over)  # base identified again
    first = next(iter(recomputed))
    assert first.startswith("основной")
    # a run the sensitivity stage computes itself is not explained: its categories are compared
    pd.testing.assert_frame_equal(runs[YEAR][recomputed[first].columns], recomputed[first], check_exact=True)
    pd.testing.assert_frame_equal(reused["sensitivity"], sensitivity_table(recomputed), check_exact=True)
    pd.testing.assert_frame_equal(reused["sensitivity_kappa"], rule_set_kappa(recomputed), check_exact=True)


def test_the_base_run_handed_in_is_the_one_used(small_demo, stage_runs) -> None:
    over, runs, _ = stage_runs
    base = runs[YEAR]
    out = sensitivity_runs(small_demo, YEAR, "lo_2018", over, base=base)
    assert next(iter(out.values())) is base
    # a different base gives a different comparison: the table is computed from the run handed in
    emptied = base.assign(category=pd.Series("нет", index=base.index, dtype="string"))
    table = S.sensitivity(small_demo, YEAR, "lo_2018", over, emptied)["sensitivity"]
    assert int(table.iloc[0]["В списке"]) == 0
    assert int(base["category"].isin(["ШНРО", "ШНСУ", "ШНРО и ШНСУ"]).sum()) > 0


def test_each_year_shares_rules_and_standardised_results(small_demo, stage_runs) -> None:
    over, runs, _ = stage_runs
    for y in (2023, YEAR):
        # the stage explains the report year only; the earlier years give their categories
        alone = identify_schools(small_demo, y, "lo_2018", None, override=over, explain=y == YEAR)
        pd.testing.assert_frame_equal(runs[y], alone, check_exact=True)
        assert runs[y].attrs["notes"] == alone.attrs["notes"]
        assert runs[y].attrs["unassessed"] == alone.attrs["unassessed"]
    again = identify_each_year(small_demo, [YEAR, 2023], "lo_2018", over, explained=[YEAR])
    assert list(again) == [2023, YEAR]
    pd.testing.assert_frame_equal(again[YEAR], runs[YEAR], check_exact=True)


TEXT_COLUMNS = ["not_assessed", "risk_zone_reasons", "risks_high", "risks_medium", "explanation"]


def test_an_unexplained_table_is_the_explained_one_without_its_texts(small_demo) -> None:
    full = identify_schools(small_demo, YEAR, "lo_2018")
    bare = identify_schools(small_demo, YEAR, "lo_2018", explain=False)
    assert set(full.columns) - set(bare.columns) == set(TEXT_COLUMNS)
    pd.testing.assert_frame_equal(bare, full.drop(columns=TEXT_COLUMNS), check_exact=True)
    # every kind of category occurs, so the risk-zone flags decided some schools without their texts
    assert {"ШНРО", "зона риска", "нет"} <= set(bare["category"])
    reasons = full.loc[full["category"] == "зона риска", "risk_zone_reasons"]
    assert (
        reasons.notna().all() and full.loc[full["category"] != "зона риска", "risk_zone_reasons"].isna().all()
    )


def test_phrases_for_all_schools_equal_the_phrase_of_each(small_demo) -> None:
    r = load_rules("lo_2018")
    ctx = _Ctx(ds=small_demo, rules=r, indices=load_indices())
    evals = {n: evaluate_criterion(ctx, n, YEAR) for n in r["criteria"]}
    checked = 0
    for n, e in evals.items():
        many = criterion_phrases(n, evals, r)
        assert many.index.equals(e.index)
        for sid in e.index[::7]:
            assert many[sid] == criterion_phrase(n, sid, evals, r)
            checked += 1
    assert checked > 100
    # some phrases say a value is missing, others quote it
    texts = pd.concat([criterion_phrases(n, evals, r) for n in evals])
    assert texts.str.contains("нет данных").any() and texts.str.contains(r"\d,\d", regex=True).any()


def test_joined_labels_per_row() -> None:
    flags = np.array([[True, False, True], [False, False, False], [False, True, False]])
    out = _joined(flags, ["«а»", "«б»", "«в»"])
    assert out[0] == "«а»; «в»" and out[1] is pd.NA and out[2] == "«б»"
    assert _joined(flags, ["x", "y", "z"], ", ")[0] == "x, z"
    assert _joined(np.zeros((2, 0), dtype=bool), []) == [pd.NA, pd.NA]


def test_latest_values_of_several_columns_equal_one_by_one() -> None:
    t = pd.DataFrame(
        {
            "school_id": pd.array(["1", "1", "2", "2", "3"], dtype="string"),
            "year": pd.array([2023, 2024, 2023, 2024, 2023], dtype="Int64"),
            "a": [1.0, np.nan, 2.0, 3.0, np.nan],
            "b": pd.array([True, pd.NA, pd.NA, pd.NA, False], dtype="boolean"),
        }
    )
    both = ind.latest_values(t, ["a", "b"], 2024)
    for col in ("a", "b"):
        one = ind.latest_values(t, [col], 2024)
        pd.testing.assert_series_equal(both[col].dropna(), one[col], check_exact=True)
    # the latest known value, a missing later year skipped; a school without any value is missing
    assert both.loc["1", "a"] == 1.0 and both.loc["2", "a"] == 3.0 and pd.isna(both.loc["3", "a"])
    assert bool(both.loc["1", "b"]) and not bool(both.loc["3", "b"]) and pd.isna(both.loc["2", "b"])
