"""Indicators for identification: gap, low shares, quality, outcomes, composite indices, territories,
shrinkage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shnro_lib import indicators as ind
from shnro_lib.config import load_yaml, parameters_dir


def _results() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "school_id": ["a", "b", "a", "b", "a", "b"],
            "year": [2024] * 6,
            "procedure": ["ЕГЭ", "ЕГЭ", "ВПР", "ВПР", "ВПР", "ВПР"],
            "subject": ["Русский язык", "Русский язык", "Математика", "Математика", "История", "История"],
            "grade": [11, 11, 5, 5, 5, 5],
            "participants": [10, 30, 20, 20, 20, 0],
            "mean_score": [50.0, 70.0, 10.0, 15.0, 6.0, np.nan],
            "max_score": [100.0, 100.0, 20.0, 20.0, 15.0, 15.0],
            "share_low": [0.2, 0.0, 0.3, np.nan, 0.5, np.nan],
            "share_quality": [np.nan, np.nan, 0.40, 0.7, 0.41, np.nan],
        }
    )


def test_score_gap_points_of_100() -> None:
    g = ind.score_gap(_results())
    # ЕГЭ cell mean = (10*50 + 30*70)/40 = 65 -> gap a = 15, b = -5
    assert g.loc["a", "gap_ЕГЭ"] == pytest.approx(15.0)
    assert g.loc["b", "gap_ЕГЭ"] == pytest.approx(-5.0)
    assert g.loc["a", "score_gap_max"] == pytest.approx(max(15.0, g.loc["a", "gap_ВПР"]))


def test_low_share_weighted_and_missing_not_zero() -> None:
    s = ind.low_results_share(_results())
    assert s.loc["a", "share_low"] == pytest.approx((10 * 0.2 + 20 * 0.3 + 20 * 0.5) / 50)
    assert s.loc["b", "share_low"] == pytest.approx(0.0) and s.loc["b", "low_n"] == 30


def test_quality_monitorings_count() -> None:
    q = ind.low_quality_monitorings(_results(), procedures=["ВПР"], threshold=0.40)
    assert q.loc["a", "n_low_quality"] == 1 and q.loc["a", "n_monitorings"] == 2
    assert q.loc["b", "n_low_quality"] == 0


def test_outcomes_window() -> None:
    o = pd.DataFrame(
        {
            "school_id": ["a", "a", "b"],
            "year": [2023, 2024, 2024],
            "share_continuing_senior": [0.5, 0.8, 0.9],
            "olympiad_participants": [1, 2, 0],
            "satisfaction_share": [0.3, np.nan, 0.9],
            "graduates_9": [10, 30, 5],
        }
    )
    c = pd.DataFrame({"school_id": ["a", "a", "b"], "year": [2023, 2024, 2024], "enrolment": [100, 200, 50]})
    cs = ind.continuing_share(o, [2023, 2024])
    assert cs.loc["a", "continuing_senior"] == pytest.approx((5 + 24) / 40)
    ol = ind.olympiad_share(o, c, [2023, 2024])
    assert ol.loc["a", "olympiad_share"] == pytest.approx(3 / 300)
    sat = ind.satisfaction(o, 2024, [2023, 2024])
    assert sat.loc["a", "satisfaction"] == pytest.approx(0.3)  # latest known, never a filled zero


def test_composite_index_directions_and_min_weight() -> None:
    spec = load_yaml(parameters_dir() / "indices.yaml")["social_wellbeing_index"]
    n = 10
    k = np.arange(n, dtype=float)
    frame = pd.DataFrame(
        {
            "share_low_parent_education": 0.5 - 0.02 * k,
            "share_single_parent": 0.4 - 0.01 * k,
            "share_deviant": 0.1 - 0.005 * k,
            "share_low_ses": 0.4 - 0.02 * k,
            "share_non_native_russian": 0.1 - 0.005 * k,
            "distance_to_center_km": 50 - 3 * k,
            "is_small_school": (k < 3).astype(float),
        }
    )
    isb = ind.composite_index(frame, spec)
    assert isb.is_monotonic_increasing  # fewer disadvantages -> higher (more favourable)
    frame.iloc[0, :5] = np.nan  # 2 of 7 equal weights observed < 50 %
    assert np.isnan(ind.composite_index(frame, spec).iloc[0])
    table = ind.index_spec_table_ru(spec)
    assert "Направление" in table.columns and len(table) == len(spec["components"])


def test_territory_ratio_to_region_and_locality_override() -> None:
    schools = pd.DataFrame(
        {"school_id": ["a", "b", "c"], "municipality": ["М", "М", "Н"], "locality": ["Город", pd.NA, pd.NA]}
    )
    terr = pd.DataFrame(
        {
            "municipality": ["__region__", "М", "М", "Н"],
            "locality": [pd.NA, pd.NA, "Город", pd.NA],
            "is_monotown": [False, False, True, False],
            "share_pension_age": [0.25, 0.30, 0.2, 0.2],
            "unemployment_rate": [0.02, 0.0299, 0.03, np.nan],
        }
    )
    t = ind.territory_indicators(
        schools, terr, {"unemployment_ratio_factor": 1.5, "pension_ratio_factor": 1.2}
    )
    assert bool(t.loc["a", "is_monotown"]) and not bool(t.loc["b", "is_monotown"])
    assert bool(t.loc["a", "high_unemployment"]) and not bool(t.loc["b", "high_unemployment"])
    assert t.loc["c", "high_unemployment"] is pd.NA
    assert bool(t.loc["b", "high_pension"])


def test_shrink_index_weights_and_probability() -> None:
    rng = np.random.default_rng(0)
    theta = rng.normal(0, 0.5, 400)
    se = np.where(np.arange(400) % 2 == 0, 0.5, 0.05)
    idx = pd.DataFrame({"result_index": theta + rng.normal(0, 1, 400) * se, "result_index_se": se})
    sh = ind.shrink_index(idx)
    assert sh.attrs["tau2"] == pytest.approx(0.25, rel=0.3)
    assert sh.loc[se == 0.5, "shrinkage_weight"].mean() < sh.loc[se == 0.05, "shrinkage_weight"].mean()
    assert sh["p_bottom_quartile"].between(0, 1).all()
    # the probability is calibrated on average: mean p ≈ share of truly bottom schools
    true_bottom = theta < sh.attrs["cutoff"]
    assert abs(sh["p_bottom_quartile"].mean() - true_bottom.mean()) < 0.06


def test_composite_uses_the_components_present_and_reports_coverage() -> None:
    spec = load_yaml(parameters_dir() / "indices.yaml")["social_wellbeing_index"]
    k = np.arange(6, dtype=float)
    # only 2 of the 7 components exist in the data: the index is built from those, not left empty
    frame = pd.DataFrame(
        {"share_low_ses": 0.4 - 0.02 * k, "share_deviant": 0.1 - 0.01 * k, "share_single_parent": np.nan}
    )
    t = ind.composite_index_table(frame, spec)
    assert t["value"].notna().all() and t["value"].is_monotonic_increasing
    assert (t["coverage"] == 1).all()
    assert t.attrs["used"] == ["share_deviant", "share_low_ses"]
    assert "share_single_parent" in t.attrs["absent"] and "distance_to_center_km" in t.attrs["absent"]
    frame.loc[0, "share_deviant"] = np.nan  # a per-school gap: half of the present weight
    t = ind.composite_index_table(frame, spec)
    assert t["coverage"].iloc[0] == pytest.approx(0.5) and np.isfinite(t["value"].iloc[0])


def test_procedure_weights_change_the_index() -> None:
    rows = []
    for s, (a, b) in {"x": (80.0, 20.0), "y": (20.0, 80.0), "z": (50.0, 50.0)}.items():
        rows.append(
            {
                "school_id": s,
                "year": 2024,
                "procedure": "ВПР",
                "subject": "М",
                "grade": 5,
                "participants": 10,
                "mean_score": a,
                "max_score": 100.0,
            }
        )
        rows.append(
            {
                "school_id": s,
                "year": 2024,
                "procedure": "Другая",
                "subject": "М",
                "grade": 5,
                "participants": 10,
                "mean_score": b,
                "max_score": 100.0,
            }
        )
    res = pd.DataFrame(rows)
    even = ind.school_result_index(res)
    assert even.loc["x", "result_index"] == pytest.approx(even.loc["y", "result_index"])
    tilted = ind.school_result_index(res, procedure_weights={"Другая": 0.0})
    assert tilted.loc["x", "result_index"] > tilted.loc["y", "result_index"]
