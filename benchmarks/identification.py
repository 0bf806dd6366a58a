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
    frames = []
    with tempfile.TemporaryDirectory() as tmp:
        for s in range(1, args.seeds + 1):
            out = generate_demo(Path(tmp) / f"s{s}", seed=s, n_schools=args.n_schools or None)
            frames.append(run_one(out.data_dir, out.truth_dir, rules).assign(seed=s))
    allr = pd.concat(frames)
    mean = allr.groupby(["правило", "группа"], sort=False)[["точность", "полнота", "отмечено", "истинно низких",
                                                             "школ"]].mean()
    print(f"\nСреднее по {args.seeds} зёрнам генератора:")
    print(mean.round(3).to_string())


if __name__ == "__main__":
    main()
