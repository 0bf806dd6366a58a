"""The Excel reader: an ``.xlsx`` workbook -> the cell grid of the sheet holding the table (openpyxl)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from .cells import HEADER_SCAN_ROWS, ReadError, SheetMeta, Unevaluated, _header_candidates, blank
from .mapping import Mapper


def _sheet_rows(ws) -> list[list]:
    return [
        list(r)
        for r in ws.iter_rows(
            min_row=1, min_col=1, max_row=ws.max_row, max_col=ws.max_column, values_only=True
        )
    ]


def _header_score(rows: list[list], table: str, mapper: Mapper) -> int:
    """How many canonical columns of ``table`` the best header row of a sheet maps (0 = not this table)."""
    nonempty = [r for r in rows if any(not blank(v) for v in r)][:HEADER_SCAN_ROWS]
    best = 0
    for k, r in enumerate(nonempty):
        for sub in (None, nonempty[k + 1] if k + 1 < len(nonempty) else None):
            cands = _header_candidates(r, sub)
            best = max(best, len({mapper.match_candidates(table, c)[0] for c in cands} - {None}))
    return best


def _has_formulas(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                    data = zf.read(name)
                    if b"<f>" in data or b"<f " in data or b":f>" in data or b":f " in data:
                        return True
    except (zipfile.BadZipFile, OSError, KeyError):
        return False
    return False


def _check_workbook_file(path: Path) -> None:
    """Refuse an empty file, an old ``.xls`` book named ``.xlsx`` and a file that is not a zip.

    Raises
    ------
    ReadError
        With the Russian reason.
    """
    if path.stat().st_size == 0:
        raise ReadError("файл пуст (0 байт): нет ни заголовка, ни данных")
    if not zipfile.is_zipfile(path):
        with open(path, "rb") as fh:
            magic = fh.read(8)
        if magic.startswith(b"\xd0\xcf\x11\xe0"):
            raise ReadError(
                "это книга старого формата .xls под именем .xlsx — сохраните её в Excel как .xlsx"
            )
        raise ReadError("файл повреждён или не является книгой Excel .xlsx (возможно, он обрезан)")


def _choose_sheet(
    filled: list[tuple[object, list[list]]], table: str, mapper: Mapper
) -> tuple[object, list[list]]:
    """The sheet named after the table, else the one whose header maps most columns.

    Parameters
    ----------
    filled : list of (worksheet, rows)
        The non-empty sheets and their cells.
    table : str
        The table's canonical name.
    mapper : Mapper
        Maps sheet names and headers to canonical names.

    Returns
    -------
    tuple of (worksheet, rows)
        The sheet to read.

    Raises
    ------
    ReadError
        When several sheets hold the table's headers equally well.
    """
    chosen = next(((ws, rows) for ws, rows in filled if mapper.table_for(ws.title) == table), None)
    if chosen is not None:
        return chosen
    scores = [(_header_score(rows, table, mapper), k) for k, (_, rows) in enumerate(filled)]
    best = max(scores)[0]
    top = [k for sc, k in scores if sc == best]
    if best and len(top) > 1:
        names = ", ".join(f"«{filled[k][0].title}»" for k in top)
        raise ReadError(
            f"таблица найдена на нескольких листах ({names}) — непонятно, какой читать; "
            "объедините данные на одном листе или удалите лишние листы"
        )
    return filled[top[0]]


def _fill_merged(ws, rows: list[list], meta: SheetMeta) -> None:
    """Give every cell of a merged range the value of its top-left cell; note the ranges."""
    for rng in ws.merged_cells.ranges:
        top_v = rows[rng.min_row - 1][rng.min_col - 1] if rng.min_row - 1 < len(rows) else None
        for r in range(rng.min_row, min(rng.max_row, len(rows)) + 1):
            for c in range(rng.min_col, rng.max_col + 1):
                if c - 1 < len(rows[r - 1]):
                    rows[r - 1][c - 1] = top_v
        meta.merged.append((rng.min_row, rng.min_col, rng.max_row, rng.max_col, rng.coord))


def _hidden_columns(ws) -> set[int]:
    """0-based indices of the sheet's hidden columns."""
    from openpyxl.utils import column_index_from_string

    hidden: set[int] = set()
    for key, dim in ws.column_dimensions.items():
        if dim.hidden:
            try:
                lo = column_index_from_string(key)
            except ValueError:
                continue
            hi = max(lo, dim.max or lo) if dim.min else lo
            hidden.update(range(lo - 1, hi))
    return hidden


def read_xlsx_grid(path: Path, table: str, mapper: Mapper) -> tuple[list[tuple[int, list]], str, SheetMeta]:
    """The cell grid of the sheet that holds ``table`` in an ``.xlsx`` workbook.

    Parameters
    ----------
    path : pathlib.Path
        The workbook.
    table : str
        The table's canonical name.
    mapper : Mapper
        Maps sheet names and headers to canonical names.

    Returns
    -------
    tuple of (list of (int, list), str, SheetMeta)
        Sheet row numbers and cells (merged ranges filled, formulas without a saved value marked
        :class:`Unevaluated`), the sheet's title, and what was seen besides the values.

    Raises
    ------
    ReadError
        When the file is empty, not an ``.xlsx`` book, cannot be opened, or the sheet is unclear.
    """
    import openpyxl

    _check_workbook_file(path)
    meta = SheetMeta()
    try:
        wb = openpyxl.load_workbook(path, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any reader failure becomes a user message
        raise ReadError(f"не удалось открыть книгу Excel (файл повреждён?): {type(exc).__name__}") from exc
    try:
        sheets = [(ws, _sheet_rows(ws)) for ws in wb.worksheets]
        filled = [(ws, rows) for ws, rows in sheets if any(not blank(v) for r in rows for v in r)]
        if not filled:
            raise ReadError("файл пуст: во всех листах нет данных")
        ws, rows = _choose_sheet(filled, table, mapper)
        first = wb.worksheets[0]
        if ws is not first:
            empty_first = not any(not blank(v) for r in sheets[0][1] for v in r)
            why = "пуст" if empty_first else "не содержит заголовков этой таблицы"
            meta.notes.append(
                ("info", None, f"данные взяты с листа «{ws.title}» (лист «{first.title}» {why})")
            )
        _fill_merged(ws, rows, meta)
        meta.hidden_cols.update(_hidden_columns(ws))
        meta.hidden_rows = {r for r, dim in ws.row_dimensions.items() if dim.hidden}
        title = ws.title
        index = wb.worksheets.index(ws)
    finally:
        wb.close()
    if _has_formulas(path):
        _mark_unevaluated(path, index, rows)
    return [(i + 1, r) for i, r in enumerate(rows)], title, meta


def _mark_unevaluated(path: Path, index: int, rows: list[list]) -> None:
    """Replace values of formula cells that have no calculated value by :class:`Unevaluated`."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, data_only=False, read_only=True)
    except Exception:  # noqa: BLE001 - the values were read already
        return
    try:
        ws = wb.worksheets[index]
        width = max((len(r) for r in rows), default=0)
        for i, r in enumerate(ws.iter_rows(min_row=1, min_col=1, max_col=max(width, 1), values_only=True)):
            if i >= len(rows):
                break
            for j, v in enumerate(r):
                if j < len(rows[i]) and isinstance(v, str) and v.startswith("=") and rows[i][j] is None:
                    rows[i][j] = Unevaluated(v)
                elif j < len(rows[i]) and type(v).__name__ == "ArrayFormula" and rows[i][j] is None:
                    rows[i][j] = Unevaluated(getattr(v, "text", "") or "{формула массива}")
    finally:
        wb.close()
