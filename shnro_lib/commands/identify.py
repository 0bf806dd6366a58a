"""``shnro identify``: identification of ШНРО / ШНСУ into an Excel workbook (and CSV)."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    """Add the ``identify`` sub-command."""

    @app.command("identify")
    def identify(
        data_dir: Path = typer.Argument(..., help="Папка с набором данных"),
        year: int = typer.Option(..., "--year", help="Год идентификации (последний год окна)"),
        rules: str = typer.Option("lo_2018", "--rules", help="Набор правил (имя в parameters/criteria) или путь к YAML"),
        out: Path = typer.Option(..., "--out", help="Файл Excel (.xlsx)"),
        csv: Path = typer.Option(None, "--csv", help="Дополнительно: таблица по региону в CSV"),
    ) -> None:
        """Выявить ШНРО/ШНСУ и «зону риска»: лист по региону, по муниципалитетам и лист «Критерии»."""

        from shnro_lib.commands._common import load_or_exit
        from shnro_lib.identify import (
            RuleError,
            column_labels_ru,
            criteria_table_ru,
            identify_schools,
            load_rules,
        )
        from shnro_lib.outputs import write_csv, write_workbook

        try:
            r = load_rules(rules)
        except (RuleError, FileNotFoundError, ValueError) as exc:
            typer.echo(f"Ошибка: {exc}", err=True)
            raise typer.Exit(1) from None
        ds = load_or_exit(data_dir, year)
        table = identify_schools(ds, year, r)
        synthetic = bool(getattr(ds, "metadata", {}).get("synthetic"))
        note = f"{r.get('title_ru', r['name'])}; {year} г.; данные {ds.fingerprint}"
        if synthetic:
            note = "СИНТЕТИЧЕСКИЕ ДАННЫЕ. " + note
        sheets = {"Регион": table}
        notes = {"Регион": note}
        for m in sorted(table["municipality"].dropna().unique()):
            sheets[str(m)] = table[table["municipality"] == m].drop(columns="municipality")
            notes[str(m)] = note
        crit = criteria_table_ru(r)
        sheets["Критерии"] = crit
        notes["Критерии"] = "Критерии и пороги набора правил «" + r["name"] + "»"
        write_workbook(sheets, out, notes=notes, column_labels=column_labels_ru(r))
        if csv is not None:
            write_csv(table.rename(columns=column_labels_ru(r)), csv)
        counts = table["category"].value_counts()
        typer.echo(("СИНТЕТИЧЕСКИЕ ДАННЫЕ. " if synthetic else "") + "Итог: "
                   + ", ".join(f"{k} — {v}" for k, v in counts.items()))
        typer.echo(f"Записано: {out}")
