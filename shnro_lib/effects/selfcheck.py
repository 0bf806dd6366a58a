"""The self-check on the data's own design: known effects planted into copies of its own results.

The data's schools, years, school sizes, missing school-years, clusters, cohorts and selection rule
(:func:`shnro_lib.effects.design.programme_design`) are kept; what is redrawn is each year's luck.
Model of the results without support, fitted on the data's pre-programme years (all schools):

    y_it = a_i + e_it,   e_it ~ N(0, s² / w_it),

``w_it`` the school's participants in year t relative to the median (a small school's yearly
result is noisier), ``a_i`` the school's stable level.  A replication draws ``a_i`` from what the
school's own pre-programme results say about it (its shrunken mean plus the remaining
uncertainty), fresh luck for every year, selects every cohort by the data's rule (the same number
of schools, the lowest index over its selection years among the still eligible; a rule that
explained participation for only a share of schools is blurred by as many random swaps), plants
the effect in the supported school-years and runs the estimators (their array twins,
:mod:`.twins`).  Assumptions: luck independent across years, the stable level constant over the
years, a constant effect.

The verdict respects the Monte-Carlo uncertainty: an estimator *passes* when the upper 95 % bound of
its |bias| is below the threshold and the lower bound of its coverage (Wilson) at least the minimum;
it *fails* when the lower bound of |bias| exceeds the threshold or the upper bound of coverage is
below the minimum; otherwise more replications run, up to the cap, and the verdict may stay
«не удалось установить».
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from shnro_lib.effects.panel import panel_clean_years, panel_selection_years
from shnro_lib.effects.settings import load_effects_config
from shnro_lib.effects.twins import Frame, event_twin, naive_twin, selection_twin, selection_twin_many

CHECKED = ["naive_pre_post", "selection_adjusted", "event_study"]
NOT_CHECKED_RU = {
    "naive_pre_post": "не оценено: проверка на собственном плане не проводилась",
    "selection_adjusted": (
        "не оценено: правило отбора не чёткое или неизвестно — метод при этом плане недопустим"
    ),
    "event_study": "не оценено: ни у одной когорты нет чистого года до отбора",
    "rtm_adjusted": "не оценено: поправка — иллюстрация регрессии к среднему, а не оценка эффекта",
    "rdd": (
        "не оценено: метод оценивает эффект первого года у порога (локальная проверка), "
        "имитацией не проверяется"
    ),
    "did_unadjusted": (
        "не оценено: смещение «провалом Ашенфельтера» следует из устройства метода, имитацией не проверяется"
    ),
    "matching": "не оценено: подбор соседей по контексту слишком долог для сотен повторений",
    "callaway_santanna": "не оценено: расчёт moderndid слишком долог для сотен повторений",
}
_log = logging.getLogger(__name__)
VERDICT_RU = {"pass": "проходит", "fail": "не проходит", "unknown": "не удалось установить"}


class SelfCheckUnavailable(ValueError):
    """The data do not allow the self-check (too few schools or pre-programme years)."""


def _matrices(panel: pd.DataFrame, col: str = "y_pp") -> tuple[pd.Index, np.ndarray, np.ndarray, np.ndarray]:
    wide = panel.pivot_table(index="school_id", columns="year", values=col, aggfunc="mean")
    ids = wide.index
    W = (
        panel.pivot_table(
            index="school_id", columns="year", values="participants", aggfunc="sum", dropna=False
        )
        .reindex(index=ids, columns=wide.columns)
        .to_numpy(float)
    )
    coh = panel.groupby("school_id")["cohort"].first().reindex(ids).fillna(0).to_numpy().astype(int)
    return ids, wide.to_numpy(float), W, coh


def results_model(Y: np.ndarray, W: np.ndarray, coh: np.ndarray, years: np.ndarray) -> dict:
    """Variance components of the results without support: stable level and size-scaled luck.

    Fitted on the years before the first cohort (all schools); with fewer than two such years, on
    the never supported schools' years.  Raises :class:`SelfCheckUnavailable` when neither has two
    years of at least ten schools.
    """
    first = min(int(g) for g in set(coh) - {0})
    cols = np.where(years < first)[0]
    rows = np.arange(len(Y))
    source = "pre"
    if len(cols) < 2:
        cols, rows, source = np.arange(len(years)), np.where(coh == 0)[0], "never"
    X = Y[np.ix_(rows, cols)]
    w = W[np.ix_(rows, cols)]
    med = np.nanmedian(W[np.isfinite(W) & (W > 0)]) if np.any(np.isfinite(W) & (W > 0)) else 1.0
    w = np.where(np.isfinite(w) & (w > 0), w / med, 1.0)
    f = np.isfinite(X)
    n = f.sum(axis=1)
    use = n >= 2
    if len(cols) < 2 or use.sum() < 10:
        raise SelfCheckUnavailable(
            "для проверки на собственном плане нужны хотя бы два года результатов "
            "не менее чем десяти школ без поддержки"
        )
    Xc = X - np.nanmean(X, axis=0)  # common year shocks out
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.where(n > 0, np.nansum(Xc, axis=1) / np.maximum(n, 1), np.nan)
        inv_w = np.where(f, 1.0 / w, 0.0).sum(axis=1)
    ss = np.nansum(np.where(f, (Xc - m[:, None]) ** 2, 0.0)[use])
    s2 = float(ss / ((1 - 1 / n[use]) * inv_w[use]).sum())
    v_mean = s2 * inv_w[use] / n[use] ** 2  # luck left in a school's mean
    var_a = float(max(np.var(m[use]) - v_mean.mean(), 0.05 * np.var(m[use])))
    # every school's own mean over the model years (all schools, even those outside ``rows``)
    Xall = Y[:, cols] - np.nanmean(X, axis=0)
    wall = W[:, cols]
    wall = np.where(np.isfinite(wall) & (wall > 0), wall / med, 1.0)
    fa = np.isfinite(Xall)
    na = fa.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ma = np.where(na > 0, np.nansum(Xall, axis=1) / np.maximum(na, 1), 0.0)
        va = np.where(na > 0, s2 * np.where(fa, 1 / wall, 0).sum(axis=1) / np.maximum(na, 1) ** 2, np.inf)
    lam = var_a / (var_a + va)
    Wn = np.where(np.isfinite(W) & (W > 0), W / med, 1.0)
    return {
        "s2": s2,
        "var_a": var_a,
        "post_mean": lam * (ma - np.nanmean(ma)),
        "post_var": np.where(np.isfinite(va), lam * va, var_a),
        "prior_var": var_a,
        "lam": lam,
        "w": Wn,
        "mask": np.isfinite(Y),
        "source": source,
    }


def _assign(S_by: dict[int, np.ndarray], sizes: dict[int, int], comp: dict[int, float], rng) -> np.ndarray:
    """Cohort of every school in one replication: the rule applied to its synthetic indices."""
    N = len(next(iter(S_by.values())))
    coh = np.zeros(N, dtype=int)
    for g in sorted(S_by):
        elig = coh == 0
        s = np.where(elig & np.isfinite(S_by[g]), S_by[g], np.inf)
        order = np.argsort(s, kind="stable")
        k = min(sizes[g], int(np.isfinite(s).sum()))
        chosen = order[:k]
        c = comp.get(g, 1.0)
        if np.isfinite(c) and c < 1:
            rest = np.setdiff1d(np.where(np.isfinite(s))[0], chosen)
            m = min(int(round((1 - c) * np.isfinite(s).sum() / 2)), k, len(rest))
            if m:
                out = rng.choice(len(chosen), m, replace=False)
                chosen = np.r_[np.delete(chosen, out), rng.choice(rest, m, replace=False)]
        coh[chosen] = g
    return coh


def _interval_ok(est: float, se: float, truth: float, z: float) -> bool:
    return bool(np.isfinite(est) and np.isfinite(se) and est - z * se <= truth <= est + z * se)


def _replicate(
    model: dict, fr: Frame, design, rng, effects: list[float], z: float, only: str | None = None
) -> list[dict]:
    """One synthetic region: every checked estimator (or ``only`` one) at every planted effect."""
    N, T = model["mask"].shape
    a = model["post_mean"] + np.sqrt(model["post_var"]) * rng.standard_normal(N)
    Y0 = a[:, None] + np.sqrt(model["s2"] / model["w"]) * rng.standard_normal((N, T))
    Y0 = np.where(model["mask"], Y0, np.nan)
    S_by = {
        c.cohort: np.nanmean(Y0[:, fr.col(c.selection_years)], axis=1)
        if fr.col(c.selection_years)
        else np.full(N, np.nan)
        for c in design.cohorts
    }
    sizes = {c.cohort: int(n) for c, n in zip(design.cohorts, model["sizes"], strict=True)}
    comp = {c.cohort: (c.compliance if not c.sharp else 1.0) for c in design.cohorts}
    coh = _assign(S_by, sizes, comp, rng)
    treat = (coh[:, None] > 0) & (fr.years[None, :] >= coh[:, None])
    Ys = [Y0 + tau * treat for tau in effects]
    out = []
    for name in [only] if only else model["checked"]:
        if name == "naive_pre_post":
            res = [naive_twin(Y, coh, fr) for Y in Ys]
        elif name == "selection_adjusted":
            res = selection_twin_many(Ys, coh, S_by, fr, parts=model["parts"])
        else:
            res = [event_twin(Y, coh, fr) for Y in Ys]
        for tau, (e, se) in zip(effects, res, strict=True):
            out.append(
                {"estimator": name, "effect": tau, "err": e - tau, "cover": _interval_ok(e, se, tau, z)}
            )
    return out


def _wilson(p: float, n: int, z: float) -> tuple[float, float]:
    den = 1 + z**2 / n
    c = (p + z**2 / (2 * n)) / den
    h = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / den
    return float(c - h), float(c + h)


def summarise(draws: pd.DataFrame, cfg) -> pd.DataFrame:
    """Per estimator (all planted effects pooled): bias, its MC SE, RMSE, coverage, its MC SE, verdict.

    The bias is the worst over the planted effects (its bound decides the verdict)."""
    th, z = cfg.identifiability, 1.959963984540054
    rows = []
    for name, d in draws.groupby("estimator", sort=False):
        d = d[np.isfinite(d["err"])]
        n_rep = int(d.groupby("effect").size().min()) if len(d) else 0
        if n_rep < 20:
            rows.append(
                {
                    "estimator": name,
                    "reps": n_rep,
                    "bias_pp": np.nan,
                    "bias_mc_se_pp": np.nan,
                    "rmse_pp": np.nan,
                    "coverage": np.nan,
                    "coverage_mc_se": np.nan,
                    "verdict": "unknown",
                }
            )
            continue
        by = d.groupby("effect")["err"].agg(["mean", "std", "size"])
        by["se"] = by["std"] / np.sqrt(by["size"])
        worst = by.loc[by["mean"].abs().idxmax()]
        bias, bse = float(worst["mean"]), float(worst["se"])
        cov = float(d["cover"].mean())
        lo, hi = _wilson(cov, len(d), z)
        ok = abs(bias) + z * bse < th.max_abs_bias_pp and lo >= th.min_coverage
        bad = abs(bias) - z * bse > th.max_abs_bias_pp or hi < th.min_coverage
        rows.append(
            {
                "estimator": name,
                "reps": n_rep,
                "bias_pp": bias,
                "bias_mc_se_pp": bse,
                "rmse_pp": float(np.sqrt((d["err"] ** 2).mean())),
                "coverage": cov,
                "coverage_mc_se": float(np.sqrt(cov * (1 - cov) / len(d))),
                "verdict": "pass" if ok else "fail" if bad else "unknown",
            }
        )
    return pd.DataFrame(rows)


def frame_of(dataset, panel: pd.DataFrame, cfg, design, col: str = "y_pp") -> tuple[Frame, np.ndarray, dict]:
    """The fixed design frame of the data, the outcome matrix and the results model inputs."""
    from shnro_lib.effects.selection import selection_covariates

    ids, Y, W, coh = _matrices(panel, col)
    sid = pd.Index(ids.astype("string"))
    cov = None
    if design.kind != "none" and all(c.cutoff is not None for c in design.cohorts):
        cov = selection_covariates(dataset, panel, cfg, design).reindex(sid)
    muni = panel.groupby("school_id")["municipality"].first().reindex(ids).astype("string")
    clus = pd.factorize(pd.Series(ids.astype(str)) if cfg.did.cluster == "school_id" else muni)[0]
    fr = Frame(
        np.array([int(y) for y in panel.pivot_table(index="school_id", columns="year", values=col).columns]),
        panel_selection_years(panel),
        panel_clean_years(panel),
        clus,
        cov[[c for c in cov.columns if not c.startswith("S_")]] if cov is not None else None,
        cfg.selection_adjusted.size_degree,
    )
    return fr, Y, {"W": W, "coh": coh, "cov": cov}


def self_check(dataset, panel: pd.DataFrame, design, picked: str, config=None) -> dict:
    """Run the self-check; more replications while the picked estimator's verdict is open.

    Returns ``{"table": DataFrame (estimator, reps, bias_pp, bias_mc_se_pp, rmse_pp, coverage,
    coverage_mc_se, verdict), "verdict": pass | fail | unknown | None (picked not checked), "reason":
    Russian text when not run, "model": the fitted variance components}``.
    """
    cfg = load_effects_config(config)
    sc = cfg.self_check
    fr, Y, extra = frame_of(dataset, panel, cfg, design)
    coh = extra["coh"]
    model = results_model(Y, extra["W"], coh, fr.years)
    checked = ["naive_pre_post"]
    if (
        fr.cov is not None
        and design.kind in ("sharp_index", "clean_base")
        and all(c.sharp for c in design.cohorts)
    ):
        checked.append("selection_adjusted")
    if design.kind == "clean_base":
        checked.append("event_study")
    model["checked"] = checked
    model["parts"] = fr.basis_parts() if "selection_adjusted" in checked else None
    model["sizes"] = [int((coh == c.cohort).sum()) for c in design.cohorts]
    effects = [0.0, float(sc.planted_effect_pp)]
    rng = np.random.default_rng(sc.seed)
    z = cfg.z  # a property (a normal quantile): computed once
    draws: list[dict] = []
    done, target = 0, sc.replications
    while True:
        # the first batch checks every estimator; further ones only the picked estimator,
        # whose verdict is open
        only = picked if done else None
        for _ in range(target - done):
            draws += _replicate(model, fr, design, rng, effects, z, only)
        done = target
        tab = summarise(pd.DataFrame(draws), cfg)
        v = tab.set_index("estimator")["verdict"].get(picked)
        if v != "unknown" or done >= sc.max_replications:
            break
        target = min(2 * done, sc.max_replications)
    return {"table": tab, "verdict": v, "model": model, "reason": ""}


def placebo_in_time(
    panel: pd.DataFrame, fr: Frame, Y: np.ndarray, coh: np.ndarray, S: dict | None, z: float
) -> tuple[dict[str, tuple[float, float, float]], str]:
    """Each checked estimator on the years before any selection, as if the programme had started in
    the last of them (all programme schools one pseudo-cohort; its selection year the year before).

    Returns ``({estimator: (estimate, low, high)}, reason)``; the reason (Russian) is set when the
    data have fewer than two years before the first selection year.
    """
    first_sel = min((min(v) for v in fr.selection.values() if v), default=None)
    pre = [int(y) for y in fr.years if first_sel is not None and y < first_sel]
    if len(pre) < 2:
        return {}, "плацебо не оценено: нет двух лет до первых лет отбора"
    p = pre[-1]
    cols = fr.col(pre)
    Yp = Y[:, cols]
    pc = np.where(coh > 0, p, 0)
    pf = Frame(np.array(pre), {p: [pre[-2]]}, {p: pre[:-1]}, fr.cluster, fr.cov, fr.degree)
    out = {}
    for name, (e, se) in {
        "naive_pre_post": naive_twin(Yp, pc, pf),
        "event_study": event_twin(
            Yp, pc, Frame(np.array(pre), {p: []}, {p: pre[:-1]}, fr.cluster, fr.cov, fr.degree)
        ),
    }.items():
        out[name] = (e, e - z * se, e + z * se)
    if S is not None and fr.cov is not None:
        # the real rule's indices (chosen later) with a year before selection as the outcome: at equal
        # index, participation must not predict that year's result
        e, se = selection_twin(Y, coh, S, fr, years=[p])
        out["selection_adjusted"] = (e, e - z * se, e + z * se)
    return out, ""


def _fmt(v: float, f: str) -> str:
    return format(v, f).replace(".", ",").replace("-", "−")


def _placebo(dataset, panel: pd.DataFrame, design, cfg) -> tuple[dict, str]:
    """The placebo in time on the data's own frame; a failure is stated (Russian reason), not raised."""
    try:
        fr, Y, extra = frame_of(dataset, panel, cfg, design)
        S = (
            {g: extra["cov"][f"S_{g}"].to_numpy(float) for g in sorted(set(extra["coh"]) - {0})}
            if extra["cov"] is not None
            else None
        )
        return placebo_in_time(panel, fr, Y, extra["coh"], S, cfg.z)
    except Exception:  # noqa: BLE001 — the placebo is an addition; its failure is stated, not raised
        _log.debug("placebo failed", exc_info=True)
        return {}, "плацебо не оценено: на этих данных его не удалось рассчитать"


def _verdict_note(row: pd.Series, v: str, cfg) -> str:
    """The Russian sentence on the picked estimator's self-check: bias, coverage, verdict and the rule."""
    th, sc = cfg.identifiability, cfg.self_check
    if not np.isfinite(row["bias_pp"]):
        return (
            "Проверка на собственном плане данных: слишком мало удавшихся повторений — не удалось установить."
        )
    rule = (
        f"порог: верхняя 95-процентная граница |смещения| ниже {_fmt(th.max_abs_bias_pp, '.1f')} п. п., "
        f"нижняя граница покрытия не ниже {th.min_coverage:.0%}"
    )
    return (
        f"Проверка на собственном плане данных (повторений: {int(row['reps'])}; заложенные эффекты 0 и "
        f"{_fmt(sc.planted_effect_pp, '.1f')} п. п.): смещение {_fmt(row['bias_pp'], '+.2f')} ± "
        f"{_fmt(row['bias_mc_se_pp'], '.2f')} п. п., покрытие 95-процентных интервалов "
        f"{row['coverage']:.0%} — {VERDICT_RU[v]} ({rule})."
    )


def design_check(dataset, panel: pd.DataFrame, design, picked: str, config=None) -> dict:
    """The self-check and the placebo in time, with the verdict on the picked estimator.

    Returns ``{"identifiable": bool, "verdict": "pass" | "fail" | "unknown", "note": Russian sentence,
    "table": self-check table (empty when not run), "placebo": {estimator: (estimate, low, high)},
    "placebo_reason": Russian text or ""}``.  ``identifiable`` is True only for «проходит».
    """
    cfg = load_effects_config(config)
    empty = {
        "identifiable": False,
        "verdict": "unknown",
        "table": pd.DataFrame(),
        "placebo": {},
        "placebo_reason": "плацебо не оценено: проверка на собственном плане не проводилась",
    }
    try:
        res = self_check(dataset, panel, design, picked, cfg)
    except SelfCheckUnavailable as exc:
        return {**empty, "note": f"Проверка на собственном плане данных не оценена: {exc}."}
    except Exception:  # noqa: BLE001 — a check that cannot run must not hide the estimates
        _log.debug("self-check failed", exc_info=True)
        return {
            **empty,
            "note": "Проверка на собственном плане данных не оценена: на этих данных её не удалось "
            "провести (слишком мало школ или лет).",
        }
    tab = res["table"]
    plac, why = _placebo(dataset, panel, design, cfg)
    row = tab.set_index("estimator").loc[picked] if picked in set(tab["estimator"]) else None
    if row is None:
        v, note = (
            "unknown",
            (
                "Проверка на собственном плане данных для выбранной оценки не проводилась "
                f"({NOT_CHECKED_RU.get(picked, 'не оценено')}), поэтому её несмещённость не установлена."
            ),
        )
    else:
        v = str(row["verdict"])
        note = _verdict_note(row, v, cfg)
    return {
        "identifiable": v == "pass",
        "verdict": v,
        "note": note,
        "table": tab,
        "placebo": plac,
        "placebo_reason": why,
    }


def check_columns(estimators: list[str], check: dict) -> pd.DataFrame:
    """The self-check and placebo columns of the effects table, one row per estimator."""
    tab = check["table"].set_index("estimator") if len(check["table"]) else pd.DataFrame()
    rows = []
    for name in estimators:
        r = {
            "selfcheck_bias_pp": np.nan,
            "selfcheck_bias_mc_se_pp": np.nan,
            "selfcheck_rmse_pp": np.nan,
            "selfcheck_coverage_share": np.nan,
            "selfcheck_coverage_mc_se_share": np.nan,
            "selfcheck_reps": np.nan,
            "selfcheck_verdict": np.nan,
            "placebo_pp": np.nan,
            "placebo_ci_low_pp": np.nan,
            "placebo_ci_high_pp": np.nan,
        }
        if name != "range_valid":
            if len(tab) and name in tab.index:
                t = tab.loc[name]
                r.update(
                    {
                        "selfcheck_bias_pp": t["bias_pp"],
                        "selfcheck_bias_mc_se_pp": t["bias_mc_se_pp"],
                        "selfcheck_rmse_pp": t["rmse_pp"],
                        "selfcheck_coverage_share": t["coverage"],
                        "selfcheck_coverage_mc_se_share": t["coverage_mc_se"],
                        "selfcheck_reps": float(t["reps"]),
                        "selfcheck_verdict": VERDICT_RU[str(t["verdict"])],
                    }
                )
            else:
                r["selfcheck_verdict"] = (
                    NOT_CHECKED_RU.get(name, "не оценено")
                    if len(tab)
                    else "не оценено: проверка на собственном плане не проводилась"
                )
            e, lo, hi = check["placebo"].get(name, (np.nan, np.nan, np.nan))
            if np.isfinite([e, lo, hi]).all():
                r.update({"placebo_pp": e, "placebo_ci_low_pp": lo, "placebo_ci_high_pp": hi})
        rows.append(r)
    out = pd.DataFrame(rows)
    out["selfcheck_reps"] = out["selfcheck_reps"].astype("Int64")
    return out
