"""Tests of the loader (shnro_lib.io)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from conftest import RESULTS_HEADER, write_csv

from shnro_lib.io import DataError, Dataset, Problem, load_dataset
from shnro_lib.schema import TABLES


def _errors(exc: DataError) -> list[Problem]:
    return [p for p in exc.problems if p.level == "error"]


def _write_set(folder: Path, tiny_rows, results_rows=None, results_header=None, **kw) -> Path:
    folder.mkdir(exist_ok=True)
    sh, sr = tiny_rows["schools"]
    rh, rr = tiny_rows["results"]
    write_csv(folder / "schools.csv", sh, sr)
    write_csv(
        folder / "results.csv", results_header or rh, rr if results_rows is None else results_rows, **kw
    )
    return folder


def _xlsx(path: Path, rows: list[list], merges: tuple[str, ...] = ()) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Лист1"
    for r in rows:
        ws.append(r)
    for m in merges:
        ws.merge_cells(m)
    wb.save(path)
    return path


# ------------------------------------------------------------------ valid ---
def test_tiny_dataset_loads(tiny_dataset_dir):
    ds = load_dataset(tiny_dataset_dir)
    assert ds.report.errors == []
    assert list(ds.schools.columns) == TABLES["schools"].column_names
    assert list(ds.results.columns) == TABLES["results"].column_names
    assert ds.schools["school_id"].tolist() == ["0101", "0102", "0201", "0202"]  # leading zeros kept
    assert str(ds.schools["school_id"].dtype) == "string"
    assert str(ds.results["year"].dtype) == "Int64"
    assert ds.results["mean_score"].iloc[0] == pytest.approx(60.5)  # decimal comma
    assert ds.results["share_quality"].isna().sum() == 6  # missing is not zero
    assert ds.schools["locality"].isna().all() and str(ds.schools["locality"].dtype) == "string"
    assert ds.years == [2023, 2024]
    assert ds.municipalities == ["Лесной район", "Озёрный район"]
    assert len(ds.fingerprint) == 16
    t = ds.report.tables["results"]
    assert t.rows_read == t.rows_used + t.rows_excluded + t.rows_empty == 14
    assert any("десятичная запятая" in c for c in t.conversions)
    assert ds.has("results") and not ds.has("context") and ds.get("context") is None
    assert "прочитано строк 14" in ds.report.summary_ru()
    # a missing optional table is a warning
    assert any(p.level == "warning" and "(context)" in p.message for p in ds.report.problems)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_round_trip(tiny_dataset_dir, tmp_path, fmt):
    ds = load_dataset(tiny_dataset_dir)
    out = tmp_path / f"rt_{fmt}"
    out.mkdir()
    for name, df in ds.tables.items():
        p = out / f"{name}.{fmt}"
        if fmt == "csv":
            df.to_csv(p, index=False)
        elif fmt == "xlsx":
            df.to_excel(p, index=False)
        else:
            df.to_parquet(p, index=False)
    back = load_dataset(out)
    for name, df in ds.tables.items():
        pd.testing.assert_frame_equal(back.tables[name], df, check_exact=False)


def test_from_frames_and_subset(tiny_dataset_dir):
    ds = load_dataset(tiny_dataset_dir)
    ds2 = Dataset.from_frames({"schools": ds.schools, "results": ds.results})
    pd.testing.assert_frame_equal(ds2.results, ds.results)
    sub = ds.subset(municipalities=["Лесной район"], years=[2024])
    assert set(sub.schools["school_id"]) == {"0101", "0102"}
    assert set(sub.results["school_id"]) == {"0101", "0102"} and set(sub.results["year"]) == {2024}
    bad = ds.results.copy()
    bad.loc[0, "mean_score"] = 150.0
    with pytest.raises(DataError) as ei:
        Dataset.from_frames({"schools": ds.schools, "results": bad})
    assert "средний балл больше максимального балла (100)" in str(ei.value)


# ---------------------------------------------------------------- errors ---
def test_missing_required_column(tmp_path, tiny_rows):
    rh, rr = tiny_rows["results"]
    i = rh.index("Максимальный балл")
    folder = _write_set(tmp_path / "d", tiny_rows, [r[:i] + r[i + 1 :] for r in rr], rh[:i] + rh[i + 1 :])
    with pytest.raises(DataError) as ei:
        load_dataset(folder)
    (err,) = _errors(ei.value)
    assert err.file == "results.csv" and err.column == "Максимальный балл"
    assert "отсутствует обязательный столбец «Максимальный балл» (max_score)" in err.message


def test_duplicate_key(tmp_path, tiny_rows):
    rh, rr = tiny_rows["results"]
    rr.append(list(rr[0]))  # line 2 duplicated as the last line
    folder = _write_set(tmp_path / "d", tiny_rows, rr)
    last_line = len(rr) + 1
    with pytest.raises(DataError) as ei:
        load_dataset(folder)
    (err,) = _errors(ei.value)
    assert err.row == last_line
    assert f"строки 2 и {last_line}" in err.message and "повторяющийся ключ" in err.message


def test_share_out_of_range(tmp_path, tiny_rows):
    rh, rr = tiny_rows["results"]
    rr[2][rh.index("Доля низких результатов")] = "140"
    folder = _write_set(tmp_path / "d", tiny_rows, rr)
    with pytest.raises(DataError) as ei:
        load_dataset(folder)
    (err,) = _errors(ei.value)
    assert (err.row, err.column, err.canonical, err.value) == (
        4,
        "Доля низких результатов",
        "share_low",
        "140",
    )
    assert err.message == "Доля должна быть в диапазоне [0, 1] или в процентах [0, 100]: получено 140"


def test_percent_strings_converted(tmp_path, tiny_rows):
    rh, rr = tiny_rows["results"]
    q = rh.index("Качество знаний")
    for k, r in enumerate(rr):
        r[q] = "45%" if k % 2 else "45,0"
    folder = _write_set(tmp_path / "d", tiny_rows, rr)
    ds = load_dataset(folder)
    assert np.allclose(ds.results["share_quality"], 0.45)
    warns = [p for p in ds.report.warnings if p.canonical == "share_quality"]
    assert len(warns) == 1 and "проценты переведены в доли" in warns[0].message
    assert f"значений: {len(rr)}" in warns[0].message and warns[0].column == "Качество знаний"


def test_cp1251_semicolon_csv(tmp_path, tiny_rows):
    folder = _write_set(tmp_path / "d", tiny_rows, encoding="cp1251", delimiter=";")
    ds = load_dataset(folder)
    t = ds.report.tables["results"]
    assert (t.encoding, t.delimiter) == ("cp1251", ";")
    assert ds.results["procedure"].iloc[0] == "ЕГЭ"
    assert any("cp1251" in p.message for p in ds.report.infos)


def test_tab_csv(tmp_path, tiny_rows):
    folder = _write_set(tmp_path / "d", tiny_rows, delimiter="\t")
    assert load_dataset(folder).report.tables["results"].delimiter == "\t"


def test_excel_two_row_merged_header_and_title(tmp_path, tiny_rows):
    folder = tmp_path / "d"
    folder.mkdir()
    sh, sr = tiny_rows["schools"]
    write_csv(folder / "schools.csv", sh, sr)
    top = ["Код ОО", "Год", "Процедура", "Предмет", "Класс", "Результаты", None, None, None, None, None]
    sub = [
        None,
        None,
        None,
        None,
        None,
        "Число участников",
        "Средний балл",
        "Максимальный балл",
        "Доля «2»",
        "Качество знаний, %",
        "Доля «5»",
    ]
    data = [
        ["0101", 2024, "ЕГЭ", "Математика", 11, 12, 55.5, 100, 0.1, None, 0.2],
        ["0201", 2024, "ЕГЭ", "Математика", 11, 9, 61.0, 100, 0.0, None, 0.3],
    ]
    rows = [["Результаты ЕГЭ по школам, 2024"], [], top, sub, *data]
    merges = ("A3:A4", "B3:B4", "C3:C4", "D3:D4", "E3:E4", "F3:K3")
    _xlsx(folder / "Результаты.xlsx", rows, merges)
    ds = load_dataset(folder)
    assert ds.report.errors == []
    t = ds.report.tables["results"]
    assert t.header_row == 4 and t.file == "Результаты.xlsx"
    assert ds.results["mean_score"].tolist() == [55.5, 61.0]
    assert ds.results["share_high"].tolist() == [0.2, 0.3]
    assert ds.results["participants"].tolist() == [12, 9]


def test_excel_title_row_and_problem_rows(tmp_path, tiny_rows):
    folder = tmp_path / "d"
    folder.mkdir()
    sh, sr = tiny_rows["schools"]
    write_csv(folder / "schools.csv", sh, sr)
    rh = RESULTS_HEADER
    rows = [
        ["Сводная таблица результатов"],
        rh,
        [470101.0, 2024, "огэ", "Математика", 9, 10, "abc", 31, None, None, None],
        ["0101", 2024, "ОГЭ", "Математика", 9, 10, "#ДЕЛ/0!", 31, None, None, None],
    ]
    _xlsx(folder / "results.xlsx", rows)
    with pytest.raises(DataError) as ei:
        load_dataset(folder)
    errs = _errors(ei.value)
    non_num = [e for e in errs if e.canonical == "mean_score"]
    assert len(non_num) == 1 and non_num[0].row == 3 and non_num[0].value == "abc"
    # float-looking code from an Excel number cell becomes "470101" and is then unknown
    unknown = [e for e in errs if e.canonical == "school_id"]
    assert unknown[0].value == "470101" and unknown[0].row == 3
    warn = [p for p in ei.value.problems if p.level == "warning" and p.value == "#ДЕЛ/0!"]
    assert warn and warn[0].row == 4 and warn[0].column == "Средний балл"


def test_unknown_school_id(tmp_path, tiny_rows):
    rh, rr = tiny_rows["results"]
    rr[4][0] = "9999"
    folder = _write_set(tmp_path / "d", tiny_rows, rr)
    with pytest.raises(DataError) as ei:
        load_dataset(folder)
    (err,) = _errors(ei.value)
    assert (err.row, err.column, err.value) == (6, "Код ОО", "9999")
    assert "не найден в таблице «Школы»" in err.message


def test_non_numeric_score_message(tmp_path, tiny_rows):
    rh, rr = tiny_rows["results"]
    rr[12][rh.index("Средний балл")] = "abc"
    folder = _write_set(tmp_path / "d", tiny_rows, rr)
    with pytest.raises(DataError) as ei:
        load_dataset(folder)
    assert "results.csv, строка 14, столбец «Средний балл» (mean_score): значение «abc» — не число" in str(
        ei.value
    )


def test_negative_participants(tmp_path, tiny_rows):
    rh, rr = tiny_rows["results"]
    rr[0][rh.index("Число участников")] = "-3"
    folder = _write_set(tmp_path / "d", tiny_rows, rr)
    with pytest.raises(DataError) as ei:
        load_dataset(folder)
    (err,) = _errors(ei.value)
    assert (err.row, err.canonical, err.value) == (2, "participants", "-3")
    assert err.message == "число участников не может быть отрицательным"


def test_mean_above_max(tmp_path, tiny_rows):
    rh, rr = tiny_rows["results"]
    rr[1][rh.index("Средний балл")] = "35"  # ОГЭ, max 31
    folder = _write_set(tmp_path / "d", tiny_rows, rr)
    with pytest.raises(DataError) as ei:
        load_dataset(folder)
    (err,) = _errors(ei.value)
    assert (err.row, err.column) == (3, "Средний балл")
    assert err.message == "средний балл больше максимального балла (31)"


def test_empty_file(tmp_path, tiny_rows):
    folder = _write_set(tmp_path / "d", tiny_rows)
    (folder / "results.csv").write_bytes(b"")
    with pytest.raises(DataError) as ei:
        load_dataset(folder)
    (err,) = _errors(ei.value)
    assert err.file == "results.csv" and "файл пуст" in err.message


def test_missing_required_table(tmp_path, tiny_rows):
    folder = _write_set(tmp_path / "d", tiny_rows)
    (folder / "schools.csv").unlink()
    with pytest.raises(DataError) as ei:
        load_dataset(folder)
    (err,) = _errors(ei.value)
    assert "нет обязательной таблицы «Школы»" in err.message


def test_two_files_for_one_table(tmp_path, tiny_rows):
    folder = _write_set(tmp_path / "d", tiny_rows)
    (folder / "Результаты.csv").write_bytes((folder / "results.csv").read_bytes())
    with pytest.raises(DataError) as ei:
        load_dataset(folder)
    assert "найдено несколько файлов" in _errors(ei.value)[0].message


def test_totals_row_excluded(tmp_path, tiny_rows):
    rh, rr = tiny_rows["results"]
    rr.append(["Итого", "", "", "", "", "200", "", "", "", "", ""])
    rr.append([""] * len(rh))
    folder = _write_set(tmp_path / "d", tiny_rows, rr)
    ds = load_dataset(folder)
    t = ds.report.tables["results"]
    assert t.rows_used == 14 and t.rows_empty == 1 and t.rows_read == 16
    assert t.excluded["reason"].tolist() == ["строка итогов («Итого»)"]
    assert t.excluded["row"].tolist() == [16]
    assert ds.report.excluded["table"].tolist() == ["results"]


def test_several_errors_in_one_data_error(tmp_path, tiny_rows):
    rh, rr = tiny_rows["results"]
    rr[0][rh.index("Средний балл")] = "abc"
    rr[1][rh.index("Класс")] = "9,5"
    rr[2][0] = "7777"
    rr[3][rh.index("Доля низких результатов")] = "−0,2"
    sh, sr = tiny_rows["schools"]
    sr[1][sh.index("Наименование ОО")] = ""
    folder = _write_set(tmp_path / "d", tiny_rows, rr)
    (folder / "notes.txt").write_text("x")
    with pytest.raises(DataError) as ei:
        load_dataset(folder)
    errs = {(e.file, e.row, e.canonical) for e in _errors(ei.value)}
    assert errs == {
        ("results.csv", 2, "mean_score"),
        ("results.csv", 3, "grade"),
        ("results.csv", 4, "school_id"),
        ("results.csv", 5, "share_low"),
        ("schools.csv", 3, "name"),
    }
    text = str(ei.value)
    assert "найдено ошибок — 5" in text and "ожидается целое число" in text
    assert any(p.file == "notes.txt" and p.level == "warning" for p in ei.value.problems)


def test_non_strict_excludes_bad_rows(tmp_path, tiny_rows):
    rh, rr = tiny_rows["results"]
    rr[0][rh.index("Средний балл")] = "abc"
    rr[5][0] = "7777"
    folder = _write_set(tmp_path / "d", tiny_rows, rr)
    ds = load_dataset(folder, strict=False)
    t = ds.report.tables["results"]
    assert t.rows_used == 12 and t.excluded["row"].tolist() == [2, 7]
    assert "не число" in t.excluded["reason"].iloc[0]
    assert t.rows_read == t.rows_used + t.rows_excluded + t.rows_empty
    assert len(ds.report.to_frame().query("level == 'error'")) == 2


def test_unknown_procedure_and_unknown_column(tmp_path, tiny_rows):
    rh, rr = tiny_rows["results"]
    rr[0][2] = "нико"
    rr[1][2] = " егэ "
    rh = rh + ["Примечание"]
    rr = [r + ["—"] for r in rr]
    folder = _write_set(tmp_path / "d", tiny_rows, rr, rh)
    ds = load_dataset(folder)
    assert ds.results["procedure"].iloc[:2].tolist() == ["НИКО", "ЕГЭ"]
    info = [p for p in ds.report.infos if p.canonical == "procedure"]
    assert info[0].message == "неизвестная процедура «НИКО» принята как отдельный мониторинг"
    assert any(p.column == "Примечание" and p.level == "warning" for p in ds.report.problems)


def test_optional_tables_bool_date_and_mapping(tmp_path, tiny_rows):
    folder = _write_set(tmp_path / "d", tiny_rows)
    write_csv(
        folder / "Контекст.csv",
        ["Код ОО", "Год", "Малокомплектная", "Доля учащихся с ОВЗ", "Моя доля"],
        [
            ["0101", "2024", "да", "5", "1"],
            ["0102", "2024", "нет", "12,5", "2"],
            ["0201", "2024", "", "", "3"],
        ],
    )
    write_csv(
        folder / "diagnostics.csv",
        [
            "Код ОО",
            "Срез",
            "Дата",
            "Предмет",
            "Класс",
            "Число участников",
            "Средний балл",
            "Максимальный балл",
        ],
        [["0101", "Вход", "15.10.2023", "Математика", "9", "10", "12", "31"]],
    )
    (folder / "mapping_local.yaml").write_text(
        "columns:\n  context:\n    share_low_ses: [Моя доля]\n", encoding="utf-8"
    )
    ds = load_dataset(folder)
    ctx = ds.get("context")
    assert ctx["is_small_school"].tolist()[:2] == [True, False] and ctx["is_small_school"].isna().iloc[2]
    assert ctx["share_special_needs"].tolist()[:2] == pytest.approx([0.05, 0.125])
    assert ctx["share_low_ses"].tolist() == pytest.approx([0.01, 0.02, 0.03])
    diag = ds.get("diagnostics")
    assert diag["wave"].iloc[0] == "вход" and diag["date"].iloc[0] == pd.Timestamp("2023-10-15")
    assert str(ctx["enrolment"].dtype) == "Int64" and ctx["enrolment"].isna().all()


def test_grouped_problems_count_and_examples():
    from shnro_lib.io.problems import Problem, grouped_problems_ru

    probs = [
        Problem("warning", "r.csv", None, i, "Балл", str(i), f"значение {i} вне диапазона [0, 100]")
        for i in range(2, 8)
    ]
    probs.append(Problem("info", "s.csv", None, None, None, None, "файл прочитан в кодировке cp1251"))
    text = grouped_problems_ru(probs, examples=2)
    assert "Предупреждения (6):" in text and "значение N вне диапазона [N, N] — 6" in text
    assert "строка 2" in text and "строка 3" in text and "строка 4" not in text and "… и ещё 4" in text
    assert "Сведения (1):" in text and "файл прочитан в кодировке cp1251 — 1" in text
    assert "строка 7" in grouped_problems_ru(probs, examples=0)


def test_has_column_distinguishes_not_collected_from_missing_values():
    import pandas as pd

    from shnro_lib.io import Dataset

    ds = Dataset.from_frames(
        {
            "schools": pd.DataFrame(
                {"school_id": ["1", "2"], "name": ["А", "Б"], "municipality": ["М", "М"]}
            ),
            "results": pd.DataFrame(
                {
                    "school_id": ["1", "2"],
                    "year": [2024, 2024],
                    "procedure": ["ОГЭ", "ОГЭ"],
                    "subject": ["Математика"] * 2,
                    "grade": [9, 9],
                    "participants": [10, 12],
                    "mean_score": [15.0, 17.0],
                    "max_score": [31.0, 31.0],
                    "share_low": [0.1, None],
                }
            ),
        }
    )
    assert ds.has_column("results", "share_low")  # collected, one value missing
    assert not ds.has_column("results", "share_quality")  # never collected (the loader adds it empty)
    assert "share_quality" in ds.results.columns
    assert not ds.has_column("context", "enrolment")
