"""School indicators computed from the canonical tables.

The central one is the *school result index*: every procedure x subject x
grade x year cell is put on a common scale (score as percent of the maximum,
standardised across schools within the cell), and a school's index is the
participant-weighted mean of its standardised scores over a window of years.
Standardising within the cell keeps years comparable when an exam's scale
changes (a new ВПР format, a changed ОГЭ maximum).
"""

from shnro_lib.indicators.composite import (
    composite_index,
    composite_index_table,
    index_inputs,
    index_spec_table_ru,
    territory_indicators,
)
from shnro_lib.indicators.result_sums import ResultSums, result_sums
from shnro_lib.indicators.results import (
    CELL,
    school_result_index,
    shrink_index,
    standardised_results,
    window_years,
)
from shnro_lib.indicators.school import (
    continuing_share,
    failing_counts,
    latest_values,
    low_quality_monitorings,
    low_results_share,
    olympiad_share,
    quality_by_monitoring,
    satisfaction,
    score_gap,
)

__all__ = [
    "CELL",
    "ResultSums",
    "composite_index",
    "composite_index_table",
    "continuing_share",
    "failing_counts",
    "index_inputs",
    "index_spec_table_ru",
    "latest_values",
    "low_quality_monitorings",
    "low_results_share",
    "olympiad_share",
    "quality_by_monitoring",
    "result_sums",
    "satisfaction",
    "school_result_index",
    "score_gap",
    "shrink_index",
    "standardised_results",
    "territory_indicators",
    "window_years",
]
