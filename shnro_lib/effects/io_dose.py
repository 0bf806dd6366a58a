"""«Вход–выход» (paired change between diagnostics) and «вход–процесс–выход» (dose-response)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from shnro_lib.effects.cohorts import programme_cohorts
from shnro_lib.effects.matching import _context_for_matching
from shnro_lib.effects.panel import panel_selection_years, result_panel
from shnro_lib.effects.settings import load_effects_config
from shnro_lib.indicators.scale import has_scale, pct_of_range


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
    V = (1 / n + d**2 / (2 * n)) * 2 * (1 - r)
    z = stats.norm.ppf(0.5 + ci_level / 2)
    g = J * d
    se = J * np.sqrt(V)
    t = stats.t.ppf(0.5 + ci_level / 2, n - 1)
    se_m = diff.std(ddof=1) / np.sqrt(n)
    return {
        "n": n,
        "mean_before": float(b.mean()),
        "mean_after": float(a.mean()),
        "mean_change": float(diff.mean()),
        "change_ci_low": float(diff.mean() - t * se_m),
        "change_ci_high": float(diff.mean() + t * se_m),
        "g": float(g),
        "ci_low": float(g - z * se),
        "ci_high": float(g + z * se),
        "r": r,
        "share_improved": float((diff > 0).mean()),
    }


def _diagnostics(dataset, cfg) -> pd.DataFrame:
    """The entry and exit diagnostics with enough participants: percent of range, weights, group."""
    icfg = cfg.input_output
    diag = dataset.get("diagnostics")
    if diag is None or diag.empty:
        raise ValueError("Нет таблицы диагностик (diagnostics): анализ «вход–выход» невозможен")
    d = diag[
        diag["wave"].isin([icfg.wave_in, icfg.wave_out]).fillna(False)
        & (diag["participants"].fillna(0) >= icfg.min_participants)
    ].copy()
    d = d[has_scale(d).to_numpy()]
    d["pct"] = pct_of_range(d)
    d["w"] = d["participants"].astype(float)
    d["wp"] = d["w"] * d["pct"]
    coh = programme_cohorts(dataset)
    d["group"] = np.where(
        d["school_id"].map(coh).fillna(0).astype(int).to_numpy() > 0, "программа", "сравнение"
    )
    return d


def _per_school(sub: pd.DataFrame, w_in, w_out) -> pd.DataFrame:
    """Each school's weighted score in both waves (group × school rows, one column per wave)."""
    a = sub.groupby(["group", "school_id", "wave"])[["wp", "w"]].sum()
    a = (a["wp"] / a["w"]).unstack("wave")
    return a.dropna(subset=[w_in, w_out]) if w_in in a and w_out in a else a.iloc[0:0]


def _group_row(grp: str, subj: str, res: dict) -> dict:
    return {
        "group": grp,
        "subject": subj,
        "n_schools": res["n"],
        "mean_in": res.get("mean_before", np.nan),
        "mean_out": res.get("mean_after", np.nan),
        "change_pp": res["mean_change"],
        "change_ci_low": res.get("change_ci_low", np.nan),
        "change_ci_high": res.get("change_ci_high", np.nan),
        "hedges_g": res["g"],
        "g_ci_low": res["ci_low"],
        "g_ci_high": res["ci_high"],
        "share_improved": res.get("share_improved", np.nan),
    }


def _difference_row(a: np.ndarray, b: np.ndarray, subj: str, ci: float) -> dict:
    """The difference of the groups' mean changes with its Welch interval."""
    diff = a.mean() - b.mean()
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = np.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    t = stats.t.ppf(0.5 + ci / 2, df)
    sp = np.sqrt((a.var(ddof=1) * (len(a) - 1) + b.var(ddof=1) * (len(b) - 1)) / (len(a) + len(b) - 2))
    return {
        "group": "разница (программа − сравнение)",
        "subject": subj,
        "n_schools": len(a) + len(b),
        "mean_in": np.nan,
        "mean_out": np.nan,
        "change_pp": diff,
        "change_ci_low": diff - t * se,
        "change_ci_high": diff + t * se,
        "hedges_g": np.nan,
        "g_ci_low": np.nan,
        "g_ci_high": np.nan,
        "share_improved": np.nan,
        "diff_std": diff / sp if sp > 0 else np.nan,
    }


def input_output(dataset, config=None) -> pd.DataFrame:
    """«Вход–выход»: paired change between the entry and exit diagnostics, per subject and overall.

    Scores are percent of the maximum; a school's subject score is the participant-weighted mean over
    grades, its overall score the participant-weighted mean over subjects.  For programme schools,
    comparison schools (diagnostics of schools outside the programme) and the difference between the
    groups (difference of mean changes, Welch interval; it removes the gain every school shows between
    waves, e.g. from practice).  Returns one row per group × subject.
    """
    cfg = load_effects_config(config)
    w_in, w_out = cfg.input_output.wave_in, cfg.input_output.wave_out
    d = _diagnostics(dataset, cfg)
    ci = cfg.ci_level
    rows = []
    subjects = ["Все предметы"] + sorted(d["subject"].dropna().unique())
    for subj in subjects:
        sub = d if subj == "Все предметы" else d[d["subject"] == subj]
        ps = _per_school(sub, w_in, w_out)
        changes = {}
        for grp in ("программа", "сравнение"):
            if grp not in ps.index.get_level_values("group"):
                continue
            s = ps.xs(grp, level="group")
            res = paired_hedges_g(s[w_in].to_numpy(), s[w_out].to_numpy(), ci)
            changes[grp] = (s[w_out] - s[w_in]).to_numpy(float)
            rows.append(_group_row(grp, subj, res))
        if len(changes) == 2 and min(len(v) for v in changes.values()) >= 3:
            rows.append(_difference_row(changes["программа"], changes["сравнение"], subj, ci))
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- «вход–процесс–выход»

_PROCESS_LABELS = {
    "share_teachers_diagnosed": "Доля педагогов, прошедших диагностику дефицитов",
    "share_teachers_trained": "Доля педагогов, прошедших повышение квалификации",
    "training_hours_per_teacher": "Часы обучения на педагога",
    "methodical_visits": "Методические выезды",
    "has_partner": "Есть школа-партнёр",
    "tutor_hours": "Часы тьюторского сопровождения",
    "share_teachers_improved": "Доля педагогов с положительной динамикой",
    "pre": "Индекс результатов в годы отбора",
}
_DOSE_COLUMNS = [
    "term",
    "label",
    "per",
    "coef",
    "se",
    "ci_low",
    "ci_high",
    "p_value",
    "n_schools",
    "n_clusters",
    "r2",
]


def _school_changes(panel: pd.DataFrame) -> pd.DataFrame:
    """Each programme school's change from its selection years to its support years (SD units)."""
    selection = panel_selection_years(panel)
    rows = []
    for sid, g in panel[panel["cohort"] > 0].groupby("school_id"):
        gch = int(g["cohort"].iloc[0])
        pre = g.loc[g["year"].isin(selection[gch]), "y_sd"].mean()
        post = g.loc[g["treat"], "y_sd"].mean()
        rows.append(
            {
                "school_id": sid,
                "dy": post - pre,
                "pre": pre,
                "municipality": g["municipality"].iloc[0],
                "cohort": gch,
            }
        )
    return pd.DataFrame(rows).set_index("school_id")


def _dose_data(dataset, cfg, proc: pd.DataFrame, panel: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """The schools' changes joined with their mean process intensity and context (complete rows only)."""
    p = proc.copy()
    p["school_id"] = p["school_id"].astype("string")
    p = p.merge(panel[["school_id", "cohort"]].drop_duplicates(), on="school_id", how="left")
    p = p[p["year"].astype(float) >= p["cohort"].astype(float)]
    agg = p.groupby("school_id")[cols].agg(lambda s: s.astype(float).mean())
    data = _school_changes(panel).join(agg, how="inner")
    feats = list(cfg.matching.context_features)
    Zc, _ = _context_for_matching(dataset, int(data["cohort"].min()) - 1, feats)
    if len(Zc):
        data = data.join(Zc.add_prefix("ctx_"), how="left")
    return data.dropna()


def _design_matrix(data: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """The regressors: process columns (standardised), selection-year index, context, cohort dummies.

    ``data`` gains the cohort dummies.
    """
    Xcols = cols + ["pre"] + [c for c in data.columns if c.startswith("ctx_")]
    if data["cohort"].nunique() > 1:
        for c in sorted(data["cohort"].unique())[1:]:
            data[f"cohort_{c}"] = (data["cohort"] == c).astype(float)
            Xcols.append(f"cohort_{c}")
    X = data[Xcols].astype(float)
    sds = X[cols].std().replace(0, 1)
    X[cols] = (X[cols] - X[cols].mean()) / sds
    return X.loc[:, X.std() > 0]


def dose_response(dataset, config=None, design=None) -> pd.DataFrame:
    """«Вход–процесс–выход»: change in results on programme process intensity.

    For programme schools: outcome = mean result index over the support years minus the mean over
    the selection years (SD units); regressors = each process column averaged over the school's
    support years (one model with all of them, standardised so that coefficients are per SD of
    intensity), controlling for the selection-year index (regression to the mean) and the context
    features of the matching configuration; OLS with errors clustered by ``dose_response.cluster``.  Process
    intensity is not randomised: schools that worked harder may differ in unobserved ways.

    Returns a coefficient table: ``term, label, coef, se, ci_low, ci_high, p_value, n_schools,
    n_clusters, r2``.
    """
    import statsmodels.api as sm

    cfg = load_effects_config(config)
    dcfg = cfg.dose_response
    proc = dataset.get("process")
    if proc is None or proc.empty:
        raise ValueError("Нет таблицы процесса (process): анализ «вход–процесс–выход» невозможен")
    panel = result_panel(dataset, cfg, design)
    cols = [c for c in dcfg.process_columns if c in proc.columns]
    data = _dose_data(dataset, cfg, proc, panel, cols)
    X = _design_matrix(data, cols)
    Xm = sm.add_constant(X.to_numpy(float), has_constant="add")
    groups = (
        data["municipality"] if dcfg.cluster == "municipality" else pd.Series(data.index, index=data.index)
    )
    codes = pd.factorize(groups.astype("string"))[0]
    fit = sm.OLS(data["dy"].to_numpy(float), Xm).fit(cov_type="cluster", cov_kwds={"groups": codes})
    z = cfg.z
    names = ["const"] + list(X.columns)
    out = pd.DataFrame({"term": names, "coef": fit.params, "se": fit.bse, "p_value": fit.pvalues})
    out["ci_low"] = out["coef"] - z * out["se"]
    out["ci_high"] = out["coef"] + z * out["se"]
    out["label"] = out["term"].map(lambda t: _PROCESS_LABELS.get(t, "Константа" if t == "const" else t))
    out["per"] = np.where(out["term"].isin(cols), "на 1 SD интенсивности", "")
    out["n_schools"] = len(data)
    out["n_clusters"] = int(len(set(codes)))
    out["r2"] = float(fit.rsquared)
    return out[_DOSE_COLUMNS]
