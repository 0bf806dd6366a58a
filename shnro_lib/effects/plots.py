"""Figures of the effects workbook: the event study and the RDD."""

from __future__ import annotations

import pandas as pd


def plot_event_study(coefs: pd.DataFrame, unit: str = "pp", synthetic: bool = False, ax=None):
    """Event-study coefficients with intervals; selection years (the dip) highlighted."""
    import matplotlib.pyplot as plt

    c = coefs[coefs["unit"] == unit].sort_values("rel_year")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    colors = (
        c["kind"].map({"поддержка": "tab:blue", "годы отбора": "tab:red", "до отбора": "grey"}).fillna("grey")
    )
    ax.axhline(0, color="black", lw=0.8)
    ax.axvline(-0.5, color="grey", ls="--", lw=0.8)
    for (_, r), col in zip(c.iterrows(), colors, strict=True):
        ax.errorbar(
            r["rel_year"],
            r["estimate"],
            yerr=[[r["estimate"] - r["ci_low"]], [r["ci_high"] - r["estimate"]]],
            fmt="o",
            color=col,
            capsize=3,
        )
    ax.set_xlabel("Год относительно начала поддержки")
    ax.set_ylabel("Эффект, п.п. от максимума" if unit == "pp" else "Эффект, SD индекса")
    title = "Событийный анализ (красным — годы отбора: «провал Ашенфельтера»)"
    if synthetic:
        title = "СИНТЕТИЧЕСКИЕ ДАННЫЕ. " + title
    ax.set_title(title, fontsize=10)
    return ax


def plot_rdd(data: pd.DataFrame, unit: str = "pp", synthetic: bool = False, bins: int = 30, ax=None):
    """Binned scatter of the first-year change against the running variable at the cut-off."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    d = data.dropna(subset=[f"dy_{unit}"])
    x = -d["running"]
    q = pd.cut(x, bins)
    b = d.groupby(q, observed=True)[f"dy_{unit}"].mean()
    mids = [iv.mid for iv in b.index]
    ax.scatter(mids, b.to_numpy(), c=["tab:red" if m >= 0 else "tab:blue" for m in mids], s=18)
    ax.axvline(0, color="black", ls="--")
    ax.set_xlabel("Порог отбора − индекс отбора (справа — школы программы)")
    ax.set_ylabel("Изменение в первый год, п.п." if unit == "pp" else "Изменение в первый год, SD")
    title = "Разрывная регрессия у порога отбора"
    ax.set_title(("СИНТЕТИЧЕСКИЕ ДАННЫЕ. " + title) if synthetic else title, fontsize=10)
    return ax
