"""What a loaded data set holds: its tables, years, procedures and the columns it did not collect."""

from __future__ import annotations

from typing import Any


def holdings_ru(ds: Any) -> list[str]:
    """What the data set holds: tables, procedures, years, and the columns it did not collect."""
    from ..schema import TABLES

    present = [t for t in TABLES if ds.has(t)]
    absent = [t for t in TABLES if not ds.has(t)]
    res = ds.results
    procs = sorted(str(p) for p in res["procedure"].dropna().unique()) if "procedure" in res.columns else []
    lines = [
        f"Таблицы: {', '.join(present)}" + (f"; нет таблиц: {', '.join(absent)}" if absent else "") + ".",
        f"Годы результатов: {', '.join(map(str, ds.years)) or '—'}; процедуры: {', '.join(procs) or '—'}.",
    ]
    missing = []
    for t in present:
        spec = TABLES[t]
        cols = [c.name for c in spec.columns if not c.required and not ds.has_column(t, c.name)]
        if cols:
            missing.append(f"{t}: {', '.join(cols)}")
    if missing:
        lines.append("Не собраны (анализы, которым они нужны, скажут об этом): " + "; ".join(missing) + ".")
    return lines
