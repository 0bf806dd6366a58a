"""Identification of one year: criteria → categories → «зона риска» → explanations.

What the data set does not hold at all (a table, a column, a procedure) is dropped from the
selection with one note in ``attrs["notes"]``; what a school lacks is a per-school gap
(the criterion is ``NA`` for it, listed once in its ``not_assessed`` column).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shnro_lib.identify.assessed import coverage_table, unassessed_categories
from shnro_lib.identify.clauses import category_hits, decidable_clauses, group_of
from shnro_lib.identify.constants import INDEX_NAMES
from shnro_lib.identify.criteria import criterion_key, evaluate_criterion
from shnro_lib.identify.explain import criterion_phrases, school_sentence
from shnro_lib.identify.models import IndicesSettings, load_indices
from shnro_lib.identify.risk_inputs import risk_profiles
from shnro_lib.identify.risk_zone import flagged, risk_zone_flags, risk_zone_reasons
from shnro_lib.identify.rules import load_rules
from shnro_lib.identify.sources import (
    _Ctx,
    absent_reason,
    freeze,
    indicator,
    result_procedures,
    standardised_for_identification,
)
from shnro_lib.schema import TABLES


def _column_ru(name: str) -> str:
    """«Russian title» (column) of a contract column, for a note a user reads."""
    label = next(
        (c.label_ru for t in TABLES.values() for c in t.columns if c.name == name and c.label_ru), ""
    )
    return f"«{label}» ({name})" if label else name


LISTED = ("ШНРО", "ШНСУ", "ШНРО и ШНСУ")
NOT_ASSESSED = "не оценено"


def _with_unassessed(sentence: str, unassessed: Any, categories: list[str]) -> str:
    """A school's sentence that also says which categories could not be assessed for it: «не отнесена
    к ШНРО и ШНСУ» is not said of a category nobody could check."""
    if unassessed is None or unassessed is pd.NA or not str(unassessed) or sentence.startswith("Не оценено"):
        return sentence
    und = [c for c in categories if c in str(unassessed).split(", ")]
    done = [c for c in categories if c not in und]
    if sentence == "Не отнесена к ШНРО и ШНСУ.":
        sentence = f"Не отнесена к {' и '.join(done)}." if done else ""
    tail = f"{', '.join(und)}: не оценено — нет данных для проверки условий."
    return f"{sentence} {tail}".strip()


def _joined(flags: np.ndarray, labels: list[str], sep: str = "; ") -> list[Any]:
    """Per row of a (schools × labels) boolean matrix, the labels set joined with ``sep`` (NA: none)."""
    if not labels:
        return [pd.NA] * len(flags)
    lab = np.array(labels, dtype=object)
    return [sep.join(lab[row]) or pd.NA for row in flags]


def identify_schools(
    ds: Any,
    year: int,
    rules: str | Path | Mapping = "lo_2018",
    indices: str | Path | Mapping | IndicesSettings | None = None,
    override: Mapping[str, Any] | None = None,
    standardised: pd.DataFrame | None = None,
    memo: dict | None = None,
    explain: bool = True,
) -> pd.DataFrame:
    """Identify ШНРО / ШНСУ / «зона риска» for one year.

    Parameters
    ----------
    ds : :class:`shnro_lib.io.Dataset`.
    year : the identification year (the last year of every window).
    rules : rule-set name in ``parameters/criteria``, a path to a YAML file, or a dict.
    indices : composite-index spec (default ``parameters/indices.yaml``).
    override : a user's ``--config`` (:func:`shnro_lib.identify.models.read_config`): its
        ``criteria`` section overrides the rule set, its ``indices`` section the indices.
    standardised : :func:`shnro_lib.indicators.standardised_results` of ``ds.results``, when
        the caller identifies several years or variants of one data set (computed here otherwise).
    memo : a dict shared by several identifications of one data set (other years, the sensitivity
        variants, other rule sets): each indicator, criterion evaluation and index decline is
        computed once per everything it reads and reused by the other calls, which give what
        separate calls give (:func:`shnro_lib.identify.sources.indicator`).
    explain : compose what a reader is told of every school (``not_assessed``,
        ``risk_zone_reasons``, ``risks_high``, ``risks_medium``, ``explanation``); without it those
        columns are left out and the categories are the same (the other years of a panel and the
        sensitivity variants read the categories only).

    Returns
    -------
    DataFrame, one row per school: ``school_id``, ``name``, ``municipality``, ``category``
    (``не оценено`` when no category could be decided for the school), ``result_index``,
    ``result_index_se``, ``shrunken_index``, ``p_bottom_quartile``, ``borderline``, the composite
    indices with ``<index>_coverage``, ``crit_<key>`` (nullable booleans: NA = not evaluable;
    criteria the data set cannot evaluate at all are left out), ``not_assessed`` (the school's
    unevaluable criteria, once), ``unassessed_categories``, ``risk_zone_reasons``,
    ``risks_high``, ``risks_medium`` and a one-sentence Russian ``explanation``.
    ``attrs``: ``notes`` (what the data set lacked), ``coverage`` (per criterion),
    ``unassessed`` ({category: reason} for categories not decided for most schools), ``cutoffs``.
    """
    override = override or {}
    r = load_rules(rules, override.get("criteria"))
    spec = load_indices(indices, override.get("indices"))
    ctx = _Ctx(ds=ds, rules=r, indices=spec, standardised=standardised, memo=memo)
    ri = r["result_index"]
    notes: list[str] = []
    sch = ds.schools.set_index("school_id")
    out = pd.DataFrame(index=ctx.school_ids())
    out["name"] = sch["name"].reindex(out.index)
    out["municipality"] = sch["municipality"].reindex(out.index)

    win = ctx.years(year, int(r["window"]))
    if len(win) < int(r["window"]):
        notes.append(
            f"Окно сокращено: {len(win)} из {r['window']} лет ({', '.join(map(str, win))}) — "
            "более ранних лет в данных нет."
        )
    wanted = ri["procedures"]
    used = result_procedures(ctx)
    if wanted is not None and used is not None and len(used) < len(wanted):
        notes.append(
            f"Индекс результатов: в данных нет процедур {', '.join(p for p in wanted if p not in used)}; "
            f"использованы {', '.join(used) or '—'}."
        )
    idx = indicator(ctx, "result_index", year, int(r["window"]), {})
    if len(idx) and idx["result_index_se"].isna().all() and idx["result_index"].notna().any():
        notes.append(
            "Индекс результатов: в данных нет числа участников — результаты взвешены поровну; "
            "сглаживание малых школ (эмпирический Байес) и порог числа участников не применены, "
            "вероятность попадания в нижнюю группу не оценена."
        )
    for c in ("result_index", "result_index_se", "shrunken_index", "p_bottom_quartile"):
        out[c] = idx[c]
    bp = ri["borderline_p"]
    out["borderline"] = pd.array(
        np.where(out["p_bottom_quartile"].isna(), None, out["p_bottom_quartile"].between(bp[0], bp[1])),
        dtype="boolean",
    )
    ranking = idx["value"]
    lower_half = {"result_index": ranking <= ranking.median()} if ranking.notna().any() else {}
    for name in INDEX_NAMES:
        f = indicator(ctx, name, year, 1, {})
        out[name] = f["value"]
        out[f"{name}_coverage"] = f["coverage"]
        title = getattr(spec, name).title_ru
        if f.attrs.get("absent") and f.attrs.get("used"):
            notes.append(
                f"{title}: рассчитан по {len(f.attrs['used'])} из {len(getattr(spec, name).components)} "
                f"показателей; в данных нет: {', '.join(_column_ru(c) for c in f.attrs['absent'])}."
            )
        if f["value"].notna().any():
            lower_half[name] = f["value"] <= f["value"].median()

    absent = {}
    for name, c in r["criteria"].items():
        why = absent_reason(ctx, c["indicator"], c["params"] or {})
        if why:
            absent[name] = why
    if absent:
        notes.append(
            "Не оцениваются ни для одной школы (в наборе данных нет источника): "
            + "; ".join(
                f"«{r['criteria'][n]['title_ru']}» — {absent[n]}" for n in r["criteria"] if n in absent
            )
            + "."
        )
    evals = {name: evaluate_criterion(ctx, name, year) for name in r["criteria"] if name not in absent}
    for name, e in evals.items():
        out[f"crit_{name}"] = e["fired"]

    clauses = decidable_clauses(r, absent, lower_half, notes)
    group = group_of(r)
    cats, decided, one_short, decisive = {}, {}, {}, {}
    for cat in r["categories"]:
        cats[cat], decided[cat], one_short[cat], decisive[cat] = category_hits(
            out, clauses[cat], group, lower_half
        )
    false = pd.Series(False, index=out.index)
    lo, su = cats.get("ШНРО", false), cats.get("ШНСУ", false)
    category = pd.Series(
        np.where(lo & su, "ШНРО и ШНСУ", np.where(lo, "ШНРО", np.where(su, "ШНСУ", "нет"))), index=out.index
    )
    undecided = {cat: ~d for cat, d in decided.items()}
    all_undecided = pd.concat(list(undecided.values()), axis=1).all(axis=1) if undecided else false
    category = category.where(~((category == "нет") & all_undecided), NOT_ASSESSED)

    flags = risk_zone_flags(
        ctx, r, year, out, evals, one_short, ranking, clauses, lower_half, (category != "нет").to_numpy()
    )
    at_risk = pd.Series(flagged(flags, len(out)), index=out.index)
    category = category.where(~((category == "нет") & at_risk), "зона риска")
    out["category"] = category.astype("string")
    cat_names = list(r["categories"])
    und = (
        np.column_stack([(undecided[c] & ~cats[c]).to_numpy(dtype=bool) for c in cat_names])
        if cat_names
        else np.zeros((len(out), 0), dtype=bool)
    )
    out["unassessed_categories"] = pd.Series(_joined(und, cat_names, ", "), index=out.index, dtype="string")
    if explain:
        _explain(ctx, out, r, year, evals, flags, decisive)
    cols = [
        "name",
        "municipality",
        "category",
        "result_index",
        "result_index_se",
        "shrunken_index",
        "p_bottom_quartile",
        "borderline",
        *[x for n in INDEX_NAMES for x in (n, f"{n}_coverage")],
        *[f"crit_{n}" for n in evals],
        "not_assessed",
        "unassessed_categories",
        "risk_zone_reasons",
        "risks_high",
        "risks_medium",
        "explanation",
    ]
    out = out[[c for c in cols if c in out.columns]].reset_index()
    unassessed = unassessed_categories(r, undecided, clauses, absent)
    out.attrs.update(
        {
            "rules": r["name"],
            "year": int(year),
            "notes": notes,
            "unassessed": unassessed,
            "absent": absent,
            "coverage": coverage_table(ctx, evals, absent, year),
            "cutoffs": {n: e.attrs.get("cut") for n, e in evals.items()},
        }
    )
    return out


def _explain(
    ctx: _Ctx, out: pd.DataFrame, r: dict, year: int, evals: dict, flags: list, decisive: dict
) -> None:
    """Add to ``out`` (in place) the columns a reader is told: the unassessed criteria, the reasons of
    «зона риска», the risk profile and the sentence of every school."""
    sids = out.index.tolist()
    # every criterion's phrase for every school, formatted once: the risk reasons and the
    # explanations both quote them
    phrases = {n: _phrases(ctx, n, evals, year) for n in evals}
    reasons = risk_zone_reasons(flags, sids, phrases)
    out["risk_zone_reasons"] = pd.Series(
        ["; ".join(reasons[s]) for s in sids], index=out.index, dtype="string"
    ).where(out["category"] == "зона риска")
    na = (
        np.column_stack([out[f"crit_{n}"].isna().to_numpy(dtype=bool) for n in evals])
        if evals
        else np.zeros((len(out), 0), dtype=bool)
    )
    out["not_assessed"] = pd.Series(
        _joined(na, [f"«{r['criteria'][n]['title_ru']}»" for n in evals]), index=out.index, dtype="string"
    )
    levels = r["risk_profile_levels"]
    rp = ctx.memoised(
        ("risk_profiles", int(year), freeze(levels)), lambda: risk_profiles(ctx.ds, year, levels)
    )
    identified = out["category"].isin([*LISTED, "зона риска"])
    for c in ("risks_high", "risks_medium"):
        out[c] = pd.Series(rp[c] if c in rp else pd.Series(dtype="string"), dtype="string").reindex(out.index)
        out[c] = out[c].where(identified)
    cat_names = list(r["categories"])
    sentences = [
        school_sentence(
            cat, {c: decisive[c].get(s, []) for c in decisive}, evals, r, reasons[s], s, phrases=phrases
        )
        for s, cat in zip(sids, out["category"].tolist(), strict=True)
    ]
    out["explanation"] = [
        _with_unassessed(e, u, cat_names)
        for e, u in zip(sentences, out["unassessed_categories"].tolist(), strict=True)
    ]


def identify_each_year(
    ds: Any,
    years: Sequence[int],
    rules: str | Path | Mapping = "lo_2018",
    override: Mapping[str, Any] | None = None,
    standardised: pd.DataFrame | None = None,
    memo: dict | None = None,
    explained: Collection[int] | None = None,
) -> dict[int, pd.DataFrame]:
    """:func:`identify_schools` of every year in ``years``, ``{year: table}`` in year order.

    The rule set, the index spec and the standardised results do not depend on the year: they
    are read and computed once and handed to every year's identification, with one memo
    (``memo``: the caller's, to share it further, e.g. with the sensitivity runs; ``standardised``:
    computed here when not given).  ``explained``: the years whose tables carry what a reader is
    told (``explain`` of :func:`identify_schools`; default every year) — a report shows the sentences
    of its own year, the earlier years feed the panel and the changes with their categories.
    """
    override = override or {}
    r = load_rules(rules, override.get("criteria"))
    spec = load_indices(None, override.get("indices"))
    std = standardised if standardised is not None else standardised_for_identification(ds.results)
    memo = memo if memo is not None else {}
    told = None if explained is None else {int(y) for y in explained}
    return {
        int(y): identify_schools(
            ds, int(y), r, spec, standardised=std, memo=memo, explain=told is None or int(y) in told
        )
        for y in sorted(years)
    }


def _phrases(ctx: _Ctx, name: str, evals: dict, year: int) -> dict[str, str]:
    """``{school_id: phrase}`` of criterion ``name`` (:func:`criterion_phrases`), once per evaluation:
    the phrase reads the criterion, its evaluation and (the result index) the rule set's method,
    all in the evaluation's key."""
    c = ctx.rules["criteria"][name]
    index = ctx.school_ids()

    def compute() -> dict[str, str]:
        # plain lists: iterating an arrow-backed index or series yields its values one by one, slowly
        return dict(
            zip(
                index.tolist(), criterion_phrases(name, evals, ctx.rules).reindex(index).tolist(), strict=True
            )
        )

    return ctx.memoised(("phrases", *criterion_key(ctx, c), int(year)), compute)
