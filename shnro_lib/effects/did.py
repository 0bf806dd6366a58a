"""The difference-in-differences family: did2s, the event study on a clean base, Callaway–Sant'Anna.

Which years are a valid base is a property of the programme's design: the selection years are
depressed by the luck that chose the school (the Ashenfelter dip), so a base inside them
inherits regression to the mean.  ``event_study`` and ``callaway_santanna`` take as base the
cohort's *clean* years (:func:`shnro_lib.effects.panel.panel_clean_years`).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from shnro_lib.effects.panel import OUTCOMES, ci, panel_clean_years
from shnro_lib.effects.settings import load_effects_config


def _did_frame(panel: pd.DataFrame, col: str) -> pd.DataFrame:
    d = panel[["school_id", "municipality", "year", "cohort", "treat", "rel_year", "selection_year", col]]
    d = d.dropna(subset=[col]).rename(columns={col: "y"}).copy()
    d["school_id"] = d["school_id"].astype(str)
    d["municipality"] = d["municipality"].astype(str)
    d["treat"] = d["treat"].astype(bool)
    return d


def _counts(panel: pd.DataFrame, cohorts: list[int] | None = None) -> tuple[int, int]:
    tr = panel["cohort"] > 0 if cohorts is None else panel["cohort"].isin(cohorts)
    return int(panel.loc[tr, "school_id"].nunique()), int(
        panel.loc[panel["cohort"] == 0, "school_id"].nunique()
    )


def did_two_stage(panel: pd.DataFrame, config=None) -> dict:
    """Staggered DiD: Gardner's two-stage estimator (pyfixest ``did2s``), school and year FE.

    The untreated-outcome model is fit on every untreated school-year, including the treated
    schools' selection years, so the estimate keeps the regression-to-the-mean bias.
    """
    import pyfixest as pf

    cfg = load_effects_config(config)
    out = {}
    for unit, col in OUTCOMES.items():
        d = _did_frame(panel, col)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = pf.did2s(
                d,
                yname="y",
                first_stage="~ 0 | school_id + year",
                second_stage="~ treat",
                treatment="treat",
                cluster=cfg.did.cluster,
            )
        tid = fit.tidy()
        out[unit] = ci(float(tid["Estimate"].iloc[0]), float(tid["Std. Error"].iloc[0]), cfg.z)
    n_t, n_c = _counts(panel)
    return {"estimate": out, "n_treated": n_t, "n_control": n_c}


def _combination(fit, names: list[str], weights: np.ndarray) -> tuple[float, float]:
    """(w'b, its standard error) from the public pyfixest API: a one-row chi² Wald test."""
    coefs = fit.coef()
    R = np.array([[float(weights[names.index(n)]) if n in names else 0.0 for n in coefs.index]])
    est = float(R[0] @ coefs.to_numpy(float))
    if not np.any(R):
        return np.nan, np.nan
    stat = float(fit.wald_test(R=R, q=np.zeros(1), distribution="chi2").iloc[0])
    se = abs(est) / np.sqrt(stat) if stat > 0 else np.nan
    return est, float(se)


def _affected_dummies(d: pd.DataFrame, clean: dict) -> tuple[list[str], list[tuple[int, int]]]:
    """Add a cohort x relative-year dummy for every affected (not clean) treated school-year to ``d``.

    Returns the dummies' names and their ``(cohort, rel_year)`` cells.
    """
    is_clean = np.array(
        [c == 0 or y in clean.get(int(c), []) for c, y in zip(d["cohort"], d["year"], strict=True)]
    )
    affected = ~is_clean
    cells = sorted(
        {
            (int(g), int(r))
            for g, r in zip(d.loc[affected, "cohort"], d.loc[affected, "rel_year"], strict=True)
        }
    )
    names = []
    for g, r in cells:
        nm = f"c{g}_{'m' if r < 0 else 'p'}{abs(r)}"
        d[nm] = (affected & (d["cohort"] == g).to_numpy() & (d["rel_year"] == r).to_numpy()).astype(float)
        names.append(nm)
    return names, cells


def _coef_row(unit: str, rel_year: int, est: float, lo: float, hi: float, n_obs: int, kind: str) -> dict:
    return {
        "unit": unit,
        "rel_year": rel_year,
        "estimate": est,
        "ci_low": lo,
        "ci_high": hi,
        "n_obs": n_obs,
        "kind": kind,
    }


def _unit_event_study(pf, d: pd.DataFrame, clean: dict, used: list[int], unit: str, cfg, coef_rows: list):
    """One outcome's event study: its coefficients appended to ``coef_rows``; returns the ATT interval."""
    names, cells = _affected_dummies(d, clean)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.feols(
            "y ~ " + " + ".join(names) + " | school_id + year", data=d, vcov={"CRV1": cfg.did.cluster}
        )
    counts = np.array([d[n].sum() for n in names], dtype=float)
    rels = np.array([r for _, r in cells])
    for r in sorted(set(rels)):
        w = np.where(rels == r, counts, 0.0)
        bb, se = _combination(fit, names, w / w.sum())
        kind = "поддержка" if r >= 0 else "годы отбора"
        n_obs = int(counts[rels == r].sum())
        coef_rows.append(_coef_row(unit, int(r), bb, bb - cfg.z * se, bb + cfg.z * se, n_obs, kind))
    w = np.where(rels >= 0, counts, 0.0)
    att, se = _combination(fit, names, w / w.sum())
    # the clean reference years (0 by construction) for the plot
    for g in used:
        for y in clean[g]:
            if not any(rw["unit"] == unit and rw["rel_year"] == int(y - g) for rw in coef_rows):
                coef_rows.append(_coef_row(unit, int(y - g), 0.0, 0.0, 0.0, 0, "до отбора (база)"))
    return ci(att, se, cfg.z)


def event_study(panel: pd.DataFrame, config=None) -> dict:
    """Imputation event study whose untreated-outcome model uses only clean school-years.

    A treated school's years other than its clean years (its selection years, and any year of an
    earlier cohort's selection) are "affected": each gets a cohort x relative-year dummy, so the
    school and year fixed effects come only from the never-supported schools and the treated
    schools' clean years (pyfixest ``feols``, errors clustered).  The coefficients of the selection
    years show the Ashenfelter dip relative to the clean base; the ATT is the average over the
    supported school-years of the cohorts that have a clean year (cohorts without one are left out).

    Returns ``{"estimate": {unit: (att, lo, hi)}, "coefs": DataFrame(unit, rel_year, estimate, ci_low,
    ci_high, n_obs, kind), "cohorts_used", "cohorts_dropped", ...}``.
    """
    import pyfixest as pf

    cfg = load_effects_config(config)
    clean = panel_clean_years(panel)
    used = [g for g in sorted(clean) if clean[g]]
    dropped = [g for g in sorted(clean) if not clean[g]]
    result = {"cohorts_used": used, "cohorts_dropped": dropped}
    if not used:
        return {"estimate": {}, "coefs": pd.DataFrame(), **result, "n_treated": 0, "n_control": 0}
    out, coef_rows = {}, []
    p = panel[panel["cohort"].isin([0] + used)]
    for unit, col in OUTCOMES.items():
        out[unit] = _unit_event_study(pf, _did_frame(p, col), clean, used, unit, cfg, coef_rows)
    n_t, n_c = _counts(panel, used)
    return {"estimate": out, "coefs": pd.DataFrame(coef_rows), **result, "n_treated": n_t, "n_control": n_c}


def callaway_santanna(panel: pd.DataFrame, config=None) -> dict:
    """Callaway–Sant'Anna ATT (moderndid ``att_gt`` + ``aggte(type='simple')``, never-treated controls).

    The base period matches the event study's: ``anticipation`` is set so that every cohort's base
    year ``g − anticipation − 1`` is its latest clean year (then the selection years count as
    "anticipation" and are not the base).  When a cohort has no clean year, the base is the year
    before support — a selection year — and the estimate keeps the regression-to-the-mean bias
    (``clean_base`` says which).  Errors are recorded, not hidden.
    """
    cfg = load_effects_config(config)
    clean = panel_clean_years(panel)
    has_clean = bool(clean) and all(clean.values())
    # one anticipation for all cohorts (moderndid): the largest gap between a cohort's start and its
    # latest clean year; a cohort whose base then falls before the data has no matching base
    antic = max(g - 1 - max(clean[g]) for g in clean) if has_clean else 0
    years = sorted(int(y) for y in panel["year"].unique())
    if has_clean and any(g - antic - 1 < years[0] for g in clean):
        has_clean, antic = False, 0
    out, err = {}, None
    try:
        from moderndid import aggte, att_gt

        for unit, col in OUTCOMES.items():
            d = _did_frame(panel, col)
            ids = {s: i for i, s in enumerate(sorted(d["school_id"].unique()))}
            d["id"] = d["school_id"].map(ids).astype(int)
            # balanced panel required
            full = d.groupby("id")["year"].transform("size") == d["year"].nunique()
            d = d[full][["id", "year", "cohort", "y"]]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                mp = att_gt(
                    d,
                    yname="y",
                    tname="year",
                    idname="id",
                    gname="cohort",
                    anticipation=antic,
                    control_group="nevertreated",
                    est_method="reg",
                    base_period="universal",
                )
                ag = aggte(mp, type="simple")
            out[unit] = ci(float(ag.overall_att), float(ag.overall_se), cfg.z)
    except Exception as exc:  # noqa: BLE001 — the table shows «не оценено» with the reason
        err = f"{type(exc).__name__}: {str(exc)[:200]}"
    n_t, n_c = _counts(panel)
    return {
        "estimate": out,
        "error": err,
        "n_treated": n_t,
        "n_control": n_c,
        "clean_base": has_clean,
        "anticipation": antic,
    }
