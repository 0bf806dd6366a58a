"""A result on its own scale: share of the scale's range and the weight of a result row.

Every analysis that puts a mean score on a common scale goes through :func:`pct_of_range`:
``(mean - min) / (max - min) * 100`` with ``min_score`` 0 where the data set does not give it
(the usual ЕГЭ/ОГЭ/ВПР scales start at 0; a scaled score such as 600–840 does not).  A row's
weight is its number of participants where the source gives it; where it does not, every
result counts equally (:func:`result_weight`) and no count is invented.

>>> import pandas as pd
>>> r = pd.DataFrame({"mean_score": [720.0, 30.0], "max_score": [840.0, 100.0], "min_score": [600.0, None]})
>>> pct_of_range(r).round(1).tolist()
[50.0, 30.0]
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    if name in df.columns:
        return pd.to_numeric(df[name], errors="coerce").astype(float)
    return pd.Series(np.nan, index=df.index, dtype=float)


def scale_min(df: pd.DataFrame) -> pd.Series:
    """The lower end of each row's scale: ``min_score`` where given, else 0."""
    return _col(df, "min_score").fillna(0.0)


def pct_of_range(df: pd.DataFrame) -> pd.Series:
    """Mean score as percent of the scale's range, ``(mean - min) / (max - min) * 100``.

    Parameters
    ----------
    df : rows with ``mean_score``, ``max_score`` and optionally ``min_score``.

    Returns
    -------
    Series of float, NaN where the score is missing or the range is not positive.
    """
    lo, hi = scale_min(df), _col(df, "max_score")
    span = (hi - lo).where(hi - lo > 0)
    return (_col(df, "mean_score") - lo) / span * 100.0


def has_scale(df: pd.DataFrame) -> pd.Series:
    """True where a row has a score and a scale of positive range."""
    return pct_of_range(df).notna()


def counts_known(df: pd.DataFrame) -> pd.Series:
    """True where a row's number of participants is given."""
    return _col(df, "participants").notna()


def sat(df: pd.DataFrame) -> pd.Series:
    """True where a row may carry a result: participants above 0, or not given at all."""
    n = _col(df, "participants")
    return (n > 0) | n.isna()


def result_weight(df: pd.DataFrame) -> pd.Series:
    """The weight of each result row: its participants, 1 where the count is not given."""
    return _col(df, "participants").fillna(1.0)


def any_counts(df: pd.DataFrame) -> bool:
    """True when at least one row gives its number of participants."""
    return bool(counts_known(df).any())
