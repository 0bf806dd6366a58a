"""The generic indicator engine, target trajectories and status, the status grid."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shnro_lib.identify.stability import identification_panel
from shnro_lib.settings import parse_settings

from .config import STATUS_COLOURS, STATUS_KEYS, IndicatorSpec, MonitoringSettings, load_monitoring_config
from .panel import build_panel
from .text import known_schools, no_schools_text, numerator_is_flag, tables_missing_text, with_reader_text

GRID_WIDTH_IN = 10.5  # width of the report page at the figure dpi, inches
GRID_FONT_PT = 9

# --------------------------------------------------------------------------- engine


def _eval(df: pd.DataFrame, expr: Any) -> pd.Series:
    if isinstance(expr, (int, float)):
        return pd.Series(float(expr), index=df.index)
    if str(expr) in df.columns:
        return df[str(expr)].astype(float)
    try:
        out = df.eval(str(expr), engine="python")
    except Exception as exc:  # noqa: BLE001 - a user formula: report it in Russian
        raise ValueError(f"Формула показателя «{expr}» не вычисляется: {exc}") from exc
    return pd.Series(out, index=df.index).astype(float)


def _filtered(panel: pd.DataFrame, spec: IndicatorSpec) -> pd.DataFrame:
    df = panel
    for col, allowed in (spec.filter or {}).items():
        if col not in df.columns:
            raise ValueError(f"Фильтр показателя: в панели нет столбца «{col}»")
        vals = allowed if isinstance(allowed, (list, tuple)) else [allowed]
        df = df[df[col].isin(list(vals))]
    return df


def evaluate_indicator(
    panel: pd.DataFrame, spec: IndicatorSpec | Mapping, by: Sequence[str] = ("year",)
) -> pd.DataFrame:
    """Evaluate one indicator spec on a panel, grouped by ``by``.

    ``spec`` is an indicator of the settings, or a mapping with its keys (validated here).

    Returns
    -------
    DataFrame with the ``by`` columns and ``value, numerator, denominator, n_schools`` (school-years
    passing the filter) and ``n_used`` (of those, with the data the formula needs).
    Aggregations: ``count`` — schools whose numerator is true / non-zero (all filtered schools if
    no numerator) and, if given, the ``where`` condition holds; ``sum``; ``mean`` (numerator = sum,
    denominator = number of schools with data);
    ``ratio`` — Σ numerator / Σ denominator over the schools with both known. For aggregations
    other than ``count`` the ``where`` condition selects the schools.
    """
    by = list(by)
    if not isinstance(spec, IndicatorSpec):
        spec = parse_settings(IndicatorSpec, spec, "monitoring.yaml: показатель")
    agg = spec.aggregation
    df = _filtered(panel, spec)
    where = (_eval(df, spec.where).fillna(0) != 0) if spec.where else None
    if where is not None and agg != "count":
        df = df[where]
    num = _eval(df, spec.numerator) if spec.numerator is not None else pd.Series(1.0, index=df.index)
    if where is not None and agg == "count":
        # a count with a condition: schools outside the condition count as 0, not as missing
        num = num * where.astype(float)
    den = _eval(df, spec.denominator) if agg == "ratio" else pd.Series(1.0, index=df.index)
    used = num.notna() & den.notna()
    frame = df[by].copy()
    frame["num"] = num.where(used)
    frame["den"] = den.where(used)
    frame["n_used"] = used.astype(int)
    frame["n_schools"] = 1
    if agg == "count":
        frame["num"] = (frame["num"].fillna(0) != 0).astype(float).where(used)
    g = frame.groupby(by, sort=True, dropna=False).agg(
        numerator=("num", "sum"),
        denominator=("den", "sum"),
        n_used=("n_used", "sum"),
        n_schools=("n_schools", "sum"),
    )
    g = g.reset_index()
    if agg == "count" or agg == "sum":
        g["value"] = g["numerator"]
        g["denominator"] = np.nan
    elif agg == "mean":
        g["denominator"] = g["n_used"].astype(float)
        g["value"] = g["numerator"] / g["denominator"]
    else:
        g["value"] = g["numerator"] / g["denominator"]
    nodata = g["n_used"] == 0
    g.loc[nodata, ["value", "numerator", "denominator"]] = np.nan
    g["value"] = g["value"].replace([np.inf, -np.inf], np.nan)
    return g[[*by, "value", "numerator", "denominator", "n_schools", "n_used"]]


def target_value(target: Mapping | None, year: int, municipality: str | None = None) -> float:
    """The target of ``year`` on a linear trajectory (NaN before its first point; the last value holds
    after)."""
    if not target:
        return float("nan")
    bym = target.get("by_municipality") or {}
    if municipality is not None and municipality in bym:
        target = {**target, **bym[municipality]}
    pts = sorted((int(k), float(v)) for k, v in (target.get("trajectory") or {}).items())
    if not pts or year < pts[0][0]:
        return float("nan")
    xs, ys = zip(*pts, strict=True)
    return float(np.interp(year, xs, ys))


def target_status(value: float, target: float, direction: str, tolerance: float) -> str:
    """``on_track`` (target met), ``at_risk`` (missed by at most ``tolerance``), ``off_track``,
    ``no_target`` (NaN target) or ``no_data`` (NaN value)."""
    if value is None or pd.isna(value):
        return "no_data"
    if target is None or pd.isna(target):
        return "no_target"
    shortfall = (target - value) if direction == "higher_better" else (value - target)
    if shortfall <= 1e-12:
        return "on_track"
    if shortfall <= float(tolerance) + 1e-12:
        return "at_risk"
    return "off_track"


def targets_from_facts(facts: Any) -> dict[str, dict] | None:
    """The monitoring targets of a data set's ``dataset.yaml`` (:class:`~shnro_lib.io.facts.DatasetFacts`).

    Returns ``{indicator: {trajectory, tolerance, by_municipality}}`` or None when the data set
    states no targets (then every status says «цель не задана в dataset.yaml»).
    """
    mon = getattr(facts, "monitoring", None)
    if mon is None or not (mon.targets or mon.by_municipality):
        return None
    out: dict[str, dict] = {}
    for name, t in sorted(mon.targets.items()):
        out[name] = {"trajectory": dict(t.trajectory), "tolerance": t.tolerance, "by_municipality": {}}
    for muni, per in sorted(mon.by_municipality.items()):
        for name, t in sorted(per.items()):
            entry = out.setdefault(name, {"trajectory": {}, "tolerance": t.tolerance, "by_municipality": {}})
            entry["by_municipality"][muni] = {"trajectory": dict(t.trajectory)}
    return out


def evaluate_indicators(
    panel: pd.DataFrame,
    config: str | Path | Mapping | MonitoringSettings | None = None,
    indicators: Sequence[str] | None = None,
    targets: Mapping[str, Mapping] | None = None,
) -> pd.DataFrame:
    """Every indicator, by year for the region and for each municipality, with change, target and status.

    ``targets`` — the data set's targets (:func:`targets_from_facts`); without them (None) no
    status is judged and ``status_ru`` says the target is not given in ``dataset.yaml``.
    An indicator with ``min_coverage`` is «—» («не оценено», with the counts) where fewer than that
    share of its school-years have the data it needs — never 0.

    Returns
    -------
    Long DataFrame: ``indicator, section, title_ru, unit, direction, municipality`` (the region
    row carries ``region_label``), ``level`` (``регион``/``муниципалитет``), ``year, value,
    numerator, denominator, n_schools, n_used, change`` (against the previous data year),
    ``target, status`` (key) ``status_ru``, ``note`` and the reader's texts ``value_ru`` (with the
    number of schools behind a small share) and ``target_ru`` (:mod:`.text`).  Where no school passes
    an indicator's filter although the schools' categories are known, a count is 0 and a share is
    ``no_schools`` («в муниципалитете нет школ ШНСУ»), not «нет данных».
    """
    cfg = load_monitoring_config(config)
    specs = cfg.indicators
    names = list(indicators) if indicators is not None else list(specs)
    tables = set(panel.attrs.get("tables", ["results", "process", "programme", "staff"]))
    years = sorted(panel["year"].unique().tolist()) if len(panel) else []
    munis = sorted(panel["municipality"].dropna().unique().tolist())
    region = str(cfg.region_label)
    labels = cfg.status_labels.model_dump()
    parts = []
    for name in names:
        if name not in specs:
            raise ValueError(f"Неизвестный показатель мониторинга «{name}»")
        spec = specs[name]
        lacking = [t for t in (spec.requires or []) if t not in tables]
        grid_r = pd.DataFrame({"year": years})
        grid_m = pd.MultiIndex.from_product([years, munis], names=["year", "municipality"]).to_frame(
            index=False
        )
        if lacking:
            empty = dict(value=np.nan, numerator=np.nan, denominator=np.nan, n_schools=0, n_used=0, n_known=0)
            reg, mun = grid_r.assign(**empty), grid_m.assign(**empty)
            note = tables_missing_text(lacking)
        else:
            reg = grid_r.merge(evaluate_indicator(panel, spec, ["year"]), on="year", how="left")
            reg = reg.merge(known_schools(panel, spec, ["year"]), on="year", how="left")
            by_m = ["year", "municipality"]
            mun = grid_m.merge(evaluate_indicator(panel, spec, by_m), on=by_m, how="left")
            mun = mun.merge(known_schools(panel, spec, by_m), on=by_m, how="left")
            note = ""
        reg["municipality"] = region
        reg["level"] = "регион"
        mun["level"] = "муниципалитет"
        both = pd.concat([reg, mun], ignore_index=True)
        both[["n_schools", "n_used", "n_known"]] = (
            both[["n_schools", "n_used", "n_known"]].fillna(0).astype(int)
        )
        both = both.sort_values(["municipality", "year"], kind="stable")
        # no school passes the filter although the schools' categories are known: a true 0 for a count,
        # «нет школ …» for a share — never «нет данных»
        none = (both["n_schools"] == 0) & (both["n_known"] > 0)
        counted = spec.aggregation in ("count", "sum")
        if counted:
            both.loc[none, ["value", "numerator"]] = 0.0
        min_cov = spec.min_coverage
        thin = pd.Series(False, index=both.index)
        if min_cov is not None and not lacking:
            thin = (both["n_schools"] > 0) & (both["n_used"] < float(min_cov) * both["n_schools"])
            both.loc[thin, ["value", "numerator", "denominator"]] = np.nan
        both["change"] = both.groupby("municipality", sort=False)["value"].diff()
        tgt = (targets or {}).get(name)
        direction = spec.direction
        tol = float((tgt or {}).get("tolerance") or 0.0)
        both["target"] = [
            target_value(tgt, int(y), None if m == region else m)
            for y, m in zip(both["year"], both["municipality"], strict=True)
        ]
        both["status"] = [
            target_status(v, t, direction, tol) for v, t in zip(both["value"], both["target"], strict=True)
        ]
        # a target cannot be met or missed where there is no school to count
        both.loc[none, "status"] = "no_schools"
        status_ru = {**labels, "no_target": labels["no_target"] if tgt else labels["no_target_facts"]}
        if not tgt:  # no value and no target: both said
            status_ru["no_data"] = f"{labels['no_data']}; {labels['no_target_facts']}"
        both["status_ru"] = both["status"].map(status_ru)
        both.loc[thin, "status_ru"] = labels["not_assessed"]
        both["note"] = np.where((both["n_used"] == 0) & (note == ""), "нет данных для расчёта", note)
        nobody = [no_schools_text(spec, lv) for lv in both.loc[none, "level"]]
        both.loc[none, "note"] = nobody
        both.loc[none, "status_ru"] = nobody
        both.loc[thin & (both["n_used"] > 0), "note"] = [
            f"не оценено: данные есть только у {u} из {n} школ (нужно не менее {float(min_cov):.0%})"
            for u, n in zip(
                both.loc[thin & (both["n_used"] > 0), "n_used"],
                both.loc[thin & (both["n_used"] > 0), "n_schools"],
                strict=True,
            )
        ]
        both.insert(0, "indicator", name)
        both.insert(1, "section", str(spec.section))
        both.insert(2, "title_ru", spec.title_ru)
        both.insert(3, "unit", spec.unit)
        both.insert(4, "direction", direction)
        parts.append(both)
    cols = [
        "indicator",
        "section",
        "title_ru",
        "unit",
        "direction",
        "level",
        "municipality",
        "year",
        "value",
        "numerator",
        "denominator",
        "n_schools",
        "n_used",
        "change",
        "target",
        "status",
        "status_ru",
        "note",
    ]
    if not parts:
        return pd.DataFrame(columns=[*cols, "value_ru", "target_ru"])
    out = pd.concat(parts, ignore_index=True)[cols]
    out["year"] = out["year"].astype("Int64")
    # whether a column is a yes/no does not depend on the filter (which may name a table that is absent)
    flags = {n: numerator_is_flag(panel, specs[n]) for n in names}
    out = with_reader_text(out, flags, {n for n in names if (targets or {}).get(n)}, cfg.share_n_below)
    return out.reset_index(drop=True)


def monitoring_wide(table: pd.DataFrame, municipality: str | None = None) -> pd.DataFrame:
    """Indicators × years (values) for one municipality (default: the region rows)."""
    sub = (
        table[table["level"] == "регион"]
        if municipality is None
        else table[table["municipality"] == municipality]
    )
    order = list(dict.fromkeys(sub["indicator"]))
    wide = sub.pivot(index="indicator", columns="year", values="value").reindex(order)
    wide.columns = [str(c) for c in wide.columns]
    titles = sub.drop_duplicates("indicator").set_index("indicator")["title_ru"]
    wide.insert(0, "title_ru", titles.reindex(order).to_numpy())
    return wide.reset_index()


def monitoring_table(
    dataset,
    year: int,
    municipality: str | None = None,
    ident: pd.DataFrame | None = None,
    config: str | Path | Mapping | MonitoringSettings | None = None,
    rules: str | Path | dict = "lo_2018",
) -> pd.DataFrame:
    """Monitoring indicators for every data year up to ``year`` (the report calls this).

    Parameters
    ----------
    dataset : loaded data set.
    year : last year of the table.
    municipality : keep only this municipality's rows (and the region rows for comparison).
    ident : identification per school-year; default: :func:`identification_panel` with ``rules``.
    """
    years = [y for y in dataset.years if y <= int(year)]
    if ident is None:
        ident = identification_panel(dataset, years, rules)
    else:
        ident = ident[ident["year"].astype(int).isin(years)]
    panel = build_panel(dataset, ident, config)
    table = evaluate_indicators(panel, config, targets=targets_from_facts(getattr(dataset, "facts", None)))
    if municipality is not None:
        table = table[(table["municipality"] == municipality) | (table["level"] == "регион")]
    return table.reset_index(drop=True)


# --------------------------------------------------------------------------- status grid


def _fmt_value(v: float, unit: str) -> str:
    if v is None or pd.isna(v):
        return "—"
    if unit == "share":
        return f"{v * 100:.0f} %"
    if unit == "count":
        return f"{v:.0f}"
    return f"{v:.2f}".replace(".", ",")


def _arrow(change: float, direction: str) -> str:
    if change is None or pd.isna(change) or abs(change) < 1e-12:
        return ""
    better = (change > 0) == (direction == "higher_better")
    return (" ▲" if change > 0 else " ▼") + ("" if better else "!")


def _wrap_header(text: str, width: int) -> str:
    """Wrap a column header to ``width`` characters, hyphenating words that are longer."""
    words = []
    for w in text.replace("-", "- ").split():
        while len(w) > width + 1:
            words.append(w[: width - 1] + "-")
            w = w[width - 1 :]
        words.append(w)
    return textwrap.fill(" ".join(words), width=width, break_long_words=False, break_on_hyphens=False)


def plot_status_grid(
    table: pd.DataFrame,
    year: int,
    indicators: Sequence[str] | None = None,
    config: str | Path | Mapping | MonitoringSettings | None = None,
    synthetic: bool = False,
):
    """Colour grid municipality × indicator for ``year`` (like the California School Dashboard).

    Colour = status against the target trajectory (green «в графике», amber «риск», red
    «отставание», grey — no target, white — no data); the cell text is the value and an arrow of
    change against the previous year («!» after the arrow marks a change for the worse).

    Returns
    -------
    matplotlib Figure
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch, Rectangle

    cfg = load_monitoring_config(config)
    labels = cfg.status_labels.model_dump()
    sub = table[table["year"] == int(year)]
    names = list(indicators) if indicators is not None else list(dict.fromkeys(sub["indicator"]))
    region = str(cfg.region_label)
    munis = [region] + sorted(m for m in sub["municipality"].dropna().unique() if m != region)
    cell = sub.set_index(["municipality", "indicator"])
    short = {n: (s.short_ru or n) if (s := cfg.indicators.get(n)) else n for n in names}
    # the report page shows about 10,5 inches at the figure's dpi: keep within it so that 9 pt stays 9 pt
    name_w = 2.4
    col_w = min(1.3, (GRID_WIDTH_IN - name_w) / max(1, len(names)))
    headers = [_wrap_header(str(short[n]), max(6, int(col_w * 12))) for n in names]
    head_lines = max((h.count("\n") + 1 for h in headers), default=1)
    fig_w = name_w + col_w * len(names)
    fig_h = 0.32 * len(munis) + 0.17 * head_lines + 1.6
    fig, ax = plt.subplots(figsize=(fig_w, fig_h))
    for i, m in enumerate(munis):
        for j, n in enumerate(names):
            if (m, n) in cell.index:
                row = cell.loc[(m, n)]
                status = row["status"]
                # the reader's text (a small share with its number of schools); «нет школ» for a share
                # over no school, the legend saying what that means
                shown = row["value_ru"] if "value_ru" in row.index else _fmt_value(row["value"], row["unit"])
                text = shown + _arrow(row["change"], row["direction"])
            else:
                status, text = "no_data", "—"
            ax.add_patch(
                Rectangle(
                    (j, i),
                    1,
                    1,
                    facecolor=STATUS_COLOURS.get(status, "#ffffff"),
                    edgecolor="#999999",
                    linewidth=0.6,
                )
            )
            ax.text(
                j + 0.5,
                i + 0.5,
                text,
                ha="center",
                va="center",
                fontsize=GRID_FONT_PT,
                fontweight="bold" if m == region else "normal",
            )
    ax.set_xlim(0, len(names))
    ax.set_ylim(len(munis), 0)
    ax.xaxis.tick_top()
    ax.set_xticks(np.arange(len(names)) + 0.5)
    ax.set_xticklabels(headers, rotation=0, ha="center", va="bottom", fontsize=GRID_FONT_PT)
    ax.set_yticks(np.arange(len(munis)) + 0.5)
    ax.set_yticklabels(munis, fontsize=GRID_FONT_PT)
    ax.tick_params(length=0)
    for s in ax.spines.values():
        s.set_visible(False)
    title = f"Мониторинг ШНРО/ШНСУ: статус показателей относительно целей, {year} г."
    if synthetic:
        title = "СИНТЕТИЧЕСКИЕ ДАННЫЕ. " + title
    ax.set_title(title, fontsize=10, pad=8)
    handles = [
        Patch(facecolor=STATUS_COLOURS[k], edgecolor="#999999", label=labels.get(k, k)) for k in STATUS_KEYS
    ]
    legend = ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.01),
        ncol=min(5, len(handles)),
        fontsize=GRID_FONT_PT,
        frameon=False,
    )
    ax.annotate(
        "▲/▼ — изменение к прошлому году; «!» — изменение в худшую сторону",
        xy=(0.5, 0),
        xycoords=legend,
        xytext=(0, -4),
        textcoords="offset points",
        ha="center",
        va="top",
        fontsize=GRID_FONT_PT,
    )
    fig.tight_layout()
    return fig
