"""Schools of the demo region: the list, territories and each school's latent effect (planted truth)."""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd

from .constants import MONOTOWNS, VILLAGES


def _assign_localities(rng: np.random.Generator, towns: list[str], group: str) -> tuple[str, str]:
    if group in ("urban_advantaged", "urban_mass"):
        return towns[int(rng.integers(0, min(2, len(towns))))], "город"
    if group == "disadvantaged":
        if rng.random() < 0.6:
            return towns[int(rng.integers(0, len(towns)))], "город" if rng.random() < 0.5 else "посёлок"
        return VILLAGES[int(rng.integers(0, len(VILLAGES)))], "посёлок"
    if rng.random() < 0.3 and len(towns) > 2:
        return towns[-1], "посёлок"
    return VILLAGES[int(rng.integers(0, len(VILLAGES)))], "село/деревня"


def _locality_anchor(
    municipality: str, locality: str, lat0: float, lon0: float, centre: bool
) -> tuple[float, float]:
    """The point of a settlement: the municipality's centre for its main town, else a fixed draw around it.

    Drawn from a stream seeded by the names (not the generator's), so every settlement keeps its
    place and every other draw of the demo stays as it was.
    """
    if centre:
        return lat0, lon0
    g = np.random.default_rng(zlib.crc32(f"{municipality}|{locality}".encode()))
    return lat0 + g.normal(0, 0.3), lon0 + g.normal(0, 0.3 * 1.8)


def _school_counts(weights: np.ndarray, n: int) -> np.ndarray:
    """Schools per municipality: proportional to ``weights``, at least 4, ``n`` in all."""
    counts = np.maximum(4, np.round(weights / weights.sum() * n)).astype(int)
    while counts.sum() > n:
        counts[np.argmax(counts)] -= 1
    while counts.sum() < n:
        counts[np.argmax(weights - counts / n)] += 1
    return counts


def _school_type(rng: np.random.Generator, group: str) -> str:
    """A school type typical of the context group (one draw)."""
    if group == "urban_advantaged":
        return "гимназия" if rng.random() < 0.5 else "лицей"
    if group == "rural_small":
        u = rng.random()
        return "ООШ" if u < 0.35 else ("НОШ" if u < 0.42 else "СОШ")
    if group == "urban_mass":
        return "СОШ с УИОП" if rng.random() < 0.15 else "СОШ"
    return "школа-интернат" if rng.random() < 0.06 else "СОШ"


def _school_name(rng: np.random.Generator, stype: str, adj: str, num: int) -> str:
    """The school's official name (a gymnasium or lyceum takes one draw for its form)."""
    if stype in ("гимназия", "лицей"):
        return (
            f"МОУ «{adj} {stype} №{num}»" if rng.random() < 0.5 else f"МБОУ «{stype.capitalize()} г. {adj}»"
        )
    if stype == "СОШ с УИОП":
        return (
            f"МОУ «{adj} средняя общеобразовательная школа №{num} "
            "с углублённым изучением отдельных предметов»"
        )
    if stype == "ООШ":
        return f"МОУ «{adj} основная общеобразовательная школа»"
    if stype == "НОШ":
        return f"МОУ «{adj} начальная общеобразовательная школа»"
    if stype == "школа-интернат":
        return f"ГБОУ ЛО «{adj} школа-интернат»"
    return f"МОУ «{adj} средняя общеобразовательная школа №{num}»"


def _draw_school(rng: np.random.Generator, m: int, muni, g: str, cfg: dict, num_of: dict, sid: str):
    """One school of municipality ``m`` in context group ``g``: its row and its static traits.

    The draws, in order: locality, enrolment, type, name, position.  ``num_of`` counts the
    schools per (municipality, locality) for the names' numbers.
    """
    mname, lat0, lon0, _, towns = muni
    gc = cfg["context_groups"][g]
    locality, ltype = _assign_localities(rng, towns, g)
    enrol = int(rng.uniform(*gc["enrolment"]))
    stype = _school_type(rng, g)
    if stype == "НОШ":
        enrol = min(enrol, 60)
    key = (m, locality)
    num_of[key] = num_of.get(key, 0) + 1
    name = _school_name(rng, stype, locality, num_of[key])
    anchor_lat, anchor_lon = _locality_anchor(mname, locality, lat0, lon0, locality == towns[0])
    # schools of one settlement lie a few km around its point (a village: hundreds of metres)
    spread = 0.02 if locality in towns else 0.004
    row = {
        "school_id": sid,
        "name": name,
        "municipality": mname,
        "locality": locality,
        "locality_type": ltype,
        "school_type": stype,
        "lat": round(anchor_lat + rng.normal(0, spread), 5),
        "lon": round(anchor_lon + rng.normal(0, spread * 1.8), 5),
    }
    stat = {
        "school_id": sid,
        "group": g,
        "enrolment": enrol,
        "school_type": stype,
        "municipality": mname,
        "locality": locality,
        "municipality_idx": m,
    }
    return row, stat


_GROUP_CONTEXT = (
    "low_ses",
    "low_parent_education",
    "deviant",
    "low_motivation",
    "non_native_russian",
    "special_needs",
    "single_parent",
)


def _static_context(rng: np.random.Generator, static: pd.DataFrame, cfg: dict) -> None:
    """Group-level context draws, fixed per school (slow drift per year comes later), in place."""
    for col in _GROUP_CONTEXT:
        mean = static["group"].map(lambda g, c=col: cfg["context_groups"][g][c]).to_numpy()
        static[col] = np.clip(rng.beta(8, 8, size=len(static)) * 2 * mean, 0, 0.95)
    static["distance_km"] = [rng.uniform(*cfg["context_groups"][g]["distance_km"]) for g in static["group"]]
    static["small"] = [rng.random() < cfg["context_groups"][g]["small"] for g in static["group"]]
    static["multi_grade"] = np.where(static["small"], rng.uniform(0.1, 0.6, len(static)), 0.0)


def make_schools(
    rng: np.random.Generator, n: int, cfg: dict, munis: list
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The demo region's schools and their fixed (static) traits.

    Parameters
    ----------
    rng : numpy.random.Generator
        The generator's random stream (the draws' order is part of the demo's output).
    n : int
        Number of schools.
    cfg : dict
        The generator's settings (``context_groups`` and their shares, enrolments, context).
    munis : list
        Municipalities as ``(name, lat, lon, weight, towns)``.

    Returns
    -------
    tuple of (pandas.DataFrame, pandas.DataFrame)
        The schools table (by ``school_id``) and the static traits behind the planted truth.
    """
    weights = np.array([m[3] for m in munis])
    counts = _school_counts(weights, n)
    groups = list(cfg["context_groups"])
    gshare = np.array([cfg["context_groups"][g]["share"] for g in groups])
    rows, stat = [], []
    num_of: dict[tuple[int, str], int] = {}
    for m, k in enumerate(counts):
        # an urban okrug has no rural small schools
        p = gshare.copy()
        if "городской округ" in munis[m][0]:
            p[groups.index("rural_small")] = 0
        p = p / p.sum()
        for _j in range(k):
            g = groups[int(rng.choice(len(groups), p=p))]
            row, st = _draw_school(rng, m, munis[m], g, cfg, num_of, f"{m:02d}{len(rows) + 1:04d}")
            rows.append(row)
            stat.append(st)
    schools = pd.DataFrame(rows).set_index("school_id")
    # a few hard names: quotes, «», <, &
    if len(schools) > 5:
        schools.iloc[3, schools.columns.get_loc("name")] = 'МОУ "Школа искусств & наук" <№3>'
    static = pd.DataFrame(stat).set_index("school_id")
    _static_context(rng, static, cfg)
    return schools, static


def make_territories(rng: np.random.Generator, munis: list) -> pd.DataFrame:
    rows = [
        {
            "municipality": "__region__",
            "locality": None,
            "is_monotown": False,
            "share_pension_age": 0.27,
            "unemployment_rate": 0.012,
        }
    ]
    for name, *_rest, towns in munis:
        remote = name.split()[0] in (
            "Бокситогорский",
            "Подпорожский",
            "Лодейнопольский",
            "Сланцевский",
            "Волосовский",
        )
        rows.append(
            {
                "municipality": name,
                "locality": None,
                "is_monotown": False,
                "share_pension_age": round(0.24 + 0.08 * remote + rng.uniform(0, 0.03), 3),
                "unemployment_rate": round(0.009 + 0.012 * remote + rng.uniform(0, 0.004), 4),
            }
        )
        for town in towns:
            if town in MONOTOWNS:
                rows.append(
                    {
                        "municipality": name,
                        "locality": town,
                        "is_monotown": True,
                        "share_pension_age": round(0.3 + rng.uniform(0, 0.04), 3),
                        "unemployment_rate": round(0.02 + rng.uniform(0, 0.01), 4),
                    }
                )
    return pd.DataFrame(rows)


def school_effects(rng: np.random.Generator, st: pd.DataFrame, cfg: dict):
    c = cfg["context_effect_coefficients"]
    ctx_eff = (
        c["low_ses"] * st["low_ses"]
        + c["low_parent_education"] * st["low_parent_education"]
        + c["deviant"] * st["deviant"]
        + c["non_native_russian"] * st["non_native_russian"]
        + c["distance_100km"] * st["distance_km"] / 100
    ).to_numpy()
    ctx_eff = ctx_eff - ctx_eff.mean()
    # municipalities differ too (management, methodical service): a municipal random effect
    n_mun = int(st["municipality_idx"].max()) + 1
    municipal = rng.normal(0, float(cfg.get("municipal_effect_sd", 0.0)), n_mun)
    quality = municipal[st["municipality_idx"].to_numpy()] + rng.normal(0, cfg["latent_quality_sd"], len(st))
    resilient = np.zeros(len(st), dtype=bool)
    cand = np.where(
        st["group"].isin(["disadvantaged", "rural_small"]).to_numpy()
        & (st["school_type"] != "НОШ").to_numpy()
    )[0]
    pick = rng.choice(cand, size=min(cfg["n_planted_resilient"], len(cand)), replace=False)
    quality[pick] = rng.uniform(*cfg["planted_resilient_quality"], size=len(pick))
    resilient[pick] = True
    return ctx_eff + quality, ctx_eff, quality, resilient


def planted_improvers(
    seed: int, theta: np.ndarray, resilient: np.ndarray, schools: pd.DataFrame, years: list[int], cfg: dict
) -> tuple[np.ndarray, np.ndarray]:
    """Schools whose quality truly rises by their own work (not the programme's), and the rise per year.

    Drawn from a separate random stream (``[seed, stream]``) so that every other draw of the
    generator stays as it was; the rise ramps linearly from ``start_year`` to the last year.
    """
    n = len(theta)
    pcfg = cfg.get("planted_improvers") or {}
    improver = np.zeros(n, dtype=bool)
    rise = np.zeros((n, len(years)))
    k = int(pcfg.get("n", 0))
    if k <= 0:
        return improver, rise
    rng = np.random.default_rng([int(seed), int(pcfg["stream"])])
    lo, hi = np.quantile(theta, pcfg["quality_quantiles"])
    # mid-range schools: not the bottom that the programme selects, and with room to rise
    cand = np.where(
        (theta >= lo) & (theta <= hi) & ~resilient & (schools["school_type"] != "НОШ").to_numpy()
    )[0]
    pick = np.sort(rng.choice(cand, size=min(k, len(cand)), replace=False))
    gain = rng.uniform(*pcfg["gain"], size=len(pick))
    start, last = int(pcfg["start_year"]), max(years)
    for t, year in enumerate(years):
        if year >= start:
            rise[pick, t] = gain * (year - start + 1) / (last - start + 1)
    improver[pick] = True
    return improver, rise
