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
"""

from __future__ import annotations

import argparse
import json
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--sizes", type=int, nargs="*", default=[1, 4, 16], help="multiples of a region (350 schools)"
    )
    ap.add_argument("--national", action="store_true", help="also run ~40 000 schools")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(run_size(args.child, args.workdir)))
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
        f"{'школ':>7} {'строк':>9} {'этап':<16} {'время, с':>9} {'с/1000 школ':>12} {'пик ОЗУ, МиБ':>13}  статус"
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
            "\nРост времени при росте данных (отношение к наименьшему размеру; линейный рост = отношение размеров):"
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
