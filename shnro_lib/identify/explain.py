"""Russian texts: formatted values, thresholds, the criteria table, per-school explanations, headers."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shnro_lib.identify.constants import OP_RU
from shnro_lib.identify.rules import load_rules
from shnro_lib.labels import LABELS_RU
from shnro_lib.vocabulary import name_ru


def _fmt(v: Any, kind: str) -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)) or v is pd.NA:
        return "нет данных"
    if kind == "bool":
        return "да" if bool(v) else "нет"
    v = float(v)
    if kind == "pct":
        s = f"{v * 100:.1f} %"
    elif kind == "pct2":
        s = f"{v * 100:.2f} %"
    elif kind == "points":
        s = f"{v:.1f} балла"
    elif kind == "count":
        s = f"{v:.0f}"
    elif kind == "number":
        s = f"{v:.1f}"
    elif kind == "number2":
        s = f"{v:.2f}"
    else:
        s = f"{v:+.2f}"
    # a true minus, as every reader-facing number (shnro_lib.report.format.fmt_num)
    return s.replace(".", ",").replace("-", "\u2212")


# the printf form of each numeric kind of _fmt (``"%.2f" % v`` is ``f"{v:.2f}"``) and its suffix
_NUMBER_FORMS = {
    "pct": ("%.1f", 100.0, " %"),
    "pct2": ("%.2f", 100.0, " %"),
    "points": ("%.1f", None, " балла"),
    "count": ("%.0f", None, ""),
    "number": ("%.1f", None, ""),
    "number2": ("%.2f", None, ""),
}


def _fmt_many(values: pd.Series, kind: str) -> list[str]:
    """:func:`_fmt` of every value of a column: a float column is formatted in one pass (the
    same printf formatting and the same missing text), any other one value by value."""
    if kind == "bool" or values.dtype != np.float64:
        return [_fmt(v, kind) for v in values.tolist()]
    form, scale, suffix = _NUMBER_FORMS.get(kind, ("%+.2f", None, ""))
    x = values.to_numpy(dtype=np.float64)
    finite = np.isfinite(x).tolist()
    xs = (x * scale if scale is not None else x).tolist()
    minus = "\u2212"
    return [
        (form % v + suffix).replace(".", ",").replace("-", minus) if ok else "нет данных"
        for v, ok in zip(xs, finite, strict=True)
    ]


def _threshold_ru(c: dict, cut: float = np.nan) -> str:
    op, kind = c["op"], c["format"]
    if op == "is_true":
        return "признак установлен"
    if op == "bottom_share":
        s = f"нижние {c['threshold'] * 100:.0f} % школ"
        return s + (f" (отсечение {_fmt(cut, kind)})" if np.isfinite(cut) else "")
    if op == "top_share":
        return f"верхние {c['threshold'] * 100:.0f} % школ"
    if op == "top_cumulative_share":
        return f"наименьшая группа школ с более чем {c['threshold'] * 100:.0f} % всех случаев в регионе"
    return f"{OP_RU[op]} {_fmt(c['threshold'], kind)}"


def criteria_table_ru(rules: str | Path | dict) -> pd.DataFrame:
    """Every criterion of a rule set as a Russian table (for the «Критерии» sheet)."""
    r = load_rules(rules)
    cat_of: dict[str, list[str]] = {}
    for cat, spec in r["categories"].items():
        for cl in spec["any_of"]:
            for cname in cl["criteria"]:
                cat_of.setdefault(cname, []).append(cat)
    rows = []
    for name, c in r["criteria"].items():
        pers = c["persistence"]
        rows.append(
            {
                "Код": f"crit_{name}",
                "Критерий": c["title_ru"],
                "Категория": ", ".join(sorted(set(cat_of.get(name, [])))) or "—",
                "Группа (считается один раз)": next(
                    (g for g, m in (r["groups"] or {}).items() if name in m), "—"
                ),
                "Показатель": c["indicator"],
                "Порог": _threshold_ru(c),
                "Окно, лет": int(c["window"]),
                "Устойчивость": f"{pers['k']} из {pers['n']} лет" if pers else "—",
                "Минимальная группа": c["min_n"] if c["min_n"] is not None else "—",
                "Запас для «зоны риска»": c["risk_margin"] if c["risk_margin"] is not None else "—",
            }
        )
    return pd.DataFrame(rows)


def _value_ru(e: pd.DataFrame, sid: str, c: dict) -> str:
    if c["op"] == "is_true":
        return ""
    if "shown" in e.columns:
        return f" {_fmt(e.at[sid, 'shown'], 'number2')} к региону"
    return f" {_fmt(e.at[sid, 'value'], c['format'])}"


def _short_ru(c: dict, r: dict) -> str:
    # the result-index criterion selects on the plain or the shrunken index (the rule's method):
    # its phrase names the one whose value it shows, as the tables do
    if c["indicator"] != "result_index":
        return c["short_ru"]
    used = "shrunken_index" if r["result_index"]["method"] == "shrunken" else "result_index"
    full = name_ru(used)
    return full[0].lower() + full[1:]


def criterion_phrase(name: str, sid: str, evals: dict, r: dict) -> str:
    """«<short name> <value> (порог: <threshold>)» for one school."""
    c, e = r["criteria"][name], evals[name]
    if c["op"] == "is_true":
        return c["short_ru"]
    return f"{_short_ru(c, r)}{_value_ru(e, sid, c)} (порог: {_threshold_ru(c, e.attrs.get('cut', np.nan))})"


def criterion_phrases(name: str, evals: dict, r: dict) -> pd.Series:
    """:func:`criterion_phrase` of one criterion for every school at once (indexed like ``evals``)."""
    c, e = r["criteria"][name], evals[name]
    if c["op"] == "is_true":
        return pd.Series(c["short_ru"], index=e.index, dtype=object)
    tail = f" (порог: {_threshold_ru(c, e.attrs.get('cut', np.nan))})"
    # the same values as _value_ru reads cell by cell, taken as one list (the threshold text is shared)
    if "shown" in e.columns:
        values = [f" {v} к региону" for v in _fmt_many(e["shown"], "number2")]
    else:
        values = [f" {v}" for v in _fmt_many(e["value"], c["format"])]
    short = _short_ru(c, r)
    return pd.Series([f"{short}{v}{tail}" for v in values], index=e.index, dtype=object)


def school_sentence(
    category: str,
    decisive: dict[str, list[str]],
    evals: dict,
    r: dict,
    risk_reasons: list[str],
    sid: str,
    max_criteria: int = 3,
    phrases: Mapping[str, Mapping[str, str]] | None = None,
) -> str:
    """One short sentence: the category and up to ``max_criteria`` decisive criteria.

    The decisive criteria are those of the first met condition of each category, in the order
    of the rule file (ШНРО first), so the sentence is the same on every run.

    Parameters
    ----------
    phrases : ``{criterion: {school_id: phrase}}`` from :func:`criterion_phrases`, when the
        sentences of many schools are written (otherwise each phrase is formatted here).
    """

    def phrase(n: str) -> str:
        return phrases[n][sid] if phrases is not None else criterion_phrase(n, sid, evals, r)

    if category in ("ШНРО", "ШНСУ", "ШНРО и ШНСУ"):
        names: list[str] = []
        for cat in ("ШНРО", "ШНСУ"):
            for n in decisive.get(cat, []):
                if n not in names:
                    names.append(n)
        group_of = {m: g for g, members in (r["groups"] or {}).items() for m in members}
        items: list[str] = []
        seen: dict[str, int] = {}
        for n in names:  # criteria of one group are one condition: «территория: a, b»
            g = group_of.get(n)
            if g is None:
                items.append(phrase(n))
            elif g in seen:
                items[seen[g]] += f", {phrase(n)}"
            else:
                seen[g] = len(items)
                items.append(f"{g}: {phrase(n)}")
        shown = items[:max_criteria]
        more = f" и ещё {len(items) - max_criteria}" if len(items) > max_criteria else ""
        return f"{category}: " + "; ".join(shown) + more + "."
    if category == "зона риска":
        more = f" и ещё {len(risk_reasons) - max_criteria}" if len(risk_reasons) > max_criteria else ""
        return "Зона риска: " + "; ".join(risk_reasons[:max_criteria]) + more + "."
    if category == "не оценено":
        return "Не оценено: нет данных для проверки условий категорий."
    return "Не отнесена к ШНРО и ШНСУ."


def criteria_matrix_ru(
    table: pd.DataFrame, rules: str | Path | dict, listed_only: bool = True
) -> pd.DataFrame:
    """A compact ✓/✗ table of the criteria per school for reports («—»: not evaluable).

    Columns: «Код ОО», «Школа», «Категория», then one short criterion name per column in the
    order of the rule file; rows sorted by category then school code.
    """
    r = load_rules(rules)
    t = table
    if listed_only:
        t = t[t["category"].isin(["ШНРО", "ШНСУ", "ШНРО и ШНСУ", "зона риска"])]
    order = {"ШНРО и ШНСУ": 0, "ШНРО": 1, "ШНСУ": 2, "зона риска": 3}
    t = t.assign(_o=t["category"].map(order).fillna(9)).sort_values(["_o", "school_id"], kind="mergesort")
    out = pd.DataFrame(
        {
            "Код ОО": t["school_id"].to_numpy(),
            "Школа": t["name"].to_numpy(),
            "Категория": t["category"].to_numpy(),
        }
    )
    for name, c in r["criteria"].items():
        col = f"crit_{name}"
        if col in t.columns:
            out[c["short_ru"]] = ["—" if v is pd.NA else "✓" if bool(v) else "✗" for v in t[col]]
    return out


COLUMN_LABELS_RU = {
    "school_id": "Код ОО",
    "name": "Наименование ОО",
    "municipality": "Муниципальный район",
    "category": "Категория",
    "result_index": "Индекс результатов",
    "result_index_se": "Ст. ошибка индекса",
    "shrunken_index": "Индекс (байесовская оценка)",
    "p_bottom_quartile": "Вероятность нижних 25 %",
    "borderline": "Пограничная",
    "social_wellbeing_index": "ИСБ",
    "staff_index": "Индекс кадров",
    "resources_index": "Индекс ресурсов",
    "risk_zone_reasons": "Причины зоны риска",
    "risks_high": "Высокие риски (500+)",
    "risks_medium": "Средние риски (500+)",
    "explanation": "Пояснение",
    "category_prev": "Категория в прошлом году",
    "change": "Изменение",
    "years_listed": "Лет в списке",
    "years_listed_window": "Лет в списке за окно правил",
    "years_evaluated": "Лет в окне правил оценено",
    "not_assessed": "Не оценены (нет данных у школы)",
    "unassessed_categories": "Категории не оценены",
    "social_wellbeing_index_coverage": "ИСБ: полнота данных",
    "staff_index_coverage": "Индекс кадров: полнота данных",
    "resources_index_coverage": "Индекс ресурсов: полнота данных",
}


def column_labels_ru(rules: str | Path | dict) -> dict[str, str]:
    """Russian headers for the identification table, including one per criterion."""
    r = load_rules(rules)
    # one header per column in every view: the report's shared labels win over the local ones
    labels = {k: LABELS_RU.get(k, v) for k, v in COLUMN_LABELS_RU.items()}
    labels["p_bottom_quartile"] = name_ru(
        "p_bottom_quartile", share=f"{r['result_index']['bottom_share'] * 100:.0f}"
    )
    for name, c in r["criteria"].items():
        labels[f"crit_{name}"] = f"Критерий: {c['title_ru']}"
    return labels
