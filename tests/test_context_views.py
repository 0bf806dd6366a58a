"""The context notebook's figures and tables come from the library (context.plots, context.views)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from shnro_lib import context as C
from shnro_lib.context import plots as P
from shnro_lib.context import views as V
from shnro_lib.demo import generate_demo
from shnro_lib.io import load_dataset

YEAR = 2024


@pytest.fixture(scope="module")
def analysis(tmp_path_factory):
    out = tmp_path_factory.mktemp("ctxviews") / "demo"
    generate_demo(out, seed=3, n_schools=150)
    ds = load_dataset(out)
    return ds, C.context_analysis(ds, YEAR)


def test_flagged_schools_are_the_flagged_rows_sorted_and_named(analysis) -> None:
    ds, rep = analysis
    resilient = V.flagged_schools(rep, ds.schools, "resilient")
    expected = rep.table[rep.table["resilient"].astype(bool)]
    assert len(expected) > 1  # the order below is checked on real rows
    assert sorted(resilient["Код ОО"]) == sorted(expected["school_id"])
    deviation = resilient["Отклонение от ожидаемого"].to_numpy()
    assert np.all(np.diff(deviation) <= 0)
    names = ds.schools.drop_duplicates("school_id").set_index("school_id")["name"]
    assert list(resilient["Школа"]) == list(resilient["Код ОО"].map(names))
    below = V.flagged_schools(rep, ds.schools, "underperforming_favourable")
    assert np.all(np.diff(below["Отклонение от ожидаемого"].to_numpy()) >= 0)
    assert not any("_" in c for c in [*resilient.columns, *below.columns])


def test_similar_of_lists_the_school_s_neighbours_in_rank_order(analysis) -> None:
    _, rep = analysis
    sid = rep.similar["school_id"].iloc[0]
    peers = V.similar_of(rep, sid)
    own = rep.similar[rep.similar["school_id"] == sid]
    assert list(peers["Код ОО"]) == list(own.sort_values("rank")["similar_id"])
    assert sid not in set(peers["Код ОО"])


def test_cluster_map_places_every_clustered_school_once(analysis) -> None:
    _, rep = analysis
    fig = P.plot_cluster_map(rep.clusters, YEAR, synthetic=True)
    ax = fig.axes[0]
    points = sum(len(c.get_offsets()) for c in ax.collections)
    assert points == len(rep.clusters.labels)
    assert "СИНТЕТИЧЕСКИЕ ДАННЫЕ" in ax.get_title()
    plt.close(fig)


def test_cluster_profiles_annotate_every_cluster_and_feature(analysis) -> None:
    _, rep = analysis
    fig = P.plot_cluster_profiles(rep.clusters)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert len(texts) == rep.clusters.k * len(rep.clusters.features)
    assert not any("-" in t or "." in t for t in texts)  # true minus and decimal comma
    plt.close(fig)


def test_results_and_context_marks_the_resilient_schools(analysis) -> None:
    _, rep = analysis
    fig = P.plot_results_and_context(rep.table, rep.config.resilient.bottom_share, YEAR)
    ax = fig.axes[0]
    by_label = {c.get_label(): len(c.get_offsets()) for c in ax.collections if c.get_label() != "_nolegend_"}
    assert by_label["резильентные"] == int(rep.table["resilient"].astype(bool).sum())
    plt.close(fig)
