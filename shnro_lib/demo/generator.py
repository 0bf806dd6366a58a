"""The demo generator's entry point: :func:`generate_demo` draws every table in a fixed order and writes them.

The order of the random draws is the order of the calls below; changing it changes every file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from shnro_lib.config import load_yaml, parameters_dir

from .constants import MUNICIPALITIES, SYNTHETIC_NOTE
from .context import make_context, make_resources, make_staff
from .files import write_parquet, write_raw, write_truth
from .programme import (
    assign_and_score,
    dataset_facts,
    make_diagnostics,
    make_programme,
    make_risk_profile,
    with_programme_profile,
)
from .results import make_outcomes
from .schools import make_schools, make_territories, planted_improvers, school_effects
from .sizes import region_municipalities


@dataclass
class DemoOutput:
    """Where the generator wrote its files."""

    data_dir: Path
    truth_dir: Path
    n_schools: int
    n_result_rows: int


def _draw(rng: np.random.Generator, seed: int, n: int, cfg: dict, munis, years: list[int]) -> dict:
    """Every table and every planted quantity, drawn in the fixed order (the order of the statements)."""
    t: dict = {}
    t["schools"], t["context_static"] = make_schools(rng, n, cfg, munis)
    cs = t["context_static"]
    t["context"] = make_context(rng, cs, years)
    t["staff"] = make_staff(rng, cs, years)
    t["resources"] = make_resources(rng, cs, years)
    t["territories"] = make_territories(rng, munis)
    theta, t["context_effect"], t["quality"], t["resilient"] = school_effects(rng, cs, cfg)
    t["theta"] = theta
    t["shocks"] = shocks = rng.normal(0, cfg["school_year_shock_sd"], size=(n, len(years)))
    t["improver"], t["improvement"] = planted_improvers(seed, theta, t["resilient"], t["schools"], years, cfg)
    t["dose"] = dose = rng.uniform(*cfg["programme"]["dose_range"], size=n)
    t["results"], t["effect"], t["cohort"] = assign_and_score(
        rng, t["schools"], cs, theta, shocks, t["improvement"], dose, years, cfg
    )
    cohort = t["cohort"]
    t["outcomes"] = make_outcomes(rng, cs, theta, shocks, years)
    t["programme"], t["process"] = make_programme(rng, t["schools"], cohort, dose, years, cs, cfg)
    t["diagnostics"] = make_diagnostics(rng, t["schools"], cohort, dose, theta, cfg)
    t["risk"] = make_risk_profile(rng, t["schools"], cohort, cs, theta, years)
    return t


# the data set's tables in the order the writers take them (``risk`` is the table ``risk_profile``)
_TABLES = [
    "schools",
    "results",
    "context",
    "staff",
    "resources",
    "territories",
    "outcomes",
    "programme",
    "process",
    "diagnostics",
    "risk",
]
_TRUTH = ["context_static", "context_effect", "quality", "theta", "resilient", "cohort", "dose", "effect"]


def _write_data(out: Path, fmt: str, t: dict, meta: dict) -> None:
    """The data set: canonical Parquet tables, or Excel/CSV files with Russian headers (``raw``)."""
    if fmt == "parquet":
        tables = {("risk_profile" if k == "risk" else k): t[k] for k in _TABLES}
        tables["schools"] = t["schools"].reset_index()
        write_parquet(out, tables, meta)
    else:
        write_raw(out, *(t[k] for k in _TABLES), meta)


def generate_demo(
    out_dir: str | Path,
    seed: int = 0,
    n_schools: int | None = None,
    config: dict | None = None,
    municipalities: list | None = None,
    fmt: str = "raw",
    programme_profile: str | None = None,
    n_municipalities: int | None = None,
) -> DemoOutput:
    """Write a synthetic region to ``out_dir`` and its planted truth to ``<out_dir>_truth``.

    Parameters
    ----------
    out_dir : folder for the raw data set (created).
    seed : random seed; the same seed gives the same files.
    n_schools : override of the number of schools (default from ``parameters/demo.yaml``).
    config : override of the whole generator configuration.
    municipalities : list of ``(name, lat, lon, weight, towns)``; default: Leningrad oblast's 18.
    fmt : ``"raw"`` writes Excel/CSV with Russian headers as real exports look;
        ``"parquet"`` writes canonical Parquet tables (for national-size data).
    programme_profile : a programme design of ``programme.profiles`` in ``parameters/demo.yaml``
        (e.g. ``single_clean``: one cohort chosen on one year with clean earlier years); its
        selection rule is written to ``dataset.yaml``.
    n_municipalities : make a region of this many municipalities (:func:`.sizes.region_municipalities`:
        Leningrad oblast's first, then synthetic ones); ignored when ``municipalities`` is given.
    """
    if municipalities is None and n_municipalities is not None:
        municipalities = region_municipalities(int(n_municipalities), seed=seed)
    munis = municipalities or MUNICIPALITIES
    cfg = with_programme_profile(config or load_yaml(parameters_dir() / "demo.yaml"), programme_profile)
    rng = np.random.default_rng(seed)
    out = Path(out_dir)
    truth_dir = out.parent / f"{out.name}_truth"
    out.mkdir(parents=True, exist_ok=True)
    truth_dir.mkdir(parents=True, exist_ok=True)
    years: list[int] = list(cfg["years"])
    n = int(n_schools or cfg["n_schools"])
    t = _draw(rng, seed, n, cfg, munis, years)
    meta = {
        "name": cfg["region"],
        "synthetic": True,
        "note": SYNTHETIC_NOTE,
        "generator": f"shnro demo-data --seed {seed}"
        + (f" --programme-profile {programme_profile}" if programme_profile else "")
        + (f" --municipalities {len(munis)} --schools {n}" if n_municipalities is not None else ""),
        **dataset_facts(cfg),
    }
    _write_data(out, fmt, t, meta)
    write_truth(
        truth_dir,
        t["schools"],
        *(t[k] for k in _TRUTH),
        t["shocks"],
        t["results"],
        years,
        t["improver"],
        t["improvement"],
    )
    return DemoOutput(out, truth_dir, n, len(t["results"]))
