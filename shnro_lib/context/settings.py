"""Typed settings of ``parameters/context.yaml`` (validated by :mod:`shnro_lib.settings`).

Every key is declared here and its value lives only in the YAML file; an unknown or misspelt
key is an error naming the file and the key.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shnro_lib.settings import StrictSettings

FeatureTable = Literal["context", "staff", "resources", "territories", "schools"]


class FeatureSpec(StrictSettings):
    """One feature of the catalogue (see the comments in ``context.yaml``)."""

    table: FeatureTable
    column: str
    transform: Literal["none", "log", "log1p", "bool", "indicator"]
    label: str
    favourable: Literal[-1, 0, 1]
    high: str
    low: str
    value: str | None = None  # only for transform: indicator


class MissingSettings(StrictSettings):
    max_share: float = Field(ge=0, le=1)
    per_table: bool
    impute: Literal["municipality_median", "region_median"]


class StabilitySettings(StrictSettings):
    n_boot: int = Field(ge=0)
    ci: float = Field(gt=0, lt=1)


class NamingSettings(StrictSettings):
    max_features: int = Field(ge=1)
    min_abs_z: float = Field(ge=0)
    fallback: str


class ClusteringSettings(StrictSettings):
    method: Literal["kmeans", "ward", "gmm"]
    k_range: list[int] = Field(min_length=2, max_length=2)
    k: int | None
    min_cluster_size: int = Field(ge=1)
    few_schools_warning: int = Field(ge=0)
    n_init: int = Field(ge=1)
    random_state: int
    gmm_covariance: Literal["full", "diag", "tied", "spherical"]
    silhouette_sample_size: int = Field(ge=10)
    ward_max_n: int = Field(ge=10)
    features: list[str] | None
    stability: StabilitySettings
    naming: NamingSettings
    reference_year: int | None


class ModelSettings(StrictSettings):
    window: int = Field(ge=1)
    features: list[str] | None
    optimizers: list[Literal["lbfgs", "bfgs", "powell", "cg", "newton", "nm"]]
    min_re_variance_ratio: float = Field(ge=0)
    include_municipal_effect: bool
    ols_weighting: Literal["precision", "none"]
    ci_level: float = Field(gt=0, lt=1)
    include_year_shock: bool
    use_prior_score: bool


class ContextIndexSettings(StrictSettings):
    method: Literal["linear_predictor", "pca"]
    features: list[str] | None


class ResilientSettings(StrictSettings):
    bottom_share: float = Field(gt=0, lt=1)
    top_share: float = Field(gt=0, lt=1)


class SimilarSettings(StrictSettings):
    k: int = Field(ge=1)
    features: list[str] | None
    levels: dict[str, str] | None = None


class BandSettings(StrictSettings):
    strong_sd: float = Field(gt=0)


class ContextSettings(StrictSettings):
    """``parameters/context.yaml``."""

    features: dict[str, FeatureSpec]
    year_fallback: Literal["latest_earlier", "exact"]
    missing: MissingSettings
    clustering: ClusteringSettings
    model: ModelSettings
    context_index: ContextIndexSettings
    resilient: ResilientSettings
    similar: SimilarSettings
    bands: BandSettings
