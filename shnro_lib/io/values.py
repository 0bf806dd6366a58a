"""Value primitives shared by both conversion paths: missing tokens, issues, number parsing."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd

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
