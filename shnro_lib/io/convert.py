"""Value conversion per canonical column kind (str, int, float, share, bool, date)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time

import numpy as np
import pandas as pd

from ..schema import Column
from .cells import Unevaluated

MISSING_TOKENS = {"", "-", "—", "–", "н/д", "нд", "n/a", "na", "nan", "none", "null", "nat", "<na>"}
EXCEL_ERRORS = {
    "#дел/0!",
    "#н/д",
    "#div/0!",
    "#n/a",
    "#знач!",
    "#value!",
    "#ссылка!",
    "#ref!",
    "#имя?",
    "#name?",
    "#число!",
    "#num!",
    "#пусто!",
    "#null!",
}
TRUE_TOKENS = {"да", "1", "true", "истина", "+", "x", "х", "yes", "д", "1.0"}
FALSE_TOKENS = {"нет", "0", "false", "ложь", "-", "no", "н", "0.0", "—", "–"}
_NUM = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_YEAR_SPAN = re.compile(r"(\d{4})\s*[/\-–]\s*(\d{2}|\d{4})")
_FLOAT_CODE = re.compile(r"\d+\.0+")
_GRADE = re.compile(r"(\d{1,2})\s*(?:-?\s*(?:й|ый|ой))?\s*(?:класс(?:ы|а)?|кл\.?)?", re.IGNORECASE)
UNEVALUATED_MSG = (
    "формула без вычисленного значения (файл сохранён без пересчёта формул) — откройте файл в Excel "
    "и сохраните его или замените формулы значениями"
)
_SPACES = ("\u00a0", "\u202f", "\u2007", "\u2009", " ")


@dataclass
class Issue:
    idx: int  # positional index in the frame
    level: str
    value: str | None
    message: str


@dataclass
class Converted:
    series: pd.Series
    issues: list[Issue] = field(default_factory=list)
    conversions: list[str] = field(default_factory=list)


def fmt(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (datetime, pd.Timestamp)):
        return v.isoformat(sep=" ")
    return str(v)


def missing_kind(v: object) -> tuple[bool, str | None]:
    """(is missing, Excel error token or None)."""
    if v is None:
        return True, None
    if isinstance(v, str):
        s = v
        for ch in _SPACES:
            s = s.replace(ch, " ")
        s = s.strip()
        low = s.casefold()
        if low in EXCEL_ERRORS:
            return True, s
        return low in MISSING_TOKENS, None
    try:
        return bool(pd.isna(v)), None
    except (TypeError, ValueError):
        return False, None


class BadValue(ValueError):
    pass


def parse_number(v: object) -> tuple[float, bool, bool]:
    """-> (number, had a trailing %, had a decimal comma)."""
    if isinstance(v, (bool, np.bool_)):
        raise BadValue("не число (логическое значение)")
    if isinstance(v, (int, float, np.integer, np.floating)):
        return float(v), False, False
    if isinstance(v, (datetime, date, pd.Timestamp)):
        raise BadValue("ожидается число, а в ячейке дата")
    s = str(v)
    for ch in _SPACES:
        s = s.replace(ch, "")
    s = s.replace("\u2212", "-").replace("–", "-").replace("—", "-")
    pct = s.endswith("%")
    if pct:
        s = s[:-1]
    comma = "," in s
    if "," in s and "." in s:
        if s.rfind(",") > s.rfind("."):
            s = s.replace(".", "").replace(",", ".")
        else:
            s = s.replace(",", "")
    elif s.count(",") == 1:
        s = s.replace(",", ".")
    if not _NUM.fullmatch(s):
        raise BadValue("не число")
    x = float(s)
    if not math.isfinite(x):
        raise BadValue("не число")
    return x, pct, comma


def _fmt_num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


_ODD_SPACES = re.compile("[" + "".join(_SPACES) + "]")
_DASHES = re.compile("[\u2212\u2013\u2014]")


def _all_text(raw: pd.Series) -> bool:
    if pd.api.types.is_string_dtype(raw) and raw.dtype != object:
        return True
    if raw.dtype != object:
        return False
    return pd.api.types.infer_dtype(raw, skipna=True) == "string"


def _all_numbers(raw: pd.Series) -> bool:
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        return True
    return raw.dtype == object and pd.api.types.infer_dtype(raw, skipna=True) in (
        "integer",
        "floating",
        "mixed-integer-float",
        "decimal",
    )


def _text_numbers(raw: pd.Series) -> tuple[pd.Series, int] | None:
    """Numbers of a clean text column and how many had a decimal comma; ``None``: not all clean.

    Each distinct text is parsed once (a results column repeats few values over many rows); the
    decisions and numbers are those of parsing every row, as they depend only on the distinct texts.
    """
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    distinct = pd.Series(np.asarray(uniques, dtype=object))
    text = distinct.astype("string").str.replace(_ODD_SPACES, "", regex=True).str.strip()
    low = text.str.lower()
    missing = low.isin(list(MISSING_TOKENS)).fillna(True) | text.isna()
    present = text[~missing]
    if (
        present.str.contains(r"[%/#]", regex=True).any()
        or present.str.contains("\\.").any() & present.str.contains(",").any()
    ):
        return None
    comma = present.str.contains(",").to_numpy(dtype=bool)
    cleaned = present.str.replace(",", ".", regex=False).str.replace(_DASHES, "-", regex=True)
    if not cleaned.str.fullmatch(_NUM.pattern).all():
        return None
    numbers = np.full(len(distinct), np.nan)
    numbers[present.index.to_numpy()] = pd.to_numeric(cleaned, errors="coerce").astype("float64").to_numpy()
    if (
        np.isnan(numbers[present.index.to_numpy()]).any()
        or not np.isfinite(numbers[~np.isnan(numbers)]).all()
    ):
        return None
    counts = np.bincount(codes[codes >= 0], minlength=len(distinct))
    n_comma = int(counts[present.index.to_numpy()][comma].sum())
    values = pd.Series(
        np.where(codes >= 0, numbers[np.maximum(codes, 0)], np.nan), index=raw.index, dtype="float64"
    )
    return values, n_comma


def _fast_convert(raw: pd.Series, col: Column) -> Converted | None:
    """Vectorised conversion of the common, clean cases; ``None`` sends the column to the exact path.

    The exact (per-value) path stays the single source of messages: whenever a column holds
    anything it would report — an Excel error, a percent sign, a bad number, a value out of
    range — this function declines and the exact path converts the whole column.
    """
    kind = col.kind
    if len(raw) == 0 or kind not in ("str", "int", "float", "share", "date"):
        return None
    if kind == "date":
        if not _all_text(raw):
            return None
        text = raw.astype("string").str.strip()
        present = text.dropna()
        if not present.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all():
            return None
        parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
        if parsed[present.index].isna().any():
            return None
        return Converted(pd.Series(parsed.astype("datetime64[ns]").to_numpy(), index=raw.index), [], [])
    if kind == "str":
        if not _all_text(raw):
            return None
        if len(raw) > 20000:
            # codes, procedures, subjects repeat: normalise each distinct value once
            codes, uniques = pd.factorize(raw, use_na_sentinel=True)
            if len(uniques) <= len(raw) // 4:
                sub = _fast_convert(pd.Series(np.asarray(uniques, dtype=object)), col)
                if sub is None:
                    return None
                vals = sub.series.astype(object).to_numpy()
                taken = np.where(codes >= 0, vals[np.maximum(codes, 0)], None)
                series = pd.Series(pd.array(taken, dtype="string"), index=raw.index)
                conversions = []
                if sub.conversions:
                    changed = (
                        pd.Series(np.asarray(uniques, dtype=object)).astype("string") != sub.series
                    ).fillna(False).to_numpy() & sub.series.notna().to_numpy()
                    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
                    n_space = int(counts[changed].sum())
                    if n_space:
                        conversions.append(f"{col.name}: лишние и неразрывные пробелы удалены ({n_space})")
                return Converted(series, [], conversions)
        text = raw.astype("string").str.replace(r"\s+", " ", regex=True).str.strip()
        low = text.str.lower()
        if low.isin(list(EXCEL_ERRORS)).any():
            return None
        if col.name.endswith("_id") and text.str.fullmatch(_FLOAT_CODE.pattern).fillna(False).any():
            return None
        missing = low.isin(list(MISSING_TOKENS)).fillna(True).to_numpy() | text.isna().to_numpy()
        series = pd.Series(pd.array(text.where(~missing), dtype="string"), index=raw.index)
        conversions = []
        n_space = int(
            ((text != raw.astype("string")) & ~pd.Series(missing, index=raw.index)).fillna(False).sum()
        )
        if n_space:
            conversions.append(f"{col.name}: лишние и неразрывные пробелы удалены ({n_space})")
        return Converted(series, [], conversions)
    n_comma = 0
    if _all_numbers(raw):
        values = pd.to_numeric(raw, errors="coerce").astype("float64")
        if int(values.isna().sum()) != int(raw.isna().sum()):
            return None
        if not np.isfinite(values.dropna().to_numpy()).all():
            return None
    elif _all_text(raw):
        parsed = _text_numbers(raw)
        if parsed is None:
            return None
        values, n_comma = parsed
    else:
        return None
    conversions: list[str] = []
    issues: list[Issue] = []
    arr = values.to_numpy(dtype="float64")
    ok = ~np.isnan(arr)
    if kind == "int":
        if (arr[ok] != np.round(arr[ok])).any() or (np.abs(arr[ok]) > 2**53).any():
            return None
        out = pd.array(np.where(ok, arr, 0).astype("int64"), dtype="Int64")
        out[~ok] = pd.NA
        series = pd.Series(out, index=raw.index)
    elif kind == "float":
        series = pd.Series(arr, index=raw.index, dtype="float64")
    else:  # share
        plain = arr[ok]
        as_percent = bool(plain.size) and plain.max() > 1 and plain.min() >= 0 and plain.max() <= 100
        if as_percent:
            arr = arr / 100.0
            n_pct = int(ok.sum())
            conversions.append(f"{col.name}: проценты переведены в доли ({n_pct})")
            issues.append(Issue(-1, "warning", None, f"проценты переведены в доли (значений: {n_pct})"))
        if (arr[ok] < 0).any() or (arr[ok] > 1).any():
            return None
        series = pd.Series(arr, index=raw.index, dtype="float64")
    if n_comma:
        conversions.append(f"{col.name}: десятичная запятая ({n_comma})")
    return Converted(series, issues, conversions)


def convert(raw: pd.Series, col: Column) -> Converted:
    """Convert one raw column; positions in ``issues`` refer to ``raw``'s order."""
    fast = _fast_convert(raw, col)
    if fast is not None:
        return fast
    return _convert_exact(raw, col)


def _convert_exact(raw: pd.Series, col: Column) -> Converted:
    """Value-by-value conversion with a precise message for every problem."""
    values = raw.tolist()
    issues: list[Issue] = []
    conversions: list[str] = []
    out: list[object] = [None] * len(values)
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

    kind = col.kind
    if kind == "str":
        n_num = n_code = n_space = 0
        is_id = col.name.endswith("_id")
        for i in present:
            v = values[i]
            if isinstance(v, (bool, np.bool_)):
                s = "да" if v else "нет"
            elif isinstance(v, (int, np.integer)):
                s, n_num = str(int(v)), n_num + 1
            elif isinstance(v, (float, np.floating)):
                s, n_num = (str(int(v)) if float(v).is_integer() else repr(float(v))), n_num + 1
            elif isinstance(v, (datetime, pd.Timestamp)):
                s = v.date().isoformat() if v.time() == time(0) else v.isoformat(sep=" ")
            else:
                text = str(v)
                s = " ".join(text.replace("\u00a0", " ").split())
                n_space += s != text
                if is_id and _FLOAT_CODE.fullmatch(s):
                    s, n_code = s.split(".")[0], n_code + 1
            out[i] = s
        if n_num and is_id:
            conversions.append(f"{col.name}: числовые значения приведены к тексту ({n_num})")
        if n_code:
            conversions.append(f"{col.name}: коды вида «470101.0» приведены к «470101» ({n_code})")
        if n_space:
            conversions.append(f"{col.name}: лишние и неразрывные пробелы удалены ({n_space})")
        series = pd.Series(pd.array(out, dtype="string"), index=raw.index)
    elif kind in ("int", "float", "share"):
        cache: dict = {}
        parsed: dict[int, tuple[float, bool, bool]] = {}
        n_comma = n_span = n_grade = 0
        for i in present:
            v = values[i]
            key = (type(v).__name__, v) if not isinstance(v, float) or not math.isnan(v) else None
            try:
                hash(key)
            except TypeError:
                key = None
            try:
                if (
                    kind == "int"
                    and col.name in ("year", "cohort")
                    and isinstance(v, str)
                    and _YEAR_SPAN.fullmatch(v.strip())
                ):
                    a, b = _YEAR_SPAN.fullmatch(v.strip()).groups()
                    end = int(b) if len(b) == 4 else int(a[:2] + b)
                    if end != int(a) + 1:
                        raise BadValue(
                            "учебный год должен охватывать два соседних года (например, «2023/24»)"
                        )
                    parsed[i] = (float(end), False, False)
                    n_span += 1
                    continue
                if col.name == "grade" and isinstance(v, str) and not v.strip().isdigit():
                    m = _GRADE.fullmatch(v.strip())
                    if m and m.group(0).strip() != m.group(1):
                        parsed[i] = (float(m.group(1)), False, False)
                        n_grade += 1
                        continue
                res = cache.get(key) if key is not None else None
                if res is None:
                    res = parse_number(v)
                    if key is not None:
                        cache[key] = res
                parsed[i] = res
            except BadValue as exc:
                issues.append(Issue(i, "error", fmt(v), str(exc)))
        if n_grade:
            conversions.append(f"{col.name}: «9 класс» прочитано как 9 ({n_grade})")
        if n_span:
            conversions.append(f"{col.name}: учебный год «2023/24» приведён к году окончания ({n_span})")
        if kind == "int":
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
            series = pd.Series(pd.array(out, dtype="Int64"), index=raw.index)
        elif kind == "float":
            for i, (x, pct, comma) in parsed.items():
                if pct:
                    issues.append(Issue(i, "error", fmt(values[i]), "знак «%» допустим только в долях"))
                    continue
                out[i] = x
                n_comma += comma
            series = pd.Series([np.nan if v is None else v for v in out], index=raw.index, dtype="float64")
        else:  # share
            plain = [x for (x, pct, _) in parsed.values() if not pct]
            as_percent = bool(plain) and max(plain) > 1 and min(plain) >= 0 and max(plain) <= 100
            n_pct = 0
            for i, (x, pct, comma) in parsed.items():
                n_comma += comma
                if pct or as_percent:
                    x = x / 100.0
                    n_pct += 1
                if x < 0 or x > 1:
                    shown = _fmt_num(x * 100) if (pct or as_percent) else _fmt_num(x)
                    issues.append(
                        Issue(
                            i,
                            "error",
                            fmt(values[i]),
                            f"Доля должна быть в диапазоне [0, 1] или в процентах [0, 100]: получено {shown}",
                        )
                    )
                    continue
                out[i] = x
            if n_pct:
                conversions.append(f"{col.name}: проценты переведены в доли ({n_pct})")
                issues.append(Issue(-1, "warning", None, f"проценты переведены в доли (значений: {n_pct})"))
            series = pd.Series([np.nan if v is None else v for v in out], index=raw.index, dtype="float64")
        if n_comma:
            conversions.append(f"{col.name}: десятичная запятая ({n_comma})")
    elif kind == "bool":
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
        series = pd.Series(pd.array(out, dtype="boolean"), index=raw.index)
    elif kind == "date":
        n_serial = 0
        for i in present:
            v = values[i]
            if isinstance(v, (datetime, pd.Timestamp)):
                out[i] = pd.Timestamp(v)
            elif isinstance(v, date):
                out[i] = pd.Timestamp(v)
            elif (
                isinstance(v, (int, float, np.integer, np.floating))
                and not isinstance(v, bool)
                and 20000 < v < 80000
            ):
                out[i] = pd.Timestamp("1899-12-30") + pd.to_timedelta(float(v), unit="D")
                n_serial += 1
            else:
                text = str(v).strip()
                try:
                    iso = re.fullmatch(r"\d{4}-\d{2}-\d{2}([ T].*)?", text) is not None
                    out[i] = pd.to_datetime(text, dayfirst=not iso)
                except (ValueError, TypeError, OverflowError):
                    issues.append(Issue(i, "error", fmt(v), "не дата (ожидается ДД.ММ.ГГГГ)"))
        if n_serial:
            conversions.append(f"{col.name}: числа Excel переведены в даты ({n_serial})")
        series = pd.Series(
            pd.to_datetime(pd.Series([pd.NaT if v is None else v for v in out], dtype=object))
            .astype("datetime64[ns]")
            .values,
            index=raw.index,
        )
    else:  # pragma: no cover
        raise ValueError(f"unknown column kind {kind!r}")
    return Converted(series, issues, conversions)


DTYPES = {
    "str": "string",
    "int": "Int64",
    "float": "float64",
    "share": "float64",
    "bool": "boolean",
    "date": "datetime64[ns]",
}
