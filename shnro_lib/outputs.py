"""Safe output files: atomic writes, Excel and CSV without formula injection, slugs.

Every file the workbook writes goes through these helpers so that a crash never
leaves a half-written file, text from the data never becomes a live formula in
Excel, and file names never come from the data unescaped.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# outputs are readable by the group and others (reports go to shared folders and web servers)
OUTPUT_FILE_MODE = 0o644
OUTPUT_DIR_MODE = 0o755
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# Windows device names: a file called «con.html» cannot be created or opened there
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}

_TRANSLIT = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
}


def slugify(text: str, max_length: int = 60, fallback: str = "item") -> str:
    """A safe ASCII file-name stem from any text (Cyrillic is transliterated).

    >>> slugify("Сосновоборский городской округ")
    'sosnovoborskiy-gorodskoy-okrug'
    """
    s = "".join(_TRANSLIT.get(ch, ch) for ch in str(text).lower())
    s = re.sub(r"[^a-z0-9]+", "-", s).strip("-")
    s = s[: max(1, int(max_length))].strip("-")
    if not s:
        s = re.sub(r"[^a-z0-9]+", "-", str(fallback).lower()).strip("-") or "item"
    if s in _RESERVED:
        s = f"{s}-x"
    return s


def unique_slugs(names: list[str], **kwargs) -> dict[str, str]:
    """Map each name to a slug, adding ``-2``, ``-3`` where two names collide."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        base = slugify(name, **kwargs)
        slug, k = base, 2
        while slug in used:
            slug, k = f"{base}-{k}", k + 1
        used.add(slug)
        out[name] = slug
    return out


def atomic_write(path: str | Path, writer: Callable[[Path], None]) -> Path:
    """Call ``writer(tmp_path)`` then move the result to ``path`` in one step."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True, mode=OUTPUT_DIR_MODE)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        writer(tmp_path)
        # mkstemp creates 0600 and the rename keeps it: a shared folder or web server could not read it
        tmp_path.chmod(OUTPUT_FILE_MODE)
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()
    return target


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """Write text atomically."""
    return atomic_write(path, lambda p: p.write_text(text, encoding=encoding))


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write bytes atomically."""
    return atomic_write(path, lambda p: p.write_bytes(data))


def neutralise_cell(value: object) -> object:
    """Prefix text that a spreadsheet would read as a formula with an apostrophe.

    Leading spaces do not protect a formula in every spreadsheet, so text whose
    first non-space character starts a formula is prefixed too.
    """
    if isinstance(value, str) and value.lstrip(" ").startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Neutralise every text cell (and text column names) of a DataFrame."""
    out = df.copy()
    for j in range(out.shape[1]):
        col = out.iloc[:, j]
        if isinstance(col.dtype, pd.CategoricalDtype):
            col = col.astype(object)
        if col.dtype == object or pd.api.types.is_string_dtype(col):
            out.isetitem(j, col.map(neutralise_cell, na_action="ignore"))
    out.columns = [neutralise_cell(c) if isinstance(c, str) else c for c in out.columns]
    if out.index.dtype == object or pd.api.types.is_string_dtype(out.index):
        out.index = out.index.map(neutralise_cell)
    return out


def write_csv(df: pd.DataFrame, path: str | Path, **kwargs) -> Path:
    """Write a CSV atomically (UTF-8 with BOM so Excel opens Cyrillic correctly), formula-safe."""
    safe = neutralise_frame(df)
    kwargs.setdefault("index", False)
    kwargs.setdefault("encoding", "utf-8-sig")
    return atomic_write(path, lambda p: safe.to_csv(p, **kwargs))


def _sheet_title(name: str, used: set[str]) -> str:
    title = re.sub(r"[\[\]\:\*\?\/\\]", " ", str(name)).strip()[:31] or "Лист"
    base, k = title, 2
    while title.lower() in used:
        suffix = f" ({k})"
        title, k = base[: 31 - len(suffix)] + suffix, k + 1
    used.add(title.lower())
    return title


def fix_zip_timestamps(path: str | Path) -> None:
    """Rewrite a zip-based file (``.xlsx``) with fixed entry timestamps, so equal content gives equal
    bytes."""
    import zipfile

    p = Path(path)
    with zipfile.ZipFile(p) as zin:
        items = [(info, zin.read(info.filename)) for info in zin.infolist()]
    with zipfile.ZipFile(p, "w", compression=zipfile.ZIP_DEFLATED) as zout:
        for info, data in items:
            if info.filename == "docProps/core.xml":
                # openpyxl stamps the save time here
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>2000-01-01T00:00:00Z\g<2>",
                    data,
                )
            fixed = zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            zout.writestr(fixed, data)


@dataclass(frozen=True)
class SheetTable:
    """A table made ready for a sheet once: Russian headers, formula-safe cells, number formats.

    Made by :func:`sheet_table`; :meth:`rows` cuts sheets of some of its rows (a municipality's
    schools) without preparing each again, and with the same number format in every sheet.
    ``cells`` holds Python values, ``None`` where a cell is empty.
    """

    headers: tuple[str, ...]
    cells: np.ndarray
    formats: tuple[str | None, ...]

    def rows(self, positions: Sequence[int] | np.ndarray) -> SheetTable:
        """The sheet of the rows at ``positions`` (in that order)."""
        return SheetTable(self.headers, self.cells[np.asarray(positions, dtype=int)], self.formats)


def sheet_table(
    df: pd.DataFrame,
    column_labels: Mapping[str, str] | None = None,
    number_formats: Mapping[str, str] | None = None,
) -> SheetTable:
    """Prepare ``df`` for a sheet (the parameters are those of :func:`write_workbook`)."""
    from shnro_lib.readable import CODE_COLUMNS, readable

    kept = df.drop(columns=[c for c in CODE_COLUMNS if c in df.columns])
    frame = neutralise_frame(readable(kept, column_labels))
    cells = frame.astype(object).where(frame.notna(), None).to_numpy()
    if cells.ndim != 2:  # a frame without columns
        cells = cells.reshape(len(frame), 0)
    headers = tuple(str(neutralise_cell(str(c))) for c in frame.columns)
    return SheetTable(headers, cells, tuple(_column_formats(kept, frame, number_formats)))


def write_workbook(
    sheets: Mapping[str, pd.DataFrame | SheetTable],
    path: str | Path,
    notes: Mapping[str, str] | None = None,
    column_labels: Mapping[str, str] | None = None,
    landscape: bool = True,
    number_formats: Mapping[str, str] | None = None,
) -> Path:
    """Write an Excel workbook for people who filter and print.

    Parameters
    ----------
    sheets : sheet name -> table (or a :class:`SheetTable` prepared once); names are cleaned to
        Excel's rules (31 chars, no ``[]:*?/\\``).
    path : output ``.xlsx``; written atomically.
    notes : optional sheet name -> a line of text put above the table (e.g. the data
        fingerprint, «СИНТЕТИЧЕСКИЕ ДАННЫЕ»).
    column_labels : column id -> Russian header, over the shared vocabulary
        (:func:`shnro_lib.readable.readable`: every id column gets its Russian header).
    landscape : print the sheets on A4 landscape (portrait otherwise).
    number_formats : column id -> Excel number format code, over the one chosen from the column's
        quantity and values (a quantity whose decimals the caller knows, e.g. percent points with one).

    Every sheet gets Russian headers, «да»/«нет» for booleans, a number format on every
    numeric cell (:mod:`shnro_lib.excel_format`), «—» in an empty cell, a bold, frozen
    header row, an autofilter, sensible column widths, A4 printing fitted to the page width
    with the header row repeated, and formula-safe text.
    """
    import datetime as _dt

    import xlsxwriter

    notes = dict(notes or {})

    def _write(tmp: Path) -> None:
        # xlsxwriter in constant-memory mode writes each row as it comes: a country's table of
        # 40 000 schools and its 2 300 municipal sheets are written in seconds, not minutes
        wb = xlsxwriter.Workbook(
            str(tmp),
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        styles = _Styles(wb)
        used: set[str] = set()
        for name, df in sheets.items():
            ws = wb.add_worksheet(_sheet_title(name, used))
            table = df if isinstance(df, SheetTable) else sheet_table(df, column_labels, number_formats)
            _write_sheet(ws, table, notes.get(name), styles, landscape)
        if not used:
            wb.add_worksheet("Пусто")
        # a fixed timestamp: the same inputs give the same file
        wb.set_properties({"created": _dt.datetime(2000, 1, 1), "author": "shnro"})
        wb.close()
        fix_zip_timestamps(tmp)

    return atomic_write(path, _write)


class _Styles:
    """The workbook's cell formats, each made once (xlsxwriter formats belong to one workbook)."""

    def __init__(self, wb: Any) -> None:
        self._wb = wb
        self.note = wb.add_format({"italic": True})
        self.header = wb.add_format({"bold": True, "bg_color": "#DDE6F0", "text_wrap": True, "valign": "top"})
        self.missing = wb.add_format({"align": "center"})
        self._numbers: dict[str, Any] = {}

    def number(self, code: str) -> Any:
        if code not in self._numbers:
            self._numbers[code] = self._wb.add_format({"num_format": code})
        return self._numbers[code]


def _column_formats(
    kept: pd.DataFrame, frame: pd.DataFrame, number_formats: Mapping[str, str] | None
) -> list[str | None]:
    """Each column's number format: the caller's, else the one its quantity and values call for."""
    from shnro_lib.excel_format import number_format

    return [
        (number_formats or {}).get(str(kept.columns[j]))
        or number_format(kept.iloc[:, j], kept.columns[j], frame.columns[j])
        for j in range(kept.shape[1])
    ]


def _is_missing(v: object) -> bool:
    return (
        v is None or (isinstance(v, float) and not np.isfinite(v)) or (isinstance(v, str) and not v.strip())
    )


def _write_sheet(ws: Any, table: SheetTable, note: str | None, styles: _Styles, landscape: bool) -> None:
    """One sheet: the note, the bold header row, the cells («—» where empty), widths and printing."""
    from shnro_lib.readable import MISSING

    formats, width = table.formats, len(table.headers)
    row0 = 0
    if note:
        ws.write_string(0, 0, str(neutralise_cell(note)), styles.note)
        row0 = 2
    for j, header in enumerate(table.headers):
        ws.write_string(row0, j, header, styles.header)
    cell_formats = [styles.number(f) if f else None for f in formats]
    for i, rec in enumerate(table.cells, start=row0 + 1):
        for j, v in enumerate(rec):
            if hasattr(v, "item"):
                v = v.item()
            if _is_missing(v):
                ws.write_string(i, j, MISSING, styles.missing)
            elif isinstance(v, bool):
                ws.write_boolean(i, j, v)
            elif isinstance(v, int | float):
                ws.write_number(i, j, v, cell_formats[j])
            else:
                ws.write_string(i, j, str(neutralise_cell(v)))
    sample = table.cells[:200]
    for j, header in enumerate(table.headers):
        ws.set_column(j, j, _column_width(header, formats[j], sample[:, j].tolist()))
    ws.freeze_panes(row0 + 1, 0)
    if width:
        ws.autofilter(row0, 0, row0 + max(len(table.cells), 1), width - 1)
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(row0)


def _column_width(header: object, fmt: str | None, sample: list) -> int:
    """A width that shows the header's longest word and the column's values (at most 60)."""
    head = max((len(w) for w in str(header).split()), default=4)
    body = 10 if fmt else max((len(str(v)) for v in sample), default=4)
    return min(60, max(8, min(len(str(header)), 30), head, body) + 2)


def school_page_paths(
    region: Any, out_dir: str | Path, school_ids: Sequence[str] | None = None
) -> dict[str, Path]:
    """``school_id -> OUT/<municipality slug>/<school slug>.html`` (the same names the batch writes)."""
    sch = region.table("schools")
    muni_slugs = unique_slugs(sorted(sch["municipality"].dropna().astype(str).unique().tolist()))
    out = {}
    keep = None if school_ids is None else {str(s) for s in school_ids}
    for r in sch.sort_values(["municipality", "name", "school_id"], kind="stable").itertuples():
        sid = str(r.school_id)
        if keep is not None and sid not in keep:
            continue
        m = muni_slugs.get(str(r.municipality), "bez-munitsipaliteta")
        out[sid] = Path(out_dir) / m / f"{slugify(f'{sid} {r.name}', max_length=80)}.html"
    return out


def municipality_page_path(out_dir: str | Path, municipality: str, region: Any) -> Path:
    """``OUT/<municipality slug>/index.html``: the list of a municipality's school pages."""
    names = sorted(region.table("schools")["municipality"].dropna().astype(str).unique().tolist())
    return Path(out_dir) / unique_slugs(names)[municipality] / "index.html"
