"""Value-by-value conversion: the path that reports a precise message for every problem.

:func:`convert_exact` first finds the present values (skipping missing tokens, reporting Excel
errors and formulas saved without their values), then converts them by the column's kind.
Issue positions refer to the raw column's order.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from datetime import date, datetime, time

import numpy as np
import pandas as pd

from ..schema import Column
from .cells import Unevaluated
from .values import (
    _FLOAT_CODE,
    _GRADE,
    _YEAR_SPAN,
    FALSE_TOKENS,
    TRUE_TOKENS,
    UNEVALUATED_MSG,
    BadValue,
    Converted,
    Issue,
    _fmt_num,
    fmt,
    missing_kind,
    parse_number,
)

Parsed = dict[int, tuple[float, bool, bool]]
_SHARE_RANGE_MSG = "Доля должна быть в диапазоне [0, 1] или в процентах [0, 100]: получено {}"


def _present_positions(values: list[object], col: Column) -> tuple[list[int], list[Issue]]:
    """Positions of the present values and the issues met while finding them.

    Parameters
    ----------
    values : list of object
        The raw column's values, in order.
    col : Column
        The canonical column (its kind decides whether a dash is a value).

    Returns
    -------
    tuple of (list of int, list of Issue)
        Positions of the values to convert, and the errors (unevaluated formulas) and warnings
        (Excel error tokens, read as missing) found on the way.
    """
    issues: list[Issue] = []
    present: list[int] = []
    miss_cache: dict[object, tuple[bool, str | None]] = {}
    for i, v in enumerate(values):
        if isinstance(v, Unevaluated):
            issues.append(Issue(i, "error", v.formula, UNEVALUATED_MSG))
            continue
        if col.kind == "bool" and isinstance(v, str) and v.strip() in ("-", "—", "–"):
            present.append(i)
            continue
        if isinstance(v, str):
            res = miss_cache.get(v)
            if res is None:
                res = miss_cache[v] = missing_kind(v)
            miss, err = res
        else:
            miss, err = missing_kind(v)
        if err:
            issues.append(Issue(i, "warning", err, "ошибка формулы Excel — значение считается пропуском"))
        if not miss:
            present.append(i)
    return present, issues


def _as_text(v: object, is_id: bool) -> tuple[str, list[str]]:
    """One present value as text, and the notes ("num", "space", "code") its conversion earns.

    Parameters
    ----------
    v : object
        A present value.
    is_id : bool
        Whether the column is a code (``*_id``): «470101.0» is then read as «470101».

    Returns
    -------
    tuple of (str, list of str)
        The text and the names of the counters to increase.
    """
    if isinstance(v, (bool, np.bool_)):
        return ("да" if v else "нет"), []
    if isinstance(v, (int, np.integer)):
        return str(int(v)), ["num"]
    if isinstance(v, (float, np.floating)):
        return (str(int(v)) if float(v).is_integer() else repr(float(v))), ["num"]
    if isinstance(v, (datetime, pd.Timestamp)):
        return (v.date().isoformat() if v.time() == time(0) else v.isoformat(sep=" ")), []
    text = str(v)
    s = " ".join(text.replace("\u00a0", " ").split())
    notes = ["space"] if s != text else []
    if is_id and _FLOAT_CODE.fullmatch(s):
        s = s.split(".")[0]
        notes.append("code")
    return s, notes


def _exact_str(values: list[object], present: list[int], col: Column, index: pd.Index) -> Converted:
    """Text column: numbers, dates and codes written as numbers become text; spaces are tidied.

    Parameters
    ----------
    values : list of object
        The raw values.
    present : list of int
        Positions of the present values.
    col : Column
        The canonical column.
    index : pandas.Index
        The raw column's index, kept on the result.

    Returns
    -------
    Converted
        A ``string`` series and the conversion notes (no issues: any value is text).
    """
    out: list[object] = [None] * len(values)
    counts: Counter[str] = Counter()
    is_id = col.name.endswith("_id")
    for i in present:
        out[i], notes = _as_text(values[i], is_id)
        counts.update(notes)
    conversions = []
    if counts["num"] and is_id:
        conversions.append(f"{col.name}: числовые значения приведены к тексту ({counts['num']})")
    if counts["code"]:
        conversions.append(f"{col.name}: коды вида «470101.0» приведены к «470101» ({counts['code']})")
    if counts["space"]:
        conversions.append(f"{col.name}: лишние и неразрывные пробелы удалены ({counts['space']})")
    return Converted(pd.Series(pd.array(out, dtype="string"), index=index), [], conversions)


def _school_year_end(v: object, col: Column) -> float | None:
    """End year of a school-year span («2023/24» → 2024) in a year column, else ``None``.

    Raises
    ------
    BadValue
        When the span does not cover two adjacent years.
    """
    if col.kind != "int" or col.name not in ("year", "cohort") or not isinstance(v, str):
        return None
    match = _YEAR_SPAN.fullmatch(v.strip())
    if not match:
        return None
    a, b = match.groups()
    end = int(b) if len(b) == 4 else int(a[:2] + b)
    if end != int(a) + 1:
        raise BadValue("учебный год должен охватывать два соседних года (например, «2023/24»)")
    return float(end)


def _grade_number(v: object, col: Column) -> float | None:
    """Grade written with a word («9 класс», «9-й кл.») in the grade column, else ``None``."""
    if col.name != "grade" or not isinstance(v, str) or v.strip().isdigit():
        return None
    match = _GRADE.fullmatch(v.strip())
    if match and match.group(0).strip() != match.group(1):
        return float(match.group(1))
    return None


def _cache_key(v: object) -> object:
    """Hashable key of a value for the parse cache, or ``None`` when it cannot be cached."""
    key = (type(v).__name__, v) if not isinstance(v, float) or not math.isnan(v) else None
    try:
        hash(key)
    except TypeError:
        key = None
    return key


def _parse_numbers(
    values: list[object], present: list[int], col: Column
) -> tuple[Parsed, list[Issue], list[str]]:
    """Parse the present values of a number column.

    Parameters
    ----------
    values : list of object
        The raw values.
    present : list of int
        Positions of the present values.
    col : Column
        The canonical column (year, cohort and grade columns accept their written forms).

    Returns
    -------
    tuple of (dict, list of Issue, list of str)
        ``{position: (number, had a %, had a decimal comma)}``, the values that are not numbers,
        and the notes on school years and grades read as numbers.
    """
    cache: dict = {}
    parsed: Parsed = {}
    issues: list[Issue] = []
    n_span = n_grade = 0
    for i in present:
        v = values[i]
        try:
            end = _school_year_end(v, col)
            if end is not None:
                parsed[i] = (end, False, False)
                n_span += 1
                continue
            grade = _grade_number(v, col)
            if grade is not None:
                parsed[i] = (grade, False, False)
                n_grade += 1
                continue
            key = _cache_key(v)
            res = cache.get(key) if key is not None else None
            if res is None:
                res = parse_number(v)
                if key is not None:
                    cache[key] = res
            parsed[i] = res
        except BadValue as exc:
            issues.append(Issue(i, "error", fmt(v), str(exc)))
    conversions = []
    if n_grade:
        conversions.append(f"{col.name}: «9 класс» прочитано как 9 ({n_grade})")
    if n_span:
        conversions.append(f"{col.name}: учебный год «2023/24» приведён к году окончания ({n_span})")
    return parsed, issues, conversions


def _exact_int(values: list[object], parsed: Parsed, out: list[object]) -> tuple[list[Issue], int]:
    """Fill ``out`` with the integers; return the issues and the count of decimal commas."""
    issues: list[Issue] = []
    n_comma = 0
    for i, (x, pct, comma) in parsed.items():
        if pct:
            issues.append(Issue(i, "error", fmt(values[i]), "ожидается целое число, а не процент"))
        elif not float(x).is_integer():
            issues.append(Issue(i, "error", fmt(values[i]), "ожидается целое число"))
        elif abs(x) > 2**53:
            issues.append(Issue(i, "error", fmt(values[i]), "слишком большое число"))
        else:
            out[i] = int(x)
            n_comma += comma  # «5,0» read as 5: noted as on the vectorised path
    return issues, n_comma


def _exact_float(values: list[object], parsed: Parsed, out: list[object]) -> tuple[list[Issue], int]:
    """Fill ``out`` with the numbers; return the issues and the count of decimal commas."""
    issues: list[Issue] = []
    n_comma = 0
    for i, (x, pct, comma) in parsed.items():
        if pct:
            issues.append(Issue(i, "error", fmt(values[i]), "знак «%» допустим только в долях"))
            continue
        out[i] = x
        n_comma += comma
    return issues, n_comma


def _exact_share(values: list[object], parsed: Parsed, out: list[object]) -> tuple[list[Issue], int, int]:
    """Fill ``out`` with the shares; return the issues, the decimal commas and the percents read.

    A column whose plain numbers all lie in [0, 100] with one above 1 is read as percents.
    """
    plain = [x for (x, pct, _) in parsed.values() if not pct]
    as_percent = bool(plain) and max(plain) > 1 and min(plain) >= 0 and max(plain) <= 100
    issues: list[Issue] = []
    n_comma = n_pct = 0
    for i, (x, pct, comma) in parsed.items():
        n_comma += comma
        if pct or as_percent:
            x = x / 100.0
            n_pct += 1
        if x < 0 or x > 1:
            shown = _fmt_num(x * 100) if (pct or as_percent) else _fmt_num(x)
            issues.append(Issue(i, "error", fmt(values[i]), _SHARE_RANGE_MSG.format(shown)))
            continue
        out[i] = x
    return issues, n_comma, n_pct


def _exact_number(values: list[object], present: list[int], col: Column, index: pd.Index) -> Converted:
    """Integer, number or share column, value by value.

    Parameters
    ----------
    values : list of object
        The raw values.
    present : list of int
        Positions of the present values.
    col : Column
        The canonical column, of kind ``int``, ``float`` or ``share``.
    index : pandas.Index
        The raw column's index, kept on the result.

    Returns
    -------
    Converted
        An ``Int64`` or ``float64`` series, the issues and the conversion notes.
    """
    parsed, issues, conversions = _parse_numbers(values, present, col)
    out: list[object] = [None] * len(values)
    if col.kind == "int":
        found, n_comma = _exact_int(values, parsed, out)
        issues += found
        series = pd.Series(pd.array(out, dtype="Int64"), index=index)
    else:
        n_pct = 0
        if col.kind == "float":
            found, n_comma = _exact_float(values, parsed, out)
        else:
            found, n_comma, n_pct = _exact_share(values, parsed, out)
        issues += found
        if n_pct:
            conversions.append(f"{col.name}: проценты переведены в доли ({n_pct})")
            issues.append(Issue(-1, "warning", None, f"проценты переведены в доли (значений: {n_pct})"))
        series = pd.Series([np.nan if v is None else v for v in out], index=index, dtype="float64")
    if n_comma:
        conversions.append(f"{col.name}: десятичная запятая ({n_comma})")
    return Converted(series, issues, conversions)


def _exact_bool(values: list[object], present: list[int], col: Column, index: pd.Index) -> Converted:
    """Yes/no column: да/нет, 1/0, истина/ложь, +/- and the like.

    Parameters
    ----------
    values : list of object
        The raw values.
    present : list of int
        Positions of the present values.
    col : Column
        The canonical column.
    index : pandas.Index
        The raw column's index, kept on the result.

    Returns
    -------
    Converted
        A ``boolean`` series and an error for every value that is not a yes or a no.
    """
    out: list[object] = [None] * len(values)
    issues: list[Issue] = []
    for i in present:
        v = values[i]
        if isinstance(v, (bool, np.bool_)):
            out[i] = bool(v)
            continue
        s = fmt(v).strip().casefold()
        if s in TRUE_TOKENS:
            out[i] = True
        elif s in FALSE_TOKENS:
            out[i] = False
        else:
            issues.append(Issue(i, "error", fmt(v), "ожидается да/нет (1/0, истина/ложь, +/-)"))
    return Converted(pd.Series(pd.array(out, dtype="boolean"), index=index), issues, [])


def _as_date(v: object) -> tuple[pd.Timestamp | None, bool]:
    """A date or an Excel serial number as a date (and whether it was a serial); ``None`` otherwise."""
    if isinstance(v, (datetime, pd.Timestamp)) or isinstance(v, date):
        return pd.Timestamp(v), False
    if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) and 20000 < v < 80000:
        return pd.Timestamp("1899-12-30") + pd.to_timedelta(float(v), unit="D"), True
    return None, False


def _text_date(v: object) -> pd.Timestamp:
    """A text as a date: ISO year first, anything else day first.

    Raises
    ------
    ValueError, TypeError, OverflowError
        When the text is not a date.
    """
    text = str(v).strip()
    iso = re.fullmatch(r"\d{4}-\d{2}-\d{2}([ T].*)?", text) is not None
    return pd.to_datetime(text, dayfirst=not iso)


def _exact_date(values: list[object], present: list[int], col: Column, index: pd.Index) -> Converted:
    """Date column: dates, Excel serial numbers, ISO and day-first texts.

    Parameters
    ----------
    values : list of object
        The raw values.
    present : list of int
        Positions of the present values.
    col : Column
        The canonical column.
    index : pandas.Index
        The raw column's index, kept on the result.

    Returns
    -------
    Converted
        A ``datetime64[ns]`` series, an error for every value that is not a date, and a note on
        the serial numbers read.
    """
    out: list[object] = [None] * len(values)
    issues: list[Issue] = []
    n_serial = 0
    for i in present:
        stamp, serial = _as_date(values[i])
        n_serial += serial
        if stamp is not None:
            out[i] = stamp
            continue
        try:
            out[i] = _text_date(values[i])
        except (ValueError, TypeError, OverflowError):
            issues.append(Issue(i, "error", fmt(values[i]), "не дата (ожидается ДД.ММ.ГГГГ)"))
    conversions = [f"{col.name}: числа Excel переведены в даты ({n_serial})"] if n_serial else []
    series = pd.Series(
        pd.to_datetime(pd.Series([pd.NaT if v is None else v for v in out], dtype=object))
        .astype("datetime64[ns]")
        .values,
        index=index,
    )
    return Converted(series, issues, conversions)


_BY_KIND = {
    "str": _exact_str,
    "int": _exact_number,
    "float": _exact_number,
    "share": _exact_number,
    "bool": _exact_bool,
    "date": _exact_date,
}


def convert_exact(raw: pd.Series, col: Column) -> Converted:
    """Value-by-value conversion with a precise message for every problem.

    Parameters
    ----------
    raw : pandas.Series
        The raw column as read from the file.
    col : Column
        The canonical column; its kind selects the conversion.

    Returns
    -------
    Converted
        The converted series (same index), the issues (positions in ``raw``'s order; ``-1`` for
        a note on the whole column) and the conversion notes.

    Raises
    ------
    ValueError
        For an unknown column kind.
    """
    values = raw.tolist()
    present, issues = _present_positions(values, col)
    by_kind = _BY_KIND.get(col.kind)
    if by_kind is None:  # pragma: no cover
        raise ValueError(f"unknown column kind {col.kind!r}")
    done = by_kind(values, present, col, raw.index)
    return Converted(done.series, issues + done.issues, done.conversions)
