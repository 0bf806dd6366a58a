"""Nearest-neighbour matching on pre-programme results and context (the design-free fallback)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from shnro_lib.effects.panel import OUTCOMES, panel_selection_years
from shnro_lib.effects.settings import load_effects_config


def _context_for_matching(dataset, year: int, feats: list[str]) -> tuple[pd.DataFrame, pd.Series | None]:
    try:
        from shnro_lib import context as ctx
    except ImportError:  # pragma: no cover
        return pd.DataFrame(), None
    # one clustering run carries the features it clustered (the same call as ``context_features``
    # with the shipped settings), so the features are not built twice
    try:
        res = ctx.cluster_analysis(dataset, year, stability=False)
        cf, cl = res.context, res.labels.set_index("school_id")["cluster"]
    except Exception:  # noqa: BLE001 — clustering failed: match on features (or results) only
        cf, cl = None, None
    try:
        cf = cf if cf is not None else ctx.context_features(dataset, year)
        Z = cf.z[[f for f in feats if f in cf.z.columns]]
    except Exception:  # noqa: BLE001 — no context table: match on results only
        Z = pd.DataFrame()
    return Z, cl


def _cohort_frame(wide: pd.DataFrame, coh: pd.Series, g: int, sel, years: list, Zc: pd.DataFrame, k: int):
    """Cohort ``g``'s matching variables, outcome change and post counts, treated and comparison schools.

    ``None`` when the cohort has no treated school or fewer than ``k + 2`` comparison schools.
    """
    pre = [y for y in years if y < g]
    post = [y for y in years if y >= g]
    P = wide[[y for y in sel if y in wide.columns]].mean(axis=1)
    dy = wide[post].sub(P, axis=0).mean(axis=1)
    npost = wide[post].notna().sum(axis=1)
    ctrl = coh == 0
    X = wide[pre].copy()
    X.columns = [f"Индекс результатов {y}" for y in pre]
    if len(Zc):
        X = X.join(Zc, how="left")
    X = X.dropna()
    T = X.index[(coh.reindex(X.index) == g).to_numpy() & dy.reindex(X.index).notna().to_numpy()]
    C = X.index[ctrl.reindex(X.index).to_numpy() & dy.reindex(X.index).notna().to_numpy()]
    if len(T) == 0 or len(C) < k + 2:
        return None
    return X, dy, npost, T, C


def _match_treated(X: pd.DataFrame, dy: pd.Series, npost: pd.Series, T, C, clusters, mcfg):
    """Each treated school's matched difference and weight, the controls' reuse counts, control variance.

    Returns ``(diffs, wts, Kcount, matched_w, sig2_c)``.
    """
    k = mcfg.k
    mu, sd = X.loc[C].mean(), X.loc[C].std().replace(0, 1)
    Xs = (X - mu) / sd
    yc = dy[C].to_numpy(float)
    # control outcome regression for the bias adjustment
    A = np.column_stack([np.ones(len(C)), Xs.loc[C].to_numpy(float)])
    beta = np.linalg.lstsq(A, yc, rcond=None)[0]
    sig2_c = float(np.var(yc - A @ beta, ddof=A.shape[1]))
    # the loop over treated schools works on row positions (pandas label look-ups per school
    # were most of the cost); the arithmetic is the same element by element
    A_all = Xs.to_numpy(float)
    pos = {s: i for i, s in enumerate(X.index)}
    c_pos = np.array([pos[c] for c in C], dtype=int)
    dy_all = dy.reindex(X.index).to_numpy(float)
    npost_all = npost.reindex(X.index).to_numpy(float)
    use_cl = mcfg.within_cluster and clusters is not None
    cl_c = clusters.reindex(C).to_numpy() if use_cl else None
    cl_of = clusters.to_dict() if use_cl else {}
    Kc, mw = np.zeros(len(C)), np.zeros(len(C))
    diffs, wts = [], []
    for s in T:
        i = pos[s]
        pool = np.arange(len(C))
        if use_cl and s in cl_of:
            same = pool[cl_c == cl_of[s]]
            if len(same) >= k:
                pool = same
        dist = ((A_all[c_pos[pool]] - A_all[i]) ** 2).sum(axis=1)
        nn = pool[np.argsort(dist, kind="stable")[:k]]
        adj = 0.0
        if mcfg.bias_adjust:
            xs = np.r_[1.0, A_all[i]]
            xn = np.column_stack([np.ones(len(nn)), A_all[c_pos[nn]]])
            adj = float(xs @ beta - (xn @ beta).mean())
        y0 = float(dy_all[c_pos[nn]].mean()) + adj
        diffs.append(float(dy_all[i]) - y0)
        wts.append(float(npost_all[i]))
        Kc[nn] += float(npost_all[i]) / k
        mw[nn] += 1.0 / k
    return np.asarray(diffs), np.asarray(wts), pd.Series(Kc, index=C), pd.Series(mw, index=C), sig2_c


def _balance(X: pd.DataFrame, T, C, matched_w: pd.Series, g: int) -> list[dict]:
    """Standardised mean differences of every matching variable before and after matching."""
    rows = []
    for c in X.columns:
        t_mean = X.loc[T, c].mean()
        pooled = np.sqrt((X.loc[T, c].var() + X.loc[C, c].var()) / 2) or 1.0
        mw = matched_w[matched_w > 0]
        m_mean = float(np.average(X.loc[mw.index, c], weights=mw))
        rows.append(
            {
                "cohort": g,
                "variable": c,
                "smd_before": (t_mean - X.loc[C, c].mean()) / pooled,
                "smd_after": (t_mean - m_mean) / pooled,
            }
        )
    return rows


def _unit_sums(panel: pd.DataFrame, col: str, cohorts, selection, years, Zc, clusters, mcfg, balance):
    """One outcome's weighted sums over the cohorts: ``(tau_num, var_num, w_tot, ctrl_used, n_t)``.

    ``balance`` (a list, or ``None``) receives the balance rows.
    """
    wide = panel.pivot_table(index="school_id", columns="year", values=col, aggfunc="mean")
    coh = panel.groupby("school_id")["cohort"].first().reindex(wide.index)
    tau_num, var_num, w_tot = 0.0, 0.0, 0.0
    ctrl_used: set = set()
    n_t = 0
    for g in cohorts:
        frame = _cohort_frame(wide, coh, g, selection[g], years, Zc, mcfg.k)
        if frame is None:
            continue
        X, dy, npost, T, C = frame
        diffs, wts, Kcount, matched_w, sig2_c = _match_treated(X, dy, npost, T, C, clusters, mcfg)
        tau_num += float((wts * diffs).sum())
        w_tot += float(wts.sum())
        # variance: treated part (within-group spread of diffs) + reuse of controls
        var_num += float((wts**2 * (diffs - (wts * diffs).sum() / wts.sum()) ** 2).sum())
        var_num += float((Kcount**2).sum() * sig2_c)
        ctrl_used |= set(matched_w[matched_w > 0].index)
        if balance is not None:
            balance.extend(_balance(X, T, C, matched_w, g))
        n_t += len(T)
    return tau_num, var_num, w_tot, ctrl_used, n_t


def matching_estimate(dataset, panel: pd.DataFrame, config=None) -> dict:
    """Nearest-neighbour matching on pre-programme results and context, within context clusters.

    Outcome: a school's mean change over its support years from its selection years (comparison
    schools: the same years).  Matching with replacement on standardised pre-programme yearly
    indices and context features, ``k`` neighbours, within the school's context cluster when the
    cluster has enough comparison schools; Abadie–Imbens regression bias adjustment.  Because
    selection is a deterministic function of pre-programme results there is no overlap in them:
    the matched comparison schools lie just above the cut-off and the bias adjustment extrapolates.
    The variance treats the matched comparison means as fixed (Abadie–Imbens form with the
    reuse counts ``K``).
    """
    cfg = load_effects_config(config)
    mcfg = cfg.matching
    z = cfg.z
    selection = panel_selection_years(panel)
    cohorts = sorted(set(panel["cohort"]) - {0})
    years = sorted(panel["year"].unique())
    first = min(cohorts)
    Zc, clusters = _context_for_matching(dataset, first - 1, list(mcfg.context_features))
    out, balance = {}, []
    n_t = n_c = 0
    for unit, col in OUTCOMES.items():
        tau_num, var_num, w_tot, ctrl_used, n_t_unit = _unit_sums(
            panel, col, cohorts, selection, years, Zc, clusters, mcfg, balance if unit == "sd" else None
        )
        n_t = n_t + n_t_unit if unit == "sd" else n_t
        if w_tot == 0:
            continue
        tau = tau_num / w_tot
        se = np.sqrt(var_num) / w_tot
        out[unit] = (tau, tau - z * se, tau + z * se)
        n_c = len(ctrl_used)
    return {"estimate": out, "balance": pd.DataFrame(balance), "n_treated": n_t, "n_control": n_c}
