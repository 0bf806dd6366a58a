"""Benchmark of shnro_lib.context on the synthetic demo region against the planted truth.

Prints, for each clustering method, the adjusted Rand index of the clusters vs the planted
context groups and the bootstrap stability; then recall / precision of the planted resilient
schools (also against the broader truth «latent quality > 0»).

    .venv/bin/python benchmarks/context.py [DATA_DIR] [TRUTH_CSV] [YEAR]
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import pandas as pd
from sklearn.metrics import adjusted_rand_score

from shnro_lib import context as C
from shnro_lib.io import load_dataset

ROOT = Path(__file__).resolve().parents[1]


def main(data_dir: Path, truth_csv: Path, year: int) -> None:
    warnings.filterwarnings("ignore")
    ds = load_dataset(data_dir)
    truth = pd.read_csv(truth_csv, dtype={"school_id": str}).set_index("school_id")
    print(f"Данные: {data_dir} (СИНТЕТИЧЕСКИЕ), год {year}, школ {len(ds.schools)}")
    cfg = C.load_context_config()
    print(f"Метод по умолчанию: {cfg.clustering.method}")
    for method in ("kmeans", "ward", "gmm"):
        t = time.time()
        res = C.cluster_analysis(ds, year, method)
        lab = res.labels.set_index("school_id")["cluster"]
        ari = adjusted_rand_score(truth.loc[lab.index, "context_group"], lab)
        s = res.stability
        print(
            f"  {method:6s} k={res.k}  ARI vs planted groups = {ari:.3f}  "
            f"bootstrap ARI = {s['ari_mean']:.3f} [{s['ari_low']:.3f}; {s['ari_high']:.3f}] "
            f"(n_boot={s['n_boot']})  {time.time() - t:.1f} s"
        )
        if method == "kmeans":
            k4 = C.cluster_analysis(ds, year, method, {"clustering": {"k": 4}}, stability=False)
            l4 = k4.labels.set_index("school_id")["cluster"]
            print(
                f"         (kmeans with k fixed at 4: ARI = "
                f"{adjusted_rand_score(truth.loc[l4.index, 'context_group'], l4):.3f})"
            )
    res = C.cluster_analysis(ds, year, stability=False)
    lab = res.labels.set_index("school_id")
    print("Кластеры по умолчанию x заложенные группы:")
    print(pd.crosstab(lab["cluster_name"], truth.loc[lab.index, "context_group"]).to_string())

    planted = truth["planted_resilient"].astype(bool)
    good = truth["latent_quality"] > 0
    for share in (cfg.resilient.bottom_share, 0.5):
        rep = C.context_analysis(ds, year, {"resilient": {"bottom_share": share}}, stability=False)
        tab = rep.table.set_index("school_id")
        flag = tab["resilient"].fillna(False).astype(bool).reindex(truth.index, fill_value=False)
        tp = int((flag & planted).sum())
        print(
            f"Резильентные (нижние {share:.0%} по индексу контекста): отмечено {int(flag.sum())}, "
            f"из них заложенных {tp}; recall = {tp / planted.sum():.2f}, "
            f"precision = {tp / max(int(flag.sum()), 1):.2f}; "
            f"доля отмеченных с латентным качеством > 0 = {(flag & good).sum() / max(int(flag.sum()), 1):.2f}"
        )
        if share == cfg.resilient.bottom_share:
            em = rep.model
            print(f"Модель: {em.model_used}; R² контекста = {em.r2:.3f}; причина: {em.reason[:160]}")
            d = tab.join(truth)
            print(
                f"corr(residual, latent_quality) = {d['residual'].corr(d['latent_quality']):.3f}; "
                f"corr(context_index, context_effect) = {d['context_index'].corr(d['context_effect']):.3f}"
            )
            miss = planted[planted].index.difference(flag[flag].index)
            print("Заложенные, но не отмеченные (группа, индекс контекста, нижняя граница ДИ):")
            for sid in miss:
                r = d.loc[sid]
                print(
                    f"   {sid} {r['context_group']:14s} {r['context_index']:+.2f} {r['residual_ci_low']:+.2f}"
                )


if __name__ == "__main__":
    args = sys.argv[1:]
    main(
        Path(args[0]) if args else ROOT / "data/demo",
        Path(args[1]) if len(args) > 1 else ROOT / "data/demo_truth/truth_schools.csv",
        int(args[2]) if len(args) > 2 else 2024,
    )
