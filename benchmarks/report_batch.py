"""Benchmark: region computation before/after a change, the report batch, the naive loop.

Region: ``compute_region`` (no cache) of the code at ``--before`` (a git ref, default
``main``; extracted with ``git archive``) and of this tree, alternated ``--repeats`` times in
one run, each in a fresh interpreter, so both see the same machine load.

Batch: ``run_batch`` — region results computed once and cached, notebooks only select and
draw, executed in parallel (2 workers), one lean kernel per worker kept across its notebooks,
HTML export in the worker; the CPU time of the workers and their kernels is printed per report.
Naive (``--naive``): for each municipality, ``papermill`` (no cache entry and an empty cache folder of
its own: the notebook loads the data and computes everything itself) then ``jupyter nbconvert --to
html --no-input``, one after another.

    .venv/bin/python benchmarks/report_batch.py            # all demo municipalities
    .venv/bin/python benchmarks/report_batch.py --limit 4  # a quick run on 4 municipalities
    .venv/bin/python benchmarks/report_batch.py --only-region --before main --data data/demo
    # the big region (shnro demo-data D --municipalities 130 --schools 2400): the whole batch of the
    # code as it was when issue 28 was filed beside this tree's, then this tree's figures
    .venv/bin/python benchmarks/report_batch.py --data D --whole-batch-before e1b3c9b --before ''

Prints both wall times, the ratio and where a report's marginal time goes.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shnro_lib.batch import LEAN_KERNEL_ARGS, NOTEBOOKS_DIR, run_batch  # noqa: E402


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def naive(data: Path, year: int, munis: list[str], out: Path) -> float:
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    jobs = [(m, "municipal_report.ipynb", ["-p", "municipality", m]) for m in munis]
    jobs.append(("регион", "regional_report.ipynb", []))
    for i, (_m, nb, extra) in enumerate(jobs):
        target = out / f"r{i:02d}.ipynb"
        own_cache = out / f"cache{i:02d}"
        subprocess.run(
            [
                _bin("papermill"),
                str(NOTEBOOKS_DIR / nb),
                str(target),
                "-p",
                "year",
                str(year),
                "-p",
                "data_dir",
                str(data),
                "-p",
                "cache_dir",
                str(own_cache),
                *extra,
                "--no-progress-bar",
            ],
            check=True,
            capture_output=True,
            cwd=NOTEBOOKS_DIR,
        )
        subprocess.run(
            [_bin("jupyter"), "nbconvert", "--to", "html", "--no-input", str(target)],
            check=True,
            capture_output=True,
        )
    return time.perf_counter() - t0


REGION_CODE = """
import json, sys, time
from shnro_lib.pipeline import compute_region
t = time.perf_counter()
r = compute_region(sys.argv[1], int(sys.argv[2]), cache_dir=None)
print(json.dumps({"total": time.perf_counter() - t, "stages": r.meta["timings"], \
"failures": sorted(r.failures)}))
"""


def extract_ref(ref: str, target: Path) -> Path:
    """The tree of a git ref (``git archive``), without touching the repository's worktrees."""
    target.mkdir(parents=True, exist_ok=True)
    arch = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=arch, check=True)
    return target


def region_time(code_root: Path, data: Path, year: int) -> dict:
    """Wall time of one uncached region computation with the library at ``code_root``."""
    import json
    import os

    # the parameters moved into the package; an older commit keeps them at the top of the checkout
    params = next(p for p in (code_root / "shnro_lib" / "parameters", code_root / "parameters") if p.is_dir())
    env = {**os.environ, "PYTHONPATH": str(code_root), "SHNRO_PARAMETERS": str(params)}
    out = subprocess.run(
        [sys.executable, "-c", REGION_CODE, str(data), str(year)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=code_root,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def compare_region(before_ref: str, data: Path, year: int, repeats: int, tmp: Path) -> tuple[float, float]:
    """Median region time of ``before_ref`` and of this tree, alternated in one run."""
    before_root = extract_ref(before_ref, tmp / "before")
    times: dict[str, list[float]] = {"before": [], "after": []}
    for i in range(repeats):
        for label, root in (("before", before_root), ("after", ROOT)):
            r = region_time(root, data, year)
            times[label].append(r["total"])
            stages = ", ".join(
                f"{k} {v:.1f}" for k, v in sorted(r["stages"].items(), key=lambda kv: -kv[1])[:6]
            )
            print(f"  [{i + 1}] {label:6s} {r['total']:7.1f} с  ({stages}; сбои: {r['failures'] or 'нет'})")
    b, a = statistics.median(times["before"]), statistics.median(times["after"])
    print(f"Региональные расчёты: до ({before_ref}) {b:.1f} с, после {a:.1f} с, после/до = {a / b:.0%}")
    return b, a


def whole_batch_time(code_root: Path, data: Path, year: int, workers: int, out: Path) -> float:
    """Wall time of ``shnro reports`` (no PDF) with the library at ``code_root``, into the empty folder
    ``out`` with its own cache (cold caches: nothing computed before)."""
    import os

    params = next(p for p in (code_root / "shnro_lib" / "parameters", code_root / "parameters") if p.is_dir())
    env = {**os.environ, "PYTHONPATH": str(code_root), "SHNRO_PARAMETERS": str(params)}
    cmd = [sys.executable, "-m", "shnro_lib", "reports", str(data), "--year", str(year), "--out", str(out)]
    cmd += ["--no-pdf", "--workers", str(workers), "--cache-dir", str(out.parent / f"{out.name}-cache")]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=code_root)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"{code_root}: shnro reports failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return wall


def compare_whole_batch(
    before_ref: str, data: Path, year: int, workers: int, tmp: Path
) -> tuple[float, float]:
    """The whole batch (municipal and regional reports, school pages; no PDF) of ``before_ref`` and of
    this tree, one after the other in one run, each from cold caches."""
    before_root = extract_ref(before_ref, tmp / "before-batch")
    b = whole_batch_time(before_root, data, year, workers, tmp / "out-before")
    print(f"  до ({before_ref}): {b:7.1f} с", flush=True)
    a = whole_batch_time(ROOT, data, year, workers, tmp / "out-after")
    print(f"  после:          {a:7.1f} с", flush=True)
    pages = sum(1 for _ in (tmp / "out-after").rglob("*.html"))
    print(
        f"Весь пакет ({workers} процесса, без PDF, холодный кэш): до {b:.1f} с, после {a:.1f} с, "
        f"после/до = {a / b:.0%}; HTML-файлов после: {pages}"
    )
    return b, a


def children_cpu() -> float:
    """CPU seconds (user + system) of this process's finished descendants: workers and their kernels."""
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def warm_batch(data: Path, year: int, munis: list[str], workers: int, tmp: Path) -> tuple[Any, float]:
    """The batch again on its computed cache (``force``): its result and the CPU seconds of its
    workers and their kernels (joblib's idle workers are ended first, so only the batch's count)."""
    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor().shutdown(wait=True)
    cpu0 = children_cpu()
    res = run_batch(
        data,
        year,
        tmp / "batch",
        municipalities=munis,
        workers=workers,
        cache_dir=tmp / "cache",
        progress=False,
        pdf=False,
        force=True,
        school_pages=False,
    )
    assert res.ok, res.summary_ru()
    return res, children_cpu() - cpu0


def kernel_costs() -> tuple[float, float]:
    """Kernel start (papermill API, lean kernel; median of 3) and import time measured inside the kernel."""
    import json
    import logging

    import nbformat
    import papermill as pm

    logging.getLogger("papermill").setLevel(logging.WARNING)  # only the figures on the console

    code_imports = (
        "import time\nt = time.perf_counter()\nfrom shnro_lib import report\n"
        "from shnro_lib.pipeline import compute_region\nimport matplotlib\nmatplotlib.use('Agg')\n"
        "import matplotlib.pyplot\nimport pyarrow\nprint(time.perf_counter() - t)"
    )
    with tempfile.TemporaryDirectory() as d:
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        out = {}
        for label, code in (("start", "1"), ("imports", code_imports)):
            nb.cells = [nbformat.v4.new_code_cell(code)]
            p = Path(d) / "k.ipynb"
            nbformat.write(nb, p)
            ts, inner = [], []
            for _ in range(3):
                t0 = time.perf_counter()
                pm.execute_notebook(
                    str(p),
                    str(Path(d) / "o.ipynb"),
                    progress_bar=False,
                    request_save_on_cell_execute=False,
                    extra_arguments=LEAN_KERNEL_ARGS,
                )
                ts.append(time.perf_counter() - t0)
                if label == "imports":
                    o = json.loads((Path(d) / "o.ipynb").read_text())["cells"][0]["outputs"][0]["text"]
                    inner.append(float("".join(o).strip()))
            out[label] = statistics.median(ts) if label == "start" else statistics.median(inner)
    return out["start"], out["imports"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=None, help="data folder (default: a fresh demo, seed 0)")
    ap.add_argument("--year", type=int, default=2024)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--limit", type=int, default=0, help="only the first N municipalities (0 = all)")
    ap.add_argument(
        "--before",
        default="main",
        help="git ref whose region computation is the baseline ('' = skip the comparison)",
    )
    ap.add_argument("--repeats", type=int, default=1, help="alternated before/after region runs")
    ap.add_argument(
        "--whole-batch-before",
        default="",
        help="git ref: the whole batch (`shnro reports --no-pdf`) of that ref and of this tree, cold caches",
    )
    ap.add_argument("--whole-batch-only", action="store_true", help="only the whole-batch comparison")
    ap.add_argument("--only-region", action="store_true", help="only the before/after region comparison")
    ap.add_argument(
        "--naive", action="store_true", help="also run the naive loop (slow: every notebook computes)"
    )
    args = ap.parse_args()

    from shnro_lib.io import load_dataset
    from shnro_lib.pipeline import load_region

    with tempfile.TemporaryDirectory(prefix="shnro-bench-") as tmp:
        tmp = Path(tmp)
        data = args.data
        if data is None:
            from shnro_lib.demo import generate_demo

            data = generate_demo(tmp / "demo", seed=0).data_dir
        data = Path(data).resolve()
        if args.whole_batch_before:
            compare_whole_batch(args.whole_batch_before, data, args.year, args.workers, tmp)
            if args.whole_batch_only:
                return
        if args.before:
            compare_region(args.before, data, args.year, args.repeats, tmp)
        if args.only_region:
            return
        munis = load_dataset(data).municipalities
        if args.limit:
            munis = munis[: args.limit]
        n = len(munis)
        print(f"Муниципалитетов: {n} (+ региональный отчёт); ядер для пакета: {args.workers}")

        t0 = time.perf_counter()
        res = run_batch(
            data,
            args.year,
            tmp / "batch",
            municipalities=munis,
            workers=args.workers,
            cache_dir=tmp / "cache",
            progress=False,
            pdf=False,
        )
        t_batch = time.perf_counter() - t0
        assert res.ok, res.summary_ru()
        print(
            f"\nПакет, холодный кэш ({args.workers} процесса): {t_batch:6.1f} с "
            f"(региональные расчёты {res.timings['region']:.1f} с, тетради {res.timings['notebooks']:.1f} с, "
            f"сборник и оглавление {t_batch - res.timings['region'] - res.timings['notebooks']:.1f} с)"
        )

        files = [p for p in (tmp / "batch").rglob("*") if p.is_file() and not p.name.startswith(".")]
        size = sum(p.stat().st_size for p in files)
        print(
            f"Папка отчётов: {size / 1e6:.2f} МБ, файлов: {len(files)} "
            f"(школьные страницы {res.timings['school_pages']:.1f} с)"
        )

        mun = [r for r in res.results if r.kind == "municipal"]
        ex = statistics.mean(r.timings.get("execute", 0) for r in mun)
        exp = statistics.mean(r.timings.get("export", 0) for r in mun)
        xl = statistics.mean(r.timings.get("excel", 0) for r in mun)
        k_start, k_imports = kernel_costs()
        entry = next(p for p in (tmp / "cache").iterdir() if (p / "meta.json").exists())
        t1 = time.perf_counter()
        load_region(entry)
        cache_read = time.perf_counter() - t1
        print("\nПредельное время одного муниципального отчёта в пакете (на один процесс):")
        # a worker keeps its kernel: the kernel's start and the imports are paid once per worker
        once = (k_start + k_imports) * min(args.workers, n + 1) / (n + 1)
        print(
            f"  выполнение тетради {ex:.2f} с, из них: запуск ядра ≈{k_start:.2f} с "
            f"и импорты ≈{k_imports:.2f} с "
            f"один раз на процесс (≈{once:.2f} с на отчёт), чтение кэша ≈{cache_read:.2f} с, "
            f"таблицы, рисунки и прочее ≈{max(0.0, ex - once - cache_read):.2f} с"
        )
        print(f"  экспорт в HTML {exp:.2f} с; Excel {xl:.2f} с; итого {ex + exp + xl:.2f} с")
        print(
            f"  при {args.workers} процессах: {(res.timings['notebooks']) / (n + 1):.2f} с на отчёт по стене"
        )
        first, rest = (
            max(r.timings.get("execute", 0) for r in mun),
            statistics.median(r.timings.get("execute", 0) for r in mun),
        )
        print(
            f"  выполнение тетради в первом пакете: медиана {rest:.2f} с, наибольшее {first:.2f} с "
            f"(первая тетрадь процесса запускает ядро)"
        )
        warm, cpu_reports = warm_batch(data, args.year, munis, args.workers, tmp)
        print(
            f"  пакет ещё раз (кэш рассчитан, --force): тетради {warm.timings['notebooks']:.1f} с по стене, "
            f"{warm.timings['notebooks'] / (n + 1):.2f} с на отчёт; процессорное время процессов пакета "
            f"и их ядер {cpu_reports:.1f} с, {cpu_reports / (n + 1):.2f} с на отчёт"
        )
        if args.naive:
            t_naive = naive(data, args.year, munis, tmp / "naive")
            print(
                f"Наивный цикл (papermill + nbconvert, каждая тетрадь считает всё сама): {t_naive:6.1f} с, "
                f"{t_naive / (n + 1):.2f} с на отчёт; пакет быстрее в {t_naive / t_batch:.1f} раза"
            )


if __name__ == "__main__":
    main()
