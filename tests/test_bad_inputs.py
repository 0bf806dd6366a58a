"""The bad-input corpus (``tests/data/bad/<case>/``, built by ``make_corpus.py``).

Every case either loads with the right values or stops with a precise Russian
``DataError`` naming file, sheet, row and column — never another exception and
never a silent loss (rows read = used + excluded + empty).
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shnro_lib.io import DataError, Dataset, Problem, load_dataset

BAD = Path(__file__).resolve().parent / "data" / "bad"
CASES = sorted(p.name for p in BAD.iterdir() if p.is_dir())


def _load(case: str, strict: bool = True) -> Dataset:
    return load_dataset(BAD / case, strict=strict)


def _fail(case: str, strict: bool = True) -> list[Problem]:
    with pytest.raises(DataError) as ei:
        load_dataset(BAD / case, strict=strict)
    return ei.value.errors


def _one_error(case: str) -> Problem:
    errs = _fail(case)
    assert len(errs) == 1, [e.to_ru() for e in errs]
    return errs[0]


def _probs(ds: Dataset, level: str, text: str) -> list[Problem]:
    return [p for p in ds.report.problems if p.level == level and text in p.message]


def _accounted(ds: Dataset) -> None:
    for t in ds.report.tables.values():
        assert t.rows_read == t.rows_used + t.rows_excluded + t.rows_empty, t.table


def test_corpus_is_big_enough():
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("strict", [True, False])
def test_never_a_traceback_never_a_silent_loss(case, strict):
    try:
        ds = load_dataset(BAD / case, strict=strict)
    except DataError as exc:
        assert exc.errors, "a DataError must contain at least one error"
        text = str(exc)
        assert text.startswith("Данные не загружены")
        for p in exc.errors:
            assert p.file and p.message
        return
    _accounted(ds)
    if strict:
        assert ds.report.errors == []


# ------------------------------------------------------------ loads fine ---
def _ok_results(ds: Dataset) -> None:
    assert ds.results["school_id"].tolist() == ["0101", "0101", "0102", "0102", "0201", "0201"]
    assert ds.results["mean_score"].tolist() == [14.5, 14.5, 15.5, 15.5, 16.5, 16.5]
    assert ds.results["participants"].tolist() == [10, 10, 11, 11, 12, 12]
    assert ds.results["share_low"].tolist() == pytest.approx([0.1, 0.1, 0.2, 0.2, 0.3, 0.3])
    _accounted(ds)


@pytest.mark.parametrize(
    "case",
    [
        "data_on_second_sheet",
        "first_sheet_empty",
        "title_rows_above_header",
        "merged_header",
        "encoding_cp1251",
        "encoding_utf8_bom",
        "encoding_utf16_unicode_text",
        "semicolon_separator",
        "tab_separator",
        "unknown_extra_column",
        "duplicated_header_same_values",
        "renamed_school_same_code",
        "hidden_columns",
        "merged_cells_in_data",
        "hidden_filtered_rows",
    ],
)
def test_case_loads_with_right_values(case):
    ds = _load(case)
    _ok_results(ds)
    assert ds.report.errors == []


def test_data_on_second_sheet_is_reported():
    ds = _load("data_on_second_sheet")
    t = ds.report.tables["results"]
    assert t.sheet == "Лист2"
    (info,) = _probs(ds, "info", "данные взяты с листа «Лист2»")
    assert "«Лист1» не содержит заголовков" in info.message
    assert "«Лист1» пуст" in _probs(_load("first_sheet_empty"), "info", "данные взяты")[0].message


def test_title_rows_and_merged_header_found():
    assert _load("title_rows_above_header").report.tables["results"].header_row == 4
    assert _load("merged_header").report.tables["results"].header_row == 3


def test_encodings_and_delimiters():
    t = _load("encoding_cp1251").report.tables["results"]
    assert (t.encoding, t.delimiter) == ("cp1251", ";")
    t = _load("encoding_utf16_unicode_text").report.tables["results"]
    assert (t.encoding, t.delimiter, t.file) == ("utf-16", "\t", "results.txt")
    assert _load("encoding_utf8_bom").report.tables["results"].encoding == "utf-8-sig"
    assert _load("tab_separator").report.tables["results"].delimiter == "\t"
    ds = _load("encoding_cp1251")
    assert ds.schools["name"].iloc[1] == "МБОУ «ООШ с. Берёзовка»"


def test_hidden_and_unknown_columns_reported():
    ds = _load("hidden_columns")
    (info,) = _probs(ds, "info", "скрытый столбец")
    assert info.column == "Средний балл" and info.sheet == "Лист1"
    assert [p.column for p in _probs(ds, "warning", "не используется")] == ["Служебный"]
    ds = _load("unknown_extra_column")
    assert [p.column for p in _probs(ds, "warning", "не используется")] == ["Примечание"]


def test_hidden_rows_read_with_warning():
    ds = _load("hidden_filtered_rows")
    (w,) = _probs(ds, "warning", "скрытые строки")
    assert "3, 4 (всего 2)" in w.message


def test_in_memory_frame_with_conflicting_duplicate_columns():
    ds = _load("renamed_school_same_code")
    res = ds.results.copy()
    res.insert(len(res.columns), "share_low", res["share_low"], allow_duplicates=True)
    assert Dataset.from_frames({"schools": ds.schools, "results": res}).results["share_low"].notna().all()
    res.iloc[2, -1] = 0.9
    with pytest.raises(DataError) as ei:
        Dataset.from_frames({"schools": ds.schools, "results": res})
    (e,) = ei.value.errors
    assert (e.row, e.column, e.canonical) == (3, "share_low", "share_low") and "различаются" in e.message


def test_merged_data_cells_filled_from_top():
    ds = _load("merged_cells_in_data")
    assert ds.schools["municipality"].tolist() == ["Лесной район", "Лесной район", "Озёрный район"]
    assert _probs(ds, "info", "объединённые ячейки в данных")[0].message.endswith("C2:C3")


def test_totals_rows_excluded_but_not_itogovoe():
    ds = _load("totals_rows")
    t = ds.report.tables["results"]
    assert (t.rows_read, t.rows_used, t.rows_excluded, t.rows_empty) == (10, 7, 2, 1)
    assert t.excluded["row"].tolist() == [9, 11]
    assert "Итоговое собеседование" in ds.results["subject"].tolist()  # not a totals row


def test_duplicated_identical_header_is_a_warning():
    ds = _load("duplicated_header_same_values")
    (w,) = _probs(ds, "warning", "повторяющийся заголовок")
    assert "значения совпадают" in w.message and "№12" in w.message


def test_lost_leading_zeros_matched_with_warning():
    ds = _load("codes_lost_leading_zeros")
    _ok_results(ds)
    (w,) = _probs(ds, "warning", "потеряли ведущие нули")
    assert "101 → 0101" in w.message and "строк: 6" in w.message and w.column == "Код ОО"
    assert any("ведущие нули" in c for c in ds.report.tables["results"].conversions)


def test_municipality_spellings_warned_not_merged():
    ds = _load("municipality_spellings")
    warns = _probs(ds, "warning", "записано по-разному")
    assert len(warns) == 2
    assert "«Всеволожский район» (строки 2" in warns[0].message
    assert "«Всеволожский муниципальный район» (строки 3" in warns[0].message
    assert "«Озёрный район»" in warns[1].message and "«Озерный район»" in warns[1].message
    # extra spaces normalised, different spellings kept apart
    assert ds.municipalities == [
        "Всеволожский муниципальный район",
        "Всеволожский район",
        "Озерный район",
        "Озёрный район",
    ]
    assert any("пробелы" in c for c in ds.report.tables["schools"].conversions)


def test_number_formats():
    ds = _load("number_formats")
    r = ds.results
    assert r["share_quality"].tolist()[:2] == pytest.approx([0.45, 0.45])
    # one column mixes «45%» with plain shares 0,5...: percents only where the sign is
    assert r["share_quality"].tolist()[2:] == pytest.approx([0.5, 0.5, 0.6, 0.6])
    assert r["participants"].iloc[0] == 1234  # NBSP thousands separator
    assert r["mean_score"].iloc[2] == pytest.approx(15.25)
    assert r["share_low"].iloc[3] == pytest.approx(0.5)


def test_comma_decimals_in_excel_text_cells():
    ds = _load("comma_decimals_excel_text")
    assert ds.results["mean_score"].iloc[0] == pytest.approx(14.75)
    assert ds.results["share_low"].iloc[1] == pytest.approx(0.125)
    assert ds.results["participants"].iloc[2] == 1012


def test_booleans():
    ds = _load("booleans_excel_and_words")
    ctx = ds.get("context")
    assert ctx["is_small_school"].tolist()[:2] == [True, False] and pd.isna(ctx["is_small_school"].iloc[2])
    res = ds.get("resources")
    assert res["in_renovation_plan"].tolist() == [True, False, True]
    assert res["in_construction_plan"].tolist() == [False, True, False]
    assert str(res["in_renovation_plan"].dtype) == "boolean"


def test_school_year_span_and_grade_text():
    ds = _load("school_year_span")
    assert ds.years == [2023, 2024]
    assert any("учебный год" in c for c in ds.report.tables["results"].conversions)
    ds = _load("grade_as_text")
    assert ds.results["grade"].tolist() == [9] * 6
    assert any("9 класс" in c for c in ds.report.tables["results"].conversions)


def test_two_row_excel_header_formula_free_data_are_numbers():
    ds = _load("merged_header")
    assert ds.results["max_score"].dtype == np.float64


# ------------------------------------------------------------- stops -----
def test_formula_without_cached_value_is_an_error():
    e = _one_error("formula_without_value")
    assert (e.file, e.sheet, e.row, e.column, e.value) == (
        "results.xlsx",
        "Лист1",
        4,
        "Средний балл",
        "=F4*1.45",
    )
    assert "формула без вычисленного значения" in e.message
    ds = _load("formula_without_value", strict=False)
    assert ds.report.tables["results"].excluded["row"].tolist() == [4]
    _accounted(ds)


def test_excel_error_values():
    # Participant counts are optional in the contract, so an error value there is a gap, as in a score.
    ds = _load("excel_error_values", strict=False)
    warn = {(p.row, p.column, p.value) for p in ds.report.problems if "ошибка формулы Excel" in p.message}
    assert warn == {(5, "Число участников", "#Н/Д"), (2, "Средний балл", "#ДЕЛ/0!")}
    assert ds.results["mean_score"].isna().iloc[0]  # an error value is missing, not zero
    assert (
        ds.results["participants"].isna().iloc[3]
        and ds.results["participants"].notna().sum() == len(ds.results) - 1
    )
    _load("excel_error_values")  # a warning, not a stop


def test_date_in_number_column():
    e = _one_error("date_in_number_column")
    assert (e.row, e.column) == (3, "Число участников")
    assert e.message == "ожидается число, а в ячейке дата"


def test_excel_bool_in_number_column():
    e = _one_error("excel_bool_in_number")
    assert (e.row, e.canonical) == (2, "participants") and "логическое значение" in e.message


def test_ambiguous_lost_zeros():
    e = _one_error("codes_lost_zeros_ambiguous")
    assert (e.row, e.value) == (2, "101") and "00101, 0101" in e.message


def test_same_code_two_names():
    e = _one_error("same_code_two_names")
    assert (e.file, e.row) == ("schools.csv", 5)
    assert "строки 2 и 5" in e.message
    assert "«МБОУ «СОШ № 1»» и «МОУ «Средняя школа № 1»»" in e.message


def test_merged_school_old_code():
    e = _one_error("merged_school_old_code")
    assert (e.file, e.row, e.value) == ("results.csv", 8, "0301")
    assert "не найден в таблице «Школы»" in e.message


@pytest.mark.parametrize(
    "case, file, text",
    [
        ("empty_file", "results.csv", "файл пуст"),
        ("empty_sheets", "results.xlsx", "во всех листах нет данных"),
        ("empty_xlsx_zero_bytes", "results.xlsx", "файл пуст (0 байт)"),
        ("truncated_xlsx", "results.xlsx", "файл повреждён"),
        ("header_only", "results.csv", "нет ни одной строки данных"),
        ("table_on_two_sheets", "results.xlsx", "найдена на нескольких листах («2023», «2024»)"),
        ("two_files_one_table", "results.csv", "найдено несколько файлов: results.csv, Результаты.xlsx"),
        ("missing_required_column", "results.csv", "отсутствует обязательный столбец «Максимальный балл»"),
    ],
)
def test_file_level_errors(case, file, text):
    errs = _fail(case)
    assert errs[0].file == file and text in errs[0].message, errs[0].to_ru()


def test_old_xls():
    errs = _fail("old_xls_file")
    assert errs[0].file == "results.xls" and "сохраните файл как .xlsx" in errs[0].message


@pytest.mark.parametrize(
    "case, row, column, value, text",
    [
        ("negative_share", 3, "Доля высоких результатов", "−0,05", "Доля должна быть в диапазоне [0, 1]"),
        ("share_140", 7, "Качество знаний", "140", "получено 140"),
        ("unicode_minus", 6, "Средний балл", "-3.5", "меньше допустимого минимума 0"),
        ("grade_with_letter", 2, "Класс", "9А", "не число"),
        (
            "two_headers_one_column_conflict",
            6,
            "Доля «2»",
            "0,9",
            "различаются в этой строке («0,3» и «0,9»)",
        ),
    ],
)
def test_value_errors(case, row, column, value, text):
    e = _one_error(case)
    assert (e.row, e.column, e.value) == (row, column, value)
    assert text in e.message
    ds = _load(case, strict=False)
    assert ds.report.tables["results"].excluded["row"].tolist() == [row]
    _accounted(ds)


def test_utf8_truncated_mid_character():
    with pytest.raises(DataError) as ei:
        _load("utf8_truncated_mid_char")
    warns = [p.message for p in ei.value.problems if p.level == "warning" and p.file == "results.csv"]
    assert any("неполном символе UTF-8" in w for w in warns)
    assert any(p.row == 9 and "короче заголовка" in p.message for p in ei.value.problems)
    assert {e.row for e in ei.value.errors} == {9}
    ds = _load("utf8_truncated_mid_char", strict=False)
    assert ds.report.tables["results"].rows_used == 7
    _accounted(ds)


# --------------------------------------------------- 200 000 result rows ---
def test_200k_rows_load_in_reasonable_time(tmp_path):
    d = tmp_path / "big"
    d.mkdir()
    n_sch = 2000
    with open(d / "schools.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Код ОО", "Наименование ОО", "Муниципальный район"])
        w.writerows([f"{i:05d}", f"Школа {i}", f"Район {i % 18}"] for i in range(n_sch))
    header = [
        "Код ОО",
        "Год",
        "Процедура",
        "Предмет",
        "Класс",
        "Число участников",
        "Средний балл",
        "Максимальный балл",
        "Доля низких результатов",
        "Качество знаний",
        "Доля высоких результатов",
    ]
    with open(d / "results.csv", "w", encoding="cp1251", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(header)
        for i in range(n_sch):
            for y in range(2020, 2025):
                for k in range(20):
                    w.writerow(
                        [
                            f"{i:05d}",
                            y,
                            "ВПР",
                            f"Предмет {k}",
                            5,
                            20 + k,
                            f"{14 + k % 7},5",
                            31,
                            "0,1",
                            "0,5",
                            "0,2",
                        ]
                    )
    t0 = time.perf_counter()
    ds = load_dataset(d)
    elapsed = time.perf_counter() - t0
    t = ds.report.tables["results"]
    assert t.rows_read == t.rows_used == 200_000
    assert ds.results["mean_score"].iloc[1] == pytest.approx(15.5)
    assert ds.results.memory_usage(deep=True).sum() < 200e6
    assert elapsed < 25, f"200 000 rows took {elapsed:.1f} s"
