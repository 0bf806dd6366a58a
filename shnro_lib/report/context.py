"""The municipal report's context section: clusters, expected results, residuals, resilient and similar
schools (a :class:`~shnro_lib.report.content.Section`; the narrative lives in the notebook)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from shnro_lib.bands import band_legend_ru
from shnro_lib.facts.select import region_facts_now, with_facts
from shnro_lib.report.content import Block, Figure, Section, figure, table, unavailable
from shnro_lib.report.figures import pyplot_styled as _plt
from shnro_lib.report.figures import similar_schools_figure
from shnro_lib.report.helpers import dpi as _dpi
from shnro_lib.report.helpers import has_rows, with_names
from shnro_lib.report.helpers import max_rows as _rows
from shnro_lib.report.helpers import names as _names
from shnro_lib.report.helpers import size as _size

# the context table's columns the section lists, in this order (those the table has)
CONTEXT_COLUMNS = [
    "school_id",
    "name",
    "cluster_name",
    "context_index",
    "expected_result",
    "residual",
    "residual_ci_low",
    "residual_ci_high",
    "residual_band",
    "resilient",
]


def _band_note(region: Any) -> str:
    from shnro_lib.context.features import load_context_config

    over = (region.meta.get("overrides") or {}).get("context")
    return band_legend_ru(float(load_context_config(over).bands.strong_sd))


def _context_figure(region: Any, ctx_all: pd.DataFrame, municipality: str) -> Figure:
    """The region's schools by context index: actual and expected result, the municipality's highlighted."""
    plt = _plt()
    w, h = _size(region)
    fig, ax = plt.subplots(figsize=(w, h + 0.6))
    actual = ctx_all["expected_result"].astype(float) + ctx_all["residual"].astype(float)
    ax.scatter(ctx_all["context_index"], actual, s=9, color="#b8c3d1", label="школы региона")
    ids = set(region.school_ids(municipality))
    m = ctx_all["school_id"].astype(str).isin(ids).to_numpy()
    ax.scatter(
        ctx_all.loc[m, "context_index"], actual[m], s=22, color="#1f5f99", label="школы муниципалитета"
    )
    order = np.argsort(ctx_all["context_index"].to_numpy(dtype=float))
    ax.plot(
        ctx_all["context_index"].to_numpy(dtype=float)[order],
        ctx_all["expected_result"].to_numpy(dtype=float)[order],
        color="#c05020",
        lw=1,
        label="ожидаемый",
    )
    ax.set_xlabel("Индекс социального контекста")
    ax.set_ylabel("Индекс результатов")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return figure(
        fig,
        "Результаты школ в зависимости от социального контекста",
        "Фактический и ожидаемый по контексту результат школ.",
        region.synthetic,
        _dpi(region),
    )


def _similar_parts(region: Any, municipality: str) -> list[Block]:
    """The similar schools' figure and table, or why they are not there."""
    if not region.ok("similar"):
        return [unavailable(f"похожие школы — {region.reason('similar')}")]
    parts: list[Block] = [similar_schools_figure(region, municipality)]
    sim = region.for_municipality("similar", municipality)
    if has_rows(sim):
        sim = with_names(region, sim)
        sim.insert(
            sim.columns.get_loc("similar_id") + 1,
            "similar_name",
            sim["similar_id"].astype(str).map(_names(region)),
        )
        parts.append(table(sim, caption="Похожие по контексту школы региона", max_rows=_rows(region)))
    return parts


def context_section(region: Any, municipality: str) -> Section:
    """Context clusters, expected results, residuals, resilient and similar schools.

    Parameters
    ----------
    region : :class:`~shnro_lib.pipeline.RegionResults`.
    municipality : the municipality's name.

    Returns
    -------
    Section
        The figure, the schools' positions against the expected result and the similar schools; the
        stage's Russian reason when the context was not computed.
    """
    if not region.ok("context"):
        return Section([unavailable(region.reason("context"))])
    ctx_all = region.table("context")
    ctx = with_names(
        region,
        with_facts(region.for_municipality("context", municipality), region_facts_now(region, municipality)),
    )
    parts: list[Block] = []
    if {"context_index", "expected_result", "residual"} <= set(ctx_all.columns):
        parts.append(_context_figure(region, ctx_all, municipality))
    cols = [c for c in CONTEXT_COLUMNS if c in ctx.columns]
    parts.append(
        table(
            ctx[cols],
            caption="Положение школ относительно ожидаемого по контексту",
            max_rows=_rows(region),
            note=_band_note(region),
        )
    )
    return Section(parts + _similar_parts(region, municipality))
