"""One school's profile page: a view of :func:`~shnro_lib.profiles.content.school_profile` rendered by Jinja2.

:mod:`shnro_lib.profiles.pages` writes every school's page, the list pages and the index.  The template
(``templates/school.html.j2``) has autoescaping on: every text from the data is escaped; the only
markup passed in unescaped is the report's own footer, banner and CSS and our base64 figure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from shnro_lib.bands import BAND_COLOURS
from shnro_lib.profiles.content import ProfileInputs, school_profile
from shnro_lib.profiles.partnership import leader_view, led_view, partner_labels, school_names
from shnro_lib.vocabulary import vocabulary

TEMPLATES = Path(__file__).resolve().parent / "templates"
SUPPRESSED = "скрыто*"


def templates_env() -> Any:
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


def plain_text(v: Any) -> str:
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


def _interval(lo: Any, hi: Any, digits: int = 1) -> str:
    """«[−1,2; +3,4]» (signed, decimal comma); «» when either end is missing."""
    from shnro_lib.report import fmt_num

    if _isna(lo) or _isna(hi):
        return ""
    return f"[{fmt_num(lo, digits, signed=True)}; {fmt_num(hi, digits, signed=True)}]"


def _head_view(inp: ProfileInputs, prof: dict[str, Any]) -> dict[str, Any]:
    """The page's heading: the school, its category and status, and the page's thresholds."""
    from shnro_lib.report import fmt_num

    cfg = inp.settings
    school = prof["school"]
    return {
        "school_id": prof["school_id"],
        "name": plain_text(school.get("name")),
        "year": prof["year"],
        "municipality": plain_text(school.get("municipality")),
        "school_type": plain_text(school.get("school_type")),
        "locality": plain_text(school.get("locality")),
        "locality_type": plain_text(school.get("locality_type")),
        "category": prof["category"],
        "category_reason": prof["category_reason"],
        "status": plain_text(prof["facts"].get("status_ru")),
        # tooltips: the vocabulary's one-line definitions of the quantities shown
        "defs": {qid: q.definition for qid, q in vocabulary().items()},
        "level": f"{cfg.ci_level * 100:.0f} %",
        "min_n": inp.min_n,
        "min_similar": cfg.problem_zones.min_similar_schools,
        "low_excess": fmt_num(cfg.problem_zones.low_share_excess * 100, 0),
    }


def _programme_view(inp: ProfileInputs, prof: dict[str, Any]) -> dict[str, Any]:
    """Programme participation by year, its names, cohorts and the current partners."""
    prog = prof["programme"]
    if prog is None:
        note = "нет данных о программе: " + prof["reasons"].get("programme", "—")
        return {
            "programme": [],
            "programme_note": note,
            "programme_names": "—",
            "programme_cohort": "—",
            "programme_partner": "—",
        }
    rows = [
        {
            "year": str(int(r["year"])),
            "name": plain_text(r.get("programme")),
            "in": "да"
            if r.get("in_programme") is True or r.get("in_programme") == 1
            else ("—" if _isna(r.get("in_programme")) else "нет"),
            "cohort": plain_text(r.get("cohort")),
            "partner": plain_text(r.get("partner_school_id")),
        }
        for r in prog.to_dict("records")
    ]
    return {
        "programme": rows,
        "programme_note": "" if len(prog) else "в программе поддержки школа не участвовала",
        "programme_names": "; ".join(sorted({p["name"] for p in rows} - {"—"})) or "—",
        "programme_cohort": ", ".join(sorted({p["cohort"] for p in rows} - {"—"})) or "—",
        "programme_partner": partner_labels(
            [p["partner"] for p in rows], school_names(inp.tables.get("schools"))
        ),
    }


def _zone_row(orig: dict[str, Any]) -> dict[str, Any]:
    """One shown «проблемная зона» cell (a group large enough to show its values)."""
    from shnro_lib.report import fmt_num, fmt_pct

    return {
        "procedure": plain_text(orig["procedure"]),
        "subject": plain_text(orig["subject"]),
        "grade": plain_text(orig["grade"]),
        "n": _int(orig["participants"]),
        "pct": fmt_num(orig["pct"], 1),
        "pct_ci": _interval(orig["pct_low"], orig["pct_high"]),
        "region": fmt_num(orig["region_pct"], 1),
        "gap_region": fmt_num(orig["gap_region"], 1, signed=True),
        "gap_region_ci": _interval(orig["gap_region_low"], orig["gap_region_high"]),
        "similar": fmt_num(orig["similar_pct"], 1),
        "gap_similar": fmt_num(orig["gap_similar"], 1, signed=True),
        "gap_similar_ci": _interval(orig["gap_similar_low"], orig["gap_similar_high"]),
        "low": fmt_pct(orig["share_low"]),
        "region_low": fmt_pct(orig["region_share_low"]),
        "weak": bool(orig["weak"]),
        "weak_region": bool(orig["weak_region"]),
        "weak_similar": bool(orig["weak_similar"]),
        "low_out": bool(orig["low_stands_out"]),
    }


def _zones_view(inp: ProfileInputs, prof: dict[str, Any]) -> dict[str, Any]:
    """The «проблемные зоны» table; the small groups named in one line, without values."""
    from shnro_lib.report import suppress_small

    zones = prof["zones"]
    if zones is None or not len(zones):
        note = prof["reasons"].get("zones") or f"нет результатов оценочных процедур за {prof['year']} год"
        return {"zones_small": "", "zones_note": note, "zones": [], "zones_suppressed_note": ""}
    view: dict[str, Any] = {"zones_small": "", "zones_note": ""}
    note = ""
    small_rows = zones[zones["small"]]
    if len(small_rows):
        # small groups: named in one line, no values (a page must fit 2-3 A4 sheets); the wording is
        # the shared suppression note of every other output (shnro_lib.report.suppress_small)
        note = suppress_small(
            small_rows[["participants", "pct"]], "participants", ["pct"], min_n=inp.min_n
        ).attrs["note"]
        view["zones_small"] = "; ".join(
            f"{r['procedure']} — {r['subject']}, {int(r['grade'])} кл." for r in small_rows.to_dict("records")
        )
    view["zones"] = [_zone_row(orig) for orig in zones[~zones["small"]].to_dict("records")]
    view["zones_suppressed_note"] = note
    return view


def _trend_view(inp: ProfileInputs, prof: dict[str, Any], z: float, plot: Any) -> dict[str, Any]:
    """The trend figure (with the expected result) and the yearly index with its interval."""
    from shnro_lib.profiles.figures import trend_data_uri
    from shnro_lib.report import fmt_num

    ctx = prof["context"]
    expected = (
        float(ctx["expected_result"]) if ctx is not None and not _isna(ctx.get("expected_result")) else np.nan
    )
    img = trend_data_uri(plot or new_plot(inp), prof["trend"], expected, prof["year"])
    tr = prof["trend"]
    rows = (
        []
        if tr is None
        else [
            {
                "year": str(int(r["year"])),
                "index": fmt_num(r["year_result_index"], 2, signed=True),
                "ci": _interval(
                    r["year_result_index"] - z * r["year_result_index_se"],
                    r["year_result_index"] + z * r["year_result_index_se"],
                    2,
                ),
                "n": _int(r["participants"]),
            }
            for r in tr.to_dict("records")
        ]
    )
    return {"trend_img": img, "trend": rows}


def _context_view(prof: dict[str, Any]) -> dict[str, Any]:
    """The school against its expected result by context (or why it was not computed)."""
    from shnro_lib.report import fmt_num

    ctx = prof["context"]
    if ctx is None:
        reason = prof["reasons"].get("context", "нет данных о контексте")
        return {"context": None, "context_note": "ожидаемый результат не рассчитан: " + reason}
    return {
        "context": {
            "cluster": plain_text(ctx.get("cluster_name")),
            "expected": fmt_num(ctx.get("expected_result"), 2, signed=True),
            "index": fmt_num(ctx.get("result_index"), 2, signed=True),
            "residual": fmt_num(ctx.get("residual"), 2, signed=True),
            "residual_ci": _interval(ctx.get("residual_ci_low"), ctx.get("residual_ci_high"), 2),
            "status": plain_text(ctx.get("context_status")),
            "band": plain_text(ctx.get("residual_band")),
            "band_colour": BAND_COLOURS.get(str(ctx.get("residual_band")), "#FFFFFF"),
        },
        "context_note": (
            "" if not _isna(ctx.get("expected_result")) else plain_text(ctx.get("context_missing_reason"))
        ),
    }


def _risks_view(prof: dict[str, Any]) -> dict[str, Any]:
    """The risk profile of the latest year (or why there is none)."""
    risks = prof["risks"]
    rows = (
        []
        if risks is None
        else [
            {"risk": plain_text(r["risk"]), "level": plain_text(r["level"])} for r in risks.to_dict("records")
        ]
    )
    note = (
        prof["reasons"].get("risk_profile", "")
        if risks is None
        else ("" if len(risks) else "рисковый профиль для школы не заполнен")
    )
    year = str(int(risks["year"].iloc[0])) if risks is not None and len(risks) else ""
    return {"risks": rows, "risks_note": note, "risks_year": year}


def _indices_view(prof: dict[str, Any]) -> list[dict[str, Any]]:
    """The staff and resources indices with their components against the region's medians."""
    from shnro_lib.report import fmt_num

    out = []
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
        out.append(
            {
                "title": ix["title"],
                "value": fmt_num(ix["value"], 2, signed=True),
                "year": str(ix["year"]) if ix["year"] else "—",
                "components": comps,
                "note": ix["reason"] if ix["year"] is None else "",
            }
        )
    return out


def _diag_view(inp: ProfileInputs, prof: dict[str, Any]) -> dict[str, Any]:
    """The «вход–выход» diagnostics by subject and grade, one cell per wave (small groups hidden)."""
    from shnro_lib.report import fmt_num

    diag = prof["diagnostics"]
    if diag is None:
        return {"diag": [], "diag_waves": [], "diag_note": prof["reasons"].get("diagnostics", "")}
    if not len(diag):
        return {"diag": [], "diag_waves": [], "diag_note": "у школы нет диагностик «вход–выход»"}
    waves = diag.attrs["waves"]
    rows = []
    for r in diag.to_dict("records"):
        cells = []
        for w in waves:
            n = r.get(f"n:{w}")
            cells.append(
                "—"
                if _isna(n)
                else (SUPPRESSED if float(n) < inp.min_n else f"{fmt_num(r[f'pct:{w}'], 1)} ({_int(n)})")
            )
        rows.append({"subject": plain_text(r["subject"]), "grade": plain_text(r["grade"]), "cells": cells})
    return {"diag_waves": waves, "diag": rows, "diag_note": ""}


def _similar_view(prof: dict[str, Any]) -> list[dict[str, str]]:
    """The similar schools by rank, with their municipality and distance."""
    from shnro_lib.report import fmt_num

    sim = prof["similar"]
    if sim is None:
        return []
    return [
        {
            "rank": _int(r["rank"]),
            "name": plain_text(r.get("name")),
            "id": plain_text(r.get("similar_id")),
            "municipality": plain_text(r.get("municipality")),
            "distance": fmt_num(r["distance"], 2),
        }
        for r in sim.to_dict("records")
    ]


def _worth_view(prof: dict[str, Any], z: float) -> dict[str, str] | None:
    """Why the school is on the «стоит изучить» list, with its gain and interval (``None`` when not)."""
    from shnro_lib.report import fmt_num

    w = prof["worth"]
    if w is None:
        return None
    return {
        "route": plain_text(w["route"]),
        "gain": fmt_num(w["gain"], 2, signed=True),
        "gain_ci": _interval(w["gain"] - z * w["gain_se"], w["gain"] + z * w["gain_se"], 2),
    }


def page_view(inp: ProfileInputs, prof: dict[str, Any], plot: Any = None) -> dict[str, Any]:
    """Formatted values of one page (strings, lists of rows); the template only lays them out.

    Parameters
    ----------
    inp : the region-wide inputs (:func:`~shnro_lib.profiles.content.profile_inputs`).
    prof : the school's content (:func:`~shnro_lib.profiles.content.school_profile`).
    plot : the reusable trend figure (:func:`new_plot`); a new one when ``None``.

    Returns
    -------
    dict
        The page's values by section: heading, programme, «проблемные зоны», trend, context, risks,
        indices, diagnostics, leader and led schools, similar schools, the «стоит изучить» route.
    """
    z = float(stats.norm.ppf(0.5 + inp.settings.ci_level / 2))
    reasons = prof["reasons"]
    view = _head_view(inp, prof)
    view.update(_programme_view(inp, prof))
    view.update(_zones_view(inp, prof))
    view["weak_areas"], view["low_areas"] = prof["weak_areas"], prof["low_areas"]
    view["similar_note"] = (
        "" if "similar" in inp.tables else "похожие школы не подобраны: " + reasons.get("similar", "—")
    )
    view.update(_trend_view(inp, prof, z, plot))
    view.update(_context_view(prof))
    view.update(_risks_view(prof))
    view["indices"] = _indices_view(prof)
    view.update(_diag_view(inp, prof))
    # leader school (or the plain reason there is none), schools it could support, similar schools
    view.update(
        leader_view(prof["leader"], prof["category"], "partners" in inp.tables, reasons.get("partners", "—"))
    )
    view["led"] = led_view(prof["led"])
    view["similar"] = _similar_view(prof)
    view["worth"] = _worth_view(prof, z)
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

    env = env or templates_env()
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
