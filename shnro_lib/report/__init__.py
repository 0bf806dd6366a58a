"""The reports: sections that return content, the page template, the Excel workbook.

- :mod:`.format` — Russian numbers, display tables, small-group suppression;
- :mod:`.content` — what a section returns (:class:`Section` of tables, figures, sentences);
- :mod:`.figures` — matplotlib/seaborn figures;
- :mod:`.sections` (with :mod:`.overview`, :mod:`.context`, :mod:`.costs`, :mod:`.partners`) /
  :mod:`.regional` / :mod:`.annex` — the municipal and regional sections,
  the method annex (``shnro_lib/report/methods/*.md``) and the data-quality annex;
- :mod:`.page` — the nbconvert template ``templates/shnro`` (page shell, TOC, banner, footer);
- :mod:`.excel` — the municipal workbook;
- :mod:`.html` — the same blocks as strings, for pages outside the notebooks (school pages).

The order of the sections and the narrative live in the notebooks
(``notebooks/municipal_report.ipynb``, ``notebooks/regional_report.ipynb``).
"""

from shnro_lib.report.annex import data_quality_annex, method_annex, method_texts
from shnro_lib.report.content import Figure, Section, Table, markdown_html, table
from shnro_lib.report.context import context_section
from shnro_lib.report.costs import costs_section
from shnro_lib.report.effects import effects_section
from shnro_lib.report.excel import municipal_workbook
from shnro_lib.report.format import (
    SYNTHETIC_TEXT,
    esc,
    fmt_int,
    fmt_num,
    fmt_pct,
    short_school_name,
    suppress_small,
)
from shnro_lib.report.helpers import flagged_mask, municipal_index, municipality_table
from shnro_lib.report.html import html_table, note_html, page_css, paragraphs_html, section_html, show
from shnro_lib.report.monitoring import (
    monitoring_section,
    regional_indicator_table,
    regional_monitoring_section,
)
from shnro_lib.report.overview import overview_section
from shnro_lib.report.page import footer_html, notebook_to_html, page_html, read_meta, synthetic_banner
from shnro_lib.report.partners import partners_section
from shnro_lib.report.regional import (
    municipal_summaries,
    regional_compare_section,
    regional_distributions_section,
    regional_effects_section,
    regional_identified_section,
    regional_participation_section,
    regional_sensitivity_section,
    regional_stability_section,
    regional_summary_section,
)
from shnro_lib.report.sections import (
    check_municipality,
    dynamics_section,
    identified_section,
    school_links_section,
    subtitle,
    summary_section,
)

# the stylesheet as a string, for pages rendered outside nbconvert (school pages)
PAGE_CSS = page_css()

__all__ = [
    "PAGE_CSS",
    "html_table",
    "note_html",
    "paragraphs_html",
    "section_html",
    "show",
    "SYNTHETIC_TEXT",
    "Figure",
    "Section",
    "Table",
    "check_municipality",
    "context_section",
    "costs_section",
    "data_quality_annex",
    "dynamics_section",
    "effects_section",
    "esc",
    "flagged_mask",
    "fmt_int",
    "fmt_num",
    "fmt_pct",
    "footer_html",
    "identified_section",
    "markdown_html",
    "method_annex",
    "method_texts",
    "monitoring_section",
    "municipal_index",
    "municipal_summaries",
    "municipal_workbook",
    "municipality_table",
    "notebook_to_html",
    "overview_section",
    "page_html",
    "partners_section",
    "read_meta",
    "regional_compare_section",
    "regional_distributions_section",
    "regional_effects_section",
    "regional_identified_section",
    "regional_indicator_table",
    "regional_monitoring_section",
    "regional_participation_section",
    "regional_sensitivity_section",
    "regional_stability_section",
    "regional_summary_section",
    "school_links_section",
    "short_school_name",
    "subtitle",
    "summary_section",
    "suppress_small",
    "synthetic_banner",
    "table",
]
