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
import hashlib
import logging
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shnro_lib.batch_manifest import Manifest, code_version, file_sha256, stamp
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
    watch_owner,
)

__all__ = ["BatchInterrupted", "BatchResult", "NotebookTask", "TaskResult", "chromium_args", "find_chromium",
           "html_to_pdf", "index_html", "make_tasks", "notebook_to_html", "render_notebook", "run_batch",
           "strip_notebook"]

NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"
MUNICIPAL_NOTEBOOK = "municipal_report.ipynb"
REGIONAL_NOTEBOOK = "regional_report.ipynb"
REGIONAL_NAME = "Региональный отчёт"
LOG_NAME = "reports.log"
FILE_MODE, DIR_MODE = 0o644, 0o755
# a lean, quiet kernel: no history database, no log noise on stderr
LEAN_KERNEL_ARGS = ["--HistoryManager.enabled=False", "--IPKernelApp.log_level=CRITICAL"]
QUIET_LOGGERS = ("papermill", "nbclient", "traitlets", "py.warnings")
SIGNAL_NAMES_RU = {2: "SIGINT (Ctrl+C)", 15: "SIGTERM"}


@dataclass(frozen=True)
class NotebookTask:
    """One notebook to execute and export (picklable: plain data only)."""

    kind: str  # "municipal" | "regional"
    name: str
    slug: str
    notebook: str
    parameters: dict
    html_path: str
    failed_dir: str
    title: str
    xlsx_path: str = ""
    cache_entry: str = ""
    kernel_name: str = "python3"
    timeout: int = 600
    owner: Owner = Owner()  # the batch's main process, watched by the worker
    log_path: str = ""
    scratch_dir: str = ""

    @property
    def outputs(self) -> list[str]:
        return [p for p in (self.html_path, self.xlsx_path) if p]


@dataclass
class TaskResult:
    """What happened to one notebook."""

    kind: str
    name: str
    slug: str
    ok: bool
    html_path: str = ""
    xlsx_path: str = ""
    error_ru: str = ""
    failed_notebook: str = ""
    timings: dict = field(default_factory=dict)
    hashes: dict = field(default_factory=dict)  # output path -> sha256
    reused: bool = False  # current output of an earlier run, not rebuilt


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
        return (f"готово отчётов: {self.n_built + self.n_reused} из {total} (построено: {self.n_built}, "
                f"взято готовыми из прошлого запуска: {self.n_reused})")

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
        return (f"Остановлено по запросу ({sig}) за {self.latency:.1f} с; {self.result.counts_ru()}.\n"
                f"Недостроенные файлы не записаны, временные файлы удалены; папка: {self.result.out_dir}\n"
                f"Чтобы продолжить, запустите ту же команду ещё раз — готовые отчёты будут взяты "
                f"из этого запуска{again}")


# --------------------------------------------------------------------------- worker side


def strip_notebook(nb: Any) -> Any:
    """Remove execution metadata (papermill timings, execution counts, random cell ids) in place."""
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("widgets", None)
    for i, cell in enumerate(nb.cells):
        for key in ("papermill", "execution", "ExecuteTime", "collapsed", "scrolled"):
            cell.metadata.pop(key, None)
        if "id" in cell:
            cell["id"] = f"cell-{i:03d}"
        if cell.cell_type == "code":
            cell.execution_count = None
            for out in cell.get("outputs", []):
                if "execution_count" in out:
                    out["execution_count"] = None
    return nb


def notebook_to_html(nb: Any, title: str) -> str:
    """Self-contained HTML of an executed notebook: outputs only, no code, no stderr, own CSS."""
    from nbconvert import HTMLExporter

    from shnro_lib.report import page_html

    nb = strip_notebook(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", [])
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    exporter = HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, exclude_markdown=True, exclude_raw=True)
    body, _ = exporter.from_notebook_node(nb)
    return page_html(title, body)


def _error_ru(exc: BaseException) -> str:
    ename = getattr(exc, "ename", None)
    evalue = getattr(exc, "evalue", None)
    if ename:
        return f"ошибка в тетради — {ename}: {str(evalue)[:400]}"
    return f"ошибка выполнения — {type(exc).__name__}: {str(exc)[:400]}"


def publish(path: str | Path) -> str:
    """Make a finished output readable by group and others; returns its SHA-256."""
    os.chmod(path, FILE_MODE)
    return file_sha256(path)


@contextlib.contextmanager
def _log_to_file(log_path: str, tag: str) -> Iterator[None]:
    """papermill/nbclient logging and Python warnings go to the batch log, not to the console."""
    if not log_path:
        yield
        return
    handler = logging.FileHandler(log_path, encoding="utf-8")
    handler.setFormatter(logging.Formatter(f"%(asctime)s [{tag}] %(name)s %(levelname)s: %(message)s"))
    loggers = [logging.getLogger(n) for n in QUIET_LOGGERS]
    # handlers inherited from a forked parent are set aside, so each line is logged once
    saved = [(lg.propagate, lg.level, list(lg.handlers)) for lg in loggers]
    for lg in loggers:
        lg.handlers = [handler]
        lg.propagate = False
        lg.setLevel(logging.INFO)
    logging.captureWarnings(True)
    try:
        yield
    finally:
        logging.captureWarnings(False)
        for lg, (prop, level, handlers) in zip(loggers, saved, strict=True):
            lg.handlers = handlers
            lg.propagate, lg.level = prop, level
        handler.close()


def render_notebook(task: NotebookTask) -> TaskResult:
    """Execute one notebook with papermill, export it to HTML and write the Excel (runs in a worker)."""
    import nbformat
    import papermill as pm

    from shnro_lib.outputs import atomic_write_text

    res = TaskResult(kind=task.kind, name=task.name, slug=task.slug, ok=False)
    t0 = time.perf_counter()
    scratch = task.scratch_dir or None
    if scratch:
        Path(scratch).mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"shnro-{task.slug}-", dir=scratch))
    out_nb = work / f"{task.slug}.ipynb"
    # if the batch's main process dies, the watchdog kills the kernel and removes these on the way out
    temps = [work, *(Path(p) for p in task.outputs if p)]
    watchdog = watch_owner(task.owner)
    if watchdog is not None:
        watchdog.track(task.owner, temps)
    try:
        with _log_to_file(task.log_path, task.slug):
            try:
                pm.execute_notebook(
                    task.notebook, str(out_nb), parameters=dict(task.parameters), kernel_name=task.kernel_name,
                    progress_bar=False, log_output=False, request_save_on_cell_execute=False,
                    execution_timeout=task.timeout, cwd=str(Path(task.notebook).parent),
                    extra_arguments=LEAN_KERNEL_ARGS,
                )
            except Exception as exc:  # noqa: BLE001 - any failure is reported, the batch goes on
                res.error_ru = _error_ru(exc)
                res.timings["execute"] = round(time.perf_counter() - t0, 3)
                if out_nb.exists():
                    nb = strip_notebook(nbformat.read(str(out_nb), as_version=4))
                    target = Path(task.failed_dir) / f"{task.slug}.ipynb"
                    atomic_write_text(target, nbformat.writes(nb))
                    publish(target)
                    res.failed_notebook = str(target)
                return res
            t1 = time.perf_counter()
            res.timings["execute"] = round(t1 - t0, 3)
            nb = nbformat.read(str(out_nb), as_version=4)
            atomic_write_text(task.html_path, notebook_to_html(nb, task.title))
            res.hashes[task.html_path] = publish(task.html_path)
            res.html_path = task.html_path
            t2 = time.perf_counter()
            res.timings["export"] = round(t2 - t1, 3)
            if task.xlsx_path and task.cache_entry:
                from shnro_lib.pipeline import load_region
                from shnro_lib.report import municipal_workbook

                try:
                    municipal_workbook(load_region(task.cache_entry), task.name, task.xlsx_path)
                    res.hashes[task.xlsx_path] = publish(task.xlsx_path)
                    res.xlsx_path = task.xlsx_path
                except Exception as exc:  # noqa: BLE001
                    res.error_ru = f"Excel не записан — {type(exc).__name__}: {exc}"
                    return res
                res.timings["excel"] = round(time.perf_counter() - t2, 3)
            res.ok = True
            return res
    finally:
        if watchdog is not None:
            watchdog.untrack()
        shutil.rmtree(work, ignore_errors=True)


# --------------------------------------------------------------------------- tasks


def make_tasks(region: Any, municipalities: Sequence[str], out_dir: Path, data_dir: Path, cache_root: Path,
               rules: str, regional: bool = True) -> list[NotebookTask]:
    """Work items for the regional notebook (first) and the municipal ones, in the given order."""
    from shnro_lib.outputs import unique_slugs
    from shnro_lib.pipeline import report_parameters

    params = report_parameters()
    slugs = unique_slugs(list(municipalities))
    base = {"year": int(region.year), "data_dir": str(data_dir), "rules": rules, "cache_dir": str(cache_root),
            "compute": False}
    common = {"failed_dir": str(out_dir / "_failed"), "kernel_name": str(params.get("kernel_name", "python3")),
              "timeout": int(params.get("cell_timeout", 600)), "cache_entry": str(region.path or "")}
    tasks = []
    if regional:
        tasks.append(NotebookTask(
            kind="regional", name=REGIONAL_NAME, slug="regional", notebook=str(NOTEBOOKS_DIR / REGIONAL_NOTEBOOK),
            parameters=dict(base), html_path=str(out_dir / "regional.html"),
            title=f"{REGIONAL_NAME}, {region.year}", **common))
    for m in municipalities:
        s = slugs[m]
        tasks.append(NotebookTask(
            kind="municipal", name=m, slug=s, notebook=str(NOTEBOOKS_DIR / MUNICIPAL_NOTEBOOK),
            parameters={**base, "municipality": m}, html_path=str(out_dir / "municipalities" / f"{s}.html"),
            xlsx_path=str(out_dir / "municipalities" / f"{s}.xlsx"), title=f"{m}, {region.year}", **common))
    return tasks


def task_stamp(task: NotebookTask, region: Any, params_hash: str, version: str) -> dict[str, Any]:
    """The inputs of a task's outputs: data fingerprint, parameters (paths excluded), rules, year, version."""
    nb_hash = hashlib.sha256(Path(task.notebook).read_bytes()).hexdigest()
    keep = {k: v for k, v in task.parameters.items() if k not in ("data_dir", "cache_dir")}
    p = {"kind": task.kind, "name": task.name, "title": task.title, "notebook": nb_hash,
         "parameters": keep, "parameters_dir": params_hash, "excel": bool(task.xlsx_path)}
    return stamp(region.fingerprint, p, str(task.parameters.get("rules", "")), region.year, version)


# --------------------------------------------------------------------------- the batch


def _executor_of(executor: Any) -> cf.Executor:
    if hasattr(executor, "get_executor") and not isinstance(executor, cf.Executor):
        return executor.get_executor()  # dask.distributed.Client
    return executor


def _pool_pids(ex: cf.Executor) -> list[int]:
    # the pool's worker processes (CPython keeps them in `_processes`; empty for other executors)
    return sorted(getattr(ex, "_processes", None) or {})


def _run_tasks(tasks: list[NotebookTask], ex: cf.Executor, stop: StopRequest, progress: bool,
               on_result: Any) -> None:
    """Submit every task and hand each result to ``on_result``; return early when a stop is requested."""
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
                    r = TaskResult(kind=t.kind, name=t.name, slug=t.slug, ok=False, error_ru=_error_ru(exc))
                on_result(t, r)
                if bar is not None:
                    bar.update(1)
                    if not r.ok:
                        bar.write(f"✗ {r.name}: {r.error_ru}")
    finally:
        for fut in pending:
            fut.cancel()
        if bar is not None:
            bar.close()


def _prepare_out(out: Path) -> None:
    for d in (out, out / "municipalities"):
        d.mkdir(parents=True, exist_ok=True)
        d.chmod(DIR_MODE)


def run_batch(data_dir: str | Path, year: int, out_dir: str | Path, rules: str = "lo_2018",
              municipalities: Sequence[str] | None = None, workers: int | None = None,
              executor: Any = None, cache_dir: str | Path | None = None, progress: bool = True,
              pdf: bool = True, regional: bool = True, force: bool = False) -> BatchResult:
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

    Raises
    ------
    ValueError
        When a requested municipality is not in the data.
    BatchInterrupted
        When SIGINT/SIGTERM stopped the batch (finished outputs are kept and recorded).
    shnro_lib.batch_process.FolderBusy
        When another batch is writing to the same output folder.
    """
    from shnro_lib.pipeline import compute_region, parameters_hash

    t0 = time.perf_counter()
    out = Path(out_dir).resolve()
    data = Path(data_dir).resolve()
    cache_root = Path(cache_dir).resolve() if cache_dir is not None else out / ".cache"
    _prepare_out(out)
    batch = BatchResult(out_dir=out, results=[])
    with folder_lock(out), StopRequest() as stop:
        try:
            remove_temporary(out)  # left by a run that was killed
            log_path = out / LOG_NAME
            with open(log_path, "a", encoding="utf-8") as fh:  # appended: the log of a stopped run stays
                fh.write(f"=== shnro reports: {data}, {year}, {rules}, pid {os.getpid()}\n")
            log_path.chmod(FILE_MODE)
            with _log_to_file(str(log_path), "main"), warnings.catch_warnings():
                warnings.simplefilter("default")  # shown once each, in the log
                region = compute_region(data, year, rules, cache_dir=cache_root)
                t_region = time.perf_counter() - t0
                munis = list(municipalities) if municipalities else region.municipalities
                unknown = [m for m in munis if m not in region.municipalities]
                if unknown:
                    raise ValueError("Нет в данных муниципалитетов: " + ", ".join(f"«{m}»" for m in unknown))
                tasks = make_tasks(region, munis, out, data, cache_root, rules, regional=regional)
                batch.n_tasks = len(tasks)
                _run_all(tasks, batch, region, out, log_path, executor, workers, progress, force, stop,
                         parameters_hash())
                t_notebooks = time.perf_counter() - t0 - t_region
                if stop.requested:
                    raise BatchStop(stop.signum or 2)
                _finish(batch, tasks, region, munis, out, regional, pdf, force)
        except BatchStop as s:
            remove_temporary(out)
            latency = time.monotonic() - stop.at if stop.at else 0.0
            batch.results.sort(key=lambda r: r.slug)
            raise BatchInterrupted(s.signum, batch, latency) from None
        finally:
            remove_temporary(out)
    batch.timings = {"region": round(t_region, 3), "notebooks": round(t_notebooks, 3),
                     "total": round(time.perf_counter() - t0, 3)}
    return batch


def _run_all(tasks: list[NotebookTask], batch: BatchResult, region: Any, out: Path, log_path: Path,
             executor: Any, workers: int | None, progress: bool, force: bool, stop: StopRequest,
             params_hash: str) -> None:
    """Reuse current outputs, build the rest (recording each in the manifest as it finishes)."""
    manifest = Manifest.load(out)
    version = code_version()
    owner = Owner.current()
    stamps = {t.slug: task_stamp(t, region, params_hash, version) for t in tasks}
    todo = []
    for t in tasks:
        if not force and manifest.is_current(t.outputs, stamps[t.slug]):
            batch.results.append(TaskResult(kind=t.kind, name=t.name, slug=t.slug, ok=True, html_path=t.html_path,
                                            xlsx_path=t.xlsx_path, reused=True))
        else:
            todo.append(dataclasses.replace(t, owner=owner, log_path=str(log_path),
                                            scratch_dir=str(out / SCRATCH_DIR)))

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
    ex = (cf.ProcessPoolExecutor(max_workers=max(1, min(workers or os.cpu_count() or 1, len(todo))),
                                 initializer=init_pool_worker, initargs=(owner, str(log_path)))
          if own else _executor_of(executor))
    stop.soft = True  # from here a signal is a flag the loop polls
    try:
        _run_tasks(todo, ex, stop, progress, on_result)
    finally:
        if own:
            if stop.requested:
                terminate_workers(_pool_pids(ex))
            ex.shutdown(wait=not stop.requested, cancel_futures=True)
        stop.soft = False


def _finish(batch: BatchResult, tasks: list[NotebookTask], region: Any, munis: list[str], out: Path,
            regional: bool, pdf: bool, force: bool) -> None:
    """Results in task order, the collection (HTML, PDF reused when its HTML is unchanged), the index."""
    from shnro_lib.outputs import atomic_write_text
    from shnro_lib.report import collection_html, page_html

    order = {t.slug: i for i, t in enumerate(tasks)}
    batch.results.sort(key=lambda r: order.get(r.slug, 0))
    results = batch.results
    extra: list[tuple[str, str, str]] = []
    reg = next((r for r in results if r.kind == "regional"), None)
    if reg is not None and reg.ok:
        batch.regional_html = Path(reg.html_path)
        extra.append((REGIONAL_NAME + " (HTML)", reg.html_path, ""))
    if regional:
        ok_munis = [r.name for r in results if r.kind == "municipal" and r.ok] or munis
        coll = out / "collection.html"
        atomic_write_text(coll, page_html(f"Сборник материалов, {region.year}", collection_html(region, ok_munis)))
        coll_hash = publish(coll)
        batch.collection_html = coll
        extra.append(("Сборник материалов (HTML)", str(coll), ""))
        if pdf:
            _collection_pdf(batch, coll, coll_hash, region, force, extra)
    idx = out / "index.html"
    atomic_write_text(idx, index_html(region, results, out, extra))
    publish(idx)
    batch.index_html = idx


def _collection_pdf(batch: BatchResult, coll: Path, coll_hash: str, region: Any, force: bool,
                    extra: list[tuple[str, str, str]]) -> None:
    pdf_path = batch.out_dir / "collection.pdf"
    manifest = Manifest.load(batch.out_dir)
    st = stamp(region.fingerprint, {"collection_html": coll_hash}, region.meta.get("rules", ""), region.year,
               code_version())
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
        extra.append(("Сборник материалов (PDF)", str(pdf_path), ""))
    except Exception as exc:  # noqa: BLE001
        batch.warnings.append(f"PDF сборника не создан: {type(exc).__name__}: {exc}")
