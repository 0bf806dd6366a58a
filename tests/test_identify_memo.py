"""The identification memo: indicators, criterion evaluations and the index decline computed once
and shared by the years, the sensitivity variants, other rule sets and the panel give exactly
what separate runs give (the memo key holds every choice a value reads)."""

from __future__ import annotations

import pandas as pd
import pytest

from shnro_lib import indicators as ind
from shnro_lib.identify import (
    identification_panel,
    identify_each_year,
    identify_schools,
    rule_set_kappa,
    sensitivity_runs,
    sensitivity_table,
)
from shnro_lib.identify.models import load_indices
from shnro_lib.identify.rules import available_rules, load_rules
from shnro_lib.identify.sensitivity import rule_variants
from shnro_lib.pipeline.graph import run_graph

YEAR = 2024
# another index spec (territory flags: a criterion reads them through its indicator) and another
# risk zone: a memo shared with the default choice must keep them apart
OVERRIDE = {
    "criteria": {"risk_zone": {"borderline": False}},
    "indices": {"territory_flags": {"pension_ratio_factor": 1.1}},
}


def _same(shared: pd.DataFrame, alone: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(shared, alone, check_exact=True)
    for key in ("notes", "unassessed", "absent"):
        assert shared.attrs[key] == alone.attrs[key]
    assert str(shared.attrs["cutoffs"]) == str(alone.attrs["cutoffs"])
    pd.testing.assert_frame_equal(shared.attrs["coverage"], alone.attrs["coverage"], check_exact=True)


def _indicator_keys(memo: dict) -> set:
    return {k for k in memo if isinstance(k, tuple) and k[:1] == ("indicator",)}


@pytest.fixture(scope="module")
def shared_runs(small_demo):
    """Every sensitivity run of the default choice and of the override, all with one memo."""
    memo: dict = {}
    std = ind.standardised_results(small_demo.results)
    plain = sensitivity_runs(small_demo, YEAR, "lo_2018", standardised=std, memo=memo)
    n_plain = len(_indicator_keys(memo))
    over = sensitivity_runs(small_demo, YEAR, "lo_2018", OVERRIDE, standardised=std, memo=memo)
    return memo, n_plain, plain, over


def _alone(small_demo, label: str, override: dict | None) -> pd.DataFrame:
    variants = dict(rule_variants("lo_2018", (override or {}).get("criteria")))
    spec = load_indices(None, (override or {}).get("indices"))
    rules = variants.get(label, label.split(": ", 1)[-1])
    # the sensitivity runs are not explained: they are compared by their categories
    return identify_schools(small_demo, YEAR, rules, spec, explain=False)


@pytest.mark.parametrize("which", ["plain", "override"])
def test_every_variant_with_a_shared_memo_equals_its_own_run(small_demo, shared_runs, which) -> None:
    _, _, plain, over = shared_runs
    runs = plain if which == "plain" else over
    assert len(runs) == len(rule_variants("lo_2018")) + len(available_rules()) - 1
    for label, table in runs.items():
        _same(table, _alone(small_demo, label, OVERRIDE if which == "override" else None))


def test_the_memo_is_shared_and_keeps_the_choices_apart(small_demo, shared_runs) -> None:
    memo, n_plain, plain, over = shared_runs
    keys = _indicator_keys(memo)
    one: dict = {}
    identify_schools(small_demo, YEAR, "lo_2018", memo=one)
    # the variants reuse the indicators: the nine runs compute fewer than three runs' worth
    assert len(plain) == 9 and _indicator_keys(one) and n_plain < 3 * len(_indicator_keys(one))
    # the override's territory flags are another key (the other indicators are reused)
    assert n_plain < len(keys) < 2 * n_plain
    # the choices differ on this data set, so a key missing one of them would have failed above
    main = next(iter(plain))
    index_method = next(lab for lab in plain if "индекс (в основном" in lab)
    assert not plain[index_method]["category"].equals(plain[main]["category"])
    territory = "crit_pension_territory"
    assert not over[main][territory].equals(plain[main][territory])


def test_years_and_panel_with_a_shared_memo_equal_separate_runs(small_demo) -> None:
    memo: dict = {}
    years = [y for y in small_demo.years if y <= YEAR]
    runs = identify_each_year(small_demo, years, "lo_2018", memo=memo)
    for y in years:
        _same(runs[y], identify_schools(small_demo, y, "lo_2018"))
    # a second pass reads everything from the memo and gives the same tables (nothing shared was changed)
    n = len(memo)
    again = identify_each_year(small_demo, years, "lo_2018", memo=memo)
    assert len(memo) == n
    for y in years:
        _same(again[y], runs[y])
    panel = identification_panel(small_demo, years, "lo_2018", memo=memo)
    pd.testing.assert_frame_equal(panel, identification_panel(small_demo, years, "lo_2018"), check_exact=True)


def test_a_memo_belongs_to_one_data_set(small_demo, small_demo_dir) -> None:
    from shnro_lib.io import load_dataset

    memo: dict = {}
    identify_schools(small_demo, YEAR, load_rules("lo_2018"), memo=memo)
    with pytest.raises(ValueError, match="one data set"):
        identify_schools(load_dataset(small_demo_dir), YEAR, "lo_2018", memo=memo)


def test_the_graph_shares_one_memo_and_gives_the_separate_results(small_demo) -> None:
    run = run_graph(small_demo, YEAR, "lo_2018", {}, targets=["sensitivity", "ident_panel"])
    assert not run.log.failures
    shared = run.values["ident_inputs"]
    assert _indicator_keys(shared.memo) and shared.standardised is not None
    assert "ident_inputs" not in run.tables  # a shared input, not a table of the results
    alone = sensitivity_runs(small_demo, YEAR, "lo_2018")
    pd.testing.assert_frame_equal(run.tables["sensitivity"], sensitivity_table(alone), check_exact=True)
    pd.testing.assert_frame_equal(run.tables["sensitivity_kappa"], rule_set_kappa(alone), check_exact=True)
    years = [y for y in small_demo.years if y <= YEAR]
    pd.testing.assert_frame_equal(
        run.tables["ident_panel"], identification_panel(small_demo, years, "lo_2018"), check_exact=True
    )


@pytest.mark.parametrize("kind", ["pct", "pct2", "points", "count", "number", "number2", "signed", "bool"])
def test_a_column_formatted_at_once_equals_each_value_formatted(kind) -> None:
    from shnro_lib.identify.explain import _fmt, _fmt_many

    values = [0.0, -0.0, 0.125, -0.125, 2.675, -1.005, 1e6, -3.14159, 0.3333, float("nan"), float("inf")]
    column = pd.Series(
        values if kind != "bool" else [True, False, None], dtype=None if kind != "bool" else object
    )
    many = _fmt_many(column, kind)
    assert many == [_fmt(v, kind) for v in column.tolist()]
    if kind == "number2":
        assert many[3] == "\u22120,12" and many[-1] == many[-2] == "нет данных"
    # a nullable column goes value by value and says the same
    nullable = pd.Series([0.5, None], dtype="Float64")
    assert _fmt_many(nullable, kind) == [_fmt(v, kind) for v in nullable.tolist()]
