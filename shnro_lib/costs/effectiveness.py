"""Programme cost-effectiveness: roubles per pupil per 0.1 SD of gain, its interval propagated."""

from __future__ import annotations

import numpy as np
import pandas as pd

from shnro_lib.costs.settings import NotEstimated, load_costs_config


def _picked_effect(
    dataset, panel: pd.DataFrame, ids: pd.Index, picked: str, ecfg, cov
) -> tuple[float, float, int]:
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


def _cost_per_pupil(dataset, pg: pd.DataFrame, ctx: pd.DataFrame, panel: pd.DataFrame) -> pd.DataFrame:
    """Each programme school's mean yearly programme cost, enrolment, cost per pupil and municipality."""
    cost = pg.groupby(pg["school_id"].astype("string"))["cost_rub"].mean()
    enrol = (
        ctx.sort_values("year").groupby(ctx["school_id"].astype("string"))["enrolment"].last().astype(float)
    )
    treated = panel.loc[panel["cohort"] > 0, "school_id"].unique()
    d = (
        pd.DataFrame({"cost": cost, "enrolment": enrol})
        .reindex(pd.Index(sorted(treated), dtype="string"))
        .dropna()
    )
    d = d[d["enrolment"] > 0]
    d["cost_per_pupil"] = d["cost"] / d["enrolment"]
    muni = dataset.schools.set_index(dataset.schools["school_id"].astype("string"))["municipality"]
    d["municipality"] = d.index.map(muni)
    return d


def _groups(dataset, d: pd.DataFrame) -> list[tuple[str, str, pd.DataFrame]]:
    """``(level, group, schools)``: the region, each municipality, each kind of support (``has_partner``)."""
    proc = dataset.get("process")
    groups = [("Регион", "все школы программы", d)]
    groups += [("Муниципалитет", m, s) for m, s in sorted(d.groupby("municipality"), key=lambda t: str(t[0]))]
    if proc is not None and "has_partner" in proc:
        part = proc.groupby(proc["school_id"].astype("string"))["has_partner"].agg(
            lambda s: bool(s.fillna(False).any())
        )
        d["support"] = d.index.map(part).map({True: "со школой-партнёром", False: "без школы-партнёра"})
        groups += [("Вид поддержки", k, s) for k, s in sorted(d.groupby("support"), key=lambda t: str(t[0]))]
    return groups


def _not_estimated(s: pd.DataFrame, check: dict, ccfg) -> str | None:
    """Why the group's ratio is not estimated before its effect is (``None`` when it can be)."""
    if not check["identifiable"]:
        why = (
            "эффект при этом плане программы не идентифицируется"
            if check["verdict"] == "fail"
            else "не удалось установить, идентифицируется ли эффект при этом плане программы"
        )
        return f"не оценено: {why}"
    if len(s) < ccfg.min_schools:
        return f"не оценено: меньше {ccfg.min_schools} школ программы"
    return None


def _group_row(level, name, s: pd.DataFrame, fit, check: dict, ccfg, ecfg, rng) -> dict:
    """One group's row: cost per pupil, the picked estimator's gain and the ratio with its interval.

    ``fit`` is ``(dataset, panel, picked, cov)``; ``rng`` is shared by the groups (drawn in their order).
    """
    dataset, panel, picked, cov = fit
    row = {
        "level": level,
        "group": name,
        "n_schools": len(s),
        "cost_per_pupil": float(s["cost_per_pupil"].mean()),
        "gain_sd": np.nan,
        "gain_ci_low": np.nan,
        "gain_ci_high": np.nan,
        "rub_per_pupil_per_01sd": np.nan,
        "ci_low": np.nan,
        "ci_high": np.nan,
        "estimator": picked,
    }
    why = _not_estimated(s, check, ccfg)
    if why is not None:
        return {**row, "note": why}
    est, se, _n = _picked_effect(dataset, panel, s.index, picked, ecfg, cov)
    if not np.isfinite(est) or not np.isfinite(se):
        return {**row, "note": "не оценено: эффект для группы не рассчитывается"}
    row.update(gain_sd=est, gain_ci_low=est - ecfg.z * se, gain_ci_high=est + ecfg.z * se)
    if row["gain_ci_low"] <= 0:
        return {**row, "note": "прирост не отличим от нуля: стоимость единицы эффекта не определена"}
    alpha = 1 - ecfg.ci_level
    cpp = s["cost_per_pupil"].to_numpy(float)
    bc = cpp[rng.integers(0, len(cpp), (ccfg.bootstrap_reps, len(cpp)))].mean(axis=1)
    be = rng.normal(est, se, ccfg.bootstrap_reps)
    ratio = np.where(be > 0, bc / (np.maximum(be, 1e-12) / ccfg.per_sd), np.inf)
    row.update(
        rub_per_pupil_per_01sd=row["cost_per_pupil"] / (est / ccfg.per_sd),
        ci_low=float(np.quantile(ratio, alpha / 2)),
        ci_high=float(np.quantile(ratio, 1 - alpha / 2)),
        note="",
    )
    return row


def programme_cost_effectiveness(dataset, config=None, effects_config=None) -> pd.DataFrame:
    """Roubles per pupil per 0.1 SD of gain on the preferred effect estimate, overall and by group.

    Effect: the estimator the programme's design picks (:func:`shnro_lib.effects.choose_estimator`),
    re-estimated for each group (municipality, kind of support) with only that group's programme
    schools as treated; cost per pupil = the school's programme spending (``programme.cost_rub``,
    mean per year of support) / enrolment, averaged over the group.  Interval: percentile interval of
    ``cost* / (effect* / 0.1)`` over draws that resample the group's schools for the cost and draw
    the effect from the normal distribution of its estimate (the effect's interval propagated).
    When the effect's interval includes zero the ratio is not defined (a cost per unit of an effect
    that may be nil means nothing); when the effect is not identifiable in this design (the self-check
    on the data's own design), nothing is estimated.
    """
    from shnro_lib.effects import (
        choose_estimator,
        load_effects_config,
        programme_design,
        result_panel,
        selection_covariates,
    )
    from shnro_lib.effects.selfcheck import design_check

    cfg = load_costs_config(config)
    ecfg = load_effects_config(effects_config)
    ccfg = cfg.cost_effectiveness
    pg, ctx = dataset.get("programme"), dataset.get("context")
    if pg is None or ctx is None or "cost_rub" not in pg or "enrolment" not in ctx:
        raise NotEstimated(
            "не оценено: нужны расходы программы (programme.cost_rub) и численность "
            "обучающихся (context.enrolment)"
        )
    design = programme_design(dataset, ecfg)
    if not design.cohorts:
        raise NotEstimated("не оценено: в таблице программы нет школ-участниц")
    picked, _ = choose_estimator(design)
    panel = result_panel(dataset, ecfg, design)
    check = design_check(dataset, panel, design, picked, ecfg)
    cov = selection_covariates(dataset, panel, ecfg, design) if picked == "selection_adjusted" else None
    d = _cost_per_pupil(dataset, pg, ctx, panel)
    groups = _groups(dataset, d)
    rng = np.random.default_rng(ccfg.seed)
    fit = (dataset, panel, picked, cov)
    rows = [_group_row(level, name, s, fit, check, ccfg, ecfg, rng) for level, name, s in groups]
    return pd.DataFrame(rows)
