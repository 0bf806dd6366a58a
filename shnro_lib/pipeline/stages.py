"""The analysis stages of a region computation, each a plain function with typed inputs.

Every stage takes what it needs from earlier stages as arguments (the identification of
every year, the context analysis of a year), so each of them is computed once.  ``rules``
and the user's overrides (``config``: the values for one parameter file) reach every stage
that reads them.  :class:`~shnro_lib.pipeline.log.StageLog` runs them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from shnro_lib.context import ContextReport, context_analysis, context_method_ru
from shnro_lib.costs import cost_quality, costs_method_ru
from shnro_lib.effects import effects_method_ru, programme_effects
from shnro_lib.facts import municipality_year_facts, region_year_facts, school_year_facts
from shnro_lib.identify import (
    identification_changes,
    identification_method_ru,
    identification_panel,
    identify_each_year,
    load_rules,
    rule_set_kappa,
    sensitivity_runs,
    sensitivity_table,
)
from shnro_lib.identify.sources import standardised_for_identification
from shnro_lib.monitoring import (
    load_monitoring_config,
    monitoring_method_ru,
    monitoring_table,
    school_trajectories,
)
from shnro_lib.partners import PartnerResult, load_partners_config, partner_result, partners_method_ru
from shnro_lib.pipeline.settings import report_settings

# --------------------------------------------------------------------------- stages


def identify_override(overrides: Mapping[str, Mapping[str, Any]] | None) -> dict[str, Any]:
    """The parts of a user's overrides identification reads: ``criteria`` (the rule set) and ``indices``."""
    return {k: dict(v) for k, v in (overrides or {}).items() if k in ("criteria", "indices") and v}


@dataclass
class IdentInputs:
    """What every identification of one data set shares (the years, the sensitivity variants,
    other rule sets, the panel): the standardised results and the memo of indicators
    (:func:`shnro_lib.identify.identify_schools`), each computed once per run."""

    standardised: pd.DataFrame | None
    memo: dict = field(default_factory=dict)


def ident_inputs(ds: Any) -> IdentInputs:
    """The standardised results of the data set (the columns identification reads), computed once
    for every identification stage."""
    return IdentInputs(standardised=standardised_for_identification(ds.results))


def identify_years(
    ds: Any, years: Sequence[int], rules: str, override: Mapping[str, Any], shared: IdentInputs | None = None
) -> dict[int, pd.DataFrame]:
    """Identification of every year in ``years`` (the report year's table and the panel come from it);
    the last year's table, the one the reports show, is explained, the earlier ones give categories."""
    shared = shared if shared is not None else ident_inputs(ds)
    return identify_each_year(
        ds,
        years,
        rules,
        override,
        standardised=shared.standardised,
        memo=shared.memo,
        explained=[max(years)] if years else None,
    )


def changes(
    ds: Any, year: int, rules: str, override: Mapping[str, Any], runs: Mapping[int, pd.DataFrame]
) -> pd.DataFrame:
    """The schools whose category changed (from the identifications already computed)."""
    return identification_changes(ds, year, rules, None, override=override, runs=runs)


def ident_panel(
    ds: Any,
    year: int,
    rules: str,
    override: Mapping[str, Any],
    runs: Mapping[int, pd.DataFrame],
    shared: IdentInputs | None = None,
) -> pd.DataFrame:
    """School × year categories up to ``year`` (monitoring and transitions read it)."""
    shared = shared if shared is not None else IdentInputs(standardised=None)
    years = [y for y in ds.years if y <= year]
    return identification_panel(
        ds, years, rules, override, runs=runs, standardised=shared.standardised, memo=shared.memo
    )


def sensitivity(
    ds: Any,
    year: int,
    rules: str,
    override: Mapping[str, Any],
    base: pd.DataFrame,
    shared: IdentInputs | None = None,
) -> dict[str, pd.DataFrame]:
    """The identification of ``year`` under the rule set's other reasonable choices and the other
    shipped rule sets: the comparison table and κ between rule sets (computed once, several
    identifications, so not in the notebook).  ``base`` is the identify stage's table of ``year``
    (the main choice, not identified again); ``shared``: the identify stage's standardised results
    and memo, so that the variants compute only what differs from it."""
    shared = shared if shared is not None else ident_inputs(ds)
    runs = sensitivity_runs(
        ds, year, rules, override, base=base, standardised=shared.standardised, memo=shared.memo
    )
    return {"sensitivity": sensitivity_table(runs), "sensitivity_kappa": rule_set_kappa(runs)}


def context_years(
    ds: Any, years: Sequence[int], config: Mapping[str, Any] | None, stability: bool = False
) -> dict[int, ContextReport]:
    """Context analysis (features, clusters, expected results, similar schools) of each year
    (``stability``: also resample the clustering, as ``shnro context`` reports it)."""
    return {int(y): context_analysis(ds, int(y), config, stability=stability) for y in sorted(years)}


def context(reports: Mapping[int, ContextReport], year: int) -> pd.DataFrame:
    """The context table of the report year."""
    return reports[year].table


def similar(reports: Mapping[int, ContextReport], year: int) -> pd.DataFrame:
    """Similar schools of the report year (``context.yaml: similar.k`` neighbours)."""
    return reports[year].similar


def problem_zones(
    ds: Any,
    year: int,
    similar: pd.DataFrame | None,
    overrides: Mapping[str, Any] | None,
    config: Mapping[str, Any] | None,
) -> pd.DataFrame:
    """«Проблемные зоны» of every school of the report year (procedure × subject × grade) against the
    region and its similar schools (``similar``: the similar stage's table, ``None`` when it failed:
    then against the region only); groups smaller than ``min_group_size`` keep their row, marked small."""
    from shnro_lib.profiles.zones import problem_zones as zones

    return zones(ds.results, similar, year, report_settings(overrides).min_group_size, config)


def expected_table(report: ContextReport) -> pd.DataFrame:
    """Expected results of a context analysis as :func:`shnro_lib.context.expected_results` gives them."""
    return report.model.table.assign(model_used=report.model.model_used, context_r2=round(report.model.r2, 4))


def effects(ds: Any, config: Mapping[str, Any] | None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The estimator table of the programme effects and its details (the design, the self-check)."""
    return programme_effects(ds, config, details=True)


def costs(ds: Any, year: int, report: ContextReport | None, config: Mapping[str, Any] | None) -> pd.DataFrame:
    """Cost–quality with the expected results of the context stage (not refitted); without a context
    model, what needs no context (the costs module says what is left out)."""
    return cost_quality(ds, year, config, expected=expected_table(report) if report is not None else None)


def partner_years(ds: Any, year: int, config: Mapping[str, Any] | None) -> list[int]:
    """The data years whose context the choice of leaders checks (``partners.yaml: leaders.stable_years``)."""
    n = load_partners_config(config).leaders.stable_years
    return [int(y) for y in ds.years if y <= year][-n:]


def partners(
    ds: Any,
    year: int,
    rules: str,
    override: Mapping[str, Any],
    ident: pd.DataFrame,
    reports: Mapping[int, ContextReport],
    config: Mapping[str, Any] | None,
    context_config: Mapping[str, Any] | None,
) -> PartnerResult:
    """The partnership result (pairs, leaders, schools left unpaired), pairing by the categories of
    ``rules`` and the context already computed (the earlier years the leaders' stability needs are
    analysed here)."""
    missing = [y for y in partner_years(ds, year, config) if y not in reports]
    reports = {**reports, **context_years(ds, missing, context_config)}
    contexts = {y: reports[y].table for y in partner_years(ds, year, config)}
    res = partner_result(
        ds,
        year,
        config,
        rules=load_rules(rules, override.get("criteria")),
        ident=ident,
        contexts=contexts,
        features=reports[year].model.context.z,
    )
    return res


def monitoring(
    ds: Any, year: int, rules: str, panel: pd.DataFrame, config: Mapping[str, Any] | None
) -> pd.DataFrame:
    """Monitoring indicators from the identification panel."""
    return monitoring_table(ds, year, ident=panel, config=config, rules=rules)


def trajectories(panel: pd.DataFrame, year: int, config: Mapping[str, Any] | None) -> pd.DataFrame:
    """Each school's path through the list."""
    return school_trajectories(panel, year, config=config)


def worth_learning_list(
    ds: Any,
    year: int,
    tables: Mapping[str, pd.DataFrame],
    failures: Mapping[str, str],
    config: Mapping[str, Any] | None,
) -> pd.DataFrame:
    """«Школы, чьи практики стоит изучить» from the stages before it (context, trajectories, identify)."""
    from shnro_lib.pipeline.results import RegionResults
    from shnro_lib.profiles.practices import worth_learning

    so_far = RegionResults(meta={"year": int(year)}, tables=dict(tables), failures=dict(failures))
    return worth_learning(so_far, ds, config)


def school_facts(
    tables: Mapping[str, pd.DataFrame],
    year: int,
    overrides: Mapping[str, Any] | None,
    monitoring_config: Mapping[str, Any] | None,
) -> pd.DataFrame:
    """School × year facts with each school's status (from the stages before it)."""

    listed = tuple(load_monitoring_config(monitoring_config).list_categories)
    return school_year_facts(tables, year, report_settings(overrides).min_group_size, listed)


def level_facts(
    facts: pd.DataFrame, monitoring: pd.DataFrame | None, monitoring_config: Mapping[str, Any] | None
) -> dict[str, pd.DataFrame]:
    """Municipality × year and region × year facts (from the school facts and the monitoring)."""

    listed = tuple(load_monitoring_config(monitoring_config).list_categories)
    return {
        "municipality_facts": municipality_year_facts(facts, monitoring, listed),
        "region_facts": region_year_facts(facts, monitoring, listed),
    }


def method_texts(ds: Any, rules: str, configs: Mapping[str, Mapping[str, Any] | None]) -> dict[str, str]:
    """Russian method texts (Markdown) computed from the settings actually used.

    A text that cannot be written is left out: the annex then says the description is unavailable.
    """
    writers = {
        "identify": lambda: identification_method_ru(rules, identify_override(configs)),
        "context": lambda: context_method_ru(configs.get("context")),
        "effects": lambda: effects_method_ru(configs.get("effects"), dataset=ds),
        "costs": lambda: costs_method_ru(configs.get("costs")),
        "partners": lambda: partners_method_ru(configs.get("partners")),
        "monitoring": lambda: monitoring_method_ru(configs.get("monitoring")),
    }
    out = {}
    for stage, write in writers.items():
        try:
            out[stage] = str(write())
        except Exception:  # noqa: BLE001 - a missing method text only drops an annex paragraph
            continue
    return out
