"""The analysis stages of a region computation, each a plain function with typed inputs.

Every stage takes what it needs from earlier stages as arguments (the identification of
every year, the context analysis of a year), so each of them is computed once.  ``rules``
and the user's overrides (``config``: the values for one parameter file) reach every stage
that reads them.  :class:`StageLog` runs the stages: a failing stage records a Russian
reason (its traceback goes to the technical log), and a stage whose input failed is skipped
with a reason naming that input.
"""

from __future__ import annotations

import logging
import re
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pandas as pd

from shnro_lib.config import deep_merge, load_yaml, parameters_dir
from shnro_lib.context import ContextReport, context_analysis, context_method_ru
from shnro_lib.costs import cost_quality, costs_method_ru
from shnro_lib.effects import effects_method_ru, programme_effects
from shnro_lib.identify import identification_changes, identification_method_ru, identify_schools, load_rules
from shnro_lib.monitoring import (
    identification_panel,
    monitoring_method_ru,
    monitoring_table,
    school_trajectories,
)
from shnro_lib.partners import load_partners_config, partner_result, partners_method_ru

LOG = logging.getLogger("shnro.pipeline")
T = TypeVar("T")

# Russian stage names for the reasons of skipped stages
STAGE_TITLES_RU = {
    "identify": "выявление школ", "identification_changes": "изменения списка",
    "context": "социальный контекст", "similar": "похожие школы", "effects": "эффекты программ",
    "costs": "цена и качество", "partners": "партнёрства", "ident_panel": "выявление по годам",
    "monitoring": "мониторинг", "trajectories": "переходы школ",
}
# a failing stage whose input table is absent says so first
_NEEDS_TABLE = {"context": ("context", "«Социальный контекст»"), "effects": ("programme", "«Участие в программе»"),
                "costs": ("resources", "«Ресурсы и условия»")}
_CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)
GENERIC_REASON_RU = "внутренняя ошибка расчёта; подробности записаны в журнал расчёта (stages.log в папке кэша)"


def reason_ru(exc: BaseException) -> str:
    """The Russian reason of a failure: the library's own Russian message, else a generic sentence.

    A raw Python message (``division by zero``, ``KeyError: 'x'``) never reaches a report.
    """
    text = str(exc).strip()
    first = text.splitlines()[0].strip() if text else ""
    if first and _CYRILLIC.search(first):
        return first.rstrip(".")[:300]
    return GENERIC_REASON_RU


@dataclass
class StageLog:
    """Runs stages in order and records failures, skips, timings and the technical detail."""

    failures: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    details: list[str] = field(default_factory=list)

    def run(self, name: str, fn: Callable[[], T], needs: Sequence[str] = (), ds: Any = None) -> T | None:
        """``fn()``, or ``None`` with a recorded reason when it fails or a needed stage failed."""
        failed = [n for n in needs if n in self.failures]
        if failed:
            first = failed[0]
            self.failures[name] = (f"не рассчитано, потому что не выполнен этап «{STAGE_TITLES_RU.get(first, first)}»"
                                   f" ({self.failures[first]})")
            return None
        t0 = time.perf_counter()
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - recorded; the other stages go on
            reason = reason_ru(exc)
            table = _NEEDS_TABLE.get(name)
            if table and ds is not None and hasattr(ds, "has") and not ds.has(table[0]):
                reason = f"нет таблицы {table[1]} ({table[0]}); {reason}"
            self.failures[name] = reason
            detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            self.details.append(f"[{name}]\n{detail}")
            LOG.warning("stage %s failed: %s", name, detail)
            return None
        finally:
            self.timings[name] = round(time.perf_counter() - t0, 3)

    def log_text(self) -> str:
        """The technical log (tracebacks of failed stages) for ``stages.log``."""
        return "\n".join(self.details)


# --------------------------------------------------------------------------- stages


def indices_spec(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """``parameters/indices.yaml`` with the user's values merged in."""
    return deep_merge(load_yaml(parameters_dir() / "indices.yaml") or {}, config or {})


def identify_years(ds: Any, years: Sequence[int], rules: str, indices: Mapping[str, Any]) -> dict[int, pd.DataFrame]:
    """Identification of every year in ``years`` (the report year's table and the panel come from it)."""
    r = load_rules(rules)
    return {int(y): identify_schools(ds, int(y), r, dict(indices)) for y in sorted(years)}


def changes(ds: Any, year: int, rules: str, indices: Mapping[str, Any], runs: Mapping[int, pd.DataFrame]
            ) -> pd.DataFrame:
    """Who entered or left the list (from the identification already computed)."""
    return identification_changes(ds, year, load_rules(rules), dict(indices), runs=runs)


def ident_panel(ds: Any, year: int, rules: str, runs: Mapping[int, pd.DataFrame]) -> pd.DataFrame:
    """School × year categories up to ``year`` (monitoring and transitions read it)."""
    return identification_panel(ds, [y for y in ds.years if y <= year], load_rules(rules), runs=runs)


def context_years(ds: Any, years: Sequence[int], config: Mapping[str, Any] | None) -> dict[int, ContextReport]:
    """Context analysis (features, clusters, expected results, similar schools) of each year."""
    return {int(y): context_analysis(ds, int(y), config, stability=False) for y in sorted(years)}


def context(reports: Mapping[int, ContextReport], year: int) -> pd.DataFrame:
    """The context table of the report year."""
    return reports[year].table


def similar(reports: Mapping[int, ContextReport], year: int) -> pd.DataFrame:
    """Similar schools of the report year (``context.yaml: similar.k`` neighbours)."""
    return reports[year].similar


def expected_table(report: ContextReport) -> pd.DataFrame:
    """Expected results of a context analysis as :func:`shnro_lib.context.expected_results` gives them."""
    return report.model.table.assign(model_used=report.model.model_used, context_r2=round(report.model.r2, 4))


def effects(ds: Any, config: Mapping[str, Any] | None) -> pd.DataFrame:
    """The estimator table of the programme effects."""
    return programme_effects(ds, config)


def costs(ds: Any, year: int, report: ContextReport, config: Mapping[str, Any] | None) -> pd.DataFrame:
    """Cost–quality with the expected results of the context stage (not refitted)."""
    return cost_quality(ds, year, config, expected=expected_table(report))


def partner_years(ds: Any, year: int, config: Mapping[str, Any] | None) -> list[int]:
    """The data years whose context the choice of leaders checks (``partners.yaml: leaders.stable_years``)."""
    n = int((load_partners_config(config).get("leaders") or {})["stable_years"])
    return [int(y) for y in ds.years if y <= year][-n:]


def partners(ds: Any, year: int, rules: str, ident: pd.DataFrame, reports: Mapping[int, ContextReport],
             config: Mapping[str, Any] | None, context_config: Mapping[str, Any] | None) -> pd.DataFrame:
    """The partnership list, pairing by the categories of ``rules`` and the context already computed
    (the earlier years the leaders' stability needs are analysed here)."""
    missing = [y for y in partner_years(ds, year, config) if y not in reports]
    reports = {**reports, **context_years(ds, missing, context_config)}
    contexts = {y: reports[y].table for y in partner_years(ds, year, config)}
    res = partner_result(ds, year, config, rules=load_rules(rules), ident=ident, contexts=contexts,
                         features=reports[year].model.context.z)
    return res.pairs


def monitoring(ds: Any, year: int, rules: str, panel: pd.DataFrame, config: Mapping[str, Any] | None
               ) -> pd.DataFrame:
    """Monitoring indicators from the identification panel."""
    return monitoring_table(ds, year, ident=panel, config=config, rules=rules)


def trajectories(panel: pd.DataFrame, year: int, config: Mapping[str, Any] | None) -> pd.DataFrame:
    """Each school's path through the list."""
    return school_trajectories(panel, year, config=config)


def method_texts(rules: str, configs: Mapping[str, Mapping[str, Any] | None]) -> dict[str, str]:
    """Russian method texts (Markdown) computed from the settings actually used."""
    return {"identify": identification_method_ru(rules), "context": context_method_ru(configs.get("context")),
            "effects": effects_method_ru(configs.get("effects")), "costs": costs_method_ru(configs.get("costs")),
            "partners": partners_method_ru(configs.get("partners")),
            "monitoring": monitoring_method_ru(configs.get("monitoring"))}
