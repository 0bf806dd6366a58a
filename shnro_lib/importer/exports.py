"""Sample wide exports generated from the demo (СИНТЕТИЧЕСКИЕ ДАННЫЕ), with planted name variants.

Three workbooks, as a regional analyst receives them: ЕГЭ (one sheet per year, a three-level
header «Из них» → subject «, чел.» → metrics, merged municipality cells), ОГЭ (the municipality
written only in the first row of its block, counts of marks) and ВПР (per subject × grade
participants and shares of marks in %, the ФИС ОКО login in brackets before the name).  Title
rows sit above every header and «Всего по району» / «Итого» rows between blocks (in the name
column, or in the municipality column with the name empty); the ОГЭ book spells districts short
(«Лужский район» for «Лужский муниципальный район»).

School names are written as they come in real files: mostly as variants of the registry name that
must match (quotes, legal form, «СОШ» for the long form, «№ 2», ё/е, case and spaces), and a few
planted rows that must NOT be matched (a typo, the number dropped, a school that does not exist,
a school in another municipality's block, a login of another school).  The truth of every row
is returned and written to ``truth/rows_truth.csv``; the library never reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from shnro_lib.outputs import atomic_write, fix_zip_timestamps, write_csv

SYNTHETIC = "СИНТЕТИЧЕСКИЕ ДАННЫЕ: демонстрационный регион, не реальные школы"
EGE_SUBJECTS = {
    "Математика профильная": "Математика (профильный уровень)",
    "Математика базовая": "Математика (базовый уровень)",
}
EGE_METRICS = [
    "Приняли участие",
    "Не преодолели минимальный порог",
    "80–99 баллов",
    "100 баллов",
    "Средний балл",
]
OGE_METRICS = [
    "Сдавали",
    "Средний первичный балл",
    "Отметка «2»",
    "Отметка «3»",
    "Отметка «4»",
    "Отметка «5»",
]
VPR_METRICS = ["Кол-во участников", "2", "3", "4", "5"]
# how many planted rows of each must-not-match kind per workbook
PLANTED_REVIEW = ("typo", "no_number", "nonexistent", "other_municipality")


@dataclass
class ExportsOutput:
    """The written workbooks and the truth of every school row in them."""

    files: dict[str, Path]  # procedure -> workbook
    rows: pd.DataFrame  # procedure, file, sheet, source_row, school_id, variant, expect
    expected: pd.DataFrame  # the results the exports encode (contract columns) + adjusted flag


def _variant(name: str, kind: str) -> str:
    if kind == "quotes":
        return name.replace("«", '"').replace("»", '"')
    if kind == "legal_form":
        return (
            name.replace("МОУ ", "МБОУ ", 1) if name.startswith("МОУ ") else "МАОУ " + name.split(" ", 1)[-1]
        )
    if kind == "legal_form_long":
        head, _, rest = name.partition(" ")
        return ("Муниципальное общеобразовательное учреждение " + rest) if head in ("МОУ", "МБОУ") else name
    if kind == "short_type":
        return (
            name.replace("средняя общеобразовательная школа", "СОШ")
            .replace("основная общеобразовательная школа", "ООШ")
            .replace("начальная общеобразовательная школа", "НОШ")
            .replace("с углублённым изучением отдельных предметов", "с УИОП")
        )
    if kind == "number_space":
        return name.replace("№", "№ ")
    if kind == "yo":
        return name.replace("ё", "е").replace("Ё", "Е")
    if kind == "case_space":
        return "  ".join(name.upper().split(" "))
    if kind == "combined":
        return _variant(_variant(_variant(name, "short_type"), "quotes"), "number_space").replace("ё", "е")
    return name


MATCH_VARIANTS = (
    "as_is",
    "as_is",
    "quotes",
    "legal_form",
    "legal_form_long",
    "short_type",
    "number_space",
    "yo",
    "case_space",
    "combined",
)


def _typo(name: str) -> str:
    inner = name.find("«") + 3
    return name[:inner] + name[inner + 1 :] if inner > 2 else name[:-2]


def _drop_number(name: str) -> str:
    import re

    return re.sub(r"\s*№\s*\d+", "", name)


class _Book:
    """A workbook being written, with helpers for titles, headers and merges."""

    def __init__(self) -> None:
        from openpyxl import Workbook

        self.wb = Workbook()
        self.wb.remove(self.wb.active)

    def sheet(self, title: str, lines: list[str]):
        ws = self.wb.create_sheet(title)
        for i, t in enumerate(lines, start=1):
            ws.cell(row=i, column=1, value=t)
        return ws

    def save(self, path: Path) -> Path:
        import datetime as _dt

        self.wb.properties.created = self.wb.properties.modified = _dt.datetime(2000, 1, 1)

        def _w(tmp: Path) -> None:
            self.wb.save(tmp)
            fix_zip_timestamps(tmp)

        return atomic_write(path, _w)


def _marks(
    n: int, share_low: float, share_quality: float, share_high: float
) -> tuple[int, int, int, int, bool]:
    """Counts of «2»…«5» consistent with ``n``; True when the demo's shares had to be adjusted."""
    k_low, k_q, k_h = (int(round(x * n)) if n else 0 for x in (share_low, share_quality, share_high))
    c5, c4 = k_h, k_q - k_h
    c2 = min(k_low, n - k_q)
    return c2, n - c2 - k_q, c4, c5, c2 != k_low


def _plant(rng: np.random.Generator, schools: pd.DataFrame, login: bool) -> pd.DataFrame:
    """One written name (and login) per school for one workbook, with the expected outcome."""
    s = schools.sort_values("school_id").reset_index(drop=True).copy()
    s["variant"] = [MATCH_VARIANTS[int(k)] for k in rng.integers(0, len(MATCH_VARIANTS), len(s))]
    s["written"] = [_variant(n, v) for n, v in zip(s["name"], s["variant"], strict=True)]
    s["written_muni"] = s["municipality"]
    s["code"] = ["sch" + x for x in s["school_id"]] if login else None
    # a registry name shared by several schools of one municipality can only be matched by code
    dup = s.duplicated(subset=["municipality", "name"], keep=False)
    s["expect"] = np.where(dup & (not login), "review", "match")
    s.loc[dup & (not login), "variant"] = "registry_duplicate"
    free = [int(i) for i in rng.permutation(len(s)) if not dup.iloc[i]]
    munis = sorted(s["municipality"].unique())
    names_in = {m: set(g) for m, g in s.groupby("municipality")["name"]}

    def _next_muni(m: str) -> str:
        return munis[(munis.index(m) + 1) % len(munis)]

    # moved to another municipality's block only where that block has no school of the same name
    movable = [i for i in free if s.at[i, "name"] not in names_in[_next_muni(s.at[i, "municipality"])]]
    picks = [free[0], free[1], free[2], next(i for i in movable if i not in free[:3])]
    free = [i for i in free if i not in picks]
    for kind, i in zip(PLANTED_REVIEW, picks, strict=True):
        s.at[i, "variant"], s.at[i, "expect"] = kind, "review"
        if login:
            s.at[i, "code"] = None  # a planted name is only a test of name matching when no login is given
        if kind == "typo":
            s.at[i, "written"] = _typo(s.at[i, "name"])
        elif kind == "no_number":
            s.at[i, "written"] = (
                _drop_number(s.at[i, "name"]) if "№" in s.at[i, "name"] else _typo(s.at[i, "name"])
            )
        elif kind == "nonexistent":
            s.at[i, "written"] = "МОУ «Новозаветная средняя общеобразовательная школа №9»"
        elif kind == "other_municipality":
            s.at[i, "written_muni"] = _next_muni(s.at[i, "municipality"])
    if login:
        rest = free
        # a login unknown to the registry: the name still matches
        i = rest[0]
        s.at[i, "code"], s.at[i, "variant"], s.at[i, "expect"] = "sch999999", "unknown_login", "match"
        # the login of another school while the name says which: never guessed
        j, k = rest[1], rest[2]
        s.at[j, "code"], s.at[j, "variant"], s.at[j, "expect"] = (
            "sch" + s.at[k, "school_id"],
            "wrong_login",
            "review",
        )
    return s


def _blocks(s: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    return [(m, g.sort_values("school_id")) for m, g in s.groupby("written_muni", sort=True)]


def _write_wide(
    ws, header_top: int, fixed: list[str], groups: list[tuple[str, list[str]]], group_label: str | None
) -> int:
    """Write a merged multi-level header; returns the first data row."""
    depth = 3 if group_label else 2
    for j, h in enumerate(fixed, start=1):
        ws.cell(row=header_top, column=j, value=h)
        ws.merge_cells(start_row=header_top, start_column=j, end_row=header_top + depth - 1, end_column=j)
    col = len(fixed) + 1
    if group_label:
        total = sum(len(m) for _, m in groups)
        ws.cell(row=header_top, column=col, value=group_label)
        ws.merge_cells(start_row=header_top, start_column=col, end_row=header_top, end_column=col + total - 1)
    srow = header_top + depth - 2
    for subject, metrics in groups:
        ws.cell(row=srow, column=col, value=subject)
        ws.merge_cells(start_row=srow, start_column=col, end_row=srow, end_column=col + len(metrics) - 1)
        for k, m in enumerate(metrics):
            ws.cell(row=srow + 1, column=col + k, value=m)
        col += len(metrics)
    return header_top + depth


def _write_school(ws, row: int, proc: str, muni: str, i: int, sc, keys: list, cells: dict, rng, sums: dict):
    """One school's row of a block (``i``: its place in the block); adds its counts to ``sums``.

    Returns the name as written and the results the row encodes.
    """
    name = f"({sc.code}) {sc.written}" if isinstance(sc.code, str) else sc.written
    muni_cell = muni if (i == 0 or proc == "ВПР") else None
    if proc == "ОГЭ" and muni_cell:
        # the РЦОИ's short spelling of the district: «Лужский район»
        muni_cell = muni_cell.replace(" муниципальный район", " район")
    values, exp = _school_values(proc, keys, cells, sc.school_id, rng)
    _write_row(ws, row, proc, muni_cell, name, values)
    if proc == "ОГЭ":
        ws.cell(row=row, column=1, value=i + 1)
    if proc == "ЕГЭ":
        ws.cell(row=row, column=3, value=max((v[0] for v in values if v), default=0))
    for k, v in enumerate(values):
        if v:
            sums[k] = sums.get(k, 0) + v[0]
    return name, exp


def _write_block(ws, row: int, sheet: tuple, block_no: int, muni: str, block, keys, cells, rng, out):
    """One municipality's block: its schools and its totals row; returns the next free row.

    ``sheet`` is ``(procedure, file name, year)``; ``out`` is ``(truth_rows, expected)``, the lists
    the rows' truth and the encoded results go to.
    """
    proc, fname, year = sheet
    truth_rows, expected = out
    sums: dict[tuple, list[float]] = {}
    for i, sc in enumerate(block.itertuples(index=False)):
        name, exp = _write_school(ws, row, proc, muni, i, sc, keys, cells, rng, sums)
        truth_rows.append(
            {
                "procedure": proc,
                "file": fname,
                "sheet": ws.title,
                "source_row": row,
                "school_id": None if sc.variant == "nonexistent" else sc.school_id,
                "variant": sc.variant,
                "expect": sc.expect,
                "written": name,
            }
        )
        expected += [{**e, "school_id": sc.school_id, "year": year, "procedure": proc} for e in exp]
        row += 1
    if proc == "ЕГЭ" and block_no % 2 == 0 and len(block) > 1:
        ws.merge_cells(start_row=row - len(block), start_column=1, end_row=row - 1, end_column=1)
    # totals rows carry the participants only: they are excluded on import whatever they hold
    total = [[int(sums[k])] if k in sums else None for k in range(len(keys))]
    if proc == "ЕГЭ":  # the totals label in the municipality column, the name left empty
        _write_row(ws, row, proc, "Всего по району", None, total)
    else:
        _write_row(ws, row, proc, None, "Всего по району" if proc == "ВПР" else "Итого по АТЕ", total)
    return row + 1


def generate_exports(
    data_dir: str | Path, out_dir: str | Path, seed: int = 0, years: list[int] | None = None
) -> ExportsOutput:
    """Write ЕГЭ, ОГЭ and ВПР wide workbooks built from the demo data set in ``data_dir``.

    ``years`` limits the sheets to those years (default: every year of the demo).
    Returns the workbooks, the truth of every school row and the results the exports encode.
    """
    from shnro_lib.io import load_dataset

    ds = load_dataset(data_dir)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    res = ds.results if years is None else ds.results[ds.results["year"].isin(years)]
    schools = ds.schools[["school_id", "name", "municipality"]].astype(str)
    truth_rows, expected = [], []
    files: dict[str, Path] = {}
    for proc, fname in (
        ("ЕГЭ", "ЕГЭ_статистика_по_ОО.xlsx"),
        ("ОГЭ", "ОГЭ_статистика_по_ОО.xlsx"),
        ("ВПР", "ВПР_статистика_по_отметкам.xlsx"),
    ):
        in_proc = set(res.loc[res["procedure"] == proc, "school_id"])
        plant = _plant(rng, schools[schools["school_id"].isin(in_proc)], login=proc == "ВПР")
        book = _Book()
        r = res[res["procedure"] == proc]
        for year in sorted(r["year"].unique()):
            ry = r[r["year"] == year]
            keys = (
                ry[["subject", "grade", "max_score"]]
                .drop_duplicates()
                .sort_values(["grade", "subject"])
                .itertuples(index=False)
            )
            keys = list(keys)
            cells = {(a.school_id, a.subject, a.grade): a for a in ry.itertuples(index=False)}
            sp = plant[plant["school_id"].isin(set(ry["school_id"]))]
            ws, _groups, row = _start_sheet(book, proc, int(year), keys)
            sheet = (proc, fname, int(year))
            for bi, (muni, block) in enumerate(_blocks(sp)):
                row = _write_block(ws, row, sheet, bi, muni, block, keys, cells, rng, (truth_rows, expected))
            ws.cell(row=row, column=1 if proc != "ОГЭ" else 2, value="Итого по области")
        files[proc] = book.save(out / fname)
    rows = pd.DataFrame(truth_rows)
    truth_dir = out / "truth"
    write_csv(rows, truth_dir / "rows_truth.csv")
    return ExportsOutput(files, rows, pd.DataFrame(expected))


def _start_sheet(book: _Book, proc: str, year: int, keys: list) -> tuple:
    if proc == "ЕГЭ":
        ws = book.sheet(
            str(year),
            [f"Результаты ЕГЭ выпускников общеобразовательных организаций в {year} году", SYNTHETIC],
        )
        groups = [(EGE_SUBJECTS.get(k.subject, k.subject) + ", чел.", EGE_METRICS) for k in keys]
        first = _write_wide(
            ws, 4, ["Муниципалитет", "Образовательная организация", "Всего выпускников"], groups, "Из них"
        )
    elif proc == "ОГЭ":
        ws = book.sheet(
            str(year),
            [
                f"Итоги ОГЭ {year}: статистика по образовательным организациям",
                SYNTHETIC,
                "Число отметок указано в человеках",
            ],
        )
        groups = [(k.subject, OGE_METRICS) for k in keys]
        first = _write_wide(ws, 5, ["№ п/п", "АТЕ", "Наименование ОО"], groups, None)
    else:
        ws = book.sheet(f"ВПР {year}", [f"ВПР {year}. Статистика по отметкам (доли, %)", SYNTHETIC])
        groups = [
            (f"{k.subject}, {k.grade} класс (макс. балл {int(k.max_score)})", VPR_METRICS) for k in keys
        ]
        first = _write_wide(ws, 3, ["Муниципалитет", "ОО"], groups, None)
    return ws, groups, first


def _school_values(
    proc: str, keys: list, cells: dict, sid: str, rng: np.random.Generator
) -> tuple[list, list]:
    """The cells of one school row (per subject: a list of metric values, or None) and what they encode."""
    values, expected = [], []
    for k in keys:
        a = cells.get((sid, k.subject, k.grade))
        if a is None:
            values.append(None)
            continue
        n = int(a.participants)
        e = {
            "subject": k.subject,
            "grade": int(k.grade),
            "participants": n,
            "max_score": float(k.max_score),
            "mean_score": np.nan,
            "share_low": np.nan,
            "share_quality": np.nan,
            "share_high": np.nan,
            "adjusted": False,
        }
        if proc == "ЕГЭ":
            low = int(round(a.share_low * n)) if n else 0
            high = int(round(a.share_high * n)) if n else 0
            top = int(rng.binomial(high, 0.04)) if high else 0
            mean = round(float(a.mean_score), 1) if n else None
            values.append([n, low, high - top, top, mean])
            if n:
                e.update(mean_score=mean, share_low=low / n, share_high=high / n)
        else:
            c2, c3, c4, c5, adj = _marks(n, a.share_low, a.share_quality, a.share_high)
            if proc == "ОГЭ":
                mean = round(float(a.mean_score), 2) if n else None
                values.append([n, mean, c2, c3, c4, c5])
                if n:
                    e.update(mean_score=mean)
            else:
                pct = [round(100 * c / n, 2) if n else None for c in (c2, c3, c4, c5)]
                values.append([n, *pct])
            if n:
                e.update(share_low=c2 / n, share_quality=(c4 + c5) / n, share_high=c5 / n, adjusted=adj)
        expected.append(e)
    return values, expected


def _write_row(ws, row: int, proc: str, muni: str | None, name: str, values: list) -> None:
    if proc == "ОГЭ":
        ws.cell(row=row, column=2, value=muni)
        ws.cell(row=row, column=3, value=name)
        col = 4
    elif proc == "ЕГЭ":
        ws.cell(row=row, column=1, value=muni)
        ws.cell(row=row, column=2, value=name)
        col = 4
    else:
        ws.cell(row=row, column=1, value=muni)
        ws.cell(row=row, column=2, value=name)
        col = 3
    width = {"ЕГЭ": len(EGE_METRICS), "ОГЭ": len(OGE_METRICS), "ВПР": len(VPR_METRICS)}[proc]
    for v in values:
        if v is not None:
            for q, x in enumerate(v):
                if x is not None and not (isinstance(x, float) and np.isnan(x)):
                    ws.cell(row=row, column=col + q, value=x)
        col += width
