"""Property-based robustness of the loader: mutated valid tables never crash it.

Whatever is done to a valid data set (cells swapped, garbage injected, a column
deleted, a row duplicated, cells blanked, another encoding or delimiter, the
file truncated, odd Python values in Excel cells), ``load_dataset`` either
loads — and then every row read is used, excluded or empty — or raises
:class:`DataError`.  Any other exception is a bug.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from datetime import datetime
from pathlib import Path

import openpyxl
from conftest import RESULTS_HEADER, SCHOOLS_HEADER, SCHOOLS_ROWS, _results_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shnro_lib.io import DataError, load_dataset

SETTINGS = settings(
    max_examples=int(os.environ.get("SHNRO_HYPOTHESIS_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

GARBAGE = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "#ДЕЛ/0!",
            "#Н/Д",
            "=SUM(A1:A3)",
            "Итого",
            "Всего",
            "−",
            "1e400",
            "nan",
            "inf",
            "-0",
            "45%",
            "1\u00a0234",
            "2023/24",
            "9 класс",
            "да",
            "ИСТИНА",
            "0101",
            "101",
            "\x00",
            '"',
            "\r\n",
            ";",
            "\t",
            ",",
            "99999999999999999999999",
            "0,5%",
            "%",
            "1/2",
            "01.02.2023",
        ]
    ),
)
CELL = st.one_of(
    GARBAGE,
    st.none(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(2100, 1, 1)),
)


@st.composite
def mutated_table(draw) -> tuple[list[str], list[list[str]], list[str]]:
    header = list(RESULTS_HEADER)
    rows = [list(r) for r in _results_rows()]
    log = []
    for _ in range(draw(st.integers(0, 4))):
        op = draw(
            st.sampled_from(["swap", "garbage", "delete_col", "dup_row", "blank", "blank_row", "header"])
        )
        if not rows or not header:
            break
        i = draw(st.integers(0, len(rows) - 1))
        j = draw(st.integers(0, len(header) - 1))
        if op == "swap":
            i2 = draw(st.integers(0, len(rows) - 1))
            j2 = draw(st.integers(0, len(header) - 1))
            if j < len(rows[i]) and j2 < len(rows[i2]):
                rows[i][j], rows[i2][j2] = rows[i2][j2], rows[i][j]
        elif op == "garbage" and j < len(rows[i]):
            rows[i][j] = draw(GARBAGE)
        elif op == "delete_col":
            header.pop(j)
            for r in rows:
                if j < len(r):
                    r.pop(j)
        elif op == "dup_row":
            rows.insert(draw(st.integers(0, len(rows))), list(rows[i]))
        elif op == "blank" and j < len(rows[i]):
            rows[i][j] = ""
        elif op == "blank_row":
            rows[i] = [""] * len(rows[i])
        elif op == "header":
            header[j] = draw(GARBAGE)
        log.append(op)
    return header, rows, log


def _csv_bytes(header: list[str], rows: list[list[str]], delimiter: str) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def _check(folder: Path) -> None:
    for strict in (True, False):
        try:
            ds = load_dataset(folder, strict=strict)
        except DataError as exc:
            assert exc.errors
            assert str(exc)  # the message renders
            continue
        for t in ds.report.tables.values():
            assert t.rows_read == t.rows_used + t.rows_excluded + t.rows_empty, t
        if strict:
            assert not ds.report.errors


def _write_schools(folder: Path) -> None:
    (folder / "schools.csv").write_text(_csv_bytes(SCHOOLS_HEADER, SCHOOLS_ROWS, ","), encoding="utf-8")


@SETTINGS
@given(
    table=mutated_table(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1251", "utf-16"]),
    delimiter=st.sampled_from([",", ";", "\t"]),
    truncate=st.one_of(st.none(), st.floats(0, 1)),
)
def test_mutated_csv_never_crashes(table, encoding, delimiter, truncate):
    header, rows, _log = table
    text = _csv_bytes(header, rows, delimiter)
    data = text.encode(encoding, errors="replace")
    if truncate is not None:
        data = data[: int(len(data) * truncate)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _write_schools(folder)
        (folder / "results.csv").write_bytes(data)
        _check(folder)


def _put(ws, row: int, col: int, value: object) -> None:
    try:
        ws.cell(row=row, column=col, value=value)
    except Exception:  # noqa: BLE001 - openpyxl refuses control characters etc.; not the loader's business
        pass


@SETTINGS
@given(
    table=mutated_table(),
    cells=st.lists(st.tuples(st.integers(0, 20), st.integers(0, 12), CELL), max_size=6),
    title_rows=st.integers(0, 3),
    truncate=st.one_of(st.none(), st.floats(0.3, 1)),
)
def test_mutated_xlsx_never_crashes(table, cells, title_rows, truncate):
    header, rows, _log = table
    wb = openpyxl.Workbook()
    ws = wb.active
    grid = [[f"Заголовок отчёта {k}"] for k in range(title_rows)] + [header] + rows
    for i, r in enumerate(grid, start=1):
        for j, v in enumerate(r, start=1):
            _put(ws, i, j, v)
    for i, j, v in cells:
        _put(ws, i + 1, j + 1, v)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _write_schools(folder)
        path = folder / "results.xlsx"
        try:
            wb.save(path)
        except (ValueError, TypeError):
            return
        if truncate is not None:
            data = path.read_bytes()
            path.write_bytes(data[: int(len(data) * truncate)])
        _check(folder)


@SETTINGS
@given(
    schools=st.lists(
        st.tuples(
            st.sampled_from(["0101", "101", "0102", "00101", "0201", "", "0202"]),
            GARBAGE,
            st.sampled_from(
                [
                    "Лесной район",
                    "Лесной  район",
                    "Лёсной район",
                    "Лесной муниципальный район",
                    "",
                    "Озёрный район",
                ]
            ),
        ),
        min_size=0,
        max_size=6,
    ),
)
def test_mutated_schools_never_crash(schools):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rows = [[a, b, c, "СОШ", "", ""] for a, b, c in schools]
        (folder / "schools.csv").write_text(_csv_bytes(SCHOOLS_HEADER, rows, ";"), encoding="utf-8")
        (folder / "results.csv").write_text(
            _csv_bytes(RESULTS_HEADER, _results_rows(), ","), encoding="utf-8"
        )
        _check(folder)
