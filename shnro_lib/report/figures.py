"""Figures of the reports: matplotlib (seaborn style), returned as
:class:`~shnro_lib.report.content.Figure`."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from shnro_lib.plot_ticks import plain_log_axis
from shnro_lib.report.content import Figure, figure
from shnro_lib.report.format import procedure_order, short_school_name
from shnro_lib.report.helpers import dpi as _dpi
from shnro_lib.report.helpers import flagged_mask, has_rows
from shnro_lib.report.helpers import min_n as _min_n
from shnro_lib.report.helpers import names as _names
from shnro_lib.report.helpers import size as _size


def pyplot_styled() -> Any:
    """pyplot with the reports' style (seaborn theme, no top/right spines, Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot
    import seaborn as sns

    sns.set_theme(
        style="ticks",
        rc={"font.size": 9, "axes.spines.top": False, "axes.spines.right": False, "svg.hashsalt": "shnro"},
    )
    return pyplot


def distribution_figure(region: Any, ss: pd.DataFrame, municipality: str | None) -> Figure | None:
    plt = pyplot_styled()
    procs = procedure_order(ss["procedure"])
    w, h = _size(region)
    fig, axes = plt.subplots(1, len(procs), figsize=(max(w, 2.4 * len(procs)), h), sharey=True, squeeze=False)
    for ax, p in zip(axes[0], procs, strict=True):
        d = ss[ss["procedure"] == p]
        years = sorted(int(v) for v in d["year"].unique())
        reg_data = [d.loc[d["year"] == y, "pct"].dropna().to_numpy() for y in years]
        pos = np.arange(len(years))
        ax.boxplot(
            reg_data,
            positions=pos - (0.18 if municipality else 0),
            widths=0.32,
            showfliers=False,
            patch_artist=True,
            boxprops={"facecolor": "#d7dee8", "color": "#8795a8"},
            medianprops={"color": "#44546a"},
            whiskerprops={"color": "#8795a8"},
            capprops={"color": "#8795a8"},
        )
        if municipality:
            mun = [
                d.loc[(d["year"] == y) & (d["municipality"] == municipality), "pct"].dropna().to_numpy()
                for y in years
            ]
            mun = [m if len(m) else np.array([np.nan]) for m in mun]
            ax.boxplot(
                mun,
                positions=pos + 0.18,
                widths=0.32,
                showfliers=False,
                patch_artist=True,
                boxprops={"facecolor": "#7fb0dd", "color": "#1f5f99"},
                medianprops={"color": "#0b2e50"},
                whiskerprops={"color": "#1f5f99"},
                capprops={"color": "#1f5f99"},
            )
        ax.set_xticks(pos)
        ax.set_xticklabels([str(y) for y in years], fontsize=8)
        ax.set_title(p)
    axes[0][0].set_ylabel("Средний балл школы, % от максимума")
    if municipality:
        from matplotlib.patches import Patch

        axes[0][-1].legend(
            handles=[
                Patch(facecolor="#d7dee8", label="регион"),
                Patch(facecolor="#7fb0dd", label="муниципалитет"),
            ],
            fontsize=7,
            loc="lower right",
        )
    fig.tight_layout()
    who = "школ муниципалитета (синие) и региона (серые)" if municipality else "школ региона"
    return figure(
        fig,
        alt=f"Распределение средних баллов {who} по процедурам и годам",
        caption=f"Распределение средних баллов {who} по процедурам и годам (ящик — 50% школ, "
        "линия — медиана).",
        synthetic=region.synthetic,
        dpi=_dpi(region),
    )


def similar_schools_figure(region: Any, municipality: str, max_schools: int = 6) -> Figure | None:
    """Each identified school's yearly result index against the mean of its similar-context schools."""
    if not (region.ok("similar") and region.ok("identify")):
        return None
    ident = region.for_municipality("identify", municipality)
    if not has_rows(ident) or "category" not in ident.columns:
        return None
    focus = ident.loc[flagged_mask(ident["category"]).to_numpy()]
    if "result_index" in focus.columns:
        focus = focus.sort_values("result_index")
    focus = focus.head(max_schools)
    if focus.empty:
        return None
    sim = region.table("similar")
    ib = region.table("index_by_year")
    min_n = _min_n(region)
    ib = ib[ib["participants"].fillna(0) >= min_n]
    piv = ib.pivot_table(index="school_id", columns="year", values="result_index", aggfunc="first")
    years = [y for y in piv.columns if y <= region.year]
    plt = pyplot_styled()
    ncol = 3
    nrow = int(math.ceil(len(focus) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(9, 2.4 * nrow), squeeze=False, sharey=True)
    names = _names(region)
    for ax, sid_ in zip(axes.ravel(), focus["school_id"].astype(str), strict=False):
        peers = sim.loc[sim["school_id"].astype(str) == sid_, "similar_id"].astype(str)
        peer_vals = piv.reindex(peers)[years]
        ax.fill_between(
            years,
            peer_vals.quantile(0.25).to_numpy(dtype=float),
            peer_vals.quantile(0.75).to_numpy(dtype=float),
            color="#c9d6e6",
            label="похожие: 25–75%",
        )
        ax.plot(
            years, peer_vals.mean().to_numpy(dtype=float), color="#6b7f99", lw=1, label="похожие: среднее"
        )
        own = (
            piv.reindex([sid_])[years].iloc[0].to_numpy(dtype=float)
            if sid_ in piv.index
            else np.full(len(years), np.nan)
        )
        ax.plot(years, own, marker="o", color="#c05020", lw=1.5, label="школа")
        ax.axhline(0, color="#999999", lw=0.6, ls="--")
        ax.set_title(f"{sid_}: {short_school_name(names.get(sid_, ''))}"[:48], fontsize=7)
        ax.set_xticks(years)
        ax.tick_params(labelsize=6)
    for ax in axes.ravel()[len(focus) :]:
        ax.axis("off")
    axes[0][0].legend(fontsize=6, loc="lower left")
    fig.tight_layout()
    return figure(
        fig,
        "Выявленные школы и похожие на них по контексту школы региона",
        "Индекс результатов школы по годам (красная линия) против похожих по социальному контексту "
        f"школ региона (среднее и межквартильный размах). Годы, где у школы меньше {min_n} "
        "участников, не показаны.",
        region.synthetic,
        _dpi(region),
    )


def costs_figure(region: Any, municipality: str | None) -> Figure | None:
    """Quadrant chart: spending per pupil against the result relative to context."""
    if not region.ok("costs"):
        return None
    df = region.table("costs")
    # without a context model there is no residual: the chart (result against context) is not drawn
    if not {"spending_per_pupil", "residual"} <= set(df.columns) or not df["residual"].notna().any():
        return None
    plt = pyplot_styled()
    fig, ax = plt.subplots(figsize=(8, 4.2))
    x = df["spending_per_pupil"].astype(float) / 1000
    y = df["residual"].astype(float)
    ax.scatter(x, y, s=9, color="#b8c3d1", label="школы региона")
    if municipality:
        m = (df["municipality"] == municipality).fillna(False).to_numpy()
        ax.scatter(x[m], y[m], s=24, color="#1f5f99", label="школы муниципалитета")
    ax.axhline(0, color="#44546a", lw=1)
    ax.axvline(float(np.nanmedian(x)), color="#44546a", lw=1, ls="--")
    ax.set_xscale("log")
    plain_log_axis(ax.xaxis)
    ax.set_xlabel(f"Расходы на одного обучающегося, тыс. {region.currency} (логарифмическая шкала)")
    ax.set_ylabel("Результат относительно ожидаемого по контексту")
    for tx, ty, text in (
        (0.02, 0.95, "дешевле и лучше"),
        (0.75, 0.95, "дороже и лучше"),
        (0.02, 0.03, "дешевле и хуже"),
        (0.75, 0.03, "дороже и хуже"),
    ):
        ax.text(
            tx,
            ty,
            text,
            transform=ax.transAxes,
            fontsize=9,
            color="#44546a",
            va="top" if ty > 0.5 else "bottom",
        )
    # below the axes, so that it never covers points
    ax.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, frameon=False)
    fig.tight_layout()
    return figure(
        fig,
        "«Цена–качество»: расходы на обучающегося и результат с учётом контекста",
        "Квадранты: расходы выше/ниже медианы региона; результат выше/ниже ожидаемого по "
        "социальному контексту.",
        region.synthetic,
        _dpi(region),
    )
