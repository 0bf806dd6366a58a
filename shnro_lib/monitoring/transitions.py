"""Transitions of schools between categories: matrices, trajectories, the flow figure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from .config import MonitoringSettings, load_monitoring_config
from .panel import _check_ident

# --------------------------------------------------------------------------- transitions


def _wide_categories(ident: pd.DataFrame) -> pd.DataFrame:
    idt = _check_ident(ident)
    return idt.pivot(index="school_id", columns="year", values="category").sort_index(axis=1)


def transition_matrix(
    ident: pd.DataFrame,
    year_from: int,
    year_to: int,
    config: str | Path | Mapping | MonitoringSettings | None = None,
) -> pd.DataFrame:
    """Counts of schools by category in ``year_from`` (rows) and ``year_to`` (columns).

    A school present in only one of the two years falls in the row/column «нет данных».
    """
    cfg = load_monitoring_config(config)
    w = _wide_categories(ident)
    missing = "нет данных"
    a = (
        w[int(year_from)].astype(object).where(w[int(year_from)].notna(), missing)
        if int(year_from) in w
        else None
    )
    b = w[int(year_to)].astype(object).where(w[int(year_to)].notna(), missing) if int(year_to) in w else None
    if a is None or b is None:
        raise ValueError(f"Нет идентификации за {year_from} или {year_to} г.")
    order = list(cfg.category_order)
    seen = set(a) | set(b)
    order += sorted(c for c in seen if c not in order and c != missing)
    rows = [c for c in order if c in set(a)] + ([missing] if missing in set(a) else [])
    cols = [c for c in order if c in set(b)] + ([missing] if missing in set(b) else [])
    m = pd.crosstab(pd.Categorical(a, rows), pd.Categorical(b, cols), dropna=False)
    m.index.name = f"{year_from} \\ {year_to}"
    m.columns.name = None
    m.index = m.index.astype(str)
    m.columns = m.columns.astype(str)
    return m


def transitions_long(ident: pd.DataFrame) -> pd.DataFrame:
    """All year-to-year flows: ``year_from, year_to, category_from, category_to, n``."""
    w = _wide_categories(ident)
    years = list(w.columns)
    parts = []
    for a, b in zip(years[:-1], years[1:], strict=True):
        pair = w[[a, b]].dropna()
        g = pair.groupby([a, b]).size().reset_index(name="n")
        g.columns = ["category_from", "category_to", "n"]
        g.insert(0, "year_to", int(b))
        g.insert(0, "year_from", int(a))
        parts.append(g)
    if not parts:
        return pd.DataFrame(columns=["year_from", "year_to", "category_from", "category_to", "n"])
    return pd.concat(parts, ignore_index=True)


TRAJECTORY_STATUS_RU = {
    "effective": "перешла в эффективный режим",
    "left": "вышла из списка (ожидается подтверждение)",
    "risk_after_list": "вышла из списка, но в зоне риска",
    "risk": "в зоне риска",
    "reentered": "вернулась в список",
    "stayed": "остаётся в списке",
    "entered": "вошла в список впервые",
    "never": "не была в списке",
    "out": "вне списка",
    "unknown": "не оценено: нет идентификации за год",
}
"""The status model of a school's year, in order of precedence: a year that could not be assessed
(«не оценено»); a listed school (остаётся / вернулась / вошла); a school in the risk zone (after the
list or not); a school clear of both — «перешла в эффективный режим» only after ``effective_years``
clear years following the list, «вышла из списка (ожидается подтверждение)» before that."""


def _year_state(category: str | None, listed: set[str], risk: set[str]) -> str | None:
    if category is None:
        return None
    return "listed" if category in listed else ("risk" if category in risk else "clear")


def _unlisted_run(seq: list[tuple[int, str | None]], lst: list[bool | None]) -> tuple[int, int | None]:
    """The current run of identified, unlisted years up to the last year.

    Parameters
    ----------
    seq : list of (int, str or None)
        ``(year, category)`` of one school, in year order (``None``: no identification).
    lst : list of bool or None
        Per year: listed, not listed, or ``None`` (no identification).

    Returns
    -------
    tuple of (int, int or None)
        The length of the run and its first year (``None`` if the run is empty).
    """
    run, left_year = 0, None
    for (y, _), flag in zip(reversed(seq), reversed(lst), strict=True):
        if flag is None or flag:
            break
        run += 1
        left_year = y
    return run, left_year


def _clear_run(states: list[str | None]) -> int:
    """The number of consecutive «clear» years (neither listed nor at risk) up to the last year.

    Parameters
    ----------
    states : list of str or None
        Per year: ``"listed"``, ``"risk"``, ``"clear"`` or ``None`` (see :func:`_year_state`).

    Returns
    -------
    int
        The length of the clear run at the end of ``states``.
    """
    clear_run = 0
    for st in reversed(states):
        if st != "clear":
            break
        clear_run += 1
    return clear_run


def _trajectory_status(
    states: list[str | None], lst: list[bool | None], n_listed: int, run: int, clear_run: int, n_eff: int
) -> str:
    """The status key of a school in its last year (precedence of :data:`TRAJECTORY_STATUS_RU`).

    Parameters
    ----------
    states : list of str or None
        Per year: ``"listed"``, ``"risk"``, ``"clear"`` or ``None``.
    lst : list of bool or None
        Per year: listed, not listed, or ``None`` (no identification).
    n_listed : int
        The number of listed years.
    run : int
        The current run of identified, unlisted years (:func:`_unlisted_run`).
    clear_run : int
        The current run of clear years (:func:`_clear_run`).
    n_eff : int
        Clear years needed for «перешла в эффективный режим».

    Returns
    -------
    str
        A key of :data:`TRAJECTORY_STATUS_RU`.
    """
    last = states[-1]
    prev = lst[-2] if len(lst) > 1 else None
    ever_before = any(f for f in lst[:-1] if f)
    if last is None:
        return "unknown"
    if last == "listed":
        return "stayed" if prev else ("reentered" if ever_before else "entered")
    if last == "risk":
        return "risk_after_list" if n_listed else "risk"
    if not n_listed:
        return "never"
    # clear in the last year; was the school identified every year since it left the list?
    start = len(lst) - run
    before = lst[start - 1] if start >= 1 else None
    if before and clear_run >= n_eff:
        return "effective"
    if before:
        return "left"
    return "out"


def _trajectory_row(
    sid: object, cats: pd.Series, years: list, listed_cats: set[str], risk_cats: set[str], n_eff: int
) -> dict:
    """One school's row of :func:`school_trajectories`.

    Parameters
    ----------
    sid : object
        The school's ``school_id``.
    cats : Series
        The school's category by year (NaN: no identification).
    years : list
        The years of ``cats``, in order.
    listed_cats, risk_cats : set of str
        The categories of the list and of the risk zone.
    n_eff : int
        Clear years needed for «перешла в эффективный режим».

    Returns
    -------
    dict
        The row (columns of :func:`school_trajectories` without ``municipality``).
    """
    seq = [(y, None if pd.isna(c) else str(c)) for y, c in cats.items()]
    states = [_year_state(c, listed_cats, risk_cats) for _, c in seq]
    lst = [None if st is None else st == "listed" for st in states]
    listed_years = [y for (y, _), flag in zip(seq, lst, strict=True) if flag]
    run, left_year = _unlisted_run(seq, lst)
    clear_run = _clear_run(states)
    status = _trajectory_status(states, lst, len(listed_years), run, clear_run, n_eff)
    last = states[-1]
    eff_since = None
    if status == "effective":
        eff_since = years[len(years) - clear_run + n_eff - 1]
    return {
        "school_id": sid,
        "path": " → ".join(f"{y}: {c if c is not None else 'нет данных'}" for y, c in seq),
        "status": status,
        "status_ru": TRAJECTORY_STATUS_RU[status],
        "years_listed": len(listed_years),
        "first_listed": listed_years[0] if listed_years else None,
        "last_listed": listed_years[-1] if listed_years else None,
        "years_out": run,
        "effective_since": eff_since,
        "left_year": left_year if (listed_years and last not in (None, "listed")) else None,
    }


def school_trajectories(
    ident: pd.DataFrame,
    year: int | None = None,
    effective_years: int | None = None,
    config: str | Path | Mapping | MonitoringSettings | None = None,
) -> pd.DataFrame:
    """Each school's path through the list up to ``year`` and its status in that year.

    A school «перешла в эффективный режим» when it was in the list and has been neither listed nor
    in the risk zone for at least ``effective_years`` consecutive data years up to ``year``; a year
    without identification breaks the run (see :data:`TRAJECTORY_STATUS_RU` for the precedence).

    Returns
    -------
    DataFrame: ``school_id, municipality`` (if given), ``path`` (e.g. «2022: ШНРО → 2023: нет»),
    ``status`` (key: effective, left, risk_after_list, risk, reentered, stayed, entered, never, out,
    unknown), ``status_ru``, ``years_listed``, ``first_listed``, ``last_listed``, ``years_out``
    (current run of unlisted years), ``effective_since`` (the year the clear run reached
    ``effective_years``), ``left_year`` (first year out of the current run).
    """
    cfg = load_monitoring_config(config)
    n_eff = int(effective_years if effective_years is not None else cfg.transitions.effective_years)
    if n_eff < 1:
        raise ValueError("effective_years должен быть не меньше 1")
    listed_cats = set(cfg.list_categories)
    risk_cats = set(cfg.risk_categories)
    w = _wide_categories(ident)
    years = [y for y in w.columns if year is None or y <= int(year)]
    if not years:
        raise ValueError("Нет лет идентификации до указанного года")
    w = w[years]
    idt = _check_ident(ident)
    muni = (
        idt.dropna(subset=["municipality"])
        .drop_duplicates("school_id", keep="last")
        .set_index("school_id")["municipality"]
        if "municipality" in idt.columns
        else None
    )
    rows = [_trajectory_row(sid, cats, years, listed_cats, risk_cats, n_eff) for sid, cats in w.iterrows()]
    out = pd.DataFrame(rows)
    for c in ("first_listed", "last_listed", "effective_since", "left_year"):
        out[c] = pd.array(out[c].tolist(), dtype="Int64")
    out["school_id"] = out["school_id"].astype("string")
    if muni is not None:
        out.insert(1, "municipality", out["school_id"].map(muni).astype("string"))
    out.attrs["effective_years"] = n_eff
    out.attrs["year"] = int(years[-1])
    return out


def plot_transitions_flow(
    ident: pd.DataFrame,
    years: Sequence[int] | None = None,
    config: str | Path | Mapping | MonitoringSettings | None = None,
    synthetic: bool = False,
):
    """Alluvial («Sankey-like») flow of schools between categories across years (matplotlib only).

    Each year is a stacked column of categories; a band from one column to the next has the
    width of the number of schools that moved between the two categories.

    Returns
    -------
    matplotlib Figure
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import PathPatch, Rectangle
    from matplotlib.path import Path as MPath

    cfg = load_monitoring_config(config)
    w = _wide_categories(ident)
    ys = [y for y in w.columns if years is None or y in set(int(v) for v in years)]
    w = w[ys]
    order = list(cfg.category_order)
    order += sorted({str(c) for c in pd.unique(w.to_numpy().ravel()) if pd.notna(c)} - set(order))
    palette = {
        "ШНРО и ШНСУ": "#8e2c2c",
        "ШНРО": "#d9534f",
        "ШНСУ": "#f0ad4e",
        "зона риска": "#f7e08b",
        "нет": "#8fbf8f",
    }
    extra = plt.get_cmap("tab10")
    colours = {c: palette.get(c, extra(i % 10)) for i, c in enumerate(order)}
    gap = 0.02 * max(1, len(w))
    bar_w = 0.18
    fig, ax = plt.subplots(figsize=(max(6.0, 2.2 * len(ys)), 5.5))
    # column positions (bottom of each category block)
    blocks: dict[tuple[int, str], list[float]] = {}
    for x, y in enumerate(ys):
        counts = w[y].value_counts()
        bottom = 0.0
        for c in order:
            n = int(counts.get(c, 0))
            if n == 0:
                continue
            blocks[(y, c)] = [bottom, bottom + n]
            ax.add_patch(
                Rectangle((x - bar_w / 2, bottom), bar_w, n, facecolor=colours[c], edgecolor="white")
            )
            if n >= 0.03 * len(w):
                ax.text(x, bottom + n / 2, f"{c}\n{n}", ha="center", va="center", fontsize=7)
            bottom += n + gap
    for x, (a, b) in enumerate(zip(ys[:-1], ys[1:], strict=True)):
        pair = w[[a, b]].dropna()
        flows = pair.groupby([a, b]).size()
        out_pos = {c: blocks[(a, c)][0] for c in order if (a, c) in blocks}
        in_pos = {c: blocks[(b, c)][0] for c in order if (b, c) in blocks}
        for ca in order:
            for cb in order:
                n = int(flows.get((ca, cb), 0))
                if n == 0:
                    continue
                y0, y1 = out_pos[ca], in_pos[cb]
                out_pos[ca] += n
                in_pos[cb] += n
                x0, x1 = x + bar_w / 2, x + 1 - bar_w / 2
                xm = (x0 + x1) / 2
                verts = [
                    (x0, y0),
                    (xm, y0),
                    (xm, y1),
                    (x1, y1),
                    (x1, y1 + n),
                    (xm, y1 + n),
                    (xm, y0 + n),
                    (x0, y0 + n),
                    (x0, y0),
                ]
                codes = [
                    MPath.MOVETO,
                    MPath.CURVE4,
                    MPath.CURVE4,
                    MPath.CURVE4,
                    MPath.LINETO,
                    MPath.CURVE4,
                    MPath.CURVE4,
                    MPath.CURVE4,
                    MPath.CLOSEPOLY,
                ]
                ax.add_patch(
                    PathPatch(
                        MPath(verts, codes),
                        facecolor=colours[ca],
                        alpha=0.35 if ca != cb else 0.2,
                        edgecolor="none",
                    )
                )
    ax.set_xlim(-0.5, len(ys) - 0.5)
    total = max((v[1] for v in blocks.values()), default=1.0)
    ax.set_ylim(total * 1.02, -total * 0.02)
    ax.set_xticks(range(len(ys)))
    ax.set_xticklabels([str(y) for y in ys])
    ax.set_yticks([])
    for s in ("left", "right", "top"):
        ax.spines[s].set_visible(False)
    title = "Переходы школ между категориями по годам (число школ)"
    if synthetic:
        title = "СИНТЕТИЧЕСКИЕ ДАННЫЕ. " + title
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig
