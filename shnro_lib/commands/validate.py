"""``shnro validate DATA_DIR``: check a data set, print every problem grouped by kind, and what it holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer


def holdings_ru(ds: Any) -> list[str]:
    """What the data set holds: tables, procedures, years, and the columns it did not collect."""
    from shnro_lib.schema import TABLES

    present = [t for t in TABLES if ds.has(t)]
    absent = [t for t in TABLES if not ds.has(t)]
    res = ds.results
    procs = sorted(str(p) for p in res["procedure"].dropna().unique()) if "procedure" in res.columns else []
    lines = [f"Таблицы: {', '.join(present)}" + (f"; нет таблиц: {', '.join(absent)}" if absent else "") + ".",
             f"Годы результатов: {', '.join(map(str, ds.years)) or '—'}; процедуры: {', '.join(procs) or '—'}."]
    missing = []
    for t in present:
        spec = TABLES[t]
        cols = [c.name for c in spec.columns if not c.required and not ds.has_column(t, c.name)]
        if cols:
            missing.append(f"{t}: {', '.join(cols)}")
    if missing:
        lines.append("Не собраны (анализы, которым они нужны, скажут об этом): " + "; ".join(missing) + ".")
    return lines


def register(app: typer.Typer) -> None:
    """Add the ``validate`` sub-command."""

    @app.command("validate")
    def validate(
        data_dir: Path = typer.Argument(..., help="Папка с набором данных"),
        mapping: list[Path] = typer.Option(None, "--mapping", help="Дополнительный YAML с соответствием заголовков"),
        examples: int = typer.Option(3, "--examples", help="Сколько первых примеров показывать для каждого вида (0 — все)"),
    ) -> None:
        """Проверить набор данных: код 0, если ошибок нет; код 1 и все проблемы по видам — если есть."""
        from shnro_lib.io import DataError, load_dataset
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
