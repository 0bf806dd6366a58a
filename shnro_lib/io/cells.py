"""Cell-level helpers shared by the readers: blank cells, totals rows, header texts, unevaluated formulas."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from .mapping import normalise

HEADER_SCAN_ROWS = 15
TOTAL_WORDS = ("итого", "всего")


class ReadError(Exception):
    """A file cannot be read at all (message in Russian)."""


class Unevaluated:
    """An Excel formula cell whose value was never calculated (no cached value in the file)."""

    __slots__ = ("formula",)

    def __init__(self, formula: str):
        self.formula = str(formula)

    def __str__(self) -> str:
        return self.formula

    def __repr__(self) -> str:
        return f"Unevaluated({self.formula!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unevaluated) and other.formula == self.formula

    def __hash__(self) -> int:
        return hash(("Unevaluated", self.formula))


@dataclass
class SheetMeta:
    """What the Excel reader saw besides the values (reported by :func:`grid_to_raw`)."""

    hidden_cols: set[int] = field(default_factory=set)  # 0-based column indices
    hidden_rows: set[int] = field(default_factory=set)  # 1-based sheet row numbers
    merged: list[tuple[int, int, int, int, str]] = field(default_factory=list)  # r1, c1, r2, c2, ref
    notes: list[tuple[str, str | None, str]] = field(default_factory=list)


_TOTAL_RE = re.compile(r"(итого|всего)(?![а-яa-z0-9])")


def is_total_label(text: str) -> bool:
    """«Итого», «Итого:», «Всего по району» — but not «Итоговое сочинение»."""
    return _TOTAL_RE.match(normalise(text)) is not None


def blank(v: object) -> bool:
    if v is None:
        return True
    if isinstance(v, Unevaluated):
        return False
    if isinstance(v, str):
        return not v.replace("\u00a0", " ").strip()
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


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
