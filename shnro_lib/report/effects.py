"""The programme effects section: a plain conclusion, the estimators side by side, then the detail.

The conclusion names the recommended estimate (the method that passed the check on the data's own
design) or says that none is reliable; a forest plot shows every estimator's interval with the
recommended one marked; a compact table gives the estimates, a second one the self-check and the
notes (the full method is in the annex).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from shnro_lib.pipeline.log import reason_ru
from shnro_lib.report.content import Section, figure, note, table, unavailable
from shnro_lib.report.format import fmt_num
from shnro_lib.report.helpers import dpi as _dpi
from shnro_lib.report.helpers import max_rows as _rows
from shnro_lib.report.helpers import with_names

# the estimates a reader compares; the self-check and notes follow in their own table
ESTIMATE_COLUMNS = [
    "estimator",
    "estimate_pp",
    "ci_low_pp",
    "ci_high_pp",
    "estimate_sd",
    "n_treated",
    "n_control",
    "preferred",
]
CHECK_COLUMNS = [
    "estimator",
    "selfcheck_verdict",
    "selfcheck_bias_pp",
    "selfcheck_coverage_share",
    "placebo_pp",
    "note",
]


def _estimates_figure(region: Any, eff: pd.DataFrame, estimator_ru: Any) -> list:
    """The forest plot of the estimators, or the plain reason it could not be drawn."""
    from shnro_lib.effects.plots import plot_estimates
    from shnro_lib.labels import ESTIMATORS_RU

    if not {"estimate_pp", "ci_low_pp", "ci_high_pp"} <= set(eff.columns) or eff["estimate_pp"].isna().all():
        return []
    names = {k: estimator_ru(k) for k in ESTIMATORS_RU}
    try:
        fig = plot_estimates(eff, names, synthetic=region.synthetic)
    except Exception as exc:  # noqa: BLE001 - a figure must not stop the report
        return [unavailable(f"график оценок не построен: {reason_ru(exc)}")]
    return [
        figure(
            fig,
            "Оценки эффекта программы разными методами с 95% доверительными интервалами",
            "Смотрите на выделенную рекомендуемую оценку и на то, пересекает ли её интервал ноль; "
            "остальные методы показаны для сравнения.",
            region.synthetic,
            _dpi(region),
        )
    ]


def _effects_conclusion(eff: pd.DataFrame, estimator_ru) -> str:
    """What the reader may conclude from the effects table: the recommended estimate or the range."""

    def ci(r) -> str:
        return (
            f"от {fmt_num(r.get('ci_low_pp'), 2, signed=True)} "
            f"до {fmt_num(r.get('ci_high_pp'), 2, signed=True)} п. п."
        )

    est = eff.get("estimator", pd.Series(dtype=object)).astype(str)
    pref = (
        eff[eff["preferred"].astype(str).str.lower().isin(["true", "1"])]
        if "preferred" in eff
        else eff.iloc[:0]
    )
    if len(pref):
        r = pref.iloc[0]
        text = (
            f"Что можно заключить: по методу «{estimator_ru(r['estimator'])}», прошедшему проверку на "
            f"собственном плане данных, эффект программы — {fmt_num(r['estimate_pp'], 2, signed=True)} п. п. "
            f"(95% ДИ {ci(r)})."
        )
        if r["ci_low_pp"] <= 0 <= r["ci_high_pp"]:
            text += " Интервал включает ноль: эффект не отличим от нулевого."
        return text
    rng = eff[est == "range_valid"]
    if len(rng):
        return (
            "Что можно заключить: ни одна оценка не прошла проверку на собственном плане данных, поэтому "
            f"единственной надёжной оценки нет; допустимые методы дают интервалы {ci(rng.iloc[0])}."
        )
    return "Что можно заключить: надёжной оценки эффекта программы на этих данных нет (см. примечания)."


def effects_section(region: Any, municipality: str | None) -> Section:
    """Region-level programme effect estimates and this municipality's programme schools."""
    parts = []
    if region.ok("effects"):
        from shnro_lib.labels import ESTIMATORS_RU

        def estimator_ru(v: str) -> str:
            name = ESTIMATORS_RU.get(str(v), str(v))
            return name[:1].upper() + name[1:]

        eff = region.table("effects")
        parts.append(note(_effects_conclusion(eff, estimator_ru)))
        parts += _estimates_figure(region, eff, estimator_ru)
        # text cells pass through display formats unchanged, so the names are mapped here
        eff = eff.assign(estimator=eff["estimator"].map(estimator_ru)) if "estimator" in eff.columns else eff
        parts.append(
            table(
                eff[[c for c in ESTIMATE_COLUMNS if c in eff.columns]],
                caption="Оценки эффекта программы разными методами",
            )
        )
        checks = eff[[c for c in CHECK_COLUMNS if c in eff.columns]]
        if len(checks.columns) > 1:
            parts.append(table(checks, caption="Проверка методов на собственном плане данных и примечания"))
    else:
        parts.append(unavailable(region.reason("effects")))
    prog = region.table("programme")
    if municipality and prog is not None and "in_programme" in prog.columns:
        sub = prog[(prog["municipality"] == municipality) & prog["in_programme"].fillna(False).astype(bool)]
        if len(sub):
            cols = [
                c
                for c in ["school_id", "year", "programme", "cohort", "partner_school_id", "cost_rub"]
                if c in sub.columns
            ]
            t = with_names(region, sub[cols].sort_values(["school_id", "year"]).reset_index(drop=True))
            parts.append(
                table(t, caption="Школы муниципалитета в программе поддержки", max_rows=_rows(region))
            )
        else:
            parts.append(note("Школы муниципалитета в программе поддержки не участвовали."))
    return Section(parts)
