"""``shnro context DATA_DIR --year Y --csv FILE [--xlsx FILE]``: context of schools."""

from __future__ import annotations

from pathlib import Path

import typer

from shnro_lib.commands._common import IDS_HELP
from shnro_lib.labels import LABELS_RU

COLUMN_LABELS = {
    **LABELS_RU,
    # the context workbook's own wording where it says more than the shared header
    "residual_ci_low": "Нижняя граница ДИ отклонения",
    "residual_ci_high": "Верхняя граница ДИ отклонения",
    "reason": "Причина исключения",
}


def register(app: typer.Typer) -> None:
    @app.command("context")
    def context_cmd(
        data_dir: Path = typer.Argument(..., help="Папка с набором данных"),
        year: int = typer.Option(..., "--year", help="Год анализа"),
        csv: Path = typer.Option(..., "--csv", help="CSV-файл с таблицей контекста по школам"),
        xlsx: Path = typer.Option(
            None, "--xlsx", help="Книга Excel: контекст, профили кластеров, модель, похожие школы"
        ),
        config: Path = typer.Option(
            None,
            "--config",
            help="YAML с изменениями параметров: разделы по именам "
            "файлов parameters/, например «context: {similar: {k: 5}}»",
        ),
        method: str = typer.Option(None, "--method", help="Метод кластеризации: kmeans, ward, gmm"),
        ids: bool = typer.Option(False, "--ids", help=IDS_HELP),
    ) -> None:
        """Контекст школ: кластеры, ожидаемые результаты, резильентные и похожие школы."""
        import pandas as pd

        from shnro_lib.commands._common import (
            failure_exit,
            is_not_assessed,
            load_or_exit,
            not_assessed,
            overrides_with_option,
            run_stages,
            write_reader_csv,
        )
        from shnro_lib.context import load_context_config
        from shnro_lib.context.expected import MODEL_NAMES_RU
        from shnro_lib.outputs import write_workbook

        # «--method» is context.yaml's clustering.method, as a --config file would set it
        overrides = overrides_with_option(
            config, "context", "clustering", "method", method, load_context_config
        )
        ds = load_or_exit(data_dir, year)
        run = run_stages(ds, year, "lo_2018", overrides, ["context"], cluster_stability=True)
        exc = run.cause("context")
        if is_not_assessed(exc):
            # the table is still written: every school, with the reason in its row
            sch = ds.schools.drop_duplicates("school_id")[["school_id", "municipality"]].copy()
            sch["context_missing_reason"] = run.log.failures["context"]
            write_reader_csv(sch, csv, COLUMN_LABELS, ids)
            if xlsx is not None:  # a promised file is written too, with the same reason
                write_workbook(
                    {"Контекст": sch},
                    xlsx,
                    notes={"Контекст": f"Год {year}; {run.log.failures['context']}"},
                    column_labels=COLUMN_LABELS,
                )
            typer.echo(f"Таблица: {csv}" + (f"; книга: {xlsx}" if xlsx else ""))
            raise not_assessed(str(exc).removeprefix("не оценено: ")) from None
        if exc is not None:
            raise failure_exit(exc, "контекст", csv) from None
        rep = run.values["context"][year]
        tab = pd.DataFrame(rep.table)
        synthetic = ds.is_synthetic
        write_reader_csv(rep.table, csv, COLUMN_LABELS, ids)
        cl, em = rep.clusters, rep.model
        model_ru = MODEL_NAMES_RU.get(em.model_used, em.model_used)
        note = f"Год {year}; данные: {ds.fingerprint}" + ("; СИНТЕТИЧЕСКИЕ ДАННЫЕ" if synthetic else "")
        if xlsx is not None:
            model_note = f"{note}; модель: {model_ru}; R² контекста = {em.r2:.3f}" + (
                f"; {em.reason}" if em.reason else ""
            )
            params = em.params.drop(columns="feature") if "label" in em.params.columns else em.params
            write_workbook(
                {
                    "Контекст": rep.table,
                    "Профили кластеров": cl.profile,
                    "Не кластеризованы": rep.excluded,
                    "Похожие школы": rep.similar,
                    "Модель": params,
                },
                xlsx,
                notes={
                    "Контекст": note,
                    "Профили кластеров": f"{note}; метод {cl.method}, k = {cl.k}",
                    "Не кластеризованы": note,
                    "Похожие школы": note,
                    "Модель": model_note,
                },
                column_labels={**COLUMN_LABELS, **_profile_labels(cl.context.labels)},
            )
        st = cl.stability
        stab = (
            f"устойчивость ARI = {st['ari_mean']:.2f} [{st['ari_low']:.2f}; {st['ari_high']:.2f}]"
            if st["n_boot"]
            else "устойчивость не оценивалась (clustering.stability.n_boot = 0)"
        )
        typer.echo(f"Кластеры ({cl.method}, k = {cl.k}); {stab}")
        for _, r in cl.profile.iterrows():
            typer.echo(f"  {r['cluster']}. {r['cluster_name']} (школ: {r['n_schools']})")
        typer.echo(f"Модель ожидаемых результатов: {model_ru}, R² контекста = {em.r2:.3f}")
        if em.reason:
            typer.echo(f"  {em.reason}")
        typer.echo(
            f"Резильентных школ: {int(rep.table['resilient'].sum())}; ниже ожидаемого при благоприятном "
            f"контексте: {int(rep.table['underperforming_favourable'].sum())}; "
            f"исключено из-за пропусков: {len(rep.excluded)}"
        )
        for line in rep.coverage_ru():
            typer.echo(f"  {line}")
        if synthetic:
            typer.echo("СИНТЕТИЧЕСКИЕ ДАННЫЕ")
        typer.echo(f"Таблица: {csv}" + (f"; книга: {xlsx}" if xlsx else ""))
        n_model, n_all = int(tab["residual"].notna().sum()), len(tab)
        if n_model * 2 < n_all:
            raise not_assessed(
                f"ожидаемые результаты рассчитаны только для {n_model} из {n_all} школ "
                "(у остальных нет данных контекста или результатов)"
            )


def _profile_labels(features: dict[str, str]) -> dict[str, str]:
    """Headers of the cluster profile: each feature's mean in SD and in its own units."""
    out = {}
    for f, label in features.items():
        out[f"z_{f}"] = f"{label}: отклонение от среднего, SD"
        out[f"mean_{f}"] = f"{label}: среднее"
    return out
