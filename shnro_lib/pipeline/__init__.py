"""Region-level results computed once and cached for the report notebooks.

The stage graph is :func:`compute_from_dataset` (:mod:`.region`); the stages are plain
functions in :mod:`.stages`; the cache is :mod:`.cache`; the report settings model is
:mod:`.settings`.  See ``docs/ARCHITECTURE.md``.
"""

from shnro_lib.pipeline.cache import (
    META_FILE,
    cache_key,
    data_hash,
    load_region,
    parameters_hash,
    store_region,
)
from shnro_lib.pipeline.overview import dataset_metadata, load_report_tables, overview_tables
from shnro_lib.pipeline.region import compute_from_dataset, compute_region
from shnro_lib.pipeline.results import RegionResults
from shnro_lib.pipeline.settings import ReportSettings, report_settings

__all__ = [
    "META_FILE",
    "RegionResults",
    "ReportSettings",
    "cache_key",
    "compute_from_dataset",
    "compute_region",
    "data_hash",
    "dataset_metadata",
    "load_region",
    "load_report_tables",
    "overview_tables",
    "parameters_hash",
    "report_settings",
    "store_region",
]
