"""One status per school and year: the status model every view reads.

Precedence (the first that applies decides the status; see ``parameters/monitoring.yaml`` for the
years a school must stay clear):

1. «не оценено: …» — the year's identification could not decide the school's category;
2. a listed school (ШНРО, ШНСУ or both): «вошла в список впервые», «вернулась в список» or
   «остаётся в списке»;
3. a school in the risk zone: «вышла из списка, но в зоне риска» after the list, «в зоне риска»
   otherwise;
4. a school clear of both after the list: «перешла в эффективный режим» once it has stayed clear for
   the configured number of years, «вышла из списка (ожидается подтверждение)» before that;
5. «не была в списке» / «вне списка».

«Стоит изучить» is not a status but a mark beside it, set only where its own test passed — a rise
of the context-adjusted result beyond regression to the mean, or an exit from the list that the
school's figures do not contradict — and it names that test.  A listed school never carries
«перешла в эффективный режим»: the trajectory and the category come from the same identification.
"""

from __future__ import annotations

import pandas as pd

STATUS_COLUMNS = [
    "school_id",
    "category",
    "status",
    "status_ru",
    "path",
    "entered_year",
    "left_year",
    "effective_since",
    "worth_learning",
    "worth_learning_route",
]

# statuses that mean «in the list this year»; the category of such a school must be a list category
LISTED_STATUSES = ("stayed", "reentered", "entered")


def school_status(
    identify: pd.DataFrame | None,
    trajectories: pd.DataFrame | None,
    worth: pd.DataFrame | None,
    schools: pd.DataFrame,
    panel: pd.DataFrame | None = None,
    listed: tuple[str, ...] = ("ШНРО", "ШНСУ", "ШНРО и ШНСУ"),
) -> pd.DataFrame:
    """The report year's status of every school, one row per school of ``schools``.

    Parameters
    ----------
    identify : the identify stage's table of the report year (``school_id, category``) or ``None``.
    trajectories : :func:`shnro_lib.monitoring.school_trajectories` up to the report year or ``None``.
    worth : the ``worth_learning`` stage's table or ``None``.
    schools : the schools of the region (``school_id``).
    panel : the school × year categories up to the report year (``ident_panel``) or ``None``.
    listed : the categories that are «in the list» (``list_categories`` of the monitoring settings).

    Returns
    -------
    DataFrame with :data:`STATUS_COLUMNS`: ``status`` is the trajectory key (``NA`` where the
    monitoring could not run), ``status_ru`` its Russian text or «не оценено: …» with the reason,
    ``entered_year`` the first year of the current run in the list, ``worth_learning`` a boolean
    mark and ``worth_learning_route`` the test that put the school on that list.
    """
    ids = pd.Index(schools["school_id"].astype("string").unique(), name="school_id")
    out = pd.DataFrame(index=ids)
    out["category"] = values_by_school(identify, "category", ids)
    for col in ("status", "status_ru", "path", "left_year", "effective_since"):
        out[col] = values_by_school(trajectories, col, ids)
    if trajectories is None:
        out["status_ru"] = "не оценено: не рассчитаны траектории школ по списку"
    out["entered_year"] = _entered_year(panel, tuple(listed), ids)
    listed_now = out["status"].isin(LISTED_STATUSES).fillna(False).to_numpy(dtype=bool)
    out.loc[~listed_now, "entered_year"] = pd.NA
    out.loc[listed_now, ["left_year", "effective_since"]] = pd.NA
    route = values_by_school(worth, "route", ids)
    out["worth_learning"] = route.notna() & (route.astype("string").str.len() > 0).fillna(False)
    out["worth_learning_route"] = route.where(out["worth_learning"])
    return out.reset_index()[STATUS_COLUMNS]


def values_by_school(df: pd.DataFrame | None, col: str, ids: pd.Index) -> pd.Series:
    """``df[col]`` by school (one row per school), in the order of ``ids``; missing when absent."""
    if df is None or col not in df.columns or "school_id" not in df.columns:
        return pd.Series(pd.NA, index=ids, dtype="object")
    by_school = df.assign(_id=df["school_id"].astype("string")).drop_duplicates("_id").set_index("_id")[col]
    return by_school.reindex(ids)


def _entered_year(panel: pd.DataFrame | None, listed: tuple[str, ...], ids: pd.Index) -> pd.Series:
    """The first year of each school's last unbroken run of list years (``NA`` for none)."""
    if panel is None or not len(panel):
        return pd.Series(pd.NA, index=ids, dtype="Int64")
    p = panel.assign(school_id=panel["school_id"].astype("string"), year=panel["year"].astype(int))
    p = p.sort_values(["school_id", "year"], kind="stable")
    on = p["category"].isin(listed).fillna(False).to_numpy(dtype=bool)
    # a run starts where a list year follows a year off the list (or a school's first year)
    first_of_school = (p["school_id"] != p["school_id"].shift()).fillna(True).to_numpy(dtype=bool)
    starts = on & (first_of_school | ~pd.Series(on).shift(fill_value=False).to_numpy())
    run_start = (
        pd.Series(p["year"].where(starts).to_numpy(), index=p.index)
        .groupby(pd.Series((first_of_school | starts).cumsum(), index=p.index))
        .transform("first")
    )
    last = p.assign(start=run_start.where(on)).groupby("school_id").tail(1).set_index("school_id")["start"]
    return last.reindex(ids).astype("Int64")
