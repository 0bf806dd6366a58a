"""One region's computation: the stage graph, run once per data set, year, rules and settings.

:func:`compute_from_dataset` names every stage in order; each result (the identification of
every year, the context analysis of the report year) is computed once and passed to the
stages that use it.  :func:`compute_region` adds loading and the cache (:mod:`.cache`), so
the report notebooks only select and draw.

    >>> region = compute_region("data/demo", 2024, cache_dir="data/cache")
    >>> region.table("participation"), region.failures
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from shnro_lib import __version__
from shnro_lib.io.facts import currency_label
from shnro_lib.pipeline.cache import META_FILE, cache_key, load_region, parameters_hash, store_region
from shnro_lib.pipeline.log import StageLog
from shnro_lib.pipeline.overview import dataset_metadata, load_report_tables
from shnro_lib.pipeline.results import RegionResults
from shnro_lib.pipeline.settings import Overrides, report_settings, stage_config


def compute_from_dataset(
    ds: Any,
    year: int,
    rules: str = "lo_2018",
    data_dir: str | Path | None = None,
    key: str = "",
    overrides: Overrides | None = None,
    log: StageLog | None = None,
) -> RegionResults:
    """All region-level results from a loaded :class:`~shnro_lib.io.Dataset` (no caching).

    Parameters
    ----------
    ds : the loaded data set.
    year : the report year.
    rules : identification rules (``parameters/criteria/<rules>.yaml``); every stage that uses
        categories (identification, changes, partners, monitoring) gets them.
    overrides : a user's ``--config`` values, ``{parameter file name: values}``.
    log : collects failures, timings and tracebacks (a new one by default).
    """
    # the analysis modules are heavy: imported when computing, not when a notebook only reads the cache
    from shnro_lib.pipeline import stages as S
    from shnro_lib.pipeline.graph import CONFIG_NAMES, run_graph

    year = int(year)
    settings = report_settings(overrides)
    log = log or StageLog()
    tables = run_graph(ds, year, rules, overrides, log=log).tables
    methods = S.method_texts(ds, rules, {name: stage_config(overrides, name) for name in CONFIG_NAMES})

    tables.update(load_report_tables(ds))
    dmeta = dataset_metadata(ds, data_dir)
    rep = getattr(ds, "report", None)
    meta = {
        "year": year,
        "rules": str(rules),
        "fingerprint": str(getattr(ds, "fingerprint", "")),
        "synthetic": bool(dmeta.get("synthetic", False)),
        "dataset_name": str(dmeta.get("name", "")),
        "synthetic_note": str(dmeta.get("note", "")),
        "municipalities": list(ds.municipalities),
        "currency": currency_label(dmeta.get("currency")),
        "years": [int(y) for y in ds.years],
        "tables_present": sorted(ds.tables),
        "version": __version__,
        "parameters_hash": parameters_hash()[:16],
        "key": key,
        "load_summary": rep.summary_ru() if rep is not None else "",
        "n_errors": len(rep.errors) if rep is not None else 0,
        "n_warnings": len(rep.warnings) if rep is not None else 0,
        "timings": dict(log.timings),
        "report_parameters": settings.model_dump(mode="json"),
        "overrides": {k: dict(v) for k, v in sorted((overrides or {}).items())},
    }
    return RegionResults(meta=meta, tables=tables, failures=dict(log.failures), methods=methods)


def compute_region(
    data_dir: str | Path,
    year: int,
    rules: str = "lo_2018",
    cache_dir: str | Path | None = None,
    force: bool = False,
    overrides: Overrides | None = None,
) -> RegionResults:
    """Region-level results for a data folder and year, read from the cache when possible.

    Parameters
    ----------
    data_dir : the data set folder (see ``DATA_CONTRACT.md``).
    year : the report year.
    rules : identification rules (``parameters/criteria/<rules>.yaml``).
    cache_dir : cache root; the results go to ``cache_dir/<key>/``. ``None`` computes without caching.
    force : recompute even when a cache entry exists.
    overrides : a user's ``--config`` values, ``{parameter file name: values}`` (part of the key).

    Raises
    ------
    shnro_lib.io.DataError
        When the data cannot be loaded (the problems are listed).
    """
    from shnro_lib.io import load_dataset

    key = cache_key(data_dir, year, rules, overrides)
    target = Path(cache_dir) / key if cache_dir is not None else None
    if target is not None and not force and (target / META_FILE).exists():
        try:
            return load_region(target)
        except Exception:  # noqa: BLE001 - a broken entry is recomputed
            pass
    t0 = time.perf_counter()
    ds = load_dataset(data_dir)
    t_load = round(time.perf_counter() - t0, 3)
    log = StageLog()
    region = compute_from_dataset(ds, year, rules, data_dir=data_dir, key=key, overrides=overrides, log=log)
    region.meta["timings"]["load"] = t_load
    if target is not None:
        store_region(region, target, log=log.log_text())
    return region
