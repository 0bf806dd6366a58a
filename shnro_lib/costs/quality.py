"""«Цена–качество»: spending per pupil against the context-expected result, DEA efficiency, quadrants."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from shnro_lib.costs.dea import dea_efficiency
from shnro_lib.costs.settings import NotEstimated, load_costs_config
from shnro_lib.indicators import school_result_index, standardised_results, window_years
from shnro_lib.io.facts import currency_label
from shnro_lib.plot_ticks import plain_log_axis


def _expected(dataset, year: int, er: pd.DataFrame | None = None) -> pd.DataFrame:
    """Expected results from the context model (:func:`shnro_lib.context.expected_results`; ``er`` if
    given)."""
    from shnro_lib.context import expected_results

    try:
        er = expected_results(dataset, year) if er is None else er
    except (ValueError, KeyError, IndexError) as exc:
        # a Russian message of the context module is passed on; a raw library message is not
        msg = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        why = msg if re.search("[А-Яа-яЁё]", msg) else "модель не строится на этих данных"
        raise NotEstimated(
            f"не оценено: ожидаемые по социальному контексту результаты не рассчитаны ({why})"
        ) from None
    if not len(er):
        raise NotEstimated(
            "не оценено: ожидаемые по социальному контексту результаты не рассчитаны ни для одной школы"
        )
    return er[
        [
            "school_id",
            "result_index",
            "expected_result",
            "residual",
            "residual_ci_low",
            "residual_ci_high",
            "context_index",
        ]
    ].assign(model=er["model_used"].iloc[0] if len(er) else "")


QUADRANTS = {
    (False, True): "дешевле и лучше ожидаемого",
    (True, True): "дороже и лучше ожидаемого",
    (False, False): "дешевле и хуже ожидаемого",
    (True, False): "дороже и хуже ожидаемого",
}
# without a context model the result is compared with the region's median (or mean) school
SPLIT_RU = {"median": "медианы региона", "mean": "среднего по региону"}
# the columns of :func:`cost_quality` (the bootstrap's efficiency columns come after ``efficiency``)
COLUMNS = [
    "school_id",
    "municipality",
    "spending_per_pupil",
    "result_index",
    "expected_result",
    "residual",
    "mean_pct",
    "efficiency",
    "quadrant",
    "expected_model",
]


def _quadrant(spend_above: bool, result_above: bool, basis: str) -> str:
    return ("дороже" if spend_above else "дешевле") + " и " + ("лучше " if result_above else "хуже ") + basis


def _context_free(dataset, win: list[int], reason: str, split: str) -> tuple[pd.DataFrame, list[str]]:
    """The result index alone (no expected result): what :func:`cost_quality` compares without a context
    model."""
    ri = school_result_index(dataset.results, years=win)
    er = pd.DataFrame(
        {
            "result_index": ri["result_index"].astype(float),
            "expected_result": np.nan,
            "residual": np.nan,
            "context_index": np.nan,
            "model": f"не рассчитана: квадранты относительно {SPLIT_RU[split]}, без учёта контекста",
        },
        index=ri.index.astype("string"),
    )
    notes = [
        f"{reason[:1].upper()}{reason[1:]}: отклонение от ожидаемого не оценено; квадранты — по индексу "
        f"результатов за {win[0]}–{win[-1]} гг. выше/ниже {SPLIT_RU[split]}, без учёта контекста."
    ]
    return er, notes


def _spending(dataset, year: int) -> pd.Series:
    """Spending per pupil in ``year`` by school (``NotEstimated`` when there is none)."""
    res = dataset.get("resources")
    if res is None or "spending_per_pupil" not in res:
        raise NotEstimated(
            "не оценено: нет таблицы ресурсов с расходами на обучающегося (resources.spending_per_pupil)"
        )
    spend = res[res["year"] == year].set_index("school_id")["spending_per_pupil"].astype(float)
    if not spend.notna().any():
        raise NotEstimated(f"не оценено: нет расходов на обучающегося за {year} год")
    return spend


def _mean_pct(dataset, win: list[int]) -> pd.Series:
    """The DEA output: each school's mean share of the scale's range in the window, weighted as the index."""
    z = standardised_results(dataset.results[dataset.results["year"].isin(win).fillna(False)])
    # ((mean - min) / (max - min))
    return (z["pct"] * z["weight"]).groupby(z["school_id"]).sum() / z["weight"].groupby(z["school_id"]).sum()


def _dea_inputs(d: pd.DataFrame, dcfg, with_context: bool, notes: list) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The DEA inputs (spending; the context index when used and known) and the schools that have them."""
    inputs = d[["spending_per_pupil"]].copy()
    if dcfg.use_context_input and with_context:
        inputs["context_index"] = d["context_index"].astype(float)
        inputs = inputs[inputs["context_index"].notna()]
        d = d.loc[inputs.index]
    elif dcfg.use_context_input:
        notes.append(
            "Эффективность DEA — только по расходам на обучающегося: контекст как неуправляемый "
            "вход не учтён, школы сравниваются с любыми школами, тратящими не больше."
        )
    return inputs, d


def _quadrants(out: pd.DataFrame, split: str, with_context: bool) -> list[str]:
    """Each school's quadrant: spending above / below the split × residual (or result index) above / below."""

    def split_of(s: pd.Series) -> float:
        return float(s.median() if split == "median" else s.mean())

    spend_split = split_of(out["spending_per_pupil"])
    if with_context:
        return [
            QUADRANTS[(bool(s > spend_split), bool(r > 0))]
            for s, r in zip(out["spending_per_pupil"], out["residual"], strict=True)
        ]
    res_split = split_of(out["result_index"])
    return [
        _quadrant(bool(s > spend_split), bool(r > res_split), SPLIT_RU[split])
        for s, r in zip(out["spending_per_pupil"], out["result_index"], strict=True)
    ]


def _table(dataset, d: pd.DataFrame, eff: pd.DataFrame, split: str, with_context: bool) -> pd.DataFrame:
    """The school rows of :func:`cost_quality` (without its ``attrs``)."""
    out = pd.DataFrame(
        {
            "school_id": d.index.astype("string"),
            "spending_per_pupil": d["spending_per_pupil"].to_numpy(),
            "result_index": d["result_index"].to_numpy(),
            "expected_result": d["expected_result"].to_numpy(),
            "residual": d["residual"].to_numpy(),
            "mean_pct": d["mean_pct"].to_numpy(),
            "efficiency": eff["efficiency"].to_numpy(),
        }
    )
    for c in ("efficiency_bc", "efficiency_ci_low", "efficiency_ci_high"):
        if c in eff:
            out[c] = eff[c].to_numpy()
    out["quadrant"] = _quadrants(out, split, with_context)
    muni = dataset.schools.set_index(dataset.schools["school_id"].astype("string"))["municipality"]
    out.insert(1, "municipality", out["school_id"].map(muni).astype("string"))
    out["expected_model"] = d["model"].to_numpy()
    return out.reset_index(drop=True)


def cost_quality(
    dataset, year: int, config=None, bootstrap_reps: int | None = None, expected: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per school: spending per pupil, expected result, residual, DEA efficiency, quadrant.

    DEA: output = the school's participant-weighted mean score in percent of the maximum over the
    window; inputs = spending per pupil and (optionally) the context index (non-controllable).
    Quadrant: spending above / below the regional median × residual above / below zero.

    When the context model cannot be fitted (no context table, no usable features), what needs no
    context is still produced: the result index over the window, DEA on spending alone, and the
    quadrant on the result index above / below the region's median (``quadrant_split``); the
    expected result and residual are missing, ``expected_model`` says why, and
    ``table.attrs["notes"]`` (Russian sentences) states what was left out.
    Raises :class:`NotEstimated` («не оценено: причина») when fewer than ``min_schools`` schools have
    spending and results (and, with a context model, expected results) in ``year``.
    """
    cfg = load_costs_config(config)
    spend = _spending(dataset, year)
    win = window_years(dataset.years, year, cfg.window)
    try:
        er, notes = _expected(dataset, year, expected).set_index("school_id"), []
        with_context = True
    except NotEstimated as exc:
        er, notes = _context_free(dataset, win, str(exc).removeprefix("не оценено: "), cfg.quadrant_split)
        with_context = False
    wp = _mean_pct(dataset, win)
    d = er.join(spend.rename("spending_per_pupil"), how="inner").join(wp.rename("mean_pct"), how="inner")
    d = d.dropna(subset=["spending_per_pupil", "residual" if with_context else "result_index", "mean_pct"])
    d = d[(d["spending_per_pupil"] > 0) & (d["mean_pct"] > 0)]
    dcfg = cfg.dea
    inputs, d = _dea_inputs(d, dcfg, with_context, notes)
    if len(d) < cfg.min_schools:
        what = "ожидаемый по контексту результат" if with_context else "индекс результатов"
        raise NotEstimated(
            f"не оценено: расходы, результаты и {what} за {year} год "
            f"есть у {len(d)} школ (нужно не меньше {cfg.min_schools})"
        )
    reps = dcfg.bootstrap_reps if bootstrap_reps is None else int(bootstrap_reps)
    eff = dea_efficiency(
        inputs,
        d[["mean_pct"]],
        bootstrap_reps=reps,
        seed=dcfg.seed,
        n_jobs=dcfg.n_jobs,
        ci_level=dcfg.ci_level,
    )
    out = _table(dataset, d, eff, cfg.quadrant_split, with_context)
    out.attrs["notes"] = notes
    out.attrs["currency"] = currency_label((getattr(dataset, "metadata", None) or {}).get("currency"))
    return out


def plot_cost_quality(table: pd.DataFrame, synthetic: bool = False, ax=None, currency: str | None = None):
    """Quadrant chart: spending per pupil (x) against the residual (y).

    ``currency`` labels the x axis (default: the table's, from ``dataset.yaml``; roubles).

    Without expected results (no context model) the y axis is the result index against its median.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 5))
    with_context = bool(table["residual"].notna().any())
    if with_context:
        y, ylabel = table["residual"], "Результат выше (+) / ниже (−) ожидаемого, SD"
    else:
        by_mean = bool(table["quadrant"].str.contains(SPLIT_RU["mean"]).any())
        ri = table["result_index"]
        y = ri - (ri.mean() if by_mean else ri.median())
        ylabel = (
            f"Индекс результатов относительно {SPLIT_RU['mean' if by_mean else 'median']}, "
            "SD (без учёта контекста)"
        )
    colors = ["tab:green", "tab:blue", "tab:orange", "tab:red"]
    # colours by position: cheaper/dearer × better/worse, whatever the basis of «better»
    for (cheap, better), color in zip(
        [(True, True), (False, True), (True, False), (False, False)], colors, strict=True
    ):
        m = (table["quadrant"].str.startswith("дешевле") == cheap) & (
            table["quadrant"].str.contains(" лучше ") == better
        )
        if m.any():
            ax.scatter(
                table.loc[m, "spending_per_pupil"] / 1000,
                y[m],
                s=12,
                color=color,
                label=str(table.loc[m, "quadrant"].iloc[0]),
            )
    ax.axhline(0, color="black", lw=0.8)
    ax.axvline(table["spending_per_pupil"].median() / 1000, color="black", lw=0.8, ls="--")
    ax.set_xscale("log")
    plain_log_axis(ax.xaxis)
    cur = currency or table.attrs.get("currency") or "руб."
    ax.set_xlabel(f"Расходы на обучающегося, тыс. {cur} (лог. шкала)")
    ax.set_ylabel(ylabel)
    t = "«Цена–качество»"
    ax.set_title(("СИНТЕТИЧЕСКИЕ ДАННЫЕ. " + t) if synthetic else t, fontsize=10)
    # below the axes, so that it never covers points
    ax.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, frameon=False)
    ax.tick_params(labelsize=9)
    return ax
