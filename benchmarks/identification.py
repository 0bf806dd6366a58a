"""Benchmark: plain vs uncertainty-aware identification of the bottom 25 % on synthetic data.

Truth: the schools whose planted ``true_school_effect`` is in the lowest 25 % among the
schools that have a result index. Identification year: the last demo year, window 3 years.
Small schools: fewer than ``SMALL`` ЕГЭ/ОГЭ participants per year in Russian (the size of the
graduating cohorts, every student sits Russian).

    .venv/bin/python benchmarks/identification.py [--seeds 10] [--n-schools 350]
    .venv/bin/python benchmarks/identification.py --lists     # the issue-14 checks on data/demo only

``--lists``: category counts and shares against the rule set's intent, the union ШНРО ∪ ШНСУ,
«зона риска», schools of the top quartile of the result index and upper half of ИСБ in any
category, ШНРО precision against the truth's lowest 25 % and recall against the truth's lowest
share equal to ШНРО's intended size, the sensitivity table with κ, and the flip rate of the list
with and without a «k of n years» persistence rule (its recall against the truth).
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
        r["criteria"]["low_results"]["threshold"] = 0.25  # this benchmark scores the bottom 25 %
        out = identify_schools(ds, year, r).set_index("school_id")
        have = out["result_index"].notna()
        eff = truth["true_school_effect"].reindex(out.index)
        true_low = eff <= eff[have].quantile(0.25)
        true_low &= have
        flag = out["crit_low_results"].fillna(False).astype(bool)
        for group, mask in (
            ("все школы", have),
            (f"малые (< {SMALL} уч./год)", have & small.reindex(out.index)),
        ):
            p, rc, nt = _scores(flag, true_low, mask)
            rows.append(
                {
                    "правило": label,
                    "группа": group,
                    "точность": p,
                    "полнота": rc,
                    "отмечено": int(flag[mask].sum()),
                    "истинно низких": nt,
                    "школ": int(mask.sum()),
                }
            )
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
        for group, mask in (
            ("все школы", pd.Series(True, index=idx.index)),
            (f"малые (< {SMALL} сдающих)", small),
            (f"крупные (>= {SMALL})", ~small),
        ):
            p, rc, nt = _scores(flag, true_low, mask)
            rows.append(
                {
                    "правило": label,
                    "группа": group,
                    "точность": p,
                    "полнота": rc,
                    "отмечено": int(flag[mask].sum()),
                    "истинно низких": nt,
                    "школ": int(mask.sum()),
                }
            )
    return pd.DataFrame(rows)


def list_checks(data_dir: Path, truth_dir: Path, rules: str) -> None:
    """Print the issue-14 checks for one data set with a planted truth."""
    from shnro_lib.identify import (
        LISTED,
        category_sizes,
        identification_panel,
        persistence_tradeoff,
        sensitivity_section_content,
    )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = load_dataset(data_dir)
    year = max(ds.years)
    r = load_rules(rules)
    t = identify_schools(ds, year, r).set_index("school_id")
    n = len(t)
    print(f"СИНТЕТИЧЕСКИЕ ДАННЫЕ. {r['name']}, {year}, школ {n}")
    print(t["category"].value_counts().sort_index().to_string())
    print(category_sizes(t.reset_index(), r).to_string(index=False))
    lo = t["category"].isin(["ШНРО", "ШНРО и ШНСУ"])
    union = t["category"].isin(LISTED)
    print(
        f"ШНРО ∪ ШНСУ: {union.sum()} ({union.mean():.1%}); "
        f"зона риска: {(t['category'] == 'зона риска').mean():.1%}"
    )
    top = (t["result_index"].rank(pct=True) > 0.75) & (t["social_wellbeing_index"].rank(pct=True) > 0.5)
    print(
        f"верхняя четверть по индексу и верхняя половина по ИСБ в любой категории: "
        f"{int((top & (t['category'] != 'нет')).sum())} из {int(top.sum())}"
    )
    truth = pd.read_csv(truth_dir / "truth_schools.csv", dtype={"school_id": str}).set_index("school_id")
    it = r["categories"]["ШНРО"]["intended"]
    intended = float(it["share"][1]) if it and it["share"] else float(lo.mean())
    for col in ("true_school_effect", "latent_quality"):
        q = truth[col].reindex(t.index)
        low25, low_int = q <= q.quantile(0.25), q <= q.quantile(intended)
        print(
            f"{col}: точность ШНРО к нижним 25 % — {(lo & low25).sum() / lo.sum():.3f}; полнота к нижним "
            f"{intended:.0%} — {(lo & low_int).sum() / low_int.sum():.3f}"
        )
    sens = sensitivity_section_content(ds, year, r)
    print(sens["table"].to_string(index=False))
    print(sens["kappa"].to_string(index=False))
    panel = identification_panel(ds, [y for y in ds.years if y <= year], r)
    q = truth["true_school_effect"]
    for label, cats in (("ШНРО", ("ШНРО", "ШНРО и ШНСУ")), ("ШНРО ∪ ШНСУ", LISTED)):
        share = float(t["category"].isin(cats).mean())
        print(f"\nустойчивость, {label} (истина: нижние {share:.1%} по true_school_effect):")
        print(
            persistence_tradeoff(panel, q <= q.quantile(share), year, categories=cats)
            .round(3)
            .to_string(index=False)
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--n-schools", type=int, default=0)
    ap.add_argument("--rules", default="lo_2018")
    ap.add_argument("--lists", action="store_true", help="только проверки списков issue 14 на data/demo")
    args = ap.parse_args()
    rules = load_rules(args.rules)
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 20)
    if args.lists:
        root = Path(__file__).resolve().parents[1]
        list_checks(root / "data" / "demo", root / "data" / "demo_truth", args.rules)
        return
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
