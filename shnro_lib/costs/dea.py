"""Output-oriented DEA under variable returns to scale and the Simar–Wilson smoothed bootstrap."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linprog


def _phi_vrs(X: np.ndarray, Y: np.ndarray, x0: np.ndarray, y0: np.ndarray) -> float:
    """Output expansion factor φ >= 1 of (x0, y0) against the VRS hull of (X, Y); NaN if infeasible."""
    n = X.shape[0]
    # variables: phi, lambda_1..n ; maximise phi
    c = np.r_[-1.0, np.zeros(n)]
    A_in = np.hstack([np.zeros((X.shape[1], 1)), X.T])  # sum l x <= x0
    A_out = np.hstack([y0[:, None], -Y.T])  # phi y0 - sum l y <= 0
    A_ub = np.vstack([A_in, A_out])
    b_ub = np.r_[x0, np.zeros(Y.shape[1])]
    A_eq = np.r_[0.0, np.ones(n)][None, :]
    res = linprog(
        c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=[1.0], bounds=[(0, None)] * (n + 1), method="highs"
    )
    return float(res.x[0]) if res.status == 0 else np.nan


def undominated(X: np.ndarray, Y: np.ndarray, chunk: int = 512) -> np.ndarray:
    """Mask of the units no other unit dominates (no more of every input, at least as much of every
    output, and strictly better in one).

    Only these can be needed on the right-hand side of a DEA problem: in an optimal ``λ``, the weight
    of a dominated unit moved to a unit that dominates it keeps every constraint (no more input, no
    less output, the same ``Σ λ``), and every dominated unit is dominated by an undominated one.  So
    φ against the undominated units equals φ against all of them, on a far smaller LP.

    A skyline pass: the units are taken in descending lexicographic order of ``(−x, y)`` (a unit
    that dominates another is lexicographically greater, so it comes first), ``chunk`` at a time,
    and each chunk is compared with itself and with the undominated units found so far only
    (domination is transitive, so these suffice).  Cost ``n × (chunk + undominated)`` instead of
    ``n²``; memory ``chunk × (chunk + undominated)``.
    """
    Z = np.hstack([-X, Y])  # larger is better in every column
    n = Z.shape[0]
    keep = np.zeros(n, dtype=bool)
    order = np.lexsort(-Z.T[::-1])  # descending, first column first
    front = np.empty((0, Z.shape[1]))
    for start in range(0, n, chunk):
        rows = order[start : start + chunk]
        z = Z[rows]
        ref = np.vstack([front, z])
        dominated = (
            (ref[None, :, :] >= z[:, None, :]).all(axis=2) & (ref[None, :, :] > z[:, None, :]).any(axis=2)
        ).any(axis=1)
        keep[rows] = ~dominated
        front = np.vstack([front, z[~dominated]])
    return keep


def _phi_many(
    X: np.ndarray, Y: np.ndarray, X0: np.ndarray, Y0: np.ndarray, block: int | None = None
) -> np.ndarray:
    """:func:`_phi_vrs` of every row of (X0, Y0) against the hull of (X, Y).

    The reference set is first reduced to its undominated units (:func:`undominated`; the optimum
    does not change).  The units' LPs are independent, so ``block`` of them are solved as one
    block-diagonal LP (its optimum is the sum of theirs) — one solver call instead of ``block``
    (default: blocks of about 6 000 variables); a block that fails is solved unit by unit.  HiGHS'
    presolve is off: on these small blocks it costs more than it saves (same optimum).
    """
    from scipy import sparse

    ref = undominated(X, Y)
    X, Y = X[ref], Y[ref]
    n, p, q = X.shape[0], X.shape[1], Y.shape[1]
    block = block or max(1, 6_000 // (n + 1))
    out = np.full(X0.shape[0], np.nan)
    for start in range(0, X0.shape[0], block):
        units = range(start, min(start + block, X0.shape[0]))
        A_ub = sparse.block_diag(
            [
                np.vstack([np.hstack([np.zeros((p, 1)), X.T]), np.hstack([Y0[o][:, None], -Y.T])])
                for o in units
            ],
            format="csr",
        )
        A_eq = sparse.block_diag([np.r_[0.0, np.ones(n)][None, :] for _ in units], format="csr")
        b_ub = np.concatenate([np.r_[X0[o], np.zeros(q)] for o in units])
        c = np.tile(np.r_[-1.0, np.zeros(n)], len(units))
        res = linprog(
            c,
            A_ub=A_ub,
            b_ub=b_ub,
            A_eq=A_eq,
            b_eq=np.ones(len(units)),
            bounds=(0, None),
            method="highs",
            options={"presolve": False},
        )
        if res.status == 0:
            out[list(units)] = res.x.reshape(len(units), n + 1)[:, 0]
        else:
            out[list(units)] = [_phi_vrs(X, Y, X0[o], Y0[o]) for o in units]
    return out


def _one_frontier(X: np.ndarray, Y: np.ndarray, phi: np.ndarray, star: np.ndarray) -> list[float]:
    """Every unit re-evaluated against the pseudo-frontier of one bootstrap replicate."""
    Ystar = Y * (phi / star)[:, None]
    return list(_phi_many(X, Ystar, X, Y))


def _bootstrap_frontiers(
    X: np.ndarray, Y: np.ndarray, phi: np.ndarray, stars: list[np.ndarray], n_jobs: int
) -> np.ndarray:
    """Replicates in parallel (joblib); the draws are made beforehand, so results do not depend on n_jobs."""
    if n_jobs != 1 and len(stars) > 1:
        try:
            from joblib import Parallel, delayed

            rows = Parallel(n_jobs=n_jobs)(delayed(_one_frontier)(X, Y, phi, st) for st in stars)
            return np.array(rows, dtype=float)
        except Exception:  # noqa: BLE001 - e.g. no child processes allowed here: fall back to one process
            pass
    return np.array([_one_frontier(X, Y, phi, st) for st in stars], dtype=float)


def silverman_bandwidth(phi: np.ndarray) -> float:
    """Bandwidth of the Simar–Wilson kernel: Silverman's robust rule of thumb on the reflected sample.

    ``h = 0.9 · min(sd, IQR / 1.34) · (2n)^(-1/5)`` over the ``2n`` values ``φ̂`` and ``2 − φ̂``
    (Silverman, 1986, eq. 3.31; Simar and Wilson, 1998, sec. 4).  Efficient units (``φ̂ = 1``) are
    reflected onto themselves and kept: their mass at 1 is part of the distribution.
    """
    refl = np.r_[phi, 2 - phi]
    sd = float(np.std(refl, ddof=1))
    iqr = float(np.subtract(*np.percentile(refl, [75, 25])))
    spread = min(sd, iqr / 1.34) if iqr > 0 else sd
    return 0.9 * spread * len(refl) ** (-1 / 5)


def smoothed_draws(phi: np.ndarray, reps: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Simar–Wilson (1998) smoothed-bootstrap draws of ``φ*`` (one array of n per replicate).

    Resample the reflected set ``{φ̂, 2 − φ̂}``, add ``h ε`` (standard normal), rescale about the draw
    mean by ``1 / sqrt(1 + h² / σ̂²)`` (``σ̂²`` the variance of the reflected set) so that the smoothed
    distribution keeps its variance, and reflect values below 1 back above it.
    """
    n = len(phi)
    refl = np.r_[phi, 2 - phi]
    h = silverman_bandwidth(phi)
    s2 = max(float(np.var(refl, ddof=1)), 1e-12)
    out = []
    for _ in range(reps):
        draw = rng.choice(refl, size=n, replace=True)
        eps = rng.normal(0, 1, n)
        dm = draw.mean()
        star = dm + (draw + h * eps - dm) / np.sqrt(1 + h**2 / s2)
        out.append(np.where(star < 1, 2 - star, star))
    return out


def dea_efficiency(
    inputs: pd.DataFrame | np.ndarray,
    outputs: pd.DataFrame | np.ndarray,
    bootstrap_reps: int = 0,
    seed: int = 0,
    ci_level: float = 0.95,
    n_jobs: int = 1,
) -> pd.DataFrame:
    """Output-oriented DEA efficiency under variable returns to scale (Banker–Charnes–Cooper).

    For unit ``o``: ``φ_o = max φ`` s.t. ``Σ λ_j x_j <= x_o``, ``Σ λ_j y_j >= φ y_o``, ``Σ λ_j = 1``,
    ``λ >= 0`` (one ``scipy.optimize.linprog`` per unit).  Efficiency ``= 1 / φ`` in (0, 1].
    Outputs must be positive; inputs may have any sign (the VRS output model is translation invariant
    in inputs), so a non-controllable input such as a context index can be passed as is — with
    ``more = more favourable``.

    With ``bootstrap_reps > 0`` the Simar–Wilson (1998) homogeneous smoothed bootstrap
    (:func:`smoothed_draws`, bandwidth :func:`silverman_bandwidth`): pseudo-outputs
    ``y* = y φ̂ / φ*`` define a pseudo-frontier, and every unit is re-evaluated against it (replicates
    run on ``n_jobs`` processes; the results do not depend on it).  The DEA estimate is biased
    towards efficiency (the frontier is built from the same data, so it lies inside the true one);
    ``bias = mean(φ̂*) − φ̂`` and ``φ_bc = φ̂ − bias``.  The interval is the one of Simar and Wilson
    (2000): ``[φ̂ − q_{1−α/2}(φ̂* − φ̂), φ̂ − q_{α/2}(φ̂* − φ̂)]`` — an interval for the *true*
    efficiency, so it usually lies below (does not contain) the uncorrected estimate.  Returns
    ``efficiency, phi`` and, with the bootstrap, ``efficiency_bc``, ``efficiency_ci_low,
    efficiency_ci_high``, ``bias`` and ``bandwidth``.
    """
    idx = inputs.index if isinstance(inputs, pd.DataFrame) else None
    X = np.asarray(inputs, dtype=float)
    Y = np.asarray(outputs, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    if Y.ndim == 1:
        Y = Y[:, None]
    if (Y <= 0).any():
        raise ValueError("DEA: выходы должны быть положительными")
    n = X.shape[0]
    phi = _phi_many(X, Y, X, Y)
    out = pd.DataFrame({"phi": phi, "efficiency": 1 / phi}, index=idx)
    if bootstrap_reps and n >= 5:
        rng = np.random.default_rng(seed)
        stars = smoothed_draws(phi, bootstrap_reps, rng)
        boots = _bootstrap_frontiers(X, Y, phi, stars, n_jobs)
        bias = np.nanmean(boots, axis=0) - phi
        phi_bc = phi - bias
        alpha = 1 - ci_level
        lo_phi = phi - np.nanquantile(boots - phi, 1 - alpha / 2, axis=0)
        hi_phi = phi - np.nanquantile(boots - phi, alpha / 2, axis=0)
        out["bias"] = bias
        out["bandwidth"] = silverman_bandwidth(phi)
        out["efficiency_bc"] = 1 / np.maximum(phi_bc, 1.0)
        out["efficiency_ci_low"] = 1 / np.maximum(hi_phi, 1.0)
        out["efficiency_ci_high"] = 1 / np.maximum(lo_phi, 1.0)
    return out
