"""Typed settings: one pydantic model per YAML file in ``parameters/``.

Defaults live only in the YAML files; a model declares the keys and their types, and rejects
unknown or misspelt keys with a Russian message naming the file and the key.  A user's
override (``--config FILE``: a YAML file whose top-level keys are parameter file names, e.g.
``context: {features: [...]}``) is merged over the shipped file before validation.

    >>> class Demo(StrictSettings):
    ...     k: int
    >>> parse_settings(Demo, {"k": 3}, "demo.yaml").k
    3
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from shnro_lib.config import deep_merge, load_yaml, parameters_dir


class StrictSettings(BaseModel):
    """Base of every settings model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SettingsError(ValueError):
    """A parameter file (or a user's override) does not match its model; the message is Russian."""


M = TypeVar("M", bound=BaseModel)

_ERROR_RU = {
    "extra_forbidden": "неизвестный ключ (опечатка?)",
    "missing": "нет обязательного ключа",
    "int_parsing": "ожидалось целое число",
    "int_from_float": "ожидалось целое число",
    "float_parsing": "ожидалось число",
    "bool_parsing": "ожидалось true или false",
    "string_type": "ожидалась строка",
    "list_type": "ожидался список",
    "dict_type": "ожидался словарь",
    "literal_error": "недопустимое значение",
    "greater_than": "значение слишком мало",
    "greater_than_equal": "значение слишком мало",
    "less_than": "значение слишком велико",
    "less_than_equal": "значение слишком велико",
}


def settings_errors_ru(exc: ValidationError, source: str) -> str:
    """One Russian line per problem, each naming the file and the key path."""
    lines = []
    for err in exc.errors():
        path = ".".join(str(p) for p in err.get("loc", ()))
        what = _ERROR_RU.get(err.get("type", ""), "недопустимое значение")
        lines.append(f"{source}: {what}: «{path}»")
    return "\n".join(sorted(set(lines)))


def parse_settings(model: type[M], raw: Mapping[str, Any] | None, source: str) -> M:
    """Validate ``raw`` against ``model``; :class:`SettingsError` (Russian, naming ``source``) if not."""
    try:
        return model.model_validate(dict(raw or {}))
    except ValidationError as exc:
        raise SettingsError(settings_errors_ru(exc, source)) from None


def load_settings(model: type[M], name: str, override: Mapping[str, Any] | None = None) -> M:
    """``parameters/<name>.yaml`` merged with ``override`` (a user's values for this file), validated."""
    path = parameters_dir() / f"{name}.yaml"
    raw = load_yaml(path) or {}
    source = path.name if not override else f"{path.name} (с учётом --config)"
    return parse_settings(model, deep_merge(raw, override or {}), source)


def read_overrides(path: str | Path | None) -> dict[str, dict[str, Any]]:
    """A user's ``--config`` file: ``{parameter file name: {key: value}}`` (empty when ``path`` is None)."""
    if path is None:
        return {}
    data = load_yaml(path) or {}
    known = sorted(p.stem for p in parameters_dir().glob("*.yaml"))
    if not isinstance(data, Mapping):
        raise SettingsError(f"{Path(path).name}: ожидался словарь «имя файла параметров: значения»")
    unknown = sorted(str(k) for k in data if str(k) not in known)
    if unknown:
        raise SettingsError(
            f"{Path(path).name}: неизвестные разделы {', '.join(unknown)}; допустимы: {', '.join(known)}"
        )
    return {str(k): dict(v or {}) for k, v in data.items()}
