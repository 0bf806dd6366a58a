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
                "name": plain_text(r.get("programme")),
                "in": "да"
                if r.get("in_programme") is True or r.get("in_programme") == 1
                else ("—" if _isna(r.get("in_programme")) else "нет"),
                "cohort": plain_text(r.get("cohort")),
                "partner": plain_text(r.get("partner_school_id")),
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
                    "procedure": plain_text(orig["procedure"]),
                    "subject": plain_text(orig["subject"]),
                    "grade": plain_text(orig["grade"]),
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
            "cluster": plain_text(ctx.get("cluster_name")),
            "expected": fmt_num(ctx.get("expected_result"), 2, signed=True),
            "index": fmt_num(ctx.get("result_index"), 2, signed=True),
            "residual": fmt_num(ctx.get("residual"), 2, signed=True),
            "residual_ci": interval(ctx.get("residual_ci_low"), ctx.get("residual_ci_high"), 2),
            "status": plain_text(ctx.get("context_status")),
            "band": plain_text(ctx.get("residual_band")),
            "band_colour": BAND_COLOURS.get(str(ctx.get("residual_band")), "#FFFFFF"),
        }
        view["context_note"] = (
            "" if not _isna(ctx.get("expected_result")) else plain_text(ctx.get("context_missing_reason"))
        )
    # risks, indices
    risks = prof["risks"]
    view["risks"] = (
        []
        if risks is None
        else [
            {"risk": plain_text(r["risk"]), "level": plain_text(r["level"])} for r in risks.to_dict("records")
        ]
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
            view["diag"].append(
                {"subject": plain_text(r["subject"]), "grade": plain_text(r["grade"]), "cells": cells}
            )
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
                "name": plain_text(r.get("name")),
                "id": plain_text(r.get("similar_id")),
                "municipality": plain_text(r.get("municipality")),
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
            "route": plain_text(w["route"]),
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
