"""National-size synthetic data: the demo generator over many regions, written as Parquet.

About 40 000 schools in 85 regions and ~2 500 municipalities, five years and the full
procedure x subject x grade grid (several million result rows).  The schools follow
the same generative model as the regional demo (:mod:`shnro_lib.demo`); only the
list of municipalities differs.  СИНТЕТИЧЕСКИЕ ДАННЫЕ.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from shnro_lib.config import load_yaml, parameters_dir
from shnro_lib.demo.generator import DemoOutput, generate_demo


def national_municipalities(
    n_regions: int = 85, n_municipalities: int = 2500, seed: int = 0
) -> list[tuple[str, float, float, float, list[str]]]:
    """Synthetic municipalities spread over ``n_regions`` regions.

    Returns ``(name, lat, lon, weight, towns)`` tuples as :func:`generate_demo` expects;
    names are prefixed with the region so they stay unique across the country.
    """
    rng = np.random.default_rng(seed)
    per_region = rng.multinomial(n_municipalities - n_regions, np.full(n_regions, 1 / n_regions)) + 1
    out = []
    for r, k in enumerate(per_region, start=1):
        lat_r, lon_r = rng.uniform(43, 66), rng.uniform(28, 135)
        for m in range(1, k + 1):
            kind = "городской округ" if rng.random() < 0.15 else "муниципальный район"
            name = f"Регион {r:02d}: {kind} № {m}"
            towns = [f"Город {r:02d}-{m}-{j}" for j in range(1, 4)]
            out.append(
                (
                    name,
                    float(lat_r + rng.normal(0, 1.5)),
                    float(lon_r + rng.normal(0, 3)),
                    float(rng.lognormal(0, 0.6)),
                    towns,
                )
            )
    return out


def generate_national(
    out_dir: str | Path,
    seed: int = 0,
    n_schools: int | None = None,
    n_regions: int | None = None,
    n_municipalities: int | None = None,
) -> DemoOutput:
    """Write a national-size synthetic data set as Parquet (defaults in ``parameters/demo.yaml``)."""
    cfg = load_yaml(parameters_dir() / "demo.yaml")
    nat = cfg.get("national", {})
    n_schools = int(n_schools or nat.get("n_schools", 40000))
    n_regions = int(n_regions or nat.get("n_regions", 85))
    n_municipalities = int(n_municipalities or nat.get("n_municipalities", 2500))
    munis = national_municipalities(n_regions, n_municipalities, seed=seed)
    cfg = dict(cfg, region="Россия (синтетические данные)")
    return generate_demo(
        out_dir, seed=seed, n_schools=n_schools, config=cfg, municipalities=munis, fmt="parquet"
    )
