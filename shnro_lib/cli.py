"""Command line: ``shnro COMMAND ...`` (also ``python -m shnro_lib``).

Each analysis registers its own sub-command from a module in
:mod:`shnro_lib.commands` (``register(app)``); the list below names them all, so a
reader (or a tool) can follow every command to its code.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from shnro_lib.commands import (
    context,
    costs,
    effects,
    identify,
    import_,
    monitoring,
    partners,
    reports,
    revisions,
    validate,
)
from shnro_lib.commands.guard import GuardedGroup

COMMAND_MODULES = (
    validate,
    identify,
    context,
    effects,
    costs,
    monitoring,
    partners,
    revisions,
    reports,
    import_,
)

app = typer.Typer(
    cls=GuardedGroup,
    pretty_exceptions_enable=False,
    add_completion=False,
    no_args_is_help=True,
    help="shnro: идентификация ШНРО/ШНСУ, контекст, эффекты программ и отчёты.",
)


@app.command("demo-data")
def demo_data(
    out_dir: Path = typer.Argument(..., help="Папка для синтетического набора данных"),
    seed: int = typer.Option(0, help="Зерно генератора случайных чисел"),
    scale: str = typer.Option("region", help="Масштаб: region (одна область) или national (вся страна)"),
    n_schools: int = typer.Option(0, help="Число школ (0 — по умолчанию из parameters/demo.yaml)"),
    municipalities: int = typer.Option(
        None,
        "--municipalities",
        help="Регион любого размера: число "
        "муниципалитетов (первые 18 — Ленинградской области, дальше синтетические)",
    ),
    schools: int = typer.Option(
        None,
        "--schools",
        help="Регион любого размера: примерное число школ всего (не меньше 4 на муниципалитет)",
    ),
    exports: bool = typer.Option(
        False, "--exports", help="Ещё и широкие выгрузки ЕГЭ/ОГЭ/ВПР в папку exports_<имя>"
    ),
    programme_profile: str = typer.Option(
        None,
        "--programme-profile",
        help="План программы поддержки из "
        "parameters/demo.yaml (programme.profiles): single_clean, staggered, "
        "fuzzy; по умолчанию — две волны, отбор по среднему за два года",
    ),
) -> None:
    """Сгенерировать синтетический демонстрационный регион (СИНТЕТИЧЕСКИЕ ДАННЫЕ)."""
    if programme_profile is not None and scale != "region":
        typer.echo("План программы (--programme-profile) задаётся только для --scale region", err=True)
        raise typer.Exit(2)
    if (municipalities is not None or schools is not None) and scale != "region":
        typer.echo(
            "Размер региона (--municipalities, --schools) задаётся только для --scale region", err=True
        )
        raise typer.Exit(2)
    if schools is not None and n_schools:
        typer.echo("Число школ задаётся один раз: --schools или --n-schools", err=True)
        raise typer.Exit(2)
    if scale == "region":
        from shnro_lib.demo import generate_demo
        from shnro_lib.demo.sizes import region_size_problems

        problems = region_size_problems(municipalities, schools)
        if problems:
            typer.echo("\n".join(f"Ошибка: {p}" for p in problems), err=True)
            raise typer.Exit(2)
        try:
            out = generate_demo(
                out_dir,
                seed=seed,
                n_schools=schools or n_schools or None,
                programme_profile=programme_profile,
                n_municipalities=municipalities,
            )
        except ValueError as exc:  # an unknown programme profile: the message names the known ones
            typer.echo(f"Ошибка: {exc}", err=True)
            raise typer.Exit(2) from None
    elif scale == "national":
        from shnro_lib.demo.national import generate_national

        out = generate_national(out_dir, seed=seed)
    else:
        typer.echo(f"Неизвестный масштаб «{scale}»: допустимы region, national", err=True)
        raise typer.Exit(2)
    typer.echo(
        f"Синтетические данные: {out.n_schools} школ, {out.n_result_rows} строк результатов -> {out.data_dir}"
    )
    typer.echo(f"Заложенная «истина» (библиотека её не читает): {out.truth_dir}")
    if exports and scale != "region":
        typer.echo("Выгрузки (--exports) строятся только для --scale region", err=True)
    elif exports:
        from shnro_lib.importer.exports import generate_exports

        ex = generate_exports(out.data_dir, out.data_dir.parent / f"exports_{out.data_dir.name}", seed=seed)
        typer.echo("Выгрузки для «shnro import»: " + ", ".join(str(p) for p in ex.files.values()))


def _register_commands() -> None:
    for module in COMMAND_MODULES:
        module.register(app)


_register_commands()


def main() -> None:
    """Entry point of the ``shnro`` console script."""
    app(prog_name="shnro")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
