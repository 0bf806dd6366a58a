"""The command line as a user runs it."""

from __future__ import annotations

import shutil
import subprocess
import sys

from conftest import DEMO_DIR


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "shnro_lib", *args], capture_output=True, text=True, timeout=300
    )


def test_validate_demo_ok():
    r = run_cli("validate", str(DEMO_DIR))
    assert r.returncode == 0, r.stderr
    assert "Набор данных корректен" in r.stdout
    # every warning and note is printed, grouped by kind with its count and first examples
    assert "Предупреждения (" in r.stdout and "проценты переведены в доли (значений: N) — " in r.stdout
    assert "Сведения (" in r.stdout and "staff.csv: файл прочитан в кодировке cp1251" in r.stdout


def test_validate_lists_every_problem(tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(DEMO_DIR, bad)
    lines = (bad / "results.csv").read_text(encoding="utf-8-sig").splitlines()
    cells = lines[5].split(";")
    cells[6] = "abc"  # non-numeric mean score at line 6
    lines[5] = ";".join(cells)
    cells = lines[9].split(";")
    cells[5] = "-3"  # negative participants at line 10
    lines[9] = ";".join(cells)
    cells = lines[12].split(";")
    cells[0] = "999999"  # unknown school at line 13
    lines[12] = ";".join(cells)
    (bad / "results.csv").write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    r = run_cli("validate", str(bad))
    assert r.returncode == 1
    err = r.stderr
    assert "строка 6" in err and "«Средний балл»" in err
    assert "строка 10" in err and "«Число участников»" in err
    assert "строка 13" in err and "999999" in err
    assert "Traceback" not in err


def test_validate_missing_folder(tmp_path):
    r = run_cli("validate", str(tmp_path / "nope"))
    assert r.returncode == 1
    assert "не найдена" in r.stderr
    assert "Traceback" not in r.stderr


def test_help_lists_commands():
    r = run_cli("--help")
    assert r.returncode == 0
    for cmd in ("validate", "demo-data"):
        assert cmd in r.stdout
