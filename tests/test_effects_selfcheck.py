"""The self-check on the data's own design: twins equal to the library, verdicts as they are, seeds."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
from conftest import DEMO_DIR

from shnro_lib import effects as E
from shnro_lib.effects import selfcheck as SC
from shnro_lib.effects.settings import load_effects_config
from shnro_lib.effects.twins import event_twin, naive_twin, selection_twin

PROFILES = ["single_clean", "staggered", "fuzzy"]
FAST = {"rtm": {"bootstrap_reps": 20}, "did": {"callaway_santanna": False}}


def _truth(ds, truth_dir) -> dict:
    sys.path.insert(0, str(DEMO_DIR.parent.parent / "benchmarks"))
    try:
        from effects import truth_for  # benchmarks/effects.py
    finally:
        sys.path.pop(0)
    return truth_for(ds, truth_dir)


@pytest.fixture(scope="module")
def profile_dirs(tmp_path_factory):
    from shnro_lib.demo import generate_demo

    out = {}
    for p in PROFILES:
        d = tmp_path_factory.mktemp(p) / "demo"
        generate_demo(d, seed=1, n_schools=120, fmt="parquet", programme_profile=p)
        out[p] = d
    return out


@pytest.fixture(scope="module")
def datasets(profile_dirs, demo_dataset):
    from shnro_lib.io import load_dataset

    return {"demo": demo_dataset, **{p: load_dataset(d) for p, d in profile_dirs.items()}}


def _parts(ds):
    cfg = load_effects_config()
    design = E.programme_design(ds, cfg)
    panel = E.result_panel(ds, cfg, design)
    return cfg, design, panel


@pytest.mark.parametrize("name", ["demo", "single_clean", "staggered"])
def test_twins_give_the_library_estimate_and_error(datasets, name):
    ds = datasets[name]
    cfg, design, panel = _parts(ds)
    fr, Y, extra = SC.frame_of(ds, panel, cfg, design)
    coh = extra["coh"]
    z = cfg.z
    lib = E.naive_pre_post(panel, cfg)["estimate"]["pp"]
    assert naive_twin(Y, coh, fr) == pytest.approx((lib[0], (lib[2] - lib[0]) / z), rel=1e-9)
    S = {g: extra["cov"][f"S_{g}"].to_numpy(float) for g in sorted(set(coh) - {0})}
    lib = E.selection_adjusted(panel, cfg, dataset=ds, design=design)["estimate"]["pp"]
    assert selection_twin(Y, coh, S, fr) == pytest.approx((lib[0], (lib[2] - lib[0]) / z), rel=1e-8)
    if design.kind == "clean_base":
        lib = E.event_study(panel, cfg)["estimate"]["pp"]
        assert event_twin(Y, coh, fr) == pytest.approx((lib[0], (lib[2] - lib[0]) / z), rel=1e-8)
    else:
        assert np.isnan(event_twin(Y, coh, fr)[0])


def test_verdict_counts_monte_carlo_uncertainty():
    cfg = load_effects_config()
    rng = np.random.default_rng(0)

    def draws(bias, sd, cover, n):
        return pd.DataFrame(
            {
                "estimator": "x",
                "effect": 0.0,
                "err": bias + sd * rng.standard_normal(n),
                "cover": rng.random(n) < cover,
            }
        )

    assert SC.summarise(draws(0.0, 0.3, 0.95, 400), cfg)["verdict"].iloc[0] == "pass"
    assert SC.summarise(draws(1.0, 0.3, 0.95, 400), cfg)["verdict"].iloc[0] == "fail"
    assert SC.summarise(draws(0.0, 0.3, 0.70, 400), cfg)["verdict"].iloc[0] == "fail"
    # the bias at the threshold with a wide Monte-Carlo band: neither passes nor fails
    assert SC.summarise(draws(0.2, 2.0, 0.95, 200), cfg)["verdict"].iloc[0] == "unknown"
    row = SC.summarise(draws(0.0, 0.3, 0.95, 400), cfg).iloc[0]
    assert row["bias_mc_se_pp"] == pytest.approx(0.3 / 20, rel=0.15)
    assert row["reps"] == 400


def test_open_verdict_runs_more_replications_up_to_the_cap(datasets):
    ds = datasets["demo"]
    cfg, design, panel = _parts(ds)
    # a threshold at the demo's own bias: the evidence stays open, the cap is reached
    tight = load_effects_config(
        {
            "identifiability": {"max_abs_bias_pp": 0.07},
            "self_check": {"replications": 50, "max_replications": 100},
        }
    )
    res = SC.self_check(ds, panel, design, "selection_adjusted", tight)
    row = res["table"].set_index("estimator").loc["selection_adjusted"]
    assert res["verdict"] == "unknown" and row["reps"] == 100


@pytest.mark.parametrize(
    "name,picked",
    [
        ("demo", "selection_adjusted"),
        ("single_clean", "event_study"),
        ("staggered", "event_study"),
        ("fuzzy", "event_study"),
    ],
)
def test_verdict_as_it_is_and_the_same_under_two_seeds(datasets, name, picked):
    ds = datasets[name]
    cfg, design, panel = _parts(ds)
    assert E.choose_estimator(design)[0] == picked
    verdicts = []
    for seed in (1, 2):
        c = load_effects_config({"self_check": {"seed": seed}})
        check = SC.design_check(ds, panel, design, picked, c)
        verdicts.append(check["verdict"])
        tab = check["table"].set_index("estimator")
        assert tab.loc[picked, "reps"] >= 200
        # the naive change inherits regression to the mean on every design
        assert tab.loc["naive_pre_post", "verdict"] == "fail"
    assert verdicts == ["pass", "pass"]


@pytest.mark.parametrize("name", ["demo", *PROFILES])
def test_planted_effect_inside_the_recommended_interval(datasets, profile_dirs, name):
    ds = datasets[name]
    tab, det = E.programme_effects(ds, FAST, details=True)
    truth_dir = (DEMO_DIR if name == "demo" else profile_dirs[name]).parent / "demo_truth"
    truth = _truth(ds, truth_dir)
    pref = tab[tab["preferred"]]
    assert len(pref) == 1 and pref["estimator"].iloc[0] == det["picked"]
    r = pref.iloc[0]
    t = truth["es_pp" if r["estimator"] == "event_study" else "att_pp"]
    assert r["ci_low_pp"] < t < r["ci_high_pp"]
    assert list(tab.columns) == E.TABLE_COLUMNS
    checked = tab.dropna(subset=["selfcheck_bias_pp"])
    assert set(checked["estimator"]) >= {"naive_pre_post", det["picked"]}
    assert (checked["selfcheck_coverage_share"].between(0, 1)).all()
    assert (checked["selfcheck_rmse_pp"] >= checked["selfcheck_bias_pp"].abs()).all()
    # every row says what the self-check concluded, in words
    assert tab["selfcheck_verdict"].map(lambda v: isinstance(v, str) and len(v) > 3).all()


def test_placebo_in_time_where_the_data_allow(datasets):
    # single_clean: 2020-21 before the selection year 2022 -> a placebo start in 2021, near zero
    tab = E.programme_effects(datasets["single_clean"], FAST).set_index("estimator")
    for name in ("naive_pre_post", "event_study", "selection_adjusted"):
        r = tab.loc[name]
        assert r["placebo_ci_low_pp"] < 0 < r["placebo_ci_high_pp"], name
        assert abs(r["placebo_pp"]) < 1.5, name
    # the demo's first selection year is its first data year: no placebo, and the note says why
    demo = E.programme_effects(datasets["demo"], FAST, estimators=["selection_adjusted"]).set_index(
        "estimator"
    )
    assert demo["placebo_pp"].isna().all()
    assert "Плацебо во времени: нет двух лет до первых лет отбора" in demo.loc["selection_adjusted", "note"]


def test_self_check_not_possible_without_untreated_years():
    Y = np.random.default_rng(0).normal(size=(6, 1))
    with pytest.raises(SC.SelfCheckUnavailable):
        SC.results_model(Y, np.ones_like(Y), np.array([0, 0, 0, 2021, 2021, 2021]), np.array([2021]))
