"""«Цена–качество»: spending per pupil against context-adjusted results, DEA efficiency, cost-effectiveness.

- :func:`dea_efficiency` — output-oriented DEA under variable returns to scale (one ``linprog`` per
  unit) with an optional Simar–Wilson smoothed bootstrap;
- :func:`cost_quality` — one row per school: spending per pupil, expected result and residual
  (from :func:`shnro_lib.context.expected_results`), DEA efficiency and the quadrant; without a
  context model, the result index against the region's median instead (the table's notes say so);
- :func:`programme_cost_effectiveness` — roubles per pupil per 0.1 SD of gain on the effect estimate the
  programme's design picks, by municipality and by kind of support, its interval propagated;
- :func:`costs_method_ru` — the method annex (Russian markdown).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field
from scipy.optimize import linprog

from shnro_lib.config import load_yaml
from shnro_lib.indicators import school_result_index, standardised_results, window_years
from shnro_lib.settings import StrictSettings, load_settings


class DeaSettings(StrictSettings):
    use_context_input: bool
    bootstrap_reps: int = Field(ge=0)
    n_jobs: int
    seed: int
    ci_level: float = Field(gt=0, lt=1)


class CostEffectivenessSettings(StrictSettings):
    per_sd: float = Field(gt=0)
    bootstrap_reps: int = Field(ge=10)
    seed: int
    min_schools: int = Field(ge=2)


class CostsSettings(StrictSettings):
    """``parameters/costs.yaml``."""

    window: int = Field(ge=1)
    quadrant_split: Literal["median", "mean"]
    min_schools: int = Field(ge=2)
    dea: DeaSettings
    cost_effectiveness: CostEffectivenessSettings


def load_costs_config(config: str | Path | Mapping[str, Any] | CostsSettings | None = None) -> CostsSettings:
    """``parameters/costs.yaml`` with ``config`` (overrides, or the path of a YAML with them) merged, validated."""
    if isinstance(config, CostsSettings):
        return config
    if isinstance(config, (str, Path)):
        config = load_yaml(config) or {}
    return load_settings(CostsSettings, "costs", dict(config or {}))


class NotEstimated(ValueError):
    """An analysis could not be done on these data; the message is Russian: «не оценено: причина»."""


# --------------------------------------------------------------------------- DEA

def _phi_vrs(X: np.ndarray, Y: np.ndarray, x0: np.ndarray, y0: np.ndarray) -> float:
    """Output expansion factor φ >= 1 of (x0, y0) against the VRS hull of (X, Y); NaN if infeasible."""
    n = X.shape[0]
    # variables: phi, lambda_1..n ; maximise phi
    c = np.r_[-1.0, np.zeros(n)]
    A_in = np.hstack([np.zeros((X.shape[1], 1)), X.T])                 # sum l x <= x0
    A_out = np.hstack([y0[:, None], -Y.T])                             # phi y0 - sum l y <= 0
    A_ub = np.vstack([A_in, A_out])
    b_ub = np.r_[x0, np.zeros(Y.shape[1])]
    A_eq = np.r_[0.0, np.ones(n)][None, :]
    res = linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=[1.0], bounds=[(0, None)] * (n + 1), method="highs")
    return float(res.x[0]) if res.status == 0 else np.nan


def _phi_many(X: np.ndarray, Y: np.ndarray, X0: np.ndarray, Y0: np.ndarray, block: int = 25) -> np.ndarray:
    """:func:`_phi_vrs` of every row of (X0, Y0): the units' LPs are independent, so ``block`` of them
    are solved as one block-diagonal LP (its optimum is the sum of theirs) — one solver call instead
    of ``block``; a block that fails is solved unit by unit."""
    from scipy import sparse

    n, p, q = X.shape[0], X.shape[1], Y.shape[1]
    out = np.full(X0.shape[0], np.nan)
    for start in range(0, X0.shape[0], block):
        units = range(start, min(start + block, X0.shape[0]))
        A_ub = sparse.block_diag([np.vstack([np.hstack([np.zeros((p, 1)), X.T]),
                                             np.hstack([Y0[o][:, None], -Y.T])]) for o in units], format="csr")
        A_eq = sparse.block_diag([np.r_[0.0, np.ones(n)][None, :] for _ in units], format="csr")
        b_ub = np.concatenate([np.r_[X0[o], np.zeros(q)] for o in units])
        c = np.tile(np.r_[-1.0, np.zeros(n)], len(units))
        res = linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=np.ones(len(units)), bounds=(0, None),
                      method="highs")
        if res.status == 0:
            out[list(units)] = res.x.reshape(len(units), n + 1)[:, 0]
        else:
            out[list(units)] = [_phi_vrs(X, Y, X0[o], Y0[o]) for o in units]
    return out


def _one_frontier(X: np.ndarray, Y: np.ndarray, phi: np.ndarray, star: np.ndarray) -> list[float]:
    """Every unit re-evaluated against the pseudo-frontier of one bootstrap replicate."""
    Ystar = Y * (phi / star)[:, None]
    return list(_phi_many(X, Ystar, X, Y))


def _bootstrap_frontiers(X: np.ndarray, Y: np.ndarray, phi: np.ndarray, stars: list[np.ndarray],
                         n_jobs: int) -> np.ndarray:
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
        star = dm + (draw + h * eps - dm) / np.sqrt(1 + h ** 2 / s2)
        out.append(np.where(star < 1, 2 - star, star))
    return out


def dea_efficiency(inputs: pd.DataFrame | np.ndarray, outputs: pd.DataFrame | np.ndarray,
                   bootstrap_reps: int = 0, seed: int = 0, ci_level: float = 0.95,
                   n_jobs: int = 1) -> pd.DataFrame:
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


# --------------------------------------------------------------------------- price-quality

def _expected(dataset, year: int, er: pd.DataFrame | None = None) -> pd.DataFrame:
    """Expected results from the context model (:func:`shnro_lib.context.expected_results`; ``er`` if given)."""
    from shnro_lib.context import expected_results

    try:
        er = expected_results(dataset, year) if er is None else er
    except (ValueError, KeyError, IndexError) as exc:
        # a Russian message of the context module is passed on; a raw library message is not
        msg = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        why = msg if re.search("[А-Яа-яЁё]", msg) else "модель не строится на этих данных"
        raise NotEstimated(f"не оценено: ожидаемые по социальному контексту результаты не рассчитаны ({why})"
                           ) from None
    if not len(er):
        raise NotEstimated("не оценено: ожидаемые по социальному контексту результаты не рассчитаны ни для "
                           "одной школы")
    return er[["school_id", "result_index", "expected_result", "residual", "residual_ci_low",
               "residual_ci_high", "context_index"]].assign(model=er["model_used"].iloc[0] if len(er) else "")


QUADRANTS = {
    (False, True): "дешевле и лучше ожидаемого",
    (True, True): "дороже и лучше ожидаемого",
    (False, False): "дешевле и хуже ожидаемого",
    (True, False): "дороже и хуже ожидаемого",
}
# without a context model the result is compared with the region's median (or mean) school
SPLIT_RU = {"median": "медианы региона", "mean": "среднего по региону"}
# the columns of :func:`cost_quality` (the bootstrap's efficiency columns come after ``efficiency``)
COLUMNS = ["school_id", "municipality", "spending_per_pupil", "result_index", "expected_result", "residual",
           "mean_pct", "efficiency", "quadrant", "expected_model"]


def _quadrant(spend_above: bool, result_above: bool, basis: str) -> str:
    return (("дороже" if spend_above else "дешевле") + " и " + ("лучше " if result_above else "хуже ") + basis)


def _context_free(dataset, win: list[int], reason: str, split: str) -> tuple[pd.DataFrame, list[str]]:
    """The result index alone (no expected result): what :func:`cost_quality` compares without a context model."""
    ri = school_result_index(dataset.results, years=win)
    er = pd.DataFrame({"result_index": ri["result_index"].astype(float), "expected_result": np.nan,
                       "residual": np.nan, "context_index": np.nan,
                       "model": f"не рассчитана: квадранты относительно {SPLIT_RU[split]}, без учёта контекста"},
                      index=ri.index.astype("string"))
    notes = [f"{reason[:1].upper()}{reason[1:]}: отклонение от ожидаемого не оценено; квадранты — по индексу "
             f"результатов за {win[0]}–{win[-1]} гг. выше/ниже {SPLIT_RU[split]}, без учёта контекста."]
    return er, notes


def cost_quality(dataset, year: int, config=None, bootstrap_reps: int | None = None,
                 expected: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per school: spending per pupil, expected result, residual, DEA efficiency, quadrant.

    DEA: output = the school's participant-weighted mean score in percent of the maximum over the
    window; inputs = spending per pupil and (optionally) the context index (non-controllable).
    Quadrant: spending above / below the regional median × residual above / below zero.

    When the context model cannot be fitted (no context table, no usable features), what needs no
    context is still produced: the result index over the window, DEA on spending alone, and the
    quadrant on the result index above / below the region's median (``quadrant_split``); the
    expected result and residual are missing, ``expected_model`` says why, and
    ``table.attrs["notes"]`` (Russian sentences) states what was left out.
    Raises :class:`NotEstimated` («не оценено: причина») when fewer than ``min_schools`` schools have
    spending and results (and, with a context model, expected results) in ``year``.
    """
    cfg = load_costs_config(config)
    res = dataset.get("resources")
    if res is None or "spending_per_pupil" not in res:
        raise NotEstimated("не оценено: нет таблицы ресурсов с расходами на обучающегося "
                           "(resources.spending_per_pupil)")
    spend = res[res["year"] == year].set_index("school_id")["spending_per_pupil"].astype(float)
    if not spend.notna().any():
        raise NotEstimated(f"не оценено: нет расходов на обучающегося за {year} год")
    win = window_years(dataset.years, year, cfg.window)
    try:
        er, notes = _expected(dataset, year, expected).set_index("school_id"), []
        with_context = True
    except NotEstimated as exc:
        er, notes = _context_free(dataset, win, str(exc).removeprefix("не оценено: "), cfg.quadrant_split)
        with_context = False
    z = standardised_results(dataset.results[dataset.results["year"].isin(win).fillna(False)])
    wp = (z["pct"] * z["participants"]).groupby(z["school_id"]).sum() / z["participants"].groupby(z["school_id"]).sum()
    d = er.join(spend.rename("spending_per_pupil"), how="inner").join(wp.rename("mean_pct"), how="inner")
    d = d.dropna(subset=["spending_per_pupil", "residual" if with_context else "result_index", "mean_pct"])
    d = d[(d["spending_per_pupil"] > 0) & (d["mean_pct"] > 0)]
    dcfg = cfg.dea
    inputs = d[["spending_per_pupil"]].copy()
    if dcfg.use_context_input and with_context:
        inputs["context_index"] = d["context_index"].astype(float)
        inputs = inputs[inputs["context_index"].notna()]
        d = d.loc[inputs.index]
    elif dcfg.use_context_input:
        notes.append("Эффективность DEA — только по расходам на обучающегося: контекст как неуправляемый "
                     "вход не учтён, школы сравниваются с любыми школами, тратящими не больше.")
    if len(d) < cfg.min_schools:
        what = "ожидаемый по контексту результат" if with_context else "индекс результатов"
        raise NotEstimated(f"не оценено: расходы, результаты и {what} за {year} год "
                           f"есть у {len(d)} школ (нужно не меньше {cfg.min_schools})")
    reps = dcfg.bootstrap_reps if bootstrap_reps is None else int(bootstrap_reps)
    eff = dea_efficiency(inputs, d[["mean_pct"]], bootstrap_reps=reps, seed=dcfg.seed, n_jobs=dcfg.n_jobs,
                         ci_level=dcfg.ci_level)

    def split_of(s: pd.Series) -> float:
        return float(s.median() if cfg.quadrant_split == "median" else s.mean())

    out = pd.DataFrame({"school_id": d.index.astype("string"),
                        "spending_per_pupil": d["spending_per_pupil"].to_numpy(),
                        "result_index": d["result_index"].to_numpy(),
                        "expected_result": d["expected_result"].to_numpy(),
                        "residual": d["residual"].to_numpy(),
                        "mean_pct": d["mean_pct"].to_numpy(),
                        "efficiency": eff["efficiency"].to_numpy()})
    for c in ("efficiency_bc", "efficiency_ci_low", "efficiency_ci_high"):
        if c in eff:
            out[c] = eff[c].to_numpy()
    spend_split = split_of(out["spending_per_pupil"])
    if with_context:
        out["quadrant"] = [QUADRANTS[(bool(s > spend_split), bool(r > 0))]
                           for s, r in zip(out["spending_per_pupil"], out["residual"], strict=True)]
    else:
        res_split = split_of(out["result_index"])
        out["quadrant"] = [_quadrant(bool(s > spend_split), bool(r > res_split), SPLIT_RU[cfg.quadrant_split])
                           for s, r in zip(out["spending_per_pupil"], out["result_index"], strict=True)]
    muni = dataset.schools.set_index(dataset.schools["school_id"].astype("string"))["municipality"]
    out.insert(1, "municipality", out["school_id"].map(muni).astype("string"))
    out["expected_model"] = d["model"].to_numpy()
    out = out.reset_index(drop=True)
    out.attrs["notes"] = notes
    return out


def plot_cost_quality(table: pd.DataFrame, synthetic: bool = False, ax=None):
    """Quadrant chart: spending per pupil (x) against the residual (y).

    Without expected results (no context model) the y axis is the result index against its median.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 5))
    with_context = bool(table["residual"].notna().any())
    if with_context:
        y, ylabel = table["residual"], "Результат выше (+) / ниже (−) ожидаемого, SD"
    else:
        by_mean = bool(table["quadrant"].str.contains(SPLIT_RU["mean"]).any())
        ri = table["result_index"]
        y = ri - (ri.mean() if by_mean else ri.median())
        ylabel = f"Индекс результатов относительно {SPLIT_RU['mean' if by_mean else 'median']}, SD (без учёта контекста)"
    colors = ["tab:green", "tab:blue", "tab:orange", "tab:red"]
    # colours by position: cheaper/dearer × better/worse, whatever the basis of «better»
    for (cheap, better), color in zip([(True, True), (False, True), (True, False), (False, False)], colors, strict=True):
        m = (table["quadrant"].str.startswith("дешевле") == cheap) & (table["quadrant"].str.contains(" лучше ") == better)
        if m.any():
            ax.scatter(table.loc[m, "spending_per_pupil"] / 1000, y[m], s=12, color=color,
                       label=str(table.loc[m, "quadrant"].iloc[0]))
    ax.axhline(0, color="black", lw=0.8)
    ax.axvline(table["spending_per_pupil"].median() / 1000, color="black", lw=0.8, ls="--")
    ax.set_xscale("log")
    ax.set_xlabel("Расходы на обучающегося, тыс. руб. (лог. шкала)")
    ax.set_ylabel(ylabel)
    t = "«Цена–качество»"
    ax.set_title(("СИНТЕТИЧЕСКИЕ ДАННЫЕ. " + t) if synthetic else t, fontsize=10)
    ax.legend(fontsize=8)
    return ax


# --------------------------------------------------------------------------- cost-effectiveness


def _picked_effect(dataset, panel: pd.DataFrame, ids: pd.Index, picked: str, ecfg, cov) -> tuple[float, float, int]:
    """(ATT in SD, its SE, treated schools) of the picked estimator with only ``ids`` as programme schools."""
    from shnro_lib.effects import event_study, matching_estimate, selection_adjusted

    sub = panel[(panel["cohort"] == 0) | panel["school_id"].isin(ids)]
    if picked == "event_study":
        r = event_study(sub, ecfg)
    elif picked == "selection_adjusted":
        r = selection_adjusted(sub, ecfg, covariates=cov.loc[cov.index.isin(sub["school_id"].unique())])
    else:
        r = matching_estimate(dataset, sub, ecfg)
    est = r["estimate"].get("sd")
    if est is None or not np.isfinite(est[0]):
        return np.nan, np.nan, 0
    return float(est[0]), float((est[2] - est[1]) / (2 * ecfg.z)), int(r.get("n_treated", 0))


def programme_cost_effectiveness(dataset, config=None, effects_config=None) -> pd.DataFrame:
    """Roubles per pupil per 0.1 SD of gain on the preferred effect estimate, overall and by group.

    Effect: the estimator the programme's design picks (:func:`shnro_lib.effects.choose_estimator`),
    re-estimated for each group (municipality, kind of support) with only that group's programme
    schools as treated; cost per pupil = the school's programme spending (``programme.cost_rub``,
    mean per year of support) / enrolment, averaged over the group.  Interval: percentile interval of
    ``cost* / (effect* / 0.1)`` over draws that resample the group's schools for the cost and draw
    the effect from the normal distribution of its estimate (the effect's interval propagated).
    When the effect's interval includes zero the ratio is not defined (a cost per unit of an effect
    that may be nil means nothing); when the effect is not identifiable in this design (simulation
    check), nothing is estimated.
    """
    from shnro_lib.effects import (
        choose_estimator,
        closest_design,
        load_effects_config,
        picked_check,
        programme_design,
        result_panel,
        selection_covariates,
    )

    cfg = load_costs_config(config)
    ecfg = load_effects_config(effects_config)
    ccfg = cfg.cost_effectiveness
    pg, ctx = dataset.get("programme"), dataset.get("context")
    if pg is None or ctx is None or "cost_rub" not in pg or "enrolment" not in ctx:
        raise NotEstimated("не оценено: нужны расходы программы (programme.cost_rub) и численность "
                           "обучающихся (context.enrolment)")
    design = programme_design(dataset, ecfg)
    if not design.cohorts:
        raise NotEstimated("не оценено: в таблице программы нет школ-участниц")
    picked, _ = choose_estimator(design)
    check = picked_check(closest_design(design), picked, ecfg)
    panel = result_panel(dataset, ecfg, design)
    cov = selection_covariates(dataset, panel, ecfg, design) if picked == "selection_adjusted" else None
    cost = pg.groupby(pg["school_id"].astype("string"))["cost_rub"].mean()
    enrol = ctx.sort_values("year").groupby(ctx["school_id"].astype("string"))["enrolment"].last().astype(float)
    treated = panel.loc[panel["cohort"] > 0, "school_id"].unique()
    d = pd.DataFrame({"cost": cost, "enrolment": enrol}).reindex(pd.Index(sorted(treated), dtype="string")).dropna()
    d = d[d["enrolment"] > 0]
    d["cost_per_pupil"] = d["cost"] / d["enrolment"]
    muni = dataset.schools.set_index(dataset.schools["school_id"].astype("string"))["municipality"]
    d["municipality"] = d.index.map(muni)
    proc = dataset.get("process")
    groups = [("Регион", "все школы программы", d)]
    groups += [("Муниципалитет", m, s) for m, s in sorted(d.groupby("municipality"), key=lambda t: str(t[0]))]
    if proc is not None and "has_partner" in proc:
        part = proc.groupby(proc["school_id"].astype("string"))["has_partner"].agg(
            lambda s: bool(s.fillna(False).any()))
        d["support"] = d.index.map(part).map({True: "со школой-партнёром", False: "без школы-партнёра"})
        groups += [("Вид поддержки", k, s) for k, s in sorted(d.groupby("support"), key=lambda t: str(t[0]))]
    rng = np.random.default_rng(ccfg.seed)
    alpha = 1 - ecfg.ci_level
    rows = []
    for level, name, s in groups:
        row = {"level": level, "group": name, "n_schools": len(s), "cost_per_pupil": float(s["cost_per_pupil"].mean()),
               "gain_sd": np.nan, "gain_ci_low": np.nan, "gain_ci_high": np.nan, "rub_per_pupil_per_01sd": np.nan,
               "ci_low": np.nan, "ci_high": np.nan, "estimator": picked}
        if not check["identifiable"]:
            rows.append({**row, "note": "не оценено: эффект при этом плане программы не идентифицируется"})
            continue
        if len(s) < ccfg.min_schools:
            rows.append({**row, "note": f"не оценено: меньше {ccfg.min_schools} школ программы"})
            continue
        est, se, _n = _picked_effect(dataset, panel, s.index, picked, ecfg, cov)
        if not np.isfinite(est) or not np.isfinite(se):
            rows.append({**row, "note": "не оценено: эффект для группы не рассчитывается"})
            continue
        row.update(gain_sd=est, gain_ci_low=est - ecfg.z * se, gain_ci_high=est + ecfg.z * se)
        if row["gain_ci_low"] <= 0:
            rows.append({**row, "note": "прирост не отличим от нуля: стоимость единицы эффекта не определена"})
            continue
        cpp = s["cost_per_pupil"].to_numpy(float)
        bc = cpp[rng.integers(0, len(cpp), (ccfg.bootstrap_reps, len(cpp)))].mean(axis=1)
        be = rng.normal(est, se, ccfg.bootstrap_reps)
        ratio = np.where(be > 0, bc / (np.maximum(be, 1e-12) / ccfg.per_sd), np.inf)
        row.update(rub_per_pupil_per_01sd=row["cost_per_pupil"] / (est / ccfg.per_sd),
                   ci_low=float(np.quantile(ratio, alpha / 2)), ci_high=float(np.quantile(ratio, 1 - alpha / 2)),
                   note="")
        rows.append(row)
    return pd.DataFrame(rows)


def costs_method_ru(config=None) -> str:
    """Markdown for the method annex (Russian)."""
    cfg = load_costs_config(config)
    d, ce = cfg.dea, cfg.cost_effectiveness
    ctx = ("не более благоприятном контексте (контекст — неуправляемый вход; без модели контекста — в любом "
           "контексте)" if d.use_context_input else "любом контексте")
    return f"""### «Цена–качество»

**Сопоставление.** Для каждой школы — расходы на обучающегося (все источники) и разность фактического и
ожидаемого по социальному контексту результата (модель ожидаемых результатов из раздела о контексте).
Квадранты: расходы выше/ниже {'медианы' if cfg.quadrant_split == 'median' else 'среднего'} региона × результат
выше/ниже ожидаемого. Расходы зависят от размера школы (малокомплектные школы дороже по нормативу), поэтому
«дорого» не значит «расточительно». Если модель ожидаемых результатов не строится (например, в наборе
данных нет таблицы социального контекста), отклонение от ожидаемого не оценивается: квадранты строятся по
индексу результатов выше/ниже {SPLIT_RU[cfg.quadrant_split]}, без учёта контекста, и это сказано. Если
расходы и результаты есть меньше чем у {cfg.min_schools} школ, раздел не оценивается, и это сказано.

**Эффективность (DEA).** Анализ оболочки данных (DEA), ориентированный на выход, с переменной отдачей от
масштаба (модель BCC): для школы находится, во сколько раз φ ≥ 1 мог бы вырасти её результат (средний
балл в % от максимума за {cfg.window} года), если бы она работала как лучшие комбинации школ, тратящих не
больше и работающих в {ctx}; эффективность = 1/φ ∈ (0, 1]. Одна задача линейного программирования на
школу (scipy `linprog`, HiGHS). Оценка DEA смещена к эффективности (граница строится по тем же данным
и лежит внутри истинной), поэтому рядом с исходной приводится исправленная на смещение эффективность.
Интервалы — однородный сглаженный бутстреп Симара–Вильсона (1998; {d.bootstrap_reps} повторений): оценки φ
отражаются относительно 1, выборка сглаживается гауссовым ядром с полосой по правилу Сильвермана
h = 0,9·min(SD, IQR/1,34)·(2n)^(−1/5) по отражённой выборке, с поправкой дисперсии; интервал
Симара–Вильсона (2000) — для истинной эффективности, поэтому обычно лежит ниже исходной оценки.
Допущения: выпуклость множества возможностей, одинаковое распределение неэффективности у всех школ,
отсутствие ошибок измерения в результатах (на деле результат малой школы сильно шумит, что DEA
принимает за неэффективность; интервал этого не учитывает).

**Стоимость эффекта программы.** Рубли на одного обучающегося за {ce.per_sd} SD прироста индекса результатов:
средние расходы программы на школу в год / численность обучающихся, делённые на эффект программы по
предпочтительной для этого плана оценке (та же, что в таблице оценок эффекта; для муниципалитета и
вида поддержки — та же оценка только по их школам программы). Интервал переносит неопределённость
эффекта (его нормальное распределение по оценке и её ошибке) и расходов (бутстреп по школам),
{ce.bootstrap_reps} повторений; если интервал эффекта включает ноль или эффект при этом плане не
идентифицируется, стоимость единицы эффекта не определяется.
"""
