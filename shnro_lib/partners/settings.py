"""Typed settings of ``parameters/partners.yaml`` (validated by :mod:`shnro_lib.settings`), their loader."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import Field

from shnro_lib.config import load_yaml
from shnro_lib.settings import StrictSettings, load_settings, parse_settings


class LeaderSettings(StrictSettings):
    allowed_categories: list[str]
    min_residual: float
    stable_years: int = Field(ge=1)
    require_ci_above_zero: bool
    min_result_quantile: float = Field(ge=0, le=1)
    capacity: int = Field(ge=1)


class WeightSettings(StrictSettings):
    context: float = Field(ge=0)
    result: float = Field(ge=0)
    km: float = Field(ge=0)
    other_municipality: float = Field(ge=0)
    lower_level: float = Field(default=0.0, ge=0)


class ResultGapSettings(StrictSettings):
    target_gap: float
    min_gap: float
    below_min_gap_penalty: float = Field(ge=0)


class UnpairedSettings(StrictSettings):
    need_weight: float = Field(ge=0)


class PartnersSettings(StrictSettings):
    """``parameters/partners.yaml``."""

    pair_categories: list[str]
    second_round_categories: list[str] = []
    leaders: LeaderSettings
    weights: WeightSettings
    result_gap: ResultGapSettings
    unpaired: UnpairedSettings
    missing_context_quantile: float = Field(ge=0, le=1)
    max_locality_spread_km: float = Field(default=30.0, gt=0)
    school_levels: dict[str, int] = {}


def load_partners_config(
    config: str | Path | Mapping[str, Any] | PartnersSettings | None = None,
) -> PartnersSettings:
    """The pairing configuration: ``parameters/partners.yaml`` validated by :class:`PartnersSettings`.

    Parameters
    ----------
    config : a complete YAML file (path), a dict merged over the shipped file (a user's
        ``--config`` section ``partners:``), or settings already loaded (returned as they are);
        unknown keys are errors naming the file and the key.

    Returns
    -------
    PartnersSettings
        The validated settings (immutable).
    """
    if isinstance(config, PartnersSettings):
        return config
    if isinstance(config, (str, Path)):
        return parse_settings(PartnersSettings, load_yaml(config), Path(config).name)
    return load_settings(PartnersSettings, "partners", dict(config) if config else None)
