"""Report batches: every municipal report, the regional report and the collection in one run.

:func:`run_batch` computes the region-level results once (:mod:`shnro_lib.pipeline`,
cached), then executes the municipal notebooks in parallel.  Each work item is
a picklable :class:`NotebookTask` handled by the top-level :func:`render_notebook`
(papermill execution, metadata stripped, HTML export, Excel), so any
:class:`concurrent.futures.Executor` runs the batch — a :class:`loky.ProcessPoolExecutor`
by default, or a Dask ``distributed.Client`` (its :meth:`get_executor` is used).  A failing
municipality does not stop the others: its executed notebook is kept under
``OUT/_failed/`` and the reason is reported in Russian.

* **Same bytes.**  Every file is written atomically (temporary file + rename) and
  the same inputs give the same bytes whatever the hash seed or the number of workers:
  results are put back in task order, the manifest is written with sorted keys.
* **Resume.**  ``OUT/.shnro_manifest.json`` (:mod:`.manifest`) records for each
  finished file its hash and the stamp of its inputs; a re-run rebuilds only what is
  missing or out of date (``force=True`` rebuilds everything).
* **Stop and no orphans.**  SIGINT/SIGTERM stop the batch within seconds and raise
  :class:`BatchInterrupted` (what was finished, how to continue); workers and their
  Jupyter kernels end with the main process even when it is killed (on Linux: a parent-death
  signal armed in the pool's initializer, :mod:`.process`).  Temporary files live in
  ``OUT/.shnro-tmp`` and are removed on every exit path (and at the start of the next run after
  a SIGKILL).
* **Quiet.**  papermill's and the workers' logging go to ``OUT/reports.log``; the console
  shows only the progress bar and the summary.  Output files are readable by all (0644,
  folders 0755).

Modules: :mod:`.run` (:func:`run_batch`), :mod:`.tasks` (the work items), :mod:`.render` (one
notebook to HTML and Excel), :mod:`.process` (workers' lifecycle and stop on request),
:mod:`.manifest` (resume), :mod:`.finish` (collection, lists workbook, school pages, index),
:mod:`.schools` (the school pages in chunks on the batch's executor),
:mod:`.pages` (the index page and PDF printing), :mod:`.result` (the batch's outcome).
"""

from shnro_lib.batch.pages import chromium_args, find_chromium, html_to_pdf, index_html
from shnro_lib.batch.render import (
    LEAN_KERNEL_ARGS,
    NotebookTask,
    TaskResult,
    notebook_to_html,
    render_notebook,
    strip_notebook,
)
from shnro_lib.batch.result import BatchResult
from shnro_lib.batch.run import BatchInterrupted, build_tasks, run_batch
from shnro_lib.batch.tasks import NOTEBOOKS_DIR, make_tasks

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
