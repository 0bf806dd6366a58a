"""The synthetic demo region: deterministic, loads cleanly, carries its planted truth."""

from __future__ import annotations

import filecmp

import pandas as pd
import pytest
from conftest import DEMO_DIR, DEMO_TRUTH_DIR

from shnro_lib.demo import MUNICIPALITIES, generate_demo
from shnro_lib.io import load_dataset


def test_shipped_demo_loads_without_errors(demo_dataset):
    ds = demo_dataset
    assert not ds.report.errors
    assert ds.is_synthetic
    assert len(ds.schools) == 350
    assert ds.years == [2020, 2021, 2022, 2023, 2024]
    assert len(ds.municipalities) == 18
    assert set(ds.results["procedure"].unique()) == {"ЕГЭ", "ОГЭ", "ВПР", "РДР"}
    for table in (
        "context",
        "staff",
        "resources",
        "territories",
        "outcomes",
        "programme",
        "process",
        "diagnostics",
        "risk_profile",
    ):
        assert ds.has(table), table
    # every read row is used: nothing dropped silently
    for load in ds.report.tables.values():
        assert load.rows_read == load.rows_used + load.rows_excluded + load.rows_empty


def test_demo_realistic_mix(demo_dataset):
    sch = demo_dataset.schools
    types = set(sch["school_type"].dropna())
    assert {"СОШ", "ООШ", "гимназия", "лицей"} <= types
    assert (sch["school_id"].str.startswith("0")).any(), "leading zeros must survive loading"
    res = demo_dataset.results
    ege = res[(res["procedure"] == "ЕГЭ") & (res["participants"] > 0)]
    assert ege["subject"].nunique() >= 8
    # small schools exist: some ЕГЭ groups have fewer than 10 takers
    assert (ege["participants"] < 10).mean() > 0.05
    # ОГЭ 2020 was cancelled
    assert res[(res["procedure"] == "ОГЭ") & (res["year"] == 2020)].empty
    assert (res["mean_score"].dropna() <= res.loc[res["mean_score"].notna(), "max_score"]).all()


def test_demo_schools_of_one_settlement_lie_close(demo_dataset):
    from shnro_lib.partners import scattered_localities

    sch = demo_dataset.schools
    # a village's schools within 5 km of each other, a town's within 30 km: distances to a leader agree
    villages = sch[sch["locality_type"] == "село/деревня"]
    assert villages.duplicated(["municipality", "locality"]).any()
    assert scattered_localities(villages, 5).empty
    assert scattered_localities(sch, 30).empty


def test_demo_programme_is_staggered(demo_dataset):
    prog = demo_dataset.get("programme")
    cohorts = prog.groupby("school_id")["cohort"].first().value_counts()
    assert set(cohorts.index) == {2022, 2023}
    assert cohorts[2022] > cohorts[2023] > 0


def test_generator_is_deterministic(tmp_path):
    a = generate_demo(tmp_path / "a", seed=3, n_schools=60)
    b = generate_demo(tmp_path / "b", seed=3, n_schools=60)
    names = sorted(p.name for p in a.data_dir.iterdir())
    match, mismatch, errors = filecmp.cmpfiles(a.data_dir, b.data_dir, names, shallow=False)
    assert not mismatch and not errors
    c = generate_demo(tmp_path / "c", seed=4, n_schools=60)
    assert not filecmp.cmp(a.data_dir / "results.csv", c.data_dir / "results.csv", shallow=False)


def test_shipped_demo_matches_generator(tmp_path):
    """data/demo is exactly what `shnro demo-data data/demo --seed 0` writes."""
    out = generate_demo(tmp_path / "demo", seed=0)
    for p in DEMO_DIR.iterdir():
        assert filecmp.cmp(p, out.data_dir / p.name, shallow=False), p.name
    for p in DEMO_TRUTH_DIR.iterdir():
        assert filecmp.cmp(p, out.truth_dir / p.name, shallow=False), p.name


def test_truth_is_separate_and_consistent(demo_dataset):
    truth = pd.read_csv(DEMO_TRUTH_DIR / "truth_schools.csv", dtype={"school_id": str})
    assert set(truth["school_id"]) == set(demo_dataset.schools["school_id"])
    assert truth["planted_resilient"].sum() == 10
    prog_ids = set(demo_dataset.get("programme")["school_id"])
    assert set(truth.loc[truth["cohort"].notna(), "school_id"]) == prog_ids
    # the planted context effect orders the planted groups as designed
    means = truth.groupby("context_group")["context_effect"].mean()
    assert means["urban_advantaged"] > means["urban_mass"] > means["rural_small"] > means["disadvantaged"]


def test_parquet_format(tmp_path):
    out = generate_demo(
        tmp_path / "pq", seed=2, n_schools=40, fmt="parquet", municipalities=MUNICIPALITIES[:3]
    )
    ds = load_dataset(out.data_dir)
    assert len(ds.schools) == 40
    assert ds.municipalities == sorted(m[0] for m in MUNICIPALITIES[:3])


@pytest.mark.parametrize("seed", [5])
def test_selection_creates_regression_to_the_mean(tmp_path, seed):
    """Programme schools were chosen on bad luck: in the selection years their observed index is
    below what their true effect predicts (the residual of observed on true is negative)."""
    import numpy as np

    from shnro_lib.indicators import school_result_index

    out = generate_demo(tmp_path / "d", seed=seed, n_schools=200)
    truth = pd.read_csv(out.truth_dir / "truth_schools.csv", dtype={"school_id": str}).set_index("school_id")
    ds = load_dataset(out.data_dir)
    obs = school_result_index(ds.results, years=[2020, 2021])["result_index"]
    true = truth["true_school_effect"].reindex(obs.index)
    slope, intercept = np.polyfit(true, obs, 1)
    luck = obs - (intercept + slope * true)
    treated = truth["cohort"].reindex(obs.index) == 2022
    assert luck[treated].mean() < luck[~treated].mean() - 0.02


def test_cli_programme_profile(tmp_path):
    """`shnro demo-data DIR --programme-profile NAME` writes that design's selection rule; a wrong name is
    refused."""
    import yaml
    from typer.testing import CliRunner

    from shnro_lib.cli import app

    r = CliRunner().invoke(
        app,
        [
            "demo-data",
            str(tmp_path / "s"),
            "--seed",
            "2",
            "--n-schools",
            "40",
            "--programme-profile",
            "staggered",
        ],
    )
    assert r.exit_code == 0, r.output
    facts = yaml.safe_load((tmp_path / "s" / "dataset.yaml").read_text(encoding="utf-8"))
    cohorts = facts["programme"]["cohorts"]
    assert sorted(cohorts) == [2022, 2023, 2024]
    assert all(c["selection_years"] == [y - 1] for y, c in cohorts.items())
    assert facts["generator"].endswith("--programme-profile staggered")
    prog = load_dataset(tmp_path / "s").get("programme")
    assert set(prog["cohort"].dropna().astype(int)) == {2022, 2023, 2024}
    r = CliRunner().invoke(app, ["demo-data", str(tmp_path / "x"), "--programme-profile", "нет_такого"])
    assert r.exit_code == 2
    assert "Нет профиля программы" in r.output and "single_clean" in r.output
    assert not (tmp_path / "x").exists()
