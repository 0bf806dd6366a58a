"""Similar schools by context (nearest neighbours) and the yearly comparison plot."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from shnro_lib.indicators import school_result_index, standardised_results

from .features import _role_features, _select, context_features, load_context_config
from .settings import ContextSettings

# --------------------------------------------------------------------------- similar schools


def school_levels(schools: pd.DataFrame, levels: Mapping[str, str], index: pd.Index) -> pd.Series:
    """Each school's level (НОШ → начальная, …) by ``school_type``; NA where the type is not mapped.

    Parameters
    ----------
    schools : the schools table (``school_id``, optional ``school_type``).
    levels : ``school_type -> level`` (``context.yaml: similar.levels``).
    index : the ``school_id`` values to return, in order.
    """
    if not levels or "school_type" not in schools.columns:
        return pd.Series(pd.NA, index=index, dtype="object")
    d = schools.drop_duplicates("school_id")
    kind = pd.Series(
        d["school_type"].astype("string").str.strip().to_numpy(), index=d["school_id"].astype("string")
    )
    return kind.map(dict(levels)).reindex(index.astype("string")).set_axis(index)


def _neighbours(X: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest rows of every row of ``X`` other than itself: (distances, row numbers)."""
    from sklearn.neighbors import NearestNeighbors

    if k <= 0 or len(X) < 2:
        return np.zeros((len(X), 0)), np.zeros((len(X), 0), dtype=int)
    dist, idx = NearestNeighbors(n_neighbors=min(k + 1, len(X))).fit(X).kneighbors(X)
    rows = np.arange(len(X))[:, None]
    order = np.argsort(idx == rows, axis=1, kind="stable")  # the row itself (if found) goes last
    dist, idx = np.take_along_axis(dist, order, 1)[:, :k], np.take_along_axis(idx, order, 1)[:, :k]
    return dist, idx


def _same_level_first(X: np.ndarray, level: np.ndarray, k: int) -> list[list[tuple[float, int]]]:
    """Per school: up to ``k`` nearest of its own level by distance, then the nearest of any level."""
    d_all, i_all = _neighbours(X, min(k, len(X) - 1))
    out = [[(float(d), int(j)) for d, j in zip(d_all[i], i_all[i], strict=True)] for i in range(len(X))]
    known = pd.notna(level)
    for lv in pd.unique(level[known]):
        rows = np.flatnonzero(known & (level == lv))
        d_l, i_l = _neighbours(X[rows], min(k, len(rows) - 1))
        for a, i in enumerate(rows):
            own = [(float(d), int(rows[j])) for d, j in zip(d_l[a], i_l[a], strict=True)]
            taken = {j for _, j in own}
            out[i] = (own + [(d, j) for d, j in out[i] if j not in taken and j != i])[:k]
    return out


def similar_schools(
    dataset, year: int, k: int | None = None, config: str | Path | Mapping | ContextSettings | None = None
) -> pd.DataFrame:
    """The ``k`` nearest schools of every school by standardised context (like My School / ICSEA).

    Schools of the school's own level (``similar.levels`` by ``school_type``: a secondary school
    with secondary schools) come first, nearest first; schools of other levels only fill up to ``k``.
    A school without a known level gets its nearest schools of any level.

    Returns
    -------
    DataFrame
        ``school_id, similar_id, rank, distance`` (Euclidean distance in SD units of the
        ``similar.features``); a school is never its own neighbour.
    """
    cfg = load_context_config(config)
    k = int(k or cfg.similar.k)
    cf = context_features(dataset, year, cfg)
    X = _select(cf, _role_features(cfg, "similar")).sort_index(kind="stable")
    n = len(X)
    kk = min(k, n - 1)
    level = school_levels(dataset.schools, cfg.similar.levels or {}, X.index).to_numpy(object)
    found = _same_level_first(X.to_numpy(float), level, kk) if kk > 0 else [[] for _ in range(n)]
    ids = X.index.to_numpy()
    rows_s, rows_n, rows_r, rows_d = [], [], [], []
    for i in range(n):
        for r, (d, j) in enumerate(found[i], start=1):
            rows_s.append(ids[i])
            rows_n.append(ids[j])
            rows_r.append(r)
            rows_d.append(round(float(d), 6))
    out = pd.DataFrame(
        {
            "school_id": pd.array(rows_s, dtype="string"),
            "similar_id": pd.array(rows_n, dtype="string"),
            "rank": pd.array(rows_r, dtype="Int64"),
            "distance": rows_d,
        }
    )
    out.attrs["features"] = list(X.columns)  # which features the neighbours were found on
    return out


def yearly_result_index(dataset, school_ids: list[str] | None = None) -> pd.DataFrame:
    """Result index of every school in every single year: ``school_id, year, result_index,
    result_index_se``."""
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


def plot_similar_schools(
    dataset,
    school_id: str,
    year: int,
    k: int | None = None,
    config: str | Path | Mapping | ContextSettings | None = None,
    ax=None,
    synthetic: bool | None = None,
):
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
    ax.plot(
        med.index, med.to_numpy(), color="tab:blue", lw=2, ls="--", label=f"медиана {len(peers)} похожих школ"
    )
    d = yr[yr["school_id"] == school_id].sort_values("year")
    ax.errorbar(
        d["year"],
        d["result_index"],
        yerr=1.96 * d["result_index_se"],
        color="tab:red",
        lw=2.5,
        marker="o",
        capsize=3,
        label=f"школа {school_id}",
    )
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
