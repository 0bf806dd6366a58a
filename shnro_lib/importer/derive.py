"""From the metric cells of a wide sheet to the contract's long ``results`` rows.

One row per source row × subject × grade.  What is derived, and from what:

* ``share_low``: «не преодолели минимальный порог» / participants (ЕГЭ), else the count or share of «2»;
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


def derive_results(sd: SheetData, problems: list[Problem]) -> pd.DataFrame:
    """Long result rows (without ``school_id``) keyed by ``source_row``; errors go to ``problems``."""
    cols = ["source_row", *RESULT_COLUMNS[1:]]
    if sd.values.empty:
        return pd.DataFrame(columns=cols)
    rec = sd.recipe
    out = []
    cells: dict[tuple, list[tuple[str, float, str, float]]] = {}
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
            problems.append(
                _err(
                    sd,
                    row,
                    c,
                    x,
                    "в ячейке проценты («%»), а рецепт ожидает доли от 0 до 1 (shares_percent: false)",
                )
            )
            continue
        cells.setdefault((int(row), subject, int(grade)), []).append((m, float(x), c, float(mx)))
    for (row, subject, grade), group in sorted(cells.items()):
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
        max_score = group[0][3]
        n = vals.get("participants")
        if n is None:
            first = sorted(where)[0]
            problems.append(
                _err(
                    sd,
                    row,
                    where[first],
                    vals.get(first),
                    f"есть показатели предмета «{subject}», но не указано число участников",
                )
            )
            continue
        if n < 0 or not float(n).is_integer():
            problems.append(
                _err(sd, row, where["participants"], n, "число участников — целое неотрицательное")
            )
            continue
        n = int(n)
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
            if m == "participants":
                continue
            if n == 0 and v != 0:
                problems.append(_err(sd, row, where[m], v, "участников 0, а показатель указан"))
                bad = True
            elif m.startswith("count_") and (v < 0 or not float(v).is_integer() or v > n):
                problems.append(
                    _err(sd, row, where[m], v, f"число человек — целое от 0 до числа участников ({n})")
                )
                bad = True
            elif m.startswith("share_"):
                top = 100.0 if rec.shares_percent else 1.0
                if v < 0 or v > top:
                    problems.append(
                        _err(
                            sd,
                            row,
                            where[m],
                            v,
                            f"доля — от 0 до {top:g}" + (" %" if rec.shares_percent else ""),
                        )
                    )
                    bad = True
            elif m == "mean_score" and (v < 0 or v > max_score):
                problems.append(
                    _err(sd, row, where[m], v, f"средний балл — от 0 до максимального ({max_score:g})")
                )
                bad = True
        if bad or n == 0:
            if not bad:
                out.append(r)
            continue
        marks = [f"count_{k}" for k in "2345"]
        if all(m in vals for m in marks) and sum(vals[m] for m in marks) != n:
            problems.append(
                _err(
                    sd,
                    row,
                    where["count_2"],
                    vals["count_2"],
                    f"сумма отметок «2»–«5» ({sum(vals[m] for m in marks):g}) не равна числу "
                    f"участников ({n})",
                )
            )
            continue
        shares = [f"share_{k}" for k in "2345"]
        scale = 100.0 if rec.shares_percent else 1.0
        if all(m in vals for m in shares):
            total = sum(vals[m] for m in shares)
            tol = rec.sum_tolerance_pp * scale / 100.0
            if abs(total - scale) > tol:
                problems.append(
                    _err(
                        sd,
                        row,
                        where["share_2"],
                        vals["share_2"],
                        f"сумма долей отметок «2»–«5» ({total:g}) отличается от {scale:g} "
                        f"больше чем на {tol:g}",
                    )
                )
                continue
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
        if "count_high" in vals:
            if vals["count_high"] > n:
                problems.append(
                    _err(
                        sd,
                        row,
                        where["count_high"],
                        vals["count_high"],
                        f"высоких результатов больше, чем участников ({n})",
                    )
                )
                continue
            r["share_high"] = vals["count_high"] / n
        elif "count_5" in vals:
            r["share_high"] = vals["count_5"] / n
        elif "share_5" in vals:
            r["share_high"] = vals["share_5"] / scale
        out.append(r)
    return pd.DataFrame(out, columns=cols)
