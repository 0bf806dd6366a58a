"""Regression adjustment on the exact selection index (selection on observables, sharp rule)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from shnro_lib.effects.cohorts import selection_index
from shnro_lib.effects.panel import OUTCOMES
from shnro_lib.effects.settings import load_effects_config


def selection_covariates(dataset, panel: pd.DataFrame, config=None, design=None) -> pd.DataFrame:
    """Per school: the exact selection index of every cohort's rule and the school's size in those years.

    Columns ``S_<g>`` (the index the rule ranked, :func:`selection_index` with the configured cell
    weighting), ``n_<g>`` (participants over the selection years: the index's reliability grows with
    it) and ``cut_<g>`` (the rule's cut-off, from ``design``: stated, or the ``bottom_share``
    quantile over all schools, or inferred).
    """
    from shnro_lib.effects.design import programme_design

    cfg = load_effects_config(config)
    design = design if design is not None else programme_design(dataset, cfg)
    weighting = cfg.selection.cell_weighting
    ids = pd.Index(sorted(panel["school_id"].astype("string").unique()), name="school_id")
    out = pd.DataFrame(index=ids)
    res = dataset.results
    for g in sorted(set(panel["cohort"]) - {0}):
        cd = design.get(int(g))
        sel = list(cd.selection_years)
        rg = res[res["procedure"].isin(cd.procedures).fillna(False)] if cd.procedures else res
        S = selection_index(rg, sel, weighting)
        S.index = S.index.astype("string")
        r = res[res["year"].isin(sel).fillna(False) & (res["participants"].fillna(0) > 0)]
        n = r.groupby(r["school_id"].astype("string"))["participants"].sum().astype(float)
        out[f"S_{g}"] = S.reindex(ids).to_numpy(float)
        out[f"n_{g}"] = n.reindex(ids).to_numpy(float)
        out[f"cut_{g}"] = float(cd.cutoff) if cd.cutoff is not None else np.nan
    ctx_cols = list(cfg.selection_adjusted.context_columns)
    ctx = dataset.get("context") if ctx_cols else None
    if ctx is not None and len(ctx):
        first = min(set(panel["cohort"]) - {0}, default=None)
        c = ctx[ctx["year"].astype(float) < first] if first is not None else ctx
        sid = c["school_id"].astype("string")
        for col in [c_ for c_ in ctx_cols if c_ in c.columns]:
            # the column is made float once and averaged by the grouped mean (a Python mean per
            # school was most of this function's time)
            v = c[col].astype(float).groupby(sid).mean()
            out[f"ctx_{col}"] = v.reindex(ids).to_numpy(float)
    return out


def _selection_basis(cov: pd.DataFrame, cohorts: list[int], degree: int) -> np.ndarray:
    """Columns of E[Y0 | selection indices, size]: for each index S, log size x (centred),
    ``x, …, x^degree, S, S·x, …, S·x^degree`` — the slope of the outcome on a noisy index is its
    reliability, which rises with the school's size."""
    cols = []
    for k in cohorts:
        S = cov[f"S_{k}"].to_numpy(float)
        x = np.log(np.maximum(cov[f"n_{k}"].to_numpy(float), 1.0))
        x = x - np.nanmedian(x)
        for p in range(1, degree + 1):
            cols.append(x**p)
        cols.append(S)
        for p in range(1, degree + 1):
            cols.append(S * x**p)
    # pre-programme context (the prior mean of quality): main effect and interaction with size
    if cohorts:
        x = np.log(np.maximum(cov[f"n_{cohorts[0]}"].to_numpy(float), 1.0))
        x = x - np.nanmedian(x)
        for c in [c for c in cov.columns if c.startswith("ctx_")]:
            v = cov[c].to_numpy(float)
            v = (v - np.nanmean(v)) / (np.nanstd(v) or 1.0)
            cols += [v, v * x]
    return np.column_stack(cols) if cols else np.empty((len(cov), 0))


Cell = tuple[int, int]


def _cell_effect(
    wide: pd.DataFrame,
    g: int,
    t: int,
    pre: list[int],
    later: list[int],
    coh: np.ndarray,
    B: np.ndarray,
    muni: pd.Series | None,
    tau: dict[Cell, float],
    inf: dict[Cell, np.ndarray],
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray] | None:
    """The effect of cohort ``g`` in year ``t``, its influence function, and who entered the fit.

    Parameters
    ----------
    wide : pandas.DataFrame
        The outcome by school (rows, in ``coh``'s order) and year.
    g, t : int
        The cohort and the support year.
    pre : list of int
        Years before ``g`` whose outcomes enter as controls (empty: none).
    later : list of int
        Later cohorts supported in ``t``, whose effects (already in ``tau``) are removed.
    coh : numpy.ndarray
        Each school's cohort (0: never supported).
    B : numpy.ndarray
        The selection basis of ``g`` and the earlier cohorts.
    muni : pandas.Series or None
        Each school's municipality, for municipality effects; ``None``: none.
    tau, inf : dict
        The effects and influence functions of the cells solved so far.

    Returns
    -------
    tuple or None
        ``(effect, influence function over all schools, positions fitted, participation)``, or
        ``None`` when the cell cannot be estimated (too few schools, a later cell missing).
    """
    pop = ((coh == 0) | (coh >= g)) & np.isfinite(wide[t].to_numpy(float))
    pop &= np.isfinite(B).all(axis=1)
    if pre:
        pop &= np.isfinite(wide[pre].to_numpy(float)).all(axis=1)
    D = (coh == g).astype(float)
    if D[pop].sum() < 2 or (pop & (D == 0)).sum() < B.shape[1] + 5:
        return None
    if any((h, t) not in tau for h in later):
        return None
    idx = np.where(pop)[0]
    y = wide[t].to_numpy(float)[idx].copy()
    for h in later:
        y -= tau[(h, t)] * (coh[idx] == h)
    cols = [np.ones(len(idx)), D[idx], B[idx]]
    if pre:
        cols.append(wide[pre].to_numpy(float)[idx])
    if muni is not None:
        cols.append(pd.get_dummies(muni.to_numpy()[idx], drop_first=True, dtype=float).to_numpy())
    X = np.column_stack(cols)
    XtX_inv = np.linalg.pinv(X.T @ X)
    A = XtX_inv @ X.T
    beta = A @ y
    e = y - X @ beta
    k = int(np.linalg.matrix_rank(X))
    dof = np.sqrt(len(idx) / max(len(idx) - k, 1))
    a = A[1]
    f = np.zeros(len(coh))
    f[idx] = a * e * dof
    for h in later:
        f -= float(a @ (coh[idx] == h).astype(float)) * inf[(h, t)]
    return float(beta[1]), f, idx, D


def _cluster_se(f: np.ndarray, clus: np.ndarray) -> float:
    """Standard error from an influence function summed within clusters (small-sample factor G/(G-1))."""
    by = pd.Series(f).groupby(pd.factorize(pd.Series(clus).astype("string"))[0]).sum().to_numpy()
    G = len(by)
    return float(np.sqrt(G / max(G - 1, 1) * (by**2).sum()))


def _unit_cells(
    wide: pd.DataFrame, cov: pd.DataFrame, coh: np.ndarray, muni: pd.Series, years: list[int], acfg
) -> tuple[dict[Cell, float], dict[Cell, np.ndarray], dict[Cell, int], set, set]:
    """Every estimable cell of one outcome, solved from the last cohort back.

    Returns
    -------
    tuple
        Effects, influence functions and treated counts by ``(cohort, year)``, and the treated and
        comparison schools that entered any cell.
    """
    ids = cov.index
    cohorts = sorted(set(coh) - {0})
    tau: dict[Cell, float] = {}
    inf: dict[Cell, np.ndarray] = {}
    ntr: dict[Cell, int] = {}
    treated_ids, control_ids = set(), set()
    for g in sorted(cohorts, reverse=True):
        earlier = [k for k in cohorts if k <= g]
        B = _selection_basis(cov, earlier, acfg.size_degree)
        pre = [y for y in years if y < g] if acfg.pre_year_indices else []
        for t in [y for y in years if y >= g]:
            later = [h for h in cohorts if g < h <= t]
            fit = _cell_effect(
                wide, g, t, pre, later, coh, B, muni if acfg.municipality_effects else None, tau, inf
            )
            if fit is None:
                continue
            tau[(g, t)], inf[(g, t)], idx, D = fit
            ntr[(g, t)] = int(D[idx].sum())
            treated_ids |= set(ids[idx][D[idx] == 1])
            control_ids |= set(ids[idx][D[idx] == 0])
    return tau, inf, ntr, treated_ids, control_ids


def _unit_summary(
    tau: dict[Cell, float], inf: dict[Cell, np.ndarray], ntr: dict[Cell, int], clus: np.ndarray, z: float
) -> tuple[tuple[float, float, float], pd.DataFrame]:
    """The treated-weighted average effect with its interval, and the table of cells."""
    keys = sorted(tau)
    w = np.array([ntr[c] for c in keys], dtype=float)
    w = w / w.sum()
    att = float(sum(wi * tau[c] for wi, c in zip(w, keys, strict=True)))
    f = sum(wi * inf[c] for wi, c in zip(w, keys, strict=True))
    se = _cluster_se(f, clus)
    cells = pd.DataFrame(
        {
            "cohort": [c[0] for c in keys],
            "year": [c[1] for c in keys],
            "estimate": [tau[c] for c in keys],
            "se": [_cluster_se(inf[c], clus) for c in keys],
            "n_treated": [ntr[c] for c in keys],
            "weight": w,
        }
    )
    return (att, att - z * se, att + z * se), cells


def selection_adjusted(
    panel: pd.DataFrame,
    config=None,
    dataset=None,
    design=None,
    covariates: pd.DataFrame | None = None,
    return_cells: bool = False,
) -> dict:
    """Regression adjustment on the exact selection index (selection on observables, sharp rule).

    Selection is a deterministic function of the observed index ``S_g`` (bottom share over the
    selection years), so conditional on ``S_g`` participation is ignorable.  For every cohort ``g``
    and support year ``t`` the outcome of year ``t`` is regressed, over the schools not supported
    before ``g``, on participation in cohort ``g`` and on ``E[Y0 | S, size]``: the selection indices
    of cohort ``g`` and of every earlier cohort (they decided who was still eligible), each with
    its interactions with log school size — a small school's index is noisier, so its expected
    result regresses more strongly to the mean (the slope on ``S`` is the index's reliability).

    Staggered cohorts: schools of a later cohort ``h`` (``g < h <= t``) are supported in ``t``; they
    stay in the comparison population (otherwise it would be truncated on ``S_h``, which for them
    contains untreated years only, but for cohort ``g`` contains supported years) with their effect
    ``tau(h, t)`` removed, estimated first (cells are solved from the last cohort back).  For the
    last cohort the comparison schools are the never supported, selected on the same indices
    that enter the regression, so that cell is clean too.

    The cell effects are averaged with weights = treated schools per cell (= the average over
    treated school-years); the standard error comes from the influence functions of all cells
    (including the plugged-in ``tau(h, t)``), summed within clusters (school or municipality).
    Identification extrapolates ``E[Y0 | S, size]`` across the cut-off (a global regression
    discontinuity): the functional form is the assumption; the RDD is the local check.
    """
    cfg = load_effects_config(config)
    acfg = cfg.selection_adjusted
    cluster = cfg.did.cluster
    z = cfg.z
    if covariates is None:
        if dataset is None:
            raise ValueError("selection_adjusted: нужен набор данных или таблица индексов отбора")
        covariates = selection_covariates(dataset, panel, cfg, design)
    cov = covariates.copy()
    cov.index = cov.index.astype("string")
    wide_all = {
        u: panel.pivot_table(index="school_id", columns="year", values=col, aggfunc="mean")
        for u, col in OUTCOMES.items()
    }
    ids = cov.index
    coh = panel.groupby("school_id")["cohort"].first().reindex(ids).fillna(0).astype(int).to_numpy()
    muni = panel.groupby("school_id")["municipality"].first().reindex(ids).astype("string")
    clus = (pd.Series(ids, index=ids) if cluster == "school_id" else muni).to_numpy()
    years = sorted(panel["year"].unique())
    out, cells_out = {}, {}
    n_t = n_c = 0
    for unit, wide in wide_all.items():
        wide = wide.copy()
        wide.index = wide.index.astype("string")
        wide = wide.reindex(ids)
        tau, inf, ntr, treated_ids, control_ids = _unit_cells(wide, cov, coh, muni, years, acfg)
        if not tau:
            continue
        out[unit], cells_out[unit] = _unit_summary(tau, inf, ntr, clus, z)
        n_t, n_c = len(treated_ids), len(control_ids)
    res = {"estimate": out, "n_treated": n_t, "n_control": n_c}
    if return_cells:
        res["cells"] = cells_out
    return res
