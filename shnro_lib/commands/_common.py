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


# «ran, but could not assess»: the command wrote its outputs (stating why), yet the main result is
# missing for most schools; distinct from 0 (assessed) and 1 (bad input or settings). See README.
EXIT_NOT_ASSESSED = 4


def not_assessed(reason: str) -> typer.Exit:
    """Print «не оценено: reason» and return the exit to raise (the outputs are already written)."""
    typer.echo(f"не оценено: {reason}")
    return typer.Exit(EXIT_NOT_ASSESSED)


def settings_override(config: Path | None, name: str) -> dict[str, Any]:
    """The user's ``--config`` section for ``parameters/<name>.yaml`` (exit 1 with a Russian message if
    invalid)."""
    from shnro_lib.settings import SettingsError, read_overrides

    try:
        return read_overrides(config).get(name, {})
    except (SettingsError, FileNotFoundError, ValueError) as exc:
        typer.echo(f"Ошибка: {exc}", err=True)
        raise typer.Exit(1) from None


def batch_overrides(config: Path | None) -> dict[str, Any]:
    """The user's whole ``--config`` as ``shnro reports`` reads it: every parameter file plus
    ``criteria`` (the selected rule set); exit 1 with a Russian message if invalid."""
    from shnro_lib.identify.models import read_config
    from shnro_lib.settings import SettingsError

    try:
        return read_config(config)
    except (SettingsError, FileNotFoundError, ValueError) as exc:
        typer.echo(f"Ошибка: {exc}", err=True)
        raise typer.Exit(1) from None


def overrides_with_option(
    config: Path | None, name: str, section: str, key: str, value: Any, validate: Any
) -> dict[str, Any]:
    """The user's ``--config`` with a command option set as ``<name>.yaml: section: key`` would set it
    (``value`` ``None``: the option was not given), validated by ``validate`` (exit 1 with its message)."""
    overrides = batch_overrides(config)
    if value is not None:
        part = dict(overrides.get(name) or {})
        part[section] = {**dict(part.get(section) or {}), key: value}
        overrides[name] = part
    try:
        validate(overrides.get(name) or None)
    except ValueError as exc:
        typer.echo(f"Ошибка: {exc}", err=True)
        raise typer.Exit(1) from None
    return overrides


def run_stages(
    ds: Any,
    year: int,
    rules: str,
    overrides: dict[str, Any],
    targets: list[str],
    cluster_stability: bool = False,
) -> Any:
    """The stages a command's files need, from the batch's stage graph (same functions, settings
    and overrides as ``shnro reports``); the libraries' warnings stay off the console."""
    from shnro_lib.pipeline.graph import run_graph

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_graph(ds, year, rules, overrides, targets=targets, cluster_stability=cluster_stability)


def is_not_assessed(exc: BaseException | None) -> bool:
    """Whether a stage's exception is the library's «cannot be assessed on these data» answer."""
    from shnro_lib.pipeline.log import not_assessed as stage_not_assessed

    return exc is not None and stage_not_assessed(exc)


def failure_exit(exc: BaseException, what: str, near: Path) -> typer.Exit:
    """A stage failed: the Russian message for the user, the technical detail in a log file.

    Our own errors are Russian and are shown as they are; any other message (a library's, in
    English) is replaced by a Russian sentence, and the traceback goes to ``<near>.log``.
    """
    import re
    import traceback

    from shnro_lib.outputs import atomic_write_text

    log = Path(near).with_suffix(".log")
    atomic_write_text(log, "".join(traceback.format_exception(exc)))
    text = str(exc)
    if not re.search("[а-яё]", text, re.IGNORECASE):
        text = f"расчёт не выполнен из-за внутренней ошибки ({type(exc).__name__})"
    typer.echo(f"Ошибка ({what}): {text}. Подробности: {log}", err=True)
    return typer.Exit(1)


IDS_HELP = "Записать CSV с машинными кодами столбцов и значений (для программ), а не с русскими заголовками"


def write_reader_csv(
    df: Any, path: Path, column_labels: dict[str, str] | None = None, ids: bool = False
) -> Path:
    """Write a command's CSV as a reader opens it (Russian headers, «да»/«нет», coded values in words,
    numbers rounded to 4 decimals), or with the library's ids when ``ids`` (``--ids``).

    A quantity of the vocabulary (:mod:`shnro_lib.vocabulary`) is headed by its one name whatever
    ``column_labels`` say: a command's CSV cannot name a quantity otherwise than the reports do.
    """
    from shnro_lib.outputs import write_csv
    from shnro_lib.readable import readable, rounded
    from shnro_lib.vocabulary import labels_ru

    if ids:
        return write_csv(df, path)
    labels = {**dict(column_labels or {}), **labels_ru()}
    return write_csv(rounded(readable(df, labels, drop_codes=False)), path)


def plain_lines(markdown: str) -> list[str]:
    """A Markdown method text as plain lines for an Excel sheet (no «##», «**» or backticks)."""
    import re

    out = []
    for line in markdown.splitlines():
        line = re.sub(r"^#+\s*", "", line).replace("**", "").replace("`", "")
        if re.fullmatch(r"\|?\s*:?-{3,}.*", line):  # a Markdown table rule «|---|---|»
            continue
        out.append(line)
    return out
