"""The vectorised regression-to-the-mean bootstrap gives the figures of the per-replicate pandas formula.

``_rtm_point_pandas`` below is the straightforward formula (one pivot of the panel per replicate, the
replicate's schools repeated as rows); :func:`shnro_lib.effects.rtm_adjusted` and
:func:`shnro_lib.effects.rtm_point` must agree with it to rounding on small generated regions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shnro_lib.effects import (
    OUTCOMES,
    load_effects_config,
    panel_selection_years,
    result_panel,
    rtm_adjusted,
    rtm_point,
)

TOL = 1e-12
REPS = 40


def _rtm_point_pandas(
    panel: pd.DataFrame, col: str, weights: pd.Series | None = None
) -> tuple[float, float, float, float]:
    """(naive, rtm component, adjusted, reliability) recomputed from the panel with pandas."""
    wide = panel.pivot_table(index="school_id", columns="year", values=col, aggfunc="mean")
    if weights is not None:
        wide = wide.loc[weights.index.repeat(weights.to_numpy())]
    cohorts = sorted(set(panel["cohort"]) - {0})
    selection = panel_selection_years(panel)
    pre_years = [y for y in wide.columns if y < min(cohorts)]
    coh = panel.groupby("school_id")["cohort"].first().reindex(wide.index).to_numpy()
    covs, vars_ = [], []
    for i, a in enumerate(pre_years):
        vars_.append(np.nanvar(wide[a].to_numpy(float)))
        for b in pre_years[i + 1 :]:
            m = wide[[a, b]].dropna().to_numpy(float)
            if len(m) > 2:
                covs.append(np.cov(m.T)[0, 1])
    if not covs:
        return np.nan, np.nan, np.nan, np.nan
    persistent, total = float(np.mean(covs)), float(np.mean(vars_))
    mu = float(np.nanmean(wide[pre_years].to_numpy(float)))
    changes, rtms, rel = [], [], np.nan
    for g in cohorts:
        sel = [y for y in selection[g] if y in wide.columns]
        k = len(sel)
        rel = min(1.0, persistent / ((total + (k - 1) * persistent) / k)) if total > 0 else np.nan
        P = wide[sel].mean(axis=1)
        tr = coh == g
        for y in [y for y in wide.columns if y >= g]:
            ch = (wide.loc[tr, y] - P[tr]).to_numpy(float)
            ok = np.isfinite(ch)
            changes.append(ch[ok])
            rtms.append((-(1 - rel) * (P[tr].to_numpy(float) - mu))[ok])
    naive, rtm = float(np.concatenate(changes).mean()), float(np.concatenate(rtms).mean())
    return naive, rtm, naive - rtm, rel


def _panel(tmp_path_factory, name: str, **kw) -> pd.DataFrame:
    from shnro_lib.demo import generate_demo
    from shnro_lib.io import load_dataset

    out = tmp_path_factory.mktemp(name) / "demo"
    generate_demo(out, seed=1, n_schools=120, **kw)
    return result_panel(load_dataset(out))


@pytest.fixture(scope="module", params=["two_year_mean", "single_clean"])
def panel(request, tmp_path_factory) -> pd.DataFrame:
    """Panels of two designs: two cohorts chosen on two-year means (the demo's), one cohort with a clean
    base."""
    kw = {} if request.param == "two_year_mean" else {"programme_profile": "single_clean"}
    return _panel(tmp_path_factory, request.param, **kw)


def _close(a, b) -> bool:
    return bool(np.allclose(np.asarray(a, float), np.asarray(b, float), rtol=0, atol=TOL, equal_nan=True))


def test_point_estimate_matches_pandas(panel):
    for col in OUTCOMES.values():
        got, ref = rtm_point(panel, col), _rtm_point_pandas(panel, col)
        assert np.isfinite(ref).all()
        assert _close(got, ref), (col, got, ref)


def test_weighted_point_matches_repeated_rows(panel):
    ids = pd.Index(sorted(panel["school_id"].unique()))
    rng = np.random.default_rng(5)
    for _ in range(5):
        cnt = pd.Series(rng.integers(0, 4, len(ids)), index=ids)
        cnt = cnt[cnt > 0]
        for col in OUTCOMES.values():
            got, ref = rtm_point(panel, col, cnt), _rtm_point_pandas(panel, col, cnt)
            assert _close(got, ref), (col, got, ref)


def test_bootstrap_interval_matches_per_replicate_pandas(panel):
    """Same draws in the same order, each replicate recomputed from scratch: the same interval."""
    cfg = load_effects_config({"rtm": {"bootstrap_reps": REPS}})
    got = rtm_adjusted(panel, cfg)
    rng = np.random.default_rng(cfg.rtm.seed)
    ids = pd.Index(sorted(panel["school_id"].unique()))
    boots = {u: [] for u in OUTCOMES}
    for _ in range(REPS):
        cnt = pd.Series(np.bincount(rng.integers(0, len(ids), len(ids)), minlength=len(ids)), index=ids)
        cnt = cnt[cnt > 0]
        for unit, col in OUTCOMES.items():
            boots[unit].append(_rtm_point_pandas(panel, col, cnt)[2])
    alpha = 1 - cfg.ci_level
    for unit, col in OUTCOMES.items():
        b = np.asarray(boots[unit], float)
        b = b[np.isfinite(b)]
        assert len(b) == REPS
        naive, rtm, adj, rel = _rtm_point_pandas(panel, col)
        lo, hi = np.quantile(b, [alpha / 2, 1 - alpha / 2])
        assert lo < hi
        assert _close(got["estimate"][unit], (adj, lo, hi)), (unit, got["estimate"][unit], (adj, lo, hi))
        c = got["components"][unit]
        assert _close([c["naive"], c["rtm_component"], c["reliability"]], [naive, rtm, rel])


def test_school_without_results_adds_nothing(panel):
    """A school whose outcome is missing in every year is an empty row: the figures do not move."""
    extra = panel[panel["cohort"] == 0].head(5).copy()
    extra["school_id"] = extra["school_id"].str.cat(pd.Series("_x", index=extra.index))
    extra["y_pp"] = np.nan
    wider = pd.concat([panel, extra], ignore_index=True)
    ids = pd.Index(sorted(wider["school_id"].unique()))
    cnt = pd.Series(2, index=ids)
    assert _close(
        rtm_point(wider, "y_pp", cnt), _rtm_point_pandas(panel, "y_pp", cnt.drop(extra["school_id"]))
    )
    assert not _close(rtm_point(wider, "y_sd"), rtm_point(panel, "y_sd"))
