"""School context: features, clusters, context-adjusted results, resilient and similar schools.

Everything configurable lives in ``parameters/context.yaml``; a dict or a path can be passed
instead (a dict is merged over the defaults, so a test can change one setting).

Context is never built from results: features come only from the ``context``, ``staff``,
``resources``, ``territories`` and ``schools`` tables.  Results enter only the model of
expected results (section 3), never the clustering or the neighbours.

Main entry points
-----------------
- :func:`context_features` — the feature matrix of a year (raw, imputed, standardised) with
  the list of schools left out for missing context and the imputation / year-fallback report;
- :func:`cluster_analysis` / :func:`cluster_schools` / :func:`cluster_profile` — clusters with
  automatic Russian names, the choice of k and the bootstrap stability;
- :func:`clusters_across_years` — each year's context assigned to the reference year's clusters;
- :func:`fit_expected_model` / :func:`expected_results` — expected results, residuals and their
  intervals, with the MixedLM zero-variance guard;
- :func:`similar_schools` and :func:`plot_similar_schools`;
- :func:`context_table` — one row per school joining all of it;
- :func:`context_method_ru` — the method annex in Russian (markdown).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from shnro_lib.config import deep_merge, load_yaml, parameters_dir
from shnro_lib.indicators import school_result_index, standardised_results, window_years

ALLOWED_TABLES = ("context", "staff", "resources", "territories", "schools")
REGION_ROW = "__region__"
_AFTER_PREFIXES = ("с ", "со ", "в ", "на ", "вблизи ")


# --------------------------------------------------------------------------- configuration

def load_context_config(config: str | Path | Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The context configuration: defaults from ``parameters/context.yaml``.

    Parameters
    ----------
    config : None (defaults), a path to a YAML file (used as a whole), or a dict merged
        recursively over the defaults (lists replace, dicts merge).
    """
    if config is None:
        return _validate_config(load_yaml(parameters_dir() / "context.yaml"))
    if isinstance(config, (str, Path)):
        return _validate_config(load_yaml(config))
    base = load_yaml(parameters_dir() / "context.yaml")
    return _validate_config(deep_merge(base, dict(config)))


def _validate_config(cfg: dict) -> dict:
    if not isinstance(cfg, dict) or "features" not in cfg:
        raise ValueError("Параметры контекста: нет раздела «features» (каталог признаков)")
    for name, spec in cfg["features"].items():
        if spec.get("table") not in ALLOWED_TABLES:
            raise ValueError(
                f"Признак контекста «{name}»: таблица «{spec.get('table')}» недопустима "
                f"(разрешены {', '.join(ALLOWED_TABLES)}; результаты не могут быть признаками контекста)")
        if spec.get("transform", "none") not in ("none", "log", "log1p", "bool", "indicator"):
            raise ValueError(f"Признак контекста «{name}»: неизвестное преобразование «{spec.get('transform')}»")
    for role in ("clustering", "model", "similar"):
        for f in cfg.get(role, {}).get("features") or []:
            if f not in cfg["features"]:
                raise ValueError(f"Раздел «{role}»: признак «{f}» не описан в каталоге «features»")
    method = cfg.get("clustering", {}).get("method", "kmeans")
    if method not in ("kmeans", "ward", "gmm"):
        raise ValueError(f"Неизвестный метод кластеризации «{method}»: допустимы kmeans, ward, gmm")
    return cfg


def _role_features(cfg: dict, role: str) -> list[str]:
    feats = (cfg.get(role) or {}).get("features")
    return list(feats) if feats else list(cfg["features"])


def _used_features(cfg: dict) -> list[str]:
    used: list[str] = []
    roles = [_role_features(cfg, r) for r in ("clustering", "model", "similar")]
    idx = (cfg.get("context_index") or {}).get("features")
    if idx:
        roles.append(list(idx))
    for feats in roles:
        used += [f for f in feats if f not in used]
    return [f for f in cfg["features"] if f in used]


# --------------------------------------------------------------------------- features

@dataclass
class ContextFeatures:
    """The context feature matrix of one year.

    Attributes
    ----------
    year : analysis year.
    raw : transformed features before imputation (index ``school_id``; missing stays missing).
    imputed : transformed features after imputation, for the schools kept.
    z : standardised ``imputed`` (mean 0, SD 1 over the schools kept, or over a reference year).
    municipality : municipality of every kept school.
    excluded : schools left out (``school_id, municipality, n_missing, share_missing, reason``).
    imputed_counts : number of imputed values per feature (kept schools).
    year_used : ``school_id, table, year_used`` — the context year actually used per school and table.
    mean, sd : standardisation constants (transformed scale).
    notes : Russian notes (fallback years, absent tables, dropped features).
    labels : feature -> Russian label.
    """

    year: int
    raw: pd.DataFrame
    imputed: pd.DataFrame
    z: pd.DataFrame
    municipality: pd.Series
    excluded: pd.DataFrame
    imputed_counts: pd.Series
    year_used: pd.DataFrame
    mean: pd.Series
    sd: pd.Series
    notes: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def n_imputed(self) -> int:
        return int(self.imputed_counts.sum())

    @property
    def n_fallback(self) -> int:
        return int((self.year_used["year_used"] < self.year).sum()) if len(self.year_used) else 0


def _latest_rows(df: pd.DataFrame, year: int) -> pd.DataFrame:
    d = df[df["year"].notna()].copy()
    d["year"] = d["year"].astype(int)
    d = d[d["year"] <= int(year)]
    if d.empty:
        return d
    # stable: the latest year per school; a duplicate school-year keeps its last row
    d = d.sort_values(["school_id", "year"], kind="stable")
    return d.groupby("school_id", sort=False).tail(1).set_index("school_id")


def _transform(values: pd.Series, spec: dict) -> pd.Series:
    t = spec.get("transform", "none")
    if t == "indicator":
        s = values.astype("string")
        return (s == str(spec.get("value"))).astype(float).where(s.notna())
    if t == "bool":
        return values.astype("boolean").astype("Float64").astype(float)
    x = pd.to_numeric(values, errors="coerce").astype(float)
    if t == "log":
        return np.log(x.where(x > 0))
    if t == "log1p":
        return np.log1p(x.where(x >= 0))
    return x


def _territory_values(schools: pd.DataFrame, terr: pd.DataFrame, column: str) -> pd.Series:
    t = terr.copy()
    has_loc = "locality" in t.columns
    by_muni = t[t["locality"].isna()] if has_loc else t
    muni_val = by_muni.drop_duplicates("municipality", keep="last").set_index("municipality")[column]
    out = schools["municipality"].map(muni_val)
    if has_loc and "locality" in schools.columns:
        loc = t[t["locality"].notna()].drop_duplicates(["municipality", "locality"], keep="last")
        key = loc["municipality"].astype(str) + "|" + loc["locality"].astype(str)
        loc_val = pd.Series(loc[column].to_numpy(), index=key.to_numpy())
        skey = schools["municipality"].astype(str) + "|" + schools["locality"].astype(str)
        by_loc = skey.map(loc_val)
        out = by_loc.where(by_loc.notna(), out)
    return out


def context_features(dataset, year: int, config: str | Path | Mapping | None = None,
                     reference: ContextFeatures | None = None) -> ContextFeatures:
    """Build the context features of ``year``.

    Parameters
    ----------
    dataset : a loaded :class:`~shnro_lib.io.Dataset`.
    year : analysis year; a school without a row for it in a table takes its latest earlier row.
    config : see :func:`load_context_config`.
    reference : standardise with this (earlier computed) year's mean and SD instead of this
        year's own — used to put several years on the reference year's scale.

    Returns
    -------
    ContextFeatures
    """
    cfg = load_context_config(config)
    catalog = cfg["features"]
    feats = _used_features(cfg)
    schools = dataset.schools.drop_duplicates("school_id", keep="first").set_index("school_id")
    notes: list[str] = []
    raw = pd.DataFrame(index=schools.index)
    year_used_parts = []
    kept_feats: list[str] = []
    latest_cache: dict[str, pd.DataFrame] = {}
    for f in feats:
        spec = catalog[f]
        table = spec["table"]
        if table == "schools":
            if spec["column"] not in schools.columns:
                notes.append(f"Признак «{spec.get('label', f)}» не используется: в таблице школ нет столбца "
                             f"«{spec['column']}».")
                continue
            raw[f] = _transform(schools[spec["column"]], spec)
        elif table == "territories":
            terr = dataset.get("territories")
            if terr is None or spec["column"] not in terr.columns:
                notes.append(f"Признак «{spec.get('label', f)}» не используется: нет таблицы территорий "
                             f"или столбца «{spec['column']}».")
                continue
            raw[f] = _transform(_territory_values(schools, terr, spec["column"]), spec)
        else:
            df = dataset.get(table)
            if df is None or spec["column"] not in df.columns:
                notes.append(f"Признак «{spec.get('label', f)}» не используется: нет таблицы «{table}» "
                             f"или столбца «{spec['column']}».")
                continue
            if table not in latest_cache:
                latest = _latest_rows(df, year)
                latest_cache[table] = latest
                if len(latest):
                    year_used_parts.append(pd.DataFrame({
                        "school_id": latest.index, "table": table, "year_used": latest["year"].to_numpy()}))
                    n_fb = int((latest["year"] < int(year)).sum())
                    if n_fb:
                        notes.append(f"Таблица «{table}»: нет данных за {year} г. у школ: {n_fb}; "
                                     f"взяты последние более ранние (самый ранний — {int(latest['year'].min())} г.).")
            latest = latest_cache[table]
            col = latest[spec["column"]] if len(latest) else pd.Series(dtype=float)
            raw[f] = _transform(col.reindex(schools.index), spec)
        kept_feats.append(f)
    if not kept_feats:
        raise ValueError("Нет ни одного признака контекста: в наборе данных нет таблиц, указанных в параметрах")
    raw = raw[kept_feats].astype(float)

    # --- missing values: exclusion rule
    mcfg = cfg.get("missing", {})
    max_share = float(mcfg.get("max_share", 0.5))
    miss = raw.isna()
    share = miss.mean(axis=1)
    reasons = pd.Series("", index=raw.index, dtype=object)
    over = share > max_share
    reasons[over] = [f"нет данных по {int(miss.loc[s].sum())} из {len(kept_feats)} признаков контекста "
                     f"(допустимо не более {max_share:.0%})" for s in raw.index[over]]
    if mcfg.get("per_table", True):
        by_table: dict[str, list[str]] = {}
        for f in kept_feats:
            by_table.setdefault(catalog[f]["table"], []).append(f)
        for table, fs in by_table.items():
            if len(fs) < 2:
                continue
            tshare = miss[fs].mean(axis=1)
            bad = (tshare > max_share) & ~over
            for s in raw.index[bad]:
                reasons[s] = (f"в таблице «{table}» нет данных по {int(miss.loc[s, fs].sum())} из {len(fs)} "
                              f"признаков (допустимо не более {max_share:.0%})")
            over = over | bad
    excluded = pd.DataFrame({
        "school_id": raw.index[over], "municipality": schools.loc[over, "municipality"].astype(str).to_numpy(),
        "n_missing": miss.loc[over].sum(axis=1).astype(int).to_numpy(),
        "share_missing": share[over].round(3).to_numpy(), "reason": reasons[over].to_numpy(),
    })
    kept = raw.loc[~over].copy()
    muni = schools.loc[kept.index, "municipality"].astype(str)

    # --- imputation: municipality median, else region median
    imputed = kept.copy()
    counts = kept.isna().sum()
    if counts.sum():
        muni_med = kept.groupby(muni).transform("median")
        imputed = imputed.fillna(muni_med)
        imputed = imputed.fillna(kept.median())
        still = imputed.columns[imputed.isna().any()]
        if len(still):
            notes.append("Признаки без единого значения исключены: " + ", ".join(still) + ".")
            imputed = imputed.drop(columns=still)
            kept_feats = [f for f in kept_feats if f not in still]
        notes.append(f"Пропуски заполнены медианой муниципалитета (или региона): значений — {int(counts.sum())}, "
                     f"школ — {int(kept.isna().any(axis=1).sum())}.")
    if len(excluded):
        notes.append(f"Не включены в анализ из-за пропусков контекста школ: {len(excluded)}.")

    # --- standardisation
    if reference is not None:
        mean = reference.mean.reindex(imputed.columns)
        sd = reference.sd.reindex(imputed.columns)
    else:
        mean = imputed.mean()
        sd = imputed.std(ddof=0)
    sd_safe = sd.where(sd > 1e-12)
    z = (imputed - mean) / sd_safe
    const = z.columns[z.isna().all()]
    if len(const):
        notes.append("Признаки без вариации исключены: " + ", ".join(const) + ".")
        z = z.drop(columns=const)
    z = z.fillna(0.0)
    year_used = (pd.concat(year_used_parts, ignore_index=True) if year_used_parts
                 else pd.DataFrame(columns=["school_id", "table", "year_used"]))
    labels = {f: catalog[f].get("label", f) for f in kept_feats}
    return ContextFeatures(year=int(year), raw=raw, imputed=imputed, z=z, municipality=muni,
                           excluded=excluded, imputed_counts=counts, year_used=year_used,
                           mean=mean, sd=sd, notes=notes, labels=labels)


def _select(cf: ContextFeatures, feats: list[str]) -> pd.DataFrame:
    cols = [f for f in feats if f in cf.z.columns]
    if not cols:
        raise ValueError("Ни один из выбранных признаков контекста не доступен в данных")
    return cf.z[cols]


def pca_index(cf: ContextFeatures, config: str | Path | Mapping | None = None,
              features: list[str] | None = None) -> pd.Series:
    """First principal component of the standardised features, oriented so higher = more favourable.

    The orientation uses the ``favourable`` signs of the catalogue: the component is flipped when
    the sum of its loadings times those signs is negative. Scaled to mean 0, SD 1.
    """
    cfg = load_context_config(config)
    feats = features or (cfg.get("context_index") or {}).get("features") or _role_features(cfg, "clustering")
    X = _select(cf, feats)
    u, s, vt = np.linalg.svd(X.to_numpy() - X.to_numpy().mean(axis=0), full_matrices=False)
    load = vt[0]
    sign = np.array([cfg["features"][c].get("favourable", 0) for c in X.columns], dtype=float)
    orient = float(load @ sign)
    if orient < 0 or (orient == 0 and load.sum() < 0):
        load = -load
    score = X.to_numpy() @ load
    sd = score.std() or 1.0
    return pd.Series((score - score.mean()) / sd, index=X.index, name="context_index_pca")


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


def _fit(method: str, X: np.ndarray, k: int, ccfg: dict):
    from sklearn.cluster import AgglomerativeClustering, KMeans
    from sklearn.mixture import GaussianMixture

    rs = int(ccfg.get("random_state", 0))
    n_init = int(ccfg.get("n_init", 10))
    if method == "kmeans":
        m = KMeans(n_clusters=k, n_init=n_init, random_state=rs).fit(X)
        return m.labels_, m
    if method == "ward":
        # Ward needs O(n^2) memory: above `ward_max_n` schools it is fitted on a random subsample
        # and every school is assigned to the nearest subsample cluster centre
        max_n = int(ccfg.get("ward_max_n", 15000))
        if len(X) > max_n:
            rng = np.random.default_rng(rs)
            sub = rng.choice(len(X), size=max_n, replace=False)
            m = AgglomerativeClustering(n_clusters=k, linkage="ward").fit(X[sub])
            centres = np.vstack([X[sub][m.labels_ == c].mean(axis=0) for c in range(k)])
            labels = np.argmin(((X[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2), axis=1)
            return labels, m
        m = AgglomerativeClustering(n_clusters=k, linkage="ward").fit(X)
        return m.labels_, m
    m = GaussianMixture(n_components=k, n_init=max(1, min(n_init, 5)), random_state=rs,
                        covariance_type=ccfg.get("gmm_covariance", "diag")).fit(X)
    return m.predict(X), m


def _choose_k(method: str, X: np.ndarray, ccfg: dict) -> tuple[int, pd.DataFrame]:
    from sklearn.metrics import silhouette_score

    fixed = ccfg.get("k")
    lo, hi = ccfg.get("k_range", [2, 8])
    hi = min(int(hi), len(X) - 1)
    rows = []
    for k in range(int(lo), hi + 1):
        labels, m = _fit(method, X, k, ccfg)
        if method == "gmm":
            rows.append({"k": k, "bic": float(m.bic(X))})
        else:
            # silhouette is O(n^2): on large data it is estimated on a random sample of schools
            size = int(ccfg.get("silhouette_sample_size", 5000))
            sil = (silhouette_score(X, labels, sample_size=size if len(X) > size else None,
                                    random_state=int(ccfg.get("random_state", 0)))
                   if len(set(labels)) > 1 else np.nan)
            rows.append({"k": k, "silhouette": float(sil)})
    scores = pd.DataFrame(rows)
    if fixed:
        return int(fixed), scores
    if scores.empty:
        raise ValueError("Слишком мало школ для кластеризации")
    if method == "gmm":
        return int(scores.loc[scores["bic"].idxmin(), "k"]), scores
    return int(scores.loc[scores["silhouette"].idxmax(), "k"]), scores


def _phrase_name(zrow: pd.Series, catalog: dict, ncfg: dict, extra: int = 0) -> str:
    max_f = int(ncfg.get("max_features", 3)) + extra
    min_z = float(ncfg.get("min_abs_z", 0.5))
    order = zrow.abs().sort_values(ascending=False, kind="stable")
    chosen: list[tuple[str, str]] = []
    for f in order.index:
        if abs(zrow[f]) < min_z or len(chosen) >= max_f:
            break
        spec = catalog[f]
        phrase = (spec.get("high") if zrow[f] > 0 else spec.get("low")) or ""
        if phrase and phrase not in [p for _, p in chosen]:
            chosen.append((f, phrase))
    if not chosen:
        return ncfg.get("fallback", "школы со средними показателями контекста")
    feat_order = list(catalog)
    chosen.sort(key=lambda fp: feat_order.index(fp[0]))
    before = [p for _, p in chosen if not p.startswith(_AFTER_PREFIXES)]
    after = [p for _, p in chosen if p.startswith(_AFTER_PREFIXES)]
    name = " ".join(before + ["школы"])
    if after:
        name += " " + " и ".join(after)
    return name[0].upper() + name[1:]


def _bootstrap_ari(method: str, X: np.ndarray, k: int, labels: np.ndarray, ccfg: dict) -> dict[str, float]:
    from sklearn.metrics import adjusted_rand_score

    scfg = ccfg.get("stability") or {}
    n_boot = int(scfg.get("n_boot", 40))
    if n_boot <= 0:
        return {"ari_mean": np.nan, "ari_low": np.nan, "ari_high": np.nan, "n_boot": 0}
    rng = np.random.default_rng(int(ccfg.get("random_state", 0)))
    aris = []
    for b in range(n_boot):
        idx = np.unique(rng.integers(0, len(X), len(X)))
        sub_cfg = dict(ccfg, random_state=int(ccfg.get("random_state", 0)) + b + 1)
        lab_b, _ = _fit(method, X[idx], k, sub_cfg)
        aris.append(adjusted_rand_score(labels[idx], lab_b))
    a = np.array(aris)
    ci = float(scfg.get("ci", 0.9))
    return {"ari_mean": float(a.mean()), "ari_low": float(np.quantile(a, (1 - ci) / 2)),
            "ari_high": float(np.quantile(a, 1 - (1 - ci) / 2)), "n_boot": n_boot}


def cluster_analysis(dataset, year: int, method: str | None = None,
                     config: str | Path | Mapping | None = None, stability: bool = True) -> ClusterResult:
    """Cluster the schools of ``year`` by their standardised context.

    Parameters
    ----------
    method : ``kmeans``, ``ward`` or ``gmm`` (default from the configuration).
    stability : compute the bootstrap adjusted Rand index (resample schools, refit with the same
        k, compare with the full-sample clusters on the resampled schools).
    """
    cfg = load_context_config(config)
    ccfg = dict(cfg.get("clustering") or {})
    method = method or ccfg.get("method", "kmeans")
    if method not in ("kmeans", "ward", "gmm"):
        raise ValueError(f"Неизвестный метод кластеризации «{method}»: допустимы kmeans, ward, gmm")
    cf = context_features(dataset, year, cfg)
    Xdf = _select(cf, _role_features(cfg, "clustering"))
    X = Xdf.to_numpy()
    k, scores = _choose_k(method, X, ccfg)
    raw_labels, model = _fit(method, X, k, ccfg)
    # number clusters by the mean (pure-context) principal-component index, most favourable first
    pc = pca_index(cf, cfg, features=list(Xdf.columns))
    means = pd.Series(pc.to_numpy()).groupby(raw_labels).mean().sort_values(ascending=False, kind="stable")
    remap = {old: new for new, old in enumerate(means.index, start=1)}
    labels = np.array([remap[v] for v in raw_labels])
    zmeans = Xdf.groupby(labels).mean()
    names = {c: _phrase_name(zmeans.loc[c], cfg["features"], ccfg.get("naming") or {}) for c in zmeans.index}
    for extra in (1, 2):
        dup = pd.Series(names).duplicated(keep=False)
        for c in dup[dup].index:
            names[c] = _phrase_name(zmeans.loc[c], cfg["features"], ccfg.get("naming") or {}, extra=extra)
    dup = pd.Series(names).duplicated(keep=False)
    for c in dup[dup].index:
        names[c] = f"{names[c]} (группа {c})"
    out = pd.DataFrame({"school_id": Xdf.index.astype("string"), "cluster": labels,
                        "cluster_name": [names[c] for c in labels]})
    out["cluster"] = out["cluster"].astype("Int64")
    raw_means = cf.imputed.loc[Xdf.index, Xdf.columns].groupby(labels).mean()
    profile = pd.DataFrame({"cluster": zmeans.index, "cluster_name": [names[c] for c in zmeans.index],
                            "n_schools": pd.Series(labels).value_counts().reindex(zmeans.index).to_numpy()})
    for f in Xdf.columns:
        profile[f"z_{f}"] = zmeans[f].round(3).to_numpy()
    for f in Xdf.columns:
        profile[f"mean_{f}"] = raw_means[f].round(4).to_numpy()
    stab = _bootstrap_ari(method, X, k, labels, ccfg) if stability else {
        "ari_mean": np.nan, "ari_low": np.nan, "ari_high": np.nan, "n_boot": 0}
    return ClusterResult(labels=out, profile=profile.reset_index(drop=True), k_scores=scores, k=k,
                         method=method, stability=stab, excluded=cf.excluded, features=list(Xdf.columns),
                         context=cf, centroids=zmeans, model=model)


def cluster_schools(dataset, year: int, method: str | None = None,
                    config: str | Path | Mapping | None = None) -> pd.DataFrame:
    """``school_id, cluster, cluster_name`` for every clustered school (see :func:`cluster_analysis`)."""
    return cluster_analysis(dataset, year, method, config, stability=False).labels


def cluster_profile(dataset, year: int, method: str | None = None,
                    config: str | Path | Mapping | None = None) -> pd.DataFrame:
    """The profile behind the cluster names (see :attr:`ClusterResult.profile`)."""
    return cluster_analysis(dataset, year, method, config, stability=False).profile


def clusters_across_years(dataset, reference_year: int | None = None, years: list[int] | None = None,
                          method: str | None = None,
                          config: str | Path | Mapping | None = None) -> pd.DataFrame:
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
    ref_year = reference_year or (cfg.get("clustering") or {}).get("reference_year") or min(ctx_years)
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


def _mixedlm_attempts(y, X, groups, mcfg) -> tuple[Any, str | None, list[dict]]:
    import statsmodels.api as sm

    min_ratio = float(mcfg.get("min_re_variance_ratio", 1e-3))
    attempts: list[dict] = []
    for opt in mcfg.get("optimizers", ["lbfgs", "bfgs", "powell"]):
        rec = {"optimizer": opt, "converged": False, "re_variance": np.nan, "ok": False, "note": ""}
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                res = sm.MixedLM(y, X, groups=groups).fit(reml=True, method=opt)
            re_var = float(np.asarray(res.cov_re)[0, 0])
            scale = float(res.scale)
            conv = bool(getattr(res, "converged", False))
            rec.update(converged=conv, re_variance=re_var)
            bse = np.asarray(res.bse_fe)
            msgs = {str(w.message)[:80] for w in caught}
            if not conv:
                rec["note"] = "не сошёлся"
            elif not np.isfinite(re_var) or re_var <= min_ratio * scale:
                rec["note"] = (f"дисперсия муниципального эффекта ≈ 0 ({re_var:.2e} при остаточной {scale:.2e})")
            elif not np.all(np.isfinite(bse)):
                rec["note"] = "неопределённые стандартные ошибки"
            else:
                rec["ok"] = True
                rec["note"] = "; ".join(sorted(msgs))[:200]
                attempts.append(rec)
                return res, opt, attempts
        except Exception as exc:  # noqa: BLE001 — any optimiser failure means "try the next one"
            rec["note"] = f"ошибка: {type(exc).__name__}: {str(exc)[:120]}"
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


def fit_expected_model(dataset, year: int, config: str | Path | Mapping | None = None) -> ExpectedModel:
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
    mcfg = cfg.get("model") or {}
    cf = context_features(dataset, year, cfg)
    window = window_years(dataset.years, year, int(mcfg.get("window", 3)))
    ri = school_result_index(dataset.results, years=window)
    Xall = _select(cf, _role_features(cfg, "model"))
    feats = list(Xall.columns)
    data = Xall.join(ri[["result_index", "result_index_se"]], how="inner")
    data = data[data["result_index"].notna()]
    data["result_index_se"] = data["result_index_se"].fillna(data["result_index_se"].median())
    muni = cf.municipality.reindex(data.index)
    y = data["result_index"].to_numpy(float)
    se = data["result_index_se"].to_numpy(float)
    X = sm.add_constant(data[feats].to_numpy(float), has_constant="add")
    Xfull = sm.add_constant(Xall.to_numpy(float), has_constant="add")
    n_muni = int(muni.nunique())
    if len(data) < len(feats) + 3:
        raise ValueError(f"Слишком мало школ с результатами и контекстом ({len(data)}) для модели ожидаемых "
                         f"результатов с {len(feats)} признаками")
    groups = pd.Categorical(muni.to_numpy()).codes
    res, opt, attempts = (None, None, [])
    reason = ""
    if n_muni >= 3:
        res, opt, attempts = _mixedlm_attempts(y, X, groups, mcfg)
        if res is not None and opt != attempts[0]["optimizer"]:
            reason = (f"MixedLM с оптимизатором {attempts[0]['optimizer']}: {attempts[0]['note']}; "
                      f"принята подгонка с оптимизатором {opt}.")
    else:
        reason = f"Муниципалитетов меньше трёх ({n_muni}): случайный муниципальный эффект не оценивается."
    re_var = np.nan
    r2_cond = np.nan
    municipal = pd.Series(0.0, index=Xall.index)
    if res is not None:
        k = X.shape[1]
        beta = np.asarray(res.fe_params)
        cov = np.asarray(res.cov_params())[:k, :k]
        re_var = float(np.asarray(res.cov_re)[0, 0])
        resid_var = float(res.scale)
        blup = {g: float(np.asarray(v)[0]) for g, v in res.random_effects.items()}
        code_of = dict(zip(muni.to_numpy(), groups, strict=True))
        municipal = cf.municipality.reindex(Xall.index).map(lambda m: blup.get(code_of.get(m), 0.0)).astype(float)
        fitted_fixed = X @ beta
        vf = float(np.var(fitted_fixed))
        r2 = vf / (vf + re_var + resid_var)
        r2_cond = (vf + re_var) / (vf + re_var + resid_var)
        pvals = np.asarray(res.pvalues)[:k]
        bse = np.asarray(res.bse_fe)
        model_used = "mixedlm"
    else:
        if not reason:
            reason = ("MixedLM вырожден при всех оптимизаторах ("
                      + "; ".join(f"{a['optimizer']}: {a['note']}" for a in attempts)
                      + "): муниципальный эффект не выявлен, использована МНК-регрессия "
                      "с кластеризованными по муниципалитетам ошибками.")
        ols0 = sm.OLS(y, X).fit()
        w = np.ones_like(y)
        if mcfg.get("ols_weighting", "precision") == "precision":
            tau2 = max(float(np.var(ols0.resid, ddof=X.shape[1])) - float(np.mean(se ** 2)), 1e-6)
            w = 1.0 / (tau2 + se ** 2)
        cov_kw = {"cov_type": "cluster", "cov_kwds": {"groups": groups}} if n_muni >= 2 else {"cov_type": "HC1"}
        fit = sm.WLS(y, X, weights=w).fit(**cov_kw)
        beta = np.asarray(fit.params)
        cov = np.asarray(fit.cov_params())
        resid_var = float(np.var(y - X @ beta, ddof=X.shape[1]))
        r2 = 1.0 - float(np.sum((y - X @ beta) ** 2) / np.sum((y - y.mean()) ** 2))
        pvals = np.asarray(fit.pvalues)
        bse = np.asarray(fit.bse)
        model_used = "ols_cluster"
    expected = pd.Series(Xfull @ beta, index=Xall.index)
    if mcfg.get("include_municipal_effect", False):
        expected = expected + municipal
    pred_var = pd.Series(np.einsum("ij,jk,ik->i", Xfull, cov, Xfull), index=Xall.index)
    z = stats.norm.ppf(0.5 + float(mcfg.get("ci_level", 0.95)) / 2)
    tab = pd.DataFrame(index=Xall.index)
    tab["municipality"] = cf.municipality.reindex(Xall.index)
    tab["result_index"] = ri["result_index"].reindex(Xall.index)
    tab["result_index_se"] = ri["result_index_se"].reindex(Xall.index)
    tab["expected_result"] = expected
    tab["residual"] = tab["result_index"] - tab["expected_result"]
    shock_var = 0.0
    if mcfg.get("include_year_shock", True) and len(window) >= 2:
        shock_var, n_years = _year_shock_variance(dataset, window)
        tab["year_shock_var"] = shock_var / n_years.reindex(Xall.index).clip(lower=1)
    else:
        tab["year_shock_var"] = 0.0
    tab["residual_se"] = np.sqrt(tab["result_index_se"] ** 2 + pred_var + tab["year_shock_var"].fillna(0.0))
    tab["residual_ci_low"] = tab["residual"] - z * tab["residual_se"]
    tab["residual_ci_high"] = tab["residual"] + z * tab["residual_se"]
    tab["municipal_effect"] = municipal
    tab = tab.drop(columns=["year_shock_var"])
    # context index
    icfg = cfg.get("context_index") or {}
    if icfg.get("method", "linear_predictor") == "pca":
        ci = pca_index(cf, cfg)
    else:
        lp = pd.Series(Xfull @ beta, index=Xall.index)
        ci = (lp - lp.mean()) / (lp.std(ddof=0) or 1.0)
    tab["context_index"] = ci.reindex(Xall.index)
    tab = tab.rename_axis("school_id").reset_index()
    tab["school_id"] = tab["school_id"].astype("string")
    labels = ["Константа"] + [cf.labels.get(f, f) for f in feats]
    params = pd.DataFrame({"feature": ["const"] + feats, "label": labels, "coef": beta,
                           "se": bse[: len(beta)], "p_value": pvals[: len(beta)]})
    return ExpectedModel(table=tab, model_used=model_used, optimizer=opt, reason=reason,
                         attempts=pd.DataFrame(attempts), r2=float(r2), r2_conditional=float(r2_cond),
                         re_variance=re_var, residual_variance=float(resid_var), params=params,
                         n_schools=int(len(data)), n_municipalities=n_muni, window=window, context=cf,
                         year_shock_variance=float(shock_var))


def expected_results(dataset, year: int, config: str | Path | Mapping | None = None) -> pd.DataFrame:
    """Per school: expected result, residual and its interval, context index (see :func:`fit_expected_model`).

    The table carries ``model_used`` and ``context_r2`` columns (constant) so a saved file
    says which model produced it.
    """
    m = fit_expected_model(dataset, year, config)
    out = m.table.copy()
    out["model_used"] = m.model_used
    out["context_r2"] = round(m.r2, 4)
    return out


def flag_resilient(table: pd.DataFrame, config: str | Path | Mapping | None = None) -> pd.DataFrame:
    """Add ``resilient`` and ``underperforming_favourable`` flags and ``context_status`` (Russian).

    Resilient: ``context_index`` in the bottom ``resilient.bottom_share`` of schools with a
    residual, and the residual's interval entirely above 0. The opposite group: ``context_index``
    in the top ``resilient.top_share`` and the interval entirely below 0.
    """
    cfg = load_context_config(config)
    rcfg = cfg.get("resilient") or {}
    out = table.copy()
    have = out["residual"].notna() & out["context_index"].notna()
    ci = out.loc[have, "context_index"]
    lo_cut = ci.quantile(float(rcfg.get("bottom_share", 0.3))) if len(ci) else np.nan
    hi_cut = ci.quantile(1 - float(rcfg.get("top_share", 0.3))) if len(ci) else np.nan
    out["resilient"] = (have & (out["context_index"] <= lo_cut) & (out["residual_ci_low"] > 0)).astype("boolean")
    out["underperforming_favourable"] = (have & (out["context_index"] >= hi_cut)
                                         & (out["residual_ci_high"] < 0)).astype("boolean")
    status = np.where(out["resilient"].to_numpy(dtype=bool), "резильентная: результат выше ожидаемого "
                      "при неблагоприятном контексте", "")
    status = np.where(out["underperforming_favourable"].to_numpy(dtype=bool),
                      "результат ниже ожидаемого при благоприятном контексте", status)
    out["context_status"] = status
    return out


# --------------------------------------------------------------------------- similar schools

def similar_schools(dataset, year: int, k: int | None = None,
                    config: str | Path | Mapping | None = None) -> pd.DataFrame:
    """The ``k`` nearest schools of every school by standardised context (like My School / ICSEA).

    Returns
    -------
    DataFrame
        ``school_id, similar_id, rank, distance`` (Euclidean distance in SD units of the
        ``similar.features``); a school is never its own neighbour.
    """
    from sklearn.neighbors import NearestNeighbors

    cfg = load_context_config(config)
    k = int(k or (cfg.get("similar") or {}).get("k", 10))
    cf = context_features(dataset, year, cfg)
    X = _select(cf, _role_features(cfg, "similar")).sort_index(kind="stable")
    n = len(X)
    kk = min(k, n - 1)
    if kk <= 0:
        return pd.DataFrame({"school_id": pd.Series(dtype="string"), "similar_id": pd.Series(dtype="string"),
                             "rank": pd.Series(dtype="Int64"), "distance": pd.Series(dtype=float)})
    nn = NearestNeighbors(n_neighbors=min(kk + 1, n)).fit(X.to_numpy())
    dist, idx = nn.kneighbors(X.to_numpy())
    ids = X.index.to_numpy()
    rows_s, rows_n, rows_r, rows_d = [], [], [], []
    for i in range(n):
        keep = [(d, j) for d, j in zip(dist[i], idx[i], strict=True) if j != i][:kk]
        for r, (d, j) in enumerate(keep, start=1):
            rows_s.append(ids[i])
            rows_n.append(ids[j])
            rows_r.append(r)
            rows_d.append(round(float(d), 6))
    return pd.DataFrame({"school_id": pd.array(rows_s, dtype="string"),
                         "similar_id": pd.array(rows_n, dtype="string"),
                         "rank": pd.array(rows_r, dtype="Int64"), "distance": rows_d})


def yearly_result_index(dataset, school_ids: list[str] | None = None) -> pd.DataFrame:
    """Result index of every school in every single year: ``school_id, year, result_index, result_index_se``."""
    z = standardised_results(dataset.results)
    parts = []
    for y in dataset.years:
        ri = school_result_index(dataset.results, years=[y], standardised=z)
        if school_ids is not None:
            ri = ri[ri.index.isin(school_ids)]
        part = ri[["result_index", "result_index_se"]].rename_axis("school_id").reset_index()
        part["year"] = y
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    return out[["school_id", "year", "result_index", "result_index_se"]]


def plot_similar_schools(dataset, school_id: str, year: int, k: int | None = None,
                         config: str | Path | Mapping | None = None, ax=None, synthetic: bool | None = None):
    """Plot a school's yearly result index against its ``k`` most similar schools.

    Returns the matplotlib ``Axes``.
    """
    import matplotlib.pyplot as plt

    sim = similar_schools(dataset, year, k, config)
    peers = sim.loc[sim["school_id"] == school_id, "similar_id"].tolist()
    if not peers:
        raise ValueError(f"Для школы {school_id} нет похожих школ (нет контекста за {year} г.?)")
    yr = yearly_result_index(dataset, [school_id, *peers])
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4.5))
    for p in peers:
        d = yr[yr["school_id"] == p].sort_values("year")
        ax.plot(d["year"], d["result_index"], color="0.75", lw=0.9, marker=".")
    med = yr[yr["school_id"].isin(peers)].groupby("year")["result_index"].median()
    ax.plot(med.index, med.to_numpy(), color="tab:blue", lw=2, ls="--", label=f"медиана {len(peers)} похожих школ")
    d = yr[yr["school_id"] == school_id].sort_values("year")
    ax.errorbar(d["year"], d["result_index"], yerr=1.96 * d["result_index_se"], color="tab:red", lw=2.5,
                marker="o", capsize=3, label=f"школа {school_id}")
    ax.axhline(0, color="k", lw=0.6)
    ax.set_xlabel("Год")
    ax.set_ylabel("Индекс результатов (станд. ед.)")
    ax.set_xticks(sorted(yr["year"].unique()))
    title = f"Школа {school_id} и похожие по контексту школы"
    if synthetic is None:
        synthetic = bool((getattr(dataset, "metadata", None) or {}).get("synthetic", False))
    if synthetic:
        title += " — СИНТЕТИЧЕСКИЕ ДАННЫЕ"
    ax.set_title(title)
    ax.legend(loc="best", fontsize=8)
    return ax


# --------------------------------------------------------------------------- joined table

@dataclass
class ContextReport:
    """Everything of :func:`context_analysis` (the CLI and the notebook use it)."""

    table: pd.DataFrame
    clusters: ClusterResult
    model: ExpectedModel
    similar: pd.DataFrame
    excluded: pd.DataFrame
    config: dict


def context_analysis(dataset, year: int, config: str | Path | Mapping | None = None,
                     method: str | None = None, stability: bool = True) -> ContextReport:
    """Run features, clusters, expected results and similar schools once and join them."""
    cfg = load_context_config(config)
    cl = cluster_analysis(dataset, year, method, cfg, stability=stability)
    em = fit_expected_model(dataset, year, cfg)
    sim = similar_schools(dataset, year, None, cfg)
    sch = dataset.schools.drop_duplicates("school_id")[["school_id", "municipality"]].copy()
    sch["school_id"] = sch["school_id"].astype("string")
    tab = sch.merge(cl.labels, on="school_id", how="left")
    model_cols = ["school_id", "result_index", "result_index_se", "expected_result", "residual", "residual_se",
                  "residual_ci_low", "residual_ci_high", "municipal_effect", "context_index"]
    tab = tab.merge(em.table[model_cols], on="school_id", how="left")
    tab = flag_resilient(tab, cfg)
    peers = sim.groupby("school_id")["similar_id"].agg(lambda s: ", ".join(s.astype(str)))
    tab["similar_ids"] = tab["school_id"].map(peers)
    exc = cl.excluded.set_index("school_id")["reason"] if len(cl.excluded) else pd.Series(dtype=object)
    tab["context_missing_reason"] = tab["school_id"].map(exc)
    tab["model_used"] = em.model_used
    tab["context_r2"] = round(em.r2, 4)
    tab["cluster"] = tab["cluster"].astype("Int64")
    return ContextReport(table=tab, clusters=cl, model=em, similar=sim, excluded=cl.excluded, config=cfg)


def context_table(dataset, year: int, config: str | Path | Mapping | None = None) -> pd.DataFrame:
    """One row per school of the ``schools`` table: clusters, context index, expected results and flags.

    Columns include ``school_id, municipality, cluster, cluster_name, context_index, result_index,
    expected_result, residual, residual_ci_low, residual_ci_high, resilient,
    underperforming_favourable, context_status, similar_ids, context_missing_reason, model_used,
    context_r2``. Schools left out for missing context keep their row with empty values and
    the reason.
    """
    return context_analysis(dataset, year, config, stability=False).table


# --------------------------------------------------------------------------- method annex

_METHOD_RU = {"kmeans": "метод k-средних", "ward": "иерархическая кластеризация методом Уорда",
              "gmm": "модель смеси нормальных распределений"}


def context_method_ru(config: str | Path | Mapping | None = None) -> str:
    """The method annex (markdown, Russian): features, clustering, model and assumptions."""
    cfg = load_context_config(config)
    cat = cfg["features"]
    ccfg = cfg.get("clustering") or {}
    mcfg = cfg.get("model") or {}
    rcfg = cfg.get("resilient") or {}
    miss = cfg.get("missing") or {}
    tables_ru = {"context": "социальный контекст", "staff": "кадры", "resources": "ресурсы",
                 "territories": "территории", "schools": "справочник школ"}
    tr_ru = {"none": "без преобразования", "log": "логарифм", "log1p": "логарифм (1 + x)", "bool": "да/нет → 1/0",
             "indicator": "индикатор"}

    def _list(role: str) -> str:
        return "\n".join(f"- {cat[f].get('label', f)} — таблица «{tables_ru[cat[f]['table']]}», "
                         f"{tr_ru[cat[f].get('transform', 'none')]}" for f in _role_features(cfg, role))

    method = ccfg.get("method", "kmeans")
    kchoice = (f"число кластеров задано: {ccfg['k']}" if ccfg.get("k") else
               f"число кластеров выбирается из диапазона {ccfg.get('k_range', [2, 8])} "
               + ("по информационному критерию BIC" if method == "gmm" else "по коэффициенту силуэта"))
    ci_m = (cfg.get("context_index") or {}).get("method", "linear_predictor")
    ci_text = ("линейный предиктор модели ожидаемых результатов (прогноз результата только по контексту, "
               "как ICSEA в австралийской системе My School), стандартизованный" if ci_m == "linear_predictor"
               else "первая главная компонента стандартизованных признаков, ориентированная так, что большее "
                    "значение — более благоприятный контекст")
    return f"""## Методика: контекст школ

**Контекст ≠ результаты.** Признаки контекста берутся только из таблиц социального контекста, кадров,
ресурсов, территорий и справочника школ; результаты обучения в кластеризацию и подбор похожих школ не входят.

### Признаки
Используются данные контекста за год анализа; если у школы нет строки за этот год, берётся последняя
более ранняя (число таких школ указывается). Признаки стандартизуются (среднее 0, стандартное отклонение 1).
Школа, у которой пропущено более {float(miss.get('max_share', 0.5)):.0%} признаков
{'(в целом или в пределах одной таблицы) ' if miss.get('per_table', True) else ''}не кластеризуется и не
моделируется, а приводится в отдельном списке с причиной. Остальные пропуски заполняются медианой
муниципалитета (если её нет — медианой региона); число заполненных значений сообщается.

Признаки кластеризации:
{_list('clustering')}

Признаки модели ожидаемых результатов:
{_list('model')}

### Кластеризация
Метод: {_METHOD_RU[method]}; {kchoice}. Зерно генератора {ccfg.get('random_state')}, число запусков
{ccfg.get('n_init')}. Устойчивость — бутстреп ({(ccfg.get('stability') or {}).get('n_boot', 40)} повторов):
школы выбираются с возвращением, кластеризация повторяется, согласие с исходными кластерами на выбранных
школах измеряется скорректированным индексом Рэнда (ARI; 1 — полное совпадение, 0 — случайное).
Название кластера составляется автоматически из признаков, чьё среднее в кластере сильнее всего
отличается от общего (не менее чем на {(ccfg.get('naming') or {}).get('min_abs_z', 0.5)} стандартного
отклонения); за каждым названием стоит таблица профиля. Для других лет контекст школ относится к
кластерам опорного года; перечисляются школы, сменившие кластер, и величина изменения контекста.

### Ожидаемые результаты
Индекс результатов школы за {int(mcfg.get('window', 3))} года, заканчивающиеся годом анализа, моделируется
по признакам контекста линейной моделью со случайным муниципальным эффектом (MixedLM, REML). Дисперсия
муниципального эффекта проверяется: если она практически нулевая (менее {mcfg.get('min_re_variance_ratio')}
остаточной) или подгонка не удалась, модель пересчитывается другим оптимизатором, а затем заменяется
МНК-регрессией {'с весами 1/(τ² + SE²) ' if mcfg.get('ols_weighting', 'precision') == 'precision' else ''}и
кластеризованными по муниципалитетам ошибками; какая модель использована и почему — указывается.
Ожидаемый результат — прогноз по контексту{' с учётом муниципального эффекта' if mcfg.get('include_municipal_effect') else ' (без муниципального эффекта)'};
отклонение = фактический − ожидаемый (положительное — лучше, чем предсказывает контекст). Доверительный
интервал отклонения ({float(mcfg.get('ci_level', 0.95)):.0%}) учитывает выборочную ошибку индекса школы,
неопределённость прогноза модели{' и колебания результатов школы от года к году (общая по региону дисперсия разовых «удачных» и «неудачных» лет)' if mcfg.get('include_year_shock', True) else ''}. Доля дисперсии, объяснённая контекстом, — маргинальный R² (для МНК — R²).

Индекс контекста: {ci_text}.

**Резильентные школы** — индекс контекста в нижних {float(rcfg.get('bottom_share', 0.3)):.0%} и
доверительный интервал отклонения целиком выше нуля. Противоположная группа — индекс контекста в верхних
{float(rcfg.get('top_share', 0.3)):.0%} и интервал целиком ниже нуля.

**Похожие школы** — для каждой школы {int((cfg.get('similar') or {}).get('k', 10))} ближайших по
стандартизованным признакам контекста (евклидово расстояние), как в австралийской системе My School.

### Допущения и ограничения
- Модель описывает связь результатов с контекстом, а не причинное влияние; неучтённые особенности
  контекста попадают в отклонение школы.
- Выборочная ошибка индекса рассчитана в предположении независимости строк результатов.
- Кластеры — удобное описание разнообразия школ, а не «естественные» типы; устойчивость (ARI) показывает,
  насколько им можно доверять.
"""
