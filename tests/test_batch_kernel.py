"""A worker's reused kernel: same bytes as a fresh kernel per report, nothing leaks, failures restart it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from shnro_lib.batch import kernel as batch_kernel
from shnro_lib.batch import render as batch_render
from shnro_lib.batch.render import LEAN_KERNEL_ARGS, render_notebook
from shnro_lib.batch.tasks import make_tasks

pytestmark = pytest.mark.slow

# a notebook that leaves behind everything a report could: names, figures, rcParams, warning
# filters, a working folder, a sys.path entry
POLLUTER = """
import os, sys, warnings
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
region = None
report = None
municipality = "не тот"
plt.figure(); plt.figure()
matplotlib.rcParams["font.size"] = 31
matplotlib.rcParams["figure.dpi"] = 17
warnings.simplefilter("error")
sys.path.insert(0, "/nonexistent")
os.chdir("/")
"""


def fresh_papermill(notebook, output, parameters, kernel_name, extra_arguments, timeout):
    """Today's execution before kernel reuse: papermill starts (and ends) a kernel per notebook."""
    import papermill as pm

    return pm.execute_notebook(
        notebook,
        output,
        parameters=dict(parameters),
        kernel_name=kernel_name,
        progress_bar=False,
        log_output=False,
        request_save_on_cell_execute=False,
        execution_timeout=timeout,
        cwd=str(Path(notebook).parent),
        extra_arguments=extra_arguments,
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A small demo with its region cached, and the municipal tasks of two municipalities."""
    from shnro_lib.demo import generate_demo
    from shnro_lib.io import load_dataset
    from shnro_lib.pipeline import compute_region

    root = tmp_path_factory.mktemp("kernel")
    data = generate_demo(root / "demo", seed=1, n_schools=80).data_dir
    munis = load_dataset(data).municipalities[:2]
    region = compute_region(data, 2024, "lo_2018", cache_dir=root / "cache")
    return root, data, munis, region


@pytest.fixture(autouse=True)
def own_kernels():
    """Every test starts without a kernel in this thread and ends with its kernels shut down."""
    batch_kernel.shutdown_kernels()
    yield
    batch_kernel.shutdown_kernels()


def tasks_into(demo, out: Path, munis: list[str]) -> list:
    root, data, _, region = demo
    tasks = make_tasks(region, munis, out, data, root / "cache", "lo_2018", regional=False)
    (out / "municipalities").mkdir(parents=True, exist_ok=True)
    return [dataclasses.replace(t, scratch_dir=str(out / ".scratch")) for t in tasks]


def outputs(results) -> dict[str, bytes]:
    """The bytes of every HTML and Excel written, by file name."""
    files = [Path(p) for r in results for p in (r.html_path, r.xlsx_path) if p]
    return {p.name: p.read_bytes() for p in files}


def kernel_pid() -> int:
    return batch_kernel._LOCAL.kernel.km.provisioner.pid


@pytest.fixture(scope="module")
def reference(demo, tmp_path_factory):
    """Both municipal reports rendered as before: a fresh papermill kernel each."""
    out = tmp_path_factory.mktemp("fresh")
    _, _, munis, _ = demo
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(batch_render, "execute_in_worker_kernel", fresh_papermill)
        results = [render_notebook(t) for t in tasks_into(demo, out, munis)]
    assert all(r.ok for r in results), [r.error_ru for r in results]
    files = outputs(results)
    assert len(files) == 4 and any(n.endswith(".xlsx") for n in files)
    return files


def test_reports_in_one_reused_kernel_are_byte_identical_to_fresh_kernels(demo, reference, tmp_path) -> None:
    _, _, munis, _ = demo
    a, b = tasks_into(demo, tmp_path, munis)
    first = render_notebook(a)
    pid = kernel_pid()
    second = render_notebook(b)
    again = render_notebook(a)  # the first report once more, after another one ran in the kernel
    assert first.ok and second.ok and again.ok, [first.error_ru, second.error_ru, again.error_ru]
    assert kernel_pid() == pid and batch_kernel._LOCAL.kernel.notebooks == 3  # one kernel for all three
    assert outputs([first, second]) == reference
    assert outputs([again]) == {k: v for k, v in reference.items() if k.startswith(a.slug)}


def test_nothing_a_notebook_leaves_reaches_the_next_report(demo, reference, tmp_path) -> None:
    _, _, munis, _ = demo
    polluter = tmp_path / "polluter.ipynb"
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(POLLUTER)]
    nbformat.write(nb, polluter)
    a, b = tasks_into(demo, tmp_path / "out", munis)
    batch_kernel.execute_in_worker_kernel(
        str(polluter), str(tmp_path / "p.ipynb"), {}, a.kernel_name, LEAN_KERNEL_ARGS, a.timeout
    )
    pid = kernel_pid()
    results = [render_notebook(b), render_notebook(a)]
    assert kernel_pid() == pid, "a notebook that ran fine must not cost a new kernel"
    assert all(r.ok for r in results), [r.error_ru for r in results]
    assert outputs(results) == reference


def test_failing_notebook_is_reported_and_the_next_one_gets_a_new_clean_kernel(
    demo, reference, tmp_path
) -> None:
    _, _, munis, _ = demo
    missing = "Несуществующий муниципальный район"  # not in the data: the notebook's first cell raises
    bad, good = tasks_into(demo, tmp_path, [missing, munis[1]])
    batch_kernel.worker_kernel(bad.kernel_name, LEAN_KERNEL_ARGS, str(tmp_path))
    before = kernel_pid()
    failed = render_notebook(bad)
    assert not failed.ok and "не найден в данных" in failed.error_ru and "ValueError" not in failed.error_ru
    saved = Path(failed.failed_notebook)
    assert saved.exists() and "не найден в данных" in saved.read_text(encoding="utf-8")
    assert not Path(bad.html_path).exists()
    assert getattr(batch_kernel._LOCAL.kernel, "km", None) is None  # the failed run's kernel is gone
    ok = render_notebook(good)
    assert ok.ok, ok.error_ru
    assert kernel_pid() != before
    assert outputs([ok]) == {k: v for k, v in reference.items() if k.startswith(good.slug)}


def test_a_dead_kernel_is_replaced_before_the_next_notebook(demo, reference, tmp_path) -> None:
    import os
    import signal

    _, _, munis, _ = demo
    (task,) = tasks_into(demo, tmp_path, munis[:1])
    wk = batch_kernel.worker_kernel(task.kernel_name, LEAN_KERNEL_ARGS, str(tmp_path))
    dead = kernel_pid()
    os.kill(dead, signal.SIGKILL)
    wk.km.provisioner.process.wait()
    res = render_notebook(task)
    assert res.ok, res.error_ru
    assert kernel_pid() != dead
    assert outputs([res]) == {k: v for k, v in reference.items() if k.startswith(task.slug)}
