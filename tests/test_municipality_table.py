"""The municipalities' table is built in one pass and agrees with each municipality's own figures."""

from __future__ import annotations

import numpy as np
import pandas as pd

from shnro_lib.pipeline import RegionResults
from shnro_lib.report.helpers import municipal_index, municipality_table


def _region() -> RegionResults:
    schools = pd.DataFrame(
        {
            "school_id": ["1", "2", "3", "4", "5", "6"],
            "municipality": ["А", "А", "Б", "Б", "В", "Г"],
        }
    )
    # А: counts for both schools; Б: one count missing; В: no counts at all; Г: no results
    ib = pd.DataFrame(
        {
            "school_id": ["1", "2", "3", "4", "5", "1"],
            "municipality": ["А", "А", "Б", "Б", "В", "А"],
            "year": [2024, 2024, 2024, 2024, 2024, 2023],
            "participants": [30, 10, 20, np.nan, np.nan, 99],
            "result_index": [1.0, -1.0, 0.5, 2.0, -0.4, 9.0],
        }
    )
    programme = pd.DataFrame(
        {"school_id": ["1", "3", "4"], "year": [2024, 2024, 2023], "in_programme": [True, True, True]}
    )
    context = pd.DataFrame({"school_id": ["2", "3", "6"], "resilient": [True, None, True]})
    return RegionResults(
        meta={"year": 2024, "municipalities": ["А", "Б", "В", "Г"]},
        tables={"schools": schools, "index_by_year": ib, "programme": programme, "context": context},
    )


def test_one_pass_table_matches_each_municipality() -> None:
    region = _region()
    mt = municipality_table(region).set_index("municipality")
    assert list(mt.index) == ["А", "Б", "В", "Г"]
    for m in mt.index:
        idx, part = municipal_index(region, m, 2024)
        got = mt.loc[m, "mean_index"]
        assert (np.isnan(idx) and np.isnan(got)) or got == idx
        assert (pd.isna(mt.loc[m, "participants"]) and part is None) or mt.loc[m, "participants"] == part
    # weighted by counts: (30·1 − 10·1) / 40; a school without a count weighs nothing
    assert mt.loc["А", "mean_index"] == 0.5 and mt.loc["А", "participants"] == 40
    assert mt.loc["Б", "mean_index"] == 0.5 and mt.loc["Б", "participants"] == 20
    # no counts at all: schools weigh the same, no count is stated; no results: no index
    assert mt.loc["В", "mean_index"] == -0.4 and pd.isna(mt.loc["В", "participants"])
    assert np.isnan(mt.loc["Г", "mean_index"]) and mt.loc["Г", "participants"] == 0
    assert mt["n_schools"].tolist() == [2, 2, 1, 1]
    assert mt["n_programme"].tolist() == [1, 1, 0, 0]  # the report year's records only
    assert mt["n_resilient"].tolist() == [1, 0, 0, 1]
