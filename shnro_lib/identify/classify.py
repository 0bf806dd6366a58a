"""Identification of one year: criteria → categories → «зона риска» → explanations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shnro_lib import indicators as ind
from shnro_lib.config import load_yaml, parameters_dir
from shnro_lib.identify.constants import EPS, INDEX_NAMES
from shnro_lib.identify.criteria import evaluate_criterion
from shnro_lib.identify.explain import _explain, _fmt
from shnro_lib.identify.rules import load_rules
from shnro_lib.identify.sources import INDICATORS, _Ctx, _result_index


def _risk_profiles(ds: Any, year: int, levels: dict) -> pd.DataFrame:
    rp = ds.get("risk_profile")
    if rp is None or rp.empty:
        return pd.DataFrame(columns=["risks_high", "risks_medium"])
    rp = rp[rp["year"] <= year]
    if rp.empty:
        return pd.DataFrame(columns=["risks_high", "risks_medium"])
    last = rp.groupby("school_id")["year"].transform("max")
    rp = rp[rp["year"] == last]

    def level(v: Any) -> str:
        s = str(v).strip().lower()
        try:
            x = float(s.replace(",", "."))
        except ValueError:
            return s
        return "высокий" if x >= levels.get("high", 0.67) else "средний" if x >= levels.get("medium", 0.34) else "низкий"

    rp = rp.assign(lv=rp["level"].map(level))
    high = rp[rp["lv"] == "высокий"].groupby("school_id")["risk"].agg(lambda s: "; ".join(sorted(s)))
    med = rp[rp["lv"] == "средний"].groupby("school_id")["risk"].agg(lambda s: "; ".join(sorted(s)))
    return pd.DataFrame({"risks_high": high, "risks_medium": med})


def _yearly_index_drop(ctx: _Ctx, year: int, window: int) -> pd.Series:
    yrs = ctx.years(year, window)
    if len(yrs) < 2:
        return pd.Series(dtype=float)
    procs = (ctx.rules.get("result_index", {}) or {}).get("procedures")
    first = ind.school_result_index(ctx.ds.results, years=[yrs[0]], procedures=procs, standardised=ctx.std)
    last = ind.school_result_index(ctx.ds.results, years=[yrs[-1]], procedures=procs, standardised=ctx.std)
    return (last["result_index"] - first["result_index"]).dropna()


def identify_schools(ds: Any, year: int, rules: str | Path | dict = "lo_2018",
                     indices: str | Path | dict | None = None) -> pd.DataFrame:
    """Identify ШНРО / ШНСУ / «зона риска» for one year.

    Parameters
    ----------
    ds : :class:`shnro_lib.io.Dataset`.
    year : the identification year (the last year of every window).
    rules : rule-set name in ``parameters/criteria``, a path to a YAML file, or a dict.
    indices : composite-index spec (default ``parameters/indices.yaml``).

    Returns
    -------
    DataFrame, one row per school: ``school_id``, ``name``, ``municipality``, ``category``,
    ``result_index``, ``result_index_se``, ``shrunken_index``, ``p_bottom_quartile``,
    ``borderline``, the three composite indices, ``crit_<key>`` (nullable booleans: NA = not
    evaluable), ``risk_zone_reasons``, ``risks_high``, ``risks_medium`` and a Russian
    ``explanation``.
    """
    r = load_rules(rules)
    if indices is None:
        indices = parameters_dir() / "indices.yaml"
    spec = indices if isinstance(indices, dict) else load_yaml(indices)
    ctx = _Ctx(ds=ds, rules=r, indices=spec)
    ri = r.get("result_index", {}) or {}
    sch = ds.schools.set_index("school_id")
    out = pd.DataFrame(index=ctx.school_ids())
    out["name"] = sch["name"].reindex(out.index)
    out["municipality"] = sch["municipality"].reindex(out.index)
    idx = _result_index(ctx, year, int(r["window"]), {})
    for c in ("result_index", "result_index_se", "shrunken_index", "p_bottom_quartile"):
        out[c] = idx[c]
    bp = ri.get("borderline_p", [0.2, 0.8])
    out["borderline"] = pd.array(np.where(out["p_bottom_quartile"].isna(), None,
                                          out["p_bottom_quartile"].between(bp[0], bp[1])), dtype="boolean")
    for name in INDEX_NAMES:
        if name in spec:
            out[name] = INDICATORS[name](ctx, year, 1, {})["value"]

    evals = {name: evaluate_criterion(ctx, name, year) for name in r["criteria"]}
    for name, e in evals.items():
        out[f"crit_{name}"] = e["fired"]

    cats = {}
    one_short = {}
    for cat, cspec in r["categories"].items():
        hit = pd.Series(False, index=out.index)
        short = pd.Series(False, index=out.index)
        for cl in cspec["any_of"]:
            n_true = sum(out[f"crit_{c}"].fillna(False).astype(int) for c in cl["criteria"])
            m = int(cl.get("min", 1))
            hit |= n_true >= m
            if m >= 2:
                short |= n_true == m - 1
        cats[cat] = hit
        one_short[cat] = short & ~hit
    lo = cats.get("ШНРО", pd.Series(False, index=out.index))
    su = cats.get("ШНСУ", pd.Series(False, index=out.index))
    category = np.where(lo & su, "ШНРО и ШНСУ", np.where(lo, "ШНРО", np.where(su, "ШНСУ", "нет")))

    rz = r.get("risk_zone", {}) or {}
    reasons: dict[str, list[str]] = {sid: [] for sid in out.index}
    for cat in rz.get("margin_categories", []) or []:
        names = {c for cl in r["categories"].get(cat, {}).get("any_of", []) for c in cl["criteria"]}
        for name in names:
            near = evals[name]["near"]
            title = r["criteria"][name].get("title_ru", name)
            for sid in near.index[near.to_numpy(dtype=bool)]:
                reasons[sid].append(f"почти выполнен критерий «{title}»")
    if rz.get("index_drop") is not None:
        drop = _yearly_index_drop(ctx, year, int(r["window"]))
        thr = float(rz["index_drop"])
        for sid, d in drop[drop <= -thr + EPS].items():
            if sid in reasons:
                reasons[sid].append(f"индекс результатов снизился за окно на {_fmt(-d, 'number2')} SD")
    if rz.get("borderline"):
        for sid in out.index[out["borderline"].fillna(False).to_numpy(dtype=bool)]:
            reasons[sid].append(f"пограничная вероятность попасть в нижние "
                                f"{float(ri.get('bottom_share', 0.25)) * 100:.0f} % "
                                f"({_fmt(out.at[sid, 'p_bottom_quartile'], 'pct')})")
    for cat in rz.get("one_short_categories", []) or []:
        if cat in one_short:
            for sid in out.index[one_short[cat].to_numpy(dtype=bool)]:
                reasons[sid].append(f"до категории {cat} не хватает одного критерия")
    category = np.where((category == "нет") & np.array([bool(reasons[s]) for s in out.index]),
                        "зона риска", category)
    out["category"] = pd.Series(category, index=out.index, dtype="string")
    out["risk_zone_reasons"] = pd.Series(["; ".join(reasons[s]) for s in out.index], index=out.index,
                                         dtype="string").where(out["category"] == "зона риска")

    rp = _risk_profiles(ds, year, r.get("risk_profile_levels", {}) or {})
    identified = out["category"] != "нет"
    for c in ("risks_high", "risks_medium"):
        out[c] = pd.Series(rp[c] if c in rp else pd.Series(dtype="string"), dtype="string").reindex(out.index)
        out[c] = out[c].where(identified)

    out["explanation"] = [_explain(sid, out, evals, r) for sid in out.index]
    cols = ["name", "municipality", "category", "result_index", "result_index_se", "shrunken_index",
            "p_bottom_quartile", "borderline", *[n for n in INDEX_NAMES if n in out.columns],
            *[f"crit_{n}" for n in r["criteria"]], "risk_zone_reasons", "risks_high", "risks_medium", "explanation"]
    out = out[cols].reset_index()
    out.attrs.update({"rules": r["name"], "year": int(year),
                      "cutoffs": {n: e.attrs.get("cut") for n, e in evals.items()}})
    return out

