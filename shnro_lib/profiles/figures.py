"""The small trend figure of a school page.

Drawing a new matplotlib figure per school costs most of a page's time, so
:class:`TrendPlot` builds one figure (object API, no pyplot state) and only updates its
artists' data for each school; the image is an SVG with text kept as text (small, sharp in print),
embedded as a ``data:`` URI, so the page stays self-contained.  The legend is the figure caption
on the page (a legend is the slowest artist to lay out).
"""

from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd

SYNTHETIC_MARK = "СИНТЕТИЧЕСКИЕ ДАННЫЕ"
COLOURS = {"school": "#1f5f99", "region": "#5b6776", "expected": "#c0392b"}


class TrendPlot:
    """A reusable figure: result index by year with its interval band, the regional mean and the expected
    result.

    Parameters
    ----------
    size : (width, height) in inches.
    z : the interval's normal quantile (1.96 for 95 %).
    synthetic : mark the figure «СИНТЕТИЧЕСКИЕ ДАННЫЕ».
    """

    def __init__(self, size: tuple[float, float], z: float, synthetic: bool = False) -> None:
        from matplotlib.figure import Figure

        self.z = float(z)
        self.fig = Figure(figsize=size)
        # fixed margins instead of bbox_inches="tight": one draw per image instead of two
        self.fig.subplots_adjust(left=0.11, right=0.98, top=0.95, bottom=0.14)
        ax = self.fig.add_subplot(1, 1, 1)
        ax.spines["top"].set_visible(False)
        ax.spines["right"].set_visible(False)
        ax.tick_params(labelsize=8)
        ax.set_ylabel("индекс, SD", fontsize=8)
        ax.axhline(0.0, color=COLOURS["region"], linewidth=0.8, linestyle=":")
        (self.line,) = ax.plot([], [], marker="o", color=COLOURS["school"], linewidth=1.6)
        (self.expected,) = ax.plot([], [], color=COLOURS["expected"], linewidth=1.2, linestyle="--")
        # the interval band is one polygon whose vertices are replaced per school (cheaper than fill_between)
        (self.band,) = ax.fill([0, 1], [0, 0], color=COLOURS["school"], alpha=0.18, linewidth=0)
        self.ax = ax
        if synthetic:
            self.fig.text(
                0.995, 0.005, SYNTHETIC_MARK, ha="right", va="bottom", fontsize=6, color="#b00020", alpha=0.8
            )

    def draw(self, trend: pd.DataFrame | None, expected: float, year: int) -> bool:
        """Update the figure for one school; False when there is no year to draw.

        ``trend``: the school's rows of the school facts (``year, year_result_index,
        year_result_index_se``).
        """
        if trend is None or not len(trend) or trend["year_result_index"].notna().sum() == 0:
            return False
        t = trend.dropna(subset=["year_result_index"]).sort_values("year")
        x = t["year"].astype(int).to_numpy()
        y = t["year_result_index"].astype(float).to_numpy()
        se = t["year_result_index_se"].astype(float).fillna(0.0).to_numpy()
        lo, hi = y - self.z * se, y + self.z * se
        self.band.set_xy(np.column_stack([np.concatenate([x, x[::-1]]), np.concatenate([lo, hi[::-1]])]))
        self.line.set_data(x, y)
        ok = expected is not None and np.isfinite(expected)
        self.expected.set_data(
            ([x.min(), max(int(year), int(x.max()))], [expected, expected]) if ok else ([], [])
        )
        vals = np.concatenate([lo, hi, [0.0], [expected] if ok else []])
        pad = max(0.1, 0.08 * float(np.ptp(vals)))
        self.ax.set_ylim(float(vals.min()) - pad, float(vals.max()) + pad)
        self.ax.set_xlim(float(x.min()) - 0.3, float(max(x.max(), year)) + 0.3)
        self.ax.set_xticks(x, [str(v) for v in x])
        return True

    def data_uri(self) -> str:
        """The current figure as ``data:image/svg+xml;base64,…`` (deterministic: fixed hash salt, no date)."""
        import matplotlib

        buf = io.BytesIO()
        with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "shnro"}):
            self.fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
        return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def trend_data_uri(plot: TrendPlot, trend: pd.DataFrame | None, expected: float, year: int) -> str:
    """The school's trend image as a data URI, or ``""`` when there is nothing to draw."""
    return plot.data_uri() if plot.draw(trend, expected, year) else ""
