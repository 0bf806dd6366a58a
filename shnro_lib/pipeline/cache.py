"""The cache of region results: one folder per set of inputs, written atomically.

The key combines a hash of the data files, the report year, the rules, a hash of every file
in ``parameters/``, the user's overrides and a hash of the library's own files (its code, templates
and method texts), so a change of any of them — a fix included — gives a new entry.  An entry holds
every stage table (parquet; pickle where parquet cannot hold a table), ``meta.json`` (meta, failures,
method texts) and ``stages.log`` (the technical detail of failed stages, never shown in a report).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import time
from pathlib import Path

import pandas as pd

from shnro_lib import __version__
from shnro_lib.config import parameters_dir
from shnro_lib.pipeline.results import RegionResults
from shnro_lib.pipeline.settings import Overrides

CACHE_FORMAT = 2
LIBRARY_DIR = Path(__file__).resolve().parents[1]
META_FILE = "meta.json"
LOG_FILE = "stages.log"


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
    files = (
        [p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")] if root.exists() else []
    )
    return _hash_files(files, root)


def library_hash() -> str:
    """Hash of every file of the installed library (``.py`` sources, templates, method texts), by
    relative path; byte-compiled files are left out, so the hash follows the source only."""
    files = [p for p in LIBRARY_DIR.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    return _hash_files(files, LIBRARY_DIR)


def code_version() -> str:
    """``__version__`` plus a short hash of the library's files: what a cached result was computed with."""
    return f"{__version__}+{library_hash()[:12]}"


def cache_key(data_dir: str | Path, year: int, rules: str, overrides: Overrides | None = None) -> str:
    """The cache entry name for these inputs (data files + year + rules + parameters + overrides + code)."""
    over = json.dumps(overrides or {}, sort_keys=True, ensure_ascii=False, default=str)
    h = hashlib.sha256()
    for part in (
        data_hash(data_dir),
        str(int(year)),
        str(rules),
        parameters_hash(),
        over,
        code_version(),
        str(CACHE_FORMAT),
    ):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()[:20]


def _write_table(df: pd.DataFrame, folder: Path, name: str) -> str:
    try:
        df.to_parquet(folder / f"{name}.parquet", index=False)
        return f"{name}.parquet"
    except Exception:  # noqa: BLE001 - mixed object columns: fall back to pickle
        (folder / f"{name}.parquet").unlink(missing_ok=True)
        with open(folder / f"{name}.pkl", "wb") as fh:
            pickle.dump(df, fh, protocol=pickle.HIGHEST_PROTOCOL)
        return f"{name}.pkl"


def store_region(region: RegionResults, target: str | Path, log: str = "") -> Path:
    """Write results to ``target`` atomically (a temporary folder renamed into place).

    ``log`` is the technical detail of failed stages (tracebacks), kept beside the tables.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".tmp-{target.name}-{os.getpid()}-{time.monotonic_ns()}"
    tmp.mkdir()
    try:
        files = {
            name: _write_table(df, tmp, f"t{i:02d}")
            for i, (name, df) in enumerate(sorted(region.tables.items()))
        }
        payload = {
            "meta": region.meta,
            "failures": region.failures,
            "methods": region.methods,
            "files": files,
        }
        (tmp / META_FILE).write_text(
            json.dumps(payload, ensure_ascii=False, indent=1, default=str), encoding="utf-8"
        )
        (tmp / LOG_FILE).write_text(log, encoding="utf-8")
        # readable by the group and others (a shared folder, a web server), like every output
        for p in tmp.iterdir():
            p.chmod(0o644)
        tmp.chmod(0o755)
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
                "запустите compute_region(...) или команду «shnro reports»"
            )
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
    return RegionResults(
        meta=payload["meta"], tables=tables, failures=payload["failures"], methods=payload["methods"], path=p
    )
