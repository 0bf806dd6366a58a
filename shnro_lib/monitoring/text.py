"""What a reader sees of an indicator: its value with the number of schools behind a small share,
its target or where to set one, and «нет школ» kept apart from «нет данных».

:func:`with_reader_text` adds ``value_ru`` and ``target_ru`` to the indicator table
(:func:`shnro_lib.monitoring.evaluate_indicators`); the municipal and regional reports and the status
grid show these texts, so every view says the same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set

import pandas as pd

from shnro_lib.russian import plural_ru

from .config import IndicatorSpec

NBSP_THIN = "\u202f"
MINUS = "\u2212"
# the value of a share over no school (the status names them: «в муниципалитете нет школ ШНСУ»)
NO_SCHOOLS_VALUE = "нет школ"
# the tables an indicator may require, by the names the data contract gives them
TABLES_RU = {
    "results": "«Результаты оценочных процедур»",
    "programme": "«Участие в программе»",
    "process": "«Процесс программы»",
    "staff": "«Кадровый потенциал»",
    "resources": "«Ресурсы и условия»",
    "context": "«Социальный контекст»",
}


def _num(v: float, digits: int) -> str:
    s = f"{abs(v):,.{digits}f}".replace(",", NBSP_THIN).replace(".", ",")
    return (MINUS + s) if v < 0 and s.strip("0,\u202f") else s


def value_text(value: float, unit: str, digits: int = 1) -> str:
    """An indicator's value in Russian: a share in percent (``12,5 %``), a count, an index (2 digits)."""
    if value is None or pd.isna(value):
        return "—"
    if unit == "share":
        return f"{_num(float(value) * 100, digits)}{NBSP_THIN}%"
    if unit == "count":
        return _num(float(value), 0)
    return _num(float(value), 2)


def schools_dative(n: int) -> str:
    """«по 1 школе», «по 3 школам»."""
    return f"по {int(n)} {plural_ru(int(n), 'школе', 'школам', 'школам')}"


def share_with_n(value: float, numerator: float, n_used: int, of_schools: bool, below: int) -> str:
    """A share with its number of schools when fewer than ``below`` schools make it:
    «50 % (1 из 2)» for a share of schools, «45 % (по 3 школам)» for another share."""
    if value is None or pd.isna(value) or int(n_used) >= int(below) or int(n_used) <= 0:
        return value_text(value, "share")
    text = value_text(value, "share", digits=0)  # a share of a few schools has no tenths to show
    if of_schools and pd.notna(numerator):
        return f"{text} ({int(round(float(numerator)))} из {int(n_used)})"
    return f"{text} ({schools_dative(int(n_used))})"


def category_words(categories: Sequence[str]) -> str:
    """The schools a category filter selects, in words: [ШНРО, ШНСУ, ШНРО и ШНСУ] → «ШНРО и ШНСУ»,
    [ШНРО, ШНРО и ШНСУ] → «ШНРО» (a combined category is part of either of its parts)."""
    cats = [str(c) for c in categories]
    plain = [c for c in cats if not any(part in cats for part in c.split(" и ") if part != c)]
    return " и ".join(plain)


def no_schools_text(spec: IndicatorSpec, level: str) -> str:
    """«в муниципалитете нет школ ШНСУ» (``level``: ``регион`` or ``муниципалитет``), from the
    indicator's filter; a filter on other columns: «нет школ, к которым относится показатель»."""
    where = "в регионе" if level == "регион" else "в муниципалитете"
    filt = dict(spec.filter or {})
    if set(filt) == {"category"}:
        return f"{where} нет школ {category_words(filt['category'])}"
    if set(filt) == {"category_prev"}:
        return f"{where} в прошлом году не было школ {category_words(filt['category_prev'])}"
    return f"{where} нет школ, к которым относится показатель"


def tables_missing_text(tables: Sequence[str]) -> str:
    """«в наборе данных нет таблицы «Процесс программы»» (tables by their Russian names)."""
    names = [TABLES_RU.get(t, f"«{t}»") for t in tables]
    word = "таблицы" if len(names) == 1 else "таблиц"
    return f"в наборе данных нет {word} " + ", ".join(names)


def known_schools(panel: pd.DataFrame, spec: IndicatorSpec, by: Sequence[str]) -> pd.DataFrame:
    """School-years per ``by`` group whose filter columns are known (``n_known``): the schools among
    which «none passes the filter» is a fact, not a lack of data."""
    cols = [c for c in (spec.filter or {}) if c in panel.columns]
    known = panel[list(by)].copy()
    known["n_known"] = panel[cols].notna().all(axis=1).astype(int) if cols else 1
    return known.groupby(list(by), dropna=False)["n_known"].sum().reset_index()


def numerator_is_flag(panel: pd.DataFrame, spec: IndicatorSpec) -> bool:
    """Whether a mean's numerator is a yes/no of each school (so the share is «k из n» schools)."""
    num = spec.numerator
    if spec.aggregation != "mean" or not isinstance(num, str) or num not in panel.columns:
        return False
    vals = pd.to_numeric(panel[num], errors="coerce").dropna()
    return bool(len(vals)) and bool(vals.isin([0, 1]).all())


def with_reader_text(
    table: pd.DataFrame, of_schools: Mapping[str, bool], with_target: Set[str], below: int
) -> pd.DataFrame:
    """``table`` with ``value_ru`` (the value as the reports show it) and ``target_ru`` (the target,
    or that none is set: «не задана», «нет на этот год»).

    Parameters
    ----------
    table : the indicator table (``indicator, unit, value, numerator, n_used, target, status, note``).
    of_schools : indicator -> its share counts schools (:func:`numerator_is_flag`).
    with_target : the indicators the data set gives a target (a trajectory) for.
    below : a share of fewer schools than this shows their number.
    """
    out = table.copy()
    values = []
    for r in out[["indicator", "unit", "value", "numerator", "n_used", "status", "note"]].itertuples():
        if r.status == "no_schools" and pd.isna(r.value):
            # a share over no school (a count is 0): short in a value's cell, the status says which
            values.append(NO_SCHOOLS_VALUE)
        elif str(r.unit) == "share":
            values.append(
                share_with_n(r.value, r.numerator, int(r.n_used), bool(of_schools.get(r.indicator)), below)
            )
        else:
            values.append(value_text(r.value, str(r.unit)))
    out["value_ru"] = values
    out["target_ru"] = [
        value_text(t, str(u)) if pd.notna(t) else ("нет на этот год" if ind in with_target else "не задана")
        for ind, t, u in zip(out["indicator"], out["target"], out["unit"], strict=True)
    ]
    return out
