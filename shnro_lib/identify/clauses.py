"""The clauses of a rule set's categories: which this data set can decide, and who meets them.

A category is met by a school when one of its clauses («не менее k из n» criteria, counted by group,
with its guards) is met; :func:`category_hits` decides every school at once on numpy arrays.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

GUARD_RU = {
    "result_index": "индексу результатов",
    "social_wellbeing_index": "ИСБ",
    "staff_index": "индексу кадров",
    "resources_index": "индексу ресурсов",
}


def group_of(r: dict) -> dict[str, str]:
    """criterion -> the group it counts in (itself when it is in no group)."""
    out = {name: name for name in r["criteria"]}
    for g, members in (r["groups"] or {}).items():
        for m in members:
            out[m] = g
    return out


def decidable_clauses(
    r: dict, absent: dict[str, str], lower_half: dict[str, pd.Series], notes: list[str]
) -> dict[str, list[dict]]:
    """The clauses of each category that this data set can decide, absent criteria removed."""
    group = group_of(r)
    out: dict[str, list[dict]] = {}
    for cat, spec in r["categories"].items():
        kept = []
        for cl in spec["any_of"]:
            present = [c for c in cl["criteria"] if c not in absent]
            n_groups = len({group[c] for c in present})
            if n_groups < int(cl["min"]):
                if len(present) < len(cl["criteria"]):
                    titles = ", ".join(
                        f"«{r['criteria'][c]['title_ru']}»" for c in cl["criteria"] if c in absent
                    )
                    notes.append(
                        f"{cat}: условие «не менее {cl['min']} из {len(cl['criteria'])}» не проверяется — "
                        f"нет данных для {titles}."
                    )
                continue
            guards = [g for g in (cl["lower_half_of"] or []) if g in lower_half]
            for g in sorted(set(cl["lower_half_of"] or []) - set(guards)):
                notes.append(
                    f"{cat}: условие «не менее {cl['min']} из {len(cl['criteria'])}» проверяется без "
                    f"ограничения «нижняя половина по {GUARD_RU.get(g, g)}» — этого индекса нет в данных."
                )
            req = (
                [c for c in (cl["require_one_of"] or []) if c not in absent] if cl["require_one_of"] else None
            )
            if req is not None and not req:
                continue
            kept.append({**cl, "criteria": present, "lower_half_of": guards, "require_one_of": req})
        out[cat] = kept
    return out


def category_hits(
    out: pd.DataFrame, clauses: list[dict], group: dict[str, str], lower_half: dict[str, pd.Series]
) -> tuple[pd.Series, pd.Series, pd.Series, dict]:
    """Per school: met, decided (met, or no clause can still be met), one criterion short, and
    for every school the criteria of the first met clause (rule-file order)."""
    idx = out.index
    n = len(idx)
    hit = np.zeros(n, dtype=bool)
    open_ = np.zeros(n, dtype=bool)
    short = np.zeros(n, dtype=bool)
    decisive: dict[str, list[str]] = {}
    if not clauses:  # nothing of this category can be checked on this data set
        return (
            pd.Series(hit, index=idx),
            pd.Series(hit.copy(), index=idx),
            pd.Series(short, index=idx),
            decisive,
        )
    # whole columns as numpy arrays: the clause logic is a few boolean reductions per school
    crit = {c for cl in clauses for c in cl["criteria"]}
    fired = {c: out[f"crit_{c}"].fillna(False).to_numpy(dtype=bool) for c in crit}
    unknown = {c: out[f"crit_{c}"].isna().to_numpy(dtype=bool) for c in crit}
    for cl in clauses:
        groups = sorted({group[c] for c in cl["criteria"]})
        g_true = np.zeros(n, dtype=int)
        g_unknown = np.zeros(n, dtype=int)
        for g in groups:
            members = [c for c in cl["criteria"] if group[c] == g]
            any_fired = np.logical_or.reduce([fired[c] for c in members])
            g_true += any_fired
            g_unknown += np.logical_or.reduce([unknown[c] for c in members]) & ~any_fired
        ok = np.ones(n, dtype=bool)
        for g in cl["lower_half_of"]:
            ok &= lower_half[g].reindex(idx).fillna(False).to_numpy(dtype=bool)
        if cl["require_one_of"]:
            ok &= np.logical_or.reduce([fired[c] for c in cl["require_one_of"]])
        m = int(cl["min"])
        met = (g_true >= m) & ok
        first = np.flatnonzero(met & ~hit)
        if first.size:
            names = cl["criteria"]
            fm = np.column_stack([fired[c] for c in names])
            for i in first:
                decisive[idx[i]] = [c for c, f in zip(names, fm[i], strict=True) if f]
        hit |= met
        open_ |= (g_true + g_unknown >= m) & ~met
        if m >= 2:
            short |= (g_true == m - 1) & ok
    return (
        pd.Series(hit, index=idx),
        pd.Series(hit | ~open_, index=idx),
        pd.Series(short & ~hit, index=idx),
        decisive,
    )
