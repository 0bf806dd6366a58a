"""The work items of a report batch: which notebook renders which page, and what its output depends on."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from shnro_lib.batch.manifest import stamp
from shnro_lib.batch.render import NotebookTask

__all__ = ["COLLECTION_NAME", "NOTEBOOKS_DIR", "REGIONAL_NAME", "make_tasks", "task_stamp"]

NOTEBOOKS_DIR = Path(str(resources.files("shnro_lib") / "notebooks"))
MUNICIPAL_NOTEBOOK = "municipal_report.ipynb"
REGIONAL_NOTEBOOK = "regional_report.ipynb"
REGIONAL_NAME = "Региональный отчёт"
COLLECTION_NOTEBOOK = "collection.ipynb"
COLLECTION_NAME = "Методический сборник"


def make_tasks(
    region: Any,
    municipalities: Sequence[str],
    out_dir: Path,
    data_dir: Path,
    cache_root: Path,
    rules: str,
    regional: bool = True,
    school_pages: bool = True,
) -> list[NotebookTask]:
    """Work items for the regional notebook (first) and the municipal ones, in the given order.

    The pages are part of the folder's site (:mod:`shnro_lib.site`); ``school_pages``: the folder
    will have school pages, so the municipal maps link to them.
    """
    from shnro_lib.outputs import unique_slugs
    from shnro_lib.pipeline import report_settings

    params = report_settings().model_dump()
    slugs = unique_slugs(list(municipalities))
    # the notebooks read the cache entry the batch computed, they do not rebuild its key
    base = {
        "year": int(region.year),
        "data_dir": str(data_dir),
        "rules": rules,
        "cache_dir": str(cache_root),
        "cache_entry": str(region.path or ""),
    }
    common = {
        "failed_dir": str(out_dir / "_failed"),
        "kernel_name": str(params["kernel_name"]),
        "site_root": str(out_dir),
        "school_pages": bool(school_pages),
        "timeout": int(params["cell_timeout"]),
        "cache_entry": str(region.path or ""),
    }
    tasks = []
    if regional:
        tasks.append(
            NotebookTask(
                kind="regional",
                name=REGIONAL_NAME,
                slug="regional",
                notebook=str(NOTEBOOKS_DIR / REGIONAL_NOTEBOOK),
                parameters=dict(base),
                html_path=str(out_dir / "regional.html"),
                title=f"{REGIONAL_NAME}, {region.year}",
                **common,
            )
        )
        tasks.append(
            NotebookTask(
                kind="collection",
                name=COLLECTION_NAME,
                slug="collection",
                notebook=str(NOTEBOOKS_DIR / COLLECTION_NOTEBOOK),
                parameters=dict(base),
                html_path=str(out_dir / "collection.html"),
                title=f"{COLLECTION_NAME}, {region.year}",
                **common,
            )
        )
    for m in municipalities:
        s = slugs[m]
        tasks.append(
            NotebookTask(
                kind="municipal",
                name=m,
                slug=s,
                notebook=str(NOTEBOOKS_DIR / MUNICIPAL_NOTEBOOK),
                parameters={**base, "municipality": m},
                html_path=str(out_dir / "municipalities" / f"{s}.html"),
                xlsx_path=str(out_dir / "municipalities" / f"{s}.xlsx"),
                title=f"{m}, {region.year}",
                **common,
            )
        )
    return tasks


def task_stamp(task: NotebookTask, region: Any, params_hash: str, version: str) -> dict[str, Any]:
    """The inputs of a task's outputs: data fingerprint, parameters (paths excluded), rules, year, version."""
    nb_hash = hashlib.sha256(Path(task.notebook).read_bytes()).hexdigest()
    keep = {k: v for k, v in task.parameters.items() if k not in ("data_dir", "cache_dir")}
    p = {
        "kind": task.kind,
        "name": task.name,
        "title": task.title,
        "notebook": nb_hash,
        "parameters": keep,
        "parameters_dir": params_hash,
        "excel": bool(task.xlsx_path),
        "site": bool(task.site_root),
        "school_pages": task.school_pages,
    }
    return stamp(region.fingerprint, p, str(task.parameters.get("rules", "")), region.year, version)
