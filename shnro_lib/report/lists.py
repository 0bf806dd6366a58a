"""The regional workbook of the lists: every ШНРО, ШНСУ and «зона риска» school of the region.

The committee's order approving the lists attaches this workbook: one sheet for all listed schools
and one per category, each row with the school's code, name, municipality, category, the one-sentence
reason of the identification and the years it was on the list (A4 landscape, header repeated).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from shnro_lib.report.format import SYNTHETIC_TEXT

LISTED = ("ШНРО", "ШНСУ", "ШНРО и ШНСУ")
CATEGORY_SHEETS = {
    "ШНРО": ("ШНРО", "ШНРО и ШНСУ"),
    "ШНСУ": ("ШНСУ", "ШНРО и ШНСУ"),
    "Зона риска": ("зона риска",),
}
ALL_SHEET = "Все школы списков"
LISTS_TITLE = "Списки ШНРО, ШНСУ и «зона риска» (Excel)"
_ORDER = {"ШНРО и ШНСУ": 0, "ШНРО": 1, "ШНСУ": 2, "зона риска": 3}


def lists_file_name(year: int) -> str:
    """The workbook's file name in the batch folder (the index links it)."""
    return f"lists_{int(year)}.xlsx"


def _years(panel: pd.DataFrame | None, categories: tuple[str, ...]) -> pd.DataFrame:
    """Per school: the years (up to the report year) it was in ``categories``, as text and as a count."""
    if panel is None or panel.empty:
        return pd.DataFrame(columns=["school_id", "years", "n"])
    sub = panel[panel["category"].isin(categories)]
    g = sub.groupby("school_id")["year"]
    return pd.DataFrame(
        {"years": g.apply(lambda s: ", ".join(str(int(y)) for y in sorted(set(s)))), "n": g.nunique()}
    ).reset_index()


def lists_table(identify: pd.DataFrame, panel: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every listed or «зона риска» school of the report year, with its reason and years on the list.

    Parameters
    ----------
    identify : the identification table of the report year (``school_id, name, municipality,
        category, explanation``).
    panel : identification per school and year (``school_id, year, category``) up to the report year.

    Returns
    -------
    DataFrame with Russian headers: «Код ОО», «Наименование ОО», «Муниципальное образование»,
    «Категория», «Основание», «Годы в списке ШНРО/ШНСУ», «Лет в списке», «Годы в зоне риска»,
    sorted by category, municipality and code.
    """
    t = identify[identify["category"].isin((*LISTED, "зона риска"))].copy()
    listed = _years(panel, LISTED).set_index("school_id")
    risk = _years(panel, ("зона риска",)).set_index("school_id")
    out = pd.DataFrame(
        {
            "Код ОО": t["school_id"].astype(str).to_numpy(),
            "Наименование ОО": t["name"].to_numpy(),
            "Муниципальное образование": t["municipality"].to_numpy(),
            "Категория": t["category"].to_numpy(),
            "Основание": t["explanation"].to_numpy() if "explanation" in t.columns else "—",
        }
    )
    ids = out["Код ОО"]
    out["Годы в списке ШНРО/ШНСУ"] = ids.map(listed["years"]).fillna("—").to_numpy()
    out["Лет в списке"] = ids.map(listed["n"]).fillna(0).astype(int).to_numpy()
    out["Годы в зоне риска"] = ids.map(risk["years"]).fillna("—").to_numpy()
    order = out["Категория"].map(_ORDER)
    out = out.assign(_o=order).sort_values(["_o", "Муниципальное образование", "Код ОО"], kind="mergesort")
    return out.drop(columns="_o").reset_index(drop=True)


def lists_sheets(table: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """One sheet for all listed schools and one per category (a school of both categories is on both)."""
    sheets = {ALL_SHEET: table}
    for sheet, cats in CATEGORY_SHEETS.items():
        sheets[sheet] = table[table["Категория"].isin(cats)].reset_index(drop=True)
    return sheets


def lists_workbook(region: Any, path: str | Path) -> Path | None:
    """Write the regional lists workbook of ``region`` (``None`` when identification failed)."""
    from shnro_lib.outputs import write_workbook

    if not region.ok("identify"):
        return None
    table = lists_table(region.table("identify"), region.table("ident_panel"))
    year = region.year
    rules = region.meta.get("rules", "")
    try:
        from shnro_lib.identify import load_rules

        rules = load_rules(rules)["title_ru"]
    except Exception:  # noqa: BLE001 - the title is a courtesy; the note still names the year and data
        pass
    note = (
        f"Списки ШНРО, ШНСУ и «зона риска» на {year} г.; правила: {rules}; "
        f"отпечаток данных: {region.fingerprint}"
    )
    if region.synthetic:
        note = f"{SYNTHETIC_TEXT}. " + note
    sheets = lists_sheets(table)
    notes = {name: f"{note}. Школ: {len(df)}" for name, df in sheets.items()}
    return write_workbook(sheets, path, notes=notes)
