"""«Цена–качество»: DEA against hand-solved examples, the bootstrap, the demo table, the CLI."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import DEMO_DIR

from shnro_lib import costs as K


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


def test_cost_quality_demo(demo_dataset):
    t = K.cost_quality(demo_dataset, 2024, bootstrap_reps=0)
    assert t["school_id"].is_unique
    assert ((t["efficiency"] > 0) & (t["efficiency"] <= 1 + 1e-9)).all()
    assert t["quadrant"].nunique() == 4
    assert (t["efficiency"] >= 1 - 1e-6).sum() >= 1


def test_cost_effectiveness_demo(demo_dataset):
    ce = K.programme_cost_effectiveness(demo_dataset)
    reg = ce[ce["level"] == "Регион"].iloc[0]
    assert reg["n_schools"] > 50
    if reg["gain_ci_low"] > 0:
        assert reg["ci_low"] <= reg["rub_per_pupil_per_01sd"] <= reg["ci_high"]
    assert "Вид поддержки" in set(ce["level"])


def test_cli_costs_csv(tmp_path):
    out = tmp_path / "c.csv"
    r = subprocess.run([sys.executable, "-m", "shnro_lib", "costs", str(DEMO_DIR), "--year", "2024", "--csv",
                        str(out), "--bootstrap", "0"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    t = pd.read_csv(out, encoding="utf-8-sig", dtype={"school_id": str})
    for c in ("school_id", "spending_per_pupil", "expected_result", "residual", "efficiency", "quadrant"):
        assert c in t.columns
    assert t["school_id"].str.len().eq(6).all()


def test_dea_bootstrap_does_not_depend_on_processes():
    rng = np.random.default_rng(4)
    X, Y = rng.uniform(1, 2, (25, 2)), rng.uniform(1, 2, (25, 1))
    one = K.dea_efficiency(X, Y, bootstrap_reps=6, seed=2, n_jobs=1)
    many = K.dea_efficiency(X, Y, bootstrap_reps=6, seed=2, n_jobs=2)
    assert np.allclose(one.to_numpy(), many.to_numpy(), equal_nan=True)
