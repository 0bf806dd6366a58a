"""The report batch: files, index, Excel, failure isolation, determinism, a Dask executor."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shnro_lib.batch import find_chromium, run_batch, strip_notebook
from shnro_lib.outputs import unique_slugs

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, list[str], Path]:
    from shnro_lib.demo import generate_demo
    from shnro_lib.io import load_dataset

    root = tmp_path_factory.mktemp("batch")
    out = generate_demo(root / "demo", seed=1, n_schools=80)
    munis = load_dataset(out.data_dir).municipalities[:2]
    return out.data_dir, munis, root / "cache"


def test_batch_writes_reports_index_excel_and_is_reproducible(demo, tmp_path) -> None:
    data, munis, cache = demo
    res = run_batch(data, 2024, tmp_path / "out", municipalities=munis, workers=2, cache_dir=cache,
                    progress=False, pdf=find_chromium() is not None)
    assert res.ok, res.summary_ru()
    slugs = unique_slugs(munis)
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    for m in munis:
        html = tmp_path / "out" / "municipalities" / f"{slugs[m]}.html"
        xlsx = html.with_suffix(".xlsx")
        assert html.exists() and xlsx.exists() and xlsx.stat().st_size > 0
        text = html.read_text(encoding="utf-8")
        assert m in text and "СИНТЕТИЧЕСКИЕ ДАННЫЕ" in text and 'id="toc"' in text
        for anchor in ("toc", "summary", "overview", "method", "quality"):
            assert text.count(f'id="{anchor}"') == 1, f"section {anchor} rendered more than once"
        assert "<pre" not in text and "In&nbsp;[" not in text and "import " not in text  # no code cells
        assert not re.search(r"<script[^>]*src=", text) and "<link" not in text  # self-contained
        assert f"municipalities/{slugs[m]}.html" in index and f"municipalities/{slugs[m]}.xlsx" in index
    assert "regional.html" in index and "collection.html" in index
    coll = (tmp_path / "out" / "collection.html").read_text(encoding="utf-8")
    assert "Методика" in coll and all(m in coll for m in munis)
    if find_chromium():
        pdf = tmp_path / "out" / "collection.pdf"
        assert pdf.read_bytes()[:5] == b"%PDF-"
    assert not list((tmp_path / "out").rglob("*.tmp"))
    # same inputs -> the same report bytes (no timestamps, stripped execution metadata)
    again = run_batch(data, 2024, tmp_path / "again", municipalities=munis[:1], workers=1, cache_dir=cache,
                      progress=False, pdf=False, regional=False)
    assert again.ok
    a = (tmp_path / "out" / "municipalities" / f"{slugs[munis[0]]}.html").read_bytes()
    b = (tmp_path / "again" / "municipalities" / f"{slugs[munis[0]]}.html").read_bytes()
    assert a == b


def test_failing_municipality_does_not_stop_others(demo, tmp_path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from shnro_lib.cli import app

    data, munis, cache = demo
    monkeypatch.setenv("SHNRO_TEST_FAIL", munis[0])  # testing hook: this notebook raises
    args = ["reports", str(data), "--year", "2024", "--out", str(tmp_path / "out"), "--workers", "2",
            "--cache-dir", str(cache), "--no-pdf"]
    for m in munis:
        args += ["--municipality", m]
    result = CliRunner().invoke(app, args)
    assert result.exit_code != 0
    slugs = unique_slugs(munis)
    assert munis[0] in result.output and "Проверочный сбой" in result.output
    failed_nb = tmp_path / "out" / "_failed" / f"{slugs[munis[0]]}.ipynb"
    assert failed_nb.exists() and "Проверочный сбой" in failed_nb.read_text(encoding="utf-8")
    assert not (tmp_path / "out" / "municipalities" / f"{slugs[munis[0]]}.html").exists()
    assert (tmp_path / "out" / "municipalities" / f"{slugs[munis[1]]}.html").exists()
    assert (tmp_path / "out" / "regional.html").exists()
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "не построен" in index


def test_batch_through_dask_local_cluster(demo, tmp_path) -> None:
    distributed = pytest.importorskip("distributed")
    data, munis, cache = demo
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cl, \
            distributed.Client(cl) as client:
        res = run_batch(data, 2024, tmp_path / "out", municipalities=munis, executor=client, cache_dir=cache,
                        progress=False, pdf=False, regional=False)
    assert res.ok, res.summary_ru()
    assert len(list((tmp_path / "out" / "municipalities").glob("*.html"))) == len(munis)


def test_strip_notebook_removes_timings() -> None:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["papermill"] = {"start_time": "x", "duration": 1.0}
    c = nbformat.v4.new_code_cell("1", execution_count=3)
    c.metadata["papermill"] = {"duration": 0.1}
    c.metadata["execution"] = {"iopub.execute_input": "t"}
    nb.cells = [c]
    strip_notebook(nb)
    assert "papermill" not in nb.metadata and not nb.cells[0].metadata and nb.cells[0].execution_count is None
    assert nb.cells[0]["id"] == "cell-000"
