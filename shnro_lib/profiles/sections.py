"""The «Школы, чьи практики стоит изучить» section for the regional report and the collection."""

from __future__ import annotations

from typing import Any

from shnro_lib.profiles.practices import (
    DESCRIPTIVE_NOTE_RU,
    WORTH_LABELS_RU,
    listed_practices,
    worth_learning_sentences,
)

SECTION_COLUMNS = ["school_id", "name", "municipality", "route", "gain", "q_value", "category", "in_programme_years",
                   "diagnostics", "methodical_visits", "has_partner", "process_note"]


def practices_section_html(region: Any, dataset: Any = None, sid: str = "r-practices",
                           title: str = "Школы, чьи практики стоит изучить", config: Any = None) -> str:
    """An HTML section: the Russian sentences, the caveat and the list (full list in the Excel sheet).

    Parameters
    ----------
    region : :class:`~shnro_lib.pipeline.RegionResults`.
    dataset : the loaded data set, for programme and process records (without it those columns are «—»).
    sid, title : the section's anchor and heading.
    config : overrides of ``parameters/profiles.yaml``.
    """
    from shnro_lib.report import fmt_num, html_table, note_html, paragraphs_html, section_html

    table = listed_practices(region, dataset, config)
    lines = [s for s in worth_learning_sentences(table) if s != DESCRIPTIVE_NOTE_RU]
    body = note_html(DESCRIPTIVE_NOTE_RU) + paragraphs_html("\n\n".join(lines))
    if len(table):
        body += html_table(table[SECTION_COLUMNS], labels=WORTH_LABELS_RU,
                           max_rows=int(region.settings["max_table_rows"]),
                           formats={"gain": lambda v: fmt_num(v, 2, signed=True), "q_value": lambda v: fmt_num(v, 3)})
    return section_html(sid, title, body)


def school_links_section_html(region: Any, municipality: str, pages_href: str = "../schools",
                              sid: str = "school-pages", title: str = "Профили школ") -> str:
    """A municipal report's section linking each of its schools' profile pages.

    ``pages_href`` is the school pages' folder relative to the report (the batch writes reports to
    ``municipalities/`` and pages to ``schools/``, hence ``../schools``).  Schools are listed in the
    order of the schools table (name, then code) with their category.
    """
    from shnro_lib.profiles.render import school_page_paths
    from shnro_lib.report import esc, section_html

    paths = school_page_paths(region, ".", region.school_ids(municipality))
    ident = region.table("identify")
    cats = ({} if ident is None else
            dict(zip(ident["school_id"].astype(str), ident["category"].astype(str), strict=True)))
    names = region.table("schools").set_index(region.table("schools")["school_id"].astype(str))["name"]
    base = pages_href.rstrip("/")
    items = "".join(
        f'<li><a href="{esc(base + "/" + p.parent.name + "/" + p.name)}">{esc(names.get(s, s))}</a>'
        f" — {esc(cats.get(s, '—'))}</li>" for s, p in paths.items())
    body = (f"<p>Страница каждой школы: «проблемные зоны» по предметам и классам, динамика, рисковый профиль, "
            f"кадры и ресурсы, предлагаемая школа-лидер.</p><ul>{items}</ul>")
    return section_html(sid, title, body)
