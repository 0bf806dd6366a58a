"""The country's batch on a Dask cluster: a measured sample on ``LocalCluster`` and the projection.

1. The region computation of the national data set once (one machine: it is not spread), cached.
2. The batch of a sample of municipalities (their municipal reports and their schools' pages) on a
   ``distributed.LocalCluster`` of ``--workers`` processes, one thread each, from that cache:
   the wall time per report and the pages per second of the pool.
3. The projection to N machines of the same size: region + the country's reports and pages spread
   over N × workers processes; the arithmetic is printed.

    .venv/bin/shnro demo-data /tmp/national --scale national
    .venv/bin/python benchmarks/cluster.py --data /tmp/national --sample 12

СИНТЕТИЧЕСКИЕ ДАННЫЕ (the national demo).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--data", type=Path, required=True, help="national data folder (shnro demo-data --scale national)"
    )
    ap.add_argument("--year", type=int, default=2024)
    ap.add_argument("--workers", type=int, default=2, help="processes of the LocalCluster (one machine)")
    ap.add_argument("--sample", type=int, default=12, help="municipalities in the measured sample")
    ap.add_argument("--machines", type=int, nargs="*", default=[1, 4, 16, 64])
    args = ap.parse_args()

    from distributed import Client, LocalCluster

    from shnro_lib.batch import run_batch
    from shnro_lib.pipeline import compute_region

    with tempfile.TemporaryDirectory(prefix="shnro-cluster-") as tmp:
        tmp = Path(tmp)
        cache = tmp / "cache"
        t0 = time.perf_counter()
        region = compute_region(args.data, args.year, cache_dir=cache)
        t_region = time.perf_counter() - t0
        munis = region.municipalities
        ident = region.table("identify")
        n_schools = len(ident) if ident is not None else None
        sample = munis[:: max(1, len(munis) // args.sample)][: args.sample]
        print(f"Муниципалитетов {len(munis)}, школ {n_schools}; региональные расчёты {t_region:.1f} с")

        with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True) as cluster:
            with Client(cluster) as client:
                t1 = time.perf_counter()
                res = run_batch(
                    args.data,
                    args.year,
                    tmp / "out",
                    municipalities=sample,
                    executor=client,
                    cache_dir=cache,
                    progress=False,
                    pdf=False,
                    regional=False,
                )
                wall = time.perf_counter() - t1
        assert res.ok, res.summary_ru()
        pages = sum(1 for _ in (tmp / "out" / "schools").rglob("*.html"))
        per_report = res.timings["notebooks"] / len(sample)
        pages_per_s = pages / res.timings["school_pages"] if res.timings["school_pages"] else float("nan")
        print(
            f"Выборка на LocalCluster ({args.workers} процесса): {len(sample)} отчётов и {pages} страниц "
            f"школ за {wall:.1f} с; тетради {res.timings['notebooks']:.1f} с ({per_report:.2f} с на отчёт "
            f"по стене), страницы {res.timings['school_pages']:.1f} с ({pages_per_s:.0f} в секунду)"
        )
        # one machine's pool does per_report seconds of wall per report: a report costs
        # per_report × workers process-seconds, a page workers / pages_per_s
        report_cost = per_report * args.workers
        page_cost = args.workers / pages_per_s
        total_pages = n_schools or pages * len(munis) / len(sample)
        work = len(munis) * report_cost + total_pages * page_cost
        print(
            f"Работа страны: {len(munis)} отчётов × {report_cost:.2f} с + {total_pages:.0f} страниц × "
            f"{page_cost * 1000:.1f} мс = {work:.0f} с процессорного времени процессов пакета"
        )
        for n in args.machines:
            t = t_region + work / (n * args.workers)
            print(
                f"  {n:3d} машин × {args.workers} процесса: {t_region:.0f} + {work:.0f} / {n * args.workers} "
                f"= {t:.0f} с ({t / 60:.1f} мин)"
            )


if __name__ == "__main__":
    main()
