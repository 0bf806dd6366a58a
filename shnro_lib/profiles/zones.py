"""«Проблемные зоны»: every school's result per procedure × subject × grade against the region and
its similar schools.

Computed once per batch by the ``problem_zones`` stage (:mod:`shnro_lib.pipeline.graph`); the
school pages and the municipal workbook read the stage's table.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from shnro_lib.profiles.settings import load_profiles_settings

CELL = ["procedure", "subject", "grade"]


def _region_cells(results: pd.DataFrame, year: int, zc: float) -> pd.DataFrame:
    """Every school's cell of ``year`` with its interval, the region's mean and share of low results."""
    from shnro_lib.indicators import standardised_results

    z = standardised_results(results)
    z = z[z["year"] == int(year)].copy()
    z["school_id"] = z["school_id"].astype("string")
    z["se"] = z["student_sd_pct"] / np.sqrt(z["participants"])
    w = z["participants"].astype(float)
    sl = z["share_low"].astype(float)
    z["_wl"] = (w * sl).where(sl.notna(), 0.0)
    z["_wln"] = w.where(sl.notna(), 0.0)
    g = z.groupby(CELL, observed=True)
    z["region_share_low"] = g["_wl"].transform("sum") / g["_wln"].transform("sum").where(lambda s: s > 0)
    out = z[
        ["school_id", *CELL, "participants", "pct", "se", "cell_mean", "share_low", "region_share_low"]
    ].rename(columns={"cell_mean": "region_pct"})
    out["pct_low"], out["pct_high"] = out["pct"] - zc * out["se"], out["pct"] + zc * out["se"]
    out["gap_region"] = out["pct"] - out["region_pct"]
    out["gap_region_low"], out["gap_region_high"] = (
        out["gap_region"] - zc * out["se"],
        out["gap_region"] + zc * out["se"],
    )
    return out


def _with_similar(
    out: pd.DataFrame, similar: pd.DataFrame | None, min_n: int, min_schools: int
) -> pd.DataFrame:
    """The similar schools' participant-weighted mean per cell and its SE (where enough of them have it)."""
    out["similar_pct"] = np.nan
    out["n_similar"] = 0
    out["similar_se"] = np.nan
    if similar is None or not len(similar):
        return out
    pairs = similar[["school_id", "similar_id"]].astype("string")
    # only similar schools whose own group is large enough count
    # (small groups are not shown elsewhere either)
    peer = out.loc[out["participants"] >= min_n, ["school_id", *CELL, "participants", "pct", "se"]].rename(
        columns={"school_id": "similar_id"}
    )
    m = pairs.merge(peer, on="similar_id", how="inner")
    m["_w"] = m["participants"].astype(float)
    m["_wp"] = m["_w"] * m["pct"]
    m["_w2s2"] = (m["_w"] * m["se"]) ** 2
    a = m.groupby(["school_id", *CELL], observed=True).agg(
        _w=("_w", "sum"), _wp=("_wp", "sum"), _w2s2=("_w2s2", "sum"), n_similar=("similar_id", "nunique")
    )
    a["similar_pct"] = a["_wp"] / a["_w"]
    a["similar_se"] = np.sqrt(a["_w2s2"]) / a["_w"]
    a = a[a["n_similar"] >= min_schools][["similar_pct", "similar_se", "n_similar"]]
    out = out.drop(columns=["similar_pct", "similar_se", "n_similar"]).merge(
        a.reset_index(), on=["school_id", *CELL], how="left"
    )
    out["n_similar"] = out["n_similar"].fillna(0).astype(int)
    return out


def _flags(out: pd.DataFrame, zc: float, min_n: int, low_share_excess: float) -> pd.DataFrame:
    """The gap to the similar schools, and the flags: low results stand out, weak, small group."""
    se_s = np.sqrt(out["se"] ** 2 + out["similar_se"] ** 2)
    out["gap_similar"] = out["pct"] - out["similar_pct"]
    out["gap_similar_low"], out["gap_similar_high"] = (
        out["gap_similar"] - zc * se_s,
        out["gap_similar"] + zc * se_s,
    )
    n = out["participants"].astype(float)
    p0 = out["region_share_low"].astype(float)
    excess = out["share_low"].astype(float) - p0
    se_low = np.sqrt((p0 * (1 - p0)).clip(lower=1e-6) / n)
    out["low_stands_out"] = ((excess >= low_share_excess) & (excess / se_low > zc)).fillna(False)
    out["small"] = (out["participants"] < min_n).fillna(True)
    out["weak_region"] = (out["gap_region_high"] < 0).fillna(False) & ~out["small"]
    out["weak_similar"] = (out["gap_similar_high"] < 0).fillna(False) & ~out["small"]
    out["weak"] = out["weak_region"] | out["weak_similar"]
    out["low_stands_out"] = out["low_stands_out"] & ~out["small"]
    return out


def problem_zones(
    results: pd.DataFrame, similar: pd.DataFrame | None, year: int, min_n: int, config: Any = None
) -> pd.DataFrame:
    """Every school's result per procedure × subject × grade of ``year`` against the region and its similar
    schools.

    Parameters
    ----------
    results : canonical ``results`` table.
    similar : ``school_id, similar_id, rank`` (the K nearest schools by context) or ``None``.
    year : report year.
    min_n : the smallest group shown (``min_group_size``); smaller groups keep their row with the
        values hidden by the page.

    Returns
    -------
    DataFrame: ``school_id, procedure, subject, grade, participants, pct, pct_low, pct_high`` (the school's
    mean as percent of max with its interval), ``region_pct, gap_region, gap_region_low, gap_region_high,
    similar_pct, n_similar, gap_similar, gap_similar_low, gap_similar_high, share_low, region_share_low,
    low_stands_out, weak_region, weak_similar, weak, small``.  Gaps are in percentage points; «weak»
    only where the gap's interval lies below zero.
    """
    cfg = load_profiles_settings(config)
    zc = stats.norm.ppf(0.5 + cfg.ci_level / 2)
    out = _region_cells(results, year, zc)
    out = _with_similar(out, similar, min_n, cfg.problem_zones.min_similar_schools)
    out = _flags(out, zc, min_n, cfg.problem_zones.low_share_excess)
    out["participants"] = out["participants"].round().astype("Int64")
    out = out.drop(columns=["se", "similar_se"])
    return out.sort_values(["school_id", *CELL], kind="stable").reset_index(drop=True)
