"""The regional report's sections (the regional part of the collection comes from the same
notebook, ``notebooks/regional_report.ipynb``); each returns a :class:`~shnro_lib.report.content.Section`."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from shnro_lib.pipeline.log import STAGE_TITLES_RU
from shnro_lib.report.content import Section, cards, figure, heading, note, table, text, unavailable
from shnro_lib.report.costs import costs_section
from shnro_lib.report.effects import effects_section
from shnro_lib.report.figures import distribution_figure
from shnro_lib.report.figures import pyplot_styled as _plt
from shnro_lib.report.format import fmt_int, fmt_num, fmt_pct, procedure_order
from shnro_lib.report.helpers import dpi as _dpi
from shnro_lib.report.helpers import max_rows as _rows
from shnro_lib.report.helpers import municipal_index, municipality_table
from shnro_lib.report.helpers import size as _size


def regional_summary_section(region: Any) -> Section:
    """Key figures of the region."""
    sch = region.table("schools")
    idx, part = municipal_index(region, None, region.year)
    mt = municipality_table(region)
    items = [
        (fmt_int(len(sch)), "школ", f"в {len(region.municipalities)} муниципальных образованиях"),
        (
            fmt_int(part),
            f"участников оценочных процедур в {region.year} г.",
            "" if part is not None else "не указано: в данных нет числа участников",
        ),
    ]
    if "n_identified" in mt.columns:
        items.append((fmt_int(mt["n_identified"].sum()), "выявленных школ", "ШНРО, ШНСУ, зона риска"))
    if "n_resilient" in mt.columns:
        items.append((fmt_int(mt["n_resilient"].sum()), "резильентных школ", ""))
    if "n_programme" in mt.columns:
        items.append((fmt_int(mt["n_programme"].sum()), f"школ в программе в {region.year} г.", ""))
    parts = [cards(items)]
    miss = [f"{STAGE_TITLES_RU.get(s, s)}: {r}" for s, r in sorted(region.failures.items())]
    if miss:
        parts.append(note("Недоступные разделы анализа: " + "; ".join(miss) + ".", "warn"))
    return Section(parts)


def regional_compare_section(region: Any) -> Section:
    """Municipalities side by side: figure of mean index with an approximate CI, and a table."""
    mt = municipality_table(region).sort_values("mean_index").reset_index(drop=True)
    plt = _plt()
    w, _ = _size(region)
    fig, ax = plt.subplots(figsize=(w, 0.28 * len(mt) + 1.0))
    ib = region.table("index_by_year")
    ses = []
    for m in mt["municipality"]:
        sub = ib[(ib["year"] == region.year) & (ib["municipality"] == m)]
        wts = sub["participants"].astype(float)
        ses.append(
            float(np.sqrt(((wts * sub["result_index_se"].astype(float)) ** 2).sum()) / wts.sum())
            if wts.sum() > 0
            else np.nan
        )
    y = np.arange(len(mt))
    ax.barh(y, mt["mean_index"], xerr=1.96 * np.array(ses), color="#7fb0dd", ecolor="#44546a")
    ax.set_yticks(y)
    ax.set_yticklabels([m[:38] for m in mt["municipality"]], fontsize=7)
    ax.axvline(0, color="#44546a", lw=1)
    ax.set_xlabel(f"Средний индекс результатов, {region.year} г. (0 — регион)")
    fig.tight_layout()
    parts = [
        figure(
            fig,
            "Средний индекс результатов по муниципальным образованиям",
            "Средний индекс результатов муниципальных образований с 95% интервалами (выборочная "
            "погрешность).",
            region.synthetic,
            _dpi(region),
        )
    ]
    parts.append(
        table(
            mt.sort_values("mean_index", ascending=False),
            caption="Муниципальные образования",
            formats={"mean_index": lambda v: fmt_num(v, 2, True)},
        )
    )
    return Section(parts)


def regional_participation_section(region: Any) -> Section:
    """Participation by procedure and year for the region and by municipality."""
    part = region.table("participation")
    tot = (
        part.groupby(["procedure", "year"], observed=True)
        .agg(schools=("schools", "sum"), participants=("participants", "sum"))
        .reset_index()
    )
    procs = procedure_order(tot["procedure"])
    disp = pd.DataFrame({"procedure": procs})
    for y in sorted(int(v) for v in tot["year"].unique()):
        vals = []
        for p in procs:
            r = tot[(tot["procedure"] == p) & (tot["year"] == y)]
            vals.append(
                f"{fmt_int(r['participants'].iloc[0])} уч. / {fmt_int(r['schools'].iloc[0])} шк."
                if len(r)
                else "—"
            )
        disp[str(y)] = vals
    parts = [table(disp, caption="Участники и школы по процедурам и годам (регион)")]
    cur = part[part["year"] == region.year]
    piv = cur.pivot_table(index="municipality", columns="procedure", values="participants", aggfunc="sum")
    piv = piv[[p for p in procedure_order(piv.columns)]].reset_index()
    piv.columns = [str(c) for c in piv.columns]
    for c in piv.columns[1:]:
        piv[c] = piv[c].astype("Int64")
    parts.append(table(piv, caption=f"Участники по муниципалитетам и процедурам, {region.year} г."))
    return Section(parts)


def regional_distributions_section(region: Any) -> Section:
    """Distributions of school results per procedure and year for the region."""
    ss = region.table("school_scores")
    return Section([distribution_figure(region, ss, None)])


def regional_identified_section(region: Any) -> Section:
    """Identified schools per municipality and category."""
    if not region.ok("identify"):
        return Section([unavailable(region.reason("identify"))])
    from shnro_lib.facts.select import region_facts_now, with_facts

    ident = with_facts(region.table("identify"), region_facts_now(region))
    if "municipality" not in ident.columns:
        ident = ident.assign(
            municipality=ident["school_id"]
            .astype(str)
            .map(region.table("schools").set_index("school_id")["municipality"])
        )
    if "category" not in ident.columns:
        return Section([table(ident, max_rows=_rows(region))])
    ct = pd.crosstab(ident["municipality"], ident["category"].astype("string").fillna("не определена"))
    ct = ct.reset_index()
    ct.columns = [str(c) for c in ct.columns]
    return Section([table(ct, caption="Число школ по категориям")])


def regional_sensitivity_section(region: Any) -> Section:
    """How the list of the report year changes under other reasonable choices of the rules and
    under the other shipped rule sets (the ``sensitivity`` stage), with Cohen's κ."""
    if not region.ok("sensitivity"):
        return Section([unavailable(region.reason("sensitivity"))])
    from shnro_lib.identify import sensitivity_sentences

    tab = region.table("sensitivity")
    kappa = region.table("sensitivity_kappa")
    parts = [
        text(*sensitivity_sentences(tab, region.year)),
        table(
            tab,
            caption=f"Список {region.year} г. при других вариантах правил",
            formats={"κ с основным": lambda v: fmt_num(v, 2)},
            note="κ (каппа Коэна) — согласие с основным списком с поправкой на случайное совпадение: "
            "1 — полное совпадение, 0 — не лучше случайного.",
        ),
    ]
    if kappa is not None and len(kappa) > 1:
        parts.append(
            table(
                kappa,
                caption="Согласие наборов правил по ШНРО (κ)",
                formats={c: (lambda v: fmt_num(v, 2)) for c in kappa.columns[1:]},
            )
        )
    return Section(parts)


STABILITY_LABELS_RU = {
    "year": "Год",
    "listed": "Школ в списке",
    "entered": "Вошли",
    "left": "Вышли",
    "turnover": "Смена списка",
    "reentered": "Вернулись в список",
    "flip_rate": "Вышли и вернулись",
    "rule": "Правило устойчивости",
    "mean_turnover": "Средняя смена списка",
}


def regional_stability_section(region: Any) -> Section:
    """Year-to-year stability of the list (ШНРО/ШНСУ): turnover, schools that leave and come back,
    and how a «k of n years» persistence rule would change it (from ``ident_panel``)."""
    if not region.ok("ident_panel"):
        return Section([unavailable(region.reason("ident_panel"))])
    from shnro_lib.identify import stability_section_content

    c = stability_section_content(region.table("ident_panel"), year=region.year)
    if c["reason"]:
        return Section([unavailable(c["reason"])])
    fr = c["flip_rate"].copy()
    fr["year"] = fr["year"].map(lambda v: "все годы" if pd.isna(v) else str(int(v)))
    pct = {col: fmt_pct for col in ("turnover", "flip_rate", "mean_turnover")}
    return Section(
        [
            text(*c["sentences"]),
            table(fr, STABILITY_LABELS_RU, pct, caption="Смена списка ШНРО/ШНСУ по годам"),
            table(
                c["persistence"],
                STABILITY_LABELS_RU,
                pct,
                caption=f"Правило «k из n лет»: школ в списке {region.year} г. и устойчивость списка",
                note="«k из n лет» — школа в списке, если выявлялась не менее k раз за последние n лет.",
            ),
        ]
    )


def regional_effects_section(region: Any) -> Section:
    """Programme effects and the cost–quality summary of the region."""
    return Section(
        [
            heading("Эффекты программ"),
            *effects_section(region, None).blocks,
            heading("Цена и качество"),
            *costs_section(region, None).blocks,
        ]
    )


def municipal_summaries(region: Any) -> Section:
    """Every municipality's key figures, one after another (the collection's municipal part)."""
    from shnro_lib.report.sections import summary_section

    blocks = []
    for m in sorted(region.municipalities):
        blocks += [heading(m), *summary_section(region, m).blocks]
    return Section(blocks)
