"""Benchmark: precision and recall of «школы, чьи практики стоит изучить» against the demo truth.

Truth (``data/demo_truth``, never read by the library):
- planted improvers — schools outside the programme whose quality truly rises (``planted_improver``);
- any true rise — planted improvers plus programme schools whose true programme effect in the report
  year is at least ``--min-effect`` student SD.

Both routes of the list are scored: «рост сверх регрессии к среднему» alone, and the whole list
(with «вышла из списка и осталась вне его»).

    .venv/bin/python benchmarks/worth_learning.py [--data data/demo] [--year 2024] [--cache-dir DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from shnro_lib.io import load_dataset
from shnro_lib.pipeline import compute_region
from shnro_lib.profiles import precision_recall, worth_learning


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data/demo")
    ap.add_argument("--year", type=int, default=2024)
    ap.add_argument("--cache-dir", default=None)
    ap.add_argument("--min-effect", type=float, default=0.1)
    a = ap.parse_args()
    data = Path(a.data)
    truth_dir = data.parent / f"{data.name}_truth"
    region = compute_region(data, a.year, cache_dir=a.cache_dir)
    w = worth_learning(region, load_dataset(data))
    truth = pd.read_csv(truth_dir / "truth_schools.csv", dtype={"school_id": str})
    years = pd.read_csv(truth_dir / "truth_school_years.csv", dtype={"school_id": str})
    planted = set(truth.loc[truth["planted_improver"].astype(bool), "school_id"])
    programme = set(
        years.loc[(years["year"] == a.year) & (years["true_effect_sd"] >= a.min_effect), "school_id"]
    )
    rose = w.loc[w["rose_beyond_rtm"], "school_id"]
    print(
        f"В списке {len(w)} школ; рост сверх регрессии к среднему: {len(rose)}; "
        f"вышли и остались вне списка: {int(w['left_and_stayed_out'].sum())}"
    )
    for label, listed in (("рост сверх РКС", rose), ("весь список", w["school_id"])):
        for tlabel, t in (("заложенные улучшившиеся", planted), ("любой истинный рост", planted | programme)):
            pr = precision_recall(listed, t)
            print(
                f"{label:>15} × {tlabel:<24} "
                f"точность {pr['precision']:.2f} ({pr['n_hit']}/{pr['n_listed']}), "
                f"полнота {pr['recall']:.2f} ({pr['n_hit']}/{pr['n_true']})"
            )


if __name__ == "__main__":
    main()
