"""From the metric cells of a wide sheet to the contract's long ``results`` rows.

One row per source row × subject × grade.  What is derived, and from what:

* ``share_low``: «не преодолели минимальный порог» / participants (ЕГЭ), else the count or share
  of «2»;
* ``share_quality``: «4» + «5» (counts / participants, or shares);
* ``share_high``: «80–99» + «100 баллов» / participants (ЕГЭ), else «5».

A subject a school did not sit (participants blank) gives no row; participants 0 gives a row
with no scores.  Counts above the number of participants, marks that do not add up, shares
outside 0–100 %, a mean above the scale's maximum are errors naming the cell.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shnro_lib.importer.shapes import SheetData
from shnro_lib.io.problems import Problem

RESULT_COLUMNS = [
    "school_id",
    "year",
    "procedure",
    "subject",
    "grade",
    "participants",
    "mean_score",
    "max_score",
    "share_low",
    "share_quality",
    "share_high",
]


def _err(sd: SheetData, row: int, column: str | None, value: object, message: str) -> Problem:
    shown = None if value is None else (str(int(value)) if float(value).is_integer() else f"{value:g}")
    return Problem("error", sd.file, sd.sheet, int(row), column, shown, message)


Cells = dict[tuple[int, str, int], list[tuple[str, float, str, float]]]


def _group_cells(sd: SheetData, problems: list[Problem]) -> Cells:
    """The metric cells by (source row, subject, grade); percents where shares are expected are errors.

    Returns
    -------
    dict
        ``{(row, subject, grade): [(metric, value, column, max score), ...]}``.
    """
    rec = sd.recipe
    cells: Cells = {}
    v = sd.values
    # plain tuples: a groupby over thousands of tiny groups costs seconds on a regional workbook
    for row, subject, grade, m, x, pct, c, mx in zip(
        v["source_row"],
        v["subject"],
        v["grade"],
        v["metric"],
        v["value"],
        v["percent_sign"],
        v["column"],
        v["max_score"],
        strict=True,
    ):
        if pct and not rec.shares_percent:
            message = "в ячейке проценты («%»), а рецепт ожидает доли от 0 до 1 (shares_percent: false)"
            problems.append(_err(sd, row, c, x, message))
            continue
        cells.setdefault((int(row), subject, int(grade)), []).append((m, float(x), c, float(mx)))
    return cells


def _metric_values(group: list[tuple[str, float, str, float]]) -> tuple[dict[str, float], dict[str, str]]:
    """Values by metric (high-result counts summed) and the first column of each metric."""
    vals: dict[str, float] = {}
    where: dict[str, str] = {}
    high: list[float] = []
    for m, x, c, _ in group:
        where.setdefault(m, c)
        if m == "count_high":
            high.append(x)
        else:
            vals[m] = x
    if high:
        vals["count_high"] = float(sum(high))
    return vals, where


def _participants_error(
    vals: dict[str, float], where: dict[str, str], subject: str
) -> tuple[str, object, str] | None:
    """(column, value, message) when the number of participants is absent or not a count."""
    n = vals.get("participants")
    if n is None:
        first = sorted(where)[0]
        return (
            where[first],
            vals.get(first),
            f"есть показатели предмета «{subject}», но не указано число участников",
        )
    if n < 0 or not float(n).is_integer():
        return where["participants"], n, "число участников — целое неотрицательное"
    return None


def _value_error(m: str, v: float, n: int, shares_percent: bool, max_score: float) -> str | None:
    """Why one metric's value is impossible for ``n`` participants, or ``None``."""
    if n == 0 and v != 0:
        return "участников 0, а показатель указан"
    if m.startswith("count_") and (v < 0 or not float(v).is_integer() or v > n):
        return f"число человек — целое от 0 до числа участников ({n})"
    if m.startswith("share_"):
        top = 100.0 if shares_percent else 1.0
        if v < 0 or v > top:
            return f"доля — от 0 до {top:g}" + (" %" if shares_percent else "")
        return None
    if m == "mean_score" and (v < 0 or v > max_score):
        return f"средний балл — от 0 до максимального ({max_score:g})"
    return None


def _sum_error(
    vals: dict[str, float], where: dict[str, str], n: int, scale: float, tolerance_pp: float
) -> tuple[str, float, str] | None:
    """(column, value, message) when the marks «2»–«5» do not add up to the participants (or 100 %)."""
    marks = [f"count_{k}" for k in "2345"]
    if all(m in vals for m in marks) and sum(vals[m] for m in marks) != n:
        message = f"сумма отметок «2»–«5» ({sum(vals[m] for m in marks):g}) не равна числу участников ({n})"
        return where["count_2"], vals["count_2"], message
    shares = [f"share_{k}" for k in "2345"]
    if all(m in vals for m in shares):
        total = sum(vals[m] for m in shares)
        tol = tolerance_pp * scale / 100.0
        if abs(total - scale) > tol:
            message = f"сумма долей отметок «2»–«5» ({total:g}) отличается от {scale:g} больше чем на {tol:g}"
            return where["share_2"], vals["share_2"], message
    return None


def _shares(vals: dict[str, float], n: int, scale: float) -> dict[str, float]:
    """Mean score, low and quality shares derived from the counts or shares given."""
    r: dict[str, float] = {}
    if "mean_score" in vals:
        r["mean_score"] = vals["mean_score"]
    if "count_low" in vals:
        r["share_low"] = vals["count_low"] / n
    elif "count_2" in vals:
        r["share_low"] = vals["count_2"] / n
    elif "share_2" in vals:
        r["share_low"] = vals["share_2"] / scale
    if "count_4" in vals and "count_5" in vals:
        r["share_quality"] = (vals["count_4"] + vals["count_5"]) / n
    elif "share_4" in vals and "share_5" in vals:
        r["share_quality"] = min(1.0, (vals["share_4"] + vals["share_5"]) / scale)
    return r


def _share_high(vals: dict[str, float], n: int, scale: float) -> float | None:
    """Share of high results: high-result counts, else «5» counts, else «5» shares (NaN: none given)."""
    if "count_high" in vals:
        return None if vals["count_high"] > n else vals["count_high"] / n
    if "count_5" in vals:
        return vals["count_5"] / n
    if "share_5" in vals:
        return vals["share_5"] / scale
    return np.nan


def _result_row(
    sd: SheetData,
    key: tuple[int, str, int],
    group: list[tuple[str, float, str, float]],
    problems: list[Problem],
) -> dict | None:
    """The result row of one source row × subject × grade, or ``None`` after an error.

    Parameters
    ----------
    sd : SheetData
        The sheet (its year, recipe, file and sheet names).
    key : tuple of (int, str, int)
        Source row, subject and grade.
    group : list of tuple
        Its metric cells ``(metric, value, column, max score)``.
    problems : list of Problem
        Receives the errors, naming the cell.

    Returns
    -------
    dict or None
        The row, in the contract's columns with ``source_row``.
    """
    row, subject, grade = key
    rec = sd.recipe
    vals, where = _metric_values(group)
    max_score = group[0][3]
    wrong = _participants_error(vals, where, subject)
    if wrong is not None:
        problems.append(_err(sd, row, *wrong))
        return None
    n = int(vals["participants"])
    r = {
        "source_row": row,
        "year": sd.year,
        "procedure": rec.procedure,
        "subject": subject,
        "grade": grade,
        "participants": n,
        "mean_score": np.nan,
        "max_score": max_score,
        "share_low": np.nan,
        "share_quality": np.nan,
        "share_high": np.nan,
    }
    bad = False
    for m, v in vals.items():
        message = None if m == "participants" else _value_error(m, v, n, rec.shares_percent, max_score)
        if message is not None:
            problems.append(_err(sd, row, where[m], v, message))
            bad = True
    if bad:
        return None
    if n == 0:
        return r
    scale = 100.0 if rec.shares_percent else 1.0
    wrong = _sum_error(vals, where, n, scale, rec.sum_tolerance_pp)
    if wrong is not None:
        problems.append(_err(sd, row, *wrong))
        return None
    r.update(_shares(vals, n, scale))
    high = _share_high(vals, n, scale)
    if high is None:
        message = f"высоких результатов больше, чем участников ({n})"
        problems.append(_err(sd, row, where["count_high"], vals["count_high"], message))
        return None
    r["share_high"] = high
    return r


def derive_results(sd: SheetData, problems: list[Problem]) -> pd.DataFrame:
    """Long result rows (without ``school_id``) keyed by ``source_row``; errors go to ``problems``.

    Parameters
    ----------
    sd : SheetData
        A read sheet: its metric cells (``values``), recipe, year and names.
    problems : list of Problem
        Receives every error, naming the cell.

    Returns
    -------
    pandas.DataFrame
        ``source_row`` and the contract's ``results`` columns but ``school_id``; rows with an
        error are left out.
    """
    cols = ["source_row", *RESULT_COLUMNS[1:]]
    if sd.values.empty:
        return pd.DataFrame(columns=cols)
    out = []
    for key, group in sorted(_group_cells(sd, problems).items()):
        r = _result_row(sd, key, group, problems)
        if r is not None:
            out.append(r)
    return pd.DataFrame(out, columns=cols)
