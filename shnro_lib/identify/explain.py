"""Russian texts: formatted values, thresholds, the criteria table, per-school explanations, headers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shnro_lib.identify.constants import OP_RU
from shnro_lib.identify.rules import load_rules


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
    return s.replace(".", ",")


def _threshold_ru(c: dict, cut: float = np.nan) -> str:
    op, kind = c["op"], c.get("format", "number")
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
        pers = c.get("persistence")
        rows.append({
            "Код": f"crit_{name}",
            "Критерий": c.get("title_ru", name),
            "Категория": ", ".join(sorted(set(cat_of.get(name, [])))) or "—",
            "Показатель": c["indicator"],
            "Порог": _threshold_ru(c),
            "Окно, лет": int(c.get("window", 1)),
            "Устойчивость": f"{pers['k']} из {pers['n']} лет" if pers else "—",
            "Минимальная группа": c.get("min_n", "—"),
            "Запас для «зоны риска»": c.get("risk_margin", "—"),
        })
    return pd.DataFrame(rows)




def _explain(sid: str, out: pd.DataFrame, evals: dict, r: dict) -> str:
    fired, missing = [], []
    for name, e in evals.items():
        c = r["criteria"][name]
        f = e.at[sid, "fired"]
        title = c.get("title_ru", name)
        if f is pd.NA:
            missing.append(f"«{title}»")
        elif bool(f):
            kind = c.get("format", "number")
            if "shown" in e.columns:
                val = f"отношение к региону {_fmt(e.at[sid, 'shown'], 'number2')}"
            else:
                val = f"значение {_fmt(e.at[sid, 'value'], kind)}"
            fired.append(f"«{title}» ({val}; порог: {_threshold_ru(c, e.attrs.get('cut', np.nan))})")
    cat = out.at[sid, "category"]
    parts = [f"Категория: {cat}."]
    parts.append("Выполнены критерии: " + "; ".join(fired) + "." if fired else "Ни один критерий не выполнен.")
    if cat == "зона риска":
        parts.append(f"Зона риска: {out.at[sid, 'risk_zone_reasons']}.")
    if missing:
        parts.append("Не оценены из-за отсутствия данных: " + "; ".join(missing) + ".")
    rh = out.at[sid, "risks_high"] if "risks_high" in out.columns else None
    if isinstance(rh, str) and rh:
        parts.append(f"Высокие риски (профиль 500+): {rh}.")
    return " ".join(parts)



COLUMN_LABELS_RU = {
    "school_id": "Код ОО", "name": "Наименование ОО", "municipality": "Муниципальный район",
    "category": "Категория", "result_index": "Индекс результатов", "result_index_se": "Ст. ошибка индекса",
    "shrunken_index": "Индекс (байесовская оценка)", "p_bottom_quartile": "Вероятность нижних 25 %",
    "borderline": "Пограничная", "social_wellbeing_index": "ИСБ", "staff_index": "Индекс кадров",
    "resources_index": "Индекс ресурсов", "risk_zone_reasons": "Причины зоны риска",
    "risks_high": "Высокие риски (500+)", "risks_medium": "Средние риски (500+)", "explanation": "Пояснение",
    "category_prev": "Категория в прошлом году", "change": "Изменение", "years_listed": "Лет в списке",
    "years_evaluated": "Лет оценено",
}


def column_labels_ru(rules: str | Path | dict) -> dict[str, str]:
    """Russian headers for the identification table, including one per criterion."""
    r = load_rules(rules)
    labels = dict(COLUMN_LABELS_RU)
    for name, c in r["criteria"].items():
        labels[f"crit_{name}"] = f"Критерий: {c.get('title_ru', name)}"
    return labels
