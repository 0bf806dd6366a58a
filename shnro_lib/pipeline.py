"""Region-level results computed once and cached for the report notebooks.

:func:`compute_region` loads a data set, builds the overview tables (schools,
participation, score distributions, result index by year) and runs every
analysis stage (identification, context, similar schools, programme effects,
cost–quality, partnerships) in its own ``try``/``except``: a failing or not yet
available analysis is recorded as ``stage -> Russian reason`` instead of
stopping the batch.  The results are stored under ``cache_dir/<key>/`` (parquet,
pickle where parquet cannot hold a table, ``meta.json``), written atomically;
the key combines a hash of the data files, the report year, the rules, a hash
of every file in ``parameters/`` and the library version, so a change of any
of them gives a new entry.  Notebooks then only select and draw.

    >>> region = compute_region("data/demo", 2024, cache_dir="data/cache")
    >>> region.table("participation"), region.failures
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import pickle
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from shnro_lib import __version__
from shnro_lib.config import load_yaml, parameters_dir

CACHE_FORMAT = 1
META_FILE = "meta.json"


# --------------------------------------------------------------------------- parameters and keys


def report_parameters() -> dict[str, Any]:
    """``parameters/report.yaml`` (with defaults when the file or a key is missing)."""
    defaults: dict[str, Any] = {
        "min_group_size": 5, "similar_schools_k": 5, "dynamics_years": 5, "max_table_rows": 60,
        "figure_dpi": 100, "figure_size": [8.0, 3.6], "kernel_name": "python3", "cell_timeout": 600,
    }
    path = parameters_dir() / "report.yaml"
    if path.exists():
        defaults.update(load_yaml(path) or {})
    return defaults


def _hash_files(files: list[Path], root: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(files):
        h.update(str(f.relative_to(root)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def data_hash(data_dir: str | Path) -> str:
    """Hash of every data file in the folder (names and bytes; hidden files ignored)."""
    root = Path(data_dir)
    files = [p for p in root.iterdir() if p.is_file() and not p.name.startswith((".", "~$"))]
    return _hash_files(files, root)


def parameters_hash() -> str:
    """Hash of every file under ``parameters/``: any change of a threshold invalidates the cache."""
    root = parameters_dir()
    files = [p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")] if root.exists() else []
    return _hash_files(files, root)


def cache_key(data_dir: str | Path, year: int, rules: str) -> str:
    """The cache entry name for these inputs (data files + year + rules + parameters + version)."""
    h = hashlib.sha256()
    for part in (data_hash(data_dir), str(int(year)), str(rules), parameters_hash(), __version__, str(CACHE_FORMAT)):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()[:20]


# --------------------------------------------------------------------------- results container


@dataclass
class RegionResults:
    """Everything the reports need for one region and year.

    Attributes
    ----------
    meta : year, rules, data fingerprint, synthetic flag and note, municipalities,
        years, library version, parameters hash, load summary, stage timings.
    tables : overview tables and the outputs of the analysis stages.
    failures : stage -> Russian reason why it is unavailable.
    methods : stage -> Russian description of the method (from ``*_method_ru()``).
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
    def fingerprint(self) -> str:
        return str(self.meta.get("fingerprint", ""))

    @property
    def municipalities(self) -> list[str]:
        return list(self.meta.get("municipalities", []))

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
            return df.loc[(df["municipality"] == municipality).fillna(False).to_numpy()].reset_index(drop=True)
        if "school_id" in df.columns:
            ids = set(self.school_ids(municipality))
            return df.loc[df["school_id"].astype(str).isin(ids).to_numpy()].reset_index(drop=True)
        return df


# --------------------------------------------------------------------------- overview tables


def _wmean(df: pd.DataFrame, value: str, weight: str = "participants") -> pd.Series:
    v = df[value].astype(float)
    w = df[weight].astype(float).where(v.notna(), 0.0)
    return (v.fillna(0.0) * w), w


def _weighted(df: pd.DataFrame, keys: list[str], values: list[str]) -> pd.DataFrame:
    tmp = df[keys].copy()
    for v in values:
        num, w = _wmean(df, v)
        tmp[f"{v}__n"] = num
        tmp[f"{v}__w"] = w
    tmp["participants"] = df["participants"].astype(float)
    g = tmp.groupby(keys, observed=True, dropna=False).sum(numeric_only=True)
    out = pd.DataFrame(index=g.index)
    out["participants"] = g["participants"].round().astype("Int64")
    for v in values:
        out[v] = g[f"{v}__n"] / g[f"{v}__w"].where(g[f"{v}__w"] > 0)
    return out.reset_index()


def overview_tables(ds: Any, year: int) -> dict[str, pd.DataFrame]:
    """Descriptive tables for the data overview of the reports.

    Returns
    -------
    dict with
        ``schools`` (school_id, name, municipality, locality, locality_type, school_type),
        ``participation`` (municipality × year × procedure: schools, participants, rows),
        ``school_scores`` (school × year × procedure: participants, pct, z, share_low, share_quality),
        ``subject_scores`` (municipality × year × procedure × subject × grade: participants, pct, share_low),
        ``index_by_year`` (school × year: one-year result index, its SE and participants),
        ``programme`` (school × year programme participation, when the table exists).
    """
    from shnro_lib.indicators import school_result_index, standardised_results

    sch = ds.schools
    keep = [c for c in ["school_id", "name", "municipality", "locality", "locality_type", "school_type"]
            if c in sch.columns]
    schools = sch[keep].copy().sort_values(["municipality", "name", "school_id"]).reset_index(drop=True)
    muni = schools.set_index("school_id")["municipality"]

    res = ds.results.copy()
    res["municipality"] = res["school_id"].map(muni)
    sat = res[res["participants"].fillna(0) > 0]
    part = (sat.groupby(["municipality", "year", "procedure"], observed=True)
            .agg(schools=("school_id", "nunique"), participants=("participants", "sum"), rows=("school_id", "size"))
            .reset_index())
    part["participants"] = part["participants"].astype("Int64")

    z = standardised_results(ds.results)
    z["municipality"] = z["school_id"].map(muni)
    school_scores = _weighted(z, ["school_id", "municipality", "year", "procedure"],
                              ["pct", "z", "share_low", "share_quality"])
    subject_scores = _weighted(z, ["municipality", "year", "procedure", "subject", "grade"], ["pct", "share_low"])
    region_subject = _weighted(z, ["year", "procedure", "subject", "grade"], ["pct", "share_low"])
    region_subject = region_subject.rename(columns={"participants": "region_participants", "pct": "region_pct",
                                                    "share_low": "region_share_low"})
    subject_scores = subject_scores.merge(region_subject, on=["year", "procedure", "subject", "grade"], how="left")

    frames = []
    for y in sorted(int(v) for v in z["year"].dropna().unique()):
        idx = school_result_index(ds.results, years=[y], standardised=z)
        if len(idx):
            frames.append(idx[["result_index", "result_index_se", "participants"]].reset_index().assign(year=y))
    index_by_year = (pd.concat(frames, ignore_index=True) if frames
                     else pd.DataFrame(columns=["school_id", "result_index", "result_index_se", "participants", "year"]))
    index_by_year["municipality"] = index_by_year["school_id"].map(muni)
    index_by_year["year"] = index_by_year["year"].astype("Int64")

    out = {"schools": schools, "participation": part, "school_scores": school_scores,
           "subject_scores": subject_scores, "index_by_year": index_by_year}
    prog = ds.get("programme") if hasattr(ds, "get") else None
    if prog is not None and len(prog):
        p = prog.copy()
        p["municipality"] = p["school_id"].map(muni)
        out["programme"] = p
    return out


# --------------------------------------------------------------------------- analysis stages


def _stage_specs(ds: Any, year: int, rules: str, params: dict[str, Any]) -> list[tuple[str, str, Callable]]:
    k = int(params.get("similar_schools_k", 5))
    shared: dict[str, pd.DataFrame] = {}

    def panel(m: Any) -> pd.DataFrame:
        # identification of every year up to `year`: monitoring and transitions need it
        if "panel" not in shared:
            shared["panel"] = m.identification_panel(ds, [y for y in ds.years if y <= year], rules)
        return shared["panel"]

    return [
        ("identify", "shnro_lib.identify", lambda m: m.identify_schools(ds, year, rules=rules)),
        ("identification_changes", "shnro_lib.identify", lambda m: m.identification_changes(ds, year, rules)),
        ("context", "shnro_lib.context", lambda m: m.context_table(ds, year)),
        ("similar", "shnro_lib.context", lambda m: m.similar_schools(ds, year, k)),
        ("effects", "shnro_lib.effects", lambda m: m.programme_effects(ds)),
        ("costs", "shnro_lib.costs", lambda m: m.cost_quality(ds, year)),
        ("partners", "shnro_lib.partners", lambda m: m.partner_pairs(ds, year)),
        ("ident_panel", "shnro_lib.monitoring", panel),
        ("monitoring", "shnro_lib.monitoring", lambda m: m.monitoring_table(ds, year, ident=panel(m), rules=rules)),
        ("trajectories", "shnro_lib.monitoring", lambda m: m.school_trajectories(panel(m), year)),
    ]


_METHODS = [
    ("identify", "shnro_lib.identify", "identification_method_ru", True),
    ("context", "shnro_lib.context", "context_method_ru", False),
    ("effects", "shnro_lib.effects", "effects_method_ru", False),
    ("costs", "shnro_lib.costs", "costs_method_ru", False),
    ("partners", "shnro_lib.partners", "partners_method_ru", False),
    ("monitoring", "shnro_lib.monitoring", "monitoring_method_ru", False),
]

_MISSING_TABLE_HINTS = {
    "context": "нет таблицы «Социальный контекст» (context)",
    "effects": "нет таблицы «Участие в программе» (programme)",
    "costs": "нет таблицы «Ресурсы и условия» (resources)",
}


def _reason_ru(module: str, exc: BaseException) -> str:
    if isinstance(exc, ModuleNotFoundError) and exc.name and exc.name.startswith("shnro_lib"):
        return f"модуль анализа {module} ещё не подключён к библиотеке"
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = f"при расчёте произошла ошибка ({type(exc).__name__}"
    return text + (f": {msg[:300]})" if msg else ")")


def _as_frame(value: Any) -> pd.DataFrame:
    if isinstance(value, pd.Series):
        value = value.to_frame()
    if isinstance(value, tuple) and value and isinstance(value[0], pd.DataFrame):
        value = value[0]
    if hasattr(value, "to_frame") and not isinstance(value, pd.DataFrame):
        value = value.to_frame()
    if hasattr(value, "table") and not isinstance(value, pd.DataFrame) and isinstance(value.table, pd.DataFrame):
        value = value.table
    if not isinstance(value, pd.DataFrame):
        raise TypeError(f"ожидалась таблица DataFrame, получено {type(value).__name__}")
    df = value
    if not isinstance(df.index, pd.RangeIndex):
        names = [n for n in df.index.names if n is not None]
        if names and not set(names) & set(df.columns):
            df = df.reset_index()
        else:
            df = df.reset_index(drop=True)
    df.columns = [str(c) for c in df.columns]
    return df


def run_stages(ds: Any, year: int, rules: str, params: dict[str, Any]) -> tuple[dict, dict, dict, dict]:
    """Run every analysis stage; returns (tables, failures, methods, timings)."""
    tables: dict[str, pd.DataFrame] = {}
    failures: dict[str, str] = {}
    timings: dict[str, float] = {}
    for stage, module, call in _stage_specs(ds, year, rules, params):
        t0 = time.perf_counter()
        try:
            mod = importlib.import_module(module)
            tables[stage] = _as_frame(call(mod))
        except Exception as exc:  # noqa: BLE001 - recorded, the batch goes on
            failures[stage] = _reason_ru(module, exc)
        timings[stage] = round(time.perf_counter() - t0, 3)
    methods: dict[str, str] = {}
    for stage, module, fn, takes_rules in _METHODS:
        try:
            mod = importlib.import_module(module)
            f = getattr(mod, fn)
            text = f(rules) if takes_rules else f()
            methods[stage] = str(text)
        except Exception:  # noqa: BLE001 - a missing method text only drops an annex paragraph
            continue
    return tables, failures, methods, timings


# --------------------------------------------------------------------------- load report


def load_report_tables(ds: Any) -> dict[str, pd.DataFrame]:
    """The loader's report as tables: per-table bookkeeping, problems, excluded rows."""
    rep = getattr(ds, "report", None)
    out: dict[str, pd.DataFrame] = {}
    if rep is None:
        return out
    rows = []
    for name, t in getattr(rep, "tables", {}).items():
        rows.append({"table": name, "file": t.file, "sheet": t.sheet or "", "rows_read": t.rows_read,
                     "rows_used": t.rows_used, "rows_excluded": t.rows_excluded, "rows_empty": t.rows_empty,
                     "conversions": "; ".join(t.conversions)})
    out["load_tables"] = pd.DataFrame(rows, columns=["table", "file", "sheet", "rows_read", "rows_used",
                                                     "rows_excluded", "rows_empty", "conversions"])
    try:
        prob = rep.to_frame()
        out["load_problems"] = prob.astype({c: "string" for c in prob.columns if c != "row"})
    except Exception:  # noqa: BLE001
        pass
    try:
        exc = rep.excluded.copy()
        out["load_excluded"] = exc.astype({c: "string" for c in exc.columns if c != "row"})
    except Exception:  # noqa: BLE001
        pass
    return out


def dataset_metadata(ds: Any, data_dir: str | Path | None) -> dict[str, Any]:
    """The data set's metadata (``dataset.yaml``): name, synthetic flag, note."""
    meta = dict(getattr(ds, "metadata", None) or {})
    if not meta and data_dir is not None:
        p = Path(data_dir) / "dataset.yaml"
        if p.exists():
            try:
                meta = dict(load_yaml(p) or {})
            except Exception:  # noqa: BLE001
                meta = {}
    return meta


# --------------------------------------------------------------------------- compute, store, load


def compute_from_dataset(ds: Any, year: int, rules: str = "lo_2018", data_dir: str | Path | None = None,
                         key: str = "") -> RegionResults:
    """All region-level results from a loaded :class:`~shnro_lib.io.Dataset` (no caching)."""
    params = report_parameters()
    t0 = time.perf_counter()
    dmeta = dataset_metadata(ds, data_dir)
    tables = overview_tables(ds, year)
    t_over = round(time.perf_counter() - t0, 3)
    stage_tables, failures, methods, timings = run_stages(ds, year, rules, params)
    for stage in ("context", "effects", "costs"):
        if stage in failures:
            dep = {"context": "context", "effects": "programme", "costs": "resources"}[stage]
            if hasattr(ds, "has") and not ds.has(dep):
                failures[stage] = _MISSING_TABLE_HINTS[stage] + "; " + failures[stage]
    tables.update(stage_tables)
    tables.update(load_report_tables(ds))
    rep = getattr(ds, "report", None)
    meta = {
        "year": int(year), "rules": str(rules), "fingerprint": str(getattr(ds, "fingerprint", "")),
        "synthetic": bool(dmeta.get("synthetic", False)), "dataset_name": str(dmeta.get("name", "")),
        "synthetic_note": str(dmeta.get("note", "")), "municipalities": list(ds.municipalities),
        "years": [int(y) for y in ds.years], "tables_present": sorted(ds.tables),
        "version": __version__, "parameters_hash": parameters_hash()[:16], "key": key,
        "load_summary": rep.summary_ru() if rep is not None else "",
        "n_errors": len(rep.errors) if rep is not None else 0,
        "n_warnings": len(rep.warnings) if rep is not None else 0,
        "timings": {"overview": t_over, **timings}, "report_parameters": params,
    }
    return RegionResults(meta=meta, tables=tables, failures=failures, methods=methods)


def compute_region(data_dir: str | Path, year: int, rules: str = "lo_2018", cache_dir: str | Path | None = None,
                   force: bool = False) -> RegionResults:
    """Region-level results for a data folder and year, read from the cache when possible.

    Parameters
    ----------
    data_dir : the data set folder (see ``DATA_CONTRACT.md``).
    year : the report year.
    rules : identification rules (``parameters/criteria/<rules>.yaml``).
    cache_dir : cache root; the results go to ``cache_dir/<key>/``. ``None`` computes without caching.
    force : recompute even when a cache entry exists.

    Raises
    ------
    shnro_lib.io.DataError
        When the data cannot be loaded (the problems are listed).
    """
    key = cache_key(data_dir, year, rules)
    target = Path(cache_dir) / key if cache_dir is not None else None
    if target is not None and not force and (target / META_FILE).exists():
        try:
            return load_region(target)
        except Exception:  # noqa: BLE001 - a broken entry is recomputed
            pass
    from shnro_lib.io import load_dataset

    t0 = time.perf_counter()
    ds = load_dataset(data_dir)
    t_load = round(time.perf_counter() - t0, 3)
    region = compute_from_dataset(ds, year, rules, data_dir=data_dir, key=key)
    region.meta["timings"]["load"] = t_load
    if target is not None:
        store_region(region, target)
    return region


def _write_table(df: pd.DataFrame, folder: Path, name: str) -> str:
    try:
        df.to_parquet(folder / f"{name}.parquet", index=False)
        return f"{name}.parquet"
    except Exception:  # noqa: BLE001 - mixed object columns: fall back to pickle
        (folder / f"{name}.parquet").unlink(missing_ok=True)
        with open(folder / f"{name}.pkl", "wb") as fh:
            pickle.dump(df, fh, protocol=pickle.HIGHEST_PROTOCOL)
        return f"{name}.pkl"


def store_region(region: RegionResults, target: str | Path) -> Path:
    """Write results to ``target`` atomically (a temporary folder renamed into place)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".tmp-{target.name}-{os.getpid()}-{time.monotonic_ns()}"
    tmp.mkdir()
    try:
        files = {name: _write_table(df, tmp, f"t{i:02d}") for i, (name, df) in enumerate(sorted(region.tables.items()))}
        payload = {"meta": region.meta, "failures": region.failures, "methods": region.methods, "files": files}
        (tmp / META_FILE).write_text(json.dumps(payload, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
        if target.exists():
            shutil.rmtree(target, ignore_errors=True)
        try:
            os.replace(tmp, target)
        except OSError:  # another process stored the same entry first
            pass
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    region.path = target
    return target


def load_region(cache_dir: str | Path) -> RegionResults:
    """Read cached results: ``cache_dir`` is an entry folder or a cache root holding exactly one entry."""
    p = Path(cache_dir)
    if not (p / META_FILE).exists():
        entries = [d for d in p.iterdir() if (d / META_FILE).exists()] if p.is_dir() else []
        if len(entries) != 1:
            raise FileNotFoundError(
                f"В папке {p} нет однозначных сохранённых результатов (найдено {len(entries)}): "
                "запустите compute_region(...) или команду «shnro reports»")
        p = entries[0]
    payload = json.loads((p / META_FILE).read_text(encoding="utf-8"))
    tables: dict[str, pd.DataFrame] = {}
    for name, fname in payload["files"].items():
        f = p / fname
        if fname.endswith(".parquet"):
            tables[name] = pd.read_parquet(f)
        else:
            with open(f, "rb") as fh:
                tables[name] = pickle.load(fh)  # noqa: S301 - our own cache
    return RegionResults(meta=payload["meta"], tables=tables, failures=payload["failures"],
                         methods=payload["methods"], path=p)
