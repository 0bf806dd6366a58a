"""The partnership list of a data set: identification, context and pairing of one year."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from .leaders import select_leaders
from .pairing import PartnerResult, pair_schools
from .settings import PartnersSettings, load_partners_config


def partner_result(
    dataset,
    year: int,
    config: str | Path | Mapping | PartnersSettings | None = None,
    rules: str | Path | dict = "lo_2018",
    ident: pd.DataFrame | None = None,
    contexts: Mapping[int, pd.DataFrame] | None = None,
    features: pd.DataFrame | None = None,
    context_config: Mapping | None = None,
) -> PartnerResult:
    """Identification, context and pairing of ``year`` from a data set (inputs may be passed in).

    ``context_config`` — a user's changes to ``context.yaml`` for the context computed here;
    :class:`shnro_lib.context.ContextNotAssessed` when the data hold no usable context.
    """
    cfg = load_partners_config(config)
    if ident is None:
        from shnro_lib.identify import identify_schools

        ident = identify_schools(dataset, int(year), rules)
    if contexts is None:
        from shnro_lib.context import context_table

        n_years = cfg.leaders.stable_years
        yrs = [y for y in dataset.years if y <= int(year)][-n_years:]
        contexts = {y: context_table(dataset, y, context_config) for y in yrs}
    if features is None:
        from shnro_lib.context import context_features

        features = context_features(dataset, int(year), context_config).z
    fallback_note = None
    ri = pd.to_numeric(ident["result_index"], errors="coerce") if "result_index" in ident.columns else None
    ctx_now = contexts.get(int(year))
    if (ri is None or ri.isna().all()) and ctx_now is not None and "result_index" in ctx_now.columns:
        # identification could not index the results (e.g. a procedure it does not count): the
        # context model's index (every procedure of the data set) stands in, and the notes say so
        ident = ident.copy()
        by_school = ctx_now.drop_duplicates("school_id").set_index("school_id")["result_index"]
        ident["result_index"] = ident["school_id"].astype("string").map(by_school)
        fallback_note = (
            "Индекс результатов в идентификации не рассчитан; для выбора лидеров и разрыва в "
            "результатах взят индекс результатов модели контекста."
        )
    leaders = select_leaders(ident, contexts, int(year), cfg)
    prog = dataset.get("programme") if hasattr(dataset, "get") else None
    current = None
    if prog is not None and "partner_school_id" in prog.columns:
        p = prog[prog["year"].astype("Int64") == int(year)].dropna(subset=["partner_school_id"])
        current = p.drop_duplicates("school_id", keep="last").set_index("school_id")["partner_school_id"]
    res = pair_schools(
        ident, leaders, features, dataset.schools, cfg, current_partners=current, year=int(year)
    )
    if fallback_note:
        res.notes.insert(0, fallback_note)
    return res


def partner_pairs(
    dataset, year: int, config: str | Path | Mapping | None = None, rules: str | Path | dict = "lo_2018"
) -> pd.DataFrame:
    """The partnership list of ``year``: one row per school needing a partner (unpaired: ``leader_id`` NA and
    the reason); for the municipal report."""
    return partner_result(dataset, year, config, rules).pairs
