"""Golden figures: the demo's categories, indices, estimator table and other stage results stay
the same through refactoring.  An intended change rewrites ``tests/golden/demo_2024`` with
``python tests/golden/pinned.py`` and the CSV diff is reviewed with the change."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "golden"))
from pinned import GOLDEN_DIR, PINNED, compute_tables, pinned_table  # noqa: E402


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return compute_tables()


@pytest.mark.slow
@pytest.mark.parametrize("stage", sorted(PINNED))
def test_stage_figures_unchanged(tables: dict[str, pd.DataFrame], stage: str) -> None:
    expected = pd.read_csv(GOLDEN_DIR / f"{stage}.csv", dtype=str, keep_default_na=False)
    actual = pinned_table(tables, stage)
    actual = pd.read_csv(
        __import__("io").StringIO(actual.to_csv(index=False)), dtype=str, keep_default_na=False
    )
    assert list(actual.columns) == list(expected.columns)
    assert len(actual) == len(expected), f"{stage}: {len(actual)} rows, golden {len(expected)}"
    for col in expected.columns:
        exp_num = pd.to_numeric(expected[col].replace("", np.nan), errors="coerce")
        act_num = pd.to_numeric(actual[col].replace("", np.nan), errors="coerce")
        if exp_num.notna().sum() == (expected[col] != "").sum() and (expected[col] != "").any():
            same = np.isclose(act_num, exp_num, atol=1e-5, equal_nan=True)
        else:
            same = (actual[col] == expected[col]).to_numpy()
        bad = np.flatnonzero(~same)
        assert bad.size == 0, (
            f"{stage}.{col}: {bad.size} values differ, first rows "
            f"{[(expected.iloc[i, 0], expected[col].iloc[i], actual[col].iloc[i]) for i in bad[:3]]}"
        )
