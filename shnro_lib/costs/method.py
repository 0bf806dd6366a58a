"""The method annex of the cost analyses: ``templates/method.md.j2`` rendered with the settings."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from shnro_lib.costs.quality import SPLIT_RU
from shnro_lib.costs.settings import load_costs_config
from shnro_lib.prose import render_prose


def costs_method_ru(config: str | Path | Mapping | None = None) -> str:
    """Markdown for the method annex (Russian).

    Parameters
    ----------
    config : str, Path, Mapping or None
        The costs settings (``costs.yaml`` and a user's overrides); ``None`` for the defaults.

    Returns
    -------
    str
        The text of ``shnro_lib/costs/templates/method.md.j2`` with the settings' values.
    """
    cfg = load_costs_config(config)
    return render_prose(
        "shnro_lib.costs", "method.md.j2", settings=cfg, computed={"split_ru": SPLIT_RU[cfg.quadrant_split]}
    )
