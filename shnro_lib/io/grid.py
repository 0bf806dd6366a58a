"""The raw table, and how a cell grid (CSV or Excel) becomes one (:func:`grid_to_raw`).

The header row is found among the first non-empty rows (with an optional second header row
below it), headers are mapped to canonical columns, empty and totals rows are dropped, and
duplicate columns, short rows and the sheet's hidden or merged cells are noted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import islice

import pandas as pd

from .cells import (
    HEADER_SCAN_ROWS,
    ReadError,
    SheetMeta,
    _cell_text,
    _header_candidates,
    blank,
    is_total_label,
)
from .mapping import Mapper, normalise

Grid = list[tuple[int, list]]


@dataclass
class RawTable:
    table: str
    file: str
    sheet: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    header_row: int | None = None
    # canonical columns: cell values from a sheet or CSV, the frame's own dtypes from parquet
    data: pd.DataFrame = field(default_factory=pd.DataFrame)
    rownums: Sequence[int] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # canonical -> original header
    rows_read: int = 0
    rows_empty: int = 0
    totals: list[tuple[int, str]] = field(default_factory=list)  # (row, first text)
    unknown: list[str] = field(default_factory=list)
    notes: list[tuple[str, str | None, str]] = field(default_factory=list)  # (level, column, message)
    # row-level findings of the reader: (position in data, level, canonical, shown column, value, message)
    row_issues: list[tuple[int, str, str | None, str | None, str | None, str]] = field(default_factory=list)


def _n_match(mapper: Mapper, table: str, cands: list[list[str]]) -> int:
    """How many distinct canonical columns a row of header candidates maps to."""
    return len({mapper.match_candidates(table, c)[0] for c in cands} - {None})


def _scan_header(
    grid: Grid, nonempty: list[int], mapper: Mapper, table: str
) -> tuple[int | None, int | None, int | None]:
    """The first row that reads as a header (and its second header row), and the best row seen.

    Parameters
    ----------
    grid : list of (int, list)
        Row numbers and cells.
    nonempty : list of int
        Positions of the first non-empty rows (one more than are scanned).
    mapper : Mapper
        Maps header texts to canonical columns.
    table : str
        The table's canonical name.

    Returns
    -------
    tuple of (int or None, int or None, int or None)
        The header row's position, the second header row's position, and the position of the row
        matching most columns (the fallback when no row reads as a header).
    """
    best = (-1, None)
    for pos, i in enumerate(nonempty[:HEADER_SCAN_ROWS]):
        cells = grid[i][1]
        m = _n_match(mapper, table, _header_candidates(cells, None))
        filled = sum(1 for v in cells if not blank(v))
        nxt = nonempty[pos + 1] if pos + 1 < len(nonempty) else None
        m2 = _n_match(mapper, table, _header_candidates(cells, grid[nxt][1])) if nxt is not None else -1
        if max(m, m2) > best[0]:
            best = (max(m, m2), i)
        if m >= 1 and (m >= 0.5 * filled or m2 > m):
            return i, (nxt if m2 > m else None), best[1]
    return None, None, best[1]


def _find_header(grid: Grid, nonempty: list[int], mapper: Mapper, table: str) -> tuple[int, int | None]:
    """Positions of the header row and of its second row (``None`` for a one-row header)."""
    header_i, sub_i, best = _scan_header(grid, nonempty, mapper, table)
    if header_i is not None:
        return header_i, sub_i
    header_i = best if best is not None else nonempty[0]
    nxt = [i for i in nonempty if i > header_i]
    if nxt and _n_match(mapper, table, _header_candidates(grid[header_i][1], grid[nxt[0]][1])) > _n_match(
        mapper, table, _header_candidates(grid[header_i][1], None)
    ):
        return header_i, nxt[0]
    return header_i, None


def _map_columns(
    raw: RawTable, cands: list[list[str]], body: Grid, mapper: Mapper
) -> tuple[dict[str, int], dict[int, str], list[tuple[str, int]]]:
    """Map the header candidates to canonical columns; note unknown and unnamed columns.

    Returns
    -------
    tuple of (dict, dict, list)
        ``{canonical: column index}`` (the first column of each), ``{column index: header shown}``
        and the duplicates ``(canonical, column index)``.
    """
    col_index: dict[str, int] = {}
    shown_of: dict[int, str] = {}
    dups: list[tuple[str, int]] = []
    for j, cs in enumerate(cands):
        canon, matched = mapper.match_candidates(raw.table, cs)
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
    return col_index, shown_of, dups


def _data_rows(
    raw: RawTable, body: Grid, lengths: dict[int, int], width: int, n_cols: int, col_index: dict[str, int]
) -> tuple[list[int], list[int], list[tuple[int, int]]]:
    """Keep the data rows: empty rows counted, totals rows set aside, short rows noted.

    Returns
    -------
    tuple of (list of int, list of int, list of (int, int))
        Row numbers and body positions of the data rows, and the rows shorter than the header
        ``(position in data, row number)``.
    """
    nums, positions = [], []
    totals_seen: dict[str, bool] = {}  # a first text (a school code, a name) repeats over many rows
    short: list[tuple[int, int]] = []
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
        if lengths and lengths.get(n, width) < n_cols and any(j >= lengths[n] for j in col_index.values()):
            short.append((len(nums), n))
        nums.append(n)
        positions.append(k)
    return nums, positions, short


def _data_frame(body: Grid, positions: list[int], col_index: dict[str, int]) -> pd.DataFrame:
    """The data rows' mapped columns, object values."""
    if positions and col_index:
        # built column by column: one list per column, not one per row (fewer objects for the
        # garbage collector to walk on a large file)
        return pd.DataFrame(
            {canon: [body[k][1][j] for k in positions] for canon, j in col_index.items()}, dtype=object
        )
    return pd.DataFrame(
        [[body[k][1][j] for j in col_index.values()] for k in positions],
        columns=list(col_index),
        dtype=object,
    )


def _note_short_rows(raw: RawTable, short: list[tuple[int, int]]) -> None:
    """Rows shorter than the header: one warning each when few, one note for the file otherwise."""
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


def _note_duplicate(
    raw: RawTable,
    canon: str,
    j: int,
    used_j: int,
    b_name: str,
    body: Grid,
    positions: list[int],
    col_index: dict[str, int],
) -> None:
    """A second column mapped to ``canon``: skipped when empty or equal, an error per differing row."""
    a_name = raw.headers[canon]
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
        return
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
        return
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


def _note_sheet_meta(
    raw: RawTable, meta: SheetMeta, col_index: dict[str, int], shown_of: dict[int, str], nums: list[int]
) -> None:
    """The sheet's notes, hidden columns and rows read as data, merged cells filled."""
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


def grid_to_raw(
    grid: Grid,
    mapper: Mapper,
    table: str,
    file: str,
    sheet: str | None,
    meta: SheetMeta | None = None,
) -> RawTable:
    """Turn a cell grid into a raw table with canonical column names.

    Parameters
    ----------
    grid : list of (int, list)
        Row numbers (as the reader shows them) and the cells of each row.
    mapper : Mapper
        Maps header texts to canonical columns.
    table : str
        The table's canonical name.
    file : str
        The file's name, for the messages.
    sheet : str or None
        The sheet's name (Excel), for the messages.
    meta : SheetMeta or None
        Hidden rows and columns, merged cells and notes of an Excel sheet; ``None`` for CSV
        (whose short rows are then noted).

    Returns
    -------
    RawTable
        The mapped columns with raw values, row numbers, headers and the reader's notes.

    Raises
    ------
    ReadError
        When the grid holds no non-empty row.
    """
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
    header_i, sub_i = _find_header(grid, nonempty, mapper, table)
    cands = _header_candidates(grid[header_i][1], grid[sub_i][1] if sub_i is not None else None)
    last_header = sub_i if sub_i is not None else header_i
    raw.header_row = grid[last_header][0]
    body = grid[last_header + 1 :]
    col_index, shown_of, dups = _map_columns(raw, cands, body, mapper)
    nums, positions, short = _data_rows(raw, body, lengths, width, len(cands), col_index)
    raw.data = _data_frame(body, positions, col_index)
    raw.rownums = nums
    _note_short_rows(raw, short)
    for canon, j in dups:
        _note_duplicate(raw, canon, j, col_index[canon], shown_of[j], body, positions, col_index)
    if meta is not None:
        _note_sheet_meta(raw, meta, col_index, shown_of, nums)
    return raw
