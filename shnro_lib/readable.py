"""Tables as a reader sees them: Russian headers, «да»/«нет», Russian words for coded values.

One place turns a library table (English column ids, booleans, enumeration codes) into the table a
methodologist reads in a CSV or Excel file.  The headers come from the vocabulary of quantities and
:data:`shnro_lib.labels.LABELS_RU`; a machine-readable file keeps the ids only when the user asks for
it (``--ids`` of the commands).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from shnro_lib.labels import ESTIMATORS_RU, LABELS_RU

MISSING = "—"
YES, NO = "да", "нет"

# coded values of a column, by the column's id -> their Russian words
VALUE_LABELS_RU: dict[str, dict[str, str]] = {
    "direction": {"higher_better": "больше — лучше", "lower_better": "меньше — лучше", "none": MISSING},
    "estimator": ESTIMATORS_RU,
    "unit": {
        "share": "доля",
        "count": "число школ",
        "index": "индекс",
        "percent": "%",
        "pp": "п. п.",
        "sd": "SD",
    },
    "expected_model": {},
    "model_used": {},
    "level": {"region": "регион", "municipality": "муниципалитет", "school": "школа"},
}
# columns that only a program needs (a code beside its Russian title): left out of a reader's table
CODE_COLUMNS = ("indicator", "status", "status_code")


def _model_names() -> dict[str, str]:
    try:
        from shnro_lib.context.expected import MODEL_NAMES_RU
    except ImportError:  # pragma: no cover - the context package is always there
        return {}
    return dict(MODEL_NAMES_RU)


def value_labels() -> dict[str, dict[str, str]]:
    """:data:`VALUE_LABELS_RU` with the expected-result model names filled in."""
    out = dict(VALUE_LABELS_RU)
    models = _model_names()
    out["expected_model"] = out["model_used"] = models
    return out


def is_bool_column(col: pd.Series) -> bool:
    """A column of booleans (with or without missing values)."""
    if pd.api.types.is_bool_dtype(col):
        return True
    if col.dtype == object:
        vals = col.dropna()
        return len(vals) > 0 and all(isinstance(v, bool | np.bool_) for v in vals)
    return False


def yes_no(col: pd.Series) -> pd.Series:
    """«да»/«нет» for a boolean column, «—» where it is missing."""
    return pd.Series(
        [
            MISSING
            if v is None or v is pd.NA or (isinstance(v, float) and v != v)
            else YES
            if bool(v)
            else NO
            for v in col.astype(object)
        ],
        index=col.index,
        dtype=object,
    )


def readable_values(df: pd.DataFrame) -> pd.DataFrame:
    """Booleans as «да»/«нет» and coded values in Russian words (columns keep their ids)."""
    out = df.copy()
    codes = value_labels()
    for j, name in enumerate(out.columns):
        col = out.iloc[:, j]
        if is_bool_column(col):
            out.isetitem(j, yes_no(col))
        elif isinstance(name, str) and name in codes and codes[name]:
            words = codes[name]
            out.isetitem(j, col.map(lambda v, w=words: w.get(v, v) if isinstance(v, str) else v))
    return out


def header_labels(column_labels: Mapping[str, str] | None = None) -> dict[str, str]:
    """The headers of a reader's table: the caller's own wording over the shared vocabulary."""
    return {**LABELS_RU, **dict(column_labels or {})}


def readable(
    df: pd.DataFrame, column_labels: Mapping[str, str] | None = None, drop_codes: bool = True
) -> pd.DataFrame:
    """``df`` as a reader sees it: Russian headers, «да»/«нет», coded values in words.

    Parameters
    ----------
    df : a library table with id columns.
    column_labels : the table's own headers (id -> Russian) over :data:`LABELS_RU`.
    drop_codes : leave out the code columns that stand beside their Russian title
        (:data:`CODE_COLUMNS`, e.g. ``indicator`` beside ``title_ru``).
    """
    out = df
    if drop_codes:
        gone = [c for c in CODE_COLUMNS if c in out.columns]
        if gone:
            out = out.drop(columns=gone)
    return readable_values(out).rename(columns=header_labels(column_labels))


def rounded(df: pd.DataFrame, decimals: int = 4) -> pd.DataFrame:
    """Float columns rounded to ``decimals`` (a reader's CSV shows no 16-digit floats)."""
    out = df.copy()
    for j in range(out.shape[1]):
        if pd.api.types.is_float_dtype(out.iloc[:, j]):
            out.isetitem(j, out.iloc[:, j].round(decimals))
    return out
