"""``shnro costs``: «цена–качество» per school (CSV)."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    """Add the ``costs`` sub-command."""

    @app.command("costs")
    def costs(
        data_dir: Path = typer.Argument(..., help="Папка с набором данных"),
        year: int = typer.Option(..., "--year", help="Год анализа"),
        csv: Path = typer.Option(..., "--csv", help="Файл CSV: одна строка на школу"),
        bootstrap: int = typer.Option(None, "--bootstrap", help="Повторений бутстрепа DEA (0 — без интервалов)"),
    ) -> None:
        """Расходы на обучающегося против результата с учётом контекста; эффективность DEA; квадранты."""
        import warnings

        from shnro_lib.costs import cost_quality
        from shnro_lib.io import DataError, load_dataset
        from shnro_lib.outputs import write_csv

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ds = load_dataset(data_dir)
                if year not in ds.years:
                    raise ValueError(f"года {year} нет в данных (есть: {', '.join(map(str, ds.years))})")
                tab = cost_quality(ds, year, bootstrap_reps=bootstrap)
        except (DataError, FileNotFoundError, NotADirectoryError, ValueError) as exc:
            typer.echo(f"Ошибка: {exc}", err=True)
            raise typer.Exit(1) from None
        write_csv(tab, csv)
        synth = "СИНТЕТИЧЕСКИЕ ДАННЫЕ. " if getattr(ds, "metadata", {}).get("synthetic") else ""
        typer.echo(f"{synth}Школ: {len(tab)}; таблица: {csv}")
