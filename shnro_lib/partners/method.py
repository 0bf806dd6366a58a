"""The method annex of the partnership list: ``templates/method.md.j2`` rendered with the settings."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from shnro_lib.labels import LABELS_RU
from shnro_lib.prose import render_prose

from .settings import PartnersSettings, load_partners_config

COLUMN_LABELS_RU = {**LABELS_RU, "reason": "Обоснование"}


def partners_method_ru(config: str | Path | Mapping | PartnersSettings | None = None) -> str:
    """Markdown (Russian) for the method annex: leaders, cost, assignment.

    Parameters
    ----------
    config : str, Path, Mapping or None
        See :func:`~shnro_lib.partners.settings.load_partners_config`.

    Returns
    -------
    str
        The text of ``shnro_lib/partners/templates/method.md.j2`` with the settings' values.
    """
    cfg = load_partners_config(config)
    q = float(cfg.leaders.min_result_quantile or 0)
    computed = {
        "quantile_pct": f"{q:.0%}" if q > 0 else None,
        "years_before": cfg.leaders.stable_years - 1,
    }
    return render_prose("shnro_lib.partners", "method.md.j2", settings=cfg, computed=computed)
