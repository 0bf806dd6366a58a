"""A demo region of any size: ``N`` municipalities with about ``M`` schools in total.

The first municipalities are Leningrad oblast's own (:data:`~.constants.MUNICIPALITIES`);
beyond 18 the list goes on with synthetic districts and urban okrugs placed around the
region, each with its own towns, so every name stays unique and every contract table
(schools, territories, results) refers to the same list.  СИНТЕТИЧЕСКИЕ ДАННЫЕ.
"""

from __future__ import annotations

import numpy as np

from .constants import MUNICIPALITIES

MIN_SCHOOLS_PER_MUNICIPALITY = 4
MAX_MUNICIPALITIES = 5000
MAX_SCHOOLS = 100_000
# the synthetic municipalities' names and places come from their own random stream, so the
# schools' draws (the generator's main stream) are the same for a given list
_STREAM = 28


def region_size_problems(n_municipalities: int | None, n_schools: int | None) -> list[str]:
    """Reasons, in Russian, why a requested region size cannot be made (empty when it can).

    Parameters
    ----------
    n_municipalities : the number of municipalities asked for (``None``: the default 18).
    n_schools : the number of schools asked for (``None``: the default of ``demo.yaml``).
    """
    problems = []
    if n_municipalities is not None and not 1 <= n_municipalities <= MAX_MUNICIPALITIES:
        problems.append(
            f"Число муниципалитетов (--municipalities) должно быть от 1 до {MAX_MUNICIPALITIES}, "
            f"задано {n_municipalities}"
        )
    if n_schools is not None and not 1 <= n_schools <= MAX_SCHOOLS:
        problems.append(
            f"Число школ (--schools) должно быть от 1 до {MAX_SCHOOLS:_}".replace("_", "\u00a0")
            + f", задано {n_schools}"
        )
    if not problems and n_schools is not None:
        n_municipalities = len(MUNICIPALITIES) if n_municipalities is None else n_municipalities
        need = MIN_SCHOOLS_PER_MUNICIPALITY * n_municipalities
        if n_schools < need:
            problems.append(
                f"В каждом муниципалитете генератор делает не меньше {MIN_SCHOOLS_PER_MUNICIPALITY} "
                f"школ: для {n_municipalities} муниципалитетов нужно --schools не меньше {need}, "
                f"задано {n_schools}"
            )
    return problems


def region_municipalities(n: int, seed: int = 0) -> list[tuple[str, float, float, float, list[str]]]:
    """``n`` municipalities as :func:`~.generator.generate_demo` expects: ``(name, lat, lon, weight, towns)``.

    The first ``min(n, 18)`` are Leningrad oblast's; the rest are synthetic, numbered, with
    weights drawn log-normally (a few big districts, many small ones) from a stream of ``seed``.
    """
    if n < 1:
        raise ValueError(f"Число муниципалитетов должно быть не меньше 1, задано {n}")
    out = list(MUNICIPALITIES[:n])
    rng = np.random.default_rng([int(seed), _STREAM])
    for k in range(len(out) + 1, n + 1):
        okrug = rng.random() < 0.15
        kind = "городской округ" if okrug else "муниципальный район"
        name = f"Синтетический {kind} № {k}"
        n_towns = 1 if okrug else int(rng.integers(2, 5))
        towns = [f"Город {k}-{j}" for j in range(1, n_towns + 1)]
        out.append(
            (
                name,
                round(float(rng.uniform(58.5, 61.5)), 2),
                round(float(rng.uniform(28.0, 35.0)), 2),
                round(float(rng.lognormal(-3.3, 0.5)), 4),
                towns,
            )
        )
    return out
