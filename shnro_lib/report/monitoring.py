"""The monitoring sections of the municipal and the regional report.

Every indicator shows its value as the monitoring stage wrote it for a reader (``value_ru``: a share
of fewer than ``monitoring.yaml: share_n_below`` schools with their number, «50 % (1 из 2)»), its
target or that none is set (``target_ru``) and its status against the target («Выполнение цели»);
«нет данных» only where the data lack the value, «в муниципалитете нет школ ШНСУ» where no school is
there to count (:mod:`shnro_lib.monitoring.text`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from shnro_lib.facts.select import region_facts_now, with_facts
from shnro_lib.pipeline.log import reason_ru
from shnro_lib.report.content import Section, figure, table, text, unavailable
from shnro_lib.report.format import fmt_int, fmt_pct
from shnro_lib.report.helpers import dpi as _dpi
from shnro_lib.report.helpers import has_rows, with_names
from shnro_lib.report.helpers import max_rows as _rows

STATUS_HEADER = "Выполнение цели"
# where a missing target is set, in a reader's words (the status of such an indicator says it too)
TARGETS_NOTE = (
    "«Не задана» в столбце цели: для показателя нет цели в описании набора данных (раздел целей "
    "мониторинга); там же её задают, и тогда отчёт оценивает её выполнение."
)


def _reader_frame(rows: pd.DataFrame, years: list[int], label_year: int) -> pd.DataFrame:
    """Indicators × years (the reader's values) with the target, its status and the note of ``label_year``."""
    out = []
    for _ind, g in rows.groupby("indicator", sort=False):
        g = g.set_index(g["year"].astype(int))
        row: dict[str, Any] = {"title_ru": g["title_ru"].iloc[0]}
        for y in years:
            row[str(y)] = g["value_ru"].get(y, "—")
        cur = g.loc[label_year] if label_year in g.index else None
        row["target"] = cur["target_ru"] if cur is not None else "—"
        row["target_status_ru"] = cur["status_ru"] if cur is not None else "нет данных"
        note = str(cur["note"]) if cur is not None and pd.notna(cur["note"]) else ""
        # the note only where it adds to the status («не оценено: данные есть только у 1 из 4 школ»)
        row["note"] = "" if not note or note == row["target_status_ru"] else note
        out.append(row)
    frame = pd.DataFrame(out)
    if len(frame) and not frame["note"].astype(bool).any():
        frame = frame.drop(columns=["note"])
    return frame


def _targets_note(frame: pd.DataFrame) -> str | None:
    return TARGETS_NOTE if len(frame) and (frame["target"] == "не задана").any() else None


def monitoring_section(region: Any, municipality: str) -> Section:
    """Annual monitoring indicators of the municipality against the region and targets, and school paths."""
    if not region.ok("monitoring"):
        return Section([unavailable(region.reason("monitoring"))])
    mon = region.table("monitoring")
    years = sorted(int(y) for y in mon["year"].dropna().unique())
    last = [y for y in years if y <= region.year][-3:]
    mine = mon[(mon["municipality"] == municipality) & (mon["level"] == "муниципалитет")]
    mine = mine[mine["year"].isin(last)]
    parts = []
    if len(mine):
        frame = _reader_frame(mine, last, region.year)
        reg = mon[(mon["level"] == "регион") & (mon["year"] == region.year)].set_index("indicator")
        order = list(dict.fromkeys(mine["indicator"]))
        frame.insert(len(last) + 1, "region", [reg["value_ru"].get(i, "—") for i in order])
        parts.append(
            table(
                frame,
                labels={"region": f"Регион, {region.year}", "target_status_ru": STATUS_HEADER},
                caption="Показатели мониторинга по годам",
                note=_targets_note(frame),
            )
        )
    if region.ok("trajectories"):
        tr = region.for_municipality("trajectories", municipality)
        if has_rows(tr):
            # the status and the path are the school facts' (one status model for every view)
            tr = with_facts(tr, region_facts_now(region, municipality))
            listed = tr[tr["years_listed"].fillna(0).astype(int) > 0]
            if not len(listed):
                parts.append(text("В муниципалитете нет школ, бывших в списке ШНРО/ШНСУ."))
            else:
                counts = (
                    listed["status_ru"].value_counts().rename_axis("status_ru").reset_index(name="schools")
                )
                parts.append(
                    table(counts, caption=f"Школы, бывшие в списке ШНРО/ШНСУ: состояние на {region.year} г.")
                )
                cols = ["school_id", "name", "path", "status_ru"]
                t = with_names(region, listed)
                parts.append(
                    table(
                        t[[c for c in cols if c in t.columns]].reset_index(drop=True),
                        caption="Путь школ по категориям",
                        max_rows=_rows(region),
                    )
                )
    return Section(parts)


def regional_indicator_table(region: Any) -> pd.DataFrame:
    """The region's indicators by year (the reader's values) with the report year's target and status."""
    mon = region.table("monitoring")
    reg = mon[mon["level"] == "регион"]
    years = sorted(int(y) for y in reg["year"].dropna().unique() if int(y) <= region.year)
    return _reader_frame(reg[reg["year"].isin(years)], years, region.year)


def regional_monitoring_section(region: Any) -> Section:
    """Status grid municipality x indicator, the region's indicators with target and status, and the
    flow between categories."""
    if not region.ok("monitoring"):
        return Section([unavailable(region.reason("monitoring"))])
    from shnro_lib import monitoring as mon_mod

    mon = region.table("monitoring")
    parts = []
    dpi = _dpi(region)
    try:
        fig = mon_mod.plot_status_grid(mon, region.year, synthetic=region.synthetic)
        parts.append(
            figure(
                fig,
                "Сетка статусов «муниципалитет × показатель»",
                "Цвет — статус относительно целевой траектории (зелёный — в графике, жёлтый — "
                "риск, красный — отставание, серый — цели нет, светлый — нет школ, к которым "
                "относится показатель); в ячейке — значение (у доли по малому числу школ — и число "
                "школ) и стрелка изменения к прошлому году.",
                region.synthetic,
                dpi,
            )
        )
    except Exception as exc:  # noqa: BLE001 - a figure must not stop the report
        parts.append(unavailable(f"сетка статусов не построена: {reason_ru(exc)}"))
    try:
        frame = regional_indicator_table(region)
        parts.append(
            table(
                frame,
                labels={"target": f"Цель, {region.year}", "target_status_ru": STATUS_HEADER},
                caption="Показатели по региону по годам",
                note=_targets_note(frame),
            )
        )
    except Exception as exc:  # noqa: BLE001
        parts.append(unavailable(f"таблица показателей не построена: {reason_ru(exc)}"))
    if region.ok("ident_panel") and region.table("ident_panel")["year"].nunique() > 1:
        panel = region.table("ident_panel")
        from shnro_lib.identify import flip_rate

        total = flip_rate(panel).iloc[-1]
        parts.append(
            text(
                f"Устойчивость списка ШНРО/ШНСУ: из {fmt_int(total['listed'])} школ, хотя бы раз "
                f"попавших в список, вышли и вернулись {fmt_pct(total['flip_rate'])}; средняя годовая "
                f"смена списка — {fmt_pct(total['turnover'])}."
            )
        )
        try:
            fig = mon_mod.plot_transitions_flow(panel, synthetic=region.synthetic)
            parts.append(
                figure(
                    fig,
                    "Переходы школ между категориями по годам",
                    "Ширина потока — число школ, перешедших из категории в категорию.",
                    region.synthetic,
                    dpi,
                )
            )
        except Exception as exc:  # noqa: BLE001
            parts.append(unavailable(f"схема переходов не построена: {reason_ru(exc)}"))
    if region.ok("trajectories"):
        tr = with_facts(region.table("trajectories"), region_facts_now(region))
        listed = tr[tr["years_listed"].fillna(0).astype(int) > 0]
        ct = pd.crosstab(listed["municipality"], listed["status_ru"]).reset_index()
        ct.columns = [str(c) for c in ct.columns]
        parts.append(table(ct, caption=f"Школы, бывшие в списке: состояние на {region.year} г."))
    return Section(parts)
