"""Header and table-name mapping (Russian headers -> canonical names)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from ..schema import TABLES

_SPACES = re.compile(r"\s+")


from shnro_lib.config import parameters_dir  # noqa: E402  (re-exported)


def normalise(text: object) -> str:
    """Normalise a header / table name for matching."""
    s = str(text)
    for ch in ("\u00a0", "\u202f", "\u2007", "\u2009", "\ufeff"):
        s = s.replace(ch, " ")
    s = s.replace("ё", "е").replace("Ё", "Е").casefold()
    s = _SPACES.sub(" ", s).strip()
    s = s.rstrip("*").strip()
    return s


class Mapper:
    """Resolves table file names and column headers to canonical names."""

    def __init__(self) -> None:
        self.tables: dict[str, str] = {normalise(t): t for t in TABLES}
        self.common: dict[str, str] = {}
        self.by_table: dict[str, dict[str, str]] = {t: {} for t in TABLES}
        self.sources: list[str] = []

    # -- building ---------------------------------------------------------
    def add_file(self, path: Path) -> None:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
        self.add_dict(data)
        self.sources.append(str(path))

    def add_dict(self, data: dict) -> None:
        if not isinstance(data, dict):
            raise ValueError("файл соответствий должен содержать словарь (tables:/columns:)")
        for table, aliases in (data.get("tables") or {}).items():
            if table not in TABLES:
                continue
            for alias in _as_list(aliases):
                self.tables[normalise(alias)] = table
        for section, entries in (data.get("columns") or {}).items():
            target = self.common if section == "*" else self.by_table.setdefault(str(section), {})
            known = (
                {c for t in TABLES.values() for c in t.column_names}
                if section == "*"
                else (set(TABLES[section].column_names) if section in TABLES else set())
            )
            for key, val in (entries or {}).items():
                if key in known:
                    for alias in _as_list(val):
                        target[normalise(alias)] = key
                elif isinstance(val, str) and val in known:
                    target[normalise(key)] = val

    # -- lookup -------------------------------------------------------------
    def table_for(self, stem: str) -> str | None:
        return self.tables.get(normalise(stem))

    def column_for(self, table: str, header: object) -> str | None:
        if header is None:
            return None
        key = normalise(header)
        if not key:
            return None
        names = TABLES[table].column_names
        for cand in (key, key.replace(" ", "_")):
            if cand in names:
                return cand
        for source in (self.by_table.get(table, {}), self.common):
            canon = source.get(key)
            if canon in names:
                return canon
        return None

    def match_candidates(self, table: str, candidates: list[str]) -> tuple[str | None, str | None]:
        """First candidate header that maps; returns (canonical, matched header)."""
        for cand in candidates:
            canon = self.column_for(table, cand)
            if canon:
                return canon, cand
        return None, None


def _as_list(val: object) -> list[str]:
    if val is None:
        return []
    if isinstance(val, (list, tuple)):
        return [str(v) for v in val]
    return [str(val)]


def build_mapper(extra: list[Path] | None = None, folder: Path | None = None) -> tuple[Mapper, list[Path]]:
    """Project mappings, then user ``extra`` files, then mapping files inside ``folder``."""
    mapper = Mapper()
    files: list[Path] = []
    cmap = parameters_dir() / "column_maps"
    if cmap.is_dir():
        files += sorted(cmap.glob("*.yaml")) + sorted(cmap.glob("*.yml"))
    files += [Path(p) for p in (extra or [])]
    if folder is not None:
        files += folder_mapping_files(folder)
    for f in files:
        mapper.add_file(f)
    return mapper, files


def folder_mapping_files(folder: Path) -> list[Path]:
    out = []
    for p in sorted(folder.iterdir()):
        n = p.name.lower()
        if p.is_file() and n.endswith((".yaml", ".yml")) and n.startswith(("column_map", "mapping")):
            out.append(p)
    return out
