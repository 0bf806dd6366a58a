"""Clusters of schools by context: k chosen automatically, Russian names, bootstrap stability."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .features import (
    ContextFeatures,
    _role_features,
    _select,
    context_features,
    load_context_config,
    pca_index,
)
from .settings import ClusteringSettings, ContextSettings, FeatureSpec, NamingSettings

_AFTER_PREFIXES = ("с ", "со ", "в ", "на ", "вблизи ")


# --------------------------------------------------------------------------- clustering


@dataclass
class ClusterResult:
    """Clusters of one year.

    Attributes
    ----------
    labels : ``school_id, cluster, cluster_name`` (clusters numbered 1..k from the most to the
        least favourable mean principal-component context index).
    profile : one row per cluster: ``cluster, cluster_name, n_schools`` and the mean standardised
        value of every clustering feature (``z_<feature>``) and its mean on the original scale.
    k_scores : ``k`` and ``silhouette`` or ``bic`` for every k tried.
    k, method : the chosen k and method.
    stability : ``ari_mean, ari_low, ari_high, n_boot``.
    excluded : schools not clustered (from :class:`ContextFeatures`).
    features : clustering features used.
    """

    labels: pd.DataFrame
    profile: pd.DataFrame
    k_scores: pd.DataFrame
    k: int
    method: str
    stability: dict[str, float]
    excluded: pd.DataFrame
    features: list[str]
    context: ContextFeatures
    centroids: pd.DataFrame
    model: Any = None
    notes: list[str] = field(default_factory=list)


def _fit(method: str, X: np.ndarray, k: int, ccfg: ClusteringSettings):
    from sklearn.cluster import AgglomerativeClustering, KMeans
    from sklearn.mixture import GaussianMixture

    rs = int(ccfg.random_state)
    n_init = int(ccfg.n_init)
    if method == "kmeans":
        m = KMeans(n_clusters=k, n_init=n_init, random_state=rs).fit(X)
        return m.labels_, m
    if method == "ward":
        # Ward needs O(n^2) memory: above `ward_max_n` schools it is fitted on a random subsample
        # and every school is assigned to the nearest subsample cluster centre
        max_n = int(ccfg.ward_max_n)
        if len(X) > max_n:
            rng = np.random.default_rng(rs)
            sub = rng.choice(len(X), size=max_n, replace=False)
            m = AgglomerativeClustering(n_clusters=k, linkage="ward").fit(X[sub])
            centres = np.vstack([X[sub][m.labels_ == c].mean(axis=0) for c in range(k)])
            labels = np.argmin(((X[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2), axis=1)
            return labels, m
        m = AgglomerativeClustering(n_clusters=k, linkage="ward").fit(X)
        return m.labels_, m
    m = GaussianMixture(
        n_components=k, n_init=max(1, min(n_init, 5)), random_state=rs, covariance_type=ccfg.gmm_covariance
    ).fit(X)
    return m.predict(X), m


def _smallest(labels: np.ndarray) -> int:
    return int(np.bincount(np.unique(labels, return_inverse=True)[1]).min()) if len(labels) else 0


def _choose_k(method: str, X: np.ndarray, ccfg: ClusteringSettings) -> tuple[int, pd.DataFrame]:
    """The number of clusters: the best score among the k whose every cluster has at least
    ``min_cluster_size`` schools (a fixed ``k`` is lowered until it does); 1 when none does."""
    from sklearn.metrics import silhouette_score

    fixed = ccfg.k
    min_size = int(ccfg.min_cluster_size)
    lo, hi = ccfg.k_range
    # k clusters of at least min_size schools need k * min_size schools
    hi = min(int(hi), len(X) - 1, len(X) // min_size)
    if fixed:
        for k in range(min(int(fixed), max(hi, 1)), 1, -1):
            if _smallest(_fit(method, X, k, ccfg)[0]) >= min_size:
                return k, pd.DataFrame({"k": [k]})
        return 1, pd.DataFrame({"k": [1]})
    rows = []
    for k in range(int(lo), hi + 1):
        labels, m = _fit(method, X, k, ccfg)
        if _smallest(labels) < min_size:
            continue
        if method == "gmm":
            rows.append({"k": k, "bic": float(m.bic(X))})
        else:
            # silhouette is O(n^2): on large data it is estimated on a random sample of schools
            size = int(ccfg.silhouette_sample_size)
            sil = (
                silhouette_score(
                    X,
                    labels,
                    sample_size=size if len(X) > size else None,
                    random_state=int(ccfg.random_state),
                )
                if len(set(labels)) > 1
                else np.nan
            )
            rows.append({"k": k, "silhouette": float(sil)})
    scores = pd.DataFrame(rows)
    if scores.empty:
        # too few schools for two clusters of the minimum size: one group, said so in the notes
        return 1, pd.DataFrame({"k": [1]})
    if method == "gmm":
        return int(scores.loc[scores["bic"].idxmin(), "k"]), scores
    return int(scores.loc[scores["silhouette"].idxmax(), "k"]), scores


def _phrase_name(
    zrow: pd.Series, catalog: Mapping[str, FeatureSpec], ncfg: NamingSettings, extra: int = 0
) -> str:
    max_f = int(ncfg.max_features) + extra
    min_z = float(ncfg.min_abs_z)
    order = zrow.abs().sort_values(ascending=False, kind="stable")
    chosen: list[tuple[str, str]] = []
    for f in order.index:
        if abs(zrow[f]) < min_z or len(chosen) >= max_f:
            break
        spec = catalog[f]
        phrase = spec.high if zrow[f] > 0 else spec.low
        if phrase and phrase not in [p for _, p in chosen]:
            chosen.append((f, phrase))
    if not chosen:
        return ncfg.fallback
    feat_order = list(catalog)
    chosen.sort(key=lambda fp: feat_order.index(fp[0]))
    before = [p for _, p in chosen if not p.startswith(_AFTER_PREFIXES)]
    after = [p for _, p in chosen if p.startswith(_AFTER_PREFIXES)]
    name = " ".join(before + ["школы"])
    if after:
        name += " " + " и ".join(after)
    return name[0].upper() + name[1:]


def _bootstrap_ari(
    method: str, X: np.ndarray, k: int, labels: np.ndarray, ccfg: ClusteringSettings
) -> dict[str, float]:
    from sklearn.metrics import adjusted_rand_score

    scfg = ccfg.stability
    n_boot = int(scfg.n_boot)
    if n_boot <= 0:
        return {"ari_mean": np.nan, "ari_low": np.nan, "ari_high": np.nan, "n_boot": 0}
    rng = np.random.default_rng(int(ccfg.random_state))
    aris = []
    for b in range(n_boot):
        idx = np.unique(rng.integers(0, len(X), len(X)))
        sub_cfg = ccfg.model_copy(update={"random_state": int(ccfg.random_state) + b + 1})
        lab_b, _ = _fit(method, X[idx], k, sub_cfg)
        aris.append(adjusted_rand_score(labels[idx], lab_b))
    a = np.array(aris)
    ci = float(scfg.ci)
    return {
        "ari_mean": float(a.mean()),
        "ari_low": float(np.quantile(a, (1 - ci) / 2)),
        "ari_high": float(np.quantile(a, 1 - (1 - ci) / 2)),
        "n_boot": n_boot,
    }


def _ordered_labels(cf, cfg: ContextSettings, Xdf: pd.DataFrame, raw_labels: np.ndarray) -> np.ndarray:
    """Clusters numbered by their mean (pure-context) principal-component index, most favourable first."""
    pc = pca_index(cf, cfg, features=list(Xdf.columns))
    means = pd.Series(pc.to_numpy()).groupby(raw_labels).mean().sort_values(ascending=False, kind="stable")
    remap = {old: new for new, old in enumerate(means.index, start=1)}
    return np.array([remap[v] for v in raw_labels])


def _cluster_names(zmeans: pd.DataFrame, cfg: ContextSettings, ccfg: ClusteringSettings) -> dict:
    """One distinct Russian name per cluster: longer phrases for look-alikes, then the group number."""
    names = {c: _phrase_name(zmeans.loc[c], cfg.features, ccfg.naming) for c in zmeans.index}
    for extra in (1, 2):
        dup = pd.Series(names).duplicated(keep=False)
        for c in dup[dup].index:
            names[c] = _phrase_name(zmeans.loc[c], cfg.features, ccfg.naming, extra=extra)
    dup = pd.Series(names).duplicated(keep=False)
    for c in dup[dup].index:
        names[c] = f"{names[c]} (группа {c})"
    return names


def _profile(cf, Xdf: pd.DataFrame, labels: np.ndarray, zmeans: pd.DataFrame, names: dict) -> pd.DataFrame:
    """Per cluster: name, size, the mean standardised and the mean raw (imputed) value of each feature."""
    raw_means = cf.imputed.loc[Xdf.index, Xdf.columns].groupby(labels).mean()
    profile = pd.DataFrame(
        {
            "cluster": zmeans.index,
            "cluster_name": [names[c] for c in zmeans.index],
            "n_schools": pd.Series(labels).value_counts().reindex(zmeans.index).to_numpy(),
        }
    )
    for f in Xdf.columns:
        profile[f"z_{f}"] = zmeans[f].round(3).to_numpy()
    for f in Xdf.columns:
        profile[f"mean_{f}"] = raw_means[f].round(4).to_numpy()
    return profile.reset_index(drop=True)


def cluster_analysis(
    dataset,
    year: int,
    method: str | None = None,
    config: str | Path | Mapping | ContextSettings | None = None,
    stability: bool = True,
) -> ClusterResult:
    """Cluster the schools of ``year`` by their standardised context.

    Parameters
    ----------
    method : ``kmeans``, ``ward`` or ``gmm`` (default from the configuration).
    stability : compute the bootstrap adjusted Rand index (resample schools, refit with the same
        k, compare with the full-sample clusters on the resampled schools).
    """
    cfg = load_context_config(config)
    ccfg = cfg.clustering
    method = method or ccfg.method
    if method not in ("kmeans", "ward", "gmm"):
        raise ValueError(f"Неизвестный метод кластеризации «{method}»: допустимы kmeans, ward, gmm")
    cf = context_features(dataset, year, cfg)
    Xdf = _select(cf, _role_features(cfg, "clustering"))
    X = Xdf.to_numpy()
    if len(X) == 0:
        raise ValueError("Нет школ с данными о контексте для кластеризации")
    k, scores = _choose_k(method, X, ccfg)
    raw_labels, model = _fit(method, X, k, ccfg)
    notes = _cluster_notes(len(X), k, ccfg)
    labels = _ordered_labels(cf, cfg, Xdf, raw_labels)
    zmeans = Xdf.groupby(labels).mean()
    names = _cluster_names(zmeans, cfg, ccfg)
    out = pd.DataFrame(
        {
            "school_id": Xdf.index.astype("string"),
            "cluster": labels,
            "cluster_name": [names[c] for c in labels],
        }
    )
    out["cluster"] = out["cluster"].astype("Int64")
    stab = (
        _bootstrap_ari(method, X, k, labels, ccfg)
        if stability and k > 1
        else {"ari_mean": np.nan, "ari_low": np.nan, "ari_high": np.nan, "n_boot": 0}
    )
    return ClusterResult(
        labels=out,
        profile=_profile(cf, Xdf, labels, zmeans, names),
        k_scores=scores,
        k=k,
        method=method,
        stability=stab,
        excluded=cf.excluded,
        features=list(Xdf.columns),
        context=cf,
        centroids=zmeans,
        model=model,
        notes=notes,
    )


def _cluster_notes(n: int, k: int, ccfg: ClusteringSettings) -> list[str]:
    """Russian notes on clusters of small data (shown with the context output)."""
    from shnro_lib.report.format import fmt_int

    min_size, warn = int(ccfg.min_cluster_size), int(ccfg.few_schools_warning)
    out = []
    if k == 1:
        out.append(
            f"Кластеры не выделены: школ с данными о контексте {fmt_int(n)}, а в каждом кластере должно "
            f"быть не меньше {fmt_int(min_size)} школ; все школы образуют одну группу."
        )
    elif ccfg.k and k < int(ccfg.k):
        out.append(
            f"Число кластеров уменьшено с {fmt_int(ccfg.k)} до {fmt_int(k)}: в каждом кластере должно "
            f"быть не меньше {fmt_int(min_size)} школ."
        )
    if n < warn:
        out.append(
            f"Школ с данными о контексте мало ({fmt_int(n)}, меньше {fmt_int(warn)}): кластеры и их "
            "названия ориентировочные."
        )
    return out


def cluster_schools(
    dataset,
    year: int,
    method: str | None = None,
    config: str | Path | Mapping | ContextSettings | None = None,
) -> pd.DataFrame:
    """``school_id, cluster, cluster_name`` for every clustered school (see :func:`cluster_analysis`)."""
    return cluster_analysis(dataset, year, method, config, stability=False).labels


def cluster_profile(
    dataset,
    year: int,
    method: str | None = None,
    config: str | Path | Mapping | ContextSettings | None = None,
) -> pd.DataFrame:
    """The profile behind the cluster names (see :attr:`ClusterResult.profile`)."""
    return cluster_analysis(dataset, year, method, config, stability=False).profile


def clusters_across_years(
    dataset,
    reference_year: int | None = None,
    years: list[int] | None = None,
    method: str | None = None,
    config: str | Path | Mapping | ContextSettings | None = None,
) -> pd.DataFrame:
    """Assign each year's context to the clusters of the reference year.

    Each year's features are standardised with the reference year's constants and assigned
    to the nearest reference cluster (``predict`` for k-means and the Gaussian mixture, the
    nearest centroid for Ward).

    Returns
    -------
    DataFrame
        ``school_id, year, cluster, cluster_name, cluster_reference, changed, context_shift``
        where ``context_shift`` is the Euclidean distance (in reference SD units) between the
        school's standardised features this year and in the reference year.
    """
    cfg = load_context_config(config)
    ctx = dataset.get("context")
    ctx_years = sorted(int(y) for y in ctx["year"].dropna().unique()) if ctx is not None else dataset.years
    ref_year = reference_year or cfg.clustering.reference_year or min(ctx_years)
    years = years or [y for y in ctx_years if y >= ref_year] or [ref_year]
    res = cluster_analysis(dataset, ref_year, method, cfg, stability=False)
    ref_z = res.context.z[res.features]
    ref_lab = res.labels.set_index("school_id")["cluster"]
    names = res.profile.set_index("cluster")["cluster_name"]
    parts = []
    for y in years:
        cf = context_features(dataset, y, cfg, reference=res.context)
        Z = cf.z.reindex(columns=res.features).fillna(0.0)
        if res.method == "ward":
            d = ((Z.to_numpy()[:, None, :] - res.centroids.to_numpy()[None, :, :]) ** 2).sum(axis=2)
            lab = res.centroids.index.to_numpy()[d.argmin(axis=1)]
        else:
            raw = res.model.predict(Z.to_numpy())
            # the model's raw labels -> our numbering via the reference fit
            ref_raw = res.model.predict(ref_z.to_numpy())
            mapping = pd.crosstab(ref_raw, ref_lab.reindex(ref_z.index).to_numpy()).idxmax(axis=1)
            lab = np.array([mapping.get(v, -1) for v in raw])
        common = Z.index.intersection(ref_z.index)
        shift = pd.Series(np.nan, index=Z.index)
        shift[common] = np.sqrt(((Z.loc[common] - ref_z.loc[common]) ** 2).sum(axis=1))
        df = pd.DataFrame({"school_id": Z.index.astype("string"), "year": y, "cluster": lab})
        df["cluster_name"] = df["cluster"].map(names)
        df["cluster_reference"] = ref_lab.reindex(Z.index).to_numpy()
        df["changed"] = df["cluster_reference"].notna() & (df["cluster"] != df["cluster_reference"])
        df["context_shift"] = shift.round(3).to_numpy()
        parts.append(df)
    out = pd.concat(parts, ignore_index=True)
    out["cluster"] = out["cluster"].astype("Int64")
    out["cluster_reference"] = out["cluster_reference"].astype("Int64")
    out["year"] = out["year"].astype("Int64")
    return out
