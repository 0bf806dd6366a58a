"""Every analysis notebook runs end to end under papermill on a small generated region."""

from __future__ import annotations

import json
import re
from pathlib import Path

import papermill as pm
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "shnro_lib" / "notebooks"
CASES = {
    "00_explore.ipynb": {"year": 2024},
    "01_identification.ipynb": {"year": 2024, "rules": "lo_2018"},
    "02_context.ipynb": {"year": 2024},
    "03_programme_effects.ipynb": {},
    "04_cost_quality.ipynb": {"year": 2024, "bootstrap_reps": 5},
    "05_monitoring.ipynb": {"year": 2024, "rules": "lo_2018"},
    "06_school_profile.ipynb": {"year": 2024, "rules": "lo_2018"},
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_notebook_executes(name, small_demo_dir, tmp_path):
    params = {"data_dir": str(small_demo_dir), **CASES[name]}
    if name == "06_school_profile.ipynb":  # one school of this region, its region computed in tmp
        from shnro_lib.io import load_dataset

        params["school"] = str(load_dataset(small_demo_dir).schools["school_id"].iloc[0])
        params["cache_dir"] = str(tmp_path / "cache")
    out = tmp_path / name
    pm.execute_notebook(
        str(NOTEBOOKS / name),
        str(out),
        parameters=params,
        cwd=str(NOTEBOOKS),
        kernel_name="python3",
        progress_bar=False,
        log_output=False,
    )
    nb = json.loads(out.read_text(encoding="utf-8"))
    errors = [
        o
        for c in nb["cells"]
        if c["cell_type"] == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors
    text = out.read_text(encoding="utf-8")
    # synthetic data are labelled as such wherever they are shown
    assert "СИНТЕТИЧЕСКИЕ ДАННЫЕ" in text


def test_notebooks_are_committed_without_outputs():
    for nb_path in NOTEBOOKS.glob("*.ipynb"):
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert not cell.get("outputs"), f"{nb_path.name} has outputs"
        tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
        assert len(tagged) == 1, f"{nb_path.name}: exactly one cell tagged 'parameters'"
        assert nb_path.with_suffix(".py").exists(), f"{nb_path.name} has no jupytext pair"


def _cells(nb) -> list[tuple[str, str, list[str]]]:
    return [(c.cell_type, c.source.strip(), sorted(c.metadata.get("tags", []))) for c in nb.cells]


@pytest.mark.parametrize("py", sorted(p.name for p in NOTEBOOKS.glob("*.py")))
def test_py_source_matches_its_ipynb(py):
    """Every jupytext source and its .ipynb hold the same cells (regenerate: jupytext --to ipynb X.py)."""
    import jupytext

    src = jupytext.read(NOTEBOOKS / py)
    pair = NOTEBOOKS / py.replace(".py", ".ipynb")
    assert pair.exists(), f"{py}: нет парной тетради {pair.name}"
    assert _cells(src) == _cells(jupytext.read(pair)), (
        f"{py} и {pair.name} разошлись: jupytext --to ipynb {py}"
    )


FAST = {
    "costs": {"dea": {"bootstrap_reps": 0}},
    "effects": {"rtm": {"bootstrap_reps": 20}, "did": {"callaway_santanna": False}},
}


@pytest.fixture(scope="module")
def report_region(small_demo_dir, tmp_path_factory):
    from shnro_lib.pipeline import compute_region

    cache = tmp_path_factory.mktemp("nbcache")
    return compute_region(small_demo_dir, 2024, cache_dir=cache, overrides=FAST), cache


@pytest.mark.slow
def test_edited_markdown_cell_reaches_the_batch_html(report_region, small_demo_dir, tmp_path):
    """A researcher edits a markdown cell of municipal_report.ipynb; the next batch's HTML shows it."""
    import dataclasses

    import nbformat

    from shnro_lib.batch import make_tasks, render_notebook

    region, cache = report_region
    nb = nbformat.read(NOTEBOOKS / "municipal_report.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("## Главное"))
    cell.source = (
        cell.source.replace("## Главное на одном экране", "## Главное для главы района")
        + "\n\nЭтот абзац <дописан> исследователем."
    )
    edited = tmp_path / "municipal_report.ipynb"
    nbformat.write(nb, edited)
    task = make_tasks(
        region, region.municipalities[:1], tmp_path / "out", small_demo_dir, cache, "lo_2018", regional=False
    )[0]
    assert task.parameters["cache_entry"] == str(region.path)  # the batch hands over its cache entry
    res = render_notebook(dataclasses.replace(task, notebook=str(edited)))
    assert res.ok, res.error_ru
    html = Path(res.html_path).read_text(encoding="utf-8")
    assert "Главное для главы района" in html and "Этот абзац &lt;дописан&gt; исследователем." in html
    assert html.count("Главное для главы района") == 2  # the heading and its entry in the table of contents
    assert "Главное на одном экране" not in html
    assert "Тетрадь" not in html  # the editors' note (tag `remove`) stays out
    # no script of its own: only the site's two shared files (tests/test_site_browser.py)
    scripts = re.findall(r"<script\b[^>]*>", html, flags=re.IGNORECASE)
    assert sorted(re.search(r'src="([^"]*)"', t).group(1) for t in scripts) == [
        "../site/schools.js",
        "../site/site.js",
    ]


@pytest.mark.slow
def test_missing_municipality_fails_the_notebook(report_region, small_demo_dir, tmp_path):
    import dataclasses

    from shnro_lib.batch import make_tasks, render_notebook

    region, cache = report_region
    task = make_tasks(
        region, region.municipalities[:1], tmp_path / "out", small_demo_dir, cache, "lo_2018", regional=False
    )[0]
    task = dataclasses.replace(task, parameters={**task.parameters, "municipality": "Нет такого района"})
    res = render_notebook(task)
    assert not res.ok and "не найден" in res.error_ru
    assert Path(res.failed_notebook).exists()
