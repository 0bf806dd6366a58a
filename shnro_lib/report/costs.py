"""The cost–quality section of the municipal and regional reports (a
:class:`~shnro_lib.report.content.Section`: the figure and the table of spending and results)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from shnro_lib.facts.select import region_facts_now, with_facts
from shnro_lib.labels import money_labels
from shnro_lib.report.content import Section, Table, table, unavailable
from shnro_lib.report.figures import costs_figure
from shnro_lib.report.helpers import has_rows, with_names
from shnro_lib.report.helpers import max_rows as _rows

# the costs table's columns a municipality's table lists, in this order (those the table has)
COSTS_COLUMNS = [
    "school_id",
    "name",
    "spending_per_pupil",
    "result_index",
    "expected_result",
    "residual",
    "efficiency",
    "efficiency_ci_low",
    "efficiency_ci_high",
    "quadrant",
]


def _municipalities_table(region: Any, df: pd.DataFrame) -> Table:
    """The region's municipalities side by side: median spending, mean residual and efficiency, quadrants."""
    agg = (
        df.groupby("municipality")
        .agg(
            n_schools=("school_id", "size"),
            spending_per_pupil=("spending_per_pupil", "median"),
            residual=("residual", "mean"),
            efficiency=("efficiency", "mean"),
        )
        .reset_index()
    )
    if "quadrant" in df.columns:
        q = pd.crosstab(df["municipality"], df["quadrant"]).reset_index()
        q.columns = [str(c) for c in q.columns]
        agg = agg.merge(q, on="municipality", how="left")
    return table(
        agg,
        caption="«Цена–качество» по муниципальным образованиям (медиана расходов, "
        "среднее отклонение от ожидаемого, средняя эффективность, школы по квадрантам)",
        labels={
            "spending_per_pupil": f"Медиана расходов на ученика, {region.currency}",
            "residual": "Среднее отклонение от ожидаемого",
            "efficiency": "Средняя эффективность (DEA)",
        },
    )


def costs_section(region: Any, municipality: str | None) -> Section:
    """Cost–quality table for the municipality's schools (or the region).

    Parameters
    ----------
    region : :class:`~shnro_lib.pipeline.RegionResults`.
    municipality : the municipality's name; ``None`` for the region (one row per municipality).

    Returns
    -------
    Section
        The cost–quality figure and table; the stage's Russian reason when the costs were not computed.
    """
    if not region.ok("costs"):
        return Section([unavailable(region.reason("costs"))])
    df = region.for_municipality("costs", municipality) if municipality else region.table("costs")
    if has_rows(df) and "school_id" in df.columns:
        df = with_names(region, with_facts(df, region_facts_now(region, municipality)))
    if municipality is None and has_rows(df) and "municipality" in df.columns:
        return Section([costs_figure(region, None), _municipalities_table(region, df)])
    cols = [c for c in COSTS_COLUMNS if c in df.columns]
    return Section(
        [
            costs_figure(region, municipality),
            table(
                df[cols],
                labels=money_labels(region.currency),
                caption="Расходы и результаты",
                max_rows=_rows(region),
            ),
        ]
    )
