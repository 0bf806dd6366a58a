"""``shnro partners``: the «Список сетевого партнёрства» (ШНРО ↔ school-leader pairs) into CSV / Excel."""

from __future__ import annotations

from pathlib import Path

import typer

from shnro_lib.commands._common import IDS_HELP

CSV_COLUMNS = ["school_id", "leader_id", "context_distance", "result_gap", "distance_km", "reason"]


def register(app: typer.Typer) -> None:
    """Add the ``partners`` sub-command."""

    @app.command("partners")
    def partners(
        data_dir: Path = typer.Argument(..., help="Папка с набором данных"),
        year: int = typer.Option(..., "--year", help="Год идентификации"),
        csv: Path = typer.Option(..., "--csv", help="Файл CSV: одна строка на пару"),
        xlsx: Path = typer.Option(
            None, "--xlsx", help="Дополнительно: книга Excel «Список сетевого партнёрства»"
        ),
        rules: str = typer.Option("lo_2018", "--rules", help="Набор правил идентификации"),
        config: Path = typer.Option(
            None,
            "--config",
            help="YAML с изменениями параметров: разделы по именам "
            "файлов parameters/, например «partners: {leaders: {capacity: 3}}»",
        ),
        ids: bool = typer.Option(False, "--ids", help=IDS_HELP),
    ) -> None:
        """Подобрать каждой ШНРО школу-лидера (оптимальное распределение) и записать список пар."""
        import pandas as pd

        from shnro_lib import partners as pt
        from shnro_lib.commands._common import (
            batch_overrides,
            failure_exit,
            is_not_assessed,
            load_or_exit,
            not_assessed,
            plain_lines,
            run_stages,
            write_reader_csv,
        )
        from shnro_lib.outputs import write_workbook

        overrides = batch_overrides(config)
        try:
            cfg = pt.load_partners_config(overrides.get("partners") or {})
        except ValueError as exc:
            typer.echo(f"Ошибка: {exc}", err=True)
            raise typer.Exit(1) from None
        ds = load_or_exit(data_dir, year)
        # the batch's stages: the rule set with the user's criteria and indices, the context stage's model
        run = run_stages(ds, year, rules, overrides, ["partners"])
        exc = run.cause("partners")
        if is_not_assessed(exc):
            reason = (
                "школы-лидеры выбираются по результатам с учётом контекста, а контекст не оценён: "
                + str(exc).removeprefix("не оценено: ")
            )
            write_reader_csv(pd.DataFrame(columns=CSV_COLUMNS), csv, pt.COLUMN_LABELS_RU, ids)
            if xlsx is not None:  # a promised file is written too, with the same reason
                sheet = "Список сетевого партнёрства"
                write_workbook(
                    {sheet: pd.DataFrame({"Примечание": [f"не оценено: {reason}"]})},
                    xlsx,
                    notes={sheet: f"Список сетевого партнёрства; {year} г.; не оценено"},
                )
            typer.echo(f"Записано (пусто): {csv}" + (f", {xlsx}" if xlsx is not None else ""))
            raise not_assessed(reason) from None
        if exc is not None:
            raise failure_exit(exc, "сетевое партнёрство", csv) from None
        res = run.values["partners"]
        paired = res.paired
        extra = [c for c in paired.columns if c not in CSV_COLUMNS and c != "paired"]
        write_reader_csv(paired[CSV_COLUMNS + extra], csv, pt.COLUMN_LABELS_RU, ids)
        synthetic = bool(getattr(ds, "metadata", {}).get("synthetic"))
        prefix = "СИНТЕТИЧЕСКИЕ ДАННЫЕ. " if synthetic else ""
        if xlsx is not None:
            note = prefix + f"Список сетевого партнёрства; {year} г.; данные {ds.fingerprint}"
            sheets = {
                "Список сетевого партнёрства": paired.drop(columns="paired"),
                "Без пары": res.unpaired[
                    ["school_id", "school_name", "municipality", "category", "school_result_index", "reason"]
                ],
                "Школы-лидеры": res.leaders.rename(columns={"leader_id": "school_id"}),
                "Примечания": pd.DataFrame({"Примечание": res.notes or ["—"]}),
                "Методика": pd.DataFrame({"Методика": plain_lines(pt.partners_method_ru(cfg))}),
            }
            labels = dict(pt.COLUMN_LABELS_RU)
            labels.update(
                {
                    c: f"Отклонение от ожидаемого {c.split('_')[-1]}"
                    for c in res.leaders.columns
                    if c.startswith("residual_")
                }
            )
            write_workbook(sheets, xlsx, notes=dict.fromkeys(sheets, note), column_labels=labels)
        typer.echo(
            prefix + f"Пар: {len(paired)}; школ-лидеров: {len(res.leaders)}; без пары: {len(res.unpaired)}"
        )
        for _, r in res.unpaired.iterrows():
            typer.echo(f"Без пары: {r['school_id']} — {r['reason']}")
        for n in res.notes:
            typer.echo(f"Примечание: {n}")
        typer.echo(f"Записано: {csv}" + (f", {xlsx}" if xlsx is not None else ""))
        if len(res.unpaired) and not len(paired):
            raise not_assessed(
                f"ни одной пары не подобрано для {len(res.unpaired)} школ: "
                + str(res.unpaired["reason"].iloc[0]).rstrip(".")
            )
