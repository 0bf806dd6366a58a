"""Problems, the error type and the load report of :mod:`shnro_lib.io`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

LEVELS = ("error", "warning", "info")
_LEVEL_RU = {"error": "Ошибка", "warning": "Предупреждение", "info": "Сведение"}
_LEVELS_RU = {"error": "Ошибки", "warning": "Предупреждения", "info": "Сведения"}
# what varies inside one kind of message: quoted names and numbers
_VARIABLE = re.compile(r"«[^»]*»|\d+(?:[.,]\d+)?")
_STR_LIMIT = 200


@dataclass(frozen=True)
class Problem:
    """One finding of the loader.

    ``row`` is the row number as the user sees it in the file (Excel row number
    including header rows, CSV line number including the header line; for
    in-memory frames and parquet files the 1-based record number).  ``column``
    is the user's original header; ``canonical`` the canonical column name.
    """

    level: str
    file: str
    sheet: str | None
    row: int | None
    column: str | None
    value: str | None
    message: str
    canonical: str | None = None

    def location_ru(self) -> str:
        parts = [self.file or "данные"]
        if self.sheet:
            parts.append(f"лист «{self.sheet}»")
        if self.row is not None:
            parts.append(f"строка {self.row}")
        if self.column is not None or self.canonical is not None:
            col = f"столбец «{self.column or self.canonical}»"
            if self.canonical and self.canonical != self.column:
                col += f" ({self.canonical})"
            parts.append(col)
        return ", ".join(parts)

    def to_ru(self) -> str:
        text = self.message
        if self.value is not None:
            text = f"значение «{self.value}» — {self.message}"
        return f"{self.location_ru()}: {text}"


def format_problems(problems: list[Problem], limit: int = _STR_LIMIT) -> str:
    lines = [f"  • {p.to_ru()}" for p in problems]
    if len(lines) > limit:
        rest = len(lines) - limit
        lines = lines[:limit] + [
            f"  … и ещё {rest} (полный список — в DataError.problems / LoadReport.to_frame())"
        ]
    return "\n".join(lines)


class DataError(Exception):
    """Raised when the input data cannot be loaded; ``.problems`` lists everything found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__(self.__str__())

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    def __str__(self) -> str:
        errors = self.errors
        others = [p for p in self.problems if p.level != "error"]
        out = [f"Данные не загружены: найдено ошибок — {len(errors)}."]
        if errors:
            out.append(format_problems(errors))
        if others:
            out.append(f"Предупреждения и сведения ({len(others)}):")
            out.append(format_problems(others, limit=max(0, _STR_LIMIT - len(errors)) or 20))
        return "\n".join(out)


def _excluded_frame(rows: list[dict] | None = None) -> pd.DataFrame:
    return pd.DataFrame(rows or [], columns=["file", "row", "reason"])


@dataclass
class TableLoad:
    """What happened to one table while loading."""

    table: str
    file: str
    sheet: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    header_row: int | None = None
    rows_read: int = 0
    rows_used: int = 0
    rows_empty: int = 0
    excluded: pd.DataFrame = field(default_factory=_excluded_frame)
    conversions: list[str] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # canonical -> original header
    unknown_columns: list[str] = field(default_factory=list)

    @property
    def rows_excluded(self) -> int:
        return len(self.excluded)


@dataclass
class LoadReport:
    """All problems found while loading plus per-table bookkeeping."""

    problems: list[Problem] = field(default_factory=list)
    tables: dict[str, TableLoad] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "warning"]

    @property
    def infos(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "info"]

    @property
    def excluded(self) -> pd.DataFrame:
        """All excluded rows of all tables: table, file, row, reason."""
        frames = [t.excluded.assign(table=name) for name, t in self.tables.items() if len(t.excluded)]
        if not frames:
            return pd.DataFrame(columns=["table", "file", "row", "reason"])
        return pd.concat(frames, ignore_index=True)[["table", "file", "row", "reason"]]

    def to_frame(self) -> pd.DataFrame:
        cols = ["level", "file", "sheet", "row", "column", "canonical", "value", "message"]
        df = pd.DataFrame([{c: getattr(p, c) for c in cols} for p in self.problems], columns=cols)
        df["row"] = df["row"].astype("Int64")
        return df

    def summary_ru(self) -> str:
        lines = []
        for name, t in self.tables.items():
            line = f"{name} ({t.file}): прочитано строк {t.rows_read}, использовано {t.rows_used}"
            if t.rows_excluded:
                line += f", исключено {t.rows_excluded}"
            if t.rows_empty:
                line += f", пустых {t.rows_empty}"
            lines.append(line)
        lines.append(
            f"Ошибок: {len(self.errors)}, предупреждений: {len(self.warnings)}, сведений: {len(self.infos)}."
        )
        return "\n".join(lines)


def problem_kind(p: Problem) -> str:
    """The kind of a problem: its message with quoted names and numbers replaced by «…» and N."""
    return _VARIABLE.sub(lambda m: "«…»" if m.group(0).startswith("«") else "N", p.message)


def grouped_problems_ru(problems: list[Problem], examples: int = 3) -> str:
    """Every problem, grouped by level and kind, with the count and the first ``examples`` of each (0: all).

    Kinds are listed by level (errors, warnings, notes), then by count (largest first), then by
    the kind's text, so the order never depends on the order of the input files.
    """
    lines: list[str] = []
    for level in LEVELS:
        of_level = [p for p in problems if p.level == level]
        if not of_level:
            continue
        kinds: dict[str, list[Problem]] = {}
        for p in of_level:
            kinds.setdefault(problem_kind(p), []).append(p)
        lines.append(f"{_LEVELS_RU[level]} ({len(of_level)}):")
        for kind, items in sorted(kinds.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            lines.append(f"  • {items[0].message if len(items) == 1 else kind} — {len(items)}")
            shown = items[:examples] if examples > 0 else items
            for p in shown:
                lines.append(f"      {p.to_ru()}")
            if len(items) > len(shown):
                lines.append(f"      … и ещё {len(items) - examples}")
    return "\n".join(lines)
