"""The whole import of one wide workbook: read, derive, match, account for every row.

:func:`import_workbook` returns an :class:`ImportOutcome` holding the long ``results``
(contract columns, matched rows only), the rows for review, every school row with how it
was matched, and the accounting per sheet; :meth:`ImportOutcome.report_ru` is the load report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from shnro_lib.importer.derive import RESULT_COLUMNS, derive_results
from shnro_lib.importer.match import (
    MATCHED,
    REVIEW,
    STATUS_RU,
    UNMATCHED,
    Confirmed,
    MatchingSettings,
    Registry,
    match_rows,
    matching_settings,
)
from shnro_lib.importer.recipes import Recipe
from shnro_lib.importer.shapes import ShapeError, read_workbook
from shnro_lib.io.problems import DataError, Problem

ACCOUNT_COLUMNS = {
    "file": "Файл",
    "sheet": "Лист",
    "recipe": "Рецепт",
    "procedure": "Процедура",
    "year": "Год",
    "rows": "Строк после заголовка",
    "empty": "Пустых",
    "total": "Строк итогов (исключены)",
    "block": "Заголовков блоков (исключены)",
    MATCHED: "Школ сопоставлено (использовано)",
    REVIEW: "На проверку",
    UNMATCHED: "Не найдено",
    "no_results": "Из сопоставленных без результатов",
    "result_rows": "Строк результатов",
}


@dataclass
class ImportOutcome:
    """Everything one import produced."""

    results: pd.DataFrame
    rows: pd.DataFrame  # every school row: file, sheet, source_row, municipality, name, code, status, …
    accounting: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def review(self) -> pd.DataFrame:
        """Rows not matched (review and unmatched), in file order."""
        return self.rows[self.rows["status"] != MATCHED].reset_index(drop=True)

    def counts(self) -> dict[str, int]:
        vc = self.rows["status"].value_counts() if len(self.rows) else pd.Series(dtype=int)
        return {k: int(vc.get(k, 0)) for k in (MATCHED, REVIEW, UNMATCHED)}

    def report_ru(self, workbook: str) -> str:
        """The load report, in Russian: every row after the header of every sheet accounted for."""
        c = self.counts()
        lines = [f"Импорт «{workbook}»", ""]
        for rec in self.accounting.to_dict("records"):
            lines.append(
                f"{rec['file']}, лист «{rec['sheet']}» — {rec['procedure']}, {rec['year']} г. "
                f"(рецепт {rec['recipe']}):"
            )
            lines.append(
                f"  строк после заголовка: {rec['rows']} = школ сопоставлено {rec[MATCHED]} + на проверку "
                f"{rec[REVIEW]} + не найдено {rec[UNMATCHED]} + строк итогов {rec['total']} + заголовков "
                f"блоков {rec['block']} + пустых {rec['empty']}"
            )
            lines.append(
                f"  строк результатов (школа × предмет × класс): {rec['result_rows']}; сопоставленных "
                f"школ без результатов: {rec['no_results']}"
            )
        lines += [
            "",
            f"Итого школ: сопоставлено {c[MATCHED]}, на проверку {c[REVIEW]}, не найдено {c[UNMATCHED]}; "
            f"строк результатов: {len(self.results)}.",
        ]
        if c[REVIEW] or c[UNMATCHED]:
            lines.append(
                "Несопоставленные строки НЕ вошли в results.csv: "
                "они перечислены в review.xlsx с кандидатами; "
                "подтвердите код ОО в matches_to_confirm.csv и сохраните его как confirmed_matches.csv."
            )
        methods = self.rows.loc[self.rows["status"] == MATCHED, "method"].value_counts().sort_index()
        if len(methods):
            lines.append("Способ сопоставления: " + ", ".join(f"{k} — {v}" for k, v in methods.items()))
        if self.notes:
            lines += ["", "Замечания:"] + [f"  • {n}" for n in self.notes]
        return "\n".join(lines) + "\n"


def _no_sheets(p: Path, recipes: list[Recipe], year: int | None, notes: list[str]) -> ShapeError:
    """The error for a workbook with no sheet to read: no sheet of the asked year, or none of the recipes'."""
    if year is not None and any("лист пропущен" in n and "запрошен" in n for n in notes):
        return ShapeError(f"{p.name}: нет листа за {year} год (" + "; ".join(notes) + ")")
    return ShapeError(
        f"{p.name}: ни на одном листе нет таблицы по ОО, подходящей под рецепты ("
        + ", ".join(r.name for r in recipes)
        + ")"
    )


def _sheet_rows(sheets) -> pd.DataFrame:
    """Every sheet's rows with their file, sheet, sheet number, year and procedure."""
    rows = []
    for i, sd in enumerate(sheets):
        r = sd.rows.copy()
        r["file"], r["sheet"], r["sheet_key"], r["year"] = sd.file, sd.sheet, i, sd.year
        r["procedure"] = sd.recipe.procedure
        rows.append(r)
    return pd.concat(rows, ignore_index=True)


def _match_schools(all_rows: pd.DataFrame, schools: pd.DataFrame, confirmed, settings) -> pd.DataFrame:
    """The school rows (named or not) matched with the ``schools`` table."""
    registry = Registry.build(schools)
    schools_rows = all_rows[all_rows["kind"].isin(["school", "no_name"])].reset_index(drop=True)
    matched = match_rows(schools_rows, registry, confirmed or Confirmed(), settings or matching_settings())
    if len(matched) == 0:
        matched = schools_rows.assign(
            status=pd.Series(dtype=object), school_id=None, method=None, reason=None, candidates=None
        )
    return matched


def _check_duplicates(res: pd.DataFrame, sheets, p: Path) -> None:
    """Raise :class:`DataError` naming the rows when one school's result cell is given twice."""
    dup = res.duplicated(subset=["school_id", "year", "procedure", "subject", "grade"], keep=False)
    if not dup.any():
        return
    first = res[dup].sort_values(["school_id", "subject", "sheet_key", "source_row"]).iloc[0]
    both = res[dup & (res["school_id"] == first["school_id"]) & (res["subject"] == first["subject"])]
    where = "; ".join(
        f"лист «{sheets[int(k)].sheet}», строка {int(r)}"
        for k, r in zip(both["sheet_key"], both["source_row"], strict=True)
    )
    message = (
        f"школа {first['school_id']}, {first['procedure']} {first['year']}, "
        f"«{first['subject']}»: результаты указаны дважды ({where})"
    )
    raise DataError([Problem("error", p.name, None, None, None, None, message)])


def _results_table(res: pd.DataFrame) -> pd.DataFrame:
    """The results in the canonical columns, order and types."""
    results = (
        res[RESULT_COLUMNS]
        .sort_values(["school_id", "year", "procedure", "subject", "grade"])
        .reset_index(drop=True)
    )
    results["school_id"] = results["school_id"].astype("string")
    for c in ("year", "grade", "participants"):
        results[c] = results[c].astype("Int64")
    return results


def import_workbook(
    path: str | Path,
    schools: pd.DataFrame,
    recipes: list[Recipe],
    year: int | None = None,
    confirmed: Confirmed | None = None,
    settings: MatchingSettings | None = None,
) -> ImportOutcome:
    """Import one wide workbook.

    Parameters
    ----------
    path : the ``.xlsx`` export.
    schools : the canonical ``schools`` table (school_id, name, municipality).
    recipes : the shapes to detect from (one, when the user named it).
    year : the year for sheets that do not say theirs; with year-named sheets, only that year is read.
    confirmed : the user's confirmed matches.
    settings : matching settings (default ``parameters/import/_matching.yaml``).

    Raises
    ------
    DataError : every problem of the input (file, sheet, row, column), when there is any error.
    ShapeError : a file that is not a readable workbook.
    """
    p = Path(path)
    problems: list[Problem] = []
    notes: list[str] = []
    sheets = read_workbook(p, recipes, year, problems, notes)
    derived = []
    for i, sd in enumerate(sheets):
        d = derive_results(sd, problems)
        d["sheet_key"] = i
        derived.append(d)
    if any(pr.level == "error" for pr in problems):
        raise DataError(problems)
    if not sheets:
        raise _no_sheets(p, recipes, year, notes)
    all_rows = _sheet_rows(sheets)
    matched = _match_schools(all_rows, schools, confirmed, settings)
    notes = notes + list((confirmed or Confirmed()).notes)
    res = pd.concat(derived, ignore_index=True)
    ids = matched.loc[matched["status"] == MATCHED, ["sheet_key", "source_row", "school_id"]]
    res = res.merge(ids, on=["sheet_key", "source_row"], how="inner")
    _check_duplicates(res, sheets, p)
    results = _results_table(res)
    accounting = _accounting(sheets, all_rows, matched, res)
    return ImportOutcome(results, matched.drop(columns=["kind"]), accounting, notes)


def _accounting(sheets, all_rows: pd.DataFrame, matched: pd.DataFrame, res: pd.DataFrame) -> pd.DataFrame:
    out = []
    for i, sd in enumerate(sheets):
        kinds = all_rows.loc[all_rows["sheet_key"] == i, "kind"].value_counts()
        st = matched.loc[matched["sheet_key"] == i, "status"].value_counts()
        ok_rows = set(matched.loc[(matched["sheet_key"] == i) & (matched["status"] == MATCHED), "source_row"])
        with_results = set(res.loc[res["sheet_key"] == i, "source_row"])
        out.append(
            {
                "file": sd.file,
                "sheet": sd.sheet,
                "recipe": sd.recipe.name,
                "procedure": sd.recipe.procedure,
                "year": sd.year,
                "rows": int(kinds.sum()),
                "empty": int(kinds.get("empty", 0)),
                "total": int(kinds.get("total", 0)),
                "block": int(kinds.get("block", 0)),
                MATCHED: int(st.get(MATCHED, 0)),
                REVIEW: int(st.get(REVIEW, 0)),
                UNMATCHED: int(st.get(UNMATCHED, 0)),
                "no_results": len(ok_rows - with_results),
                "result_rows": int((res["sheet_key"] == i).sum()),
            }
        )
    return pd.DataFrame(out, columns=list(ACCOUNT_COLUMNS))


def review_table(outcome: ImportOutcome, n_candidates: int) -> pd.DataFrame:
    """The review sheet: one row per unmatched source row with its best candidates (Russian headers)."""
    rv = outcome.review
    columns = [
        "Файл",
        "Лист",
        "Строка",
        "Муниципалитет в файле",
        "Наименование в файле",
        "Код в файле",
        "Статус",
        "Причина",
    ] + [
        f"Кандидат {k + 1}: {w}"
        for k in range(n_candidates)
        for w in ("код", "наименование", "муниципалитет", "сходство")
    ]
    recs = []
    for r in rv.to_dict("records"):
        d = {
            "Файл": r["file"],
            "Лист": r["sheet"],
            "Строка": int(r["source_row"]),
            "Муниципалитет в файле": r.get("municipality"),
            "Наименование в файле": r.get("name"),
            "Код в файле": r.get("code"),
            "Статус": STATUS_RU[r["status"]],
            "Причина": r.get("reason"),
        }
        cands = list(r.get("candidates") or [])
        for k in range(n_candidates):
            c = cands[k] if k < len(cands) else (None, None, None, None)
            d[f"Кандидат {k + 1}: код"] = c[0]
            d[f"Кандидат {k + 1}: наименование"] = c[1]
            d[f"Кандидат {k + 1}: муниципалитет"] = c[2]
            d[f"Кандидат {k + 1}: сходство"] = c[3]
        recs.append(d)
    return pd.DataFrame(recs, columns=columns)


def matches_table(outcome: ImportOutcome) -> pd.DataFrame:
    """Every matched school row and how it was matched (for checking by eye)."""
    m = outcome.rows[outcome.rows["status"] == MATCHED]
    return pd.DataFrame(
        {
            "Файл": m["file"],
            "Лист": m["sheet"],
            "Строка": m["source_row"].astype(int),
            "Муниципалитет в файле": m["municipality"],
            "Наименование в файле": m["name"],
            "Код ОО": m["school_id"],
            "Способ": m["method"],
        }
    ).reset_index(drop=True)


def to_confirm_table(outcome: ImportOutcome) -> pd.DataFrame:
    """A confirmed-matches template: one row per distinct unmatched name, «Код ОО» left for the user."""
    rv = outcome.review
    recs, seen = [], set()
    for r in rv.to_dict("records"):
        key = (r.get("name"), r.get("municipality"))
        if key in seen or not r.get("name"):
            continue
        seen.add(key)
        best = (list(r.get("candidates") or []) or [(None, None, None, None)])[0]
        recs.append(
            {
                "Наименование в файле": r.get("name"),
                "Муниципалитет": r.get("municipality"),
                "Код ОО": None,
                "Лучший кандидат: код": best[0],
                "Лучший кандидат: наименование": best[1],
                "Сходство": best[3],
            }
        )
    return pd.DataFrame(
        recs,
        columns=[
            "Наименование в файле",
            "Муниципалитет",
            "Код ОО",
            "Лучший кандидат: код",
            "Лучший кандидат: наименование",
            "Сходство",
        ],
    )


def load_schools(data_dir: str | Path) -> pd.DataFrame:
    """The validated ``schools`` table of a data-set folder (or of one schools file).

    Only «Школы» is read: the folder need not hold ``results`` yet (an import is often how it gets
    them).  It goes through the loader's own reading and checks, so a schools file that
    ``shnro validate`` would reject is rejected here with the same messages.
    """
    from shnro_lib.io.checks import _check_table  # the loader's checks, for one table
    from shnro_lib.io.core import DATA_EXTS
    from shnro_lib.io.mapping import build_mapper
    from shnro_lib.io.readers import ReadError, read_file
    from shnro_lib.schema import TABLES

    p = Path(data_dir)
    folder = p if p.is_dir() else p.parent
    if not folder.exists():
        raise DataError([Problem("error", str(p), None, None, None, None, "папка с данными не найдена")])
    mapper, _ = build_mapper(None, folder)
    if p.is_dir():
        files = [
            f
            for f in sorted(folder.iterdir())
            if f.suffix.lower() in DATA_EXTS
            and not f.name.startswith((".", "~$"))
            and mapper.table_for(f.stem) == "schools"
        ]
    else:
        files = [p]
    if len(files) != 1:
        msg = (
            "нет таблицы «Школы» (файл schools.csv/.xlsx или «Школы.xlsx»)"
            if not files
            else "несколько файлов таблицы «Школы»: " + ", ".join(f.name for f in files)
        )
        raise DataError([Problem("error", str(folder), None, None, None, None, msg)])
    try:
        raw = read_file(files[0], "schools", mapper)
    except ReadError as exc:
        raise DataError([Problem("error", files[0].name, None, None, None, None, str(exc))]) from None
    problems: list[Problem] = []
    chk = _check_table(raw, TABLES["schools"], problems)
    if chk.fatal or chk.df is None or any(pr.level == "error" for pr in problems):
        raise DataError(
            [pr for pr in problems if pr.level == "error"]
            or [Problem("error", files[0].name, None, None, None, None, "таблица «Школы» не загружена")]
        )
    return chk.df


def combine(outcomes: list[ImportOutcome]) -> ImportOutcome:
    """Several workbooks' imports as one (one ``results.csv``); a result given in two workbooks is an
    error."""
    if len(outcomes) == 1:
        return outcomes[0]
    results = pd.concat([o.results for o in outcomes], ignore_index=True)
    dup = results.duplicated(subset=["school_id", "year", "procedure", "subject", "grade"], keep=False)
    if dup.any():
        first = results[dup].sort_values(["school_id", "year", "procedure", "subject", "grade"]).iloc[0]
        files = sorted(
            {
                str(f)
                for o in outcomes
                for f in o.accounting["file"]
                if (
                    (o.results["school_id"] == first["school_id"])
                    & (o.results["year"] == first["year"])
                    & (o.results["procedure"] == first["procedure"])
                    & (o.results["subject"] == first["subject"])
                ).any()
            }
        )
        raise DataError(
            [
                Problem(
                    "error",
                    ", ".join(files),
                    None,
                    None,
                    None,
                    None,
                    f"школа {first['school_id']}, {first['procedure']} {first['year']}, "
                    f"«{first['subject']}»: результаты есть в нескольких книгах",
                )
            ]
        )
    results = results.sort_values(["school_id", "year", "procedure", "subject", "grade"]).reset_index(
        drop=True
    )
    return ImportOutcome(
        results,
        pd.concat([o.rows for o in outcomes], ignore_index=True),
        pd.concat([o.accounting for o in outcomes], ignore_index=True),
        [n for o in outcomes for n in o.notes],
    )
