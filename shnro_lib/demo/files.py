"""Files of the demo: raw exports as real ones look, canonical Parquet, and the planted truth."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from shnro_lib.config import load_yaml, parameters_dir
from shnro_lib.outputs import fix_zip_timestamps

from .constants import PROCEDURES, SYNTHETIC_NOTE


def _headers(table: str) -> dict[str, str]:
    """Canonical name -> the first Russian header of the default mapping."""
    mapping = load_yaml(parameters_dir() / "column_maps" / "ru_default.yaml")["columns"]
    out: dict[str, str] = {}
    for section in ("*", table):
        for canon, aliases in mapping.get(section, {}).items():
            out[canon] = aliases[0]
    return out


def _ru(df: pd.DataFrame, table: str) -> pd.DataFrame:
    h = _headers(table)
    return df.rename(columns={c: h.get(c, c) for c in df.columns})


def _fmt_decimal(df: pd.DataFrame, cols: list[str], digits: int = 2) -> pd.DataFrame:
    """Format floats with a decimal comma, as Russian Excel exports do."""
    out = df.copy()
    for c in cols:
        vals = out[c].astype(float)
        out[c] = [("" if np.isnan(v) else f"{v:.{digits}f}".replace(".", ",")) for v in vals]
    return out


def _bool_ru(s: pd.Series) -> pd.Series:
    return s.map({True: "да", False: "нет"})


def _write_xlsx(
    df: pd.DataFrame, path: Path, title: str | None = None, group_header: dict | None = None
) -> None:
    """Write an Excel sheet with an optional title row and a two-row merged header."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "Лист1"
    row = 1
    if title:
        ws.cell(row=1, column=1, value=title)
        row = 3
    cols = list(df.columns)
    if group_header:
        # group_header: {group title: [columns under it]}; others span two rows
        grouped = {c: g for g, cs in group_header.items() for c in cs}
        for j, c in enumerate(cols, start=1):
            if c in grouped:
                ws.cell(row=row + 1, column=j, value=c)
            else:
                ws.cell(row=row, column=j, value=c)
                ws.merge_cells(start_row=row, start_column=j, end_row=row + 1, end_column=j)
        for g, cs in group_header.items():
            idx = [cols.index(c) + 1 for c in cs]
            ws.cell(row=row, column=min(idx), value=g)
            ws.merge_cells(start_row=row, start_column=min(idx), end_row=row, end_column=max(idx))
        row += 2
    else:
        for j, c in enumerate(cols, start=1):
            ws.cell(row=row, column=j, value=c)
        row += 1
    values = df.astype(object).where(df.notna(), None).to_numpy()
    for i, rec in enumerate(values):
        for j, v in enumerate(rec, start=1):
            if v is not None:
                if isinstance(v, np.generic):
                    v = v.item()
                ws.cell(row=row + i, column=j, value=v)
    for j in range(1, len(cols) + 1):
        ws.column_dimensions[get_column_letter(j)].width = 18
    # fixed metadata so that the same seed gives the same bytes
    fixed = _dt.datetime(2024, 9, 1)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.creator = "shnro demo-data"
    wb.save(path)
    fix_zip_timestamps(path)


def write_raw(
    out,
    schools,
    results,
    context,
    staff,
    resources,
    territories,
    outcomes,
    programme,
    process,
    diagnostics,
    risk,
    meta,
) -> None:
    # ---- raw files, as real exports look ----
    _write_xlsx(
        _ru(schools.reset_index(), "schools"),
        out / "Школы.xlsx",
        title=f"Перечень общеобразовательных организаций — {SYNTHETIC_NOTE}",
    )
    res = results.copy()
    for c in ("share_low", "share_quality", "share_high"):
        res[c] = res[c] * 100  # exported as percents
    res = _fmt_decimal(res, ["mean_score", "share_low", "share_quality", "share_high"], 2)
    res["max_score"] = res["max_score"].map(lambda v: f"{v:g}")
    _ru(res, "results").to_csv(out / "results.csv", sep=";", index=False, encoding="utf-8-sig")
    ctx = context.copy()
    ctx["is_small_school"] = _bool_ru(ctx["is_small_school"])
    _write_xlsx(_ru(ctx, "context"), out / "context.xlsx", title=f"Социальный контекст — {SYNTHETIC_NOTE}")
    st = _fmt_decimal(staff, [c for c in staff.columns if c.startswith("share_")], 3)
    _ru(st, "staff").to_csv(out / "staff.csv", sep=";", index=False, encoding="cp1251")
    rs = resources.copy()
    for c in ("in_renovation_plan", "in_construction_plan"):
        rs[c] = _bool_ru(rs[c])
    rs_ru = _ru(rs, "resources")
    h = _headers("resources")
    _write_xlsx(
        rs_ru,
        out / "resources.xlsx",
        group_header={
            "Условия": [h["share_textbooks_recent"], h["share_extrabudget"], h["share_repair_3y"]],
            "Планы": [h["in_renovation_plan"], h["in_construction_plan"]],
            "Финансирование": [h["spending_per_pupil"], h["computers_per_pupil"]],
        },
    )
    tr = territories.copy()
    tr["is_monotown"] = _bool_ru(tr["is_monotown"])
    _ru(tr, "territories").to_csv(out / "territories.csv", index=False, encoding="utf-8")
    _write_xlsx(_ru(outcomes, "outcomes"), out / "outcomes.xlsx")
    pg = programme.copy()
    pg["in_programme"] = _bool_ru(pg["in_programme"])
    _ru(pg, "programme").to_csv(out / "programme.csv", sep=";", index=False, encoding="utf-8-sig")
    pr = process.copy()
    pr["has_partner"] = _bool_ru(pr["has_partner"])
    _ru(pr, "process").to_csv(out / "process.csv", index=False, encoding="utf-8")
    _write_xlsx(_ru(diagnostics, "diagnostics"), out / "diagnostics.xlsx")
    _ru(risk, "risk_profile").to_csv(out / "risk_profile.csv", index=False, encoding="utf-8")
    (out / "dataset.yaml").write_text(
        yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )


def write_truth(
    truth_dir,
    schools,
    context_static,
    context_effect,
    quality,
    theta,
    resilient,
    cohort,
    dose,
    effect,
    shocks,
    results,
    years,
    improver,
    improvement,
) -> None:
    # ---- planted truth (never read by the library) ----
    truth = pd.DataFrame(
        {
            "school_id": schools.index,
            "context_group": context_static["group"].to_numpy(),
            "context_effect": context_effect,
            "latent_quality": quality,
            "true_school_effect": theta,
            "planted_resilient": resilient,
            "cohort": np.where(cohort > 0, cohort, np.nan),
            "dose": np.where(cohort > 0, dose, np.nan),
            "planted_improver": improver,
        }
    )
    truth.to_csv(truth_dir / "truth_schools.csv", index=False)
    pp_scale = _pp_scale_per_school(results)
    eff = pd.DataFrame(effect, columns=years)
    eff["school_id"] = schools.index
    eff = eff.melt(id_vars="school_id", var_name="year", value_name="true_effect_sd")
    eff["true_effect_pp"] = eff["true_effect_sd"] * eff["school_id"].map(pp_scale).fillna(15.0)
    sh = pd.DataFrame(shocks, columns=years)
    sh["school_id"] = schools.index
    sh = sh.melt(id_vars="school_id", var_name="year", value_name="school_year_shock")
    imp = pd.DataFrame(improvement, columns=years)
    imp["school_id"] = schools.index
    sh = sh.merge(
        imp.melt(id_vars="school_id", var_name="year", value_name="true_improvement_sd"),
        on=["school_id", "year"],
    )
    eff.merge(sh, on=["school_id", "year"]).to_csv(truth_dir / "truth_school_years.csv", index=False)
    (truth_dir / "README.txt").write_text(
        "Планted truth of the synthetic demo region (СИНТЕТИЧЕСКИЕ ДАННЫЕ). The library never reads it.\n"
        "Effects are in student-level SD units of each procedure's score; "
        "*_pp in percentage points of max.\n",
        encoding="utf-8",
    )


def _pp_scale_per_school(results: pd.DataFrame) -> pd.Series:
    sd = {(p, g, s): sdv * 100 for p, g, s, _mx, _mu, sdv, *_ in PROCEDURES}
    r = results[results["participants"] > 0]
    k = list(zip(r["procedure"], r["grade"], r["subject"], strict=True))
    return pd.Series([sd[x] for x in k], index=r.index).groupby(r["school_id"]).mean()


def write_parquet(out: Path, tables: dict[str, pd.DataFrame], meta: dict) -> None:
    """Canonical Parquet tables (for national-size data) and ``dataset.yaml``."""
    for name, df in tables.items():
        df.to_parquet(out / f"{name}.parquet", index=False)
    (out / "dataset.yaml").write_text(
        yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
