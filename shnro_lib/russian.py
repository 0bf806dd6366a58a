"""Russian numbers as a reader sees them: decimal comma, thin-space thousands, true minus, «—» for
missing; and words that agree with a number (babel's CLDR plural rules for «ru»).

The one number formatter of the project: reports, Excel notes, figures and texts use these.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import pandas as pd

NBSP_THIN = "\u202f"
MINUS = "\u2212"


def isna(x: Any) -> bool:
    """True for None, NA and NaN (never raises)."""
    try:
        return x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)) or bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def fmt_num(x: Any, digits: int = 1, signed: bool = False) -> str:
    """Russian number format: thin-space thousands, decimal comma, true minus; ``—`` for missing.

    >>> fmt_num(12345.678, 1)
    '12\u202f345,7'
    """
    if isna(x):
        return "—"
    v = float(x)
    if digits == 0:
        v = round(v)
    s = f"{abs(v):,.{digits}f}".replace(",", NBSP_THIN).replace(".", ",")
    if v < 0 and s.strip("0,\u202f"):
        s = MINUS + s
    elif signed and v > 0:
        s = "+" + s
    return s


def fmt_int(x: Any) -> str:
    """An integer in Russian format (``1 234``)."""
    return fmt_num(x, 0)


def fmt_pct(share: Any, digits: int = 1) -> str:
    """A share in [0, 1] as percent: ``0.123 -> '12,3 %'``."""
    if isna(share):
        return "—"
    return f"{fmt_num(float(share) * 100, digits)}{NBSP_THIN}%"


@cache
def _locale():
    from babel import Locale

    return Locale("ru")


def plural_ru(n: float, one: str, few: str, many: str) -> str:
    """The form of a word that agrees with ``n``: ``plural_ru(3, "школа", "школы", "школ") == "школы"``.

    Fractions take the «few» form (CLDR «other»: 1,5 школы).
    """
    form = _locale().plural_form(abs(n))
    return {"one": one, "few": few, "other": few}.get(form, many)


def years_ru(n: int) -> str:
    """«1 год», «3 года», «5 лет»."""
    return f"{int(n)} {plural_ru(int(n), 'год', 'года', 'лет')}"
