"""What the golden-figures test pins: the demo's headline figures per analysis stage.

Run ``python tests/golden/pinned.py`` to rewrite ``tests/golden/demo_2024/*.csv`` after an
*intended* change of the figures; the diff of those CSVs is the review of that change.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

GOLDEN_DIR = Path(__file__).resolve().parent / "demo_2024"
YEAR = 2024
RULES = "lo_2018"

# stage -> (sort key, columns pinned); floats are rounded to DIGITS places
PINNED: dict[str, tuple[list[str], list[str]]] = {
    "identify": (
        ["school_id"],
        [
            "school_id",
            "category",
            "result_index",
            "result_index_se",
            "shrunken_index",
            "p_bottom_quartile",
            "social_wellbeing_index",
            "staff_index",
            "resources_index",
        ],
    ),
    "identification_changes": (["school_id"], ["school_id", "category", "category_prev", "change"]),
    "context": (
        ["school_id"],
        ["school_id", "cluster", "expected_result", "residual", "residual_se", "resilient", "context_status"],
    ),
    "similar": (["school_id", "rank"], ["school_id", "similar_id", "rank", "distance"]),
    "effects": (
        ["estimator"],
        ["estimator", "estimate_pp", "ci_low_pp", "ci_high_pp", "n_treated", "n_control", "preferred"],
    ),
    "costs": (
        ["school_id"],
        [
            "school_id",
            "efficiency",
            "efficiency_bc",
            "efficiency_ci_low",
            "efficiency_ci_high",
            "residual",
            "quadrant",
        ],
    ),
    "partners": (["school_id"], ["school_id", "leader_id", "category"]),
    "monitoring": (
        ["indicator", "level", "municipality", "year"],
        ["indicator", "level", "municipality", "year", "value", "target", "status"],
    ),
    "trajectories": (["school_id"], ["school_id", "path", "status"]),
}
DIGITS = 6


def pinned_table(tables: dict[str, pd.DataFrame], stage: str) -> pd.DataFrame:
    """The pinned columns of one stage table, sorted by its key, floats rounded."""
    keys, cols = PINNED[stage]
    df = tables[stage][cols].copy()
    for c in df.columns:
        if pd.api.types.is_float_dtype(df[c]):
            df[c] = df[c].round(DIGITS)
    df["__key"] = df[keys].astype(str).agg("|".join, axis=1)
    return df.sort_values("__key", kind="mergesort").drop(columns="__key").reset_index(drop=True)


def compute_tables() -> dict[str, pd.DataFrame]:
    """The demo's region results for the pinned year and rules (no cache)."""
    from shnro_lib.io import load_dataset
    from shnro_lib.pipeline import compute_from_dataset

    root = Path(__file__).resolve().parents[2]
    region = compute_from_dataset(load_dataset(root / "data" / "demo"), YEAR, RULES)
    if region.failures:
        raise RuntimeError(f"stages failed: {region.failures}")
    return region.tables


def main() -> int:
    tables = compute_tables()
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    for stage in PINNED:
        pinned_table(tables, stage).to_csv(GOLDEN_DIR / f"{stage}.csv", index=False)
    print(f"rewrote {len(PINNED)} tables in {GOLDEN_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
