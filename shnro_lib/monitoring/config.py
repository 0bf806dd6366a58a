"""Monitoring settings (``parameters/monitoring.yaml``) and their checks."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

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
