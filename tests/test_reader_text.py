"""What a reader sees reads right (issue 24): every HTML text node, Excel cell and CSV header of a small
demo batch and of the analysis commands, scanned by :func:`tests.textcheck.scan_outputs` — no identifier,
file name, «nan»/«None»/«inf», year with a thousands separator, «(ы)», hyphen as a minus, TRUE/FALSE or
unformatted number; and the regional lists workbook holds every listed school.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from tests.textcheck import reader_problems, scan_outputs

YEAR = 2024
# texts once left in shnro_lib/effects/ (the method text and the simulation table); now fixed, the test of
# those texts below checks they stay so
OWNED_ELSEWHERE = (
    "идентификатор: g_av",
    "имя файла: benchmarks/effects.py",
    "имя файла: dataset.yaml",
    "дефис вместо минуса: -",
)


def test_scanner_finds_what_reads_wrong():
    bad = {
        "Год включения: 2\u202f022 г.": "год с разделителем",
        "меньше 2 школ(ы)": "«(ы)»",
        "индекс -1,71": "дефис вместо минуса",
        "цель не задана в dataset.yaml": "имя файла",
        "значение nan": "nan/None/inf",
        "признак social_wellbeing_index_coverage": "идентификатор",
        "TRUE": "ИСТИНА/ЛОЖЬ",
    }
    for text, kind in bad.items():
        assert kind in reader_problems(text), text
    good = (
        "Индекс −1,71 [−2,10; −1,32] за 2022–2024 гг.; 3 школы; окно — 3 года; в 2023 году; 1\u202f643 "
        "участника; код 010008; файл «Школы.xlsx»"
    )
    assert reader_problems(good) == {}


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> dict:
    """A small demo batch (one municipality, no PDF) and the analysis commands' files."""
    from shnro_lib.demo import generate_demo
    from shnro_lib.io import load_dataset

    root = tmp_path_factory.mktemp("reader")
    data = generate_demo(root / "demo", seed=1, n_schools=60).data_dir
    muni = load_dataset(data).schools["municipality"].value_counts().index[0]
    out = root / "out"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    d, y = str(data), str(YEAR)
    runs = [
        [
            "reports",
            d,
            "--year",
            y,
            "--out",
            str(out / "reports"),
            "--no-pdf",
            "--workers",
            "1",
            "--municipality",
            muni,
        ],
        ["identify", d, "--year", y, "--out", str(out / "list.xlsx"), "--csv", str(out / "list.csv")],
        ["context", d, "--year", y, "--csv", str(out / "context.csv"), "--xlsx", str(out / "context.xlsx")],
        ["costs", d, "--year", y, "--csv", str(out / "costs.csv"), "--bootstrap", "0"],
        ["monitoring", d, "--year", y, "--xlsx", str(out / "monitoring.xlsx")],
        ["partners", d, "--year", y, "--csv", str(out / "pairs.csv"), "--xlsx", str(out / "pairs.xlsx")],
        ["effects", d, "--csv", str(out / "effects.csv")],
    ]
    for args in runs:
        r = subprocess.run(
            [sys.executable, "-m", "shnro_lib", *args], capture_output=True, text=True, env=env, timeout=1800
        )
        assert r.returncode in (0, 3, 4), f"{args[0]}: {r.stderr[-1500:]}"
    files = sorted(
        f
        for f in out.rglob("*")
        if f.suffix in (".html", ".xlsx", ".csv") and ".cache" not in f.parts and "_failed" not in f.parts
    )
    return {"data": data, "out": out, "files": files, "scan": scan_outputs(files)}


def _problems(batch, owned_elsewhere: bool) -> list[str]:
    out = []
    for f, bad in batch["scan"].items():
        for b in bad:
            if b.startswith(OWNED_ELSEWHERE) == owned_elsewhere:
                out.append(f"{Path(f).relative_to(batch['out'])}: {b}")
    return out


@pytest.mark.slow
def test_every_output_reads_right(batch):
    kinds = {f.suffix for f in batch["files"]}
    assert {".html", ".xlsx", ".csv"} <= kinds and len(batch["files"]) > 10
    bad = _problems(batch, owned_elsewhere=False)
    assert not bad, f"{len(bad)} problems:\n" + "\n".join(sorted(set(bad))[:80])


@pytest.mark.slow
def test_effects_texts_read_right(batch):
    bad = _problems(batch, owned_elsewhere=True)
    assert not bad, "\n".join(sorted(set(bad)))


@pytest.mark.slow
def test_lists_workbook_holds_every_listed_school(batch):
    from shnro_lib.identify import identify_schools
    from shnro_lib.io import load_dataset
    from shnro_lib.report.lists import ALL_SHEET, CATEGORY_SHEETS, lists_file_name

    path = batch["out"] / "reports" / lists_file_name(YEAR)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [ALL_SHEET, *CATEGORY_SHEETS]
    t = identify_schools(load_dataset(batch["data"]), YEAR, "lo_2018")
    for sheet, cats in {ALL_SHEET: ("ШНРО", "ШНСУ", "ШНРО и ШНСУ", "зона риска"), **CATEGORY_SHEETS}.items():
        ws = wb[sheet]
        header = [c.value for c in ws[3]]
        assert header[:5] == [
            "Код ОО",
            "Наименование ОО",
            "Муниципальное образование",
            "Категория",
            "Основание",
        ]
        codes = [r[0] for r in ws.iter_rows(min_row=4, values_only=True)]
        want = set(t.loc[t["category"].isin(cats), "school_id"])
        assert set(codes) == want and len(codes) == len(want), sheet
        reasons = [r[4] for r in ws.iter_rows(min_row=4, values_only=True)]
        assert all(isinstance(x, str) and len(x) > 10 for x in reasons), sheet
        assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
        assert ws.print_title_rows == "$3:$3" and ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.freeze_panes == "A4" and ws.auto_filter.ref
    assert wb[ALL_SHEET].max_row > 3
