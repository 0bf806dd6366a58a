"""Reader's tables of the context analysis: flagged schools, a school's similar schools, cluster moves.

Headers come from the shared vocabulary (:func:`shnro_lib.readable.readable`); numbers are rounded
to two decimals, as the report shows them.
"""

from __future__ import annotations

import pandas as pd

from shnro_lib.readable import readable

from .table import ContextReport

SCHOOL_COLUMNS = [
    "school_id",
    "name",
    "municipality",
    "cluster_name",
    "context_index",
    "result_index",
    "expected_result",
    "residual",
    "residual_ci_low",
    "residual_ci_high",
]


def flagged_schools(report: ContextReport, schools: pd.DataFrame, flag: str) -> pd.DataFrame:
    """The schools with ``flag`` set (``resilient`` or ``underperforming_favourable``), named.

    Sorted by the deviation from the expected result: the largest first for resilient schools,
    the most negative first otherwise.
    """
    names = schools.drop_duplicates("school_id").set_index("school_id")["name"]
    rows = report.table[report.table[flag].astype(bool)].sort_values(
        "residual", ascending=flag != "resilient"
    )
    rows = rows.assign(name=rows["school_id"].map(names))
    return readable(rows[SCHOOL_COLUMNS].round(2)).reset_index(drop=True)


def similar_of(report: ContextReport, school_id: str) -> pd.DataFrame:
    """The similar schools of ``school_id`` with their rank, distance, cluster and result index."""
    peers = report.similar[report.similar["school_id"] == school_id].merge(
        report.table[["school_id", "cluster_name", "result_index"]],
        left_on="similar_id",
        right_on="school_id",
        suffixes=("", "_peer"),
    )
    cols = ["rank", "similar_id", "distance", "cluster_name", "result_index"]
    return readable(peers[cols].round(2), {"similar_id": "Код ОО"}).reset_index(drop=True)


def cluster_moves(moves: pd.DataFrame, top: int = 20) -> pd.DataFrame:
    """The ``top`` schools whose context moved them to another cluster, the largest shift first."""
    changed = moves[moves["changed"]].sort_values("context_shift", ascending=False)
    cols = ["school_id", "year", "cluster", "cluster_reference", "context_shift"]
    labels = {
        "cluster_reference": "Кластер в опорном году",
        "context_shift": "Изменение контекста, ст. откл.",
    }
    return readable(changed[cols].round(2), labels).head(top).reset_index(drop=True)
