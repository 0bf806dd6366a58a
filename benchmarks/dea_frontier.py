"""Check of the Simar–Wilson DEA bootstrap against a known frontier.

Frontier ``y = sqrt(x)`` (one input, one output; concave, so the VRS hull is consistent), output
inefficiency ``exp(-|N(0, 0.3)|)`` known for every unit.  For each sample size: coverage of the
95 % intervals (pooled over units and data sets), their median width, and the mean error of the DEA
efficiency and of the bias-corrected one.

    PYTHONPATH=. .venv/bin/python benchmarks/dea_frontier.py [--datasets 12] [--reps 100] [--sizes 30 60 120]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from shnro_lib.costs import dea_efficiency


def check(n: int, datasets: int, reps: int, seed: int = 100) -> dict:
    """Pooled coverage, median width and mean errors over ``datasets`` samples of ``n`` units."""
    cover, width, e_dea, e_bc = [], [], [], []
    for r in range(datasets):
        rng = np.random.default_rng(seed + r)
        x = rng.uniform(1, 10, n)
        true = np.exp(-np.abs(rng.normal(0, 0.3, n)))
        e = dea_efficiency(x[:, None], (np.sqrt(x) * true)[:, None], bootstrap_reps=reps, seed=r, n_jobs=1)
        cover.append(((e["efficiency_ci_low"] <= true) & (true <= e["efficiency_ci_high"])).mean())
        width.append(float((e["efficiency_ci_high"] - e["efficiency_ci_low"]).median()))
        e_dea.append(float((e["efficiency"] - true).mean()))
        e_bc.append(float((e["efficiency_bc"] - true).mean()))
    return {
        "n_units": n,
        "datasets": datasets,
        "bootstrap_reps": reps,
        "coverage": float(np.mean(cover)),
        "coverage_min_dataset": float(np.min(cover)),
        "median_width": float(np.median(width)),
        "bias_dea": float(np.mean(e_dea)),
        "bias_bc": float(np.mean(e_bc)),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", type=int, default=12)
    ap.add_argument("--reps", type=int, default=100)
    ap.add_argument("--sizes", type=int, nargs="*", default=[30, 60, 120])
    a = ap.parse_args()
    t0 = time.time()
    rows = [check(n, a.datasets, a.reps) for n in a.sizes]
    with pd.option_context("display.width", 160, "display.float_format", "{:.3f}".format):
        print(pd.DataFrame(rows).to_string(index=False))
    print(f"{time.time() - t0:.0f} с")


if __name__ == "__main__":
    main()
