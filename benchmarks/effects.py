"""Simulation of the programme-effect estimators over programme designs (bias, RMSE, coverage).

For each design (``programme.profiles`` of ``parameters/demo.yaml``; ``two_year_mean`` is the
default demo) and each replicate: ``generate_demo`` on a small region (planted effect, selection on
noisy results), every estimator of :mod:`shnro_lib.effects`, and the one the design rule picks
(:func:`shnro_lib.effects.choose_estimator`).  The planted effect is computed from the truth files on
exactly the scale of each outcome.  RDD is compared with the first-year effect (its estimand), the
event study with the ATT of the cohorts it keeps (those with a clean year), the others with the
effect averaged over all treated school-years.

Writes ``shnro_lib/effects/data/effects_simulation.csv`` (read by :func:`shnro_lib.effects.simulation_table`)
and prints it.  About 8 min on 2 shared cores with the defaults:

    PYTHONPATH=. .venv/bin/python benchmarks/effects.py [--reps 25] [--n-schools 150] [--jobs 2]

``--self-check`` instead judges the self-check on the data's own design
(:mod:`shnro_lib.effects.selfcheck`): per design, ``--reps`` generated regions with a known effect;
in each, the self-check's verdict on the picked estimator and whether the picked estimator's interval
covers the planted effect.  The truth about the picked estimator in a design is its error over
those regions (the upper 95 % bound of |bias| below the threshold and coverage at least the
minimum → it is fit; the lower bound above the threshold or coverage clearly below → unfit); a
verdict is right when «проходит» meets a fit estimator or «не проходит» an unfit one.  It also
times ``shnro effects`` on the demo (``--time-demo``):

    PYTHONPATH=. .venv/bin/python benchmarks/effects.py --self-check --reps 8 --time-demo
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from shnro_lib import effects as E
from shnro_lib.demo import PROCEDURES, generate_demo
from shnro_lib.effects.simulation import DESIGNS_RU, simulation_path
from shnro_lib.indicators import standardised_results
from shnro_lib.io import load_dataset
from shnro_lib.outputs import write_csv

DESIGNS = {"single_clean": "single_clean", "two_year_mean": None, "staggered": "staggered", "fuzzy": "fuzzy"}
ESTIMATORS = [
    "naive_pre_post",
    "selection_adjusted",
    "rdd",
    "did_unadjusted",
    "event_study",
    "callaway_santanna",
    "matching",
]
ESTIMAND = {"rdd": "first", "event_study": "es"}


def truth_cells(ds, truth_dir: Path) -> pd.DataFrame:
    """Planted effect per treated school-year on exactly the scale of each panel outcome.

    ``sd``: the shift of the school result index (participant-weighted mean z; each row's planted
    effect ``true_effect_sd`` × procedure SD in pct-points / the row's cell SD); ``pp``: the shift of the
    participant-weighted deviation from the cell mean in pct-points, averaged over procedures (as
    ``result_panel``).
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
    z["e_pct"] = z["e_sd"] * [
        sd_pct[(p, int(g), s)] for p, g, s in zip(z["procedure"], z["grade"], z["subject"], strict=True)
    ]
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


def truth_for(ds, truth_dir: Path, design=None) -> dict[str, float]:
    """Planted estimands: ATT over all treated school-years, first-year effect (the RDD's estimand)
    and the ATT over the cohorts with a clean year (the event study's); index SD and pct-points."""
    design = design if design is not None else E.programme_design(ds)
    tr = truth_cells(ds, truth_dir)
    first = tr[tr["year"] == tr["cohort"]]
    es = tr[tr["cohort"].isin([c.cohort for c in design.cohorts if c.clean_years])]
    out = {}
    for unit in ("sd", "pp"):
        out[f"att_{unit}"] = tr[unit].mean()
        out[f"first_{unit}"] = first[unit].mean()
        out[f"es_{unit}"] = es[unit].mean() if len(es) else np.nan
    return out


def one_replicate(args: tuple[str, int, int]) -> list[dict]:
    """Every estimator (and the picked one) on one simulated region of one design."""
    name, seed, n_schools = args
    rows = []
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = Path(tmp) / "demo"
        generate_demo(out, seed=seed, n_schools=n_schools, fmt="parquet", programme_profile=DESIGNS[name])
        ds = load_dataset(out)
        design = E.programme_design(ds)
        truth = truth_for(ds, Path(tmp) / "demo_truth", design)
        picked, _ = E.choose_estimator(design)
        tab = E.programme_effects(ds, estimators=ESTIMATORS, design=design)
    for _, r in tab.iterrows():
        for label in [r["estimator"]] + (["picked"] if r["estimator"] == picked else []):
            t = truth[f"{ESTIMAND.get(r['estimator'], 'att')}_pp"]
            rows.append(
                {
                    "design": name,
                    "seed": seed,
                    "estimator": label,
                    "picked_name": picked,
                    "truth_pp": t,
                    "estimate_pp": r["estimate_pp"],
                    "lo": r["ci_low_pp"],
                    "hi": r["ci_high_pp"],
                }
            )
    return rows


def selfcheck_replicate(args: tuple[str, int, int]) -> dict:
    """One generated region: the self-check's verdict and the picked estimator against the truth."""
    from shnro_lib.effects.selfcheck import design_check

    name, seed, n_schools = args
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = Path(tmp) / "demo"
        generate_demo(out, seed=seed, n_schools=n_schools, fmt="parquet", programme_profile=DESIGNS[name])
        ds = load_dataset(out)
        design = E.programme_design(ds)
        truth = truth_for(ds, Path(tmp) / "demo_truth", design)
        picked, _ = E.choose_estimator(design)
        t0 = time.time()
        check = design_check(ds, E.result_panel(ds, design=design), design, picked)
        took = time.time() - t0
        tab = E.programme_effects(ds, estimators=[picked], design=design).set_index("estimator")
    t = truth[f"{ESTIMAND.get(picked, 'att')}_pp"]
    r = tab.loc[picked]
    return {
        "design": name,
        "seed": seed,
        "picked": picked,
        "verdict": check["verdict"],
        "truth_pp": t,
        "err": r["estimate_pp"] - t,
        "cover": bool(r["ci_low_pp"] <= t <= r["ci_high_pp"]),
        "selfcheck_s": took,
    }


def judge_selfcheck(rows: pd.DataFrame) -> pd.DataFrame:
    """Per design: the truth about the picked estimator over the regions and how often the verdict is
    right."""
    from shnro_lib.effects.selfcheck import _wilson
    from shnro_lib.effects.settings import load_effects_config

    th, z = load_effects_config().identifiability, 1.959963984540054
    out = []
    for name, d in rows.groupby("design", sort=False):
        d = d.dropna(subset=["err"])
        n = len(d)
        bias, se = float(d["err"].mean()), float(d["err"].std() / np.sqrt(n))
        lo, hi = _wilson(float(d["cover"].mean()), n, z)
        fit = abs(bias) + z * se < th.max_abs_bias_pp and lo >= th.min_coverage
        unfit = abs(bias) - z * se > th.max_abs_bias_pp or hi < th.min_coverage
        truth = "годен" if fit else "негоден" if unfit else "не ясно"
        right = (
            (d["verdict"] == "pass")
            if fit
            else (d["verdict"] == "fail")
            if unfit
            else pd.Series(np.nan, d.index)
        )
        out.append(
            {
                "design": name,
                "picked": d["picked"].mode().iloc[0],
                "regions": n,
                "bias_pp": bias,
                "bias_mc_se_pp": se,
                "coverage": float(d["cover"].mean()),
                "truth": truth,
                "pass": int((d["verdict"] == "pass").sum()),
                "fail": int((d["verdict"] == "fail").sum()),
                "unknown": int((d["verdict"] == "unknown").sum()),
                "right_share": float(right.mean()) if right.notna().any() else np.nan,
                "pass_and_covered": int(((d["verdict"] == "pass") & d["cover"]).sum()),
                "selfcheck_s": float(d["selfcheck_s"].mean()),
            }
        )
    return pd.DataFrame(out)


def time_demo() -> float:
    """Wall time of ``shnro effects`` on the shipped demo (seconds)."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.time()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "shnro_lib",
                "effects",
                str(root / "data" / "demo"),
                "--csv",
                str(Path(tmp) / "e.csv"),
            ],
            check=True,
            capture_output=True,
        )
        return time.time() - t0


def summarise(draws: pd.DataFrame, n_schools: int) -> pd.DataFrame:
    """Bias, its Monte-Carlo SE, RMSE, coverage and mean CI width per design x estimator."""
    d = draws.dropna(subset=["estimate_pp", "truth_pp"])
    d = d.assign(
        err=d["estimate_pp"] - d["truth_pp"],
        cover=(d["lo"] <= d["truth_pp"]) & (d["truth_pp"] <= d["hi"]),
        width=d["hi"] - d["lo"],
    )
    s = (
        d.groupby(["design", "estimator"])
        .agg(
            n_reps=("err", "size"),
            truth_pp=("truth_pp", "mean"),
            mean_estimate_pp=("estimate_pp", "mean"),
            bias_pp=("err", "mean"),
            bias_mc_se_pp=("err", lambda e: float(e.std() / np.sqrt(len(e)))),
            rmse_pp=("err", lambda e: float(np.sqrt((e**2).mean()))),
            coverage=("cover", "mean"),
            ci_width_pp=("width", "mean"),
        )
        .reset_index()
    )
    picked = draws.groupby("design")["picked_name"].agg(lambda s: s.mode().iloc[0])
    s["picked"] = [e == picked.get(dz) for dz, e in zip(s["design"], s["estimator"], strict=True)]
    s["design_ru"] = s["design"].map(DESIGNS_RU)
    s["n_schools"] = n_schools
    cols = [
        "design",
        "design_ru",
        "estimator",
        "n_reps",
        "n_schools",
        "truth_pp",
        "mean_estimate_pp",
        "bias_pp",
        "bias_mc_se_pp",
        "rmse_pp",
        "coverage",
        "ci_width_pp",
        "picked",
    ]
    order = {k: i for i, k in enumerate(DESIGNS)}
    s = s.assign(_o=s["design"].map(order)).sort_values(["_o", "estimator"], kind="stable").drop(columns="_o")
    return s[cols].reset_index(drop=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=25)
    ap.add_argument("--n-schools", type=int, default=150)
    ap.add_argument("--first-seed", type=int, default=1000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--designs", nargs="*", default=list(DESIGNS))
    ap.add_argument("--out", type=Path, default=None, help="the summary CSV (default: the annex's file)")
    ap.add_argument("--self-check", action="store_true", help="judge the self-check's verdicts instead")
    ap.add_argument("--time-demo", action="store_true", help="time `shnro effects` on the demo")
    a = ap.parse_args()
    if a.time_demo:
        print(f"shnro effects на демо-данных: {time_demo():.1f} с", flush=True)
    if a.self_check:
        tasks = [(d, a.first_seed + k, a.n_schools) for k in range(a.reps) for d in a.designs]
        t0 = time.time()
        with ProcessPoolExecutor(max_workers=a.jobs) as ex:
            rows = pd.DataFrame(list(ex.map(selfcheck_replicate, tasks)))
        print(f"\n{len(tasks)} регионов по {a.n_schools} школ, {time.time() - t0:.0f} с", flush=True)
        with pd.option_context("display.width", 200, "display.float_format", "{:.3f}".format):
            print(judge_selfcheck(rows).to_string(index=False), flush=True)
        return
    if a.time_demo:
        return
    tasks = [(d, a.first_seed + k, a.n_schools) for k in range(a.reps) for d in a.designs]
    t0 = time.time()
    rows: list[dict] = []
    with ProcessPoolExecutor(max_workers=a.jobs) as ex:
        for i, part in enumerate(ex.map(one_replicate, tasks), start=1):
            rows += part
            if i % 10 == 0:
                print(f"[{i}/{len(tasks)}] {time.time() - t0:.0f} с", flush=True)
    summary = summarise(pd.DataFrame(rows), a.n_schools)
    out = a.out or simulation_path()
    out.parent.mkdir(parents=True, exist_ok=True)
    write_csv(summary, out)
    print(f"\n{len(tasks)} имитаций по {a.n_schools} школ, {time.time() - t0:.0f} с; таблица: {out}")
    with pd.option_context("display.width", 200, "display.float_format", "{:.3f}".format):
        print(summary.drop(columns=["design_ru"]).to_string(index=False), flush=True)


if __name__ == "__main__":
    main()
