"""Benchmark: the region computation of a big region, stage by stage, before and after a change.

Makes a synthetic region with ``shnro demo-data --municipalities N --schools M`` (this tree's
generator, default 130 municipalities and 2 400 schools, as a big real data set is), then runs
``compute_region`` without cache on it with the code at ``--before`` (a git ref, default ``main``,
extracted with ``git archive`` into a temporary folder) and with this tree, each in a fresh
interpreter, alternated ``--repeats`` times in one run so both see the same machine load.

    .venv/bin/python benchmarks/big_region.py                          # 130 / 2 400, before = main
    .venv/bin/python benchmarks/big_region.py --municipalities 40 --schools 1200 --before HEAD~3
    .venv/bin/python benchmarks/big_region.py --before ''              # this tree only

Prints the time of every stage (loading, identification, sensitivity, context, effects,
costs, partners, ...) of each tree side by side, the totals and their ratio.  СИНТЕТИЧЕСКИЕ ДАННЫЕ.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

REGION_CODE = """
import json, sys, time
from shnro_lib.pipeline import compute_region
t = time.perf_counter()
r = compute_region(sys.argv[1], int(sys.argv[2]), cache_dir=None)
print(json.dumps({"total": time.perf_counter() - t, "stages": r.meta["timings"], \
"failures": sorted(r.failures)}))
"""


def make_region(out: Path, n_municipalities: int, n_schools: int, seed: int) -> float:
    """Write the big synthetic region with this tree's ``shnro demo-data``; returns the seconds it took."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "shnro_lib",
            "demo-data",
            str(out),
            "--seed",
            str(seed),
            "--municipalities",
            str(n_municipalities),
            "--schools",
            str(n_schools),
        ],
        check=True,
        capture_output=True,
        env=env,
        cwd=ROOT,
    )
    return time.perf_counter() - t0


def extract_ref(ref: str, target: Path) -> Path:
    """The tree of a git ref (``git archive``), without touching the repository's worktrees."""
    target.mkdir(parents=True, exist_ok=True)
    arch = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=arch, check=True)
    return target


def region_time(code_root: Path, data: Path, year: int) -> dict:
    """Total and per-stage seconds of one uncached region computation with the library at ``code_root``."""
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


def stage_table(runs: dict[str, list[dict]]) -> str:
    """Median seconds of every stage, one column per tree, stages in the order of the pipeline."""
    labels = list(runs)
    stages: list[str] = []
    for label in labels:
        for r in runs[label]:
            stages += [s for s in r["stages"] if s not in stages]
    lines = [f"{'этап':24s}" + "".join(f"{label:>12s}" for label in labels)]
    for s in stages:
        cells = [statistics.median(r["stages"].get(s, float("nan")) for r in runs[label]) for label in labels]
        lines.append(f"{s:24s}" + "".join(f"{c:12.2f}" for c in cells))
    totals = [statistics.median(r["total"] for r in runs[label]) for label in labels]
    lines.append(f"{'всего':24s}" + "".join(f"{t:12.2f}" for t in totals))
    if len(totals) == 2:
        lines.append(f"после/до = {totals[1] / totals[0]:.0%}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--municipalities", type=int, default=130)
    ap.add_argument("--schools", type=int, default=2400)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--year", type=int, default=2024)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--before", default="main", help="git ref of the baseline ('' = this tree only)")
    ap.add_argument("--data", type=Path, default=None, help="an existing data folder instead of a new region")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="shnro_big_") as tmp_s:
        tmp = Path(tmp_s)
        data = args.data
        if data is None:
            data = tmp / "big"
            took = make_region(data, args.municipalities, args.schools, args.seed)
            print(
                f"Регион: {args.municipalities} муниципалитетов, {args.schools} школ (синтетические), "
                f"создан за {took:.1f} с"
            )
        trees = {"после": ROOT}
        if args.before:
            trees = {f"до ({args.before})": extract_ref(args.before, tmp / "before"), **trees}
        runs: dict[str, list[dict]] = {label: [] for label in trees}
        for i in range(args.repeats):
            for label, root in trees.items():
                r = region_time(root, data, args.year)
                runs[label].append(r)
                print(
                    f"  [{i + 1}] {label}: {r['total']:.1f} с; сбои: {', '.join(r['failures']) or 'нет'}",
                    flush=True,
                )
        print(stage_table(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
