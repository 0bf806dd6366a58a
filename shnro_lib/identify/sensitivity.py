"""How the lists change under another reasonable choice: other shipped rule sets, the number of
criteria a category needs (k), the window (1 or 3 years) and plain vs shrunken index.

Agreement is Cohen's κ (:func:`sklearn.metrics.cohen_kappa_score`): on the whole category for
the variants of one rule set, on «ШНРО or not» between rule sets (the only category all define).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import cohen_kappa_score

from shnro_lib.identify.classify import LISTED, identify_schools
from shnro_lib.identify.models import load_indices
from shnro_lib.identify.rules import available_rules, load_rules
from shnro_lib.identify.sources import standardised_for_identification

IS_LOW = ("ШНРО", "ШНРО и ШНСУ")


def rule_variants(
    rules: str | Path | Mapping = "lo_2018", override: Mapping | None = None
) -> list[tuple[str, dict]]:
    """The main choices of a rule set as ``(Russian label, rule dict)``, the rule set itself first."""
    base = load_rules(rules, override)
    out = [(f"основной: {base['name']}", base)]
    for cat, spec in base["categories"].items():
        for i, cl in enumerate(spec["any_of"]):
            if len(cl["criteria"]) < 2:
                continue
            for m in (cl["min"] - 1, cl["min"] + 1):
                if 1 <= m <= len(cl["criteria"]):
                    r = copy.deepcopy(base)
                    r["categories"][cat]["any_of"][i]["min"] = m
                    out.append((f"{cat}: условие {i + 1} — не менее {m} (в основном {cl['min']})", r))
    for w in (1, 3):
        if w != base["window"]:
            r = copy.deepcopy(base)
            r["window"] = w
            for c in r["criteria"].values():
                if c["window"] == base["window"]:  # criteria over the rule's window follow it
                    c["window"] = w
            out.append((f"окно {w} г. (в основном {base['window']})", r))
    other = {"plain": "shrunken", "shrunken": "plain"}.get(base["result_index"]["method"])
    if other:
        r = copy.deepcopy(base)
        r["result_index"]["method"] = other
        ru = {"plain": "простой индекс", "shrunken": "сжатый индекс"}
        out.append((f"{ru[other]} (в основном {ru[base['result_index']['method']]})", r))
    return out


def _kappa(a: pd.Series, b: pd.Series) -> float:
    # integer codes of the labels, shared by both: sklearn's label handling of 40 000 strings is
    # slower than the statistic itself
    labels = np.concatenate([a.astype(str).to_numpy(dtype=object), b.astype(str).to_numpy(dtype=object)])
    codes = pd.factorize(labels)[0]
    ca, cb = codes[: len(a)], codes[len(a) :]
    if len(np.unique(ca)) < 2 and len(np.unique(cb)) < 2:
        return 1.0 if (ca == cb).all() else float("nan")
    return float(cohen_kappa_score(ca, cb))


def sensitivity_runs(
    ds: Any,
    year: int,
    rules: str | Path | Mapping = "lo_2018",
    override: Mapping | None = None,
    base: pd.DataFrame | None = None,
    standardised: pd.DataFrame | None = None,
    memo: dict | None = None,
) -> dict[str, pd.DataFrame]:
    """Identification tables under every variant and every other shipped rule set, by label.

    Parameters
    ----------
    override : a user's ``--config`` (its ``criteria`` and ``indices`` sections).
    base : the identification of ``year`` under ``rules`` and ``override`` already made
        (:func:`identify_schools`); used as the first run instead of identifying again.
    standardised : :func:`shnro_lib.indicators.standardised_results` of ``ds.results``
        (computed once here otherwise); every run shares it, as it depends on the data only.
    memo : the identification memo of :func:`identify_schools` (e.g. the one the base run filled);
        every run shares one, so a variant that changes only how criteria combine (k of a clause)
        computes no indicator again, and another rule set only the indicators it reads otherwise.

    Returns
    -------
    ``{label: table}``; the variants' tables are not explained (``explain=False`` of
    :func:`identify_schools`: their categories only are compared), ``base`` is returned as given.
    """
    # what every run shares is read and computed once: the index spec, the standardised results
    std = standardised if standardised is not None else standardised_for_identification(ds.results)
    spec = load_indices(None, (override or {}).get("indices"))
    variants = rule_variants(rules, (override or {}).get("criteria"))
    memo = memo if memo is not None else {}
    runs = {}
    for i, (label, r) in enumerate(variants):
        runs[label] = (
            base
            if i == 0 and base is not None
            else identify_schools(ds, year, r, spec, standardised=std, memo=memo, explain=False)
        )
    for name in available_rules():
        if name != variants[0][1]["name"]:
            runs[f"набор правил: {name}"] = identify_schools(
                ds, year, name, spec, standardised=std, memo=memo, explain=False
            )
    return runs


def sensitivity_table(runs: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """«How many schools, how many in common» for each run against the first (the main rule set).

    Returns
    -------
    DataFrame with Russian columns: «Вариант», «ШНРО», «ШНСУ», «В списке» (ШНРО or ШНСУ),
    «Зона риска», «Общих с основным» (listed in both), «Сменили категорию» (for another rule set:
    changed «ШНРО or not»), «κ с основным».
    """
    labels = list(runs)
    base = runs[labels[0]].set_index("school_id")["category"].astype(str)
    rows = []
    for label in labels:
        cat = runs[label].set_index("school_id")["category"].astype(str).reindex(base.index).fillna("—")
        other_set = label.startswith("набор правил")
        listed, base_listed = cat.isin(LISTED), base.isin(LISTED)
        if other_set:
            changed = int((cat.isin(IS_LOW) != base.isin(IS_LOW)).sum())
            kappa = _kappa(cat.isin(IS_LOW), base.isin(IS_LOW))
        else:
            changed = int((cat != base).sum())
            kappa = _kappa(cat, base)
        rows.append(
            {
                "Вариант": label,
                "ШНРО": int(cat.isin(IS_LOW).sum()),
                "ШНСУ": int(cat.isin(("ШНСУ", "ШНРО и ШНСУ")).sum()) if not other_set else pd.NA,
                "В списке": int(listed.sum()),
                "Зона риска": int((cat == "зона риска").sum()),
                "Общих с основным": int((listed & base_listed).sum()),
                "Сменили категорию": changed,
                "κ с основным": round(kappa, 3),
            }
        )
    out = pd.DataFrame(rows)
    out["ШНСУ"] = out["ШНСУ"].astype("Int64")
    return out


def rule_set_kappa(runs: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Cohen's κ on «ШНРО or not» between the main rule set and every other shipped one (square table)."""
    sets = [lab for lab in runs if lab.startswith(("основной", "набор правил"))]
    flags = {lab.split(": ", 1)[1]: runs[lab].set_index("school_id")["category"].isin(IS_LOW) for lab in sets}
    names = list(flags)
    m = np.array(
        [[_kappa(flags[a], flags[b].reindex(flags[a].index).fillna(False)) for b in names] for a in names]
    )
    out = pd.DataFrame(np.round(m, 3), index=names, columns=names)
    out.index.name = "Набор правил"
    return out.reset_index()


def sensitivity_section_content(
    ds: Any,
    year: int,
    rules: str | Path | Mapping = "lo_2018",
    override: Mapping | None = None,
    runs: Mapping[str, pd.DataFrame] | None = None,
) -> dict[str, Any]:
    """What a report section on sensitivity shows: the table, κ between rule sets, and sentences.

    Returns
    -------
    ``{"table": DataFrame, "kappa": DataFrame, "sentences": [str, ...]}`` (Russian).
    """
    runs = runs if runs is not None else sensitivity_runs(ds, year, rules, override)
    table = sensitivity_table(runs)
    return {"table": table, "kappa": rule_set_kappa(runs), "sentences": sensitivity_sentences(table, year)}


def sensitivity_sentences(table: pd.DataFrame, year: int) -> list[str]:
    """The Russian sentences of the sensitivity section, from :func:`sensitivity_table` (so a
    stored table gives them without the identification runs)."""
    base = table.iloc[0]
    variants = table.iloc[1:]
    same_set = variants[~variants["Вариант"].str.startswith("набор правил")]
    sentences = [
        f"Основной набор правил в {year} г. даёт {base['В списке']} школ в списке ШНРО/ШНСУ "
        f"(ШНРО — {base['ШНРО']}, зона риска — {base['Зона риска']})."
    ]
    if len(same_set):
        worst = same_set.sort_values(["Сменили категорию", "Вариант"], ascending=[False, True]).iloc[0]
        sentences.append(
            f"Сильнее всего список меняет выбор «{worst['Вариант']}»: категорию меняют "
            f"{worst['Сменили категорию']} школ (κ = {str(worst['κ с основным']).replace('.', ',')})."
        )
    for _, row in variants[variants["Вариант"].str.startswith("набор правил")].iterrows():
        sentences.append(
            f"Другой {row['Вариант']}: ШНРО — {row['ШНРО']} школ, из них общих с основным "
            f"списком — {row['Общих с основным']}; κ по ШНРО = {str(row['κ с основным']).replace('.', ',')}."
        )
    return sentences


def stability_section_content(
    panel: pd.DataFrame,
    truth_low: pd.Series | None = None,
    year: int | None = None,
    categories: tuple[str, ...] = LISTED,
) -> dict[str, Any]:
    """What a report section on stability shows: flip rate by year and the persistence trade-off
    (``categories``: what counts as listed, ШНРО/ШНСУ by default; ``IS_LOW`` for ШНРО only).

    Returns
    -------
    ``{"flip_rate": DataFrame, "persistence": DataFrame, "sentences": [str, ...], "reason": str | None}``;
    ``reason`` is set (and the sentences say «не оценено: …») when the panel holds fewer than two
    years, so that no turnover can be measured.
    """
    from shnro_lib.identify.stability import flip_rate, persistence_tradeoff

    fr = flip_rate(panel, categories)
    y = int(year if year is not None else panel["year"].astype(int).max())
    trade = persistence_tradeoff(panel, truth_low, y, categories=categories)
    if truth_low is None:  # recall needs a known truth (a benchmark's); without it the columns say nothing
        trade = trade.drop(columns=["recall", "precision"])
    n_years = int(panel["year"].nunique())
    if n_years < 2:
        reason = (
            "не оценено: в данных только один год, а смену списка можно измерить лишь за два года и больше"
        )
        return {
            "flip_rate": fr,
            "persistence": trade,
            "reason": reason,
            "sentences": [f"Устойчивость списка по годам: {reason}."],
        }
    total = fr.iloc[-1]
    sentences = [
        f"Из {int(total['listed'])} школ, хотя бы раз попавших в список, вышли и вернулись — "
        f"{_percent_or_dash(total['flip_rate'])}; средняя годовая смена списка — "
        f"{_percent_or_dash(total['turnover'])}."
    ]
    return {"flip_rate": fr, "persistence": trade, "sentences": sentences, "reason": None}


def _percent_or_dash(share: Any) -> str:
    # the «все годы» row mixes nullable and float columns, so a missing share may arrive as pd.NA
    return "—" if pd.isna(share) else f"{float(share) * 100:.0f} %"
