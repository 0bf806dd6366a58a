"""Five verbal bands decided by the interval, not the point."""

from __future__ import annotations

import pandas as pd
import pytest

from shnro_lib.bands import BANDS_RU, NOT_ASSESSED_RU, band_legend_ru, estimate_band, interval_band


def test_bands_follow_the_interval_not_the_point() -> None:
    low = pd.Series([-1.6, -0.6, -0.9, 0.1, 0.7, None])
    high = pd.Series([-0.8, -0.1, 0.3, 0.4, 1.2, 0.5])
    assert interval_band(low, high, strong=0.5).tolist() == [
        "значительно ниже",
        "ниже",
        "на уровне",
        "выше",
        "значительно выше",
        NOT_ASSESSED_RU,
    ]


def test_a_small_school_with_a_low_point_but_a_wide_interval_is_not_called_low() -> None:
    est, se = pd.Series([-0.7, -0.7]), pd.Series([0.5, 0.05])  # same point, a small and a big school
    assert estimate_band(est, se, strong=0.5).tolist() == ["на уровне", "значительно ниже"]


def test_threshold_must_be_positive_and_the_legend_says_it() -> None:
    with pytest.raises(ValueError):
        interval_band(pd.Series([0.0]), pd.Series([1.0]), strong=0)
    assert "0,5 SD" in band_legend_ru(0.5)


def test_context_table_bands_agree_with_its_intervals(small_demo) -> None:
    from shnro_lib.context import context_table

    ctx = context_table(small_demo, 2024)
    assessed = ctx[ctx["residual_ci_low"].notna()]
    assert set(assessed["residual_band"]) <= set(BANDS_RU) and assessed["residual_band"].nunique() >= 3
    below = assessed[assessed["residual_band"].isin(BANDS_RU[:2])]
    assert (below["residual_ci_high"] < 0).all()
    level = assessed[assessed["residual_band"] == "на уровне"]
    assert ((level["residual_ci_low"] <= 0) & (level["residual_ci_high"] >= 0)).all()
    assert (ctx.loc[ctx["residual_ci_low"].isna(), "residual_band"] == NOT_ASSESSED_RU).all()
