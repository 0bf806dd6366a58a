"""Checks of a converted table's columns: required cells, ranges, scores, spellings, keys."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..schema import KNOWN_PROCEDURES, WAVES, Column, TableSpec
from .check_base import _Checked, _Ctx, _num
from .convert import fmt
from .readers import RawTable

_ABBR = re.compile(r"[а-яё]{2,6}")
_PROC_UPPER = {p.upper(): p for p in KNOWN_PROCEDURES}


def check_required(df: pd.DataFrame, data: pd.DataFrame, c: Column, chk: _Checked, ctx: _Ctx) -> None:
    """Report the empty cells of a required column (unless the cell already failed to convert).

    Parameters
    ----------
    df : pandas.DataFrame
        The converted table.
    data : pandas.DataFrame
        The raw table, positions as in ``df``: the raw value is shown in the message.
    c : Column
        The column checked; nothing happens when it is optional.
    chk : _Checked
        The table's record (its failed cells).
    ctx : _Ctx
        Files the problems.
    """
    if not c.required:
        return
    for pos in df[c.name].isna().to_numpy().nonzero()[0]:
        rv = data[c.name].iat[pos] if c.name in data.columns else None
        if (int(pos), c.name) not in chk.failed:
            ctx.add(
                "error",
                int(pos),
                c.name,
                None if rv is None else fmt(rv) or None,
                "пустое значение в обязательном столбце",
            )


def _range_message(c: Column) -> str:
    """The message for a value outside a column's allowed range."""
    if c.name == "participants":
        return "число участников не может быть отрицательным"
    if c.min is not None and c.max is not None:
        return f"значение вне допустимого диапазона [{_num(c.min)}, {_num(c.max)}]"
    if c.min is not None:
        return f"значение меньше допустимого минимума {_num(c.min)}"
    return f"значение больше допустимого максимума {_num(c.max)}"


def check_range(df: pd.DataFrame, c: Column, ctx: _Ctx) -> None:
    """Report the values of an integer or number column outside its ``[min, max]``.

    Parameters
    ----------
    df : pandas.DataFrame
        The converted table.
    c : Column
        The column checked; nothing happens without bounds or for other kinds.
    ctx : _Ctx
        Files the problems.
    """
    if c.kind not in ("int", "float") or (c.min is None and c.max is None):
        return
    vals = df[c.name].astype("float64")
    out = np.zeros(len(df), dtype=bool)
    if c.min is not None:
        out |= (vals < c.min).fillna(False).to_numpy()
    if c.max is not None:
        out |= (vals > c.max).fillna(False).to_numpy()
    for pos in out.nonzero()[0].tolist():
        ctx.add("error", pos, c.name, _num(float(vals.iloc[pos])), _range_message(c))


def _flag_rows(ctx: _Ctx, level: str, mask: pd.Series, canon: str, shown: pd.Series, message) -> None:
    """File one problem per row where ``mask`` holds; ``message(pos)`` words it."""
    for pos in mask.fillna(False).to_numpy().nonzero()[0]:
        ctx.add(level, int(pos), canon, _num(shown.iloc[pos]), message(pos))


def check_scores(df: pd.DataFrame, ctx: _Ctx) -> None:
    """Mean, minimum and maximum scores consistent; no mean score with zero participants.

    Parameters
    ----------
    df : pandas.DataFrame
        The converted table; nothing happens without ``mean_score`` and ``max_score`` or rows.
    ctx : _Ctx
        Files the problems.
    """
    if not ({"mean_score", "max_score"} <= set(df.columns) and len(df)):
        return
    mean, mx = df["mean_score"], df["max_score"]
    part = df["participants"] if "participants" in df.columns else pd.Series(pd.NA, index=df.index)
    _flag_rows(
        ctx,
        "error",
        mean > mx,
        "mean_score",
        mean,
        lambda p: f"средний балл больше максимального балла ({_num(mx.iloc[p])})",
    )
    if "min_score" in df.columns:
        mn = df["min_score"]
        _flag_rows(
            ctx,
            "error",
            mn >= mx,
            "min_score",
            mn,
            lambda p: f"минимальный балл шкалы не меньше максимального ({_num(mx.iloc[p])})",
        )
        _flag_rows(
            ctx,
            "error",
            mean < mn,
            "mean_score",
            mean,
            lambda p: f"средний балл меньше минимального балла шкалы ({_num(mn.iloc[p])})",
        )
    zero = (part == 0).fillna(False) & mean.notna()
    _flag_rows(ctx, "warning", zero, "mean_score", mean, lambda p: "средний балл указан при нуле участников")


def distinct_values(column: pd.Series) -> tuple[np.ndarray, list, np.ndarray]:
    """A column's distinct present values, each row's code into them (−1: missing) and each
    value's first row position: checks that depend only on the value run once per value.
    """
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    seen, first = np.unique(codes, return_index=True)
    first = first[seen >= 0]  # factorize numbers the values by first appearance: ``first`` ascends
    return codes, list(np.asarray(uniques, dtype=object)), first


def _taken(codes: np.ndarray, values: list) -> pd.arrays.ArrowStringArray:
    """Each row's value from the per-value list (missing where the code is −1)."""
    return pd.array(values, dtype="string").take(codes, allow_fill=True)


def normalise_procedures(df: pd.DataFrame, chk: _Checked, ctx: _Ctx) -> None:
    """Spell the procedures as the standard ones (ЕГЭ, ОГЭ, ВПР, РДР); note unknown ones.

    Parameters
    ----------
    df : pandas.DataFrame
        The converted table, changed in place (its ``procedure`` column).
    chk : _Checked
        The table's record (its conversion notes).
    ctx : _Ctx
        Files the notes on unknown procedures.
    """
    if "procedure" not in df.columns or not len(df):
        return
    codes, given, first = distinct_values(df["procedure"])
    norm = []
    unknown: dict[str, int] = {}
    for v, pos in zip(given, first, strict=True):
        p = _PROC_UPPER.get(v.upper())
        if p is None:
            p = v.upper() if _ABBR.fullmatch(v) else v
            unknown[p] = min(unknown.get(p, int(pos)), int(pos))
        norm.append(p)
    if any(a != b for a, b in zip(norm, given, strict=True)):
        chk.conversions.append("procedure: написание процедур приведено к стандартному (ЕГЭ, ОГЭ, ВПР, РДР)")
    df["procedure"] = _taken(codes, norm)
    for p, pos in sorted(unknown.items(), key=lambda item: item[1]):
        ctx.add("info", pos, "procedure", p, f"неизвестная процедура «{p}» принята как отдельный мониторинг")


def normalise_waves(df: pd.DataFrame, ctx: _Ctx) -> None:
    """Spell the waves in lower case with «е» for «ё»; report the unknown ones.

    Parameters
    ----------
    df : pandas.DataFrame
        The converted table, changed in place (its ``wave`` column).
    ctx : _Ctx
        Files the problems.
    """
    if "wave" not in df.columns or not len(df):
        return
    codes, given, _ = distinct_values(df["wave"])
    norm = [v.casefold().replace("ё", "е") for v in given]
    bad = [k for k, w in enumerate(norm) if w not in WAVES]
    for pos in np.isin(codes, bad).nonzero()[0] if bad else ():
        v = given[codes[pos]]
        ctx.add("error", int(pos), "wave", v, f"срез должен быть одним из: {', '.join(WAVES)}")
    df["wave"] = _taken(codes, norm)


def check_keys(df: pd.DataFrame, raw: RawTable, spec: TableSpec, ctx: _Ctx) -> None:
    """Report every row whose key repeats an earlier row's, with the columns that differ.

    Parameters
    ----------
    df : pandas.DataFrame
        The converted table.
    raw : RawTable
        The raw table (its headers and row numbers, for the messages).
    spec : TableSpec
        The table's specification (its key).
    ctx : _Ctx
        Files the problems.
    """
    key = [k for k in spec.key if k in df.columns]
    if not key or not len(df):
        return
    req_key = [k for k in key if spec.column(k).required]
    sub = df.loc[df[req_key].notna().all(axis=1), key]
    dup = sub.duplicated(keep=False)
    if not dup.any():
        return
    first: dict[tuple, int] = {}
    for pos, vals in zip(sub.index[dup], sub[dup].itertuples(index=False, name=None), strict=True):
        k = tuple("" if pd.isna(x) else str(x) for x in vals)
        if k not in first:
            first[k] = int(pos)
            continue
        desc = ", ".join(
            f"{raw.headers.get(c, spec.column(c).label_ru)}={x}" for c, x in zip(key, k, strict=True) if x
        )
        differ = _differences(df, first[k], int(pos), key, raw.headers, spec)
        ctx.add(
            "error",
            int(pos),
            None,
            None,
            f"повторяющийся ключ ({desc}): строки {raw.rownums[first[k]]} и {raw.rownums[int(pos)]}"
            + (f"; различаются: {differ}" if differ else "; строки совпадают полностью"),
        )


def _differences(
    df: pd.DataFrame, a: int, b: int, key: list[str], headers: dict[str, str], spec: TableSpec
) -> str:
    """Columns whose values differ between two rows with the same key, as «col: «x» / «y»»."""
    out = []
    for c in df.columns:
        if c in key:
            continue
        x, y = df[c].iloc[a], df[c].iloc[b]
        xa, ya = pd.isna(x), pd.isna(y)
        if xa and ya:
            continue
        if xa != ya or x != y:
            label = headers.get(c, spec.column(c).label_ru)
            out.append(f"{label}: «{'' if xa else fmt(x)}» и «{'' if ya else fmt(y)}»")
    return "; ".join(out[:5])
