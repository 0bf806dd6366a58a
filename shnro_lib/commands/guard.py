"""The command group that keeps Python text off the console.

A command reports the failures it expects (bad data, settings) in Russian itself. Anything else
is a defect of the workbook: the user sees one Russian sentence naming the log file, and the
traceback goes to that file, next to the command's output when the command names one.
"""

from __future__ import annotations

import traceback
import warnings
from pathlib import Path

import click
import typer
from typer.core import TyperGroup
from typer.exceptions import TyperException

# what the command line itself reports (usage errors, a requested exit, Ctrl+C): typer carries its
# own copy of click, so both families are named
CLI_OUTCOMES = (
    typer.Exit,
    typer.Abort,
    TyperException,
    click.ClickException,
    click.exceptions.Exit,
    click.exceptions.Abort,
)

OUTPUT_OPTIONS = ("--out", "--csv", "--xlsx")
CRASH_LOG_NAME = "shnro_ошибка.log"
WARNINGS_LOG_NAME = "shnro_предупреждения.log"
INTERNAL_ERROR_EXIT = 1


def crash_log_path(args: list[str]) -> Path:
    """Where the traceback of an unexpected failure goes: beside the first output the command
    line names (``--out``, ``--csv``, ``--xlsx``), else the current folder."""
    for i, arg in enumerate(args):
        for option in OUTPUT_OPTIONS:
            value = arg.split("=", 1)[1] if arg.startswith(option + "=") else None
            if arg == option and i + 1 < len(args):
                value = args[i + 1]
            if value:
                out = Path(value)
                folder = out if option == "--out" and not out.suffix else out.parent
                return folder / CRASH_LOG_NAME
    return Path.cwd() / CRASH_LOG_NAME


class GuardedGroup(TyperGroup):
    """A :class:`typer.core.TyperGroup` whose commands never print a traceback."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["shnro_args"] = list(args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context):
        # Python warnings (numpy, statsmodels: English text) go to a log file, not to the console
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")
            try:
                return self._invoke(ctx)
            finally:
                _write_warnings(caught, ctx.meta.get("shnro_args", []))

    def _invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except CLI_OUTCOMES:
            raise
        except Exception as exc:  # noqa: BLE001 - the one place that turns a defect into a message
            log = crash_log_path(ctx.meta.get("shnro_args", []))
            try:
                log.parent.mkdir(parents=True, exist_ok=True)
                log.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
                where = f"подробности для разработчиков — в файле {log}"
            except OSError:
                where = "подробности записать не удалось"
            typer.echo(f"Ошибка: команда не выполнена из-за внутренней ошибки программы; {where}.", err=True)
            raise typer.Exit(INTERNAL_ERROR_EXIT) from None


def _write_warnings(caught: list[warnings.WarningMessage], args: list[str]) -> None:
    """The Python warnings a command raised, for developers, beside its output (never on the console)."""
    if not caught:
        return
    log = crash_log_path(args).with_name(WARNINGS_LOG_NAME)
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("w", encoding="utf-8") as fh:
            for w in caught:
                fh.write(warnings.formatwarning(w.message, w.category, w.filename, w.lineno, w.line))
    except OSError:
        pass
