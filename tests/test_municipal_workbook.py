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
