"""The municipal workbook carries the monitoring, partnerships and programme the region's stages computed."""

from __future__ import annotations

import openpyxl
import pandas as pd

YEAR = 2024


def test_workbook_has_monitoring_partners_and_programme_sheets(small_demo, tmp_path) -> None:
    from shnro_lib.pipeline.region import compute_from_dataset
    from shnro_lib.report import municipal_workbook

    region = compute_from_dataset(small_demo, YEAR)
    pairs = region.table("partners")
    muni = pairs["municipality"].dropna().iloc[0] if len(pairs) else region.municipalities[0]
    path = municipal_workbook(region, muni, tmp_path / "m.xlsx")
    wb = openpyxl.load_workbook(path)
    assert {"Мониторинг", "Программа"} <= set(wb.sheetnames)
    if len(pairs):
        assert "Партнёрства" in wb.sheetnames
    sheet = pd.read_excel(path, sheet_name="Мониторинг", header=2)
    assert {"Показатель", "Год", "Значение", "Цель", "Выполнение цели"} <= set(sheet.columns)
    # the sheet's rows are the monitoring stage's rows of this municipality, not recomputed
    mon = region.table("monitoring")
    mine = mon[(mon["municipality"] == muni) & (mon["level"] == "муниципалитет")]
    assert len(sheet) == len(mine)
    for ws in (wb[n] for n in ("Мониторинг", "Программа")):
        headers = [c.value for c in ws[3] if c.value]
        assert headers and not [h for h in headers if "_" in str(h) or str(h).isascii()]


def test_workbook_has_the_problem_zones_of_the_municipality(small_demo, tmp_path) -> None:
    from shnro_lib.pipeline import RegionResults
    from shnro_lib.pipeline.overview import overview_tables
    from shnro_lib.pipeline.stages import context_years, problem_zones, report_settings, similar
    from shnro_lib.report import municipal_workbook

    tables = overview_tables(small_demo, YEAR)
    tables["similar"] = similar(context_years(small_demo, [YEAR], None), YEAR)
    zones = problem_zones(small_demo, YEAR, tables["similar"], None, None)
    # one small group of the municipality with its values, to see them hidden
    muni = str(small_demo.municipalities[0])
    ids = set(tables["schools"].loc[tables["schools"]["municipality"] == muni, "school_id"].astype(str))
    mine = zones[zones["school_id"].astype(str).isin(ids)]
    assert len(mine) and mine["small"].any() and (~mine["small"]).any()
    tables["problem_zones"] = zones
    meta = {
        "year": YEAR,
        "rules": "lo_2018",
        "municipalities": list(small_demo.municipalities),
        "report_parameters": report_settings().model_dump(mode="json"),
    }
    path = municipal_workbook(RegionResults(meta=meta, tables=tables), muni, tmp_path / "z.xlsx")
    wb = openpyxl.load_workbook(path)
    assert "Проблемные зоны" in wb.sheetnames
    ws = wb["Проблемные зоны"]
    headers = [c.value for c in ws[3]]
    assert headers[:2] == ["Код ОО", "Школа"]
    assert {"Процедура", "Предмет", "Класс", "Участников", "Разница с регионом, п. п."} <= set(headers)
    assert not [h for h in headers if "_" in str(h) or str(h).isascii()]
    # the interval's level is the school pages' (profiles.yaml: ci_level)
    from shnro_lib.config import load_yaml, parameters_dir

    level = round(float(load_yaml(parameters_dir() / "profiles.yaml")["ci_level"]) * 100)
    assert f"Разница с регионом: нижняя граница {level}-процентного интервала, п. п." in headers
    # frozen header and a filter over the table, like the other sheets
    assert (
        ws.freeze_panes == "A4"
        and ws.auto_filter.ref == f"A3:{ws.cell(3, len(headers)).column_letter}{3 + len(mine)}"
    )
    sheet = pd.read_excel(path, sheet_name="Проблемные зоны", header=2, dtype={"Код ОО": str})
    assert len(sheet) == len(mine) and set(sheet["Код ОО"]) <= ids
    names = tables["schools"].set_index(tables["schools"]["school_id"].astype(str))["name"]
    assert (sheet["Школа"].to_numpy() == names.reindex(sheet["Код ОО"]).to_numpy()).all()
    # every number has a format; percent points with one decimal and a sign
    col = headers.index("Разница с регионом, п. п.") + 1
    gap_fmt = {
        ws.cell(r, col).number_format
        for r in range(4, 4 + len(mine))
        if isinstance(ws.cell(r, col).value, float)
    }
    assert gap_fmt == {'+0.0;"\u2212"0.0;0.0'}
    for row in ws.iter_rows(min_row=4):
        for c in row:
            assert not isinstance(c.value, float) or c.number_format != "General", c.coordinate
            assert not isinstance(c.value, bool), c.coordinate
    # a small group shows no values: «—» where its score would be, «да» in its column
    small_col = next(h for h in headers if str(h).startswith("Меньше"))
    score = "Средний балл школы, % от максимума"
    hidden = sheet[sheet[small_col] == "да"]
    assert len(hidden) == int(mine["small"].sum()) and (hidden[score] == "—").all()
    shown = sheet[sheet[small_col] == "нет"]
    assert pd.to_numeric(shown[score], errors="coerce").notna().any()
