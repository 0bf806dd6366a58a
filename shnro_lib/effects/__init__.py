"""Programme effects: «вход–выход», «вход–процесс–выход» and quasi-experimental designs.

The support programme selects schools by a rule on observed results (per cohort, the bottom share
of a result index over the selection years — a fact of the data set, :mod:`.design`).  Observed
results are true quality plus transitory luck, so the selected schools were, on average, unlucky
in the selection years: their results rise afterwards even without support (regression to the
mean; the depressed selection years are the Ashenfelter dip).  Which estimator is valid depends on
the design; :func:`.design.choose_estimator` picks one by a documented rule and the self-check on
the data's own design (:mod:`.selfcheck`: known effects planted into copies of the data's results,
selected by its own rule) decides whether it is trusted; the stored simulation of typical regions
(``benchmarks/effects.py``, :mod:`.simulation`) is background for the annex.

Estimators (one row each in :func:`programme_effects`):

- ``naive_pre_post`` — treated schools' mean change from the selection years to the support years;
- ``rtm_adjusted`` — the naive change minus the change expected from regression to the mean;
- ``did_unadjusted`` — staggered DiD (Gardner's two-stage ``did2s`` in pyfixest, every untreated
  school-year in the untreated-outcome model, so it inherits the dip);
- ``event_study`` — imputation event study whose untreated-outcome model uses only clean
  school-years (before selection); picked when every cohort has a clean year;
- ``callaway_santanna`` — moderndid cross-check on the matching base;
- ``selection_adjusted`` — regression adjustment on the exact selection index with index x
  school-size interactions; picked for a sharp rule without a clean year;
- ``rdd`` — local linear regression discontinuity at the selection cut-off (first-year effect);
- ``matching`` — nearest neighbours on pre-programme results and context; the fallback.
"""

from shnro_lib.effects.cohorts import programme_cohorts, selection_index
from shnro_lib.effects.design import CohortDesign, ProgrammeDesign, choose_estimator, programme_design
from shnro_lib.effects.did import callaway_santanna, did_two_stage, event_study
from shnro_lib.effects.io_dose import dose_response, input_output, paired_hedges_g
from shnro_lib.effects.matching import matching_estimate
from shnro_lib.effects.method import effects_method_ru
from shnro_lib.effects.naive_rtm import naive_pre_post, rtm_adjusted, rtm_point
from shnro_lib.effects.panel import OUTCOMES, panel_clean_years, panel_selection_years, result_panel
from shnro_lib.effects.plots import plot_event_study, plot_rdd
from shnro_lib.effects.rdd import rdd_data, rdd_estimate
from shnro_lib.effects.selection import selection_adjusted, selection_covariates
from shnro_lib.effects.selfcheck import design_check, self_check
from shnro_lib.effects.settings import EffectsSettings, load_effects_config
from shnro_lib.effects.simulation import closest_design, picked_check, simulation_markdown, simulation_table
from shnro_lib.effects.table import ALL_ESTIMATORS, TABLE_COLUMNS, programme_effects

__all__ = [
    "ALL_ESTIMATORS",
    "OUTCOMES",
    "TABLE_COLUMNS",
    "CohortDesign",
    "EffectsSettings",
    "ProgrammeDesign",
    "callaway_santanna",
    "choose_estimator",
    "closest_design",
    "design_check",
    "did_two_stage",
    "dose_response",
    "effects_method_ru",
    "event_study",
    "input_output",
    "load_effects_config",
    "matching_estimate",
    "naive_pre_post",
    "paired_hedges_g",
    "panel_clean_years",
    "panel_selection_years",
    "picked_check",
    "plot_event_study",
    "plot_rdd",
    "programme_cohorts",
    "programme_effects",
    "programme_design",
    "rdd_data",
    "rdd_estimate",
    "result_panel",
    "rtm_adjusted",
    "rtm_point",
    "selection_adjusted",
    "selection_covariates",
    "selection_index",
    "self_check",
    "simulation_markdown",
    "simulation_table",
]
