"""Annual programme monitoring: indicators from YAML, target status, transitions between categories.

The indicators of §3 of the support concept («динамика результатов», «учёт педагогов, прошедших
диагностику», «методическая помощь») and of the programme passport (ГИА, укомплектованность, доля
ШНРО) are defined in ``parameters/monitoring.yaml`` and evaluated by one generic engine on a
«school × year» panel, so a municipality can add its own indicator without code.

The identification of every year is an *input* (``school_id, year, category``);
:func:`identification_panel` (re-exported from :mod:`shnro_lib.identify`) builds it with
:func:`shnro_lib.identify.identify_schools`.
"""

from shnro_lib.identify.stability import identification_panel

from .config import (
    AGGREGATIONS,
    STATUS_COLOURS,
    STATUS_KEYS,
    IndicatorSpec,
    MonitoringSettings,
    load_monitoring_config,
)
from .indicators import (
    evaluate_indicator,
    evaluate_indicators,
    monitoring_table,
    monitoring_wide,
    plot_status_grid,
    target_status,
    target_value,
    targets_from_facts,
)
from .method import COLUMN_LABELS_RU, monitoring_method_ru
from .panel import build_panel
from .transitions import (
    TRAJECTORY_STATUS_RU,
    plot_transitions_flow,
    school_trajectories,
    transition_matrix,
    transitions_long,
)

__all__ = [
    "AGGREGATIONS",
    "COLUMN_LABELS_RU",
    "IndicatorSpec",
    "MonitoringSettings",
    "STATUS_COLOURS",
    "STATUS_KEYS",
    "TRAJECTORY_STATUS_RU",
    "build_panel",
    "evaluate_indicator",
    "evaluate_indicators",
    "identification_panel",
    "load_monitoring_config",
    "monitoring_method_ru",
    "monitoring_table",
    "monitoring_wide",
    "plot_status_grid",
    "plot_transitions_flow",
    "school_trajectories",
    "target_status",
    "target_value",
    "targets_from_facts",
    "transition_matrix",
    "transitions_long",
]
