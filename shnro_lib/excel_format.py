"""Number formats of Excel cells: decimals from the quantity, a true minus, years without separators.

Excel shows the format with the reader's decimal separator (a comma in a Russian Excel), so the codes
here use the point of the format language.  A quantity of the vocabulary takes its decimals from its
display format; any other numeric column gets a format from its values (whole numbers without
decimals, years without a thousands separator, small fractions with three digits).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from shnro_lib.russian import MINUS

# a year, a grade or a code: a whole number shown as it is, never «2 022»
_PLAIN_INT = re.compile(r"(^|_)(year|years|cohort|grade|class|rank|since|listed|left_year)($|_)")
_PLAIN_WORDS = ("год", "класс", "ранг", "впервые", "последний год")


def _signed(body: str, plus: bool = False) -> str:
    """A format with a true minus sign («−1,71»), and ``+`` before positive values when asked."""
    pos = f"+{body}" if plus else body
    return f'{pos};"{MINUS}"{body};{body}'


def signed_format(body: str, plus: bool = False) -> str:
    """The Excel format ``body`` (e.g. ``"0.0"``) with a true minus, and ``+`` before positive values
    when ``plus``: for a caller that knows a quantity's decimals."""
    return _signed(body, plus)


VOCABULARY_FORMATS = {
    "index": _signed("0.00", plus=True),
    "number2": _signed("0.00"),
    "int": "0",
    "share": "0.0%",
    "probability": "0.0%",
}


def _vocabulary_format(column: str) -> str | None:
    from shnro_lib.vocabulary import vocabulary

    q = vocabulary().get(column)
    return None if q is None or q.format == "text" else VOCABULARY_FORMATS[q.format]


def plain_integer_column(column: object, header: object = "") -> bool:
    """A column of years, grades, ranks or codes (no thousands separator)."""
    name = str(column).lower()
    head = str(header).lower()
    return bool(_PLAIN_INT.search(name)) or name.isdigit() or any(w in head for w in _PLAIN_WORDS)


def number_format(values: pd.Series, column: object = "", header: object = "") -> str | None:
    """The Excel number format of a column, or ``None`` when it holds no numbers.

    Parameters
    ----------
    values : the column (numbers, possibly with missing values).
    column : the column's id (its quantity in the vocabulary, or a year-like name).
    header : the Russian header shown (a year-like header keeps whole numbers plain).
    """
    values = pd.Series(values)
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        nums = pd.Series(values.to_numpy(dtype="float64", na_value=np.nan))
    else:
        nums = pd.to_numeric(
            values.map(
                lambda v: (
                    v
                    if isinstance(v, int | float | np.number) and not isinstance(v, bool | np.bool_)
                    else np.nan
                )
            ),
            errors="coerce",
        )
    nums = nums[np.isfinite(nums)]
    if nums.empty:
        return None
    if isinstance(column, str):
        fmt = _vocabulary_format(column)
        if fmt is not None:
            if fmt.endswith("%") and (nums.abs() > 1).any():  # shares stored as percent points
                return _signed("0.0")
            return fmt
    name = str(column)
    if (name.endswith(("_coverage", "_share")) or name.startswith("share_")) and (nums.abs() <= 1).all():
        return "0%" if name.endswith("_coverage") else "0.0%"  # a share of 0..1 in percent
    whole = bool((nums == nums.round()).all())
    if whole:
        if plain_integer_column(column, header) or nums.abs().max() < 10000:
            return _signed("0")
        return _signed("#,##0")
    biggest = float(nums.abs().max())
    if biggest >= 1000:
        return _signed("#,##0")
    if biggest >= 10:
        return _signed("0.0")
    if biggest < 0.1:
        return _signed("0.000")
    return _signed("0.00")
