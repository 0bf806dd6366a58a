"""The diagnostics «вход–выход» of every school, one row per school × subject × grade (a page's table)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from shnro_lib.indicators.scale import has_scale, pct_of_range


def diagnostics_wide(d: pd.DataFrame) -> pd.DataFrame:
    """Diagnostics of every school, one row per school × subject × grade: ``pct:<wave>``, ``n:<wave>``.

    ``attrs['waves']`` lists the waves in the order they were written (by date where the data have it).
    """
    d = d[has_scale(d).to_numpy()].copy()
    d["pct"] = pct_of_range(d)
    # waves in the order they were written (by date where the data have it), then by name
    first = (
        d.groupby(d["wave"].astype(str))["date"].min()
        if "date" in d.columns
        else pd.Series(pd.NaT, index=sorted(d["wave"].dropna().astype(str).unique()))
    )
    waves = sorted(first.index, key=lambda w: (pd.isna(first[w]), first[w] if pd.notna(first[w]) else 0, w))
    d["school_id"] = d["school_id"].astype("string")
    wide = d.pivot_table(
        index=["school_id", "subject", "grade"],
        columns="wave",
        values=["pct", "participants"],
        aggfunc="first",
        observed=True,
    )
    res = pd.DataFrame(index=wide.index)
    for wname in waves:
        res[f"pct:{wname}"] = wide[("pct", wname)] if ("pct", wname) in wide.columns else np.nan
        res[f"n:{wname}"] = (
            wide[("participants", wname)] if ("participants", wname) in wide.columns else np.nan
        )
    res = (
        res.reset_index().sort_values(["school_id", "subject", "grade"], kind="stable").reset_index(drop=True)
    )
    res.attrs["waves"] = waves
    return res
