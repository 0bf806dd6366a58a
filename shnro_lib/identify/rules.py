"""Rule files ``parameters/criteria/<name>.yaml``: locating, loading and validating them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shnro_lib.config import load_yaml, parameters_dir
from shnro_lib.identify.constants import CATEGORIES, METHODS, OPS, RANK_OPS, RuleError
from shnro_lib.identify.sources import INDICATORS


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

