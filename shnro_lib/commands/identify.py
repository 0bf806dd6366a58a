"""``shnro identify``: identification of ШНРО / ШНСУ into an Excel workbook (and CSV).

Exit codes: 0 — done; 1 — bad input (data, rule file, ``--config``); 3 — outputs written, but a
category could not be assessed for most schools (the headline says «не оценено: …» and why).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from shnro_lib.commands._common import IDS_HELP

EXIT_NOT_ASSESSED = 3
# a workbook of the country would have ~2 300 municipal tabs, which no one can page through (and
# which doubled its writing time); a region has at most ~130 municipalities
MAX_MUNICIPAL_SHEETS = 300


def _no_municipal_sheets_ru(n: int, limit: int) -> str:
    from shnro_lib.russian import fmt_int

    return (
        f"листы по муниципалитетам не созданы: муниципалитетов {fmt_int(n)}, больше "
        f"{fmt_int(limit)} — отфильтруйте этот лист по столбцу «Муниципалитет»"
    )


def register(app: typer.Typer) -> None:
    """Add the ``identify`` sub-command."""

    @app.command("identify")
    def identify(
        data_dir: Path = typer.Argument(..., help="Папка с набором данных"),
        year: int = typer.Option(..., "--year", help="Год идентификации (последний год окна)"),
        rules: str = typer.Option(
            "lo_2018", "--rules", help="Набор правил (имя в parameters/criteria) или путь к YAML"
        ),
        out: Path = typer.Option(..., "--out", help="Файл Excel (.xlsx)"),
        csv: Path = typer.Option(None, "--csv", help="Дополнительно: таблица по региону в CSV"),
        config: Path = typer.Option(
            None,
            "--config",
            help="YAML с изменёнными параметрами: разделы criteria (выбранный набор правил) и indices",
        ),
        sensitivity: bool = typer.Option(
            True,
            "--sensitivity/--no-sensitivity",
            help="Лист «Чувствительность»: списки при других наборах правил и выборах",
        ),
        ids: bool = typer.Option(False, "--ids", help=IDS_HELP),
        max_municipal_sheets: int = typer.Option(
            MAX_MUNICIPAL_SHEETS,
            "--max-municipal-sheets",
            help="Листы по муниципалитетам, только если муниципалитетов не больше этого числа "
            "(иначе лист «Регион» фильтруется по муниципалитету)",
        ),
    ) -> None:
        """Выявить ШНРО/ШНСУ и «зону риска»: лист по региону, по муниципалитетам, критерии, полнота данных,
        размер категорий и чувствительность. Код выхода 3 — результаты записаны, но категорию не удалось
        оценить для большинства школ."""

        from shnro_lib.commands._common import failure_exit, load_or_exit, run_stages, write_reader_csv
        from shnro_lib.identify import (
            RuleError,
            category_sizes,
            column_labels_ru,
            criteria_coverage,
            criteria_matrix_ru,
            criteria_table_ru,
            identification_headline,
            load_indices,
            load_rules,
            read_config,
            stability_section_content,
        )
        from shnro_lib.outputs import sheet_table, write_workbook
        from shnro_lib.settings import SettingsError

        try:
            override = read_config(config)
            r = load_rules(rules, override.get("criteria"))
            load_indices(None, override.get("indices"))
        except (RuleError, SettingsError, FileNotFoundError, ValueError) as exc:
            typer.echo(f"Ошибка: {exc}", err=True)
            raise typer.Exit(1) from None
        ds = load_or_exit(data_dir, year)
        # the batch's stages: the sheets of sensitivity and stability read the same identification
        run = run_stages(
            ds,
            year,
            rules,
            override,
            ["identify", "sensitivity", "ident_panel"] if sensitivity else ["identify"],
        )
        for stage in ("identify", "sensitivity", "ident_panel") if sensitivity else ("identify",):
            if run.cause(stage) is not None:
                raise failure_exit(run.cause(stage), "выявление", out)
        table = run.tables["identify"]
        synthetic = bool(getattr(ds, "metadata", {}).get("synthetic"))
        note = f"{r['title_ru']}; {year} г.; данные {ds.fingerprint}"
        if synthetic:
            note = "СИНТЕТИЧЕСКИЕ ДАННЫЕ. " + note
        labels = column_labels_ru(r)
        sheets: dict[str, Any] = {"Регион": table}
        notes = {"Регион": note}
        by_municipality = sorted(table.groupby("municipality").indices.items())
        if len(by_municipality) > max_municipal_sheets:
            notes["Регион"] = (
                note + "; " + _no_municipal_sheets_ru(len(by_municipality), max_municipal_sheets)
            )
            typer.echo("Примечание: " + _no_municipal_sheets_ru(len(by_municipality), max_municipal_sheets))
        else:
            # the municipal sheets are the region's rows: prepared once, cut per municipality
            schools = sheet_table(table.drop(columns="municipality"), labels)
            for m, rows in by_municipality:
                sheets[str(m)] = schools.rows(rows)
                notes[str(m)] = note
        sheets["Размер категорий"] = category_sizes(table, r)
        notes["Размер категорий"] = "Сколько школ в каждой категории против намеченного набором правил"
        sheets["Полнота данных"] = criteria_coverage(table).drop(columns="Код", errors="ignore")
        notes["Полнота данных"] = "По каждому критерию: сколько школ оценено, сколько нет и почему"
        remarks = list(table.attrs.get("notes", []))
        if remarks:
            sheets["Примечания"] = _frame({"Примечание": remarks})
            notes["Примечания"] = "Чего нет в данных и что из-за этого изменено"
        sheets["Матрица критериев"] = criteria_matrix_ru(table, r)
        notes["Матрица критериев"] = "✓ — критерий выполнен, ✗ — не выполнен, «—» — нет данных у школы"
        sheets["Критерии"] = _criteria_ru(criteria_table_ru(r), r)
        notes["Критерии"] = "Критерии и пороги набора правил «" + r["title_ru"] + "»"
        if sensitivity:
            sheets["Чувствительность"] = _rule_titles(run.tables["sensitivity"])
            notes["Чувствительность"] = (
                f"{'СИНТЕТИЧЕСКИЕ ДАННЫЕ. ' if synthetic else ''}Сколько школ и сколько "
                "общих с основным списком при другом выборе; κ — согласие Коэна"
            )
            sheets["Согласие наборов правил"] = _rule_titles(run.tables["sensitivity_kappa"])
            notes["Согласие наборов правил"] = "κ Коэна по признаку «ШНРО или нет» между наборами правил"
            panel = run.tables["ident_panel"]
            stab = stability_section_content(panel, year=year)
            notes["Устойчивость"] = f"{'СИНТЕТИЧЕСКИЕ ДАННЫЕ. ' if synthetic else ''}" + " ".join(
                stab["sentences"]
            )
            if stab["reason"]:
                sheets["Устойчивость"] = _frame({"Устойчивость списка": stab["sentences"]})
            else:
                sheets["Устойчивость"] = _stability_ru(stab["flip_rate"])
                sheets["Правило k из n"] = _persistence_ru(stab["persistence"])
                notes["Правило k из n"] = (
                    "Школа в списке, если отбиралась не менее k раз за n последних лет: "
                    "меньше мелькания ценой полноты"
                )
        write_workbook(sheets, out, notes=notes, column_labels=labels)
        if csv is not None:
            write_reader_csv(table, csv, labels, ids)
        prefix = "СИНТЕТИЧЕСКИЕ ДАННЫЕ. " if synthetic else ""
        typer.echo(prefix + "Итог: " + identification_headline(table, r))
        for remark in remarks:
            typer.echo(f"Примечание: {remark}")
        typer.echo(f"Записано: {out}")
        if table.attrs.get("unassessed"):
            raise typer.Exit(EXIT_NOT_ASSESSED)


def _criteria_ru(crit, r: dict):
    """The «Критерии» sheet without codes: the indicator by its Russian name (the vocabulary's, the
    data contract's, or the criterion's own short name)."""
    from shnro_lib.labels import LABELS_RU
    from shnro_lib.schema import TABLES

    contract = {c.name: c.label_ru for t in TABLES.values() for c in t.columns if c.label_ru}
    short = {c["indicator"]: c["short_ru"] for c in r["criteria"].values()}

    def title(ind: str) -> str:
        text = LABELS_RU.get(ind) or contract.get(ind) or short.get(ind) or ind
        return text[0].upper() + text[1:]

    return crit.drop(columns="Код", errors="ignore").assign(Показатель=crit["Показатель"].map(title))


def _rule_titles(df):
    """Rule sets by their Russian titles, not by file name (in cells and headers)."""
    import re

    from shnro_lib.identify import load_rules
    from shnro_lib.identify.rules import available_rules

    titles = {}
    for name in available_rules():
        try:
            titles[name] = load_rules(name)["title_ru"]
        except Exception:  # noqa: BLE001 - a broken rule file keeps its name; the command reports it elsewhere
            continue
    if not titles:
        return df
    pattern = re.compile(
        r"(?<![\w-])(" + "|".join(map(re.escape, sorted(titles, key=len, reverse=True))) + r")(?![\w-])"
    )

    def sub(v):
        return pattern.sub(lambda m: titles[m.group(1)], v) if isinstance(v, str) else v

    out = df.map(sub)
    out.columns = [sub(c) for c in out.columns]
    return out


def _frame(data: dict):
    import pandas as pd

    return pd.DataFrame(data)


def _stability_ru(fr):
    out = fr.assign(year=fr["year"].astype("string").fillna("все годы"))
    return out.rename(
        columns={
            "year": "Год",
            "listed": "В списке",
            "entered": "Вошли",
            "left": "Вышли",
            "turnover": "Смена списка",
            "reentered": "Вернулись",
            "flip_rate": "Вышли и вернулись (доля)",
        }
    )


def _persistence_ru(tr):
    return tr.rename(
        columns={
            "rule": "Правило",
            "listed": "В списке",
            "flip_rate": "Вышли и вернулись (доля)",
            "mean_turnover": "Смена списка",
            "recall": "Полнота",
            "precision": "Точность",
        }
    )
