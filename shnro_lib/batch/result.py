"""The outcome of a report batch: what was built, reused or failed, and its Russian summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from shnro_lib.batch.render import TaskResult


@dataclass
class BatchResult:
    """The outcome of a batch."""

    out_dir: Path
    results: list[TaskResult]
    index_html: Path | None = None
    regional_html: Path | None = None
    collection_html: Path | None = None
    collection_pdf: Path | None = None
    warnings: list[str] = field(default_factory=list)
    timings: dict = field(default_factory=dict)
    n_tasks: int = 0
    extra: list = field(default_factory=list)  # (label, path, note) links of the index's «Регион» part

    @property
    def failed(self) -> list[TaskResult]:
        return [r for r in self.results if not r.ok]

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def n_reused(self) -> int:
        return sum(r.ok and r.reused for r in self.results)

    @property
    def n_built(self) -> int:
        return sum(r.ok and not r.reused for r in self.results)

    def counts_ru(self) -> str:
        total = self.n_tasks or len(self.results)
        return (
            f"готово отчётов: {self.n_built + self.n_reused} из {total} (построено: {self.n_built}, "
            f"взято готовыми из прошлого запуска: {self.n_reused})"
        )

    def summary_ru(self) -> str:
        lines = [f"{self.counts_ru()[0].upper()}{self.counts_ru()[1:]}; папка: {self.out_dir}"]
        if self.n_reused:
            lines.append("  Готовые отчёты совпадают с данными и параметрами; построить все заново: --force")
        for r in self.failed:
            where = f" (тетрадь сохранена: {r.failed_notebook})" if r.failed_notebook else ""
            lines.append(f"  ✗ {r.name}: {r.error_ru}{where}")
        lines += [f"  ! {w}" for w in self.warnings]
        return "\n".join(lines)
