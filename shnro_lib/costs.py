"""«Цена–качество»: spending per pupil against context-adjusted results, DEA efficiency, cost-effectiveness.

- :func:`dea_efficiency` — output-oriented DEA under variable returns to scale (one ``linprog`` per
  unit) with an optional Simar–Wilson smoothed bootstrap;
- :func:`cost_quality` — one row per school: spending per pupil, expected result and residual
  (from :func:`shnro_lib.context.expected_results`), DEA efficiency and the quadrant;
- :func:`programme_cost_effectiveness` — roubles per pupil per 0.1 SD of gain, by municipality and by
  kind of support, with bootstrap intervals;
- :func:`costs_method_ru` — the method annex (Russian markdown).
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from shnro_lib.config import load_yaml, parameters_dir
from shnro_lib.indicators import standardised_results, window_years


def load_costs_config(config: str | Path | Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Defaults from ``parameters/costs.yaml``; a dict is merged (one level deep) over them."""
    base = load_yaml(parameters_dir() / "costs.yaml")
    if config is None:
        return base
    if isinstance(config, (str, Path)):
        return load_yaml(config)
    out = copy.deepcopy(base)
    for k, v in dict(config).items():
        out[k] = {**out[k], **v} if isinstance(v, Mapping) and isinstance(out.get(k), dict) else v
    return out


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


def _one_frontier(X: np.ndarray, Y: np.ndarray, phi: np.ndarray, star: np.ndarray) -> list[float]:
    """Every unit re-evaluated against the pseudo-frontier of one bootstrap replicate."""
    Ystar = Y * (phi / star)[:, None]
    return [_phi_vrs(X, Ystar, X[o], Y[o]) for o in range(X.shape[0])]


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


def dea_efficiency(inputs: pd.DataFrame | np.ndarray, outputs: pd.DataFrame | np.ndarray,
                   bootstrap_reps: int = 0, seed: int = 0, ci_level: float = 0.95,
                   n_jobs: int = 1) -> pd.DataFrame:
    """Output-oriented DEA efficiency under variable returns to scale (Banker–Charnes–Cooper).

    For unit ``o``: ``φ_o = max φ`` s.t. ``Σ λ_j x_j <= x_o``, ``Σ λ_j y_j >= φ y_o``, ``Σ λ_j = 1``,
    ``λ >= 0`` (one ``scipy.optimize.linprog`` per unit).  Efficiency ``= 1 / φ`` in (0, 1].
    Outputs must be positive; inputs may have any sign (the VRS output model is translation invariant
    in inputs), so a non-controllable input such as a context index can be passed as is — with
    ``more = more favourable``.

    With ``bootstrap_reps > 0`` the Simar–Wilson (1998) smoothed bootstrap: the estimated φ are
    reflected about 1, resampled with a Gaussian kernel (Silverman bandwidth, variance-corrected),
    pseudo-outputs ``y* = y φ̂ / φ*`` define a pseudo-frontier, and every unit is re-evaluated against
    it (replicates run on ``n_jobs`` processes; the results do not depend on it).  Returns
    ``efficiency, phi`` and, with the bootstrap, ``efficiency_bc`` (bias-corrected),
    ``efficiency_ci_low, efficiency_ci_high`` (percentile interval of the bias-corrected
    distribution) and ``bias``.
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
    phi = np.array([_phi_vrs(X, Y, X[o], Y[o]) for o in range(n)])
    out = pd.DataFrame({"phi": phi, "efficiency": 1 / phi}, index=idx)
    if bootstrap_reps and n >= 5:
        rng = np.random.default_rng(seed)
        refl = np.r_[phi, 2 - phi]
        sd = np.std(refl, ddof=1)
        iqr = np.subtract(*np.percentile(refl, [75, 25]))
        h = 0.9 * min(sd, iqr / 1.34 if iqr > 0 else sd) * (2 * n) ** (-1 / 5)
        s2 = np.var(phi)
        stars = []
        for _b in range(bootstrap_reps):
            draw = rng.choice(refl, size=n, replace=True)
            eps = rng.normal(0, 1, n)
            dm = draw.mean()
            star = dm + (draw + h * eps - dm) / np.sqrt(1 + h ** 2 / max(s2, 1e-12))
            stars.append(np.where(star < 1, 2 - star, star))      # reflect back to [1, inf)
        boots = _bootstrap_frontiers(X, Y, phi, stars, n_jobs)
        bias = np.nanmean(boots, axis=0) - phi
        phi_bc = phi - bias
        alpha = 1 - ci_level
        # percentile interval of the bias-corrected phi (Simar–Wilson 2000, basic form)
        lo_phi = phi - np.nanquantile(boots - phi, 1 - alpha / 2, axis=0)
        hi_phi = phi - np.nanquantile(boots - phi, alpha / 2, axis=0)
        out["bias"] = bias
        out["efficiency_bc"] = 1 / np.maximum(phi_bc, 1.0)
        out["efficiency_ci_low"] = 1 / np.maximum(hi_phi, 1.0)
        out["efficiency_ci_high"] = 1 / np.maximum(lo_phi, 1.0)
    return out


# --------------------------------------------------------------------------- price-quality

def _expected(dataset, year: int) -> pd.DataFrame:
    """Expected results: shnro_lib.context when it runs, else a minimal OLS on a few context columns."""
    try:
        from shnro_lib.context import expected_results

        er = expected_results(dataset, year)
        return er[["school_id", "result_index", "expected_result", "residual", "residual_ci_low",
                   "residual_ci_high", "context_index"]].assign(model=er["model_used"].iloc[0])
    except Exception as exc:  # noqa: BLE001
        warnings.warn(f"context.expected_results недоступна ({exc}); используется упрощённая МНК-модель",
                      stacklevel=2)
    # TODO: fallback only; the context module is the reference model of expected results
    import statsmodels.api as sm

    from shnro_lib.indicators import school_result_index

    ri = school_result_index(dataset.results, years=window_years(dataset.years, year, 3))
    ctx = dataset.get("context")
    if ctx is None:
        raise ValueError("Нет таблицы контекста: ожидаемые результаты не рассчитываются")
    c = ctx[ctx["year"] == year].set_index("school_id")
    cols = [k for k in ("share_low_ses", "share_low_parent_education", "share_deviant") if k in c]
    d = c[cols].join(ri["result_index"], how="inner").dropna()
    X = sm.add_constant(d[cols].to_numpy(float))
    fit = sm.OLS(d["result_index"].to_numpy(float), X).fit()
    pred = fit.predict(X)
    lp = (pred - pred.mean()) / (pred.std() or 1)
    return pd.DataFrame({"school_id": d.index.astype("string"), "result_index": d["result_index"].to_numpy(),
                         "expected_result": pred, "residual": d["result_index"].to_numpy() - pred,
                         "residual_ci_low": np.nan, "residual_ci_high": np.nan, "context_index": lp,
                         "model": "ols_fallback"})


QUADRANTS = {
    (False, True): "дешевле и лучше ожидаемого",
    (True, True): "дороже и лучше ожидаемого",
    (False, False): "дешевле и хуже ожидаемого",
    (True, False): "дороже и хуже ожидаемого",
}


def cost_quality(dataset, year: int, config: str | Path | Mapping | None = None,
                 bootstrap_reps: int | None = None) -> pd.DataFrame:
    """One row per school: spending per pupil, expected result, residual, DEA efficiency, quadrant.

    DEA: output = the school's participant-weighted mean score in percent of the maximum over the
    window; inputs = spending per pupil and (optionally) the context index (non-controllable).
    Quadrant: spending above / below the regional median × residual above / below zero.
    """
    cfg = load_costs_config(config)
    res = dataset.get("resources")
    if res is None or "spending_per_pupil" not in res:
        raise ValueError("Нет таблицы ресурсов с расходами на обучающегося (resources.spending_per_pupil)")
    spend = res[res["year"] == year].set_index("school_id")["spending_per_pupil"].astype(float)
    er = _expected(dataset, year).set_index("school_id")
    win = window_years(dataset.years, year, int(cfg.get("window", 3)))
    z = standardised_results(dataset.results[dataset.results["year"].isin(win).fillna(False)])
    wp = (z["pct"] * z["participants"]).groupby(z["school_id"]).sum() / z["participants"].groupby(z["school_id"]).sum()
    d = er.join(spend.rename("spending_per_pupil"), how="inner").join(wp.rename("mean_pct"), how="inner")
    d = d.dropna(subset=["spending_per_pupil", "residual", "mean_pct"])
    d = d[(d["spending_per_pupil"] > 0) & (d["mean_pct"] > 0)]
    dcfg = cfg.get("dea") or {}
    inputs = d[["spending_per_pupil"]].copy()
    if dcfg.get("use_context_input", True):
        inputs["context_index"] = d["context_index"].astype(float)
    reps = int(dcfg.get("bootstrap_reps", 0) if bootstrap_reps is None else bootstrap_reps)
    eff = dea_efficiency(inputs, d[["mean_pct"]], bootstrap_reps=reps, seed=int(dcfg.get("seed", 0)),
                         n_jobs=int(dcfg.get("n_jobs", -1)),
                         ci_level=float(dcfg.get("ci_level", 0.95)))
    split = d["spending_per_pupil"].median() if cfg.get("quadrant_split", "median") == "median" \
        else d["spending_per_pupil"].mean()
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
    out["quadrant"] = [QUADRANTS[(bool(s > split), bool(r > 0))]
                       for s, r in zip(out["spending_per_pupil"], out["residual"], strict=True)]
    muni = dataset.schools.set_index(dataset.schools["school_id"].astype("string"))["municipality"]
    out.insert(1, "municipality", out["school_id"].map(muni).astype("string"))
    out["expected_model"] = d["model"].to_numpy()
    return out.reset_index(drop=True)


def plot_cost_quality(table: pd.DataFrame, synthetic: bool = False, ax=None):
    """Quadrant chart: spending per pupil (x) against the residual (y)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 5))
    colors = {"дешевле и лучше ожидаемого": "tab:green", "дороже и лучше ожидаемого": "tab:blue",
              "дешевле и хуже ожидаемого": "tab:orange", "дороже и хуже ожидаемого": "tab:red"}
    for q, g in table.groupby("quadrant"):
        ax.scatter(g["spending_per_pupil"] / 1000, g["residual"], s=12, label=q, color=colors.get(q, "grey"))
    ax.axhline(0, color="black", lw=0.8)
    ax.axvline(table["spending_per_pupil"].median() / 1000, color="black", lw=0.8, ls="--")
    ax.set_xscale("log")
    ax.set_xlabel("Расходы на обучающегося, тыс. руб. (лог. шкала)")
    ax.set_ylabel("Результат выше (+) / ниже (−) ожидаемого, SD")
    t = "«Цена–качество»"
    ax.set_title(("СИНТЕТИЧЕСКИЕ ДАННЫЕ. " + t) if synthetic else t, fontsize=10)
    ax.legend(fontsize=8)
    return ax


# --------------------------------------------------------------------------- cost-effectiveness

def school_gains(dataset, config: Mapping | None = None) -> pd.DataFrame:
    """Per programme school: gain in SD of the result index over the support years beyond the
    comparison schools with the same pre-programme results (the ``did`` design of
    :mod:`shnro_lib.effects` fitted on comparison schools only and applied to each programme school).
    """
    from shnro_lib.effects import _stack, load_effects_config, result_panel

    ecfg = load_effects_config(config)
    panel = result_panel(dataset, ecfg)
    st, cov_cols = _stack(panel, ecfg, "y_sd")
    rows = []
    for _cell, g in st.groupby("cell"):
        c, t = g[g["D"] == 0], g[g["D"] == 1]
        if len(c) < len(cov_cols) + 3 or not len(t):
            continue
        A = np.column_stack([np.ones(len(c)), c[cov_cols].to_numpy(float)])
        beta = np.linalg.lstsq(A, c["dy"].to_numpy(float), rcond=None)[0]
        At = np.column_stack([np.ones(len(t)), t[cov_cols].to_numpy(float)])
        rows.append(pd.DataFrame({"school_id": t["school_id"].to_numpy(), "gain": t["dy"].to_numpy() - At @ beta}))
    gains = pd.concat(rows).groupby("school_id")["gain"].mean()
    return gains.rename_axis("school_id").reset_index()


def programme_cost_effectiveness(dataset, config: str | Path | Mapping | None = None) -> pd.DataFrame:
    """Roubles per pupil per 0.1 SD of gain, overall, by municipality and by kind of support.

    Cost per pupil = the school's programme spending (``programme.cost_rub``, mean per year of support)
    / enrolment; gain = :func:`school_gains`.  Ratio of group means; percentile interval from a school
    bootstrap.  When the gain's interval includes zero the ratio is not defined (reported as NaN with a
    note) — a cost per unit of an effect that may be nil or negative means nothing.
    """
    cfg = load_costs_config(config)
    ccfg = cfg.get("cost_effectiveness") or {}
    per = float(ccfg.get("per_sd", 0.1))
    pg = dataset.get("programme")
    ctx = dataset.get("context")
    if pg is None or ctx is None or "cost_rub" not in pg:
        raise ValueError("Нужны таблицы programme (cost_rub) и context (enrolment)")
    cost = pg.groupby("school_id")["cost_rub"].mean()
    enrol = ctx.sort_values("year").groupby("school_id")["enrolment"].last().astype(float)
    g = school_gains(dataset).set_index("school_id")
    d = g.join(cost.rename("cost"), how="inner").join(enrol.rename("enrolment"), how="inner").dropna()
    d["cost_per_pupil"] = d["cost"] / d["enrolment"]
    muni = dataset.schools.set_index(dataset.schools["school_id"].astype("string"))["municipality"]
    d["municipality"] = d.index.map(muni)
    proc = dataset.get("process")
    if proc is not None and "has_partner" in proc:
        part = proc.groupby("school_id")["has_partner"].agg(lambda s: bool(s.fillna(False).any()))
        d["support"] = d.index.map(part).map({True: "со школой-партнёром", False: "без школы-партнёра"})
    rng = np.random.default_rng(int(ccfg.get("seed", 0)))
    reps = int(ccfg.get("bootstrap_reps", 500))
    alpha = 1 - float(cfg.get("dea", {}).get("ci_level", 0.95))
    rows = []
    groups = [("Регион", "все школы программы", d)]
    groups += [("Муниципалитет", m, s) for m, s in d.groupby("municipality")]
    if "support" in d:
        groups += [("Вид поддержки", k, s) for k, s in d.groupby("support")]
    for level, name, s in groups:
        n = len(s)
        row = {"level": level, "group": name, "n_schools": n, "cost_per_pupil": s["cost_per_pupil"].mean(),
               "gain_sd": s["gain"].mean()}
        if n < int(ccfg.get("min_schools", 5)):
            row.update(gain_ci_low=np.nan, gain_ci_high=np.nan, rub_per_pupil_per_01sd=np.nan, ci_low=np.nan,
                       ci_high=np.nan, note="мало школ")
            rows.append(row)
            continue
        cpp, gain = s["cost_per_pupil"].to_numpy(), s["gain"].to_numpy()
        bi = rng.integers(0, n, (reps, n))
        bg = gain[bi].mean(axis=1)
        bc = cpp[bi].mean(axis=1)
        glo, ghi = np.quantile(bg, [alpha / 2, 1 - alpha / 2])
        row.update(gain_ci_low=glo, gain_ci_high=ghi)
        if glo > 0:
            ratio = bc / (bg / per)
            row.update(rub_per_pupil_per_01sd=row["cost_per_pupil"] / (row["gain_sd"] / per),
                       ci_low=float(np.quantile(ratio, alpha / 2)), ci_high=float(np.quantile(ratio, 1 - alpha / 2)),
                       note="")
        else:
            row.update(rub_per_pupil_per_01sd=np.nan, ci_low=np.nan, ci_high=np.nan,
                       note="прирост не отличим от нуля: стоимость единицы эффекта не определена")
        rows.append(row)
    return pd.DataFrame(rows)


def costs_method_ru(config: str | Path | Mapping | None = None) -> str:
    """Markdown for the method annex (Russian)."""
    cfg = load_costs_config(config)
    d = cfg.get("dea") or {}
    ce = cfg.get("cost_effectiveness") or {}
    return f"""### «Цена–качество»

**Сопоставление.** Для каждой школы — расходы на обучающегося (все источники) и разность фактического и
ожидаемого по социальному контексту результата (модель ожидаемых результатов из раздела о контексте).
Квадранты: расходы выше/ниже медианы региона × результат выше/ниже ожидаемого. Расходы зависят от
размера школы (малокомплектные школы дороже по нормативу), поэтому «дорого» не значит «расточительно».

**Эффективность (DEA).** Анализ оболочки данных (DEA), ориентированный на выход, с переменной отдачей от
масштаба (модель BCC): для школы находится, во сколько раз φ ≥ 1 мог бы вырасти её результат (средний
балл в % от максимума за {cfg.get('window', 3)} года), если бы она работала как лучшие комбинации школ,
тратящих не больше и работающих в {'не более благоприятном контексте (контекст — неуправляемый вход)' if d.get('use_context_input', True) else 'любом контексте'};
эффективность = 1/φ ∈ (0, 1]. Одна задача линейного программирования на школу (scipy `linprog`, HiGHS).
Интервалы — сглаженный бутстреп Симара–Вильсона ({d.get('bootstrap_reps', 0)} повторений): оценки DEA
смещены вверх (граница строится по тем же данным), поэтому приводится и исправленная на смещение
эффективность. Допущения: выпуклость множества возможностей, отсутствие ошибок измерения в
результатах (на деле результат малой школы сильно шумит, что DEA принимает за неэффективность).

**Стоимость эффекта программы.** Рубли на одного обучающегося за {ce.get('per_sd', 0.1)} SD прироста индекса
результатов: средние расходы программы на школу в год / численность обучающихся, делённые на прирост
школы сверх школ сравнения с такими же результатами до программы. Интервал — бутстреп по школам;
если интервал прироста включает ноль, стоимость единицы эффекта не определяется.
"""
