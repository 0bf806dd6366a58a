"""The school pages of a region: one self-contained HTML page per school, a list page per municipality.

:func:`render_school_pages` builds the region-wide inputs once and writes one page per school
(``OUT/<municipality>/<school>.html``, names from :func:`shnro_lib.outputs.slugify`), a list page per
municipality and ``OUT/index.html``, each atomically; :func:`write_school_outputs` is the batch's entry.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from shnro_lib.outputs import municipality_page_path, school_page_paths
from shnro_lib.profiles.content import ProfileInputs, profile_inputs
from shnro_lib.profiles.render import new_plot, plain_text, render_school_page, templates_env


def _list_page(
    env: Any,
    region: Any,
    title: str,
    groups: list[tuple[str, list[tuple[str, str, str, str]]]],
    site: dict[str, Any] | None = None,
) -> str:
    from markupsafe import Markup

    from shnro_lib.report import PAGE_CSS, footer_html, synthetic_banner

    banner = synthetic_banner(region.meta.get("synthetic_note", "")) if region.synthetic else ""
    return env.get_template("list.html.j2").render(
        title=title,
        groups=groups,
        css=Markup(PAGE_CSS),
        banner=Markup(banner),
        footer=Markup(footer_html(region.meta)),
        site=site,
    )


def _page_site(
    site_root: str | Path | None,
    path: Path,
    out: Path,
    municipality: str | None,
    school: str | None,
    reports: dict[str, str],
) -> dict[str, Any] | None:
    """Shared tags and breadcrumbs (index › municipal report › school list › school) of a page."""
    if site_root is None:
        return None
    from shnro_lib.site import crumbs_html, head_html, rel_href, root_prefix

    root = root_prefix(path.parent, site_root)
    items: list[tuple[str, str | None]] = [("Все отчёты", root + "index.html")]
    if municipality is None:
        items.append(("Профили школ", None))
    else:
        rep = reports.get(municipality)
        items.append((f"Отчёт: {municipality}", rel_href(rep, path.parent)) if rep else (municipality, None))
        items.append((f"Школы: {municipality}", "index.html" if school else None))
    if school is not None:
        items.append((school, None))
    return {"head": head_html(root), "crumbs": crumbs_html(items)}


def _write_pages(
    inp: ProfileInputs,
    env: Any,
    paths: dict[str, Path],
    out: Path,
    progress: bool,
    site_root: str | Path | None,
    reports: dict[str, str],
) -> list[Path]:
    """Write one page per school of ``paths``; returns the pages written, in that order."""
    from shnro_lib.outputs import atomic_write_text

    region = inp.region
    plot = new_plot(inp)
    iterator: Any = paths.items()
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(iterator, total=len(paths), desc="Профили школ", unit="шк.")
    written = []
    # every page is one folder below ``out``: a link to another page is the same from all of them
    hrefs = {sid: f"../{p.parent.name}/{p.name}" for sid, p in paths.items()}
    names = region.table("schools").set_index(region.table("schools")["school_id"].astype(str))
    for sid, path in iterator:
        rel_index = Path(os.path.relpath(out / "index.html", path.parent)).as_posix()
        site = _page_site(
            site_root, path, out, str(names.at[sid, "municipality"]), str(names.at[sid, "name"]), reports
        )
        atomic_write_text(
            path, render_school_page(inp, sid, env, index_href=rel_index, plot=plot, site=site, hrefs=hrefs)
        )
        written.append(path)
    return written


def _list_groups(inp: ProfileInputs, paths: dict[str, Path]) -> dict[str, list[tuple[str, str, str, str]]]:
    """``municipality -> [(code, name, category, file name)]`` of the list pages."""
    region = inp.region
    sch = region.table("schools").set_index(region.table("schools")["school_id"].astype(str))
    # the list pages' categories: the school facts' (as on the pages), «—» where not identified
    cats = pd.Series(
        {sid: plain_text(r.get("category")) for sid, r in inp.records.get("facts", {}).items()}
        if region.table("identify") is not None
        else {},
        dtype=object,
    )
    groups: dict[str, list[tuple[str, str, str, str]]] = {}
    for sid, path in paths.items():
        m = str(sch.at[sid, "municipality"])
        groups.setdefault(m, []).append(
            (str(sid), str(sch.at[sid, "name"]), str(cats.get(sid, "—")), path.name)
        )
    return groups


def _write_lists(
    env: Any,
    region: Any,
    groups: dict[str, list[tuple[str, str, str, str]]],
    out: Path,
    site_root: str | Path | None,
    reports: dict[str, str],
) -> None:
    """Write a list page per municipality and the index of all schools."""
    from shnro_lib.outputs import atomic_write_text

    year = region.year
    all_groups = []
    for m in sorted(groups):
        mpage = municipality_page_path(out, m, region)
        site = _page_site(site_root, mpage, out, m, None, reports)
        atomic_write_text(
            mpage, _list_page(env, region, f"Профили школ: {m}, {year}", [(m, groups[m])], site)
        )
        all_groups.append((m, [(i, n, c, f"{mpage.parent.name}/{f}") for i, n, c, f in groups[m]]))
    site = _page_site(site_root, out / "index.html", out, None, None, {})
    atomic_write_text(out / "index.html", _list_page(env, region, f"Профили школ, {year}", all_groups, site))


def render_school_pages(
    region: Any,
    dataset: Any,
    out_dir: str | Path,
    school_ids: Sequence[str] | None = None,
    progress: bool = True,
    config: Any = None,
    site_root: str | Path | None = None,
    reports: dict[str, str] | None = None,
) -> list[Path]:
    """Write a profile page for every school (or ``school_ids``), the municipality lists and the index.

    Parameters
    ----------
    region : :class:`~shnro_lib.pipeline.RegionResults`.
    dataset : the loaded data set (subject results, risk profile, staff, resources, diagnostics, process).
    out_dir : folder of the pages (``<municipality>/<school>.html``, ``<municipality>/index.html``,
        ``index.html``).
    school_ids : only these schools (default: all schools of the region).
    progress : show a tqdm progress bar.
    config : overrides of ``parameters/profiles.yaml``.
    site_root : the report folder the pages belong to (shared assets, breadcrumbs; :mod:`shnro_lib.site`).
    reports : ``municipality -> municipal report path`` for the breadcrumbs.

    Returns
    -------
    list of Path
        The school pages written, in the order of the schools table (municipality, name, code).
    """
    out = Path(out_dir)
    inp = profile_inputs(region, dataset, config)
    paths = school_page_paths(region, out, school_ids)
    missing = sorted(set(map(str, school_ids or [])) - set(paths))
    if missing:
        raise KeyError("Нет в результатах региона школ с кодами: " + ", ".join(missing))
    env = templates_env()
    written = _write_pages(inp, env, paths, out, progress, site_root, reports or {})
    _write_lists(env, region, _list_groups(inp, paths), out, site_root, reports or {})
    return written


def write_school_outputs(
    region: Any,
    data_dir: str | Path,
    out_dir: str | Path,
    municipalities: Sequence[str] | None = None,
    progress: bool = True,
    site_root: str | Path | None = None,
    reports: dict[str, str] | None = None,
) -> list[tuple[str, str, str]]:
    """What the report batch writes for schools: every profile page and the «практики» workbook.

    Loads the data set (the pages need subject results and the school tables that the region
    results do not keep), renders :func:`render_school_pages` into ``out_dir`` and writes
    ``out_dir/practices.xlsx`` (:func:`~shnro_lib.profiles.practices.write_worth_learning_sheet`).
    ``municipalities`` limits the pages to those municipalities' schools (the list stays regional).

    Returns
    -------
    list of (label, path, note)
        Links for the batch's index page (Russian labels).
    """
    from shnro_lib.io import load_dataset
    from shnro_lib.profiles.practices import listed_practices, write_worth_learning_sheet

    ds = load_dataset(data_dir)
    out = Path(out_dir)
    ids = None
    if municipalities is not None:
        ids = [sid for m in sorted(set(municipalities)) for sid in region.school_ids(m)]
    pages = render_school_pages(
        region, ds, out, school_ids=ids, progress=progress, site_root=site_root, reports=reports
    )
    xlsx = out / "practices.xlsx"
    write_worth_learning_sheet(listed_practices(region, ds), xlsx)
    return [
        (f"Профили школ (HTML, {len(pages)} стр.)", str(out / "index.html"), ""),
        ("Школы, чьи практики стоит изучить (Excel)", str(xlsx), ""),
    ]


def write_school_page_chunk(
    inp: Any,
    out_dir: str | Path,
    school_ids: Sequence[str] | None,
    chunk: Sequence[str],
    env: Any = None,
    plot: Any = None,
    site_root: str | Path | None = None,
    reports: dict[str, str] | None = None,
) -> dict[str, str]:
    """Write the pages of the schools ``chunk`` of the selection ``school_ids``, as
    :func:`render_school_pages` writes them (same bytes), without the list pages.

    Parameters
    ----------
    inp : :func:`~shnro_lib.profiles.content.profile_inputs` of the region and data set.
    out_dir : folder of the pages.
    school_ids : the whole selection (default: all schools): the pages link to one another in it.
    chunk : the schools of the selection whose pages are written here.
    env, plot : the templates and the trend figure (:func:`templates_env`, :func:`new_plot`), reused.
    site_root, reports : as for :func:`render_school_pages`.

    Returns
    -------
    dict
        ``school_id -> category`` as the list pages show it («—» where not identified), in chunk order.
    """
    from shnro_lib.outputs import atomic_write_text

    region = inp.region
    out = Path(out_dir)
    env = env or templates_env()
    plot = plot or new_plot(inp)
    paths = school_page_paths(region, out, school_ids)
    hrefs = {sid: f"../{p.parent.name}/{p.name}" for sid, p in paths.items()}
    names = region.table("schools").set_index(region.table("schools")["school_id"].astype(str))
    facts = inp.records.get("facts", {}) if region.table("identify") is not None else {}
    cats = {}
    for sid in map(str, chunk):
        path = paths[sid]
        rel_index = Path(os.path.relpath(out / "index.html", path.parent)).as_posix()
        muni, name = str(names.at[sid, "municipality"]), str(names.at[sid, "name"])
        site = _page_site(site_root, path, out, muni, name, reports or {})
        atomic_write_text(
            path, render_school_page(inp, sid, env, index_href=rel_index, plot=plot, site=site, hrefs=hrefs)
        )
        cats[sid] = plain_text(facts[sid].get("category")) if sid in facts else "—"
    return cats


def write_school_lists(
    region: Any,
    out_dir: str | Path,
    school_ids: Sequence[str] | None,
    categories: dict[str, str],
    site_root: str | Path | None = None,
    reports: dict[str, str] | None = None,
) -> None:
    """The list pages of :func:`render_school_pages` (one per municipality, ``index.html``) alone, for
    pages written by :func:`write_school_page_chunk`; ``categories``: what the chunks returned."""
    from shnro_lib.outputs import atomic_write_text

    out = Path(out_dir)
    env = templates_env()
    paths = school_page_paths(region, out, school_ids)
    sch = region.table("schools").set_index(region.table("schools")["school_id"].astype(str))
    groups: dict[str, list[tuple[str, str, str, str]]] = {}
    for sid, path in paths.items():
        m = str(sch.at[sid, "municipality"])
        groups.setdefault(m, []).append(
            (str(sid), str(sch.at[sid, "name"]), categories.get(sid, "—"), path.name)
        )
    all_groups = []
    for m in sorted(groups):
        mpage = municipality_page_path(out, m, region)
        site = _page_site(site_root, mpage, out, m, None, reports or {})
        atomic_write_text(
            mpage, _list_page(env, region, f"Профили школ: {m}, {region.year}", [(m, groups[m])], site)
        )
        all_groups.append((m, [(i, n, c, f"{mpage.parent.name}/{f}") for i, n, c, f in groups[m]]))
    site = _page_site(site_root, out / "index.html", out, None, None, {})
    atomic_write_text(
        out / "index.html", _list_page(env, region, f"Профили школ, {region.year}", all_groups, site)
    )
