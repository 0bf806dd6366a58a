"""The municipal report's sections: each returns a :class:`~shnro_lib.report.content.Section`
(tables, figures, short computed sentences); the narrative and the order live in
``notebooks/municipal_report.ipynb``.

The overview, context, cost–quality and partnership sections have their own modules
(:mod:`shnro_lib.report.overview`, :mod:`shnro_lib.report.context`, :mod:`shnro_lib.report.costs`,
:mod:`shnro_lib.report.partners`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from shnro_lib.facts.select import level_row, region_facts_now, with_facts
from shnro_lib.outputs import school_page_paths
from shnro_lib.report.content import (
    Block,
    Section,
    Table,
    cards,
    figure,
    links,
    note,
    table,
    text,
    unavailable,
)
from shnro_lib.report.figures import pyplot_styled as _plt
from shnro_lib.report.format import fmt_int, fmt_num
from shnro_lib.report.helpers import (
    criterion_labels,
    criterion_titles,
    flagged_mask,
    has_rows,
    municipal_index,
    municipality_table,
    with_names,
)
from shnro_lib.report.helpers import dpi as _dpi
from shnro_lib.report.helpers import max_rows as _rows
from shnro_lib.report.helpers import min_n as _min_n
from shnro_lib.report.helpers import names as _names
from shnro_lib.report.helpers import size as _size
from shnro_lib.vocabulary import name_ru


def check_municipality(region: Any, municipality: str) -> None:
    """Raise (Russian message) when the municipality is not in the data: the notebook stops there."""
    if municipality not in region.municipalities:
        raise ValueError(f"Муниципалитет «{municipality}» не найден в данных")


def subtitle(region: Any, municipality: str | None = None) -> Section:
    """One sentence under the title: the source and the data years."""
    ds_name = region.meta.get("dataset_name") or "набор данных"
    years = ", ".join(map(str, region.meta.get("years", [])))
    if municipality is None:
        return Section(
            [
                text(
                    f"Сравнение {len(region.municipalities)} муниципальных образований. Источник: "
                    f"{ds_name}; годы данных: {years}."
                )
            ]
        )
    return Section(
        [
            text(
                f"Муниципальный отчёт по программе поддержки ШНРО и ШНСУ. Источник: {ds_name}; "
                f"годы данных: {years}."
            )
        ]
    )


def _rank_text(region: Any, municipality: str) -> str:
    """«место N из M по региону» by the mean result index («» when the municipality is not ranked)."""
    reg_tab = municipality_table(region).sort_values("mean_index", ascending=False).reset_index(drop=True)
    rank = reg_tab.index[reg_tab["municipality"] == municipality]
    return f"место {int(rank[0]) + 1} из {len(reg_tab)} по региону" if len(rank) else ""


def _base_cards(region: Any, municipality: str, mine: Any, whole: Any) -> list[tuple[str, str, str]]:
    """The cards every summary has: schools, participants and the mean result index."""
    year = region.year
    idx, part = municipal_index(region, municipality, year)
    # the counts of schools are the municipality and region facts' own
    n_mine = mine["schools"] if mine is not None else len(set(region.school_ids(municipality)))
    n_all = whole["schools"] if whole is not None else len(region.table("schools"))
    return [
        (fmt_int(n_mine), "школ в муниципалитете", f"из {fmt_int(n_all)} в регионе"),
        (
            fmt_int(part),
            f"участников оценочных процедур в {year} г.",
            "сумма по процедурам и предметам"
            if part is not None
            else "не указано: в данных нет числа участников",
        ),
        (
            fmt_num(idx, 2, signed=True),
            "средний индекс результатов",
            _rank_text(region, municipality) + "; 0 — среднее по региону",
        ),
    ]


def _identified_cards(region: Any, municipality: str, mine: Any) -> list[tuple[str, str, str]]:
    """The identified schools by category and the schools not assessed (the facts' counts)."""
    now = region_facts_now(region, municipality)
    fl = flagged_mask(now["category"])
    counts = now.loc[fl.to_numpy(), "category"].astype(str).value_counts()
    sub = ", ".join(f"{k}: {v}" for k, v in counts.items()) or "нет выявленных школ"
    n_flagged = int(mine["schools_listed"] + mine["schools_risk"]) if mine is not None else int(fl.sum())
    items = [(fmt_int(n_flagged), "выявленных школ (ШНРО/ШНСУ/риск)", sub)]
    if mine is not None and int(mine["schools_not_assessed"]):
        items.append((fmt_int(mine["schools_not_assessed"]), "школ не оценено", "категория не определена"))
    return items


def _programme_cards(region: Any, municipality: str) -> list[tuple[str, str, str]]:
    """The municipality's schools in the support programme in the report year (none without the table)."""
    prog = region.table("programme")
    if prog is None or "in_programme" not in prog.columns:
        return []
    year = region.year
    ids = set(region.school_ids(municipality))
    sub = prog[(prog["year"] == year) & prog["school_id"].astype(str).isin(ids)]
    n = fmt_int(int(sub["in_programme"].fillna(False).astype(bool).sum()))
    return [(n, f"школ в программе поддержки в {year} г.", "")]


def summary_section(region: Any, municipality: str) -> Section:
    """Key figures of a municipality for the report year on one screen.

    Parameters
    ----------
    region : :class:`~shnro_lib.pipeline.RegionResults`.
    municipality : the municipality's name.

    Returns
    -------
    Section
        Cards (schools, participants, mean index and rank, identified, resilient, in the programme) and
        a warning naming the stages not available.
    """
    mine, whole = level_row(region, municipality), level_row(region)
    items = _base_cards(region, municipality, mine, whole)
    reasons = []
    if region.ok("identify"):
        items += _identified_cards(region, municipality, mine)
    else:
        reasons.append(f"выявление школ — {region.reason('identify')}")
    if region.ok("context"):
        ctx = region.for_municipality("context", municipality)
        if "resilient" in ctx.columns:
            n = fmt_int(int(ctx["resilient"].fillna(False).astype(bool).sum()))
            items.append((n, "резильентных школ", "результаты выше ожидаемых по контексту"))
    else:
        reasons.append(f"контекст — {region.reason('context')}")
    items += _programme_cards(region, municipality)
    parts: list[Block] = [cards(items)]
    if reasons:
        parts.append(note("Пока недоступно: " + "; ".join(reasons) + ".", "warn"))
    return Section(parts)


# the identification table's columns the list of identified schools shows (those the table has)
IDENTIFIED_COLUMNS = [
    "school_id",
    "name",
    "category",
    "result_index",
    "result_index_se",
    "shrunken_index",
    "p_bottom_quartile",
    "social_wellbeing_index",
    "explanation",
]


def _category_counts(ident: pd.DataFrame) -> Table:
    """Schools per category («не определена» where none)."""
    counts = (
        ident["category"]
        .astype("string")
        .fillna("не определена")
        .value_counts()
        .rename_axis("category")
        .reset_index(name="schools")
    )
    counts["schools"] = counts["schools"].astype("Int64")
    return table(counts, caption="Школы по категориям")


def _flagged_tables(region: Any, fl: pd.DataFrame) -> list[Block]:
    """The identified schools with their reasons, and each criterion met (К1, К2, … with a legend)."""
    rules = region.meta.get("rules", "lo_2018")
    cols = [c for c in IDENTIFIED_COLUMNS if c in fl.columns]
    parts: list[Block] = [
        table(
            fl[cols].reset_index(drop=True), criterion_labels(rules), caption="Выявленные школы и основания"
        )
    ]
    crit = [c for c in fl.columns if c.startswith("crit_")]
    if crit:
        titles = criterion_titles(rules, crit)
        short = {c: f"К{i}" for i, c in enumerate(crit, start=1)}
        legend = "; ".join(f"{short[c]} — {titles[c]}" for c in crit)
        parts.append(
            table(
                fl[["school_id", "name", *crit]].reset_index(drop=True),
                caption="Выполнение отдельных критериев (да — выполнен, нет — не выполнен, "
                "«—» — нет данных для проверки)",
                labels=short,
                note=legend,
            )
        )
    return parts


def _changes_parts(region: Any, municipality: str) -> list[Block]:
    """Entries and exits since last year (none when the stage did not run or nothing changed)."""
    if not region.ok("identification_changes"):
        return []
    ch = region.for_municipality("identification_changes", municipality)
    if not has_rows(ch):
        return []
    ch = ch.drop(columns=[c for c in ("municipality",) if c in ch.columns])
    return [
        table(
            with_names(region, ch),
            caption="Изменения по сравнению с прошлым годом",
            max_rows=_rows(region),
        )
    ]


def identified_section(region: Any, municipality: str) -> Section:
    """Identified schools of the municipality with the reasons (criteria) of each flag.

    Parameters
    ----------
    region : :class:`~shnro_lib.pipeline.RegionResults`.
    municipality : the municipality's name.

    Returns
    -------
    Section
        The rule set, the schools per category, the identified schools with their criteria and the
        changes since last year; the stage's Russian reason when the identification did not run.
    """
    if not region.ok("identify"):
        return Section([unavailable(region.reason("identify"))])
    now = region_facts_now(region, municipality)
    ident = with_names(region, with_facts(region.for_municipality("identify", municipality), now))
    method = region.meta.get("rules", "")
    parts: list[Block] = [text(f"Правила идентификации: {method} (подробнее — в приложении А).")]
    if "category" in ident.columns and len(ident):
        parts.append(_category_counts(ident))
        fl = ident.loc[flagged_mask(ident["category"]).to_numpy()]
    else:
        fl = ident
    if len(fl):
        parts += _flagged_tables(region, fl)
    else:
        parts.append(note("В муниципалитете нет школ, отнесённых к ШНРО, ШНСУ или зоне риска."))
    return Section(parts + _changes_parts(region, municipality))


def dynamics_section(region: Any, municipality: str) -> Section:
    """The municipality's mean result index and its schools' indices over the years."""
    ib = region.table("index_by_year")
    n_years = int(region.settings["dynamics_years"])
    years = [y for y in sorted(int(v) for v in ib["year"].dropna().unique()) if y <= region.year][-n_years:]
    if not years:
        return Section([note("Нет данных о результатах по годам.")])
    plt = _plt()
    w, h = _size(region)
    fig, ax = plt.subplots(figsize=(w, h))
    vals = [municipal_index(region, municipality, y)[0] for y in years]
    ax.axhline(0, color="#8795a8", lw=1, ls="--", label="среднее по региону")
    ax.plot(years, vals, marker="o", color="#1f5f99", label=municipality[:40])
    ax.set_xticks(years)
    ax.set_ylabel("Средний индекс результатов")
    ax.legend(fontsize=7)
    fig.tight_layout()
    parts = [
        figure(
            fig,
            "Динамика среднего индекса результатов муниципалитета",
            "Индекс результатов: стандартизованный средний балл по всем процедурам года "
            "(0 — среднее по региону, взвешенное по участникам).",
            region.synthetic,
            _dpi(region),
        )
    ]
    sub = ib[(ib["municipality"] == municipality) & ib["year"].isin(years)]
    if len(sub):
        sub = sub.copy()
        min_n = _min_n(region)
        sub["text"] = [
            ("скрыто*" if (p is not pd.NA and p < min_n) else fmt_num(v, 2, signed=True))
            for v, p in zip(sub["result_index"], sub["participants"], strict=True)
        ]
        piv = sub.pivot_table(index="school_id", columns="year", values="text", aggfunc="first")
        piv.columns = [str(int(c)) for c in piv.columns]
        piv = piv.reset_index()
        piv.insert(1, "name", piv["school_id"].astype(str).map(_names(region)))
        foot = None
        if (sub["participants"] < min_n).fillna(False).any():
            foot = f"* Индекс скрыт: в этот год у школы меньше {min_n} участников."
        parts.append(
            table(
                piv.fillna("—"),
                caption=f"{name_ru('year_result_index')} по годам",
                note=foot,
                max_rows=_rows(region),
            )
        )
    return Section(parts)


def school_links_section(region: Any, municipality: str, pages_href: str = "../schools") -> Section:
    """Links to the profile page of each school of the municipality, with its category.

    ``pages_href`` is the school pages' folder relative to the report (the batch writes reports to
    ``municipalities/`` and pages to ``schools/``, hence ``../schools``); schools in the order of
    :func:`shnro_lib.outputs.school_page_paths` (municipality, name, code).
    """
    paths = school_page_paths(region, ".", region.school_ids(municipality))
    if not paths:
        return Section([note("В муниципалитете нет школ в справочнике.")])
    now = region_facts_now(region) if region.table("identify") is not None else None
    cats = (
        {}
        if now is None
        else dict(
            zip(now["school_id"].astype(str), now["category"].astype("string").fillna("—"), strict=True)
        )
    )
    sch = region.table("schools")
    names = sch.set_index(sch["school_id"].astype(str))["name"]
    base = pages_href.rstrip("/")
    return Section(
        [
            text(
                "Страница каждой школы: «проблемные зоны» по предметам и классам, динамика, "
                "рисковый профиль, кадры и ресурсы, предлагаемая школа-лидер."
            ),
            links(
                [
                    (f"{base}/{p.parent.name}/{p.name}", str(names.get(s, s)), str(cats.get(s, "—")))
                    for s, p in paths.items()
                ]
            ),
        ]
    )
