"""Missing context values: which schools are left out, and how the others' gaps are filled.

Used by :func:`shnro_lib.context.features.context_features`; pure functions on the year's raw
feature matrix.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from .settings import FeatureSpec, MissingSettings


def exclude_incomplete(
    raw: pd.DataFrame, schools: pd.DataFrame, catalog: Mapping[str, FeatureSpec], mcfg: MissingSettings
) -> tuple[pd.DataFrame, pd.Series]:
    """Schools missing too many features (overall or, optionally, within one table).

    Parameters
    ----------
    raw : pandas.DataFrame
        The features by school (``NaN``: missing).
    schools : pandas.DataFrame
        The schools by ``school_id`` (their municipality).
    catalog : mapping of FeatureSpec
        The feature catalog (each feature's ``table``).
    mcfg : MissingSettings
        The ``missing`` settings: ``max_share`` and ``per_table``.

    Returns
    -------
    tuple of (pandas.DataFrame, pandas.Series)
        The excluded schools (``school_id``, ``municipality``, ``n_missing``, ``share_missing``,
        ``reason``) and the boolean mask of exclusion over ``raw``'s index.
    """
    feats = list(raw.columns)
    max_share = float(mcfg.max_share)
    miss = raw.isna()
    share = miss.mean(axis=1)
    reasons = pd.Series("", index=raw.index, dtype=object)
    over = share > max_share
    reasons[over] = [
        f"нет данных по {int(miss.loc[s].sum())} из {len(feats)} признаков контекста "
        f"(допустимо не более {max_share:.0%})"
        for s in raw.index[over]
    ]
    if mcfg.per_table:
        by_table: dict[str, list[str]] = {}
        for f in feats:
            by_table.setdefault(catalog[f].table, []).append(f)
        for table, fs in by_table.items():
            if len(fs) < 2:
                continue
            bad = (miss[fs].mean(axis=1) > max_share) & ~over
            for s in raw.index[bad]:
                reasons[s] = (
                    f"в таблице «{table}» нет данных по {int(miss.loc[s, fs].sum())} из {len(fs)} "
                    f"признаков (допустимо не более {max_share:.0%})"
                )
            over = over | bad
    excluded = pd.DataFrame(
        {
            "school_id": raw.index[over],
            "municipality": schools.loc[over, "municipality"].astype(str).to_numpy(),
            "n_missing": miss.loc[over].sum(axis=1).astype(int).to_numpy(),
            "share_missing": share[over].round(3).to_numpy(),
            "reason": reasons[over].to_numpy(),
        }
    )
    return excluded, over


def impute(
    kept: pd.DataFrame, muni: pd.Series, catalog: Mapping[str, FeatureSpec], how: str, notes: list[str]
) -> tuple[pd.DataFrame, pd.Series]:
    """Fill the gaps with the municipality's median, else the region's; drop features left empty.

    Parameters
    ----------
    kept : pandas.DataFrame
        The features of the schools kept.
    muni : pandas.Series
        Each kept school's municipality.
    catalog : mapping
        The feature catalog (labels, for the notes).
    how : str
        ``"municipality_median"`` or the region's median otherwise.
    notes : list of str
        Receives the Russian notes on the values filled and the features dropped.

    Returns
    -------
    tuple of (pandas.DataFrame, pandas.Series)
        The filled features and the number of values filled per feature.
    """
    imputed = kept.copy()
    counts = kept.isna().sum()
    if not counts.sum():
        return imputed, counts
    by_muni = how == "municipality_median"
    if by_muni:
        imputed = imputed.fillna(kept.groupby(muni).transform("median"))
    imputed = imputed.fillna(kept.median())
    still = imputed.columns[imputed.isna().any()]
    if len(still):
        notes.append(
            "Признаки без единого значения у включённых школ исключены: "
            + ", ".join(catalog[f].label for f in still)
            + "."
        )
        imputed = imputed.drop(columns=still)
    where = "муниципалитета (или региона)" if by_muni else "региона"
    notes.append(
        f"Пропуски заполнены медианой {where}: значений — {int(counts.sum())}, "
        f"школ — {int(kept.isna().any(axis=1).sum())}."
    )
    return imputed, counts
