"""What every analysis command does first: load the data set or exit with a Russian message."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import typer


def load_or_exit(data_dir: Path, year: int | None = None) -> Any:
    """Load ``data_dir`` (exit 1 listing every problem when it is invalid); check that ``year`` is in it."""
    from shnro_lib.io import DataError, load_dataset

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = load_dataset(data_dir)
    except (DataError, FileNotFoundError, NotADirectoryError, ValueError) as exc:
        typer.echo(f"Ошибка: {exc}", err=True)
        raise typer.Exit(1) from None
    if year is not None and year not in ds.years:
        typer.echo(f"Ошибка: года {year} нет в данных (есть: {', '.join(map(str, ds.years))})", err=True)
        raise typer.Exit(1)
    return ds
