"""Identification a methodologist would sign (issue 14) and on data shaped differently (issue 13):
criteria groups and guards, «зона риска», what the data lack, sizes, sensitivity, stability, CLI."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shnro_lib.identify import (
    LISTED,
    category_sizes,
    criteria_coverage,
    flip_rate,
    identification_changes,
    identification_headline,
    identify_schools,
    load_indices,
    load_rules,
    persistence_tradeoff,
    persistent_panel,
    read_config,
    sensitivity_section_content,
)
from shnro_lib.io import Dataset
from shnro_lib.settings import SettingsError

CHANGES_RU = {
    "вошла в список",
    "вышла из списка",
    "вышла из списка, осталась в зоне риска",
    "сменила категорию в списке",
    "вошла в зону риска",
    "вышла из зоны риска",
    "нет данных за прошлый год",
    "не оценено в одном из двух лет",
}

YEARS = (2022, 2023, 2024)


def _region(
    n: int = 40, seed: int = 5, procedure: str = "ВПР", years=YEARS, max_score: float = 20.0
) -> dict[str, pd.DataFrame]:
    """n schools, theta spread evenly; every school large (so the index is precise)."""
    rng = np.random.default_rng(seed)
    ids = [f"s{i:02d}" for i in range(n)]
    theta = np.linspace(-1, 1, n)
    res, ctx = [], []
    for y in years:
        for i, s in enumerate(ids):
            res.append(
                {
                    "school_id": s,
                    "year": y,
                    "procedure": procedure,
                    "subject": "Математика",
                    "grade": 5,
                    "participants": 200,
                    "mean_score": max_score * (0.5 + 0.15 * theta[i] + rng.normal(0, 0.005)),
                    "max_score": max_score,
                    "share_low": 0.1,
                    "share_quality": 0.8,
                }
            )
            ctx.append(
                {
                    "school_id": s,
                    "year": y,
                    "enrolment": 500,
                    "share_low_ses": 0.3 - 0.1 * theta[i],
                    "share_single_parent": 0.2 - 0.05 * theta[i],
                }
            )
    schools = pd.DataFrame({"school_id": ids, "name": [f"Школа {s}" for s in ids], "municipality": "Город"})
    return {"schools": schools, "results": pd.DataFrame(res), "context": pd.DataFrame(ctx)}


def _ds(frames: dict[str, pd.DataFrame]) -> Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Dataset.from_frames(frames)


def test_territory_flags_count_once_and_need_a_school_condition() -> None:
    f = _region()
    ids = f["schools"]["school_id"].tolist()
    # the whole town is a pension-heavy, high-unemployment monotown: three flags, one condition
    f["territories"] = pd.DataFrame(
        [
            {
                "municipality": "__region__",
                "is_monotown": False,
                "share_pension_age": 0.2,
                "unemployment_rate": 0.02,
            },
            {
                "municipality": "Город",
                "is_monotown": True,
                "share_pension_age": 0.4,
                "unemployment_rate": 0.05,
            },
        ]
    )
    f["resources"] = pd.DataFrame(
        {
            "school_id": ids,
            "year": 2024,
            "in_renovation_plan": [s == "s05" for s in ids],
            "in_construction_plan": False,
        }
    )
    t = identify_schools(_ds(f), 2024, "lo_2018").set_index("school_id")
    assert t["crit_monotown"].all() and t["crit_pension_territory"].all()
    su = t["category"].isin(["ШНСУ", "ШНРО и ШНСУ"])
    # territory alone never makes ШНСУ; s05 adds a school condition and is in the lower half of ИСБ
    low_isb = t["social_wellbeing_index"].rank(pct=True) <= 0.12
    assert set(t.index[su]) == set(t.index[low_isb]) | {"s05"}
    # a school in the upper half of ИСБ with the same territory flags and a school condition: not ШНСУ
    f["resources"]["in_renovation_plan"] = [s == "s35" for s in ids]
    t2 = identify_schools(_ds(f), 2024, "lo_2018").set_index("school_id")
    assert t2.loc["s35", "category"] == "нет"


def test_top_half_never_low_results_by_secondary_nor_risk_zone() -> None:
    f = _region()
    ids = f["schools"]["school_id"].tolist()
    # every school fails three secondary result criteria
    f["outcomes"] = pd.DataFrame(
        [
            {
                "school_id": s,
                "year": y,
                "share_continuing_senior": 0.3,
                "graduates_9": 30,
                "olympiad_participants": 0,
                "satisfaction_share": 0.2,
            }
            for s in ids
            for y in YEARS
        ]
    )
    t = identify_schools(_ds(f), 2024, "lo_2018").set_index("school_id")
    upper = t["shrunken_index"] > t["shrunken_index"].median()
    assert upper.sum() >= 15
    assert not t.loc[upper, "category"].isin(["ШНРО", "ШНРО и ШНСУ", "зона риска"]).any()
    assert t.loc[~upper, "category"].isin(["ШНРО", "ШНРО и ШНСУ"]).all()


def _declining(changes: dict[str, tuple[int, tuple[float, float]]]) -> pd.DataFrame:
    """Identification of a 40-school region where some schools lose (SD in 2023, SD in 2024)."""
    f = _region(n=40, years=(2021, 2022, 2023, 2024))
    res = f["results"]
    one_sd = 20.0 * 0.15 * 0.58
    for s, (n, (d23, d24)) in changes.items():
        for year, d in ((2023, d23), (2024, d24)):
            res.loc[(res["school_id"] == s) & (res["year"] == year), "mean_score"] -= one_sd * d
        res.loc[res["school_id"] == s, "participants"] = n
    return identify_schools(_ds(f), 2024, "lo_2018").set_index("school_id")


def test_risk_zone_drop_needs_significance() -> None:
    # s15 (lower half) declines 0.25 SD a year over 2 years with 200 pupils (significant, sustained);
    # s16 the same with 3 pupils (not significant)
    t = _declining({"s15": (200, (0.25, 0.5)), "s16": (3, (0.25, 0.5))})
    assert t.loc["s15", "category"] == "зона риска" and "снизился" in t.loc["s15", "risk_zone_reasons"]
    assert "снизился" not in str(t.loc["s16", "risk_zone_reasons"])


def test_risk_zone_drop_must_be_sustained() -> None:
    # the same 2-year drop, once falling every year and once falling 0.8 SD and recovering to −0.5:
    # only the first is a decline, the second is noise around a level
    assert "снизился" in str(_declining({"s15": (200, (0.25, 0.5))}).loc["s15", "risk_zone_reasons"])
    assert "снизился" not in str(_declining({"s15": (200, (0.8, 0.5))}).loc["s15", "risk_zone_reasons"])


def test_absent_source_is_one_note_and_unassessed_category_is_said(tmp_path: Path) -> None:
    f = _region()
    f["context"] = f["context"].drop(columns=["share_low_ses", "share_single_parent"])  # no ИСБ components
    t = identify_schools(_ds(f), 2024, "lo_2018")
    assert "crit_low_wellbeing" not in t.columns and "crit_low_staff" not in t.columns
    assert t["not_assessed"].isna().all()  # nothing the data set lacks is a per-school gap
    assert "ШНСУ" in t.attrs["unassessed"] and "ШНРО" not in t.attrs["unassessed"]
    head = identification_headline(t, "lo_2018")
    assert "ШНСУ — не оценено" in head and "ШНРО — " in head
    sizes = category_sizes(t, "lo_2018").set_index("Категория")
    assert sizes.loc["ШНСУ", "Оценка"].startswith("не оценено")
    cov = criteria_coverage(t).set_index("Код")
    assert (
        cov.loc["low_wellbeing", "Оценено школ"] == 0
        and "нет" in cov.loc["low_wellbeing", "Почему не оценено"]
    )


def test_unknown_procedure_and_two_years_still_give_an_index() -> None:
    f = _region(procedure="Региональная диагностика", years=(2023, 2024), max_score=1000.0)
    t = identify_schools(_ds(f), 2024, "lo_2018")
    assert t["result_index"].notna().all()
    assert any("Окно сокращено: 2 из 3" in n for n in t.attrs["notes"])
    lo = t["category"].isin(["ШНРО", "ШНРО и ШНСУ"]).mean()
    assert 0.05 <= lo <= 0.2


def test_composite_from_present_components_with_coverage() -> None:
    f = _region()
    t = identify_schools(_ds(f), 2024, "lo_2018")
    assert t["social_wellbeing_index"].notna().all()
    assert (t["social_wellbeing_index_coverage"] == 1).all()  # 2 of 7 present: full coverage of those
    assert any("ИСБ" in n and "2 из 7" in n for n in t.attrs["notes"]) or any(
        "благополучия" in n and "2 из 7" in n for n in t.attrs["notes"]
    )


def test_sizes_on_small_demo_within_intent(small_demo) -> None:
    t = identify_schools(small_demo, 2024, "lo_2018")
    n = len(t)
    lo = t["category"].isin(["ШНРО", "ШНРО и ШНСУ"]).sum() / n
    union = t["category"].isin(LISTED).sum() / n
    assert 0.05 <= lo <= 0.2 and union <= 0.35
    assert (t["category"] == "зона риска").sum() / n <= 0.15
    top = (t["result_index"].rank(pct=True) > 0.75) & (t["social_wellbeing_index"].rank(pct=True) > 0.5)
    assert not t.loc[top, "category"].isin([*LISTED, "зона риска"]).any()
    # deterministic explanation
    t2 = identify_schools(small_demo, 2024, "lo_2018")
    assert t["explanation"].tolist() == t2["explanation"].tolist()


def test_sensitivity_and_kappa(small_demo) -> None:
    c = sensitivity_section_content(small_demo, 2024, "lo_2018")
    tab = c["table"].set_index("Вариант")
    base = tab.iloc[0]
    assert base["κ с основным"] == 1.0 and base["Сменили категорию"] == 0
    assert base["Общих с основным"] == base["В списке"]
    assert any(v.startswith("окно 1 г.") for v in tab.index) and any("простой индекс" in v for v in tab.index)
    assert any(v.startswith("набор правил: federal_low_results") for v in tab.index)
    assert (tab["Общих с основным"] <= tab["В списке"]).all()
    k = c["kappa"].set_index("Набор правил")
    assert np.allclose(np.diag(k.to_numpy(dtype=float)), 1.0)
    assert np.allclose(k.to_numpy(dtype=float), k.to_numpy(dtype=float).T)
    assert c["sentences"] and all(isinstance(s, str) for s in c["sentences"])


def test_flip_rate_and_persistence_on_a_known_panel() -> None:
    rows = []
    seqs = {"a": [1, 0, 1, 0], "b": [1, 1, 1, 1], "c": [0, 0, 0, 0], "d": [0, 1, 1, 0]}
    for s, seq in seqs.items():
        for y, v in zip((2021, 2022, 2023, 2024), seq, strict=True):
            rows.append({"school_id": s, "year": y, "category": "ШНРО" if v else "нет"})
    panel = pd.DataFrame(rows)
    fr = flip_rate(panel)
    assert fr.iloc[-1]["flip_rate"] == pytest.approx(1 / 3)  # a left and came back; b, d did not
    assert fr.iloc[0]["entered"] == 1 and fr.iloc[0]["left"] == 1
    p = persistent_panel(panel, 2, 3).set_index(["school_id", "year"])["category"]
    assert p[("a", 2023)] == "listed" and p[("d", 2022)] == "нет" and p[("d", 2023)] == "listed"
    truth = pd.Series({"a": True, "b": True, "c": False, "d": False})
    trade = persistence_tradeoff(panel, truth, 2024).set_index("rule")
    assert trade.loc["без правила", "recall"] == pytest.approx(0.5)
    assert trade.loc["2 из 3 лет", "flip_rate"] <= trade.loc["без правила", "flip_rate"]


def test_changes_list_changes_only(small_demo) -> None:
    ch = identification_changes(small_demo, 2024, "lo_2018")
    assert len(ch) > 0
    assert (ch["category"].astype(str) != ch["category_prev"].astype(str)).all()
    assert set(ch["change"]) <= CHANGES_RU
    assert ch["school_id"].tolist() == sorted(ch["school_id"].tolist())


def test_settings_reject_unknown_keys_with_file_and_key(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"indices\.yaml.*staff_index\.min_weigth_share"):
        load_indices(None, {"staff_index": {"min_weigth_share": 0.3}})
    assert load_indices(None, {"staff_index": {"min_weight_share": 0.3}}).staff_index.min_weight_share == 0.3
    cfg = tmp_path / "my.yaml"
    cfg.write_text("criterii: {}\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="criterii"):
        read_config(cfg)
    r = load_rules("lo_2018", {"criteria": {"low_results": {"threshold": 0.2}}})
    assert r["criteria"]["low_results"]["threshold"] == 0.2 and "--config" in r["_source"]


def test_cli_config_and_not_assessed_exit_code(tmp_path: Path, small_demo_dir: Path) -> None:
    from typer.testing import CliRunner

    from shnro_lib.cli import app

    cfg = tmp_path / "c.yaml"
    cfg.write_text("criteria:\n  criteria:\n    low_results: {threshold: 0.2}\n", encoding="utf-8")
    out = tmp_path / "id.xlsx"
    res = CliRunner().invoke(
        app,
        [
            "identify",
            str(small_demo_dir),
            "--year",
            "2024",
            "--out",
            str(out),
            "--config",
            str(cfg),
            "--no-sensitivity",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "ШНРО — " in res.output
    import openpyxl

    wb = openpyxl.load_workbook(out)
    assert {"Размер категорий", "Полнота данных", "Матрица критериев"} <= set(wb.sheetnames)
    bad = tmp_path / "bad.yaml"
    bad.write_text("indices:\n  staff_index: {min_weigth_share: 1.0}\n", encoding="utf-8")
    res = CliRunner().invoke(
        app,
        [
            "identify",
            str(small_demo_dir),
            "--year",
            "2024",
            "--out",
            str(out),
            "--config",
            str(bad),
            "--no-sensitivity",
        ],
    )
    assert res.exit_code == 1 and "min_weigth_share" in res.output


def test_cli_exit_code_3_when_a_category_cannot_be_assessed(tmp_path: Path, small_demo_dir: Path) -> None:
    import shutil

    from typer.testing import CliRunner

    from shnro_lib.cli import app

    data = tmp_path / "data"
    shutil.copytree(small_demo_dir, data)
    for p in data.iterdir():  # no social, staff or resources data at all
        if any(w in p.name.lower() for w in ("context", "контекст", "staff", "кадр", "resources", "ресурс")):
            p.unlink()
    out = tmp_path / "id.xlsx"
    res = CliRunner().invoke(
        app,
        [
            "identify",
            str(data),
            "--year",
            "2024",
            "--out",
            str(out),
            "--csv",
            str(tmp_path / "id.csv"),
            "--no-sensitivity",
        ],
    )
    assert res.exit_code == 3, res.output
    assert "ШНСУ — не оценено" in res.output and "0 выявленных" not in res.output
    assert out.exists() and (tmp_path / "id.csv").exists()


def test_sizes_name_the_driving_criteria_when_far_above_intent() -> None:
    f = _region()
    over = {
        "criteria": {
            "categories": {"ШНРО": {"intended": {"share": None, "capacity": 1, "note_ru": "одна школа"}}}
        }
    }
    t = identify_schools(_ds(f), 2024, "lo_2018", override=over)
    sizes = category_sizes(t, "lo_2018", over).set_index("Категория")
    assert sizes.loc["ШНРО", "Оценка"] == "больше намеченного"
    assert (
        "индекс" in sizes.loc["ШНРО", "Что даёт больше всего школ"].lower()
        or "результат" in sizes.loc["ШНРО", "Что даёт больше всего школ"]
    )
    assert sizes.loc["ШНСУ", "Что даёт больше всего школ"] == "—"


def test_intended_size_needs_share_or_capacity() -> None:
    from shnro_lib.identify import RuleError

    with pytest.raises(RuleError, match=r"categories\.ШНРО\.intended"):
        load_rules("lo_2018", {"categories": {"ШНРО": {"intended": {"share": [0.1, 0.15], "capacity": 30}}}})
    with pytest.raises(RuleError, match=r"risk_profile_levels\.hihg"):
        load_rules("lo_2018", {"risk_profile_levels": {"hihg": 0.5}})


def test_headline_survives_a_stored_table_without_attrs() -> None:
    f = _region()
    f["context"] = f["context"].drop(columns=["share_low_ses", "share_single_parent"])
    t = identify_schools(_ds(f), 2024, "lo_2018")
    stored = pd.DataFrame(t.to_dict("list"))  # attrs lost, as after a round trip through a file
    assert not stored.attrs
    assert "ШНСУ — не оценено" in identification_headline(stored, "lo_2018")
