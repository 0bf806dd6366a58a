"""Deterministic generator of a synthetic Leningrad-oblast-like data set.

The generator writes *raw* files as real exports look (Russian headers,
Excel with a title row or a two-row merged header, ``cp1251`` CSV with
semicolons and decimal commas, shares as percents), so the demo goes through
the real loading path.  Scores come from a generative model:

``school effect = context effect (from social context) + latent quality``;
a school-year transitory shock ("bad luck"); sampling noise that grows as the
number of participants shrinks; and a support programme whose schools were
selected by the plain bottom-25% rule on observed results, with a planted
effect that depends on the programme dose; a few schools outside the programme
truly improve on their own (``planted_improver``, a separate random stream).

The planted truth is written to a separate folder that the library never
reads (``<out>_truth``), so tests and benchmarks can check what analyses
recover.  Everything is labelled as synthetic.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy.stats import norm

from shnro_lib.config import load_yaml, parameters_dir
from shnro_lib.outputs import fix_zip_timestamps

SYNTHETIC_NOTE = "СИНТЕТИЧЕСКИЕ ДАННЫЕ: демонстрационный регион, не реальные школы"

# (name, centre lat, lon, weight in the number of schools, towns)
MUNICIPALITIES: list[tuple[str, float, float, float, list[str]]] = [
    ("Бокситогорский муниципальный район", 59.47, 33.85, 0.035, ["Бокситогорск", "Пикалёво", "Ефимовский"]),
    ("Волосовский муниципальный район", 59.44, 29.49, 0.035, ["Волосово", "Бегуницы", "Калитино"]),
    ("Волховский муниципальный район", 59.92, 32.34, 0.06, ["Волхов", "Сясьстрой", "Новая Ладога"]),
    ("Всеволожский муниципальный район", 60.02, 30.65, 0.14, ["Всеволожск", "Мурино", "Кудрово", "Сертолово"]),
    ("Выборгский муниципальный район", 60.71, 28.75, 0.10, ["Выборг", "Светогорск", "Приморск", "Рощино"]),
    ("Гатчинский муниципальный район", 59.57, 30.13, 0.10, ["Гатчина", "Коммунар", "Сиверский", "Вырица"]),
    ("Кингисеппский муниципальный район", 59.37, 28.61, 0.045, ["Кингисепп", "Ивангород", "Усть-Луга"]),
    ("Киришский муниципальный район", 59.45, 32.02, 0.035, ["Кириши", "Будогощь", "Пчёвжа"]),
    ("Кировский муниципальный район", 59.88, 30.99, 0.055, ["Кировск", "Отрадное", "Шлиссельбург", "Мга"]),
    ("Лодейнопольский муниципальный район", 60.73, 33.55, 0.025, ["Лодейное Поле", "Свирьстрой", "Янеги"]),
    ("Ломоносовский муниципальный район", 59.75, 29.6, 0.05, ["Ломоносов", "Большая Ижора", "Лебяжье"]),
    ("Лужский муниципальный район", 58.74, 29.85, 0.06, ["Луга", "Толмачёво", "Оредеж"]),
    ("Подпорожский муниципальный район", 60.91, 34.17, 0.025, ["Подпорожье", "Никольский", "Важины"]),
    ("Приозерский муниципальный район", 61.03, 30.13, 0.045, ["Приозерск", "Кузнечное", "Сосново"]),
    ("Сланцевский муниципальный район", 59.12, 28.09, 0.03, ["Сланцы", "Выскатка", "Гостицы"]),
    ("Тихвинский муниципальный район", 59.64, 33.51, 0.045, ["Тихвин", "Шугозеро", "Красава"]),
    ("Тосненский муниципальный район", 59.54, 30.88, 0.07, ["Тосно", "Никольское", "Любань", "Ульяновка"]),
    ("Сосновоборский городской округ", 59.9, 29.09, 0.035, ["Сосновый Бор"]),
]
MONOTOWNS = {"Пикалёво", "Сясьстрой", "Сланцы", "Волхов", "Светогорск"}
VILLAGES = [
    "Заречье", "Берёзовка", "Новосёлки", "Горки", "Красный Бор", "Озерки", "Ручьи", "Глебово",
    "Старополье", "Извара", "Лесное", "Каменка", "Усадище", "Торошковичи", "Пашозеро", "Алеховщина",
]

# (procedure, grade, subject, max_score, mean share of max, student SD share of max,
#  pass line share, "4" line share, "5"/high line share, share of grade taking it)
PROCEDURES: list[tuple[str, int, str, float, float, float, float, float, float, float]] = [
    ("ЕГЭ", 11, "Русский язык", 100, 0.70, 0.13, 0.24, 0.60, 0.81, 1.0),
    ("ЕГЭ", 11, "Математика профильная", 100, 0.56, 0.16, 0.27, 0.50, 0.81, 0.55),
    ("ЕГЭ", 11, "Математика базовая", 21, 0.68, 0.16, 0.33, 0.55, 0.80, 0.45),
    ("ЕГЭ", 11, "Обществознание", 100, 0.56, 0.15, 0.42, 0.60, 0.81, 0.45),
    ("ЕГЭ", 11, "Физика", 100, 0.55, 0.15, 0.36, 0.60, 0.81, 0.2),
    ("ЕГЭ", 11, "Химия", 100, 0.55, 0.18, 0.36, 0.60, 0.81, 0.15),
    ("ЕГЭ", 11, "Биология", 100, 0.53, 0.16, 0.36, 0.60, 0.81, 0.2),
    ("ЕГЭ", 11, "История", 100, 0.56, 0.17, 0.32, 0.60, 0.81, 0.15),
    ("ЕГЭ", 11, "Информатика", 100, 0.60, 0.18, 0.40, 0.60, 0.81, 0.2),
    ("ЕГЭ", 11, "Английский язык", 100, 0.68, 0.16, 0.22, 0.60, 0.81, 0.15),
    ("ОГЭ", 9, "Русский язык", 33, 0.68, 0.15, 0.45, 0.70, 0.88, 1.0),
    ("ОГЭ", 9, "Математика", 31, 0.50, 0.16, 0.26, 0.48, 0.71, 1.0),
    ("ОГЭ", 9, "Обществознание", 37, 0.58, 0.15, 0.38, 0.62, 0.85, 0.6),
    ("ОГЭ", 9, "Информатика", 19, 0.60, 0.17, 0.26, 0.58, 0.84, 0.4),
    ("ОГЭ", 9, "Биология", 48, 0.55, 0.15, 0.27, 0.54, 0.79, 0.35),
    ("ОГЭ", 9, "География", 31, 0.60, 0.15, 0.39, 0.61, 0.84, 0.4),
    ("ВПР", 4, "Русский язык", 38, 0.72, 0.15, 0.37, 0.66, 0.87, 1.0),
    ("ВПР", 4, "Математика", 20, 0.70, 0.17, 0.30, 0.55, 0.80, 1.0),
    ("ВПР", 4, "Окружающий мир", 32, 0.68, 0.15, 0.25, 0.56, 0.84, 1.0),
    ("ВПР", 5, "Русский язык", 45, 0.62, 0.16, 0.40, 0.64, 0.87, 1.0),
    ("ВПР", 5, "Математика", 20, 0.58, 0.18, 0.35, 0.55, 0.80, 1.0),
    ("ВПР", 5, "История", 15, 0.60, 0.18, 0.27, 0.53, 0.80, 1.0),
    ("ВПР", 6, "Русский язык", 51, 0.60, 0.16, 0.43, 0.64, 0.88, 1.0),
    ("ВПР", 6, "Математика", 20, 0.55, 0.18, 0.30, 0.50, 0.80, 1.0),
    ("ВПР", 7, "Русский язык", 47, 0.58, 0.16, 0.40, 0.63, 0.86, 1.0),
    ("ВПР", 7, "Математика", 19, 0.52, 0.18, 0.34, 0.58, 0.84, 1.0),
    ("ВПР", 8, "Русский язык", 51, 0.57, 0.16, 0.45, 0.66, 0.87, 1.0),
    ("ВПР", 8, "Математика", 25, 0.50, 0.18, 0.28, 0.52, 0.76, 1.0),
    ("РДР", 7, "Читательская грамотность", 20, 0.58, 0.17, 0.30, 0.55, 0.80, 1.0),
    ("РДР", 8, "Математика", 25, 0.50, 0.18, 0.30, 0.52, 0.76, 1.0),
]
# A changed scale: the ВПР grade-5 Russian test got a new format in 2023.
SCALE_CHANGES = {("ВПР", 5, "Русский язык"): {2023: 42, 2024: 42}}

RISKS = [
    "Низкий уровень оснащения школы",
    "Дефицит педагогических кадров",
    "Высокая доля обучающихся с рисками учебной неуспешности",
    "Низкая учебная мотивация обучающихся",
    "Низкий уровень вовлеченности родителей",
    "Недостаточная предметная и методическая компетентность педагогических работников",
]


@dataclass
class DemoOutput:
    """Where the generator wrote its files."""

    data_dir: Path
    truth_dir: Path
    n_schools: int
    n_result_rows: int


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


def _write_xlsx(df: pd.DataFrame, path: Path, title: str | None = None, group_header: dict | None = None) -> None:
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


def _assign_localities(rng: np.random.Generator, towns: list[str], group: str) -> tuple[str, str]:
    if group in ("urban_advantaged", "urban_mass"):
        return towns[int(rng.integers(0, min(2, len(towns))))], "город"
    if group == "disadvantaged":
        if rng.random() < 0.6:
            return towns[int(rng.integers(0, len(towns)))], "город" if rng.random() < 0.5 else "посёлок"
        return VILLAGES[int(rng.integers(0, len(VILLAGES)))], "посёлок"
    if rng.random() < 0.3 and len(towns) > 2:
        return towns[-1], "посёлок"
    return VILLAGES[int(rng.integers(0, len(VILLAGES)))], "село/деревня"


def _dataset_facts(cfg: dict) -> dict:
    """The demo's facts for ``dataset.yaml``: the programme's selection rule and the targets."""
    prog = cfg["programme"]
    cohorts = {int(c): {"selection_years": [int(y) for y in sel["selection_years"]],
                        "index": "result_index", "bottom_share": float(sel["bottom_share"])}
               for c, sel in sorted(prog["cohorts"].items())}
    return {"programme": {"name": prog["name"], "cohorts": cohorts},
            "monitoring": {"targets": cfg["monitoring_targets"]}}


def _programme_profile(cfg: dict, profile: str | None) -> dict:
    """``cfg`` with the programme's cohorts (and noncompliance) replaced by those of ``profile``."""
    if profile is None:
        return cfg
    profiles = cfg["programme"].get("profiles") or {}
    if profile not in profiles:
        raise ValueError(f"Нет профиля программы «{profile}»; есть: {', '.join(sorted(profiles))}")
    prog = {**cfg["programme"], **profiles[profile]}
    return {**cfg, "programme": prog}


def _select_cohort(rng: np.random.Generator, idx: pd.Series, free: np.ndarray, sel: dict, nc: dict) -> np.ndarray:
    """Which eligible schools join the cohort: the rule (index at or below the bottom-share
    quantile over all schools), then noncompliance — selected schools declining and others joining."""
    chosen = (idx.to_numpy(float) <= idx.quantile(sel["bottom_share"])) & free
    if not (nc.get("decline_share") or nc.get("join_share")):
        return chosen      # no draw: the default demo's random stream stays as it was
    u = rng.random(len(idx))
    decline = chosen & (u < float(nc.get("decline_share", 0.0)))
    join = ~chosen & free & (u < float(nc.get("join_share", 0.0)))
    return (chosen & ~decline) | join


def generate_demo(out_dir: str | Path, seed: int = 0, n_schools: int | None = None,
                  config: dict | None = None, municipalities: list | None = None,
                  fmt: str = "raw", programme_profile: str | None = None) -> DemoOutput:
    """Write a synthetic region to ``out_dir`` and its planted truth to ``<out_dir>_truth``.

    Parameters
    ----------
    out_dir : folder for the raw data set (created).
    seed : random seed; the same seed gives the same files.
    n_schools : override of the number of schools (default from ``parameters/demo.yaml``).
    config : override of the whole generator configuration.
    municipalities : list of ``(name, lat, lon, weight, towns)``; default: Leningrad oblast's 18.
    fmt : ``"raw"`` writes Excel/CSV with Russian headers as real exports look;
        ``"parquet"`` writes canonical Parquet tables (for national-size data).
    programme_profile : a programme design of ``programme.profiles`` in ``parameters/demo.yaml``
        (e.g. ``single_clean``: one cohort chosen on one year with clean earlier years); its
        selection rule is written to ``dataset.yaml``.
    """
    munis = municipalities or MUNICIPALITIES
    cfg = _programme_profile(config or load_yaml(parameters_dir() / "demo.yaml"), programme_profile)
    rng = np.random.default_rng(seed)
    out = Path(out_dir)
    truth_dir = out.parent / f"{out.name}_truth"
    out.mkdir(parents=True, exist_ok=True)
    truth_dir.mkdir(parents=True, exist_ok=True)
    years: list[int] = list(cfg["years"])
    n = int(n_schools or cfg["n_schools"])

    schools, context_static = _make_schools(rng, n, cfg, munis)
    context = _make_context(rng, context_static, years)
    staff = _make_staff(rng, context_static, years)
    resources = _make_resources(rng, context_static, years)
    territories = _make_territories(rng, munis)
    theta, context_effect, quality, resilient = _school_effects(rng, context_static, cfg)
    shocks = rng.normal(0, cfg["school_year_shock_sd"], size=(n, len(years)))
    improver, improvement = _planted_improvers(seed, theta, resilient, schools, years, cfg)

    # the programme is assigned by the plain rule on observed results, year by year
    effect = np.zeros((n, len(years)))
    cohort = np.full(n, 0)
    dose = rng.uniform(*cfg["programme"]["dose_range"], size=n)
    results_parts = []
    # a school's cohort of pupils (same entry year) is a random draw of ability shared by all
    # its subjects and years: this is why small schools' results jump from year to year
    cohorts: dict[int, np.ndarray] = {}
    pcfg = cfg["programme"]
    for t, year in enumerate(years):
        # programme effect active this year
        for i in range(n):
            if cohort[i] and year >= cohort[i]:
                ramp = min(1.0, (year - cohort[i] + 1) / pcfg["ramp_years"])
                effect[i, t] = pcfg["effect_per_dose"] * dose[i] * ramp
        part = _make_results(rng, schools, context_static,
                             theta + shocks[:, t] + effect[:, t] + improvement[:, t], year, cfg, cohorts)
        results_parts.append(part)
        next_year = year + 1
        if next_year in pcfg["cohorts"]:
            sel = pcfg["cohorts"][next_year]
            obs = pd.concat(results_parts)
            idx = _observed_index(obs[obs["year"].isin(sel["selection_years"])])
            free = np.array([cohort[schools.index.get_loc(s)] == 0 for s in idx.index])
            joined = _select_cohort(rng, idx, free, sel, pcfg.get("noncompliance") or {})
            for s in idx.index[joined]:
                cohort[schools.index.get_loc(s)] = next_year
    results = pd.concat(results_parts, ignore_index=True)

    outcomes = _make_outcomes(rng, context_static, theta, shocks, years)
    programme, process = _make_programme(rng, schools, cohort, dose, years, context_static, cfg)
    diagnostics = _make_diagnostics(rng, schools, cohort, dose, theta, cfg)
    risk = _make_risk_profile(rng, schools, cohort, context_static, theta, years)

    meta = {"name": cfg["region"], "synthetic": True, "note": SYNTHETIC_NOTE,
            "generator": f"shnro demo-data --seed {seed}"
                         + (f" --programme-profile {programme_profile}" if programme_profile else ""),
            **_dataset_facts(cfg)}
    if fmt == "parquet":
        tables = {"schools": schools.reset_index(), "results": results, "context": context, "staff": staff,
                  "resources": resources, "territories": territories, "outcomes": outcomes,
                  "programme": programme, "process": process, "diagnostics": diagnostics,
                  "risk_profile": risk}
        for name, df in tables.items():
            df.to_parquet(out / f"{name}.parquet", index=False)
        (out / "dataset.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False),
                                          encoding="utf-8")
    else:
        _write_raw(out, schools, results, context, staff, resources, territories, outcomes, programme,
                   process, diagnostics, risk, meta)
    _write_truth(truth_dir, schools, context_static, context_effect, quality, theta, resilient, cohort, dose,
                 effect, shocks, results, years, improver, improvement)
    return DemoOutput(out, truth_dir, n, len(results))


def _write_raw(out, schools, results, context, staff, resources, territories, outcomes, programme, process,
               diagnostics, risk, meta) -> None:
    # ---- raw files, as real exports look ----
    _write_xlsx(_ru(schools.reset_index(), "schools"), out / "Школы.xlsx",
                title=f"Перечень общеобразовательных организаций — {SYNTHETIC_NOTE}")
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
    _write_xlsx(rs_ru, out / "resources.xlsx", group_header={
        "Условия": [h["share_textbooks_recent"], h["share_extrabudget"], h["share_repair_3y"]],
        "Планы": [h["in_renovation_plan"], h["in_construction_plan"]],
        "Финансирование": [h["spending_per_pupil"], h["computers_per_pupil"]],
    })
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
    (out / "dataset.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False),
                                      encoding="utf-8")


def _write_truth(truth_dir, schools, context_static, context_effect, quality, theta, resilient, cohort, dose,
                 effect, shocks, results, years, improver, improvement) -> None:
    # ---- planted truth (never read by the library) ----
    truth = pd.DataFrame({
        "school_id": schools.index,
        "context_group": context_static["group"].to_numpy(),
        "context_effect": context_effect,
        "latent_quality": quality,
        "true_school_effect": theta,
        "planted_resilient": resilient,
        "cohort": np.where(cohort > 0, cohort, np.nan),
        "dose": np.where(cohort > 0, dose, np.nan),
        "planted_improver": improver,
    })
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
    sh = sh.merge(imp.melt(id_vars="school_id", var_name="year", value_name="true_improvement_sd"),
                  on=["school_id", "year"])
    eff.merge(sh, on=["school_id", "year"]).to_csv(truth_dir / "truth_school_years.csv", index=False)
    (truth_dir / "README.txt").write_text(
        "Планted truth of the synthetic demo region (СИНТЕТИЧЕСКИЕ ДАННЫЕ). The library never reads it.\n"
        "Effects are in student-level SD units of each procedure's score; *_pp in percentage points of max.\n",
        encoding="utf-8")


def _make_schools(rng: np.random.Generator, n: int, cfg: dict, munis: list) -> tuple[pd.DataFrame, pd.DataFrame]:
    weights = np.array([m[3] for m in munis])
    counts = np.maximum(4, np.round(weights / weights.sum() * n)).astype(int)
    while counts.sum() > n:
        counts[np.argmax(counts)] -= 1
    while counts.sum() < n:
        counts[np.argmax(weights - counts / n)] += 1
    groups = list(cfg["context_groups"])
    gshare = np.array([cfg["context_groups"][g]["share"] for g in groups])
    rows, stat = [], []
    type_counter: dict[tuple[int, str], int] = {}
    for m, k in enumerate(counts):
        mname, lat0, lon0, _, towns = munis[m]
        # an urban okrug has no rural small schools
        p = gshare.copy()
        if "городской округ" in mname:
            p[groups.index("rural_small")] = 0
        p = p / p.sum()
        for _j in range(k):
            g = groups[int(rng.choice(len(groups), p=p))]
            gc = cfg["context_groups"][g]
            locality, ltype = _assign_localities(rng, towns, g)
            enrol = int(rng.uniform(*gc["enrolment"]))
            if g == "urban_advantaged":
                stype = "гимназия" if rng.random() < 0.5 else "лицей"
            elif g == "rural_small":
                u = rng.random()
                stype = "ООШ" if u < 0.35 else ("НОШ" if u < 0.42 else "СОШ")
            elif g == "urban_mass":
                stype = "СОШ с УИОП" if rng.random() < 0.15 else "СОШ"
            else:
                stype = "школа-интернат" if rng.random() < 0.06 else "СОШ"
            if stype == "НОШ":
                enrol = min(enrol, 60)
            key = (m, locality)
            type_counter[key] = type_counter.get(key, 0) + 1
            num = type_counter[key]
            adj = locality
            if stype in ("гимназия", "лицей"):
                name = f"МОУ «{adj} {stype} №{num}»" if rng.random() < 0.5 else f"МБОУ «{stype.capitalize()} г. {adj}»"
            elif stype == "СОШ с УИОП":
                name = f"МОУ «{adj} средняя общеобразовательная школа №{num} с углублённым изучением отдельных предметов»"
            elif stype == "ООШ":
                name = f"МОУ «{adj} основная общеобразовательная школа»"
            elif stype == "НОШ":
                name = f"МОУ «{adj} начальная общеобразовательная школа»"
            elif stype == "школа-интернат":
                name = f"ГБОУ ЛО «{adj} школа-интернат»"
            else:
                name = f"МОУ «{adj} средняя общеобразовательная школа №{num}»"
            sid = f"{m:02d}{len(rows) + 1:04d}"
            spread = 0.05 if ltype == "город" else 0.35
            rows.append({
                "school_id": sid, "name": name, "municipality": mname, "locality": locality,
                "locality_type": ltype, "school_type": stype,
                "lat": round(lat0 + rng.normal(0, spread), 5), "lon": round(lon0 + rng.normal(0, spread * 1.8), 5),
            })
            stat.append({"school_id": sid, "group": g, "enrolment": enrol, "school_type": stype,
                         "municipality": mname, "locality": locality, "municipality_idx": m})
    schools = pd.DataFrame(rows).set_index("school_id")
    # a few hard names: quotes, «», <, &
    if len(schools) > 5:
        schools.iloc[3, schools.columns.get_loc("name")] = 'МОУ "Школа искусств & наук" <№3>'
    static = pd.DataFrame(stat).set_index("school_id")
    # group-level context draws, fixed per school, with slow drift per year below
    for col in ("low_ses", "low_parent_education", "deviant", "low_motivation", "non_native_russian",
                "special_needs", "single_parent"):
        mean = static["group"].map(lambda g, c=col: cfg["context_groups"][g][c]).to_numpy()
        static[col] = np.clip(rng.beta(8, 8, size=len(static)) * 2 * mean, 0, 0.95)
    static["distance_km"] = [rng.uniform(*cfg["context_groups"][g]["distance_km"]) for g in static["group"]]
    static["small"] = [rng.random() < cfg["context_groups"][g]["small"] for g in static["group"]]
    static["multi_grade"] = np.where(static["small"], rng.uniform(0.1, 0.6, len(static)), 0.0)
    return schools, static


def _make_context(rng: np.random.Generator, st: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    parts = []
    for t, y in enumerate(years):
        drift = 1 + rng.normal(0, 0.04, size=len(st))
        parts.append(pd.DataFrame({
            "school_id": st.index, "year": y,
            "enrolment": np.maximum(5, (st["enrolment"] * (1 + 0.01 * t) * rng.normal(1, 0.02, len(st))).round()).astype(int),
            "share_low_ses": np.clip(st["low_ses"] * drift, 0, 1).round(3),
            "share_low_parent_education": np.clip(st["low_parent_education"] * drift, 0, 1).round(3),
            "share_deviant": np.clip(st["deviant"] * drift, 0, 1).round(3),
            "share_low_motivation": np.clip(st["low_motivation"] * drift, 0, 1).round(3),
            "share_non_native_russian": np.clip(st["non_native_russian"] * drift, 0, 1).round(3),
            "share_special_needs": np.clip(st["special_needs"] * drift, 0, 1).round(3),
            "share_single_parent": np.clip(st["single_parent"] * drift, 0, 1).round(3),
            "distance_to_center_km": st["distance_km"].round(1).to_numpy(),
            "is_small_school": st["small"].to_numpy(),
            "share_multi_grade_classes": st["multi_grade"].round(3).to_numpy(),
        }))
    ctx = pd.concat(parts, ignore_index=True)
    # percents, as many exports give them
    for c in ("share_low_ses", "share_low_parent_education", "share_single_parent"):
        ctx[c] = (ctx[c] * 100).round(1)
    # a school with missing context (most fields) in every year: listed, not imputed
    miss = ctx["school_id"] == st.index[7]
    for c in ("share_low_ses", "share_low_parent_education", "share_deviant", "share_low_motivation",
              "share_non_native_russian", "share_single_parent"):
        ctx.loc[miss, c] = np.nan
    return ctx


def _make_staff(rng: np.random.Generator, st: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    bad = st["group"].isin(["rural_small", "disadvantaged"]).to_numpy().astype(float)
    base = rng.normal(0, 1, len(st)) - 0.6 * bad
    parts = []
    for y in years:
        b = base + rng.normal(0, 0.25, len(st))
        parts.append(pd.DataFrame({
            "school_id": st.index, "year": y,
            "teachers": np.maximum(3, (st["enrolment"] / 11 * rng.normal(1, 0.1, len(st))).round()).astype(int),
            "share_category_confirmed_3y": np.clip(0.55 + 0.12 * b, 0, 1),
            "share_overloaded": np.clip(0.25 - 0.08 * b, 0, 1),
            "share_contest_participants_3y": np.clip(0.10 + 0.05 * b, 0, 1),
            "share_non_specialty": np.clip(0.10 - 0.06 * b, 0, 1),
            "share_higher_education": np.clip(0.82 + 0.06 * b, 0, 1),
            "share_under_35": np.clip(0.2 + 0.05 * b, 0, 1),
            "share_pension_age": np.clip(0.25 - 0.05 * b, 0, 1),
            "vacancies": rng.poisson(np.maximum(0.2, 1.0 - 0.6 * b)),
        }))
    return pd.concat(parts, ignore_index=True)


def _make_resources(rng: np.random.Generator, st: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    small = st["enrolment"].to_numpy() < 250
    base = rng.normal(0, 1, len(st)) - 0.4 * st["group"].isin(["rural_small", "disadvantaged"]).to_numpy()
    reno = rng.random(len(st)) < 0.05
    constr = rng.random(len(st)) < 0.04
    parts = []
    for t, y in enumerate(years):
        b = base + rng.normal(0, 0.2, len(st))
        spend = (95000 + 90000 * small + 40000 * (st["enrolment"].to_numpy() < 100)) * (1 + 0.06 * t)
        spend = spend * rng.lognormal(0, 0.12, len(st))
        parts.append(pd.DataFrame({
            "school_id": st.index, "year": y,
            "share_textbooks_recent": np.clip(0.35 + 0.1 * b, 0, 1).round(3),
            "share_extrabudget": np.clip(0.04 + 0.03 * b + 0.04 * (st["group"] == "urban_advantaged"), 0, 1).round(3),
            "share_repair_3y": np.clip(0.08 + 0.03 * b, 0, 1).round(3),
            "in_renovation_plan": reno, "in_construction_plan": constr,
            "spending_per_pupil": spend.round(0),
            "computers_per_pupil": np.clip(0.15 + 0.05 * b, 0.01, None).round(3),
        }))
    return pd.concat(parts, ignore_index=True)


def _make_territories(rng: np.random.Generator, munis: list) -> pd.DataFrame:
    rows = [{"municipality": "__region__", "locality": None, "is_monotown": False,
             "share_pension_age": 0.27, "unemployment_rate": 0.012}]
    for name, *_rest, towns in munis:
        remote = name.split()[0] in ("Бокситогорский", "Подпорожский", "Лодейнопольский", "Сланцевский", "Волосовский")
        rows.append({"municipality": name, "locality": None, "is_monotown": False,
                     "share_pension_age": round(0.24 + 0.08 * remote + rng.uniform(0, 0.03), 3),
                     "unemployment_rate": round(0.009 + 0.012 * remote + rng.uniform(0, 0.004), 4)})
        for town in towns:
            if town in MONOTOWNS:
                rows.append({"municipality": name, "locality": town, "is_monotown": True,
                             "share_pension_age": round(0.3 + rng.uniform(0, 0.04), 3),
                             "unemployment_rate": round(0.02 + rng.uniform(0, 0.01), 4)})
    return pd.DataFrame(rows)


def _school_effects(rng: np.random.Generator, st: pd.DataFrame, cfg: dict):
    c = cfg["context_effect_coefficients"]
    ctx_eff = (c["low_ses"] * st["low_ses"] + c["low_parent_education"] * st["low_parent_education"]
               + c["deviant"] * st["deviant"] + c["non_native_russian"] * st["non_native_russian"]
               + c["distance_100km"] * st["distance_km"] / 100).to_numpy()
    ctx_eff = ctx_eff - ctx_eff.mean()
    # municipalities differ too (management, methodical service): a municipal random effect
    n_mun = int(st["municipality_idx"].max()) + 1
    municipal = rng.normal(0, float(cfg.get("municipal_effect_sd", 0.0)), n_mun)
    quality = municipal[st["municipality_idx"].to_numpy()] + rng.normal(0, cfg["latent_quality_sd"], len(st))
    resilient = np.zeros(len(st), dtype=bool)
    cand = np.where(st["group"].isin(["disadvantaged", "rural_small"]).to_numpy()
                    & (st["school_type"] != "НОШ").to_numpy())[0]
    pick = rng.choice(cand, size=min(cfg["n_planted_resilient"], len(cand)), replace=False)
    quality[pick] = rng.uniform(*cfg["planted_resilient_quality"], size=len(pick))
    resilient[pick] = True
    return ctx_eff + quality, ctx_eff, quality, resilient


def _planted_improvers(seed: int, theta: np.ndarray, resilient: np.ndarray, schools: pd.DataFrame,
                       years: list[int], cfg: dict) -> tuple[np.ndarray, np.ndarray]:
    """Schools whose quality truly rises by their own work (not the programme's), and the rise per year.

    Drawn from a separate random stream (``[seed, stream]``) so that every other draw of the
    generator stays as it was; the rise ramps linearly from ``start_year`` to the last year.
    """
    n = len(theta)
    pcfg = cfg.get("planted_improvers") or {}
    improver = np.zeros(n, dtype=bool)
    rise = np.zeros((n, len(years)))
    k = int(pcfg.get("n", 0))
    if k <= 0:
        return improver, rise
    rng = np.random.default_rng([int(seed), int(pcfg["stream"])])
    lo, hi = np.quantile(theta, pcfg["quality_quantiles"])
    # mid-range schools: not the bottom that the programme selects, and with room to rise
    cand = np.where((theta >= lo) & (theta <= hi) & ~resilient & (schools["school_type"] != "НОШ").to_numpy())[0]
    pick = np.sort(rng.choice(cand, size=min(k, len(cand)), replace=False))
    gain = rng.uniform(*pcfg["gain"], size=len(pick))
    start, last = int(pcfg["start_year"]), max(years)
    for t, year in enumerate(years):
        if year >= start:
            rise[pick, t] = gain * (year - start + 1) / (last - start + 1)
    improver[pick] = True
    return improver, rise


def _grade_size(enrol: np.ndarray, stype: pd.Series, grade: int) -> np.ndarray:
    per_grade = enrol / 11.0
    if grade >= 10:
        per_grade = per_grade * 0.55
    size = per_grade.copy()
    st = stype.to_numpy()
    size[(st == "ООШ") & (grade >= 10)] = 0
    size[(st == "НОШ") & (grade >= 5)] = 0
    return size


def _make_results(rng, schools: pd.DataFrame, st: pd.DataFrame, effect: np.ndarray, year: int, cfg: dict,
                  cohorts: dict[int, np.ndarray]):
    enrol = st["enrolment"].to_numpy().astype(float)
    rho = float(cfg.get("cohort_correlation", 0.6))
    skip = {(s["procedure"], s["year"]) for s in cfg.get("skip", [])}
    parts = []
    for proc, grade, subj, mx, mu, sd, pass_, q4, q5, take in PROCEDURES:
        if (proc, year) in skip:
            continue
        mx = SCALE_CHANGES.get((proc, grade, subj), {}).get(year, mx)
        size = _grade_size(enrol, st["school_type"], grade) * take
        n = rng.poisson(np.maximum(size, 0))
        n[size <= 0] = 0
        if proc in ("ЕГЭ", "ОГЭ") and take < 1:
            # subject choice at a small school is lumpy
            n = np.where(rng.random(len(n)) < 0.15, 0, n)
        has = size > 0
        entry = year - grade
        if entry not in cohorts:
            cohort_size = np.maximum(_grade_size(enrol, st["school_type"], 5), 1.0)
            cohorts[entry] = rng.normal(0, 1, len(enrol)) * np.sqrt(rho / cohort_size)
        mean_z = effect + cohorts[entry] + rng.normal(0, 1, len(n)) * np.sqrt((1 - rho) / np.maximum(n, 1))
        # student scores within a school have an SD a little below the population's
        within = 0.9
        mean_share = np.clip(mu + sd * mean_z, 0.02, 0.98)
        p_low = norm.cdf((pass_ - mean_share) / (sd * within))
        p_q = 1 - norm.cdf((q4 - mean_share) / (sd * within))
        p_h = 1 - norm.cdf((q5 - mean_share) / (sd * within))
        k_low = rng.binomial(n, p_low)
        k_q = rng.binomial(n, p_q)
        k_h = np.minimum(rng.binomial(n, p_h), k_q)
        with np.errstate(invalid="ignore", divide="ignore"):
            df = pd.DataFrame({
                "school_id": st.index, "year": year, "procedure": proc, "subject": subj, "grade": grade,
                "participants": n,
                "mean_score": np.where(n > 0, np.round(mean_share * mx, 2), np.nan),
                "max_score": float(mx),
                "share_low": np.where(n > 0, k_low / n, np.nan),
                "share_quality": np.where((n > 0) & (proc != "ЕГЭ"), k_q / n, np.nan),
                "share_high": np.where(n > 0, k_h / n, np.nan),
            })
        parts.append(df[has | (n > 0)])
    return pd.concat(parts, ignore_index=True)


def _observed_index(res: pd.DataFrame) -> pd.Series:
    """The plain observed result index the region used to select programme schools.

    Scores as percent of the maximum, standardised across schools within
    procedure x subject x grade x year, then averaged per school with
    participant weights over the selection years.
    """
    r = res[res["participants"] > 0].copy()
    r["pct"] = r["mean_score"] / r["max_score"] * 100
    g = r.groupby(["procedure", "subject", "grade", "year"])["pct"]
    r["z"] = (r["pct"] - g.transform("mean")) / g.transform("std")
    r["wz"] = r["z"] * r["participants"]
    agg = r.groupby("school_id")[["wz", "participants"]].sum()
    return agg["wz"] / agg["participants"]


def _pp_scale_per_school(results: pd.DataFrame) -> pd.Series:
    sd = {(p, g, s): sdv * 100 for p, g, s, _mx, _mu, sdv, *_ in PROCEDURES}
    r = results[results["participants"] > 0]
    k = list(zip(r["procedure"], r["grade"], r["subject"], strict=True))
    return pd.Series([sd[x] for x in k], index=r.index).groupby(r["school_id"]).mean()


def _make_outcomes(rng, st: pd.DataFrame, theta: np.ndarray, shocks: np.ndarray, years: list[int]) -> pd.DataFrame:
    enrol = st["enrolment"].to_numpy()
    parts = []
    for t, y in enumerate(years):
        eff = theta + shocks[:, t]
        g9 = rng.poisson(np.maximum(enrol / 11, 0.5))
        g9[(st["school_type"] == "НОШ").to_numpy()] = 0
        g11 = rng.poisson(np.maximum(enrol / 11 * 0.55, 0.3))
        g11[st["school_type"].isin(["ООШ", "НОШ"]).to_numpy()] = 0
        cont = np.clip(0.68 + 0.25 * eff + rng.normal(0, 0.06, len(st)), 0.05, 1)
        cont = np.where(g9 > 0, cont, np.nan)
        rate = np.exp(-4.3 + 1.6 * eff)
        olymp = rng.poisson(enrol * rate)
        sat = np.clip(0.66 + 0.18 * eff + rng.normal(0, 0.08, len(st)), 0.05, 1)
        parts.append(pd.DataFrame({
            "school_id": st.index, "year": y,
            "share_continuing_senior": np.round(cont, 3),
            "olympiad_participants": olymp,
            "satisfaction_share": np.round(sat, 3),
            "graduates_9": g9, "graduates_11": g11,
        }))
    return pd.concat(parts, ignore_index=True)


def _make_programme(rng, schools, cohort, dose, years, st, cfg):
    pcfg = cfg["programme"]
    rows, prow = [], []
    leaders = st.index[st["group"] == "urban_advantaged"].tolist()
    for i, sid in enumerate(schools.index):
        if not cohort[i]:
            continue
        partner = leaders[int(rng.integers(0, len(leaders)))] if leaders and rng.random() < 0.6 else None
        for y in years:
            if y < cohort[i]:
                continue
            cost = pcfg["cost_base_rub"] + pcfg["cost_per_dose_rub"] * dose[i] * rng.lognormal(0, 0.1)
            rows.append({"school_id": sid, "year": y, "programme": pcfg["name"], "in_programme": True,
                         "cohort": int(cohort[i]), "partner_school_id": partner, "cost_rub": round(cost, -3)})
            d = dose[i]
            prow.append({
                "school_id": sid, "year": y,
                "share_teachers_diagnosed": round(min(1, 0.4 + 0.4 * d + rng.normal(0, 0.05)), 3),
                "share_teachers_trained": round(float(np.clip(0.15 + 0.45 * d + rng.normal(0, 0.05), 0, 1)), 3),
                "training_hours_per_teacher": round(float(max(0, 18 + 40 * d + rng.normal(0, 6))), 1),
                "methodical_visits": int(rng.poisson(2 + 4 * d)),
                "has_partner": partner is not None,
                "share_teachers_improved": round(float(np.clip(0.2 + 0.35 * d + rng.normal(0, 0.07), 0, 1)), 3),
                "tutor_hours": round(float(max(0, 20 * d + rng.normal(0, 5))), 1),
            })
    return pd.DataFrame(rows), pd.DataFrame(prow)


def _make_diagnostics(rng, schools, cohort, dose, theta, cfg):
    pcfg = cfg["programme"]
    treated = np.where(cohort > 0)[0]
    others = np.where(cohort == 0)[0]
    comp = rng.choice(others, size=min(pcfg["diagnostics_comparison_schools"], len(others)), replace=False)
    tests = [("Русский язык", 7, 30), ("Математика", 7, 25), ("Русский язык", 9, 33), ("Математика", 9, 31)]
    rows = []
    for i in list(treated) + list(comp):
        c = int(cohort[i]) if cohort[i] else 2022
        eff_out = pcfg["effect_per_dose"] * dose[i] / pcfg["ramp_years"] if cohort[i] else 0.0
        waves = [("вход", _dt.date(c - 1, 10, 1), 0.0), ("промежуточная", _dt.date(c, 1, 20), 0.5),
                 ("выход", _dt.date(c, 4, 25), 1.0)]
        for subj, grade, mx in tests:
            n = int(rng.integers(5, 40))
            for wave, date, frac in waves:
                z = theta[i] + frac * (eff_out + pcfg["diagnostics_practice_gain"]) + rng.normal(0, 1 / np.sqrt(n))
                share = float(np.clip(0.55 + 0.16 * z, 0.02, 0.98))
                p_low = norm.cdf((0.3 - share) / 0.15)
                rows.append({"school_id": schools.index[i], "wave": wave, "date": date.isoformat(),
                             "subject": subj, "grade": grade, "participants": n,
                             "mean_score": round(share * mx, 2), "max_score": mx,
                             "share_low": round(float(rng.binomial(n, p_low) / n), 3)})
    return pd.DataFrame(rows)


def _make_risk_profile(rng, schools, cohort, st, theta, years):
    rows = []
    last = years[-1]
    for i, sid in enumerate(schools.index):
        if not cohort[i]:
            continue
        for r in RISKS:
            base = rng.random() + (0.3 if st["group"].iloc[i] in ("disadvantaged", "rural_small") else 0)
            level = "высокий" if base > 1.0 else ("средний" if base > 0.55 else "низкий")
            rows.append({"school_id": sid, "year": last, "risk": r, "level": level})
    return pd.DataFrame(rows)
