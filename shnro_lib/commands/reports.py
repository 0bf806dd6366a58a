"""``shnro reports``: every municipal report, the regional report and the collection in one batch."""

from __future__ import annotations

import logging
import os
import shlex
import sys
from pathlib import Path

import typer


def resume_command(argv: list[str]) -> str:
    """The command that continues an interrupted batch: the same arguments, without ``--force``."""
    return "shnro " + shlex.join(a for a in argv[1:] if a != "--force")


def register(app: typer.Typer) -> None:
    """Add the ``reports`` command to the CLI."""

    @app.command("reports")
    def reports(
        data_dir: Path = typer.Argument(..., help="Папка с набором данных"),
        year: int = typer.Option(..., "--year", help="Отчётный год"),
        out: Path = typer.Option(..., "--out", help="Папка для отчётов"),
        workers: int = typer.Option(0, "--workers", help="Число параллельных процессов (0 — все ядра)"),
        municipality: list[str] = typer.Option(
            None, "--municipality", help="Построить только для этого муниципалитета (можно повторять)"
        ),
        rules: str = typer.Option("lo_2018", "--rules", help="Правила идентификации (parameters/criteria)"),
        config: Path = typer.Option(
            None, "--config", help="YAML с изменениями параметров: {имя файла: значения}"
        ),
        cache_dir: Path = typer.Option(None, "--cache-dir", help="Папка кэша (по умолчанию OUT/.cache)"),
        no_pdf: bool = typer.Option(False, "--no-pdf", help="Не печатать сборник в PDF"),
        no_school_pages: bool = typer.Option(False, "--no-school-pages", help="Не строить профили школ"),
        force: bool = typer.Option(
            False,
            "--force",
            help="Построить все отчёты заново (иначе готовые и актуальные берутся из прошлого запуска)",
        ),
        dask_scheduler: str = typer.Option(
            None,
            "--dask-scheduler",
            help="Выполнять тетради на кластере Dask: адрес планировщика (tcp://хост:8786) или local",
        ),
    ) -> None:
        """Построить все отчёты пакетом: муниципальные (HTML + Excel), региональный, сборник (HTML + PDF).

        Повторный запуск той же команды строит только недостающие и устаревшие отчёты;
        Ctrl+C (или SIGTERM) останавливает пакет, готовые отчёты сохраняются.
        """
        from shnro_lib.batch import BatchInterrupted, run_batch
        from shnro_lib.batch.process import FolderBusy, remove_temporary
        from shnro_lib.identify.models import read_config
        from shnro_lib.io import DataError
        from shnro_lib.settings import SettingsError

        try:
            # every parameter file plus `criteria` (the selected rule set), as `shnro identify --config`
            overrides = read_config(config)
        except (SettingsError, FileNotFoundError, ValueError) as exc:
            typer.echo(f"Ошибка: {exc}", err=True)
            raise typer.Exit(2) from None
        client = cluster = None
        interrupted: BatchInterrupted | None = None
        try:
            if dask_scheduler:
                from distributed import Client, LocalCluster

                if dask_scheduler == "local":
                    cluster = LocalCluster(
                        n_workers=workers or os.cpu_count() or 2,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=None,
                        silence_logs=logging.ERROR,
                    )
                    client = Client(cluster)
                else:
                    client = Client(dask_scheduler)
            result = run_batch(
                data_dir,
                year,
                out,
                rules=rules,
                municipalities=municipality or None,
                workers=workers or None,
                cache_dir=cache_dir,
                pdf=not no_pdf,
                force=force,
                executor=client,
                school_pages=not no_school_pages,
                overrides=overrides,
            )
        except BatchInterrupted as exc:
            interrupted = exc
        except DataError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from None
        except (ValueError, FileNotFoundError, FolderBusy) as exc:
            typer.echo(f"Ошибка: {exc}", err=True)
            raise typer.Exit(2) from None
        finally:
            if client is not None:
                client.close()
            if cluster is not None:
                cluster.close()
                if out.is_dir():  # the cluster's workers may have been stopped mid-write
                    remove_temporary(out.resolve())
        if interrupted is not None:
            typer.echo(interrupted.summary_ru(resume_command(sys.argv)), err=True)
            raise typer.Exit(interrupted.exit_code)
        typer.echo(result.summary_ru())
        typer.echo(f"Оглавление: {result.index_html}")
        if not result.ok:
            typer.echo(f"Не построено отчётов: {len(result.failed)} (см. {out / '_failed'})", err=True)
            raise typer.Exit(1)
