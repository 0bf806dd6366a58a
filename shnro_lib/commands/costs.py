"""``shnro costs``: «цена–качество» per school (CSV)."""

from __future__ import annotations

from pathlib import Path

import typer

from shnro_lib.commands._common import IDS_HELP


def register(app: typer.Typer) -> None:
    """Add the ``costs`` sub-command."""

    @app.command("costs")
    def costs(
        data_dir: Path = typer.Argument(..., help="Папка с набором данных"),
        year: int = typer.Option(..., "--year", help="Год анализа"),
        csv: Path = typer.Option(..., "--csv", help="Файл CSV: одна строка на школу"),
        bootstrap: int = typer.Option(None, "--bootstrap", help="Повторений бутстрепа DEA (0 — без интервалов)"),
        config: Path = typer.Option(None, "--config", help="YAML с изменениями параметров по именам файлов "
                                    "(например, «costs: {dea: {use_context_input: false}}»)"),
        ids: bool = typer.Option(False, "--ids", help=IDS_HELP),
    ) -> None:
        """Расходы на обучающегося против результата с учётом контекста; эффективность DEA; квадранты."""
        import warnings

        import pandas as pd

        from shnro_lib.commands._common import load_or_exit, not_assessed, write_reader_csv
        from shnro_lib.costs import COLUMNS, NotEstimated, cost_quality
        from shnro_lib.labels import money_labels
        from shnro_lib.settings import SettingsError, read_overrides

        ds = load_or_exit(data_dir, year)
        labels = money_labels(ds.facts.currency_ru)
        try:
            overrides = read_overrides(config)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tab = cost_quality(ds, year, overrides.get("costs"), bootstrap_reps=bootstrap)
        except SettingsError as exc:
            typer.echo(f"Ошибка: {exc}", err=True)
            raise typer.Exit(1) from None
        except NotEstimated as exc:
            write_reader_csv(pd.DataFrame(columns=COLUMNS), csv, labels, ids)
            typer.echo(f"Записано (пусто): {csv}")
            raise not_assessed(str(exc).removeprefix("не оценено: ")) from None
        write_reader_csv(tab, csv, labels, ids)
        synth = "СИНТЕТИЧЕСКИЕ ДАННЫЕ. " if ds.metadata.get("synthetic") else ""
        for note in tab.attrs.get("notes", []):
            typer.echo(f"Примечание: {note}")
        typer.echo(f"{synth}Школ: {len(tab)}; таблица: {csv}")
