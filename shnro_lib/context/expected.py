"""Context-adjusted (expected) results: MixedLM with a zero-variance guard, residuals, resilient flags."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from shnro_lib.indicators import school_result_index, standardised_results, window_years

from .features import (
    ContextFeatures,
    ContextNotAssessed,
    _role_features,
    _select,
    context_features,
    load_context_config,
    pca_index,
)
from .settings import ContextSettings

# --------------------------------------------------------------------------- expected results


@dataclass
class ExpectedModel:
    """Context-adjusted results of one year.

    Attributes
    ----------
    table : per school: ``school_id, municipality, result_index, result_index_se, expected_result,
        residual, residual_se, residual_ci_low, residual_ci_high, municipal_effect,
        context_index`` (index ``0..n``).
    model_used : ``mixedlm`` or ``ols_cluster``; ``optimizer`` the one that gave the kept MixedLM.
    reason : Russian explanation of the choice (empty when the first MixedLM was fine).
    attempts : one row per fit attempt: optimizer, converged, re_variance, ok, note.
    r2 : share of variance explained by context (marginal R² for MixedLM, R² for OLS).
    r2_conditional : conditional R² (MixedLM only).
    re_variance, residual_variance : variance components (``re_variance`` NaN for OLS).
    params : coefficients table (``feature, label, coef, se, p_value``).
    """

    table: pd.DataFrame
    model_used: str
    optimizer: str | None
    reason: str
    attempts: pd.DataFrame
    r2: float
    r2_conditional: float
    re_variance: float
    residual_variance: float
    params: pd.DataFrame
    n_schools: int
    n_municipalities: int
    window: list[int]
    context: ContextFeatures | None = None
    year_shock_variance: float = 0.0
    notes: list[str] = field(default_factory=list)


# what a user reads for ``ExpectedModel.model_used``
MODEL_NAMES_RU = {
    "mixedlm": "смешанная модель со случайным эффектом муниципалитета",
    "ols_cluster": "МНК-регрессия с кластеризованными по муниципалитетам ошибками",
}


def _mixedlm_attempts(y, X, groups, mcfg) -> tuple[Any, str | None, list[dict]]:
    import statsmodels.api as sm

    min_ratio = float(mcfg.min_re_variance_ratio)
    attempts: list[dict] = []
    for opt in mcfg.optimizers:
        rec = {"optimizer": opt, "converged": False, "re_variance": np.nan, "ok": False, "note": ""}
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                res = sm.MixedLM(y, X, groups=groups).fit(reml=True, method=opt)
                # statsmodels warns (in English, on the console) while computing undefined SEs
                bse = np.asarray(res.bse_fe)
            re_var = float(np.asarray(res.cov_re)[0, 0])
            scale = float(res.scale)
            conv = bool(getattr(res, "converged", False))
            rec.update(converged=conv, re_variance=re_var)
            msgs = {str(w.message)[:80] for w in caught}
            if not conv:
                rec["note"] = "не сошёлся"
            elif not np.isfinite(re_var) or re_var <= min_ratio * scale:
                rec["note"] = (
                    f"дисперсия муниципального эффекта ≈ 0 ({re_var:.2e} при остаточной {scale:.2e})"
                )
            elif not np.all(np.isfinite(bse)):
                rec["note"] = "неопределённые стандартные ошибки"
            else:
                rec["ok"] = True
                rec["note"] = f"предупреждений оптимизатора: {len(msgs)}" if msgs else ""
                attempts.append(rec)
                return res, opt, attempts
        except Exception as exc:  # noqa: BLE001 — any optimiser failure means "try the next one"
            # a library's own message is English: the user reads what happened, in Russian
            rec["note"] = (
                "подгонка не удалась: вырожденная матрица (признаки почти линейно зависимы)"
                if isinstance(exc, np.linalg.LinAlgError)
                else "подгонка не удалась (численная ошибка)"
            )
        attempts.append(rec)
    return None, None, attempts


def _year_shock_variance(dataset, window: list[int]) -> tuple[float, pd.Series]:
    """Pooled variance of a school's single-year index around its own mean, beyond sampling error.

    Transitory school-year shocks («a bad year») are noise for a durable judgement such as
    «resilient»; the residual's interval includes ``shock_var / n_years``.
    Returns the variance and each school's number of years.
    """
    z = standardised_results(dataset.results)
    parts = []
    for y in window:
        ri = school_result_index(dataset.results, years=[y], standardised=z)
        parts.append(ri[["result_index", "result_index_se"]].assign(year=y))
    yr = pd.concat(parts).rename_axis("school_id").reset_index()
    yr = yr[yr["result_index"].notna()]
    g = yr.groupby("school_id")
    n = g["result_index"].size()
    var = g["result_index"].var(ddof=1)
    se2 = g["result_index_se"].apply(lambda s: float(np.mean(s.to_numpy(float) ** 2)))
    ok = n >= 2
    if not ok.any():
        return 0.0, n
    return max(float((var[ok] - se2[ok]).mean()), 0.0), n


PRIOR_LABEL_RU = "Предшествующий результат (стандартизованный)"


def _with_prior_score(dataset, Xall: pd.DataFrame, window: list[int]) -> tuple[pd.DataFrame, list[str]]:
    """Add the school's standardised prior attainment over ``window`` as a model covariate.

    ``prior_score`` (results, school × year) is averaged per school over the window's rows
    (weighted as the result index), then standardised across schools; a school without it gets
    the region's mean (0) and is counted in the note.  Without the column nothing changes.
    """
    from shnro_lib.indicators.scale import result_weight

    if not dataset.has_column("results", "prior_score"):
        return Xall, []
    r = dataset.results
    r = r[r["year"].isin(window).fillna(False) & r["prior_score"].notna()]
    if r.empty:
        return Xall, []
    w = result_weight(r)
    num = (r["prior_score"].astype(float) * w).groupby(r["school_id"].astype("string")).sum()
    prior = num / w.groupby(r["school_id"].astype("string")).sum()
    sd = float(prior.std(ddof=0))
    if not np.isfinite(sd) or sd <= 0:
        return Xall, ["Предшествующий результат не учтён в модели: он одинаков у всех школ."]
    z = ((prior - prior.mean()) / sd).reindex(Xall.index.astype("string"))
    n_missing = int(z.isna().sum())
    out = Xall.copy()
    out["prior_score"] = z.fillna(0.0).to_numpy()
    note = (
        "Ожидаемый результат учитывает предшествующий результат (prior_score) как ковариату: "
        "отклонение показывает прогресс относительно исходного уровня, а не только контекст."
    )
    if n_missing:
        note += f" У {n_missing} школ предшествующего результата нет — для них взято среднее по региону."
    return out, [note]


def _model_data(dataset, cf: ContextFeatures, ri: pd.DataFrame, window: list[int], cfg) -> tuple:
    """The model's covariates for every school and the schools it is fitted on.

    Returns ``(Xall, n_context, notes, data)``: the context features (and the prior score when used),
    how many of them are context, the notes on the prior score, and the rows with a result index.
    Raises :class:`ContextNotAssessed` when too few schools remain for the features.
    """
    mcfg = cfg.model
    Xall = _select(cf, _role_features(cfg, "model"))
    n_context = Xall.shape[1]
    notes: list[str] = []
    if mcfg.use_prior_score:
        Xall, notes = _with_prior_score(dataset, Xall, window)
    feats = list(Xall.columns)
    data = Xall.join(ri[["result_index", "result_index_se"]], how="inner")
    data = data[data["result_index"].notna()]
    data["result_index_se"] = data["result_index_se"].fillna(data["result_index_se"].median())
    if len(data) < len(feats) + 3:
        # too few schools to fit is a fact of the data set, not an error of the input
        raise ContextNotAssessed(
            f"слишком мало школ с результатами и контекстом ({len(data)}) для модели "
            f"ожидаемых результатов с {len(feats)} признаками (нужно не меньше "
            f"{len(feats) + 3})"
        )
    return Xall, n_context, notes, data


def _try_mixedlm(y, X, groups, n_muni: int, mcfg) -> tuple[Any, str | None, list[dict], str]:
    """The kept MixedLM (or ``None``), its optimiser, the attempts and the Russian reason of the choice."""
    res, opt, attempts = (None, None, [])
    reason = ""
    if n_muni >= 3:
        res, opt, attempts = _mixedlm_attempts(y, X, groups, mcfg)
        if res is not None and opt != attempts[0]["optimizer"]:
            reason = (
                f"MixedLM с оптимизатором {attempts[0]['optimizer']}: {attempts[0]['note']}; "
                f"принята подгонка с оптимизатором {opt}."
            )
    else:
        reason = f"Муниципалитетов меньше трёх ({n_muni}): случайный муниципальный эффект не оценивается."
    if res is None and not reason:
        reason = (
            "MixedLM вырожден при всех оптимизаторах ("
            + "; ".join(f"{a['optimizer']}: {a['note']}" for a in attempts)
            + "): муниципальный эффект не выявлен, использована МНК-регрессия "
            "с кластеризованными по муниципалитетам ошибками."
        )
    return res, opt, attempts, reason


def _mixedlm_fit(res, X: np.ndarray, muni: pd.Series, groups, municipality: pd.Series) -> dict:
    """Coefficients, their covariance, variance components, R² and municipal effects of a MixedLM."""
    k = X.shape[1]
    beta = np.asarray(res.fe_params)
    re_var = float(np.asarray(res.cov_re)[0, 0])
    resid_var = float(res.scale)
    blup = {g: float(np.asarray(v)[0]) for g, v in res.random_effects.items()}
    code_of = dict(zip(muni.to_numpy(), groups, strict=True))
    municipal = municipality.map(lambda m: blup.get(code_of.get(m), 0.0)).astype(float)
    vf = float(np.var(X @ beta))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pvals = np.asarray(res.pvalues)[:k]
        bse = np.asarray(res.bse_fe)
    return {
        "beta": beta,
        "cov": np.asarray(res.cov_params())[:k, :k],
        "re_var": re_var,
        "resid_var": resid_var,
        "r2": vf / (vf + re_var + resid_var),
        "r2_cond": (vf + re_var) / (vf + re_var + resid_var),
        "pvals": pvals,
        "bse": bse,
        "model_used": "mixedlm",
        "municipal": municipal,
    }


def _ols_fit(y: np.ndarray, X: np.ndarray, se: np.ndarray, groups, n_muni: int, mcfg, index) -> dict:
    """The OLS fallback (precision-weighted if set) with municipality-clustered (or HC1) errors."""
    import statsmodels.api as sm

    ols0 = sm.OLS(y, X).fit()
    w = np.ones_like(y)
    if mcfg.ols_weighting == "precision":
        tau2 = max(float(np.var(ols0.resid, ddof=X.shape[1])) - float(np.mean(se**2)), 1e-6)
        w = 1.0 / (tau2 + se**2)
    cov_kw = {"cov_type": "cluster", "cov_kwds": {"groups": groups}} if n_muni >= 2 else {"cov_type": "HC1"}
    fit = sm.WLS(y, X, weights=w).fit(**cov_kw)
    beta = np.asarray(fit.params)
    return {
        "beta": beta,
        "cov": np.asarray(fit.cov_params()),
        "re_var": np.nan,
        "resid_var": float(np.var(y - X @ beta, ddof=X.shape[1])),
        "r2": 1.0 - float(np.sum((y - X @ beta) ** 2) / np.sum((y - y.mean()) ** 2)),
        "r2_cond": np.nan,
        "pvals": np.asarray(fit.pvalues),
        "bse": np.asarray(fit.bse),
        "model_used": "ols_cluster",
        "municipal": pd.Series(0.0, index=index),
    }


def _residual_table(dataset, cf, ri, Xall, Xfull, fit: dict, window: list[int], mcfg, ci) -> tuple:
    """Per school: result, expected result, residual with its SE and interval, municipal effect, ``ci``.

    Returns the table (a ``school_id`` column) and the year-shock variance.
    """
    idx = Xall.index
    expected = pd.Series(Xfull @ fit["beta"], index=idx)
    if mcfg.include_municipal_effect:
        expected = expected + fit["municipal"]
    pred_var = pd.Series(np.einsum("ij,jk,ik->i", Xfull, fit["cov"], Xfull), index=idx)
    z = stats.norm.ppf(0.5 + float(mcfg.ci_level) / 2)
    tab = pd.DataFrame(index=idx)
    tab["municipality"] = cf.municipality.reindex(idx)
    tab["result_index"] = ri["result_index"].reindex(idx)
    tab["result_index_se"] = ri["result_index_se"].reindex(idx)
    tab["expected_result"] = expected
    tab["residual"] = tab["result_index"] - tab["expected_result"]
    shock_var = 0.0
    if mcfg.include_year_shock and len(window) >= 2:
        shock_var, n_years = _year_shock_variance(dataset, window)
        tab["year_shock_var"] = shock_var / n_years.reindex(idx).clip(lower=1)
    else:
        tab["year_shock_var"] = 0.0
    tab["residual_se"] = np.sqrt(tab["result_index_se"] ** 2 + pred_var + tab["year_shock_var"].fillna(0.0))
    tab["residual_ci_low"] = tab["residual"] - z * tab["residual_se"]
    tab["residual_ci_high"] = tab["residual"] + z * tab["residual_se"]
    tab["municipal_effect"] = fit["municipal"]
    tab = tab.drop(columns=["year_shock_var"])
    tab["context_index"] = ci.reindex(idx)
    tab = tab.rename_axis("school_id").reset_index()
    tab["school_id"] = tab["school_id"].astype("string")
    return tab, shock_var


def _context_index(cf, cfg, Xfull: np.ndarray, beta: np.ndarray, n_context: int, index) -> pd.Series:
    """The context index: the PCA index, or the standardised context part of the model's prediction."""
    if cfg.context_index.method == "pca":
        return pca_index(cf, cfg)
    # context only: the prior-attainment covariate is not part of a school's context
    lp = pd.Series(Xfull[:, : n_context + 1] @ beta[: n_context + 1], index=index)
    return (lp - lp.mean()) / (lp.std(ddof=0) or 1.0)


def _params(cf, feats: list[str], fit: dict) -> pd.DataFrame:
    beta = fit["beta"]
    labels = ["Константа"] + [cf.labels.get(f, PRIOR_LABEL_RU if f == "prior_score" else f) for f in feats]
    return pd.DataFrame(
        {
            "feature": ["const"] + feats,
            "label": labels,
            "coef": beta,
            "se": fit["bse"][: len(beta)],
            "p_value": fit["pvals"][: len(beta)],
        }
    )


def fit_expected_model(
    dataset, year: int, config: str | Path | Mapping | ContextSettings | None = None
) -> ExpectedModel:
    """Model the school result index on context and return expected results and residuals.

    The result index (:func:`shnro_lib.indicators.school_result_index`) over the ``window``
    years ending at ``year`` is regressed on the standardised context features of ``year``.

    Model: a linear mixed model with a municipal random intercept (statsmodels ``MixedLM``,
    REML). statsmodels can report convergence at exactly zero random-effect variance
    (statsmodels issue 10239), so every fit is checked: when the variance is below
    ``min_re_variance_ratio`` times the residual variance, or the fit fails, the next optimiser
    is tried; when all are degenerate, the model falls back to OLS (weighted by
    ``1 / (tau^2 + SE^2)`` with ``ols_weighting: precision``) with municipality-clustered
    standard errors, and the reason is recorded.

    Residual = actual − expected (positive: better than the context predicts); its interval
    combines the school's sampling SE of the index, the SE of the model prediction and (with
    ``include_year_shock``) the pooled school-year shock variance divided by the school's years.
    """
    import statsmodels.api as sm

    cfg = load_context_config(config)
    mcfg = cfg.model
    cf = context_features(dataset, year, cfg)
    window = window_years(dataset.years, year, int(mcfg.window))
    ri = school_result_index(dataset.results, years=window)
    Xall, n_context, notes, data = _model_data(dataset, cf, ri, window, cfg)
    feats = list(Xall.columns)
    muni = cf.municipality.reindex(data.index)
    y = data["result_index"].to_numpy(float)
    X = sm.add_constant(data[feats].to_numpy(float), has_constant="add")
    Xfull = sm.add_constant(Xall.to_numpy(float), has_constant="add")
    n_muni = int(muni.nunique())
    groups = pd.Categorical(muni.to_numpy()).codes
    res, opt, attempts, reason = _try_mixedlm(y, X, groups, n_muni, mcfg)
    if res is not None:
        fit = _mixedlm_fit(res, X, muni, groups, cf.municipality.reindex(Xall.index))
    else:
        fit = _ols_fit(y, X, data["result_index_se"].to_numpy(float), groups, n_muni, mcfg, Xall.index)
    ci = _context_index(cf, cfg, Xfull, fit["beta"], n_context, Xall.index)
    tab, shock_var = _residual_table(dataset, cf, ri, Xall, Xfull, fit, window, mcfg, ci)
    return ExpectedModel(
        table=tab,
        model_used=fit["model_used"],
        optimizer=opt,
        reason=reason,
        attempts=pd.DataFrame(attempts),
        r2=float(fit["r2"]),
        r2_conditional=float(fit["r2_cond"]),
        re_variance=fit["re_var"],
        residual_variance=float(fit["resid_var"]),
        params=_params(cf, feats, fit),
        n_schools=int(len(data)),
        n_municipalities=n_muni,
        window=window,
        context=cf,
        year_shock_variance=float(shock_var),
        notes=notes,
    )


def expected_results(
    dataset, year: int, config: str | Path | Mapping | ContextSettings | None = None
) -> pd.DataFrame:
    """Per school: expected result, residual and its interval, context index (see :func:`fit_expected_model`).

    The table carries ``model_used`` and ``context_r2`` columns (constant) so a saved file
    says which model produced it.
    """
    m = fit_expected_model(dataset, year, config)
    out = m.table.copy()
    out["model_used"] = m.model_used
    out["context_r2"] = round(m.r2, 4)
    return out


def flag_resilient(
    table: pd.DataFrame, config: str | Path | Mapping | ContextSettings | None = None
) -> pd.DataFrame:
    """Add ``resilient`` and ``underperforming_favourable`` flags and ``context_status`` (Russian).

    Resilient: ``context_index`` in the bottom ``resilient.bottom_share`` of schools with a
    residual, and the residual's interval entirely above 0. The opposite group: ``context_index``
    in the top ``resilient.top_share`` and the interval entirely below 0.
    """
    cfg = load_context_config(config)
    rcfg = cfg.resilient
    out = table.copy()
    have = out["residual"].notna() & out["context_index"].notna()
    ci = out.loc[have, "context_index"]
    lo_cut = ci.quantile(float(rcfg.bottom_share)) if len(ci) else np.nan
    hi_cut = ci.quantile(1 - float(rcfg.top_share)) if len(ci) else np.nan
    out["resilient"] = (have & (out["context_index"] <= lo_cut) & (out["residual_ci_low"] > 0)).astype(
        "boolean"
    )
    out["underperforming_favourable"] = (
        have & (out["context_index"] >= hi_cut) & (out["residual_ci_high"] < 0)
    ).astype("boolean")
    status = np.where(
        out["resilient"].to_numpy(dtype=bool),
        "резильентная: результат выше ожидаемого при неблагоприятном контексте",
        "",
    )
    status = np.where(
        out["underperforming_favourable"].to_numpy(dtype=bool),
        "результат ниже ожидаемого при благоприятном контексте",
        status,
    )
    out["context_status"] = status
    return out
