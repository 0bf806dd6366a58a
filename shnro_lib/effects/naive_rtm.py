"""The naive before/after change and its regression-to-the-mean illustration."""

from __future__ import annotations

import numpy as np
import pandas as pd

from shnro_lib.effects.panel import OUTCOMES, _ols_cluster, _pre_mean, panel_selection_years
from shnro_lib.effects.settings import load_effects_config


def naive_pre_post(panel: pd.DataFrame, config=None) -> dict:
    """Treated schools' mean change from their cohort's selection years to the support years.

    The estimand is the average over treated school-years (cell-weighted, like ``did``); the
    interval is clustered by school.
    """
    cfg = load_effects_config(config)
    out: dict[str, tuple[float, float, float]] = {}
    z = cfg.z
    sel = panel_selection_years(panel)
    n_t = 0
    for unit, col in OUTCOMES.items():
        parts = []
        for g in sorted(set(panel["cohort"]) - {0}):
            pre = _pre_mean(panel[panel["cohort"] == g], sel[g], col)
            post = panel[(panel["cohort"] == g) & panel["treat"]][["school_id", col]].dropna()
            post = post.assign(change=post[col].to_numpy() - post["school_id"].map(pre).to_numpy()).dropna()
            parts.append(post)
        d = pd.concat(parts)
        n_t = d["school_id"].nunique()
        fit = _ols_cluster(d["change"].to_numpy(float), np.ones((len(d), 1)), d["school_id"].to_numpy())
        e, se = float(fit.params[0]), float(fit.bse[0])
        out[unit] = (e, e - z * se, e + z * se)
    return {"estimate": out, "n_treated": n_t, "n_control": 0}


def rtm_point(panel: pd.DataFrame, col: str, weights: pd.Series | None = None
               ) -> tuple[float, float, float, float]:
    """(naive, rtm component, adjusted, reliability) for one outcome column; weights = bootstrap counts."""
    wide = panel.pivot_table(index="school_id", columns="year", values=col, aggfunc="mean")
    if weights is not None:
        wide = wide.loc[weights.index.repeat(weights.to_numpy())]
    cohorts = sorted(set(panel["cohort"]) - {0})
    selection = panel_selection_years(panel)
    first = min(cohorts)
    pre_years = [y for y in wide.columns if y < first]
    coh = panel.groupby("school_id")["cohort"].first().reindex(wide.index).to_numpy()
    # reliability of a one-year index: mean cross-year covariance / mean variance (pre-programme years)
    covs, vars_ = [], []
    for i, a in enumerate(pre_years):
        vars_.append(np.nanvar(wide[a].to_numpy(float)))
        for b in pre_years[i + 1:]:
            m = wide[[a, b]].dropna().to_numpy(float)
            if len(m) > 2:
                covs.append(np.cov(m.T)[0, 1])
    if not covs:
        return np.nan, np.nan, np.nan, np.nan
    persistent = float(np.mean(covs))
    total = float(np.mean(vars_))
    mu = float(np.nanmean(wide[pre_years].to_numpy(float)))
    changes, rtms = [], []
    rel = np.nan
    for g in cohorts:
        sel = [y for y in selection[g] if y in wide.columns]
        post = [y for y in wide.columns if y >= g]
        k = len(sel)
        # reliability of a k-year mean with equal year variances and covariances (all schools,
        # pre-programme years): cov / ((var + (k - 1) cov) / k)
        rel = min(1.0, persistent / ((total + (k - 1) * persistent) / k)) if total > 0 else np.nan
        P = wide[sel].mean(axis=1)
        tr = coh == g
        for y in post:
            ch = (wide.loc[tr, y] - P[tr]).to_numpy(float)
            ok = np.isfinite(ch)
            changes.append(ch[ok])
            rtms.append((-(1 - rel) * (P[tr].to_numpy(float) - mu))[ok])
    ch, rt = np.concatenate(changes), np.concatenate(rtms)
    naive = float(ch.mean())
    rtm = float(rt.mean())
    return naive, rtm, naive - rtm, rel


def rtm_adjusted(panel: pd.DataFrame, config=None) -> dict:
    """Naive change minus the change expected from regression to the mean.

    Expected change without support for a school selected on a pre-period index ``P`` is
    ``-(1 - λ)(P - mean)``, with the reliability of a k-year mean ``λ = c / ((v + (k - 1) c) / k)`` (``c`` the
    mean covariance of two years' indices, ``v`` the mean variance) estimated from the
    pre-programme years of all schools (it assumes that the persistent part of results is stable
    and that luck does not carry over between years).  The interval is a school bootstrap.
    """
    cfg = load_effects_config(config)
    reps = cfg.rtm.bootstrap_reps
    rng = np.random.default_rng(cfg.rtm.seed)
    ids = pd.Index(sorted(panel["school_id"].unique()))
    out, comp = {}, {}
    alpha = 1 - cfg.ci_level
    boots = {u: [] for u in OUTCOMES}
    for _ in range(reps):
        cnt = pd.Series(np.bincount(rng.integers(0, len(ids), len(ids)), minlength=len(ids)), index=ids)
        cnt = cnt[cnt > 0]
        for unit, col in OUTCOMES.items():
            boots[unit].append(rtm_point(panel, col, cnt)[2])
    for unit, col in OUTCOMES.items():
        naive, rtm, adj, rel = rtm_point(panel, col)
        b = np.asarray(boots[unit], dtype=float)
        b = b[np.isfinite(b)]
        lo, hi = (np.quantile(b, [alpha / 2, 1 - alpha / 2]) if len(b) > 10 else (np.nan, np.nan))
        out[unit] = (adj, float(lo), float(hi))
        comp[unit] = {"naive": naive, "rtm_component": rtm, "reliability": rel}
    n_t = panel.loc[panel["cohort"] > 0, "school_id"].nunique()
    return {"estimate": out, "components": comp, "n_treated": n_t, "n_control": 0}

