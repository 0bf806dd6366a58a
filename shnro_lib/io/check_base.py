"""The record of one table under checks, and the context that files its problems."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..schema import TableSpec
from .problems import Problem
from .readers import RawTable


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


@dataclass
class _Checked:
    raw: RawTable
    spec: TableSpec
    df: pd.DataFrame | None = None
    bad: dict[int, list[str]] = field(default_factory=dict)
    fatal: bool = False
    failed: set[tuple[int, str | None]] = field(default_factory=set)
    conversions: list[str] = field(default_factory=list)


class _Ctx:
    def __init__(self, chk: _Checked, problems: list[Problem]):
        self.chk, self.problems = chk, problems

    def add(
        self,
        level: str,
        pos: int | None,
        canon: str | None,
        value: str | None,
        message: str,
        column: str | None = None,
    ) -> None:
        raw = self.chk.raw
        row = raw.rownums[pos] if pos is not None and pos >= 0 else None
        col = column if column is not None else (raw.headers.get(canon, canon) if canon else None)
        self.problems.append(Problem(level, raw.file, raw.sheet, row, col, value, message, canonical=canon))
        if level == "error" and pos is not None and pos >= 0:
            where = f"«{col}»: " if col else ""
            val = f"«{value}» — " if value is not None else ""
            self.chk.bad.setdefault(pos, []).append(f"{where}{val}{message}")
            self.chk.failed.add((pos, canon))
