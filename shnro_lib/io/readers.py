"""Readers: CSV / Excel / parquet files -> raw tables with canonical column names.

Values stay raw here (strings from CSV, Python scalars from Excel/parquet); the
conversion to canonical dtypes happens in :mod:`shnro_lib.io.convert`.  The Excel
workbook is read into a cell grid by :mod:`shnro_lib.io.excel`; the cell helpers
(blank cells, totals rows, header texts) live in :mod:`shnro_lib.io.cells`.
"""

from __future__ import annotations

import csv
import io as _io
from collections import Counter
from pathlib import Path

import pandas as pd

# the cell helpers moved to .cells; imported here by name too, as before
from .cells import (  # noqa: F401
    HEADER_SCAN_ROWS,
    TOTAL_WORDS,
    ReadError,
    SheetMeta,
    Unevaluated,
    _cell_text,
    _header_candidates,
    blank,
    is_total_label,
)
from .excel import read_xlsx_grid
from .grid import RawTable, grid_to_raw  # noqa: F401  (RawTable: imported from here, as before)
from .mapping import Mapper


# ---------------------------------------------------------------- CSV ------
def _detect_delimiter(text: str) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip()][:30]
    best, best_score = ",", -1
    for delim in (",", ";", "\t"):
        counts = [len(r) for r in csv.reader(lines, delimiter=delim)]
        if not counts or max(counts) <= 1:
            continue
        mode, freq = Counter(counts).most_common(1)[0]
        score = freq * 1000 + mode if mode > 1 else 0
        if score > best_score:
            best, best_score = delim, score
    return best


def decode_text(raw: bytes) -> tuple[str, str, list[tuple[str, str | None, str]]]:
    """Bytes -> (text, encoding, notes). UTF-16 (BOM), UTF-8 (with/without BOM), else cp1251."""
    notes: list[tuple[str, str | None, str]] = []
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        enc = "utf-16"
        if len(raw) % 2:
            raw = raw[:-1]
            notes.append(
                ("warning", None, "файл UTF-16 оканчивается на неполном символе — возможно, он обрезан")
            )
        try:
            return raw.decode("utf-16"), enc, notes
        except UnicodeDecodeError as exc:
            raise ReadError(f"файл в кодировке UTF-16 повреждён (байт {exc.start})") from exc
    head = raw[:4000]
    if len(head) >= 8 and head.count(b"\x00") > len(head) // 4:
        enc = "utf-16-le" if head[1::2].count(b"\x00") > head[0::2].count(b"\x00") else "utf-16-be"
        try:
            return raw[: len(raw) // 2 * 2].decode(enc), enc, notes
        except UnicodeDecodeError as exc:
            raise ReadError(
                "не удалось определить кодировку (похоже на UTF-16 без метки BOM, но файл повреждён)"
            ) from exc
    enc = "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8"
    try:
        return raw.decode(enc), enc, notes
    except UnicodeDecodeError as exc:
        if exc.start >= len(raw) - 3 and "unexpected end" in str(exc.reason):
            notes.append(
                (
                    "warning",
                    None,
                    "файл оканчивается на неполном символе UTF-8 — возможно, он обрезан; "
                    "последний символ отброшен",
                )
            )
            return raw[: exc.start].decode(enc), enc, notes
    return raw.decode("cp1251", errors="replace"), "cp1251", notes


def read_csv_grid(path: Path) -> tuple[list[tuple[int, list]], str, str, list[tuple[str, str | None, str]]]:
    raw = path.read_bytes()
    stripped = raw
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        stripped = stripped.removeprefix(bom)
    if not stripped.replace(b"\x00", b"").strip():
        raise ReadError("файл пуст: нет ни заголовка, ни данных")
    text, enc, notes = decode_text(raw)
    if "\x00" in text:
        text = text.replace("\x00", "")
        notes.append(
            (
                "warning",
                None,
                "в файле есть нулевые символы (\\0) — они удалены; проверьте, не повреждён ли файл",
            )
        )
    delim = _detect_delimiter(text)
    reader = csv.reader(_io.StringIO(text, newline=""), delimiter=delim)
    grid: list[tuple[int, list]] = []
    prev = 0
    try:
        for row in reader:
            grid.append((prev + 1, row))
            prev = reader.line_num
    except csv.Error as exc:
        raise ReadError(f"ошибка разбора CSV в строке {reader.line_num}: {exc}") from exc
    return grid, enc, delim, notes


def _as_cells(column: pd.Series) -> list:
    """A column's values as Python scalars, missing as ``None`` (what a cell of a sheet holds)."""
    return column.astype(object).where(column.notna(), None).tolist()


def frame_to_raw(df: pd.DataFrame, mapper: Mapper, table: str, file: str) -> RawTable:
    """Parquet / in-memory frames: headers are mapped, rows numbered from 1.

    The columns keep the frame's dtypes (numbers stay numbers, texts stay Arrow strings): the
    vectorised conversion reads them as they are, and only a column it declines is turned into
    Python scalars (:func:`shnro_lib.io.convert.convert`), so a clean typed file of millions of
    rows is never copied into Python objects.
    """
    raw = RawTable(table=table, file=file)
    cols: dict[str, int] = {}
    for j, c in enumerate(df.columns):
        canon = mapper.column_for(table, c)
        if canon is None:
            raw.unknown.append(str(c))
            continue
        if canon in cols:
            _note_duplicate(raw, canon, str(c), _as_cells(df.iloc[:, cols[canon]]), _as_cells(df.iloc[:, j]))
            continue
        cols[canon] = j
        raw.headers[canon] = str(c)
    data = pd.DataFrame({k: df.iloc[:, j].reset_index(drop=True) for k, j in cols.items()})
    data.index = range(len(df))
    raw.data = data
    raw.rownums = range(1, len(df) + 1)
    raw.rows_read = len(df)
    return raw


def _note_duplicate(raw: RawTable, canon: str, header: str, a: list, b: list) -> None:
    """A second column mapped to ``canon``: skipped when it agrees, an error on each row where not."""
    diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if _cell_text(x) != _cell_text(y)]
    if all(blank(v) for v in b) or not diff:
        raw.notes.append(("warning", header, f"столбец тоже соответствует «{canon}» и пропущен"))
        return
    first = raw.headers[canon]
    for i in diff:
        raw.row_issues.append(
            (
                i,
                "error",
                canon,
                header,
                _cell_text(b[i]) or "пусто",
                f"столбцы «{first}» и «{header}» оба соответствуют «{canon}» и "
                "различаются в этой строке — оставьте один столбец",
            )
        )


TEXT_EXTS = (".csv", ".txt", ".tsv")


def read_file(path: Path, table: str, mapper: Mapper) -> RawTable:
    ext = path.suffix.lower()
    if ext in TEXT_EXTS:
        grid, enc, delim, notes = read_csv_grid(path)
        raw = grid_to_raw(grid, mapper, table, path.name, None)
        raw.encoding, raw.delimiter = enc, delim
        raw.notes = notes + raw.notes
        return raw
    if ext in (".xlsx", ".xlsm"):
        grid, sheet, meta = read_xlsx_grid(path, table, mapper)
        return grid_to_raw(grid, mapper, table, path.name, sheet, meta)
    if ext == ".parquet":
        import pyarrow.parquet as pq

        try:
            df = pq.read_table(path).to_pandas()
        except Exception as exc:  # noqa: BLE001
            raise ReadError(f"не удалось прочитать parquet (файл повреждён?): {type(exc).__name__}") from exc
        if not len(df.columns):
            raise ReadError("файл пуст: нет ни заголовка, ни данных")
        return frame_to_raw(df, mapper, table, path.name)
    raise ReadError(f"неподдерживаемый формат «{ext}»")
