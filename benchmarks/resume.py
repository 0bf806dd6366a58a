"""Benchmark: a full report batch beside a batch interrupted half-way and resumed; stop latencies.

All runs use the same warm region cache (computed first, timed separately), so the figures
compare notebook work only.  In one run, side by side:

1. full batch into ``full/``;
2. batch into ``resumed/`` stopped by SIGINT to its process group (a terminal's Ctrl+C) once
   half of the reports are recorded in the manifest — the stop latency is measured;
   then the same command again: its time, and how many reports were reused and built;
3. stop latency of SIGTERM to the main process;
4. SIGKILL of the main process: time until every worker and kernel has exited.

    .venv/bin/python benchmarks/resume.py                 # data/demo, all municipalities
    .venv/bin/python benchmarks/resume.py --limit 6       # a quicker run on 6 municipalities
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shnro_lib.batch.manifest import Manifest  # noqa: E402


def command(data: Path, year: int, out: Path, cache: Path, munis: list[str], workers: int) -> list[str]:
    cmd = [
        sys.executable,
        "-m",
        "shnro_lib",
        "reports",
        str(data),
        "--year",
        str(year),
        "--out",
        str(out),
        "--cache-dir",
        str(cache),
        "--workers",
        str(workers),
        "--no-pdf",
    ]
    for m in munis:
        cmd += ["--municipality", m]
    return cmd


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def timed(cmd: list[str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env(), check=True)
    return time.perf_counter() - t0, r.stdout


def reports_done(out: Path) -> int:
    return sum(k.endswith(".html") for k in Manifest.load(out).outputs)


def start_and_wait(cmd: list[str], out: Path, done: int) -> tuple[subprocess.Popen, set[int]]:
    """Start a batch in its own process group; wait until ``done`` reports are recorded and a kernel runs."""
    p = subprocess.Popen(
        cmd, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env()
    )
    main = psutil.Process(p.pid)
    while p.poll() is None:
        try:
            kids = main.children(recursive=True)
            if reports_done(out) >= done and any("ipykernel" in " ".join(k.cmdline()) for k in kids):
                return p, {k.pid for k in kids}
        except psutil.Error:
            pass
        time.sleep(0.05)
    raise RuntimeError("the batch ended before it could be interrupted: " + p.communicate()[1][-2000:])


def stop(p: subprocess.Popen, how: signal.Signals, group: bool) -> float:
    t0 = time.perf_counter()
    (os.killpg if group else os.kill)(p.pid, how)
    p.communicate(timeout=120)
    return time.perf_counter() - t0


def dead(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(ROOT / "data" / "demo"))
    ap.add_argument("--year", type=int, default=2024)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--limit", type=int, default=0, help="only the first N municipalities")
    a = ap.parse_args()

    from shnro_lib.io import load_dataset
    from shnro_lib.pipeline import compute_region

    data = Path(a.data).resolve()
    munis = load_dataset(data).municipalities
    munis = munis[: a.limit] if a.limit else munis
    n = len(munis) + 1  # and the regional report
    with tempfile.TemporaryDirectory(prefix="shnro-resume-") as d:
        root = Path(d)
        cache = root / "cache"
        t0 = time.perf_counter()
        compute_region(data, a.year, "lo_2018", cache_dir=cache)
        t_region = time.perf_counter() - t0

        t_full, _ = timed(command(data, a.year, root / "full", cache, munis, a.workers))

        cmd = command(data, a.year, root / "resumed", cache, munis, a.workers)
        t0 = time.perf_counter()
        p, _ = start_and_wait(cmd, root / "resumed", done=n // 2)
        t_before = time.perf_counter() - t0
        lat_int = stop(p, signal.SIGINT, group=True)
        rc_int = p.returncode
        finished = reports_done(root / "resumed")
        t_resume, out = timed(cmd)
        reused = re.search(r"построено: (\d+), взято готовыми из прошлого запуска: (\d+)", out)

        p, _ = start_and_wait(command(data, a.year, root / "term", cache, munis, a.workers), root / "term", 0)
        lat_term = stop(p, signal.SIGTERM, group=False)
        rc_term = p.returncode

        p, family = start_and_wait(
            command(data, a.year, root / "kill", cache, munis, a.workers), root / "kill", 0
        )
        t0 = time.perf_counter()
        p.kill()
        p.communicate()
        while not all(dead(x) for x in family) and time.perf_counter() - t0 < 30:
            time.sleep(0.02)
        t_orphans = time.perf_counter() - t0

    print(
        f"data: {data}, {len(munis)} municipal reports + regional, {a.workers} workers, "
        f"cpu count {os.cpu_count()}"
    )
    print(f"region computation (once, cached for all runs)  {t_region:7.1f} s")
    print(f"full batch                                      {t_full:7.1f} s")
    print(
        f"interrupted run: SIGINT after                   {t_before:7.1f} s ({finished} of {n} reports done)"
    )
    print(
        f"resumed batch (same command)                    {t_resume:7.1f} s "
        f"(built {reused.group(1)}, reused {reused.group(2)})"
        if reused
        else f"resumed: {out}"
    )
    print(f"interrupted + resumed                           {t_before + lat_int + t_resume:7.1f} s")
    print(f"stop latency SIGINT to the process group        {lat_int:7.2f} s (exit {rc_int})")
    print(f"stop latency SIGTERM to the main process        {lat_term:7.2f} s (exit {rc_term})")
    print(f"SIGKILL of the main process: workers and kernels gone after {t_orphans:.2f} s")


if __name__ == "__main__":
    main()
