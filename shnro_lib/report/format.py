"""Russian number formats, display tables with Russian headers, small-group suppression."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from shnro_lib.excel_format import plain_integer_column
from shnro_lib.russian import fmt_int, fmt_num, fmt_pct, isna, plural_ru

SYNTHETIC_TEXT = "СИНТЕТИЧЕСКИЕ ДАННЫЕ"
SUPPRESSED = "скрыто*"


def esc(text: Any) -> str:
    """HTML-escape any value (quotes included)."""
    return html.escape("" if text is None else str(text), quote=True)


def auto_format(col: str, s: pd.Series) -> pd.Series:
    """Text of a column by its kind: booleans да/нет, integers, shares in percent, roubles, other numbers."""
    if pd.api.types.is_bool_dtype(s):
        return s.map(lambda v: "—" if isna(v) else ("да" if v else "нет"), na_action=None)
    if pd.api.types.is_integer_dtype(s) and not plain_integer_column(col):
        return s.map(fmt_int, na_action=None)
    if pd.api.types.is_float_dtype(s):
        if (
            col.startswith("share")
            or col.startswith("p_")
            or col.endswith("_share")
            or col.startswith("region_share")
        ):
            return s.map(fmt_pct, na_action=None)
        if "rub" in col or col.startswith("spending") or col in ("distance_km", "participants"):
            return s.map(lambda v: "—" if isna(v) else fmt_int(round(float(v))), na_action=None)
        return s.map(lambda v: fmt_num(v, 2), na_action=None)
    return s.map(lambda v: "—" if isna(v) else str(v), na_action=None)


def display_frame(
    df: pd.DataFrame, labels: Mapping[str, str], formats: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """The text form of a table: Russian headers, Russian number formats, «—» for missing.

    ``formats`` maps a column to a function value -> text; text cells (e.g. «скрыто*» left by
    :func:`suppress_small`) are kept as they are.
    """
    formats = dict(formats or {})
    out = pd.DataFrame(index=range(len(df)))
    for col in df.columns:
        s = df[col].reset_index(drop=True)
        fn = formats.get(col)
        head = labels.get(col, str(col))
        if fn is not None:
            out[head] = s.map(lambda v, f=fn: v if isinstance(v, str) else ("—" if isna(v) else f(v)))
        elif s.dtype == object and s.map(lambda v: isinstance(v, str)).any():
            out[head] = s.map(
                lambda v, c=col: v if isinstance(v, str) else auto_format(c, pd.Series([v])).iloc[0]
            )
        else:
            out[head] = auto_format(str(col), s)
    return out


def suppress_small(df: pd.DataFrame, count_col: str, value_cols: Sequence[str], min_n: int) -> pd.DataFrame:
    """Hide values computed on fewer than ``min_n`` participants.

    Returns
    -------
    DataFrame
        A copy; value columns of suppressed rows hold «скрыто*»; ``attrs['note']`` carries the
        Russian note shown under the table, ``attrs['n_suppressed']`` the number of rows.
    """
    out = df.copy()
    counts = pd.to_numeric(out[count_col], errors="coerce").astype(float)
    small = (counts < min_n).fillna(False).to_numpy()
    n = int(small.sum())
    if n:
        for col in value_cols:
            if col not in out.columns:
                continue
            out[col] = auto_format(col, out[col]).where(~small, SUPPRESSED).astype(object)
        out.attrs["note"] = (
            f"* Значения скрыты в {fmt_int(n)} {plural_ru(n, 'строке', 'строках', 'строках')}: "
            f"в группе меньше {min_n} участников "
            "(защита персональных данных и ненадёжность оценок по малым группам)."
        )
    elif len(out) and counts.isna().all():
        out.attrs["note"] = (
            f"Число участников в данных не указано: значения малых групп (меньше {min_n} "
            "участников) не скрыты — их нельзя распознать."
        )
    out.attrs["n_suppressed"] = n
    return out


def procedure_order(values: Iterable[str]) -> list[str]:
    """Procedures in the usual order (ЕГЭ, ОГЭ, ВПР, РДР), others after them alphabetically."""
    known = ["ЕГЭ", "ОГЭ", "ВПР", "РДР"]
    vals = sorted(set(str(v) for v in values))
    return [p for p in known if p in vals] + [p for p in vals if p not in known]


_SHORT_NAMES = (
    ("средняя общеобразовательная школа", "СОШ"),
    ("основная общеобразовательная школа", "ООШ"),
    ("начальная общеобразовательная школа", "НОШ"),
    ("с углублённым изучением отдельных предметов", "с УИОП"),
    ("общеобразовательная", "общеобр."),
)


def short_school_name(name: str) -> str:
    """A school name shortened the way Russian reports do («СОШ», «ООШ», «с УИОП») for figure labels."""
    out = str(name)
    for long, short in _SHORT_NAMES:
        out = re.sub(long, short, out, flags=re.IGNORECASE)
    return out
