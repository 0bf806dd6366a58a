"""The page shell: an executed report notebook to self-contained HTML through the nbconvert
template ``templates/shnro`` (inline CSS, a table of contents from the notebook's ``##``
headings, the synthetic-data banner, the footer with the data fingerprint).

Markdown cells reach the page; code cells show only their outputs; a cell tagged ``remove``
(notes for the notebook's editors) and stderr streams are left out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

from shnro_lib import __version__

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "shnro"
REMOVE_TAG = "remove"


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES_DIR / TEMPLATE_NAME), autoescape=True)


@lru_cache(maxsize=1)
def _exporter() -> Any:
    """The ``shnro`` HTML exporter, made once per process: its templates are compiled on the first page
    (each page's own data goes in through ``resources``)."""
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_raw=True,
    )


def footer_data(meta: Mapping[str, Any]) -> dict[str, Any]:
    """What the footer shows: fingerprint, year, rules, parameters hash, threshold, version (no
    timestamps)."""
    params = meta.get("report_parameters", {}) or {}
    return {
        "fingerprint": meta.get("fingerprint", ""),
        "year": meta.get("year", ""),
        "rules": meta.get("rules", ""),
        "parameters_hash": meta.get("parameters_hash", ""),
        "min_group_size": params.get("min_group_size", ""),
        "version": meta.get("version", __version__),
    }


def synthetic_banner(note: str = "") -> str:
    """The «СИНТЕТИЧЕСКИЕ ДАННЫЕ» banner (escaped HTML)."""
    return str(_env().get_template("fragments.j2").module.banner(_banner_note(note)))


def footer_html(meta: Mapping[str, Any]) -> str:
    """The footer (escaped HTML)."""
    return str(
        _env().get_template("fragments.j2").module.footer(footer_data(meta), bool(meta.get("synthetic")))
    )


def page_html(title: str, body: str) -> str:
    """A complete self-contained page (inline CSS, no scripts) around an already escaped ``body``."""
    return _env().get_template("page.html.j2").render(title=title, body=Markup(body)) + "\n"


def _banner_note(note: str) -> str:
    # the data set's note often says «синтетические данные» itself: do not repeat it
    return "" if not note or "синтетическ" in note.lower() else note


def _heading_text(line: str) -> str:
    return re.sub(r"[*_`]", "", line[3:]).strip()


def toc_entries(nb: Any) -> list[tuple[str, str]]:
    """(anchor, title) of every ``## `` heading in the markdown cells, in notebook order."""
    out = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in str(cell.source).splitlines():
            if line.startswith("## "):
                out.append((f"cell-id={cell['id']}", _heading_text(line)))
                break
    return out


def prepare_notebook(nb: Any) -> Any:
    """Drop ``remove``-tagged cells and stderr, number the cells (stable anchors, same HTML every run)."""
    nb.cells = [c for c in nb.cells if REMOVE_TAG not in c.get("metadata", {}).get("tags", [])]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"
        if cell.cell_type == "code":
            cell.outputs = [
                o
                for o in cell.get("outputs", [])
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
    return nb


def read_meta(cache_entry: str | Path) -> dict[str, Any]:
    """The ``meta`` of a cache entry (no tables read)."""
    return dict(json.loads((Path(cache_entry) / "meta.json").read_text(encoding="utf-8"))["meta"])


def notebook_to_html(
    nb: Any, title: str, meta: Mapping[str, Any], site: Mapping[str, Any] | None = None
) -> str:
    """Self-contained HTML of an executed report notebook in the ``shnro`` template.

    ``site``: the page's place in a report folder (:mod:`shnro_lib.site`) — ``head`` (shared
    stylesheet and script tags), ``crumbs``, ``map`` (escaped markup) and ``name`` (file stem).
    """
    nb = prepare_notebook(nb)
    resources = {
        "shnro": {
            "title": title,
            "synthetic": bool(meta.get("synthetic")),
            "synthetic_note": _banner_note(str(meta.get("synthetic_note", ""))),
            "toc": toc_entries(nb),
            "footer": footer_data(meta),
            "site": dict(site) if site else None,
        }
    }
    body, _ = _exporter().from_notebook_node(nb, resources=resources)
    return body
