"""Revisions of earlier years between two versions of a data set.

Adding a new year's files must not change earlier years silently.
:func:`compare_datasets` lists every value of an earlier year (a year present in
the old data set) that changed, disappeared or appeared in the new one.

    >>> rev = compare_datasets(load_dataset("data/2023"), load_dataset("data/2024"))
    >>> rev.query("kind == 'изменено'")
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .io import Dataset
from .schema import TABLES

CHANGED, REMOVED, ADDED = "изменено", "удалено", "добавлено за прошлые годы"
COLUMNS = ["table", "year", "school_id", "key", "column", "old_value", "new_value", "kind"]
COLUMN_LABELS_RU = {
    "table": "Таблица",
    "year": "Год",
    "school_id": "Код ОО",
    "key": "Ключ строки",
    "column": "Столбец",
    "old_value": "Было",
    "new_value": "Стало",
    "kind": "Вид пересмотра",
}


def _text(v: object) -> str:
    if v is None or v is pd.NA:
        return ""
    if isinstance(v, (float, np.floating)):
        if math.isnan(v):
            return ""
        return str(int(v)) if float(v).is_integer() else repr(float(v))
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    return str(v)


def _same(a: object, b: object) -> bool:
    na_a, na_b = _text(a) == "", _text(b) == ""
    if na_a or na_b:
        return na_a and na_b
    if (
        isinstance(a, (int, float, np.number))
        and isinstance(b, (int, float, np.number))
        and not isinstance(a, bool)
        and not isinstance(b, bool)
    ):
        return bool(np.isclose(float(a), float(b), rtol=1e-9, atol=1e-12))
    return _text(a) == _text(b)


def _keyed(df: pd.DataFrame, key: list[str]) -> dict[tuple, dict]:
    out: dict[tuple, dict] = {}
    for rec in df.to_dict("records"):
        out[tuple(_text(rec[k]) for k in key)] = rec
    return out


def compare_datasets(old: Dataset, new: Dataset) -> pd.DataFrame:
    """Revisions of earlier years: one row per changed value, removed row or added row.

    For every table with a ``year`` column, the earlier years are the years present
    in ``old``'s table.  Rows of those years are matched on the table's key:

    * ``изменено`` — the row exists in both, a value differs (one row per column);
    * ``удалено`` — the row is in ``old`` but not in ``new`` (``column`` is empty);
    * ``добавлено за прошлые годы`` — the row is in ``new`` only, for an earlier year.

    Numbers are compared with a relative tolerance of 1e-9; missing equals missing.

    Returns
    -------
    DataFrame with columns ``table, year, school_id, key, column, old_value, new_value, kind``
    (values as text; empty when there are no revisions).  Russian headers: ``COLUMN_LABELS_RU``.
    """
    rows: list[dict] = []
    for name, spec in TABLES.items():
        o = old.tables.get(name)
        if o is None or "year" not in o.columns or not len(o):
            continue
        n = new.tables.get(name)
        years = {int(y) for y in o["year"].dropna().unique()}
        if n is None:
            n = o.iloc[0:0]
        n = n.loc[n["year"].isin(years).fillna(False).to_numpy()] if "year" in n.columns else n.iloc[0:0]
        key = [k for k in spec.key if k in o.columns]
        values = [c for c in o.columns if c not in key]
        ok, nk = _keyed(o, key), _keyed(n, key)

        def row(
            k: tuple, rec: dict, column: str, a: object, b: object, kind: str, _key=key, _name=name
        ) -> dict:
            return {
                "table": _name,
                "year": _text(rec.get("year")),
                "school_id": _text(rec.get("school_id")),
                "key": ", ".join(f"{c}={v}" for c, v in zip(_key, k, strict=True) if v),
                "column": column,
                "old_value": _text(a),
                "new_value": _text(b),
                "kind": kind,
            }

        for k, rec in ok.items():
            other = nk.get(k)
            if other is None:
                rows.append(row(k, rec, "", "", "", REMOVED))
                continue
            for c in values:
                b = other.get(c)
                if not _same(rec.get(c), b):
                    rows.append(row(k, rec, c, rec.get(c), b, CHANGED))
        for k, rec in nk.items():
            if k not in ok:
                rows.append(row(k, rec, "", "", "", ADDED))
    out = pd.DataFrame(rows, columns=COLUMNS)
    if len(out):
        order = {t: i for i, t in enumerate(TABLES)}
        out = (
            out.assign(_t=out["table"].map(order))
            .sort_values(["_t", "year", "key", "column"], kind="stable")
            .drop(columns="_t")
            .reset_index(drop=True)
        )
    return out.astype("string") if len(out) else out


def summary_ru(
    revisions: pd.DataFrame, old: Dataset | None = None, new: Dataset | None = None, limit: int = 20
) -> str:
    """A short Russian text: counts by table and kind, then the first ``limit`` revisions."""
    lines = []
    if old is not None and new is not None:
        lines.append(
            f"Старая версия: отпечаток {old.fingerprint}, годы {', '.join(map(str, old.years)) or '—'}"
        )
        lines.append(
            f"Новая версия: отпечаток {new.fingerprint}, годы {', '.join(map(str, new.years)) or '—'}"
        )
    if not len(revisions):
        lines.append("Пересмотров данных за прошлые годы нет: значения прежних лет не изменились.")
        return "\n".join(lines)
    lines.append(f"ВНИМАНИЕ: найдено пересмотров данных за прошлые годы — {len(revisions)}.")
    for (table, kind), cnt in revisions.groupby(["table", "kind"], sort=False).size().items():
        label = TABLES[table].label_ru if table in TABLES else table
        lines.append(f"  • {label} ({table}): {kind} — {cnt}")
    lines.append("Первые пересмотры:")
    for rec in revisions.head(limit).to_dict("records"):
        where = f"{rec['table']}, {rec['key']}"
        if rec["kind"] == CHANGED:
            lines.append(
                f"  {where}: «{rec['column']}» было «{rec['old_value']}», стало «{rec['new_value']}»"
            )
        else:
            lines.append(f"  {where}: строка {rec['kind']}")
    if len(revisions) > limit:
        lines.append(f"  … и ещё {len(revisions) - limit} (полный список — ключ --csv)")
    return "\n".join(lines)
