"""The monitoring method annex (Russian) and the Russian column labels."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from .config import load_monitoring_config

# --------------------------------------------------------------------------- method annex


def _column_ru(column: str) -> str:
    """A panel column by its Russian header (lower case), the code in «» where none is known."""
    from shnro_lib.labels import LABELS_RU
    from shnro_lib.schema import TABLES

    contract = {c.name: c.label_ru for t in TABLES.values() for c in t.columns if c.label_ru}
    base = column.removesuffix("_prev")
    title = LABELS_RU.get(column) or LABELS_RU.get(base) or contract.get(column) or contract.get(base)
    if title is None:
        return f"«{column}»"
    # lower case but for an abbreviation («ШНРО (признак)» stays, not «шНРО»)
    if not title[1:2].isupper():
        title = title[0].lower() + title[1:]
    return title + (" в прошлом году" if column != base and column not in LABELS_RU else "")


def _where_ru(expr: str) -> str:
    """A filter expression with its column names in Russian."""
    import re

    return re.sub(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b", lambda m: _column_ru(m.group(0)), str(expr))


def monitoring_method_ru(
    config: str | Path | Mapping | None = None, targets: Mapping[str, Mapping] | None = None
) -> str:
    """Markdown (Russian) for the method annex: every indicator's formula, targets, transitions."""
    cfg = load_monitoring_config(config)
    agg_ru = {
        "count": "число школ, у которых выполнено условие",
        "sum": "сумма",
        "mean": "среднее по школам с данными",
        "ratio": "отношение сумм (числитель / знаменатель)",
    }
    lines = [
        "## Методика: ежегодный мониторинг ШНРО и ШНСУ",
        "",
        "Показатели соответствуют разделу 3 концепции поддержки (динамика результатов, учёт педагогов, "
        "прошедших диагностику, методическая помощь) и показателям паспорта программы (ГИА, "
        "укомплектованность, доля ШНРО). Каждый показатель задан в параметрах мониторинга "
        "(фильтр школ, числитель, знаменатель, способ агрегирования) и рассчитывается по региону и по "
        "каждому муниципалитету за каждый год. Категория школы в году берётся из идентификации этого года.",
        "",
        "| Показатель | Раздел | Школы | Расчёт |",
        "|---|---|---|---|",
    ]
    for s in cfg["indicators"].values():
        flt = (
            "; ".join(
                f"{_column_ru(k)} — {', '.join(map(str, v))}" for k, v in (s.get("filter") or {}).items()
            )
            or "все"
        )
        if s.get("where"):
            flt += f"; {_where_ru(s['where'])}"
        calc = agg_ru[s["aggregation"]]
        if s.get("numerator") is not None:
            calc += f"; числитель: {_column_ru(s['numerator'])}"
        if s.get("denominator"):
            calc += f"; знаменатель: {_column_ru(s['denominator'])}"
        lines.append(f"| {s['title_ru']} | {s['section']} | {flt} | {calc} |")
    pc = cfg["positive_change"]
    lines += [
        "",
        "**Положительная динамика результатов** — индекс результатов школы за год (средневзвешенное "
        "стандартизованных результатов всех процедур года) выше, чем за предыдущий год данных, более чем на "
        f"{float(pc['min_change']):.2f} SD"
        + (f" и более чем на {pc['z']} стандартной ошибки изменения" if pc["require_significance"] else "")
        + ". Индекс каждого года стандартизован внутри года, поэтому рост означает улучшение положения "
        "школы относительно других школ региона. Доля считается по школам, бывшим в списке в предыдущем "
        "году: иначе школы, улучшившие результаты и вышедшие из списка, выпадали бы из расчёта.",
        "",
        "**Индекс низких результатов** — доля результатов ниже минимального порога (ЕГЭ ниже минимума, "
        "отметка «2»), взвешенная по числу участников процедур "
        + ", ".join(cfg["low_index"]["procedures"] or [])
        + ".",
        "",
        "**ГИА** — число сдавших = участники × (1 − доля ниже порога), суммировано по предметам ЕГЭ и ОГЭ; "
        "единица счёта — участие в экзамене по предмету (данных по отдельным обучающимся нет).",
        "",
        "**Укомплектованность** = учителя / (учителя + вакансии). Доли педагогов считаются как отношение "
        "сумм (педагоги школы × доля) ко всем педагогам, т. е. взвешены по числу педагогов.",
        "",
        "Пропуски не заменяются нулём: школа без данных не входит ни в числитель, ни в знаменатель; в "
        "таблице указано, по скольким школам был расчёт («Школ с данными») из скольких («Школ в группе»).",
        "",
        "### Цели и статус",
        "",
    ]
    if targets:
        lines.append("Цели — из описания набора данных (паспорт программы региона):")
        for name, t in sorted(targets.items()):
            title = cfg["indicators"][name]["title_ru"] if name in cfg["indicators"] else name
            traj = ", ".join(f"{k}: {v}" for k, v in sorted(t["trajectory"].items()))
            lines.append(f"- {title}: траектория {traj}, допуск {t.get('tolerance') or 0}")
    else:
        lines.append(
            "Цели — факты набора данных (раздел целей мониторинга в описании набора данных), а не "
            "параметры метода; если их там нет, статус не оценивается и показано "
            f"«{cfg['status_labels']['no_target_facts']}»."
        )
    sl = cfg["status_labels"]
    lines += [
        "",
        f"Цель года — линейная интерполяция между точками траектории. Статус: «{sl['on_track']}» — "
        f"цель достигнута; «{sl['at_risk']}» — отставание от цели не больше допуска; "
        f"«{sl['off_track']}» — больше допуска. Цветная сетка «муниципалитет × показатель» показывает "
        "статус цветом и изменение к прошлому году стрелкой (по образцу California School Dashboard).",
        "",
        "### Переходы между категориями",
        "",
        "Матрица переходов — число школ по категории в одном году (строки) и в следующем (столбцы). "
        "Школа «перешла в эффективный режим», если она была в списке ШНРО/ШНСУ, а затем не менее "
        f"{int(cfg['transitions']['effective_years'])} лет подряд, включая отчётный, не входит ни в "
        "список, ни в «зону риска». Школа, вышедшая из списка в «зону риска», получает состояние "
        "«вышла из списка, но в зоне риска»; вышедшая недавно — «вышла из списка (ожидается "
        "подтверждение)». Год без данных идентификации прерывает серию.",
    ]
    return "\n".join(lines) + "\n"


COLUMN_LABELS_RU = {
    "indicator": "Код показателя",
    "section": "Раздел",
    "title_ru": "Показатель",
    "unit": "Единица",
    "direction": "Направление",
    "level": "Уровень",
    "municipality": "Муниципальный район",
    "year": "Год",
    "value": "Значение",
    "numerator": "Числитель",
    "denominator": "Знаменатель",
    "n_schools": "Школ в группе",
    "n_used": "Школ с данными",
    "change": "Изменение к прошлому году",
    "target": "Цель",
    "status": "Статус (код)",
    "status_ru": "Статус",
    "note": "Примечание",
    "school_id": "Код ОО",
    "path": "Траектория",
    "status_ru_traj": "Статус",
    "years_listed": "Лет в списке",
    "first_listed": "Впервые в списке",
    "last_listed": "Последний год в списке",
    "years_out": "Лет вне списка подряд",
    "effective_since": "В эффективном режиме с",
    "left_year": "Год выхода",
    "name": "Наименование ОО",
}
