"""``shnro validate DATA_DIR``: check a data set, print every problem grouped by kind, and what it holds."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    """Add the ``validate`` sub-command."""

    @app.command("validate")
    def validate(
        data_dir: Path = typer.Argument(..., help="Папка с набором данных"),
        mapping: list[Path] = typer.Option(
            None, "--mapping", help="Дополнительный YAML с соответствием заголовков"
        ),
        examples: int = typer.Option(
            3, "--examples", help="Сколько первых примеров показывать для каждого вида (0 — все)"
        ),
    ) -> None:
        """Проверить набор данных: код 0, если ошибок нет; код 1 и все проблемы по видам — если есть."""
        from shnro_lib.io import DataError, load_dataset
        from shnro_lib.io.holdings import holdings_ru
        from shnro_lib.io.problems import grouped_problems_ru

        try:
            ds = load_dataset(data_dir, mappings=mapping or None)
        except DataError as exc:
            errors = len(exc.errors)
            typer.echo(f"Данные не загружены: найдено ошибок — {errors}.", err=True)
            typer.echo(grouped_problems_ru(exc.problems, examples), err=True)
            raise typer.Exit(1) from None
        except (FileNotFoundError, NotADirectoryError, ValueError) as exc:
            typer.echo(f"Ошибка: {exc}", err=True)
            raise typer.Exit(1) from None
        typer.echo(ds.report.summary_ru())
        grouped = grouped_problems_ru(ds.report.problems, examples)
        if grouped:
            typer.echo(grouped)
        for line in holdings_ru(ds):
            typer.echo(line)
        typer.echo("Набор данных корректен.")
