"""Vectorised conversion of the common, clean cases (see :func:`fast_convert`).

The exact (per-value) path in :mod:`shnro_lib.io.convert_exact` stays the single source of
messages: whenever a column holds anything it would report, these functions decline (``None``).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..schema import Column
from .values import _FLOAT_CODE, _NUM, _SPACES, EXCEL_ERRORS, MISSING_TOKENS, Converted, Issue

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


def _fast_date(raw: pd.Series) -> Converted | None:
    """ISO dates written as text («2024-05-20»); ``None`` for anything else."""
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


def _space_note(col: Column, n_space: int) -> list[str]:
    """The note on tidied spaces, when there were any."""
    return [f"{col.name}: лишние и неразрывные пробелы удалены ({n_space})"] if n_space else []


def _fast_str_distinct(raw: pd.Series, col: Column) -> Converted | None | bool:
    """A long text column whose values repeat: each distinct value is normalised once.

    Returns
    -------
    Converted or None or bool
        The conversion; ``None`` when the distinct values decline; ``False`` when the values do
        not repeat enough and the column is converted row by row.
    """
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    if len(uniques) > len(raw) // 4:
        return False
    distinct = pd.Series(np.asarray(uniques, dtype=object))
    sub = fast_convert(distinct, col)
    if sub is None:
        return None
    # an Arrow take: no Python object per row (a results column has millions)
    taken = pd.array(sub.series, dtype="string").take(codes, allow_fill=True)
    series = pd.Series(taken, index=raw.index)
    n_space = 0
    if sub.conversions:
        changed = (distinct.astype("string") != sub.series).fillna(
            False
        ).to_numpy() & sub.series.notna().to_numpy()
        counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
        n_space = int(counts[changed].sum())
    return Converted(series, [], _space_note(col, n_space))


def _fast_str(raw: pd.Series, col: Column) -> Converted | None:
    """A text column: spaces tidied, missing tokens read as missing.

    Declines on Excel error tokens and on codes written as floats («470101.0») in a code column.
    """
    if not _all_text(raw):
        return None
    if len(raw) > 20000:
        # codes, procedures, subjects repeat: normalise each distinct value once
        done = _fast_str_distinct(raw, col)
        if done is not False:
            return done
    text = raw.astype("string").str.replace(r"\s+", " ", regex=True).str.strip()
    low = text.str.lower()
    if low.isin(list(EXCEL_ERRORS)).any():
        return None
    if col.name.endswith("_id") and text.str.fullmatch(_FLOAT_CODE.pattern).fillna(False).any():
        return None
    missing = low.isin(list(MISSING_TOKENS)).fillna(True).to_numpy() | text.isna().to_numpy()
    series = pd.Series(pd.array(text.where(~missing), dtype="string"), index=raw.index)
    n_space = int(((text != raw.astype("string")) & ~pd.Series(missing, index=raw.index)).fillna(False).sum())
    return Converted(series, [], _space_note(col, n_space))


def _fast_numbers(raw: pd.Series) -> tuple[pd.Series, int] | None:
    """Numbers of a column of numbers or of clean number texts, and the decimal commas met."""
    if _all_numbers(raw):
        values = pd.to_numeric(raw, errors="coerce").astype("float64")
        if int(values.isna().sum()) != int(raw.isna().sum()):
            return None
        if not np.isfinite(values.dropna().to_numpy()).all():
            return None
        return values, 0
    if _all_text(raw):
        return _text_numbers(raw)
    return None


def _fast_share(
    arr: np.ndarray, ok: np.ndarray, col: Column
) -> tuple[np.ndarray, list[Issue], list[str]] | None:
    """Shares, percents read as shares; ``None`` when a share falls outside [0, 1]."""
    issues: list[Issue] = []
    conversions: list[str] = []
    plain = arr[ok]
    as_percent = bool(plain.size) and plain.max() > 1 and plain.min() >= 0 and plain.max() <= 100
    if as_percent:
        arr = arr / 100.0
        n_pct = int(ok.sum())
        conversions.append(f"{col.name}: проценты переведены в доли ({n_pct})")
        issues.append(Issue(-1, "warning", None, f"проценты переведены в доли (значений: {n_pct})"))
    if (arr[ok] < 0).any() or (arr[ok] > 1).any():
        return None
    return arr, issues, conversions


def _fast_number(raw: pd.Series, col: Column) -> Converted | None:
    """An integer, number or share column of clean numbers or number texts."""
    parsed = _fast_numbers(raw)
    if parsed is None:
        return None
    values, n_comma = parsed
    conversions: list[str] = []
    issues: list[Issue] = []
    arr = values.to_numpy(dtype="float64")
    ok = ~np.isnan(arr)
    if col.kind == "int":
        if (arr[ok] != np.round(arr[ok])).any() or (np.abs(arr[ok]) > 2**53).any():
            return None
        out = pd.array(np.where(ok, arr, 0).astype("int64"), dtype="Int64")
        out[~ok] = pd.NA
        series = pd.Series(out, index=raw.index)
    elif col.kind == "float":
        series = pd.Series(arr, index=raw.index, dtype="float64")
    else:  # share
        shares = _fast_share(arr, ok, col)
        if shares is None:
            return None
        arr, issues, conversions = shares
        series = pd.Series(arr, index=raw.index, dtype="float64")
    if n_comma:
        conversions.append(f"{col.name}: десятичная запятая ({n_comma})")
    return Converted(series, issues, conversions)


def fast_convert(raw: pd.Series, col: Column) -> Converted | None:
    """Vectorised conversion of the common, clean cases; ``None`` sends the column to the exact path.

    The exact (per-value) path stays the single source of messages: whenever a column holds
    anything it would report — an Excel error, a percent sign, a bad number, a value out of
    range — this function declines and the exact path converts the whole column.

    Parameters
    ----------
    raw : pandas.Series
        The raw column as read from the file.
    col : Column
        The canonical column; kinds ``str``, ``int``, ``float``, ``share`` and ``date`` are handled, and
        ``bool`` when the column is already of a boolean dtype.

    Returns
    -------
    Converted or None
        The conversion, or ``None`` when the column needs the exact path.
    """
    if len(raw) == 0:
        return None
    if col.kind == "date":
        return _fast_date(raw)
    if col.kind == "str":
        return _fast_str(raw, col)
    if col.kind in ("int", "float", "share"):
        return _fast_number(raw, col)
    if col.kind == "bool" and pd.api.types.is_bool_dtype(raw):  # a typed yes/no column (parquet)
        return Converted(pd.Series(pd.array(raw, dtype="boolean"), index=raw.index), [], [])
    return None
