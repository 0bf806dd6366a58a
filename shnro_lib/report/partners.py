"""The partnership section of the municipal report: the proposed pairs «школа — школа-лидер» that involve
the municipality's schools (a :class:`~shnro_lib.report.content.Section`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from shnro_lib.facts.select import region_facts_now, with_facts
from shnro_lib.report.content import Section, note, table, unavailable
from shnro_lib.report.helpers import with_names

# the partnership table's columns the section lists, in this order (those the table has)
PARTNERS_COLUMNS = [
    "school_id",
    "school_name",
    "category",
    "leader_id",
    "leader_name",
    "leader_municipality",
    "result_gap",
    "distance_km",
    "reason",
]


def partners_section(region: Any, municipality: str) -> Section:
    """Proposed partnerships involving the municipality's schools.

    Parameters
    ----------
    region : :class:`~shnro_lib.pipeline.RegionResults`.
    municipality : the municipality's name.

    Returns
    -------
    Section
        The pairs where the municipality's school is either side, a note when there are none, or the
        stage's Russian reason when the partnerships were not computed.
    """
    if not region.ok("partners"):
        return Section([unavailable(region.reason("partners"))])
    df = region.table("partners")
    ids = set(region.school_ids(municipality))
    id_cols = [c for c in df.columns if c.endswith("school_id")]
    if id_cols:
        mask = np.zeros(len(df), dtype=bool)
        for c in id_cols:
            mask |= df[c].astype(str).isin(ids).to_numpy()
        df = with_names(region, with_facts(df.loc[mask].reset_index(drop=True), region_facts_now(region)))
    cols = [c for c in PARTNERS_COLUMNS if c in df.columns]
    body = (
        table(df[cols] if cols else df, caption="Предлагаемые пары «школа — школа-лидер»")
        if len(df)
        else note("Для школ муниципалитета партнёрства не предложены.")
    )
    return Section([body])
