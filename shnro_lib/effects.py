"""Programme effects: «вход–выход», «вход–процесс–выход» and honest quasi-experimental designs.

The support programme selects schools by a plain rule on observed results (the bottom share of
a result index over the selection years).  Observed results are true quality plus transitory
luck, so the selected schools were, on average, unlucky in the selection years: their results
rise afterwards even without any support (regression to the mean; the depressed selection
years are the Ashenfelter dip).  A naive before/after comparison therefore overstates the
effect, and so does a difference-in-differences whose reference period is the selection years.
The benchmark (``benchmarks/effects.py``) decides which estimator is marked preferred.

Estimators (one row each in :func:`programme_effects`):

- ``naive_pre_post`` — treated schools' mean change from the selection years to the support years;
- ``rtm_adjusted`` — the naive change minus the change expected from regression to the mean,
  ``-(1 - reliability) * (pre deviation)``, reliability from the pre-programme years;
- ``did_unadjusted`` — staggered DiD (Gardner's two-stage ``did2s`` in pyfixest: school and year fixed
  effects estimated on untreated school-years, errors clustered by school).  Its reference period
  contains the selection years, so it inherits the dip;
- ``event_study`` — imputation (did2s-type) event study whose untreated-outcome model leaves the selection years
  out (they are shown as coefficients: the dip); only cohorts with a clean pre-selection year
  enter;
- ``selection_adjusted`` (preferred; :func:`selection_adjusted`) — regression adjustment on the exact
  selection index of the rule, with index x school-size interactions (reliability varies with size),
  per cohort x support year over the schools not supported before the cohort (later cohorts kept with
  their own effect removed); valid because selection is a sharp rule on an observed index;
- ``ancova_pre_years`` (on request; :func:`ancova_selection`) — the former ANCOVA on each pre-year's index:
  it does not reproduce the rule's index nor its size-dependent reliability and is biased downward;
- ``matching`` — nearest neighbours on pre-programme results and context within context
  clusters, with regression bias adjustment; balance table;
- ``rdd`` — local linear regression discontinuity at the selection cut-off (first-year effect);
- ``callaway_santanna`` — the moderndid cross-check (never-treated controls).

Units: ``*_sd`` in SD of the school result index (the participant-weighted mean z of a school in a
year), ``*_pp`` in percentage points of the maximum score (participant-weighted deviation from the
procedure x subject x grade x year mean, averaged over procedures).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from shnro_lib.config import deep_merge, load_yaml, parameters_dir
from shnro_lib.indicators import standardised_results

OUTCOMES = {"sd": "y_sd", "pp": "y_pp"}
TABLE_COLUMNS = ["estimator", "estimate_pp", "ci_low_pp", "ci_high_pp", "estimate_sd", "ci_low_sd",
                 "ci_high_sd", "n_treated", "n_control", "preferred", "note"]


# --------------------------------------------------------------------------- configuration

def load_effects_config(config: str | Path | Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Defaults from ``parameters/effects.yaml``; a dict is merged recursively over them."""
    base = load_yaml(parameters_dir() / "effects.yaml")
    if config is None:
        return base
    if isinstance(config, (str, Path)):
        return load_yaml(config)
    return deep_merge(base, dict(config))


def _z(cfg: dict) -> float:
    return float(stats.norm.ppf(0.5 + float(cfg.get("ci_level", 0.95)) / 2))


# --------------------------------------------------------------------------- treatment and panel

def programme_cohorts(dataset) -> pd.Series:
    """First year of support per school (``Int64``; 0 = never supported), over all schools."""
    ids = dataset.schools["school_id"].astype("string")
    out = pd.Series(0, index=pd.Index(ids, name="school_id"), dtype="Int64")
    pg = dataset.get("programme")
    if pg is None or pg.empty:
        return out
    pg = pg[pg["in_programme"].fillna(True).astype(bool)]
    first = pg["cohort"].where(pg["cohort"].notna(), pg["year"])
    first = pd.Series(first.to_numpy(), index=pg["school_id"].astype("string")).groupby(level=0).min()
    out.loc[out.index.intersection(first.index)] = first.reindex(out.index.intersection(first.index)).astype("Int64")
    return out


def _selection_years(cfg: dict, cohort: int) -> list[int]:
    spec = (cfg.get("selection") or {}).get("cohorts") or {}
    spec = {int(k): v for k, v in spec.items()}
    if cohort in spec:
        return [int(y) for y in spec[cohort]["selection_years"]]
    return [cohort - 2, cohort - 1]


def _bottom_share(cfg: dict, cohort: int) -> float:
    spec = {int(k): v for k, v in ((cfg.get("selection") or {}).get("cohorts") or {}).items()}
    return float(spec.get(cohort, {}).get("bottom_share", 0.25))


def selection_index(results: pd.DataFrame, years: list[int], cell_weighting: str = "unweighted") -> pd.Series:
    """The programme's selection index: participant-weighted mean z over ``years``.

    ``cell_weighting='unweighted'`` standardises each procedure x subject x grade x year cell by
    the plain mean and SD over schools (the rule as written); ``'participants'`` uses
    :func:`shnro_lib.indicators.standardised_results`.
    """
    r = results[results["year"].isin(years).fillna(False)]
    if cell_weighting == "participants":
        z = standardised_results(r)
        z = z[z["z"].notna()]
        w = z["participants"].astype(float)
        agg = pd.DataFrame({"wz": w * z["z"], "w": w, "school_id": z["school_id"]}).groupby("school_id").sum()
        return (agg["wz"] / agg["w"]).rename("selection_index")
    r = r[(r["participants"].fillna(0) > 0) & r["mean_score"].notna() & (r["max_score"] > 0)]
    pct = r["mean_score"].astype(float) / r["max_score"].astype(float) * 100
    keys = [r[c] for c in ("procedure", "subject", "grade", "year")]
    g = pct.groupby(keys)
    z = (pct - g.transform("mean")) / g.transform("std")
    w = r["participants"].astype(float)
    frame = pd.DataFrame({"school_id": r["school_id"], "wz": w * z, "w": w.where(z.notna(), 0.0)})
    frame["wz"] = frame["wz"].fillna(0.0)
    agg = frame.groupby("school_id").sum()
    return (agg["wz"] / agg["w"].replace(0, np.nan)).dropna().rename("selection_index")


def result_panel(dataset, config: str | Path | Mapping | None = None) -> pd.DataFrame:
    """School-year panel of results with treatment status.

    Returns
    -------
    DataFrame
        ``school_id, municipality, year, y_sd`` (school result index of that year: participant-
        weighted mean z), ``y_pp`` (participant-weighted deviation from the cell mean in pct-points
        of max, averaged over procedures), ``participants, cohort`` (0 = never), ``treat``
        (supported in that year), ``rel_year`` (year − cohort; NaN for never supported),
        ``selection_year`` (the year is one of the school's cohort's selection years).
    """
    cfg = load_effects_config(config)
    res = dataset.results
    procs = (cfg.get("panel") or {}).get("procedures")
    if procs:
        res = res[res["procedure"].isin(procs).fillna(False)]
    z = standardised_results(res)
    z = z[z["z"].notna()].copy()
    w = z["participants"].astype(float)
    z["_wz"] = w * z["z"]
    z["_wd"] = w * (z["pct"] - z["cell_mean"])
    z["_w"] = w
    sy = z.groupby(["school_id", "year"], observed=True)[["_wz", "_w", "participants"]].sum()
    py = z.groupby(["school_id", "year", "procedure"], observed=True)[["_wd", "_w"]].sum()
    pp = (py["_wd"] / py["_w"]).groupby(level=["school_id", "year"]).mean()
    panel = pd.DataFrame({"y_sd": sy["_wz"] / sy["_w"], "participants": sy["participants"].astype(int)})
    panel["y_pp"] = pp.reindex(panel.index)
    panel = panel.reset_index()
    panel["school_id"] = panel["school_id"].astype("string")
    panel["year"] = panel["year"].astype(int)
    muni = dataset.schools.set_index(dataset.schools["school_id"].astype("string"))["municipality"]
    panel["municipality"] = panel["school_id"].map(muni).astype("string")
    coh = programme_cohorts(dataset)
    panel["cohort"] = panel["school_id"].map(coh).fillna(0).astype(int)
    panel["treat"] = (panel["cohort"] > 0) & (panel["year"] >= panel["cohort"])
    panel["rel_year"] = np.where(panel["cohort"] > 0, panel["year"] - panel["cohort"], np.nan)
    sel = np.zeros(len(panel), dtype=bool)
    for g in sorted(set(panel["cohort"]) - {0}):
        m = (panel["cohort"] == g).to_numpy() & panel["year"].isin(_selection_years(cfg, g)).to_numpy()
        sel |= m
    panel["selection_year"] = sel
    cols = ["school_id", "municipality", "year", "y_sd", "y_pp", "participants", "cohort", "treat",
            "rel_year", "selection_year"]
    return panel[cols].sort_values(["school_id", "year"], kind="stable").reset_index(drop=True)


def _pre_mean(panel: pd.DataFrame, years: list[int], col: str) -> pd.Series:
    p = panel[panel["year"].isin(years)]
    return p.groupby("school_id")[col].mean()


# --------------------------------------------------------------------------- small helpers

def _row(name: str, est: dict[str, tuple[float, float, float]], n_t: int, n_c: int, note: str) -> dict:
    out = {"estimator": name, "n_treated": int(n_t), "n_control": int(n_c), "note": note}
    for unit in ("pp", "sd"):
        e, lo, hi = est.get(unit, (np.nan, np.nan, np.nan))
        out[f"estimate_{unit}"] = float(e)
        out[f"ci_low_{unit}"] = float(lo)
        out[f"ci_high_{unit}"] = float(hi)
    return out


def _ols_cluster(y: np.ndarray, X: np.ndarray, groups: np.ndarray):
    import statsmodels.api as sm

    codes = pd.factorize(pd.Series(groups).astype("string"))[0]
    return sm.OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": codes})


# --------------------------------------------------------------------------- naive and RTM

def naive_pre_post(panel: pd.DataFrame, config: Mapping | None = None) -> dict:
    """Treated schools' mean change from their cohort's selection years to the support years.

    The estimand is the average over treated school-years (cell-weighted, like ``did``); the
    interval is clustered by school.
    """
    cfg = load_effects_config(config)
    out: dict[str, tuple[float, float, float]] = {}
    z = _z(cfg)
    n_t = 0
    for unit, col in OUTCOMES.items():
        parts = []
        for g in sorted(set(panel["cohort"]) - {0}):
            pre = _pre_mean(panel[panel["cohort"] == g], _selection_years(cfg, g), col)
            post = panel[(panel["cohort"] == g) & panel["treat"]][["school_id", col]].dropna()
            post = post.assign(change=post[col].to_numpy() - post["school_id"].map(pre).to_numpy()).dropna()
            parts.append(post)
        d = pd.concat(parts)
        n_t = d["school_id"].nunique()
        fit = _ols_cluster(d["change"].to_numpy(float), np.ones((len(d), 1)), d["school_id"].to_numpy())
        e, se = float(fit.params[0]), float(fit.bse[0])
        out[unit] = (e, e - z * se, e + z * se)
    return {"estimate": out, "n_treated": n_t, "n_control": 0}


def _rtm_point(panel: pd.DataFrame, cfg: dict, col: str, weights: pd.Series | None = None
               ) -> tuple[float, float, float, float]:
    """(naive, rtm component, adjusted, reliability) for one outcome column; weights = bootstrap counts."""
    wide = panel.pivot_table(index="school_id", columns="year", values=col, aggfunc="mean")
    if weights is not None:
        wide = wide.loc[weights.index.repeat(weights.to_numpy())]
    cohorts = sorted(set(panel["cohort"]) - {0})
    first = min(cohorts)
    pre_years = [y for y in wide.columns if y < first]
    coh = panel.groupby("school_id")["cohort"].first().reindex(wide.index).to_numpy()
    # reliability of a one-year index: mean cross-year covariance / mean variance (pre-programme years)
    covs, vars_ = [], []
    for i, a in enumerate(pre_years):
        vars_.append(np.nanvar(wide[a].to_numpy(float)))
        for b in pre_years[i + 1:]:
            m = wide[[a, b]].dropna().to_numpy(float)
            if len(m) > 2:
                covs.append(np.cov(m.T)[0, 1])
    if not covs:
        return np.nan, np.nan, np.nan, np.nan
    persistent = float(np.mean(covs))
    total = float(np.mean(vars_))
    mu = float(np.nanmean(wide[pre_years].to_numpy(float)))
    changes, rtms = [], []
    rel = np.nan
    for g in cohorts:
        sel = [y for y in _selection_years(cfg, g) if y in wide.columns]
        post = [y for y in wide.columns if y >= g]
        k = len(sel)
        # reliability of a k-year mean with equal year variances and covariances (all schools,
        # pre-programme years): cov / ((var + (k - 1) cov) / k)
        rel = min(1.0, persistent / ((total + (k - 1) * persistent) / k)) if total > 0 else np.nan
        P = wide[sel].mean(axis=1)
        tr = coh == g
        for y in post:
            ch = (wide.loc[tr, y] - P[tr]).to_numpy(float)
            ok = np.isfinite(ch)
            changes.append(ch[ok])
            rtms.append((-(1 - rel) * (P[tr].to_numpy(float) - mu))[ok])
    ch, rt = np.concatenate(changes), np.concatenate(rtms)
    naive = float(ch.mean())
    rtm = float(rt.mean())
    return naive, rtm, naive - rtm, rel


def rtm_adjusted(panel: pd.DataFrame, config: Mapping | None = None) -> dict:
    """Naive change minus the change expected from regression to the mean.

    Expected change without support for a school selected on a pre-period index ``P`` is
    ``-(1 - λ)(P - mean)``, with the reliability of a k-year mean ``λ = c / ((v + (k - 1) c) / k)`` (``c`` the
    mean covariance of two years' indices, ``v`` the mean variance) estimated from the
    pre-programme years of all schools (it assumes that the persistent part of results is stable
    and that luck does not carry over between years).  The interval is a school bootstrap.
    """
    cfg = load_effects_config(config)
    rcfg = cfg.get("rtm") or {}
    reps = int(rcfg.get("bootstrap_reps", 300))
    rng = np.random.default_rng(int(rcfg.get("seed", 0)))
    ids = pd.Index(sorted(panel["school_id"].unique()))
    out, comp = {}, {}
    alpha = 1 - float(cfg.get("ci_level", 0.95))
    boots = {u: [] for u in OUTCOMES}
    for _ in range(reps):
        cnt = pd.Series(np.bincount(rng.integers(0, len(ids), len(ids)), minlength=len(ids)), index=ids)
        cnt = cnt[cnt > 0]
        for unit, col in OUTCOMES.items():
            boots[unit].append(_rtm_point(panel, cfg, col, cnt)[2])
    for unit, col in OUTCOMES.items():
        naive, rtm, adj, rel = _rtm_point(panel, cfg, col)
        b = np.asarray(boots[unit], dtype=float)
        b = b[np.isfinite(b)]
        lo, hi = (np.quantile(b, [alpha / 2, 1 - alpha / 2]) if len(b) > 10 else (np.nan, np.nan))
        out[unit] = (adj, float(lo), float(hi))
        comp[unit] = {"naive": naive, "rtm_component": rtm, "reliability": rel}
    n_t = panel.loc[panel["cohort"] > 0, "school_id"].nunique()
    return {"estimate": out, "components": comp, "n_treated": n_t, "n_control": 0}


# --------------------------------------------------------------------------- DiD (pyfixest)

def _did_frame(panel: pd.DataFrame, col: str) -> pd.DataFrame:
    d = panel[["school_id", "municipality", "year", "cohort", "treat", "rel_year", "selection_year", col]]
    d = d.dropna(subset=[col]).rename(columns={col: "y"}).copy()
    d["school_id"] = d["school_id"].astype(str)
    d["municipality"] = d["municipality"].astype(str)
    d["treat"] = d["treat"].astype(bool)
    return d


def did_two_stage(panel: pd.DataFrame, config: Mapping | None = None) -> dict:
    """Staggered DiD: Gardner's two-stage estimator (pyfixest ``did2s``), school and year FE.

    The untreated-outcome model is fit on every untreated school-year, including the treated
    schools' selection years, so the estimate keeps the regression-to-the-mean bias.
    """
    import pyfixest as pf

    cfg = load_effects_config(config)
    cluster = (cfg.get("did") or {}).get("cluster", "school_id")
    z = _z(cfg)
    out = {}
    for unit, col in OUTCOMES.items():
        d = _did_frame(panel, col)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = pf.did2s(d, yname="y", first_stage="~ 0 | school_id + year", second_stage="~ treat",
                           treatment="treat", cluster=cluster)
        tid = fit.tidy()
        e, se = float(tid["Estimate"].iloc[0]), float(tid["Std. Error"].iloc[0])
        out[unit] = (e, e - z * se, e + z * se)
    n_t = panel.loc[panel["cohort"] > 0, "school_id"].nunique()
    n_c = panel.loc[panel["cohort"] == 0, "school_id"].nunique()
    return {"estimate": out, "n_treated": n_t, "n_control": n_c}


def event_study(panel: pd.DataFrame, config: Mapping | None = None) -> dict:
    """Event study (did2s) whose untreated-outcome model leaves out the selection years.

    Selection years and support years of a treated school are "affected" school-years: each gets
    a relative-year coefficient; school and year fixed effects come only from clean school-years
    (never-supported schools, and treated schools' years before their selection years).  The
    coefficients of the selection years show the Ashenfelter dip relative to the clean years.
    Cohorts with no clean year (all pre-years were selection years) are left out.

    Returns ``{"estimate": {unit: (att, lo, hi)}, "coefs": DataFrame(unit, rel_year, estimate, ci_low,
    ci_high, n_schools, kind), "cohorts_used", "cohorts_dropped", ...}``.
    """
    import pyfixest as pf

    cfg = load_effects_config(config)
    cluster = (cfg.get("did") or {}).get("cluster", "school_id")
    z = _z(cfg)
    excl = bool((cfg.get("did") or {}).get("event_exclude_selection_years", True))
    cohorts = sorted(set(panel["cohort"]) - {0})
    used, dropped = [], []
    for g in cohorts:
        sel = set(_selection_years(cfg, g)) if excl else set()
        clean = panel[(panel["cohort"] == g) & (panel["year"] < g) & ~panel["year"].isin(sel)]
        (used if len(clean) else dropped).append(g)
    out, coef_rows = {}, []
    p = panel[panel["cohort"].isin([0] + used)]
    for unit, col in OUTCOMES.items():
        d = _did_frame(p, col)
        affected = d["treat"] | (d["selection_year"] & excl)
        cells = sorted({(int(g), int(r)) for g, r in zip(d.loc[affected, "cohort"], d.loc[affected, "rel_year"],
                                                         strict=True)})
        if not cells:
            return {"estimate": {}, "coefs": pd.DataFrame(), "cohorts_used": used, "cohorts_dropped": dropped,
                    "n_treated": 0, "n_control": 0}
        names = []
        for g, r in cells:
            nm = f"c{g}_{'m' if r < 0 else 'p'}{abs(r)}"
            d[nm] = (affected & (d["cohort"] == g) & (d["rel_year"] == r)).astype(float)
            names.append(nm)
        # every affected school-year has its own cohort x relative-year dummy, so the school and year
        # effects come only from clean school-years: this is the imputation (did2s) estimator
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = pf.feols("y ~ " + " + ".join(names) + " | school_id + year", data=d,
                           vcov={"CRV1": cluster})
        coefnames = list(fit.coef().index)
        b_all = fit.coef().reindex(names).to_numpy(float)
        V_all = np.full((len(names), len(names)), np.nan)
        have = [i for i, n in enumerate(names) if n in coefnames]
        pos = [coefnames.index(names[i]) for i in have]
        V_all[np.ix_(have, have)] = np.asarray(fit._vcov)[np.ix_(pos, pos)]
        counts = np.array([d[n].sum() for n in names], dtype=float)
        rels = np.array([r for _, r in cells])
        for r in sorted(set(rels)):
            w = np.where(rels == r, counts, 0.0)
            w = w / w.sum()
            ok = w > 0
            bb = float(w[ok] @ b_all[ok])
            se = float(np.sqrt(w[ok] @ V_all[np.ix_(ok, ok)] @ w[ok]))
            coef_rows.append({"unit": unit, "rel_year": int(r), "estimate": bb, "ci_low": bb - z * se,
                              "ci_high": bb + z * se, "n_obs": int(counts[rels == r].sum()),
                              "kind": "поддержка" if r >= 0 else "годы отбора"})
        w = np.where(rels >= 0, counts, 0.0)
        w = w / w.sum()
        ok = w > 0
        att = float(w[ok] @ b_all[ok])
        se = float(np.sqrt(w[ok] @ V_all[np.ix_(ok, ok)] @ w[ok]))
        out[unit] = (att, att - z * se, att + z * se)
        # the clean reference years (0 by construction) for the plot
        for g in used:
            for y in sorted(d.loc[(d["cohort"] == g) & ~affected, "year"].unique()):
                if not any(rw["unit"] == unit and rw["rel_year"] == int(y - g) for rw in coef_rows):
                    coef_rows.append({"unit": unit, "rel_year": int(y - g), "estimate": 0.0, "ci_low": 0.0,
                                      "ci_high": 0.0, "n_obs": 0, "kind": "до отбора (база)"})
    n_t = panel.loc[panel["cohort"].isin(used), "school_id"].nunique()
    n_c = panel.loc[panel["cohort"] == 0, "school_id"].nunique()
    return {"estimate": out, "coefs": pd.DataFrame(coef_rows), "cohorts_used": used,
            "cohorts_dropped": dropped, "n_treated": n_t, "n_control": n_c}


# --------------------------------------------------------------------------- ANCOVA on selection results

def _stack(panel: pd.DataFrame, cfg: dict, col: str) -> tuple[pd.DataFrame, list[str]]:
    """Stacked cohort x year cells: change since the selection years, treatment, pre-programme indices."""
    wide = panel.pivot_table(index="school_id", columns="year", values=col, aggfunc="mean")
    coh = panel.groupby("school_id")["cohort"].first().reindex(wide.index)
    muni = panel.groupby("school_id")["municipality"].first().reindex(wide.index)
    years = sorted(wide.columns)
    parts = []
    max_pre = 0
    for g in sorted(set(coh) - {0}):
        sel = [y for y in _selection_years(cfg, g) if y in years]
        pre = [y for y in years if y < g]
        max_pre = max(max_pre, len(pre))
        P = wide[sel].mean(axis=1)
        for t in [y for y in years if y >= g]:
            keep = (coh == g) | (coh == 0) | (coh > t)
            keep &= ~((coh > 0) & (coh != g) & (coh <= max(sel)))  # treated during g's selection years
            sub = pd.DataFrame({"school_id": wide.index[keep], "municipality": muni[keep].to_numpy(),
                                "cell": f"{g}_{t}", "cohort": g, "year": t,
                                "D": (coh[keep] == g).astype(float).to_numpy(),
                                "dy": (wide.loc[keep, t] - P[keep]).to_numpy(float)})
            for k, y in enumerate(pre):
                sub[f"pre{k}"] = wide.loc[keep, y].to_numpy(float)
            parts.append(sub)
    st = pd.concat(parts, ignore_index=True)
    pre_cols = [f"pre{k}" for k in range(max_pre)]
    for c in pre_cols:
        if c not in st:
            st[c] = np.nan
    st = st.dropna(subset=["dy"])
    # a missing pre-year index is replaced by the school's mean pre index, flagged by an indicator
    prem = st[pre_cols].mean(axis=1)
    for c in pre_cols:
        miss = st[c].isna()
        if miss.any():
            st[c + "_miss"] = miss.astype(float)
            st[c] = st[c].fillna(prem)
    st = st.dropna(subset=pre_cols)
    cov_cols = [c for c in st.columns if c.startswith("pre")]
    return st, cov_cols


def ancova_selection(panel: pd.DataFrame, config: Mapping | None = None, return_cells: bool = False) -> dict:
    """DiD conditional on the pre-programme results that drove selection.

    For every cohort ``g`` and support year ``t``: among the cohort's schools and the clean comparison
    schools (never supported, or supported later than ``t``), the change of the result index from
    the selection years to ``t`` is regressed on treatment and on each pre-programme yearly index
    (cell-specific intercepts and slopes).  Selection was a function of those results, so comparison
    schools with the same pre-programme results show the same regression to the mean.  The
    cell effects are averaged with weights = treated schools per cell; errors are clustered by school
    (one OLS on the stacked cells) or by municipality.  Identification extrapolates the linear
    relation between pre-programme results and change across the cut-off (as a global RDD does).
    """
    cfg = load_effects_config(config)
    cluster = (cfg.get("did") or {}).get("cluster", "school_id")
    z = _z(cfg)
    out, cells_out = {}, {}
    n_t = n_c = 0
    for unit, col in OUTCOMES.items():
        st, cov_cols = _stack(panel, cfg, col)
        cells = sorted(st["cell"].unique())
        blocks = []
        names = []
        for c in cells:
            mask = (st["cell"] == c).to_numpy()
            m = mask.astype(float)[:, None]
            # keep the covariates that vary in this cell and are not collinear with those kept
            base = np.column_stack([np.ones(mask.sum()), st.loc[mask, "D"].to_numpy(float)])
            use = []
            for v in cov_cols:
                cand = np.column_stack([base] + [st.loc[mask, u].to_numpy(float) for u in use + [v]])
                if np.linalg.matrix_rank(cand) == cand.shape[1]:
                    use.append(v)
            blk = np.hstack([m, m * st[["D"]].to_numpy(float), m * st[use].to_numpy(float)])
            blocks.append(blk)
            names += [f"{c}:const", f"{c}:D"] + [f"{c}:{v}" for v in use]
        X = np.hstack(blocks)
        keep = np.abs(X).sum(axis=0) > 0
        X, names = X[:, keep], [n for n, k in zip(names, keep, strict=True) if k]
        fit = _ols_cluster(st["dy"].to_numpy(float), X, st[cluster].to_numpy())
        d_idx = [names.index(f"{c}:D") for c in cells]
        w = np.array([st.loc[st["cell"] == c, "D"].sum() for c in cells], dtype=float)
        w = w / w.sum()
        b = np.asarray(fit.params)[d_idx]
        V = np.asarray(fit.cov_params())[np.ix_(d_idx, d_idx)]
        att = float(w @ b)
        se = float(np.sqrt(w @ V @ w))
        out[unit] = (att, att - z * se, att + z * se)
        cells_out[unit] = pd.DataFrame({"cell": cells, "estimate": b, "se": np.sqrt(np.diag(V)), "weight": w})
        n_t = st.loc[st["D"] == 1, "school_id"].nunique()
        n_c = st.loc[st["D"] == 0, "school_id"].nunique()
        wb = cfg.get("wild_bootstrap") or {}
        n_cl = st[cluster].nunique()
        if n_cl < int(wb.get("min_clusters_without", 40)):
            lo, hi = _wild_cluster_ci(st["dy"].to_numpy(float), X, st[cluster].to_numpy(), w, d_idx, wb, cfg)
            out[unit] = (att, lo, hi)
    res = {"estimate": out, "n_treated": n_t, "n_control": n_c}
    if return_cells:
        res["cells"] = cells_out
    return res


def _wild_cluster_ci(y, X, groups, w, d_idx, wb: dict, cfg: dict) -> tuple[float, float]:
    """Wild cluster bootstrap-t interval (Rademacher weights, unrestricted residuals) for w'b."""
    rng = np.random.default_rng(int(wb.get("seed", 0)))
    reps = int(wb.get("reps", 499))
    codes = pd.factorize(pd.Series(groups).astype("string"))[0]
    G = codes.max() + 1
    XtX_inv = np.linalg.pinv(X.T @ X)
    beta = XtX_inv @ X.T @ y
    resid = y - X @ beta
    a = np.zeros(X.shape[1])
    a[d_idx] = w

    def se_of(res):
        scores = np.zeros((G, X.shape[1]))
        np.add.at(scores, codes, X * res[:, None])
        v = XtX_inv @ (scores.T @ scores) @ XtX_inv
        return float(np.sqrt(a @ v @ a))

    est = float(a @ beta)
    se0 = se_of(resid)
    ts = []
    for _ in range(reps):
        s = rng.choice([-1.0, 1.0], size=G)[codes]
        yb = X @ beta + resid * s
        bb = XtX_inv @ X.T @ yb
        rb = yb - X @ bb
        ts.append((float(a @ bb) - est) / se_of(rb))
    alpha = 1 - float(cfg.get("ci_level", 0.95))
    q_lo, q_hi = np.quantile(ts, [alpha / 2, 1 - alpha / 2])
    return est - q_hi * se0, est - q_lo * se0


# --------------------------------------------------------------------------- regression adjustment on the selection index

def selection_covariates(dataset, panel: pd.DataFrame, config: Mapping | None = None) -> pd.DataFrame:
    """Per school: the exact selection index of every cohort's rule and the school's size in those years.

    Columns ``S_<g>`` (the index the rule ranked, :func:`selection_index` with the configured cell
    weighting), ``n_<g>`` (participants over the selection years: the index's reliability grows with
    it) and ``cut_<g>`` (the rule's cut-off: the ``bottom_share`` quantile over all schools).
    """
    cfg = load_effects_config(config)
    weighting = (cfg.get("selection") or {}).get("cell_weighting", "unweighted")
    ids = pd.Index(sorted(panel["school_id"].astype("string").unique()), name="school_id")
    out = pd.DataFrame(index=ids)
    res = dataset.results
    for g in sorted(set(panel["cohort"]) - {0}):
        sel = _selection_years(cfg, g)
        S = selection_index(res, sel, weighting)
        S.index = S.index.astype("string")
        r = res[res["year"].isin(sel).fillna(False) & (res["participants"].fillna(0) > 0)]
        n = r.groupby(r["school_id"].astype("string"))["participants"].sum().astype(float)
        out[f"S_{g}"] = S.reindex(ids).to_numpy(float)
        out[f"n_{g}"] = n.reindex(ids).to_numpy(float)
        out[f"cut_{g}"] = float(S.quantile(_bottom_share(cfg, g)))
    ctx_cols = list((cfg.get("selection_adjusted") or {}).get("context_columns") or [])
    ctx = dataset.get("context") if ctx_cols else None
    if ctx is not None and len(ctx):
        first = min(set(panel["cohort"]) - {0}, default=None)
        c = ctx[ctx["year"].astype(float) < first] if first is not None else ctx
        for col in [c_ for c_ in ctx_cols if c_ in c.columns]:
            v = c.groupby(c["school_id"].astype("string"))[col].agg(lambda x: x.astype(float).mean())
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
            cols.append(x ** p)
        cols.append(S)
        for p in range(1, degree + 1):
            cols.append(S * x ** p)
    # pre-programme context (the prior mean of quality): main effect and interaction with size
    if cohorts:
        x = np.log(np.maximum(cov[f"n_{cohorts[0]}"].to_numpy(float), 1.0))
        x = x - np.nanmedian(x)
        for c in [c for c in cov.columns if c.startswith("ctx_")]:
            v = cov[c].to_numpy(float)
            v = (v - np.nanmean(v)) / (np.nanstd(v) or 1.0)
            cols += [v, v * x]
    return np.column_stack(cols) if cols else np.empty((len(cov), 0))


def selection_adjusted(panel: pd.DataFrame, config: Mapping | None = None, dataset=None,
                       covariates: pd.DataFrame | None = None, return_cells: bool = False) -> dict:
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
    acfg = cfg.get("selection_adjusted") or {}
    degree = int(acfg.get("size_degree", 2))
    use_pre = bool(acfg.get("pre_year_indices", False))
    muni_fe = bool(acfg.get("municipality_effects", False))
    cluster = (cfg.get("did") or {}).get("cluster", "school_id")
    z = _z(cfg)
    if covariates is None:
        if dataset is None:
            raise ValueError("selection_adjusted: нужен набор данных или таблица индексов отбора")
        covariates = selection_covariates(dataset, panel, cfg)
    cov = covariates.copy()
    cov.index = cov.index.astype("string")
    wide_all = {u: panel.pivot_table(index="school_id", columns="year", values=col, aggfunc="mean")
                for u, col in OUTCOMES.items()}
    ids = cov.index
    coh = panel.groupby("school_id")["cohort"].first().reindex(ids).fillna(0).astype(int).to_numpy()
    muni = panel.groupby("school_id")["municipality"].first().reindex(ids).astype("string")
    clus = (pd.Series(ids, index=ids) if cluster == "school_id" else muni).to_numpy()
    cohorts = sorted(set(coh) - {0})
    years = sorted(panel["year"].unique())
    out, cells_out = {}, {}
    n_t = n_c = 0
    for unit, wide in wide_all.items():
        wide = wide.copy()
        wide.index = wide.index.astype("string")
        wide = wide.reindex(ids)
        tau: dict[tuple[int, int], float] = {}
        inf: dict[tuple[int, int], np.ndarray] = {}
        ntr: dict[tuple[int, int], int] = {}
        treated_ids, control_ids = set(), set()
        for g in sorted(cohorts, reverse=True):
            earlier = [k for k in cohorts if k <= g]
            B = _selection_basis(cov, earlier, degree)
            pre = [y for y in years if y < g] if use_pre else []
            for t in [y for y in years if y >= g]:
                later = [h for h in cohorts if g < h <= t]
                pop = ((coh == 0) | (coh >= g)) & np.isfinite(wide[t].to_numpy(float))
                pop &= np.isfinite(B).all(axis=1)
                if pre:
                    pop &= np.isfinite(wide[pre].to_numpy(float)).all(axis=1)
                D = (coh == g).astype(float)
                if D[pop].sum() < 2 or (pop & (D == 0)).sum() < B.shape[1] + 5:
                    continue
                if any((h, t) not in tau for h in later):
                    continue
                idx = np.where(pop)[0]
                y = wide[t].to_numpy(float)[idx].copy()
                for h in later:
                    y -= tau[(h, t)] * (coh[idx] == h)
                cols = [np.ones(len(idx)), D[idx], B[idx]]
                if pre:
                    cols.append(wide[pre].to_numpy(float)[idx])
                if muni_fe:
                    cols.append(pd.get_dummies(muni.to_numpy()[idx], drop_first=True, dtype=float).to_numpy())
                X = np.column_stack(cols)
                XtX_inv = np.linalg.pinv(X.T @ X)
                A = XtX_inv @ X.T
                beta = A @ y
                e = y - X @ beta
                k = int(np.linalg.matrix_rank(X))
                dof = np.sqrt(len(idx) / max(len(idx) - k, 1))
                a = A[1]
                f = np.zeros(len(ids))
                f[idx] = a * e * dof
                for h in later:
                    f -= float(a @ (coh[idx] == h).astype(float)) * inf[(h, t)]
                tau[(g, t)] = float(beta[1])
                inf[(g, t)] = f
                ntr[(g, t)] = int(D[idx].sum())
                treated_ids |= set(ids[idx][D[idx] == 1])
                control_ids |= set(ids[idx][D[idx] == 0])
        if not tau:
            continue
        keys = sorted(tau)
        w = np.array([ntr[c] for c in keys], dtype=float)
        w = w / w.sum()
        att = float(sum(wi * tau[c] for wi, c in zip(w, keys, strict=True)))
        f = sum(wi * inf[c] for wi, c in zip(w, keys, strict=True))
        by = pd.Series(f).groupby(pd.factorize(pd.Series(clus).astype("string"))[0]).sum().to_numpy()
        G = len(by)
        se = float(np.sqrt(G / max(G - 1, 1) * (by ** 2).sum()))
        out[unit] = (att, att - z * se, att + z * se)
        cse = []
        for c in keys:
            bc = pd.Series(inf[c]).groupby(pd.factorize(pd.Series(clus).astype("string"))[0]).sum().to_numpy()
            cse.append(float(np.sqrt(G / max(G - 1, 1) * (bc ** 2).sum())))
        cells_out[unit] = pd.DataFrame({"cohort": [c[0] for c in keys], "year": [c[1] for c in keys],
                                        "estimate": [tau[c] for c in keys], "se": cse,
                                        "n_treated": [ntr[c] for c in keys], "weight": w})
        n_t, n_c = len(treated_ids), len(control_ids)
    res = {"estimate": out, "n_treated": n_t, "n_control": n_c}
    if return_cells:
        res["cells"] = cells_out
    return res


# --------------------------------------------------------------------------- matching

def _context_for_matching(dataset, year: int, feats: list[str]) -> tuple[pd.DataFrame, pd.Series | None]:
    try:
        from shnro_lib import context as ctx
    except ImportError:  # pragma: no cover
        return pd.DataFrame(), None
    try:
        cf = ctx.context_features(dataset, year)
        Z = cf.z[[f for f in feats if f in cf.z.columns]]
    except Exception:  # noqa: BLE001 — no context table: match on results only
        Z = pd.DataFrame()
    try:
        cl = ctx.cluster_schools(dataset, year).set_index("school_id")["cluster"]
    except Exception:  # noqa: BLE001
        cl = None
    return Z, cl


def matching_estimate(dataset, panel: pd.DataFrame, config: Mapping | None = None) -> dict:
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
    mcfg = cfg.get("matching") or {}
    k = int(mcfg.get("k", 3))
    z = _z(cfg)
    cohorts = sorted(set(panel["cohort"]) - {0})
    years = sorted(panel["year"].unique())
    first = min(cohorts)
    Zc, clusters = _context_for_matching(dataset, first - 1, list(mcfg.get("context_features") or []))
    out, balance = {}, []
    n_t = n_c = 0
    for unit, col in OUTCOMES.items():
        wide = panel.pivot_table(index="school_id", columns="year", values=col, aggfunc="mean")
        coh = panel.groupby("school_id")["cohort"].first().reindex(wide.index)
        tau_num, var_num, w_tot = 0.0, 0.0, 0.0
        ctrl_used: set = set()
        for g in cohorts:
            sel = _selection_years(cfg, g)
            pre = [y for y in years if y < g]
            post = [y for y in years if y >= g]
            P = wide[[y for y in sel if y in wide.columns]].mean(axis=1)
            dy = wide[post].sub(P, axis=0).mean(axis=1)
            npost = wide[post].notna().sum(axis=1)
            ctrl = (coh == 0)
            X = wide[pre].copy()
            X.columns = [f"Индекс результатов {y}" for y in pre]
            if len(Zc):
                X = X.join(Zc, how="left")
            X = X.dropna()
            T = X.index[(coh.reindex(X.index) == g).to_numpy() & dy.reindex(X.index).notna().to_numpy()]
            C = X.index[ctrl.reindex(X.index).to_numpy() & dy.reindex(X.index).notna().to_numpy()]
            if len(T) == 0 or len(C) < k + 2:
                continue
            mu, sd = X.loc[C].mean(), X.loc[C].std().replace(0, 1)
            Xs = (X - mu) / sd
            yc = dy[C].to_numpy(float)
            # control outcome regression for the bias adjustment
            A = np.column_stack([np.ones(len(C)), Xs.loc[C].to_numpy(float)])
            beta = np.linalg.lstsq(A, yc, rcond=None)[0]
            sig2_c = float(np.var(yc - A @ beta, ddof=A.shape[1]))
            Kcount = pd.Series(0.0, index=C)
            diffs, wts = [], []
            matched_w = pd.Series(0.0, index=C)
            for s in T:
                pool = C
                if mcfg.get("within_cluster", True) and clusters is not None and s in clusters.index:
                    same = C[clusters.reindex(C).to_numpy() == clusters[s]]
                    if len(same) >= k:
                        pool = same
                dist = ((Xs.loc[pool] - Xs.loc[s]) ** 2).sum(axis=1).to_numpy()
                nn = pool[np.argsort(dist, kind="stable")[:k]]
                adj = 0.0
                if mcfg.get("bias_adjust", True):
                    xs = np.r_[1.0, Xs.loc[s].to_numpy(float)]
                    xn = np.column_stack([np.ones(len(nn)), Xs.loc[nn].to_numpy(float)])
                    adj = float(xs @ beta - (xn @ beta).mean())
                y0 = float(dy[nn].mean()) + adj
                diffs.append(float(dy[s]) - y0)
                wts.append(float(npost[s]))
                Kcount[nn] += float(npost[s]) / k
                matched_w[nn] += 1.0 / k
            diffs, wts = np.asarray(diffs), np.asarray(wts)
            tau_num += float((wts * diffs).sum())
            w_tot += float(wts.sum())
            # variance: treated part (within-group spread of diffs) + reuse of controls
            var_num += float((wts ** 2 * (diffs - (wts * diffs).sum() / wts.sum()) ** 2).sum())
            var_num += float((Kcount ** 2).sum() * sig2_c)
            ctrl_used |= set(matched_w[matched_w > 0].index)
            if unit == "sd":
                for c in X.columns:
                    t_mean = X.loc[T, c].mean()
                    pooled = np.sqrt((X.loc[T, c].var() + X.loc[C, c].var()) / 2) or 1.0
                    mw = matched_w[matched_w > 0]
                    m_mean = float(np.average(X.loc[mw.index, c], weights=mw))
                    balance.append({"cohort": g, "variable": c,
                                    "smd_before": (t_mean - X.loc[C, c].mean()) / pooled,
                                    "smd_after": (t_mean - m_mean) / pooled})
            n_t_g = len(T)
            n_t = n_t + n_t_g if unit == "sd" else n_t
        if w_tot == 0:
            continue
        tau = tau_num / w_tot
        se = np.sqrt(var_num) / w_tot
        out[unit] = (tau, tau - z * se, tau + z * se)
        n_c = len(ctrl_used)
    return {"estimate": out, "balance": pd.DataFrame(balance), "n_treated": n_t, "n_control": n_c}


# --------------------------------------------------------------------------- RDD

def rdd_data(dataset, panel: pd.DataFrame, config: Mapping | None = None) -> pd.DataFrame:
    """Stacked RDD data: per cohort, running variable = selection index − cut-off, first-year change.

    The cut-off is the ``bottom_share`` quantile of the selection index over all schools (as the
    rule says); for later cohorts only schools not yet supported are eligible.  Treated = the
    school's actual cohort; ``rule_treated`` = running <= 0 among eligible schools.
    """
    cfg = load_effects_config(config)
    weighting = (cfg.get("selection") or {}).get("cell_weighting", "unweighted")
    coh = panel.groupby("school_id")["cohort"].first()
    parts = []
    for g in sorted(set(coh) - {0}):
        sel = _selection_years(cfg, g)
        S = selection_index(dataset.results, sel, weighting)
        cut = float(S.quantile(_bottom_share(cfg, g)))
        elig = S.index[~((coh.reindex(S.index).fillna(0) > 0) & (coh.reindex(S.index).fillna(0) < g)).to_numpy()]
        d = pd.DataFrame({"school_id": elig, "cohort": g, "running": (S[elig] - cut).to_numpy(float)})
        d["treated"] = (coh.reindex(elig).fillna(0).to_numpy() == g)
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


def _local_linear(x: np.ndarray, y: np.ndarray, h: float, cohort: np.ndarray | None = None
                  ) -> tuple[float, float, int, int]:
    """Sharp RD at 0, treated side x >= 0, triangular kernel, HC1 SE. (tau, se, n_left, n_right)."""
    import statsmodels.api as sm

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
    fit = sm.WLS(y, X, weights=w).fit(cov_type="HC1")
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


def rdd_estimate(dataset, panel: pd.DataFrame, config: Mapping | None = None, data: pd.DataFrame | None = None
                 ) -> dict:
    """Regression discontinuity at the selection cut-off (first-year effect, cohorts stacked).

    Running variable ``x = cut-off − selection index`` (so supported schools have ``x >= 0``);
    outcome = change of the first support year's index from the selection years.  ``rdrobust``
    (MSE-optimal bandwidth, robust bias-corrected interval) when installed and enabled, else a local
    linear fit with triangular kernel, cross-validated bandwidth and HC1 errors.  Also returns the
    placebo cut-offs, the density check and the compliance with the rule.
    """
    cfg = load_effects_config(config)
    rcfg = cfg.get("rdd") or {}
    z = _z(cfg)
    d = data if data is not None else rdd_data(dataset, panel, cfg)
    info: dict[str, Any] = {"compliance": float((d["treated"] == d["rule_treated"]).mean()) if len(d) else np.nan}
    out = {}
    if not len(d) or info["compliance"] < float((cfg.get("selection") or {}).get("min_compliance", 0.9)):
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
        used = False
        if rcfg.get("use_rdrobust", True):
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
                out[unit] = (tau, lo, hi)
                bw[unit] = float(r.bws.iloc[0, 0])
                nl, nr = int(r.N_h[0]), int(r.N_h[1])
                info["method"] = "rdrobust (MSE-оптимальная полоса, робастный интервал с поправкой на смещение)"
                used = True
            except Exception as exc:  # noqa: BLE001
                info["rdrobust_error"] = f"{type(exc).__name__}: {str(exc)[:120]}"
        if not used:
            h = rcfg.get("bandwidth", "cv")
            if h == "cv":
                h = _cv_bandwidth(x, y, list(rcfg.get("bandwidth_grid", [0.2, 0.3, 0.5])), int(rcfg.get("min_obs_side", 15)))
            tau, se, nl, nr = _local_linear(x, y, float(h), coh)
            out[unit] = (tau, tau - z * se, tau + z * se)
            bw[unit] = float(h)
            info["method"] = "локальная линейная регрессия, треугольное ядро, полоса по кросс-валидации"
        # placebo cut-offs: within one side only
        h = bw[unit]
        for shift in rcfg.get("placebo_cutoffs", []):
            c = -float(shift)  # running shift in index units; x = -running
            side = x >= 0 if c > 0 else x < 0
            xp, yp = x[side] - c, y[side]
            try:
                tp, sp, _, _ = _local_linear(xp, yp, h, coh[side])
                placebo.append({"unit": unit, "cutoff_shift": float(shift), "estimate": tp,
                                "ci_low": tp - z * sp, "ci_high": tp + z * sp})
            except Exception:  # noqa: BLE001
                pass
    wdw = float(rcfg.get("density_window", 0.1))
    n_left = int(((x_all < 0) & (x_all > -wdw)).sum())
    n_right = int(((x_all >= 0) & (x_all < wdw)).sum())
    pval = float(stats.binomtest(n_right, n_left + n_right, 0.5).pvalue) if n_left + n_right else np.nan
    info.update({"bandwidth": bw, "density_left": n_left, "density_right": n_right, "density_p": pval,
                 "placebo": pd.DataFrame(placebo)})
    return {"estimate": out, "info": info, "n_treated": nr, "n_control": nl, "data": d}


# --------------------------------------------------------------------------- Callaway–Sant'Anna

def callaway_santanna(panel: pd.DataFrame, config: Mapping | None = None) -> dict:
    """Callaway–Sant'Anna ATT (moderndid ``att_gt`` + ``aggte(type='simple')``, never-treated controls).

    Its base period for each cohort is the year before support — a selection year — so it keeps
    the regression-to-the-mean bias like ``did``.  Errors are recorded, not hidden.
    """
    cfg = load_effects_config(config)
    z = _z(cfg)
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
                mp = att_gt(d, yname="y", tname="year", idname="id", gname="cohort",
                            control_group="nevertreated", est_method="reg", base_period="universal")
                ag = aggte(mp, type="simple")
            e, se = float(ag.overall_att), float(ag.overall_se)
            out[unit] = (e, e - z * se, e + z * se)
    except Exception as exc:  # noqa: BLE001
        err = f"{type(exc).__name__}: {str(exc)[:200]}"
    n_t = panel.loc[panel["cohort"] > 0, "school_id"].nunique()
    n_c = panel.loc[panel["cohort"] == 0, "school_id"].nunique()
    return {"estimate": out, "error": err, "n_treated": n_t, "n_control": n_c}


# --------------------------------------------------------------------------- the estimator table

NOTES_RU = {
    "naive_pre_post": "Изменение результатов школ программы от лет отбора к годам поддержки, без группы "
                      "сравнения. Завышено: школы отбирались по неудачным годам (регрессия к среднему).",
    "rtm_adjusted": "Наивная оценка минус ожидаемая регрессия к среднему −(1−надёжность)×(отклонение в годы "
                    "отбора); одна надёжность для всех школ (у малых школ она ниже), поэтому поправка "
                    "неточна — показана как иллюстрация. Интервал — бутстреп по школам.",
    "selection_adjusted": "Предпочтительная. Регрессионная поправка на точный индекс правила отбора "
                          "(с учётом размера школы: у малых школ индекс менее надёжен) и на социальный контекст до программы; отбор — пороговое "
                          "правило по этому индексу, поэтому при равном индексе участие случайно. Для "
                          "когорт с поэтапным стартом сравнение только со школами, ещё не участвовавшими; "
                          "эффект поздних когорт вычитается. Допущение: гладкая (линейная по индексу) "
                          "связь результата с индексом продолжается через порог. Среднее по школо-годам "
                          "поддержки.",
    "ancova_pre_years": "ANCOVA на индексы отдельных лет до программы (не на индекс правила): не снимает "
                        "отбор полностью и занижает эффект; оставлена для сравнения.",
    "did_unadjusted": "Разность разностей с поэтапным стартом (did2s: фиксированные эффекты школы и года, ошибки "
                      "кластеризованы). Смещена вверх «провалом Ашенфельтера»: для когорты 2022 года все годы до "
                      "старта — годы отбора. Показана для контраста.",
    "event_study": "Событийный анализ; годы отбора исключены из базы и показаны отдельно (провал); только "
                   "когорты с годом до отбора. Смещён: база этих когорт отобрана по удачным прежним годам "
                   "(они не попали в первую когорту). Среднее по годам поддержки этих когорт.",
    "matching": "Ближайшие соседи по результатам до программы и контексту внутри контекстного кластера, "
                "с регрессионной поправкой на смещение. Перекрытия по индексу отбора нет, размер школы "
                "не учтён в поправке: опора на экстраполяцию.",
    "rdd": "Разрывная регрессия у порога отбора (локальная проверка): эффект ПЕРВОГО года поддержки для "
           "школ у порога; сравнивать с эффектом первого года, а не со средним за все годы. Шумная.",
    "callaway_santanna": "Каллауэй–Сант'Анна (moderndid), контроль — никогда не участвовавшие; база — год "
                         "перед стартом (год отбора), поэтому, как и did2s, завышена.",
}


def programme_effects(dataset, config: str | Path | Mapping | None = None, estimators: list[str] | None = None,
                      details: bool = False) -> pd.DataFrame | tuple[pd.DataFrame, dict]:
    """The estimator table: one row per estimator, one marked ``preferred``.

    Parameters
    ----------
    dataset : a loaded :class:`shnro_lib.io.Dataset` with ``results`` and ``programme``.
    config : effects configuration (see :func:`load_effects_config`).
    estimators : subset of ``naive_pre_post, rtm_adjusted, did_unadjusted, event_study, did, matching,
        rdd, callaway_santanna`` (default: all).
    details : also return a dict with the intermediate results (event-study coefficients, balance
        table, RDD data and checks, RTM components, panel).

    Returns
    -------
    DataFrame with columns ``estimator, estimate_pp, ci_low_pp, ci_high_pp, estimate_sd, ci_low_sd,
    ci_high_sd, n_treated, n_control, preferred, note``.
    """
    cfg = load_effects_config(config)
    if not dataset.has("programme"):
        raise ValueError("Нет таблицы программы (programme): эффекты программы не оцениваются")
    panel = result_panel(dataset, cfg)
    if not (panel["cohort"] > 0).any():
        raise ValueError("В таблице программы нет школ-участниц")
    all_est = ["naive_pre_post", "rtm_adjusted", "selection_adjusted", "rdd", "did_unadjusted", "event_study",
               "matching", "callaway_santanna"]
    if not (cfg.get("did") or {}).get("callaway_santanna", True):
        all_est.remove("callaway_santanna")
    todo = estimators or all_est
    rows, det = [], {"panel": panel}
    for name in todo:
        note = NOTES_RU.get(name, "")
        try:
            if name == "naive_pre_post":
                r = naive_pre_post(panel, cfg)
                comp = {u: _rtm_point(panel, cfg, col)[1] for u, col in OUTCOMES.items()}
                det["rtm_component"] = comp
                note += (f" Ожидаемая без поддержки регрессия к среднему (по надёжности индекса): "
                         f"{comp['pp']:+.2f} п.п. ({comp['sd']:+.3f} SD).")
            elif name == "rtm_adjusted":
                r = rtm_adjusted(panel, cfg)
                det["rtm"] = r["components"]
                c = r["components"]["sd"]
                note += f" Надёжность {c['reliability']:.2f}; ожидаемая регрессия к среднему {c['rtm_component']:.3f} SD."
            elif name == "did_unadjusted":
                r = did_two_stage(panel, cfg)
            elif name == "event_study":
                r = event_study(panel, cfg)
                det["event_study"] = r["coefs"]
                if r["cohorts_dropped"]:
                    note += (" Без когорт " + ", ".join(map(str, r["cohorts_dropped"]))
                             + ": все их годы до старта — годы отбора.")
            elif name == "selection_adjusted":
                r = selection_adjusted(panel, cfg, dataset=dataset, return_cells=True)
                det["selection_adjusted_cells"] = r["cells"]
            elif name == "ancova_pre_years":
                r = ancova_selection(panel, cfg, return_cells=True)
                det["ancova_cells"] = r["cells"]
            elif name == "matching":
                r = matching_estimate(dataset, panel, cfg)
                det["balance"] = r["balance"]
            elif name == "rdd":
                r = rdd_estimate(dataset, panel, cfg)
                det["rdd"] = r["info"]
                det["rdd_data"] = r["data"]
                inf = r["info"]
                if r["estimate"]:
                    note += (f" Соответствие правилу {inf['compliance']:.0%}; полоса {inf['bandwidth'].get('sd', np.nan):.2f} SD;"
                             f" плотность у порога {inf['density_left']}/{inf['density_right']} (p={inf['density_p']:.2f}).")
                else:
                    note = inf.get("reason", note)
            elif name == "callaway_santanna":
                r = callaway_santanna(panel, cfg)
                if r["error"]:
                    note = "Не оценено: " + r["error"]
            else:
                raise ValueError(f"Неизвестный метод «{name}»")
        except Exception as exc:  # noqa: BLE001 — one failing design must not hide the others
            r = {"estimate": {}, "n_treated": 0, "n_control": 0}
            note = f"Не оценено: {type(exc).__name__}: {str(exc)[:150]}"
        rows.append(_row(name, r["estimate"], r.get("n_treated", 0), r.get("n_control", 0), note))
    tab = pd.DataFrame(rows)
    pref = cfg.get("preferred", "selection_adjusted")
    tab["preferred"] = (tab["estimator"] == pref) & tab["estimate_sd"].notna()
    if tab["preferred"].any() and (tab["estimator"] == "naive_pre_post").any():
        p_pp = float(tab.loc[tab["preferred"], "estimate_pp"].iloc[0])
        i = tab.index[tab["estimator"] == "naive_pre_post"][0]
        if np.isfinite(tab.at[i, "estimate_pp"]):
            tab.at[i, "note"] += (f" Превышает предпочтительную оценку на "
                                  f"{tab.at[i, 'estimate_pp'] - p_pp:.2f} п.п.")
    if not tab["preferred"].any():
        for alt in ("selection_adjusted",):
            m = (tab["estimator"] == alt) & tab["estimate_sd"].notna()
            if m.any():
                tab["preferred"] = m
                break
    tab = tab[TABLE_COLUMNS]
    return (tab, det) if details else tab


# --------------------------------------------------------------------------- «вход–выход»

def paired_hedges_g(before: np.ndarray, after: np.ndarray, ci_level: float = 0.95) -> dict:
    """Paired standardised mean change ``g_av`` with its interval.

    ``d_av = mean(after − before) / sqrt((sd_before² + sd_after²) / 2)``; Hedges' small-sample
    correction ``J = 1 − 3 / (4(n − 1) − 1)``; variance (Borenstein et al., 2009, paired design)
    ``V_d = (1/n + d²/(2n)) · 2(1 − r)``, ``r`` the before–after correlation; ``g = J d``,
    ``SE_g = J sqrt(V_d)``.
    """
    b, a = np.asarray(before, float), np.asarray(after, float)
    ok = np.isfinite(a) & np.isfinite(b)
    b, a = b[ok], a[ok]
    n = len(a)
    if n < 3:
        return {"n": n, "mean_change": np.nan, "g": np.nan, "ci_low": np.nan, "ci_high": np.nan, "r": np.nan}
    diff = a - b
    s_av = np.sqrt((b.var(ddof=1) + a.var(ddof=1)) / 2)
    d = diff.mean() / s_av if s_av > 0 else np.nan
    r = float(np.corrcoef(b, a)[0, 1]) if b.std() > 0 and a.std() > 0 else 0.0
    J = 1 - 3 / (4 * (n - 1) - 1)
    V = (1 / n + d ** 2 / (2 * n)) * 2 * (1 - r)
    z = stats.norm.ppf(0.5 + ci_level / 2)
    g = J * d
    se = J * np.sqrt(V)
    t = stats.t.ppf(0.5 + ci_level / 2, n - 1)
    se_m = diff.std(ddof=1) / np.sqrt(n)
    return {"n": n, "mean_before": float(b.mean()), "mean_after": float(a.mean()), "mean_change": float(diff.mean()),
            "change_ci_low": float(diff.mean() - t * se_m), "change_ci_high": float(diff.mean() + t * se_m),
            "g": float(g), "ci_low": float(g - z * se), "ci_high": float(g + z * se), "r": r,
            "share_improved": float((diff > 0).mean())}


def input_output(dataset, config: str | Path | Mapping | None = None) -> pd.DataFrame:
    """«Вход–выход»: paired change between the entry and exit diagnostics, per subject and overall.

    Scores are percent of the maximum; a school's subject score is the participant-weighted mean over
    grades, its overall score the participant-weighted mean over subjects.  For programme schools,
    comparison schools (diagnostics of schools outside the programme) and the difference between the
    groups (difference of mean changes, Welch interval; it removes the gain every school shows between
    waves, e.g. from practice).  Returns one row per group × subject.
    """
    cfg = load_effects_config(config)
    icfg = cfg.get("input_output") or {}
    diag = dataset.get("diagnostics")
    if diag is None or diag.empty:
        raise ValueError("Нет таблицы диагностик (diagnostics): анализ «вход–выход» невозможен")
    w_in, w_out = icfg.get("wave_in", "вход"), icfg.get("wave_out", "выход")
    d = diag[diag["wave"].isin([w_in, w_out]).fillna(False) & (diag["participants"].fillna(0)
                                                              >= int(icfg.get("min_participants", 1)))].copy()
    d = d[d["max_score"] > 0]
    d["pct"] = d["mean_score"].astype(float) / d["max_score"].astype(float) * 100
    d["w"] = d["participants"].astype(float)
    d["wp"] = d["w"] * d["pct"]
    coh = programme_cohorts(dataset)
    d["group"] = np.where(d["school_id"].map(coh).fillna(0).astype(int).to_numpy() > 0, "программа", "сравнение")
    ci = float(cfg.get("ci_level", 0.95))

    def per_school(sub: pd.DataFrame) -> pd.DataFrame:
        a = sub.groupby(["group", "school_id", "wave"])[["wp", "w"]].sum()
        a = (a["wp"] / a["w"]).unstack("wave")
        return a.dropna(subset=[w_in, w_out]) if w_in in a and w_out in a else a.iloc[0:0]

    rows = []
    subjects = ["Все предметы"] + sorted(d["subject"].dropna().unique())
    for subj in subjects:
        sub = d if subj == "Все предметы" else d[d["subject"] == subj]
        ps = per_school(sub)
        changes = {}
        for grp in ("программа", "сравнение"):
            if grp not in ps.index.get_level_values("group"):
                continue
            s = ps.xs(grp, level="group")
            res = paired_hedges_g(s[w_in].to_numpy(), s[w_out].to_numpy(), ci)
            changes[grp] = (s[w_out] - s[w_in]).to_numpy(float)
            rows.append({"group": grp, "subject": subj, "n_schools": res["n"],
                         "mean_in": res.get("mean_before", np.nan), "mean_out": res.get("mean_after", np.nan),
                         "change_pp": res["mean_change"], "change_ci_low": res.get("change_ci_low", np.nan),
                         "change_ci_high": res.get("change_ci_high", np.nan), "hedges_g": res["g"],
                         "g_ci_low": res["ci_low"], "g_ci_high": res["ci_high"],
                         "share_improved": res.get("share_improved", np.nan)})
        if len(changes) == 2 and min(len(v) for v in changes.values()) >= 3:
            a, b = changes["программа"], changes["сравнение"]
            diff = a.mean() - b.mean()
            va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
            se = np.sqrt(va + vb)
            df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
            t = stats.t.ppf(0.5 + ci / 2, df)
            sp = np.sqrt((a.var(ddof=1) * (len(a) - 1) + b.var(ddof=1) * (len(b) - 1)) / (len(a) + len(b) - 2))
            rows.append({"group": "разница (программа − сравнение)", "subject": subj, "n_schools": len(a) + len(b),
                         "mean_in": np.nan, "mean_out": np.nan, "change_pp": diff, "change_ci_low": diff - t * se,
                         "change_ci_high": diff + t * se, "hedges_g": np.nan, "g_ci_low": np.nan,
                         "g_ci_high": np.nan, "share_improved": np.nan,
                         "diff_std": diff / sp if sp > 0 else np.nan})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- «вход–процесс–выход»

def dose_response(dataset, config: str | Path | Mapping | None = None) -> pd.DataFrame:
    """«Вход–процесс–выход»: change in results on programme process intensity.

    For programme schools: outcome = mean result index over the support years minus the mean over
    the selection years (SD units); regressors = each process column averaged over the school's
    support years (one model with all of them, standardised so that coefficients are per SD of
    intensity), controlling for the selection-year index (regression to the mean) and the context
    features of the matching configuration; OLS with municipality-clustered errors.  Process
    intensity is not randomised: schools that worked harder may differ in unobserved ways.

    Returns a coefficient table: ``term, label, coef, se, ci_low, ci_high, p_value, n_schools,
    n_clusters, r2``.
    """
    import statsmodels.api as sm

    cfg = load_effects_config(config)
    dcfg = cfg.get("dose_response") or {}
    proc = dataset.get("process")
    if proc is None or proc.empty:
        raise ValueError("Нет таблицы процесса (process): анализ «вход–процесс–выход» невозможен")
    panel = result_panel(dataset, cfg)
    cols = [c for c in dcfg.get("process_columns", []) if c in proc.columns]
    p = proc.copy()
    p["school_id"] = p["school_id"].astype("string")
    p = p.merge(panel[["school_id", "cohort"]].drop_duplicates(), on="school_id", how="left")
    p = p[p["year"].astype(float) >= p["cohort"].astype(float)]
    agg = p.groupby("school_id")[cols].agg(lambda s: s.astype(float).mean())
    rows = []
    for sid, g in panel[panel["cohort"] > 0].groupby("school_id"):
        gch = int(g["cohort"].iloc[0])
        pre = g.loc[g["year"].isin(_selection_years(cfg, gch)), "y_sd"].mean()
        post = g.loc[g["treat"], "y_sd"].mean()
        rows.append({"school_id": sid, "dy": post - pre, "pre": pre, "municipality": g["municipality"].iloc[0],
                     "cohort": gch})
    data = pd.DataFrame(rows).set_index("school_id").join(agg, how="inner")
    feats = list((cfg.get("matching") or {}).get("context_features") or [])
    Zc, _ = _context_for_matching(dataset, int(data["cohort"].min()) - 1, feats)
    if len(Zc):
        data = data.join(Zc.add_prefix("ctx_"), how="left")
    data = data.dropna()
    Xcols = cols + ["pre"] + [c for c in data.columns if c.startswith("ctx_")]
    if data["cohort"].nunique() > 1:
        for c in sorted(data["cohort"].unique())[1:]:
            data[f"cohort_{c}"] = (data["cohort"] == c).astype(float)
            Xcols.append(f"cohort_{c}")
    X = data[Xcols].astype(float)
    sds = X[cols].std().replace(0, 1)
    X[cols] = (X[cols] - X[cols].mean()) / sds
    X = X.loc[:, X.std() > 0]
    Xm = sm.add_constant(X.to_numpy(float), has_constant="add")
    codes = pd.factorize(data["municipality"].astype("string"))[0]
    fit = sm.OLS(data["dy"].to_numpy(float), Xm).fit(cov_type="cluster", cov_kwds={"groups": codes})
    z = _z(cfg)
    labels = {"share_teachers_diagnosed": "Доля педагогов, прошедших диагностику дефицитов",
              "share_teachers_trained": "Доля педагогов, прошедших повышение квалификации",
              "training_hours_per_teacher": "Часы обучения на педагога",
              "methodical_visits": "Методические выезды", "has_partner": "Есть школа-партнёр",
              "tutor_hours": "Часы тьюторского сопровождения", "share_teachers_improved":
              "Доля педагогов с положительной динамикой", "pre": "Индекс результатов в годы отбора"}
    names = ["const"] + list(X.columns)
    out = pd.DataFrame({"term": names, "coef": fit.params, "se": fit.bse, "p_value": fit.pvalues})
    out["ci_low"] = out["coef"] - z * out["se"]
    out["ci_high"] = out["coef"] + z * out["se"]
    out["label"] = out["term"].map(lambda t: labels.get(t, "Константа" if t == "const" else t))
    out["per"] = np.where(out["term"].isin(cols), "на 1 SD интенсивности", "")
    out["n_schools"] = len(data)
    out["n_clusters"] = int(len(set(codes)))
    out["r2"] = float(fit.rsquared)
    return out[["term", "label", "per", "coef", "se", "ci_low", "ci_high", "p_value", "n_schools", "n_clusters", "r2"]]


# --------------------------------------------------------------------------- plots

def plot_event_study(coefs: pd.DataFrame, unit: str = "pp", synthetic: bool = False, ax=None):
    """Event-study coefficients with intervals; selection years (the dip) highlighted."""
    import matplotlib.pyplot as plt

    c = coefs[coefs["unit"] == unit].sort_values("rel_year")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    colors = c["kind"].map({"поддержка": "tab:blue", "годы отбора": "tab:red", "до отбора": "grey"}).fillna("grey")
    ax.axhline(0, color="black", lw=0.8)
    ax.axvline(-0.5, color="grey", ls="--", lw=0.8)
    for (_, r), col in zip(c.iterrows(), colors, strict=True):
        ax.errorbar(r["rel_year"], r["estimate"], yerr=[[r["estimate"] - r["ci_low"]], [r["ci_high"] - r["estimate"]]],
                    fmt="o", color=col, capsize=3)
    ax.set_xlabel("Год относительно начала поддержки")
    ax.set_ylabel("Эффект, п.п. от максимума" if unit == "pp" else "Эффект, SD индекса")
    title = "Событийный анализ (красным — годы отбора: «провал Ашенфельтера»)"
    if synthetic:
        title = "СИНТЕТИЧЕСКИЕ ДАННЫЕ. " + title
    ax.set_title(title, fontsize=10)
    return ax


def plot_rdd(data: pd.DataFrame, unit: str = "pp", synthetic: bool = False, bins: int = 30, ax=None):
    """Binned scatter of the first-year change against the running variable at the cut-off."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    d = data.dropna(subset=[f"dy_{unit}"])
    x = -d["running"]
    q = pd.cut(x, bins)
    b = d.groupby(q, observed=True)[f"dy_{unit}"].mean()
    mids = [iv.mid for iv in b.index]
    ax.scatter(mids, b.to_numpy(), c=["tab:red" if m >= 0 else "tab:blue" for m in mids], s=18)
    ax.axvline(0, color="black", ls="--")
    ax.set_xlabel("Порог отбора − индекс отбора (справа — школы программы)")
    ax.set_ylabel("Изменение в первый год, п.п." if unit == "pp" else "Изменение в первый год, SD")
    title = "Разрывная регрессия у порога отбора"
    ax.set_title(("СИНТЕТИЧЕСКИЕ ДАННЫЕ. " + title) if synthetic else title, fontsize=10)
    return ax


# --------------------------------------------------------------------------- method annex

def effects_method_ru(config: str | Path | Mapping | None = None) -> str:
    """Markdown for the report's method annex: each design and its assumptions (Russian)."""
    cfg = load_effects_config(config)
    sel = (cfg.get("selection") or {}).get("cohorts") or {}
    sel_txt = "; ".join(f"когорта {g}: нижние {float(v.get('bottom_share', 0.25)):.0%} по годам "
                        f"{', '.join(map(str, v['selection_years']))}" for g, v in sel.items())
    lvl = float(cfg.get("ci_level", 0.95))
    return f"""### Оценка эффектов программы поддержки

**Показатель результата.** Для каждой школы и года — индекс результатов: средневзвешенное по числу
участников стандартизованное отклонение (в пределах процедуры × предмета × класса × года); эффекты даны
в SD этого индекса и в процентных пунктах от максимального балла (отклонение от среднего по ячейке,
усреднённое по процедурам).

**Почему простое сравнение «до–после» завышает эффект.** Школы отбирались в программу по правилу
«нижние доли по наблюдаемым результатам» ({sel_txt}). Наблюдаемый результат = устойчивое качество +
случайная удача года; отобранные школы в годы отбора были в среднем «неудачливы» и без всякой поддержки
улучшились бы (регрессия к среднему; провал результатов в годы отбора — «провал Ашенфельтера»).

**Модель «вход–выход».** Парное изменение результатов входной и выходной диагностик (в % от максимума) по
предметам и в целом; стандартизованный эффект Хеджеса g (парный, g_av с поправкой на малую выборку,
дисперсия по Borenstein et al., 2009); доля улучшивших результат школ; то же для школ сравнения
и разница групп (снимает общий для всех школ прирост между волнами). Допущение: школы сравнения
различаются со школами программы только участием; при отборе по низким результатам это не так.

**Модель «вход–процесс–выход».** Регрессия изменения результатов на интенсивность процесса (доля
педагогов, прошедших диагностику и обучение, часы, выезды, партнёрство, тьюторство) с контролем
результатов лет отбора и контекста; ошибки кластеризованы по муниципалитетам. Интенсивность не
распределялась случайно: коэффициенты — связи, а не доказанные причинные эффекты.

**Оценки эффекта программы (таблица оценок).** Эффект — среднее по школо-годам поддержки (ATT), кроме
разрывной регрессии (эффект первого года у порога).
- *Наивная «до–после»*: среднее изменение школ программы от лет отбора к годам поддержки. Допущение:
  без поддержки результаты не изменились бы. Нарушено отбором — оценка завышена; рядом показана
  ожидаемая регрессия к среднему (в п.п.) и превышение над предпочтительной оценкой.
- *Поправка на регрессию к среднему*: из наивной оценки вычитается ожидаемое изменение
  −(1 − надёжность) × (отклонение индекса в годы отбора от среднего); надёжность — доля устойчивой
  дисперсии по годам до программы. Допущения: одна надёжность для всех школ, независимость удачи по
  годам. У малых школ надёжность ниже, результаты одних и тех же учеников переходят из года в год —
  поправка неточна; это иллюстрация величины регрессии к среднему, а не оценка эффекта.
- *Регрессионная поправка на индекс отбора (предпочтительная оценка)*: отбор — пороговое правило по
  наблюдаемому индексу (нижние доли), поэтому при одинаковом индексе участие не связано с будущими
  результатами (отбор по наблюдаемым). Для каждой когорты и года поддержки результат года
  регрессируется на участие и на точный индекс отбора, по которому ранжировало правило (та же
  стандартизация и взвешивание), с взаимодействиями с размером школы (логарифм числа участников):
  индекс малой школы шумнее, её ожидаемый результат сильнее «возвращается к среднему», поэтому
  единая линия для всех школ неверна; и на социальный контекст до программы (к какому среднему
  «возвращается» школа, зависит от её контекста). Поэтапный старт: сравнение только со школами, не участвовавшими
  до старта когорты; для поздней когорты учитываются индексы обоих отборов (её школы сравнения —
  не прошедшие ни один отбор); школы поздней когорты остаются в сравнении для ранней с вычетом их
  собственного оценённого эффекта, чтобы группа сравнения не была усечена по второму отбору.
  Стандартные ошибки — по функциям влияния, кластеризация по {'школам' if (cfg.get('did') or {}).get('cluster', 'school_id') == 'school_id' else 'муниципалитетам'}.
  Допущение: ожидаемый результат без поддержки гладко (линейно по индексу при данном размере)
  продолжается через порог отбора. Почему предпочтительна: это единственная оценка, чьё допущение
  следует из самого правила отбора, и на имитациях с известным эффектом (`benchmarks/effects.py`)
  она практически несмещена и её интервалы имеют покрытие, близкое к номинальному.
- *Разрывная регрессия (RDD)*: локальная проверка — сравнение школ чуть ниже и чуть выше порога отбора;
  локальная линейная регрессия с треугольным ядром ({'rdrobust, MSE-оптимальная полоса и робастный интервал с поправкой на смещение' if (cfg.get('rdd') or {}).get('use_rdrobust', True) else 'полоса по кросс-валидации'});
  проверки: ложные пороги, плотность у порога, соответствие правилу. Оценивает эффект первого года
  поддержки для школ у порога. Допущение: ничего, кроме участия, не меняется скачком на пороге.
  Несмещена, но шумна: используется как проверка, а не как основная оценка.
- *Разность разностей (did2s, Gardner)*: фиксированные эффекты школы и года оцениваются по
  школо-годам без поддержки. Допущение параллельных трендов нарушено отбором: для когорты 2022 года
  все годы до старта — годы отбора, поэтому оценка смещена вверх «провалом Ашенфельтера». Показана для
  контраста.
- *Событийный анализ*: годы отбора исключены из базы сравнения и показаны отдельными коэффициентами
  (на графике виден провал); база — год до отбора, оцениваются только когорты, у которых он есть.
  Допущение параллельных трендов от базового года; у поздней когорты базовый год смещён (её школы
  не попали в первую когорту, то есть в этот год им «повезло»), поэтому оценка занижена.
- *Сопоставление (matching)*: ближайшие соседи по результатам до программы и контексту внутри
  контекстного кластера с регрессионной поправкой; таблица баланса (стандартизованные разности средних
  до и после). Допущение: сопоставимость при равных признаках; перекрытия по индексу отбора нет —
  оценка опирается на экстраполяцию.
- *Каллауэй–Сант'Анна (moderndid)*: проверка устойчивости; как и DiD, использует год отбора как базу
  и наследует провал Ашенфельтера.

Доверительные интервалы — {lvl:.0%}. Качество методов проверено на имитациях с известным
эффектом (`benchmarks/effects.py`): смещение и покрытие интервалов приводятся в приложении.
"""
