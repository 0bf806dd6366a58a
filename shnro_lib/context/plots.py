"""Figures of the context analysis: clusters on a map of principal components, cluster profiles,
results against context with the resilient schools marked.

Each function takes the analysis' own results (:class:`ClusterResult`, the context table) and
returns a matplotlib figure; the notebook only shows it.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from sklearn.decomposition import PCA

from shnro_lib.russian import fmt_num, fmt_pct

from .clusters import ClusterResult

SYNTHETIC_MARK = " — СИНТЕТИЧЕСКИЕ ДАННЫЕ"


def _mark(synthetic: bool) -> str:
    return SYNTHETIC_MARK if synthetic else ""


def plot_cluster_map(clusters: ClusterResult, year: int, synthetic: bool = False) -> Figure:
    """Schools on the first two principal components of the clustering features, by cluster.

    Arrows show each feature's loading, scaled to the spread of the schools.

    Parameters
    ----------
    clusters : the year's clusters (:func:`cluster_analysis`).
    year : the year shown in the title.
    synthetic : mark the figure as made from synthetic data.
    """
    z = clusters.context.z.loc[clusters.labels["school_id"], clusters.features].to_numpy()
    pca = PCA(n_components=2, svd_solver="full").fit(z)
    scores = pca.transform(z)
    loadings = pca.components_
    fig, ax = plt.subplots(figsize=(9, 7))
    for c, name in clusters.profile.set_index("cluster")["cluster_name"].items():
        m = (clusters.labels["cluster"] == c).to_numpy()
        ax.scatter(scores[m, 0], scores[m, 1], s=14, alpha=0.7, label=f"{c}. {name}")
    scale = np.abs(scores).max() / np.abs(loadings).max() * 0.8
    for j, f in enumerate(clusters.features):
        dx, dy = loadings[0, j] * scale, loadings[1, j] * scale
        ax.arrow(0, 0, dx, dy, color="k", alpha=0.6, head_width=0.08)
        ax.text(dx * 1.08, dy * 1.08, clusters.context.labels.get(f, f), fontsize=9)
    share = pca.explained_variance_ratio_
    ax.set_xlabel(f"Главная компонента 1 ({fmt_pct(share[0], 0)} дисперсии)")
    ax.set_ylabel(f"Главная компонента 2 ({fmt_pct(share[1], 0)} дисперсии)")
    ax.set_title(f"Школы в пространстве признаков контекста, {year} г.{_mark(synthetic)}")
    ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    return fig


def plot_cluster_profiles(clusters: ClusterResult, synthetic: bool = False) -> Figure:
    """Heat map of each cluster's mean standardised feature (0 — the region's mean, ±1 — one SD)."""
    heat = clusters.profile.set_index("cluster_name")[[f"z_{f}" for f in clusters.features]]
    heat.columns = [clusters.context.labels.get(f, f) for f in clusters.features]
    heat.index.name = None
    fig, ax = plt.subplots(figsize=(11, 0.6 * len(heat) + 3))
    labels = heat.map(lambda v: fmt_num(v, 1, signed=True))
    sns.heatmap(
        heat,
        ax=ax,
        cmap="RdBu_r",
        vmin=-2,
        vmax=2,
        annot=labels,
        fmt="",
        annot_kws={"fontsize": 9},
        cbar_kws={"label": "Отклонение от среднего, ст. откл."},
    )
    ax.set_xticklabels(ax.get_xticklabels(), rotation=45, ha="right", fontsize=9)
    ax.set_yticklabels(ax.get_yticklabels(), rotation=0, fontsize=9)
    ax.set_title(f"Профили кластеров{_mark(synthetic)}")
    fig.tight_layout()
    return fig


def plot_results_and_context(
    table: pd.DataFrame, bottom_share: float, year: int, synthetic: bool = False
) -> Figure:
    """Result index against context index; resilient schools and schools below expectation marked.

    The blue line is the straight-line summary of the schools' expected results over the context
    index (the model itself uses several features), with a band of ±1,96 of the median standard
    error of a school's deviation; the dotted line is the context cut of the resilient schools.

    Parameters
    ----------
    table : the context table (:func:`context_table`).
    bottom_share : the share of schools with the least favourable context where resilient
        schools are sought (``resilient.bottom_share`` of the settings).
    year, synthetic : the title's year and the synthetic-data mark.
    """
    d = table.dropna(subset=["residual"]).sort_values("context_index")
    fig, ax = plt.subplots(figsize=(9, 6))
    ax.scatter(d["context_index"], d["result_index"], s=12, color="0.6", label="школы")
    for flag, color, label in (
        ("resilient", "tab:green", "резильентные"),
        ("underperforming_favourable", "tab:red", "ниже ожидаемого при благоприятном контексте"),
    ):
        part = d[d[flag].astype(bool)]
        ax.scatter(part["context_index"], part["result_index"], s=40, color=color, label=label)
    grid = np.linspace(d["context_index"].min(), d["context_index"].max(), 50)
    line = np.polyval(np.polyfit(d["context_index"], d["expected_result"], 1), grid)
    band = 1.96 * float(np.median(d["residual_se"]))
    ax.plot(grid, line, color="tab:blue", lw=2, label="ожидаемый результат")
    ax.fill_between(
        grid,
        line - band,
        line + band,
        color="tab:blue",
        alpha=0.12,
        label="±1,96 типичной ст. ошибки отклонения",
    )
    ax.axvline(d["context_index"].quantile(bottom_share), color="k", ls=":", lw=1)
    ax.set_xlabel("Индекс контекста (выше — благоприятнее)")
    ax.set_ylabel("Индекс результатов")
    ax.set_title(f"Результаты и контекст, {year} г.{_mark(synthetic)}")
    ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    return fig
