"""The school-year result panel, treatment status and the programme's selection index.

Units: ``y_sd`` in SD of the school result index (the participant-weighted mean z of a school in a
year), ``y_pp`` in percentage points of the maximum score (participant-weighted deviation from the
procedure x subject x grade x year mean, averaged over procedures).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shnro_lib.effects.cohorts import programme_cohorts
from shnro_lib.effects.design import programme_design
from shnro_lib.effects.settings import load_effects_config
from shnro_lib.indicators import standardised_results

OUTCOMES = {"sd": "y_sd", "pp": "y_pp"}


def result_panel(dataset, config=None, design=None) -> pd.DataFrame:
    """School-year panel of results with treatment status.

    Returns
    -------
    DataFrame
        ``school_id, municipality, year, y_sd`` (school result index of that year: participant-
        weighted mean z), ``y_pp`` (participant-weighted deviation from the cell mean in pct-points
        of max, averaged over procedures), ``participants, cohort`` (0 = never), ``treat``
        (supported in that year), ``rel_year`` (year − cohort; NaN for never supported),
        ``selection_year`` (the year is one of the school's cohort's selection years, from
        ``design``: :func:`shnro_lib.effects.design.programme_design` by default).
    """
    cfg = load_effects_config(config)
    design = design if design is not None else programme_design(dataset, cfg)
    res = dataset.results
    procs = cfg.panel.procedures
    if procs:
        res = res[res["procedure"].isin(procs).fillna(False)]
    z = standardised_results(res)
    z = z[z["z"].notna()].copy()
    # Counts are optional in the contract: where they are unknown a procedure weighs as a typical one.
    w = z["participants"].astype(float)
    w = w.fillna(w.median() if w.notna().any() else 1.0)
    z["_wz"] = w * z["z"]
    z["_wd"] = w * (z["pct"] - z["cell_mean"])
    z["_w"] = w
    sy = z.groupby(["school_id", "year"], observed=True)[["_wz", "_w", "participants"]].sum()
    py = z.groupby(["school_id", "year", "procedure"], observed=True)[["_wd", "_w"]].sum()
    pp = (py["_wd"] / py["_w"]).groupby(level=["school_id", "year"]).mean()
    known = z["participants"].notna().groupby([z["school_id"], z["year"]], observed=True).any()
    counts = sy["participants"].astype("Int64").where(known.reindex(sy.index).fillna(False).to_numpy())
    panel = pd.DataFrame({"y_sd": sy["_wz"] / sy["_w"], "participants": counts})
    panel["y_pp"] = pp.reindex(panel.index)
    panel = panel.reset_index()
    panel["school_id"] = panel["school_id"].astype("string")
    panel["year"] = panel["year"].astype(int)
    muni = dataset.schools.set_index(dataset.schools["school_id"].astype("string"))["municipality"]
    panel["municipality"] = panel["school_id"].map(muni).astype("string")
    coh = programme_cohorts(dataset)
    panel["cohort"] = panel["school_id"].map(coh).fillna(0).astype(int)
    panel["treat"] = (panel["cohort"] > 0) & (panel["year"] >= panel["cohort"])
    panel["rel_year"] = np.where(panel["cohort"] > 0, panel["year"] - panel["cohort"], np.nan)
    sel = np.zeros(len(panel), dtype=bool)
    for g in sorted(set(panel["cohort"]) - {0}):
        m = (panel["cohort"] == g).to_numpy() & panel["year"].isin(design.selection_years(g)).to_numpy()
        sel |= m
    panel["selection_year"] = sel
    cols = [
        "school_id",
        "municipality",
        "year",
        "y_sd",
        "y_pp",
        "participants",
        "cohort",
        "treat",
        "rel_year",
        "selection_year",
    ]
    return panel[cols].sort_values(["school_id", "year"], kind="stable").reset_index(drop=True)


def _pre_mean(panel: pd.DataFrame, years: list[int], col: str) -> pd.Series:
    p = panel[panel["year"].isin(years)]
    return p.groupby("school_id")[col].mean()


def _ols_cluster(y: np.ndarray, X: np.ndarray, groups: np.ndarray):
    # the model module alone: ``statsmodels.api`` imports every submodule (a third of a second)
    from statsmodels.regression.linear_model import OLS

    codes = pd.factorize(pd.Series(groups).astype("string"))[0]
    return OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": codes})


def panel_selection_years(panel: pd.DataFrame) -> dict[int, list[int]]:
    """Per cohort, the selection years the panel carries (``selection_year`` flags)."""
    p = panel[(panel["cohort"] > 0) & panel["selection_year"].astype(bool)]
    out = {int(g): sorted(int(y) for y in set(s)) for g, s in p.groupby("cohort")["year"]}
    return {int(g): out.get(int(g), []) for g in sorted(set(panel["cohort"]) - {0})}


def panel_clean_years(panel: pd.DataFrame) -> dict[int, list[int]]:
    """Per cohort, its clean years: before its selection years and outside earlier cohorts' ones.

    An earlier cohort's selection years are not clean for a later cohort: its schools were the
    ones *not* selected then (they were lucky in those years).
    """
    sel = panel_selection_years(panel)
    years = sorted(int(y) for y in panel["year"].unique())
    out, earlier = {}, set()
    for g in sorted(sel):
        first = min(sel[g]) if sel[g] else g
        out[g] = [y for y in years if y < first and y not in earlier]
        earlier |= set(sel[g])
    return out


def ci(est: float, se: float, z: float) -> tuple[float, float, float]:
    """(estimate, lower, upper) of a normal interval."""
    return est, est - z * se, est + z * se
