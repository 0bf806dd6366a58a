"""Cost of each stage as the data grow from one region to the whole country.

Prints wall time and peak memory of each stage (load + validation, indicators,
identification, clustering) at 1x, 4x and 16x a region's size (350 schools per
region), and optionally at the national size (~40 000 schools), so the growth
of cost with size is visible.  Each size runs in a fresh process so that memory
figures do not leak between sizes.  СИНТЕТИЧЕСКИЕ ДАННЫЕ.

Usage::

    .venv/bin/python benchmarks/national.py                 # 1x, 4x, 16x
    .venv/bin/python benchmarks/national.py --national      # ... and 40 000 schools
    .venv/bin/python benchmarks/national.py --sizes 1 4     # chosen multiples
    # the ``shnro identify`` command itself (default sheets: sensitivity and stability included),
    # wall time and peak RSS, on the national demo, beside the code of another git revision:
    .venv/bin/python benchmarks/national.py --identify --data /tmp/national --before main
    .venv/bin/python benchmarks/national.py --identify --scale region --before HEAD~1
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REGION_SCHOOLS = 350


class PeakRSS:
    """Sample the process RSS in a thread; report the peak above the level at start (MiB)."""

    def __init__(self, interval: float = 0.05) -> None:
        import psutil

        self._proc = psutil.Process()
        self._interval = interval
        self._stop = threading.Event()
        self.start_mib = self.peak_mib = self._proc.memory_info().rss / 2**20

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_mib = max(self.peak_mib, self._proc.memory_info().rss / 2**20)
            time.sleep(self._interval)

    def __enter__(self) -> PeakRSS:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mib = max(self.peak_mib, self._proc.memory_info().rss / 2**20)


def run_size(n_schools: int, workdir: Path) -> dict:
    """Generate, then time each stage, in this process."""
    from shnro_lib.demo.national import generate_national

    out: dict = {"n_schools": n_schools}
    data_dir = workdir / f"n{n_schools}"
    n_munis = max(18, round(n_schools / REGION_SCHOOLS * 18 * 0.9))
    n_regions = max(1, round(n_schools / 470))
    t0 = time.perf_counter()
    gen = generate_national(
        data_dir, seed=0, n_schools=n_schools, n_regions=n_regions, n_municipalities=n_munis
    )
    out["generate_s"] = time.perf_counter() - t0
    out["result_rows"] = gen.n_result_rows

    stages = []

    def stage(name, fn):
        with PeakRSS() as mem:
            t = time.perf_counter()
            try:
                value = fn()
                status = "ok"
            except Exception as exc:  # a missing stage is reported, not fatal for the benchmark
                value, status = None, f"{type(exc).__name__}: {exc}"[:120]
            elapsed = time.perf_counter() - t
        stages.append(
            {
                "stage": name,
                "seconds": elapsed,
                "peak_mib_above_start": mem.peak_mib - mem.start_mib,
                "rss_mib": mem.peak_mib,
                "status": status,
            }
        )
        return value

    from shnro_lib.io import load_dataset

    ds = stage("load+validate", lambda: load_dataset(data_dir))
    year = max(ds.years)

    def indicators():
        from shnro_lib.indicators import school_result_index, standardised_results, window_years

        z = standardised_results(ds.results)
        return school_result_index(ds.results, years=window_years(ds.years, year), standardised=z)

    stage("indicators", indicators)

    def identification():
        from shnro_lib.identify import identify_schools

        return identify_schools(ds, year, rules="lo_2018")

    stage("identification", identification)

    def clustering():
        from shnro_lib.context import cluster_schools

        return cluster_schools(ds, year)

    stage("clustering", clustering)
    out["stages"] = stages
    return out


REPO = Path(__file__).resolve().parent.parent


def time_identify(data_dir: Path, out: Path, code: Path, year: int) -> dict:
    """Wall time and peak RSS of ``shnro identify`` (default sheets) run with the package at ``code``.

    The command runs in its own process; its peak resident set is the kernel's ``ru_maxrss`` of
    that process (``os.wait4``), so nothing is sampled and nothing is missed between samples.
    Its output goes to files beside ``out`` (a pipe left unread could block it).
    """
    env = {**os.environ, "PYTHONPATH": str(code)}
    cmd = [
        sys.executable,
        "-m",
        "shnro_lib",
        "identify",
        str(data_dir),
        "--year",
        str(year),
        "--out",
        str(out),
    ]
    log_out, log_err = out.with_suffix(".stdout.txt"), out.with_suffix(".stderr.txt")
    with log_out.open("w") as fo, log_err.open("w") as fe:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=code, stdout=fo, stderr=fe, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
    proc.returncode = rc = os.waitstatus_to_exitcode(status)
    stdout, stderr = log_out.read_text(), log_err.read_text()
    if rc not in (0, 3):
        raise RuntimeError(f"shnro identify failed ({rc}): {stderr[-1500:]}")
    return {
        "seconds": wall,
        "peak_mib": usage.ru_maxrss / 1024,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "headline": next((ln for ln in stdout.splitlines() if "Итог" in ln), ""),
    }


def _last_year(data_dir: Path) -> int:
    import pandas as pd

    res = data_dir / "results.parquet"
    if res.exists():
        return int(pd.read_parquet(res, columns=["year"])["year"].max())
    sys.path.insert(0, str(REPO))
    from shnro_lib.io import load_dataset

    return int(max(load_dataset(data_dir).years))


def identify_benchmark(args: argparse.Namespace) -> None:
    """``shnro identify`` on the national (or the region) demo, this tree and optionally ``--before``."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = args.data
        if data is None or not (data / "dataset.yaml").exists():
            data = data or tmp / f"demo_{args.scale}"
            print(f"... генерация демо ({args.scale}) в {data}", file=sys.stderr, flush=True)
            subprocess.run(
                [sys.executable, "-m", "shnro_lib", "demo-data", "--scale", args.scale, str(data)],
                env={**os.environ, "PYTHONPATH": str(REPO)},
                cwd=REPO,
                check=True,
                stdout=subprocess.DEVNULL,
            )
        year = args.year or _last_year(data)
        trees = []
        if args.before:
            old = tmp / "before"
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "add", "--detach", str(old), args.before],
                check=True,
                capture_output=True,
            )
            trees.append((f"до ({args.before})", old))
        trees.append(("после (это дерево)", REPO))
        rows = []
        try:
            for label, code in trees:
                print(f"... shnro identify: {label}", file=sys.stderr, flush=True)
                out = tmp / f"identify_{len(rows)}.xlsx"
                rows.append((label, time_identify(data, out, code, year)))
        finally:
            if args.before:
                subprocess.run(
                    ["git", "-C", str(REPO), "worktree", "remove", "--force", str(tmp / "before")],
                    check=False,
                    capture_output=True,
                )
                shutil.rmtree(tmp / "before", ignore_errors=True)
    print(f"shnro identify {data} --year {year} (листы по умолчанию), {os.cpu_count()} ядра")
    print(f"{'код':<28} {'время, с':>9} {'ЦП, с':>8} {'пик ОЗУ, МиБ':>13}")
    for label, r in rows:
        print(f"{label:<28} {r['seconds']:>9.1f} {r['cpu_s']:>8.1f} {r['peak_mib']:>13.0f}")
    if len({r["headline"] for _, r in rows}) > 1:
        print("ВНИМАНИЕ: итоги различаются:", *[r["headline"] for _, r in rows], sep="\n  ")
    elif rows:
        print(rows[-1][1]["headline"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--sizes", type=int, nargs="*", default=[1, 4, 16], help="multiples of a region (350 schools)"
    )
    ap.add_argument("--national", action="store_true", help="also run ~40 000 schools")
    ap.add_argument(
        "--identify",
        action="store_true",
        help="time the `shnro identify` command (default sheets) instead of the stages",
    )
    ap.add_argument("--scale", choices=["national", "region"], default="national", help="demo for --identify")
    ap.add_argument("--data", type=Path, help="an existing data set for --identify (generated otherwise)")
    ap.add_argument("--year", type=int, help="identification year for --identify (the last one by default)")
    ap.add_argument("--before", help="git revision to time beside this tree with --identify (e.g. main)")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(run_size(args.child, args.workdir)))
        return
    if args.identify:
        identify_benchmark(args)
        return
    sizes = [REGION_SCHOOLS * k for k in args.sizes] + ([40000] if args.national else [])
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            print(f"... {n} школ", file=sys.stderr, flush=True)
            r = subprocess.run(
                [sys.executable, __file__, "--child", str(n), "--workdir", tmp],
                capture_output=True,
                text=True,
            )
            if r.returncode != 0:
                print(r.stderr[-2000:], file=sys.stderr)
                continue
            rows.append(json.loads(r.stdout.strip().splitlines()[-1]))
    print(
        f"{'школ':>7} {'строк':>9} {'этап':<16} {'время, с':>9} "
        f"{'с/1000 школ':>12} {'пик ОЗУ, МиБ':>13}  статус"
    )
    base: dict[str, float] = {}
    for r in rows:
        for s in r["stages"]:
            per_k = s["seconds"] / r["n_schools"] * 1000
            base.setdefault(s["stage"], per_k)
            print(
                f"{r['n_schools']:>7} {r['result_rows']:>9} {s['stage']:<16} {s['seconds']:>9.2f} "
                f"{per_k:>12.3f} {s['rss_mib']:>13.0f}  {s['status']}"
            )
    if len(rows) > 1:
        print(
            "\nРост времени при росте данных "
            "(отношение к наименьшему размеру; линейный рост = отношение размеров):"
        )
        first = rows[0]
        for r in rows[1:]:
            ratio_n = r["n_schools"] / first["n_schools"]
            parts = []
            for s0, s in zip(first["stages"], r["stages"], strict=True):
                if s0["seconds"] > 0:
                    parts.append(f"{s['stage']} ×{s['seconds'] / s0['seconds']:.1f}")
            print(f"  размер ×{ratio_n:.0f}: " + ", ".join(parts))


if __name__ == "__main__":
    main()
