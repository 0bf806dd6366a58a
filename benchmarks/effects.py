"""Benchmark of the programme-effect estimators on repeated synthetic regions.

For each seed: ``generate_demo`` (planted programme effect, selection on noisy results), then the
estimators of :mod:`shnro_lib.effects`; the planted average effect on the treated is computed from the
truth files on exactly the scale of each outcome (index SD and pct-points).  Prints bias, RMSE and
coverage of the 95 % intervals per estimator.  RDD is compared with the first-year effect (its
estimand), the event study with the ATT of the cohorts it keeps (those with a pre-selection year),
the others with the effect averaged over all treated school-years (their weighting).

    .venv/bin/python benchmarks/effects.py --draws 200 --n-schools 250 [--matching] [--cs]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from shnro_lib import effects as E
from shnro_lib.demo import PROCEDURES, generate_demo
from shnro_lib.indicators import standardised_results
from shnro_lib.io import load_dataset


def truth_cells(ds, truth_dir: Path) -> pd.DataFrame:
    """Planted effect per treated school-year on exactly the scale of each panel outcome.

    ``sd``: the shift of the school result index (participant-weighted mean z; each row's planted
    effect ``true_effect_sd`` × procedure SD in pct-points / the row's cell SD); ``pp``: the shift of the
    participant-weighted deviation from the cell mean in pct-points, averaged over procedures (as
    ``result_panel``).  The truth file's own ``true_effect_pp`` uses a per-school unweighted scale and is
    not the panel's scale, so it is not used.
    """
    ty = pd.read_csv(truth_dir / "truth_school_years.csv", dtype={"school_id": str})
    ts = pd.read_csv(truth_dir / "truth_schools.csv", dtype={"school_id": str})
    sd_pct = {(p, g, s): sd * 100 for p, g, s, _mx, _mu, sd, *_ in PROCEDURES}
    z = standardised_results(ds.results)
    z = z[z["z"].notna()].copy()
    z["school_id"] = z["school_id"].astype(str)
    z["year"] = z["year"].astype(int)
    eff = ty.set_index(["school_id", "year"])["true_effect_sd"]
    z["e_sd"] = eff.reindex(pd.MultiIndex.from_arrays([z["school_id"], z["year"]])).to_numpy()
    z["e_pct"] = z["e_sd"] * [sd_pct[(p, int(g), s)] for p, g, s in zip(z["procedure"], z["grade"], z["subject"],
                                                                          strict=True)]
    w = z["participants"].astype(float)
    z["w_ez"] = w * z["e_pct"] / z["cell_sd"]
    z["w_ep"] = w * z["e_pct"]
    z["w"] = w
    sy = z.groupby(["school_id", "year"])[["w_ez", "w"]].sum()
    idx_sd = sy["w_ez"] / sy["w"]
    py = z.groupby(["school_id", "year", "procedure"])[["w_ep", "w"]].sum()
    idx_pp = (py["w_ep"] / py["w"]).groupby(level=[0, 1]).mean()
    coh = ts.set_index("school_id")["cohort"]
    cells = pd.DataFrame({"sd": idx_sd, "pp": idx_pp.reindex(idx_sd.index)}).reset_index()
    cells["cohort"] = cells["school_id"].map(coh)
    return cells[cells["cohort"].notna() & (cells["year"] >= cells["cohort"])].reset_index(drop=True)


def event_study_cohorts(cells: pd.DataFrame, years: list[int]) -> list[int]:
    """Cohorts the event study keeps: those with a pre-year that is not one of their selection years."""
    cfg = E.load_effects_config()
    return [int(g) for g in sorted(cells["cohort"].unique())
            if any(y < g and y not in E._selection_years(cfg, int(g)) for y in years)]


def truth_for(ds, truth_dir: Path) -> dict[str, float]:
    """Planted estimands: ATT over all treated school-years, first-year effect (the RDD's estimand)
    and the ATT over the cohorts the event study uses; in index SD and pct-points."""
    tr = truth_cells(ds, truth_dir)
    first = tr[tr["year"] == tr["cohort"]]
    es = tr[tr["cohort"].isin(event_study_cohorts(tr, sorted(int(y) for y in ds.years)))]
    out = {}
    for unit in ("sd", "pp"):
        out[f"att_{unit}"] = tr[unit].mean()
        out[f"first_{unit}"] = first[unit].mean()
        out[f"es_{unit}"] = es[unit].mean()
    return out


ESTIMAND = {"rdd": "first", "event_study": "es"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--draws", type=int, default=200)
    ap.add_argument("--n-schools", type=int, default=250)
    ap.add_argument("--first-seed", type=int, default=1000)
    ap.add_argument("--matching", action="store_true")
    ap.add_argument("--cs", action="store_true")
    ap.add_argument("--old-ancova", action="store_true", help="also the ANCOVA on yearly pre-indices")
    ap.add_argument("--out", type=str, default=None, help="CSV of every draw")
    a = ap.parse_args()
    est = ["naive_pre_post", "rtm_adjusted", "selection_adjusted", "rdd", "did_unadjusted", "event_study"]
    if a.old_ancova:
        est.append("ancova_pre_years")
    if a.matching:
        est.append("matching")
    if a.cs:
        est.append("callaway_santanna")
    cfg = {"rtm": {"bootstrap_reps": 100}}
    rows = []
    t0 = time.time()
    for k in range(a.draws):
        seed = a.first_seed + k
        with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = Path(tmp) / "demo"
            generate_demo(out, seed=seed, n_schools=a.n_schools, fmt="parquet")
            ds = load_dataset(out)
            truth = truth_for(ds, Path(tmp) / "demo_truth")
            tab = E.programme_effects(ds, cfg, estimators=est)
        for _, r in tab.iterrows():
            key = ESTIMAND.get(r["estimator"], "att")
            for unit in ("sd", "pp"):
                t = truth[f"{key}_{unit}"]
                rows.append({"seed": seed, "estimator": r["estimator"], "unit": unit, "truth": t,
                             "estimate": r[f"estimate_{unit}"], "lo": r[f"ci_low_{unit}"], "hi": r[f"ci_high_{unit}"]})
        print(f"[{k + 1}/{a.draws}] {time.time() - t0:.0f} с", flush=True)
        if (k + 1) % 20 == 0:
            summarise(pd.DataFrame(rows))
            if a.out:
                pd.DataFrame(rows).to_csv(a.out, index=False)
    df = pd.DataFrame(rows)
    if a.out:
        df.to_csv(a.out, index=False)
    print(f"\nИтог: {a.draws} имитаций по {a.n_schools} школ, {time.time() - t0:.0f} с")
    summarise(df)


def summarise(df: pd.DataFrame) -> None:
    df = df.dropna(subset=["estimate"])
    df = df.assign(err=df["estimate"] - df["truth"],
                   cover=(df["lo"] <= df["truth"]) & (df["truth"] <= df["hi"]), width=df["hi"] - df["lo"])
    s = df.groupby(["estimator", "unit"]).agg(n=("err", "size"), truth=("truth", "mean"), mean_est=("estimate", "mean"),
                                              bias=("err", "mean"),
                                              bias_mc_se=("err", lambda e: float(e.std() / np.sqrt(len(e)))), rmse=("err", lambda e: float(np.sqrt((e ** 2).mean()))),
                                              coverage=("cover", "mean"),
                                              ci_width=("width", "mean"))
    with pd.option_context("display.width", 200, "display.float_format", "{:.3f}".format):
        print(s.to_string(), flush=True)


if __name__ == "__main__":
    main()
