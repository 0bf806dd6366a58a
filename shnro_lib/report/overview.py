"""The municipal report's overview section: the municipality's schools, their participation in the
assessment procedures and the distribution of their results (a :class:`~shnro_lib.report.content.Section`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from shnro_lib.report.content import Block, Section, heading, note, table
from shnro_lib.report.figures import distribution_figure
from shnro_lib.report.format import fmt_int, fmt_num, isna, procedure_order, suppress_small
from shnro_lib.report.helpers import has_rows
from shnro_lib.report.helpers import max_rows as _rows
from shnro_lib.report.helpers import min_n as _min_n


def _weighted_share(values: pd.Series, weights: pd.Series) -> float:
    """Participant-weighted mean over the schools that report the value; NaN («—») when none does
    (a procedure without a «low result» threshold must not read as 0 %)."""
    v, w = values.astype(float), weights.astype(float)
    ok = v.notna() & w.notna() & (w > 0)
    return float(np.average(v[ok], weights=w[ok])) if ok.any() else np.nan


def _schools_parts(region: Any, municipality: str) -> list[Block]:
    """The municipality's schools: by type and locality type, and their list."""
    sch = region.for_municipality("schools", municipality)
    parts: list[Block] = [heading("Школы")]
    if not has_rows(sch):
        return [*parts, note("В таблице школ нет школ этого муниципалитета.")]
    if "school_type" in sch.columns and "locality_type" in sch.columns:
        ct = pd.crosstab(sch["school_type"].fillna("не указан"), sch["locality_type"].fillna("не указан"))
        ct = ct.reset_index().rename(columns={"school_type": "Тип ОО"})
        ct.columns = [str(c) for c in ct.columns]
        parts.append(table(ct, caption="Школы по типу и типу населённого пункта"))
    cols = [c for c in ["school_id", "name", "locality", "locality_type", "school_type"] if c in sch.columns]
    parts.append(table(sch[cols], caption="Список школ", max_rows=_rows(region)))
    return parts


def _participation_parts(region: Any, municipality: str) -> list[Block]:
    """Participants and schools per procedure and year («—» where a procedure did not run)."""
    parts: list[Block] = [heading("Участие в оценочных процедурах")]
    part = region.for_municipality("participation", municipality)
    if not has_rows(part):
        return [*parts, note("Нет результатов оценочных процедур по школам муниципалитета.")]
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
            note="«—» — процедура в этом году не проводилась или данных нет (например, ОГЭ 2020 г. отменён).",
        )
    )
    return parts


def _score_rows(ss: pd.DataFrame, municipality: str, min_n: int) -> pd.DataFrame:
    """The municipality's and the region's median result and share of low results per procedure and year."""
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
    return suppress_small(t, "participants", ["median_pct", "share_low"], min_n)


def _distribution_parts(region: Any, municipality: str) -> list[Block]:
    """The distribution figure and the results per procedure and year (none without school scores)."""
    parts: list[Block] = [heading("Распределение результатов школ")]
    ss = region.table("school_scores")
    if not has_rows(ss):
        return parts
    parts.append(distribution_figure(region, ss, municipality))
    parts.append(
        table(
            _score_rows(ss, municipality, _min_n(region)),
            labels={
                "median_pct": "Медиана школ, % от максимума",
                "region_median_pct": "Медиана по региону, %",
                "share_low": "Доля низких результатов",
                "region_share_low": "Регион: доля низких",
            },
            caption="Результаты школ по процедурам и годам",
        )
    )
    return parts


def _subject_parts(region: Any, municipality: str) -> list[Block]:
    """The report year's results per subject against the region (none without subject scores)."""
    year = region.year
    sub = region.for_municipality("subject_scores", municipality)
    if not has_rows(sub):
        return []
    cur = sub[sub["year"] == year].copy()
    if not len(cur):
        return []
    cur["diff_pct"] = cur["pct"] - cur["region_pct"]
    cur = cur.sort_values(
        ["procedure", "grade", "subject"],
        key=lambda s: (
            s.map({p: i for i, p in enumerate(procedure_order(cur["procedure"]))})
            if s.name == "procedure"
            else s
        ),
    )
    cols = ["procedure", "subject", "grade", "participants", "pct", "region_pct", "diff_pct", "share_low"]
    t = suppress_small(
        cur[cols].reset_index(drop=True), "participants", ["pct", "diff_pct", "share_low"], _min_n(region)
    )
    return [
        table(
            t,
            caption=f"Результаты по предметам в {year} г. в сравнении с регионом",
            formats={
                "pct": lambda v: fmt_num(v, 1),
                "region_pct": lambda v: fmt_num(v, 1),
                "diff_pct": lambda v: fmt_num(v, 1, signed=True),
            },
        )
    ]


def overview_section(region: Any, municipality: str) -> Section:
    """Schools, participation and score distributions per procedure and year.

    Parameters
    ----------
    region : :class:`~shnro_lib.pipeline.RegionResults`.
    municipality : the municipality's name.

    Returns
    -------
    Section
        The schools, the participation, the distribution of results and the report year's subjects.
    """
    return Section(
        _schools_parts(region, municipality)
        + _participation_parts(region, municipality)
        + _distribution_parts(region, municipality)
        + _subject_parts(region, municipality)
    )
