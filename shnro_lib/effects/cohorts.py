"""Which schools the programme supported from which year, and the index its rule ranked them by.

The lowest layer of :mod:`shnro_lib.effects`: :mod:`~shnro_lib.effects.design` reads the rule from
these, and :mod:`~shnro_lib.effects.panel` builds the result panel on top of the design.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shnro_lib.indicators import standardised_results
from shnro_lib.indicators.scale import has_scale, pct_of_range, result_weight, sat


def programme_cohorts(dataset) -> pd.Series:
    """First year of support per school (``Int64``; 0 = never supported), over all schools."""
    ids = dataset.schools["school_id"].astype("string")
    out = pd.Series(0, index=pd.Index(ids, name="school_id"), dtype="Int64")
    pg = dataset.get("programme")
    if pg is None or pg.empty:
        return out
    pg = pg[pg["in_programme"].fillna(True).astype(bool)]
    first = pg["cohort"].where(pg["cohort"].notna(), pg["year"])
    first = pd.Series(first.to_numpy(), index=pg["school_id"].astype("string")).groupby(level=0).min()
    out.loc[out.index.intersection(first.index)] = first.reindex(out.index.intersection(first.index)).astype(
        "Int64"
    )
    return out


def selection_index(results: pd.DataFrame, years: list[int], cell_weighting: str = "unweighted") -> pd.Series:
    """The programme's selection index: participant-weighted mean z over ``years``.

    ``cell_weighting='unweighted'`` standardises each procedure x subject x grade x year cell by
    the plain mean and SD over schools (the rule as written); ``'participants'`` uses
    :func:`shnro_lib.indicators.standardised_results`.
    """
    r = results[results["year"].isin(years).fillna(False)]
    if cell_weighting == "participants":
        z = standardised_results(r)
        z = z[z["z"].notna()]
        w = z["weight"].astype(float)
        agg = pd.DataFrame({"wz": w * z["z"], "w": w, "school_id": z["school_id"]}).groupby("school_id").sum()
        return (agg["wz"] / agg["w"]).rename("selection_index")
    r = r[(sat(r) & has_scale(r)).to_numpy()]
    pct = pct_of_range(r)
    keys = [r[c] for c in ("procedure", "subject", "grade", "year")]
    g = pct.groupby(keys)
    z = (pct - g.transform("mean")) / g.transform("std")
    w = result_weight(r)
    frame = pd.DataFrame({"school_id": r["school_id"], "wz": w * z, "w": w.where(z.notna(), 0.0)})
    frame["wz"] = frame["wz"].fillna(0.0)
    agg = frame.groupby("school_id").sum()
    return (agg["wz"] / agg["w"].replace(0, np.nan)).dropna().rename("selection_index")
