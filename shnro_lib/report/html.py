"""HTML fragments for pages built outside the report notebooks (the school pages of
:mod:`shnro_lib.profiles`): the same escaped blocks as :mod:`.content`, as strings.

The report notebooks do not use these: their sections return :class:`~.content.Section`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import pandas as pd
from jinja2 import Environment
from markupsafe import Markup

from shnro_lib.report.content import Text, note, table
from shnro_lib.report.page import TEMPLATE_NAME, TEMPLATES_DIR


def page_css() -> str:
    """The reports' stylesheet (``templates/shnro/shnro.css``)."""
    return (TEMPLATES_DIR / TEMPLATE_NAME / "shnro.css").read_text(encoding="utf-8")


def html_table(
    df: pd.DataFrame,
    labels: Mapping[str, str] | None = None,
    formats: Mapping[str, Any] | None = None,
    max_rows: int | None = None,
    caption: str | None = None,
    note: str | None = None,
) -> str:
    """An escaped table with Russian headers and formats (see :func:`~.content.table`)."""
    return table(df, labels, formats, max_rows, caption, note)._repr_html_()


def note_html(text: str, kind: str = "info") -> str:
    """A highlighted note (kind: info, warn), escaped."""
    return note(text, kind)._repr_html_()


def paragraphs_html(text: str) -> str:
    """Plain text (blank-line separated paragraphs) as escaped paragraphs."""
    paras = [" ".join(b.split()) for b in re.split(r"\n\s*\n", str(text).strip()) if b.strip()]
    return Text(paras)._repr_html_()


@lru_cache(maxsize=1)
def _section_template() -> Any:
    return Environment(autoescape=True).from_string(
        '<section id="{{ sid }}" class="sec"><h{{ level }}>{{ title }}</h{{ level }}>{{ body }}</section>'
    )


def section_html(sid: str, title: str, body: str, level: int = 2) -> str:
    """A section with an anchor and a heading around an already escaped ``body``."""
    return _section_template().render(sid=sid, title=title, body=Markup(body), level=int(level))


def show(fragment: str) -> None:
    """Display an escaped HTML fragment in a notebook (returns nothing: no second display)."""
    from IPython.display import HTML, display

    display(HTML(fragment))
