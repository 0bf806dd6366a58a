"""Annual monitoring: every indicator on a crafted case, targets, transitions, CLI."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from shnro_lib import monitoring as mon
from shnro_lib.io import Dataset
from shnro_lib.io.facts import parse_facts

M1, M2 = "Первый район", "Второй район"


def _results() -> pd.DataFrame:
    # (school, year, procedure, subject, grade, participants, mean_score, max_score, share_low)
    rows = [
        ("A", 2022, "ОГЭ", "Математика", 9, 20, 10, 31, 0.40),
        ("B", 2022, "ОГЭ", "Математика", 9, 20, 12, 31, 0.30),
        ("C", 2022, "ОГЭ", "Математика", 9, 20, 20, 31, 0.05),
        ("D", 2022, "ОГЭ", "Математика", 9, 20, 14, 31, 0.20),
        ("A", 2023, "ОГЭ", "Математика", 9, 20, 18, 31, 0.20),
        ("B", 2023, "ОГЭ", "Математика", 9, 20, 11, 31, 0.35),
        ("C", 2023, "ОГЭ", "Математика", 9, 20, 13, 31, 0.25),
        ("D", 2023, "ОГЭ", "Математика", 9, 20, 12, 31, 0.30),
        ("A", 2022, "ЕГЭ", "Русский язык", 11, 10, 55, 100, 0.30),
        ("B", 2022, "ЕГЭ", "Русский язык", 11, 10, 60, 100, 0.2),
        ("C", 2022, "ЕГЭ", "Русский язык", 11, 10, 80, 100, 0.0),
        ("D", 2022, "ЕГЭ", "Русский язык", 11, 10, 65, 100, 0.1),
        ("A", 2023, "ЕГЭ", "Русский язык", 11, 10, 75, 100, 0.5),
        ("B", 2023, "ЕГЭ", "Русский язык", 11, 10, 58, 100, 0.2),
        ("C", 2023, "ЕГЭ", "Русский язык", 11, 10, 62, 100, 0.1),
        ("D", 2023, "ЕГЭ", "Русский язык", 11, 10, 60, 100, 0.2),
    ]
    cols = [
        "school_id",
        "year",
        "procedure",
        "subject",
        "grade",
        "participants",
        "mean_score",
        "max_score",
        "share_low",
    ]
    return pd.DataFrame(rows, columns=cols)


def _dataset(with_process: bool = True) -> Dataset:
    schools = pd.DataFrame(
        {"school_id": list("ABCD"), "name": [f"Школа {s}" for s in "ABCD"], "municipality": [M1, M1, M2, M2]}
    )
    staff = pd.DataFrame(
        {
            "school_id": list("ABCD") * 2,
            "year": [2022] * 4 + [2023] * 4,
            "teachers": [10, 20, 30, 40] * 2,
            "vacancies": [1, 1, 1, 1, 0, 2, 10, 0],
        }
    )
    tables = {"schools": schools, "results": _results(), "staff": staff}
    if with_process:
        tables["process"] = pd.DataFrame(
            {
                "school_id": ["A", "C", "B"],
                "year": [2023, 2023, 2023],
                "share_teachers_diagnosed": [0.5, 1.0, 0.8],
                "share_teachers_improved": [0.25, 0.5, 0.4],
                "methodical_visits": [2, 0, 1],
                "has_partner": [True, False, True],
            }
        )
        tables["programme"] = pd.DataFrame(
            {
                "school_id": ["A", "C", "D"],
                "year": [2023] * 3,
                "in_programme": [True, True, False],
                "cohort": [2023, 2023, pd.NA],
                "partner_school_id": ["P", None, None],
            }
        )
    return Dataset.from_frames(tables)


IDENT = pd.DataFrame(
    {
        "school_id": list("ABCD") * 2,
        "year": [2022] * 4 + [2023] * 4,
        "category": ["ШНРО", "ШНСУ", "нет", "ШНРО и ШНСУ", "ШНРО", "нет", "ШНРО", "ШНРО и ШНСУ"],
    }
)


# targets are facts of a data set (dataset.yaml), as the demo's
FACTS = parse_facts(
    {"monitoring": {"targets": {"shnro_share": {"trajectory": {2022: 0.29, 2024: 0.05}, "tolerance": 0.03}}}}
)


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return mon.evaluate_indicators(mon.build_panel(_dataset(), IDENT), targets=mon.targets_from_facts(FACTS))


def _val(table, name, year=2023, muni="Регион"):
    row = table[(table["indicator"] == name) & (table["year"] == year) & (table["municipality"] == muni)]
    assert len(row) == 1
    return row.iloc[0]


def test_positive_dynamics(table):
    panel = mon.build_panel(_dataset(), IDENT).set_index(["school_id", "year"])
    # A goes from the lowest to the highest scores; B, C, D fall back
    assert panel.loc[("A", 2023), "result_up"] == 1.0
    assert panel.loc[("B", 2023), "result_up"] == 0.0
    assert panel.loc[("D", 2023), "result_up"] == 0.0
    r = _val(table, "dynamics_positive_share")
    # listed in 2022: A, B, D → 1 of 3 (C was not listed in 2022)
    assert r["value"] == pytest.approx(1 / 3) and r["n_schools"] == 3
    assert math.isnan(_val(table, "dynamics_positive_share", 2022)["value"])


def test_low_index_and_gia(table):
    # 2023 ШНРО: A (0.3 = (20·0.2 + 10·0.5)/30), C (0.2), D (8/30)
    assert _val(table, "low_index_shnro")["value"] == pytest.approx((0.3 + 0.2 + 8 / 30) / 3)
    assert _val(table, "low_index_shnro", muni=M1)["value"] == pytest.approx(0.3)
    # passed = participants × (1 − share_low): A 16+5, C 15+9, D 14+8 of 90
    assert _val(table, "gia_pass_share")["value"] == pytest.approx(67 / 90)
    assert _val(table, "gia_pass_share")["numerator"] == pytest.approx(67)
    # 2022 ШНРО: A, D
    assert _val(table, "low_index_shnro", 2022)["value"] == pytest.approx(
        ((20 * 0.4 + 3) / 30 + (4 + 1) / 30) / 2
    )
    assert _val(table, "low_index_shnro")["change"] == pytest.approx(
        _val(table, "low_index_shnro")["value"] - _val(table, "low_index_shnro", 2022)["value"]
    )


def test_teacher_indicators(table):
    # listed 2023: A, C, D; D has no process row → excluded, not zero
    r = _val(table, "teachers_diagnosed_share")
    assert r["value"] == pytest.approx(35 / 40)
    assert (r["n_schools"], r["n_used"]) == (3, 2)
    assert _val(table, "teachers_improved_share")["value"] == pytest.approx(17.5 / 40)
    assert _val(table, "teachers_improved_of_diagnosed")["value"] == pytest.approx(0.5)


def test_counts_staffing_share(table):
    assert _val(table, "methodical_covered_count")["value"] == 1  # A only (C had 0 visits)
    assert _val(table, "network_count")["value"] == 1  # A has a partner
    assert _val(table, "targeted_help_count")["value"] == 2  # A, C in the programme
    assert _val(table, "staffing_shnro")["value"] == pytest.approx(80 / 90)
    assert _val(table, "shnro_share")["value"] == pytest.approx(0.75)
    assert _val(table, "shnro_share", 2022)["value"] == pytest.approx(0.5)
    assert _val(table, "shnro_share", muni=M2)["value"] == pytest.approx(1.0)
    assert _val(table, "shnro_share")["change"] == pytest.approx(0.25)
    # 29 % in 2022 → 5 % in 2024: target 17 % in 2023, 75 % is far off
    r = _val(table, "shnro_share")
    assert r["target"] == pytest.approx(0.17) and r["status_ru"] == "отставание"


def test_custom_indicator_from_yaml_without_code():
    cfg = {
        "indicators": {
            "many_vacancies": {
                "title_ru": "Школы с вакансиями более 5",
                "filter": {},
                "where": "vacancies > 5",
                "aggregation": "count",
                "unit": "count",
            }
        }
    }
    t = mon.evaluate_indicators(mon.build_panel(_dataset(), IDENT, cfg), cfg, indicators=["many_vacancies"])
    assert _val(t, "many_vacancies")["value"] == 1  # C: 10 vacancies
    assert _val(t, "many_vacancies", 2022)["value"] == 0
    with pytest.raises(ValueError, match="aggregation"):
        mon.load_monitoring_config({"indicators": {"bad": {"aggregation": "median"}}})


def test_missing_table_is_reported_not_zero():
    t = mon.evaluate_indicators(mon.build_panel(_dataset(with_process=False), IDENT))
    r = _val(t, "teachers_diagnosed_share")
    assert math.isnan(r["value"]) and r["status"] == "no_data"
    # the table by its Russian name, not its id
    assert r["note"] == "в наборе данных нет таблицы «Процесс программы»"


def test_target_interpolation_and_status():
    tgt = {
        "trajectory": {2022: 0.29, 2024: 0.05},
        "tolerance": 0.03,
        "by_municipality": {"Особый": {"trajectory": {2022: 0.5}}},
    }
    assert math.isnan(mon.target_value(tgt, 2021))
    assert mon.target_value(tgt, 2023) == pytest.approx(0.17)
    assert mon.target_value(tgt, 2026) == pytest.approx(0.05)
    assert mon.target_value(tgt, 2023, "Особый") == pytest.approx(0.5)
    lower = "lower_better"
    assert mon.target_status(0.17, 0.17, lower, 0.03) == "on_track"
    assert mon.target_status(0.19, 0.17, lower, 0.03) == "at_risk"
    assert mon.target_status(0.21, 0.17, lower, 0.03) == "off_track"
    assert mon.target_status(0.80, 0.90, "higher_better", 0.1) == "at_risk"
    assert mon.target_status(0.95, 0.90, "higher_better", 0.0) == "on_track"
    assert mon.target_status(float("nan"), 0.9, lower, 0.1) == "no_data"
    assert mon.target_status(0.5, float("nan"), lower, 0.1) == "no_target"


SEQ = {  # 2020 … 2024; None = no identification that year
    "S1": ["ШНРО", "нет", "нет", "нет", "нет"],
    "S2": ["ШНРО", "ШНРО", "ШНРО", "ШНРО", "нет"],
    "S3": ["ШНСУ", "нет", "зона риска", "ШНРО", "ШНРО"],
    "S4": ["ШНРО", "нет", "нет", "нет", "ШНРО"],
    "S5": ["нет"] * 5,
    "S6": ["нет", "нет", "нет", "нет", "ШНРО и ШНСУ"],
    "S7": ["ШНРО", "ШНРО", "ШНРО", "нет", "зона риска"],
    "S8": ["ШНРО", "ШНРО", "нет", None, "нет"],
    "S9": ["ШНРО", "зона риска", "нет", "нет", "нет"],
    "S10": ["ШНРО", "нет", "нет", "зона риска", "нет"],
}


def _seq_ident() -> pd.DataFrame:
    rows = [(s, 2020 + k, c) for s, cats in SEQ.items() for k, c in enumerate(cats) if c is not None]
    return pd.DataFrame(rows, columns=["school_id", "year", "category"])


def test_effective_mode_and_trajectories():
    tr = mon.school_trajectories(_seq_ident(), effective_years=2).set_index("school_id")
    expected = {
        "S1": "effective",
        "S2": "left",
        "S3": "stayed",
        "S4": "reentered",
        "S5": "never",
        "S6": "entered",
        "S7": "risk_after_list",
        "S8": "out",
        "S9": "effective",
        "S10": "left",
    }
    assert tr["status"].to_dict() == expected
    assert tr.at["S1", "effective_since"] == 2022 and tr.at["S1", "years_out"] == 4
    # the risk zone is not «out of trouble»: the clear run starts after it
    assert tr.at["S9", "effective_since"] == 2023 and tr.at["S9", "left_year"] == 2021
    assert tr.at["S7", "left_year"] == 2023 and pd.isna(tr.at["S7", "effective_since"])
    assert tr.at["S7", "status_ru"] == "вышла из списка, но в зоне риска"
    assert tr.at["S1", "status_ru"] == "перешла в эффективный режим"
    # a stricter rule: 3 clear years
    tr3 = mon.school_trajectories(_seq_ident(), effective_years=3).set_index("school_id")
    assert tr3.at["S9", "status"] == "effective" and tr3.at["S1", "status"] == "effective"
    assert tr3.at["S10", "status"] == "left"
    # as of 2022: S1 out 2 years → effective; S2 still in
    tr22 = mon.school_trajectories(_seq_ident(), year=2022, effective_years=2).set_index("school_id")
    assert tr22.at["S1", "status"] == "effective" and tr22.at["S2", "status"] == "stayed"
    assert tr22.at["S4", "status"] == "effective"


def test_transition_matrix():
    m = mon.transition_matrix(_seq_ident(), 2023, 2024)
    assert m.loc["ШНРО", "ШНРО"] == 1  # S3
    assert m.loc["ШНРО", "нет"] == 1  # S2
    assert m.loc["нет", "ШНРО"] == 1  # S4
    assert m.loc["нет", "зона риска"] == 1  # S7
    assert m.loc["нет данных", "нет"] == 1  # S8 absent in 2023
    assert m.loc["зона риска", "нет"] == 1  # S10
    assert int(m.to_numpy().sum()) == len(SEQ)
    flows = mon.transitions_long(_seq_ident())
    assert flows[(flows.year_from == 2020)]["n"].sum() == len(SEQ)


def test_figures_and_method():
    import matplotlib

    matplotlib.use("Agg")
    t = mon.evaluate_indicators(mon.build_panel(_dataset(), IDENT))
    fig = mon.plot_status_grid(t, 2023, synthetic=True)
    assert "СИНТЕТИЧЕСКИЕ ДАННЫЕ" in fig.axes[0].get_title()
    assert len(fig.axes[0].patches) == 3 * len(t["indicator"].unique())  # region + 2 municipalities
    fig2 = mon.plot_transitions_flow(_seq_ident())
    assert len(fig2.axes[0].patches) > 10
    text = mon.monitoring_method_ru()
    assert "эффективный режим" in text and "Доля ШНРО среди всех школ" in text
    # a column's name in lower case, an abbreviation as it is
    assert "числитель: ШНРО (признак)" in text and "шНРО" not in text
    # the grid's cells: a small share with its schools, «нет школ» where there is none to count
    none = mon.evaluate_indicators(mon.build_panel(_dataset(), _no_listed_in_m1()))
    cells = [x.get_text() for x in mon.plot_status_grid(none, 2023).axes[0].texts]
    # (0 of the first municipality's 2 schools is ШНРО in 2023, down from 1: the arrow says so)
    assert "0\u202f% (0 из 2) ▼" in cells and "нет школ" in cells


def test_cli_monitoring(small_demo_dir, tmp_path):
    from openpyxl import load_workbook
    from typer.testing import CliRunner

    from shnro_lib.cli import app

    out = tmp_path / "m.xlsx"
    r = CliRunner().invoke(app, ["monitoring", str(small_demo_dir), "--year", "2024", "--xlsx", str(out)])
    assert r.exit_code == 0, r.output
    wb = load_workbook(out)
    assert {"Регион по годам", "Статус целей", "Траектории школ", "Переходы"} <= set(wb.sheetnames)
    assert "СИНТЕТИЧЕСКИЕ ДАННЫЕ" in str(wb["Статус целей"]["A1"].value)

    def header(sheet: str) -> list[str]:
        rows = list(wb[sheet].iter_rows(values_only=True))
        return [str(c) for c in next(r for r in rows if "Год" in r or "Код ОО" in r) if c is not None]

    # a school's status under the vocabulary's one name; an indicator's target state under its own
    from shnro_lib.vocabulary import name_ru

    assert name_ru("status_ru") in header("Траектории школ")
    assert "Выполнение цели" in header("Показатели 2024") and name_ru("status_ru") not in header("Все годы")


def test_without_targets_the_status_says_so_not_a_fabricated_target():
    t = mon.evaluate_indicators(mon.build_panel(_dataset(), IDENT))
    r = _val(t, "shnro_share")
    assert math.isnan(r["target"]) and r["status"] == "no_target"
    assert r["status_ru"] == mon.load_monitoring_config().status_labels.no_target_facts
    assert r["status_ru"].startswith("цель не задана") and ".yaml" not in r["status_ru"]
    assert not hasattr(mon.load_monitoring_config(), "targets")


def test_not_assessed_categories_are_missing_not_zero():
    ident = IDENT.copy()
    ident.loc[ident["year"] == 2023, "category"] = ["не оценено", "не оценено", "не оценено", "ШНРО"]
    t = mon.evaluate_indicators(mon.build_panel(_dataset(), ident))
    r = _val(t, "shnro_share")
    # 1 of 4 schools assessed (< min_coverage 0.5): «—», not 100 % and not 0 %
    assert math.isnan(r["value"]) and r["status_ru"] == "не оценено"
    assert "1 из 4" in r["note"]
    assert _val(t, "shnro_share", 2022)["value"] == pytest.approx(0.5)


def test_unknown_key_is_an_error_naming_the_key():
    with pytest.raises(ValueError, match="positive_change.min_chnage"):
        mon.load_monitoring_config({"positive_change": {"min_chnage": 0.1}})


def test_school_without_result_index_is_not_counted_as_not_shnro():
    ident = IDENT.copy()
    # 2023: only D has a result index; A and C are ШНРО by other criteria, B «нет» without an index
    ident["ident_index_known"] = [True] * 4 + [False, False, False, True]
    t = mon.evaluate_indicators(mon.build_panel(_dataset(), ident))
    r = _val(t, "shnro_share")
    # B is missing, not «not ШНРО»: 3 / 3 (it would be 3 / 4 if B counted as assessed)
    assert r["value"] == pytest.approx(1.0) and r["n_used"] == 3 and r["n_schools"] == 4


def test_category_the_identification_could_not_decide_is_missing():
    ident = IDENT.copy()
    ident["unassessed_categories"] = [pd.NA] * 4 + [pd.NA, "ШНРО", pd.NA, pd.NA]
    panel = mon.build_panel(_dataset(), ident).set_index(["school_id", "year"])
    assert math.isnan(panel.loc[("B", 2023), "is_shnro"]) and panel.loc[("B", 2023), "is_shnsu"] == 0.0
    assert panel.loc[("A", 2023), "is_shnro"] == 1.0


# --------------------------------------------------------------------------- what a reader sees


def _no_listed_in_m1() -> pd.DataFrame:
    """2023: no school of the first municipality in the list (A and B «нет»); the second has C, D."""
    ident = IDENT.copy()
    ident.loc[(ident["year"] == 2023) & ident["school_id"].isin(["A", "B"]), "category"] = "нет"
    return ident


def test_no_school_to_count_is_zero_or_no_schools_never_no_data():
    shnsu = {
        "title_ru": "Доля ШНСУ с положительной динамикой",
        "filter": {"category": ["ШНСУ"]},
        "numerator": "result_up",
        "aggregation": "mean",
        "unit": "share",
    }
    t = mon.evaluate_indicators(
        mon.build_panel(_dataset(), _no_listed_in_m1()), {"indicators": {"shnsu_up": shnsu}}
    )
    # a count over no school is a true 0, the status saying why (no target to meet or miss there)
    r = _val(t, "methodical_covered_count", muni=M1)
    assert r["value"] == 0 and r["value_ru"] == "0" and r["status"] == "no_schools"
    assert r["note"] == r["status_ru"] == "в муниципалитете нет школ ШНРО и ШНСУ"
    # a share over no school: «нет школ …», not «нет данных»
    r = _val(t, "gia_pass_share", muni=M1)
    assert math.isnan(r["value"]) and r["status"] == "no_schools"
    assert r["status_ru"] == r["note"] == "в муниципалитете нет школ ШНРО" and r["value_ru"] == "нет школ"
    r = _val(t, "shnsu_up", muni=M1)
    assert r["status_ru"] == "в муниципалитете нет школ ШНСУ"
    assert _val(t, "shnsu_up", muni="Регион")["status_ru"] == "в регионе нет школ ШНСУ"
    # the previous year's list: «не было»
    assert _val(t, "dynamics_positive_share", 2023, M1)["status"] != "no_schools"
    # where the categories themselves are unknown, it is «нет данных» (a lack of data, not a 0)
    unknown = _no_listed_in_m1()
    unknown = unknown[~((unknown["year"] == 2023) & unknown["school_id"].isin(["A", "B"]))]
    t2 = mon.evaluate_indicators(mon.build_panel(_dataset(), unknown))
    r = _val(t2, "methodical_covered_count", muni=M1)
    assert math.isnan(r["value"]) and r["status"] == "no_data" and r["value_ru"] == "—"
    assert r["status_ru"].startswith("нет данных")


def test_share_of_few_schools_shows_their_number():
    t = mon.evaluate_indicators(mon.build_panel(_dataset(), IDENT), targets=mon.targets_from_facts(FACTS))
    # 1 of the first municipality's 2 schools is ШНРО in 2023: a share of schools, «k из n»
    assert _val(t, "shnro_share", muni=M1)["value_ru"] == "50\u202f% (1 из 2)"
    # a share of teachers over one school: the number of schools it stands on
    assert _val(t, "teachers_diagnosed_share", muni=M1)["value_ru"] == "50\u202f% (по 1 школе)"
    assert _val(t, "teachers_diagnosed_share")["value_ru"] == "88\u202f% (по 2 школам)"
    # a count has no share to qualify
    assert _val(t, "targeted_help_count")["value_ru"] == "2"
    # from share_n_below schools on, the share alone (with its tenths)
    wide = mon.evaluate_indicators(
        mon.build_panel(_dataset(), IDENT), {"share_n_below": 2}, targets=mon.targets_from_facts(FACTS)
    )
    assert _val(wide, "shnro_share", muni=M1)["value_ru"] == "50,0\u202f%"
    assert _val(wide, "teachers_diagnosed_share", muni=M1)["value_ru"] == "50\u202f% (по 1 школе)"


def test_every_indicator_has_a_target_or_says_where_to_set_it():
    t = mon.evaluate_indicators(mon.build_panel(_dataset(), IDENT), targets=mon.targets_from_facts(FACTS))
    with_target = t[t["indicator"] == "shnro_share"]
    assert (with_target["target_ru"] == "17,0\u202f%").any()
    none = t[t["indicator"] != "shnro_share"]
    assert (none["target_ru"] == "не задана").all()
    said = none["status_ru"].where(none["status"] != "no_schools")
    where = "цель не задана (её задают в описании набора данных, раздел целей мониторинга)"
    assert said.dropna().str.contains(where, regex=False).all()
    # no value and no target: both are said
    nodata = t[(t["status"] == "no_data") & (t["indicator"] != "shnro_share")]
    assert len(nodata) and nodata["status_ru"].str.startswith("нет данных; цель не задана").all()
    # before a trajectory's first point: «нет на этот год», not «не задана»
    early = mon.targets_from_facts(
        parse_facts({"monitoring": {"targets": {"shnro_share": {"trajectory": {2023: 0.2}}}}})
    )
    t2 = mon.evaluate_indicators(mon.build_panel(_dataset(), IDENT), targets=early)
    assert _val(t2, "shnro_share", 2022)["target_ru"] == "нет на этот год"
    assert ".yaml" not in " ".join(t["status_ru"].tolist() + t["note"].tolist())


def _mon_region(table: pd.DataFrame):
    from shnro_lib.pipeline import RegionResults, report_settings

    schools = _dataset().get("schools")
    meta = {
        "year": 2023,
        "rules": "lo_2018",
        "municipalities": [M1, M2],
        "report_parameters": report_settings().model_dump(mode="json"),
    }
    return RegionResults(meta=meta, tables={"monitoring": table, "schools": schools})


def test_reports_show_targets_status_and_the_number_of_schools():
    from shnro_lib.report import monitoring_section, regional_indicator_table, regional_monitoring_section

    t = mon.evaluate_indicators(
        mon.build_panel(_dataset(), _no_listed_in_m1()), targets=mon.targets_from_facts(FACTS)
    )
    region = _mon_region(t)
    html = monitoring_section(region, M1).to_html()
    assert "Выполнение цели" in html and "<th>Цель</th>" in html.replace(' class="num"', "")
    # no ШНРО in the municipality: said, and the count of covered schools is 0, not «нет данных»
    assert "в муниципалитете нет школ ШНРО" in html and "нет данных" not in html
    assert "раздел целей мониторинга" in html and ".yaml" not in html
    # the regional table: every indicator with its target and its status of the report year
    reg = regional_indicator_table(region)
    assert {"title_ru", "2022", "2023", "target", "target_status_ru"} <= set(reg.columns)
    assert len(reg) == t["indicator"].nunique()
    row = reg.set_index("title_ru").loc["Доля ШНРО среди всех школ"]
    assert row["target"] == "17,0\u202f%" and row["target_status_ru"] == "отставание"
    assert row["2023"] == "50\u202f% (2 из 4)"
    page = regional_monitoring_section(region).to_html()
    assert "Цель, 2023" in page and "Выполнение цели" in page


def test_settings_are_the_typed_model():
    """The loader hands on the validated model; an indicator's keys not given are None, not absent."""
    cfg = mon.load_monitoring_config({"transitions": {"effective_years": 3}})
    assert isinstance(cfg, mon.MonitoringSettings) and cfg.transitions.effective_years == 3
    assert mon.load_monitoring_config(cfg) is cfg
    spec = cfg.indicators["shnro_share"]
    assert isinstance(spec, mon.IndicatorSpec) and spec.where is None and spec.unit == "share"
    with pytest.raises(ValueError, match="нужен denominator"):
        mon.load_monitoring_config({"indicators": {"x": {"title_ru": "Икс", "aggregation": "ratio"}}})
    # a spec given as a mapping is validated the same way
    with pytest.raises(ValueError, match="aggregation"):
        mon.evaluate_indicator(
            mon.build_panel(_dataset(), IDENT), {"title_ru": "Икс", "aggregation": "median"}
        )
