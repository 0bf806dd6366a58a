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


def _rtm_prepare(panel: pd.DataFrame, col: str, ids: pd.Index | None = None) -> dict:
    """Everything of the regression-to-the-mean formula that does not depend on bootstrap weights.

    The school x year matrix (rows in ``ids`` order, NaN where a school has no result; a school of
    ``ids`` without any result is an all-NaN row, which adds nothing to any weighted sum), each row's
    cohort, and per cohort the selection-year mean ``P`` and the finite post-year changes.  A
    bootstrap replicate then only reweights rows (:func:`_rtm_weighted`).
    """
    wide = panel.pivot_table(index="school_id", columns="year", values=col, aggfunc="mean")
    ids = wide.index if ids is None else ids
    years = [int(y) for y in wide.columns]
    X = wide.reindex(ids).to_numpy(float)
    cohorts = sorted(set(panel["cohort"]) - {0})
    selection = panel_selection_years(panel)
    first = min(cohorts)
    pre = [j for j, y in enumerate(years) if y < first]
    coh = panel.groupby("school_id")["cohort"].first().reindex(ids).to_numpy()
    groups = []
    for g in cohorts:
        sel = [years.index(y) for y in selection[g] if y in years]
        post = [j for j, y in enumerate(years) if y >= g]
        xs = X[:, sel]
        n_sel = np.isfinite(xs).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            P = np.where(n_sel > 0, np.nansum(xs, axis=1) / n_sel, np.nan)
        ch = X[:, post] - P[:, None]
        ok = np.isfinite(ch) & (coh == g)[:, None]
        # per row: how many finite changes it contributes and their sum (a row counted w times in a
        # replicate contributes w times each)
        groups.append(
            {
                "k": len(sel),
                "P": P,
                "m": ok.sum(axis=1).astype(float),
                "sum_change": np.where(ok, ch, 0.0).sum(axis=1),
            }
        )
    return {"ids": ids, "X": X, "pre": pre, "groups": groups}


def _weighted_moments(W: np.ndarray, x: np.ndarray, f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per replicate (row of ``W``): the weighted count of finite ``x`` and the centred values."""
    n = W @ f
    with np.errstate(invalid="ignore", divide="ignore"):
        m = (W @ np.where(f, x, 0.0)) / n
    return n, np.where(f, x - m[:, None], 0.0)


def _rtm_weighted(prep: dict, W: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(naive, rtm component, adjusted, reliability), one value per row of the weights ``W``.

    ``W`` (replicates x schools) holds each school's multiplicity; the formulas are those of
    :func:`rtm_point` on a panel whose rows are repeated that many times (variances two-pass, like
    ``np.nanvar`` / ``np.cov``).  A replicate without any pair of pre-programme years observed in more
    than two schools has no reliability: all four values are NaN.
    """
    X, pre = prep["X"], prep["pre"]
    F = np.isfinite(X)
    R = W.shape[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        # reliability of a one-year index: mean cross-year covariance / mean variance (pre-programme years)
        vars_ = []
        for a in pre:
            n, d = _weighted_moments(W, X[:, a], F[:, a])
            vars_.append((W * d**2).sum(axis=1) / n)
        cov_sum, n_cov = np.zeros(R), np.zeros(R)
        for i, a in enumerate(pre):
            for b in pre[i + 1 :]:
                f = F[:, a] & F[:, b]
                n, da = _weighted_moments(W, X[:, a], f)
                _, db = _weighted_moments(W, X[:, b], f)
                use = n > 2
                cov_sum += np.where(use, (W * da * db).sum(axis=1) / (n - 1), 0.0)
                n_cov += use
        valid = n_cov > 0
        persistent = cov_sum / n_cov
        total = np.mean(vars_, axis=0) if vars_ else np.full(R, np.nan)
        f_pre = F[:, pre]
        mu = (W @ np.where(f_pre, X[:, pre], 0.0).sum(axis=1)) / (W @ f_pre.sum(axis=1))
        n_obs = sum(W @ grp["m"] for grp in prep["groups"])
        naive = sum(W @ grp["sum_change"] for grp in prep["groups"]) / n_obs
        rtm_sum = np.zeros(R)
        rel = np.full(R, np.nan)
        for grp in prep["groups"]:
            k = grp["k"]
            defined = valid & (total > 0)
            den = (total + (k - 1) * persistent) / k if k else np.zeros(R)
            if np.any(defined & (den == 0)):
                # the per-replicate formula divides by it: a 0-year mean has no reliability
                raise ZeroDivisionError("reliability of the selection index is undefined")
            # reliability of a k-year mean with equal year variances and covariances (all schools,
            # pre-programme years): cov / ((var + (k - 1) cov) / k)
            rel = np.where(defined, np.minimum(1.0, persistent / den), np.nan)
            m = grp["m"]
            dev = np.where(m > 0, grp["P"][None, :] - mu[:, None], 0.0)
            n_g = W @ m
            part = -(1 - rel) * (W * (m * dev)).sum(axis=1)
            rtm_sum += np.where(n_g > 0, part, 0.0)
        rtm = rtm_sum / n_obs
    nan = np.full(R, np.nan)
    naive, rtm, rel = (np.where(valid, v, nan) for v in (naive, rtm, rel))
    return naive, rtm, naive - rtm, rel


def rtm_point(
    panel: pd.DataFrame, col: str, weights: pd.Series | None = None
) -> tuple[float, float, float, float]:
    """(naive, rtm component, adjusted, reliability) for one outcome column.

    Parameters
    ----------
    panel : the school-year panel (:func:`shnro_lib.effects.panel.result_panel`).
    col : the outcome column (a value of :data:`shnro_lib.effects.panel.OUTCOMES`).
    weights : bootstrap counts indexed by ``school_id`` (each school counted that many times);
        default: every school once.
    """
    prep = _rtm_prepare(panel, col)
    ids = pd.Index(prep["ids"])
    w = (
        np.ones(len(ids))
        if weights is None
        else weights.groupby(level=0).sum().reindex(ids, fill_value=0).to_numpy(float)
    )
    return tuple(float(v[0]) for v in _rtm_weighted(prep, w[None, :]))


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
    # one resample of schools per replicate, drawn in replicate order and shared by both units
    counts = np.array(
        [np.bincount(rng.integers(0, len(ids), len(ids)), minlength=len(ids)) for _ in range(reps)],
        dtype=float,
    ).reshape(reps, len(ids))
    out, comp = {}, {}
    alpha = 1 - cfg.ci_level
    for unit, col in OUTCOMES.items():
        prep = _rtm_prepare(panel, col, ids)
        naive, rtm, adj, rel = (float(v[0]) for v in _rtm_weighted(prep, np.ones((1, len(ids)))))
        b = _rtm_weighted(prep, counts)[2]
        b = b[np.isfinite(b)]
        lo, hi = np.quantile(b, [alpha / 2, 1 - alpha / 2]) if len(b) > 10 else (np.nan, np.nan)
        out[unit] = (adj, float(lo), float(hi))
        comp[unit] = {"naive": naive, "rtm_component": rtm, "reliability": rel}
    n_t = panel.loc[panel["cohort"] > 0, "school_id"].nunique()
    return {"estimate": out, "components": comp, "n_treated": n_t, "n_control": 0}
