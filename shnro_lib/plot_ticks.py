"""Plain, Russian-formatted tick labels for the library's charts.

Matplotlib's log axis labels ticks as «10²», «2×10²»; a reader of the reports expects «50», «100»,
«200» with a decimal comma. These helpers only set formatters/locators on an existing axis.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def plain_number(value: float, _pos: Any = None) -> str:
    """A tick value as plain Russian text: «0,5», «50», «1 000» (true minus for negatives).

    Parameters
    ----------
    value : float
        Tick value.

    Returns
    -------
    str
        The label; integers without decimals, otherwise up to two significant decimals.
    """
    if value is None or not np.isfinite(value):
        return ""
    if abs(value - round(value)) < 1e-9 * max(1.0, abs(value)):
        text = f"{round(value):,}".replace(",", "\u00a0")
    else:
        text = f"{value:.2g}" if abs(value) < 1 else f"{value:.1f}"
        text = text.rstrip("0").rstrip(".").replace(".", ",")
    return text.replace("-", "−")


def plain_log_axis(axis: Any) -> None:
    """Label a log-scaled matplotlib axis (``ax.xaxis`` / ``ax.yaxis``) with plain numbers.

    Major ticks at 1, 2, 5 × 10^k; minor ticks unlabelled.

    Parameters
    ----------
    axis : matplotlib.axis.Axis
        A log-scaled axis.
    """
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(plain_number))
    axis.set_minor_formatter(NullFormatter())
