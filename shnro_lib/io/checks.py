"""Checks of one loaded table: values converted, required cells, ranges, keys, spellings, school codes."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..schema import TableSpec
from .check_base import _Checked, _Ctx
from .checks_rows import (
    check_keys,
    check_range,
    check_required,
    check_scores,
    distinct_values,
    normalise_procedures,
    normalise_waves,
)
from .convert import DTYPES, convert
from .problems import Problem
from .readers import RawTable


def _report_read_notes(raw: RawTable, spec: TableSpec, ctx: _Ctx, problems: list[Problem]) -> None:
    """File what reading found: notes, row issues, columns not used, totals rows dropped."""
    for level, column, message in raw.notes:
        ctx.add(level, None, None, None, message, column=column)
    for pos, level, canon, shown, value, message in raw.row_issues:
        ctx.add(level, pos, canon, value, message, column=shown)
    for h in raw.unknown:
        ctx.add(
            "warning",
            None,
            None,
            None,
            f"столбец не относится к таблице «{spec.label_ru}» ({spec.name}) и не используется",
            column=h,
        )
    for rownum, text in raw.totals:
        problems.append(
            Problem("info", raw.file, raw.sheet, rownum, None, text, "строка итогов исключена из данных")
        )


def _report_missing_columns(raw: RawTable, spec: TableSpec, problems: list[Problem]) -> bool:
    """File an error for every required column absent; ``True`` when one is."""
    missing = [c for c in spec.columns if c.required and c.name not in raw.headers]
    for c in missing:
        problems.append(
            Problem(
                "error",
                raw.file,
                raw.sheet,
                None,
                c.label_ru,
                None,
                f"отсутствует обязательный столбец «{c.label_ru}» ({c.name})",
                canonical=c.name,
            )
        )
    return bool(missing)


def _convert_columns(data: pd.DataFrame, spec: TableSpec, chk: _Checked, ctx: _Ctx) -> pd.DataFrame:
    """Convert every column of the specification; absent optional columns come out empty.

    Parameters
    ----------
    data : pandas.DataFrame
        The raw table, positional index.
    spec : TableSpec
        The table's specification.
    chk : _Checked
        The table's record (its conversion notes).
    ctx : _Ctx
        Files the conversion issues.

    Returns
    -------
    pandas.DataFrame
        The columns of ``spec``, in its order and with its dtypes.
    """
    n = len(data)
    cols: dict[str, pd.Series] = {}
    for c in spec.columns:
        if c.name not in data.columns:
            # one missing value repeated: a list of n Nones is slow to convert at national size
            cols[c.name] = pd.Series(pd.array([None], dtype=DTYPES[c.kind])[np.zeros(n, dtype=np.intp)])
            continue
        res = convert(data[c.name], c)
        cols[c.name] = res.series.reset_index(drop=True)
        chk.conversions += res.conversions
        for iss in res.issues:
            ctx.add(iss.level, iss.idx if iss.idx >= 0 else None, c.name, iss.value, iss.message)
    if n:
        return pd.DataFrame(cols)[spec.column_names]
    return pd.DataFrame({c.name: pd.Series(dtype=DTYPES[c.kind]) for c in spec.columns})


def _check_table(raw: RawTable, spec: TableSpec, problems: list[Problem]) -> _Checked:
    """Convert and check one read table.

    Parameters
    ----------
    raw : RawTable
        The table as read.
    spec : TableSpec
        Its specification.
    problems : list of Problem
        Receives every problem found, in the order found.

    Returns
    -------
    _Checked
        The converted table (``df``; ``None`` when a required column is missing), the rows with
        errors, whether the table is unusable (``fatal``) and the conversion notes.
    """
    chk = _Checked(raw, spec)
    ctx = _Ctx(chk, problems)
    _report_read_notes(raw, spec, ctx, problems)
    if _report_missing_columns(raw, spec, problems):
        chk.fatal = True
        return chk
    n = len(raw.data)
    if n == 0:
        level = "error" if spec.required else "warning"
        message = f"в таблице «{spec.label_ru}» нет ни одной строки данных"
        problems.append(Problem(level, raw.file, raw.sheet, None, None, None, message))
        chk.fatal = spec.required
    data = raw.data.reset_index(drop=True)
    df = _convert_columns(data, spec, chk, ctx)
    for c in spec.columns:
        check_required(df, data, c, chk, ctx)
        check_range(df, c, ctx)
    check_scores(df, ctx)
    normalise_procedures(df, chk, ctx)
    normalise_waves(df, ctx)
    check_keys(df, raw, spec, ctx)
    if "municipality" in df.columns and n:
        _spelling_variants(df["municipality"].tolist(), raw, ctx, "municipality")
    chk.df = df
    return chk


_MUNI_NOISE = re.compile(r"\b(муниципальн\w*|образовани\w*|мо|р-н|район\w*)\b")


def spelling_key(text: str) -> str:
    """A key under which spellings of one territory coincide (case, ё/е, spaces, quotes, «муниципальный»)."""
    s = str(text).casefold().replace("ё", "е")
    s = re.sub(r"[«»\"'.,()]", " ", s)
    s = _MUNI_NOISE.sub(" ", s)
    return " ".join(s.split())


def _spelling_variants(values: list, raw: RawTable, ctx: _Ctx, canon: str) -> None:
    """Warn when different spellings collapse to one key; the names are NOT merged."""
    groups: dict[str, dict[str, list[int]]] = {}
    for pos, v in enumerate(values):
        if v is pd.NA or v is None:
            continue
        key = spelling_key(v)
        if key:
            groups.setdefault(key, {}).setdefault(str(v), []).append(pos)
    for variants in groups.values():
        if len(variants) < 2:
            continue
        parts = []
        for name, poss in variants.items():
            rows = [raw.rownums[p] for p in poss]
            shown = ", ".join(map(str, rows[:5])) + (" …" if len(rows) > 5 else "")
            parts.append(f"«{name}» (строки {shown}; всего {len(rows)})")
        first = min(p for poss in variants.values() for p in poss)
        ctx.add(
            "warning",
            first,
            canon,
            None,
            "похоже, одно и то же название записано по-разному: "
            + ", ".join(parts)
            + " — названия НЕ объединены; исправьте написание в исходном файле",
        )


def _check_refs(chk: _Checked, school_ids: set[str], problems: list[Problem]) -> None:
    ctx = _Ctx(chk, problems)
    by_digits: dict[str, list[str]] = {}
    for sid in school_ids:
        if sid.isdigit():
            by_digits.setdefault(sid.lstrip("0"), []).append(sid)
    for col in chk.spec.refs_school:
        if chk.df is None or col not in chk.df.columns:
            continue
        codes, given, first = distinct_values(chk.df[col])
        fixed = list(given)
        repaired: dict[str, tuple[str, int, int]] = {}  # given -> (school id, first pos, count)
        errors: dict[int, str] = {}  # distinct value -> message
        counts = np.bincount(codes[codes >= 0], minlength=len(given))
        for k, v in enumerate(given):
            if v in school_ids:
                continue
            cands = sorted(by_digits.get(v.lstrip("0"), [])) if v.isdigit() else []
            if len(cands) == 1:
                fixed[k] = cands[0]
                repaired[v] = (cands[0], int(first[k]), int(counts[k]))
            elif len(cands) > 1:
                errors[k] = (
                    "код ОО не найден в таблице «Школы» (schools); без учёта ведущих нулей подходят "
                    f"несколько кодов: {', '.join(cands)} — сохраните столбец кодов как текст"
                )
            else:
                errors[k] = "код ОО не найден в таблице «Школы» (schools)"
        for pos in np.isin(codes, list(errors)).nonzero()[0] if errors else ():
            ctx.add("error", int(pos), col, given[codes[pos]], errors[int(codes[pos])])
        if repaired:
            chk.df[col] = pd.array(fixed, dtype="string").take(codes, allow_fill=True)
            total = sum(c for _, _, c in repaired.values())
            examples = ", ".join(f"{g} → {sid}" for g, (sid, _, _) in list(repaired.items())[:5])
            first = min(p for _, p, _ in repaired.values())
            ctx.add(
                "warning",
                first,
                col,
                None,
                f"коды ОО потеряли ведущие нули (столбец сохранён как число) и однозначно сопоставлены с "
                f"таблицей «Школы»: {examples}{' …' if len(repaired) > 5 else ''} (строк: {total}). "
                "Сохраните столбец кодов как текст",
            )
            chk.conversions.append(f"{col}: восстановлены ведущие нули кодов ОО ({total})")
