"""``shnro revisions OLD_DIR NEW_DIR``: did the new version of the data change earlier years?"""

from __future__ import annotations

from pathlib import Path

import typer

EXIT_REVISIONS = 3


def register(app: typer.Typer) -> None:
    """Add the ``revisions`` command to the CLI."""

    @app.command("revisions")
    def revisions(
        old_dir: Path = typer.Argument(..., help="Папка с прежней версией набора данных"),
        new_dir: Path = typer.Argument(..., help="Папка с новой версией набора данных"),
        csv: Path = typer.Option(None, "--csv", help="Сохранить полный список пересмотров в CSV"),
        limit: int = typer.Option(20, "--limit", help="Сколько пересмотров показать на экране"),
    ) -> None:
        """Сравнить две версии данных: код 0 — прошлые годы не изменились, 3 — найдены пересмотры, 1 — ошибка
        данных."""
        from shnro_lib.io import DataError, load_dataset
        from shnro_lib.outputs import write_csv
        from shnro_lib.revisions import COLUMN_LABELS_RU, compare_datasets, summary_ru

        try:
            old = load_dataset(old_dir)
            new = load_dataset(new_dir)
        except DataError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from None
        rev = compare_datasets(old, new)
        typer.echo(summary_ru(rev, old, new, limit=limit))
        if csv is not None:
            write_csv(rev.rename(columns=COLUMN_LABELS_RU), csv)
            typer.echo(f"Список пересмотров: {csv}")
        if len(rev):
            raise typer.Exit(EXIT_REVISIONS)
