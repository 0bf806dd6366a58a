"""Regression discontinuity at the selection cut-off (the local check of a sharp rule)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from shnro_lib.effects.cohorts import selection_index
from shnro_lib.effects.panel import OUTCOMES, _pre_mean
from shnro_lib.effects.settings import load_effects_config


def rdd_data(dataset, panel: pd.DataFrame, config=None, design=None) -> pd.DataFrame:
    """Stacked RDD data: per cohort, running variable = selection index − cut-off, first-year change.

    The cut-off is the ``bottom_share`` quantile of the selection index over all schools (as the
    rule says); for later cohorts only schools not yet supported are eligible.  Treated = the
    school's actual cohort; ``rule_treated`` = running <= 0 among eligible schools.
    """
    from shnro_lib.effects.design import programme_design

    cfg = load_effects_config(config)
    design = design if design is not None else programme_design(dataset, cfg)
    weighting = cfg.selection.cell_weighting
    coh = panel.groupby("school_id")["cohort"].first()
    parts = []
    for g in sorted(set(coh) - {0}):
        cd = design.get(int(g))
        if cd is None or cd.cutoff is None:
            continue
        sel = list(cd.selection_years)
        res = dataset.results
        res = res[res["procedure"].isin(cd.procedures).fillna(False)] if cd.procedures else res
        S = selection_index(res, sel, weighting)
        cut = float(cd.cutoff)
        elig = S.index[
            ~((coh.reindex(S.index).fillna(0) > 0) & (coh.reindex(S.index).fillna(0) < g)).to_numpy()
        ]
        d = pd.DataFrame({"school_id": elig, "cohort": g, "running": (S[elig] - cut).to_numpy(float)})
        d["treated"] = coh.reindex(elig).fillna(0).to_numpy() == g
        d["rule_treated"] = d["running"] <= 0
        for unit, col in OUTCOMES.items():
            pre = _pre_mean(panel, sel, col)
            first = panel[panel["year"] == g].set_index("school_id")[col]
            d[f"dy_{unit}"] = (first.reindex(elig) - pre.reindex(elig)).to_numpy(float)
        d["cutoff"] = cut
        parts.append(d)
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    out["school_id"] = out["school_id"].astype("string")
    return out


def _local_linear(
    x: np.ndarray, y: np.ndarray, h: float, cohort: np.ndarray | None = None
) -> tuple[float, float, int, int]:
    """Sharp RD at 0, treated side x >= 0, triangular kernel, HC1 SE. (tau, se, n_left, n_right)."""
    # the model module alone: ``statsmodels.api`` imports every submodule
    from statsmodels.regression.linear_model import WLS

    m = np.abs(x) < h
    x, y = x[m], y[m]
    w = 1 - np.abs(x) / h
    D = (x >= 0).astype(float)
    cols = [np.ones_like(x), D, x, D * x]
    if cohort is not None:
        cm = cohort[m]
        for c in np.unique(cm)[1:]:
            cols.append((cm == c).astype(float))
    X = np.column_stack(cols)
    fit = WLS(y, X, weights=w).fit(cov_type="HC1")
    return float(fit.params[1]), float(fit.bse[1]), int((D == 0).sum()), int((D == 1).sum())


def _cv_bandwidth(x: np.ndarray, y: np.ndarray, grid: list[float], min_obs: int) -> float:
    """Ludwig–Miller / Imbens–Lemieux leave-one-out CV of boundary predictions on each side."""
    best, best_h = np.inf, grid[-1]
    for h in grid:
        err, n = 0.0, 0
        for side in (x < 0, x >= 0):
            xs, ys = x[side], y[side]
            order = np.argsort(xs)
            xs, ys = xs[order], ys[order]
            for i in range(len(xs)):
                # predict y_i from observations within h on the side away from the cut-off
                if xs[i] < 0:
                    m = (xs < xs[i]) & (xs >= xs[i] - h)
                else:
                    m = (xs > xs[i]) & (xs <= xs[i] + h)
                if m.sum() < 3:
                    continue
                ww = 1 - np.abs(xs[m] - xs[i]) / h
                A = np.column_stack([np.ones(m.sum()), xs[m] - xs[i]])
                sw = np.sqrt(ww)
                coef = np.linalg.lstsq(A * sw[:, None], ys[m] * sw, rcond=None)[0]
                err += (ys[i] - coef[0]) ** 2
                n += 1
        if min(((x < 0) & (x > -h)).sum(), ((x >= 0) & (x < h)).sum()) < min_obs or n == 0:
            continue
        if err / n < best:
            best, best_h = err / n, h
    return float(best_h)


def _rdrobust_fit(x: np.ndarray, y: np.ndarray, coh: np.ndarray, info: dict):
    """``rdrobust``'s estimate ``((tau, lo, hi), bandwidth, n_left, n_right)``; ``None`` when it fails.

    ``info`` receives the method or the error.
    """
    try:
        from rdrobust import rdrobust

        covs = None
        if len(np.unique(coh)) > 1:
            covs = pd.get_dummies(pd.Series(coh), drop_first=True, dtype=float).to_numpy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = rdrobust(y, x, c=0.0, kernel="triangular", covs=covs)
        tau = float(r.coef.iloc[0, 0])
        lo, hi = float(r.ci.iloc[2, 0]), float(r.ci.iloc[2, 1])
        fit = (tau, lo, hi), float(r.bws.iloc[0, 0]), int(r.N_h[0]), int(r.N_h[1])
        info["method"] = "rdrobust (MSE-оптимальная полоса, робастный интервал с поправкой на смещение)"
        return fit
    except Exception as exc:  # noqa: BLE001
        info["rdrobust_error"] = f"{type(exc).__name__}: {str(exc)[:120]}"
        return None


def _local_fit(x: np.ndarray, y: np.ndarray, coh: np.ndarray, rcfg, z: float, info: dict):
    """The local linear estimate ``((tau, lo, hi), bandwidth, n_left, n_right)``."""
    h = rcfg.bandwidth
    if h == "cv":
        h = _cv_bandwidth(x, y, list(rcfg.bandwidth_grid), rcfg.min_obs_side)
    tau, se, nl, nr = _local_linear(x, y, float(h), coh)
    info["method"] = "локальная линейная регрессия, треугольное ядро, полоса по кросс-валидации"
    return (tau, tau - z * se, tau + z * se), float(h), nl, nr


def _placebo_rows(x: np.ndarray, y: np.ndarray, coh: np.ndarray, h: float, unit: str, rcfg, z: float):
    """Estimates at the placebo cut-offs, each within one side of the true cut-off."""
    rows = []
    for shift in rcfg.placebo_cutoffs:
        c = -float(shift)  # running shift in index units; x = -running
        side = x >= 0 if c > 0 else x < 0
        xp, yp = x[side] - c, y[side]
        try:
            tp, sp, _, _ = _local_linear(xp, yp, h, coh[side])
            rows.append(
                {
                    "unit": unit,
                    "cutoff_shift": float(shift),
                    "estimate": tp,
                    "ci_low": tp - z * sp,
                    "ci_high": tp + z * sp,
                }
            )
        except Exception:  # noqa: BLE001
            pass
    return rows


def _density(x_all: np.ndarray, wdw: float) -> dict:
    """Schools just below and above the cut-off and the binomial test of equal counts."""
    n_left = int(((x_all < 0) & (x_all > -wdw)).sum())
    n_right = int(((x_all >= 0) & (x_all < wdw)).sum())
    pval = float(stats.binomtest(n_right, n_left + n_right, 0.5).pvalue) if n_left + n_right else np.nan
    return {"density_left": n_left, "density_right": n_right, "density_p": pval}


def rdd_estimate(
    dataset, panel: pd.DataFrame, config=None, data: pd.DataFrame | None = None, design=None
) -> dict:
    """Regression discontinuity at the selection cut-off (first-year effect, cohorts stacked).

    Running variable ``x = cut-off − selection index`` (so supported schools have ``x >= 0``);
    outcome = change of the first support year's index from the selection years.  ``rdrobust``
    (MSE-optimal bandwidth, robust bias-corrected interval) when installed and enabled, else a local
    linear fit with triangular kernel, cross-validated bandwidth and HC1 errors.  Also returns the
    placebo cut-offs, the density check and the compliance with the rule.
    """
    cfg = load_effects_config(config)
    rcfg = cfg.rdd
    z = cfg.z
    d = data if data is not None else rdd_data(dataset, panel, cfg, design)
    info: dict[str, Any] = {
        "compliance": float((d["treated"] == d["rule_treated"]).mean()) if len(d) else np.nan
    }
    out = {}
    if not len(d) or info["compliance"] < cfg.selection.min_compliance:
        info["reason"] = "статус участия расходится с правилом отбора: разрыв нечёткий, RDD не оценивается"
        return {"estimate": {}, "info": info, "n_treated": 0, "n_control": 0, "data": d}
    x_all = -d["running"].to_numpy(float)
    # sharp design: the rule decides
    coh_all = d["cohort"].to_numpy()
    placebo, bw = [], {}
    nl = nr = 0
    for unit in OUTCOMES:
        y_all = d[f"dy_{unit}"].to_numpy(float)
        ok = np.isfinite(y_all) & np.isfinite(x_all)
        x, y, coh = x_all[ok], y_all[ok], coh_all[ok]
        fit = _rdrobust_fit(x, y, coh, info) if rcfg.use_rdrobust else None
        if fit is None:
            fit = _local_fit(x, y, coh, rcfg, z, info)
        out[unit], bw[unit], nl, nr = fit
        placebo += _placebo_rows(x, y, coh, bw[unit], unit, rcfg, z)
    info.update({"bandwidth": bw, **_density(x_all, rcfg.density_window), "placebo": pd.DataFrame(placebo)})
    return {"estimate": out, "info": info, "n_treated": nr, "n_control": nl, "data": d}
