"""The worker side of a report batch: execute one notebook, export HTML and Excel.

:func:`render_notebook` runs in a worker process (local pool or Dask): papermill executes the
notebook in a lean Jupyter kernel that the worker keeps for its next notebooks (cleaned before
each one, replaced after a failure: :mod:`shnro_lib.batch.kernel`), execution metadata is stripped
(same inputs, same bytes), the HTML and the Excel are written atomically and made readable by all,
and their SHA-256 go back to the main process for the resume manifest.  papermill's logging and
warnings go to the batch log.  While the task runs, its scratch folder and outputs are tracked
(:func:`shnro_lib.batch.process.tracked_temporaries`): a pool worker ended because the batch's main
process died removes their temporary files on its way out.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shnro_lib.batch.kernel import execute_in_worker_kernel
from shnro_lib.batch.manifest import file_sha256
from shnro_lib.batch.process import tracked_temporaries

FILE_MODE = 0o644
# a lean, quiet kernel: no history database, no log noise on stderr
LEAN_KERNEL_ARGS = ["--HistoryManager.enabled=False", "--IPKernelApp.log_level=CRITICAL"]
FAILURE_LOGGER = "shnro.batch"
QUIET_LOGGERS = ("papermill", "nbclient", "traitlets", "py.warnings", FAILURE_LOGGER)
# the batch log's file name in the output folder
LOG_NAME = "reports.log"


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
    kernel_name: str  # report.yaml: kernel_name
    timeout: int  # report.yaml: cell_timeout (seconds per cell)
    xlsx_path: str = ""
    cache_entry: str = ""
    log_path: str = ""
    scratch_dir: str = ""
    site_root: str = ""  # the report folder when the page is part of its site (shared assets, links)
    school_pages: bool = True  # the folder has school pages: the map links to them

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


def notebook_to_html(nb: Any, title: str, meta: dict | None = None, site: dict | None = None) -> str:
    """Self-contained HTML of an executed notebook (the ``shnro`` nbconvert template: markdown and
    outputs)."""
    from shnro_lib.report import notebook_to_html as to_html

    return to_html(strip_notebook(nb), title, meta or {}, site)


def task_site(task: NotebookTask, region: Any) -> dict | None:
    """The site part of a task's page (breadcrumbs, shared assets, the municipal map), or None."""
    if not task.site_root:
        return None
    from shnro_lib.site import report_page_site

    pages: dict = {}
    if region is not None and task.kind == "municipal" and task.school_pages:
        from shnro_lib.profiles import school_page_paths

        pages = school_page_paths(region, Path(task.site_root) / "schools", region.school_ids(task.name))
    return report_page_site(region, task.kind, task.name, task.html_path, task.site_root, pages)


def error_ru(exc: BaseException, what: str = "в тетради") -> str:
    """One Russian line for a failed report: the library's own Russian message when there is one,
    otherwise a sentence pointing to the log (a raw Python message never reaches the summary)."""
    text = str(getattr(exc, "evalue", None) or "") if getattr(exc, "ename", None) else str(exc)
    first = text.strip().splitlines()[0][:400] if text.strip() else ""
    if re.search("[А-Яа-яЁё]", first):
        return f"ошибка {what}: {first}"
    return f"внутренняя ошибка {what} (подробности — в журнале {LOG_NAME} в папке отчётов)"


def log_failure(slug: str, exc: BaseException) -> None:
    """The failure in full (type, message) for the batch log."""
    ename = getattr(exc, "ename", None) or type(exc).__name__
    evalue = getattr(exc, "evalue", None) if getattr(exc, "ename", None) else str(exc)
    logging.getLogger(FAILURE_LOGGER).error("%s: %s: %s", slug, ename, evalue)


def publish(path: str | Path) -> str:
    """Make a finished output readable by group and others; returns its SHA-256."""
    os.chmod(path, FILE_MODE)
    return file_sha256(path)


@contextlib.contextmanager
def log_to_file(log_path: str, tag: str) -> Iterator[None]:
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
    """Execute one notebook with papermill in this worker's kernel, export it to HTML and write the Excel.

    The kernel is kept for the worker's next notebook (:mod:`shnro_lib.batch.kernel`): cleaned
    before each one, replaced after a failure.
    """
    import nbformat

    from shnro_lib.outputs import atomic_write_text

    res = TaskResult(kind=task.kind, name=task.name, slug=task.slug, ok=False)
    t0 = time.perf_counter()
    scratch = task.scratch_dir or None
    if scratch:
        Path(scratch).mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"shnro-{task.slug}-", dir=scratch))
    out_nb = work / f"{task.slug}.ipynb"
    # if the batch's main process dies, the worker kills the kernel and removes these on the way out
    temps = [work, *(Path(p) for p in task.outputs if p)]
    try:
        with tracked_temporaries(temps), log_to_file(task.log_path, task.slug):
            try:
                executed = execute_in_worker_kernel(
                    task.notebook,
                    str(out_nb),
                    task.parameters,
                    task.kernel_name,
                    LEAN_KERNEL_ARGS,
                    task.timeout,
                )
            except Exception as exc:  # noqa: BLE001 - any failure is reported, the batch goes on
                res.error_ru = error_ru(exc)
                log_failure(task.slug, exc)
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
            # the executed notebook as papermill returns it (the same cells it wrote), not read back
            nb = executed
            from shnro_lib.pipeline import load_region
            from shnro_lib.report import read_meta

            meta = read_meta(task.cache_entry) if task.cache_entry else {}
            # read once: the municipal map and the workbook both need the region's tables
            wanted = task.xlsx_path or (task.site_root and task.kind == "municipal")
            region = load_region(task.cache_entry) if task.cache_entry and wanted else None
            atomic_write_text(task.html_path, notebook_to_html(nb, task.title, meta, task_site(task, region)))
            if task.site_root:
                from shnro_lib.site import ensure_assets

                ensure_assets(task.site_root)
            res.hashes[task.html_path] = publish(task.html_path)
            res.html_path = task.html_path
            t2 = time.perf_counter()
            res.timings["export"] = round(t2 - t1, 3)
            if task.xlsx_path and region is not None:
                from shnro_lib.report import municipal_workbook

                try:
                    municipal_workbook(region, task.name, task.xlsx_path)
                    res.hashes[task.xlsx_path] = publish(task.xlsx_path)
                    res.xlsx_path = task.xlsx_path
                except Exception as exc:  # noqa: BLE001 - the report stands, its workbook is reported missing
                    res.error_ru = error_ru(exc, "при записи Excel")
                    log_failure(task.slug, exc)
                    return res
                res.timings["excel"] = round(time.perf_counter() - t2, 3)
            res.ok = True
            return res
    finally:
        shutil.rmtree(work, ignore_errors=True)
