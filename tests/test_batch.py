"""The report batch: files, index, Excel, failure isolation, resume, stop on request, no orphans, Dask."""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from shnro_lib.batch import build_tasks, find_chromium, make_tasks, run_batch, strip_notebook
from shnro_lib.batch.manifest import MANIFEST_NAME, Manifest, stamp
from shnro_lib.batch.process import SCRATCH_DIR
from shnro_lib.outputs import unique_slugs

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, list[str], Path]:
    """A small generated demo, its first three municipalities and a warm region cache."""
    from shnro_lib.demo import generate_demo
    from shnro_lib.io import load_dataset
    from shnro_lib.pipeline import compute_region

    root = tmp_path_factory.mktemp("batch")
    out = generate_demo(root / "demo", seed=1, n_schools=80)
    munis = load_dataset(out.data_dir).municipalities[:3]
    compute_region(out.data_dir, 2024, "lo_2018", cache_dir=root / "cache")
    return out.data_dir, munis, root / "cache"


def leftovers(out: Path) -> list[Path]:
    """Temporary files or a scratch folder with something in it."""
    found = [p for p in out.rglob("*.tmp")]
    scratch = out / SCRATCH_DIR
    if scratch.exists() and any(scratch.iterdir()):
        found.append(scratch)
    return found


def check_printed_collection(html: Path, pdf: Path) -> None:
    """Every page numbered «стр. N из M»; every table column header of the HTML present in the PDF text."""
    from bs4 import BeautifulSoup
    from pypdf import PdfReader

    assert pdf.read_bytes()[:5] == b"%PDF-"
    pages = [p.extract_text() or "" for p in PdfReader(pdf).pages]
    n = len(pages)
    assert n > 2
    for i, page in enumerate(pages, start=1):
        assert f"стр. {i} из {n}" in page, f"page {i} has no number"
    flat = re.sub(r"[\s\u00ad-]+", "", "".join(pages))
    soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
    headers = {th.get_text(" ", strip=True) for th in soup.select("table thead th")}
    missing = sorted(h for h in headers if h and re.sub(r"[\s\u00ad-]+", "", h) not in flat)
    assert not missing, f"{len(missing)} of {len(headers)} column headers not in the PDF: {missing[:10]}"


def test_batch_writes_reports_index_excel(demo, tmp_path) -> None:
    data, munis, cache = demo
    munis = munis[:2]
    res = run_batch(
        data,
        2024,
        tmp_path / "out",
        municipalities=munis,
        workers=2,
        cache_dir=cache,
        progress=False,
        pdf=find_chromium() is not None,
    )
    assert res.ok, res.summary_ru()
    assert (res.n_built, res.n_reused) == (4, 0) and "построено: 4" in res.summary_ru()
    slugs = unique_slugs(munis)
    out = tmp_path / "out"
    index = (out / "index.html").read_text(encoding="utf-8")
    for m in munis:
        html = out / "municipalities" / f"{slugs[m]}.html"
        xlsx = html.with_suffix(".xlsx")
        assert html.exists() and xlsx.exists() and xlsx.stat().st_size > 0
        text = html.read_text(encoding="utf-8")
        assert m in text and "СИНТЕТИЧЕСКИЕ ДАННЫЕ" in text and 'id="toc"' in text
        assert text.count('id="toc"') == 1
        # the table of contents is built from the notebook's headings, each rendered once
        toc = text.split('id="toc"', 1)[1].split("</nav>", 1)[0]
        for anchor in re.findall(r'href="#([^"]+)"', toc):
            assert text.count(f'id="{anchor}"') == 1, f"section {anchor} rendered more than once"
        for title in ("Главное на одном экране", "Обзор данных", "Приложение А. Методика", "Приложение Б."):
            assert title in toc
        assert "<pre" not in text and "In&nbsp;[" not in text and "import " not in text  # no code cells
        # self-contained but for the site's shared files in the same folder (nothing from outside)
        linked = re.findall(r'<(?:script[^>]*src|link[^>]*href)="([^"]+)"', text)
        assert sorted(linked) == ["../site/schools.js", "../site/site.css", "../site/site.js"]
        assert all((html.parent / p).exists() for p in linked)
        assert f"municipalities/{slugs[m]}.html" in index and f"municipalities/{slugs[m]}.xlsx" in index
    assert "regional.html" in index and "collection.html" in index
    coll = (out / "collection.html").read_text(encoding="utf-8")
    assert "Методика" in coll and all(m in coll for m in munis)
    # the collection is a document of its own, not a copy of the regional report
    assert coll != (out / "regional.html").read_text(encoding="utf-8")
    for part in (
        "Методический сборник",
        "Что означают показатели",
        "Пример: как выявлена одна школа",
        "Списки по муниципальным образованиям",
        "Школы, чьи практики стоит изучить",
    ):
        assert part in coll, part
    if find_chromium():
        check_printed_collection(out / "collection.html", out / "collection.pdf")
    assert not leftovers(out) and not (out / ".shnro.lock").exists()
    # readable by group and others: a shared folder or a web server can serve them
    for p in [out, out / "municipalities", *out.rglob("*.html"), *out.rglob("*.xlsx"), out / MANIFEST_NAME]:
        mode = stat.S_IMODE(p.stat().st_mode)
        assert mode == (0o755 if p.is_dir() else 0o644), (p, oct(mode))
    # papermill's logging is in the log file, not on the console
    assert "papermill" in (out / "reports.log").read_text(encoding="utf-8")


def test_resume_rebuilds_only_missing_and_force_rebuilds_all(demo, tmp_path) -> None:
    data, munis, cache = demo
    munis = munis[:2]
    out = tmp_path / "out"
    kw = {
        "municipalities": munis,
        "workers": 2,
        "cache_dir": cache,
        "progress": False,
        "pdf": False,
        "regional": False,
    }
    first = run_batch(data, 2024, out, **kw)
    assert first.ok and (first.n_built, first.n_reused) == (2, 0)
    htmls = sorted((out / "municipalities").glob("*.html"))
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in htmls}
    again = run_batch(data, 2024, out, **kw)
    assert (again.n_built, again.n_reused) == (0, 2), again.summary_ru()
    assert "взято готовыми из прошлого запуска: 2" in again.summary_ru()
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in htmls} == before  # not rewritten
    assert all(f"municipalities/{p.name}" in again.index_html.read_text(encoding="utf-8") for p in htmls)
    htmls[0].unlink()
    third = run_batch(data, 2024, out, **kw)
    assert (third.n_built, third.n_reused) == (1, 1)
    assert htmls[0].read_bytes() == before[htmls[0]][0]  # rebuilt, to the same bytes
    forced = run_batch(data, 2024, out, force=True, **kw)
    assert (forced.n_built, forced.n_reused) == (2, 0)


def test_manifest_marks_changed_files_and_inputs_out_of_date(tmp_path) -> None:
    f = tmp_path / "a.html"
    f.write_text("отчёт", encoding="utf-8")
    st = stamp("fp1", {"municipality": "А"}, "lo_2018", 2024, "v1")
    m = Manifest(tmp_path)
    assert not m.is_current([f], st)  # never recorded
    m.record(f, __import__("hashlib").sha256(f.read_bytes()).hexdigest(), st)
    m.save()
    m = Manifest.load(tmp_path)
    assert m.is_current([f], st)
    for other in (
        stamp("fp2", {"municipality": "А"}, "lo_2018", 2024, "v1"),
        stamp("fp1", {"municipality": "Б"}, "lo_2018", 2024, "v1"),
        stamp("fp1", {"municipality": "А"}, "hse_disadvantaged", 2024, "v1"),
        stamp("fp1", {"municipality": "А"}, "lo_2018", 2023, "v1"),
        stamp("fp1", {"municipality": "А"}, "lo_2018", 2024, "v2"),
    ):
        assert not m.is_current([f], other)
    f.write_text("отчёт, изменённый вручную", encoding="utf-8")
    assert not m.is_current([f], st)
    (tmp_path / MANIFEST_NAME).write_text("{не json", encoding="utf-8")
    assert Manifest.load(tmp_path).outputs == {}


def test_failing_municipality_does_not_stop_others(demo, tmp_path) -> None:
    from shnro_lib.pipeline import compute_region

    data, munis, cache = demo
    region = compute_region(data, 2024, "lo_2018", cache_dir=cache)
    missing = "Несуществующий муниципальный район"  # not in the data: its notebook raises
    out = tmp_path / "out"
    tasks = make_tasks(region, [missing, munis[0]], out, data, cache, "lo_2018", regional=False)
    res = build_tasks(tasks, region, out, workers=2, progress=False)
    assert [r.name for r in res.results] == [missing, munis[0]]  # task order, whatever finished first
    bad, good = res.results
    assert not bad.ok and good.ok
    # the library's Russian reason reaches the summary; the Python type of the error only the log
    assert "не найден в данных" in bad.error_ru and "ValueError" not in bad.error_ru
    assert "ValueError" in (out / "reports.log").read_text(encoding="utf-8")
    failed_nb = Path(bad.failed_notebook)
    assert failed_nb.parent == out / "_failed" and "не найден в данных" in failed_nb.read_text(
        encoding="utf-8"
    )
    slugs = unique_slugs([missing, munis[0]])
    assert not (out / "municipalities" / f"{slugs[missing]}.html").exists()
    assert (out / "municipalities" / f"{slugs[munis[0]]}.html").exists()
    assert f"municipalities/{slugs[missing]}.html" not in Manifest.load(out).outputs  # rebuilt next time
    assert not leftovers(out)


def test_batch_through_dask_local_cluster_resumes(demo, tmp_path) -> None:
    distributed = pytest.importorskip("distributed")
    data, munis, cache = demo
    munis = munis[:2]
    kw = {"municipalities": munis, "cache_dir": cache, "progress": False, "pdf": False, "regional": False}
    with (
        distributed.LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
        ) as cl,
        distributed.Client(cl) as client,
    ):
        res = run_batch(data, 2024, tmp_path / "out", executor=client, **kw)
        assert res.ok, res.summary_ru()
        assert len(list((tmp_path / "out" / "municipalities").glob("*.html"))) == len(munis)
        again = run_batch(data, 2024, tmp_path / "out", executor=client, **kw)
    assert (again.n_built, again.n_reused) == (0, 2)
    assert not leftovers(tmp_path / "out")


def test_school_pages_on_the_pool_are_the_pages_of_one_process(demo, tmp_path, monkeypatch) -> None:
    """Chunks on the batch's loky pool (municipalities cut into several chunks: links cross chunks)
    write the same files, byte for byte, as the pages written in the main process."""
    from shnro_lib.batch import schools
    from shnro_lib.batch.finish import write_school_pages
    from shnro_lib.batch.result import BatchResult
    from shnro_lib.batch.run import local_pool
    from shnro_lib.pipeline import compute_region

    data, munis, cache = demo
    region = compute_region(data, 2024, "lo_2018", cache_dir=cache)
    monkeypatch.setattr(schools, "CHUNK_SIZE", 2)
    chunks = schools.school_chunks(region, munis)
    assert [s for c in chunks for s in c] == [s for m in sorted(munis) for s in region.school_ids(m)]
    assert max(map(len, chunks)) == 2 and len(chunks) > len(munis)
    files = {}
    for how in ("main", "pool"):
        out = tmp_path / how
        out.mkdir()
        batch = BatchResult(out_dir=out, results=[])
        pool = local_pool(2, len(chunks), out / "log") if how == "pool" else None
        try:
            write_school_pages(batch, region, data, munis, False, pool)
        finally:
            if pool is not None:
                pool.shutdown(wait=True)
        assert not batch.warnings
        folder = out / "schools"
        files[how] = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
        assert [label for label, _, _ in batch.extra][0].startswith(
            f"Профили школ (HTML, {sum(map(len, chunks))}"
        )
    assert len(files["main"]) == sum(map(len, chunks)) + len(munis) + 2  # pages, lists, index, workbook
    assert files["pool"] == files["main"]


def test_school_pages_stay_in_the_main_process_when_the_own_pool_has_one_worker(tmp_path) -> None:
    import concurrent.futures as cf

    from shnro_lib.batch.process import StopRequest
    from shnro_lib.batch.run import BatchExecutor

    stop = StopRequest()
    with BatchExecutor(None, 1, tmp_path / "log", stop) as one:
        assert one.for_pages(10) is None
    with BatchExecutor(None, 2, tmp_path / "log", stop) as two:
        assert two.for_pages(1) is None and two.for_pages(10) is not None
    with cf.ThreadPoolExecutor(1) as caller, BatchExecutor(caller, 1, tmp_path / "log", stop) as theirs:
        assert theirs.for_pages(1) is caller  # the caller's executor is always used


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


# --------------------------------------------------------------------------- processes and signals


def _cli(data: Path, out: Path, cache: Path, munis: list[str], *extra: str) -> list[str]:
    cmd = [
        sys.executable,
        "-m",
        "shnro_lib",
        "reports",
        str(data),
        "--year",
        "2024",
        "--out",
        str(out),
        "--workers",
        "2",
        "--cache-dir",
        str(cache),
        "--no-pdf",
        *extra,
    ]
    for m in munis:
        cmd += ["--municipality", m]
    return cmd


def _dead(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _start_until_kernels(cmd: list[str], out: Path, finished: int = 0) -> tuple[subprocess.Popen, set[int]]:
    """Start the batch in its own process group; return (with its family of processes) once a Jupyter
    kernel runs and at least ``finished`` outputs are recorded in the manifest."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        cmd, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    main = psutil.Process(proc.pid)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            kids = main.children(recursive=True)
            done = len(Manifest.load(out).outputs) if finished else 0
            if done >= finished and any("ipykernel" in " ".join(k.cmdline()) for k in kids):
                time.sleep(0.5)  # mid-execution, not mid-start
                return proc, {k.pid for k in main.children(recursive=True)}
        except psutil.Error:
            pass
        time.sleep(0.05)
    proc.kill()
    pytest.fail("the batch never started a kernel: " + proc.communicate()[1][-2000:])


@pytest.mark.parametrize("how", ["SIGINT to the process group", "SIGTERM"])
def test_stop_on_request_is_prompt_clean_and_resumable(demo, tmp_path, how) -> None:
    data, munis, cache = demo
    out = tmp_path / "out"
    proc, family = _start_until_kernels(_cli(data, out, cache, munis), out)
    t0 = time.monotonic()
    if how == "SIGTERM":
        proc.send_signal(signal.SIGTERM)
    else:
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl+C does
    stdout, stderr = proc.communicate(timeout=60)
    latency = time.monotonic() - t0
    print(f"stop latency ({how}): {latency:.2f} s")
    assert latency < 10
    assert proc.returncode == (143 if how == "SIGTERM" else 130), stderr
    assert "Остановлено по запросу" in stderr and "запустите ту же команду" in stderr
    assert "shnro reports" in stderr and "Traceback" not in stderr + stdout
    deadline = time.monotonic() + 5
    while not all(_dead(p) for p in family) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert all(_dead(p) for p in family), "workers or kernels outlived the batch"
    assert not leftovers(out)
    for p in (out / "municipalities").glob("*.html"):  # whatever is there is complete and recorded
        assert p.read_text(encoding="utf-8").rstrip().endswith("</html>")
        assert f"municipalities/{p.name}" in Manifest.load(out).outputs


def test_sigkill_leaves_no_orphans_and_the_rerun_resumes(demo, tmp_path) -> None:
    data, munis, cache = demo
    out = tmp_path / "out"
    proc, family = _start_until_kernels(_cli(data, out, cache, munis), out, finished=1)  # half-way
    assert any("ipykernel" in " ".join(psutil.Process(p).cmdline()) for p in family if not _dead(p))
    t0 = time.monotonic()
    proc.kill()
    proc.communicate()
    while not all(_dead(p) for p in family) and time.monotonic() - t0 < 10:
        time.sleep(0.05)
    gone = time.monotonic() - t0
    print(f"workers and kernels gone {gone:.2f} s after SIGKILL of the main process")
    assert all(_dead(p) for p in family), [p for p in family if not _dead(p)]
    assert gone < 5
    time.sleep(0.5)
    assert not leftovers(out)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    rerun = subprocess.run(
        _cli(data, out, cache, munis), capture_output=True, text=True, env=env, timeout=300
    )
    assert rerun.returncode == 0, rerun.stderr
    assert "Готово отчётов: 5 из 5" in rerun.stdout
    reused = int(re.search(r"взято готовыми из прошлого запуска: (\d+)", rerun.stdout).group(1))
    assert 1 <= reused < 5, rerun.stdout  # what the killed run finished is not rebuilt
    assert not leftovers(out)


# a stand-in batch: a pool of the batch's own kind whose one worker is busy when the main process dies
POOL_MAIN = """
import sys, time
from pathlib import Path
from shnro_lib.batch.run import local_pool
import busy
out = Path(sys.argv[1])
if sys.argv[2] == "loky alone":
    import loky
    pool = loky.ProcessPoolExecutor(max_workers=1)
else:
    pool = local_pool(1, 1, str(out / "log"))
pool.submit(busy.run, str(out))
time.sleep(600)
"""
BUSY = """
import os, time
from pathlib import Path
from shnro_lib.batch.process import tracked_temporaries
def run(out):
    scratch = Path(out) / "scratch"
    scratch.mkdir()
    (Path(out) / ".page.html.x1.tmp").write_text("half")
    with tracked_temporaries([scratch, Path(out) / "page.html"]):
        (Path(out) / "worker").write_text(str(os.getpid()))
        time.sleep(600)
"""


def _kill_main_of_busy_pool(tmp_path: Path, how: str) -> tuple[int, float]:
    """Start the stand-in batch, SIGKILL it once its worker is busy; (the worker's pid, seconds waited
    for it to end, at most 5)."""
    (tmp_path / "busy.py").write_text(BUSY, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{tmp_path}"}
    main = subprocess.Popen([sys.executable, "-c", POOL_MAIN, str(tmp_path), how], env=env)
    deadline = time.monotonic() + 60
    while not (tmp_path / "worker").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    worker = int((tmp_path / "worker").read_text())
    assert psutil.Process(worker).ppid() == main.pid and not _dead(worker)
    main.kill()
    main.wait()
    t0 = time.monotonic()
    while not _dead(worker) and time.monotonic() - t0 < 5:
        time.sleep(0.05)
    return worker, time.monotonic() - t0


def test_a_busy_pool_worker_ends_and_cleans_up_when_the_main_process_is_killed(tmp_path) -> None:
    """loky alone leaves a busy worker running (its queue never reports the parent gone): the pool's
    initializer arms the parent-death signal, and the worker removes its task's temporaries."""
    alone = tmp_path / "alone"
    alone.mkdir()
    worker, _ = _kill_main_of_busy_pool(alone, "loky alone")
    try:
        assert not _dead(worker), "loky now ends a busy worker itself: the death signal may be dropped"
    finally:
        psutil.Process(worker).kill()
    ours = tmp_path / "ours"
    ours.mkdir()
    worker, gone = _kill_main_of_busy_pool(ours, "the batch's pool")
    print(f"busy worker gone {gone:.2f} s after SIGKILL of the main process")
    assert _dead(worker) and gone < 3
    assert not (ours / "scratch").exists() and not list(ours.glob("*.tmp"))


def test_a_kernel_ends_when_its_worker_is_killed_outright(tmp_path) -> None:
    """No handler runs in a SIGKILLed worker: ipykernel's parent poller ends the worker's kernel."""
    code = (
        "import sys, time\n"
        "from shnro_lib.batch.kernel import worker_kernel\n"
        "from shnro_lib.batch.render import LEAN_KERNEL_ARGS\n"
        "wk = worker_kernel('python3', LEAN_KERNEL_ARGS, sys.argv[1])\n"
        "open(sys.argv[1] + '/kernel', 'w').write(str(wk.km.provisioner.pid))\n"
        "time.sleep(600)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    worker = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], env=env)
    deadline = time.monotonic() + 120
    while not (tmp_path / "kernel").exists() and time.monotonic() < deadline and worker.poll() is None:
        time.sleep(0.1)
    kernel = int((tmp_path / "kernel").read_text())
    assert "ipykernel" in " ".join(psutil.Process(kernel).cmdline())
    worker.kill()
    worker.wait()
    t0 = time.monotonic()
    while not _dead(kernel) and time.monotonic() - t0 < 5:
        time.sleep(0.05)
    print(f"kernel gone {time.monotonic() - t0:.2f} s after SIGKILL of its worker")
    assert _dead(kernel)


def test_stop_while_the_region_is_computed_caches_nothing(demo, tmp_path) -> None:
    data, munis, _ = demo
    out, cache = tmp_path / "out", tmp_path / "fresh-cache"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        _cli(data, out, cache, munis[:1]),
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    log = out / "reports.log"
    deadline = time.monotonic() + 60
    while not (log.exists() and "===" in log.read_text(encoding="utf-8")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)  # loading the data / running the analysis stages
    t0 = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    latency = time.monotonic() - t0
    print(f"stop latency during the region computation: {latency:.2f} s")
    assert proc.returncode == 130 and latency < 10, stderr
    assert "Остановлено по запросу" in stderr and "Traceback" not in stderr
    assert not list(cache.glob("*/meta.json"))  # a half-computed region is not cached
    assert not leftovers(out)


def test_error_ru_never_shows_a_raw_python_message() -> None:
    from shnro_lib.batch.render import error_ru

    class CellError(Exception):
        ename, evalue = "KeyError", "'share_low'"

    assert "KeyError" not in error_ru(CellError()) and "share_low" not in error_ru(CellError())
    assert "reports.log" in error_ru(CellError())
    assert (
        error_ru(ValueError("Муниципалитет не найден\nTraceback ..."))
        == "ошибка в тетради: Муниципалитет не найден"
    )
    assert error_ru(OSError("disk full"), "при записи Excel").startswith("внутренняя ошибка при записи Excel")
