"""Locating and reading the YAML configuration in ``parameters/``."""

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
    return Path(__file__).resolve().parents[1] / "parameters"


def load_yaml(path: str | Path) -> Any:
    """Read a YAML file as UTF-8; a broken file gets a Russian error naming it."""
    p = Path(path)
    try:
        with p.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"Файл параметров не найден: {p}") from exc
    except yaml.YAMLError as exc:
        raise ValueError(f"Файл параметров {p} не читается как YAML: {exc}") from exc


def deep_merge(base: Mapping, over: Mapping) -> dict:
    """A copy of ``base`` with ``over`` merged in, nested mappings merged key by key."""
    out = copy.deepcopy(dict(base))
    for key, val in over.items():
        if isinstance(val, Mapping) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], val)
        else:
            out[key] = copy.deepcopy(val)
    return out
