"""Rule files ``parameters/criteria/<name>.yaml``: locating, loading and validating them.

A rule set is validated by :class:`shnro_lib.identify.models.RuleSettings` and handed on as a
plain dict (every key present, ``None`` where the rule set does not use a feature) with
``_source`` naming where it came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shnro_lib.config import deep_merge, load_yaml, parameters_dir
from shnro_lib.identify.constants import RuleError
from shnro_lib.identify.models import RuleSettings
from shnro_lib.settings import SettingsError, parse_settings


def rules_path(rules: str | Path) -> Path:
    """Resolve a rule-set name (``lo_2018``) or a path to a YAML file."""
    p = Path(rules)
    if p.suffix in (".yaml", ".yml") or p.exists():
        return p
    return parameters_dir() / "criteria" / f"{rules}.yaml"


def available_rules() -> list[str]:
    """Names of the rule files in ``parameters/criteria``."""
    return sorted(p.stem for p in (parameters_dir() / "criteria").glob("*.yaml"))


def validate_rules(data: Any, src: str = "<правила>") -> dict:
    """Validate a rule set; the normalised dict, or :class:`RuleError` naming ``src`` and every bad key."""
    if not isinstance(data, Mapping):
        raise RuleError(f"Файл правил {src}: ожидался словарь ключей верхнего уровня")
    try:
        model = parse_settings(
            RuleSettings, {k: v for k, v in data.items() if k != "_source"}, f"Файл правил {src}"
        )
    except SettingsError as exc:
        raise RuleError(str(exc)) from None
    return model.model_dump()


def load_rules(rules: str | Path | Mapping, override: Mapping[str, Any] | None = None) -> dict:
    """Read and validate a rule set (name, path or an already loaded dict).

    Parameters
    ----------
    rules : a name in ``parameters/criteria``, a path to a YAML file, or a dict.
    override : a user's values for this rule set (the ``criteria`` section of ``--config``),
        merged over the file before validation.

    Raises
    ------
    RuleError
        With a Russian message naming the file and the offending key.
    """
    if isinstance(rules, Mapping):
        data, src = dict(rules), str(rules.get("_source") or rules.get("name", "<словарь>"))
    else:
        path = rules_path(rules)
        if not path.exists():
            raise RuleError(f"Файл правил не найден: {path} (доступны: {', '.join(available_rules())})")
        data, src = load_yaml(path), path.name
    if override:
        data, src = deep_merge(data or {}, override), f"{src} (с учётом --config)"
    out = validate_rules(data, src)
    out["_source"] = src
    return out
