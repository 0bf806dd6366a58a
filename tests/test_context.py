"""Tests of shnro_lib.context: features, clusters, expected results, resilient and similar schools."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from shnro_lib import context as C
from shnro_lib.config import parameters_dir
from shnro_lib.io import Dataset, load_dataset

FAST = {"clustering": {"stability": {"n_boot": 5}, "k_range": [2, 5]}}


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Dataset:
    from shnro_lib.demo import generate_demo

    out = tmp_path_factory.mktemp("ctxdemo")
    generate_demo(out, seed=1, n_schools=120)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_dataset(out)


def _crafted(
    n_muni: int = 6, per: int = 20, muni_effect: float = 0.0, star: bool = False, seed: int = 3
) -> Dataset:
    """Schools whose ОГЭ score depends on low SES only; the same noise values in every municipality.

    With ``muni_effect == 0`` the municipal means of the noise are identical, so the true and
    the estimated between-municipality variance is zero.  ``star`` makes the first school of the
    first municipality a low-SES school with a very high, precisely measured score.
    """
    rng = np.random.default_rng(seed)
    ses = np.linspace(0.05, 0.6, per)
    noise = rng.normal(0, 2.0, per)
    noise -= noise.mean()
    sch, ctx, res = [], [], []
    for m in range(n_muni):
        shift = muni_effect * (m - (n_muni - 1) / 2)
        perm = rng.permutation(per)
        for i in range(per):
            sid = f"{m:02d}{i:03d}"
            s = ses[perm[i]]
            score = 60 - 30 * s + noise[i] + shift
            n = 40
            if star and m == 0 and i == 0:
                s, score, n = 0.6, 75.0, 400
            sch.append({"school_id": sid, "name": f"Школа {sid}", "municipality": f"Район {m}"})
            ctx.append(
                {
                    "school_id": sid,
                    "year": 2024,
                    "enrolment": 300 + 10 * i,
                    "share_low_ses": s,
                    "share_low_parent_education": min(0.9, s * 1.2 + rng.normal(0, 0.02)),
                    "distance_to_center_km": 5.0 + i,
                }
            )
            res.append(
                {
                    "school_id": sid,
                    "year": 2024,
                    "procedure": "ОГЭ",
                    "subject": "Математика",
                    "grade": 9,
                    "participants": n,
                    "mean_score": round(score * 0.31, 3),
                    "max_score": 31.0,
                }
            )
    return Dataset.from_frames(
        {"schools": pd.DataFrame(sch), "context": pd.DataFrame(ctx), "results": pd.DataFrame(res)}
    )


CRAFT_CFG = {
    "clustering": {
        "features": ["log_enrolment", "share_low_ses", "log_distance"],
        "method": "kmeans",
        "stability": {"n_boot": 3},
        "k_range": [2, 4],
    },
    "model": {"features": ["share_low_ses", "share_low_parent_education"]},
    "similar": {"features": ["log_enrolment", "share_low_ses", "log_distance"], "k": 5},
}


def _write_cfg(tmp_path: Path, edit) -> Path:
    cfg = yaml.safe_load((parameters_dir() / "context.yaml").read_text(encoding="utf-8"))
    edit(cfg)
    p = tmp_path / "context.yaml"
    p.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return p


def test_method_change_is_a_yaml_edit(demo, tmp_path):
    def edit(cfg):
        cfg["clustering"].update(method="ward", k=3)
        cfg["clustering"]["stability"]["n_boot"] = 0

    path = _write_cfg(tmp_path, edit)
    ward = C.cluster_analysis(demo, 2024, config=path)
    assert ward.method == "ward" and ward.k == 3
    assert ward.labels["cluster"].nunique() == 3
    gmm = C.cluster_analysis(demo, 2024, config={"clustering": {"k": 5, "stability": {"n_boot": 0}}})
    assert gmm.method == "gmm" and gmm.labels["cluster"].nunique() == 5


def test_feature_list_change_is_a_yaml_edit(demo, tmp_path):
    def edit(cfg):
        cfg["clustering"].update(features=["share_low_ses", "log_distance"], k=2)
        cfg["clustering"]["stability"]["n_boot"] = 0

    res = C.cluster_analysis(demo, 2024, config=_write_cfg(tmp_path, edit))
    assert res.features == ["share_low_ses", "log_distance"]
    assert {"z_share_low_ses", "z_log_distance"} <= set(res.profile.columns)
    assert "z_log_enrolment" not in res.profile.columns
    # the two clusters differ on the chosen features
    assert (
        abs(res.profile["z_share_low_ses"].diff().iloc[1]) + abs(res.profile["z_log_distance"].diff().iloc[1])
        > 1
    )


def test_results_are_never_context_features():
    with pytest.raises(ValueError, match="результаты"):
        C.load_context_config({"features": {"bad": {"table": "results", "column": "mean_score"}}})


def test_missing_context_school_is_listed_not_clustered(demo):
    cf = C.context_features(demo, 2024)
    assert len(cf.excluded) >= 1
    missing_id = sorted(demo.schools["school_id"])[7]  # the generator blanks the 8th school's context
    assert missing_id in set(cf.excluded["school_id"])
    assert cf.excluded["reason"].str.contains("нет данных").all()
    labels = C.cluster_schools(demo, 2024, config=FAST)
    assert missing_id not in set(labels["school_id"])
    table = C.context_table(demo, 2024, config=FAST)
    row = table.set_index("school_id").loc[missing_id]
    assert pd.isna(row["cluster"]) and isinstance(row["context_missing_reason"], str)


def test_imputation_counted_and_year_fallback(tmp_path):
    ds = _crafted(n_muni=3, per=10)
    ctx = ds.tables["context"].copy()
    ctx.loc[0, "distance_to_center_km"] = np.nan  # one imputed value
    old = ctx.iloc[[1]].copy()
    ctx = ctx.drop(index=1)
    old["year"] = 2023  # this school only has an earlier year
    ds2 = Dataset.from_frames(
        {"schools": ds.schools, "results": ds.results, "context": pd.concat([ctx, old], ignore_index=True)}
    )
    cf = C.context_features(ds2, 2024, CRAFT_CFG)
    assert cf.imputed_counts["log_distance"] == 1 and cf.n_imputed == 1
    assert cf.n_fallback == 1
    assert any("ранние" in n for n in cf.notes)
    sid = ds.schools["school_id"].iloc[0]
    muni = cf.municipality[sid]
    others = cf.raw.loc[cf.municipality[cf.municipality == muni].index, "log_distance"].drop(sid)
    assert cf.imputed.loc[sid, "log_distance"] == pytest.approx(others.median())


def test_mixedlm_zero_variance_guard_falls_back():
    ds = _crafted(muni_effect=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        em = C.fit_expected_model(ds, 2024, CRAFT_CFG)
    assert em.model_used == "ols_cluster"
    assert "≈ 0" in em.reason and "МНК" in em.reason
    assert len(em.attempts) == 3 and not em.attempts["ok"].any()
    assert em.params.set_index("feature").loc["share_low_ses", "coef"] < 0


def test_mixedlm_kept_when_municipal_effect_exists():
    ds = _crafted(muni_effect=3.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        em = C.fit_expected_model(ds, 2024, CRAFT_CFG)
    assert em.model_used == "mixedlm"
    assert em.re_variance > 0 and 0 < em.r2 < em.r2_conditional < 1


def test_resilient_flag_on_crafted_school():
    ds = _crafted(star=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tab = C.context_table(ds, 2024, CRAFT_CFG).set_index("school_id")
    star = tab.loc["00000"]
    assert star["residual_ci_low"] > 0 and bool(star["resilient"])
    assert "резильентная" in star["context_status"]
    # an ordinary school is not flagged, and no one with a favourable context is resilient
    assert tab["resilient"].sum() <= 3
    cut = tab["context_index"].quantile(0.3)
    assert (tab.loc[tab["resilient"].astype(bool), "context_index"] <= cut).all()


def test_similar_schools_k_excluding_self(demo):
    sim = C.similar_schools(demo, 2024, k=7)
    counts = sim.groupby("school_id").size()
    assert (counts == 7).all()
    assert not (sim["school_id"] == sim["similar_id"]).any()
    assert list(sim.columns) == ["school_id", "similar_id", "rank", "distance"]
    # schools of the school's own level (НОШ/ООШ/средняя) first, nearest first; others only fill up
    levels = C.load_context_config().similar.levels
    level = demo.schools.set_index("school_id")["school_type"].map(levels)
    sim = sim.assign(own=sim["school_id"].map(level).to_numpy() == sim["similar_id"].map(level).to_numpy())
    assert sim.groupby("school_id")["own"].apply(lambda o: o.is_monotonic_decreasing).all()
    assert sim.groupby(["school_id", "own"])["distance"].apply(lambda d: d.is_monotonic_increasing).all()
    assert sim["own"].mean() > 0.95
    secondary = sim[(sim["rank"] == 1) & (sim["school_id"].map(level) == "средняя")]
    assert len(secondary) and (secondary["similar_id"].map(level) == "средняя").all()
    # without levels: the plain nearest neighbours, nearest first
    plain = C.similar_schools(demo, 2024, k=7, config={"similar": {"levels": None}})
    assert (plain.groupby("school_id")["distance"].apply(lambda d: d.is_monotonic_increasing)).all()


def test_same_level_first_on_a_hand_made_case():
    from shnro_lib.context.similar import _same_level_first, school_levels

    schools = pd.DataFrame({"school_id": ["a", "b", "c", "d"], "school_type": ["СОШ", "НОШ", "лицей", "X"]})
    level = school_levels(
        schools, {"СОШ": "средняя", "НОШ": "начальная", "лицей": "средняя"}, pd.Index(list("abcd"))
    )
    assert level.tolist()[:3] == ["средняя", "начальная", "средняя"] and pd.isna(level["d"])
    X = np.array([[0.0], [0.1], [3.0], [0.25]])
    got = _same_level_first(X, level.to_numpy(object), 2)
    # a (СОШ): the lyceum c first although b (НОШ) is nearer; then the nearest of any level
    assert [j for _, j in got[0]] == [2, 1]
    assert got[0][0][0] == pytest.approx(3.0)
    # b (НОШ) has no other primary school: its nearest of any level; d (no level) likewise
    assert [j for _, j in got[1]] == [0, 3] and [j for _, j in got[3]] == [1, 0]


def test_reproducible(demo):
    a = C.cluster_analysis(demo, 2024, config=FAST)
    b = C.cluster_analysis(demo, 2024, config=FAST)
    pd.testing.assert_frame_equal(a.labels, b.labels)
    assert a.stability == b.stability
    t1 = C.context_table(demo, 2024, config=FAST)
    t2 = C.context_table(demo, 2024, config=FAST)
    pd.testing.assert_frame_equal(t1, t2)


def test_context_table_columns_and_names(demo):
    t = C.context_table(demo, 2024, config=FAST)
    need = {
        "school_id",
        "cluster",
        "cluster_name",
        "context_index",
        "expected_result",
        "residual",
        "residual_ci_low",
        "residual_ci_high",
        "resilient",
    }
    assert need <= set(t.columns)
    assert len(t) == demo.schools["school_id"].nunique()
    assert str(t["resilient"].dtype) == "boolean"
    ok = t["residual"].notna()
    assert (t.loc[ok, "residual_ci_low"] < t.loc[ok, "residual"]).all()
    # names are Russian text built from the profile
    assert t["cluster_name"].dropna().str.contains("школы", case=False).all()


def test_clusters_across_years(demo):
    out = C.clusters_across_years(demo, reference_year=2022, config=FAST)
    assert set(out["year"].unique()) >= {2022, 2023, 2024}
    ref = out[out["year"] == 2022]
    assert not ref["changed"].any() and ref["context_shift"].fillna(0).max() < 1e-9
    later = out[out["year"] == 2024]
    assert later["context_shift"].max() > 0


def test_method_annex():
    text = C.context_method_ru({"clustering": {"method": "ward"}})
    assert "Уорда" in text and "MixedLM" in text and "силуэта" in text


def test_cli(demo, tmp_path):
    from typer.testing import CliRunner

    from shnro_lib.cli import app

    assert demo.path is not None
    r = CliRunner().invoke(
        app,
        [
            "context",
            str(demo.path),
            "--year",
            "2024",
            "--csv",
            str(tmp_path / "c.csv"),
            "--xlsx",
            str(tmp_path / "c.xlsx"),
        ],
    )
    assert r.exit_code == 0, r.output
    df = pd.read_csv(tmp_path / "c.csv", encoding="utf-8-sig", dtype=str)
    assert "Код ОО" in df.columns and "Резильентная" in df.columns
    assert (tmp_path / "c.xlsx").stat().st_size > 0


def test_columns_not_collected_are_dropped_with_one_note_not_per_school():
    # the crafted context holds 4 of the 11 features in use: no school is excluded for the other 7
    ds = _crafted(n_muni=3, per=10)
    cf = C.context_features(ds, 2024, {"clustering": {"stability": {"n_boot": 0}}})
    assert len(cf.excluded) == 0
    assert list(cf.z.columns) == [
        "log_enrolment",
        "share_low_ses",
        "share_low_parent_education",
        "log_distance",
    ]
    absent_notes = [n for n in cf.notes if "не собранные" in n]
    assert len(absent_notes) == 1 and "7 из 11" in absent_notes[0]
    assert "Малокомплектная школа" in absent_notes[0] and len(cf.absent) == 7
    rep = C.context_analysis(ds, 2024, {"clustering": {"stability": {"n_boot": 0}, "k_range": [2, 3]}})
    assert rep.table["cluster"].notna().all()
    assert any("признаков использовано 4 из 11" in line for line in rep.coverage_ru())


def test_no_context_table_is_not_assessed_with_the_reason():
    ds = _crafted(n_muni=3, per=10)
    bare = Dataset.from_frames({"schools": ds.schools, "results": ds.results})
    with pytest.raises(C.ContextNotAssessed, match="нет таблицы «социальный контекст»"):
        C.context_table(bare, 2024)


def test_ignored_looking_options_are_honoured():
    ds = _crafted(n_muni=3, per=10)
    ctx = ds.tables["context"].copy()
    old = ctx.iloc[[1]].copy()
    old["year"] = 2023
    ds2 = Dataset.from_frames(
        {
            "schools": ds.schools,
            "results": ds.results,
            "context": pd.concat([ctx.drop(index=1), old], ignore_index=True),
        }
    )
    exact = C.context_features(ds2, 2024, {"year_fallback": "exact"})
    assert exact.n_fallback == 0 and ds.schools["school_id"].iloc[1] in set(exact.excluded["school_id"])
    with pytest.raises(ValueError, match="missing.impute"):
        C.load_context_config({"missing": {"impute": "zero"}})
    with pytest.raises(ValueError, match="clustering.metod"):
        C.load_context_config({"clustering": {"metod": "gmm"}})


def test_settings_are_the_typed_model():
    """The loader hands on the validated model; loaded settings pass through unchanged."""
    from shnro_lib.context.settings import ContextSettings

    cfg = C.load_context_config({"clustering": {"method": "ward", "k": 4}})
    assert isinstance(cfg, ContextSettings) and cfg.clustering.method == "ward" and cfg.clustering.k == 4
    assert C.load_context_config(cfg) is cfg
    assert cfg.features["share_low_ses"].table in ("context", "schools")
    with pytest.raises(ValueError, match="metod"):
        C.load_context_config({"clustering": {"metod": "gmm"}})
