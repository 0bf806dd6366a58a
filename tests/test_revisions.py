"""Revisions of earlier years between two versions of a data set."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import RESULTS_HEADER, SCHOOLS_HEADER, SCHOOLS_ROWS, _results_rows, write_csv

from shnro_lib.io import Dataset, load_dataset
from shnro_lib.revisions import ADDED, CHANGED, REMOVED, compare_datasets, summary_ru


@pytest.fixture
def full(tiny_dataset_dir) -> Dataset:
    return load_dataset(tiny_dataset_dir)


def _with_results(ds: Dataset, results: pd.DataFrame, **extra: pd.DataFrame) -> Dataset:
    return Dataset.from_frames({"schools": ds.schools, "results": results, **extra})


def test_new_year_added_is_not_a_revision(full):
    old = full.subset(years=[2023])
    rev = compare_datasets(old, full)
    assert rev.empty and list(rev.columns)[-1] == "kind"
    assert "Пересмотров данных за прошлые годы нет" in summary_ru(rev)


def test_changed_removed_and_added_rows(full):
    old = full.subset(years=[2023])
    res = full.results.copy()
    is23 = (res["year"] == 2023).to_numpy()
    first = res.index[is23][0]
    res.loc[first, "mean_score"] = res.loc[first, "mean_score"] + 1.0  # changed value
    res.loc[first, "share_quality"] = 0.5  # missing -> value
    removed = res.index[is23][1]
    removed_key = res.loc[removed, ["school_id", "subject"]].tolist()
    res = res.drop(index=removed)
    extra = res.loc[[first]].copy()
    extra["subject"] = "Физика"  # added for 2023
    res = pd.concat([res, extra], ignore_index=True)
    new = _with_results(full, res)
    rev = compare_datasets(old, new)
    assert sorted(rev["kind"].tolist()) == sorted([CHANGED, CHANGED, REMOVED, ADDED])
    ch = rev[rev["kind"] == CHANGED].set_index("column")
    sid = full.results.loc[first, "school_id"]
    old_mean = full.results.loc[first, "mean_score"]
    assert ch.loc["mean_score", "old_value"] == repr(float(old_mean))
    assert float(ch.loc["mean_score", "new_value"]) == pytest.approx(old_mean + 1)
    assert ch.loc["share_quality", "old_value"] == "" and ch.loc["share_quality", "new_value"] == "0.5"
    assert (ch["school_id"] == sid).all() and (rev["year"] == "2023").all()
    rm = rev[rev["kind"] == REMOVED].iloc[0]
    assert rm["school_id"] == removed_key[0] and f"subject={removed_key[1]}" in rm["key"]
    assert "subject=Физика" in rev[rev["kind"] == ADDED].iloc[0]["key"]
    text = summary_ru(rev, old, new)
    assert "найдено пересмотров данных за прошлые годы — 4" in text
    assert "Результаты оценочных процедур (results): изменено — 2" in text


def test_tiny_float_noise_is_not_a_revision(full):
    res = full.results.copy()
    res["mean_score"] = res["mean_score"] * (1 + 1e-13)
    assert compare_datasets(full, _with_results(full, res)).empty


def test_optional_tables_and_a_dropped_table(full):
    ctx = pd.DataFrame({"school_id": ["0101", "0102"], "year": [2023, 2023], "share_low_ses": [0.1, 0.2]})
    old = _with_results(full, full.results, context=ctx)
    ctx2 = ctx.copy()
    ctx2.loc[1, "share_low_ses"] = 0.25
    rev = compare_datasets(old, _with_results(full, full.results, context=ctx2))
    assert rev[["table", "school_id", "column", "old_value", "new_value"]].values.tolist() == [
        ["context", "0102", "share_low_ses", "0.2", "0.25"]
    ]
    rev = compare_datasets(old, full)  # the context table is gone
    assert rev["kind"].tolist() == [REMOVED, REMOVED] and set(rev["table"]) == {"context"}


def _folder(path: Path, rows: list[list[str]]) -> Path:
    path.mkdir()
    write_csv(path / "schools.csv", SCHOOLS_HEADER, SCHOOLS_ROWS)
    write_csv(path / "results.csv", RESULTS_HEADER, rows)
    return path


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "shnro_lib", "revisions", *args], capture_output=True, text=True, timeout=120
    )


def test_cli_exit_codes_and_csv(tmp_path):
    rows = _results_rows()
    old = _folder(tmp_path / "old", [r for r in rows if r[1] == "2023"])
    same = _folder(tmp_path / "same", rows)
    r = _cli(str(old), str(same))
    assert r.returncode == 0, r.stderr
    assert "Пересмотров данных за прошлые годы нет" in r.stdout
    changed = [list(x) for x in rows]
    changed[0][6] = "99,5"
    new = _folder(tmp_path / "new", changed)
    out = tmp_path / "rev" / "revisions.csv"
    r = _cli(str(old), str(new), "--csv", str(out))
    assert r.returncode == 3, r.stderr
    assert "найдено пересмотров данных за прошлые годы — 1" in r.stdout
    assert "было «60.5», стало «99.5»" in r.stdout
    with open(out, encoding="utf-8-sig", newline="") as fh:
        recs = list(csv.DictReader(fh))
    assert recs == [
        {
            "Таблица": "results",
            "Год": "2023",
            "Код ОО": "0101",
            "Ключ строки": "school_id=0101, year=2023, procedure=ЕГЭ, subject=Русский язык, grade=11",
            "Столбец": "mean_score",
            "Было": "60.5",
            "Стало": "99.5",
            "Вид пересмотра": "изменено",
        }
    ]
    (new / "results.csv").write_text("", encoding="utf-8")
    r = _cli(str(old), str(new))
    assert r.returncode == 1 and "файл пуст" in r.stderr
