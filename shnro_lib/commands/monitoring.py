"""``shnro monitoring``: annual monitoring indicators, target status and transitions into Excel."""

from __future__ import annotations

from pathlib import Path

import typer

# the monitoring table's columns that are an indicator's, not a school's (see the workbook's headers)
INDICATOR_COLUMNS = {"status_ru": "target_status_ru", "change": "value_change"}


def register(app: typer.Typer) -> None:
    """Add the ``monitoring`` sub-command."""

    @app.command("monitoring")
    def monitoring(
        data_dir: Path = typer.Argument(..., help="Папка с набором данных"),
        year: int = typer.Option(..., "--year", help="Год мониторинга (последний год таблиц)"),
        xlsx: Path = typer.Option(..., "--xlsx", help="Файл Excel (.xlsx)"),
        rules: str = typer.Option("lo_2018", "--rules", help="Набор правил идентификации"),
        config: Path = typer.Option(
            None,
            "--config",
            help="YAML с изменениями параметров: разделы по именам "
            "файлов parameters/, например «monitoring: {indicators: {...}}»",
        ),
        figure: Path = typer.Option(None, "--figure", help="Дополнительно: цветная сетка статусов (.png)"),
    ) -> None:
        """Мониторинг ШНРО/ШНСУ: показатели по региону и муниципалитетам, статус целей, переходы школ."""
        import pandas as pd

        from shnro_lib import monitoring as mon
        from shnro_lib.commands._common import (
            batch_overrides,
            failure_exit,
            load_or_exit,
            not_assessed,
            plain_lines,
            run_stages,
        )
        from shnro_lib.outputs import atomic_write, write_workbook
        from shnro_lib.vocabulary import name_ru

        overrides = batch_overrides(config)
        try:
            cfg = mon.load_monitoring_config(overrides.get("monitoring") or None)
        except ValueError as exc:
            typer.echo(f"Ошибка: {exc}", err=True)
            raise typer.Exit(1) from None
        ds = load_or_exit(data_dir, year)
        years = [y for y in ds.years if y <= year]
        targets = mon.targets_from_facts(ds.facts)
        # the batch's stages: the identification panel with the user's criteria and indices
        run = run_stages(ds, year, rules, overrides, ["monitoring", "trajectories"])
        for stage in ("ident_panel", "monitoring", "trajectories"):
            if run.cause(stage) is not None:
                raise failure_exit(run.cause(stage), "мониторинг", xlsx) from None
        ident, table = run.values["ident_panel"], run.values["monitoring"]
        synthetic = ds.is_synthetic
        place = ds.facts.region or ds.facts.name
        note = f"Мониторинг ШНРО/ШНСУ{f' — {place}' if place else ''}; {year} г.; данные {ds.fingerprint}"
        if targets is None:
            note += "; цели не заданы в dataset.yaml — статус не оценивается"
        if synthetic:
            note = "СИНТЕТИЧЕСКИЕ ДАННЫЕ. " + note
        region = mon.monitoring_wide(table)
        # an indicator's state against its target and its change are not a school's status or the
        # change of its category: ids of their own, so no header of the vocabulary's quantities
        shown = table.rename(columns=INDICATOR_COLUMNS)
        cur = shown[shown["year"] == year].drop(columns=["status"])
        grid = cur.pivot(index="municipality", columns="title_ru", values="target_status_ru")
        region_label = str(cfg.region_label)
        grid = grid.reindex([region_label] + sorted(m for m in grid.index if m != region_label)).reset_index()
        trajectories = run.values["trajectories"].copy()
        names = ds.schools.drop_duplicates("school_id").set_index("school_id")["name"]
        trajectories.insert(1, "name", trajectories["school_id"].map(names))
        traj_labels = {
            "status_ru": name_ru("status_ru"),
            "status": f"{name_ru('status_ru')} (код)",
            "target_status_ru": "Выполнение цели",
            "value_change": mon.COLUMN_LABELS_RU["change"],
        }
        sheets = {
            "Регион по годам": region,
            f"Показатели {year}": cur,
            "Статус целей": grid,
            "Все годы": shown.drop(columns=["status"]),
            "Траектории школ": trajectories,
        }
        notes = dict.fromkeys(sheets, note)
        if len(years) > 1:
            tm = mon.transition_matrix(ident, years[-2], year, cfg).reset_index()
            sheets["Переходы"] = tm
            notes["Переходы"] = note + f". Строки — категория {years[-2]} г., столбцы — {year} г."
        defs = mon.monitoring_method_ru(cfg, targets)
        sheets["Методика"] = pd.DataFrame({"Методика": plain_lines(defs)})
        notes["Методика"] = note
        labels = {**mon.COLUMN_LABELS_RU, **traj_labels}
        write_workbook(sheets, xlsx, notes=notes, column_labels=labels)
        if figure is not None:
            import matplotlib

            matplotlib.use("Agg")
            fig = mon.plot_status_grid(table, year, config=cfg, synthetic=synthetic)
            atomic_write(figure, lambda p: fig.savefig(p, dpi=120, bbox_inches="tight", format="png"))
        reg = table[(table["level"] == "регион") & (table["year"] == year)]
        prefix = "СИНТЕТИЧЕСКИЕ ДАННЫЕ. " if synthetic else ""
        counts = reg["status_ru"].value_counts().sort_index()
        n_value = int(reg["value"].notna().sum())
        typer.echo(
            prefix
            + f"Показателей: {len(reg)}; рассчитано по региону: {n_value}; статус: "
            + ", ".join(f"{k} — {v}" for k, v in counts.items())
        )
        for _, r in reg[reg["value"].isna()].iterrows():
            typer.echo(f"  «{r['title_ru']}»: — ({r['note'] or r['status_ru']})")
        if targets is None:
            typer.echo(
                "Цели не заданы в dataset.yaml набора данных: статус относительно целей не оценивается."
            )
        typer.echo(f"Записано: {xlsx}")
        head = reg[reg["indicator"] == "shnro_share"]
        if n_value == 0:
            raise not_assessed(f"ни один показатель мониторинга за {year} г. не рассчитан")
        if len(head) and head["value"].isna().all():
            raise not_assessed(
                f"доля ШНРО за {year} г.: {head['note'].iloc[0] or 'категории школ не определены'}"
            )
