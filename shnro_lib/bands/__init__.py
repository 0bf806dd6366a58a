"""Five verbal bands for an estimate with its interval («значительно ниже» … «значительно выше»).

The band is decided by the 95 % interval, not the point: a school is «ниже» only when the whole
interval lies below the reference, and «значительно ниже» when it lies below the reference minus
``strong`` (in the estimate's units).  An interval that covers the reference is «на уровне», so a
small school with a wide interval is never called low by chance.  Colours are the Okabe–Ito
colourblind-safe pair (blue above, vermilion below) in two strengths, grey for «на уровне».
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BANDS_RU = ("значительно ниже", "ниже", "на уровне", "выше", "значительно выше")
NOT_ASSESSED_RU = "не оценено: нет интервала"
BAND_COLOURS = {
    "значительно ниже": "#D55E00",
    "ниже": "#F0B69A",
    "на уровне": "#D9D9D9",
    "выше": "#9CC9E6",
    "значительно выше": "#0072B2",
}
BAND_MEANING_RU = {
    "значительно ниже": "весь 95-процентный интервал ниже ориентира больше чем на заданный порог",
    "ниже": "весь интервал ниже ориентира",
    "на уровне": "интервал включает ориентир: отличие может быть случайным",
    "выше": "весь интервал выше ориентира",
    "значительно выше": "весь интервал выше ориентира больше чем на заданный порог",
}


def interval_band(low: pd.Series, high: pd.Series, strong: float, reference: float = 0.0) -> pd.Series:
    """The band of each interval ``[low, high]`` around ``reference`` («не оценено» without an interval).

    Parameters
    ----------
    low, high : the interval's bounds (aligned Series).
    strong : how far beyond the reference the whole interval must lie for «значительно …» (> 0).
    reference : the value the estimate is compared with (0: the region's mean, or the expected result).
    """
    if strong <= 0:
        raise ValueError("порог «значительно» должен быть больше нуля")
    lo = pd.to_numeric(low, errors="coerce").astype(float).to_numpy()
    hi = pd.to_numeric(high, errors="coerce").astype(float).to_numpy()
    band = np.select(
        [hi < reference - strong, hi < reference, lo > reference + strong, lo > reference],
        [BANDS_RU[0], BANDS_RU[1], BANDS_RU[4], BANDS_RU[3]],
        BANDS_RU[2],
    ).astype(object)
    band[~(np.isfinite(lo) & np.isfinite(hi))] = NOT_ASSESSED_RU
    return pd.Series(band, index=low.index, dtype="string")


def estimate_band(estimate: pd.Series, se: pd.Series, strong: float, reference: float = 0.0) -> pd.Series:
    """The band of ``estimate ± 1.96 se`` (see :func:`interval_band`)."""
    e = pd.to_numeric(estimate, errors="coerce").astype(float)
    s = pd.to_numeric(se, errors="coerce").astype(float)
    return interval_band(e - 1.96 * s, e + 1.96 * s, strong, reference)


def band_legend_ru(strong: float, reference_ru: str = "ожидаемого") -> str:
    """One sentence saying what each band means, with the threshold in words."""
    t = f"{strong:g}".replace(".", ",")
    return (
        f"Полосы решены по 95-процентному интервалу, а не по точке: «выше» / «ниже» — весь интервал выше / "
        f"ниже {reference_ru}; «значительно выше» / «значительно ниже» — дальше чем на {t} SD; «на уровне» — "
        "интервал включает ориентир, отличие может быть случайным."
    )
