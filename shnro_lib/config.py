"""Locating and reading the YAML configuration shipped in ``shnro_lib/parameters/``."""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml


def parameters_dir() -> Path:
    """The folder with the YAML parameters (override with ``SHNRO_PARAMETERS``)."""
    env = os.environ.get("SHNRO_PARAMETERS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent / "parameters"


def load_yaml(path: str | Path) -> Any:
    """Read a YAML file as UTF-8; a broken file gets a Russian error naming it."""
    p = Path(path)
    try:
        with p.open(encoding="utf-8") as fh:
            # libyaml's safe loader when PyYAML was built with it: the same documents, ~10x faster
            return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - a safe loader
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"Файл параметров не найден: {p}") from exc
    except yaml.YAMLError as exc:
        # the parser's own text is English; the place of the error is what a user needs
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = (
            f"строка {mark.line + 1}, столбец {mark.column + 1}"
            if mark is not None
            else "место не определено"
        )
        raise ValueError(
            f"Файл параметров {p} не читается как YAML ({where}): проверьте отступы, двоеточия, "
            "кавычки и скобки"
        ) from exc


def deep_merge(base: Mapping, over: Mapping) -> dict:
    """A copy of ``base`` with ``over`` merged in, nested mappings merged key by key."""
    out = copy.deepcopy(dict(base))
    for key, val in over.items():
        if isinstance(val, Mapping) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], val)
        else:
            out[key] = copy.deepcopy(val)
    return out
