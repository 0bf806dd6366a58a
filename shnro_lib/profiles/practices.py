"""«Школы, чьи практики стоит изучить»: schools that truly improved, and what the data say they did.

Two routes into the list (the regional plan's «выявление и распространение эффективных практик»):

- the school **left the list and stayed out** (status «перешла в эффективный режим» of
  :func:`shnro_lib.monitoring.school_trajectories`);
- its **context-adjusted result rose beyond regression to the mean**
  (:func:`shnro_lib.profiles.rtm.rtm_gains`: the change from the «до» years to the «после» years of
  the result index minus the context model's expected result, against what regression to the mean
  predicts, with the false discovery rate controlled).

Descriptive, not causal: the list says where results rose, not why.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from shnro_lib.profiles.rtm import rtm_gains
from shnro_lib.profiles.settings import ProfilesSettings, load_profiles_settings
from shnro_lib.russian import plural_ru

DESCRIPTIVE_NOTE_RU = (
    "Список описательный, а не причинный: он показывает школы, где результаты выросли сильнее, чем "
    "объясняют социальный контекст и регрессия к среднему, но не доказывает, что рост вызван именно "
    "перечисленными мерами. Практики этих школ стоит изучить на месте, прежде чем распространять."
)

WORTH_COLUMNS = [
    "school_id",
    "name",
    "municipality",
    "route",
    "category",
    "trajectory",
    "pre_years",
    "post_years",
    "pre_residual",
    "post_residual",
    "reliability",
    "expected_post",
    "gain",
    "gain_se",
    "p_value",
    "q_value",
    "rose_beyond_rtm",
    "left_and_stayed_out",
    "in_programme_years",
    "diagnostics",
    "methodical_visits",
    "has_partner",
    "process_note",
]

WORTH_LABELS_RU = {
    "school_id": "Код ОО",
    "name": "Школа",
    "municipality": "Муниципальное образование",
    "route": "Почему в списке",
    "category": "Категория в отчётном году",
    "trajectory": "Путь по годам",
    "pre_years": "Годы «до»",
    "post_years": "Годы «после»",
    "pre_residual": "Отклонение от ожидаемого «до», SD",
    "post_residual": "Отклонение от ожидаемого «после», SD",
    "reliability": "Надёжность «до»",
    "expected_post": "Ожидалось «после» (регрессия к среднему), SD",
    "gain": "Рост сверх регрессии к среднему, SD",
    "gain_se": "Стандартная ошибка роста, SD",
    "p_value": "p (одностороннее)",
    "q_value": "q (Бенджамини — Хохберг)",
    "rose_beyond_rtm": "Рост значим",
    "left_and_stayed_out": "Вышла из списка и осталась вне его",
    "in_programme_years": "Годы в программе",
    "diagnostics": "Диагностики «вход–выход»",
    "methodical_visits": "Методические выезды (всего)",
    "has_partner": "Школа-партнёр",
    "process_note": "Записи о процессе",
}


def _process_records(dataset: Any, ids: pd.Index, year: int) -> pd.DataFrame:
    """Programme years, diagnostics waves, methodical visits and partnership per school (where the data have
    them)."""
    out = pd.DataFrame(index=ids)
    for col in ("in_programme_years", "diagnostics", "methodical_visits", "has_partner", "process_note"):
        out[col] = pd.Series(pd.NA, index=ids, dtype="object")
    get = dataset.get if dataset is not None and hasattr(dataset, "get") else (lambda name: None)
    prog = get("programme")
    if prog is not None and len(prog):
        p = prog[prog["in_programme"].fillna(False).astype(bool) & (prog["year"] <= year)]
        yrs = p.groupby(p["school_id"].astype("string"))["year"].apply(
            lambda s: ", ".join(str(int(y)) for y in sorted(set(s.dropna().astype(int))))
        )
        out["in_programme_years"] = yrs.reindex(ids).astype(object)
    diag = get("diagnostics")
    if diag is not None and len(diag):
        d = diag.groupby(diag["school_id"].astype("string"))["wave"].apply(
            lambda s: ", ".join(sorted(set(s.dropna().astype(str))))
        )
        out["diagnostics"] = d.reindex(ids).astype(object)
    proc = get("process")
    if proc is not None and len(proc):
        pr = proc[proc["year"] <= year].copy()
        pr["school_id"] = pr["school_id"].astype("string")
        g = pr.groupby("school_id")
        if "methodical_visits" in pr.columns:
            out["methodical_visits"] = g["methodical_visits"].sum(min_count=1).reindex(ids).astype(object)
        if "has_partner" in pr.columns:
            hp = g["has_partner"].apply(
                lambda s: bool(s.fillna(False).astype(bool).any()) if s.notna().any() else pd.NA
            )
            out["has_partner"] = (
                hp.reindex(ids)
                .map(lambda v: "—" if v is pd.NA or pd.isna(v) else ("да" if v else "нет"))
                .astype(object)
            )
        parts = []
        for sid in ids:
            if sid not in g.groups:
                parts.append(pd.NA)
                continue
            s = g.get_group(sid).sort_values("year")
            last = s.iloc[-1]
            bits = [f"{int(last['year'])}:"]
            if "share_teachers_diagnosed" in s and pd.notna(last.get("share_teachers_diagnosed")):
                bits.append(
                    f"диагностику прошли {float(last['share_teachers_diagnosed']) * 100:.0f} % учителей"
                )
            if "share_teachers_trained" in s and pd.notna(last.get("share_teachers_trained")):
                bits.append(f"КПК — {float(last['share_teachers_trained']) * 100:.0f} %")
            if "tutor_hours" in s and pd.notna(last.get("tutor_hours")):
                bits.append(f"тьюторство {float(last['tutor_hours']):.0f} ч".replace(".", ","))
            parts.append(" ".join(bits[:1]) + " " + "; ".join(bits[1:]) if len(bits) > 1 else pd.NA)
        out["process_note"] = pd.Series(parts, index=ids, dtype="object")
    return out


def _schools_ru(n: int) -> str:
    """«1 школа», «3 школы», «5 школ»."""
    return f"{int(n)} {plural_ru(int(n), 'школа', 'школы', 'школ')}"


def _signed(x: float) -> str:
    return f"{x:+.2f}".replace("-", "−").replace(".", ",")


def _route_ru(row: Any) -> str:
    """Why the school is listed: the test that passed, with its own figures."""
    parts = []
    if row.rose_beyond_rtm:
        parts.append(
            f"рост сверх регрессии к среднему {_signed(row.gain)} SD (q = {row.q_value:.3f})".replace(
                ".", ","
            )
        )
    if row.left_and_stayed_out:
        exit_ru = "вышла из списка и осталась вне его"
        if not row.rose_beyond_rtm:
            exit_ru += (
                "; рост сверх регрессии к среднему не подтверждён"
                if np.isfinite(row.gain)
                else "; рост сверх регрессии к среднему не оценён"
            )
        parts.append(exit_ru)
    return "; ".join(parts)


# the gain's figures a listed school carries (NaN where the rise was not assessed)
GAIN_FIGURES = (
    "pre_residual",
    "post_residual",
    "reliability",
    "expected_post",
    "gain",
    "gain_se",
    "p_value",
    "q_value",
)


def _context_gains(region: Any, cfg: ProfilesSettings, reasons: list[str]) -> pd.DataFrame:
    """The route «рост сверх регрессии к среднему» (:func:`rtm_gains`); why it is not assessed goes to
    ``reasons``."""
    ctx = region.table("context")
    if ctx is None or "expected_result" not in ctx.columns:
        reasons.append("нет ожидаемых результатов по контексту: " + (region.reason("context") or "—"))
        return pd.DataFrame(columns=["school_id"])
    exp = ctx.set_index(ctx["school_id"].astype("string"))["expected_result"]
    gains = rtm_gains(region.table("index_by_year"), exp, int(region.year), cfg)
    if "reason_ru" in gains.attrs:
        reasons.append("рост сверх регрессии к среднему не оценивается: " + gains.attrs["reason_ru"])
    return gains


def _effective_exits(region: Any, cfg: ProfilesSettings, reasons: list[str]) -> pd.Index:
    """Schools that left the list and stayed out (the trajectories' «effective»), when that route is on."""
    traj = region.table("trajectories")
    if not cfg.worth_learning.include_effective_exits:
        return pd.Index([], dtype="string")
    if traj is None:
        reasons.append("нет траекторий школ по списку: " + (region.reason("trajectories") or "—"))
        return pd.Index([], dtype="string")
    return pd.Index(traj.loc[traj["status"] == "effective", "school_id"].astype("string"))


def _routes(gains: pd.DataFrame, eff: pd.Index, reasons: list[str]) -> tuple[pd.Index, pd.Index]:
    """The schools whose rise is significant and the exits the school's own figures do not contradict."""
    none = pd.Index([], dtype="string")
    rose = (
        pd.Index(gains.loc[gains["rose_beyond_rtm"].fillna(False).astype(bool), "school_id"].astype("string"))
        if len(gains)
        else none
    )
    # an exit is a route in only if the school's own figures do not contradict it: a context-adjusted
    # result that fell below what regression to the mean predicts is not a practice to learn from
    fell = (
        pd.Index(gains.loc[gains["gain"].astype(float) < 0, "school_id"].astype("string"))
        if len(gains)
        else none
    )
    dropped = eff.intersection(fell)
    if len(dropped):
        reasons.append(
            f"{_schools_ru(len(dropped))} вышли из списка и остаются вне его, но их результат с "
            "поправкой на контекст ниже ожидаемого после регрессии к среднему, поэтому в список не "
            "включены"
        )
    return rose, eff.difference(fell)


def _listed(region: Any, gains: pd.DataFrame, rose: pd.Index, eff: pd.Index) -> pd.DataFrame:
    """One row per listed school (indexed by ``school_id``): names, the gain's figures, the route, the
    years, the category and the path by years."""
    sch = region.table("schools").copy()
    sch["school_id"] = sch["school_id"].astype("string")
    sch = sch.set_index("school_id")
    ids = pd.Index(sorted(set(rose) | set(eff)), dtype="string")
    out = pd.DataFrame(index=ids)
    out["name"] = sch["name"].reindex(ids)
    out["municipality"] = sch["municipality"].reindex(ids)
    g = gains.set_index("school_id") if len(gains) else pd.DataFrame(index=pd.Index([], dtype="string"))
    for col in GAIN_FIGURES:
        out[col] = g[col].reindex(ids).astype(float) if col in g.columns else np.nan
    out["rose_beyond_rtm"] = ids.isin(rose)
    out["left_and_stayed_out"] = ids.isin(eff)
    out["route"] = [_route_ru(r) for r in out.itertuples()]
    pre, post = gains.attrs.get("pre_years", []), gains.attrs.get("post_years", [])
    out["pre_years"] = ", ".join(str(y) for y in pre) or "—"
    out["post_years"] = ", ".join(str(y) for y in post) or "—"
    ident, traj = region.table("identify"), region.table("trajectories")
    out["category"] = (
        ident.set_index(ident["school_id"].astype("string"))["category"].reindex(ids)
        if ident is not None
        else pd.NA
    )
    out["trajectory"] = (
        traj.set_index(traj["school_id"].astype("string"))["path"].reindex(ids) if traj is not None else pd.NA
    )
    return out


def worth_learning(region: Any, dataset: Any = None, config: Any = None) -> pd.DataFrame:
    """The «школы, чьи практики стоит изучить» table (see the module docstring).

    Parameters
    ----------
    region : :class:`~shnro_lib.pipeline.RegionResults` (tables ``index_by_year``, ``context``,
        ``trajectories``, ``identify``, ``schools``).
    dataset : the loaded data set, for programme and process records (optional).
    config : overrides of ``parameters/profiles.yaml``.

    Returns
    -------
    DataFrame with :data:`WORTH_COLUMNS`, sorted by route (significant rise first), then gain
    (descending) and ``school_id``; ``attrs['reasons_ru']`` lists why a route could not be used.
    """
    cfg = load_profiles_settings(config)
    reasons: list[str] = []
    gains = _context_gains(region, cfg, reasons)
    eff = _effective_exits(region, cfg, reasons)
    rose, eff = _routes(gains, eff, reasons)
    out = _listed(region, gains, rose, eff)
    out = out.join(_process_records(dataset, out.index, int(region.year)))
    out = out.rename_axis("school_id").reset_index()
    out["_o"] = (~out["rose_beyond_rtm"]).astype(int)
    out = (
        out.sort_values(
            ["_o", "gain", "school_id"], ascending=[True, False, True], kind="stable", na_position="last"
        )
        .drop(columns="_o")
        .reset_index(drop=True)
    )
    out = out[WORTH_COLUMNS]
    out.attrs.update(
        {
            "reasons_ru": reasons,
            "pre_years": gains.attrs.get("pre_years", []),
            "post_years": gains.attrs.get("post_years", []),
            "min_participants": cfg.worth_learning.min_participants,
        }
    )
    return out


def listed_practices(region: Any, dataset: Any = None, config: Any = None) -> pd.DataFrame:
    """The list as the region's ``worth_learning`` stage computed it (every view reads this one table).

    A region without that stage (results assembled by hand, as in tests) gets it computed here, with
    ``dataset`` and ``config``; a region that has it ignores them, so no view can show another list.
    """
    if "worth_learning" in region.tables:
        return region.table("worth_learning")
    return worth_learning(region, dataset, config)


def worth_learning_sentences(table: pd.DataFrame) -> list[str]:
    """Russian sentences that go with the table: how many, by which route, and the descriptive caveat."""
    from shnro_lib.report import fmt_int, fmt_num

    pre = ", ".join(str(y) for y in table.attrs.get("pre_years", [])) or "—"
    post = ", ".join(str(y) for y in table.attrs.get("post_years", [])) or "—"
    n_rose = int(table["rose_beyond_rtm"].sum()) if len(table) else 0
    n_eff = int(table["left_and_stayed_out"].sum()) if len(table) else 0
    schools = plural_ru(len(table), "школа", "школы", "школ")
    out = [
        f"В списке {fmt_int(len(table))} {schools}: у {fmt_int(n_rose)} результат с поправкой на контекст "
        f"вырос сверх ожидаемой регрессии к среднему (годы «до»: {pre}; «после»: {post}); "
        f"{fmt_int(n_eff)} вышли из списка ШНРО/ШНСУ и остаются вне его."
    ]
    if n_rose:
        top = table[table["rose_beyond_rtm"]].iloc[0]
        out.append(
            f"Наибольший рост — «{top['name']}» ({top['municipality']}): "
            f"{fmt_num(top['gain'], 2, signed=True)} SD сверх ожидаемого."
        )
    both = int((table["rose_beyond_rtm"] & table["left_and_stayed_out"]).sum()) if len(table) else 0
    if n_eff:
        out.append(
            f"Из вышедших из списка рост сверх регрессии к среднему подтверждается у {fmt_int(both)}: "
            "остальные могли выйти и за счёт случайного колебания результатов."
        )
    out.append(DESCRIPTIVE_NOTE_RU)
    if table.attrs.get("min_participants"):
        out.append(
            f"Рост оценивается только у школ, где в каждом году «до» и «после» не меньше "
            f"{fmt_int(table.attrs['min_participants'])} участников: у меньших школ индекс по годам "
            "больше зависит от состава классов, чем от работы школы."
        )
    out += [f"Примечание: {r}." for r in table.attrs.get("reasons_ru", [])]
    return out


def write_worth_learning_sheet(table: pd.DataFrame, path: Any) -> Any:
    """The list as an Excel workbook (one sheet, Russian headers) via
    :func:`shnro_lib.outputs.write_workbook`."""
    from shnro_lib.outputs import write_workbook

    sheet = "Практики стоит изучить"
    return write_workbook(
        {sheet: worth_learning_excel_frame(table)}, path, notes={sheet: DESCRIPTIVE_NOTE_RU}
    )


def worth_learning_excel_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The list with Russian headers, booleans as да/нет and missing as «—» (for a workbook sheet)."""
    df = table.copy()
    for c in ("pre_residual", "post_residual", "reliability", "expected_post", "gain", "gain_se"):
        df[c] = df[c].round(3)
    for c in ("p_value", "q_value"):
        df[c] = df[c].round(4)
    for c in ("rose_beyond_rtm", "left_and_stayed_out"):
        df[c] = df[c].map(lambda v: "да" if bool(v) else "нет")
    for c in df.columns:
        if df[c].dtype == object or pd.api.types.is_string_dtype(df[c]):
            df[c] = df[c].astype(object).where(df[c].notna(), "—")
    return df.rename(columns=WORTH_LABELS_RU)


def precision_recall(listed: pd.Series | list[str], truth: pd.Series | list[str]) -> dict[str, float]:
    """Precision and recall of a list of school ids against the ids that truly improved.

    Returns ``{"n_listed", "n_true", "n_hit", "precision", "recall"}`` (NaN where undefined).
    """
    a, b = set(map(str, listed)), set(map(str, truth))
    hit = len(a & b)
    return {
        "n_listed": len(a),
        "n_true": len(b),
        "n_hit": hit,
        "precision": hit / len(a) if a else float("nan"),
        "recall": hit / len(b) if b else float("nan"),
    }


SECTION_COLUMNS = [
    "school_id",
    "name",
    "municipality",
    "route",
    "gain",
    "q_value",
    "category",
    "in_programme_years",
    "diagnostics",
    "methodical_visits",
    "has_partner",
    "process_note",
]


def regional_practices_section(region: Any, dataset: Any = None) -> Any:
    """«Школы, чьи практики стоит изучить» as a report section: results rose beyond regression to the
    mean given the context, or the school left the list and stayed out (:func:`worth_learning`).

    Descriptive, not causal — the section says so first.  ``dataset`` adds programme and process
    records (without it those columns are «—»).  Returns a :class:`shnro_lib.report.content.Section`.
    """
    from shnro_lib.report.content import Section, note, table, text
    from shnro_lib.report.format import fmt_num
    from shnro_lib.report.helpers import max_rows

    tab = listed_practices(region, dataset)
    parts = [
        note(DESCRIPTIVE_NOTE_RU),
        text(*[s for s in worth_learning_sentences(tab) if s != DESCRIPTIVE_NOTE_RU]),
    ]
    if len(tab):
        parts.append(
            table(
                tab[SECTION_COLUMNS],
                WORTH_LABELS_RU,
                max_rows=max_rows(region),
                formats={"gain": lambda v: fmt_num(v, 2, True), "q_value": lambda v: fmt_num(v, 3)},
            )
        )
    return Section(parts)
