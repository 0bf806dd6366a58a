"""Typed settings for identification: a rule set (``parameters/criteria/<name>.yaml``) and the
composite indices (``parameters/indices.yaml``).

Defaults live only in the YAML files.  A key that a rule set may leave out is ``None`` here,
which always means «not used» (no persistence, no risk margin, every procedure), never a
hidden default value.  Unknown or misspelt keys are errors naming the file and the key.

A user's ``--config`` file overrides them by section: ``indices: {...}`` for the indices and
``criteria: {...}`` for the selected rule set (see :func:`read_config`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from shnro_lib.config import deep_merge, load_yaml, parameters_dir
from shnro_lib.settings import SettingsError, StrictSettings, parse_settings

Share = Field(gt=0, lt=1)
OpName = Literal["<", "<=", ">", ">=", "==", "bottom_share", "top_share", "top_cumulative_share", "is_true"]
Format = Literal["index", "pct", "pct2", "points", "count", "number", "number2", "bool"]
Category = Literal["ШНРО", "ШНСУ"]


class ResultIndexSettings(StrictSettings):
    """How the school result index of a rule set is built and ranked."""

    procedures: list[str] | None  # None: every procedure in the data
    procedure_weights: dict[str, float] | None  # None: weights by participants only
    method: Literal["plain", "shrunken", "significant_and_bottom"]
    year_weights: list[float] | None
    min_participants: float = Field(ge=0)
    bottom_share: float = Share
    significance_z: float = Field(gt=0)
    borderline_p: tuple[float, float]

    @field_validator("year_weights")
    @classmethod
    def _non_negative(cls, v: list[float] | None) -> list[float] | None:
        if v is not None and (not v or any(x < 0 for x in v)):
            raise ValueError("year weights must be non-negative")
        return v


class Persistence(StrictSettings):
    """«k of n years»: the criterion counts as met when it fired in at least k of the last n years."""

    k: int = Field(ge=1)
    n: int = Field(ge=1)

    @model_validator(mode="after")
    def _k_le_n(self) -> Persistence:
        if self.k > self.n:
            raise ValueError("k > n")
        return self


class CriterionSettings(StrictSettings):
    """One criterion: an indicator compared with a threshold over a window of years."""

    title_ru: str
    short_ru: str  # a few words for the one-sentence explanation and ✓/✗ tables
    indicator: str
    op: OpName
    threshold: float | None = None  # None only for ``is_true``
    window: int = Field(ge=1)
    params: dict[str, Any] | None = None
    min_n: float | None = None
    risk_margin: float | None = None
    persistence: Persistence | None = None
    format: Format

    @field_validator("indicator")
    @classmethod
    def _known_indicator(cls, v: str) -> str:
        from shnro_lib.identify.sources import INDICATORS

        if v not in INDICATORS:
            raise ValueError(f"unknown indicator {v}")
        return v

    @model_validator(mode="after")
    def _threshold(self) -> CriterionSettings:
        if self.op != "is_true" and self.threshold is None:
            raise ValueError("threshold required")
        if (
            self.op in ("bottom_share", "top_share", "top_cumulative_share")
            and not 0 < float(self.threshold) < 1
        ):
            raise ValueError("share threshold must be in (0, 1)")
        return self


class Clause(StrictSettings):
    """«at least ``min`` of ``criteria``» (a group counts once), with optional guards."""

    criteria: list[str] = Field(min_length=1)
    min: int = Field(ge=1)
    require_one_of: list[str] | None = None  # at least one of these must be met (school-level condition)
    lower_half_of: (
        list[Literal["result_index", "social_wellbeing_index", "staff_index", "resources_index"]] | None
    ) = None  # the school must be in the lower half of these indices

    @model_validator(mode="after")
    def _min_le_len(self) -> Clause:
        if self.min > len(self.criteria):
            raise ValueError("min exceeds the number of criteria")
        return self


class IntendedSize(StrictSettings):
    """The size of a category the rule set is meant to give: a share range or a capacity."""

    share: tuple[float, float] | None = None
    capacity: int | None = Field(default=None, ge=1)
    note_ru: str

    @model_validator(mode="after")
    def _one_of(self) -> IntendedSize:
        if (self.share is None) == (self.capacity is None):
            raise ValueError("give either share or capacity")
        if self.share is not None and not 0 <= self.share[0] <= self.share[1] <= 1:
            raise ValueError("share must be 0 ≤ low ≤ high ≤ 1")
        return self


class CategorySettings(StrictSettings):
    any_of: list[Clause] = Field(min_length=1)
    intended: IntendedSize | None  # None: «as many as the rule gives»


class RiskZoneSettings(StrictSettings):
    """«Зона риска»: not listed, not in the upper half of the result index, and at risk."""

    margin_categories: list[Category]
    index_drop: float | None  # a decline of the yearly index by at least this many SD …
    index_drop_years: int = Field(ge=1)  # … between the report year and this many years before …
    index_drop_z: float = Field(gt=0)  # … and significant: drop ≥ z × its standard error …
    index_drop_sustained: bool  # … and lower in every year of that span than the year before
    borderline: bool
    one_short_categories: list[Category]


class RiskLevels(StrictSettings):
    """Where a numeric risk level in [0, 1] of a 500+ risk profile becomes «высокий» / «средний»."""

    high: float = Field(ge=0, le=1)
    medium: float = Field(ge=0, le=1)


class RuleSettings(StrictSettings):
    """A whole rule set (one file in ``parameters/criteria``)."""

    name: str
    title_ru: str
    description_ru: str
    window: int = Field(ge=1)
    result_index: ResultIndexSettings
    risk_profile_levels: RiskLevels
    criteria: dict[str, CriterionSettings] = Field(min_length=1)
    groups: dict[str, list[str]] | None  # criteria describing the same thing count once per clause
    categories: dict[Category, CategorySettings] = Field(min_length=1)
    risk_zone: RiskZoneSettings
    coverage_min_share: float = Field(gt=0, le=1)  # a category decided for fewer schools is «не оценено»
    changes_ru: list[str] | None  # changed defaults and why, for the method annex

    @model_validator(mode="after")
    def _references(self) -> RuleSettings:
        known = set(self.criteria)
        refs = [c for g in (self.groups or {}).values() for c in g]
        for spec in self.categories.values():
            for cl in spec.any_of:
                refs += [*cl.criteria, *(cl.require_one_of or [])]
        bad = sorted(set(refs) - known)
        if bad:
            raise ValueError(f"unknown criteria {bad}")
        return self


class Component(StrictSettings):
    column: str
    table: str
    direction: Literal[1, -1]
    weight: float = Field(gt=0)
    label_ru: str
    transform: Literal["one_minus"] | None = None
    note_ru: str | None = None


class CompositeIndexSettings(StrictSettings):
    title_ru: str
    standardise: Literal["zscore"]
    min_weight_share: float = Field(ge=0, le=1)  # of the weight of the components present in the data
    note_ru: str | None = None
    components: list[Component] = Field(min_length=1)


class TerritoryFlagsSettings(StrictSettings):
    title_ru: str
    unemployment_ratio_factor: float = Field(gt=0)
    pension_ratio_factor: float = Field(gt=0)


class IndicesSettings(StrictSettings):
    """``parameters/indices.yaml``."""

    social_wellbeing_index: CompositeIndexSettings
    staff_index: CompositeIndexSettings
    resources_index: CompositeIndexSettings
    territory_flags: TerritoryFlagsSettings


def load_indices(
    indices: str | Path | Mapping | IndicesSettings | None = None, override: Mapping[str, Any] | None = None
) -> IndicesSettings:
    """The composite-index spec, validated: ``parameters/indices.yaml``, a path, a dict or a spec already
    loaded (returned as it is unless ``override``, a user's ``indices`` section, changes it)."""
    if isinstance(indices, IndicesSettings):
        if not override:
            return indices
        raw, src = indices.model_dump(), "indices.yaml"
    elif isinstance(indices, Mapping):
        raw, src = dict(indices), "indices.yaml (словарь)"
    else:
        path = Path(indices) if indices is not None else parameters_dir() / "indices.yaml"
        raw, src = load_yaml(path) or {}, path.name
    if override:
        raw, src = deep_merge(raw, override), f"{src} (с учётом --config)"
    return parse_settings(IndicesSettings, raw, src)


def read_config(path: str | Path | None) -> dict[str, dict[str, Any]]:
    """A user's ``--config`` file: ``{section: values}``, sections named after parameter files
    (``indices``, ``context`` …) plus ``criteria`` (overrides of the selected rule set).

    Raises
    ------
    SettingsError
        Russian, naming the file and the unknown section.
    """
    if path is None:
        return {}
    data = load_yaml(path) or {}
    if not isinstance(data, Mapping):
        raise SettingsError(f"{Path(path).name}: ожидался словарь «имя файла параметров: значения»")
    known = sorted([p.stem for p in parameters_dir().glob("*.yaml")] + ["criteria"])
    unknown = sorted(str(k) for k in data if str(k) not in known)
    if unknown:
        raise SettingsError(
            f"{Path(path).name}: неизвестные разделы {', '.join(unknown)}; допустимы: {', '.join(known)}"
        )
    bad = sorted(str(k) for k, v in data.items() if v is not None and not isinstance(v, Mapping))
    if bad:
        raise SettingsError(f"{Path(path).name}: раздел {', '.join(bad)} должен быть словарём")
    return {str(k): dict(v or {}) for k, v in data.items()}
