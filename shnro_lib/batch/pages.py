"""Pages of a report batch built in the main process: the collection PDF and ``index.html``."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import warnings
from importlib import resources
from pathlib import Path
from typing import Any

# --------------------------------------------------------------------------- PDF


def find_chromium() -> str | None:
    """Path of a headless-capable Chromium/Chrome, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        p = shutil.which(name)
        if p:
            return p
    return None


def chromium_args(user_data_dir: str) -> list[str]:
    """Flags for a quiet, offline headless Chromium."""
    return [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={user_data_dir}",
    ]


def html_to_pdf(html_path: str | Path, pdf_path: str | Path, timeout: int = 180) -> bool:
    """Print an HTML file to PDF with headless Chromium; False (with a warning) when it is missing."""
    from shnro_lib.outputs import atomic_write

    exe = find_chromium()
    if exe is None:
        warnings.warn("Chromium не найден: PDF сборника не создан (установите chromium)", stacklevel=2)
        return False
    url = Path(html_path).resolve().as_uri()

    def _print(tmp: Path) -> None:
        with tempfile.TemporaryDirectory(prefix="shnro-chromium-") as ud:
            cmd = [
                exe,
                *chromium_args(ud),
                "--no-pdf-header-footer",
                "--print-to-pdf-no-header",
                f"--print-to-pdf={tmp}",
                url,
            ]
            subprocess.run(cmd, check=True, capture_output=True, timeout=timeout)
        if not tmp.exists() or tmp.stat().st_size == 0:
            raise RuntimeError("Chromium не создал PDF")

    atomic_write(pdf_path, _print)
    return True


# --------------------------------------------------------------------------- index

SITE_TEMPLATES = Path(str(resources.files("shnro_lib.site") / "templates"))


def site_records(region: Any, results: list[Any], out_dir: Path) -> list[dict[str, Any]]:
    """The schools of the site (search, map, links): pages that exist under ``schools/``, built reports."""
    from shnro_lib.profiles import school_page_paths
    from shnro_lib.site import school_records

    try:
        pages = {k: p for k, p in school_page_paths(region, out_dir / "schools").items() if p.exists()}
    except Exception:  # noqa: BLE001 - the search works without school pages
        pages = {}
    reports = {r.name: r.html_path for r in results if r.kind == "municipal" and r.ok and r.html_path}
    return school_records(region, out_dir, pages, reports)


def headline_counts(region: Any) -> dict[str, Any]:
    """Schools and listed schools by category in the report year, with the change from the previous year."""
    import pandas as pd

    from shnro_lib.report import fmt_int, fmt_num
    from shnro_lib.site import HEADLINE

    sch = region.table("schools")
    ident = region.table("identify") if region.ok("identify") else None
    out: dict[str, Any] = {"schools": fmt_int(len(sch)), "categories": [], "note": ""}
    if ident is None or "category" not in ident.columns:
        out["note"] = "Выявление ШНРО и ШНСУ: не оценено — этап выявления не выполнен."
        return out
    now = ident["category"].astype("string").value_counts()
    panel = region.table("ident_panel") if region.ok("ident_panel") else None
    prev_year, prev = None, None
    if panel is not None and {"year", "category"} <= set(panel.columns):
        years = sorted(int(y) for y in pd.unique(panel["year"].dropna()) if int(y) < int(region.year))
        if years:
            prev_year = years[-1]
            prev = panel.loc[panel["year"] == prev_year, "category"].astype("string").value_counts()
    for cat in HEADLINE:
        n = int(now.get(cat, 0))
        if cat == "ШНРО и ШНСУ" and n == 0 and (prev is None or int(prev.get(cat, 0)) == 0):
            continue
        change = ""
        if prev is not None:
            d = n - int(prev.get(cat, 0))
            change = f"{fmt_num(d, 0, signed=True) if d else 'без изменений'} к {prev_year} году"
        out["categories"].append(
            {
                "label": f"«{cat}»" if cat == "зона риска" else cat,
                "cat": cat,
                "n": fmt_int(n),
                "change": change,
            }
        )
    if prev is None:
        out["note"] = "Изменение к прошлому году: не оценено — в данных нет выявления за предыдущий год."
    return out


def index_html(
    region: Any,
    results: list[Any],
    out_dir: Path,
    extra: list[tuple[str, str, str]],
    records: list[dict[str, Any]] | None = None,
) -> str:
    """The ``index.html`` front page: headline, school search, municipalities with figures, the map."""
    import pandas as pd
    from jinja2 import Environment, FileSystemLoader
    from markupsafe import Markup

    from shnro_lib.report import PAGE_CSS, fmt_int, fmt_num, footer_html, municipality_table, synthetic_banner
    from shnro_lib.site import MAP_CAPTION, categories, head_html, map_html, rel_href

    records = site_records(region, results, out_dir) if records is None else records
    try:
        summary = municipality_table(region).set_index("municipality")
    except Exception:  # noqa: BLE001 - the index page must be written even if a summary figure is missing
        summary = pd.DataFrame()
    head = headline_counts(region)
    cats = categories(region)
    sch = region.table("schools")
    by_muni: dict[str, dict[str, int]] = {}
    for sid, m in zip(sch["school_id"].astype(str), sch["municipality"].astype(str), strict=True):
        c = cats.get(sid, "—")
        by_muni.setdefault(m, {})[c] = by_muni.setdefault(m, {}).get(c, 0) + 1
    lists = {}
    for m in region.municipalities:
        try:
            from shnro_lib.outputs import municipality_page_path

            p = municipality_page_path(out_dir / "schools", m, region)
            if p.exists():
                lists[m] = rel_href(p, out_dir)
        except Exception:  # noqa: BLE001 - a municipality without schools has no list page
            pass
    munis = []
    for r in sorted([r for r in results if r.kind == "municipal"], key=lambda r: r.name):
        row = summary.loc[r.name] if r.name in summary.index else None
        files = []
        if r.ok:
            files.append(("отчёт (HTML)", rel_href(r.html_path, out_dir)))
            if r.xlsx_path:
                files.append(("таблицы (Excel)", rel_href(r.xlsx_path, out_dir)))
        if r.name in lists:
            files.append(("профили школ", lists[r.name]))
        counts = by_muni.get(r.name, {})
        munis.append(
            {
                "name": r.name,
                "href": rel_href(r.html_path, out_dir) if r.ok else "",
                "schools": fmt_int(row["n_schools"]) if row is not None else "—",
                "counts": [fmt_int(counts.get(c["cat"], 0)) for c in head["categories"]],
                "index": fmt_num(row["mean_index"], 2, signed=True) if row is not None else "—",
                "files": files,
                "error": "" if r.ok else r.error_ru,
            }
        )
    name = region.meta.get("dataset_name") or "Регион"
    env = Environment(loader=FileSystemLoader(str(SITE_TEMPLATES)), autoescape=True, trim_blocks=True)
    banner = synthetic_banner(region.meta.get("synthetic_note", "")) if region.synthetic else ""
    return env.get_template("index.html.j2").render(
        title=f"Отчёты: {name}, {region.year} год",
        css=Markup(PAGE_CSS),
        head=head_html(""),
        banner=Markup(banner),
        head_counts=head,
        munis=munis,
        links=[(label, rel_href(p, out_dir), note) for label, p, note in extra],
        failed=sum(not r.ok for r in results),
        map=map_html(records, "", MAP_CAPTION),
        footer=Markup(footer_html(region.meta)),
    )
