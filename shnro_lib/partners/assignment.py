"""Optimal assignment of schools to leaders with capacities (:func:`scipy.optimize.linear_sum_assignment`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment


def optimal_assignment(
    cost: np.ndarray, capacity: int | Sequence[int] = 1, unpaired_cost: Sequence[float] | None = None
) -> np.ndarray:
    """Assign rows (schools) to columns (leaders) with at most ``capacity[j]`` rows per column.

    Parameters
    ----------
    cost : (n_schools, n_leaders) finite costs.
    capacity : one capacity for all leaders or one per leader.
    unpaired_cost : per school, the cost of leaving it unpaired; used only when the schools
        outnumber the places (then exactly ``n_schools − places`` schools are left unpaired and
        the sum of pair costs plus their ``unpaired_cost`` is minimised). Default 0.

    Returns
    -------
    numpy.ndarray
        int array of length n_schools: the leader's column, or -1 when unpaired.
    """
    c = np.asarray(cost, float)
    n, m = c.shape
    caps = np.full(m, int(capacity)) if np.ndim(capacity) == 0 else np.asarray(capacity, int)
    if len(caps) != m:
        raise ValueError("capacity: нужно по одному значению на каждую школу-лидера")
    if not np.isfinite(c).all():
        raise ValueError("В матрице стоимостей есть пропуски или бесконечности")
    out = np.full(n, -1, dtype=int)
    slot_owner = np.repeat(np.arange(m), np.maximum(caps, 0))
    if n == 0 or len(slot_owner) == 0:
        return out
    big = c[:, slot_owner]
    n_dummy = max(0, n - len(slot_owner))
    if n_dummy:
        uc = np.zeros(n) if unpaired_cost is None else np.asarray(unpaired_cost, float)
        big = np.hstack([big, np.repeat(uc[:, None], n_dummy, axis=1)])
    rows, cols = linear_sum_assignment(big)
    for r, k in zip(rows, cols, strict=True):
        if k < len(slot_owner):
            out[r] = slot_owner[k]
    return out
