"""The loaded data set: :class:`Dataset` (canonical tables, load report, facts, subsets)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..schema import REGION_ROW, REQUIRED_TABLES, TABLES
from .assemble import _assemble, _problem
from .facts import DatasetFacts, parse_facts
from .mapping import Mapper
from .problems import DataError, LoadReport, Problem
from .readers import RawTable, frame_to_raw


@dataclass
class Dataset:
    """Canonical, validated tables plus the load report."""

    tables: dict[str, pd.DataFrame]
    report: LoadReport = field(default_factory=LoadReport)
    path: Path | None = None
    fingerprint: str = ""
    metadata: dict = field(default_factory=dict)

    @property
    def is_synthetic(self) -> bool:
        """True when the data set's ``dataset.yaml`` declares ``synthetic: true``."""
        return bool(self.metadata.get("synthetic"))

    @property
    def facts(self) -> DatasetFacts:
        """The validated facts of ``dataset.yaml`` (empty when the folder has none)."""
        return parse_facts(self.metadata)

    @property
    def schools(self) -> pd.DataFrame:
        return self.tables["schools"]

    @property
    def results(self) -> pd.DataFrame:
        return self.tables["results"]

    def get(self, name: str) -> pd.DataFrame | None:
        return self.tables.get(name)

    def has(self, name: str) -> bool:
        return name in self.tables

    def has_column(self, table: str, column: str) -> bool:
        """True when ``table`` is present, its source had ``column`` and the column holds a value.

        The loader gives every table all its canonical columns (absent ones empty); a column the
        source did not have, or left entirely empty, means «not collected in this data set» — an
        analysis drops it from its selection (one note), it is never a gap of every school.
        """
        df = self.tables.get(table)
        if df is None or column not in df.columns:
            return False
        loaded = self.report.tables.get(table) if self.report is not None else None
        if loaded is not None and loaded.columns and column not in loaded.columns:
            return False
        return bool(df[column].notna().any())

    @property
    def years(self) -> list[int]:
        res = self.tables.get("results")
        if res is None:
            return []
        return sorted(int(y) for y in res["year"].dropna().unique())

    @property
    def municipalities(self) -> list[str]:
        sch = self.tables.get("schools")
        if sch is None:
            return []
        return sorted(str(m) for m in sch["municipality"].dropna().unique())

    @classmethod
    def from_frames(
        cls, tables: dict[str, pd.DataFrame], name: str = "in-memory", require_tables: bool = True
    ) -> Dataset:
        """Convert and validate canonical-named DataFrames (raises :class:`DataError`)."""
        mapper = Mapper()
        problems: list[Problem] = []
        raws: dict[str, RawTable] = {}
        for t, df in tables.items():
            if t not in TABLES:
                problems.append(_problem("error", f"{name}:{t}", f"неизвестная таблица «{t}»"))
                continue
            raws[t] = frame_to_raw(df, mapper, t, f"{name}:{t}")
        required = REQUIRED_TABLES if require_tables else ()
        for t in required:
            if t not in raws:
                problems.append(
                    _problem("error", name, f"нет обязательной таблицы «{TABLES[t].label_ru}» ({t})")
                )
        if any(p.level == "error" for p in problems):
            raise DataError(problems)
        out, report = _assemble(raws, problems, True, set(), required)
        h = hashlib.sha256()
        for t in sorted(out):
            h.update(t.encode())
            h.update(pd.util.hash_pandas_object(out[t].astype(str), index=False).values.tobytes())
        return cls(tables=out, report=report, path=None, fingerprint=h.hexdigest()[:16])

    def subset(self, municipalities: list[str] | None = None, years: list[int] | None = None) -> Dataset:
        """A copy restricted to some municipalities and/or years (territories keep ``__region__``)."""
        out: dict[str, pd.DataFrame] = {}
        muni = set(municipalities) if municipalities is not None else None
        yrs = {int(y) for y in years} if years is not None else None
        ids = None
        if muni is not None and "schools" in self.tables:
            sch = self.tables["schools"]
            ids = set(sch.loc[sch["municipality"].isin(muni).fillna(False), "school_id"].tolist())
        for name, df in self.tables.items():
            mask = pd.Series(True, index=df.index)
            if muni is not None:
                if name == "territories":
                    mask &= df["municipality"].isin(muni | {REGION_ROW}).fillna(False)
                elif "municipality" in df.columns:
                    mask &= df["municipality"].isin(muni).fillna(False)
                elif "school_id" in df.columns and ids is not None:
                    mask &= df["school_id"].isin(ids).fillna(False)
            if yrs is not None and "year" in df.columns:
                mask &= df["year"].isin(yrs).fillna(False)
            out[name] = df.loc[mask.to_numpy()].reset_index(drop=True)
        tag = f"{self.fingerprint}|{sorted(muni) if muni else ''}|{sorted(yrs) if yrs else ''}"
        return Dataset(
            tables=out,
            report=self.report,
            path=self.path,
            fingerprint=hashlib.sha256(tag.encode()).hexdigest()[:16],
            metadata=dict(self.metadata),
        )
