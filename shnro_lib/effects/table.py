"""The estimator table: every estimator, the one picked by the programme's design, notes from the data.

Each note is written from the actual design (cohorts, selection years, clean years).  The picked
estimator (:func:`shnro_lib.effects.design.choose_estimator`) is marked ``preferred`` only when the
self-check on the data's own design (:func:`shnro_lib.effects.selfcheck.design_check`) shows it
unbiased with nominal coverage, Monte-Carlo uncertainty counted; otherwise the table says that the
effect is not identifiable in this design (or that this could not be established) and adds the
range of the valid estimators' intervals.  Every row carries the self-check (bias, its MC SE, RMSE,
coverage, its MC SE, replications, verdict) and the placebo in time.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from shnro_lib.effects.design import KIND_RU, ProgrammeDesign, _years_ru, choose_estimator, programme_design
from shnro_lib.effects.did import callaway_santanna, did_two_stage, event_study
from shnro_lib.effects.matching import matching_estimate
from shnro_lib.effects.naive_rtm import naive_pre_post, rtm_adjusted, rtm_point
from shnro_lib.effects.panel import OUTCOMES, result_panel
from shnro_lib.effects.rdd import rdd_estimate
from shnro_lib.effects.selection import selection_adjusted
from shnro_lib.effects.selfcheck import check_columns, design_check
from shnro_lib.effects.settings import load_effects_config
from shnro_lib.labels import ESTIMATORS_RU
from shnro_lib.russian import fmt_num

_log = logging.getLogger(__name__)

SELFCHECK_COLUMNS = [
    "selfcheck_bias_pp",
    "selfcheck_bias_mc_se_pp",
    "selfcheck_rmse_pp",
    "selfcheck_coverage_share",
    "selfcheck_coverage_mc_se_share",
    "selfcheck_reps",
    "selfcheck_verdict",
    "placebo_pp",
    "placebo_ci_low_pp",
    "placebo_ci_high_pp",
]
TABLE_COLUMNS = [
    "estimator",
    "estimate_pp",
    "ci_low_pp",
    "ci_high_pp",
    "estimate_sd",
    "ci_low_sd",
    "ci_high_sd",
    "n_treated",
    "n_control",
    "preferred",
    *SELFCHECK_COLUMNS,
    "note",
]
ALL_ESTIMATORS = [
    "naive_pre_post",
    "rtm_adjusted",
    "selection_adjusted",
    "rdd",
    "did_unadjusted",
    "event_study",
    "matching",
    "callaway_santanna",
]
NAMES_RU = ESTIMATORS_RU  # the reports read the same names from shnro_lib.labels without this heavy module


def _row(name: str, est: dict[str, tuple[float, float, float]], n_t: int, n_c: int, note: str) -> dict:
    out = {"estimator": name, "n_treated": int(n_t), "n_control": int(n_c), "note": note}
    for unit in ("pp", "sd"):
        e, lo, hi = est.get(unit, (np.nan, np.nan, np.nan))
        out[f"estimate_{unit}"] = float(e)
        out[f"ci_low_{unit}"] = float(lo)
        out[f"ci_high_{unit}"] = float(hi)
    return out


def _unbounded(est: dict[str, tuple[float, float, float]]) -> bool:
    """True when an estimate came with an infinite or undefined interval (too few schools)."""
    return any(np.isfinite(e) and not (np.isfinite(lo) and np.isfinite(hi)) for e, lo, hi in est.values())


def _cohorts_ru(cohorts) -> str:
    cs = [str(c) for c in sorted(cohorts)]
    return ("когорты " if len(cs) == 1 else "когорт ") + ", ".join(cs)


def _notes(design: ProgrammeDesign) -> dict[str, str]:
    """Each estimator's note, written from the design's cohorts and years."""
    no_clean = [c.cohort for c in design.cohorts if not c.clean_years]
    sel = "; ".join(f"{c.cohort} — {_years_ru(c.selection_years)}" for c in design.cohorts)
    base = "; ".join(f"{c.cohort} — {_years_ru(c.clean_years)}" for c in design.cohorts if c.clean_years)
    did_bias = (
        f"Для {_cohorts_ru(no_clean)} все годы до старта — годы отбора, поэтому оценка смещена вверх "
        "«провалом Ашенфельтера»."
        if no_clean
        else "База включает годы отбора (провал результатов отобранных школ), поэтому оценка смещена вверх."
    )
    return {
        "naive_pre_post": (
            f"Изменение результатов школ программы от лет отбора ({sel}) к годам поддержки, без "
            "группы сравнения. Завышено: школы отбирались по неудачным годам (регрессия к среднему)."
        ),
        "rtm_adjusted": (
            "Наивная оценка минус ожидаемая регрессия к среднему −(1−надёжность)×(отклонение в годы "
            "отбора); одна надёжность для всех школ (у малых школ она ниже), поэтому поправка неточна "
            "— показана как иллюстрация. Интервал — бутстреп по школам."
        ),
        "selection_adjusted": (
            "Регрессионная поправка на точный индекс правила отбора (с учётом размера школы: у "
            "малых школ индекс менее надёжен) и на социальный контекст до программы; при равном "
            "индексе участие не связано с будущими результатами, если отбор — чёткое пороговое "
            "правило. Допущение: связь результата с индексом гладко продолжается через порог. "
            "Среднее по школо-годам поддержки."
        ),
        "did_unadjusted": (
            "Разность разностей с поэтапным стартом (did2s: фиксированные эффекты школы и года по "
            "всем годам без поддержки, ошибки кластеризованы). " + did_bias + " Показана для "
            "контраста."
        ),
        "event_study": (
            "Событийный анализ (импутационная разность разностей, pyfixest): база — чистые годы до "
            f"отбора ({base}); годы отбора показаны отдельными коэффициентами (провал). Допущение: "
            "параллельные тренды от базовых лет."
            if base
            else "Событийный анализ: ни у одной когорты нет чистого года до отбора — не оценивается."
        ),
        "matching": (
            "Ближайшие соседи по результатам до программы и контексту внутри контекстного кластера, с "
            "регрессионной поправкой на смещение. Допущение: при равных признаках участие случайно; "
            "при отборе по результатам перекрытия мало — опора на экстраполяцию."
        ),
        "rdd": (
            "Разрывная регрессия у порога отбора (локальная проверка): эффект ПЕРВОГО года поддержки "
            "для школ у порога; сравнивать с эффектом первого года, а не со средним за все годы. Шумная."
        ),
        "callaway_santanna": "Каллауэй–Сант'Анна (moderndid), контроль — никогда не участвовавшие.",
    }


def _naive(panel, cfg, det: dict) -> tuple[dict, str]:
    """The naive pre–post estimate and the regression to the mean expected without support."""
    r = naive_pre_post(panel, cfg)
    comp = {u: rtm_point(panel, col)[1] for u, col in OUTCOMES.items()}
    det["rtm_component"] = comp
    extra = (
        f" Ожидаемая без поддержки регрессия к среднему (по надёжности индекса): "
        f"{fmt_num(comp['pp'], 2, signed=True)} п. п. ({fmt_num(comp['sd'], 3, signed=True)} SD)."
        if np.isfinite([comp["pp"], comp["sd"]]).all()
        else " Ожидаемая регрессия к среднему не оценена: мало школ или лет для расчёта надёжности."
    )
    return r, extra


def _rtm(panel, cfg, det: dict) -> tuple[dict, str]:
    """The RTM-adjusted estimate and its reliability."""
    r = rtm_adjusted(panel, cfg)
    det["rtm"] = r["components"]
    c = r["components"]["sd"]
    extra = (
        f" Надёжность {c['reliability']:.2f}; ожидаемая регрессия к среднему {c['rtm_component']:.3f} SD."
        if np.isfinite(c["reliability"]) and np.isfinite(c["rtm_component"])
        else " Надёжность индекса не оценена: мало школ или лет для её расчёта."
    )
    return r, extra


def _rdd(dataset, panel, cfg, design, det: dict) -> tuple[dict, str]:
    """The regression discontinuity at the selection cutoff and its checks."""
    r = rdd_estimate(dataset, panel, cfg, design=design)
    det["rdd"], det["rdd_data"] = r["info"], r["data"]
    inf = r["info"]
    if not r["estimate"]:
        return r, "Не оценено: " + inf.get("reason", "нет данных у порога")
    extra = (
        f" Соответствие правилу {inf['compliance']:.0%}; полоса {inf['bandwidth'].get('sd', np.nan):.2f} "
        f"SD; плотность у порога {inf['density_left']}/{inf['density_right']} (p={inf['density_p']:.2f})."
    )
    return r, extra


def _callaway(panel, cfg) -> tuple[dict, str]:
    """The Callaway–Sant'Anna check and what its base years are."""
    r = callaway_santanna(panel, cfg)
    if r["error"]:
        return r, "Не оценено: расчёт moderndid завершился ошибкой (подробности в журнале)."
    extra = (
        f" База совпадает с событийным анализом (упреждение {r['anticipation']} г.: годы отбора не база)."
        if r["clean_base"]
        else " База — год перед стартом (год отбора), поэтому, как и did2s, оценка завышена."
    )
    return r, extra


def _compute(name: str, dataset, panel, cfg, design, det: dict) -> tuple[dict, str]:
    """One estimator's result and the data-dependent part of its note."""
    extra = ""
    if name == "naive_pre_post":
        return _naive(panel, cfg, det)
    elif name == "rtm_adjusted":
        return _rtm(panel, cfg, det)
    elif name == "did_unadjusted":
        r = did_two_stage(panel, cfg)
    elif name == "event_study":
        r = event_study(panel, cfg)
        det["event_study"] = r["coefs"]
        if r["cohorts_dropped"] and r["cohorts_used"]:
            extra = f" Без {_cohorts_ru(r['cohorts_dropped'])}: у них нет чистого года до отбора."
    elif name == "selection_adjusted":
        if any(c.cutoff is None for c in design.cohorts):
            return {
                "estimate": {}
            }, "Не оценено: правило отбора (годы и порог) неизвестно и из данных не видно."
        r = selection_adjusted(panel, cfg, dataset=dataset, design=design, return_cells=True)
        det["selection_adjusted_cells"] = r["cells"]
    elif name == "matching":
        r = matching_estimate(dataset, panel, cfg)
        det["balance"] = r["balance"]
    elif name == "rdd":
        return _rdd(dataset, panel, cfg, design, det)
    elif name == "callaway_santanna":
        return _callaway(panel, cfg)
    else:
        raise ValueError(f"Неизвестный метод «{name}»")
    return r, extra


def _estimator_row(name: str, dataset, panel, cfg, design, det: dict, notes: dict, picked, valid) -> dict:
    """One estimator's table row: its estimate, counts and note (its role under the design first)."""
    try:
        r, extra = _compute(name, dataset, panel, cfg, design, det)
        note = extra if extra.startswith("Не оценено") else notes.get(name, "") + extra
        if _unbounded(r["estimate"]):
            r = {**r, "estimate": {}}
            note = "Не оценено: интервал оценки не ограничен — слишком мало школ для этого метода."
    except Exception:  # noqa: BLE001 — one failing design must not hide the others
        _log.debug("estimator %s failed", name, exc_info=True)
        r, note = (
            {"estimate": {}},
            "Не оценено: на этих данных метод не удалось применить (подробности в журнале).",
        )
    role = (
        "Выбрана по плану программы"
        if name == picked
        else "Допустима при этом плане"
        if name in valid
        else "Для сравнения: её допущение при этом плане нарушено"
    )
    return _row(name, r["estimate"], r.get("n_treated", 0), r.get("n_control", 0), f"{role}. {note}")


def _mark_preferred(tab: pd.DataFrame, check: dict, picked: str) -> None:
    """Mark the pick ``preferred`` when identifiable, add the self-check note and the naive gap (in place)."""
    tab["preferred"] = (tab["estimator"] == picked) & tab["estimate_sd"].notna() & check["identifiable"]
    i_pick = tab.index[tab["estimator"] == picked]
    if len(i_pick):
        tab.at[i_pick[0], "note"] += " " + check["note"]
    if tab["preferred"].any() and (tab["estimator"] == "naive_pre_post").any():
        p_pp = float(tab.loc[tab["preferred"], "estimate_pp"].iloc[0])
        i = tab.index[tab["estimator"] == "naive_pre_post"][0]
        diff = float(tab.at[i, "estimate_pp"]) - p_pp
        if np.isfinite(diff):
            word = "Превышает предпочтительную оценку" if diff > 0 else "Ниже предпочтительной оценки"
            tab.at[i, "note"] += f" {word} на {fmt_num(abs(diff), 2)} п. п."


def _range_valid(tab: pd.DataFrame, check: dict, valid, design: ProgrammeDesign) -> pd.DataFrame:
    """The table with a ``range_valid`` row: the range of the valid estimators' intervals (if any)."""
    ok = tab[tab["estimator"].isin(valid) & tab["estimate_sd"].notna()]
    if not len(ok):
        return tab
    names = ", ".join(NAMES_RU[e] for e in ok["estimator"])
    rng = {
        f"ci_{b}_{u}": float(ok[f"ci_{b}_{u}"].min() if b == "low" else ok[f"ci_{b}_{u}"].max())
        for b in ("low", "high")
        for u in ("pp", "sd")
    }
    head = (
        "не идентифицируется надёжно"
        if check["verdict"] == "fail"
        else "не удалось установить, идентифицируется ли эффект надёжно"
    )
    row = {
        "estimator": "range_valid",
        "estimate_pp": np.nan,
        "estimate_sd": np.nan,
        **rng,
        "n_treated": int(ok["n_treated"].max()),
        "n_control": int(ok["n_control"].max()),
        "preferred": False,
        "note": (
            f"Эффект при этом плане программы ({KIND_RU[design.kind]}) {head}: {check['note']} "
            f"Показан диапазон интервалов допустимых оценок ({names})."
        ),
    }
    return pd.concat([tab, pd.DataFrame([row])], ignore_index=True)


def _with_check(tab: pd.DataFrame, check: dict, picked: str, valid, design: ProgrammeDesign) -> pd.DataFrame:
    """The estimates with the self-check applied: the preferred mark, the range row, the check columns."""
    _mark_preferred(tab, check, picked)
    if not check["identifiable"]:
        tab = _range_valid(tab, check, valid, design)
    tab = pd.concat([tab.reset_index(drop=True), check_columns(list(tab["estimator"]), check)], axis=1)
    if check["placebo_reason"]:
        i_pick = tab.index[tab["estimator"] == picked]
        if len(i_pick):
            tab.at[i_pick[0], "note"] += f" Плацебо во времени: {check['placebo_reason'].split(': ', 1)[-1]}."
    return tab[TABLE_COLUMNS]


def programme_effects(
    dataset,
    config=None,
    estimators: list[str] | None = None,
    details: bool = False,
    design: ProgrammeDesign | None = None,
) -> pd.DataFrame | tuple[pd.DataFrame, dict]:
    """The estimator table: one row per estimator, the design's pick marked ``preferred``.

    Parameters
    ----------
    dataset : a loaded :class:`shnro_lib.io.Dataset` with ``results`` and ``programme``.
    config : effects settings or overrides (see :func:`shnro_lib.effects.load_effects_config`).
    estimators : subset of :data:`ALL_ESTIMATORS` (default: all; the Callaway–Sant'Anna check only
        when ``did.callaway_santanna``).
    details : also return a dict with the design, the pick, the self-check and the intermediate
        results (event-study coefficients, balance table, RDD data and checks, RTM components, panel).
    design : the programme's design (default: :func:`shnro_lib.effects.design.programme_design`).

    Returns
    -------
    DataFrame with columns ``estimator, estimate_pp, ci_low_pp, ci_high_pp, estimate_sd, ci_low_sd,
    ci_high_sd, n_treated, n_control, preferred``, the self-check and placebo columns
    (:data:`SELFCHECK_COLUMNS`) and ``note``; when the picked estimator does not pass the self-check,
    no row is preferred and a ``range_valid`` row gives the range of the valid estimators' intervals.
    """
    cfg = load_effects_config(config)
    if not dataset.has("programme"):
        raise ValueError(
            "в данных нет таблицы участия в программе поддержки, поэтому эффекты программы не оцениваются"
        )
    design = design if design is not None else programme_design(dataset, cfg)
    if not design.cohorts:
        raise ValueError("В таблице программы нет школ-участниц")
    panel = result_panel(dataset, cfg, design)
    picked, valid = choose_estimator(design)
    todo = list(
        estimators or [e for e in ALL_ESTIMATORS if e != "callaway_santanna" or cfg.did.callaway_santanna]
    )
    if estimators is None and picked not in todo:
        todo.append(picked)
    notes = _notes(design)
    det = {"panel": panel, "design": design, "picked": picked, "valid": valid}
    rows = [_estimator_row(n, dataset, panel, cfg, design, det, notes, picked, valid) for n in todo]
    tab = pd.DataFrame(rows)
    check = design_check(dataset, panel, design, picked, cfg)
    # ``simulation_check`` is the name the notebooks read
    det["self_check"] = det["simulation_check"] = check
    tab = _with_check(tab, check, picked, valid, design)
    return (tab, det) if details else tab
