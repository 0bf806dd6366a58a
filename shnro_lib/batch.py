"""Report batches: every municipal report, the regional report and the collection in one run.

:func:`run_batch` computes the region-level results once (:mod:`shnro_lib.pipeline`,
cached), then executes the municipal notebooks in parallel.  Each work item is
a picklable :class:`NotebookTask` handled by the top-level :func:`render_notebook`
(papermill execution, metadata stripped, HTML export, Excel), so any
:class:`concurrent.futures.Executor` runs the batch — a process pool by default,
or a Dask ``distributed.Client`` (its :meth:`get_executor` is used).  A failing
municipality does not stop the others: its executed notebook is kept under
``OUT/_failed/`` and the reason is reported in Russian.  Every file is written
atomically; the same inputs give the same HTML.

Testing hook: ``run_batch(..., test_fail=[name])`` (or the environment variable
``SHNRO_TEST_FAIL`` with names separated by ``;``, read by the ``shnro reports``
command) sets the notebook parameter ``test_fail=True`` for those municipalities,
which makes that notebook raise.  It exists only to test the failure handling.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import shutil
import subprocess
import tempfile
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"
MUNICIPAL_NOTEBOOK = "municipal_report.ipynb"
REGIONAL_NOTEBOOK = "regional_report.ipynb"
REGIONAL_NAME = "Региональный отчёт"
# a lean, quiet kernel: no history database, no log noise on stderr
LEAN_KERNEL_ARGS = ["--HistoryManager.enabled=False", "--IPKernelApp.log_level=CRITICAL"]


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

    @property
    def failed(self) -> list[TaskResult]:
        return [r for r in self.results if not r.ok]

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary_ru(self) -> str:
        done = [r for r in self.results if r.ok]
        lines = [f"Готово отчётов: {len(done)} из {len(self.results)}; папка: {self.out_dir}"]
        for r in self.failed:
            where = f" (тетрадь сохранена: {r.failed_notebook})" if r.failed_notebook else ""
            lines.append(f"  ✗ {r.name}: {r.error_ru}{where}")
        lines += [f"  ! {w}" for w in self.warnings]
        return "\n".join(lines)


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


def render_notebook(task: NotebookTask) -> TaskResult:
    """Execute one notebook with papermill, export it to HTML and write the Excel (runs in a worker)."""
    import nbformat
    import papermill as pm

    from shnro_lib.outputs import atomic_write_text

    res = TaskResult(kind=task.kind, name=task.name, slug=task.slug, ok=False)
    t0 = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix=f"shnro-{task.slug}-"))
    out_nb = work / f"{task.slug}.ipynb"
    try:
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
                res.failed_notebook = str(target)
            return res
        t1 = time.perf_counter()
        res.timings["execute"] = round(t1 - t0, 3)
        nb = nbformat.read(str(out_nb), as_version=4)
        atomic_write_text(task.html_path, notebook_to_html(nb, task.title))
        res.html_path = task.html_path
        t2 = time.perf_counter()
        res.timings["export"] = round(t2 - t1, 3)
        if task.xlsx_path and task.cache_entry:
            from shnro_lib.pipeline import load_region
            from shnro_lib.report import municipal_workbook

            try:
                municipal_workbook(load_region(task.cache_entry), task.name, task.xlsx_path)
                res.xlsx_path = task.xlsx_path
            except Exception as exc:  # noqa: BLE001
                res.error_ru = f"Excel не записан — {type(exc).__name__}: {exc}"
                return res
            res.timings["excel"] = round(time.perf_counter() - t2, 3)
        res.ok = True
        return res
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --------------------------------------------------------------------------- PDF


def find_chromium() -> str | None:
    """Path of a headless-capable Chromium/Chrome, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        p = shutil.which(name)
        if p:
            return p
    return None


def chromium_args(user_data_dir: str) -> list[str]:
    """Flags for a quiet, offline headless Chromium."""
    return ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage", f"--user-data-dir={user_data_dir}"]


def html_to_pdf(html_path: str | Path, pdf_path: str | Path, timeout: int = 180) -> bool:
    """Print an HTML file to PDF with headless Chromium; False (with a warning) when it is missing."""
    from shnro_lib.outputs import atomic_write

    exe = find_chromium()
    if exe is None:
        warnings.warn("Chromium не найден: PDF сборника не создан (установите chromium)", stacklevel=2)
        return False
    url = Path(html_path).resolve().as_uri()

    def _print(tmp: Path) -> None:
        with tempfile.TemporaryDirectory(prefix="shnro-chromium-") as ud:
            cmd = [exe, *chromium_args(ud), "--no-pdf-header-footer", "--print-to-pdf-no-header",
                   f"--print-to-pdf={tmp}", url]
            subprocess.run(cmd, check=True, capture_output=True, timeout=timeout)
        if not tmp.exists() or tmp.stat().st_size == 0:
            raise RuntimeError("Chromium не создал PDF")

    atomic_write(pdf_path, _print)
    return True


# --------------------------------------------------------------------------- index


def index_html(region: Any, results: list[TaskResult], out_dir: Path, extra: list[tuple[str, str, str]]) -> str:
    """The ``index.html`` page linking every report."""
    from shnro_lib.report import esc, footer_html, page_html, synthetic_banner

    def rel(p: str) -> str:
        return Path(os.path.relpath(p, out_dir)).as_posix()

    parts = []
    if region.synthetic:
        parts.append(synthetic_banner(region.meta.get("synthetic_note", "")))
    name = region.meta.get("dataset_name") or "Регион"
    parts.append(f"<h1>Отчёты: {esc(name)}, {esc(region.year)} год</h1>")
    if extra:
        parts.append("<h2>Регион</h2><ul>" + "".join(
            f'<li><a href="{esc(rel(p))}">{esc(label)}</a>{esc(note)}</li>' for label, p, note in extra) + "</ul>")
    import pandas as pd

    from shnro_lib.report import fmt_int, fmt_num, municipality_table

    try:
        summary = municipality_table(region).set_index("municipality")
    except Exception:  # noqa: BLE001 - the index page must be written even if a summary figure is missing
        summary = pd.DataFrame()

    def figures(name: str) -> str:
        if name not in summary.index:
            return "<td>—</td><td>—</td><td>—</td>"
        row = summary.loc[name]
        ident = fmt_int(row["n_identified"]) if "n_identified" in row else "—"
        return (f"<td>{fmt_int(row['n_schools'])}</td><td>{fmt_num(row['mean_index'], 2, signed=True)}</td>"
                f"<td>{ident}</td>")

    rows = []
    for r in sorted([r for r in results if r.kind == "municipal"], key=lambda r: r.name):
        if r.ok:
            links = f'<a href="{esc(rel(r.html_path))}">отчёт (HTML)</a>'
            if r.xlsx_path:
                links += f' · <a href="{esc(rel(r.xlsx_path))}">таблицы (Excel)</a>'
            rows.append(f"<tr><td>{esc(r.name)}</td>{figures(r.name)}<td>{links}</td></tr>")
        else:
            rows.append(f'<tr><td>{esc(r.name)}</td>{figures(r.name)}'
                        f'<td class="fail">не построен: {esc(r.error_ru)}</td></tr>')
    parts.append('<h2>Муниципальные отчёты</h2><table class="tbl"><thead><tr><th>Муниципальное образование</th>'
                 "<th>Школ</th><th>Средний индекс результатов</th><th>Выявлено (ШНРО, ШНСУ, зона риска)</th>"
                 f"<th>Файлы</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")
    failed = [r for r in results if not r.ok]
    if failed:
        parts.append(f'<div class="note note-warn">Не построено отчётов: {len(failed)}. Выполненные тетради с '
                     "ошибкой сохранены в папке _failed/.</div>")
    parts.append(footer_html(region.meta))
    return page_html(f"Отчёты {region.year}", "".join(parts))


# --------------------------------------------------------------------------- the batch


def _executor_of(executor: Any) -> cf.Executor:
    if hasattr(executor, "get_executor") and not isinstance(executor, cf.Executor):
        return executor.get_executor()  # dask.distributed.Client
    return executor


def make_tasks(region: Any, municipalities: Sequence[str], out_dir: Path, data_dir: Path, cache_root: Path,
               rules: str, test_fail: Sequence[str] = (), regional: bool = True) -> list[NotebookTask]:
    """Work items for the municipal notebooks (and the regional one)."""
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
            parameters={**base, "test_fail": REGIONAL_NAME in test_fail}, html_path=str(out_dir / "regional.html"),
            title=f"{REGIONAL_NAME}, {region.year}", **common))
    for m in municipalities:
        s = slugs[m]
        tasks.append(NotebookTask(
            kind="municipal", name=m, slug=s, notebook=str(NOTEBOOKS_DIR / MUNICIPAL_NOTEBOOK),
            parameters={**base, "municipality": m, "test_fail": m in test_fail},
            html_path=str(out_dir / "municipalities" / f"{s}.html"),
            xlsx_path=str(out_dir / "municipalities" / f"{s}.xlsx"), title=f"{m}, {region.year}", **common))
    return tasks


def run_batch(data_dir: str | Path, year: int, out_dir: str | Path, rules: str = "lo_2018",
              municipalities: Sequence[str] | None = None, workers: int | None = None,
              executor: Any = None, cache_dir: str | Path | None = None, progress: bool = True,
              pdf: bool = True, regional: bool = True, test_fail: Sequence[str] = (),
              school_pages: bool = True) -> BatchResult:
    """Build every report of a region for a year.

    Parameters
    ----------
    data_dir : data set folder.
    year : report year.
    out_dir : output folder (``index.html``, ``regional.html``, ``collection.html``/``.pdf``,
        ``municipalities/<slug>.html|.xlsx``, ``_failed/`` for failed notebooks).
    rules : identification rules.
    municipalities : names to build (default: all).
    workers : size of the default process pool (default: all cores).
    executor : any ``concurrent.futures.Executor`` or a Dask ``distributed.Client``; the caller owns it.
    cache_dir : cache root of region results (default ``out_dir/.cache``).
    progress : show a tqdm progress bar.
    pdf : print the collection to PDF with headless Chromium (skipped with a warning if absent).
    regional : also build the regional report and the collection.
    test_fail : testing hook — names whose notebooks are made to fail.
    school_pages : also write a profile page per school (``schools/``, :mod:`shnro_lib.profiles`).

    Raises
    ------
    ValueError
        When a requested municipality is not in the data.
    """
    from shnro_lib.outputs import atomic_write_text
    from shnro_lib.pipeline import compute_region
    from shnro_lib.report import collection_html, page_html

    t0 = time.perf_counter()
    out = Path(out_dir).resolve()
    data = Path(data_dir).resolve()
    cache_root = Path(cache_dir).resolve() if cache_dir is not None else out / ".cache"
    region = compute_region(data, year, rules, cache_dir=cache_root)
    t_region = time.perf_counter() - t0
    munis = list(municipalities) if municipalities else region.municipalities
    unknown = [m for m in munis if m not in region.municipalities]
    if unknown:
        raise ValueError("Нет в данных муниципалитетов: " + ", ".join(f"«{m}»" for m in unknown))
    out.mkdir(parents=True, exist_ok=True)
    tasks = make_tasks(region, munis, out, data, cache_root, rules, test_fail, regional=regional)

    own = executor is None
    ex = cf.ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1) if own else _executor_of(executor)
    results: list[TaskResult] = []
    try:
        futures = {ex.submit(render_notebook, t): t for t in tasks}
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(tasks), desc="Отчёты", unit="отч.")
        for fut in cf.as_completed(futures):
            t = futures[fut]
            try:
                r = fut.result()
            except Exception as exc:  # noqa: BLE001 - a worker crash is one failed report
                r = TaskResult(kind=t.kind, name=t.name, slug=t.slug, ok=False, error_ru=_error_ru(exc))
            results.append(r)
            if bar is not None:
                bar.update(1)
                if not r.ok:
                    bar.write(f"✗ {r.name}: {r.error_ru}")
        if bar is not None:
            bar.close()
    finally:
        if own:
            ex.shutdown(wait=True)
    t_notebooks = time.perf_counter() - t0 - t_region

    order = {t.slug: i for i, t in enumerate(tasks)}
    results.sort(key=lambda r: order.get(r.slug, 0))
    batch = BatchResult(out_dir=out, results=results)
    extra: list[tuple[str, str, str]] = []
    reg = next((r for r in results if r.kind == "regional"), None)
    if reg is not None and reg.ok:
        batch.regional_html = Path(reg.html_path)
        extra.append((REGIONAL_NAME + " (HTML)", reg.html_path, ""))
    if regional:
        ok_munis = [r.name for r in results if r.kind == "municipal" and r.ok] or munis
        coll = out / "collection.html"
        atomic_write_text(coll, page_html(f"Сборник материалов, {region.year}", collection_html(region, ok_munis)))
        batch.collection_html = coll
        extra.append(("Сборник материалов (HTML)", str(coll), ""))
        if pdf:
            pdf_path = out / "collection.pdf"
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    made = html_to_pdf(coll, pdf_path)
                if made:
                    batch.collection_pdf = pdf_path
                    extra.append(("Сборник материалов (PDF)", str(pdf_path), ""))
                else:
                    batch.warnings += [str(w.message) for w in caught]
            except Exception as exc:  # noqa: BLE001
                batch.warnings.append(f"PDF сборника не создан: {type(exc).__name__}: {exc}")
    t_pages = time.perf_counter()
    if school_pages:
        from shnro_lib.profiles import write_school_outputs

        try:
            extra += write_school_outputs(region, data, out / "schools", municipalities=munis, progress=progress)
        except Exception as exc:  # noqa: BLE001 - the reports are written even if the school pages fail
            batch.warnings.append(f"Профили школ не построены: {type(exc).__name__}: {exc}")
    t_pages = time.perf_counter() - t_pages
    idx = out / "index.html"
    atomic_write_text(idx, index_html(region, results, out, extra))
    batch.index_html = idx
    batch.timings = {"region": round(t_region, 3), "notebooks": round(t_notebooks, 3),
                     "school_pages": round(t_pages, 3),
                     "total": round(time.perf_counter() - t0, 3)}
    return batch
