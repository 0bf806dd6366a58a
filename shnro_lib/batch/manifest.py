"""Which outputs of a report batch are current: the manifest ``OUT/.shnro_manifest.json``.

For every finished output file (path relative to the output folder) the manifest records the
SHA-256 of the file and the *stamp* of the inputs it was built from::

    {"format": 1,
     "outputs": {"municipalities/kirovskiy-rayon.html":
                   {"sha256": "…", "stamp": {"fingerprint": "…", "params": "…", "rules": "lo_2018",
                                             "year": 2024, "version": "0.1.0+3f2a…"}}}}

``fingerprint`` is the data fingerprint of the loaded data set; ``params`` a hash of the task's
parameters (municipality, year, rules, the notebook's bytes, every file under ``parameters/``);
``version`` the library version plus a hash of the library's source, so an edited report
function rebuilds the reports.  An output is current when its entry has the same stamp and
the file exists with the recorded hash; anything else is rebuilt.  The manifest is written
atomically after every finished task, so a killed run loses at most the task in flight.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MANIFEST_NAME = ".shnro_manifest.json"
MANIFEST_FORMAT = 1


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def stamp(fingerprint: str, params: Mapping[str, Any], rules: str, year: int, version: str) -> dict[str, Any]:
    """The inputs an output is built from (``params`` is hashed with sorted keys)."""
    blob = json.dumps(dict(params), sort_keys=True, ensure_ascii=False, default=str)
    return {
        "fingerprint": str(fingerprint),
        "params": hashlib.sha256(blob.encode()).hexdigest()[:20],
        "rules": str(rules),
        "year": int(year),
        "version": str(version),
    }


@dataclass
class Manifest:
    """The manifest of one output folder (load with :meth:`load`, write with :meth:`save`)."""

    out_dir: Path
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return self.out_dir / MANIFEST_NAME

    @classmethod
    def load(cls, out_dir: str | Path) -> Manifest:
        """Read the manifest; a missing, unreadable or other-format file gives an empty one."""
        m = cls(Path(out_dir))
        try:
            payload = json.loads(m.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return m
        if isinstance(payload, dict) and payload.get("format") == MANIFEST_FORMAT:
            m.outputs = {str(k): v for k, v in (payload.get("outputs") or {}).items() if isinstance(v, dict)}
        return m

    def rel(self, path: str | Path) -> str:
        return Path(path).resolve().relative_to(self.out_dir.resolve()).as_posix()

    def is_current(self, paths: Iterable[str | Path], st: Mapping[str, Any]) -> bool:
        """True when every path is recorded with this stamp and exists with the recorded hash."""
        paths = list(paths)
        for p in paths:
            entry = self.outputs.get(self.rel(p))
            if entry is None or entry.get("stamp") != dict(st) or not Path(p).is_file():
                return False
            if file_sha256(p) != entry.get("sha256"):
                return False
        return bool(paths)

    def record(self, path: str | Path, sha256: str, st: Mapping[str, Any]) -> None:
        self.outputs[self.rel(path)] = {"sha256": sha256, "stamp": dict(st)}

    def forget(self, path: str | Path) -> None:
        self.outputs.pop(self.rel(path), None)

    def save(self) -> Path:
        """Write atomically (sorted keys: the same state gives the same bytes), readable by all."""
        from shnro_lib.outputs import atomic_write_text

        text = json.dumps(
            {"format": MANIFEST_FORMAT, "outputs": self.outputs}, ensure_ascii=False, indent=1, sort_keys=True
        )
        atomic_write_text(self.path, text + "\n")
        self.path.chmod(0o644)
        return self.path
