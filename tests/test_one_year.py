"""A data set with one year: the stages that compare years say «не оценено», nothing crashes."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from shnro_lib.cli import app
from shnro_lib.commands.guard import crash_log_path


@pytest.fixture(scope="module")
def one_year_dir(small_demo, tmp_path_factory):
    """The small demo cut to its last year, written as canonical CSV tables."""
    out = tmp_path_factory.mktemp("one_year") / "data"
    out.mkdir()
    last = max(small_demo.years)
    for name, frame in small_demo.subset(years=[last]).tables.items():
        frame.to_csv(out / f"{name}.csv", index=False)
    return out, last


def test_stability_of_one_year_is_not_assessed():
    from shnro_lib.identify import stability_section_content

    panel = pd.DataFrame(
        {"school_id": ["1", "2", "3"], "year": 2024, "municipality": "М", "category": ["ШНРО", "нет", "ШНСУ"]}
    )
    content = stability_section_content(panel, year=2024)
    assert content["reason"].startswith("не оценено: ")
    assert content["sentences"] == [f"Устойчивость списка по годам: {content['reason']}."]


def test_stability_of_two_years_reads_shares():
    from shnro_lib.identify import stability_section_content

    panel = pd.DataFrame(
        {
            "school_id": ["1", "2", "1", "2"],
            "year": [2023, 2023, 2024, 2024],
            "municipality": "М",
            "category": ["ШНРО", "нет", "нет", "ШНРО"],
        }
    )
    content = stability_section_content(panel, year=2024)
    assert content["reason"] is None
    # both schools changed, out of the two listed in either year
    assert "средняя годовая смена списка — 100 %" in content["sentences"][0]


def test_identify_and_monitoring_on_one_year(one_year_dir, tmp_path):
    data, year = one_year_dir
    runner = CliRunner()
    r = runner.invoke(app, ["identify", str(data), "--year", str(year), "--out", str(tmp_path / "l.xlsx")])
    assert r.exit_code in (0, 3), r.output
    sheets = pd.read_excel(tmp_path / "l.xlsx", sheet_name=None)
    assert "Правило k из n" not in sheets
    assert "не оценено: в данных только один год" in sheets["Устойчивость"].to_string()
    r = runner.invoke(app, ["monitoring", str(data), "--year", str(year), "--xlsx", str(tmp_path / "m.xlsx")])
    assert r.exit_code in (0, 4), r.output
    assert (tmp_path / "m.xlsx").exists()


def test_effects_without_programme_writes_its_reason(one_year_dir, tmp_path):
    data, _ = one_year_dir
    (data / "programme.csv").unlink(missing_ok=True)
    r = CliRunner().invoke(app, ["effects", str(data), "--csv", str(tmp_path / "e.csv")])
    assert r.exit_code == 4, r.output
    written = pd.read_csv(tmp_path / "e.csv", encoding="utf-8-sig")
    assert written["Результат"].iloc[0].startswith("не оценено: в данных нет таблицы участия")


def test_an_unexpected_failure_is_one_russian_sentence(tmp_path, monkeypatch):
    import shnro_lib.commands._common as common

    def broken(*args, **kwargs):
        raise KeyError("internal_column")

    monkeypatch.setattr(common, "load_or_exit", broken)
    out = tmp_path / "res" / "list.xlsx"
    r = CliRunner().invoke(app, ["identify", str(tmp_path), "--year", "2024", "--out", str(out)])
    assert r.exit_code == 1
    assert "Traceback" not in r.output and "internal_column" not in r.output
    assert "внутренней ошибки программы" in r.output
    assert "KeyError: 'internal_column'" in crash_log_path(["--out", str(out)]).read_text(encoding="utf-8")


def test_crash_log_sits_beside_the_output(tmp_path):
    assert crash_log_path(["x", "--csv", str(tmp_path / "a.csv")]).parent == tmp_path
    assert crash_log_path(["x", f"--out={tmp_path / 'rep'}"]).parent == tmp_path / "rep"
