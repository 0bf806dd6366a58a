"""The monitoring method annex: ``templates/method.md.j2`` rendered with the settings; the column labels."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from shnro_lib.prose import render_prose

from .config import IndicatorSpec, MonitoringSettings, load_monitoring_config

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


def _indicator_rows(indicators: Mapping[str, IndicatorSpec]) -> list[dict]:
    """The indicator table of the annex: each indicator's columns by their Russian names."""
    rows = []
    for s in indicators.values():
        num, den = s.numerator, s.denominator
        rows.append(
            {
                "title": s.title_ru,
                "section": s.section,
                "filter": [
                    {"column": _column_ru(k), "allowed": list(v)} for k, v in (s.filter or {}).items()
                ],
                "where": _where_ru(s.where) if s.where else None,
                "aggregation": s.aggregation,
                "numerator": _column_ru(num) if num is not None else None,
                "denominator": _column_ru(den) if den else None,
            }
        )
    return rows


def _target_rows(
    targets: Mapping[str, Mapping] | None, indicators: Mapping[str, IndicatorSpec]
) -> list[dict]:
    """The data set's targets by indicator title: trajectory points (year, value) and the tolerance."""
    return [
        {
            "title": indicators[name].title_ru if name in indicators else name,
            "trajectory": sorted(t["trajectory"].items()),
            "tolerance": t.get("tolerance") or 0,
        }
        for name, t in sorted((targets or {}).items())
    ]


def monitoring_method_ru(
    config: str | Path | Mapping | MonitoringSettings | None = None,
    targets: Mapping[str, Mapping] | None = None,
) -> str:
    """Markdown (Russian) for the method annex: every indicator's formula, targets, transitions.

    Parameters
    ----------
    config : str, Path, Mapping or None
        The monitoring settings (see :func:`~shnro_lib.monitoring.config.load_monitoring_config`).
    targets : Mapping or None
        The data set's targets by indicator (``trajectory``, ``tolerance``); ``None`` when it has none.

    Returns
    -------
    str
        The text of ``shnro_lib/monitoring/templates/method.md.j2`` with the settings' values.
    """
    cfg = load_monitoring_config(config)
    computed = {
        "indicators": _indicator_rows(cfg.indicators),
        "min_change": f"{float(cfg.positive_change.min_change):.2f}",
        "targets": _target_rows(targets, cfg.indicators),
    }
    return render_prose("shnro_lib.monitoring", "method.md.j2", settings=cfg, computed=computed)


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
