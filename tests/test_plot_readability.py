"""Charts a reader sees: plain log ticks, horizontal readable labels, legends off the data."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd

from shnro_lib import costs, monitoring
from shnro_lib.monitoring.indicators import GRID_WIDTH_IN
from shnro_lib.plot_ticks import plain_number


def test_plain_number_is_russian():
    assert [plain_number(v) for v in (50, 100, 200, 0.5, 2.5, 1000, -3)] == [
        "50",
        "100",
        "200",
        "0,5",
        "2,5",
        "1\u00a0000",
        "−3",
    ]


def _cost_table() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 40
    spend = rng.uniform(60_000, 400_000, n)
    resid = rng.normal(0, 1, n)
    cheap = spend < np.median(spend)
    quad = [
        ("дешевле" if c else "дороже") + (" лучше " if r > 0 else " хуже ") + "ожидаемого"
        for c, r in zip(cheap, resid, strict=True)
    ]
    return pd.DataFrame(
        {
            "spending_per_pupil": spend,
            "residual": resid,
            "result_index": resid,
            "quadrant": pd.Series(quad, dtype="string"),
        }
    )


def test_cost_quality_axis_plain_and_legend_outside():
    import matplotlib.pyplot as plt

    ax = costs.plot_cost_quality(_cost_table())
    fig = ax.figure
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels() + ax.get_xticklabels(minor=True) if t.get_text()]
    assert labels, "the log axis has labels"
    assert not any("×" in t or "^" in t or "$" in t for t in labels), labels
    assert {"100", "200"} & set(labels)
    renderer = fig.canvas.get_renderer()
    leg = ax.get_legend().get_window_extent(renderer)
    assert not leg.overlaps(ax.get_window_extent(renderer))
    assert min(t.get_fontsize() for t in ax.get_legend().get_texts()) >= 9
    plt.close(fig)


def _grid_table() -> pd.DataFrame:
    rows = []
    names = ["methodical_covered_count", "dynamics_positive_share", "gia_pass_share"]
    for m in ["Регион", "Бокситогорский", "Волосовский", "Всеволожский"]:
        for n in names:
            rows.append(
                {
                    "year": 2023,
                    "municipality": m,
                    "indicator": n,
                    "status": "on_track",
                    "value": 0.5,
                    "unit": "share",
                    "change": 0.1,
                    "direction": "higher_better",
                }
            )
    return pd.DataFrame(rows)


def test_status_grid_readable_at_page_width():
    import matplotlib.pyplot as plt

    cfg_region = monitoring.load_monitoring_config(None).region_label
    t = _grid_table().replace({"municipality": {"Регион": cfg_region}})
    fig = monitoring.plot_status_grid(t, 2023)
    ax = fig.axes[0]
    fig.canvas.draw()
    assert fig.get_size_inches()[0] <= GRID_WIDTH_IN + 1e-9
    heads = ax.get_xticklabels()
    assert all(h.get_rotation() == 0 for h in heads)
    joined = " ".join(h.get_text().replace("\n", " ") for h in heads)
    assert "Метод." not in joined and "Методическая работа" in joined
    sizes = [t.get_fontsize() for t in ax.texts + heads + ax.get_yticklabels()]
    sizes += [t.get_fontsize() for t in ax.get_legend().get_texts()]
    assert min(sizes) >= 9
    renderer = fig.canvas.get_renderer()
    assert not ax.get_legend().get_window_extent(renderer).overlaps(ax.get_window_extent(renderer))
    plt.close(fig)


def test_status_grid_all_indicators_headers_do_not_collide():
    import matplotlib.pyplot as plt

    cfg = monitoring.load_monitoring_config(None)
    names = list(cfg.indicators)
    rows = [
        {
            "year": 2023,
            "municipality": m,
            "indicator": n,
            "status": "at_risk",
            "value": 1.0,
            "unit": "share",
            "change": -0.1,
            "direction": "higher_better",
        }
        for m in [cfg.region_label, "Кировский"]
        for n in names
    ]
    fig = monitoring.plot_status_grid(pd.DataFrame(rows), 2023)
    fig.canvas.draw()
    assert fig.get_size_inches()[0] <= GRID_WIDTH_IN + 1e-9
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in fig.axes[0].get_xticklabels()]
    assert len(boxes) == len(names)
    assert not any(a.overlaps(b) for a, b in zip(boxes, boxes[1:], strict=False))
    plt.close(fig)
