"""The container of one region's results, as the report notebooks read it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd


@dataclass
class RegionResults:
    """Everything the reports need for one region and year.

    Attributes
    ----------
    meta : year, rules, data fingerprint, synthetic flag and note, municipalities,
        years, library version, parameters hash, load summary, stage timings, report settings.
    tables : overview tables and the outputs of the analysis stages.
    failures : stage -> Russian reason why it is unavailable (a skipped stage names the stage it
        depends on).
    methods : stage -> Russian description of the method (Markdown).
    path : the cache folder the results were read from or written to (if any).
    """

    meta: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    methods: dict[str, str] = field(default_factory=dict)
    path: Path | None = None

    @property
    def year(self) -> int:
        return int(self.meta["year"])

    @property
    def synthetic(self) -> bool:
        return bool(self.meta.get("synthetic"))

    @property
    def currency(self) -> str:
        """The short Russian label of the data set's money columns (``dataset.yaml: currency``; ``руб.``)."""
        return str(self.meta.get("currency") or "руб.")

    @property
    def fingerprint(self) -> str:
        return str(self.meta.get("fingerprint", ""))

    @property
    def municipalities(self) -> list[str]:
        return list(self.meta.get("municipalities", []))

    @property
    def settings(self) -> dict[str, Any]:
        """The report settings the results were computed with (``parameters/report.yaml``)."""
        return dict(self.meta.get("report_parameters") or {})

    def table(self, name: str) -> pd.DataFrame | None:
        """A stored table or ``None``."""
        return self.tables.get(name)

    def ok(self, stage: str) -> bool:
        """True when the stage produced its table."""
        return stage in self.tables and stage not in self.failures

    def reason(self, stage: str) -> str:
        """Russian explanation of why a stage is unavailable (empty when it is available)."""
        if self.ok(stage):
            return ""
        return self.failures.get(stage, "результаты этого раздела не рассчитывались")

    def school_ids(self, municipality: str) -> list[str]:
        sch = self.tables["schools"]
        return sch.loc[sch["municipality"] == municipality, "school_id"].astype(str).tolist()

    def for_municipality(self, name: str, municipality: str) -> pd.DataFrame | None:
        """Rows of a table that belong to one municipality (by ``municipality`` or ``school_id``)."""
        df = self.tables.get(name)
        if df is None:
            return None
        if "municipality" in df.columns:
            return df.loc[(df["municipality"] == municipality).fillna(False).to_numpy()].reset_index(
                drop=True
            )
        if "school_id" in df.columns:
            ids = set(self.school_ids(municipality))
            return df.loc[df["school_id"].astype(str).isin(ids).to_numpy()].reset_index(drop=True)
        return df
