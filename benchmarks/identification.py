"""Benchmark: plain vs uncertainty-aware identification of the bottom 25 % on synthetic data.

Truth: the schools whose planted ``true_school_effect`` is in the lowest 25 % among the
schools that have a result index. Identification year: the last demo year, window 3 years.
Small schools: fewer than ``SMALL`` ЕГЭ/ОГЭ participants per year in Russian (the size of the
graduating cohorts, every student sits Russian).

    .venv/bin/python benchmarks/identification.py [--seeds 10] [--n-schools 350]
"""

from __future__ import annotations

import argparse
import copy
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from shnro_lib.demo import generate_demo
from shnro_lib.identify import identify_schools, load_rules
from shnro_lib.io import load_dataset

SMALL = 15
VARIANTS = {
    "простое (plain)": {"method": "plain"},
    "сжатый индекс (shrunken)": {"method": "shrunken"},
    "нижние 25 % и значимо (significant_and_bottom)": {"method": "significant_and_bottom"},
}


def _small_schools(ds) -> pd.Series:
    r = ds.results
    r = r[r["procedure"].isin(["ЕГЭ", "ОГЭ"]) & (r["subject"] == "Русский язык")]
    per_year = r.groupby(["school_id", "year"])["participants"].sum().groupby("school_id").mean()
    return per_year.reindex(ds.schools["school_id"]).fillna(0).astype(float) < SMALL


def _scores(flag: pd.Series, truth: pd.Series, mask: pd.Series) -> tuple[float, float, int]:
    f, t = flag[mask], truth[mask]
    tp = int((f & t).sum())
    prec = tp / f.sum() if f.sum() else np.nan
    rec = tp / t.sum() if t.sum() else np.nan
    return prec, rec, int(t.sum())


def run_one(data_dir: Path, truth_dir: Path, rules: dict) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = load_dataset(data_dir)
    year = max(ds.years)
    truth = pd.read_csv(truth_dir / "truth_schools.csv", dtype={"school_id": str}).set_index("school_id")
    small = _small_schools(ds)
    rows = []
    for label, opts in VARIANTS.items():
        r = copy.deepcopy(rules)
        r["result_index"].update(opts)
        out = identify_schools(ds, year, r).set_index("school_id")
        have = out["result_index"].notna()
        eff = truth["true_school_effect"].reindex(out.index)
        true_low = eff <= eff[have].quantile(0.25)
        true_low &= have
        flag = out["crit_low_results"].fillna(False).astype(bool)
        for group, mask in (("все школы", have), (f"малые (< {SMALL} уч./год)", have & small.reindex(out.index))):
            p, rc, nt = _scores(flag, true_low, mask)
            rows.append({"правило": label, "группа": group, "точность": p, "полнота": rc,
                         "отмечено": int(flag[mask].sum()), "истинно низких": nt, "школ": int(mask.sum())})
    return pd.DataFrame(rows)


def run_one_year_ege(data_dir: Path, truth_dir: Path) -> pd.DataFrame:
    """The noisy case: one year of ЕГЭ only — «one bad year» at a school with 6 takers.

    Plain: bottom 25 % of the observed index. Shrunken: bottom 25 % of the empirical-Bayes
    index. Probabilistic: flagged when P(truly in the bottom 25 %) >= 0.5.
    """
    from shnro_lib.indicators import school_result_index, shrink_index

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = load_dataset(data_dir)
    year = max(ds.years)
    idx = school_result_index(ds.results, years=[year], procedures=["ЕГЭ"])
    idx = shrink_index(idx)
    truth = pd.read_csv(truth_dir / "truth_schools.csv", dtype={"school_id": str}).set_index("school_id")
    eff = truth["true_school_effect"].reindex(idx.index)
    true_low = eff <= eff.quantile(0.25)
    r = ds.results
    takers = r[(r["procedure"] == "ЕГЭ") & (r["subject"] == "Русский язык") & (r["year"] == year)]
    n = takers.groupby("school_id")["participants"].sum().reindex(idx.index).fillna(0)
    small = n < SMALL
    flags = {
        "простое (plain)": idx["result_index"] <= idx["result_index"].quantile(0.25),
        "сжатый индекс (shrunken)": idx["shrunken_index"] <= idx["shrunken_index"].quantile(0.25),
        "P(нижние 25 %) >= 0,5": idx["p_bottom_quartile"] >= 0.5,
    }
    rows = []
    for label, flag in flags.items():
        for group, mask in (("все школы", pd.Series(True, index=idx.index)),
                            (f"малые (< {SMALL} сдающих)", small), (f"крупные (>= {SMALL})", ~small)):
            p, rc, nt = _scores(flag, true_low, mask)
            rows.append({"правило": label, "группа": group, "точность": p, "полнота": rc,
                         "отмечено": int(flag[mask].sum()), "истинно низких": nt, "школ": int(mask.sum())})
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--n-schools", type=int, default=0)
    ap.add_argument("--rules", default="lo_2018")
    args = ap.parse_args()
    rules = load_rules(args.rules)
    pd.set_option("display.width", 160)
    root = Path(__file__).resolve().parents[1]
    print("СИНТЕТИЧЕСКИЕ ДАННЫЕ. Критерий «нижние 25 % по индексу результатов», окно 3 года.")
    demo = run_one(root / "data" / "demo", root / "data" / "demo_truth", rules)
    print("\ndata/demo:")
    print(demo.round(3).to_string(index=False))
    frames, frames_ege = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for s in range(1, args.seeds + 1):
            out = generate_demo(Path(tmp) / f"s{s}", seed=s, n_schools=args.n_schools or None)
            frames.append(run_one(out.data_dir, out.truth_dir, rules).assign(seed=s))
            frames_ege.append(run_one_year_ege(out.data_dir, out.truth_dir).assign(seed=s))
    cols = ["точность", "полнота", "отмечено", "истинно низких", "школ"]
    allr = pd.concat(frames)
    mean = allr.groupby(["правило", "группа"], sort=False)[cols].mean()
    print(f"\nСреднее по {args.seeds} зёрнам генератора:")
    print(mean.round(3).to_string())
    ege = pd.concat(frames_ege).groupby(["правило", "группа"], sort=False)[cols].mean()
    print(f"\nШумный случай: только ЕГЭ, один год (среднее по {args.seeds} зёрнам):")
    print(ege.round(3).to_string())


if __name__ == "__main__":
    main()
