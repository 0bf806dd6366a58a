"""Typed settings of the reports and the pipeline (``parameters/report.yaml``).

The defaults live only in the YAML file; this model names the keys and their types.
A user's ``--config`` file reaches every stage as ``overrides`` (``{file name: values}``):
:func:`report_settings` validates the ``report`` part, and :func:`stage_config` hands each
area module its own part (the modules merge it over their YAML).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from shnro_lib.settings import StrictSettings, load_settings

Overrides = Mapping[str, Mapping[str, Any]]


class ReportSettings(StrictSettings):
    """``parameters/report.yaml``: small-group threshold, table and figure sizes, kernel and timeout."""

    min_group_size: int = Field(ge=1)
    dynamics_years: int = Field(ge=1)
    max_table_rows: int = Field(ge=1)
    figure_dpi: int = Field(ge=30)
    figure_size: tuple[float, float]
    kernel_name: str
    cell_timeout: int = Field(ge=1)


def report_settings(overrides: Overrides | None = None) -> ReportSettings:
    """``parameters/report.yaml`` merged with the ``report`` part of a user's overrides, validated."""
    return load_settings(ReportSettings, "report", (overrides or {}).get("report"))


def stage_config(overrides: Overrides | None, name: str) -> dict[str, Any] | None:
    """The user's values for ``parameters/<name>.yaml`` (``None``: the shipped file as it is)."""
    part = (overrides or {}).get(name)
    return dict(part) if part else None
