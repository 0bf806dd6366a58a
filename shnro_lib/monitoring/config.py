"""Monitoring settings (``parameters/monitoring.yaml``) and their checks."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from shnro_lib.config import load_yaml
from shnro_lib.settings import SettingsError, StrictSettings, load_settings, parse_settings

AGGREGATIONS = ("count", "sum", "mean", "ratio")
STATUS_KEYS = ("on_track", "at_risk", "off_track", "no_target", "no_schools", "no_data")
STATUS_COLOURS = {
    "on_track": "#5cb85c",
    "at_risk": "#f0ad4e",
    "off_track": "#d9534f",
    "no_target": "#dfe6ee",
    "no_schools": "#f2f2f2",
    "no_data": "#ffffff",
}


# --------------------------------------------------------------------------- configuration


class IndicatorSpec(StrictSettings):
    """One indicator of ``monitoring.yaml`` (see the comments there)."""

    title_ru: str
    aggregation: Literal["count", "sum", "mean", "ratio"]
    short_ru: str | None = None
    section: str = ""
    requires: list[str] | None = None
    filter: dict[str, list[str]] | None = None
    where: str | None = None
    numerator: str | float | None = None
    denominator: str | float | None = None
    unit: Literal["share", "count", "index"] = "share"
    direction: Literal["higher_better", "lower_better"] = "higher_better"
    min_coverage: float | None = Field(default=None, ge=0, le=1)


class PositiveChange(StrictSettings):
    min_change: float
    require_significance: bool
    z: float = Field(gt=0)


class Procedures(StrictSettings):
    procedures: list[str] | None


class GiaSettings(StrictSettings):
    procedures: list[str]
    subjects: list[str] | None


class StatusLabels(StrictSettings):
    on_track: str
    at_risk: str
    off_track: str
    no_target: str
    no_target_facts: str
    no_data: str
    not_assessed: str
    no_schools: str


class Transitions(StrictSettings):
    effective_years: int = Field(ge=1)


class MonitoringSettings(StrictSettings):
    """``parameters/monitoring.yaml`` (targets are facts of a data set: ``dataset.yaml``)."""

    list_categories: list[str]
    risk_categories: list[str]
    shnro_categories: list[str]
    shnsu_categories: list[str]
    not_assessed_categories: list[str]
    category_order: list[str]
    region_label: str
    positive_change: PositiveChange
    low_index: Procedures
    gia: GiaSettings
    indicators: dict[str, IndicatorSpec]
    status_labels: StatusLabels
    share_n_below: int = Field(ge=1)
    transitions: Transitions


def load_monitoring_config(
    config: str | Path | Mapping[str, Any] | MonitoringSettings | None = None,
) -> MonitoringSettings:
    """The monitoring configuration: ``parameters/monitoring.yaml`` validated by :class:`MonitoringSettings`.

    Parameters
    ----------
    config : a complete YAML file (path), a dict merged over the shipped file key by key (a new
        indicator is added, a listed one changed) — e.g. a user's ``--config`` section
        ``monitoring:`` —, or settings already loaded (returned as they are).

    Returns
    -------
    MonitoringSettings
        The validated settings (immutable); an indicator's keys not given are ``None``.

    Raises
    ------
    SettingsError
        Unknown keys, or an aggregation without the numerator or denominator it needs (Russian,
        naming the file and the key).
    """
    if isinstance(config, MonitoringSettings):
        return config
    if isinstance(config, (str, Path)):
        cfg = parse_settings(MonitoringSettings, load_yaml(config), Path(config).name)
    else:
        cfg = load_settings(MonitoringSettings, "monitoring", dict(config) if config else None)
    _validate(cfg)
    return cfg


def _validate(cfg: MonitoringSettings) -> None:
    for name, spec in cfg.indicators.items():
        where = f"monitoring.yaml: показатель «{name}»"
        if spec.aggregation == "ratio" and not spec.denominator:
            raise SettingsError(f"{where}: для aggregation: ratio нужен denominator")
        if spec.aggregation in ("sum", "mean") and spec.numerator is None:
            raise SettingsError(f"{where}: для aggregation: {spec.aggregation} нужен numerator")
