"""Network partnerships: pair every ШНРО with a leader school by optimal assignment.

Leaders are schools that are not identified themselves and whose context-adjusted results
(residual = actual − expected result) are high in the current and the previous year(s).
Each ШНРО gets one leader; a leader takes at most ``capacity`` schools. The pairing minimises
the total cost (``parameters/partners.yaml``)::

    cost = w_context · context distance + w_result · (|gap − target_gap| + penalty·[gap < min_gap])
         + w_km · distance in km + w_other_municipality · [different municipality]

solved exactly by :func:`scipy.optimize.linear_sum_assignment` on a matrix in which every leader
is repeated ``capacity`` times. The identification and context tables are inputs;
:func:`partner_pairs` builds them with :mod:`shnro_lib.identify` and :mod:`shnro_lib.context`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shnro_lib.config import load_yaml
from shnro_lib.labels import LABELS_RU
from shnro_lib.partners.settings import PartnersSettings
from shnro_lib.settings import load_settings, parse_settings

EARTH_RADIUS_KM = 6371.0088


# --------------------------------------------------------------------------- configuration


def load_partners_config(config: str | Path | Mapping[str, Any] | None = None) -> dict:
    """The pairing configuration: ``parameters/partners.yaml`` validated by :class:`PartnersSettings`.

    ``config`` may be a complete YAML file (path) or a dict merged over the shipped file (a user's
    ``--config`` section ``partners:``); unknown keys are errors naming the file and the key.
    """
    if isinstance(config, (str, Path)):
        return parse_settings(PartnersSettings, load_yaml(config), Path(config).name).model_dump()
    return load_settings(PartnersSettings, "partners", dict(config) if config else None).model_dump()


# --------------------------------------------------------------------------- geometry


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km (vectorised; broadcasting like numpy)."""
    p1, p2 = np.radians(np.asarray(lat1, float)), np.radians(np.asarray(lat2, float))
    dphi = p2 - p1
    dlmb = np.radians(np.asarray(lon2, float) - np.asarray(lon1, float))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def fill_coordinates(schools: pd.DataFrame) -> pd.DataFrame:
    """``school_id, municipality, lat, lon, coords_source``: missing coordinates → municipality centroid
    (mean of its schools with coordinates), else the region centroid; ``coords_source`` says which."""
    s = schools.drop_duplicates("school_id").copy()
    s["school_id"] = s["school_id"].astype("string")
    for c in ("lat", "lon"):
        s[c] = pd.to_numeric(s[c], errors="coerce").astype(float) if c in s.columns else np.nan
    have = s["lat"].notna() & s["lon"].notna()
    cent = s[have].groupby("municipality")[["lat", "lon"]].mean()
    src = np.where(have, "координаты школы", "")
    by_m = s["municipality"].map(cent["lat"]), s["municipality"].map(cent["lon"])
    use_m = ~have & by_m[0].notna()
    s.loc[use_m, "lat"] = by_m[0][use_m]
    s.loc[use_m, "lon"] = by_m[1][use_m]
    src = np.where(use_m, "центр муниципалитета (нет координат школы)", src)
    rest = s["lat"].isna() | s["lon"].isna()
    if rest.any() and have.any():
        s.loc[rest, "lat"] = s.loc[have, "lat"].mean()
        s.loc[rest, "lon"] = s.loc[have, "lon"].mean()
        src = np.where(rest, "центр региона (нет координат школы и муниципалитета)", src)
    elif rest.any():
        src = np.where(rest, "нет координат", src)
    s["coords_source"] = src
    return s[["school_id", "municipality", "lat", "lon", "coords_source"]].reset_index(drop=True)


# --------------------------------------------------------------------------- assignment


def optimal_assignment(
    cost: np.ndarray, capacity: int | Sequence[int] = 1, unpaired_cost: Sequence[float] | None = None
) -> np.ndarray:
    """Assign rows (schools) to columns (leaders) with at most ``capacity[j]`` rows per column.

    Parameters
    ----------
    cost : (n_schools, n_leaders) finite costs.
    capacity : one capacity for all leaders or one per leader.
    unpaired_cost : per school, the cost of leaving it unpaired; used only when the schools
        outnumber the places (then exactly ``n_schools − places`` schools are left unpaired and
        the sum of pair costs plus their ``unpaired_cost`` is minimised). Default 0.

    Returns
    -------
    int array of length n_schools: the leader's column, or -1 when unpaired.
    """
    c = np.asarray(cost, float)
    n, m = c.shape
    caps = np.full(m, int(capacity)) if np.ndim(capacity) == 0 else np.asarray(capacity, int)
    if len(caps) != m:
        raise ValueError("capacity: нужно по одному значению на каждую школу-лидера")
    if not np.isfinite(c).all():
        raise ValueError("В матрице стоимостей есть пропуски или бесконечности")
    out = np.full(n, -1, dtype=int)
    slot_owner = np.repeat(np.arange(m), caps)
    if n == 0 or len(slot_owner) == 0:
        return out
    big = c[:, slot_owner]
    n_dummy = max(0, n - len(slot_owner))
    if n_dummy:
        uc = np.zeros(n) if unpaired_cost is None else np.asarray(unpaired_cost, float)
        big = np.hstack([big, np.repeat(uc[:, None], n_dummy, axis=1)])
    from scipy.optimize import linear_sum_assignment

    rows, cols = linear_sum_assignment(big)
    for r, k in zip(rows, cols, strict=True):
        if k < len(slot_owner):
            out[r] = slot_owner[k]
    return out


# --------------------------------------------------------------------------- leaders


def select_leaders(
    ident: pd.DataFrame,
    contexts: Mapping[int, pd.DataFrame],
    year: int,
    config: str | Path | Mapping | None = None,
) -> pd.DataFrame:
    """Leader schools of ``year``.

    Parameters
    ----------
    ident : identification of ``year``: ``school_id, category, result_index`` (``name``,
        ``municipality`` optional).
    contexts : data year -> context table (``school_id, residual``, ``residual_ci_low`` if
        ``require_ci_above_zero``); must hold ``year`` and the previous ``stable_years − 1``
        data years (fewer → fewer years are checked, and a note says so).

    Returns
    -------
    DataFrame ``leader_id, name, municipality, category, result_index, residual_<year>…,
    capacity``; ``attrs["years"]`` the years checked, ``attrs["notes"]`` Russian notes.
    """
    cfg = load_partners_config(config)
    lc = cfg["leaders"]
    years_avail = sorted(int(y) for y in contexts if int(y) <= int(year))
    n_years = int(lc["stable_years"])
    yrs = years_avail[-n_years:]
    notes = []
    if int(year) not in yrs:
        raise ValueError(f"Нет таблицы контекста за {year} г. для выбора школ-лидеров")
    if len(yrs) < n_years:
        notes.append(
            f"Устойчивость результатов лидеров проверена только за {len(yrs)} г. из {n_years}: "
            "нет более ранних данных."
        )
    idt = ident.copy()
    idt["school_id"] = idt["school_id"].astype("string")
    idt = idt.set_index("school_id")
    ok = idt["category"].isin(list(lc["allowed_categories"]))
    thr = float(lc["min_residual"])
    res_cols = {}
    for y in yrs:
        t = contexts[y].copy()
        t["school_id"] = t["school_id"].astype("string")
        t = t.drop_duplicates("school_id").set_index("school_id")
        r = pd.to_numeric(t["residual"], errors="coerce").reindex(idt.index)
        res_cols[f"residual_{y}"] = r
        cond = r > thr
        if lc.get("require_ci_above_zero"):
            cond &= pd.to_numeric(t["residual_ci_low"], errors="coerce").reindex(idt.index) > 0
        ok &= cond.fillna(False)
    ri = pd.to_numeric(idt.get("result_index"), errors="coerce")
    q = float(lc["min_result_quantile"] or 0.0)
    if q > 0:
        ok &= (ri >= ri.quantile(q)).fillna(False)
    out = pd.DataFrame({"leader_id": idt.index[ok]})
    for c in ("name", "municipality", "category"):
        out[c] = idt[c][ok].to_numpy() if c in idt.columns else pd.NA
    out["result_index"] = ri[ok].to_numpy()
    for c, s in res_cols.items():
        out[c] = s[ok].to_numpy()
    out["capacity"] = int(lc["capacity"])
    out["leader_id"] = out["leader_id"].astype("string")
    out = out.sort_values("leader_id", kind="stable").reset_index(drop=True)
    out.attrs["years"] = yrs
    out.attrs["notes"] = notes
    return out


# --------------------------------------------------------------------------- pairing


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


def _num_ru(x: float, digits: int = 2) -> str:
    return f"{x:.{digits}f}".replace(".", ",").replace("-", "−")


def _context_words(pct: float) -> str:
    """Words for a leader's context distance by its rank share among this school's leaders."""
    if pct <= 0.25:
        return "социальный контекст — один из самых близких среди лидеров"
    if pct <= 0.5:
        return "социальный контекст ближе, чем у большинства лидеров"
    return "социальный контекст дальше, чем у большинства лидеров (выбор определили другие составляющие)"


def pair_schools(
    ident: pd.DataFrame,
    leaders: pd.DataFrame,
    features: pd.DataFrame | None,
    schools: pd.DataFrame,
    config: str | Path | Mapping | None = None,
    current_partners: pd.Series | None = None,
    year: int | None = None,
) -> PartnerResult:
    """Pair every school of ``pair_categories`` with a leader (see module docstring for the cost).

    Parameters
    ----------
    ident : identification of the year (``school_id, category, result_index``; ``name``,
        ``municipality`` optional).
    leaders : output of :func:`select_leaders` (``leader_id, result_index, capacity``, residual columns).
    features : standardised context features indexed by ``school_id`` (may be None or miss schools).
    schools : ``school_id, name, municipality, lat, lon`` (coordinates optional).
    current_partners : optional ``school_id -> partner_school_id`` now recorded in the programme table.
    """
    cfg = load_partners_config(config)
    w = cfg["weights"]
    rg = cfg["result_gap"]
    notes: list[str] = list(leaders.attrs.get("notes", []))
    idt = ident.copy()
    idt["school_id"] = idt["school_id"].astype("string")
    sch = schools.drop_duplicates("school_id").copy()
    sch["school_id"] = sch["school_id"].astype("string")
    names = sch.set_index("school_id")["name"] if "name" in sch.columns else pd.Series(dtype="string")
    munis = sch.set_index("school_id")["municipality"]
    need = idt[idt["category"].isin(list(cfg["pair_categories"]))]
    need = need.sort_values("school_id", kind="stable").reset_index(drop=True)
    ld = leaders.copy().reset_index(drop=True)
    ld["leader_id"] = ld["leader_id"].astype("string")
    s_ids, l_ids = need["school_id"].tolist(), ld["leader_id"].tolist()
    n, m = len(s_ids), len(l_ids)

    # --- cost terms
    geo = fill_coordinates(sch).set_index("school_id")
    s_lat, s_lon = geo["lat"].reindex(s_ids).to_numpy(), geo["lon"].reindex(s_ids).to_numpy()
    l_lat, l_lon = geo["lat"].reindex(l_ids).to_numpy(), geo["lon"].reindex(l_ids).to_numpy()
    km = (
        haversine_km(s_lat[:, None], s_lon[:, None], l_lat[None, :], l_lon[None, :])
        if n and m
        else np.zeros((n, m))
    )
    src = geo["coords_source"]
    imputed_geo = [sid for sid in set(s_ids) | set(l_ids) if src.get(sid, "") != "координаты школы"]
    if imputed_geo:
        notes.append(
            f"Нет координат у {len(imputed_geo)} школ: расстояние оценено по центру муниципалитета "
            f"(или региона): {', '.join(sorted(map(str, imputed_geo)))}."
        )
    km_known = np.isfinite(km)
    km_cost = np.where(km_known, km, 0.0)

    ctx = np.full((n, m), np.nan)
    if features is not None and len(features):
        f = features.copy()
        f.index = f.index.astype("string")
        fs, fl = f.reindex(s_ids).to_numpy(float), f.reindex(l_ids).to_numpy(float)
        if n and m:
            ctx = np.sqrt(((fs[:, None, :] - fl[None, :, :]) ** 2).sum(axis=2))
            ctx[np.isnan(fs).any(axis=1), :] = np.nan
            ctx[:, np.isnan(fl).any(axis=1)] = np.nan
    ctx_missing = ~np.isfinite(ctx)
    if ctx_missing.any():
        fill = (
            float(np.nanquantile(ctx, float(cfg["missing_context_quantile"])))
            if np.isfinite(ctx).any()
            else 0.0
        )
        no_ctx = [s_ids[i] for i in range(n) if ctx_missing[i].all()] + [
            l_ids[j] for j in range(m) if n and ctx_missing[:, j].all()
        ]
        if no_ctx:
            notes.append(
                f"Нет признаков контекста у {len(no_ctx)} школ: расстояние по контексту принято равным "
                f"{_num_ru(fill)} SD ({float(cfg['missing_context_quantile']):.0%}-й "
                f"процентиль): {', '.join(sorted(map(str, no_ctx)))}."
            )
        ctx_cost = np.where(ctx_missing, fill, ctx)
    else:
        ctx_cost = ctx

    s_ri = pd.to_numeric(need["result_index"], errors="coerce").to_numpy(float) if n else np.zeros(0)
    l_ri = pd.to_numeric(ld["result_index"], errors="coerce").to_numpy(float) if m else np.zeros(0)
    gap = l_ri[None, :] - s_ri[:, None]
    target, min_gap = float(rg["target_gap"]), float(rg["min_gap"])
    pen = float(rg["below_min_gap_penalty"])
    gap_cost = np.where(np.isfinite(gap), np.abs(gap - target) + pen * (gap < min_gap), target + pen)

    s_mun = np.array([munis.get(s, None) for s in s_ids], dtype=object)
    l_mun = np.array([munis.get(sid, None) for sid in l_ids], dtype=object)
    other = (s_mun[:, None] != l_mun[None, :]).astype(float) if n and m else np.zeros((n, m))

    cost = (
        float(w["context"]) * ctx_cost
        + float(w["result"]) * gap_cost
        + float(w["km"]) * km_cost
        + float(w["other_municipality"]) * other
    )

    # --- assignment
    caps = ld["capacity"].astype(int).to_numpy() if m else np.zeros(0, int)
    need_w = float(cfg["unpaired"]["need_weight"])
    unpaired_cost = need_w * -np.nan_to_num(
        s_ri, nan=float(np.nanmean(s_ri)) if n and np.isfinite(s_ri).any() else 0.0
    )
    assign = optimal_assignment(cost, caps, unpaired_cost) if n and m else np.full(n, -1)
    places = int(caps.sum()) if m else 0
    if n > places:
        notes.append(
            f"Школ для пары {n}, а мест у школ-лидеров {places} ({m} лидеров): "
            f"{n - places} школ остаются без пары."
        )

    # --- table
    yrs = leaders.attrs.get("years", [])
    res_cols = [c for c in ld.columns if c.startswith("residual_")]
    rows = []
    for i, sid in enumerate(s_ids):
        j = int(assign[i])
        base = {
            "school_id": sid,
            "school_name": names.get(sid, pd.NA),
            "municipality": s_mun[i],
            "category": need.at[i, "category"],
            "school_result_index": s_ri[i],
        }
        if j < 0:
            if m == 0:
                why = (
                    "Нет ни одной школы-лидера, отвечающей условиям (не в списке, отклонение от ожидаемого "
                    "результата выше порога в каждом из проверяемых лет)."
                )
            elif need_w > 0:
                why = (
                    f"Все места у школ-лидеров заняты ({m} лидеров × ёмкость = {places} мест на {n} школ); "
                    f"приоритет при распределении отдан школам с более низкими результатами (индекс этой "
                    f"школы {_num_ru(s_ri[i])}). Нужна дополнительная школа-лидер или большая ёмкость."
                )
            else:
                why = (
                    f"Все места у школ-лидеров заняты ({m} лидеров × ёмкость = {places} мест на {n} школ); "
                    "оптимальное распределение оставило без пары школы, пара для которых обходится дороже всего."
                )
            rows.append(
                {
                    **base,
                    "leader_id": pd.NA,
                    "leader_name": pd.NA,
                    "leader_municipality": pd.NA,
                    "leader_result_index": np.nan,
                    "context_distance": np.nan,
                    "result_gap": np.nan,
                    "distance_km": np.nan,
                    "same_municipality": pd.NA,
                    "cost": np.nan,
                    "coords_note": "",
                    "paired": False,
                    "reason": why,
                }
            )
            continue
        lid = l_ids[j]
        d_ctx, g, d_km = ctx[i, j], gap[i, j], km[i, j]
        same = bool(s_mun[i] == l_mun[j])
        parts = [
            f"Школа-лидер {lid} — {names.get(lid, lid)}"
            + (
                f" ({'тот же муниципалитет' if same else l_mun[j]}"
                + (f", {_num_ru(d_km, 0)} км)" if np.isfinite(d_km) else ")")
            )
        ]
        reasons = []
        if np.isfinite(d_ctx):
            rank = int((ctx[i][np.isfinite(ctx[i])] < d_ctx).sum()) + 1
            pct = rank / max(m, 1)
            reasons.append(
                f"{_context_words(pct)} (расстояние {_num_ru(d_ctx)} SD, {rank}-й по близости из {m} лидеров)"
            )
        else:
            reasons.append("контекст не сравнивался: нет признаков контекста")
        if np.isfinite(g):
            reasons.append(
                ("результаты выше" if g >= 0 else "результаты ниже") + f" на {_num_ru(abs(g))} SD "
                f"(индекс {_num_ru(l_ri[j])} против {_num_ru(s_ri[i])})"
            )
        res = [ld.at[j, c] for c in res_cols]
        if res and all(np.isfinite(res)):
            reasons.append(
                "результат лидера выше ожидаемого по контексту на "
                + ", ".join(
                    f"{_num_ru(v)} SD в {c.split('_')[-1]}" for v, c in zip(res, res_cols, strict=True)
                )
                + (" гг" if len(res) > 1 else " г")
            )
        note = "; ".join(x for x in (src.get(sid, ""), src.get(lid, "")) if x and x != "координаты школы")
        sentence = parts[0] + ": " + "; ".join(reasons) + "."
        if note:
            sentence += f" Расстояние оценено приближённо ({note})."
        rows.append(
            {
                **base,
                "leader_id": lid,
                "leader_name": names.get(lid, pd.NA),
                "leader_municipality": l_mun[j],
                "leader_result_index": l_ri[j],
                "context_distance": d_ctx,
                "result_gap": g,
                "distance_km": d_km,
                "same_municipality": same,
                "cost": cost[i, j],
                "coords_note": note,
                "paired": True,
                "reason": sentence,
            }
        )
    cols = [
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
    pairs = pd.DataFrame(rows, columns=cols)
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
    ld["n_assigned"] = [int((assign == j).sum()) for j in range(m)]
    cost_df = pd.DataFrame(
        cost, index=pd.Index(s_ids, name="school_id"), columns=pd.Index(l_ids, name="leader_id")
    )
    pairs.attrs["years"] = yrs
    return PartnerResult(pairs=pairs, leaders=ld, cost=cost_df, notes=notes, year=year)


# --------------------------------------------------------------------------- wrappers


def partner_result(
    dataset,
    year: int,
    config: str | Path | Mapping | None = None,
    rules: str | Path | dict = "lo_2018",
    ident: pd.DataFrame | None = None,
    contexts: Mapping[int, pd.DataFrame] | None = None,
    features: pd.DataFrame | None = None,
    context_config: Mapping | None = None,
) -> PartnerResult:
    """Identification, context and pairing of ``year`` from a data set (inputs may be passed in).

    ``context_config`` — a user's changes to ``context.yaml`` for the context computed here;
    :class:`shnro_lib.context.ContextNotAssessed` when the data hold no usable context.
    """
    cfg = load_partners_config(config)
    if ident is None:
        from shnro_lib.identify import identify_schools

        ident = identify_schools(dataset, int(year), rules)
    if contexts is None:
        from shnro_lib.context import context_table

        n_years = int(cfg["leaders"]["stable_years"])
        yrs = [y for y in dataset.years if y <= int(year)][-n_years:]
        contexts = {y: context_table(dataset, y, context_config) for y in yrs}
    if features is None:
        from shnro_lib.context import context_features

        features = context_features(dataset, int(year), context_config).z
    fallback_note = None
    ri = pd.to_numeric(ident["result_index"], errors="coerce") if "result_index" in ident.columns else None
    ctx_now = contexts.get(int(year))
    if (ri is None or ri.isna().all()) and ctx_now is not None and "result_index" in ctx_now.columns:
        # identification could not index the results (e.g. a procedure it does not count): the
        # context model's index (every procedure of the data set) stands in, and the notes say so
        ident = ident.copy()
        by_school = ctx_now.drop_duplicates("school_id").set_index("school_id")["result_index"]
        ident["result_index"] = ident["school_id"].astype("string").map(by_school)
        fallback_note = (
            "Индекс результатов в идентификации не рассчитан; для выбора лидеров и разрыва в "
            "результатах взят индекс результатов модели контекста."
        )
    leaders = select_leaders(ident, contexts, int(year), cfg)
    prog = dataset.get("programme") if hasattr(dataset, "get") else None
    current = None
    if prog is not None and "partner_school_id" in prog.columns:
        p = prog[prog["year"].astype("Int64") == int(year)].dropna(subset=["partner_school_id"])
        current = p.drop_duplicates("school_id", keep="last").set_index("school_id")["partner_school_id"]
    res = pair_schools(
        ident, leaders, features, dataset.schools, cfg, current_partners=current, year=int(year)
    )
    if fallback_note:
        res.notes.insert(0, fallback_note)
    return res


def partner_pairs(
    dataset, year: int, config: str | Path | Mapping | None = None, rules: str | Path | dict = "lo_2018"
) -> pd.DataFrame:
    """The partnership list of ``year``: one row per school needing a partner (unpaired: ``leader_id`` NA and
    the reason); for the municipal report."""
    return partner_result(dataset, year, config, rules).pairs


def partners_method_ru(config: str | Path | Mapping | None = None) -> str:
    """Markdown (Russian) for the method annex: leaders, cost, assignment."""
    cfg = load_partners_config(config)
    lc, w, rg = cfg["leaders"], cfg["weights"], cfg["result_gap"]
    q = float(lc["min_result_quantile"] or 0)
    return f"""## Методика: список сетевого партнёрства

**Кому нужна пара.** Школам категорий {", ".join(cfg["pair_categories"])} года идентификации.

**Школы-лидеры.** Школа не входит в список (категория: {", ".join(lc["allowed_categories"])}) и
показывает высокие и устойчивые результаты с учётом контекста: отклонение фактического результата от
ожидаемого по контексту больше {lc.get("min_residual")} SD в году идентификации и в каждом из
предыдущих {int(lc["stable_years"]) - 1} лет данных{"; доверительный интервал отклонения целиком выше нуля" if lc.get("require_ci_above_zero") else ""}{f"; индекс результатов не ниже {q:.0%}-го процентиля по региону" if q > 0 else ""}.
Одна школа-лидер принимает не более {lc.get("capacity")} школ.

**Стоимость пары** (чем меньше, тем лучше):
- {w.get("context")} × расстояние по контексту — евклидово расстояние между стандартизованными признаками
  контекста школ (в SD; те же признаки, что в разделе «Контекст»);
- {w.get("result")} × |разрыв − {rg.get("target_gap")}|, где разрыв = индекс результатов лидера − индекс школы (SD);
  если разрыв меньше {rg.get("min_gap")} (лидер не впереди), добавляется штраф {rg.get("below_min_gap_penalty")}.
  Так предпочитается лидер, опережающий школу примерно на {rg.get("target_gap")} SD: достаточно, чтобы было
  чему научиться, и не настолько, чтобы опыт был непереносим («зона ближайшего развития»);
- {w.get("km")} × расстояние между школами в км (по формуле гаверсинусов; если координат школы нет, берётся
  центр её муниципалитета, а если нет и его — центр региона; такие случаи перечисляются);
- {w.get("other_municipality")}, если школы в разных муниципалитетах.

**Распределение.** Сумма стоимостей всех пар минимизируется точно (венгерский алгоритм,
`scipy.optimize.linear_sum_assignment`): каждая школа-лидер повторяется в матрице столько раз, какова её
ёмкость. Если школ больше, чем мест, часть школ остаётся без пары; при весе потребности
{cfg["unpaired"].get("need_weight")} > 0 без пары в первую очередь остаются школы с более высокими
результатами. Каждая пара объясняется фразой: контекст, разрыв в результатах, устойчивость лидера,
расстояние.

**Ограничения.** Подбор опирается только на данные; перед утверждением списка (п. 7 дорожной карты)
пары согласуются с муниципалитетами и школами. Принадлежность к ТОП-500 в данных не отражена.
"""


COLUMN_LABELS_RU = {**LABELS_RU, "reason": "Обоснование"}
