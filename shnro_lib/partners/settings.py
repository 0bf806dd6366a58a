"""Typed settings of ``parameters/partners.yaml`` (validated by :mod:`shnro_lib.settings`)."""

from __future__ import annotations

from pydantic import Field

from shnro_lib.settings import StrictSettings


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


class ResultGapSettings(StrictSettings):
    target_gap: float
    min_gap: float
    below_min_gap_penalty: float = Field(ge=0)


class UnpairedSettings(StrictSettings):
    need_weight: float = Field(ge=0)


class PartnersSettings(StrictSettings):
    """``parameters/partners.yaml``."""

    pair_categories: list[str]
    leaders: LeaderSettings
    weights: WeightSettings
    result_gap: ResultGapSettings
    unpaired: UnpairedSettings
    missing_context_quantile: float = Field(ge=0, le=1)
