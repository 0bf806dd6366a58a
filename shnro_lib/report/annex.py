"""The annexes: methods (Markdown files in ``shnro_lib/report/methods/`` with the analyses' computed texts)
and data quality (the loader's report)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, StrictUndefined

from shnro_lib.report.content import Markdown, Section, note, table, text
from shnro_lib.report.helpers import has_rows
from shnro_lib.report.helpers import max_rows as _rows
from shnro_lib.report.helpers import names as _names

METHODS_DIR = Path(__file__).resolve().parent / "methods"


def method_texts(region: Any, methods_dir: Path = METHODS_DIR) -> list[str]:
    """The method files (sorted by name) rendered with the settings and the analyses' computed texts.

    A file may use ``{{ settings.<key> }}`` (``report.yaml``) and ``{{ computed("<stage>") }}`` — the
    method text the analysis wrote for the settings actually used (or why it is unavailable).
    """
    env = Environment(
        undefined=StrictUndefined, keep_trailing_newline=True
    )  # Markdown, escaped when rendered

    def computed(stage: str) -> str:
        if region.methods.get(stage):
            return str(region.methods[stage])
        reason = region.reason(stage) or "модуль не предоставил описание"
        return f"*Описание метода недоступно: {reason}.*"

    return [
        env.from_string(p.read_text(encoding="utf-8")).render(settings=region.settings, computed=computed)
        for p in sorted(methods_dir.glob("*.md"))
    ]


def method_annex(region: Any) -> Section:
    """Method texts: ``shnro_lib/report/methods/*.md`` in name order (edit them to change the annex)."""
    return Section([Markdown(t, top_level=3) for t in method_texts(region)])


def _table_ru(name: Any) -> str:
    """A table of the data contract by its Russian title."""
    from shnro_lib.schema import TABLES

    spec = TABLES.get(str(name))
    return spec.label_ru if spec is not None and spec.label_ru else str(name)


def data_quality_annex(region: Any, municipality: str | None = None) -> Section:
    """The load report: tables read, rows used and excluded, problems found."""
    parts = [
        text(
            "Каждая прочитанная строка либо использована, либо исключена с указанием причины. "
            f"Ошибок: {region.meta.get('n_errors', 0)}, предупреждений: {region.meta.get('n_warnings', 0)}."
        )
    ]
    lt = region.table("load_tables")
    if has_rows(lt):
        # a table by its Russian title (the file name beside it is the user's own)
        lt = lt.assign(table=lt["table"].map(lambda t: _table_ru(t))) if "table" in lt.columns else lt
        parts.append(table(lt, caption="Прочитанные таблицы"))
    lp = region.table("load_problems")
    if has_rows(lp):
        cols = [c for c in ["level", "file", "row", "column", "value", "message"] if c in lp.columns]
        t = lp[cols].copy()
        t["level"] = (
            t["level"]
            .map({"error": "ошибка", "warning": "предупреждение", "info": "сведение"})
            .fillna(t["level"])
        )
        parts.append(table(t, caption="Замечания загрузчика", max_rows=_rows(region)))
    le = region.table("load_excluded")
    if has_rows(le):
        parts.append(table(le, caption="Исключённые строки", max_rows=_rows(region)))
    if municipality:
        ids = region.school_ids(municipality)
        part = region.table("index_by_year")
        have = set(part.loc[part["year"] == region.year, "school_id"].astype(str))
        missing = [i for i in ids if i not in have]
        if missing:
            names = _names(region)
            t = pd.DataFrame({"school_id": missing, "name": [names.get(i) for i in missing]})
            parts.append(table(t, caption=f"Школы без результатов в {region.year} г."))
    miss = sorted(
        set(
            [
                "context",
                "staff",
                "resources",
                "territories",
                "outcomes",
                "programme",
                "process",
                "diagnostics",
                "risk_profile",
            ]
        )
        - set(region.meta.get("tables_present", []))
    )
    if miss:
        parts.append(
            note(
                "Нет необязательных таблиц: "
                + ", ".join(f"«{_table_ru(t)}»" for t in miss)
                + " — зависящие от них разделы недоступны."
            )
        )
    return Section(parts)
