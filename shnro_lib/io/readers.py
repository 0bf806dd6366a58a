"""Readers: CSV / Excel / parquet files -> raw tables with canonical column names.

Values stay raw here (strings from CSV, Python scalars from Excel/parquet); the
conversion to canonical dtypes happens in :mod:`shnro_lib.io.convert`.
"""

from __future__ import annotations

import csv
import io as _io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .mapping import Mapper, normalise

HEADER_SCAN_ROWS = 15
TOTAL_WORDS = ("итого", "всего")


class ReadError(Exception):
    """A file cannot be read at all (message in Russian)."""


@dataclass
class RawTable:
    table: str
    file: str
    sheet: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    header_row: int | None = None
    data: pd.DataFrame = field(default_factory=pd.DataFrame)  # canonical columns, object values
    rownums: list[int] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # canonical -> original header
    rows_read: int = 0
    rows_empty: int = 0
    totals: list[tuple[int, str]] = field(default_factory=list)  # (row, first text)
    unknown: list[str] = field(default_factory=list)
    notes: list[tuple[str, str | None, str]] = field(default_factory=list)  # (level, column, message)


def blank(v: object) -> bool:
    if v is None:
        return True
    if isinstance(v, str):
        return not v.replace("\u00a0", " ").strip()
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


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


def read_csv_grid(path: Path) -> tuple[list[tuple[int, list]], str, str]:
    raw = path.read_bytes()
    if not raw.strip() or not raw.replace(b"\xef\xbb\xbf", b"").strip():
        raise ReadError("файл пуст: нет ни заголовка, ни данных")
    text = None
    for enc in ("utf-8-sig", "cp1251"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    if text is None:  # pragma: no cover - cp1251 decodes almost anything
        raise ReadError("не удалось определить кодировку (ожидается UTF-8 или cp1251)")
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
    return grid, enc, delim


# -------------------------------------------------------------- Excel ------
def read_xlsx_grid(path: Path, table: str, mapper: Mapper) -> tuple[list[tuple[int, list]], str]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any reader failure becomes a user message
        raise ReadError(f"не удалось открыть книгу Excel: {exc}") from exc
    try:
        chosen = None
        for ws in wb.worksheets:
            if mapper.table_for(ws.title) == table:
                chosen = ws
                break
        if chosen is None:
            for ws in wb.worksheets:
                if ws.max_row and any(
                    not blank(v) for row in ws.iter_rows(values_only=True) for v in row
                ):
                    chosen = ws
                    break
        if chosen is None:
            raise ReadError("файл пуст: во всех листах нет данных")
        ws = chosen
        rows = [
            list(r)
            for r in ws.iter_rows(min_row=1, min_col=1, max_row=ws.max_row, max_col=ws.max_column, values_only=True)
        ]
        for rng in ws.merged_cells.ranges:
            top = rows[rng.min_row - 1][rng.min_col - 1] if rng.min_row - 1 < len(rows) else None
            for r in range(rng.min_row, min(rng.max_row, len(rows)) + 1):
                for c in range(rng.min_col, rng.max_col + 1):
                    if c - 1 < len(rows[r - 1]):
                        rows[r - 1][c - 1] = top
        return [(i + 1, r) for i, r in enumerate(rows)], ws.title
    finally:
        wb.close()


# --------------------------------------------------------- grid -> raw ------
def _cell_text(v: object) -> str:
    if blank(v):
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return " ".join(str(v).split())


def _header_candidates(top: list, sub: list | None) -> list[list[str]]:
    out = []
    for j, t in enumerate(top):
        t = _cell_text(t)
        s = _cell_text(sub[j]) if sub is not None and j < len(sub) else ""
        cands = []
        if sub is not None and s and t and s != t:
            cands = [f"{t} {s}", s, t]
        else:
            cands = [c for c in (t or s,) if c]
        out.append(cands)
    return out


def grid_to_raw(grid: list[tuple[int, list]], mapper: Mapper, table: str, file: str, sheet: str | None) -> RawTable:
    raw = RawTable(table=table, file=file, sheet=sheet)
    width = max((len(r) for _, r in grid), default=0)
    grid = [(n, list(r) + [None] * (width - len(r))) for n, r in grid]
    nonempty = [i for i, (_, r) in enumerate(grid) if any(not blank(v) for v in r)]
    if not nonempty:
        raise ReadError("файл пуст: нет ни заголовка, ни данных")

    def n_match(cands: list[list[str]]) -> int:
        return sum(1 for c in cands if mapper.match_candidates(table, c)[0])

    header_i, sub_i, best = None, None, (-1, None)
    for pos, i in enumerate(nonempty[:HEADER_SCAN_ROWS]):
        cells = grid[i][1]
        cands = _header_candidates(cells, None)
        m = n_match(cands)
        filled = sum(1 for v in cells if not blank(v))
        nxt = nonempty[pos + 1] if pos + 1 < len(nonempty) else None
        m2 = n_match(_header_candidates(cells, grid[nxt][1])) if nxt is not None else -1
        if max(m, m2) > best[0]:
            best = (max(m, m2), i)
        if m >= 1 and (m >= 0.5 * filled or m2 > m):
            header_i = i
            if m2 > m:
                sub_i = nxt
            break
    if header_i is None:
        header_i = best[1] if best[1] is not None else nonempty[0]
        nxt = [i for i in nonempty if i > header_i]
        if nxt and n_match(_header_candidates(grid[header_i][1], grid[nxt[0]][1])) > n_match(
            _header_candidates(grid[header_i][1], None)
        ):
            sub_i = nxt[0]
    top = grid[header_i][1]
    sub = grid[sub_i][1] if sub_i is not None else None
    cands = _header_candidates(top, sub)
    raw.header_row = grid[sub_i if sub_i is not None else header_i][0]
    body = grid[(sub_i if sub_i is not None else header_i) + 1 :]

    col_index: dict[str, int] = {}
    for j, cs in enumerate(cands):
        canon, matched = mapper.match_candidates(table, cs)
        shown = cs[0] if cs else ""
        if canon is None:
            has_data = any(not blank(r[j]) for _, r in body)
            if shown:
                raw.unknown.append(shown)
            elif has_data:
                raw.notes.append(("warning", None, f"столбец №{j + 1} без заголовка пропущен"))
            continue
        if canon in col_index:
            raw.notes.append(
                ("warning", shown, f"столбец тоже соответствует «{canon}» и пропущен: используется «{raw.headers[canon]}»")
            )
            continue
        col_index[canon] = j
        raw.headers[canon] = matched or shown

    data_rows, nums = [], []
    for n, r in body:
        raw.rows_read += 1
        if all(blank(v) for v in r):
            raw.rows_empty += 1
            continue
        first = next((v for v in r if isinstance(v, str) and v.strip()), None)
        if first is not None and normalise(first).startswith(TOTAL_WORDS):
            raw.totals.append((n, first.strip()))
            continue
        data_rows.append([r[j] for j in col_index.values()])
        nums.append(n)
    raw.data = pd.DataFrame(data_rows, columns=list(col_index), dtype=object)
    raw.rownums = nums
    return raw


def frame_to_raw(df: pd.DataFrame, mapper: Mapper, table: str, file: str) -> RawTable:
    """Parquet / in-memory frames: headers are mapped, rows numbered from 1."""
    raw = RawTable(table=table, file=file)
    obj = df.astype(object).where(df.notna(), None) if len(df.columns) else df.astype(object)
    cols: dict[str, object] = {}
    for c in df.columns:
        canon = mapper.column_for(table, c)
        if canon is None:
            raw.unknown.append(str(c))
            continue
        if canon in cols:
            raw.notes.append(("warning", str(c), f"столбец тоже соответствует «{canon}» и пропущен"))
            continue
        cols[canon] = c
        raw.headers[canon] = str(c)
    data = pd.DataFrame({k: obj[c].tolist() for k, c in cols.items()}, dtype=object)
    data.index = range(len(df))
    raw.data = data
    raw.rownums = list(range(1, len(df) + 1))
    raw.rows_read = len(df)
    return raw


def read_file(path: Path, table: str, mapper: Mapper) -> RawTable:
    ext = path.suffix.lower()
    if ext == ".csv":
        grid, enc, delim = read_csv_grid(path)
        raw = grid_to_raw(grid, mapper, table, path.name, None)
        raw.encoding, raw.delimiter = enc, delim
        return raw
    if ext in (".xlsx", ".xlsm"):
        grid, sheet = read_xlsx_grid(path, table, mapper)
        return grid_to_raw(grid, mapper, table, path.name, sheet)
    if ext == ".parquet":
        import pyarrow.parquet as pq

        try:
            df = pq.read_table(path).to_pandas()
        except Exception as exc:  # noqa: BLE001
            raise ReadError(f"не удалось прочитать parquet: {exc}") from exc
        if not len(df.columns):
            raise ReadError("файл пуст: нет ни заголовка, ни данных")
        return frame_to_raw(df, mapper, table, path.name)
    raise ReadError(f"неподдерживаемый формат «{ext}»")
