"""Distances between schools: great-circle km and coordinates filled from the municipality or region."""

from __future__ import annotations

import numpy as np
import pandas as pd

EARTH_RADIUS_KM = 6371.0088

OWN_COORDINATES = "координаты школы"


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km (vectorised; broadcasting like numpy).

    Parameters
    ----------
    lat1, lon1, lat2, lon2 : degrees, scalars or arrays.

    Returns
    -------
    numpy.ndarray
        Distances in km; equal coordinates give exactly 0.
    """
    p1, p2 = np.radians(np.asarray(lat1, float)), np.radians(np.asarray(lat2, float))
    dphi = p2 - p1
    dlmb = np.radians(np.asarray(lon2, float) - np.asarray(lon1, float))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def fill_coordinates(schools: pd.DataFrame) -> pd.DataFrame:
    """Every school's coordinates, missing ones filled from a centroid.

    Parameters
    ----------
    schools : ``school_id, municipality`` and optional ``lat, lon``.

    Returns
    -------
    DataFrame
        ``school_id, municipality, lat, lon, coords_source``: missing coordinates → municipality
        centroid (mean of its schools with coordinates), else the region centroid;
        ``coords_source`` says which.
    """
    s = schools.drop_duplicates("school_id").copy()
    s["school_id"] = s["school_id"].astype("string")
    for c in ("lat", "lon"):
        s[c] = pd.to_numeric(s[c], errors="coerce").astype(float) if c in s.columns else np.nan
    have = s["lat"].notna() & s["lon"].notna()
    cent = s[have].groupby("municipality")[["lat", "lon"]].mean()
    src = np.where(have, OWN_COORDINATES, "")
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


def km_matrix(geo: pd.DataFrame, rows: list[str], cols: list[str]) -> np.ndarray:
    """Distances in km between the schools ``rows`` and ``cols`` of ``geo`` (indexed by ``school_id``)."""
    if not rows or not cols:
        return np.zeros((len(rows), len(cols)))
    r_lat, r_lon = geo["lat"].reindex(rows).to_numpy(float), geo["lon"].reindex(rows).to_numpy(float)
    c_lat, c_lon = geo["lat"].reindex(cols).to_numpy(float), geo["lon"].reindex(cols).to_numpy(float)
    return haversine_km(r_lat[:, None], r_lon[:, None], c_lat[None, :], c_lon[None, :])


def scattered_localities(schools: pd.DataFrame, max_km: float) -> pd.DataFrame:
    """Settlements whose schools' own coordinates lie farther apart than ``max_km``.

    Schools of one settlement should be a few km apart; a wider spread means a coordinate is wrong,
    and distances to partners computed from it disagree for neighbouring schools.

    Parameters
    ----------
    schools : ``school_id, municipality, locality, lat, lon`` (without ``locality`` nothing is checked).
    max_km : the largest plausible distance between two schools of one settlement.

    Returns
    -------
    DataFrame
        ``municipality, locality, n_schools, spread_km`` (the largest pairwise distance), widest first.
    """
    cols = ["municipality", "locality", "n_schools", "spread_km"]
    if not {"locality", "lat", "lon"} <= set(schools.columns):
        return pd.DataFrame(columns=cols)
    s = schools.drop_duplicates("school_id")
    lat = pd.to_numeric(s["lat"], errors="coerce")
    lon = pd.to_numeric(s["lon"], errors="coerce")
    s = s.assign(lat=lat, lon=lon).dropna(subset=["locality", "lat", "lon"])
    rows = []
    for (muni, loc), g in s.groupby(["municipality", "locality"], sort=True):
        if len(g) < 2:
            continue
        la, lo = g["lat"].to_numpy(float), g["lon"].to_numpy(float)
        spread = float(haversine_km(la[:, None], lo[:, None], la[None, :], lo[None, :]).max())
        if spread > max_km:
            rows.append((muni, loc, len(g), round(spread, 1)))
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values("spread_km", ascending=False, kind="stable").reset_index(drop=True)
