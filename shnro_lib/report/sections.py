"""The municipal report's sections: each returns a :class:`~shnro_lib.report.content.Section`
(tables, figures, short computed sentences); the narrative and the order live in
``notebooks/municipal_report.ipynb``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from shnro_lib.bands import band_legend_ru
from shnro_lib.facts.select import level_row, region_facts_now, with_facts
from shnro_lib.labels import money_labels
from shnro_lib.outputs import school_page_paths
from shnro_lib.report.content import Section, cards, figure, heading, links, note, table, text, unavailable
from shnro_lib.report.figures import costs_figure, distribution_figure, similar_schools_figure
from shnro_lib.report.figures import pyplot_styled as _plt
from shnro_lib.report.format import fmt_int, fmt_num, isna, procedure_order, suppress_small
from shnro_lib.report.helpers import (
    criterion_labels,
    criterion_titles,
    flagged_mask,
    has_rows,
    municipal_index,
    municipality_table,
    with_names,
)
from shnro_lib.report.helpers import dpi as _dpi
from shnro_lib.report.helpers import max_rows as _rows
from shnro_lib.report.helpers import min_n as _min_n
from shnro_lib.report.helpers import names as _names
from shnro_lib.report.helpers import size as _size
from shnro_lib.vocabulary import name_ru


def check_municipality(region: Any, municipality: str) -> None:
    """Raise (Russian message) when the municipality is not in the data: the notebook stops there."""
    if municipality not in region.municipalities:
        raise ValueError(f"Муниципалитет «{municipality}» не найден в данных")


def subtitle(region: Any, municipality: str | None = None) -> Section:
    """One sentence under the title: the source and the data years."""
    ds_name = region.meta.get("dataset_name") or "набор данных"
    years = ", ".join(map(str, region.meta.get("years", [])))
    if municipality is None:
        return Section(
            [
                text(
                    f"Сравнение {len(region.municipalities)} муниципальных образований. Источник: "
                    f"{ds_name}; годы данных: {years}."
                )
            ]
        )
    return Section(
        [
            text(
                f"Муниципальный отчёт по программе поддержки ШНРО и ШНСУ. Источник: {ds_name}; "
                f"годы данных: {years}."
            )
        ]
    )


def summary_section(region: Any, municipality: str) -> Section:
    """Key figures of a municipality for the report year on one screen."""
    year = region.year
    sch = region.table("schools")
    ids = set(region.school_ids(municipality))
    idx, part = municipal_index(region, municipality, year)
    reg_tab = municipality_table(region).sort_values("mean_index", ascending=False).reset_index(drop=True)
    rank = reg_tab.index[reg_tab["municipality"] == municipality]
    rank_txt = f"место {int(rank[0]) + 1} из {len(reg_tab)} по региону" if len(rank) else ""
    # the counts of schools are the municipality and region facts' own
    mine, whole = level_row(region, municipality), level_row(region)
    n_mine = mine["schools"] if mine is not None else len(ids)
    n_all = whole["schools"] if whole is not None else len(sch)
    items = [
        (fmt_int(n_mine), "школ в муниципалитете", f"из {fmt_int(n_all)} в регионе"),
        (
            fmt_int(part),
            f"участников оценочных процедур в {year} г.",
            "сумма по процедурам и предметам"
            if part is not None
            else "не указано: в данных нет числа участников",
        ),
        (fmt_num(idx, 2, signed=True), "средний индекс результатов", rank_txt + "; 0 — среднее по региону"),
    ]
    reasons = []
    if region.ok("identify"):
        now = region_facts_now(region, municipality)
        fl = flagged_mask(now["category"])
        counts = now.loc[fl.to_numpy(), "category"].astype(str).value_counts()
        sub = ", ".join(f"{k}: {v}" for k, v in counts.items()) or "нет выявленных школ"
        n_flagged = int(mine["schools_listed"] + mine["schools_risk"]) if mine is not None else int(fl.sum())
        items.append((fmt_int(n_flagged), "выявленных школ (ШНРО/ШНСУ/риск)", sub))
        if mine is not None and int(mine["schools_not_assessed"]):
            items.append(
                (fmt_int(mine["schools_not_assessed"]), "школ не оценено", "категория не определена")
            )
    else:
        reasons.append(f"выявление школ — {region.reason('identify')}")
    if region.ok("context"):
        ctx = region.for_municipality("context", municipality)
        if "resilient" in ctx.columns:
            items.append(
                (
                    fmt_int(int(ctx["resilient"].fillna(False).astype(bool).sum())),
                    "резильентных школ",
                    "результаты выше ожидаемых по контексту",
                )
            )
    else:
        reasons.append(f"контекст — {region.reason('context')}")
    prog = region.table("programme")
    if prog is not None and "in_programme" in prog.columns:
        sub = prog[(prog["year"] == year) & prog["school_id"].astype(str).isin(ids)]
        items.append(
            (
                fmt_int(int(sub["in_programme"].fillna(False).astype(bool).sum())),
                f"школ в программе поддержки в {year} г.",
                "",
            )
        )
    parts = [cards(items)]
    if reasons:
        parts.append(note("Пока недоступно: " + "; ".join(reasons) + ".", "warn"))
    return Section(parts)


def _weighted_share(values: pd.Series, weights: pd.Series) -> float:
    """Participant-weighted mean over the schools that report the value; NaN («—») when none does
    (a procedure without a «low result» threshold must not read as 0 %)."""
    v, w = values.astype(float), weights.astype(float)
    ok = v.notna() & w.notna() & (w > 0)
    return float(np.average(v[ok], weights=w[ok])) if ok.any() else np.nan


def overview_section(region: Any, municipality: str) -> Section:
    """Schools, participation and score distributions per procedure and year."""
    year = region.year
    min_n = _min_n(region)
    parts = []
    sch = region.for_municipality("schools", municipality)
    parts.append(heading("Школы"))
    if has_rows(sch):
        if "school_type" in sch.columns and "locality_type" in sch.columns:
            ct = pd.crosstab(sch["school_type"].fillna("не указан"), sch["locality_type"].fillna("не указан"))
            ct = ct.reset_index().rename(columns={"school_type": "Тип ОО"})
            ct.columns = [str(c) for c in ct.columns]
            parts.append(table(ct, caption="Школы по типу и типу населённого пункта"))
        cols = [
            c for c in ["school_id", "name", "locality", "locality_type", "school_type"] if c in sch.columns
        ]
        parts.append(table(sch[cols], caption="Список школ", max_rows=_rows(region)))
    else:
        parts.append(note("В таблице школ нет школ этого муниципалитета."))

    parts.append(heading("Участие в оценочных процедурах"))
    part = region.for_municipality("participation", municipality)
    if has_rows(part):
        piv = part.pivot_table(
            index="procedure",
            columns="year",
            values="participants",
            dropna=False,
            aggfunc=lambda s: s.sum(min_count=1),
        )
        piv_s = part.pivot_table(index="procedure", columns="year", values="schools", aggfunc="sum")
        procs = procedure_order(piv.index)
        disp = pd.DataFrame({"procedure": procs})
        for y in piv.columns:
            disp[str(int(y))] = [
                f"{fmt_int(piv.loc[p, y])} уч. / {fmt_int(piv_s.loc[p, y])} шк."
                if not (isna(piv.loc[p, y]) and isna(piv_s.loc[p, y]))
                else "—"
                for p in procs
            ]
        parts.append(
            table(
                disp,
                caption="Число участников и школ по процедурам и годам",
                note="«—» — процедура в этом году не проводилась или данных нет "
                "(например, ОГЭ 2020 г. отменён).",
            )
        )
    else:
        parts.append(note("Нет результатов оценочных процедур по школам муниципалитета."))

    parts.append(heading("Распределение результатов школ"))
    ss = region.table("school_scores")
    if has_rows(ss):
        parts.append(distribution_figure(region, ss, municipality))
        rows = []
        for p in procedure_order(ss["procedure"]):
            for y in sorted(int(v) for v in ss.loc[ss["procedure"] == p, "year"].unique()):
                reg = ss[(ss["procedure"] == p) & (ss["year"] == y)]
                mun = reg[reg["municipality"] == municipality]
                rows.append(
                    {
                        "procedure": p,
                        "year": y,
                        "schools": len(mun),
                        "participants": mun["participants"].astype(float).sum(min_count=1),
                        "median_pct": mun["pct"].median() if len(mun) else np.nan,
                        "region_median_pct": reg["pct"].median(),
                        "share_low": _weighted_share(mun["share_low"], mun["participants"]),
                        "region_share_low": _weighted_share(reg["share_low"], reg["participants"]),
                    }
                )
        t = pd.DataFrame(rows)
        t["year"] = t["year"].astype("Int64")
        t["schools"] = t["schools"].astype("Int64")
        t["participants"] = t["participants"].round().astype("Int64")
        t = suppress_small(t, "participants", ["median_pct", "share_low"], min_n)
        parts.append(
            table(
                t,
                labels={
                    "median_pct": "Медиана школ, % от максимума",
                    "region_median_pct": "Медиана по региону, %",
                    "share_low": "Доля низких результатов",
                    "region_share_low": "Регион: доля низких",
                },
                caption="Результаты школ по процедурам и годам",
            )
        )
    sub = region.for_municipality("subject_scores", municipality)
    if has_rows(sub):
        cur = sub[sub["year"] == year].copy()
        if len(cur):
            cur["diff_pct"] = cur["pct"] - cur["region_pct"]
            cur = cur.sort_values(
                ["procedure", "grade", "subject"],
                key=lambda s: (
                    s.map({p: i for i, p in enumerate(procedure_order(cur["procedure"]))})
                    if s.name == "procedure"
                    else s
                ),
            )
            cols = [
                "procedure",
                "subject",
                "grade",
                "participants",
                "pct",
                "region_pct",
                "diff_pct",
                "share_low",
            ]
            t = suppress_small(
                cur[cols].reset_index(drop=True), "participants", ["pct", "diff_pct", "share_low"], min_n
            )
            parts.append(
                table(
                    t,
                    caption=f"Результаты по предметам в {year} г. в сравнении с регионом",
                    formats={
                        "pct": lambda v: fmt_num(v, 1),
                        "region_pct": lambda v: fmt_num(v, 1),
                        "diff_pct": lambda v: fmt_num(v, 1, signed=True),
                    },
                )
            )
    return Section(parts)


def identified_section(region: Any, municipality: str) -> Section:
    """Identified schools of the municipality with the reasons (criteria) of each flag."""
    if not region.ok("identify"):
        return Section([unavailable(region.reason("identify"))])
    now = region_facts_now(region, municipality)
    ident = with_names(region, with_facts(region.for_municipality("identify", municipality), now))
    parts = []
    method = region.meta.get("rules", "")
    parts.append(text(f"Правила идентификации: {method} (подробнее — в приложении А)."))
    if "category" in ident.columns and len(ident):
        counts = (
            ident["category"]
            .astype("string")
            .fillna("не определена")
            .value_counts()
            .rename_axis("category")
            .reset_index(name="schools")
        )
        counts["schools"] = counts["schools"].astype("Int64")
        parts.append(table(counts, caption="Школы по категориям"))
        fl = ident.loc[flagged_mask(ident["category"]).to_numpy()]
    else:
        fl = ident
    cols = [
        c
        for c in [
            "school_id",
            "name",
            "category",
            "result_index",
            "result_index_se",
            "shrunken_index",
            "p_bottom_quartile",
            "social_wellbeing_index",
            "explanation",
        ]
        if c in fl.columns
    ]
    if len(fl):
        rule_labels = criterion_labels(region.meta.get("rules", "lo_2018"))
        parts.append(
            table(fl[cols].reset_index(drop=True), rule_labels, caption="Выявленные школы и основания")
        )
        crit = [c for c in fl.columns if c.startswith("crit_")]
        if crit:
            titles = criterion_titles(region.meta.get("rules", "lo_2018"), crit)
            short = {c: f"К{i}" for i, c in enumerate(crit, start=1)}
            legend = "; ".join(f"{short[c]} — {titles[c]}" for c in crit)
            parts.append(
                table(
                    fl[["school_id", "name", *crit]].reset_index(drop=True),
                    caption="Выполнение отдельных критериев (да — выполнен, нет — не выполнен, "
                    "«—» — нет данных для проверки)",
                    labels=short,
                    note=legend,
                )
            )
    else:
        parts.append(note("В муниципалитете нет школ, отнесённых к ШНРО, ШНСУ или зоне риска."))
    if region.ok("identification_changes"):
        ch = region.for_municipality("identification_changes", municipality)
        if has_rows(ch):
            ch = ch.drop(columns=[c for c in ("municipality",) if c in ch.columns])
            parts.append(
                table(
                    with_names(region, ch),
                    caption="Изменения по сравнению с прошлым годом",
                    max_rows=_rows(region),
                )
            )
    return Section(parts)


def _band_note(region: Any) -> str:
    from shnro_lib.context.features import load_context_config

    over = (region.meta.get("overrides") or {}).get("context")
    return band_legend_ru(float(load_context_config(over)["bands"]["strong_sd"]))


def context_section(region: Any, municipality: str) -> Section:
    """Context clusters, expected results, residuals, resilient and similar schools."""
    if not region.ok("context"):
        return Section([unavailable(region.reason("context"))])
    ctx_all = region.table("context")
    ctx = with_names(
        region,
        with_facts(region.for_municipality("context", municipality), region_facts_now(region, municipality)),
    )
    parts = []
    if {"context_index", "expected_result", "residual"} <= set(ctx_all.columns):
        plt = _plt()
        w, h = _size(region)
        fig, ax = plt.subplots(figsize=(w, h + 0.6))
        actual = ctx_all["expected_result"].astype(float) + ctx_all["residual"].astype(float)
        ax.scatter(ctx_all["context_index"], actual, s=9, color="#b8c3d1", label="школы региона")
        ids = set(region.school_ids(municipality))
        m = ctx_all["school_id"].astype(str).isin(ids).to_numpy()
        ax.scatter(
            ctx_all.loc[m, "context_index"], actual[m], s=22, color="#1f5f99", label="школы муниципалитета"
        )
        order = np.argsort(ctx_all["context_index"].to_numpy(dtype=float))
        ax.plot(
            ctx_all["context_index"].to_numpy(dtype=float)[order],
            ctx_all["expected_result"].to_numpy(dtype=float)[order],
            color="#c05020",
            lw=1,
            label="ожидаемый",
        )
        ax.set_xlabel("Индекс социального контекста")
        ax.set_ylabel("Индекс результатов")
        ax.legend(fontsize=7)
        fig.tight_layout()
        parts.append(
            figure(
                fig,
                "Результаты школ в зависимости от социального контекста",
                "Фактический и ожидаемый по контексту результат школ.",
                region.synthetic,
                _dpi(region),
            )
        )
    cols = [
        c
        for c in [
            "school_id",
            "name",
            "cluster_name",
            "context_index",
            "expected_result",
            "residual",
            "residual_ci_low",
            "residual_ci_high",
            "residual_band",
            "resilient",
        ]
        if c in ctx.columns
    ]
    parts.append(
        table(
            ctx[cols],
            caption="Положение школ относительно ожидаемого по контексту",
            max_rows=_rows(region),
            note=_band_note(region),
        )
    )
    if region.ok("similar"):
        parts.append(similar_schools_figure(region, municipality))
        sim = region.for_municipality("similar", municipality)
        if has_rows(sim):
            sim = with_names(region, sim)
            sim.insert(
                sim.columns.get_loc("similar_id") + 1,
                "similar_name",
                sim["similar_id"].astype(str).map(_names(region)),
            )
            parts.append(table(sim, caption="Похожие по контексту школы региона", max_rows=_rows(region)))
    else:
        parts.append(unavailable(f"похожие школы — {region.reason('similar')}"))
    return Section(parts)


def dynamics_section(region: Any, municipality: str) -> Section:
    """The municipality's mean result index and its schools' indices over the years."""
    ib = region.table("index_by_year")
    n_years = int(region.settings["dynamics_years"])
    years = [y for y in sorted(int(v) for v in ib["year"].dropna().unique()) if y <= region.year][-n_years:]
    if not years:
        return Section([note("Нет данных о результатах по годам.")])
    plt = _plt()
    w, h = _size(region)
    fig, ax = plt.subplots(figsize=(w, h))
    vals = [municipal_index(region, municipality, y)[0] for y in years]
    ax.axhline(0, color="#8795a8", lw=1, ls="--", label="среднее по региону")
    ax.plot(years, vals, marker="o", color="#1f5f99", label=municipality[:40])
    ax.set_xticks(years)
    ax.set_ylabel("Средний индекс результатов")
    ax.legend(fontsize=7)
    fig.tight_layout()
    parts = [
        figure(
            fig,
            "Динамика среднего индекса результатов муниципалитета",
            "Индекс результатов: стандартизованный средний балл по всем процедурам года "
            "(0 — среднее по региону, взвешенное по участникам).",
            region.synthetic,
            _dpi(region),
        )
    ]
    sub = ib[(ib["municipality"] == municipality) & ib["year"].isin(years)]
    if len(sub):
        sub = sub.copy()
        min_n = _min_n(region)
        sub["text"] = [
            ("скрыто*" if (p is not pd.NA and p < min_n) else fmt_num(v, 2, signed=True))
            for v, p in zip(sub["result_index"], sub["participants"], strict=True)
        ]
        piv = sub.pivot_table(index="school_id", columns="year", values="text", aggfunc="first")
        piv.columns = [str(int(c)) for c in piv.columns]
        piv = piv.reset_index()
        piv.insert(1, "name", piv["school_id"].astype(str).map(_names(region)))
        foot = None
        if (sub["participants"] < min_n).fillna(False).any():
            foot = f"* Индекс скрыт: в этот год у школы меньше {min_n} участников."
        parts.append(
            table(
                piv.fillna("—"),
                caption=f"{name_ru('year_result_index')} по годам",
                note=foot,
                max_rows=_rows(region),
            )
        )
    return Section(parts)


def costs_section(region: Any, municipality: str | None) -> Section:
    """Cost–quality table for the municipality's schools (or the region)."""
    if not region.ok("costs"):
        return Section([unavailable(region.reason("costs"))])
    df = region.for_municipality("costs", municipality) if municipality else region.table("costs")
    if has_rows(df) and "school_id" in df.columns:
        df = with_names(region, with_facts(df, region_facts_now(region, municipality)))
    if municipality is None and has_rows(df) and "municipality" in df.columns:
        agg = (
            df.groupby("municipality")
            .agg(
                n_schools=("school_id", "size"),
                spending_per_pupil=("spending_per_pupil", "median"),
                residual=("residual", "mean"),
                efficiency=("efficiency", "mean"),
            )
            .reset_index()
        )
        if "quadrant" in df.columns:
            q = pd.crosstab(df["municipality"], df["quadrant"]).reset_index()
            q.columns = [str(c) for c in q.columns]
            agg = agg.merge(q, on="municipality", how="left")
        tab = table(
            agg,
            caption="«Цена–качество» по муниципальным образованиям (медиана расходов, "
            "среднее отклонение от ожидаемого, средняя эффективность, школы по квадрантам)",
            labels={
                "spending_per_pupil": f"Медиана расходов на ученика, {region.currency}",
                "residual": "Среднее отклонение от ожидаемого",
                "efficiency": "Средняя эффективность (DEA)",
            },
        )
        return Section([costs_figure(region, None), tab])
    cols = [
        c
        for c in [
            "school_id",
            "name",
            "spending_per_pupil",
            "result_index",
            "expected_result",
            "residual",
            "efficiency",
            "efficiency_ci_low",
            "efficiency_ci_high",
            "quadrant",
        ]
        if c in df.columns
    ]
    return Section(
        [
            costs_figure(region, municipality),
            table(
                df[cols],
                labels=money_labels(region.currency),
                caption="Расходы и результаты",
                max_rows=_rows(region),
            ),
        ]
    )


def partners_section(region: Any, municipality: str) -> Section:
    """Proposed partnerships involving the municipality's schools."""
    if not region.ok("partners"):
        return Section([unavailable(region.reason("partners"))])
    df = region.table("partners")
    ids = set(region.school_ids(municipality))
    id_cols = [c for c in df.columns if c.endswith("school_id")]
    if id_cols:
        mask = np.zeros(len(df), dtype=bool)
        for c in id_cols:
            mask |= df[c].astype(str).isin(ids).to_numpy()
        df = with_names(region, with_facts(df.loc[mask].reset_index(drop=True), region_facts_now(region)))
    cols = [
        c
        for c in [
            "school_id",
            "school_name",
            "category",
            "leader_id",
            "leader_name",
            "leader_municipality",
            "result_gap",
            "distance_km",
            "reason",
        ]
        if c in df.columns
    ]
    body = (
        table(df[cols] if cols else df, caption="Предлагаемые пары «школа — школа-лидер»")
        if len(df)
        else note("Для школ муниципалитета партнёрства не предложены.")
    )
    return Section([body])


def school_links_section(region: Any, municipality: str, pages_href: str = "../schools") -> Section:
    """Links to the profile page of each school of the municipality, with its category.

    ``pages_href`` is the school pages' folder relative to the report (the batch writes reports to
    ``municipalities/`` and pages to ``schools/``, hence ``../schools``); schools in the order of
    :func:`shnro_lib.outputs.school_page_paths` (municipality, name, code).
    """
    paths = school_page_paths(region, ".", region.school_ids(municipality))
    if not paths:
        return Section([note("В муниципалитете нет школ в справочнике.")])
    now = region_facts_now(region) if region.table("identify") is not None else None
    cats = (
        {}
        if now is None
        else dict(
            zip(now["school_id"].astype(str), now["category"].astype("string").fillna("—"), strict=True)
        )
    )
    sch = region.table("schools")
    names = sch.set_index(sch["school_id"].astype(str))["name"]
    base = pages_href.rstrip("/")
    return Section(
        [
            text(
                "Страница каждой школы: «проблемные зоны» по предметам и классам, динамика, "
                "рисковый профиль, кадры и ресурсы, предлагаемая школа-лидер."
            ),
            links(
                [
                    (f"{base}/{p.parent.name}/{p.name}", str(names.get(s, s)), str(cats.get(s, "—")))
                    for s, p in paths.items()
                ]
            ),
        ]
    )
