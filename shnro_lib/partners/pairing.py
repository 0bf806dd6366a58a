"""Pairing of schools with leaders: the cost matrix, the assignment in two rounds and the list.

The cost of pairing school i with leader j (``parameters/partners.yaml``)::

    cost = w_context · context distance + w_result · (|gap − target_gap| + penalty·[gap < min_gap])
         + w_km · distance in km + w_other_municipality · [different municipality]
         + w_lower_level · [the leader's level below the school's]

Schools of ``pair_categories`` are paired first; schools of ``second_round_categories`` are then
offered the places the leaders still have. Each round is solved exactly by
:func:`~shnro_lib.partners.assignment.optimal_assignment`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from shnro_lib.russian import plural_ru

from . import texts
from .assignment import optimal_assignment
from .geometry import OWN_COORDINATES, fill_coordinates, km_matrix, scattered_localities
from .settings import PartnersSettings, ResultGapSettings, load_partners_config

PAIR_COLUMNS = [
    "school_id",
    "leader_id",
    "context_distance",
    "result_gap",
    "distance_km",
    "reason",
    "school_name",
    "municipality",
    "category",
    "school_result_index",
    "leader_name",
    "leader_municipality",
    "leader_result_index",
    "same_municipality",
    "cost",
    "coords_note",
    "paired",
]


@dataclass
class PartnerResult:
    """The «Список сетевого партнёрства» of one year.

    Attributes
    ----------
    pairs : one row per school that needs a partner: ``school_id, leader_id`` (NA when unpaired),
        ``context_distance, result_gap, distance_km, reason`` and details (names, municipalities,
        result indices, cost terms, ``coords_note``, ``paired``, current partner if known).
    leaders : the leader schools with ``n_assigned``.
    cost : the school × leader cost matrix (DataFrame).
    notes : Russian notes (missing coordinates, missing context, capacity shortfall).
    """

    pairs: pd.DataFrame
    leaders: pd.DataFrame
    cost: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    year: int | None = None

    @property
    def paired(self) -> pd.DataFrame:
        return self.pairs[self.pairs["paired"]].reset_index(drop=True)

    @property
    def unpaired(self) -> pd.DataFrame:
        return self.pairs[~self.pairs["paired"]].reset_index(drop=True)


@dataclass
class _Costs:
    """The cost terms of every school × leader."""

    ctx: np.ndarray  # context distance (NaN where a school has no features)
    gap: np.ndarray  # leader's result index − school's
    km: np.ndarray
    total: np.ndarray
    lower: np.ndarray  # 1 where the leader's level is below the school's
    s_ri: np.ndarray  # result index of the schools
    l_ri: np.ndarray  # and of the leaders


def _ids(df: pd.DataFrame, col: str) -> pd.DataFrame:
    out = df.copy()
    out[col] = out[col].astype("string")
    return out


def schools_to_pair(ident: pd.DataFrame, cfg: PartnersSettings) -> pd.DataFrame:
    """The schools that need a leader, with ``round`` 1 (``pair_categories``) or 2 (second round).

    Parameters
    ----------
    ident : identification of the year (``school_id, category, result_index``).
    cfg : the validated partners settings.

    Returns
    -------
    DataFrame
        The rows of ``ident`` to pair, sorted by ``school_id``, with ``round``.
    """
    idt = _ids(ident, "school_id")
    first = list(cfg.pair_categories)
    second = [c for c in cfg.second_round_categories if c not in first]
    need = idt[idt["category"].isin(first + second)].copy()
    need["round"] = np.where(need["category"].isin(first), 1, 2)
    return need.sort_values("school_id", kind="stable").reset_index(drop=True)


def context_matrix(features: pd.DataFrame | None, s_ids: list[str], l_ids: list[str]) -> np.ndarray:
    """Euclidean distances between the standardised context features of schools and leaders.

    A school or leader with any missing feature gets NaN in its row or column.
    """
    ctx = np.full((len(s_ids), len(l_ids)), np.nan)
    if features is None or not len(features) or not s_ids or not l_ids:
        return ctx
    f = features.copy()
    f.index = f.index.astype("string")
    fs, fl = f.reindex(s_ids).to_numpy(float), f.reindex(l_ids).to_numpy(float)
    ctx = np.sqrt(((fs[:, None, :] - fl[None, :, :]) ** 2).sum(axis=2))
    ctx[np.isnan(fs).any(axis=1), :] = np.nan
    ctx[:, np.isnan(fl).any(axis=1)] = np.nan
    return ctx


def _context_cost(ctx: np.ndarray, s_ids: list[str], l_ids: list[str], q: float, notes: list[str]):
    """Missing context distances → the ``q`` quantile of the known ones (and a note naming the schools)."""
    missing = ~np.isfinite(ctx)
    if not missing.any():
        return ctx
    fill = float(np.nanquantile(ctx, q)) if np.isfinite(ctx).any() else 0.0
    no_ctx = [s_ids[i] for i in range(len(s_ids)) if missing[i].all()]
    no_ctx += [l_ids[j] for j in range(len(l_ids)) if s_ids and missing[:, j].all()]
    if no_ctx:
        notes.append(
            f"Нет признаков контекста у {len(no_ctx)} {plural_ru(len(no_ctx), 'школы', 'школ', 'школ')}: "
            "расстояние по контексту принято равным "
            f"{texts.num_ru(fill)} SD ({q:.0%}-й процентиль): {', '.join(sorted(map(str, no_ctx)))}."
        )
    return np.where(missing, fill, ctx)


def _gap_cost(s_ri: np.ndarray, l_ri: np.ndarray, rg: ResultGapSettings) -> tuple[np.ndarray, np.ndarray]:
    """The result gap and its cost: distance from the target gap plus a penalty below the minimum."""
    gap = l_ri[None, :] - s_ri[:, None]
    target, min_gap = float(rg.target_gap), float(rg.min_gap)
    pen = float(rg.below_min_gap_penalty)
    return gap, np.where(np.isfinite(gap), np.abs(gap - target) + pen * (gap < min_gap), target + pen)


def _geo_notes(sch: pd.DataFrame, geo: pd.DataFrame, ids: set[str], max_km: float) -> list[str]:
    """Notes on imputed coordinates and on settlements whose schools lie implausibly far apart."""
    notes = []
    src = geo["coords_source"]
    imputed = sorted(str(s) for s in ids if src.get(s, "") != OWN_COORDINATES)
    if imputed:
        notes.append(
            f"Нет координат у {len(imputed)} {plural_ru(len(imputed), 'школы', 'школ', 'школ')}: "
            "расстояние оценено по центру муниципалитета "
            f"(или региона): {', '.join(imputed)}."
        )
    wide = scattered_localities(sch, max_km)
    if len(wide):
        listed = "; ".join(
            f"{r.locality} ({r.municipality}): {r.n_schools} "
            f"{plural_ru(r.n_schools, 'школа', 'школы', 'школ')}, до {texts.num_ru(r.spread_km, 0)} км"
            for r in wide.head(10).itertuples()
        )
        more = f" и ещё {len(wide) - 10}" if len(wide) > 10 else ""
        notes.append(
            "Координаты школ одного населённого пункта расходятся больше чем на "
            f"{texts.num_ru(max_km, 0)} км "
            f"— {listed}{more}. Расстояния до школы-лидера у таких школ различаются; проверьте координаты."
        )
    return notes


def _levels(types: pd.Series, ids: list[str], cfg: PartnersSettings) -> np.ndarray:
    """Each school's level number by ``school_type`` (``school_levels``); NaN where unknown."""
    levels = cfg.school_levels
    return np.array([levels.get(str(types.get(s, "")).strip(), np.nan) for s in ids], dtype=float)


def _costs(need, ld, features, munis, types, geo, cfg, notes) -> _Costs:
    """Every cost term of the school × leader matrix and their weighted sum."""
    s_ids, l_ids = need["school_id"].tolist(), ld["leader_id"].tolist()
    n, m = len(s_ids), len(l_ids)
    w = cfg.weights
    km = km_matrix(geo, s_ids, l_ids)
    ctx = context_matrix(features, s_ids, l_ids)
    ctx_cost = _context_cost(ctx, s_ids, l_ids, float(cfg.missing_context_quantile), notes)
    s_ri = pd.to_numeric(need["result_index"], errors="coerce").to_numpy(float)
    l_ri = pd.to_numeric(ld["result_index"], errors="coerce").to_numpy(float)
    gap, gap_cost = _gap_cost(s_ri, l_ri, cfg.result_gap)
    s_mun = np.array([munis.get(s, None) for s in s_ids], dtype=object)
    l_mun = np.array([munis.get(s, None) for s in l_ids], dtype=object)
    other = (s_mun[:, None] != l_mun[None, :]).astype(float) if n and m else np.zeros((n, m))
    s_lv, l_lv = _levels(types, s_ids, cfg), _levels(types, l_ids, cfg)
    lower = (l_lv[None, :] < s_lv[:, None]).astype(float)  # NaN compares False: unknown levels cost nothing
    total = (
        float(w.context) * ctx_cost
        + float(w.result) * gap_cost
        + float(w.km) * np.where(np.isfinite(km), km, 0.0)
        + float(w.other_municipality) * other
        + float(w.lower_level) * lower
    )
    return _Costs(ctx=ctx, gap=gap, km=km, total=total, lower=lower, s_ri=s_ri, l_ri=l_ri)


def assign_in_rounds(
    cost: np.ndarray, caps: np.ndarray, unpaired_cost: np.ndarray, rounds: np.ndarray
) -> np.ndarray:
    """Round 1 takes the leaders' places first; round 2 gets the places left (each round optimal).

    Returns
    -------
    numpy.ndarray
        The leader's column per school, -1 when unpaired.
    """
    assign = np.full(cost.shape[0], -1)
    if not cost.size:
        return assign
    left = np.asarray(caps, int).copy()
    for r in (1, 2):
        rows = np.flatnonzero(rounds == r)
        if not len(rows) or left.sum() <= 0:
            continue
        a = optimal_assignment(cost[rows], left, unpaired_cost[rows])
        assign[rows] = a
        left -= np.bincount(a[a >= 0], minlength=len(left))
    return assign


def _unpaired_cost(s_ri: np.ndarray, need_weight: float) -> np.ndarray:
    """``need_weight × (−result index)``: with a positive weight the lowest results are paired first."""
    fill = float(np.nanmean(s_ri)) if np.isfinite(s_ri).any() else 0.0
    return need_weight * -np.nan_to_num(s_ri, nan=fill)


def _residual_words(ld: pd.DataFrame, j: int) -> str | None:
    cols = [c for c in ld.columns if c.startswith("residual_")]
    res = [float(ld.at[j, c]) for c in cols]
    if not res or not all(np.isfinite(res)):
        return None
    return texts.stability_words(res, [c.split("_")[-1] for c in cols])


def _paired_row(i, j, need, ld, c: _Costs, names, munis, src) -> dict:
    """The row of a proposed pair, with its reason."""
    sid, lid, m = need.at[i, "school_id"], ld.at[j, "leader_id"], len(ld)
    d_ctx, g, d_km = c.ctx[i, j], c.gap[i, j], c.km[i, j]
    same = bool(munis.get(sid) == munis.get(lid))
    place = "тот же муниципалитет" if same else str(munis.get(lid, "—"))
    place += "; " + texts.distance_words(d_km, texts.true_rank(c.km[i], d_km), m)
    ctx_words = (
        texts.context_words(texts.true_rank(c.ctx[i], d_ctx), m, d_ctx) if np.isfinite(d_ctx) else None
    )
    l_ri = float(c.l_ri[j])
    gap = texts.gap_words(g, l_ri, float(c.s_ri[i])) if np.isfinite(g) else None
    if c.lower[i, j]:
        gap = "; ".join(x for x in (gap, "уровень школы-лидера ниже уровня школы") if x)
    # how an approximate distance was estimated (each source once); nothing to say when it is unknown
    sources = dict.fromkeys(x for x in (src.get(sid, ""), src.get(lid, "")) if x and x != OWN_COORDINATES)
    note = "; ".join(sources) if np.isfinite(d_km) else ""
    second = texts.second_round_note(need.at[i, "category"]) if need.at[i, "round"] == 2 else ""
    return {
        "leader_id": lid,
        "leader_name": names.get(lid, pd.NA),
        "leader_municipality": munis.get(lid),
        "leader_result_index": l_ri,
        "context_distance": d_ctx,
        "result_gap": g,
        "distance_km": d_km,
        "same_municipality": same,
        "cost": c.total[i, j],
        "coords_note": note,
        "paired": True,
        "reason": texts.paired_reason(
            names.get(lid), lid, place, ctx_words, gap, _residual_words(ld, j), note, second
        ),
    }


def _unpaired_row(why: str) -> dict:
    empty = dict.fromkeys(("leader_id", "leader_name", "leader_municipality", "same_municipality"), pd.NA)
    nums = dict.fromkeys(
        ("leader_result_index", "context_distance", "result_gap", "distance_km", "cost"), np.nan
    )
    return {**empty, **nums, "coords_note": "", "paired": False, "reason": why}


def _pairs_frame(rows: list[dict], current_partners: pd.Series | None) -> pd.DataFrame:
    pairs = pd.DataFrame(rows, columns=PAIR_COLUMNS)
    pairs["paired"] = pairs["paired"].astype(bool)
    for c in ("school_id", "leader_id"):
        pairs[c] = pairs[c].astype("string")
    for c in ("context_distance", "result_gap", "distance_km", "cost"):
        pairs[c] = pd.to_numeric(pairs[c], errors="coerce").round(4)
    if current_partners is not None:
        cp = current_partners.copy()
        cp.index = cp.index.astype("string")
        pairs["current_partner_id"] = pairs["school_id"].map(cp).astype("string")
        pairs["same_as_current"] = (pairs["current_partner_id"] == pairs["leader_id"]).astype("boolean")
    return pairs


def pair_schools(
    ident: pd.DataFrame,
    leaders: pd.DataFrame,
    features: pd.DataFrame | None,
    schools: pd.DataFrame,
    config: str | Path | Mapping | PartnersSettings | None = None,
    current_partners: pd.Series | None = None,
    year: int | None = None,
) -> PartnerResult:
    """Pair every school of ``pair_categories`` (then ``second_round_categories``) with a leader.

    Parameters
    ----------
    ident : identification of the year (``school_id, category, result_index``; ``name``,
        ``municipality`` optional).
    leaders : output of :func:`~shnro_lib.partners.leaders.select_leaders` (``leader_id,
        result_index, capacity``, residual columns).
    features : standardised context features indexed by ``school_id`` (may be None or miss schools).
    schools : ``school_id, name, municipality, lat, lon`` (coordinates and ``locality`` optional).
    config : see :func:`~shnro_lib.partners.settings.load_partners_config`.
    current_partners : optional ``school_id -> partner_school_id`` now recorded in the programme table.
    year : the identification year (kept in the result).

    Returns
    -------
    PartnerResult
    """
    cfg = load_partners_config(config)
    notes: list[str] = list(leaders.attrs.get("notes", []))
    sch = _ids(schools.drop_duplicates("school_id"), "school_id")
    by_id = sch.set_index("school_id")
    names = by_id["name"] if "name" in by_id.columns else pd.Series(dtype="string")
    munis = by_id["municipality"]
    need = schools_to_pair(ident, cfg)
    ld = _ids(leaders.reset_index(drop=True), "leader_id")
    n, m = len(need), len(ld)
    geo = fill_coordinates(sch).set_index("school_id")
    ids = set(need["school_id"]) | set(ld["leader_id"])
    notes += _geo_notes(sch, geo, ids, float(cfg.max_locality_spread_km))
    types = by_id["school_type"] if "school_type" in by_id.columns else pd.Series(dtype="string")
    c = _costs(need, ld, features, munis, types, geo, cfg, notes)
    caps = ld["capacity"].astype(int).to_numpy() if m else np.zeros(0, int)
    need_w = float(cfg.unpaired.need_weight)
    s_ri, rounds = c.s_ri, need["round"].to_numpy()
    assign = assign_in_rounds(c.total, caps, _unpaired_cost(s_ri, need_w), rounds)
    places, n1 = int(caps.sum()), int((rounds == 1).sum())
    if n1 > places:
        k = n1 - places
        notes.append(
            f"Школ для пары {n1}, а мест у школ-лидеров {places} "
            f"({m} {plural_ru(m, 'лидер', 'лидера', 'лидеров')}): "
            f"{k} {plural_ru(k, 'школа остаётся', 'школы остаются', 'школ остаются')} без пары."
        )
    src = geo["coords_source"]
    rows = []
    for i in range(n):
        sid = need.at[i, "school_id"]
        base = {
            "school_id": sid,
            "school_name": names.get(sid, pd.NA),
            "municipality": munis.get(sid),
            "category": need.at[i, "category"],
            "school_result_index": s_ri[i],
        }
        j = int(assign[i])
        if j >= 0:
            rows.append({**base, **_paired_row(i, j, need, ld, c, names, munis, src)})
        else:
            why = texts.unpaired_reason(m, places, n1, need_w, s_ri[i], base["category"], rounds[i] == 2)
            rows.append({**base, **_unpaired_row(why)})
    pairs = _pairs_frame(rows, current_partners)
    ld["n_assigned"] = [int((assign == j).sum()) for j in range(m)]
    s_idx, l_idx = pd.Index(need["school_id"], name="school_id"), pd.Index(ld["leader_id"], name="leader_id")
    cost_df = pd.DataFrame(c.total, index=s_idx, columns=l_idx)
    pairs.attrs["years"] = leaders.attrs.get("years", [])
    return PartnerResult(pairs=pairs, leaders=ld, cost=cost_df, notes=notes, year=year)
