"""Reading wide statistics workbooks: title rows, multi-level headers, merged cells, totals rows.

A sheet is read in three steps: the header block is found (the row holding the
school-name header of a recipe, down to the last row before the data); each
column's header path (one text per header level, merged cells filled) is
resolved to a fixed column (municipality, name, code) or to a metric of a
subject and grade; every row below is classified (school, totals row,
municipality block title, empty) and its metric cells are parsed.  The shape
is detected from the header texts (:func:`detect_recipe`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from shnro_lib.importer.recipes import Recipe, header_key
from shnro_lib.io.convert import BadValue, missing_kind, parse_number
from shnro_lib.io.problems import Problem
from shnro_lib.io.readers import is_total_label

HEADER_SCAN_ROWS = 40  # title rows above the header are few; a header lower than this is not a header
_YEAR = re.compile(r"(?<!\d)(20\d\d)(?:\s*[/\-–]\s*(20\d\d|\d\d))?(?!\d)")
_UNIT_TAIL = re.compile(r"[\s,]*(?:\(\s*(?:чел|%)\.?\s*\)|чел\.?|%)\s*$", re.IGNORECASE)


class ShapeError(ValueError):
    """A workbook or sheet that cannot be read; the message is in Russian and names the file and sheet."""


@dataclass(frozen=True)
class MetricColumn:
    """A metric column: the subject, grade and scale it belongs to."""

    index: int
    label: str  # «F «Русский язык / Приняли участие»» — for messages
    subject: str
    grade: int
    metric: str
    max_score: float | None


@dataclass
class SheetData:
    """What one sheet holds, before matching."""

    file: str
    sheet: str
    recipe: Recipe
    year: int
    header_rows: tuple[int, int]
    rows: pd.DataFrame  # source_row, kind, municipality, name, code
    values: pd.DataFrame  # source_row, subject, grade, metric, value, column, max_score
    ignored_columns: list[str] = field(default_factory=list)


def column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


@dataclass
class Grid:
    """A sheet's values with merged ranges filled; ``merged_bottom[(r, c)]`` is the last row of a merge."""

    cells: list[list]
    merged_bottom: dict[tuple[int, int], int] = field(default_factory=dict)


def read_grid(ws) -> Grid:
    """The sheet's values with every merged range filled from its top-left cell."""
    grid = [list(r) for r in ws.iter_rows(values_only=True)]
    bottoms: dict[tuple[int, int], int] = {}
    width = max((len(r) for r in grid), default=0)
    for r in grid:
        r.extend([None] * (width - len(r)))
    for rng in ws.merged_cells.ranges:
        top = grid[rng.min_row - 1][rng.min_col - 1] if rng.min_row - 1 < len(grid) else None
        for i in range(rng.min_row - 1, min(rng.max_row, len(grid))):
            for j in range(rng.min_col - 1, min(rng.max_col, width)):
                grid[i][j] = top
                bottoms[(i, j)] = rng.max_row - 1
    return Grid(grid, bottoms)


def _text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return " ".join(str(v).replace("\u00a0", " ").split())


def _has_number(row: list) -> bool:
    return any(isinstance(v, (int, float)) and not isinstance(v, bool) for v in row)


def find_header(g: Grid, recipe: Recipe) -> tuple[int, int, int] | None:
    """(first header row, last header row, name column), 0-based; None without the name header.

    The header ends where the merged name cell ends; when it is not merged, at the last row
    below it whose name cell is empty, which holds no numbers and has text right of the name
    column (a municipality title row has text only on the left).
    """
    grid = g.cells
    names = set(recipe.columns.get("name", ()))
    for i, row in enumerate(grid[:HEADER_SCAN_ROWS]):
        for j, v in enumerate(row):
            if header_key(v) in names:
                if (i, j) in g.merged_bottom:
                    return i, g.merged_bottom[(i, j)], j
                last = i
                while (
                    last + 1 < len(grid)
                    and not _text(grid[last + 1][j])
                    and not _has_number(grid[last + 1])
                    and any(_text(x) for x in grid[last + 1][j + 1 :])
                ):
                    last += 1
                return i, last, j
    return None


def header_keys(grid: list[list], top: int, bottom: int) -> set[str]:
    return {header_key(v) for row in grid[top : bottom + 1] for v in row if _text(v)}


def detect_recipe(grid: Grid, recipes: list[Recipe]) -> tuple[Recipe | None, list[str]]:
    """The one recipe whose headers this sheet has; (None, names of several that fit) when ambiguous."""
    fits: list[tuple[int, str, Recipe]] = []
    for rec in recipes:
        found = find_header(grid, rec)
        if found is None:
            continue
        keys = header_keys(grid.cells, found[0], found[1])
        # a detect entry is a metric name (any of its headers will do) or a header text
        keys = keys | {rec.metrics[k] for k in keys if k in rec.metrics}
        if not set(rec.detect_all) <= keys:
            continue
        hits_any = len(set(rec.detect_any) & keys)
        if rec.detect_any and not hits_any:
            continue
        fits.append((len(rec.detect_all) + hits_any, rec.name, rec))
    if not fits:
        return None, []
    fits.sort(key=lambda t: (-t[0], t[1]))
    if len(fits) > 1 and fits[0][0] == fits[1][0]:
        return None, [f[1] for f in fits if f[0] == fits[0][0]]
    return fits[0][2], []


def sheet_year(title: str, grid: list[list], top: int) -> int | None:
    """The year from the sheet's name, else from the title rows above the header («2023/24» -> 2024)."""
    for text in [title] + [_text(v) for row in grid[:top] for v in row]:
        m = _YEAR.search(text or "")
        if m:
            if m.group(2):
                second = m.group(2)
                return int(second) if len(second) == 4 else int(m.group(1)[:2] + second)
            return int(m.group(1))
    return None


def _clean_subject(text: str) -> str:
    s = text
    prev = None
    while prev != s:
        prev, s = s, _UNIT_TAIL.sub("", s).strip()
    s = re.sub(r"\(\s*\)", " ", s)
    return " ".join(s.split()).strip(" ,;:-")


def _take_pattern(pattern: str | None, text: str) -> tuple[str | None, str]:
    """The first group of ``pattern`` found in ``text`` and the text without the match."""
    if not pattern:
        return None, text
    m = re.search(pattern, text, re.IGNORECASE)
    if not m:
        return None, text
    return m.group(1), text[: m.start()] + " " + text[m.end() :]


def _fill_levels(levels: list[str], carry: list[str]) -> tuple[list[str], int]:
    """A column's header levels with empty upper cells taken from the last text seen on the left.

    Subject headers merged over their metrics may be unmerged with the text in the first cell
    only; ``carry`` keeps those texts and is updated in place.

    Returns
    -------
    tuple of (list of str, int)
        The filled levels and the index of the lowest non-empty one.
    """
    lv = list(levels)
    last = max(i for i, t in enumerate(lv) if t)
    for i in range(last):
        if lv[i]:
            carry[i] = lv[i]
        else:
            lv[i] = carry[i]
    return lv, last


def _metric_column(
    c: int, lv: list[str], last: int, label: str, metric: str, recipe: Recipe, where: str
) -> MetricColumn | str:
    """The metric column described by a header, or the error that prevents it.

    Parameters
    ----------
    c : int
        The column's index.
    lv : list of str
        The column's header levels (filled), the metric in ``lv[last]``.
    last : int
        Index of the metric's level.
    label : str
        The column as shown in messages.
    metric : str
        The canonical metric.
    recipe : Recipe
        The shape's recipe: subject names, grade and maximum score patterns, known maxima.
    where : str
        The sheet, for the messages.

    Returns
    -------
    MetricColumn or str
        The column, or the Russian error message.
    """
    above = [t for t in dict.fromkeys(lv[:last]) if t and header_key(t) not in recipe.group_levels]
    max_text, subject_text = _take_pattern(recipe.max_pattern, " ".join(above))
    max_score = float(max_text) if max_text is not None else None
    grade_text, subject_text = _take_pattern(recipe.grade_pattern, subject_text)
    grade = int(grade_text) if grade_text is not None else recipe.grade
    subject = recipe.subject_name(_clean_subject(subject_text))
    if not subject:
        return f"{where}, столбец {label}: над показателем нет названия предмета"
    if grade is None:
        return f"{where}, столбец {label}: в заголовке не найден класс (ожидается «N класс»)"
    if max_score is None:
        max_score = recipe.max_score_for(subject)
    if max_score is None:
        return (
            f"{where}, столбец {label}: неизвестен максимальный балл предмета «{subject}» — "
            f"укажите его в рецепте (max_score.subjects) или в заголовке"
        )
    return MetricColumn(c, label, subject, grade, metric, max_score)


def _duplicate_metrics(metrics: list[MetricColumn], where: str) -> list[str]:
    """Errors for a metric of one subject and grade given twice (the count of high results may repeat)."""
    errors = []
    seen: dict[tuple[str, int, str], str] = {}
    for mc in metrics:
        key = (mc.subject, mc.grade, mc.metric)
        if key in seen and mc.metric != "count_high":
            errors.append(
                f"{where}: показатель «{mc.metric}» предмета «{mc.subject}» ({mc.grade} класс) "
                f"встречается дважды: {seen[key]} и {mc.label}"
            )
        seen.setdefault(key, mc.label)
    return errors


def resolve_columns(
    grid: list[list], top: int, bottom: int, recipe: Recipe, where: str
) -> tuple[dict[str, int], list[MetricColumn], list[str], list[str]]:
    """Fixed columns (role -> index), metric columns, ignored column labels, errors.

    Parameters
    ----------
    grid : list of list
        The sheet's cells.
    top, bottom : int
        The header's first and last rows.
    recipe : Recipe
        The shape's recipe (column roles, metrics, subjects).
    where : str
        The sheet, for the messages.

    Returns
    -------
    tuple of (dict, list of MetricColumn, list of str, list of str)
        ``{role: column index}``, the metric columns, the labels of the columns ignored and the
        errors.
    """
    width = len(grid[0]) if grid else 0
    levels = [[_text(grid[r][c]) for r in range(top, bottom + 1)] for c in range(width)]
    fixed: dict[str, int] = {}
    metrics: list[MetricColumn] = []
    ignored: list[str] = []
    errors: list[str] = []
    carry = [""] * (bottom - top + 1)
    for c in range(width):
        texts = [t for t in levels[c] if t]
        role = recipe.column_role(texts[0]) if texts else None
        if not texts or role is not None:
            carry = [""] * len(carry)
        if not texts or role == "ignore":
            continue
        if role is not None:
            if role in fixed:
                errors.append(
                    f"{where}: столбец «{texts[0]}» встречается дважды "
                    f"({column_letter(fixed[role])} и {column_letter(c)})"
                )
            fixed[role] = c
            continue
        lv, last = _fill_levels(levels[c], carry)
        metric = recipe.metrics.get(header_key(lv[last]))
        label = f"{column_letter(c)} «{' / '.join(dict.fromkeys(t for t in lv if t))}»"
        if metric is None:
            ignored.append(label)
            continue
        found = _metric_column(c, lv, last, label, metric, recipe, where)
        if isinstance(found, str):
            errors.append(found)
        else:
            metrics.append(found)
    if "name" not in fixed:
        errors.append(f"{where}: не найден столбец с наименованием ОО")
    return fixed, metrics, ignored, errors + _duplicate_metrics(metrics, where)


def _school_code(name: str, code: str, recipe: Recipe, code_re) -> tuple[str, str]:
    """The code written inside the name (``code_pattern``) taken out of it; the recipe's prefix stripped."""
    if code_re is not None and name:
        m = code_re.match(name)
        if m:
            code = code or m.group(1)
            name = name[m.end() :].strip()
    if code and recipe.code_strip_prefix and code.casefold().startswith(recipe.code_strip_prefix.casefold()):
        code = code[len(recipe.code_strip_prefix) :]
    return name, code


def _values(present: list, excel_row: int, file: str, sheet: str, problems: list[Problem]) -> list[dict]:
    """The metric values of one school row; a value that is not a number goes to ``problems``."""
    out = []
    for mc, v in present:
        try:
            x, pct, _ = parse_number(v)
        except BadValue as exc:
            problems.append(Problem("error", file, sheet, excel_row, mc.label, _text(v), str(exc)))
            continue
        out.append(
            {
                "source_row": excel_row,
                "subject": mc.subject,
                "grade": mc.grade,
                "metric": mc.metric,
                "value": x,
                "percent_sign": pct,
                "column": mc.label,
                "max_score": mc.max_score,
            }
        )
    return out


def _read_rows(
    grid, bottom: int, fixed: dict, metrics: list, recipe: Recipe, where: tuple, problems
) -> tuple:
    """Every row below the header: its kind (empty, total, block, school, no_name) and its values.

    ``where`` is ``(file, sheet)``.  Returns ``(rows, values)`` as lists of records.
    """
    code_re = re.compile(recipe.code_pattern) if recipe.code_pattern else None
    rows, values = [], []
    municipality: str | None = None
    for r in range(bottom + 1, len(grid)):
        row = grid[r]
        excel_row = r + 1
        name = _text(row[fixed["name"]])
        muni = _text(row[fixed["municipality"]]) if "municipality" in fixed else ""
        code = _text(row[fixed["code"]]) if "code" in fixed else ""
        present = [(mc, row[mc.index]) for mc in metrics if not missing_kind(row[mc.index])[0]]
        if not name and not muni and not code and not present:
            rows.append({"source_row": excel_row, "kind": "empty"})
            continue
        if is_total_label(name) or (not name and is_total_label(muni)):
            rows.append({"source_row": excel_row, "kind": "total", "name": name or muni})
            municipality = None  # a block ends with its totals row
            continue
        if muni:
            municipality = muni
        if not name and not present:
            rows.append({"source_row": excel_row, "kind": "block", "municipality": muni})
            continue
        name, code = _school_code(name, code, recipe, code_re)
        kind = "school" if name else "no_name"
        rows.append(
            dict(source_row=excel_row, kind=kind, municipality=municipality, name=name, code=code or None)
        )
        values += _values(present, excel_row, *where, problems)
    return rows, values


def parse_sheet(
    g: Grid, file: str, sheet: str, recipe: Recipe, year: int, problems: list[Problem]
) -> SheetData | None:
    """Rows and metric values of one sheet; errors go to ``problems`` (None when the header is unusable)."""
    found = find_header(g, recipe)
    grid = g.cells
    where = f"{file}, лист «{sheet}»"
    if found is None:
        problems.append(Problem("error", file, sheet, None, None, None, "не найден заголовок таблицы"))
        return None
    top, bottom, _ = found
    fixed, metrics, ignored, errors = resolve_columns(grid, top, bottom, recipe, where)
    for e in errors:
        problems.append(Problem("error", file, sheet, top + 1, None, None, e.split(": ", 1)[-1]))
    if errors:
        return None
    rows, values = _read_rows(grid, bottom, fixed, metrics, recipe, (file, sheet), problems)
    rows_df = pd.DataFrame(rows, columns=["source_row", "kind", "municipality", "name", "code"])
    values_df = pd.DataFrame(
        values,
        columns=["source_row", "subject", "grade", "metric", "value", "percent_sign", "column", "max_score"],
    )
    return SheetData(file, sheet, recipe, year, (top + 1, bottom + 1), rows_df, values_df, ignored)


def _open_workbook(path: Path):
    """The workbook at ``path`` (values, not formulas); :class:`ShapeError` when it is no readable .xlsx."""
    from openpyxl import load_workbook

    if path.suffix.lower() == ".xls":
        raise ShapeError(f"{path.name}: старый формат .xls не поддерживается — сохраните файл как .xlsx")
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise ShapeError(f"{path.name}: ожидается книга Excel (.xlsx)")
    try:
        return load_workbook(path, data_only=True)
    except FileNotFoundError:
        raise ShapeError(f"файл не найден: {path}") from None
    except Exception as exc:  # noqa: BLE001 - a damaged file becomes a user message
        raise ShapeError(f"{path.name}: файл не читается как книга Excel ({type(exc).__name__})") from None


def _no_recipe(path: Path, title: str, grid, several, recipes, problems: list[Problem], notes: list[str]):
    """A sheet no recipe fits: an error when it fits several or has a header none fits, else a note."""
    if several:
        msg = "форма таблицы подходит под несколько рецептов: " + ", ".join(several) + " — укажите --recipe"
        problems.append(Problem("error", path.name, title, None, None, None, msg + " или --procedure"))
    elif any(find_header(grid, r) for r in recipes):
        msg = "заголовок таблицы не подходит ни под один рецепт (" + ", ".join(r.name for r in recipes) + ")"
        problems.append(
            Problem("error", path.name, title, None, None, None, msg + " — укажите свой рецепт --recipe")
        )
    else:
        notes.append(f"{path.name}, лист «{title}»: нет заголовка таблицы по ОО — лист пропущен")


def _year_of(path: Path, title: str, grid, recipe, year: int | None, problems, notes) -> int | None:
    """The sheet's year (its title, the rows above the table, or ``year``); ``None``: skip the sheet."""
    y = sheet_year(title, grid.cells, find_header(grid, recipe)[0])
    if y is None:
        if year is None:
            msg = "год не указан ни в названии листа, ни в строках над таблицей — укажите --year"
            problems.append(Problem("error", path.name, title, None, None, None, msg))
        return year
    if year is not None and y != year:
        notes.append(f"{path.name}, лист «{title}»: {y} год, а запрошен {year} — лист пропущен")
        return None
    return y


def read_workbook(
    path: Path, recipes: list[Recipe], year: int | None, problems: list[Problem], notes: list[str]
) -> list[SheetData]:
    """Every usable sheet of ``path``; sheets without a table header are skipped with a note."""
    wb = _open_workbook(path)
    out: list[SheetData] = []
    for ws in wb.worksheets:
        grid = read_grid(ws)
        recipe, several = detect_recipe(grid, recipes)
        if recipe is None:
            _no_recipe(path, ws.title, grid, several, recipes, problems, notes)
            continue
        y = _year_of(path, ws.title, grid, recipe, year, problems, notes)
        if y is None:
            continue
        sd = parse_sheet(grid, path.name, ws.title, recipe, y, problems)
        if sd is not None:
            if sd.ignored_columns:
                shown = sd.ignored_columns[:10]
                more = len(sd.ignored_columns) - len(shown)
                notes.append(
                    f"{path.name}, лист «{ws.title}»: столбцы не распознаны рецептом {recipe.name} и "
                    f"пропущены: " + "; ".join(shown) + (f" и ещё {more}" if more else "")
                )
            out.append(sd)
    return out
