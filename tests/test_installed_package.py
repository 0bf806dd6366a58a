"""A plain (non-editable) install works from any folder: what a pip or conda user gets.

The wheel is built from the checkout and unpacked into a folder of its own; the commands then run
from an unrelated working directory with that folder first on the path, so nothing can be read
from the checkout by accident (parameters, notebooks, the method annex, the simulation table).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUN = "import sys; from shnro_lib.cli import app; sys.argv = ['shnro', *sys.argv[1:]]; app()"


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    # a copy of the sources, so the build leaves nothing in the checkout
    src = tmp_path_factory.mktemp("src") / "shnro"
    top_level_skip = {"build", "data", "reports", "tests", "benchmarks", "shnro.egg-info"}

    def skip(folder: str, names: list[str]) -> set[str]:
        top = Path(folder) == ROOT
        return {n for n in names if n.startswith(".") or n == "__pycache__" or (top and n in top_level_skip)}

    shutil.copytree(ROOT, src, ignore=skip)
    wheels = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(src)],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = wheels.glob("shnro-*.whl")
    target = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(target)
    return target


def _shnro(installed: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(installed)}
    env.pop("SHNRO_PARAMETERS", None)
    return subprocess.run(
        [sys.executable, "-c", RUN, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=1200
    )


def test_the_wheel_holds_what_a_run_reads(installed: Path) -> None:
    pkg = installed / "shnro_lib"
    for rel in (
        "parameters/indices.yaml",
        "parameters/criteria/lo_2018.yaml",
        "parameters/import/ege_wide.yaml",
        "parameters/column_maps/ru_default.yaml",
        "notebooks/municipal_report.ipynb",
        "notebooks/regional_report.ipynb",
        "report/methods/01_identify.md",
        "report/templates/shnro/page.html.j2",
        "effects/data/effects_simulation.csv",
        "vocabulary/quantities.yaml",
        "profiles/templates/school.html.j2",
        "notebooks/collection.ipynb",
        "effects/templates/self_check.md",
        "site/static/site.js",
        "site/templates/index.html.j2",
        "monitoring/templates/method.md.j2",
        "partners/templates/method.md.j2",
    ):
        assert (pkg / rel).is_file(), rel
    # every method text kept as a template beside its module ships with it
    prose = sorted(
        p.relative_to(ROOT / "shnro_lib") for p in (ROOT / "shnro_lib").glob("*/templates/*.md.j2")
    )
    assert len(prose) >= 6
    missing = [str(rel) for rel in prose if not (pkg / rel).is_file()]
    assert not missing, f"method templates not in the wheel (pyproject package-data): {missing}"


def test_commands_and_a_report_run_from_another_folder(
    installed: Path, small_demo_dir: Path, tmp_path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = _shnro(installed, elsewhere, "--help")
    assert where.returncode == 0, where.stderr
    probe = subprocess.run(
        [sys.executable, "-c", "import shnro_lib; print(shnro_lib.__file__)"],
        cwd=elsewhere,
        env={**os.environ, "PYTHONPATH": str(installed)},
        capture_output=True,
        text=True,
    )
    assert Path(probe.stdout.strip()).is_relative_to(installed)

    ident = _shnro(
        installed,
        elsewhere,
        "identify",
        str(small_demo_dir),
        "--year",
        "2024",
        "--out",
        "id.xlsx",
        "--no-sensitivity",
    )
    assert ident.returncode == 0, ident.stdout + ident.stderr
    assert (elsewhere / "id.xlsx").stat().st_size > 0

    muni = "Гатчинский муниципальный район"
    out = elsewhere / "reports"
    rep = _shnro(
        installed,
        elsewhere,
        "reports",
        str(small_demo_dir),
        "--year",
        "2024",
        "--out",
        str(out),
        "--municipality",
        muni,
        "--workers",
        "1",
        "--no-pdf",
        "--no-school-pages",
    )
    assert rep.returncode == 0, rep.stdout + rep.stderr
    pages = [
        p for p in out.rglob("*.html") if muni.lower()[:5] in p.name.lower() or "gatch" in p.name.lower()
    ]
    html = "\n".join(p.read_text(encoding="utf-8") for p in (pages or list(out.rglob("*.html"))))
    assert "Идентификация ШНРО и ШНСУ" in html  # the method annex, read from the installed package
    assert "Описание метода недоступно" not in html
