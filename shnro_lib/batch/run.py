"""Running a batch: compute the region once, render every report on the executor, stop on request."""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import dataclasses
import os
import signal
import time
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from shnro_lib.batch.finish import DIR_MODE, finish, write_school_pages
from shnro_lib.batch.manifest import Manifest
from shnro_lib.batch.process import (
    SCRATCH_DIR,
    BatchStop,
    StopRequest,
    folder_lock,
    init_pool_worker,
    remove_paths,
    remove_temporary,
)
from shnro_lib.batch.render import (
    FILE_MODE,
    LOG_NAME,
    NotebookTask,
    TaskResult,
    error_ru,
    log_failure,
    log_to_file,
    render_notebook,
)
from shnro_lib.batch.result import BatchResult
from shnro_lib.batch.schools import school_chunks
from shnro_lib.batch.tasks import make_tasks, task_stamp
from shnro_lib.pipeline.cache import code_version

SIGNAL_NAMES_RU = {2: "SIGINT (Ctrl+C)", 15: "SIGTERM"}
IDLE_TIMEOUT = 300  # seconds after which an idle worker of the batch's own pool exits


class BatchInterrupted(Exception):  # noqa: N818 - a stop on request, not an error
    """The batch was stopped by SIGINT/SIGTERM; ``result`` holds what was finished."""

    def __init__(self, signum: int, result: BatchResult, latency: float) -> None:
        super().__init__(f"остановлено сигналом {signum}")
        self.signum, self.result, self.latency = int(signum), result, float(latency)

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    def summary_ru(self, command: str = "") -> str:
        sig = SIGNAL_NAMES_RU.get(self.signum, f"сигнал {self.signum}")
        again = f":\n  {command}" if command else " (с теми же параметрами, без --force)."
        return (
            f"Остановлено по запросу ({sig}) за {self.latency:.1f} с; {self.result.counts_ru()}.\n"
            f"Недостроенные файлы не записаны, временные файлы удалены; папка: {self.result.out_dir}\n"
            f"Чтобы продолжить, запустите ту же команду ещё раз — готовые отчёты будут взяты "
            f"из этого запуска{again}"
        )


# --------------------------------------------------------------------------- the batch


def _executor_of(executor: Any) -> cf.Executor:
    if hasattr(executor, "get_executor") and not isinstance(executor, cf.Executor):
        return executor.get_executor()  # dask.distributed.Client
    return executor


def _cores() -> int:
    import loky

    return int(loky.cpu_count())


def local_pool(workers: int | None, n_tasks: int, log_path: Path) -> cf.Executor:
    """The batch's own pool: a :class:`loky.ProcessPoolExecutor` of at most ``workers`` processes
    (default: the cores this process may use), no more than there are tasks.

    Its workers start fresh interpreters (loky's fork+exec, nothing inherited but the listed pipes),
    are set up by :func:`~shnro_lib.batch.process.init_pool_worker` and exit after
    :data:`IDLE_TIMEOUT` idle seconds; the caller shuts it down.
    """
    import loky

    return loky.ProcessPoolExecutor(
        max_workers=max(1, min(workers or _cores(), n_tasks)),
        initializer=init_pool_worker,
        initargs=(os.getpid(), str(log_path)),
        timeout=IDLE_TIMEOUT,
    )


class BatchExecutor:
    """The executor of a batch's work items (notebooks, then school pages), shut down on leaving.

    The caller's ``executor`` (a Dask client is used through its ``get_executor()``), or the batch's
    own :func:`local_pool`, made on first use for at least ``at_least`` work items.  On leaving, a
    stop kills the own pool's workers and their kernels at once (``kill_workers=True``) and cancels
    the Dask client's tasks; otherwise the workers end when their work is done.
    """

    def __init__(
        self, executor: Any, workers: int | None, log_path: Path, stop: StopRequest, at_least: int = 0
    ) -> None:
        self.executor, self.workers, self.log_path, self.stop = executor, workers, log_path, stop
        self.at_least = at_least
        self.own = executor is None
        self._ex: cf.Executor | None = None

    def get(self, n_jobs: int) -> cf.Executor:
        """The executor, for ``n_jobs`` work items (they size the own pool when it is made now)."""
        if self._ex is None:
            self._ex = (
                local_pool(self.workers, max(n_jobs, self.at_least), self.log_path)
                if self.own
                else _executor_of(self.executor)
            )
        return self._ex

    def for_pages(self, n_chunks: int) -> cf.Executor | None:
        """The executor for the school pages' chunks; None (this process) when the own pool would have
        one worker: its start and its reading of the data would only add to the same work."""
        if self.own and min(self.workers or _cores(), n_chunks) < 2:
            return None
        return self.get(n_chunks)

    def __enter__(self) -> BatchExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        ex, self._ex = self._ex, None
        if ex is None:
            return
        if self.own:
            ex.shutdown(wait=True, kill_workers=self.stop.requested)
        elif ex is not self.executor:  # our ClientExecutor of a Dask client: a stop cancels its tasks too
            ex.shutdown(wait=not self.stop.requested)


def _run_tasks(
    tasks: list[NotebookTask],
    ex: cf.Executor,
    stop: StopRequest,
    progress: bool,
    on_result: Any,
    cancel: bool,
) -> None:
    """Submit every task and hand each result to ``on_result``; return early when a stop is requested.

    ``cancel``: cancel the futures not done on the way out (not for our own pool: its shutdown with
    ``kill_workers=True`` fails the pending futures itself and must find none cancelled).
    """
    futures = {ex.submit(render_notebook, t): t for t in tasks}
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(tasks), desc="Отчёты", unit="отч.")
    pending = set(futures)
    try:
        while pending and not stop.requested:
            done, pending = cf.wait(pending, timeout=0.2, return_when=cf.FIRST_COMPLETED)
            for fut in sorted(done, key=lambda f: tasks.index(futures[f])):  # task order, not timing
                t = futures[fut]
                try:
                    r = fut.result()
                except Exception as exc:  # noqa: BLE001 - a worker crash is one failed report
                    r = TaskResult(kind=t.kind, name=t.name, slug=t.slug, ok=False, error_ru=error_ru(exc))
                    with log_to_file(t.log_path, t.slug):
                        log_failure(t.slug, exc)
                on_result(t, r)
                if bar is not None:
                    bar.update(1)
                    if not r.ok:
                        bar.write(f"✗ {r.name}: {r.error_ru}")
    finally:
        for fut in pending if cancel else ():
            fut.cancel()
        if bar is not None:
            bar.close()


def _prepare_out(out: Path) -> None:
    for d in (out, out / "municipalities"):
        d.mkdir(parents=True, exist_ok=True)
        d.chmod(DIR_MODE)


def run_batch(
    data_dir: str | Path,
    year: int,
    out_dir: str | Path,
    rules: str = "lo_2018",
    municipalities: Sequence[str] | None = None,
    workers: int | None = None,
    executor: Any = None,
    cache_dir: str | Path | None = None,
    progress: bool = True,
    pdf: bool = True,
    regional: bool = True,
    force: bool = False,
    school_pages: bool = True,
    overrides: dict | None = None,
) -> BatchResult:
    """Build every report of a region for a year, reusing the current outputs of earlier runs.

    Parameters
    ----------
    data_dir : data set folder.
    year : report year.
    out_dir : output folder (``index.html``, ``regional.html``, ``collection.html``/``.pdf``,
        ``municipalities/<slug>.html|.xlsx``, ``_failed/`` for failed notebooks, ``reports.log``,
        ``.shnro_manifest.json``).
    rules : identification rules.
    municipalities : names to build (default: all).
    workers : size of the default process pool, a :class:`loky.ProcessPoolExecutor` (default: all
        cores this process may use).
    executor : any ``concurrent.futures.Executor`` or a Dask ``distributed.Client``; the caller owns it.
    cache_dir : cache root of region results (default ``out_dir/.cache``).
    progress : show a tqdm progress bar.
    pdf : print the collection to PDF with headless Chromium (skipped with a warning if absent).
    regional : also build the regional report and the collection.
    force : rebuild every output even when the manifest says it is current.
    school_pages : also write a profile page per school (``schools/``, :mod:`shnro_lib.profiles`;
        rewritten on every run, not under the manifest).
    overrides : a user's ``--config`` values, ``{parameter file name: values}``, passed to every stage.

    Raises
    ------
    ValueError
        When a requested municipality is not in the data.
    BatchInterrupted
        When SIGINT/SIGTERM stopped the batch (finished outputs are kept and recorded).
    shnro_lib.batch.process.FolderBusy
        When another batch is writing to the same output folder.
    """
    from shnro_lib.pipeline import compute_region

    t0 = time.perf_counter()
    out = Path(out_dir).resolve()
    data = Path(data_dir).resolve()
    cache_root = Path(cache_dir).resolve() if cache_dir is not None else out / ".cache"
    with _batch_scope(out, f"{data}, {year}, {rules}") as (batch, stop, log_path):
        region = compute_region(data, year, rules, cache_dir=cache_root, force=force, overrides=overrides)
        t_region = time.perf_counter() - t0
        munis = _municipalities(region, municipalities)
        tasks = make_tasks(
            region, munis, out, data, cache_root, rules, regional=regional, school_pages=school_pages
        )
        chunks = len(school_chunks(region, munis)) if school_pages else 0
        with BatchExecutor(executor, workers, log_path, stop, at_least=chunks) as pool:
            _run_all(tasks, batch, region, log_path, pool, progress, force, stop)
            t_notebooks = time.perf_counter() - t0 - t_region
            finish(batch, tasks, region, munis, out, regional, pdf, force)
            t_pages = time.perf_counter()
            if school_pages:
                _school_pages(batch, region, data, munis, progress, pool.for_pages(chunks), stop)
            t_pages = time.perf_counter() - t_pages
    batch.timings = {
        "region": round(t_region, 3),
        "notebooks": round(t_notebooks, 3),
        "school_pages": round(t_pages, 3),
        "total": round(time.perf_counter() - t0, 3),
    }
    return batch


def _municipalities(region: Any, names: Sequence[str] | None) -> list[str]:
    """The municipalities to build (default: all); a name not in the data is a Russian ``ValueError``."""
    munis = list(names) if names else region.municipalities
    unknown = [m for m in munis if m not in region.municipalities]
    if unknown:
        raise ValueError("Нет в данных муниципалитетов: " + ", ".join(f"«{m}»" for m in unknown))
    return munis


def _school_pages(
    batch: BatchResult,
    region: Any,
    data: Path,
    munis: list[str],
    progress: bool,
    ex: cf.Executor | None,
    stop: StopRequest,
) -> None:
    """The school pages (on ``ex``, or here when None); raises :class:`BatchStop` when a stop came."""
    write_school_pages(batch, region, data, munis, progress, ex, stop)
    if stop.requested:
        raise BatchStop(stop.signum or signal.SIGINT)


def build_tasks(
    tasks: Sequence[NotebookTask],
    region: Any,
    out_dir: str | Path,
    executor: Any = None,
    workers: int | None = None,
    progress: bool = True,
    force: bool = False,
) -> BatchResult:
    """Execute notebook tasks (from :func:`make_tasks`) into ``out_dir``: the batch without its pages.

    Current outputs are reused as in :func:`run_batch`, a failing task does not stop the others,
    SIGINT/SIGTERM raise :class:`BatchInterrupted`; no index, collection or PDF is written.
    Results come back in task order.
    """
    out = Path(out_dir).resolve()
    with _batch_scope(out, f"{len(tasks)} тетрадей") as (batch, stop, log_path):
        with BatchExecutor(executor, workers, log_path, stop) as pool:
            _run_all(list(tasks), batch, region, log_path, pool, progress, force, stop)
        order = {t.slug: i for i, t in enumerate(tasks)}
        batch.results.sort(key=lambda r: order.get(r.slug, 0))
    return batch


@contextlib.contextmanager
def _batch_scope(out: Path, header: str) -> Iterator[tuple[BatchResult, StopRequest, Path]]:
    """Lock the folder, handle SIGINT/SIGTERM, log to ``reports.log``, remove temporaries on every exit."""
    _prepare_out(out)
    batch = BatchResult(out_dir=out, results=[])
    with folder_lock(out), StopRequest() as stop:
        try:
            remove_temporary(out)  # left by a run that was killed
            log_path = out / LOG_NAME
            with open(log_path, "a", encoding="utf-8") as fh:  # appended: the log of a stopped run stays
                fh.write(f"=== shnro reports: {header}, pid {os.getpid()}\n")
            log_path.chmod(FILE_MODE)
            with log_to_file(str(log_path), "main"), warnings.catch_warnings():
                warnings.simplefilter("default")  # shown once each, in the log
                yield batch, stop, log_path
        except BatchStop as s:
            remove_temporary(out)
            latency = time.monotonic() - stop.at if stop.at else 0.0
            batch.results.sort(key=lambda r: r.slug)
            raise BatchInterrupted(s.signum, batch, latency) from None
        finally:
            remove_temporary(out)


def _run_all(
    tasks: list[NotebookTask],
    batch: BatchResult,
    region: Any,
    log_path: Path,
    pool: BatchExecutor,
    progress: bool,
    force: bool,
    stop: StopRequest,
) -> None:
    """Reuse current outputs, build the rest (recording each in the manifest as it finishes).

    Raises :class:`BatchStop` when a stop was requested while the notebooks ran.
    """
    from shnro_lib.pipeline import parameters_hash

    out = batch.out_dir
    batch.n_tasks = len(tasks)
    params_hash = parameters_hash()
    manifest = Manifest.load(out)
    version = code_version()
    stamps = {t.slug: task_stamp(t, region, params_hash, version) for t in tasks}
    todo = []
    for t in tasks:
        if not force and manifest.is_current(t.outputs, stamps[t.slug]):
            batch.results.append(
                TaskResult(
                    kind=t.kind,
                    name=t.name,
                    slug=t.slug,
                    ok=True,
                    html_path=t.html_path,
                    xlsx_path=t.xlsx_path,
                    reused=True,
                )
            )
        else:
            todo.append(dataclasses.replace(t, log_path=str(log_path), scratch_dir=str(out / SCRATCH_DIR)))

    def on_result(t: NotebookTask, r: TaskResult) -> None:
        for p in t.outputs:
            if r.ok:
                manifest.record(p, r.hashes[p], stamps[t.slug])
            else:  # an out-of-date output of an earlier run must not pass for this run's
                manifest.forget(p)
                remove_paths([Path(p)])
        if r.ok:
            remove_paths([Path(t.failed_dir) / f"{t.slug}.ipynb"])
        manifest.save()
        batch.results.append(r)

    if not todo:
        return
    stop.soft = True  # from here a signal is a flag the loop polls
    try:
        _run_tasks(todo, pool.get(len(todo)), stop, progress, on_result, cancel=not pool.own)
    finally:
        stop.soft = False
    if stop.requested:
        raise BatchStop(stop.signum or signal.SIGINT)
