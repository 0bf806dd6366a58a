"""The partnership part of a school page: its leader (or the reason there is none), the schools it
could lead, its similar schools and its current partner, every school by name and «Код ОО»."""

from __future__ import annotations

from typing import Any

import pandas as pd

from shnro_lib.partners.texts import no_pair_note, school_label_ru


def _isna(v: Any) -> bool:
    try:
        return v is None or v is pd.NA or bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _txt(v: Any) -> str:
    return "—" if _isna(v) or str(v).strip() == "" else str(v)


def school_names(schools: pd.DataFrame | None) -> dict[str, str]:
    """``school_id -> name`` of the schools table (empty without one)."""
    if schools is None or "name" not in schools.columns:
        return {}
    d = schools.drop_duplicates("school_id")
    return {str(k): v for k, v in zip(d["school_id"], d["name"], strict=True) if not _isna(v)}


def partner_labels(codes: list[str], names: dict[str, str]) -> str:
    """The current partners of the programme table by name and «Код ОО» («—» when none)."""
    known = sorted({c for c in codes if c != "—"})
    return "; ".join(school_label_ru(names.get(c), c) for c in known) or "—"


def leader_view(led: dict | None, category: str, has_partners: bool, reason: str) -> dict[str, Any]:
    """``leader`` (name, code, municipality, index, distance, reason) or ``leader_note``: the plain reason.

    Parameters
    ----------
    led : the school's row of the partnership list, or ``None``.
    category : the school's category of the year.
    has_partners : whether the partnership list was computed at all.
    reason : why it was not (when ``has_partners`` is false).
    """
    from shnro_lib.report import fmt_num

    if led is None:
        note = no_pair_note(category) if has_partners else "партнёрства не рассчитаны: " + reason
        return {"leader": None, "leader_note": note}
    if not bool(led.get("paired", True)) or _isna(led.get("leader_id")):
        return {
            "leader": None,
            "leader_note": "школа-лидер не предложена: " + _txt(led.get("reason")).rstrip("."),
        }
    lid = _txt(led.get("leader_id"))
    name = led.get("leader_name")
    return {
        "leader": {
            "id": lid,
            "name": _txt(name) if not _isna(name) else school_label_ru(None, lid),
            "code": lid,
            "municipality": _txt(led.get("leader_municipality")),
            "index": fmt_num(led.get("leader_result_index"), 2, signed=True),
            "distance": "—" if _isna(led.get("distance_km")) else f"{fmt_num(led['distance_km'], 0)} км",
            "reason": _txt(led.get("reason")),
        },
        "leader_note": "",
    }


def led_view(lead: pd.DataFrame | None) -> list[dict[str, str]]:
    """The schools this one is proposed to lead: name, code and category."""
    if lead is None:
        return []
    return [
        {
            "id": _txt(r.get("school_id")),
            "name": _txt(r.get("school_name")),
            "category": _txt(r.get("category")),
        }
        for r in lead.sort_values("school_id").to_dict("records")
    ]
