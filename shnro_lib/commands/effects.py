"""``shnro effects``: the programme-effect estimator table (CSV)."""

from __future__ import annotations

from pathlib import Path

import typer

from shnro_lib.commands._common import IDS_HELP

NOT_ESTIMATED_EXIT = 4  # the analysis ran but could not estimate anything on these data


def register(app: typer.Typer) -> None:
    """Add the ``effects`` sub-command."""

    @app.command("effects")
    def effects(
        data_dir: Path = typer.Argument(..., help="Папка с набором данных"),
        csv: Path = typer.Option(..., "--csv", help="Файл CSV: одна строка на метод оценки"),
        config: Path = typer.Option(
            None,
            "--config",
            help="YAML с изменениями параметров по именам файлов "
            "(например, «effects: {rtm: {bootstrap_reps: 100}}»)",
        ),
        seed: int = typer.Option(
            None,
            "--seed",
            help="Начальное число имитаций проверки на собственном плане "
            "(по умолчанию — из parameters/effects.yaml)",
        ),
        ids: bool = typer.Option(False, "--ids", help=IDS_HELP),
    ) -> None:
        """Оценить эффект программы поддержки: метод выбирается по плану программы (годам и правилу
        отбора)."""
        import pandas as pd

        from shnro_lib.commands._common import (
            failure_exit,
            load_or_exit,
            overrides_with_option,
            run_stages,
            write_reader_csv,
        )
        from shnro_lib.effects import load_effects_config
        from shnro_lib.labels import ESTIMATORS_RU
        from shnro_lib.outputs import write_csv
        from shnro_lib.pipeline.log import not_assessed_ru
        from shnro_lib.report.format import fmt_num

        # «--seed» is effects.yaml's self_check.seed, as a --config file would set it
        overrides = overrides_with_option(config, "effects", "self_check", "seed", seed, load_effects_config)
        ds = load_or_exit(data_dir)
        # the batch's effects stage (it reads no report year: the programme's own years are its design)
        run = run_stages(ds, max(ds.years), "lo_2018", overrides, ["effects"])
        exc = run.cause("effects")
        if isinstance(exc, ValueError):
            # exit 4 promises the file is written: one row that states why nothing was estimated
            reason = not_assessed_ru(str(exc))
            write_csv(pd.DataFrame({"Результат": [reason]}), csv)
            typer.echo(f"{reason[0].upper()}{reason[1:]}. Таблица: {csv}")
            raise typer.Exit(NOT_ESTIMATED_EXIT) from None
        if exc is not None:
            raise failure_exit(exc, "эффекты программ", csv) from None
        tab, det = run.values["effects"]
        write_reader_csv(tab, csv, ids=ids)
        synth = "СИНТЕТИЧЕСКИЕ ДАННЫЕ. " if ds.metadata.get("synthetic") else ""
        design = det["design"]
        typer.echo(f"{synth}План программы: {design.describe_ru()}.")
        for note in design.assumptions:
            typer.echo(f"Допущение: {note}")
        pref = tab[tab["preferred"].astype(bool)]
        if len(pref):
            r = pref.iloc[0]
            typer.echo(
                f"Предпочтительная оценка ({ESTIMATORS_RU.get(r['estimator'], r['estimator'])}): "
                f"{fmt_num(r['estimate_pp'], 2, signed=True)} п. п. [{fmt_num(r['ci_low_pp'], 2)}; "
                f"{fmt_num(r['ci_high_pp'], 2)}], {fmt_num(r['estimate_sd'], 3, signed=True)} SD. "
                f"Таблица: {csv}"
            )
        else:
            lead = (
                "Эффект при этом плане программы не идентифицируется надёжно"
                if det["self_check"]["verdict"] == "fail"
                else "Идентифицируется ли эффект при этом плане программы надёжно, не удалось установить"
            )
            typer.echo(f"{lead}; см. строку «{ESTIMATORS_RU['range_valid']}» и примечания. Таблица: {csv}")
        typer.echo(det["self_check"]["note"])
