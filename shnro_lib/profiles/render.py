"""School profile pages: a view of :func:`~shnro_lib.profiles.content.school_profile` rendered by Jinja2.

:func:`render_school_pages` builds the region-wide inputs once and writes one self-contained
HTML page per school (``OUT/<municipality>/<school>.html``, names from :func:`shnro_lib.outputs.slugify`),
a list page per municipality and ``OUT/index.html``, each atomically.  The template
(``templates/school.html.j2``) has autoescaping on: every text from the data is escaped; the only
markup passed in unescaped is the report's own footer, banner and CSS and our base64 figure.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from shnro_lib.bands import BAND_COLOURS
from shnro_lib.outputs import municipality_page_path, school_page_paths
from shnro_lib.profiles.content import ProfileInputs, profile_inputs, school_profile
from shnro_lib.profiles.partnership import leader_view, led_view, partner_labels, school_names
from shnro_lib.vocabulary import vocabulary

TEMPLATES = Path(__file__).resolve().parent / "templates"
SUPPRESSED = "скрыто*"


def _env() -> Any:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["j2", "html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # Jinja's «capitalize» lower-cases the rest (names, abbreviations): upper-case the first letter only
    env.filters["sentence"] = lambda s: str(s)[:1].upper() + str(s)[1:]
    return env


def _isna(v: Any) -> bool:
    try:
        return v is None or v is pd.NA or bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _txt(v: Any) -> str:
    return "—" if _isna(v) or str(v).strip() == "" else str(v)


def _int(v: Any) -> str:
    from shnro_lib.report import fmt_int

    return fmt_int(v)


def new_plot(inp: ProfileInputs) -> Any:
    """The reusable trend figure for a run of pages."""
    from shnro_lib.profiles.figures import TrendPlot

    cfg = inp.settings
    return TrendPlot(
        (cfg.figure.width, cfg.figure.height),
        float(stats.norm.ppf(0.5 + cfg.ci_level / 2)),
        synthetic=bool(inp.region.synthetic),
    )


def page_view(inp: ProfileInputs, prof: dict[str, Any], plot: Any = None) -> dict[str, Any]:
    """Formatted values of one page (strings, lists of rows); the template only lays them out."""
    from shnro_lib.profiles.figures import trend_data_uri
    from shnro_lib.report import fmt_num, fmt_pct, suppress_small

    cfg = inp.settings
    z = float(stats.norm.ppf(0.5 + cfg.ci_level / 2))
    level = f"{cfg.ci_level * 100:.0f} %"
    reasons = prof["reasons"]
    school = prof["school"]

    def interval(lo: Any, hi: Any, digits: int = 1) -> str:
        if _isna(lo) or _isna(hi):
            return ""
        return f"[{fmt_num(lo, digits, signed=True)}; {fmt_num(hi, digits, signed=True)}]"

    view: dict[str, Any] = {
        "school_id": prof["school_id"],
        "name": _txt(school.get("name")),
        "year": prof["year"],
        "municipality": _txt(school.get("municipality")),
        "school_type": _txt(school.get("school_type")),
        "locality": _txt(school.get("locality")),
        "locality_type": _txt(school.get("locality_type")),
        "category": prof["category"],
        "category_reason": prof["category_reason"],
        "status": _txt(prof["facts"].get("status_ru")),
        # tooltips: the vocabulary's one-line definitions of the quantities shown
        "defs": {qid: q.definition for qid, q in vocabulary().items()},
        "level": level,
        "min_n": inp.min_n,
        "min_similar": cfg.problem_zones.min_similar_schools,
        "low_excess": fmt_num(cfg.problem_zones.low_share_excess * 100, 0),
    }
    # programme participation by year
    prog = prof["programme"]
    if prog is None:
        view["programme"], view["programme_note"] = (
            [],
            "нет данных о программе: " + reasons.get("programme", "—"),
        )
        view["programme_names"] = view["programme_cohort"] = view["programme_partner"] = "—"
    else:
        view["programme"] = [
            {
                "year": str(int(r["year"])),
                "name": _txt(r.get("programme")),
                "in": "да"
                if r.get("in_programme") is True or r.get("in_programme") == 1
                else ("—" if _isna(r.get("in_programme")) else "нет"),
                "cohort": _txt(r.get("cohort")),
                "partner": _txt(r.get("partner_school_id")),
            }
            for r in prog.to_dict("records")
        ]
        view["programme_note"] = "" if len(prog) else "в программе поддержки школа не участвовала"
        view["programme_names"] = "; ".join(sorted({p["name"] for p in view["programme"]} - {"—"})) or "—"
        view["programme_cohort"] = ", ".join(sorted({p["cohort"] for p in view["programme"]} - {"—"})) or "—"
        view["programme_partner"] = partner_labels(
            [p["partner"] for p in view["programme"]], school_names(inp.tables.get("schools"))
        )
    # «проблемные зоны»
    zones = prof["zones"]
    rows = []
    note = ""
    view["zones_small"] = ""
    if zones is None or not len(zones):
        view["zones_note"] = (
            reasons.get("zones") or f"нет результатов оценочных процедур за {prof['year']} год"
        )
    else:
        view["zones_note"] = ""
        small_rows = zones[zones["small"]]
        if len(small_rows):
            # small groups: named in one line, no values (a page must fit 2-3 A4 sheets); the wording is
            # the shared suppression note of every other output (shnro_lib.report.suppress_small)
            note = suppress_small(
                small_rows[["participants", "pct"]], "participants", ["pct"], min_n=inp.min_n
            ).attrs["note"]
            view["zones_small"] = "; ".join(
                f"{r['procedure']} — {r['subject']}, {int(r['grade'])} кл."
                for r in small_rows.to_dict("records")
            )
        for orig in zones[~zones["small"]].to_dict("records"):
            small = False
            rows.append(
                {
                    "procedure": _txt(orig["procedure"]),
                    "subject": _txt(orig["subject"]),
                    "grade": _txt(orig["grade"]),
                    "n": _int(orig["participants"]),
                    "pct": SUPPRESSED if small else fmt_num(orig["pct"], 1),
                    "pct_ci": "" if small else interval(orig["pct_low"], orig["pct_high"]),
                    "region": SUPPRESSED if small else fmt_num(orig["region_pct"], 1),
                    "gap_region": SUPPRESSED if small else fmt_num(orig["gap_region"], 1, signed=True),
                    "gap_region_ci": ""
                    if small
                    else interval(orig["gap_region_low"], orig["gap_region_high"]),
                    "similar": SUPPRESSED if small else fmt_num(orig["similar_pct"], 1),
                    "gap_similar": SUPPRESSED if small else fmt_num(orig["gap_similar"], 1, signed=True),
                    "gap_similar_ci": ""
                    if small
                    else interval(orig["gap_similar_low"], orig["gap_similar_high"]),
                    "low": SUPPRESSED if small else fmt_pct(orig["share_low"]),
                    "region_low": SUPPRESSED if small else fmt_pct(orig["region_share_low"]),
                    "weak": bool(orig["weak"]),
                    "weak_region": bool(orig["weak_region"]),
                    "weak_similar": bool(orig["weak_similar"]),
                    "low_out": bool(orig["low_stands_out"]),
                }
            )
    view["zones"], view["zones_suppressed_note"] = rows, note
    view["weak_areas"], view["low_areas"] = prof["weak_areas"], prof["low_areas"]
    view["similar_note"] = (
        "" if "similar" in inp.tables else "похожие школы не подобраны: " + reasons.get("similar", "—")
    )
    # trend and context
    ctx = prof["context"]
    expected = (
        float(ctx["expected_result"]) if ctx is not None and not _isna(ctx.get("expected_result")) else np.nan
    )
    view["trend_img"] = trend_data_uri(plot or new_plot(inp), prof["trend"], expected, prof["year"])
    tr = prof["trend"]
    view["trend"] = (
        []
        if tr is None
        else [
            {
                "year": str(int(r["year"])),
                "index": fmt_num(r["year_result_index"], 2, signed=True),
                "ci": interval(
                    r["year_result_index"] - z * r["year_result_index_se"],
                    r["year_result_index"] + z * r["year_result_index_se"],
                    2,
                ),
                "n": _int(r["participants"]),
            }
            for r in tr.to_dict("records")
        ]
    )
    if ctx is None:
        view["context"] = None
        view["context_note"] = "ожидаемый результат не рассчитан: " + reasons.get(
            "context", "нет данных о контексте"
        )
    else:
        view["context"] = {
            "cluster": _txt(ctx.get("cluster_name")),
            "expected": fmt_num(ctx.get("expected_result"), 2, signed=True),
            "index": fmt_num(ctx.get("result_index"), 2, signed=True),
            "residual": fmt_num(ctx.get("residual"), 2, signed=True),
            "residual_ci": interval(ctx.get("residual_ci_low"), ctx.get("residual_ci_high"), 2),
            "status": _txt(ctx.get("context_status")),
            "band": _txt(ctx.get("residual_band")),
            "band_colour": BAND_COLOURS.get(str(ctx.get("residual_band")), "#FFFFFF"),
        }
        view["context_note"] = (
            "" if not _isna(ctx.get("expected_result")) else _txt(ctx.get("context_missing_reason"))
        )
    # risks, indices
    risks = prof["risks"]
    view["risks"] = (
        []
        if risks is None
        else [{"risk": _txt(r["risk"]), "level": _txt(r["level"])} for r in risks.to_dict("records")]
    )
    view["risks_note"] = (
        reasons.get("risk_profile", "")
        if risks is None
        else ("" if len(risks) else "рисковый профиль для школы не заполнен")
    )
    view["risks_year"] = str(int(risks["year"].iloc[0])) if risks is not None and len(risks) else ""
    view["indices"] = []
    for ix in prof["indices"].values():
        comps = [
            {
                "label": c["label"],
                "value": _component(c["column"], c["value"]),
                "median": _component(c["column"], c["median"]),
                "direction": "больше — лучше" if c["direction"] > 0 else "больше — хуже",
            }
            for c in ix["components"].to_dict("records")
        ]
        view["indices"].append(
            {
                "title": ix["title"],
                "value": fmt_num(ix["value"], 2, signed=True),
                "year": str(ix["year"]) if ix["year"] else "—",
                "components": comps,
                "note": ix["reason"] if ix["year"] is None else "",
            }
        )
    # diagnostics
    diag = prof["diagnostics"]
    if diag is None:
        view["diag"], view["diag_waves"] = [], []
        view["diag_note"] = reasons.get("diagnostics", "")
    elif not len(diag):
        view["diag"], view["diag_waves"], view["diag_note"] = [], [], "у школы нет диагностик «вход–выход»"
    else:
        waves = diag.attrs["waves"]
        view["diag_waves"] = waves
        view["diag"] = []
        for r in diag.to_dict("records"):
            cells = []
            for w in waves:
                n = r.get(f"n:{w}")
                cells.append(
                    "—"
                    if _isna(n)
                    else (SUPPRESSED if float(n) < inp.min_n else f"{fmt_num(r[f'pct:{w}'], 1)} ({_int(n)})")
                )
            view["diag"].append({"subject": _txt(r["subject"]), "grade": _txt(r["grade"]), "cells": cells})
        view["diag_note"] = ""
    # leader school (or the plain reason there is none), schools it could support, similar schools
    view.update(
        leader_view(prof["leader"], prof["category"], "partners" in inp.tables, reasons.get("partners", "—"))
    )
    view["led"] = led_view(prof["led"])
    sim = prof["similar"]
    view["similar"] = (
        []
        if sim is None
        else [
            {
                "rank": _int(r["rank"]),
                "name": _txt(r.get("name")),
                "id": _txt(r.get("similar_id")),
                "municipality": _txt(r.get("municipality")),
                "distance": fmt_num(r["distance"], 2),
            }
            for r in sim.to_dict("records")
        ]
    )
    w = prof["worth"]
    view["worth"] = (
        None
        if w is None
        else {
            "route": _txt(w["route"]),
            "gain": fmt_num(w["gain"], 2, signed=True),
            "gain_ci": interval(w["gain"] - z * w["gain_se"], w["gain"] + z * w["gain_se"], 2),
        }
    )
    return view


def _component(column: str, v: Any) -> str:
    from shnro_lib.report import fmt_num, fmt_pct

    if _isna(v):
        return "—"
    if column.startswith("share_"):
        return fmt_pct(v)
    if isinstance(v, (bool, np.bool_)):
        return "да" if v else "нет"
    return fmt_num(v, 2 if abs(float(v)) < 10 else 0)


def render_school_page(
    inp: ProfileInputs,
    school_id: str,
    env: Any = None,
    index_href: str = "",
    plot: Any = None,
    site: dict[str, Any] | None = None,
    hrefs: dict[str, str] | None = None,
) -> str:
    """The HTML of one school's page (``env``, ``plot``: reuse them across pages for speed).

    ``site``: the page's ``head`` tags and ``crumbs`` in a report folder (:mod:`shnro_lib.site`);
    ``hrefs``: ``school_id -> link`` of the other school pages (leader, similar schools).
    """
    from markupsafe import Markup

    from shnro_lib.report import PAGE_CSS, footer_html, synthetic_banner

    env = env or _env()
    prof = school_profile(inp, school_id)
    view = page_view(inp, prof, plot)
    meta = inp.region.meta
    banner = synthetic_banner(meta.get("synthetic_note", "")) if inp.region.synthetic else ""
    return env.get_template("school.html.j2").render(
        v=view,
        css=Markup(PAGE_CSS),
        banner=Markup(banner),
        footer=Markup(footer_html(meta)),
        index_href=index_href,
        site=site,
        hrefs=hrefs or {},
    )


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
    from shnro_lib.outputs import atomic_write_text

    out = Path(out_dir)
    inp = profile_inputs(region, dataset, config)
    env = _env()
    plot = new_plot(inp)
    paths = school_page_paths(region, out, school_ids)
    missing = sorted(set(map(str, school_ids or [])) - set(paths))
    if missing:
        raise KeyError("Нет в результатах региона школ с кодами: " + ", ".join(missing))
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
            site_root,
            path,
            out,
            str(names.at[sid, "municipality"]),
            str(names.at[sid, "name"]),
            reports or {},
        )
        atomic_write_text(
            path, render_school_page(inp, sid, env, index_href=rel_index, plot=plot, site=site, hrefs=hrefs)
        )
        written.append(path)
    sch = region.table("schools").set_index(region.table("schools")["school_id"].astype(str))
    # the list pages' categories: the school facts' (as on the pages), «—» where not identified
    cats = pd.Series(
        {sid: _txt(r.get("category")) for sid, r in inp.records.get("facts", {}).items()}
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
    year = region.year
    all_groups = []
    for m in sorted(groups):
        mpage = municipality_page_path(out, m, region)
        atomic_write_text(
            mpage,
            _list_page(
                env,
                region,
                f"Профили школ: {m}, {year}",
                [(m, groups[m])],
                _page_site(site_root, mpage, out, m, None, reports or {}),
            ),
        )
        all_groups.append((m, [(i, n, c, f"{mpage.parent.name}/{f}") for i, n, c, f in groups[m]]))
    atomic_write_text(
        out / "index.html",
        _list_page(
            env,
            region,
            f"Профили школ, {year}",
            all_groups,
            _page_site(site_root, out / "index.html", out, None, None, {}),
        ),
    )
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
