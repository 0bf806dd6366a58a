"""``shnro effects``: the programme-effect estimator table (CSV)."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    """Add the ``effects`` sub-command."""

    @app.command("effects")
    def effects(
        data_dir: Path = typer.Argument(..., help="Папка с набором данных"),
        csv: Path = typer.Option(..., "--csv", help="Файл CSV: одна строка на метод оценки"),
        config: Path = typer.Option(None, "--config", help="YAML с параметрами (по умолчанию parameters/effects.yaml)"),
    ) -> None:
        """Оценить эффект программы поддержки разными методами (наивный, DiD, событийный анализ, RDD...)."""
        import warnings

        from shnro_lib.effects import programme_effects
        from shnro_lib.io import DataError, load_dataset
        from shnro_lib.outputs import write_csv

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ds = load_dataset(data_dir)
                tab = programme_effects(ds, config)
        except (DataError, FileNotFoundError, NotADirectoryError, ValueError) as exc:
            typer.echo(f"Ошибка: {exc}", err=True)
            raise typer.Exit(1) from None
        write_csv(tab, csv)
        synth = "СИНТЕТИЧЕСКИЕ ДАННЫЕ. " if getattr(ds, "metadata", {}).get("synthetic") else ""
        pref = tab[tab["preferred"]]
        if len(pref):
            r = pref.iloc[0]
            typer.echo(f"{synth}Предпочтительная оценка ({r['estimator']}): {r['estimate_pp']:.2f} п.п. "
                       f"[{r['ci_low_pp']:.2f}; {r['ci_high_pp']:.2f}], {r['estimate_sd']:.3f} SD. Таблица: {csv}")
