"""The programme's design as data: per cohort, the years whose results chose it and the rule.

The design comes from the data set's facts (``dataset.yaml`` → ``programme.cohorts``).  When a
cohort is not described there, :func:`programme_design` infers what the data show: the cohort's
start year (the programme table), the selection window among the last years before the start
whose index separates participants from the other eligible schools best, and the cut-off on that
index.  Every assumption is stated in Russian (``ProgrammeDesign.assumptions``).

The estimator is then chosen by :func:`choose_estimator` (a documented rule):

1. every cohort has a *clean* year — before its selection years and outside earlier cohorts'
   selection years — → the event study (DiD with the clean years as base, pyfixest), with the
   Callaway–Sant'Anna estimator on the matching base as cross-check;
2. otherwise, if selection was sharp on a known index (the rule explains participation for at
   least ``selection.min_compliance`` of the eligible schools) → the selection-adjusted regression
   with the RDD as local check;
3. otherwise → the matched comparison, with its caveat.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from shnro_lib.effects.cohorts import programme_cohorts, selection_index
from shnro_lib.effects.settings import EffectsSettings, load_effects_config

KIND_RU = {
    "clean_base": "есть чистый год до отбора",
    "sharp_index": "чёткий отбор по известному индексу без чистого года",
    "none": "нет ни чистого года, ни чёткого правила отбора",
}
PICK = {"clean_base": "event_study", "sharp_index": "selection_adjusted", "none": "matching"}
VALID = {
    "clean_base": ["event_study", "callaway_santanna", "selection_adjusted", "rdd"],
    "sharp_index": ["selection_adjusted", "rdd"],
    "none": ["matching"],
}


@dataclass(frozen=True)
class CohortDesign:
    """How one cohort (first year of support) was chosen, and what the data hold before it."""

    cohort: int
    selection_years: tuple[int, ...]
    bottom_share: float | None
    cutoff: float | None
    procedures: tuple[str, ...] | None
    source: str  # "dataset" (dataset.yaml), "inferred" or "assumed"
    clean_years: tuple[int, ...]  # data years before selection, outside earlier cohorts' selection
    compliance: float  # share of eligible schools whose status agrees with the rule
    sharp: bool


@dataclass(frozen=True)
class ProgrammeDesign:
    """Every cohort's design, the design class and the Russian statement of assumptions."""

    cohorts: tuple[CohortDesign, ...]
    assumptions: tuple[str, ...] = field(default_factory=tuple)

    def get(self, cohort: int) -> CohortDesign | None:
        """The design of ``cohort`` (None when the programme has no such cohort)."""
        return next((c for c in self.cohorts if c.cohort == cohort), None)

    def selection_years(self, cohort: int) -> list[int]:
        """The years whose results chose ``cohort``."""
        c = self.get(cohort)
        return list(c.selection_years) if c else []

    @property
    def kind(self) -> str:
        """``clean_base``, ``sharp_index`` or ``none`` (see the module docstring)."""
        if self.cohorts and all(c.clean_years for c in self.cohorts):
            return "clean_base"
        if self.cohorts and all(c.sharp for c in self.cohorts):
            return "sharp_index"
        return "none"

    def describe_ru(self) -> str:
        """One Russian sentence per cohort: the years of selection and the rule."""
        parts = []
        for c in self.cohorts:
            rule = (
                f"нижние {c.bottom_share:.0%}"
                if c.bottom_share is not None
                else f"индекс не выше {c.cutoff:.2f}"
                if c.cutoff is not None
                else "правило не указано"
            )
            src = {
                "dataset": "по описанию набора данных",
                "inferred": "выведено из данных",
                "assumed": "допущение",
            }[c.source]
            clean = (
                f"; чистые годы до отбора: {', '.join(map(str, c.clean_years))}"
                if c.clean_years
                else "; чистых лет до отбора нет"
            )
            fit = (
                f"правило объясняет участие {c.compliance:.0%} школ"
                if c.compliance is not None and np.isfinite(c.compliance)
                else "насколько правило объясняет участие, не оценено: нет результатов в годы отбора"
            )
            parts.append(
                f"когорта {c.cohort}: отбор по результатам {_years_ru(c.selection_years)} ({rule}, "
                f"{src}; {fit}){clean}"
            )
        return "; ".join(parts)


def _years_ru(years) -> str:
    ys = sorted(int(y) for y in years)
    return (
        f"{ys[0]} года"
        if len(ys) == 1
        else f"{ys[0]}–{ys[-1]} годов"
        if ys == list(range(ys[0], ys[-1] + 1))
        else ", ".join(map(str, ys)) + " годов"
    )


def _rule_fit(
    S: pd.Series, treated: pd.Series, eligible: pd.Series, cutoff: float | None, bottom_share: float | None
) -> tuple[float, float, float]:
    """(compliance, cut-off, bottom share) of «index at or below the cut-off» among eligible schools.

    With neither a cut-off nor a share given, the cut-off that maximises compliance is found.
    """
    s = S[eligible.reindex(S.index).fillna(False).to_numpy(bool)]
    t = treated.reindex(s.index).fillna(False).to_numpy(bool)
    if not len(s):
        return np.nan, np.nan, np.nan
    if cutoff is None and bottom_share is not None:
        cutoff = float(S.quantile(bottom_share))  # the demo's rule: the quantile over all schools
    if cutoff is None:
        order = np.argsort(s.to_numpy(float), kind="stable")
        tt = t[order]
        # compliance when the k lowest are selected, k = 0..n
        below_t = np.r_[0, np.cumsum(tt)]
        above_u = (~tt).sum() - np.r_[0, np.cumsum(~tt)]
        k = int(np.argmax(below_t + above_u))
        vals = s.to_numpy(float)[order]
        cutoff = float(vals[k - 1]) if k > 0 else float(vals[0]) - 1e-9
    comp = float(((s.to_numpy(float) <= cutoff) == t).mean())
    share = float((S <= cutoff).mean())
    return comp, float(cutoff), share


def _stated_rule(dataset, g: int, spec, treated: pd.Series, eligible: pd.Series, weighting, notes: list):
    """Cohort ``g``'s rule as ``dataset.yaml`` states it: ``(sel, comp, source, share, cutoff, procs)``.

    A cut-off stated by neither share nor value is found from the data (``notes`` says so).
    """
    sel = [int(y) for y in spec.selection_years]
    res = dataset.results
    if spec.procedures:
        res = res[res["procedure"].isin(spec.procedures).fillna(False)]
    S = selection_index(res, sel, weighting)
    comp, cut, share = _rule_fit(S, treated, eligible, spec.cutoff, spec.bottom_share)
    bshare, cutoff = spec.bottom_share, spec.cutoff if spec.cutoff is not None else cut
    procs = tuple(spec.procedures) if spec.procedures else None
    if spec.bottom_share is None and spec.cutoff is None:
        bshare = share
        notes.append(
            f"Для когорты {g} в описании набора данных не указаны ни доля, ни порог отбора: "
            f"порог {cut:.2f} выведен из данных (доля {share:.0%})."
        )
    return sel, comp, "dataset", bshare, cutoff, procs


def _inferred_rule(dataset, g: int, years: list[int], treated, eligible, cfg: EffectsSettings, notes: list):
    """Cohort ``g``'s rule inferred from the data: ``(sel, comp, source, share, cutoff, procs)``.

    The selection window among the last years before the start that explains participation best;
    when none explains it well enough, all years before the start are assumed (no clean years).
    """
    weighting = cfg.selection.cell_weighting
    best = None
    for k in range(1, cfg.selection.infer_max_window + 1):
        win = [y for y in range(g - k, g) if y in years]
        if len(win) < k:
            continue
        S = selection_index(dataset.results, win, weighting)
        comp, cut, share = _rule_fit(S, treated, eligible, None, None)
        if best is None or comp > best[1] + 1e-9:
            best = (win, comp, cut, share)
    if best is not None and best[1] >= cfg.selection.min_compliance:
        sel, comp, cut, share = best
        notes.append(
            f"Правило отбора когорты {g} не описано в наборе данных; по данным участие лучше "
            f"всего объясняет порог {cut:.2f} индекса результатов {_years_ru(sel)} "
            f"(нижние {share:.0%}, совпадение с фактическим участием {comp:.0%})."
        )
        return sel, comp, "inferred", share, cut, None
    sel = [y for y in years if y < g]
    comp = best[1] if best is not None else np.nan
    notes.append(
        f"Правило отбора когорты {g} не описано в наборе данных, и чёткого порога по "
        f"результатам последних лет в данных не видно: принято, что отбор мог опираться "
        f"на все годы до старта ({_years_ru(sel) if sel else '—'}); чистых лет нет."
    )
    return sel, comp, "assumed", None, None, None


def programme_design(dataset, config=None) -> ProgrammeDesign:
    """The design of every cohort in the programme table: from ``dataset.yaml`` or inferred.

    Parameters
    ----------
    dataset : a loaded data set with ``results`` and (optionally) ``programme``.
    config : effects settings or overrides (see :func:`load_effects_config`).
    """
    cfg: EffectsSettings = load_effects_config(config)
    coh = programme_cohorts(dataset)
    cohorts = sorted(int(g) for g in set(coh.dropna().astype(int)) - {0})
    years = sorted(int(y) for y in dataset.years)
    facts = getattr(dataset, "facts", None)
    stated = dict(facts.programme.cohorts) if facts is not None and facts.programme is not None else {}
    weighting = cfg.selection.cell_weighting
    treated_by = {g: (coh == g) for g in cohorts}
    out, notes, earlier_sel = [], [], set()
    for g in cohorts:
        eligible = ~((coh > 0) & (coh < g))
        spec = stated.get(g)
        if spec is not None:
            rule = _stated_rule(dataset, g, spec, treated_by[g], eligible, weighting, notes)
        else:
            rule = _inferred_rule(dataset, g, years, treated_by[g], eligible, cfg, notes)
        sel, comp, source, bshare, cutoff, procs = rule
        clean = tuple(y for y in years if y < min(sel) and y not in earlier_sel) if sel else ()
        sharp = bool(np.isfinite(comp) and comp >= cfg.selection.min_compliance and source != "assumed")
        comp = float(comp) if np.isfinite(comp) else np.nan
        out.append(CohortDesign(g, tuple(sorted(sel)), bshare, cutoff, procs, source, clean, comp, sharp))
        earlier_sel |= set(sel)
    return ProgrammeDesign(tuple(out), tuple(notes))


def choose_estimator(design: ProgrammeDesign) -> tuple[str, list[str]]:
    """(picked estimator, estimators valid under the design) by the rule of the module docstring."""
    kind = design.kind
    valid = list(VALID[kind])
    if kind == "clean_base" and not all(c.sharp for c in design.cohorts):
        valid = [v for v in valid if v not in ("selection_adjusted", "rdd")]
    return PICK[kind], valid
