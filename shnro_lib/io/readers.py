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
from dataclasses import dataclass, field
from itertools import islice
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
from .mapping import Mapper, normalise


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
    # row-level findings of the reader: (position in data, level, canonical, shown column, value, message)
    row_issues: list[tuple[int, str, str | None, str | None, str | None, str]] = field(default_factory=list)


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
                    "файл оканчивается на неполном символе UTF-8 — возможно, он обрезан; последний символ отброшен",
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


# --------------------------------------------------------- grid -> raw ------
def grid_to_raw(
    grid: list[tuple[int, list]],
    mapper: Mapper,
    table: str,
    file: str,
    sheet: str | None,
    meta: SheetMeta | None = None,
) -> RawTable:
    raw = RawTable(table=table, file=file, sheet=sheet)
    width = max((len(r) for _, r in grid), default=0)
    lengths = {n: len(r) for n, r in grid} if meta is None else {}
    if any(len(r) != width for _, r in grid):
        grid = [(n, list(r) + [None] * (width - len(r))) for n, r in grid]
    # the header is sought among the first non-empty rows only (and the row after the last of them)
    nonempty = list(
        islice((i for i, (_, r) in enumerate(grid) if any(not blank(v) for v in r)), HEADER_SCAN_ROWS + 1)
    )
    if not nonempty:
        raise ReadError("файл пуст: нет ни заголовка, ни данных")

    def n_match(cands: list[list[str]]) -> int:
        return len({mapper.match_candidates(table, c)[0] for c in cands} - {None})

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
    shown_of: dict[int, str] = {}
    dups: list[tuple[str, int]] = []  # (canonical, column index of the duplicate)
    for j, cs in enumerate(cands):
        canon, matched = mapper.match_candidates(table, cs)
        shown = cs[0] if cs else ""
        shown_of[j] = shown or f"столбец №{j + 1}"
        if canon is None:
            has_data = any(not blank(r[j]) for _, r in body)
            if shown:
                raw.unknown.append(shown)
            elif has_data:
                raw.notes.append(("warning", None, f"столбец №{j + 1} без заголовка пропущен"))
            continue
        if canon in col_index:
            dups.append((canon, j))
            continue
        col_index[canon] = j
        raw.headers[canon] = matched or shown

    nums, positions = [], []
    totals_seen: dict[str, bool] = {}  # a first text (a school code, a name) repeats over many rows
    short: list[tuple[int, int]] = []  # rows shorter than the header: (position, row number)
    for k, (n, r) in enumerate(body):
        raw.rows_read += 1
        if all(blank(v) for v in r):
            raw.rows_empty += 1
            continue
        first = next((v for v in r if isinstance(v, str) and v.strip()), None)
        if first is not None and first not in totals_seen:
            totals_seen[first] = is_total_label(first)
        if first is not None and totals_seen[first]:
            raw.totals.append((n, first.strip()))
            continue
        if (
            lengths
            and lengths.get(n, width) < len(cands)
            and any(j >= lengths[n] for j in col_index.values())
        ):
            short.append((len(nums), n))
        nums.append(n)
        positions.append(k)
    if positions and col_index:
        # built column by column: one list per column, not one per row (fewer objects for the
        # garbage collector to walk on a large file)
        raw.data = pd.DataFrame(
            {canon: [body[k][1][j] for k in positions] for canon, j in col_index.items()}, dtype=object
        )
    else:
        raw.data = pd.DataFrame(
            [[body[k][1][j] for j in col_index.values()] for k in positions],
            columns=list(col_index),
            dtype=object,
        )
    raw.rownums = nums
    short_msg = "строка короче заголовка (возможно, файл обрезан или разделитель не тот)"
    if 0 < len(short) <= 5:
        for pos, _n in short:
            raw.row_issues.append((pos, "warning", None, None, None, short_msg))
    elif short:
        rows_txt = ", ".join(str(n) for _, n in short[:10])
        raw.notes.append(
            (
                "warning",
                None,
                f"{len(short)} строк короче заголовка (например, {rows_txt}) — "
                "недостающие значения считаются пустыми",
            )
        )

    for canon, j in dups:
        used_j = col_index[canon]
        a_name, b_name = raw.headers[canon], shown_of[j]
        same_name = normalise(a_name) == normalise(b_name)
        what = "повторяющийся заголовок" if same_name else f"столбец тоже соответствует «{canon}»"
        values = [body[k][1][j] for k in positions]
        if all(blank(v) for v in values):
            raw.notes.append(
                (
                    "warning",
                    b_name,
                    f"{what}; столбец пуст и пропущен (используется «{a_name}», столбец №{used_j + 1})",
                )
            )
            continue
        diff = [p for p, k in enumerate(positions) if _cell_text(body[k][1][used_j]) != _cell_text(values[p])]
        if not diff:
            raw.notes.append(
                (
                    "warning",
                    b_name,
                    f"{what}; значения совпадают со столбцом «{a_name}» "
                    f"(№{used_j + 1}), дубликат (№{j + 1}) пропущен",
                )
            )
            continue
        for p in diff:
            a_val = _cell_text(raw.data.iat[p, list(col_index).index(canon)])
            b_val = _cell_text(values[p])
            raw.row_issues.append(
                (
                    p,
                    "error",
                    canon,
                    b_name,
                    b_val or "пусто",
                    f"{what}: столбцы №{used_j + 1} («{a_name}») и №{j + 1} («{b_name}») "
                    f"различаются в этой строке («{a_val or 'пусто'}» и «{b_val or 'пусто'}») — "
                    f"непонятно, какое значение верное; оставьте один столбец",
                )
            )

    if meta is not None:
        raw.notes += meta.notes
        first_body = raw.header_row + 1
        for j in sorted(meta.hidden_cols):
            if j in col_index.values():
                raw.notes.append(("info", shown_of.get(j), "скрытый столбец прочитан как обычный"))
        hidden = sorted(n for n in nums if n in meta.hidden_rows)
        if hidden:
            shown_rows = ", ".join(map(str, hidden[:20])) + (" …" if len(hidden) > 20 else "")
            raw.notes.append(
                (
                    "warning",
                    None,
                    f"скрытые строки (возможно, отфильтрованные) прочитаны как данные: "
                    f"{shown_rows} (всего {len(hidden)})",
                )
            )
        merged = [ref for r1, _c1, r2, _c2, ref in meta.merged if r2 >= first_body and r2 > r1]
        if merged:
            raw.notes.append(
                (
                    "info",
                    None,
                    "объединённые ячейки в данных заполнены значением верхней ячейки: "
                    + ", ".join(merged[:20])
                    + (" …" if len(merged) > 20 else ""),
                )
            )
    return raw


def frame_to_raw(df: pd.DataFrame, mapper: Mapper, table: str, file: str) -> RawTable:
    """Parquet / in-memory frames: headers are mapped, rows numbered from 1."""
    raw = RawTable(table=table, file=file)
    obj = df.astype(object).where(df.notna(), None) if len(df.columns) else df.astype(object)
    cols: dict[str, int] = {}
    for j, c in enumerate(df.columns):
        canon = mapper.column_for(table, c)
        if canon is None:
            raw.unknown.append(str(c))
            continue
        if canon in cols:
            a, b = obj.iloc[:, cols[canon]].tolist(), obj.iloc[:, j].tolist()
            diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if _cell_text(x) != _cell_text(y)]
            if all(blank(v) for v in b) or not diff:
                raw.notes.append(("warning", str(c), f"столбец тоже соответствует «{canon}» и пропущен"))
            else:
                first = raw.headers[canon]
                for i in diff:
                    raw.row_issues.append(
                        (
                            i,
                            "error",
                            canon,
                            str(c),
                            _cell_text(b[i]) or "пусто",
                            f"столбцы «{first}» и «{c}» оба соответствуют «{canon}» и "
                            "различаются в этой строке — оставьте один столбец",
                        )
                    )
            continue
        cols[canon] = j
        raw.headers[canon] = str(c)
    data = pd.DataFrame({k: obj.iloc[:, j].tolist() for k, j in cols.items()}, dtype=object)
    data.index = range(len(df))
    raw.data = data
    raw.rownums = list(range(1, len(df) + 1))
    raw.rows_read = len(df)
    return raw


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
