"""Annual programme monitoring: indicators from YAML, target status, transitions between categories.

The indicators of §3 of the support concept («динамика результатов», «учёт педагогов, прошедших
диагностику», «методическая помощь») and of the programme passport (ГИА, укомплектованность, доля
ШНРО) are defined in ``parameters/monitoring.yaml`` and evaluated by one generic engine on a
«school × year» panel, so a municipality can add its own indicator without code.

The identification of every year is an *input* (``school_id, year, category``);
:func:`identification_panel` builds it with :func:`shnro_lib.identify.identify_schools`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shnro_lib.config import load_yaml, parameters_dir

AGGREGATIONS = ("count", "sum", "mean", "ratio")
STATUS_KEYS = ("on_track", "at_risk", "off_track", "no_target", "no_data")
STATUS_COLOURS = {"on_track": "#5cb85c", "at_risk": "#f0ad4e", "off_track": "#d9534f",
                  "no_target": "#dfe6ee", "no_data": "#ffffff"}


# --------------------------------------------------------------------------- configuration

def load_monitoring_config(config: str | Path | Mapping[str, Any] | None = None) -> dict:
    """The monitoring configuration (default ``parameters/monitoring.yaml``), validated.

    ``config`` may be a path or an already loaded dict; a dict may be partial — its top-level
    keys replace the defaults' (``indicators`` and ``targets`` are merged key by key).
    """
    base = load_yaml(parameters_dir() / "monitoring.yaml")
    if config is None:
        cfg = base
    else:
        over = dict(config) if isinstance(config, Mapping) else load_yaml(config)
        cfg = dict(base)
        for k, v in (over or {}).items():
            if k in ("indicators", "targets") and isinstance(v, Mapping) and not over.get("replace_" + k):
                cfg[k] = {**(base.get(k) or {}), **v}
            else:
                cfg[k] = v
    _validate(cfg)
    return cfg


def _validate(cfg: dict) -> None:
    for name, spec in (cfg.get("indicators") or {}).items():
        where = f"parameters/monitoring.yaml: показатель «{name}»"
        if not isinstance(spec, Mapping):
            raise ValueError(f"{where}: ожидается словарь параметров")
        agg = spec.get("aggregation")
        if agg not in AGGREGATIONS:
            raise ValueError(f"{where}: aggregation «{agg}» не из {', '.join(AGGREGATIONS)}")
        if agg == "ratio" and not spec.get("denominator"):
            raise ValueError(f"{where}: для aggregation: ratio нужен denominator")
        if agg in ("sum", "mean") and not spec.get("numerator"):
            raise ValueError(f"{where}: для aggregation: {agg} нужен numerator")
        if spec.get("direction", "higher_better") not in ("higher_better", "lower_better"):
            raise ValueError(f"{where}: direction должен быть higher_better или lower_better")
        if not isinstance(spec.get("filter") or {}, Mapping):
            raise ValueError(f"{where}: filter — словарь «столбец: [значения]»")
    for name, t in (cfg.get("targets") or {}).items():
        if name not in (cfg.get("indicators") or {}):
            raise ValueError(f"parameters/monitoring.yaml: цель для неизвестного показателя «{name}»")
        if not isinstance(t, Mapping) or not t.get("trajectory"):
            raise ValueError(f"parameters/monitoring.yaml: у цели «{name}» нет trajectory")


# --------------------------------------------------------------------------- identification input

def identification_panel(dataset, years: Sequence[int] | None = None, rules: str | Path | dict = "lo_2018"
                         ) -> pd.DataFrame:
    """Run :func:`shnro_lib.identify.identify_schools` for every year: ``school_id, year, municipality, category``."""
    from shnro_lib.identify import identify_schools, load_rules

    r = load_rules(rules)
    parts = []
    for y in (years if years is not None else dataset.years):
        t = identify_schools(dataset, int(y), r)
        parts.append(pd.DataFrame({"school_id": t["school_id"].astype("string"), "year": int(y),
                                   "municipality": t["municipality"].astype("string"),
                                   "category": t["category"].astype("string")}))
    out = pd.concat(parts, ignore_index=True)
    out["year"] = out["year"].astype("Int64")
    return out


def _check_ident(ident: pd.DataFrame) -> pd.DataFrame:
    missing = {"school_id", "year", "category"} - set(ident.columns)
    if missing:
        raise ValueError("В таблице идентификации нет столбцов: " + ", ".join(sorted(missing)))
    out = ident.copy()
    out["school_id"] = out["school_id"].astype("string")
    out["year"] = out["year"].astype(int)
    out["category"] = out["category"].astype("string")
    if out.duplicated(["school_id", "year"]).any():
        raise ValueError("В таблице идентификации повторяются пары «школа — год»")
    return out


# --------------------------------------------------------------------------- panel

def _float(s: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(s) or str(s.dtype) == "boolean":
        return s.astype("Float64").astype(float)
    return pd.to_numeric(s, errors="coerce").astype(float)


def _yearly_results(results: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    from shnro_lib.indicators import school_result_index, standardised_results

    z = standardised_results(results)
    parts = []
    for y in years:
        ri = school_result_index(results, years=[y], standardised=z)
        if len(ri):
            parts.append(pd.DataFrame({"school_id": ri.index.astype("string"), "year": int(y),
                                       "result_index": ri["result_index"].to_numpy(float),
                                       "result_index_se": ri["result_index_se"].to_numpy(float)}))
    if not parts:
        return pd.DataFrame(columns=["school_id", "year", "result_index", "result_index_se"])
    return pd.concat(parts, ignore_index=True)


def _low_and_gia(results: pd.DataFrame, cfg: dict) -> pd.DataFrame:
    r = results.copy()
    r["school_id"] = r["school_id"].astype("string")
    r["year"] = r["year"].astype(int)
    n = _float(r["participants"])
    sl = _float(r["share_low"]) if "share_low" in r.columns else pd.Series(np.nan, index=r.index)
    ok = sl.notna() & (n > 0)
    low_procs = (cfg.get("low_index") or {}).get("procedures")
    m_low = ok & (r["procedure"].isin(low_procs) if low_procs else True)
    gcfg = cfg.get("gia") or {}
    m_gia = ok & r["procedure"].isin(gcfg.get("procedures") or ["ЕГЭ", "ОГЭ"])
    if gcfg.get("subjects"):
        m_gia &= r["subject"].isin(gcfg["subjects"])
    frame = pd.DataFrame({
        "school_id": r["school_id"], "year": r["year"],
        "low_w": (n * sl).where(m_low, 0.0), "low_n": n.where(m_low, 0.0),
        "gia_participants": n.where(m_gia, 0.0), "gia_passed": (n * (1 - sl)).where(m_gia, 0.0),
        "has_gia": m_gia.astype(int),
    })
    g = frame.groupby(["school_id", "year"], sort=False).sum()
    out = pd.DataFrame(index=g.index)
    out["low_index"] = (g["low_w"] / g["low_n"]).where(g["low_n"] > 0)
    out["gia_participants"] = g["gia_participants"].where(g["has_gia"] > 0)
    out["gia_passed"] = g["gia_passed"].where(g["has_gia"] > 0)
    return out.reset_index()


def _table_rows(dataset, name: str, columns: list[str]) -> pd.DataFrame | None:
    df = dataset.get(name) if hasattr(dataset, "get") else None
    if df is None:
        return None
    cols = [c for c in columns if c in df.columns]
    d = df[["school_id", "year", *cols]].copy()
    d = d[d["year"].notna()]
    d["school_id"] = d["school_id"].astype("string")
    d["year"] = d["year"].astype(int)
    return d.drop_duplicates(["school_id", "year"], keep="last")


def build_panel(dataset, ident: pd.DataFrame, config: str | Path | Mapping | None = None) -> pd.DataFrame:
    """The «school × year» panel on which indicators are evaluated.

    Parameters
    ----------
    dataset : a loaded :class:`~shnro_lib.io.Dataset` (``results`` required; ``process``,
        ``programme``, ``staff`` used when present).
    ident : identification per school-year: ``school_id, year, category`` (``municipality``
        optional — taken from ``schools`` otherwise).
    config : see :func:`load_monitoring_config`.

    Returns
    -------
    DataFrame, one row per row of ``ident``: keys, ``municipality``, ``category``,
    ``category_prev`` and every column listed in ``parameters/monitoring.yaml`` (numeric columns
    as float, flags as 1.0/0.0/NaN). ``attrs["tables"]`` lists the tables that were present.
    """
    cfg = load_monitoring_config(config)
    idt = _check_ident(ident)
    years = sorted(idt["year"].unique().tolist())
    prev_of = {y: (years[i - 1] if i else None) for i, y in enumerate(years)}
    panel = idt[["school_id", "year", "category"]].copy()
    sch = dataset.schools.drop_duplicates("school_id").copy()
    sch["school_id"] = sch["school_id"].astype("string")
    muni = sch.set_index("school_id")["municipality"].astype("string")
    if "municipality" in idt.columns:
        panel["municipality"] = idt["municipality"].astype("string").fillna(panel["school_id"].map(muni))
    else:
        panel["municipality"] = panel["school_id"].map(muni)
    panel["year_prev"] = panel["year"].map(prev_of)
    prev = idt[["school_id", "year", "category"]].rename(columns={"year": "year_prev", "category": "category_prev"})
    panel = panel.merge(prev, on=["school_id", "year_prev"], how="left")

    lists = {"listed": cfg["list_categories"], "is_shnro": cfg["shnro_categories"],
             "is_shnsu": cfg["shnsu_categories"]}
    for col, cats in lists.items():
        panel[col] = panel["category"].isin(cats).astype(float)
        panel[col + "_prev"] = panel["category_prev"].isin(cats).astype(float).where(panel["category_prev"].notna())

    # results: single-year index and its change against the previous data year
    need_years = sorted(set(years) | {p for p in prev_of.values() if p is not None})
    yr = _yearly_results(dataset.results, need_years)
    panel = panel.merge(yr, on=["school_id", "year"], how="left")
    yr_prev = yr.rename(columns={"year": "year_prev", "result_index": "result_index_prev",
                                 "result_index_se": "result_index_se_prev"})
    panel = panel.merge(yr_prev, on=["school_id", "year_prev"], how="left")
    panel["result_change"] = panel["result_index"] - panel["result_index_prev"]
    pc = cfg.get("positive_change") or {}
    up = panel["result_change"] > float(pc.get("min_change", 0.0))
    if pc.get("require_significance"):
        se = np.sqrt(panel["result_index_se"] ** 2 + panel["result_index_se_prev"] ** 2)
        up &= panel["result_change"] > float(pc.get("z", 1.0)) * se
    panel["result_up"] = up.astype(float).where(panel["result_change"].notna())

    panel = panel.merge(_low_and_gia(dataset.results, cfg), on=["school_id", "year"], how="left")

    tables = ["results"]
    proc = _table_rows(dataset, "process", ["share_teachers_diagnosed", "share_teachers_trained",
                                            "training_hours_per_teacher", "methodical_visits", "has_partner",
                                            "share_teachers_improved", "tutor_hours"])
    prog = _table_rows(dataset, "programme", ["in_programme", "cohort", "partner_school_id", "cost_rub"])
    staff = _table_rows(dataset, "staff", ["teachers", "vacancies"])
    for name, t in (("process", proc), ("programme", prog), ("staff", staff)):
        if t is not None:
            tables.append(name)
            panel = panel.merge(t, on=["school_id", "year"], how="left")
    if prog is not None and "partner_school_id" in panel.columns:
        present = panel["partner_school_id"].astype("string").str.strip().fillna("") != ""
        panel["partner_school_id_present"] = present.astype(float).where(panel["in_programme"].notna() | present)
        panel = panel.drop(columns="partner_school_id")

    numeric = [c for c in panel.columns if c not in ("school_id", "year", "year_prev", "category",
                                                     "category_prev", "municipality")]
    for c in numeric:
        panel[c] = _float(panel[c])
    for c in ("share_teachers_diagnosed", "share_teachers_improved", "methodical_visits", "has_partner",
              "partner_school_id_present", "in_programme", "teachers", "vacancies"):
        if c not in panel.columns:
            panel[c] = np.nan
    panel["staff_positions"] = panel["teachers"] + panel["vacancies"]
    panel["teachers_diagnosed"] = panel["teachers"] * panel["share_teachers_diagnosed"]
    panel["teachers_improved"] = panel["teachers"] * panel["share_teachers_improved"]
    panel["methodical_covered"] = (panel["methodical_visits"] > 0).astype(float).where(
        panel["methodical_visits"].notna())
    hp, pp = panel["has_partner"], panel["partner_school_id_present"]
    net = (hp.fillna(0) > 0) | (pp.fillna(0) > 0)
    panel["in_network"] = net.astype(float).where(hp.notna() | pp.notna())
    panel = panel.sort_values(["year", "school_id"], kind="stable").reset_index(drop=True)
    panel.attrs["tables"] = tables
    panel.attrs["years"] = years
    return panel


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


def _filtered(panel: pd.DataFrame, spec: Mapping) -> pd.DataFrame:
    df = panel
    for col, allowed in (spec.get("filter") or {}).items():
        if col not in df.columns:
            raise ValueError(f"Фильтр показателя: в панели нет столбца «{col}»")
        vals = allowed if isinstance(allowed, (list, tuple)) else [allowed]
        df = df[df[col].isin(list(vals))]
    return df


def evaluate_indicator(panel: pd.DataFrame, spec: Mapping, by: Sequence[str] = ("year",)) -> pd.DataFrame:
    """Evaluate one indicator spec on a panel, grouped by ``by``.

    Returns
    -------
    DataFrame with the ``by`` columns and ``value, numerator, denominator, n_schools`` (school-years
    passing the filter) and ``n_used`` (of those, with the data the formula needs).
    Aggregations: ``count`` — schools whose numerator is true / non-zero (all filtered schools if
    no numerator) and, if given, the ``where`` condition holds; ``sum``; ``mean`` (numerator = sum, denominator = number of schools with data);
    ``ratio`` — Σ numerator / Σ denominator over the schools with both known. For aggregations
    other than ``count`` the ``where`` condition selects the schools.
    """
    by = list(by)
    agg = spec["aggregation"]
    df = _filtered(panel, spec)
    where = (_eval(df, spec["where"]).fillna(0) != 0) if spec.get("where") else None
    if where is not None and agg != "count":
        df = df[where]
    num = _eval(df, spec["numerator"]) if spec.get("numerator") is not None else pd.Series(1.0, index=df.index)
    if where is not None and agg == "count":
        # a count with a condition: schools outside the condition count as 0, not as missing
        num = num * where.astype(float)
    den = _eval(df, spec["denominator"]) if agg == "ratio" else pd.Series(1.0, index=df.index)
    used = num.notna() & den.notna()
    frame = df[by].copy()
    frame["num"] = num.where(used)
    frame["den"] = den.where(used)
    frame["n_used"] = used.astype(int)
    frame["n_schools"] = 1
    if agg == "count":
        frame["num"] = (frame["num"].fillna(0) != 0).astype(float).where(used)
    g = frame.groupby(by, sort=True, dropna=False).agg(numerator=("num", "sum"), denominator=("den", "sum"),
                                                       n_used=("n_used", "sum"), n_schools=("n_schools", "sum"))
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
    """The target of ``year`` on a linear trajectory (NaN before its first point; the last value holds after)."""
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


def evaluate_indicators(panel: pd.DataFrame, config: str | Path | Mapping | None = None,
                        indicators: Sequence[str] | None = None) -> pd.DataFrame:
    """Every indicator, by year for the region and for each municipality, with change, target and status.

    Returns
    -------
    Long DataFrame: ``indicator, section, title_ru, unit, direction, municipality`` (the region
    row carries ``region_label``), ``level`` (``регион``/``муниципалитет``), ``year, value,
    numerator, denominator, n_schools, n_used, change`` (against the previous data year),
    ``target, status`` (key) ``status_ru`` and ``note``.
    """
    cfg = load_monitoring_config(config)
    specs = cfg["indicators"]
    names = list(indicators) if indicators is not None else list(specs)
    tables = set(panel.attrs.get("tables", ["results", "process", "programme", "staff"]))
    years = sorted(panel["year"].unique().tolist()) if len(panel) else []
    munis = sorted(panel["municipality"].dropna().unique().tolist())
    region = str(cfg.get("region_label", "Регион"))
    labels = cfg.get("status_labels") or {}
    parts = []
    for name in names:
        if name not in specs:
            raise ValueError(f"Неизвестный показатель мониторинга «{name}»")
        spec = specs[name]
        lacking = [t for t in (spec.get("requires") or []) if t not in tables]
        grid_r = pd.DataFrame({"year": years})
        grid_m = pd.MultiIndex.from_product([years, munis], names=["year", "municipality"]).to_frame(index=False)
        if lacking:
            reg = grid_r.assign(value=np.nan, numerator=np.nan, denominator=np.nan, n_schools=0, n_used=0)
            mun = grid_m.assign(value=np.nan, numerator=np.nan, denominator=np.nan, n_schools=0, n_used=0)
            note = "нет таблицы: " + ", ".join(lacking)
        else:
            reg = grid_r.merge(evaluate_indicator(panel, spec, ["year"]), on="year", how="left")
            mun = grid_m.merge(evaluate_indicator(panel, spec, ["year", "municipality"]),
                               on=["year", "municipality"], how="left")
            note = ""
        reg["municipality"] = region
        reg["level"] = "регион"
        mun["level"] = "муниципалитет"
        both = pd.concat([reg, mun], ignore_index=True)
        both[["n_schools", "n_used"]] = both[["n_schools", "n_used"]].fillna(0).astype(int)
        both = both.sort_values(["municipality", "year"], kind="stable")
        both["change"] = both.groupby("municipality", sort=False)["value"].diff()
        tgt = (cfg.get("targets") or {}).get(name)
        direction = spec.get("direction", "higher_better")
        tol = float((tgt or {}).get("tolerance", 0.0))
        both["target"] = [target_value(tgt, int(y), None if m == region else m)
                          for y, m in zip(both["year"], both["municipality"], strict=True)]
        both["status"] = [target_status(v, t, direction, tol) for v, t in zip(both["value"], both["target"],
                                                                               strict=True)]
        both["status_ru"] = both["status"].map(lambda k: labels.get(k, k))
        both["note"] = np.where((both["n_used"] == 0) & (note == ""), "нет данных для расчёта", note)
        both.insert(0, "indicator", name)
        both.insert(1, "section", str(spec.get("section", "")))
        both.insert(2, "title_ru", spec.get("title_ru", name))
        both.insert(3, "unit", spec.get("unit", "share"))
        both.insert(4, "direction", direction)
        parts.append(both)
    cols = ["indicator", "section", "title_ru", "unit", "direction", "level", "municipality", "year", "value",
            "numerator", "denominator", "n_schools", "n_used", "change", "target", "status", "status_ru", "note"]
    if not parts:
        return pd.DataFrame(columns=cols)
    out = pd.concat(parts, ignore_index=True)[cols]
    out["year"] = out["year"].astype("Int64")
    return out.reset_index(drop=True)


def monitoring_wide(table: pd.DataFrame, municipality: str | None = None) -> pd.DataFrame:
    """Indicators × years (values) for one municipality (default: the region rows)."""
    sub = table[table["level"] == "регион"] if municipality is None else table[table["municipality"] == municipality]
    order = list(dict.fromkeys(sub["indicator"]))
    wide = sub.pivot(index="indicator", columns="year", values="value").reindex(order)
    wide.columns = [str(c) for c in wide.columns]
    titles = sub.drop_duplicates("indicator").set_index("indicator")["title_ru"]
    wide.insert(0, "title_ru", titles.reindex(order).to_numpy())
    return wide.reset_index()


def monitoring_table(dataset, year: int, municipality: str | None = None, ident: pd.DataFrame | None = None,
                     config: str | Path | Mapping | None = None, rules: str | Path | dict = "lo_2018"
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
    table = evaluate_indicators(panel, config)
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


def plot_status_grid(table: pd.DataFrame, year: int, indicators: Sequence[str] | None = None,
                     config: str | Path | Mapping | None = None, synthetic: bool = False):
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
    labels = cfg.get("status_labels") or {}
    sub = table[table["year"] == int(year)]
    names = list(indicators) if indicators is not None else list(dict.fromkeys(sub["indicator"]))
    region = str(cfg.get("region_label", "Регион"))
    munis = [region] + sorted(m for m in sub["municipality"].dropna().unique() if m != region)
    cell = sub.set_index(["municipality", "indicator"])
    short = {n: (cfg["indicators"].get(n) or {}).get("short_ru", n) for n in names}
    fig_w = max(6.0, 1.6 * len(names) + 3.5)
    fig_h = max(3.0, 0.38 * len(munis) + 2.0)
    fig, ax = plt.subplots(figsize=(fig_w, fig_h))
    for i, m in enumerate(munis):
        for j, n in enumerate(names):
            if (m, n) in cell.index:
                row = cell.loc[(m, n)]
                status = row["status"]
                text = _fmt_value(row["value"], row["unit"]) + _arrow(row["change"], row["direction"])
            else:
                status, text = "no_data", "—"
            ax.add_patch(Rectangle((j, i), 1, 1, facecolor=STATUS_COLOURS.get(status, "#ffffff"),
                                   edgecolor="#999999", linewidth=0.6))
            ax.text(j + 0.5, i + 0.5, text, ha="center", va="center", fontsize=8,
                    fontweight="bold" if m == region else "normal")
    ax.set_xlim(0, len(names))
    ax.set_ylim(len(munis), 0)
    ax.set_xticks(np.arange(len(names)) + 0.5)
    ax.set_xticklabels([short[n] for n in names], rotation=35, ha="right", fontsize=8)
    ax.set_yticks(np.arange(len(munis)) + 0.5)
    ax.set_yticklabels(munis, fontsize=8)
    ax.tick_params(length=0)
    for s in ax.spines.values():
        s.set_visible(False)
    title = f"Мониторинг ШНРО/ШНСУ: статус показателей относительно целей, {year} г."
    if synthetic:
        title = "СИНТЕТИЧЕСКИЕ ДАННЫЕ. " + title
    ax.set_title(title, fontsize=10)
    handles = [Patch(facecolor=STATUS_COLOURS[k], edgecolor="#999999", label=labels.get(k, k)) for k in STATUS_KEYS]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.02 - 0.9 / fig_h), ncol=5,
              fontsize=8, frameon=False)
    fig.text(0.01, 0.005, "▲/▼ — изменение к прошлому году; «!» — изменение в худшую сторону", fontsize=7)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- transitions

def _wide_categories(ident: pd.DataFrame) -> pd.DataFrame:
    idt = _check_ident(ident)
    return idt.pivot(index="school_id", columns="year", values="category").sort_index(axis=1)


def transition_matrix(ident: pd.DataFrame, year_from: int, year_to: int,
                      config: str | Path | Mapping | None = None) -> pd.DataFrame:
    """Counts of schools by category in ``year_from`` (rows) and ``year_to`` (columns).

    A school present in only one of the two years falls in the row/column «нет данных».
    """
    cfg = load_monitoring_config(config)
    w = _wide_categories(ident)
    missing = "нет данных"
    a = w[int(year_from)].astype(object).where(w[int(year_from)].notna(), missing) if int(year_from) in w else None
    b = w[int(year_to)].astype(object).where(w[int(year_to)].notna(), missing) if int(year_to) in w else None
    if a is None or b is None:
        raise ValueError(f"Нет идентификации за {year_from} или {year_to} г.")
    order = list(cfg["category_order"])
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
    "reentered": "вернулась в список",
    "stayed": "остаётся в списке",
    "entered": "вошла в список впервые",
    "never": "не была в списке",
    "out": "вне списка",
    "unknown": "нет данных за год",
}


def school_trajectories(ident: pd.DataFrame, year: int | None = None, effective_years: int | None = None,
                        config: str | Path | Mapping | None = None) -> pd.DataFrame:
    """Each school's path through the list up to ``year`` and its status in that year.

    A school «перешла в эффективный режим» when it was in the list, left it and has stayed out
    for at least ``effective_years`` consecutive data years up to ``year`` (the year of leaving is
    the first; a year without identification breaks the run).

    Returns
    -------
    DataFrame: ``school_id, municipality`` (if given), ``path`` (e.g. «2022: ШНРО → 2023: нет»),
    ``status`` (key: effective, left, reentered, stayed, entered, never, out, unknown),
    ``status_ru``, ``years_listed``, ``first_listed``, ``last_listed``, ``years_out`` (current run
    of unlisted years), ``effective_since`` (the year the run reached ``effective_years``),
    ``left_year`` (first year out of the current run).
    """
    cfg = load_monitoring_config(config)
    n_eff = int(effective_years if effective_years is not None else (cfg.get("transitions") or {}).get(
        "effective_years", 2))
    if n_eff < 1:
        raise ValueError("effective_years должен быть не меньше 1")
    listed_cats = set(cfg["list_categories"])
    w = _wide_categories(ident)
    years = [y for y in w.columns if year is None or y <= int(year)]
    if not years:
        raise ValueError("Нет лет идентификации до указанного года")
    w = w[years]
    idt = _check_ident(ident)
    muni = (idt.dropna(subset=["municipality"]).drop_duplicates("school_id", keep="last")
            .set_index("school_id")["municipality"] if "municipality" in idt.columns else None)
    rows = []
    for sid, cats in w.iterrows():
        seq = [(y, None if pd.isna(c) else str(c)) for y, c in cats.items()]
        lst = [None if c is None else (c in listed_cats) for _, c in seq]
        listed_years = [y for (y, _), flag in zip(seq, lst, strict=True) if flag]
        run, left_year = 0, None
        for (y, _), flag in zip(reversed(seq), reversed(lst), strict=True):
            if flag is None or flag:
                break
            run += 1
            left_year = y
        last = lst[-1]
        prev = lst[-2] if len(lst) > 1 else None
        ever_before = any(f for f in lst[:-1] if f)
        if last is None:
            status = "unknown"
        elif last:
            if prev:
                status = "stayed"
            elif ever_before:
                status = "reentered"
            else:
                status = "entered"
        elif not listed_years:
            status = "never"
        else:
            # out in the last year; was the year before the run listed?
            start = len(lst) - run
            before = lst[start - 1] if start >= 1 else None
            if before and run >= n_eff:
                status = "effective"
            elif before:
                status = "left"
            else:
                status = "out"
        eff_since = None
        if status == "effective":
            eff_since = years[len(years) - run + n_eff - 1]
        rows.append({
            "school_id": sid,
            "path": " → ".join(f"{y}: {c if c is not None else 'нет данных'}" for y, c in seq),
            "status": status, "status_ru": TRAJECTORY_STATUS_RU[status],
            "years_listed": len(listed_years),
            "first_listed": listed_years[0] if listed_years else None,
            "last_listed": listed_years[-1] if listed_years else None,
            "years_out": run, "effective_since": eff_since,
            "left_year": left_year if (listed_years and not last and last is not None) else None,
        })
    out = pd.DataFrame(rows)
    for c in ("first_listed", "last_listed", "effective_since", "left_year"):
        out[c] = pd.array(out[c].tolist(), dtype="Int64")
    out["school_id"] = out["school_id"].astype("string")
    if muni is not None:
        out.insert(1, "municipality", out["school_id"].map(muni).astype("string"))
    out.attrs["effective_years"] = n_eff
    out.attrs["year"] = int(years[-1])
    return out


def plot_transitions_flow(ident: pd.DataFrame, years: Sequence[int] | None = None,
                          config: str | Path | Mapping | None = None, synthetic: bool = False):
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
    order = list(cfg["category_order"])
    order += sorted({str(c) for c in pd.unique(w.to_numpy().ravel()) if pd.notna(c)} - set(order))
    palette = {"ШНРО и ШНСУ": "#8e2c2c", "ШНРО": "#d9534f", "ШНСУ": "#f0ad4e", "зона риска": "#f7e08b",
               "нет": "#8fbf8f"}
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
            ax.add_patch(Rectangle((x - bar_w / 2, bottom), bar_w, n, facecolor=colours[c], edgecolor="white"))
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
                verts = [(x0, y0), (xm, y0), (xm, y1), (x1, y1), (x1, y1 + n), (xm, y1 + n), (xm, y0 + n),
                         (x0, y0 + n), (x0, y0)]
                codes = [MPath.MOVETO, MPath.CURVE4, MPath.CURVE4, MPath.CURVE4, MPath.LINETO,
                         MPath.CURVE4, MPath.CURVE4, MPath.CURVE4, MPath.CLOSEPOLY]
                ax.add_patch(PathPatch(MPath(verts, codes), facecolor=colours[ca], alpha=0.35 if ca != cb else 0.2,
                                       edgecolor="none"))
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


# --------------------------------------------------------------------------- method annex

def monitoring_method_ru(config: str | Path | Mapping | None = None) -> str:
    """Markdown (Russian) for the method annex: every indicator's formula, targets, transitions."""
    cfg = load_monitoring_config(config)
    agg_ru = {"count": "число школ, у которых выполнено условие", "sum": "сумма",
              "mean": "среднее по школам с данными", "ratio": "отношение сумм (числитель / знаменатель)"}
    lines = ["## Методика: ежегодный мониторинг ШНРО и ШНСУ", "",
             "Показатели соответствуют разделу 3 концепции поддержки (динамика результатов, учёт педагогов, "
             "прошедших диагностику, методическая помощь) и показателям паспорта программы (ГИА, "
             "укомплектованность, доля ШНРО). Каждый показатель задан в `parameters/monitoring.yaml` "
             "(фильтр школ, числитель, знаменатель, способ агрегирования) и рассчитывается по региону и по "
             "каждому муниципалитету за каждый год. Категория школы в году берётся из идентификации этого года.",
             "", "| Показатель | Раздел | Школы | Расчёт |", "|---|---|---|---|"]
    for name, s in cfg["indicators"].items():
        flt = "; ".join(f"{k} ∈ {{{', '.join(map(str, v))}}}" for k, v in (s.get("filter") or {}).items()) or "все"
        if s.get("where"):
            flt += f"; {s['where']}"
        calc = agg_ru[s["aggregation"]]
        if s.get("numerator") is not None:
            calc += f"; числитель: `{s['numerator']}`"
        if s.get("denominator"):
            calc += f"; знаменатель: `{s['denominator']}`"
        lines.append(f"| {s.get('title_ru', name)} | {s.get('section', '')} | {flt} | {calc} |")
    pc = cfg.get("positive_change") or {}
    lines += ["", "**Положительная динамика результатов** — индекс результатов школы за год (средневзвешенное "
              "стандартизованных результатов всех процедур года) выше, чем за предыдущий год данных, более чем на "
              f"{float(pc.get('min_change', 0)):.2f} SD"
              + (f" и более чем на {pc.get('z')} стандартной ошибки изменения" if pc.get("require_significance") else "")
              + ". Индекс каждого года стандартизован внутри года, поэтому рост означает улучшение положения "
              "школы относительно других школ региона. Доля считается по школам, бывшим в списке в предыдущем "
              "году: иначе школы, улучшившие результаты и вышедшие из списка, выпадали бы из расчёта.",
              "",
              "**Индекс низких результатов** — доля результатов ниже минимального порога (ЕГЭ ниже минимума, "
              "отметка «2»), взвешенная по числу участников процедур "
              + ", ".join((cfg.get("low_index") or {}).get("procedures") or []) + ".",
              "",
              "**ГИА** — число сдавших = участники × (1 − доля ниже порога), суммировано по предметам ЕГЭ и ОГЭ; "
              "единица счёта — участие в экзамене по предмету (данных по отдельным обучающимся нет).",
              "",
              "**Укомплектованность** = учителя / (учителя + вакансии). Доли педагогов считаются как отношение "
              "сумм (педагоги школы × доля) ко всем педагогам, т. е. взвешены по числу педагогов.",
              "",
              "Пропуски не заменяются нулём: школа без данных не входит ни в числитель, ни в знаменатель; в "
              "таблице указано, по скольким школам был расчёт (n_used) из скольких (n_schools).",
              "", "### Цели и статус", ""]
    for name, t in (cfg.get("targets") or {}).items():
        traj = ", ".join(f"{k}: {v}" for k, v in t["trajectory"].items())
        lines.append(f"- {cfg['indicators'][name].get('title_ru', name)}: траектория {traj}, "
                     f"допуск {t.get('tolerance', 0)}")
    sl = cfg.get("status_labels") or {}
    lines += ["", f"Цель года — линейная интерполяция между точками траектории. Статус: «{sl.get('on_track')}» — "
              f"цель достигнута; «{sl.get('at_risk')}» — отставание от цели не больше допуска; "
              f"«{sl.get('off_track')}» — больше допуска. Цветная сетка «муниципалитет × показатель» показывает "
              "статус цветом и изменение к прошлому году стрелкой (по образцу California School Dashboard).",
              "", "### Переходы между категориями", "",
              "Матрица переходов — число школ по категории в одном году (строки) и в следующем (столбцы). "
              "Школа «перешла в эффективный режим», если она была в списке ШНРО/ШНСУ, вышла из него и "
              f"остаётся вне списка не менее {int((cfg.get('transitions') or {}).get('effective_years', 2))} "
              "лет подряд (год выхода — первый); «зона риска» в список не входит. Год без данных "
              "идентификации прерывает серию."]
    return "\n".join(lines) + "\n"


COLUMN_LABELS_RU = {
    "indicator": "Код показателя", "section": "Раздел", "title_ru": "Показатель", "unit": "Единица",
    "direction": "Направление", "level": "Уровень", "municipality": "Муниципальный район", "year": "Год",
    "value": "Значение", "numerator": "Числитель", "denominator": "Знаменатель", "n_schools": "Школ в группе",
    "n_used": "Школ с данными", "change": "Изменение к прошлому году", "target": "Цель", "status": "Статус (код)",
    "status_ru": "Статус", "note": "Примечание", "school_id": "Код ОО", "path": "Траектория",
    "status_ru_traj": "Статус", "years_listed": "Лет в списке", "first_listed": "Впервые в списке",
    "last_listed": "Последний год в списке", "years_out": "Лет вне списка подряд",
    "effective_since": "В эффективном режиме с", "left_year": "Год выхода", "name": "Наименование ОО",
}
