"""The batch's closing outputs: results in task order, the collection and its PDF, the lists workbook,
the school pages and the index page.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import warnings
from pathlib import Path
from typing import Any

from shnro_lib.batch.manifest import Manifest, stamp
from shnro_lib.batch.pages import html_to_pdf, index_html
from shnro_lib.batch.render import FILE_MODE, NotebookTask, publish
from shnro_lib.batch.result import BatchResult
from shnro_lib.batch.schools import PagesFailed, PagesTask, run_pages, school_chunks
from shnro_lib.batch.tasks import COLLECTION_NAME, REGIONAL_NAME
from shnro_lib.pipeline.cache import code_version

DIR_MODE = 0o755


def finish(
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
    from shnro_lib.batch.pages import site_records
    from shnro_lib.outputs import atomic_write_text
    from shnro_lib.site import write_assets

    idx = batch.out_dir / "index.html"
    records = site_records(region, batch.results, batch.out_dir)
    write_assets(batch.out_dir, records)
    atomic_write_text(idx, index_html(region, batch.results, batch.out_dir, batch.extra, records))
    publish(idx)
    batch.index_html = idx


def write_school_pages(
    batch: BatchResult,
    region: Any,
    data: Path,
    munis: list[str],
    progress: bool,
    ex: cf.Executor | None = None,
    stop: Any = None,
) -> None:
    """Profile pages of the schools (rewritten each run), readable by all, linked from the index.

    With an executor (and a cached region) the pages are written in chunks on it
    (:mod:`shnro_lib.batch.schools`), the list pages, the index and the «практики» workbook here;
    without one, all in this process (:func:`shnro_lib.profiles.write_school_outputs`): the same files.
    ``stop``: the batch's :class:`~shnro_lib.batch.process.StopRequest`, polled between chunks (the
    caller raises the stop when it is ``requested``).
    """
    folder = batch.out_dir / "schools"
    reports = {r.name: r.html_path for r in batch.results if r.kind == "municipal" and r.ok and r.html_path}
    try:
        if ex is None or not region.path:
            from shnro_lib.profiles import write_school_outputs

            links = write_school_outputs(
                region,
                data,
                folder,
                municipalities=munis,
                progress=progress,
                site_root=batch.out_dir,
                reports=reports,
            )
        else:
            links = _school_pages_on(ex, stop, region, data, munis, folder, batch.out_dir, reports, progress)
    except Exception as exc:  # noqa: BLE001 - the reports are written even if the school pages fail
        reason = str(exc) if isinstance(exc, PagesFailed) else f"{type(exc).__name__}: {exc}"
        batch.warnings.append(f"Профили школ не построены: {reason}")
        return
    if not links:  # stopped
        return
    for p in [folder, *folder.rglob("*")]:
        os.chmod(p, DIR_MODE if p.is_dir() else FILE_MODE)
    batch.extra += links
    _write_index(batch, region)


def _school_pages_on(
    ex: cf.Executor,
    stop: Any,
    region: Any,
    data: Path,
    munis: list[str],
    folder: Path,
    site_root: Path,
    reports: dict[str, str],
    progress: bool,
) -> list[tuple[str, str, str]]:
    """The pages in chunks on ``ex``, then the lists, the index and the workbook; [] when stopped."""
    from shnro_lib.profiles.pages import write_school_lists
    from shnro_lib.profiles.practices import listed_practices, write_worth_learning_sheet

    ids = [sid for m in sorted(set(munis)) for sid in region.school_ids(m)]
    tasks = [
        PagesTask(str(region.path), str(data), str(folder), str(site_root), tuple(ids), chunk, dict(reports))
        for chunk in school_chunks(region, munis)
    ]
    categories = run_pages(tasks, ex, stop, progress)
    if categories is None:
        return []
    write_school_lists(region, folder, ids, categories, site_root=site_root, reports=reports)
    xlsx = folder / "practices.xlsx"
    # the region's worth_learning stage is the list; a region without it computes it from the data
    dataset = None
    if "worth_learning" not in region.tables:
        from shnro_lib.io import load_dataset

        dataset = load_dataset(data)
    write_worth_learning_sheet(listed_practices(region, dataset), xlsx)
    return [
        (f"Профили школ (HTML, {len(categories)} стр.)", str(folder / "index.html"), ""),
        ("Школы, чьи практики стоит изучить (Excel)", str(xlsx), ""),
    ]


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
