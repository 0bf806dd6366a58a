"""Identification of ШНРО (low results) and ШНСУ (unfavourable social conditions).

The criteria, thresholds, windows and category logic live in rule files
``parameters/criteria/<name>.yaml`` (see ``lo_2018.yaml`` for the commented
reference); the composite indices in ``parameters/indices.yaml``.

    >>> from shnro_lib.identify import identify_schools
    >>> table = identify_schools(ds, 2024, rules="lo_2018")

Missing data never make a criterion fire: the criterion is left ``NA`` (not
evaluable) and the explanation says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shnro_lib import indicators as ind
from shnro_lib.config import load_yaml, parameters_dir

CATEGORIES = ("ШНРО", "ШНСУ")
CATEGORY_VALUES = ("ШНРО", "ШНСУ", "ШНРО и ШНСУ", "зона риска", "нет")
METHODS = ("plain", "shrunken", "significant_and_bottom")
COMPARE = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal, "==": np.equal}
RANK_OPS = ("bottom_share", "top_share", "top_cumulative_share")
OPS = (*COMPARE, *RANK_OPS, "is_true")
OP_RU = {"<": "меньше", "<=": "не больше", ">": "больше", ">=": "не меньше", "==": "равно"}
INDEX_NAMES = ("social_wellbeing_index", "staff_index", "resources_index")
EPS = 1e-12


class RuleError(ValueError):
    """An invalid rule file; the message (in Russian) names the file and the key."""


# ---------------------------------------------------------------------------
# Rule files
# ---------------------------------------------------------------------------

def rules_path(rules: str | Path) -> Path:
    """Resolve a rule-set name (``lo_2018``) or a path to a YAML file."""
    p = Path(rules)
    if p.suffix in (".yaml", ".yml") or p.exists():
        return p
    return parameters_dir() / "criteria" / f"{rules}.yaml"


def available_rules() -> list[str]:
    """Names of the rule files in ``parameters/criteria``."""
    return sorted(p.stem for p in (parameters_dir() / "criteria").glob("*.yaml"))


def load_rules(rules: str | Path | dict) -> dict:
    """Read and validate a rule file (name, path or an already loaded dict).

    Raises
    ------
    RuleError
        With a Russian message naming the file and the offending key.
    """
    if isinstance(rules, dict):
        data, src = rules, str(rules.get("name", "<словарь>"))
    else:
        path = rules_path(rules)
        if not path.exists():
            raise RuleError(f"Файл правил не найден: {path} (доступны: {', '.join(available_rules())})")
        data, src = load_yaml(path), str(path)
    validate_rules(data, src)
    out = dict(data)
    out["_source"] = src
    return out


def _err(src: str, key: str, msg: str) -> RuleError:
    return RuleError(f"Файл правил {src}: ключ «{key}»: {msg}")


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def validate_rules(data: Any, src: str = "<правила>") -> None:
    """Check the structure of a rule set; raise :class:`RuleError` on the first problem."""
    if not isinstance(data, dict):
        raise RuleError(f"Файл правил {src}: ожидался словарь ключей верхнего уровня")
    for key in ("name", "window", "criteria", "categories"):
        if key not in data:
            raise _err(src, key, "обязательный ключ отсутствует")
    if not isinstance(data["window"], int) or data["window"] < 1:
        raise _err(src, "window", "должно быть целым числом лет не меньше 1")
    ri = data.get("result_index", {}) or {}
    if not isinstance(ri, dict):
        raise _err(src, "result_index", "должно быть словарём")
    if ri.get("method", "plain") not in METHODS:
        raise _err(src, "result_index.method", f"допустимо: {', '.join(METHODS)}")
    yw = ri.get("year_weights")
    if yw is not None and (not isinstance(yw, list) or not yw or not all(_num(x) and x >= 0 for x in yw)):
        raise _err(src, "result_index.year_weights", "список неотрицательных чисел (последний год первым)")
    for k in ("min_participants", "bottom_share", "significance_z"):
        if k in ri and not _num(ri[k]):
            raise _err(src, f"result_index.{k}", "должно быть числом")
    if "bottom_share" in ri and not 0 < ri["bottom_share"] < 1:
        raise _err(src, "result_index.bottom_share", "доля должна быть в (0, 1)")
    crit = data["criteria"]
    if not isinstance(crit, dict) or not crit:
        raise _err(src, "criteria", "нужен непустой словарь критериев")
    for name, c in crit.items():
        base = f"criteria.{name}"
        if not isinstance(c, dict):
            raise _err(src, base, "описание критерия должно быть словарём")
        if c.get("indicator") not in INDICATORS:
            raise _err(src, f"{base}.indicator",
                       f"неизвестный показатель «{c.get('indicator')}»; допустимо: {', '.join(sorted(INDICATORS))}")
        if c.get("op") not in OPS:
            raise _err(src, f"{base}.op", f"неизвестная операция «{c.get('op')}»; допустимо: {', '.join(OPS)}")
        if c["op"] != "is_true":
            if not _num(c.get("threshold")):
                raise _err(src, f"{base}.threshold", "нужен числовой порог")
            if c["op"] in RANK_OPS and not 0 < c["threshold"] < 1:
                raise _err(src, f"{base}.threshold", "для отсечения по доле школ порог должен быть в (0, 1)")
        w = c.get("window", 1)
        if not isinstance(w, int) or w < 1:
            raise _err(src, f"{base}.window", "целое число лет не меньше 1")
        if "min_n" in c and not _num(c["min_n"]):
            raise _err(src, f"{base}.min_n", "должно быть числом")
        if "risk_margin" in c and not _num(c["risk_margin"]):
            raise _err(src, f"{base}.risk_margin", "должно быть числом")
        pers = c.get("persistence")
        if pers is not None:
            if (not isinstance(pers, dict) or not isinstance(pers.get("k"), int) or not isinstance(pers.get("n"), int)
                    or not 1 <= pers["k"] <= pers["n"]):
                raise _err(src, f"{base}.persistence", "нужны целые k и n, 1 ≤ k ≤ n («k из n лет»)")
        if "params" in c and not isinstance(c["params"], dict):
            raise _err(src, f"{base}.params", "должно быть словарём")
    cats = data["categories"]
    if not isinstance(cats, dict) or not cats:
        raise _err(src, "categories", "нужен словарь категорий (ШНРО, ШНСУ)")
    for cat, spec in cats.items():
        if cat not in CATEGORIES:
            raise _err(src, f"categories.{cat}", f"допустимые категории: {', '.join(CATEGORIES)}")
        clauses = spec.get("any_of") if isinstance(spec, dict) else None
        if not isinstance(clauses, list) or not clauses:
            raise _err(src, f"categories.{cat}.any_of", "нужен непустой список условий")
        for i, cl in enumerate(clauses):
            key = f"categories.{cat}.any_of[{i}]"
            if not isinstance(cl, dict) or not isinstance(cl.get("criteria"), list) or not cl["criteria"]:
                raise _err(src, key, "условие: {criteria: [...], min: k}")
            for cname in cl["criteria"]:
                if cname not in crit:
                    raise _err(src, f"{key}.criteria", f"нет такого критерия «{cname}»")
            m = cl.get("min", 1)
            if not isinstance(m, int) or not 1 <= m <= len(cl["criteria"]):
                raise _err(src, f"{key}.min", "целое от 1 до числа критериев в условии")
    rz = data.get("risk_zone", {}) or {}
    if not isinstance(rz, dict):
        raise _err(src, "risk_zone", "должно быть словарём")
    for k in ("margin_categories", "one_short_categories"):
        if not isinstance(rz.get(k, []) or [], list) or any(c not in CATEGORIES for c in rz.get(k, []) or []):
            raise _err(src, f"risk_zone.{k}", f"список категорий из {', '.join(CATEGORIES)}")
    if rz.get("index_drop") is not None and not _num(rz["index_drop"]):
        raise _err(src, "risk_zone.index_drop", "число (падение индекса в SD) или null")


# ---------------------------------------------------------------------------
# Indicators for the criteria
# ---------------------------------------------------------------------------

@dataclass
class _Ctx:
    """Per-call cache: the data set, rules, indices spec and the standardised results."""

    ds: Any
    rules: dict
    indices: dict
    _std: pd.DataFrame | None = None
    cache: dict = field(default_factory=dict)

    @property
    def std(self) -> pd.DataFrame:
        if self._std is None:
            self._std = ind.standardised_results(self.ds.results)
        return self._std

    def years(self, year: int, window: int) -> list[int]:
        return ind.window_years(self.ds.years, year, window)

    def school_ids(self) -> pd.Index:
        return pd.Index(self.ds.schools["school_id"], name="school_id")


def _frame(values: pd.Series | pd.DataFrame, ctx: _Ctx, n: pd.Series | None = None) -> pd.DataFrame:
    out = pd.DataFrame(index=ctx.school_ids())
    out["value"] = values.reindex(out.index) if isinstance(values, pd.Series) else values
    out["n"] = n.reindex(out.index) if n is not None else np.nan
    return out


def _result_index(ctx: _Ctx, year: int, window: int, params: dict) -> pd.DataFrame:
    key = ("result_index", year, window)
    if key in ctx.cache:
        return ctx.cache[key]
    ri = ctx.rules.get("result_index", {}) or {}
    yrs = ctx.years(year, window)
    weights = None
    if ri.get("year_weights"):
        yw = list(ri["year_weights"])
        weights = {y: float(yw[i]) if i < len(yw) else 0.0 for i, y in enumerate(sorted(yrs, reverse=True))}
    idx = ind.school_result_index(ctx.ds.results, years=yrs, procedures=ri.get("procedures"),
                                  year_weights=weights, standardised=ctx.std)
    n_years = max(len(yrs), 1)
    minp = float(ri.get("min_participants", 0) or 0)
    idx = idx[idx["participants"] / n_years >= minp]
    sh = ind.shrink_index(idx, bottom_share=float(ri.get("bottom_share", 0.25)))
    method = ri.get("method", "plain")
    value = sh["shrunken_index"] if method == "shrunken" else sh["result_index"]
    out = _frame(value, ctx, sh["participants"].astype(float))
    for c in ("result_index", "result_index_se", "shrunken_index", "p_bottom_quartile", "z_vs_mean"):
        out[c] = sh[c].reindex(out.index)
    out.attrs.update(sh.attrs)
    ctx.cache[key] = out
    return out


def _continuing(ctx: _Ctx, year: int, window: int, params: dict) -> pd.DataFrame:
    o = ctx.ds.get("outcomes")
    if o is None:
        return _frame(pd.Series(dtype=float), ctx)
    c = ind.continuing_share(o, ctx.years(year, window))
    return _frame(c["continuing_senior"], ctx, c["continuing_n"])


def _gap(ctx: _Ctx, year: int, window: int, params: dict) -> pd.DataFrame:
    g = ind.score_gap(ctx.ds.results, ctx.years(year, window), params.get("procedures"), standardised=ctx.std)
    return _frame(g["score_gap_max"], ctx, g["score_gap_n"])


def _olympiad(ctx: _Ctx, year: int, window: int, params: dict) -> pd.DataFrame:
    o = ctx.ds.get("outcomes")
    if o is None:
        return _frame(pd.Series(dtype=float), ctx)
    s = ind.olympiad_share(o, ctx.ds.get("context"), ctx.years(year, window))
    return _frame(s["olympiad_share"], ctx, s["olympiad_n"])


def _satisfaction(ctx: _Ctx, year: int, window: int, params: dict) -> pd.DataFrame:
    o = ctx.ds.get("outcomes")
    if o is None:
        return _frame(pd.Series(dtype=float), ctx)
    s = ind.satisfaction(o, year, ctx.years(year, window))
    return _frame(s.get("satisfaction", pd.Series(dtype=float)), ctx)


def _low_quality(ctx: _Ctx, year: int, window: int, params: dict) -> pd.DataFrame:
    q = ind.low_quality_monitorings(ctx.ds.results, ctx.years(year, window), params.get("procedures"),
                                    float(params.get("quality_threshold", 0.40)))
    return _frame(q["n_low_quality"].astype(float), ctx, q["n_monitorings"].astype(float))


def _composite(name: str) -> Callable[[_Ctx, int, int, dict], pd.DataFrame]:
    def fn(ctx: _Ctx, year: int, window: int, params: dict) -> pd.DataFrame:
        key = (name, year, window)
        if key not in ctx.cache:
            spec = ctx.indices[name]
            data = ind.index_inputs(ctx.ds.tables, spec, year, ctx.years(year, window) or [year])
            ctx.cache[key] = _frame(ind.composite_index(data, spec) if len(data) else pd.Series(dtype=float), ctx)
        return ctx.cache[key]
    return fn


def _resource_flag(column: str) -> Callable[[_Ctx, int, int, dict], pd.DataFrame]:
    def fn(ctx: _Ctx, year: int, window: int, params: dict) -> pd.DataFrame:
        r = ctx.ds.get("resources")
        if r is None or column not in r.columns:
            return _frame(pd.Series(dtype="boolean"), ctx)
        v = ind.latest_values(r, [column], year, ctx.years(year, window))
        return _frame(v[column].astype("boolean") if column in v else pd.Series(dtype="boolean"), ctx)
    return fn


def _territory(column: str, shown: str | None) -> Callable[[_Ctx, int, int, dict], pd.DataFrame]:
    def fn(ctx: _Ctx, year: int, window: int, params: dict) -> pd.DataFrame:
        if "territory" not in ctx.cache:
            ctx.cache["territory"] = ind.territory_indicators(ctx.ds.schools, ctx.ds.get("territories"),
                                                              ctx.indices.get("territory_flags", {}))
        t = ctx.cache["territory"]
        out = _frame(t[column], ctx)
        if shown:
            out["shown"] = t[shown].reindex(out.index)
        return out
    return fn


def _procedure_low_shares(ctx: _Ctx, params: dict) -> pd.DataFrame:
    key = ("proc_low", tuple(params.get("procedures") or ()))
    if key not in ctx.cache:
        ctx.cache[key] = ind.low_results_share(ctx.ds.results, None, params.get("procedures"),
                                               by=("procedure", "year"))
    return ctx.cache[key]


def _n_procedures_low(ctx: _Ctx, year: int, window: int, params: dict) -> pd.DataFrame:
    s = _procedure_low_shares(ctx, params).reset_index()
    s = s[s["year"] == year]
    thr = float(params.get("share_threshold", 0.30))
    s = s.assign(low=(s["share_low"] >= thr - EPS).astype(float))
    g = s.groupby("school_id").agg(v=("low", "sum"), n=("low", "size"))
    return _frame(g["v"], ctx, g["n"].astype(float))


def _consecutive_low(ctx: _Ctx, year: int, window: int, params: dict) -> pd.DataFrame:
    """Longest run of consecutive data years ending in ``year`` with a procedure's share ≥ threshold."""
    s = _procedure_low_shares(ctx, params).reset_index()
    thr = float(params.get("share_threshold", 0.30))
    yrs = sorted(ctx.years(year, window), reverse=True)
    s = s[s["year"].isin(yrs)]
    wide = s.pivot_table(index=["school_id", "procedure"], columns="year", values="share_low", aggfunc="first")
    run = pd.Series(0.0, index=wide.index)
    alive = pd.Series(True, index=wide.index)
    for y in yrs:
        col = wide[y] if y in wide.columns else pd.Series(np.nan, index=wide.index)
        hit = (col >= thr - EPS).fillna(False) & alive
        run = run + hit.astype(float)
        alive = hit
    has_now = wide[year].notna() if year in wide.columns else pd.Series(False, index=wide.index)
    run = run.where(has_now)
    best = run.groupby(level="school_id").max()
    return _frame(best, ctx)


def _failing_count(ctx: _Ctx, year: int, window: int, params: dict) -> pd.DataFrame:
    f = ind.failing_counts(ctx.ds.results, ctx.years(year, window), params.get("procedures", ["ЕГЭ"]))
    return _frame(f["n_failing"], ctx, f["participants"])


def _fail_ru_math_years(ctx: _Ctx, year: int, window: int, params: dict) -> pd.DataFrame:
    yrs = ctx.years(year, window)
    f = ind.failing_counts(ctx.ds.results, yrs, ["ЕГЭ"], by=("subject", "year")).reset_index()
    ru = set(params.get("russian", ["Русский язык"]))
    ma = set(params.get("math", ["Математика профильная", "Математика базовая", "Математика"]))
    f["kind"] = np.where(f["subject"].isin(ru), "ru", np.where(f["subject"].isin(ma), "math", ""))
    f = f[f["kind"] != ""]
    g = f.groupby(["school_id", "year", "kind"])["n_failing"].sum().unstack("kind")
    for k in ("ru", "math"):
        if k not in g.columns:
            g[k] = np.nan
    both = ((g["ru"] > EPS) & (g["math"] > EPS)).astype(float)
    observed = g["ru"].notna() & g["math"].notna()
    per = pd.DataFrame({"both": both.where(observed), "obs": observed.astype(float)})
    agg = per.groupby(level="school_id").agg(v=("both", "sum"), obs=("obs", "sum"))
    # a school must be observed in every year of the window, otherwise the count is not evaluable
    value = agg["v"].where(agg["obs"] >= len(yrs))
    return _frame(value, ctx, agg["obs"])


INDICATORS: dict[str, Callable[[_Ctx, int, int, dict], pd.DataFrame]] = {
    "result_index": _result_index,
    "continuing_senior": _continuing,
    "score_gap": _gap,
    "olympiad_share": _olympiad,
    "satisfaction": _satisfaction,
    "low_quality_monitorings": _low_quality,
    **{name: _composite(name) for name in INDEX_NAMES},
    "in_renovation_plan": _resource_flag("in_renovation_plan"),
    "in_construction_plan": _resource_flag("in_construction_plan"),
    "is_monotown": _territory("is_monotown", None),
    "high_pension": _territory("high_pension", "pension_ratio"),
    "high_unemployment": _territory("high_unemployment", "unemployment_ratio"),
    "n_procedures_low_share": _n_procedures_low,
    "consecutive_low_years": _consecutive_low,
    "failing_ege_count": _failing_count,
    "fail_ru_math_years": _fail_ru_math_years,
}


# ---------------------------------------------------------------------------
# Criteria
# ---------------------------------------------------------------------------

def _bool_array(fired: pd.Series, evaluable: pd.Series) -> pd.Series:
    arr = pd.array(np.where(evaluable.to_numpy(), fired.to_numpy(dtype=bool), False), dtype="boolean")
    arr[~evaluable.to_numpy()] = pd.NA
    return pd.Series(arr, index=fired.index)


def _evaluate_once(ctx: _Ctx, name: str, c: dict, year: int) -> pd.DataFrame:
    """One criterion in one year: value, fired (nullable), near (risk margin), cut-off."""
    params = c.get("params", {}) or {}
    window = int(c.get("window", 1))
    f = INDICATORS[c["indicator"]](ctx, year, window, params)
    value = f["value"]
    evaluable = value.notna()
    if "min_n" in c:
        evaluable &= f["n"].fillna(-np.inf) >= float(c["min_n"])
    op = c["op"]
    margin = float(c.get("risk_margin", 0) or 0)
    near = pd.Series(False, index=value.index)
    cut = np.nan
    if op == "is_true":
        fired = value.astype("boolean").fillna(False).astype(bool)
    elif op in COMPARE:
        x = pd.to_numeric(value, errors="coerce").astype(float)
        thr = float(c["threshold"])
        tol = {"<=": EPS, ">=": -EPS}.get(op, 0.0)
        fired = pd.Series(COMPARE[op](x.to_numpy(), thr + tol), index=x.index) & x.notna()
        if margin:
            shifted = thr + margin if op in ("<", "<=") else thr - margin
            near = pd.Series(COMPARE[op](x.to_numpy(), shifted + tol), index=x.index) & x.notna() & ~fired
        cut = thr
    else:
        x = pd.to_numeric(value, errors="coerce").astype(float).where(evaluable)
        share = float(c["threshold"])
        n_eval = int(x.notna().sum())
        if op == "bottom_share":
            pr = x.rank(method="min") / max(n_eval, 1)
        elif op == "top_share":
            pr = (-x).rank(method="min") / max(n_eval, 1)
        else:  # top_cumulative_share: the smallest set of largest values holding > share of the total
            s = x.dropna().sort_values(ascending=False)
            before = s.cumsum() - s
            total = float(s.sum())
            member = before < share * total - EPS if total > 0 else before < -1
            pr = pd.Series(np.where(member.reindex(x.index).fillna(False), 0.0, 1.0), index=x.index)
            share = 0.5
        fired = (pr <= share + EPS).fillna(False)
        if margin and op != "top_cumulative_share":
            near = (pr <= share + margin + EPS).fillna(False) & ~fired
        if op in ("bottom_share", "top_share") and fired.any():
            cut = float(x[fired].max() if op == "bottom_share" else x[fired].min())
    if c["indicator"] == "result_index":
        ri = ctx.rules.get("result_index", {}) or {}
        if ri.get("method") == "significant_and_bottom":
            zc = float(ri.get("significance_z", 1.645))
            fired = fired & (f["z_vs_mean"] <= -zc).fillna(False)
    out = pd.DataFrame({"value": value, "fired": _bool_array(fired, evaluable),
                        "near": near & evaluable})
    if "shown" in f.columns:
        out["shown"] = f["shown"]
    out.attrs["cut"] = cut
    out.attrs["n_evaluable"] = int(evaluable.sum())
    return out


def evaluate_criterion(ctx: _Ctx, name: str, year: int) -> pd.DataFrame:
    """A criterion with its «k of n years» persistence, if any."""
    c = ctx.rules["criteria"][name]
    pers = c.get("persistence")
    now = _evaluate_once(ctx, name, c, year)
    if not pers:
        return now
    yrs = ind.window_years(ctx.ds.years, year, int(pers["n"]))
    hits = pd.Series(0, index=now.index)
    unknown = pd.Series(0, index=now.index)
    for y in yrs:
        e = now if y == year else _evaluate_once(ctx, name, c, y)
        hits += e["fired"].fillna(False).astype(int)
        unknown += e["fired"].isna().astype(int)
    k = int(pers["k"])
    fired = hits >= k
    evaluable = fired | (hits + unknown < k)
    out = now.copy()
    out["fired"] = _bool_array(fired, evaluable)
    out["near"] = (hits == k - 1) & ~fired
    out["years_fired"] = hits
    return out


# ---------------------------------------------------------------------------
# Formatting for explanations
# ---------------------------------------------------------------------------

def _fmt(v: Any, kind: str) -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)) or v is pd.NA:
        return "нет данных"
    if kind == "bool":
        return "да" if bool(v) else "нет"
    v = float(v)
    if kind == "pct":
        s = f"{v * 100:.1f} %"
    elif kind == "pct2":
        s = f"{v * 100:.2f} %"
    elif kind == "points":
        s = f"{v:.1f} балла"
    elif kind == "count":
        s = f"{v:.0f}"
    elif kind == "number":
        s = f"{v:.1f}"
    elif kind == "number2":
        s = f"{v:.2f}"
    else:
        s = f"{v:+.2f}"
    return s.replace(".", ",")


def _threshold_ru(c: dict, cut: float = np.nan) -> str:
    op, kind = c["op"], c.get("format", "number")
    if op == "is_true":
        return "признак установлен"
    if op == "bottom_share":
        s = f"нижние {c['threshold'] * 100:.0f} % школ"
        return s + (f" (отсечение {_fmt(cut, kind)})" if np.isfinite(cut) else "")
    if op == "top_share":
        return f"верхние {c['threshold'] * 100:.0f} % школ"
    if op == "top_cumulative_share":
        return f"наименьшая группа школ с более чем {c['threshold'] * 100:.0f} % всех случаев в регионе"
    return f"{OP_RU[op]} {_fmt(c['threshold'], kind)}"


def criteria_table_ru(rules: str | Path | dict) -> pd.DataFrame:
    """Every criterion of a rule set as a Russian table (for the «Критерии» sheet)."""
    r = load_rules(rules)
    cat_of: dict[str, list[str]] = {}
    for cat, spec in r["categories"].items():
        for cl in spec["any_of"]:
            for cname in cl["criteria"]:
                cat_of.setdefault(cname, []).append(cat)
    rows = []
    for name, c in r["criteria"].items():
        pers = c.get("persistence")
        rows.append({
            "Код": f"crit_{name}",
            "Критерий": c.get("title_ru", name),
            "Категория": ", ".join(sorted(set(cat_of.get(name, [])))) or "—",
            "Показатель": c["indicator"],
            "Порог": _threshold_ru(c),
            "Окно, лет": int(c.get("window", 1)),
            "Устойчивость": f"{pers['k']} из {pers['n']} лет" if pers else "—",
            "Минимальная группа": c.get("min_n", "—"),
            "Запас для «зоны риска»": c.get("risk_margin", "—"),
        })
    return pd.DataFrame(rows)


def _category_logic_ru(r: dict) -> list[str]:
    lines = []
    for cat, spec in r["categories"].items():
        parts = []
        for cl in spec["any_of"]:
            names = ", ".join(f"«{r['criteria'][n].get('title_ru', n)}»" for n in cl["criteria"])
            m = int(cl.get("min", 1))
            if len(cl["criteria"]) == 1:
                parts.append(names)
            elif m == len(cl["criteria"]):
                parts.append(f"все из: {names}")
            else:
                parts.append(f"не менее {m} из: {names}")
        lines.append(f"- **{cat}**: " + "; или ".join(parts) + ".")
    return lines


def identification_method_ru(rules: str | Path | dict = "lo_2018") -> str:
    """Markdown text for the method annex: criteria, thresholds, uncertainty, choices made."""
    r = load_rules(rules)
    ri = r.get("result_index", {}) or {}
    rz = r.get("risk_zone", {}) or {}
    method = ri.get("method", "plain")
    lines = [f"## Методика идентификации: {r.get('title_ru', r['name'])}", "",
             str(r.get("description_ru", "")).strip(), "", "### Критерии", ""]
    for name, c in r["criteria"].items():
        pers = c.get("persistence")
        extra = f"; устойчивость: {pers['k']} из {pers['n']} лет" if pers else ""
        minn = f"; оценивается при объёме группы не менее {c['min_n']}" if "min_n" in c else ""
        lines.append(f"- `crit_{name}` — {c.get('title_ru', name)}: порог — {_threshold_ru(c)}; "
                     f"окно — {int(c.get('window', 1))} г.{extra}{minn}.")
    lines += ["", "### Отнесение к категориям", "", *_category_logic_ru(r), "",
              "Если данных для критерия нет (нет таблицы, нет значения, слишком мала группа), критерий "
              "считается **не оценённым** (пусто в таблице) и никогда не считается выполненным; "
              "в пояснении к школе такие критерии перечислены.", "",
              "### Индекс результатов и неопределённость", "",
              f"Индекс результатов — взвешенное числом участников среднее стандартизованных баллов "
              f"({', '.join(ri.get('procedures') or ['все процедуры'])}) за окно; каждая ячейка "
              "«процедура × предмет × класс × год» стандартизуется по школам региона (балл в % от максимума); "
              "выше — лучше. Стандартная ошибка учитывает число участников.",
              "Эмпирическая байесовская оценка: индекс школы сжимается к среднему с весом "
              "τ²/(τ² + SE²), τ² — дисперсия истинных индексов (метод моментов: дисперсия индексов минус "
              "средний квадрат SE). Вероятность попасть в нижние "
              f"{float(ri.get('bottom_share', 0.25)) * 100:.0f} % — апостериорная вероятность того, что истинный "
              "индекс ниже соответствующего квантиля распределения истинных индексов.",
              {"plain": "Правило отбора: **простое** — нижняя доля школ по наблюдаемому индексу.",
               "shrunken": "Правило отбора: **по сжатому индексу** — нижняя доля школ по эмпирической "
                           "байесовской оценке (малые школы реже попадают в список случайно).",
               "significant_and_bottom": "Правило отбора: **нижняя доля и значимо ниже среднего** (как IDSR "
                                         f"в Англии): z ≤ −{ri.get('significance_z', 1.645)}."}[method]]
    if ri.get("year_weights"):
        lines.append(f"Веса лет (последний год первым): {ri['year_weights']}.")
    if ri.get("min_participants"):
        lines.append(f"Индекс не оценивается при числе участников в среднем за год менее {ri['min_participants']}.")
    bp = ri.get("borderline_p", [0.2, 0.8])
    lines += [f"Пограничные школы: вероятность попасть в нижнюю группу от {bp[0]} до {bp[1]}.", "",
              "### Зона риска", ""]
    rz_parts = []
    if rz.get("margin_categories"):
        rz_parts.append("критерий категорий " + ", ".join(rz["margin_categories"])
                        + " почти выполнен (в пределах запаса `risk_margin`)")
    if rz.get("index_drop") is not None:
        rz_parts.append(f"годовой индекс результатов снизился за окно на {rz['index_drop']} SD и более")
    if rz.get("borderline"):
        rz_parts.append("школа пограничная по вероятности попасть в нижнюю группу")
    if rz.get("one_short_categories"):
        rz_parts.append("для категорий " + ", ".join(rz["one_short_categories"])
                        + " не хватает одного критерия в условии")
    lines.append("Школа не отнесена к ШНРО/ШНСУ, но: " + "; или ".join(rz_parts) + "." if rz_parts
                 else "Зона риска не определяется.")
    lines += ["", "### Выборы, сделанные там, где источник молчит", "",
              "- Процентильные отсечения: школа в нижних p %, если её ранг (минимальный при равенстве) не больше "
              "p × число школ с известным значением.",
              "- Расхождение со средним баллом региона — в баллах 100-балльной шкалы (балл в % от максимума), "
              "наибольшее из расхождений по процедурам за окно.",
              "- Региональный мониторинг для критерия «качество знаний» — процедура × предмет, классы и годы "
              "окна объединены с весами числа участников.",
              "- Количество выполненных критериев для отнесения к категории задано в файле правил "
              "(раздел `categories`).",
              "- Пороги территориальных признаков — в `parameters/indices.yaml` (`territory_flags`)."]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# Identification
# ---------------------------------------------------------------------------

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


def _explain(sid: str, out: pd.DataFrame, evals: dict, r: dict) -> str:
    fired, missing = [], []
    for name, e in evals.items():
        c = r["criteria"][name]
        f = e.at[sid, "fired"]
        title = c.get("title_ru", name)
        if f is pd.NA:
            missing.append(f"«{title}»")
        elif bool(f):
            kind = c.get("format", "number")
            if "shown" in e.columns:
                val = f"отношение к региону {_fmt(e.at[sid, 'shown'], 'number2')}"
            else:
                val = f"значение {_fmt(e.at[sid, 'value'], kind)}"
            fired.append(f"«{title}» ({val}; порог: {_threshold_ru(c, e.attrs.get('cut', np.nan))})")
    cat = out.at[sid, "category"]
    parts = [f"Категория: {cat}."]
    parts.append("Выполнены критерии: " + "; ".join(fired) + "." if fired else "Ни один критерий не выполнен.")
    if cat == "зона риска":
        parts.append(f"Зона риска: {out.at[sid, 'risk_zone_reasons']}.")
    if missing:
        parts.append("Не оценены из-за отсутствия данных: " + "; ".join(missing) + ".")
    rh = out.at[sid, "risks_high"] if "risks_high" in out.columns else None
    if isinstance(rh, str) and rh:
        parts.append(f"Высокие риски (профиль 500+): {rh}.")
    return " ".join(parts)


def identification_changes(ds: Any, year: int, rules: str | Path | dict = "lo_2018",
                           indices: str | Path | dict | None = None) -> pd.DataFrame:
    """Who entered or left the list against the previous data year, and persistence over the window.

    Returns
    -------
    DataFrame per school: ``school_id``, ``name``, ``municipality``, ``category``,
    ``category_prev``, ``change`` (``вошла``, ``вышла``, ``осталась``, ``не в списке``; the list
    is ШНРО/ШНСУ, «зона риска» counts as not listed), ``years_listed`` and ``years_evaluated``
    (years of the rule window in which the school was listed / identification was run).
    """
    r = load_rules(rules)
    yrs = ind.window_years(ds.years, year, int(r["window"]))
    prev_years = [y for y in ds.years if y < year]
    runs = {y: identify_schools(ds, y, r, indices).set_index("school_id") for y in sorted(set(yrs) | set(prev_years[-1:]))}
    cur = runs.get(year, identify_schools(ds, year, r, indices).set_index("school_id"))

    def listed(df: pd.DataFrame) -> pd.Series:
        return df["category"].isin(["ШНРО", "ШНСУ", "ШНРО и ШНСУ"])

    out = cur[["name", "municipality", "category"]].copy()
    if prev_years:
        prev = runs[prev_years[-1]]
        out["category_prev"] = prev["category"].reindex(out.index)
        now_l, prev_l = listed(cur), listed(prev).reindex(out.index).fillna(False)
        out["change"] = np.select([now_l & ~prev_l, ~now_l & prev_l, now_l & prev_l],
                                  ["вошла", "вышла", "осталась"], "не в списке")
    else:
        out["category_prev"] = pd.NA
        out["change"] = "нет предыдущего года"
    out["years_listed"] = sum(listed(runs[y]).reindex(out.index).fillna(False).astype(int) for y in yrs)
    out["years_evaluated"] = len(yrs)
    out.attrs["previous_year"] = prev_years[-1] if prev_years else None
    return out.reset_index()


COLUMN_LABELS_RU = {
    "school_id": "Код ОО", "name": "Наименование ОО", "municipality": "Муниципальный район",
    "category": "Категория", "result_index": "Индекс результатов", "result_index_se": "Ст. ошибка индекса",
    "shrunken_index": "Индекс (байесовская оценка)", "p_bottom_quartile": "Вероятность нижних 25 %",
    "borderline": "Пограничная", "social_wellbeing_index": "ИСБ", "staff_index": "Индекс кадров",
    "resources_index": "Индекс ресурсов", "risk_zone_reasons": "Причины зоны риска",
    "risks_high": "Высокие риски (500+)", "risks_medium": "Средние риски (500+)", "explanation": "Пояснение",
    "category_prev": "Категория в прошлом году", "change": "Изменение", "years_listed": "Лет в списке",
    "years_evaluated": "Лет оценено",
}


def column_labels_ru(rules: str | Path | dict) -> dict[str, str]:
    """Russian headers for the identification table, including one per criterion."""
    r = load_rules(rules)
    labels = dict(COLUMN_LABELS_RU)
    for name, c in r["criteria"].items():
        labels[f"crit_{name}"] = f"Критерий: {c.get('title_ru', name)}"
    return labels
