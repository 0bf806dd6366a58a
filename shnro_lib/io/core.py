"""The loader: folder -> validated canonical tables (:func:`load_dataset`, :class:`Dataset`)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from pydantic import ValidationError

from ..schema import KNOWN_PROCEDURES, REGION_ROW, REQUIRED_TABLES, TABLES, WAVES, TableSpec
from .convert import DTYPES, convert, fmt
from .facts import DatasetFacts, facts_errors_ru, parse_facts
from .mapping import Mapper, build_mapper, folder_mapping_files
from .problems import DataError, LoadReport, Problem, TableLoad, _excluded_frame
from .readers import RawTable, ReadError, frame_to_raw, read_file

DATA_EXTS = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".parquet")
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

    def add(self, level: str, pos: int | None, canon: str | None, value: str | None, message: str,
            column: str | None = None) -> None:
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
        ctx.add("warning", None, None, None,
                f"столбец не относится к таблице «{spec.label_ru}» ({spec.name}) и не используется", column=h)
    for rownum, text in raw.totals:
        problems.append(Problem("info", raw.file, raw.sheet, rownum, None, text,
                                "строка итогов исключена из данных"))
    missing = [c for c in spec.columns if c.required and c.name not in raw.headers]
    for c in missing:
        problems.append(Problem("error", raw.file, raw.sheet, None, c.label_ru, None,
                                f"отсутствует обязательный столбец «{c.label_ru}» ({c.name})", canonical=c.name))
    if missing:
        chk.fatal = True
        return chk
    n = len(raw.data)
    if n == 0:
        level = "error" if spec.required else "warning"
        problems.append(Problem(level, raw.file, raw.sheet, None, None, None,
                                f"в таблице «{spec.label_ru}» нет ни одной строки данных"))
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
    df = pd.DataFrame(cols)[spec.column_names] if n else pd.DataFrame(
        {c.name: pd.Series(dtype=DTYPES[c.kind]) for c in spec.columns})

    raw_vals = {c: data[c].tolist() for c in data.columns}
    for c in spec.columns:
        s = df[c.name]
        isna = s.isna().to_numpy()
        if c.required:
            for pos in isna.nonzero()[0]:
                rv = raw_vals.get(c.name, [None] * n)[pos]
                if (int(pos), c.name) not in chk.failed:
                    ctx.add("error", int(pos), c.name, None if rv is None else fmt(rv) or None,
                            "пустое значение в обязательном столбце")
        if c.kind in ("int", "float") and (c.min is not None or c.max is not None):
            vals = s.astype("float64")
            low = (vals < c.min).fillna(False).to_numpy() if c.min is not None else None
            high = (vals > c.max).fillna(False).to_numpy() if c.max is not None else None
            for pos in range(n):
                if (low is not None and low[pos]) or (high is not None and high[pos]):
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

    if {"mean_score", "max_score", "participants"} <= set(df.columns) and n:
        mean, mx, part = df["mean_score"], df["max_score"], df["participants"]
        over = (mean > mx).fillna(False).to_numpy()
        for pos in over.nonzero()[0]:
            ctx.add("error", int(pos), "mean_score", _num(mean.iloc[pos]),
                    f"средний балл больше максимального балла ({_num(mx.iloc[pos])})")
        zero = ((part == 0).fillna(False) & mean.notna()).to_numpy()
        for pos in zero.nonzero()[0]:
            ctx.add("warning", int(pos), "mean_score", _num(mean.iloc[pos]),
                    "средний балл указан при нуле участников")
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
            chk.conversions.append("procedure: написание процедур приведено к стандартному (ЕГЭ, ОГЭ, ВПР, РДР)")
        df["procedure"] = pd.array(norm, dtype="string")
        for p, pos in unknown.items():
            ctx.add("info", pos, "procedure", p,
                    f"неизвестная процедура «{p}» принята как отдельный мониторинг")
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
                desc = ", ".join(f"{raw.headers.get(c, spec.column(c).label_ru)}={x}" for c, x in zip(key, k, strict=True) if x)
                differ = _differences(df, first[k], int(pos), key, raw.headers, spec)
                ctx.add("error", int(pos), None, None,
                        f"повторяющийся ключ ({desc}): строки {raw.rownums[first[k]]} и {raw.rownums[int(pos)]}"
                        + (f"; различаются: {differ}" if differ else "; строки совпадают полностью"))
    if "municipality" in df.columns and n:
        _spelling_variants(df["municipality"].tolist(), raw, ctx, "municipality")
    chk.df = df
    return chk


def _differences(df: pd.DataFrame, a: int, b: int, key: list[str], headers: dict[str, str],
                 spec: TableSpec) -> str:
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
        ctx.add("warning", first, canon, None,
                "похоже, одно и то же название записано по-разному: " + ", ".join(parts)
                + " — названия НЕ объединены; исправьте написание в исходном файле")


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
                ctx.add("error", pos, col, v,
                        "код ОО не найден в таблице «Школы» (schools); без учёта ведущих нулей подходят несколько "
                        f"кодов: {', '.join(cands)} — сохраните столбец кодов как текст")
            else:
                ctx.add("error", pos, col, v, "код ОО не найден в таблице «Школы» (schools)")
        if repaired:
            chk.df[col] = pd.array(values, dtype="string")
            total = sum(c for _, _, c in repaired.values())
            examples = ", ".join(f"{g} → {sid}" for g, (sid, _, _) in list(repaired.items())[:5])
            first = min(p for _, p, _ in repaired.values())
            ctx.add("warning", first, col, None,
                    f"коды ОО потеряли ведущие нули (столбец сохранён как число) и однозначно сопоставлены с "
                    f"таблицей «Школы»: {examples}{' …' if len(repaired) > 5 else ''} (строк: {total}). "
                    "Сохраните столбец кодов как текст")
            chk.conversions.append(f"{col}: восстановлены ведущие нули кодов ОО ({total})")


def _assemble(raws: dict[str, RawTable], problems: list[Problem], strict: bool,
              fatal_tables: set[str], require: tuple[str, ...]) -> tuple[dict[str, pd.DataFrame], LoadReport]:
    checked: dict[str, _Checked] = {}
    order = sorted(raws, key=lambda t: (t != "schools", list(TABLES).index(t)))
    for name in order:
        checked[name] = _check_table(raws[name], TABLES[name], problems)
    fatal = set(fatal_tables) | {n for n, c in checked.items() if c.fatal}
    if fatal & set(require):
        raise DataError(problems)
    sch = checked.get("schools")
    if sch is not None and sch.df is not None:
        ids = sch.df["school_id"]
        keep = [i for i in range(len(ids)) if strict or i not in sch.bad]
        school_ids = {v for v in ids.iloc[keep].tolist() if v is not pd.NA and v is not None}
        for name, chk in checked.items():
            if name != "schools" and not chk.fatal:
                _check_refs(chk, school_ids, problems)
    if strict and any(p.level == "error" for p in problems):
        raise DataError(problems)

    report = LoadReport(problems=problems)
    tables: dict[str, pd.DataFrame] = {}
    for name in TABLES:
        if name not in checked:
            continue
        chk = checked[name]
        raw = chk.raw
        tl = TableLoad(table=name, file=raw.file, sheet=raw.sheet, encoding=raw.encoding,
                       delimiter=raw.delimiter, header_row=raw.header_row, rows_read=raw.rows_read,
                       rows_empty=raw.rows_empty, conversions=chk.conversions, columns=dict(raw.headers),
                       unknown_columns=list(raw.unknown))
        excl = [{"file": raw.file, "row": r, "reason": f"строка итогов («{t}»)"} for r, t in raw.totals]
        if chk.fatal or chk.df is None:
            excl += [{"file": raw.file, "row": r, "reason": "таблица не загружена из-за ошибок в заголовке"}
                     for r in raw.rownums]
            tl.excluded = _excluded_frame(excl)
            report.tables[name] = tl
            continue
        bad = sorted(chk.bad)
        excl += [{"file": raw.file, "row": raw.rownums[p], "reason": "; ".join(chk.bad[p])} for p in bad]
        excl.sort(key=lambda d: d["row"])
        tl.excluded = _excluded_frame(excl)
        df = chk.df.drop(index=bad).reset_index(drop=True) if bad else chk.df
        tl.rows_used = len(df)
        tables[name] = df
        report.tables[name] = tl
    return tables, report


def _problem(level: str, file: str, message: str) -> Problem:
    return Problem(level, file, None, None, None, None, message)


def load_dataset(path: str | Path, mappings: list[str | Path] | None = None, strict: bool = True) -> Dataset:
    """Load a data set folder into canonical, validated tables.

    ``strict=True`` raises :class:`DataError` listing every error found;
    ``strict=False`` excludes erroneous rows (listed in ``report``) and only
    raises when a required table cannot be used at all.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise DataError([_problem("error", str(folder), "папка с данными не найдена (ожидается папка с файлами таблиц)")])
    problems: list[Problem] = []
    try:
        mapper, _ = build_mapper([Path(m) for m in (mappings or [])], folder)
    except Exception as exc:  # noqa: BLE001 - yaml errors become a user message
        raise DataError([_problem("error", str(folder), f"не удалось прочитать файл соответствий заголовков: {exc}")]) from exc
    map_files = {p.resolve() for p in folder_mapping_files(folder)}
    found: dict[str, list[Path]] = {}
    for p in sorted(folder.iterdir()):
        if p.is_dir() or p.name.startswith((".", "~$")) or p.resolve() in map_files:
            continue
        if p.name == METADATA_FILE:
            continue
        ext = p.suffix.lower()
        table = mapper.table_for(p.stem)
        if ext in DATA_EXTS and table:
            found.setdefault(table, []).append(p)
        elif ext == ".xls" and table:
            problems.append(_problem("error" if table in REQUIRED_TABLES else "warning", p.name,
                                     "старый формат .xls не поддерживается — сохраните файл как .xlsx"))
        else:
            problems.append(_problem("warning", p.name, "файл не относится ни к одной таблице и пропущен"))
    fatal: set[str] = set()
    for table, files in found.items():
        if len(files) > 1:
            names = ", ".join(f.name for f in files)
            problems.append(_problem("error", files[0].name,
                                     f"для таблицы «{TABLES[table].label_ru}» ({table}) найдено несколько файлов: {names}"))
            fatal.add(table)
    for table in TABLES:
        if table not in found:
            spec = TABLES[table]
            if spec.required:
                problems.append(_problem("error", str(folder.name),
                                         f"нет обязательной таблицы «{spec.label_ru}» (файл {table}.csv/.xlsx/.parquet)"))
                fatal.add(table)
            else:
                problems.append(_problem("warning", str(folder.name),
                                         f"нет таблицы «{spec.label_ru}» ({table}): зависящие от неё анализы недоступны"))
    raws: dict[str, RawTable] = {}
    files_used: list[Path] = []
    for table, files in found.items():
        if table in fatal:
            continue
        try:
            raws[table] = read_file(files[0], table, mapper)
            files_used.append(files[0])
        except ReadError as exc:
            problems.append(_problem("error", files[0].name, str(exc)))
            fatal.add(table)
        except (OSError, MemoryError) as exc:
            problems.append(_problem("error", files[0].name, f"файл не прочитан: {type(exc).__name__}: {exc}"))
            fatal.add(table)
        if raws.get(table) and raws[table].encoding and raws[table].encoding not in ("utf-8", "utf-8-sig"):
            problems.append(_problem("info", files[0].name, f"файл прочитан в кодировке {raws[table].encoding}"))
    if fatal & set(REQUIRED_TABLES) or (strict and fatal):
        # still check what can be checked so that one DataError lists everything
        for name, raw in raws.items():
            _check_table(raw, TABLES[name], problems)
        raise DataError(problems)
    tables, report = _assemble(raws, problems, strict, fatal, REQUIRED_TABLES)
    h = hashlib.sha256()
    for f in sorted(files_used, key=lambda p: p.name):
        h.update(f.name.encode())
        h.update(f.read_bytes())
    metadata = _read_metadata(folder, report, strict)
    if metadata:
        h.update(repr(sorted(metadata.items())).encode())
    return Dataset(tables=tables, report=report, path=folder, fingerprint=h.hexdigest()[:16],
                   metadata=metadata)


METADATA_FILE = "dataset.yaml"


def _read_metadata(folder: Path, report: LoadReport, strict: bool = True) -> dict:
    """Optional ``dataset.yaml`` (see :mod:`shnro_lib.io.facts`): parsed and validated.

    An unknown key or a wrong value is an error naming the key (``strict``: :class:`DataError`;
    otherwise a warning and the facts are ignored).
    """
    path = folder / METADATA_FILE
    if not path.exists():
        return {}
    try:
        import yaml

        meta = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except Exception as exc:  # noqa: BLE001 - a broken description file must not stop the load
        report.problems.append(_problem("warning", path.name, f"описание набора данных не прочитано: {exc}"))
        return {}
    if not isinstance(meta, dict):
        report.problems.append(_problem("warning", path.name, "описание набора данных должно быть словарём"))
        return {}
    try:
        parse_facts(meta)
    except ValidationError as exc:
        level = "error" if strict else "warning"
        problems = [_problem(level, path.name, msg) for msg in facts_errors_ru(exc)]
        if strict:
            raise DataError(report.problems + problems) from None
        report.problems.extend(problems)
        return {}
    return meta


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
    def from_frames(cls, tables: dict[str, pd.DataFrame], name: str = "in-memory",
                    require_tables: bool = True) -> Dataset:
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
                problems.append(_problem("error", name, f"нет обязательной таблицы «{TABLES[t].label_ru}» ({t})"))
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
        return Dataset(tables=out, report=self.report, path=self.path,
                       fingerprint=hashlib.sha256(tag.encode()).hexdigest()[:16], metadata=dict(self.metadata))
