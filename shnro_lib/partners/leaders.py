"""Leader schools: not identified themselves, with high and stable context-adjusted results."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from .settings import PartnersSettings, load_partners_config


def select_leaders(
    ident: pd.DataFrame,
    contexts: Mapping[int, pd.DataFrame],
    year: int,
    config: str | Path | Mapping | PartnersSettings | None = None,
) -> pd.DataFrame:
    """Leader schools of ``year``.

    Parameters
    ----------
    ident : identification of ``year``: ``school_id, category, result_index`` (``name``,
        ``municipality`` optional).
    contexts : data year -> context table (``school_id, residual``, ``residual_ci_low`` if
        ``require_ci_above_zero``); must hold ``year`` and the previous ``stable_years − 1``
        data years (fewer → fewer years are checked, and a note says so).
    year : the identification year.
    config : see :func:`~shnro_lib.partners.settings.load_partners_config`.

    Returns
    -------
    DataFrame
        ``leader_id, name, municipality, category, result_index, residual_<year>…, capacity``;
        ``attrs["years"]`` the years checked, ``attrs["notes"]`` Russian notes.
    """
    cfg = load_partners_config(config)
    lc = cfg.leaders
    years_avail = sorted(int(y) for y in contexts if int(y) <= int(year))
    n_years = lc.stable_years
    yrs = years_avail[-n_years:]
    notes = []
    if int(year) not in yrs:
        raise ValueError(f"Нет таблицы контекста за {year} г. для выбора школ-лидеров")
    if len(yrs) < n_years:
        notes.append(
            f"Устойчивость результатов лидеров проверена только за {len(yrs)} г. из {n_years}: "
            "нет более ранних данных."
        )
    idt = ident.copy()
    idt["school_id"] = idt["school_id"].astype("string")
    idt = idt.set_index("school_id")
    ok = idt["category"].isin(list(lc.allowed_categories))
    thr = float(lc.min_residual)
    res_cols = {}
    for y in yrs:
        t = contexts[y].copy()
        t["school_id"] = t["school_id"].astype("string")
        t = t.drop_duplicates("school_id").set_index("school_id")
        r = pd.to_numeric(t["residual"], errors="coerce").reindex(idt.index)
        res_cols[f"residual_{y}"] = r
        cond = r > thr
        if lc.require_ci_above_zero:
            cond &= pd.to_numeric(t["residual_ci_low"], errors="coerce").reindex(idt.index) > 0
        ok &= cond.fillna(False)
    ri = pd.to_numeric(idt.get("result_index"), errors="coerce")
    q = float(lc.min_result_quantile or 0.0)
    if q > 0:
        ok &= (ri >= ri.quantile(q)).fillna(False)
    out = pd.DataFrame({"leader_id": idt.index[ok]})
    for c in ("name", "municipality", "category"):
        out[c] = idt[c][ok].to_numpy() if c in idt.columns else pd.NA
    out["result_index"] = ri[ok].to_numpy()
    for c, s in res_cols.items():
        out[c] = s[ok].to_numpy()
    out["capacity"] = lc.capacity
    out["leader_id"] = out["leader_id"].astype("string")
    out = out.sort_values("leader_id", kind="stable").reset_index(drop=True)
    out.attrs["years"] = yrs
    out.attrs["notes"] = notes
    return out
