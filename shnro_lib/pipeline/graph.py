"""The stage graph: each stage named once, with what it needs, run for the targets asked for.

``shnro reports`` runs every stage (:func:`shnro_lib.pipeline.compute_from_dataset`); each CLI
command runs only the stages its files need (``shnro identify`` → ``identify`` and
``sensitivity``), through the same functions, settings and overrides, so a command and the
batch give the same rows for the same inputs.

    >>> run = run_graph(ds, 2024, "lo_2018", overrides, targets=["partners"])
    >>> run.values["partners"].pairs, run.log.failures
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from shnro_lib.pipeline.log import StageLog
from shnro_lib.pipeline.settings import Overrides, stage_config

# the parameter files whose user overrides reach the stages
CONFIG_NAMES = ("context", "costs", "criteria", "effects", "indices", "monitoring", "partners", "profiles")
# stages that need the identification of every year up to the report year, not only of that year
HISTORY_STAGES = ("identification_changes", "ident_panel")


@dataclass
class GraphInputs:
    """What every stage reads: the data, the year, the rules, the user's overrides and the values so far."""

    ds: Any
    year: int
    rules: str
    overrides: Overrides
    values: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    failures: Mapping[str, str] = field(default_factory=dict)
    history: bool = True
    cluster_stability: bool = False

    def config(self, name: str) -> dict[str, Any] | None:
        """The user's values for ``parameters/<name>.yaml`` (``None``: the shipped file)."""
        return stage_config(self.overrides, name)


@dataclass(frozen=True)
class Stage:
    """One stage: ``compute(inputs)`` gives its value, ``tables(value)`` the tables it adds.

    ``needs``: stages whose failure skips this one (with a reason naming them); ``uses``: stages
    read when they succeeded (``costs`` takes the context model's expected results if there is one).
    ``input_table``: the data set's table whose absence the failure reason names first.
    """

    name: str
    compute: Callable[[GraphInputs], Any]
    needs: tuple[str, ...] = ()
    uses: tuple[str, ...] = ()
    tables: Callable[[Any], Mapping[str, pd.DataFrame]] | None = None
    input_table: bool = False


@dataclass
class GraphRun:
    """The values of the stages that ran, their tables in stage order, and the log of the run."""

    values: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    log: StageLog
    needs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def cause(self, name: str) -> BaseException | None:
        """The exception behind a missing stage ``name``: its own, or that of the needed stage
        whose failure skipped it (``None`` when it ran)."""
        if name in self.values:
            return None
        if name in self.log.exceptions:
            return self.log.exceptions[name]
        for need in self.needs.get(name, ()):
            exc = self.cause(need)
            if exc is not None:
                return exc
        return None


def _stages() -> list[Stage]:
    # the analysis modules are heavy: imported when computing, not when a notebook only reads the cache
    from shnro_lib.pipeline import stages as S
    from shnro_lib.pipeline.overview import overview_tables

    def ident_over(i: GraphInputs) -> dict[str, Any]:
        return S.identify_override(i.overrides)

    def identify(i: GraphInputs) -> dict[int, pd.DataFrame]:
        years = sorted({int(y) for y in i.ds.years if y <= i.year} | {i.year}) if i.history else [i.year]
        return S.identify_years(i.ds, years, i.rules, ident_over(i), i.values["ident_inputs"])

    def context(i: GraphInputs) -> dict:
        return S.context_years(i.ds, [i.year], i.config("context"), stability=i.cluster_stability)

    def report_year(i: GraphInputs, name: str) -> Any:
        value = i.values.get(name)
        return value[i.year] if value else None

    return [
        Stage("overview", lambda i: overview_tables(i.ds, i.year), tables=lambda v: v),
        # the standardised results and the indicator memo, shared by every identification of the run
        Stage("ident_inputs", lambda i: S.ident_inputs(i.ds), tables=lambda v: {}),
        Stage(
            "identify",
            identify,
            ("ident_inputs",),
            tables=lambda runs: {"identify": runs[max(runs)]} if runs else {},
        ),
        Stage(
            "identification_changes",
            lambda i: S.changes(i.ds, i.year, i.rules, ident_over(i), i.values["identify"]),
            ("identify",),
        ),
        Stage(
            "ident_panel",
            lambda i: S.ident_panel(
                i.ds, i.year, i.rules, ident_over(i), i.values["identify"], i.values["ident_inputs"]
            ),
            ("identify", "ident_inputs"),
        ),
        # the other choices of the rule set; its main choice is the identify stage's table of the year
        Stage(
            "sensitivity",
            lambda i: S.sensitivity(
                i.ds, i.year, i.rules, ident_over(i), report_year(i, "identify"), i.values["ident_inputs"]
            ),
            ("identify", "ident_inputs"),
            tables=lambda v: v,
        ),
        # context of the report year: clusters, expected results, similar schools — fitted once
        Stage(
            "context",
            context,
            tables=lambda reports: {"context": S.context(reports, max(reports))},
            input_table=True,
        ),
        Stage("similar", lambda i: S.similar(i.values["context"], i.year), ("context",)),
        # «проблемные зоны» once per batch: the school pages and the municipal workbook read this table
        Stage(
            "problem_zones",
            lambda i: S.problem_zones(
                i.ds, i.year, i.values.get("similar"), i.overrides, i.config("profiles")
            ),
            uses=("similar",),
        ),
        Stage(
            "effects",
            lambda i: S.effects(i.ds, i.config("effects")),
            tables=lambda v: {"effects": v[0]},
            input_table=True,
        ),
        Stage(
            "costs",
            lambda i: S.costs(i.ds, i.year, report_year(i, "context"), i.config("costs")),
            uses=("context",),
            input_table=True,
        ),
        Stage(
            "partners",
            lambda i: S.partners(
                i.ds,
                i.year,
                i.rules,
                ident_over(i),
                report_year(i, "identify"),
                i.values["context"],
                i.config("partners"),
                i.config("context"),
            ),
            ("identify", "context"),
            tables=lambda res: {"partners": res.pairs},
        ),
        Stage(
            "monitoring",
            lambda i: S.monitoring(i.ds, i.year, i.rules, i.values["ident_panel"], i.config("monitoring")),
            ("ident_panel",),
        ),
        Stage(
            "trajectories",
            lambda i: S.trajectories(i.values["ident_panel"], i.year, i.config("monitoring")),
            ("ident_panel",),
        ),
        # computed once here; the regional, municipal and collection reports, the school pages and the
        # practices workbook all read this table
        Stage(
            "worth_learning",
            lambda i: S.worth_learning_list(i.ds, i.year, i.tables, i.failures, i.config("profiles")),
            uses=("overview", "identify", "context", "trajectories"),
        ),
        # the facts tables every view selects from: each shown quantity once, at its level
        Stage(
            "school_facts",
            lambda i: S.school_facts(i.tables, i.year, i.overrides, i.config("monitoring")),
            ("overview",),
            uses=(
                "identify",
                "ident_panel",
                "context",
                "costs",
                "partners",
                "trajectories",
                "worth_learning",
            ),
        ),
        Stage(
            "municipality_facts",
            lambda i: S.level_facts(
                i.values["school_facts"], i.tables.get("monitoring"), i.config("monitoring")
            ),
            ("school_facts",),
            uses=("monitoring",),
            tables=lambda v: v,
        ),
    ]


def stage_names() -> list[str]:
    """Every stage, in the order the graph runs them."""
    return [s.name for s in _stages()]


def closure(stages: Iterable[Stage], targets: Iterable[str]) -> set[str]:
    """``targets`` and every stage they need or use, transitively."""
    by_name = {s.name: s for s in stages}
    unknown = sorted(set(targets) - set(by_name))
    if unknown:
        raise KeyError(f"unknown stages: {', '.join(unknown)}")
    todo, seen = list(targets), set()
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(by_name[name].needs + by_name[name].uses)
    return seen


def run_graph(
    ds: Any,
    year: int,
    rules: str = "lo_2018",
    overrides: Overrides | None = None,
    targets: Iterable[str] | None = None,
    log: StageLog | None = None,
    cluster_stability: bool = False,
) -> GraphRun:
    """Run the stages ``targets`` need (every stage by default), each once, in graph order.

    Parameters
    ----------
    ds : the loaded data set.
    year : the report year.
    rules : identification rules; every stage that uses categories gets them.
    overrides : a user's ``--config`` values, ``{parameter file name: values}``.
    targets : the stages whose values are wanted; the stages they need run too.
    log : collects failures, exceptions and timings (a new one by default).
    cluster_stability : also resample the clustering for its stability (``shnro context``); the
        batch leaves it out (its reports do not show it).

    Returns
    -------
    GraphRun
        ``values[name]`` for each stage that ran; a failed stage has no value, its Russian reason
        is in ``log.failures`` and its exception in ``log.exceptions``.
    """
    stages = _stages()
    wanted = closure(stages, targets) if targets is not None else {s.name for s in stages}
    log = log if log is not None else StageLog()
    inputs = GraphInputs(
        ds=ds,
        year=int(year),
        rules=str(rules),
        overrides=overrides or {},
        failures=log.failures,
        history=any(n in wanted for n in HISTORY_STAGES),
        cluster_stability=cluster_stability,
    )
    for stage in stages:
        if stage.name not in wanted:
            continue
        value = log.run(
            stage.name, lambda s=stage: s.compute(inputs), stage.needs, ds=ds if stage.input_table else None
        )
        if value is None:
            continue
        inputs.values[stage.name] = value
        inputs.tables.update(stage.tables(value) if stage.tables is not None else {stage.name: value})
    return GraphRun(
        values=inputs.values, tables=inputs.tables, log=log, needs={s.name: s.needs for s in stages}
    )
