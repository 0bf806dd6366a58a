"""Shared fixtures."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

SCHOOLS_HEADER = ["Код ОО", "Наименование ОО", "Муниципальный район", "Тип ОО", "Широта", "Долгота"]
SCHOOLS_ROWS = [
    ["0101", "МБОУ «СОШ № 1» г. Лесной", "Лесной район", "СОШ", "59,10", "30,20"],
    ["0102", "МБОУ «ООШ с. Берёзовка»", "Лесной район", "ООШ", "59,20", "30,40"],
    ["0201", "МБОУ «Гимназия № 2»", "Озёрный район", "гимназия", "60,00", "31,00"],
    ["0202", "МКОУ «СОШ д. Заречье»", "Озёрный район", "СОШ", "", ""],
]
RESULTS_HEADER = [
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


def _results_rows() -> list[list[str]]:
    rows = []
    for i, sid in enumerate(["0101", "0102", "0201", "0202"]):
        for year in (2023, 2024):
            if sid != "0102":  # ООШ: no ЕГЭ
                rows.append(
                    [
                        sid,
                        str(year),
                        "ЕГЭ",
                        "Русский язык",
                        "11",
                        str(10 + i),
                        f"{60 + i + year - 2023},5",
                        "100",
                        f"0,0{i}",
                        "",
                        f"0,1{i}",
                    ]
                )
            rows.append(
                [
                    sid,
                    str(year),
                    "ОГЭ",
                    "Математика",
                    "9",
                    str(15 + i),
                    f"{14 + i},2",
                    "31",
                    f"0,{i + 1}",
                    f"0,{i + 4}",
                    "",
                ]
            )
    return rows


def write_csv(
    path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8", delimiter: str = ","
) -> Path:
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh, delimiter=delimiter)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture
def tiny_rows() -> dict[str, tuple[list[str], list[list[str]]]]:
    """Header and rows of the tiny data set (copies; tests may modify them)."""
    return {
        "schools": (list(SCHOOLS_HEADER), [list(r) for r in SCHOOLS_ROWS]),
        "results": (list(RESULTS_HEADER), _results_rows()),
    }


@pytest.fixture
def tiny_dataset_dir(tmp_path: Path) -> Path:
    """A small valid data set: 4 schools, 2 municipalities, 2 years, ЕГЭ and ОГЭ, Russian headers."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    write_csv(folder / "schools.csv", SCHOOLS_HEADER, SCHOOLS_ROWS)
    write_csv(folder / "results.csv", RESULTS_HEADER, _results_rows())
    return folder


PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEMO_DIR = PROJECT_ROOT / "data" / "demo"
DEMO_TRUTH_DIR = PROJECT_ROOT / "data" / "demo_truth"


@pytest.fixture(scope="session")
def demo_dataset():
    """The shipped synthetic demo region, loaded once per test session."""
    from shnro_lib.io import load_dataset

    return load_dataset(DEMO_DIR)


@pytest.fixture(scope="session")
def small_demo_dir(tmp_path_factory) -> Path:
    """A small generated region (120 schools) with its truth beside it, once per session."""
    from shnro_lib.demo import generate_demo

    out = tmp_path_factory.mktemp("small") / "demo"
    generate_demo(out, seed=1, n_schools=120)
    return out


@pytest.fixture(scope="session")
def small_demo(small_demo_dir):
    """The small generated region, loaded."""
    from shnro_lib.io import load_dataset

    return load_dataset(small_demo_dir)
