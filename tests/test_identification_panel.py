"""One ``identification_panel`` (identify/stability.py) for stability, monitoring and the pipeline:
it honours the ``criteria`` and ``indices`` overrides and reuses the identifications handed in."""

from __future__ import annotations

import pandas as pd

from shnro_lib import identify, monitoring
from shnro_lib.identify import identify_each_year, identify_schools
from shnro_lib.pipeline import stages as S

YEARS = [2023, 2024]
# halving the territory factors flags far more territories: the ШНСУ list changes
INDICES = {"territory_flags": {"pension_ratio_factor": 0.5, "unemployment_ratio_factor": 0.5}}


def test_one_function() -> None:
    assert monitoring.identification_panel is identify.identification_panel
    assert S.identification_panel is identify.identification_panel


def test_panel_follows_the_indices_override(small_demo) -> None:
    over = {"indices": INDICES}
    panel = identify.identification_panel(small_demo, YEARS[::-1], "lo_2018", over)
    plain = identify.identification_panel(small_demo, YEARS, "lo_2018")
    assert panel["year"].dtype == "Int64" and list(panel["year"].unique()) == YEARS
    assert {"ident_index_known", "unassessed_categories"} <= set(panel.columns)
    for y in YEARS:
        t = identify_schools(small_demo, y, "lo_2018", override=over)
        got = panel[panel["year"] == y].reset_index(drop=True)
        assert got["school_id"].tolist() == t["school_id"].astype(str).tolist()
        assert got["category"].tolist() == t["category"].astype(str).tolist()
    # the override matters: without it some schools get another category
    assert (panel["category"] != plain["category"]).sum() > 0


def test_runs_handed_in_are_reused(small_demo) -> None:
    over = S.identify_override({"indices": INDICES})
    runs = identify_each_year(small_demo, YEARS, "lo_2018", over)
    computed = identify.identification_panel(small_demo, YEARS, "lo_2018", over)
    reused = S.ident_panel(small_demo, YEARS[-1], "lo_2018", over, runs)
    reused = reused[reused["year"].isin(YEARS)].reset_index(drop=True)
    pd.testing.assert_frame_equal(reused, computed)
    # a run handed in is taken as it is, not identified again
    emptied = {YEARS[0]: runs[YEARS[0]].assign(category="нет")}
    out = identify.identification_panel(small_demo, YEARS, "lo_2018", over, runs=emptied)
    assert set(out.loc[out["year"] == YEARS[0], "category"]) == {"нет"}
    assert (
        out.loc[out["year"] == YEARS[1], "category"].tolist()
        == computed.loc[computed["year"] == YEARS[1], "category"].tolist()
    )
