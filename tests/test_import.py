"""``shnro import``: wide ЕГЭ/ОГЭ/ВПР exports -> results, with schools matched by name (issue 17)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from shnro_lib.cli import app
from shnro_lib.importer.exports import generate_exports
from shnro_lib.importer.match import Registry, read_confirmed
from shnro_lib.importer.names import normalise_name
from shnro_lib.importer.recipes import RecipeError, builtin_recipes, header_key, parse_recipe
from shnro_lib.importer.run import import_workbook, load_schools
from shnro_lib.importer.shapes import Grid, detect_recipe, read_grid
from shnro_lib.io import DataError, load_dataset

KEY = ["school_id", "year", "procedure", "subject", "grade"]
PROCS = ("ЕГЭ", "ОГЭ", "ВПР")


@pytest.fixture(scope="session")
def exports(small_demo_dir, tmp_path_factory):
    # two years keep the test fast and still give books with one sheet per year
    return generate_exports(
        small_demo_dir, tmp_path_factory.mktemp("exports") / "exports", seed=1, years=[2022, 2023]
    )


@pytest.fixture(scope="session")
def one_year(small_demo_dir, tmp_path_factory):
    """Exports of 2022 only: small workbooks for the tests that damage or re-import them."""
    return generate_exports(
        small_demo_dir, tmp_path_factory.mktemp("exports1") / "exports", seed=2, years=[2022]
    )


@pytest.fixture(scope="session")
def schools(small_demo_dir):
    return load_schools(small_demo_dir)


@pytest.fixture(scope="session")
def imported(exports, schools):
    return {p: import_workbook(exports.files[p], schools, builtin_recipes()) for p in PROCS}


def _with_truth(exports, imported, proc):
    truth = exports.rows[exports.rows["procedure"] == proc]
    rows = imported[proc].rows.merge(
        truth, on=["sheet", "source_row"], how="outer", suffixes=("", "_true"), indicator=True
    )
    return rows


# ---- names ----


@pytest.mark.parametrize(
    "a, b",
    [
        ("МОУ «Лесное средняя общеобразовательная школа №1»", 'МБОУ "Лесное СОШ № 1"'),
        (
            "МОУ «Лесное средняя общеобразовательная школа №1»",
            "Муниципальное бюджетное общеобразовательное учреждение «Лесное СОШ N1»",
        ),
        ("МОУ «Берёзовка основная общеобразовательная школа»", "маоу  «БЕРЕЗОВКА ООШ»"),
        (
            "МОУ «Мга средняя общеобразовательная школа №2 с углублённым изучением отдельных предметов»",
            "МОУ «Мга СОШ №2 с УИОП»",
        ),
        ("МОУ «Озерки начальная общеобразовательная школа»", "МКОУ 'Озерки НОШ'"),
        ("МБОУ «Гимназия г. Пикалёво»", "МОУ «Гимназия г.Пикалево»"),
        ("ГБОУ ЛО «Пикалёво школа-интернат»", "ГБОУ «Пикалево школа интернат»"),
        ("МОУ «Луга лицей №02»", "МАОУ «Луга лицей № 2»"),
        ("МОУ «Школа им. А.С. Пушкина»", "МОУ «Школа имени А. С. Пушкина»"),
    ],
)
def test_names_that_are_one_school_normalise_alike(a, b):
    assert normalise_name(a) == normalise_name(b)


@pytest.mark.parametrize(
    "a, b",
    [
        ("МОУ «Лесное СОШ №1»", "МОУ «Лесное СОШ №2»"),
        ("МОУ «Лесное СОШ №1»", "МОУ «Лесное ООШ №1»"),
        ("МОУ «Луга гимназия №1»", "МОУ «Луга лицей №1»"),
        ("МОУ «Горки СОШ»", "МОУ «Горки СОШ №1»"),
        ("МОУ «Горки СОШ №1»", "МОУ «Горки СОШ №11»"),
        ("МОУ «Лесное СОШ №1»", "МОУ «Лесное СОШ №1 с УИОП»"),
    ],
)
def test_different_schools_keep_different_keys(a, b):
    assert normalise_name(a) != normalise_name(b)


def test_header_key_ignores_units_quotes_dashes():
    assert header_key("Русский язык, чел.") == header_key("Русский язык")
    assert header_key("80—99 баллов") == header_key("80–99 баллов") == "80-99 баллов"
    assert header_key("Отметка «2»") == "отметка 2"


# ---- shapes ----


def test_shape_detected_from_headers(one_year):
    exports = one_year
    recipes = builtin_recipes()
    want = {"ЕГЭ": "ege_wide", "ОГЭ": "oge_wide", "ВПР": "vpr_wide"}
    for proc, path in exports.files.items():
        wb = load_workbook(path)
        for ws in wb.worksheets:
            rec, several = detect_recipe(read_grid(ws), recipes)
            assert rec is not None and rec.name == want[proc], (proc, ws.title, several)


def test_sheet_without_table_is_not_detected_and_two_fitting_recipes_are_ambiguous():
    recipes = builtin_recipes()
    cover = Grid([["Пояснительная записка", None], ["Данные синтетические", None]])
    assert detect_recipe(cover, recipes) == (None, [])
    ege = next(r for r in recipes if r.name == "ege_wide")
    twin = parse_recipe(
        {
            "name": "twin",
            "procedure": "ЕГЭ",
            "grade": 11,
            "detect": {"all": list(ege.detect_all), "any": list(ege.detect_any)},
            "columns": {"name": ["Образовательная организация"]},
            "metrics": {
                "participants": ["Приняли участие"],
                "count_low": ["Не преодолели минимальный порог"],
                "mean_score": ["Средний балл"],
            },
        },
        "twin.yaml",
    )
    grid = Grid(
        [
            ["Образовательная организация", "Русский язык", None, None],
            [None, "Приняли участие", "Не преодолели минимальный порог", "Средний балл"],
            ["МОУ «А»", 3, 0, 70.0],
        ],
        {(0, 0): 1},
    )
    rec, several = detect_recipe(grid, [ege, twin])
    assert rec is None and several == ["ege_wide", "twin"]


def test_recipe_with_unknown_key_is_an_error_naming_it():
    with pytest.raises(RecipeError, match="metricz"):
        parse_recipe(
            {
                "name": "x",
                "procedure": "ЕГЭ",
                "grade": 11,
                "columns": {"name": ["ОО"]},
                "metrics": {"participants": ["Участников"]},
                "metricz": {},
            },
            "my.yaml",
        )


# ---- round trip ----


@pytest.mark.parametrize("proc", PROCS)
def test_round_trip_gives_the_demo_results(proc, exports, imported, small_demo):
    got = imported[proc].results
    rows = _with_truth(exports, imported, proc)
    matched_ids = set(rows.loc[rows["status"] == "matched", "school_id"])
    exp = exports.expected[
        (exports.expected["procedure"] == proc) & exports.expected["school_id"].isin(matched_ids)
    ]
    assert len(got) == len(exp) > 100
    j = exp.merge(got, on=KEY, suffixes=("_exp", ""), validate="one_to_one")
    assert len(j) == len(got)
    assert (j["participants_exp"] == j["participants"]).all()
    for c in ("mean_score", "max_score", "share_low", "share_quality", "share_high"):
        e, g = j[f"{c}_exp"].astype(float), j[c].astype(float)
        assert (e.isna() == g.isna()).all(), c
        assert np.allclose(e[e.notna()], g[g.notna()], atol=1e-3), c
    # against the demo itself: participants exact, means to the export's rounding, shares within 1/n
    demo = small_demo.results
    d = demo[demo["procedure"] == proc].merge(got, on=KEY, suffixes=("_demo", ""), validate="one_to_one")
    assert len(d) == len(got)
    assert (d["participants_demo"] == d["participants"]).all()
    assert (d["max_score_demo"] == d["max_score"]).all()
    rounding = {"ЕГЭ": 0.05, "ОГЭ": 0.005}
    if proc in rounding:
        assert (d["mean_score_demo"] - d["mean_score"]).abs().max() <= rounding[proc] + 1e-9
    else:
        assert d["mean_score"].isna().all()  # the ВПР export has no mean score
    adjusted = d.merge(exp[KEY + ["adjusted"]], on=KEY)["adjusted"].to_numpy(dtype=bool)
    n = d["participants"].astype(float).to_numpy()
    for c in ("share_low", "share_quality", "share_high"):
        ok = d[c].notna().to_numpy() & ~adjusted
        diff = (d[f"{c}_demo"] - d[c]).abs().to_numpy()
        assert (diff[ok] <= 1 / n[ok] + 1e-9).all(), c


@pytest.mark.parametrize("proc", PROCS)
def test_planted_variants_matched_or_sent_to_review_never_mismatched(proc, exports, imported):
    rows = _with_truth(exports, imported, proc)
    assert (rows["_merge"] == "both").all()  # every school row of the truth was seen, and only those
    matched = rows[rows["status"] == "matched"]
    assert (matched["school_id"] == matched["school_id_true"]).all(), "wrong match"
    assert (rows.loc[rows["expect"] == "match", "status"] == "matched").all()
    assert (rows.loc[rows["expect"] == "review", "status"] != "matched").all()
    planted = set(rows.loc[rows["expect"] == "review", "variant"])
    assert {"typo", "no_number", "other_municipality"} <= planted
    review = imported[proc].review
    assert review["candidates"].map(len).gt(0).sum() >= 3  # the review shows candidates


@pytest.mark.parametrize("proc", PROCS)
def test_every_source_row_is_accounted_for(proc, exports, imported):
    oc = imported[proc]
    acc = oc.accounting
    parts = acc[["matched", "review", "unmatched", "total", "block", "empty"]].sum(axis=1)
    assert (acc["rows"] == parts).all()
    assert (acc["total"] >= 2).all()  # «Всего по району» rows and the «Итого» row were excluded
    wb = load_workbook(exports.files[proc], read_only=True)
    for rec in acc.to_dict("records"):
        ws = wb[rec["sheet"]]
        names = [r[0] for r in ws.iter_rows(min_col=1, max_col=3, values_only=True)]
        assert rec["rows"] == len(names) - {"ЕГЭ": 6, "ОГЭ": 6, "ВПР": 4}[proc]
    assert int(acc["matched"].sum() + acc["review"].sum() + acc["unmatched"].sum()) == int(
        (exports.rows["procedure"] == proc).sum()
    )
    text = oc.report_ru("x.xlsx")
    assert f"сопоставлено {int(acc['matched'].sum())}" in text


# ---- confirmed matches, CLI, loadable results ----


def test_confirmed_matches_are_reused(exports, imported, schools, tmp_path):
    rows = _with_truth(exports, imported, "ЕГЭ")
    typo = rows[(rows["variant"] == "typo")].drop_duplicates("name")
    path = tmp_path / "confirmed.csv"
    pd.DataFrame(
        {
            "Наименование в файле": typo["name"],
            "Муниципалитет": typo["municipality"],
            "Код ОО": typo["school_id_true"],
        }
    ).to_csv(path, sep=";", index=False, encoding="utf-8-sig")
    confirmed = read_confirmed([path], Registry.build(schools))
    again = import_workbook(exports.files["ЕГЭ"], schools, builtin_recipes(), confirmed=confirmed)
    r2 = _with_truth(exports, {"ЕГЭ": again}, "ЕГЭ")
    fixed = r2[r2["variant"] == "typo"]
    assert len(fixed) and (fixed["status"] == "matched").all()
    assert (fixed["school_id"] == fixed["school_id_true"]).all()
    assert (fixed["method"] == "подтверждённое сопоставление").all()
    assert again.counts()["matched"] == imported["ЕГЭ"].counts()["matched"] + len(fixed)


def test_cli_import_writes_loadable_results_and_picks_up_confirmed_matches(exports, small_demo_dir, tmp_path):
    # the three-year book with --year: only that year's sheet is imported
    out = tmp_path / "out"
    runner = CliRunner()
    res = runner.invoke(
        app,
        [
            "import",
            str(exports.files["ОГЭ"]),
            "--schools",
            str(small_demo_dir),
            "--out",
            str(out),
            "--year",
            "2023",
            "--procedure",
            "ОГЭ",
        ],
    )
    assert res.exit_code == 3, res.output  # written, with rows for review
    assert "строк после заголовка" in res.output and "на проверку" in res.output
    for f in ("results.csv", "review.xlsx", "load_report.txt", "matches_to_confirm.csv"):
        assert (out / f).is_file(), f
    results = pd.read_csv(out / "results.csv", dtype={"school_id": str})
    assert set(results["year"]) == {2023}
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(small_demo_dir / "Школы.xlsx", data / "Школы.xlsx")
    shutil.copy(out / "results.csv", data / "results.csv")
    ds = load_dataset(data)
    assert len(ds.results) == len(results) and set(ds.results["procedure"]) == {"ОГЭ"}
    # the user fills «Код ОО» in the template and saves it as confirmed_matches.csv in the output folder
    truth = exports.rows[(exports.rows["procedure"] == "ОГЭ") & (exports.rows["sheet"] == "2023")]
    todo = pd.read_csv(out / "matches_to_confirm.csv", sep=";", dtype=str, encoding="utf-8-sig")
    typo_name = truth.loc[truth["variant"] == "typo", "written"].iloc[0]
    sid = truth.loc[truth["variant"] == "typo", "school_id"].iloc[0]
    todo.loc[todo["Наименование в файле"] == typo_name, "Код ОО"] = sid
    todo.to_csv(out / "confirmed_matches.csv", sep=";", index=False, encoding="utf-8-sig")
    res2 = runner.invoke(
        app,
        [
            "import",
            str(exports.files["ОГЭ"]),
            "--schools",
            str(small_demo_dir),
            "--out",
            str(out),
            "--year",
            "2023",
        ],
    )
    assert "подтверждённое сопоставление — 1" in res2.output, res2.output
    again = pd.read_csv(out / "results.csv", dtype={"school_id": str})
    assert sid in set(again["school_id"]) and sid not in set(results["school_id"])


def _damage(src: Path, dst: Path, sheet: str, cell: str, value) -> Path:
    wb = load_workbook(src)
    wb[sheet][cell] = value
    wb.save(dst)
    return dst


def test_bad_cell_is_a_russian_error_naming_file_sheet_row_and_column(one_year, schools, tmp_path):
    exports = one_year
    bad = _damage(exports.files["ЕГЭ"], tmp_path / "ЕГЭ_плохой.xlsx", "2022", "D8", "много")
    with pytest.raises(DataError) as err:
        import_workbook(bad, schools, builtin_recipes())
    msg = str(err.value)
    assert "ЕГЭ_плохой.xlsx" in msg and "лист «2022»" in msg and "строка 8" in msg and "D «" in msg
    assert "«много»" in msg
    too_many = _damage(exports.files["ЕГЭ"], tmp_path / "ЕГЭ_счёт.xlsx", "2022", "E8", 10_000)
    with pytest.raises(DataError, match="число человек"):
        import_workbook(too_many, schools, builtin_recipes())


def test_cli_bad_input_exits_1_without_writing(one_year, small_demo_dir, tmp_path):
    bad = _damage(one_year.files["ВПР"], tmp_path / "ВПР.xlsx", "ВПР 2022", "D5", 140)
    out = tmp_path / "o"
    res = CliRunner().invoke(app, ["import", str(bad), "--schools", str(small_demo_dir), "--out", str(out)])
    assert res.exit_code == 1
    assert "лист «ВПР 2022», строка 5" in res.output and "Traceback" not in res.output
    assert not (out / "results.csv").exists()
    res = CliRunner().invoke(
        app,
        ["import", str(bad), "--schools", str(small_demo_dir), "--out", str(out), "--procedure", "ГИА-11"],
    )
    assert res.exit_code == 2


def test_cli_imports_several_workbooks_into_one_results_file(one_year, small_demo_dir, tmp_path):
    out = tmp_path / "all"
    books = [str(one_year.files[p]) for p in PROCS]
    res = CliRunner().invoke(app, ["import", *books, "--schools", str(small_demo_dir), "--out", str(out)])
    assert res.exit_code == 3, res.output
    results = pd.read_csv(out / "results.csv", dtype={"school_id": str})
    assert set(results["procedure"]) == set(PROCS) and set(results["year"]) == {2022}
    assert not results.duplicated(subset=KEY).any()
    for p in PROCS:
        assert one_year.files[p].name in res.output
    # the same book twice: the results would be counted twice, so it is an error
    res = CliRunner().invoke(
        app,
        ["import", books[0], books[0], "--schools", str(small_demo_dir), "--out", str(tmp_path / "twice")],
    )
    assert res.exit_code == 1 and "нескольких книгах" in res.output


def test_unmerged_header_block_titles_percent_text_and_municipality_spelling(tmp_path):
    """A hand-made ВПР sheet unlike the generator's: no merges at all, subject text only over its first
    column, a municipality title row, «%» and decimal commas as text, a blank row, «Итого»."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Лист1"
    rows = [
        ["Всероссийские проверочные работы, весна 2024/25 учебного года"],
        [],
        ["Муниципалитет", "ОО", "Русский язык 4 кл. (макс. первичный балл: 38)", None, None, None, None],
        [None, None, "Количество участников", "2", "3", "4", "5"],
        ["Лесной р-н", None, None, None, None, None, None],
        [None, '(sch0002) МБОУ "Лесное СОШ № 1"', 20, "5%", "45,0%", "40", "10"],
        [None, "МОУ «Горки средняя общеобразовательная школа №1»", 0, None, None, None, None],
        [],
        ["Итого", None, 20, None, None, None, None],
    ]
    for r in rows:
        ws.append(r)
    path = tmp_path / "впр.xlsx"
    wb.save(path)
    schools = pd.DataFrame(
        {
            "school_id": ["0001", "0002", "0003"],
            "name": [
                "МОУ «Горки средняя общеобразовательная школа №1»",
                "МОУ «Лесное средняя общеобразовательная школа №1»",
                "МОУ «Горки средняя общеобразовательная школа №1»",
            ],
            "municipality": [
                "Лесной муниципальный район",
                "Лесной муниципальный район",
                "Полевой муниципальный район",
            ],
        }
    )
    oc = import_workbook(path, schools, builtin_recipes())
    assert oc.accounting.iloc[0]["year"] == 2025
    r = oc.results.set_index("school_id")
    assert list(r.index) == ["0001", "0002"]
    assert r.loc["0002", "subject"] == "Русский язык" and r.loc["0002", "grade"] == 4
    assert r.loc["0002", "max_score"] == 38 and r.loc["0002", "participants"] == 20
    assert r.loc["0002", "share_low"] == pytest.approx(0.05)
    assert r.loc["0002", "share_quality"] == pytest.approx(0.5)
    assert r.loc["0002", "share_high"] == pytest.approx(0.1)
    assert r.loc["0001", "participants"] == 0 and pd.isna(r.loc["0001", "share_low"])
    acc = oc.accounting.iloc[0]
    assert (acc["rows"], acc["block"], acc["empty"], acc["total"], acc["matched"]) == (5, 1, 1, 1, 2)


def test_own_recipe_for_a_new_shape(one_year, small_demo_dir, tmp_path):
    """A region whose ЕГЭ table says «Сдавали ЕГЭ» and «Высокобалльники»: a copied recipe, two lines
    changed."""
    import yaml

    from shnro_lib.config import parameters_dir

    wb = load_workbook(one_year.files["ЕГЭ"])
    ws = wb["2022"]
    for row in ws.iter_rows(min_row=6, max_row=6):
        for c in row:
            if c.value == "Приняли участие":
                c.value = "Сдавали ЕГЭ"
            elif c.value in ("80–99 баллов", "100 баллов"):
                c.value = "Высокобалльники" if c.value == "80–99 баллов" else "Стобалльники"
    book = tmp_path / "свой.xlsx"
    wb.save(book)
    out = tmp_path / "o"
    res = CliRunner().invoke(app, ["import", str(book), "--schools", str(small_demo_dir), "--out", str(out)])
    assert res.exit_code == 1 and "не подходит ни под один рецепт" in res.output
    rec = yaml.safe_load((parameters_dir() / "import" / "ege_wide.yaml").read_text(encoding="utf-8"))
    rec["name"] = "my_ege"
    rec["metrics"]["participants"] = ["Сдавали ЕГЭ"]
    rec["metrics"]["count_high"] = ["Высокобалльники", "Стобалльники"]
    path = tmp_path / "my.yaml"
    path.write_text(yaml.safe_dump(rec, allow_unicode=True), encoding="utf-8")
    res = CliRunner().invoke(
        app, ["import", str(book), "--schools", str(small_demo_dir), "--out", str(out), "--recipe", str(path)]
    )
    assert res.exit_code == 3, res.output
    got = pd.read_csv(out / "results.csv", dtype={"school_id": str})
    exp = one_year.expected[(one_year.expected["procedure"] == "ЕГЭ")]
    j = got.merge(exp, on=KEY, suffixes=("", "_exp"))
    assert len(j) == len(got) > 50
    assert np.allclose(j["share_high"].fillna(-1), j["share_high_exp"].fillna(-1))
    # a column the recipe does not know is reported, not silently dropped
    ws.cell(row=6, column=8, value="Пересдавали")  # the first subject's «Средний балл»
    wb.save(book)
    res = CliRunner().invoke(
        app, ["import", str(book), "--schools", str(small_demo_dir), "--out", str(out), "--recipe", str(path)]
    )
    assert "не распознаны" in res.output and "Пересдавали" in res.output


def test_matching_rules_region_fallback_only_without_municipality_and_no_double_use():
    from shnro_lib.importer.match import Confirmed, match_rows, matching_settings

    schools = pd.DataFrame(
        {
            "school_id": ["01", "02", "03", "04"],
            "name": ["МОУ «Горки СОШ №1»", "МОУ «Горки СОШ №1»", "МОУ «Ручьи ООШ»", "МОУ «Озерки СОШ №2»"],
            "municipality": [
                "Лесной муниципальный район",
                "Полевой муниципальный район",
                "Полевой муниципальный район",
                "Лесной муниципальный район",
            ],
        }
    )
    rows = pd.DataFrame(
        [
            {
                "sheet_key": 0,
                "source_row": 5,
                "municipality": None,
                "name": "Ручьи основная общеобразовательная школа",
            },
            {"sheet_key": 0, "source_row": 6, "municipality": None, "name": "МОУ Горки СОШ № 1"},
            {"sheet_key": 0, "source_row": 7, "municipality": "Лесной район", "name": "МОУ «Ручьи ООШ»"},
            {"sheet_key": 0, "source_row": 8, "municipality": "Лесной район", "name": "МОУ «Горки СОШ №1»"},
            {
                "sheet_key": 0,
                "source_row": 9,
                "municipality": "Неизвестный район",
                "name": "МОУ «Озерки СОШ №2»",
            },
            {"sheet_key": 1, "source_row": 5, "municipality": "Лесной район", "name": "МОУ «Озерки СОШ №2»"},
            {
                "sheet_key": 1,
                "source_row": 6,
                "municipality": "Лесной район",
                "name": "МБОУ «Озерки СОШ № 2»",
            },
        ]
    ).assign(code=None)
    m = match_rows(rows, Registry.build(schools), Confirmed(), matching_settings())
    got = {
        (k, r): (s, i)
        for k, r, s, i in zip(m["sheet_key"], m["source_row"], m["status"], m["school_id"], strict=True)
    }
    assert got[(0, 5)] == ("matched", "03")  # no municipality: unique in the region
    assert got[(0, 6)][0] == "review"  # no municipality, two «Горки СОШ №1» in the region
    assert (
        got[(0, 7)][0] != "matched"
    )  # the municipality is known and has no «Ручьи ООШ»: not looked up elsewhere
    assert got[(0, 8)] == ("matched", "01")
    assert got[(0, 9)] == ("matched", "04")  # an unknown municipality: the region-wide unique name
    assert "не найден" in m.loc[(m["sheet_key"] == 0) & (m["source_row"] == 9), "reason"].iloc[0]
    assert got[(1, 5)][0] == got[(1, 6)][0] == "review"  # one school twice in a sheet: neither row is used
