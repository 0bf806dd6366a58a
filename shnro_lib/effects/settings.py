"""Typed settings of ``parameters/effects.yaml`` (defaults live only in the YAML file)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field
from scipy import stats

from shnro_lib.config import load_yaml
from shnro_lib.settings import StrictSettings, load_settings


class Selection(StrictSettings):
    cell_weighting: Literal["unweighted", "participants"]
    min_compliance: float = Field(gt=0, le=1)
    infer_max_window: int = Field(ge=1)


class Identifiability(StrictSettings):
    max_abs_bias_pp: float = Field(gt=0)
    min_coverage: float = Field(gt=0, le=1)
    simulation_table: str


class SelfCheck(StrictSettings):
    replications: int = Field(ge=20)
    max_replications: int = Field(ge=20)
    planted_effect_pp: float
    seed: int


class SelectionAdjusted(StrictSettings):
    size_degree: int = Field(ge=0)
    pre_year_indices: bool
    municipality_effects: bool
    context_columns: list[str]


class InputOutput(StrictSettings):
    wave_in: str
    wave_out: str
    min_participants: int = Field(ge=0)


class Panel(StrictSettings):
    procedures: list[str] | None


class Rtm(StrictSettings):
    bootstrap_reps: int = Field(ge=0)
    seed: int


class Did(StrictSettings):
    cluster: Literal["school_id", "municipality"]
    callaway_santanna: bool


class Matching(StrictSettings):
    k: int = Field(ge=1)
    within_cluster: bool
    context_features: list[str]
    bias_adjust: bool


class Rdd(StrictSettings):
    use_rdrobust: bool
    bandwidth: Literal["cv"] | float
    bandwidth_grid: list[float] = Field(min_length=1)
    min_obs_side: int = Field(ge=2)
    placebo_cutoffs: list[float]
    density_window: float = Field(gt=0)


class DoseResponse(StrictSettings):
    process_columns: list[str]
    cluster: Literal["school_id", "municipality"]


class EffectsSettings(StrictSettings):
    """``parameters/effects.yaml``."""

    selection: Selection
    ci_level: float = Field(gt=0, lt=1)
    identifiability: Identifiability
    self_check: SelfCheck
    selection_adjusted: SelectionAdjusted
    input_output: InputOutput
    panel: Panel
    rtm: Rtm
    did: Did
    matching: Matching
    rdd: Rdd
    dose_response: DoseResponse

    @property
    def z(self) -> float:
        """The normal quantile of the two-sided interval at ``ci_level``."""
        return float(stats.norm.ppf(0.5 + self.ci_level / 2))


def load_effects_config(
    config: str | Path | Mapping[str, Any] | EffectsSettings | None = None,
) -> EffectsSettings:
    """``parameters/effects.yaml`` with ``config`` merged over it and validated.

    ``config`` may be a mapping of overrides (``--config`` section ``effects``), the path of a YAML
    file with such overrides, or already validated settings (returned as they are).
    """
    if isinstance(config, EffectsSettings):
        return config
    if isinstance(config, (str, Path)):
        config = load_yaml(config) or {}
    return load_settings(EffectsSettings, "effects", dict(config or {}))
