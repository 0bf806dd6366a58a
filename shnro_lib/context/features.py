"""Context features: configuration, the feature matrix of a year, the principal-component index."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shnro_lib.config import deep_merge, load_yaml, parameters_dir

ALLOWED_TABLES = ("context", "staff", "resources", "territories", "schools")
REGION_ROW = "__region__"


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
