"""What an identification table adds up to: category sizes against the rule set's intent,
coverage of the criteria, and the one-line headline (never «0 выявленных» for what could not
be assessed)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from shnro_lib.identify.rules import load_rules

IN_CATEGORY = {"ШНРО": ("ШНРО", "ШНРО и ШНСУ"), "ШНСУ": ("ШНСУ", "ШНРО и ШНСУ")}
FAR_ABOVE = 1.5  # «far above the intent»: more than 1.5 times its upper bound


def unassessed_of(table: pd.DataFrame) -> dict[str, str]:
    """{category: reason} not decided for most schools: from ``attrs`` or, when a stored table lost
    them, from the ``unassessed_categories`` column (more than half of the schools)."""
    if "unassessed" in table.attrs:
        return dict(table.attrs["unassessed"])
    if "unassessed_categories" not in table.columns or not len(table):
        return {}
    cats = table["unassessed_categories"].dropna().astype(str).str.split(", ").explode()
    counts = cats.value_counts()
    return {
        c: f"для {k / len(table) * 100:.0f} % школ нет данных для проверки условий"
        for c, k in sorted(counts.items())
        if k > len(table) / 2
    }


def _pct(x: float) -> str:
    return f"{x * 100:.1f} %".replace(".", ",")


def _risk_unassessed(r: Mapping, unassessed: Mapping[str, str]) -> str:
    """Why the risk zone cannot be assessed («» when it can): it is «close to a category», so it
    cannot be told when no category of the rule can."""
    if r["categories"] and all(cat in unassessed for cat in r["categories"]):
        return (
            "не оценена ни одна категория ("
            + "; ".join(f"{c}: {unassessed[c]}" for c in r["categories"])
            + ")"
        )
    return ""


def category_sizes(
    table: pd.DataFrame, rules: str | Path | Mapping, override: Mapping | None = None
) -> pd.DataFrame:
    """Per category: schools flagged, their share, the intended size and, when the rule gives far
    more than intended, the criteria that drive it (the most often met among the flagged).

    Returns
    -------
    DataFrame with Russian columns «Категория», «Школ», «Доля», «Намечено», «Оценка», «Что даёт
    больше всего школ», in the order of the rule file, then «зона риска».
    """
    r = load_rules(rules, (override or {}).get("criteria"))
    n = len(table)
    unassessed = unassessed_of(table)
    rows = []
    for cat, spec in r["categories"].items():
        flagged = table["category"].isin(IN_CATEGORY[cat]).to_numpy()
        k = int(flagged.sum())
        share = k / n if n else float("nan")
        it = spec["intended"]
        upper = None
        if it is None:
            intended, verdict = "сколько даст правило", "—"
        elif it["share"] is not None:
            lo, hi = it["share"]
            intended, upper = f"{lo * 100:.0f}–{hi * 100:.0f} % ({it['note_ru']})", hi * n
            verdict = (
                "в пределах намеченного"
                if lo * n <= k <= hi * n
                else ("больше намеченного" if k > hi * n else "меньше намеченного")
            )
        else:
            intended, upper = f"{it['capacity']} школ ({it['note_ru']})", float(it["capacity"])
            verdict = "в пределах намеченного" if k <= it["capacity"] else "больше намеченного"
        drivers = "—"
        if upper is not None and k > FAR_ABOVE * upper:
            crit = sorted({c for cl in spec["any_of"] for c in cl["criteria"]}, key=list(r["criteria"]).index)
            counts = [
                (int(table.loc[flagged, f"crit_{c}"].fillna(False).astype(bool).sum()), c)
                for c in crit
                if f"crit_{c}" in table.columns
            ]
            counts = sorted(counts, key=lambda t: (-t[0], list(r["criteria"]).index(t[1])))[:3]
            drivers = "; ".join(f"«{r['criteria'][c]['title_ru']}» — {m}" for m, c in counts if m)
        count, pct = k, _pct(share)
        if cat in unassessed:
            # not assessed is not «0 schools, 0,0 %»
            count, pct, verdict = "—", "—", f"не оценено: {unassessed[cat]}"
        rows.append(
            {
                "Категория": cat,
                "Школ": count,
                "Доля": pct,
                "Намечено": intended,
                "Оценка": verdict,
                "Что даёт больше всего школ": drivers,
            }
        )
    k = int((table["category"] == "зона риска").sum())
    risk_na = _risk_unassessed(r, unassessed)
    rows.append(
        {
            "Категория": "зона риска",
            "Школ": "—" if risk_na else k,
            "Доля": "—" if risk_na else _pct(k / n if n else float("nan")),
            "Намечено": "—",
            "Оценка": f"не оценено: {risk_na}" if risk_na else "—",
            "Что даёт больше всего школ": "—",
        }
    )
    return pd.DataFrame(rows)


def criteria_coverage(table: pd.DataFrame) -> pd.DataFrame:
    """Per criterion: schools assessed, not assessable and why (Russian headers)."""
    cov = table.attrs.get("coverage")
    if cov is None:
        cols = [c for c in table.columns if c.startswith("crit_")]
        cov = pd.DataFrame(
            {
                "criterion": [c.removeprefix("crit_") for c in cols],
                "title": cols,
                "assessed": [int(table[c].notna().sum()) for c in cols],
                "not_assessable": [int(table[c].isna().sum()) for c in cols],
                "fired": [int(table[c].fillna(False).astype(bool).sum()) for c in cols],
                "why": "—",
            }
        )
    return cov.rename(
        columns={
            "criterion": "Код",
            "title": "Критерий",
            "assessed": "Оценено школ",
            "not_assessable": "Не оценено школ",
            "fired": "Выполнен у школ",
            "why": "Почему не оценено",
        }
    )


def identification_headline(table: pd.DataFrame, rules: str | Path | Mapping) -> str:
    """One Russian line: the size of each category (share of schools), or «не оценено: …»."""
    r = load_rules(rules)
    n = len(table)
    unassessed = unassessed_of(table)
    parts = []
    for cat in r["categories"]:
        if cat in unassessed:
            parts.append(f"{cat} — не оценено: {unassessed[cat]}")
        else:
            k = int(table["category"].isin(IN_CATEGORY[cat]).sum())
            parts.append(f"{cat} — {k} ({_pct(k / n if n else float('nan'))})")
    both = int((table["category"] == "ШНРО и ШНСУ").sum())
    if len(r["categories"]) > 1 and not unassessed:
        parts.append(f"из них в обеих категориях — {both}")
    risk = int((table["category"] == "зона риска").sum())
    risk_na = _risk_unassessed(r, unassessed)
    parts.append(
        f"зона риска: не оценено — {risk_na}"
        if risk_na
        else f"зона риска — {risk} ({_pct(risk / n if n else float('nan'))})"
    )
    na = int((table["category"] == "не оценено").sum())
    if na:
        parts.append(f"не оценено — {na}")
    return f"Из {n} школ: " + "; ".join(parts) + "."
