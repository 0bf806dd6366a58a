"""Checked raw tables -> the canonical tables and the load report (errors excluded or raised)."""

from __future__ import annotations

import pandas as pd

from ..schema import TABLES
from .checks import _check_refs, _check_table, _Checked
from .problems import DataError, LoadReport, Problem, TableLoad, _excluded_frame
from .readers import RawTable


def _assemble(
    raws: dict[str, RawTable],
    problems: list[Problem],
    strict: bool,
    fatal_tables: set[str],
    require: tuple[str, ...],
) -> tuple[dict[str, pd.DataFrame], LoadReport]:
    checked: dict[str, _Checked] = {}
    order = sorted(raws, key=lambda t: (t != "schools", list(TABLES).index(t)))
    for name in order:
        checked[name] = _check_table(raws[name], TABLES[name], problems)
    fatal = set(fatal_tables) | {n for n, c in checked.items() if c.fatal}
    if fatal & set(require):
        raise DataError(problems)
    sch = checked.get("schools")
    if sch is not None and sch.df is not None:
        ids = sch.df["school_id"]
        keep = [i for i in range(len(ids)) if strict or i not in sch.bad]
        school_ids = {v for v in ids.iloc[keep].tolist() if v is not pd.NA and v is not None}
        for name, chk in checked.items():
            if name != "schools" and not chk.fatal:
                _check_refs(chk, school_ids, problems)
    if strict and any(p.level == "error" for p in problems):
        raise DataError(problems)

    report = LoadReport(problems=problems)
    tables: dict[str, pd.DataFrame] = {}
    for name in TABLES:
        if name not in checked:
            continue
        chk = checked[name]
        raw = chk.raw
        tl = TableLoad(
            table=name,
            file=raw.file,
            sheet=raw.sheet,
            encoding=raw.encoding,
            delimiter=raw.delimiter,
            header_row=raw.header_row,
            rows_read=raw.rows_read,
            rows_empty=raw.rows_empty,
            conversions=chk.conversions,
            columns=dict(raw.headers),
            unknown_columns=list(raw.unknown),
        )
        excl = [{"file": raw.file, "row": r, "reason": f"строка итогов («{t}»)"} for r, t in raw.totals]
        if chk.fatal or chk.df is None:
            excl += [
                {"file": raw.file, "row": r, "reason": "таблица не загружена из-за ошибок в заголовке"}
                for r in raw.rownums
            ]
            tl.excluded = _excluded_frame(excl)
            report.tables[name] = tl
            continue
        bad = sorted(chk.bad)
        excl += [{"file": raw.file, "row": raw.rownums[p], "reason": "; ".join(chk.bad[p])} for p in bad]
        excl.sort(key=lambda d: d["row"])
        tl.excluded = _excluded_frame(excl)
        df = chk.df.drop(index=bad).reset_index(drop=True) if bad else chk.df
        tl.rows_used = len(df)
        tables[name] = df
        report.tables[name] = tl
    return tables, report


def _problem(level: str, file: str, message: str) -> Problem:
    return Problem(level, file, None, None, None, None, message)
