"""«Цена–качество»: DEA against hand-solved examples, the bootstrap, the demo table, the CLI."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import DEMO_DIR

from shnro_lib import costs as K
from shnro_lib.costs import dea as D


def test_dea_vrs_output_one_input_one_output():
    # A(2,1) B(3,4) C(6,5) D(5,2) E(4,3): VRS frontier A-B-C; at x=5 it is 4 + 2/3, at x=4 it is 4 + 1/3
    X = pd.DataFrame({"x": [2, 3, 6, 5, 4.0]}, index=list("ABCDE"))
    Y = pd.DataFrame({"y": [1, 4, 5, 2, 3.0]}, index=list("ABCDE"))
    e = K.dea_efficiency(X, Y)
    assert e.loc["A", "efficiency"] == pytest.approx(1.0)
    assert e.loc["B", "efficiency"] == pytest.approx(1.0)
    assert e.loc["C", "efficiency"] == pytest.approx(1.0)
    assert e.loc["D", "efficiency"] == pytest.approx(2 / (14 / 3))
    assert e.loc["E", "efficiency"] == pytest.approx(3 / (13 / 3))


def test_dea_vrs_output_two_inputs():
    # A(1,1;2) B(2,2;4) C(2,1;1) D(1,2;1.5): C can only be compared with A (x2 <= 1): phi = 2;
    # D only with A: phi = 2 / 1.5
    X = np.array([[1, 1], [2, 2], [2, 1], [1, 2.0]])
    Y = np.array([2, 4, 1, 1.5])
    e = K.dea_efficiency(X, Y)["efficiency"].to_numpy()
    assert e == pytest.approx([1.0, 1.0, 0.5, 0.75])


def test_dea_rejects_non_positive_outputs():
    with pytest.raises(ValueError):
        K.dea_efficiency(np.ones((3, 1)), np.array([1.0, 0.0, 2.0]))


def test_simar_wilson_bootstrap_corrects_upwards_bias():
    rng = np.random.default_rng(0)
    x = rng.uniform(1, 10, 40)
    y = np.sqrt(x) * np.exp(-np.abs(rng.normal(0, 0.3, 40)))
    e = K.dea_efficiency(x[:, None], y[:, None], bootstrap_reps=30, seed=1)
    assert (e["efficiency_bc"] <= e["efficiency"] + 1e-9).all()
    assert (e["efficiency_ci_low"] <= e["efficiency_ci_high"]).all()
    assert (e["efficiency_ci_low"] <= e["efficiency_bc"] + 1e-9).mean() > 0.9
    assert e["bandwidth"].iloc[0] == pytest.approx(K.silverman_bandwidth(e["phi"].to_numpy()))


def test_simar_wilson_intervals_cover_a_known_frontier():
    # frontier y = sqrt(x) (concave: the VRS hull is consistent), inefficiency exp(-|N(0, 0.3)|) known;
    # the units' intervals share one estimated frontier, so coverage is pooled over data sets
    sys.path.insert(0, str(DEMO_DIR.parent.parent / "benchmarks"))
    try:
        from dea_frontier import check  # benchmarks/dea_frontier.py
    finally:
        sys.path.pop(0)
    r = check(n=25, datasets=12, reps=30)
    # nominal 95 %: the smoothed bootstrap under-covers in samples this small (about 0.77 here,
    # 0.85-0.9 with 60-120 units: benchmarks/dea_frontier.py), but not grossly
    assert r["coverage"] > 0.7
    assert r["median_width"] > 0.02  # not implausibly narrow
    assert r["bias_dea"] > 0  # DEA overstates efficiency ...
    assert abs(r["bias_bc"]) < r["bias_dea"] / 2  # ... the bias correction removes most of it


def test_block_lp_equals_unit_lp():
    rng = np.random.default_rng(3)
    X, Y = rng.uniform(1, 10, (37, 2)), rng.uniform(1, 3, (37, 1))
    many = D._phi_many(X, Y, X, Y, block=10)
    one = np.array([D._phi_vrs(X, Y, X[o], Y[o]) for o in range(37)])
    assert np.allclose(many, one)


def test_dominated_units_leave_the_reference_set_without_changing_phi():
    X = np.array([[1.0, 0.0], [2.0, 0.0], [1.0, 0.0], [3.0, 1.0], [3.0, 1.0]])
    Y = np.array([[2.0], [1.0], [2.0], [4.0], [3.0]])
    # unit 1 uses more and gives less than unit 0; unit 4 gives less than its twin 3; 0 and 2 are equal
    assert D.undominated(X, Y).tolist() == [True, False, True, True, False]
    rng = np.random.default_rng(5)
    X, Y = rng.uniform(1, 10, (120, 2)), rng.uniform(1, 3, (120, 1))
    # pseudo-data of a bootstrap replicate (all units near the frontier) and the evaluated originals
    Ystar = Y * D._phi_many(X, Y, X, Y)[:, None] / rng.uniform(1.0, 1.05, (120, 1))
    assert D.undominated(X, Ystar).sum() < 120
    full = np.array([D._phi_vrs(X, Ystar, X[o], Y[o]) for o in range(120)])
    assert np.allclose(D._phi_many(X, Ystar, X, Y), full, atol=1e-9)


def _undominated_by_every_pair(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """The definition: a unit is dominated when some unit is >= in every column of (-x, y) and > in one."""
    Z = np.hstack([-X, Y])
    ge = (Z[None, :, :] >= Z[:, None, :]).all(axis=2)
    gt = (Z[None, :, :] > Z[:, None, :]).any(axis=2)
    return ~(ge & gt).any(axis=1)


@pytest.mark.parametrize(("n", "p", "chunk"), [(300, 2, 64), (1000, 3, 97), (700, 1, 512), (5, 2, 2)])
def test_skyline_pass_equals_every_pair(n, p, chunk):
    rng = np.random.default_rng(n)
    # coarse values: many ties and exact twins, where the order of the pass matters most
    X, Y = np.round(rng.normal(size=(n, p)), 1), np.round(rng.uniform(0.1, 1, (n, 1)), 1)
    fast = D.undominated(X, Y, chunk=chunk)
    assert fast.tolist() == _undominated_by_every_pair(X, Y).tolist()
    assert 0 < fast.sum() < n


def test_cost_quality_demo(demo_dataset):
    t = K.cost_quality(demo_dataset, 2024, bootstrap_reps=0)
    assert t["school_id"].is_unique
    assert ((t["efficiency"] > 0) & (t["efficiency"] <= 1 + 1e-9)).all()
    assert t["quadrant"].nunique() == 4
    assert (t["efficiency"] >= 1 - 1e-6).sum() >= 1


def test_cost_quality_without_context_produces_what_needs_no_context(demo_dataset):
    from shnro_lib.indicators import school_result_index, window_years
    from shnro_lib.io import Dataset

    ds = Dataset.from_frames(
        {k: v for k, v in demo_dataset.tables.items() if k not in ("context", "territories")}
    )
    t = K.cost_quality(ds, 2024, bootstrap_reps=0)
    assert len(t) > 0.9 * len(ds.schools)
    # what needs the context model is missing, and the table says why
    assert t["expected_result"].isna().all() and t["residual"].isna().all()
    assert t["expected_model"].str.startswith("не рассчитана").all()
    assert any(
        "социальный контекст" in n and "отклонение от ожидаемого не оценено" in n for n in t.attrs["notes"]
    )
    assert any("DEA — только по расходам" in n for n in t.attrs["notes"])
    # the result index over the cost window; quadrants split at the medians of spending and index
    ri = school_result_index(ds.results, years=window_years(ds.years, 2024, K.load_costs_config().window))
    assert np.allclose(t["result_index"], ri["result_index"].reindex(t["school_id"]).to_numpy())
    better = t["result_index"] > t["result_index"].median()
    dearer = t["spending_per_pupil"] > t["spending_per_pupil"].median()
    assert (t["quadrant"].str.contains(" лучше медианы региона") == better).all()
    assert (t["quadrant"].str.startswith("дороже") == dearer).all()
    assert t["quadrant"].nunique() == 4
    assert ((t["efficiency"] > 0) & (t["efficiency"] <= 1 + 1e-9)).all()
    assert "без модели контекста" in K.costs_method_ru()


@pytest.fixture(scope="module")
def clean_ds(tmp_path_factory):
    """A small region whose single cohort was chosen on one year's results, with clean earlier years."""
    from shnro_lib.demo import generate_demo
    from shnro_lib.io import load_dataset

    out = tmp_path_factory.mktemp("clean") / "demo"
    generate_demo(out, seed=1, n_schools=120, fmt="parquet", programme_profile="single_clean")
    return load_dataset(out)


def test_cost_effectiveness_on_the_picked_estimate(clean_ds):
    from shnro_lib import effects as E

    ce = K.programme_cost_effectiveness(clean_ds, {"cost_effectiveness": {"bootstrap_reps": 200}})
    reg = ce[ce["level"] == "Регион"].iloc[0]
    tab, det = E.programme_effects(
        clean_ds, {"rtm": {"bootstrap_reps": 10}}, estimators=["event_study"], details=True
    )
    tab = tab.set_index("estimator")
    assert reg["estimator"] == "event_study"
    # the self-check on this region's own design passes the event study ...
    assert det["self_check"]["verdict"] == "pass"
    # ... so the region's gain is the table's estimate, with its interval
    assert reg["gain_sd"] == pytest.approx(tab.loc["event_study", "estimate_sd"])
    assert reg["gain_ci_low"] == pytest.approx(tab.loc["event_study", "ci_low_sd"])
    if reg["gain_ci_low"] > 0:
        assert reg["ci_low"] <= reg["rub_per_pupil_per_01sd"] <= reg["ci_high"]
        # the effect's uncertainty is propagated: wider than the cost's alone
        assert reg["ci_high"] / reg["ci_low"] > 1.2
    assert "Вид поддержки" in set(ce["level"])
    small = ce[ce["n_schools"] < 5]
    assert small["rub_per_pupil_per_01sd"].isna().all()


def test_cost_effectiveness_not_estimated_when_the_self_check_fails(clean_ds):
    # a coverage minimum no 95 % interval can meet: the verdict is «не проходит», nothing is estimated
    strict = {"identifiability": {"min_coverage": 0.999}}
    ce = K.programme_cost_effectiveness(clean_ds, effects_config=strict)
    assert ce["rub_per_pupil_per_01sd"].isna().all() and ce["gain_sd"].isna().all()
    assert (ce["note"] == "не оценено: эффект при этом плане программы не идентифицируется").all()


def test_costs_not_estimated_on_few_schools(demo_dataset):
    from shnro_lib.io import Dataset

    ids = sorted(demo_dataset.schools["school_id"])[:8]
    tabs = {
        k: v[v["school_id"].isin(ids)] if "school_id" in v else v
        for k, v in demo_dataset.tables.items()
        if k != "programme"
    }
    with pytest.raises(K.NotEstimated, match="^не оценено: ") as exc:
        K.cost_quality(Dataset.from_frames(tabs), 2024, bootstrap_reps=0)
    assert "zero-size" not in str(exc.value)
    with pytest.raises(K.NotEstimated, match="^не оценено: "):
        K.programme_cost_effectiveness(Dataset.from_frames(tabs))


def test_costs_settings_reject_ignored_key():
    from shnro_lib.settings import SettingsError

    with pytest.raises(SettingsError, match="dea.orientation"):
        K.load_costs_config({"dea": {"orientation": "input"}})


def test_cli_costs_csv(tmp_path):
    out = tmp_path / "c.csv"
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "shnro_lib",
            "costs",
            str(DEMO_DIR),
            "--year",
            "2024",
            "--csv",
            str(out),
            "--bootstrap",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    from shnro_lib.labels import LABELS_RU, money_labels

    labels = {**LABELS_RU, **money_labels()}
    t = pd.read_csv(out, encoding="utf-8-sig", dtype={labels["school_id"]: str})
    # a reader's file: Russian headers from the vocabulary, no column id
    for c in ("school_id", "spending_per_pupil", "expected_result", "residual", "efficiency", "quadrant"):
        assert labels[c] in t.columns and c not in t.columns
    assert t[labels["school_id"]].str.len().eq(6).all()
    assert not t[labels["expected_model"]].str.contains("_|mixedlm", regex=True).any()
    # --ids: the same rows with the library's column ids, for programs
    ids = tmp_path / "ids.csv"
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "shnro_lib",
            "costs",
            str(DEMO_DIR),
            "--year",
            "2024",
            "--csv",
            str(ids),
            "--bootstrap",
            "0",
            "--ids",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    m = pd.read_csv(ids, encoding="utf-8-sig", dtype={"school_id": str})
    assert list(m.columns) == K.COLUMNS + [c for c in m.columns if c not in K.COLUMNS]
    assert len(m) == len(t) and (m["school_id"] == t[labels["school_id"]]).all()


def test_dea_bootstrap_does_not_depend_on_processes():
    rng = np.random.default_rng(4)
    X, Y = rng.uniform(1, 2, (25, 2)), rng.uniform(1, 2, (25, 1))
    one = K.dea_efficiency(X, Y, bootstrap_reps=6, seed=2, n_jobs=1)
    many = K.dea_efficiency(X, Y, bootstrap_reps=6, seed=2, n_jobs=2)
    assert np.allclose(one.to_numpy(), many.to_numpy(), equal_nan=True)


def test_cli_costs_not_estimated_says_why(tmp_path):
    from shnro_lib.demo import generate_demo

    generate_demo(tmp_path / "few", seed=3, n_schools=8, fmt="parquet")
    out = tmp_path / "c.csv"
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "shnro_lib",
            "costs",
            str(tmp_path / "few"),
            "--year",
            "2024",
            "--csv",
            str(out),
            "--bootstrap",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 4, r.stderr
    assert "не оценено: " in r.stdout
    assert "Traceback" not in r.stdout + r.stderr and "zero-size" not in r.stdout + r.stderr
    # the outputs are written either way: an empty table with its columns
    t = pd.read_csv(out, encoding="utf-8-sig")
    from shnro_lib.readable import header_labels

    assert len(t) == 0 and list(t.columns) == [header_labels()[c] for c in K.COLUMNS]
