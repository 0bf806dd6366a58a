"""The methodological collection (action plan, item 11): its own sections, beside the regional report's.

The collection is a document of its own (``notebooks/collection.ipynb``): a title page, the
quantities explained in plain words (from the vocabulary), how the lists are made with one
school worked through, the lists by municipality, the schools worth learning from and the method
annex.  The functions here return section content; the notebook's markdown holds the prose.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from shnro_lib.report.content import Markdown, Section, cards, table, text, unavailable
from shnro_lib.report.format import fmt_int, fmt_num
from shnro_lib.report.helpers import criterion_titles
from shnro_lib.vocabulary import vocabulary

DIRECTION_RU = {"higher_better": "больше — лучше", "lower_better": "меньше — лучше", "none": "—"}
LIST_CATEGORIES = ("ШНРО", "ШНСУ", "ШНРО и ШНСУ", "зона риска")


def _identify(region: Any) -> pd.DataFrame | None:
    """The identify stage's table with its quantities (category, indices, reasons) from the school facts."""
    from shnro_lib.facts.select import region_facts_now, with_facts

    ident = region.table("identify")
    return None if ident is None else with_facts(ident, region_facts_now(region))


def collection_title(region: Any) -> Section:
    """The title page: what the collection is, for which region and year, and its four figures."""
    ident = _identify(region)
    name = str(region.meta.get("dataset_name") or "регион")
    lines = [
        f"{name}, {region.year} год.",
        "Методы выявления школ с низкими результатами и школ в сложных социальных условиях, списки по "
        "муниципальным образованиям, школы, чьи практики стоит изучить, и методика расчётов.",
    ]
    blocks: list[Any] = [text(*lines)]
    if ident is not None and "category" in ident.columns:
        counts = ident["category"].astype("string").value_counts()
        blocks.append(
            cards([(fmt_int(int(counts.get(c, 0))), c, "школ в отчётном году") for c in LIST_CATEGORIES])
        )
    return Section(blocks)


def glossary_section(region: Any) -> Section:
    """Every quantity a reader meets, with its one name, unit, direction and a plain definition."""
    rows = [
        {
            "Показатель": q.name.format(share="N"),
            "Что означает": q.definition,
            "Единица": q.unit or "—",
            "Как читать": DIRECTION_RU[q.direction],
            "Раздел методики": q.annex,
        }
        for q in vocabulary().values()
    ]
    return Section([table(pd.DataFrame(rows), caption="Показатели сборника и отчётов")])


def identification_method_section(region: Any) -> Section:
    """The rule set of the report year in words, as the identification stage wrote it."""
    if not region.methods.get("identify"):
        return Section([unavailable(region.reason("identify") or "описание правил недоступно")])
    return Section([Markdown(str(region.methods["identify"]), top_level=3)])


def _example_school(ident: pd.DataFrame) -> pd.Series | None:
    """The listed school with the lowest result index (the clearest case to walk through)."""
    listed = ident[ident["category"].astype("string").isin(["ШНРО", "ШНРО и ШНСУ"])]
    if listed.empty:
        listed = ident[ident["category"].astype("string").isin(LIST_CATEGORIES)]
    if listed.empty:
        return None
    key = "shrunken_index" if "shrunken_index" in listed.columns else "result_index"
    return listed.sort_values([key, "school_id"], kind="stable", na_position="last").iloc[0]


def worked_example_section(region: Any) -> Section:
    """One school from its figures to its category: each criterion, whether it holds, and the outcome."""
    ident = _identify(region)
    if ident is None or "category" not in ident.columns:
        return Section([unavailable(region.reason("identify"))])
    school = _example_school(ident)
    if school is None:
        return Section(
            [text("В отчётном году ни одна школа не вошла в списки, поэтому пример не приводится.")]
        )
    crit = [c for c in ident.columns if c.startswith("crit_")]
    titles = criterion_titles(str(region.meta.get("rules", "")), crit)
    verdict = {True: "выполнен", False: "не выполнен"}
    rows = [
        {
            "Критерий": titles.get(c, "критерий набора правил"),
            "Итог": "не оценено" if pd.isna(school[c]) else verdict[bool(school[c])],
        }
        for c in crit
    ]
    figures = [
        f"Школа «{school['name']}» (код ОО {school['school_id']}, {school['municipality']}).",
        f"Индекс результатов за окно идентификации: {fmt_num(school.get('result_index'), 2, True)}; "
        f"с поправкой на надёжность: {fmt_num(school.get('shrunken_index'), 2, True)}.",
        f"Итог: {school['category']}. {school['explanation']}",
    ]
    return Section(
        [text(*figures), table(pd.DataFrame(rows), caption="Критерии набора правил для этой школы")]
    )


def lists_by_municipality_section(region: Any) -> Section:
    """How many schools of each category every municipality has, with the total row."""
    ident = _identify(region)
    if ident is None or "category" not in ident.columns:
        return Section([unavailable(region.reason("identify"))])
    cat = ident["category"].astype("string").fillna("не оценено")
    ct = pd.crosstab(ident["municipality"].astype("string"), cat)
    cols = [c for c in LIST_CATEGORIES if c in ct.columns]
    ct = ct.reindex(columns=cols, fill_value=0)
    ct["Всего школ"] = ident.groupby(ident["municipality"].astype("string")).size()
    ct.loc["Всего по региону"] = ct.sum()
    out = ct.reset_index().rename(columns={"municipality": "Муниципальное образование"})
    out.columns = [str(c) for c in out.columns]
    return Section([table(out, caption="Школы в списках по муниципальным образованиям")])
