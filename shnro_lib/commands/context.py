"""``shnro context DATA_DIR --year Y --csv FILE [--xlsx FILE]``: context of schools."""

from __future__ import annotations

from pathlib import Path

import typer

from shnro_lib.labels import LABELS_RU

COLUMN_LABELS = {
    **LABELS_RU,
    # the context workbook's own wording where it says more than the shared header
    "residual_ci_low": "Нижняя граница ДИ отклонения", "residual_ci_high": "Верхняя граница ДИ отклонения",
    "reason": "Причина исключения",
}


def register(app: typer.Typer) -> None:
    @app.command("context")
    def context_cmd(
        data_dir: Path = typer.Argument(..., help="Папка с набором данных"),
        year: int = typer.Option(..., "--year", help="Год анализа"),
        csv: Path = typer.Option(..., "--csv", help="CSV-файл с таблицей контекста по школам"),
        xlsx: Path = typer.Option(None, "--xlsx", help="Книга Excel: контекст, профили кластеров, модель, похожие школы"),
        config: Path = typer.Option(None, "--config", help="YAML с параметрами контекста (по умолчанию parameters/context.yaml)"),
        method: str = typer.Option(None, "--method", help="Метод кластеризации: kmeans, ward, gmm"),
    ) -> None:
        """Контекст школ: кластеры, ожидаемые результаты, резильентные и похожие школы."""
        from shnro_lib.context import context_analysis
        from shnro_lib.io import DataError, load_dataset
        from shnro_lib.outputs import write_csv, write_workbook

        try:
            ds = load_dataset(data_dir)
            rep = context_analysis(ds, year, config, method=method)
        except DataError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from None
        except (FileNotFoundError, ValueError) as exc:
            typer.echo(f"Ошибка: {exc}", err=True)
            raise typer.Exit(1) from None
        synthetic = bool((getattr(ds, "metadata", None) or {}).get("synthetic", False))
        if not synthetic and ds.path is not None and (Path(ds.path) / "dataset.yaml").exists():
            from shnro_lib.config import load_yaml

            synthetic = bool((load_yaml(Path(ds.path) / "dataset.yaml") or {}).get("synthetic", False))
        write_csv(rep.table.rename(columns=COLUMN_LABELS), csv)
        cl, em = rep.clusters, rep.model
        note = f"Год {year}; данные: {ds.fingerprint}" + ("; СИНТЕТИЧЕСКИЕ ДАННЫЕ" if synthetic else "")
        if xlsx is not None:
            model_note = (f"{note}; модель: {em.model_used}; R² контекста = {em.r2:.3f}"
                          + (f"; {em.reason}" if em.reason else ""))
            write_workbook({
                "Контекст": rep.table,
                "Профили кластеров": cl.profile,
                "Не кластеризованы": rep.excluded,
                "Похожие школы": rep.similar,
                "Модель": em.params,
            }, xlsx, notes={"Контекст": note, "Профили кластеров": f"{note}; метод {cl.method}, k = {cl.k}",
                             "Не кластеризованы": note, "Похожие школы": note, "Модель": model_note},
                column_labels=COLUMN_LABELS)
        st = cl.stability
        typer.echo(f"Кластеры ({cl.method}, k = {cl.k}); устойчивость ARI = {st['ari_mean']:.2f} "
                   f"[{st['ari_low']:.2f}; {st['ari_high']:.2f}]")
        for _, r in cl.profile.iterrows():
            typer.echo(f"  {r['cluster']}. {r['cluster_name']} (школ: {r['n_schools']})")
        typer.echo(f"Модель ожидаемых результатов: {em.model_used}, R² контекста = {em.r2:.3f}")
        if em.reason:
            typer.echo(f"  {em.reason}")
        typer.echo(f"Резильентных школ: {int(rep.table['resilient'].sum())}; ниже ожидаемого при благоприятном "
                   f"контексте: {int(rep.table['underperforming_favourable'].sum())}; "
                   f"исключено из-за пропусков: {len(rep.excluded)}")
        for n in cl.context.notes:
            typer.echo(f"  {n}")
        if synthetic:
            typer.echo("СИНТЕТИЧЕСКИЕ ДАННЫЕ")
        typer.echo(f"Таблица: {csv}" + (f"; книга: {xlsx}" if xlsx else ""))
