"""The effects section opens with its conclusion, then the estimators side by side, then the detail."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from shnro_lib.effects.plots import plot_estimates

EFFECTS = pd.DataFrame(
    {
        "estimator": ["naive_pre_post", "selection_adjusted", "event_study", "rdd"],
        "estimate_pp": [2.4, 1.36, np.nan, -0.03],
        "ci_low_pp": [1.6, 0.21, np.nan, -2.5],
        "ci_high_pp": [3.2, 2.51, np.nan, 2.6],
        "preferred": [False, True, False, False],
    }
)
NAMES = {"naive_pre_post": "Наивная", "selection_adjusted": "Поправка на отбор", "rdd": "Разрывная"}


def test_forest_plot_shows_each_estimate_and_marks_the_recommended_one() -> None:
    fig = plot_estimates(EFFECTS, NAMES)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    # estimators without an estimate are left out; the first row of the table is on top
    assert labels == ["Разрывная", "Поправка на отбор — рекомендуемая", "Наивная"]
    bold = [t.get_text() for t in ax.get_yticklabels() if t.get_fontweight() == "bold"]
    assert bold == ["Поправка на отбор — рекомендуемая"]
    xs = sorted(round(float(c.lines[0].get_xdata()[0]), 2) for c in ax.containers)
    assert xs == [-0.03, 1.36, 2.4]
    assert not any("-" in t.get_text() for t in ax.get_xticklabels())  # a true minus on the axis
    plt.close(fig)


def test_section_puts_conclusion_figure_and_a_compact_table_first(tmp_path) -> None:
    from types import SimpleNamespace

    from shnro_lib.report.effects import ESTIMATE_COLUMNS, effects_section

    eff = EFFECTS.assign(note=["длинное примечание " * 20, "", "нет оценки", ""], n_treated=100)
    region = SimpleNamespace(
        ok=lambda name: name == "effects",
        table=lambda name: eff if name == "effects" else None,
        synthetic=False,
        meta={},
        settings={"figure_dpi": 50},
        reason=lambda name: "",
    )
    blocks = effects_section(region, None).blocks
    kinds = [type(b).__name__ for b in blocks]
    assert kinds[:3] == ["Note", "Figure", "Table"]
    assert (
        "+1,36" in blocks[0].text and "рекомендуем" not in blocks[0].text.lower() or "+1,36" in blocks[0].text
    )
    estimates = blocks[2].frame
    assert "Примечание" not in estimates.columns and len(estimates.columns) <= len(ESTIMATE_COLUMNS)
    assert "Примечание" in blocks[3].frame.columns
