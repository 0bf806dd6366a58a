"""The method annex text for a rule set: ``templates/method.md.j2`` rendered with the rule set's values."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shnro_lib.identify.explain import _threshold_ru
from shnro_lib.identify.rules import load_rules
from shnro_lib.prose import render_prose
from shnro_lib.russian import years_ru

RISK_PARTS = ("margin", "drop", "borderline", "one_short")


def _n(x: float) -> str:
    return f"{x:g}".replace(".", ",")


def _pct(share: float) -> str:
    return f"{float(share) * 100:.0f}"


def _clause(r: dict, cl: dict) -> dict[str, Any]:
    def titles(names: list) -> list[str]:
        return [r["criteria"][n]["title_ru"] for n in names]

    return {
        "criteria": titles(cl["criteria"]),
        "min": int(cl["min"]),
        "require_one_of": titles(cl["require_one_of"] or []),
        "lower_half_of": list(cl["lower_half_of"] or []),
    }


def _intended(spec: dict) -> dict[str, Any] | None:
    it = spec["intended"]
    if it is None:
        return None
    share = it["share"] is not None
    return {
        "share": share,
        "low": _pct(it["share"][0]) if share else "",
        "high": _pct(it["share"][1]) if share else "",
        "capacity": it["capacity"],
        "note": it["note_ru"],
    }


def _risk_zone(r: dict) -> tuple[list[str], dict[str, Any]]:
    rz, ri = r["risk_zone"], r["result_index"]
    present = {
        "margin": bool(rz["margin_categories"]),
        "drop": rz["index_drop"] is not None,
        "borderline": bool(rz["borderline"]),
        "one_short": bool(rz["one_short_categories"]),
    }
    drop = rz["index_drop"] is not None
    values = {
        "margin_categories": ", ".join(rz["margin_categories"] or []),
        "index_drop_years": rz["index_drop_years"],
        "index_drop": _n(rz["index_drop"]) if drop else "",
        "index_drop_z": _n(rz["index_drop_z"]) if drop else "",
        "index_drop_sustained": bool(rz["index_drop_sustained"]),
        "bottom_pct": _pct(ri["bottom_share"]),
        "borderline_low": _n(ri["borderline_p"][0]) if rz["borderline"] else "",
        "borderline_high": _n(ri["borderline_p"][1]) if rz["borderline"] else "",
        "one_short_categories": ", ".join(rz["one_short_categories"] or []),
    }
    return [p for p in RISK_PARTS if present[p]], values


def _criteria(r: dict) -> list[dict[str, Any]]:
    return [
        {
            "title": c["title_ru"],
            "threshold": _threshold_ru(c),
            "window": years_ru(int(c["window"])),
            "persistence": c["persistence"],
            "min_n": f"{c['min_n']:g}" if c["min_n"] is not None else None,
        }
        for c in r["criteria"].values()
    ]


def identification_method_ru(rules: str | Path | Mapping = "lo_2018", override: Mapping | None = None) -> str:
    """Markdown text for the method annex: criteria, thresholds, uncertainty, choices made.

    Parameters
    ----------
    rules : str, Path or Mapping
        The rule set (a name in ``parameters/criteria/``, a file or the rules themselves).
    override : Mapping, optional
        A user's ``--config`` (its ``criteria`` section applies to this rule set).

    Returns
    -------
    str
        ``shnro_lib/identify/templates/method.md.j2`` rendered with the rule set's values.
    """
    r = load_rules(rules, (override or {}).get("criteria"))
    ri = r["result_index"]
    risk_parts, risk_zone = _risk_zone(r)
    computed = {
        "title": r["title_ru"],
        "description": str(r["description_ru"]).strip(),
        "criteria": _criteria(r),
        "categories": [
            {
                "name": cat,
                "clauses": [_clause(r, cl) for cl in spec["any_of"]],
                "intended": _intended(spec),
            }
            for cat, spec in r["categories"].items()
        ],
        "groups": [
            {"name": g, "members": [r["criteria"][n]["title_ru"] for n in members]}
            for g, members in (r["groups"] or {}).items()
        ],
        "uncovered_pct": _pct(1 - r["coverage_min_share"]),
        "procedures": ", ".join(ri["procedures"]) if ri["procedures"] else "",
        "bottom_pct": _pct(ri["bottom_share"]),
        "significance_z": _n(ri["significance_z"]) if ri["significance_z"] is not None else "",
        "procedure_weights": ", ".join(
            f"{k} — {v:g}" for k, v in sorted((ri["procedure_weights"] or {}).items())
        ),
        "min_participants": f"{ri['min_participants']:g}" if ri["min_participants"] else "",
        "risk_parts": risk_parts,
        "risk_zone": risk_zone,
    }
    return render_prose("shnro_lib.identify", "method.md.j2", settings=r, computed=computed)
