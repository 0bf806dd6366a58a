"""Report batches: every municipal report, the regional report and the collection in one run.

:func:`run_batch` computes the region-level results once (:mod:`shnro_lib.pipeline`,
cached), then executes the municipal notebooks in parallel.  Each work item is
a picklable :class:`NotebookTask` handled by the top-level :func:`render_notebook`
(papermill execution, metadata stripped, HTML export, Excel), so any
:class:`concurrent.futures.Executor` runs the batch — a process pool by default,
or a Dask ``distributed.Client`` (its :meth:`get_executor` is used).  A failing
municipality does not stop the others: its executed notebook is kept under
``OUT/_failed/`` and the reason is reported in Russian.

* **Same bytes.**  Every file is written atomically (temporary file + rename) and
  the same inputs give the same bytes whatever the hash seed or the number of workers:
  results are put back in task order, the manifest is written with sorted keys.
* **Resume.**  ``OUT/.shnro_manifest.json`` (:mod:`shnro_lib.batch_manifest`) records for each
  finished file its hash and the stamp of its inputs; a re-run rebuilds only what is
  missing or out of date (``force=True`` rebuilds everything).
* **Stop and no orphans.**  SIGINT/SIGTERM stop the batch within seconds and raise
  :class:`BatchInterrupted` (what was finished, how to continue); workers and their
  Jupyter kernels end with the main process even when it is killed
  (:mod:`shnro_lib.batch_process`).  Temporary files live in ``OUT/.shnro-tmp`` and are
  removed on every exit path (and at the start of the next run after a SIGKILL).
* **Quiet.**  papermill's and the workers' logging go to ``OUT/reports.log``; the console
  shows only the progress bar and the summary.  Output files are readable by all (0644,
  folders 0755).
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import dataclasses
import os
import signal
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shnro_lib.batch_manifest import Manifest, stamp
from shnro_lib.batch_pages import chromium_args, find_chromium, html_to_pdf, index_html
from shnro_lib.batch_process import (
    SCRATCH_DIR,
    BatchStop,
    Owner,
    StopRequest,
    folder_lock,
    init_pool_worker,
    remove_paths,
    remove_temporary,
    terminate_workers,
)
from shnro_lib.batch_render import (
    FILE_MODE,
    LEAN_KERNEL_ARGS,
    LOG_NAME,
    NotebookTask,
    TaskResult,
    error_ru,
    log_failure,
    log_to_file,
    notebook_to_html,
    publish,
    render_notebook,
    strip_notebook,
)
from shnro_lib.batch_tasks import COLLECTION_NAME, NOTEBOOKS_DIR, REGIONAL_NAME, make_tasks, task_stamp
from shnro_lib.pipeline.cache import code_version

__all__ = [
    "LEAN_KERNEL_ARGS",
    "NOTEBOOKS_DIR",
    "BatchInterrupted",
    "BatchResult",
    "NotebookTask",
    "TaskResult",
    "build_tasks",
    "chromium_args",
    "find_chromium",
    "html_to_pdf",
    "index_html",
    "make_tasks",
    "notebook_to_html",
    "render_notebook",
    "run_batch",
    "strip_notebook",
]

DIR_MODE = 0o755
SIGNAL_NAMES_RU = {2: "SIGINT (Ctrl+C)", 15: "SIGTERM"}


@dataclass
class BatchResult:
    """The outcome of a batch."""

    out_dir: Path
    results: list[TaskResult]
    index_html: Path | None = None
    regional_html: Path | None = None
    collection_html: Path | None = None
    collection_pdf: Path | None = None
    warnings: list[str] = field(default_factory=list)
    timings: dict = field(default_factory=dict)
    n_tasks: int = 0
    extra: list = field(default_factory=list)  # (label, path, note) links of the index's «Регион» part

    @property
    def failed(self) -> list[TaskResult]:
        return [r for r in self.results if not r.ok]

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def n_reused(self) -> int:
        return sum(r.ok and r.reused for r in self.results)

    @property
    def n_built(self) -> int:
        return sum(r.ok and not r.reused for r in self.results)

    def counts_ru(self) -> str:
        total = self.n_tasks or len(self.results)
        return (
            f"готово отчётов: {self.n_built + self.n_reused} из {total} (построено: {self.n_built}, "
            f"взято готовыми из прошлого запуска: {self.n_reused})"
        )

    def summary_ru(self) -> str:
        lines = [f"{self.counts_ru()[0].upper()}{self.counts_ru()[1:]}; папка: {self.out_dir}"]
        if self.n_reused:
            lines.append("  Готовые отчёты совпадают с данными и параметрами; построить все заново: --force")
        for r in self.failed:
            where = f" (тетрадь сохранена: {r.failed_notebook})" if r.failed_notebook else ""
            lines.append(f"  ✗ {r.name}: {r.error_ru}{where}")
        lines += [f"  ! {w}" for w in self.warnings]
        return "\n".join(lines)


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


def _pool_workers(ex: cf.Executor) -> list[Any]:
    # the pool's worker processes (CPython keeps them in `_processes`, pid -> Process)
    procs = getattr(ex, "_processes", None) or {}
    return [procs[pid] for pid in sorted(procs)]


def _run_tasks(
    tasks: list[NotebookTask],
    ex: cf.Executor,
    stop: StopRequest,
    progress: bool,
    on_result: Any,
    cancel: bool,
) -> None:
    """Submit every task and hand each result to ``on_result``; return early when a stop is requested.

    ``cancel``: cancel the futures not done on the way out (not for our own pool: its workers are
    terminated instead, and CPython 3.11 fails on cancelled futures of a broken pool).
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
    workers : size of the default process pool (default: all cores).
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
    shnro_lib.batch_process.FolderBusy
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
        munis = list(municipalities) if municipalities else region.municipalities
        unknown = [m for m in munis if m not in region.municipalities]
        if unknown:
            raise ValueError("Нет в данных муниципалитетов: " + ", ".join(f"«{m}»" for m in unknown))
        tasks = make_tasks(
            region, munis, out, data, cache_root, rules, regional=regional, school_pages=school_pages
        )
        _run_all(tasks, batch, region, log_path, executor, workers, progress, force, stop)
        t_notebooks = time.perf_counter() - t0 - t_region
        _finish(batch, tasks, region, munis, out, regional, pdf, force)
        t_pages = time.perf_counter()
        if school_pages:
            _school_pages(batch, region, data, munis, progress)
        t_pages = time.perf_counter() - t_pages
    batch.timings = {
        "region": round(t_region, 3),
        "notebooks": round(t_notebooks, 3),
        "school_pages": round(t_pages, 3),
        "total": round(time.perf_counter() - t0, 3),
    }
    return batch


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
        _run_all(list(tasks), batch, region, log_path, executor, workers, progress, force, stop)
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
    executor: Any,
    workers: int | None,
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
    owner = Owner.current()
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
            todo.append(
                dataclasses.replace(
                    t, owner=owner, log_path=str(log_path), scratch_dir=str(out / SCRATCH_DIR)
                )
            )

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
    own = executor is None
    ex = (
        cf.ProcessPoolExecutor(
            max_workers=max(1, min(workers or os.cpu_count() or 1, len(todo))),
            initializer=init_pool_worker,
            initargs=(owner, str(log_path)),
        )
        if own
        else _executor_of(executor)
    )
    stop.soft = True  # from here a signal is a flag the loop polls
    try:
        _run_tasks(todo, ex, stop, progress, on_result, cancel=not own)
    finally:
        if own:
            if stop.requested:
                terminate_workers(_pool_workers(ex))
            ex.shutdown(wait=True)
        elif ex is not executor:  # our ClientExecutor of a Dask client: a stop cancels its tasks there too
            ex.shutdown(wait=not stop.requested)
        stop.soft = False
    if stop.requested:
        raise BatchStop(stop.signum or signal.SIGINT)


def _finish(
    batch: BatchResult,
    tasks: list[NotebookTask],
    region: Any,
    munis: list[str],
    out: Path,
    regional: bool,
    pdf: bool,
    force: bool,
) -> None:
    """Results in task order, the collection (HTML, PDF reused when its HTML is unchanged), the index."""
    order = {t.slug: i for i, t in enumerate(tasks)}
    batch.results.sort(key=lambda r: order.get(r.slug, 0))
    results = batch.results
    extra: list[tuple[str, str, str]] = []
    reg = next((r for r in results if r.kind == "regional"), None)
    if reg is not None and reg.ok:
        batch.regional_html = Path(reg.html_path)
        extra.append((REGIONAL_NAME + " (HTML)", reg.html_path, ""))
    col = next((r for r in results if r.kind == "collection"), None)
    if regional and col is not None and col.ok:
        coll = Path(col.html_path)
        coll_hash = publish(coll)
        batch.collection_html = coll
        extra.append((COLLECTION_NAME + " (HTML)", str(coll), ""))
        if pdf:
            _collection_pdf(batch, coll, coll_hash, region, force, extra)
    _lists_workbook(batch, region, extra)
    batch.extra = extra
    _write_index(batch, region)


def _lists_workbook(batch: BatchResult, region: Any, extra: list[tuple[str, str, str]]) -> None:
    """The regional workbook of the lists (the order approving the lists attaches it)."""
    from shnro_lib.report.lists import LISTS_TITLE, lists_file_name, lists_workbook

    try:
        made = lists_workbook(region, batch.out_dir / lists_file_name(region.year))
    except Exception as exc:  # noqa: BLE001 - the reports are written even if the lists workbook fails
        batch.warnings.append(f"Книга списков не записана: {exc}")
        return
    if made is not None:
        os.chmod(made, FILE_MODE)
        extra.append((LISTS_TITLE, str(made), ""))


def _write_index(batch: BatchResult, region: Any) -> None:
    from shnro_lib.batch_pages import site_records
    from shnro_lib.outputs import atomic_write_text
    from shnro_lib.site import write_assets

    idx = batch.out_dir / "index.html"
    records = site_records(region, batch.results, batch.out_dir)
    write_assets(batch.out_dir, records)
    atomic_write_text(idx, index_html(region, batch.results, batch.out_dir, batch.extra, records))
    publish(idx)
    batch.index_html = idx


def _school_pages(batch: BatchResult, region: Any, data: Path, munis: list[str], progress: bool) -> None:
    """Profile pages of the schools (rewritten each run), readable by all, linked from the index."""
    from shnro_lib.profiles import write_school_outputs

    folder = batch.out_dir / "schools"
    try:
        reports = {
            r.name: r.html_path for r in batch.results if r.kind == "municipal" and r.ok and r.html_path
        }
        links = write_school_outputs(
            region,
            data,
            folder,
            municipalities=munis,
            progress=progress,
            site_root=batch.out_dir,
            reports=reports,
        )
    except Exception as exc:  # noqa: BLE001 - the reports are written even if the school pages fail
        batch.warnings.append(f"Профили школ не построены: {type(exc).__name__}: {exc}")
        return
    for p in [folder, *folder.rglob("*")]:
        os.chmod(p, DIR_MODE if p.is_dir() else FILE_MODE)
    batch.extra += links
    _write_index(batch, region)


def _collection_pdf(
    batch: BatchResult,
    coll: Path,
    coll_hash: str,
    region: Any,
    force: bool,
    extra: list[tuple[str, str, str]],
) -> None:
    pdf_path = batch.out_dir / "collection.pdf"
    manifest = Manifest.load(batch.out_dir)
    st = stamp(
        region.fingerprint,
        {"collection_html": coll_hash},
        region.meta.get("rules", ""),
        region.year,
        code_version(),
    )
    try:
        if force or not manifest.is_current([pdf_path], st):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                made = html_to_pdf(coll, pdf_path)
            if not made:
                batch.warnings += [str(w.message) for w in caught]
                return
            manifest.record(pdf_path, publish(pdf_path), st)
            manifest.save()
        batch.collection_pdf = pdf_path
        extra.append((COLLECTION_NAME + " (PDF)", str(pdf_path), ""))
    except Exception as exc:  # noqa: BLE001
        batch.warnings.append(f"PDF сборника не создан: {type(exc).__name__}: {exc}")
