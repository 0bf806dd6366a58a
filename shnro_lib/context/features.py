"""Context features: configuration, the feature matrix of a year, the principal-component index."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shnro_lib.config import deep_merge, load_yaml, parameters_dir
from shnro_lib.settings import SettingsError, parse_settings

from .missing import exclude_incomplete, impute
from .settings import ContextSettings, FeatureSpec

ALLOWED_TABLES = ("context", "staff", "resources", "territories", "schools")
REGION_ROW = "__region__"


# --------------------------------------------------------------------------- configuration


def load_context_config(
    config: str | Path | Mapping[str, Any] | ContextSettings | None = None,
) -> ContextSettings:
    """The context configuration: ``parameters/context.yaml`` validated by :class:`ContextSettings`.

    Parameters
    ----------
    config : None (the shipped file), a path to a complete YAML file (used as a whole), a dict
        merged recursively over the shipped file (lists replace, dicts merge) — e.g. a user's
        ``--config`` section ``context:`` —, or settings already loaded (returned as they are).

    Returns
    -------
    ContextSettings
        The validated settings (immutable).

    Raises
    ------
    SettingsError
        (a ``ValueError``) with a Russian message naming the file and the key.
    """
    if isinstance(config, ContextSettings):
        return config
    if isinstance(config, (str, Path)):
        raw, source = load_yaml(config) or {}, Path(config).name
    else:
        raw = load_yaml(parameters_dir() / "context.yaml") or {}
        raw, source = (
            deep_merge(raw, dict(config or {})),
            "context.yaml" + (" (с учётом --config)" if config else ""),
        )
    # the one rule that is about the method, not the type: results are never context
    for name, spec in sorted((raw.get("features") or {}).items()):
        table = (spec or {}).get("table")
        if table not in ALLOWED_TABLES:
            raise SettingsError(
                f"{source}: признак контекста «{name}»: таблица «{table}» недопустима (разрешены "
                f"{', '.join(ALLOWED_TABLES)}; результаты не могут быть признаками контекста)"
            )
    return _validate_config(parse_settings(ContextSettings, raw, source))


def _validate_config(cfg: ContextSettings) -> ContextSettings:
    for role in ("clustering", "model", "similar", "context_index"):
        for f in getattr(cfg, role).features or []:
            if f not in cfg.features:
                raise SettingsError(
                    f"context.yaml: раздел «{role}»: признак «{f}» не описан в каталоге «features»"
                )
    return cfg


def _role_features(cfg: ContextSettings, role: str) -> list[str]:
    feats = getattr(cfg, role).features
    return list(feats) if feats else list(cfg.features)


def _used_features(cfg: ContextSettings) -> list[str]:
    used: list[str] = []
    roles = [_role_features(cfg, r) for r in ("clustering", "model", "similar")]
    idx = cfg.context_index.features
    if idx:
        roles.append(list(idx))
    for feats in roles:
        used += [f for f in feats if f not in used]
    return [f for f in cfg.features if f in used]


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
    absent: list[str] = field(default_factory=list)

    def coverage_ru(self) -> str:
        """One Russian line: which features were used and how many schools were assessed."""
        used = [self.labels.get(f, f) for f in self.z.columns]
        n_all = len(self.raw)
        line = (
            f"Контекст {self.year} г.: признаков использовано {len(used)} из {len(used) + len(self.absent)} "
            f"({', '.join(used) or '—'}); школ с контекстом {len(self.z)} из {n_all}"
        )
        if len(self.excluded):
            line += f", без достаточных данных {len(self.excluded)}"
        return line + "."

    @property
    def n_imputed(self) -> int:
        return int(self.imputed_counts.sum())

    @property
    def n_fallback(self) -> int:
        return int((self.year_used["year_used"] < self.year).sum()) if len(self.year_used) else 0


class ContextNotAssessed(ValueError):
    """Context cannot be assessed on this data set; the message is the Russian reason."""


TABLES_RU = {
    "context": "социальный контекст",
    "staff": "кадры",
    "resources": "ресурсы",
    "territories": "территории",
    "schools": "справочник школ",
}


def _column_present(dataset, table: str, column: str) -> bool:
    if hasattr(dataset, "has_column"):
        return bool(dataset.has_column(table, column))
    df = dataset.get(table)
    return df is not None and column in df.columns and bool(df[column].notna().any())


def _absent_ru(dataset, catalog: Mapping[str, FeatureSpec], feats: list[str]) -> str:
    """Features the data do not hold, grouped by table: «нет таблицы …» or «в таблице … нет: …»."""
    by_table: dict[str, list[str]] = {}
    for f in feats:
        by_table.setdefault(catalog[f].table, []).append(catalog[f].label)
    parts = []
    for table in sorted(by_table, key=list(TABLES_RU).index):
        name = f"«{TABLES_RU[table]}» ({table})"
        if table != "schools" and dataset.get(table) is None:
            parts.append(f"нет таблицы {name}")
        else:
            parts.append(f"в таблице {name} нет: " + ", ".join(by_table[table]))
    return "; ".join(parts)


def _latest_rows(df: pd.DataFrame, year: int, fallback: str = "latest_earlier") -> pd.DataFrame:
    """Each school's row of ``year`` or (``fallback: latest_earlier``) its latest earlier one."""
    d = df[df["year"].notna()].copy()
    d["year"] = d["year"].astype(int)
    d = d[d["year"] == int(year)] if fallback == "exact" else d[d["year"] <= int(year)]
    if d.empty:
        return d
    # stable: the latest year per school; a duplicate school-year keeps its last row
    d = d.sort_values(["school_id", "year"], kind="stable")
    return d.groupby("school_id", sort=False).tail(1).set_index("school_id")


def _transform(values: pd.Series, spec: FeatureSpec) -> pd.Series:
    t = spec.transform
    if t == "indicator":
        s = values.astype("string")
        return (s == str(spec.value)).astype(float).where(s.notna())
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


def _year_rows(
    dataset, table: str, year: int, fallback: Any, notes: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """A yearly table's latest row per school up to ``year``, and which year each school's row is.

    Returns
    -------
    tuple of (pandas.DataFrame, pandas.DataFrame or None)
        The rows by school and the ``school_id``, ``table``, ``year_used`` frame (``None`` when no
        school has a row); a note on earlier years used goes to ``notes``.
    """
    latest = _latest_rows(dataset.get(table), year, fallback)
    if not len(latest):
        return latest, None
    used = pd.DataFrame({"school_id": latest.index, "table": table, "year_used": latest["year"].to_numpy()})
    n_fb = int((latest["year"] < int(year)).sum())
    if n_fb:
        notes.append(
            f"Таблица «{table}»: нет данных за {year} г. у школ: {n_fb}; "
            f"взяты последние более ранние (самый ранний — {int(latest['year'].min())} г.)."
        )
    return latest, used


def _collect_features(
    dataset, year: int, cfg: ContextSettings, schools: pd.DataFrame, notes: list[str]
) -> tuple[pd.DataFrame, list[str], list[str], list[pd.DataFrame]]:
    """The raw features of ``year`` by school, and the features not collected or empty that year.

    Parameters
    ----------
    dataset : Dataset
        The loaded data set.
    year : int
        The analysis year.
    cfg : mapping
        The context configuration.
    schools : pandas.DataFrame
        The schools by ``school_id``.
    notes : list of str
        Receives the notes on earlier years used.

    Returns
    -------
    tuple of (pandas.DataFrame, list of str, list of str, list of pandas.DataFrame)
        The features with a value (columns in configuration order), the features absent from the
        data set, those without a value this year, and the years used per yearly table.
    """
    catalog = cfg.features
    raw = pd.DataFrame(index=schools.index)
    year_used_parts: list[pd.DataFrame] = []
    latest_cache: dict[str, pd.DataFrame] = {}
    absent: list[str] = []  # not collected in this data set (table or column missing, or all empty)
    empty_year: list[str] = []  # collected, but no value for this year or earlier
    for f in _used_features(cfg):
        spec = catalog[f]
        table, column = spec.table, spec.column
        if not _column_present(dataset, table, column):
            absent.append(f)
            continue
        if table == "schools":
            values = _transform(schools[column], spec)
        elif table == "territories":
            values = _transform(_territory_values(schools, dataset.get("territories"), column), spec)
        else:
            if table not in latest_cache:
                latest_cache[table], used = _year_rows(dataset, table, year, cfg.year_fallback, notes)
                if used is not None:
                    year_used_parts.append(used)
            latest = latest_cache[table]
            col = latest[column] if len(latest) else pd.Series(dtype=float)
            values = _transform(col.reindex(schools.index), spec)
        if not values.notna().any():
            empty_year.append(f)
            continue
        raw[f] = values
    return raw, absent, empty_year, year_used_parts


def _note_unused(
    dataset,
    year: int,
    catalog: Mapping[str, FeatureSpec],
    n_feats: int,
    absent: list[str],
    empty_year: list[str],
    notes: list[str],
) -> None:
    """Notes on the features not collected and on those without a value this year."""
    if absent:
        notes.append(
            f"Признаки, не собранные в этом наборе данных, не используются ({len(absent)} из {n_feats}): "
            + _absent_ru(dataset, catalog, absent)
            + "."
        )
    if empty_year:
        notes.append(
            f"Нет ни одного значения за {year} г. (или ранее) и не используются признаки: "
            + "; ".join(catalog[f].label for f in empty_year)
            + "."
        )


def _standardise(
    imputed: pd.DataFrame,
    reference: ContextFeatures | None,
    catalog: Mapping[str, FeatureSpec],
    notes: list[str],
) -> tuple[pd.Series, pd.Series, pd.DataFrame]:
    """Mean, SD (this year's or the reference year's) and the z-scores; constant features dropped."""
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
        notes.append("Признаки без вариации исключены: " + ", ".join(catalog[f].label for f in const) + ".")
        z = z.drop(columns=const)
    return mean, sd, z.fillna(0.0)


def context_features(
    dataset,
    year: int,
    config: str | Path | Mapping | ContextSettings | None = None,
    reference: ContextFeatures | None = None,
) -> ContextFeatures:
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
    catalog = cfg.features
    schools = dataset.schools.drop_duplicates("school_id", keep="first").set_index("school_id")
    notes: list[str] = []
    raw, absent, empty_year, year_used_parts = _collect_features(dataset, year, cfg, schools, notes)
    _note_unused(dataset, year, catalog, len(_used_features(cfg)), absent, empty_year, notes)
    if raw.columns.empty:
        raise ContextNotAssessed(
            "в наборе данных нет ни одного признака контекста из параметров (context.yaml): "
            + _absent_ru(dataset, catalog, absent + empty_year)
        )
    raw = raw.astype(float)
    excluded, over = exclude_incomplete(raw, schools, catalog, cfg.missing)
    kept = raw.loc[~over].copy()
    muni = schools.loc[kept.index, "municipality"].astype(str)
    imputed, counts = impute(kept, muni, catalog, cfg.missing.impute, notes)
    if len(excluded):
        notes.append(f"Не включены в анализ из-за пропусков контекста школ: {len(excluded)}.")
    mean, sd, z = _standardise(imputed, reference, catalog, notes)
    year_used = (
        pd.concat(year_used_parts, ignore_index=True)
        if year_used_parts
        else pd.DataFrame(columns=["school_id", "table", "year_used"])
    )
    return ContextFeatures(
        year=int(year),
        raw=raw,
        imputed=imputed,
        z=z,
        municipality=muni,
        excluded=excluded,
        imputed_counts=counts,
        year_used=year_used,
        mean=mean,
        sd=sd,
        notes=notes,
        labels={f: catalog[f].label for f in imputed.columns},
        absent=[catalog[f].label for f in absent + empty_year],
    )


def _select(cf: ContextFeatures, feats: list[str]) -> pd.DataFrame:
    """The standardised features of a role that the data hold.

    Raises :class:`ContextNotAssessed` when there is none, or no school.
    """
    cols = [f for f in feats if f in cf.z.columns]
    if len(cf.z) == 0:
        reasons = cf.excluded["reason"].value_counts() if len(cf.excluded) else pd.Series(dtype=int)
        top = f" (чаще всего: {reasons.index[0]})" if len(reasons) else ""
        raise ContextNotAssessed(f"ни у одной школы нет достаточных данных контекста за {cf.year} г.{top}")
    if not cols:
        have = ", ".join(cf.labels.get(f, f) for f in cf.z.columns) or "—"
        raise ContextNotAssessed(
            "в данных нет ни одного из признаков, выбранных для этого анализа в context.yaml "
            f"({len(feats)} признаков); в наборе есть: {have}"
        )
    return cf.z[cols]


def pca_index(
    cf: ContextFeatures,
    config: str | Path | Mapping | ContextSettings | None = None,
    features: list[str] | None = None,
) -> pd.Series:
    """First principal component of the standardised features, oriented so higher = more favourable.

    The orientation uses the ``favourable`` signs of the catalogue: the component is flipped when
    the sum of its loadings times those signs is negative. Scaled to mean 0, SD 1.
    """
    cfg = load_context_config(config)
    feats = features or cfg.context_index.features or _role_features(cfg, "clustering")
    X = _select(cf, feats)
    u, s, vt = np.linalg.svd(X.to_numpy() - X.to_numpy().mean(axis=0), full_matrices=False)
    load = vt[0]
    sign = np.array([cfg.features[c].favourable for c in X.columns], dtype=float)
    orient = float(load @ sign)
    if orient < 0 or (orient == 0 and load.sum() < 0):
        load = -load
    score = X.to_numpy() @ load
    sd = score.std() or 1.0
    return pd.Series((score - score.mean()) / sd, index=X.index, name="context_index_pca")
