"""Safe outputs: formula neutralisation in Excel and CSV, HTML escaping, slugs, atomic writes."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shnro_lib.outputs import (
    atomic_write,
    atomic_write_text,
    neutralise_cell,
    slugify,
    unique_slugs,
    write_csv,
    write_workbook,
)

DANGEROUS = [
    '=HYPERLINK("http://x","y")',
    "+1",
    "-1",
    "@SUM(A1)",
    "=1+1",
    " =cmd|' /C calc'!A0",
    "\t=1",
    "＝1+1",
]


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": pd.array(DANGEROUS, dtype="string"),
            "obj": pd.Series(DANGEROUS, dtype=object),
            "cat": pd.Categorical(DANGEROUS),
            "value": range(len(DANGEROUS)),
            "neg": [-1.5] * len(DANGEROUS),
        }
    )


def test_workbook_cells_are_text_not_formulas(tmp_path):
    path = write_workbook(
        {"=Школы": _frame()},
        tmp_path / "out.xlsx",
        notes={"=Школы": "=NOTE()"},
        column_labels={"name": "=Имя"},
    )
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    assert ws["A1"].value == "'=NOTE()" and ws["A1"].data_type != "f"
    assert ws["A3"].value == "'=Имя"
    texts = 0
    for row in ws.iter_rows(min_row=4):
        for cell in row[:3]:
            assert cell.data_type != "f", cell.value
            assert isinstance(cell.value, str) and cell.value.startswith("'"), cell.value
            texts += 1
        assert row[3].data_type == "n" and row[4].value == -1.5  # numbers stay numbers, even negative
    assert texts == 3 * len(DANGEROUS)
    # the original text is kept after the apostrophe
    assert ws["A4"].value == "'" + DANGEROUS[0]


def test_workbook_is_for_officials(tmp_path):
    """Russian headers, да/нет, «—» for missing, a number format on every number, frozen header, filter,
    A4 landscape fitted to the width with the header repeated."""
    import numpy as np

    df = pd.DataFrame(
        {
            "school_id": ["000001", "000002"],
            "year": [2022, 2023],
            "result_index": [-1.436081546665174, 0.5],
            "p_bottom_quartile": [3e-280, 0.25],
            "resilient": [True, False],
            "borderline": pd.array([True, pd.NA], dtype="boolean"),
            "spending_per_pupil": [203565.0, np.nan],
            "residual": [0.12345678, -0.5],
            "context_status": ["", "резильентная"],
        }
    )
    path = write_workbook({"Школы": df}, tmp_path / "w.xlsx", notes={"Школы": "Заметка"})
    ws = openpyxl.load_workbook(path)["Школы"]
    header = [c.value for c in ws[3]]
    assert header[:2] == ["Код ОО", "Год"] and not [h for h in header if "_" in h]
    cells = {h: [ws.cell(row=r, column=j + 1) for r in (4, 5)] for j, h in enumerate(header)}
    assert [c.value for c in cells["Резильентная"]] == ["да", "нет"]
    assert [c.value for c in cells["Пограничная"]] == ["да", "—"]
    spend = [h for h in header if h.startswith("Расходы")][0]
    assert cells[spend][1].value == "—" and cells["Положение относительно контекста"][0].value == "—"
    for h, pair in cells.items():
        for c in pair:
            assert not isinstance(c.value, bool), (h, c.value)
            if isinstance(c.value, float | int):
                assert c.number_format != "General", (h, c.value)
    assert cells["Год"][0].number_format.split(";")[0] == "0"  # 2022, never «2 022»
    idx = cells["Индекс результатов за окно идентификации"][0].number_format
    assert idx.startswith("+0.00") and "\u2212" in idx  # a true minus, two decimals
    assert "%" in cells[header[3]][0].number_format  # a probability in percent
    assert ws.freeze_panes == "A4" and ws.auto_filter.ref == "A3:I5"
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9  # A4
    # fitToWidth 1 is the file format's default, so a writer may leave it out (None when read back)
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (1, None)
    assert int(ws.page_setup.fitToHeight) == 0
    assert ws.print_title_rows == "$3:$3"


def test_csv_cells_neutralised(tmp_path):
    path = write_csv(_frame(), tmp_path / "out.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    for r in rows[1:]:
        assert all(v.startswith("'") for v in r[:3]), r
        assert r[4] == "-1.5"


def test_neutralise_cell_leaves_safe_values():
    assert neutralise_cell("Школа № 1") == "Школа № 1"
    assert neutralise_cell(-1) == -1 and neutralise_cell(None) is None
    assert neutralise_cell("-1") == "'-1"


@pytest.mark.parametrize(
    "name",
    [
        "../etc/passwd",
        "/abs/path",
        "C:\\Windows\\system32",
        "..",
        ".",
        "",
        "CON",
        "con.txt",
        "Nul",
        "LPT1",
        "com9",
        "🙂🏫",
        "a" * 500,
        "Школа/../../x",
        "\x00\x01",
        " ",
        "ТРУДНОЕ  имя?*:<>|",
    ],
)
def test_slugs_are_safe_file_names(name):
    s = slugify(name)
    assert s and len(s) <= 60
    assert all(ch.isascii() and (ch.isalnum() or ch == "-") for ch in s), s
    assert s.split(".")[0].lower() not in {"con", "prn", "aux", "nul", "com1", "lpt1", "com9"}
    assert Path(s).name == s and not Path(s).is_absolute() and ".." not in s


def test_slug_examples():
    assert slugify("Сосновоборский городской округ") == "sosnovoborskiy-gorodskoy-okrug"
    assert slugify("CON") == "con-x"
    assert slugify("🙂") == "item"
    assert slugify("", fallback="../x") == "x"
    assert len(slugify("я" * 500)) == 60


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=30), max_size=12))
def test_unique_slugs_property(names):
    slugs = unique_slugs(names)
    assert set(slugs) == set(names)
    values = list(slugs.values())
    assert len(set(values)) == len(values)
    for s in values:
        assert s and all(ch.isascii() and (ch.isalnum() or ch == "-") for ch in s)


def test_atomic_write_keeps_old_file_on_failure(tmp_path):
    target = tmp_path / "report.html"
    atomic_write_text(target, "старое")

    def boom(p: Path) -> None:
        p.write_text("половина")
        raise RuntimeError("сбой")

    with pytest.raises(RuntimeError):
        atomic_write(target, boom)
    assert target.read_text() == "старое"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temporary files left behind


def test_outputs_are_readable_by_group_and_others(tmp_path):
    target = tmp_path / "new" / "report.html"
    atomic_write_text(target, "<p>x</p>")
    assert target.stat().st_mode & 0o777 == 0o644
    assert target.parent.stat().st_mode & 0o777 == 0o755
    book = write_workbook({"Лист": pd.DataFrame({"a": [1]})}, tmp_path / "b.xlsx")
    assert Path(book).stat().st_mode & 0o777 == 0o644
    csv_path = write_csv(pd.DataFrame({"a": [1]}), tmp_path / "c.csv")
    assert Path(csv_path).stat().st_mode & 0o777 == 0o644


def test_broken_yaml_names_file_line_and_column_in_russian(tmp_path):
    from shnro_lib.config import load_yaml

    bad = tmp_path / "report.yaml"
    bad.write_text("a: 1\nb: [1, 2\nc: d\n", encoding="utf-8")
    with pytest.raises(ValueError) as err:
        load_yaml(bad)
    msg = str(err.value)
    assert "report.yaml" in msg and "строка 3" in msg and "столбец" in msg
    assert "expected" not in msg and "while parsing" not in msg
