"""``parameters/costs.yaml`` as a typed model, and the «not estimated» error of the cost analyses."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from shnro_lib.config import load_yaml
from shnro_lib.settings import StrictSettings, load_settings


class DeaSettings(StrictSettings):
    use_context_input: bool
    bootstrap_reps: int = Field(ge=0)
    n_jobs: int
    seed: int
    ci_level: float = Field(gt=0, lt=1)


class CostEffectivenessSettings(StrictSettings):
    per_sd: float = Field(gt=0)
    bootstrap_reps: int = Field(ge=10)
    seed: int
    min_schools: int = Field(ge=2)


class CostsSettings(StrictSettings):
    """``parameters/costs.yaml``."""

    window: int = Field(ge=1)
    quadrant_split: Literal["median", "mean"]
    min_schools: int = Field(ge=2)
    dea: DeaSettings
    cost_effectiveness: CostEffectivenessSettings


def load_costs_config(config: str | Path | Mapping[str, Any] | CostsSettings | None = None) -> CostsSettings:
    """``parameters/costs.yaml`` with ``config`` (overrides, or the path of a YAML with them) merged,
    validated."""
    if isinstance(config, CostsSettings):
        return config
    if isinstance(config, (str, Path)):
        config = load_yaml(config) or {}
    return load_settings(CostsSettings, "costs", dict(config or {}))


class NotEstimated(ValueError):
    """An analysis could not be done on these data; the message is Russian: «не оценено: причина»."""
