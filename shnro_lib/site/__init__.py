"""The report folder as a site: one shared script and stylesheet, the school search data, breadcrumbs,
the map of schools and the front page (``index.html``).

Every page of a batch links ``site/site.css``, ``site/schools.js`` (the schools: code, name,
municipality, locality, category, page and report links) and ``site/site.js`` (search, sortable,
filterable and foldable tables with a CSV download, links from school names to their pages).  The
files are written once per folder, not inlined per page; they fetch nothing and work from ``file://``.
Nothing in them is random or dated, so a batch writes the same bytes every run.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from shnro_lib.site.mapsvg import CATEGORY_COLOURS, map_html

SITE_DIR = "site"
STATIC = Path(__file__).resolve().parent / "static"
ASSETS = ("site.js", "site.css")
DATA_FILE = "schools.js"
HEADLINE = ("ШНРО", "ШНСУ", "ШНРО и ШНСУ", "зона риска")


def script_json(obj: Any) -> str:
    """JSON safe inside a ``<script>`` element or a ``.js`` file: ``<``, ``>``, ``&`` and the line
    separators are written as ``\\u`` escapes, so no value can close the element or start markup."""
    text = json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for ch, rep in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(ch, rep)
    return text


def rel_href(target: str | Path, from_dir: str | Path) -> str:
    """``target`` relative to the folder ``from_dir``, with forward slashes."""
    return Path(os.path.relpath(Path(target), Path(from_dir))).as_posix()


def root_prefix(page_dir: str | Path, out_dir: str | Path) -> str:
    """The prefix from a page's folder to the site root: ``""``, ``"../"``, ``"../../"``."""
    r = rel_href(out_dir, page_dir)
    return "" if r == "." else r + "/"


def head_html(root: str) -> Markup:
    """The ``<head>`` tags of the shared stylesheet, school data and script (``root``: prefix to the site)."""
    r = escape(root)
    return Markup(
        f'<link rel="stylesheet" href="{r}{SITE_DIR}/site.css">\n'
        f'<script src="{r}{SITE_DIR}/{DATA_FILE}" defer></script>\n'
        f'<script src="{r}{SITE_DIR}/site.js" defer></script>'
    )


def crumbs_html(items: Sequence[tuple[str, str | None]]) -> Markup:
    """Breadcrumbs ``(label, href or None)`` — the last item is the current page."""
    parts = [
        f'<span><a href="{escape(h)}">{escape(t)}</a></span>' if h else f"<span>{escape(t)}</span>"
        for t, h in items
    ]
    return Markup('<nav class="crumbs" aria-label="Навигация">' + "".join(parts) + "</nav>")


def _text(v: Any) -> str:
    try:
        if v is None or (not isinstance(v, str) and math.isnan(float(v))):
            return ""
    except (TypeError, ValueError):
        pass
    return str(v).strip()


def _coord(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return round(f, 5) if math.isfinite(f) else None


def categories(region: Any) -> dict[str, str]:
    """``school_id -> category`` of the report year from the school facts (the identify stage's
    table for a region without them); «—» when identification did not run."""
    facts = region.table("school_facts") if region.ok("school_facts") and region.ok("identify") else None
    if facts is not None:
        ident = facts[facts["year"] == int(region.year)]
    else:
        ident = region.table("identify") if region.ok("identify") else None
    if ident is None or "category" not in ident.columns:
        return {}
    return {str(k): _text(v) or "—" for k, v in zip(ident["school_id"], ident["category"], strict=True)}


def school_records(
    region: Any, out_dir: str | Path, pages: Mapping[str, Path], reports: Mapping[str, str | Path]
) -> list[dict[str, Any]]:
    """One record per school for the search, the map and the links, sorted by code.

    Keys: ``c`` code, ``n`` name, ``m`` municipality, ``l`` locality, ``t`` school type, ``k`` category,
    ``h`` page, ``r`` municipal report, ``lat``/``lon`` (short keys: the file is loaded by every page).

    ``pages``: ``school_id -> page path`` of the pages that exist; ``reports``: ``municipality -> report
    path``.  Links are relative to ``out_dir`` (empty when there is no page or report).
    """
    sch = region.table("schools")
    cats = categories(region)
    out = []
    for r in sch.to_dict("records"):
        sid = str(r["school_id"])
        m = _text(r.get("municipality"))
        page, rep = pages.get(sid), reports.get(m)
        out.append(
            {
                "c": sid,
                "n": _text(r.get("name")) or sid,
                "m": m,
                "l": _text(r.get("locality")),
                "t": _text(r.get("school_type")),
                "k": cats.get(sid, "—"),
                "h": rel_href(page, out_dir) if page else "",
                "r": rel_href(rep, out_dir) if rep else "",
                "lat": _coord(r.get("lat")),
                "lon": _coord(r.get("lon")),
            }
        )
    return sorted(out, key=lambda d: d["c"])


def write_assets(out_dir: str | Path, records: Sequence[Mapping[str, Any]]) -> list[Path]:
    """Write ``site/site.js``, ``site/site.css`` and ``site/schools.js`` (readable by all)."""
    from shnro_lib.outputs import atomic_write_text

    folder = Path(out_dir) / SITE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o755)
    written = []
    for name in ASSETS:
        atomic_write_text(folder / name, (STATIC / name).read_text(encoding="utf-8"))
        written.append(folder / name)
    data = [{k: v for k, v in r.items() if k not in ("lat", "lon")} for r in records]
    atomic_write_text(folder / DATA_FILE, "window.SHNRO_SCHOOLS = " + script_json(data) + ";\n")
    written.append(folder / DATA_FILE)
    for p in written:
        p.chmod(0o644)
    return written


__all__ = [
    "ASSETS",
    "CATEGORY_COLOURS",
    "DATA_FILE",
    "SITE_DIR",
    "categories",
    "crumbs_html",
    "ensure_assets",
    "head_html",
    "map_html",
    "rel_href",
    "report_page_site",
    "root_prefix",
    "school_records",
    "script_json",
    "write_assets",
]


MAP_CAPTION = (
    "Точка — школа (координаты из данных), цвет — категория; серый контур — выпуклая оболочка "
    "точек, а не граница. Наведите на точку, чтобы увидеть название; щелчок открывает профиль школы."
)


def report_page_site(
    region: Any, kind: str, name: str, html_path: str | Path, out_dir: str | Path, pages: Mapping[str, Path]
) -> dict[str, Any]:
    """What a report page of the folder gets (:func:`shnro_lib.report.notebook_to_html`'s ``site``).

    The shared tags, breadcrumbs back to the index and, for a municipal report, the map of its
    schools linking to ``pages`` (``school_id -> page path``).
    """
    root = root_prefix(Path(html_path).parent, out_dir)
    label = {"municipal": name, "collection": "Методический сборник"}.get(kind, "Региональный отчёт")
    site: dict[str, Any] = {
        "head": head_html(root),
        "name": Path(html_path).stem,
        "map": Markup(""),
        "crumbs": crumbs_html([("Все отчёты", root + "index.html"), (label, None)]),
    }
    if kind == "municipal" and region is not None:
        ids = {str(s) for s in region.school_ids(name)}
        recs = [r for r in school_records(region, out_dir, pages, {}) if r["c"] in ids]
        site["map"] = map_html(recs, root, MAP_CAPTION)
    return site


def ensure_assets(out_dir: str | Path) -> None:
    """Write the shared files if a folder lacks them (a page rendered on its own still works; the batch
    rewrites them with the full school list when it writes the index)."""
    folder = Path(out_dir) / SITE_DIR
    if not all((folder / n).exists() for n in (*ASSETS, DATA_FILE)):
        write_assets(out_dir, [])
