"""Figures of the effects: the estimators side by side (forest plot), the event study and the RDD."""

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
    ax.set_ylabel("Эффект, п. п. от максимума" if unit == "pp" else "Эффект, SD индекса")
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
    ax.set_ylabel("Изменение в первый год, п. п." if unit == "pp" else "Изменение в первый год, SD")
    title = "Разрывная регрессия у порога отбора"
    ax.set_title(("СИНТЕТИЧЕСКИЕ ДАННЫЕ. " + title) if synthetic else title, fontsize=10)
    return ax


def plot_estimates(effects: pd.DataFrame, names: dict[str, str], synthetic: bool = False):
    """Forest plot: every estimator's effect with its 95 % interval, the recommended one marked.

    Parameters
    ----------
    effects : the effects stage's table (``estimator, estimate_pp, ci_low_pp, ci_high_pp, preferred``).
    names : estimator id -> its Russian name (the plot's row labels).
    synthetic : mark the figure as made from synthetic data.

    Returns
    -------
    matplotlib.figure.Figure
        Estimators without an estimate are left out (the table beside the figure says why).
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    from shnro_lib.plot_ticks import plain_number

    rows = effects.dropna(subset=["estimate_pp"]).iloc[::-1]
    preferred = rows["preferred"].astype(str).str.lower().isin(["true", "1"]).to_numpy()
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(rows) + 1.6))
    for y, (r, best) in enumerate(zip(rows.itertuples(), preferred, strict=True)):
        colour = "#0b5394" if best else "0.55"
        ax.errorbar(
            r.estimate_pp,
            y,
            xerr=[[r.estimate_pp - r.ci_low_pp], [r.ci_high_pp - r.estimate_pp]],
            fmt="D" if best else "o",
            color=colour,
            ms=8 if best else 6,
            capsize=3,
            lw=2.2 if best else 1.2,
        )
    ax.axvline(0, color="black", lw=0.8)
    labels = [
        names.get(str(e), str(e)) + (" — рекомендуемая" if best else "")
        for e, best in zip(rows["estimator"], preferred, strict=True)
    ]
    ax.set_yticks(range(len(rows)), labels, fontsize=9)
    for tick, best in zip(ax.get_yticklabels(), preferred, strict=True):
        tick.set_fontweight("bold" if best else "normal")
    ax.set_xlabel("Эффект программы, п. п. (точка — оценка, линия — 95% ДИ)", fontsize=9)
    ax.xaxis.set_major_formatter(FuncFormatter(plain_number))
    title = "Оценки эффекта разными методами"
    ax.set_title(("СИНТЕТИЧЕСКИЕ ДАННЫЕ. " + title) if synthetic else title, fontsize=10)
    fig.tight_layout()
    return fig
