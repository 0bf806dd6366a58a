"""``shnro import``: wide ЕГЭ/ОГЭ/ВПР statistics workbooks -> ``results.csv``, ``review.xlsx``, load report.

Exit codes: 0 — written, every school row matched; 3 — written, some rows sent to review
(``review.xlsx``); 1 — the input cannot be used (nothing written; every problem is listed with
file, sheet, row and column); 2 — wrong arguments.
"""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import typer

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_REVIEW = 0, 1, 2, 3
CONFIRMED_FILE = "confirmed_matches.csv"


def _fail(message: str, code: int = EXIT_INPUT) -> NoReturn:
    """Print the Russian error and exit with ``code``."""
    typer.echo(f"Ошибка: {message}", err=True)
    raise typer.Exit(code)


def _recipes(recipe: Path | None, procedure: str | None) -> list:
    """The user's recipe or the built-in ones, kept to ``procedure`` when given (exit 2 otherwise)."""
    from shnro_lib.importer.recipes import RecipeError, builtin_recipes, load_recipe

    try:
        recipes = [load_recipe(recipe)] if recipe is not None else builtin_recipes()
    except RecipeError as exc:
        _fail(str(exc), EXIT_USAGE)
    if procedure is not None:
        recipes = [r for r in recipes if r.procedure.casefold() == procedure.strip().casefold()]
        if not recipes:
            _fail(
                f"нет рецепта для процедуры «{procedure}» (есть: ЕГЭ, ОГЭ, ВПР или свой --recipe)",
                EXIT_USAGE,
            )
    return recipes


def _match_files(out: Path, matches: list[Path] | None) -> list[Path]:
    """The confirmed-matches files: the one in ``out`` if any, then ``--matches`` (exit 2 if absent)."""
    paths = [out / CONFIRMED_FILE] if (out / CONFIRMED_FILE).is_file() else []
    paths += [Path(m) for m in (matches or [])]
    for m in paths:
        if not m.is_file():
            _fail(f"файл сопоставлений не найден: {m}", EXIT_USAGE)
    return paths


def _import_all(
    workbooks: list[Path], sch, recipes: list, year: int | None, paths: list[Path], registry, settings
):
    """Import every workbook and combine them into one outcome (exit 1 on any input error)."""
    from shnro_lib.importer.match import MatchesFileError, read_confirmed
    from shnro_lib.importer.run import combine, import_workbook
    from shnro_lib.importer.shapes import ShapeError
    from shnro_lib.io import DataError

    try:
        confirmed = read_confirmed(paths, registry)
        outcomes = []
        for workbook in workbooks:
            try:
                outcomes.append(
                    import_workbook(workbook, sch, recipes, year=year, confirmed=confirmed, settings=settings)
                )
            except DataError as exc:
                _fail(f"выгрузка «{workbook.name}» не импортирована:\n{exc}")
        return combine(outcomes)
    except MatchesFileError as exc:
        _fail(str(exc))
    except ShapeError as exc:
        _fail(str(exc))
    except DataError as exc:
        _fail(f"выгрузки не объединены:\n{exc}")


def _write_outputs(outcome, out: Path, workbooks: list[Path], paths: list[Path], candidates: int) -> None:
    """Write ``results.csv``, ``review.xlsx``, ``matches_to_confirm.csv`` and the load report; echo it."""
    from shnro_lib.importer.run import ACCOUNT_COLUMNS, matches_table, review_table, to_confirm_table
    from shnro_lib.outputs import atomic_write_text, write_csv, write_workbook

    write_csv(outcome.results, out / "results.csv")
    report = outcome.report_ru(", ".join(w.name for w in workbooks))
    if paths:
        report += "Подтверждённые сопоставления: " + ", ".join(str(p) for p in paths) + "\n"
    acc = outcome.accounting.rename(columns=ACCOUNT_COLUMNS)
    write_workbook(
        {
            "На проверку": review_table(outcome, candidates),
            "Сопоставленные": matches_table(outcome),
            "Отчёт о загрузке": acc,
        },
        out / "review.xlsx",
        notes={
            "На проверку": "Строки выгрузок, не вошедшие в results.csv: школа не найдена "
            "или не определена однозначно"
        },
    )
    write_csv(to_confirm_table(outcome), out / "matches_to_confirm.csv", sep=";")
    atomic_write_text(out / "load_report.txt", report)
    typer.echo(report.rstrip())
    typer.echo(f"Записано: {out / 'results.csv'}, {out / 'review.xlsx'}, {out / 'load_report.txt'}")


def register(app: typer.Typer) -> None:
    """Add the ``import`` sub-command."""

    @app.command("import")
    def import_(
        workbooks: list[Path] = typer.Argument(..., help="Книги Excel с выгрузками (широкие таблицы по ОО)"),
        schools: Path = typer.Option(
            ..., "--schools", help="Папка набора данных с таблицей «Школы» (или сам файл)"
        ),
        out: Path = typer.Option(..., "--out", help="Папка для results.csv, review.xlsx и отчёта о загрузке"),
        year: int = typer.Option(
            None, "--year", help="Год для листов без года; при листах по годам — только этот"
        ),
        procedure: str = typer.Option(
            None, "--procedure", help="Процедура: ЕГЭ, ОГЭ или ВПР (выбор рецепта)"
        ),
        recipe: Path = typer.Option(None, "--recipe", help="Свой рецепт формы таблицы (YAML)"),
        matches: list[Path] = typer.Option(
            None, "--matches", help="CSV подтверждённых сопоставлений (наименование → код ОО)"
        ),
    ) -> None:
        """Импорт выгрузки РЦОИ/ФИС ОКО: сопоставить школы с «Школы» и записать results.csv.

        Коды выхода: 0 — все школы сопоставлены; 3 — записано, часть строк в review.xlsx;
        1 — ошибка во входных данных (ничего не записано); 2 — неверные аргументы.
        """
        from shnro_lib.importer.match import Registry, matching_settings
        from shnro_lib.importer.run import load_schools
        from shnro_lib.io import DataError
        from shnro_lib.settings import SettingsError

        recipes = _recipes(recipe, procedure)
        for workbook in workbooks:
            if not workbook.is_file():
                _fail(f"файл не найден: {workbook}")
        try:
            sch = load_schools(schools)
        except DataError as exc:
            _fail(f"таблица «Школы» из {schools} не загружена:\n{exc}")
        registry = Registry.build(sch)
        paths = _match_files(out, matches)
        try:
            settings = matching_settings()
        except SettingsError as exc:
            _fail(str(exc), EXIT_USAGE)
        outcome = _import_all(workbooks, sch, recipes, year, paths, registry, settings)
        _write_outputs(outcome, out, workbooks, paths, settings.candidates)
        if len(outcome.review):
            raise typer.Exit(EXIT_REVIEW)
