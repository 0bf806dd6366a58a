"""What a report section returns: tables, figures, short sentences and notes, not HTML strings.

A :class:`Section` is a list of blocks; in a notebook it displays itself natively (each block
is one output: a table, a PNG figure, a sentence).  Every block is rendered by Jinja2 with
autoescaping, so a school called ``<script>`` is shown as text; only method texts (Markdown
from the repository) go through a Markdown renderer, with raw HTML escaped as well.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import pandas as pd
from jinja2 import Environment, FileSystemLoader

from shnro_lib.labels import LABELS_RU
from shnro_lib.report.format import SYNTHETIC_TEXT, display_frame, fmt_int

# how each kind of block is written in HTML: a template beside the page templates
BLOCKS_TEMPLATES = resources.files("shnro_lib.report") / "templates" / "shnro"


@lru_cache(maxsize=1)
def _macros() -> Any:
    env = Environment(
        loader=FileSystemLoader(str(BLOCKS_TEMPLATES)), autoescape=True, trim_blocks=True, lstrip_blocks=True
    )
    return env.get_template("blocks.j2").module


class Block:
    """A piece of a section; displays itself in a notebook."""

    kind = ""

    def _repr_html_(self) -> str:
        return str(getattr(_macros(), self.kind)(self))


@dataclass
class Table(Block):
    """A table: the data (``data``, as computed) and its display form (``frame``: Russian headers and
    formats)."""

    frame: pd.DataFrame | None
    caption: str = ""
    notes: list[str] = field(default_factory=list)
    data: pd.DataFrame | None = None
    titles: dict[str, str] = field(default_factory=dict)
    kind = "table"

    @property
    def html(self) -> str:
        from markupsafe import Markup

        # DataFrame.to_html escapes every cell and header (escape=True)
        out = self.frame.to_html(escape=True, index=False, border=0, na_rep="—", classes="tbl")
        return Markup(header_titles(out, self.titles))


def header_titles(html: str, titles: Mapping[str, str]) -> str:
    """``html`` (a ``DataFrame.to_html`` table) whose header cells named in ``titles`` carry the
    text as a ``title`` attribute (the tooltip: the vocabulary's one-line definition)."""
    from markupsafe import escape

    if not titles or "</thead>" not in html:
        return html
    head, rest = html.split("</thead>", 1)
    for name, title in titles.items():
        cell = f"<th>{escape(name)}</th>"
        head = head.replace(cell, f'<th title="{escape(title)}">{escape(name)}</th>')
    return head + "</thead>" + rest


@dataclass
class Figure(Block):
    """A matplotlib figure (kept for reuse) shown as an embedded PNG with a caption."""

    fig: Any
    alt: str
    caption: str = ""
    png: bytes = b""
    kind = "figure"

    @property
    def b64(self) -> str:
        return base64.b64encode(self.png).decode("ascii")

    def _ipython_display_(self) -> None:
        from IPython.display import HTML, Image, display

        display(Image(data=self.png, format="png", alt=self.alt))
        if self.caption:
            display(HTML(_macros().text(Text([self.caption]))))


@dataclass
class Text(Block):
    """Short computed sentences, one paragraph each."""

    paragraphs: list[str]
    kind = "text"


@dataclass
class Bullets(Block):
    items: list[str]
    kind = "bullets"


@dataclass
class Links(Block):
    """A list of links: (href, text, sub-text); every part escaped."""

    items: list[tuple[str, str, str]]
    kind = "links"


@dataclass
class Note(Block):
    """A highlighted note; ``css``: info or warn."""

    text: str
    css: str = "info"
    kind = "note"


@dataclass
class Cards(Block):
    """Key figures: (value, label, sub-text)."""

    items: list[tuple[str, str, str]]
    kind = "cards"


@dataclass
class Heading(Block):
    text: str
    level: int = 3
    kind = "heading"


@dataclass
class Markdown(Block):
    """Method text from the repository (Markdown); raw HTML in it is escaped."""

    source: str
    top_level: int = 4

    def _repr_html_(self) -> str:
        return markdown_html(self.source, self.top_level)


@dataclass
class Section:
    """The content of one report section: a list of blocks, shown in order."""

    blocks: list[Block] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.blocks = [b for b in self.blocks if b is not None]

    @property
    def tables(self) -> list[pd.DataFrame]:
        """The section's tables as computed (before formatting), for reuse in a notebook."""
        return [b.data if b.data is not None else b.frame for b in self.blocks if isinstance(b, Table)]

    @property
    def figures(self) -> list[Any]:
        """The section's matplotlib figures."""
        return [b.fig for b in self.blocks if isinstance(b, Figure)]

    def to_html(self) -> str:
        """All blocks as one escaped HTML fragment (tests, the index page)."""
        return "".join(b._repr_html_() for b in self.blocks)

    def _ipython_display_(self) -> None:
        from IPython.display import HTML, display

        for b in self.blocks:
            if isinstance(b, Figure):
                b._ipython_display_()
            else:
                display(HTML(b._repr_html_()))


# --------------------------------------------------------------------------- constructors


def table(
    df: pd.DataFrame,
    labels: Mapping[str, str] | None = None,
    formats: Mapping[str, Any] | None = None,
    max_rows: int | None = None,
    caption: str | None = None,
    note: str | None = None,
) -> Table:
    """A table with Russian headers and number formats (see :func:`~shnro_lib.report.format.display_frame`).

    A suppression note left by :func:`~shnro_lib.report.format.suppress_small` and ``note`` are
    shown under the table; rows beyond ``max_rows`` are counted («полный список — в Excel»).
    """
    notes = [n for n in (df.attrs.get("note"), note) if n]
    shown = df
    if max_rows is not None and len(df) > max_rows:
        shown = df.iloc[:max_rows]
        notes.append(
            f"Показаны первые {fmt_int(max_rows)} строк из {fmt_int(len(df))}; полный список — в Excel."
        )
    heads = {**LABELS_RU, **dict(labels or {})}
    frame = display_frame(shown, heads, formats)
    return Table(
        frame=frame, caption=caption or "", notes=notes, data=df, titles=definitions(df.columns, heads)
    )


def definitions(columns: Iterable[Any], heads: Mapping[str, str]) -> dict[str, str]:
    """``{header: one-line definition}`` of the ``columns`` that are quantities of the vocabulary."""
    from shnro_lib.vocabulary import vocabulary

    vocab = vocabulary()
    return {heads.get(c, str(c)): vocab[c].definition for c in columns if isinstance(c, str) and c in vocab}


def figure(fig: Any, alt: str, caption: str = "", synthetic: bool = False, dpi: int = 100) -> Figure:
    """A matplotlib figure as a block: PNG rendered once (deterministic bytes), the figure closed."""
    import matplotlib.pyplot as plt

    if synthetic:
        fig.text(
            0.995, 0.005, SYNTHETIC_TEXT, ha="right", va="bottom", fontsize=7, color="#b00020", alpha=0.8
        )
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)  # the notebook shows the block, not the open figure
    return Figure(fig=fig, alt=alt, caption=caption, png=buf.getvalue())


def text(*paragraphs: str) -> Text:
    """Sentences (escaped), one paragraph each."""
    return Text([p for p in paragraphs if p])


def bullets(items: Iterable[str]) -> Bullets:
    return Bullets(list(items))


def links(items: Iterable[tuple[str, str, str]]) -> Links:
    """Links (href, text, sub-text), in the given order."""
    return Links(list(items))


def note(message: str, kind: str = "info") -> Note:
    """A highlighted note (kind: info, warn)."""
    return Note(message, kind)


def unavailable(reason: str) -> Note:
    """The note of a section whose analysis is unavailable (the reason is Russian); an analysis the
    data do not allow («не оценено: …», see :func:`shnro_lib.pipeline.log.not_assessed_ru`) says so as is."""
    if reason.lower().startswith("не оценено"):
        return note(f"Н{reason[1:]}.", "warn")
    return note(f"Раздел недоступен: {reason}.", "warn")


def cards(items: Sequence[tuple[str, str, str]]) -> Cards:
    return Cards(list(items))


def heading(title: str, level: int = 3) -> Heading:
    return Heading(title, level)


def markdown_html(source: str, top_level: int = 4) -> str:
    """Markdown (the method texts) as HTML; raw HTML in the text is escaped.

    Headings are shifted so that the text's first level becomes ``<h{top_level}>``, keeping
    the report's own outline (``h2`` sections from the notebook, ``h3`` subsections) intact.
    """
    import mistune

    md = mistune.create_markdown(escape=True, plugins=["table", "strikethrough"])
    html_text = md(str(source))
    levels = [int(x) for x in re.findall(r"<h([1-6])", html_text)]
    offset = top_level - min(levels) if levels else 0

    def shift(m: re.Match) -> str:
        return f"<{m.group(1)}h{max(1, min(6, int(m.group(2)) + offset))}"

    return re.sub(r"<(/?)h([1-6])", shift, html_text).replace("<table>", '<table class="tbl">')
