"""A municipal report rendered end to end from data with hostile names: no injected HTML, no live formula."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from shnro_lib.batch import run_batch
from shnro_lib.demo import MUNICIPALITIES, generate_demo

HOSTILE_MUNICIPALITY = "<img src=x onerror=alert(1)> район"
HOSTILE_SCHOOL = '<script>alert("x")</script> школа'
FORMULA_SCHOOL = '=HYPERLINK("http://evil.example","нажми")'


@pytest.fixture(scope="module")
def hostile_batch(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    out = generate_demo(root / "data", seed=7, n_schools=40, municipalities=MUNICIPALITIES[:2])
    path = out.data_dir / "Школы.xlsx"
    # rewrite the schools sheet with hostile names (header on row 3 under a title row)
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    header = [c.value for c in ws[3]]
    name_col = header.index("Наименование ОО") + 1
    mun_col = header.index("Муниципальный район") + 1
    first = ws.cell(row=4, column=mun_col).value
    ws.cell(row=4, column=name_col, value=HOSTILE_SCHOOL)
    cell = ws.cell(row=5, column=name_col, value=FORMULA_SCHOOL)
    cell.data_type = "s"  # a text cell that merely looks like a formula, as an export may contain
    for r in range(4, ws.max_row + 1):
        if ws.cell(row=r, column=mun_col).value == first:
            ws.cell(row=r, column=mun_col, value=HOSTILE_MUNICIPALITY)
    wb.save(path)
    res = run_batch(
        out.data_dir,
        2024,
        root / "out",
        municipalities=[HOSTILE_MUNICIPALITY],
        workers=1,
        progress=False,
        pdf=False,
        regional=False,
    )
    assert res.ok, res.summary_ru()
    return root / "out"


def test_html_has_no_injected_element(hostile_batch):
    htmls = list((hostile_batch / "municipalities").glob("*.html"))
    assert len(htmls) == 1
    assert re.fullmatch(r"[a-z0-9-]+\.html", htmls[0].name), "file name must be a slug"
    text = htmls[0].read_text(encoding="utf-8")
    # the only scripts are the site's two shared files (tests/test_site_browser.py runs them)
    scripts = re.findall(r"<script\b[^>]*>", text, flags=re.IGNORECASE)
    assert len(scripts) == 2
    assert sorted(re.search(r'src="([^"]*)"', t).group(1) for t in scripts) == [
        "../site/schools.js",
        "../site/site.js",
    ]
    assert text.lower().count("</script>") == 2
    # every <img> tag in the page is an embedded figure, none comes from the data
    for tag in re.findall(r"<img\b[^>]*>", text):
        assert 'src="data:image/png;base64,' in tag, tag
    assert "&lt;script&gt;alert" in text  # the name is shown, as text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text


def test_excel_has_no_live_formula(hostile_batch):
    (xlsx,) = list((hostile_batch / "municipalities").glob("*.xlsx"))
    wb = openpyxl.load_workbook(xlsx)
    seen_formula_text = False
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a live formula"
                if isinstance(cell.value, str) and "HYPERLINK" in cell.value:
                    assert cell.value.startswith("'=")
                    seen_formula_text = True
    assert seen_formula_text, "the school with a formula-like name must be listed as text"


def test_small_groups_are_suppressed_in_excel(hostile_batch):
    (xlsx,) = list((hostile_batch / "municipalities").glob("*.xlsx"))
    df = pd.read_excel(xlsx, sheet_name="Школы", header=2)
    part_col = [c for c in df.columns if "Участник" in str(c)][0]
    idx_col = [c for c in df.columns if str(c) == "Индекс результатов за год"][0]
    small = df[part_col].fillna(0) < 5
    # a hidden value is an empty cell shown as «—», never a number
    assert (df.loc[small, idx_col].isna() | (df.loc[small, idx_col] == "—")).all()
