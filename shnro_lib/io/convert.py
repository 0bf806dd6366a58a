"""Value conversion per canonical column kind (str, int, float, share, bool, date).

The primitives live in :mod:`.values`, the vectorised path in :mod:`.convert_fast` and the
value-by-value path in :mod:`.convert_exact`; this module puts them together.
"""

from __future__ import annotations

import pandas as pd

from ..schema import Column
from .convert_exact import convert_exact as _convert_exact
from .convert_fast import fast_convert as _fast_convert
from .values import (  # noqa: F401  (re-exported: the names the package has always used)
    EXCEL_ERRORS,
    FALSE_TOKENS,
    MISSING_TOKENS,
    TRUE_TOKENS,
    UNEVALUATED_MSG,
    BadValue,
    Converted,
    Issue,
    fmt,
    missing_kind,
    parse_number,
)


def convert(raw: pd.Series, col: Column) -> Converted:
    """Convert one raw column; positions in ``issues`` refer to ``raw``'s order."""
    fast = _fast_convert(raw, col)
    if fast is not None:
        return fast
    if raw.dtype != object:  # a typed column (parquet) the fast path declined: value by value
        raw = raw.astype(object).where(raw.notna(), None)
    return _convert_exact(raw, col)


DTYPES = {
    "str": "string",
    "int": "Int64",
    "float": "float64",
    "share": "float64",
    "bool": "boolean",
    "date": "datetime64[ns]",
}
