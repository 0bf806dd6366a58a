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
        bootstrap: int = typer.Option(
            None, "--bootstrap", help="Повторений бутстрепа DEA (0 — без интервалов)"
        ),
        config: Path = typer.Option(
            None,
            "--config",
            help="YAML с изменениями параметров по именам файлов "
            "(например, «costs: {dea: {use_context_input: false}}»)",
        ),
        ids: bool = typer.Option(False, "--ids", help=IDS_HELP),
    ) -> None:
        """Расходы на обучающегося против результата с учётом контекста; эффективность DEA; квадранты."""
        import pandas as pd

        from shnro_lib.commands._common import (
            failure_exit,
            is_not_assessed,
            load_or_exit,
            not_assessed,
            overrides_with_option,
            run_stages,
            write_reader_csv,
        )
        from shnro_lib.costs import COLUMNS, load_costs_config
        from shnro_lib.labels import money_labels

        # «--bootstrap» is costs.yaml's dea.bootstrap_reps, as a --config file would set it
        overrides = overrides_with_option(
            config, "costs", "dea", "bootstrap_reps", bootstrap, load_costs_config
        )
        ds = load_or_exit(data_dir, year)
        labels = money_labels(ds.facts.currency_ru)
        # the batch's stages: the expected results come from the context stage's model, not refitted
        run = run_stages(ds, year, "lo_2018", overrides, ["costs"])
        exc = run.cause("costs")
        if is_not_assessed(exc):
            write_reader_csv(pd.DataFrame(columns=COLUMNS), csv, labels, ids)
            typer.echo(f"Записано (пусто): {csv}")
            raise not_assessed(str(exc).removeprefix("не оценено: ")) from None
        if exc is not None:
            raise failure_exit(exc, "цена и качество", csv) from None
        tab = run.values["costs"]
        write_reader_csv(tab, csv, labels, ids)
        synth = "СИНТЕТИЧЕСКИЕ ДАННЫЕ. " if ds.metadata.get("synthetic") else ""
        for note in tab.attrs.get("notes", []):
            typer.echo(f"Примечание: {note}")
        typer.echo(f"{synth}Школ: {len(tab)}; таблица: {csv}")
