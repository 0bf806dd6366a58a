"""Checks of one loaded table: values converted, required cells, ranges, keys, spellings, school codes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..schema import KNOWN_PROCEDURES, WAVES, TableSpec
from .convert import DTYPES, convert, fmt
from .problems import Problem
from .readers import RawTable

_ABBR = re.compile(r"[а-яё]{2,6}")
_PROC_UPPER = {p.upper(): p for p in KNOWN_PROCEDURES}


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


@dataclass
class _Checked:
    raw: RawTable
    spec: TableSpec
    df: pd.DataFrame | None = None
    bad: dict[int, list[str]] = field(default_factory=dict)
    fatal: bool = False
    failed: set[tuple[int, str | None]] = field(default_factory=set)
    conversions: list[str] = field(default_factory=list)


class _Ctx:
    def __init__(self, chk: _Checked, problems: list[Problem]):
        self.chk, self.problems = chk, problems

    def add(
        self,
        level: str,
        pos: int | None,
        canon: str | None,
        value: str | None,
        message: str,
        column: str | None = None,
    ) -> None:
        raw = self.chk.raw
        row = raw.rownums[pos] if pos is not None and pos >= 0 else None
        col = column if column is not None else (raw.headers.get(canon, canon) if canon else None)
        self.problems.append(Problem(level, raw.file, raw.sheet, row, col, value, message, canonical=canon))
        if level == "error" and pos is not None and pos >= 0:
            where = f"«{col}»: " if col else ""
            val = f"«{value}» — " if value is not None else ""
            self.chk.bad.setdefault(pos, []).append(f"{where}{val}{message}")
            self.chk.failed.add((pos, canon))


def _check_table(raw: RawTable, spec: TableSpec, problems: list[Problem]) -> _Checked:
    chk = _Checked(raw, spec)
    ctx = _Ctx(chk, problems)
    for level, column, message in raw.notes:
        ctx.add(level, None, None, None, message, column=column)
    for pos, level, canon, shown, value, message in raw.row_issues:
        ctx.add(level, pos, canon, value, message, column=shown)
    for h in raw.unknown:
        ctx.add(
            "warning",
            None,
            None,
            None,
            f"столбец не относится к таблице «{spec.label_ru}» ({spec.name}) и не используется",
            column=h,
        )
    for rownum, text in raw.totals:
        problems.append(
            Problem("info", raw.file, raw.sheet, rownum, None, text, "строка итогов исключена из данных")
        )
    missing = [c for c in spec.columns if c.required and c.name not in raw.headers]
    for c in missing:
        problems.append(
            Problem(
                "error",
                raw.file,
                raw.sheet,
                None,
                c.label_ru,
                None,
                f"отсутствует обязательный столбец «{c.label_ru}» ({c.name})",
                canonical=c.name,
            )
        )
    if missing:
        chk.fatal = True
        return chk
    n = len(raw.data)
    if n == 0:
        level = "error" if spec.required else "warning"
        problems.append(
            Problem(
                level,
                raw.file,
                raw.sheet,
                None,
                None,
                None,
                f"в таблице «{spec.label_ru}» нет ни одной строки данных",
            )
        )
        chk.fatal = spec.required
    data = raw.data.reset_index(drop=True)
    cols: dict[str, pd.Series] = {}
    for c in spec.columns:
        if c.name not in data.columns:
            cols[c.name] = pd.Series(pd.array([None] * n, dtype=DTYPES[c.kind]))
            continue
        res = convert(data[c.name], c)
        cols[c.name] = res.series.reset_index(drop=True)
        chk.conversions += res.conversions
        for iss in res.issues:
            ctx.add(iss.level, iss.idx if iss.idx >= 0 else None, c.name, iss.value, iss.message)
    df = (
        pd.DataFrame(cols)[spec.column_names]
        if n
        else pd.DataFrame({c.name: pd.Series(dtype=DTYPES[c.kind]) for c in spec.columns})
    )

    for c in spec.columns:
        s = df[c.name]
        isna = s.isna().to_numpy()
        if c.required:
            for pos in isna.nonzero()[0]:
                rv = data[c.name].iat[pos] if c.name in data.columns else None
                if (int(pos), c.name) not in chk.failed:
                    ctx.add(
                        "error",
                        int(pos),
                        c.name,
                        None if rv is None else fmt(rv) or None,
                        "пустое значение в обязательном столбце",
                    )
        if c.kind in ("int", "float") and (c.min is not None or c.max is not None):
            vals = s.astype("float64")
            low = (vals < c.min).fillna(False).to_numpy() if c.min is not None else None
            high = (vals > c.max).fillna(False).to_numpy() if c.max is not None else None
            out = np.zeros(n, dtype=bool)
            for side in (low, high):
                if side is not None:
                    out |= side
            for pos in out.nonzero()[0].tolist():
                v = _num(float(vals.iloc[pos]))
                if c.name == "participants":
                    msg = "число участников не может быть отрицательным"
                elif c.min is not None and c.max is not None:
                    msg = f"значение вне допустимого диапазона [{_num(c.min)}, {_num(c.max)}]"
                elif c.min is not None:
                    msg = f"значение меньше допустимого минимума {_num(c.min)}"
                else:
                    msg = f"значение больше допустимого максимума {_num(c.max)}"
                ctx.add("error", pos, c.name, v, msg)

    if {"mean_score", "max_score"} <= set(df.columns) and n:
        mean, mx = df["mean_score"], df["max_score"]
        part = df["participants"] if "participants" in df.columns else pd.Series(pd.NA, index=df.index)
        over = (mean > mx).fillna(False).to_numpy()
        for pos in over.nonzero()[0]:
            ctx.add(
                "error",
                int(pos),
                "mean_score",
                _num(mean.iloc[pos]),
                f"средний балл больше максимального балла ({_num(mx.iloc[pos])})",
            )
        if "min_score" in df.columns:
            mn = df["min_score"]
            for pos in (mn >= mx).fillna(False).to_numpy().nonzero()[0]:
                ctx.add(
                    "error",
                    int(pos),
                    "min_score",
                    _num(mn.iloc[pos]),
                    f"минимальный балл шкалы не меньше максимального ({_num(mx.iloc[pos])})",
                )
            for pos in (mean < mn).fillna(False).to_numpy().nonzero()[0]:
                ctx.add(
                    "error",
                    int(pos),
                    "mean_score",
                    _num(mean.iloc[pos]),
                    f"средний балл меньше минимального балла шкалы ({_num(mn.iloc[pos])})",
                )
        zero = ((part == 0).fillna(False) & mean.notna()).to_numpy()
        for pos in zero.nonzero()[0]:
            ctx.add(
                "warning",
                int(pos),
                "mean_score",
                _num(mean.iloc[pos]),
                "средний балл указан при нуле участников",
            )
    if "procedure" in df.columns and n:
        norm = []
        unknown: dict[str, int] = {}
        for pos, v in enumerate(df["procedure"].tolist()):
            if v is pd.NA or v is None:
                norm.append(None)
                continue
            p = _PROC_UPPER.get(v.upper())
            if p is None:
                p = v.upper() if _ABBR.fullmatch(v) else v
                unknown.setdefault(p, pos)
            norm.append(p)
        if any(a != b for a, b in zip(norm, df["procedure"].tolist(), strict=True) if a is not None):
            chk.conversions.append(
                "procedure: написание процедур приведено к стандартному (ЕГЭ, ОГЭ, ВПР, РДР)"
            )
        df["procedure"] = pd.array(norm, dtype="string")
        for p, pos in unknown.items():
            ctx.add(
                "info", pos, "procedure", p, f"неизвестная процедура «{p}» принята как отдельный мониторинг"
            )
    if "wave" in df.columns and n:
        norm = []
        for pos, v in enumerate(df["wave"].tolist()):
            if v is pd.NA or v is None:
                norm.append(None)
                continue
            w = v.casefold().replace("ё", "е")
            if w not in WAVES:
                ctx.add("error", pos, "wave", v, f"срез должен быть одним из: {', '.join(WAVES)}")
            norm.append(w)
        df["wave"] = pd.array(norm, dtype="string")

    key = [k for k in spec.key if k in df.columns]
    if key and n:
        req_key = [k for k in key if spec.column(k).required]
        mask = df[req_key].notna().all(axis=1)
        sub = df.loc[mask, key]
        dup = sub.duplicated(keep=False)
        if dup.any():
            first: dict[tuple, int] = {}
            for pos, vals in zip(sub.index[dup], sub[dup].itertuples(index=False, name=None), strict=True):
                k = tuple("" if pd.isna(x) else str(x) for x in vals)
                if k not in first:
                    first[k] = int(pos)
                    continue
                desc = ", ".join(
                    f"{raw.headers.get(c, spec.column(c).label_ru)}={x}"
                    for c, x in zip(key, k, strict=True)
                    if x
                )
                differ = _differences(df, first[k], int(pos), key, raw.headers, spec)
                ctx.add(
                    "error",
                    int(pos),
                    None,
                    None,
                    f"повторяющийся ключ ({desc}): строки {raw.rownums[first[k]]} и {raw.rownums[int(pos)]}"
                    + (f"; различаются: {differ}" if differ else "; строки совпадают полностью"),
                )
    if "municipality" in df.columns and n:
        _spelling_variants(df["municipality"].tolist(), raw, ctx, "municipality")
    chk.df = df
    return chk


def _differences(
    df: pd.DataFrame, a: int, b: int, key: list[str], headers: dict[str, str], spec: TableSpec
) -> str:
    """Columns whose values differ between two rows with the same key, as «col: «x» / «y»»."""
    out = []
    for c in df.columns:
        if c in key:
            continue
        x, y = df[c].iloc[a], df[c].iloc[b]
        xa, ya = pd.isna(x), pd.isna(y)
        if xa and ya:
            continue
        if xa != ya or x != y:
            label = headers.get(c, spec.column(c).label_ru)
            out.append(f"{label}: «{'' if xa else fmt(x)}» и «{'' if ya else fmt(y)}»")
    return "; ".join(out[:5])


_MUNI_NOISE = re.compile(r"\b(муниципальн\w*|образовани\w*|мо|р-н|район\w*)\b")


def spelling_key(text: str) -> str:
    """A key under which spellings of one territory coincide (case, ё/е, spaces, quotes, «муниципальный»)."""
    s = str(text).casefold().replace("ё", "е")
    s = re.sub(r"[«»\"'.,()]", " ", s)
    s = _MUNI_NOISE.sub(" ", s)
    return " ".join(s.split())


def _spelling_variants(values: list, raw: RawTable, ctx: _Ctx, canon: str) -> None:
    """Warn when different spellings collapse to one key; the names are NOT merged."""
    groups: dict[str, dict[str, list[int]]] = {}
    for pos, v in enumerate(values):
        if v is pd.NA or v is None:
            continue
        key = spelling_key(v)
        if key:
            groups.setdefault(key, {}).setdefault(str(v), []).append(pos)
    for variants in groups.values():
        if len(variants) < 2:
            continue
        parts = []
        for name, poss in variants.items():
            rows = [raw.rownums[p] for p in poss]
            shown = ", ".join(map(str, rows[:5])) + (" …" if len(rows) > 5 else "")
            parts.append(f"«{name}» (строки {shown}; всего {len(rows)})")
        first = min(p for poss in variants.values() for p in poss)
        ctx.add(
            "warning",
            first,
            canon,
            None,
            "похоже, одно и то же название записано по-разному: "
            + ", ".join(parts)
            + " — названия НЕ объединены; исправьте написание в исходном файле",
        )


def _check_refs(chk: _Checked, school_ids: set[str], problems: list[Problem]) -> None:
    ctx = _Ctx(chk, problems)
    by_digits: dict[str, list[str]] = {}
    for sid in school_ids:
        if sid.isdigit():
            by_digits.setdefault(sid.lstrip("0"), []).append(sid)
    for col in chk.spec.refs_school:
        if chk.df is None or col not in chk.df.columns:
            continue
        values = chk.df[col].tolist()
        repaired: dict[str, tuple[str, int, int]] = {}  # given -> (school id, first pos, count)
        for pos, v in enumerate(values):
            if v is pd.NA or v is None:
                continue
            if v in school_ids:
                continue
            cands = sorted(by_digits.get(v.lstrip("0"), [])) if v.isdigit() else []
            if len(cands) == 1:
                sid, first, cnt = repaired.get(v, (cands[0], pos, 0))
                repaired[v] = (sid, first, cnt + 1)
                values[pos] = cands[0]
            elif len(cands) > 1:
                ctx.add(
                    "error",
                    pos,
                    col,
                    v,
                    "код ОО не найден в таблице «Школы» (schools); без учёта ведущих нулей подходят несколько "
                    f"кодов: {', '.join(cands)} — сохраните столбец кодов как текст",
                )
            else:
                ctx.add("error", pos, col, v, "код ОО не найден в таблице «Школы» (schools)")
        if repaired:
            chk.df[col] = pd.array(values, dtype="string")
            total = sum(c for _, _, c in repaired.values())
            examples = ", ".join(f"{g} → {sid}" for g, (sid, _, _) in list(repaired.items())[:5])
            first = min(p for _, p, _ in repaired.values())
            ctx.add(
                "warning",
                first,
                col,
                None,
                f"коды ОО потеряли ведущие нули (столбец сохранён как число) и однозначно сопоставлены с "
                f"таблицей «Школы»: {examples}{' …' if len(repaired) > 5 else ''} (строк: {total}). "
                "Сохраните столбец кодов как текст",
            )
            chk.conversions.append(f"{col}: восстановлены ведущие нули кодов ОО ({total})")
