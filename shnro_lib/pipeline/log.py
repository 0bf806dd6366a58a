"""Running stages: Russian reasons for failures, skipped dependents, timings, the technical log.

A failing stage records a Russian reason (the library's own Russian message, or a generic
sentence — never a raw Python message); its traceback goes to ``stages.log``; a stage whose
input failed is skipped with a reason naming that input.  Light on purpose: the report
notebooks import it without the analysis modules.
"""

from __future__ import annotations

import logging
import re
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

LOG = logging.getLogger("shnro.pipeline")
T = TypeVar("T")

# Russian stage names for the reasons of skipped stages
STAGE_TITLES_RU = {
    "ident_inputs": "подготовка результатов к выявлению",
    "identify": "выявление школ",
    "identification_changes": "изменения списка",
    "context": "социальный контекст",
    "similar": "похожие школы",
    "problem_zones": "проблемные зоны",
    "effects": "эффекты программ",
    "costs": "цена и качество",
    "partners": "партнёрства",
    "ident_panel": "выявление по годам",
    "monitoring": "мониторинг",
    "trajectories": "переходы школ",
    "sensitivity": "чувствительность выявления",
    "worth_learning": "школы, чьи практики стоит изучить",
    "overview": "обзор данных",
    "school_facts": "сводка по школам",
    "municipality_facts": "сводка по муниципалитетам",
}
# a failing stage whose input table is absent says so first
_NEEDS_TABLE = {
    "context": ("context", "«Социальный контекст»"),
    "effects": ("programme", "«Участие в программе»"),
    "costs": ("resources", "«Ресурсы и условия»"),
}
_CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)
GENERIC_REASON_RU = (
    "внутренняя ошибка расчёта; подробности записаны в технический журнал расчёта в папке кэша"
)


def reason_ru(exc: BaseException) -> str:
    """The Russian reason of a failure: the library's own Russian message, else a generic sentence.

    A raw Python message (``division by zero``, ``KeyError: 'x'``) never reaches a report.
    """
    text = str(exc).strip()
    first = text.splitlines()[0].strip() if text else ""
    if first and _CYRILLIC.search(first):
        return first.rstrip(".")[:300]
    return GENERIC_REASON_RU


NOT_ASSESSED_RU = "не оценено"


def not_assessed(exc: BaseException) -> bool:
    """Whether ``exc`` is one of the library's «this analysis cannot be done on these data» answers
    (:class:`shnro_lib.costs.NotEstimated`, :class:`shnro_lib.context.ContextNotAssessed`), not a fault."""
    # imported here: only a failing stage needs them, and the notebooks import this module alone
    from shnro_lib.context import ContextNotAssessed
    from shnro_lib.costs import NotEstimated

    return isinstance(exc, (NotEstimated, ContextNotAssessed))


def not_assessed_ru(reason: str) -> str:
    """«не оценено: <причина>» (the prefix once, whether or not the library's message had it)."""
    rest = re.sub(rf"^{NOT_ASSESSED_RU}\s*:\s*", "", reason.strip(), flags=re.IGNORECASE)
    return f"{NOT_ASSESSED_RU}: {rest}"


@dataclass
class StageLog:
    """Runs stages in order and records failures, skips, timings and the technical detail."""

    failures: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    details: list[str] = field(default_factory=list)
    # the exception behind each failure, so a command can answer it (exit 4 for «не оценено»)
    exceptions: dict[str, BaseException] = field(default_factory=dict)

    def run(self, name: str, fn: Callable[[], T], needs: Sequence[str] = (), ds: Any = None) -> T | None:
        """``fn()``, or ``None`` with a recorded reason when it fails or a needed stage failed."""
        failed = [n for n in needs if n in self.failures]
        if failed:
            first = failed[0]
            self.failures[name] = (
                f"не рассчитано, потому что не выполнен этап «{STAGE_TITLES_RU.get(first, first)}»"
                f" ({self.failures[first]})"
            )
            return None
        t0 = time.perf_counter()
        try:
            return fn()
        except BaseException as exc:  # noqa: BLE001 - recorded; the other stages go on
            # a library's native code may panic (pyo3's PanicException is a BaseException): one stage
            # fails, not the batch; an interrupt still stops the run
            if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit)):
                raise
            reason = reason_ru(exc)
            table = _NEEDS_TABLE.get(name)
            if table and ds is not None and hasattr(ds, "has") and not ds.has(table[0]):
                reason = f"нет таблицы {table[1]}; {reason}"
            if not_assessed(exc):
                reason = not_assessed_ru(reason)
            self.failures[name] = reason
            self.exceptions[name] = exc
            detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            self.details.append(f"[{name}]\n{detail}")
            # the traceback is for stages.log only: at DEBUG it never reaches the console (logging's
            # last-resort handler prints WARNING and above to stderr when nobody configured logging)
            LOG.debug("stage %s failed: %s", name, detail)
            return None
        finally:
            self.timings[name] = round(time.perf_counter() - t0, 3)

    def log_text(self) -> str:
        """The technical log (tracebacks of failed stages) for ``stages.log``."""
        return "\n".join(self.details)
