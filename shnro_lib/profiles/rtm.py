"""Context-adjusted change beyond regression to the mean, per school (a route into «школы, чьи практики
стоит изучить», :mod:`shnro_lib.profiles.practices`).

With ``r = index − expected`` (the one-year result index minus the context model's expected result), the
change from the «до» years to the «после» years is compared with what regression to the mean predicts.
As in the effects module's ``rtm_adjusted`` (:mod:`shnro_lib.effects`), the reliability comes from the
cross-year covariance of the «до» years (the persistent part ``c``); here it is per school,
``λ = c / (c + noise)`` with the school's own sampling variance (``result_index_se²``) plus the
school-year shock variance, so a small school's good years are discounted more.  Without a real change
the «после» mean is expected at ``λ · r̄_до``; the gain is ``r̄_после − λ · r̄_до`` with the prediction
SE ``sqrt(c(1 − λ) + noise_после)``.  Every «после» year must be above the prediction, and the one-sided
p-values are controlled for the false discovery rate (Benjamini–Hochberg, statsmodels).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from shnro_lib.profiles.settings import ProfilesSettings, load_profiles_settings

GAIN_COLUMNS = [
    "school_id",
    "pre_residual",
    "post_residual",
    "reliability",
    "expected_post",
    "gain",
    "gain_se",
    "p_value",
    "q_value",
    "all_post_above",
    "rose_beyond_rtm",
]


def _years_split(years: list[int], year: int, cfg: ProfilesSettings) -> tuple[list[int], list[int]]:
    w = cfg.worth_learning
    ys = sorted(y for y in years if y <= year)[-w.window_years :]
    post = ys[-w.post_years :] if len(ys) > w.post_years else []
    pre = [y for y in ys if y not in post][: w.pre_years]
    return pre, post


def _empty_gains(reason_ru: str) -> pd.DataFrame:
    """No gains, with the Russian reason in ``attrs['reason_ru']``."""
    empty = pd.DataFrame({c: pd.Series(dtype="string" if c == "school_id" else float) for c in GAIN_COLUMNS})
    empty.attrs["reason_ru"] = reason_ru
    return empty


def _residuals(
    ib: pd.DataFrame, expected: pd.Series, pre: list[int], post: list[int], min_participants: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """School × year residuals ``r`` (result index minus expected) and sampling variances ``se²``.

    Only schools with at least ``min_participants`` in every «до» and «после» year, a residual in
    every «после» year and in at least one «до» year keep their ``r`` row.
    """
    # schools too small in any «до»/«после» year are not assessed (their yearly index is mostly cohort noise)
    n = ib[ib["year"].isin(pre + post)].pivot_table(
        index="school_id", columns="year", values="participants", aggfunc="sum"
    )
    small = n.reindex(columns=pre + post).fillna(0).lt(min_participants).any(axis=1)
    ib = ib[~ib["school_id"].isin(small.index[small.to_numpy()])]
    exp = pd.Series(expected, dtype=float)
    exp.index = exp.index.astype("string")
    ib["r"] = ib["result_index"].astype(float) - ib["school_id"].map(exp).astype(float)
    ib["se2"] = ib["result_index_se"].astype(float) ** 2
    r = ib.pivot_table(index="school_id", columns="year", values="r", aggfunc="mean")
    se2 = ib.pivot_table(index="school_id", columns="year", values="se2", aggfunc="mean")
    r = r.dropna(subset=post)
    r = r[r[pre].notna().any(axis=1)] if all(y in r.columns for y in pre) else r.iloc[0:0]
    return r, se2


def _persistent_covs(r: pd.DataFrame, pre: list[int], post: list[int]) -> list[float]:
    """Covariances of two «до» years (as in effects.rtm); with one «до» year, of the «до» year and the
    first «после» year (a conservative stand-in).  Pairs with fewer than three schools are left out."""
    pairs = [(a, b) for i, a in enumerate(pre) for b in pre[i + 1 :]] or [(pre[0], post[0])]
    return [
        np.cov(r[[a, b]].dropna().to_numpy(float).T)[0, 1]
        for a, b in pairs
        if r[[a, b]].dropna().shape[0] > 2
    ]


def _gain_table(
    r: pd.DataFrame, se2: pd.DataFrame, pre: list[int], post: list[int], covs: list[float], fdr_q: float
) -> tuple[pd.DataFrame, float, float]:
    """Per school: reliability, expected «после», gain, its SE, p and q; with the persistent and the
    shock variance."""
    from statsmodels.stats.multitest import multipletests

    c = max(float(np.mean(covs)), 1e-9)
    v = float(np.mean([np.nanvar(r[y].to_numpy(float)) for y in pre]))
    mean_se2 = float(np.nanmean(se2.reindex(r.index)[pre].to_numpy(float)))
    shock = max(0.0, v - c - mean_se2)
    s2 = se2.reindex(index=r.index)
    n_pre = r[pre].notna().sum(axis=1).astype(float)
    noise_pre = (s2[pre].where(r[pre].notna()).sum(axis=1) + n_pre * shock) / n_pre**2
    noise_post = (s2[post].sum(axis=1) + len(post) * shock) / len(post) ** 2
    lam = c / (c + noise_pre)
    pre_r = r[pre].mean(axis=1)
    post_r = r[post].mean(axis=1)
    expected_post = lam * pre_r
    gain = post_r - expected_post
    gain_se = np.sqrt(c * (1 - lam) + noise_post)
    p = pd.Series(stats.norm.sf(gain / gain_se), index=r.index)
    q = pd.Series(multipletests(p.to_numpy(), method="fdr_bh")[1], index=r.index)
    above = r[post].sub(expected_post, axis=0).gt(0).all(axis=1)
    out = pd.DataFrame(
        {
            "pre_residual": pre_r,
            "post_residual": post_r,
            "reliability": lam,
            "expected_post": expected_post,
            "gain": gain,
            "gain_se": gain_se,
            "p_value": p,
            "q_value": q,
            "all_post_above": above,
        }
    )
    out["rose_beyond_rtm"] = (out["q_value"] <= fdr_q) & out["all_post_above"] & (out["gain"] > 0)
    return out, c, shock


def rtm_gains(
    index_by_year: pd.DataFrame, expected: pd.Series, year: int, config: Any = None
) -> pd.DataFrame:
    """Context-adjusted change beyond regression to the mean, per school.

    Parameters
    ----------
    index_by_year : ``school_id, year, result_index, result_index_se`` (one-year indices).
    expected : the context model's expected result, indexed by ``school_id``.
    year : report year (the last «после» year).
    config : :class:`ProfilesSettings` or overrides of ``parameters/profiles.yaml``.

    Returns
    -------
    DataFrame, one row per school with an expected result and at least ``min_participants`` in every
    «до» and «после» year: ``school_id, pre_residual, post_residual, reliability, expected_post, gain,
    gain_se, p_value, q_value, all_post_above, rose_beyond_rtm``; ``attrs`` carry ``pre_years``,
    ``post_years``, ``persistent_var`` and ``shock_var``.  Empty (with ``attrs['reason_ru']``)
    when there are too few years.
    """
    cfg = load_profiles_settings(config)
    ib = index_by_year.dropna(subset=["result_index"]).copy()
    ib["school_id"] = ib["school_id"].astype("string")
    ib["year"] = ib["year"].astype(int)
    pre, post = _years_split(sorted(ib["year"].unique().tolist()), int(year), cfg)
    if not pre or not post:
        return _empty_gains(
            f"нужно не меньше {cfg.worth_learning.post_years + 1} лет результатов до "
            f"{int(year)} года включительно"
        )
    r, se2 = _residuals(ib, expected, pre, post, cfg.worth_learning.min_participants)
    covs = _persistent_covs(r, pre, post)
    if not covs or len(r) < 3:
        return _empty_gains("слишком мало школ с результатами во все нужные годы")
    gains, c, shock = _gain_table(r, se2, pre, post, covs, cfg.worth_learning.fdr_q)
    out = (
        gains.rename_axis("school_id")
        .reset_index()
        .sort_values("school_id", kind="stable")
        .reset_index(drop=True)
    )
    out["school_id"] = out["school_id"].astype("string")
    out.attrs.update({"pre_years": pre, "post_years": post, "persistent_var": c, "shock_var": shock})
    return out
