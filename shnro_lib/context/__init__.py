"""School context: features, clusters, context-adjusted results, resilient and similar schools.

Everything configurable lives in ``parameters/context.yaml``; a dict or a path can be passed
instead (a dict is merged over the defaults, so a test can change one setting).

Context is never built from results: features come only from the ``context``, ``staff``,
``resources``, ``territories`` and ``schools`` tables.  Results enter only the model of
expected results (section 3), never the clustering or the neighbours.

Main entry points
-----------------
- :func:`context_features` — the feature matrix of a year (raw, imputed, standardised) with
  the list of schools left out for missing context and the imputation / year-fallback report;
- :func:`cluster_analysis` / :func:`cluster_schools` / :func:`cluster_profile` — clusters with
  automatic Russian names, the choice of k and the bootstrap stability;
- :func:`clusters_across_years` — each year's context assigned to the reference year's clusters;
- :func:`fit_expected_model` / :func:`expected_results` — expected results, residuals and their
  intervals, with the MixedLM zero-variance guard;
- :func:`similar_schools` and :func:`plot_similar_schools`;
- :func:`context_table` — one row per school joining all of it;
- :func:`context_method_ru` — the method annex in Russian (markdown).
"""

from .clusters import ClusterResult, cluster_analysis, cluster_profile, cluster_schools, clusters_across_years
from .expected import ExpectedModel, expected_results, fit_expected_model, flag_resilient
from .features import (
    ALLOWED_TABLES,
    REGION_ROW,
    ContextFeatures,
    ContextNotAssessed,
    context_features,
    load_context_config,
    pca_index,
)
from .similar import plot_similar_schools, similar_schools, yearly_result_index
from .table import ContextReport, context_analysis, context_method_ru, context_table

__all__ = [
    "ALLOWED_TABLES",
    "REGION_ROW",
    "ClusterResult",
    "ContextFeatures",
    "ContextNotAssessed",
    "ContextReport",
    "ExpectedModel",
    "cluster_analysis",
    "cluster_profile",
    "cluster_schools",
    "clusters_across_years",
    "context_analysis",
    "context_features",
    "context_method_ru",
    "context_table",
    "expected_results",
    "fit_expected_model",
    "flag_resilient",
    "load_context_config",
    "pca_index",
    "plot_similar_schools",
    "similar_schools",
    "yearly_result_index",
]
