"""Programme effects: paired effect size, DiD on simulated panels, the demo data, the CLI."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import DEMO_DIR

from shnro_lib import effects as E


def test_paired_hedges_g_by_hand():
    before = np.array([1, 2, 3, 4, 5.0])
    after = np.array([2, 3, 4, 5, 7.0])
    r = E.paired_hedges_g(before, after)
    # diff mean 1.2; s_av = sqrt((2.5 + 3.7) / 2); J = 1 - 3 / 15 = 0.8
    d = 1.2 / np.sqrt(3.1)
    assert r["g"] == pytest.approx(0.8 * d, rel=1e-9)
    assert r["mean_change"] == pytest.approx(1.2)
    assert r["share_improved"] == 1.0
    assert r["ci_low"] < r["g"] < r["ci_high"]
    # a perfect before-after correlation with a constant shift has (almost) no sampling error
    r2 = E.paired_hedges_g(before, before + 1)
    assert r2["ci_high"] - r2["ci_low"] < 1e-6


def _sim_panel(seed: int, effect: float, n: int = 400) -> pd.DataFrame:
    """School x year panel 2020-2024, persistent quality + transitory luck; random cohort 2022."""
    rng = np.random.default_rng(seed)
    years = [2020, 2021, 2022, 2023, 2024]
    y0 = rng.normal(0, 0.5, n)[:, None] + rng.normal(0, 0.3, (n, len(years)))
    treated = rng.random(n) < 0.25
    rows = []
    for i in range(n):
        for t, yr in enumerate(years):
            tr = bool(treated[i] and yr >= 2022)
            y = y0[i, t] + (effect if tr else 0.0)
            rows.append(
                {
                    "school_id": f"s{i:04d}",
                    "municipality": f"m{i % 20}",
                    "year": yr,
                    "y_sd": y,
                    "y_pp": 10 * y,
                    "participants": 50,
                    "cohort": 2022 if treated[i] else 0,
                    "treat": tr,
                    "rel_year": (yr - 2022) if treated[i] else np.nan,
                    "selection_year": bool(treated[i] and yr in (2020, 2021)),
                }
            )
    p = pd.DataFrame(rows)
    p["school_id"] = p["school_id"].astype("string")
    p["municipality"] = p["municipality"].astype("string")
    return p


def _sim_selection_panel(seed: int, effect: float, n: int = 600) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Staggered cohorts 2022/2023 selected as the bottom 25 % of a noisy index (RTM present).

    Quality differs by size group; a small school's yearly index is much noisier (its reliability is
    lower); cohort 2022 = bottom quarter of the 2020-21 mean, cohort 2023 = bottom quarter (cut-off
    over all schools) of the 2021-22 mean among the not yet supported; constant effect ``effect``.
    """
    rng = np.random.default_rng(seed)
    years = [2020, 2021, 2022, 2023, 2024]
    size = np.exp(rng.uniform(np.log(8), np.log(400), n))
    theta = rng.normal(0, 0.3, n) - 0.25 * (size < 60)
    y0 = theta[:, None] + rng.normal(0, 1, (n, len(years))) * np.sqrt(0.015 + 1.0 / size)[:, None]
    cohort = np.zeros(n, dtype=int)
    ids = pd.Index([f"s{i:04d}" for i in range(n)], dtype="string", name="school_id")
    cov = pd.DataFrame(index=ids)

    def observed() -> np.ndarray:
        yrs = np.array(years)[None, :]
        return y0 + effect * ((cohort[:, None] > 0) & (yrs >= cohort[:, None]))

    for g, cols in {2022: [0, 1], 2023: [1, 2]}.items():
        S = observed()[:, cols].mean(axis=1)
        cohort[(cohort == 0) & (S <= np.quantile(S, 0.25))] = g
        cov[f"S_{g}"] = S
        cov[f"n_{g}"] = 2 * size
    y = observed()
    rows = []
    for i in range(n):
        g = int(cohort[i])
        for t, yr in enumerate(years):
            rows.append(
                {
                    "school_id": ids[i],
                    "municipality": f"m{i % 20}",
                    "year": yr,
                    "y_sd": y[i, t],
                    "y_pp": 10 * y[i, t],
                    "participants": int(size[i]),
                    "cohort": g,
                    "treat": bool(g and yr >= g),
                    "rel_year": (yr - g) if g else np.nan,
                    "selection_year": bool(g and yr in (g - 2, g - 1)),
                }
            )
    p = pd.DataFrame(rows)
    p["school_id"] = p["school_id"].astype("string")
    p["municipality"] = p["municipality"].astype("string")
    return p, cov


def test_did_recovers_planted_effect_random_assignment():
    p = _sim_panel(3, 0.3)
    est, lo, hi = E.did_two_stage(p)["estimate"]["sd"]
    assert lo < 0.3 < hi
    assert abs(est - 0.3) < 0.1
    assert E.did_two_stage(p)["estimate"]["pp"][0] == pytest.approx(10 * est, rel=1e-6)


def test_preferred_recovers_effect_under_selection_on_noisy_index():
    truth = 0.2
    p, cov = _sim_selection_panel(5, truth)
    r = E.selection_adjusted(p, covariates=cov, return_cells=True)
    est, lo, hi = r["estimate"]["sd"]
    assert lo < truth < hi
    assert hi - lo < 0.15
    assert r["estimate"]["pp"][0] == pytest.approx(10 * est, rel=1e-6)
    # every cohort x support year is estimated, the later cohort too (never-supported comparison)
    assert set(zip(r["cells"]["sd"]["cohort"], r["cells"]["sd"]["year"], strict=True)) == {
        (2022, 2022),
        (2022, 2023),
        (2022, 2024),
        (2023, 2023),
        (2023, 2024),
    }
    # regression to the mean: the naive before/after and the plain DiD overstate the effect
    naive = E.naive_pre_post(p)["estimate"]["sd"][0]
    assert naive > truth + 0.05
    assert naive > hi
    assert E.did_two_stage(p)["estimate"]["sd"][0] > truth + 0.05


def test_preferred_needs_the_selection_index():
    p, _ = _sim_selection_panel(7, 0.2, n=200)
    with pytest.raises(ValueError, match="индексов отбора"):
        E.selection_adjusted(p)


@pytest.fixture(scope="module")
def demo_table(demo_dataset):
    return E.programme_effects(
        demo_dataset,
        {"rtm": {"bootstrap_reps": 50}},
        estimators=["naive_pre_post", "rtm_adjusted", "selection_adjusted", "event_study", "rdd"],
        details=True,
    )


def _truth(ds, truth_dir) -> dict:
    sys.path.insert(0, str(DEMO_DIR.parent.parent / "benchmarks"))
    try:
        from effects import truth_for  # benchmarks/effects.py
    finally:
        sys.path.pop(0)
    return truth_for(ds, truth_dir)


@pytest.fixture(scope="module")
def clean_dir(tmp_path_factory):
    """A small region whose single cohort (2023) was chosen on 2022's results: 2020-21 are clean."""
    from shnro_lib.demo import generate_demo

    out = tmp_path_factory.mktemp("clean") / "demo"
    generate_demo(out, seed=1, n_schools=120, fmt="parquet", programme_profile="single_clean")
    return out


@pytest.fixture(scope="module")
def clean_ds(clean_dir):
    from shnro_lib.io import load_dataset

    return load_dataset(clean_dir)


@pytest.fixture(scope="module")
def clean_table(clean_ds):
    return E.programme_effects(clean_ds, {"rtm": {"bootstrap_reps": 20}}, details=True)


def test_naive_biased_upward_on_demo_and_selection_adjusted_recommended(demo_table, demo_dataset):
    tab, det = demo_table
    t = tab.set_index("estimator")
    truth = float(_truth(demo_dataset, DEMO_DIR.parent / "demo_truth")["att_pp"])
    assert t.loc["naive_pre_post", "estimate_pp"] > truth
    assert t.loc["naive_pre_post", "estimate_pp"] > t.loc["selection_adjusted", "estimate_pp"]
    assert t.loc["selection_adjusted", "ci_low_pp"] < truth < t.loc["selection_adjusted", "ci_high_pp"]
    assert det["rtm_component"]["pp"] > 0
    assert "регрессия к среднему" in t.loc["naive_pre_post", "note"]
    assert t.loc["rtm_adjusted", "estimate_pp"] < t.loc["naive_pre_post", "estimate_pp"]
    # the demo's design (two-year mean, no clean year) picks the selection-adjusted regression ...
    assert det["design"].kind == "sharp_index" and det["picked"] == "selection_adjusted"
    # ... which passes the self-check on the demo's own design: it is the one recommended row
    assert det["self_check"]["verdict"] == "pass"
    assert list(tab.loc[tab["preferred"], "estimator"]) == ["selection_adjusted"]
    assert "range_valid" not in set(tab["estimator"])
    assert t.loc["selection_adjusted", "selfcheck_verdict"] == "проходит"
    assert t.loc["selection_adjusted", "selfcheck_reps"] >= 200
    # the self-check sees the naive change's regression to the mean: biased upward, fails
    assert t.loc["naive_pre_post", "selfcheck_verdict"] == "не проходит"
    assert t.loc["naive_pre_post", "selfcheck_bias_pp"] > 0.5
    est = tab[tab["estimator"] != "range_valid"].dropna(subset=["estimate_pp"])
    assert (est["ci_low_pp"] <= est["estimate_pp"]).all() and (est["estimate_pp"] <= est["ci_high_pp"]).all()
    # the event study has no clean base in this design and says so
    assert np.isnan(t.loc["event_study", "estimate_pp"])
    assert "нет чистого года" in t.loc["event_study", "note"]


def test_design_from_facts(clean_ds, demo_dataset):
    d = E.programme_design(clean_ds)
    assert [(c.cohort, c.selection_years, c.clean_years, c.source) for c in d.cohorts] == [
        (2023, (2022,), (2020, 2021), "dataset")
    ]
    assert d.kind == "clean_base" and E.choose_estimator(d)[0] == "event_study"
    assert d.cohorts[0].compliance == pytest.approx(1.0)
    demo = E.programme_design(demo_dataset)
    assert [c.selection_years for c in demo.cohorts] == [(2020, 2021), (2021, 2022)]
    # cohort 2023's only earlier year, 2020, was cohort 2022's selection year: not clean
    assert demo.kind == "sharp_index" and all(not c.clean_years for c in demo.cohorts)


def test_design_inferred_without_facts(clean_dir, tmp_path):
    import shutil

    from shnro_lib.io import load_dataset

    bare = tmp_path / "bare"
    shutil.copytree(clean_dir, bare)
    (bare / "dataset.yaml").unlink()
    d = E.programme_design(load_dataset(bare))
    c = d.cohorts[0]
    # the cut-off is visible in 2022's index: that one year is inferred as the selection year
    assert c.source == "inferred" and c.selection_years == (2022,) and c.sharp
    assert 0.2 < c.bottom_share < 0.3
    assert any("не описано" in a for a in d.assumptions)


def test_single_clean_profile_event_study_on_clean_base_covers_truth(clean_table, clean_ds, clean_dir):
    tab, det = clean_table
    t = tab.set_index("estimator")
    truth = _truth(clean_ds, clean_dir.parent / "demo_truth")
    es = det["event_study"]
    sd = es[es["unit"] == "pp"].set_index("rel_year")
    assert sd.loc[-3, "kind"] == sd.loc[-2, "kind"] == "до отбора (база)"
    assert sd.loc[-1, "kind"] == "годы отбора"
    assert sd.loc[-1, "estimate"] < 0  # the selection year's dip against the clean base
    for name in ("event_study", "did_unadjusted", "callaway_santanna"):
        assert np.isfinite(t.loc[name, "estimate_pp"]), name
    assert "упреждение 1" in t.loc["callaway_santanna", "note"]
    assert det["picked"] == "event_study"
    picked = t.loc["event_study"]
    assert picked["ci_low_pp"] < truth["es_pp"] < picked["ci_high_pp"]
    assert bool(picked["preferred"]) and det["self_check"]["verdict"] == "pass"


def test_notes_written_from_the_design(clean_table):
    tab, _ = clean_table
    t = tab.set_index("estimator")
    assert "2022" not in " ".join(t.loc[["did_unadjusted", "event_study", "callaway_santanna"], "note"])
    assert "2020–2021 годов" in t.loc["event_study", "note"]
    assert "2022 года" in t.loc["naive_pre_post", "note"]
    diff = t.loc["naive_pre_post", "estimate_pp"] - t.loc["event_study", "estimate_pp"]
    assert bool(t.loc["event_study", "preferred"]) and diff > 0
    assert "Превышает предпочтительн" in t.loc["naive_pre_post", "note"]
    assert f"{abs(diff):.2f} п. п.".replace(".", ",", 1) in t.loc["naive_pre_post", "note"]


def test_simulation_table_and_annex(clean_ds):
    sim = E.simulation_table()
    assert set(sim["design"]) == {"single_clean", "two_year_mean", "staggered", "fuzzy"}
    for _, g in sim.groupby("design"):
        assert g["picked"].sum() == 1
        assert (g["coverage"].between(0, 1)).all() and (g["rmse_pp"] >= g["bias_pp"].abs() - 1e-9).all()
    d = E.programme_design(clean_ds)
    assert E.closest_design(d) == "single_clean"
    check = E.picked_check("single_clean", "event_study")
    row = sim[(sim["design"] == "single_clean") & (sim["estimator"] == "event_study")].iloc[0]
    assert check["identifiable"] == (abs(row["bias_pp"]) < 0.2 and row["coverage"] >= 0.9)
    md = E.effects_method_ru(dataset=clean_ds)
    assert "Имитации плана «одна когорта" in md and "| событийный анализ" in md
    assert "когорта 2023: отбор по результатам 2022 года" in md


def test_settings_reject_unknown_and_ignored_keys():
    from shnro_lib.settings import SettingsError

    with pytest.raises(SettingsError, match="rdd.kernel"):
        E.load_effects_config({"rdd": {"kernel": "epanechnikov"}})
    with pytest.raises(SettingsError, match="selection.cohorts"):
        E.load_effects_config({"selection": {"cohorts": {2022: {"selection_years": [2020]}}}})
    assert E.load_effects_config({"matching": {"k": 5}}).matching.k == 5


def test_event_study_shows_selection_dip(clean_table):
    _, det = clean_table
    es = det["event_study"]
    dip = es[(es["unit"] == "sd") & (es["kind"] == "годы отбора")]
    assert len(dip) >= 1
    assert dip["estimate"].mean() < 0


def test_rdd_sharp_and_density(demo_table):
    _, det = demo_table
    info = det["rdd"]
    assert info["compliance"] > 0.95
    assert 0 <= info["density_p"] <= 1


def test_input_output_demo(demo_dataset):
    io = E.input_output(demo_dataset)
    assert {"программа", "сравнение", "разница (программа − сравнение)"} <= set(io["group"])
    allp = io[(io["group"] == "программа") & (io["subject"] == "Все предметы")].iloc[0]
    assert 0 <= allp["share_improved"] <= 1
    assert allp["g_ci_low"] < allp["hedges_g"] < allp["g_ci_high"]


def test_dose_response_clustered(demo_dataset):
    dr = E.dose_response(demo_dataset)
    assert dr["n_clusters"].iloc[0] >= 10
    assert "pre" in set(dr["term"])


def test_method_annex_names_designs():
    md = E.effects_method_ru()
    for word in (
        "регрессия к среднему",
        "Ашенфельтера",
        "RDD",
        "did2s",
        "Хеджеса",
        "индекс отбора",
        "Правило выбора",
        "покрытие",
        "чистый год",
    ):
        assert word in md
    assert "когорты 2022" not in md and "когорта 2022" not in md


def test_cli_effects_csv(tmp_path, clean_dir):
    out = tmp_path / "eff.csv"
    cfg_path = tmp_path / "override.yaml"
    cfg_path.write_text(
        yaml.safe_dump({"effects": {"rtm": {"bootstrap_reps": 20}, "did": {"callaway_santanna": False}}}),
        encoding="utf-8",
    )
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "shnro_lib",
            "effects",
            str(clean_dir),
            "--csv",
            str(out),
            "--config",
            str(cfg_path),
            "--seed",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    from shnro_lib.labels import ESTIMATORS_RU, LABELS_RU

    tab = pd.read_csv(out, encoding="utf-8-sig")
    # a reader's file: Russian headers and the estimators by their Russian names
    for c in (
        "estimator",
        "estimate_pp",
        "ci_low_pp",
        "ci_high_pp",
        "estimate_sd",
        "n_treated",
        "n_control",
        "preferred",
        "note",
        "selfcheck_verdict",
        "selfcheck_reps",
    ):
        assert LABELS_RU[c] in tab.columns and c not in tab.columns
    shown = set(tab[LABELS_RU["estimator"]])
    assert {
        ESTIMATORS_RU[e]
        for e in (
            "naive_pre_post",
            "rtm_adjusted",
            "selection_adjusted",
            "did_unadjusted",
            "event_study",
            "rdd",
        )
    } <= shown
    assert ESTIMATORS_RU["callaway_santanna"] not in shown and not any("_" in e for e in shown)
    assert set(tab[LABELS_RU["preferred"]]) <= {"да", "нет"}
    assert (tab[LABELS_RU["preferred"]] == "да").sum() <= 1
    # seed 2 on the command line: the same verdict as the default seed (clean_table)
    t = tab.set_index(LABELS_RU["estimator"])
    es = ESTIMATORS_RU["event_study"]
    assert (
        t.loc[es, LABELS_RU["selfcheck_verdict"]] == "проходит" and t.loc[es, LABELS_RU["preferred"]] == "да"
    )
    assert t.loc[es, LABELS_RU["selfcheck_reps"]] >= 200
    assert "Проверка на собственном плане данных" in r.stdout
    assert "План программы: когорта 2023" in r.stdout
    assert "СИНТЕТИЧЕСКИЕ" in r.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"effects": {"rdd": {"kernel": "x"}}}), encoding="utf-8")
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "shnro_lib",
            "effects",
            str(clean_dir),
            "--csv",
            str(out),
            "--config",
            str(bad),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 1 and "rdd.kernel" in r.stderr and "Traceback" not in r.stderr
