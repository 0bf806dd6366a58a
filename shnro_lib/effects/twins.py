"""Array twins of the cheap estimators, for the self-check's many replications.

Each twin takes the school x year outcome matrix ``Y`` (NaN where a school has no result), every
school's cohort ``coh`` (0 = never supported) and the fixed parts of the design, and returns
``(estimate, standard error)`` in the unit of ``Y``.  The arithmetic is that of the library
estimator (:func:`shnro_lib.effects.naive_rtm.naive_pre_post`,
:func:`shnro_lib.effects.selection.selection_adjusted`, :func:`shnro_lib.effects.did.event_study`);
``tests/test_effects_selfcheck.py`` checks that a twin gives the library's estimate and standard
error on the real panel, so what the self-check measures is the estimator the table shows.  The
twins skip pandas: one replication costs well under a millisecond per cell.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Frame:
    """The fixed part of a panel: schools, years, cohorts' selection and clean years, clusters."""

    years: np.ndarray  # (T,) sorted data years
    selection: dict[int, list[int]]  # cohort -> selection years
    clean: dict[int, list[int]]  # cohort -> clean years (before selection, outside earlier ones)
    cluster: np.ndarray  # (N,) integer cluster codes (school or municipality)
    cov: object  # selection covariates (n_<g>, ctx_*) of the real data, or None
    degree: int

    def basis_parts(self) -> tuple[dict[int, np.ndarray], np.ndarray]:
        """The parts of :func:`shnro_lib.effects.selection._selection_basis` that do not depend on
        the index: per cohort the centred log size, and the context block (main effects and
        interactions with the first cohort's size)."""
        cov = self.cov
        xs = {}
        for c in [c for c in cov.columns if c.startswith("n_")]:
            x = np.log(np.maximum(cov[c].to_numpy(float), 1.0))
            xs[int(c[2:])] = x - np.nanmedian(x)
        ctx = []
        if xs:
            x = xs[min(xs)]
            for c in [c for c in cov.columns if c.startswith("ctx_")]:
                v = cov[c].to_numpy(float)
                v = (v - np.nanmean(v)) / (np.nanstd(v) or 1.0)
                ctx += [v, v * x]
        return xs, (np.column_stack(ctx) if ctx else np.empty((len(cov), 0)))

    def col(self, years) -> list[int]:
        """Column positions of ``years`` present in the data."""
        pos = {int(y): j for j, y in enumerate(self.years)}
        return [pos[int(y)] for y in years if int(y) in pos]


def _cluster_var(f: np.ndarray, cluster: np.ndarray) -> float:
    """Cluster-robust variance of a sum of influence values: G/(G−1) x Σ_g (Σ_i f_i)²."""
    by = np.bincount(cluster, weights=f)
    G = int(np.count_nonzero(np.bincount(cluster, weights=np.ones_like(f))))
    return float(G / max(G - 1, 1) * (by**2).sum())


def naive_twin(Y: np.ndarray, coh: np.ndarray, fr: Frame) -> tuple[float, float]:
    """Treated schools' mean change from their selection years to the support years (school clusters)."""
    ch, who = [], []
    for g, sel in fr.selection.items():
        rows = np.where(coh == g)[0]
        if not len(rows):
            continue
        s = Y[np.ix_(rows, fr.col(sel))]
        n = np.isfinite(s).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            P = np.where(n > 0, np.nansum(s, axis=1) / n, np.nan)
        post = fr.col([y for y in fr.years if y >= g])
        d = Y[np.ix_(rows, post)] - P[:, None]
        ok = np.isfinite(d)
        ch.append(d[ok])
        who.append(np.broadcast_to(rows[:, None], d.shape)[ok])
    if not ch or not sum(len(c) for c in ch):
        return np.nan, np.nan
    d, w = np.concatenate(ch), np.concatenate(who)
    n = len(d)
    est = float(d.mean())
    # statsmodels' cluster correction for a constant: G/(G−1) x (n−1)/(n−1)
    var = _cluster_var(d - est, np.unique(w, return_inverse=True)[1]) / n**2
    return est, float(np.sqrt(var))


def selection_twin(
    Y: np.ndarray,
    coh: np.ndarray,
    S: dict[int, np.ndarray],
    fr: Frame,
    years: list[int] | None = None,
    parts=None,
) -> tuple[float, float]:
    """Regression adjustment on the exact selection index (``pre_year_indices`` and municipality
    dummies off, as configured by default): every cohort x support-year cell solved from the last
    cohort back, later cohorts' effects removed, influence functions summed within clusters.

    ``S`` gives each cohort's selection index per school; ``years`` replaces the support years
    (the placebo in time runs the regression on a year before selection); ``parts`` are
    :meth:`Frame.basis_parts`, computed once for many replications.
    """
    return selection_twin_many([Y], coh, S, fr, years, parts)[0]


def selection_twin_many(
    Ys: list[np.ndarray],
    coh: np.ndarray,
    S: dict[int, np.ndarray],
    fr: Frame,
    years: list[int] | None = None,
    parts=None,
) -> list[tuple[float, float]]:
    """:func:`selection_twin` on several outcome matrices with the same missing cells (the same region
    with different planted effects): each cell's design matrix is decomposed once."""
    xs, ctx = parts if parts is not None else fr.basis_parts()
    cohorts = sorted(S)
    E = len(Ys)
    tau = [{} for _ in range(E)]
    inf = [{} for _ in range(E)]
    ntr: dict[tuple[int, int], int] = {}
    N = len(coh)
    for g in sorted(cohorts, reverse=True):
        cols = []
        for k in [k for k in cohorts if k <= g]:
            x = xs[k]
            cols += [x**p for p in range(1, fr.degree + 1)] + [S[k]]
            cols += [S[k] * x**p for p in range(1, fr.degree + 1)]
        B = np.column_stack(cols + [ctx])
        for t in years if years is not None else [y for y in fr.years if y >= g]:
            later = [h for h in cohorts if g < h <= t]
            j = fr.col([t])
            if not j:
                continue
            pop = ((coh == 0) | (coh >= g)) & np.isfinite(Ys[0][:, j[0]]) & np.isfinite(B).all(axis=1)
            D = (coh == g).astype(float)
            if D[pop].sum() < 2 or (pop & (D == 0)).sum() < B.shape[1] + 5:
                continue
            if any((h, t) not in tau[0] for h in later):
                continue
            idx = np.where(pop)[0]
            X = np.column_stack([np.ones(len(idx)), D[idx], B[idx]])
            # one SVD gives the pseudo-inverse row of the participation coefficient and the rank
            U, sv, Vt = np.linalg.svd(X, full_matrices=False)
            k = int((sv > sv.max() * max(X.shape) * np.finfo(float).eps).sum())
            a1 = (Vt[:k, 1] / sv[:k]) @ U[:, :k].T
            dof = np.sqrt(len(idx) / max(len(idx) - k, 1))
            for m in range(E):
                y = Ys[m][idx, j[0]].copy()
                for h in later:
                    y -= tau[m][(h, t)] * (coh[idx] == h)
                coef = Vt[:k].T @ ((U[:, :k].T @ y) / sv[:k])
                e = y - X @ coef
                f = np.zeros(N)
                f[idx] = a1 * e * dof
                for h in later:
                    f -= float(a1 @ (coh[idx] == h).astype(float)) * inf[m][(h, t)]
                tau[m][(g, t)], inf[m][(g, t)] = float(a1 @ y), f
            ntr[(g, t)] = int(D[idx].sum())
    if not ntr:
        return [(np.nan, np.nan)] * E
    keys = sorted(ntr)
    w = np.array([ntr[c] for c in keys], dtype=float)
    w /= w.sum()
    out = []
    for m in range(E):
        f = sum(wi * inf[m][c] for wi, c in zip(w, keys, strict=True))
        out.append(
            (
                float(sum(wi * tau[m][c] for wi, c in zip(w, keys, strict=True))),
                float(np.sqrt(_cluster_var(f, fr.cluster))),
            )
        )
    return out


def event_twin(Y: np.ndarray, coh: np.ndarray, fr: Frame) -> tuple[float, float]:
    """The clean-base event study: school and year fixed effects from clean school-years only, one
    dummy per cohort x relative year of the other (affected) years, ATT = the count-weighted mean of
    the support-year dummies; CRV1 errors (pyfixest's small-sample factors).

    The school fixed effects are swept out by within-school demeaning (Frisch–Waugh–Lovell), so the
    regression left has only the year and cell dummies; every regressor is held as a school x year
    matrix, so the demeaning is one row mean."""
    used = [g for g in sorted(fr.clean) if fr.clean[g]]
    if not used:
        return np.nan, np.nan
    N, T = Y.shape
    M = np.isin(coh, [0] + used)[:, None] & np.isfinite(Y)
    clean = np.broadcast_to((coh == 0)[:, None], (N, T)).copy()
    for g in used:
        clean |= (coh == g)[:, None] & np.isin(fr.years, fr.clean[g])[None, :]
    aff = M & ~clean
    rel = fr.years[None, :] - coh[:, None]
    cells = sorted({(int(g), int(r)) for g, r in zip(coh[np.nonzero(aff)[0]], rel[aff], strict=True)})
    eye = np.eye(T, dtype=bool)
    regs = [np.broadcast_to(eye[j][None, :], (N, T)) & M for j in range(1, T)]
    regs += [aff & (coh == g)[:, None] & (rel == r) for g, r in cells]
    A = np.stack(regs).astype(float)  # (k, N, T)
    Mf = M.astype(float)
    cnt = np.maximum(Mf.sum(axis=1), 1.0)
    y = np.where(M, Y, 0.0)
    yd = (y - (y.sum(axis=1) / cnt)[:, None]) * Mf
    Ad = (A - (A.sum(axis=2) / cnt)[:, :, None]) * Mf
    Xd = Ad.reshape(len(regs), -1).T  # (N*T, k), zero rows where not observed
    XtX_inv = np.linalg.pinv(Xd.T @ Xd)
    beta = XtX_inv @ (Xd.T @ yd.ravel())
    e = yd.ravel() - Xd @ beta
    counts = A[T - 1 :].sum(axis=(1, 2))
    rels = np.array([r for _, r in cells])
    w = np.where(rels >= 0, counts, 0.0)
    if not w.sum():
        return np.nan, np.nan
    R = np.r_[np.zeros(T - 1), w / w.sum()]
    att = float(R @ beta)
    row = (R @ XtX_inv) @ Xd.T
    n, k = int(M.sum()), len(regs)
    cl = np.broadcast_to(fr.cluster[:, None], (N, T)).ravel()
    obs = M.ravel()
    # pyfixest CRV1: G/(G−1) x (n−1)/(n−k−1), k the non-absorbed coefficients (+1: the intercept the
    # fixed effects absorb; checked against pyfixest in the tests)
    var = _cluster_var((row * e)[obs], cl[obs]) * (n - 1) / max(n - k - 1, 1)
    return att, float(np.sqrt(var))
