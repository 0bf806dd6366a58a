"""The result index from the pre-summed results against a row-by-row reference computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shnro_lib import indicators as ind

RHO = 0.6


def _reference(z, years=None, procedures=None, year_weights=None, procedure_weights=None, by_year=False):
    """The index as its definition states it, one row at a time (no shared sums)."""
    rows = []
    for r in z.itertuples(index=False):
        if pd.isna(r.z) or pd.isna(r.school_id):
            continue
        if years is not None and r.year not in years:
            continue
        if procedures is not None and r.procedure not in procedures:
            continue
        w = float(r.weight)
        if year_weights:
            w *= year_weights.get(int(r.year), 0.0)
        if procedure_weights:
            w *= procedure_weights.get(str(r.procedure), 1.0)
        if not w > 0:
            continue
        key = (r.school_id, int(r.year)) if by_year else r.school_id
        rows.append(
            (key, int(r.year) - int(r.grade), w, float(r.z), float(r.z_se), r.participants, int(r.year))
        )
    out = {}
    for key in sorted({k for k, *_ in rows}):
        mine = [x for x in rows if x[0] == key]
        wsum = sum(x[2] for x in mine)
        se_known = all(np.isfinite(x[4]) for x in mine)
        cohorts = {}
        for _, c, w, _, se, _, _ in mine:
            cohorts[c] = cohorts.get(c, 0.0) + w * se
        var = (1 - RHO) * sum((x[2] * x[4]) ** 2 for x in mine) + RHO * sum(v * v for v in cohorts.values())
        known = [x[5] for x in mine if pd.notna(x[5])]
        out[key] = {
            "result_index": sum(x[2] * x[3] for x in mine) / wsum,
            "result_index_se": np.sqrt(var) / wsum if se_known else np.nan,
            "participants": round(sum(known)) if known else np.nan,
            "n_rows": len(mine),
            "n_years": len({x[6] for x in mine}),
        }
    return pd.DataFrame.from_dict(out, orient="index")


@pytest.fixture(scope="module")
def standardised(small_demo):
    z = ind.standardised_results(small_demo.results).copy()
    # rows without a participant count (no SE), one without a school id
    z.loc[z.index[:7], "participants"] = np.nan
    z.loc[z.index[:7], "z_se"] = np.nan
    z.loc[z.index[10], "school_id"] = None
    return z


CASES = [
    {},
    {"years": [2022, 2023, 2024], "year_weights": {2024: 3.0, 2023: 2.0, 2022: 1.0}},
    {"years": [2023, 2024], "year_weights": {2024: 1.0, 2023: 0.0}},
    {"procedures": ["ВПР", "ОГЭ"], "procedure_weights": {"ОГЭ": 0.5}},
    {"years": [2024]},
    {"procedure_weights": {"ЕГЭ": 2.0, "ВПР": 0.0}, "by_year": True},
    {"years": [2021, 2022, 2024], "year_weights": {2024: 2.0, 2022: 1.5}, "by_year": True},
]


@pytest.mark.parametrize("case", CASES)
def test_index_matches_the_row_reference(standardised, case):
    sums = ind.result_sums(standardised)
    got = ind.school_result_index(None, sums=sums, cohort_correlation=RHO, **case)
    again = ind.school_result_index(None, standardised=standardised, cohort_correlation=RHO, **case)
    pd.testing.assert_frame_equal(got, again)
    ref = _reference(standardised, **case)
    assert len(got) == len(ref) > 0
    keys = list(got.index)
    assert keys == list(ref.index)  # the schools in the order of their ids
    for c in ("result_index", "result_index_se"):
        np.testing.assert_allclose(got[c].to_numpy(float), ref[c].to_numpy(float), rtol=1e-12)
    np.testing.assert_allclose(got["participants"].astype(float), ref["participants"].astype(float))
    assert (got["n_rows"].to_numpy() == ref["n_rows"].to_numpy()).all()
    assert (got["n_years"].to_numpy() == ref["n_years"].to_numpy()).all()


def test_some_schools_lose_their_se_and_counts(standardised):
    got = ind.school_result_index(None, sums=ind.result_sums(standardised))
    assert got["result_index_se"].isna().any() and got["result_index_se"].notna().any()
