"""Typed settings of ``parameters/profiles.yaml`` (defaults live only in the YAML file)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from shnro_lib.settings import StrictSettings, load_settings


class ProblemZones(StrictSettings):
    low_share_excess: float = Field(ge=0, le=1)
    min_similar_schools: int = Field(ge=1)


class Figure(StrictSettings):
    width: float = Field(gt=0)
    height: float = Field(gt=0)


class WorthLearning(StrictSettings):
    window_years: int = Field(ge=2)
    pre_years: int = Field(ge=1)
    post_years: int = Field(ge=1)
    fdr_q: float = Field(gt=0, lt=1)
    min_participants: int = Field(ge=0)
    include_effective_exits: bool


class ProfilesSettings(StrictSettings):
    ci_level: float = Field(gt=0, lt=1)
    problem_zones: ProblemZones
    figure: Figure
    worth_learning: WorthLearning


def load_profiles_settings(config: Mapping[str, Any] | ProfilesSettings | None = None) -> ProfilesSettings:
    """``parameters/profiles.yaml``; ``config`` is a settings object or a mapping merged over the file."""
    if isinstance(config, ProfilesSettings):
        return config
    return load_settings(ProfilesSettings, "profiles", override=dict(config or {}))
