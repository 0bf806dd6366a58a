"""The school pages of a batch on its executor: chunks of pages in the workers, the lists in the main process.

The main process cuts the schools into chunks (:func:`school_chunks`: a municipality's schools, at
most :data:`CHUNK_SIZE` a chunk) and submits one :class:`PagesTask` each to the batch's executor (its
own loky pool or a Dask client).  A worker reads the region from the pipeline cache entry and the data
set from its folder, as the notebooks do, builds the pages' inputs once per worker thread (kept for its
next chunks of the same batch) and writes each page atomically
(:func:`shnro_lib.profiles.pages.write_school_page_chunk`); it returns the category each list page
shows.  The main process then writes the list pages and the index
(:func:`~shnro_lib.profiles.pages.write_school_lists`) and the «практики» workbook: the same files,
byte for byte, as :func:`shnro_lib.profiles.write_school_outputs` writes in one process.
"""

from __future__ import annotations

import concurrent.futures as cf
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from shnro_lib.batch.process import tracked_temporaries

CHUNK_SIZE = 200  # at most this many school pages per work item
_LOCAL = threading.local()  # in a worker thread: the inputs of the last batch it rendered pages for


@dataclass(frozen=True)
class PagesTask:
    """The pages of some schools (picklable: plain data only)."""

    cache_entry: str  # the region's cache entry folder
    data_dir: str
    out_dir: str  # OUT/schools
    site_root: str
    school_ids: tuple[str, ...]  # the whole selection: the pages link to one another in it
    chunk: tuple[str, ...]  # the schools whose pages this task writes
    reports: dict = field(default_factory=dict)  # municipality -> municipal report path


@dataclass
class PagesResult:
    """What one chunk wrote: ``school_id -> category`` of the list pages, or the Russian reason it failed."""

    categories: dict = field(default_factory=dict)
    error: str = ""
    seconds: float = 0.0


def school_chunks(region: Any, munis: list[str], size: int | None = None) -> list[tuple[str, ...]]:
    """The schools of ``munis`` (in municipality order, then the region's order) cut into chunks: a
    municipality's schools, ``size`` (default :data:`CHUNK_SIZE`) at most."""
    size = size or CHUNK_SIZE
    chunks = []
    for m in sorted(set(munis)):
        ids = region.school_ids(m)
        chunks += [tuple(ids[i : i + size]) for i in range(0, len(ids), size)]
    return chunks


def _page_inputs(task: PagesTask) -> tuple[Any, Any, Any]:
    """This thread's (inputs, templates, trend figure) of the task's region and data set, built once."""
    key = (task.cache_entry, task.data_dir)
    if getattr(_LOCAL, "key", None) != key:
        from shnro_lib.io import load_dataset
        from shnro_lib.pipeline import load_region
        from shnro_lib.profiles.content import profile_inputs
        from shnro_lib.profiles.render import new_plot, templates_env

        _LOCAL.key, _LOCAL.value = None, None  # the previous batch's inputs go first
        inp = profile_inputs(load_region(task.cache_entry), load_dataset(task.data_dir))
        _LOCAL.key, _LOCAL.value = key, (inp, templates_env(), new_plot(inp))
    return _LOCAL.value


def render_pages(task: PagesTask) -> PagesResult:
    """Write the pages of one chunk (in a worker); a failure is returned, not raised."""
    from shnro_lib.outputs import school_page_paths
    from shnro_lib.profiles.pages import write_school_page_chunk

    t0 = time.perf_counter()
    try:
        inp, env, plot = _page_inputs(task)
        # a worker ended mid-chunk removes the atomic-write temporaries of these pages
        paths = list(school_page_paths(inp.region, task.out_dir, task.chunk).values())
        with tracked_temporaries(paths):
            cats = write_school_page_chunk(
                inp,
                task.out_dir,
                list(task.school_ids),
                task.chunk,
                env=env,
                plot=plot,
                site_root=task.site_root,
                reports=task.reports,
            )
    except Exception as exc:  # noqa: BLE001 - reported by the main process as a warning
        return PagesResult(error=f"{type(exc).__name__}: {exc}")
    return PagesResult(categories=cats, seconds=round(time.perf_counter() - t0, 3))


class PagesFailed(RuntimeError):
    """A chunk of school pages failed (its reason, as the worker gave it)."""


def run_pages(tasks: list[PagesTask], ex: cf.Executor, stop: Any, progress: bool) -> dict[str, str] | None:
    """Run the chunks on ``ex``: ``school_id -> category`` of all of them, or None when a stop was requested.

    ``stop``: a :class:`~shnro_lib.batch.process.StopRequest` (or None), turned to polling while the
    chunks run.  Raises :class:`PagesFailed` with the first failed chunk's reason (the others run on).
    """
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=sum(len(t.chunk) for t in tasks), desc="Профили школ", unit="шк.")
    soft = getattr(stop, "soft", False)
    if stop is not None:
        stop.soft = True
    futures = [ex.submit(render_pages, t) for t in tasks]
    results: dict[int, PagesResult] = {}
    try:
        pending = set(futures)
        while pending and not (stop is not None and stop.requested):
            done, pending = cf.wait(pending, timeout=0.2, return_when=cf.FIRST_COMPLETED)
            for fut in done:
                i = futures.index(fut)
                try:
                    results[i] = fut.result()
                except Exception as exc:  # noqa: BLE001 - a worker that died: the chunk failed
                    results[i] = PagesResult(error=f"{type(exc).__name__}: {exc}")
                if bar is not None:
                    bar.update(len(tasks[i].chunk))
    finally:
        if stop is not None:
            stop.soft = soft
        if bar is not None:
            bar.close()
    if stop is not None and stop.requested:
        return None
    failed = [results[i].error for i in sorted(results) if results[i].error]
    if failed:
        raise PagesFailed(failed[0])
    return {sid: cat for i in sorted(results) for sid, cat in results[i].categories.items()}
