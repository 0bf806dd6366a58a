"""A demo region of any size: ``shnro demo-data --municipalities N --schools M``."""

from __future__ import annotations

import filecmp
import subprocess
import sys

import pytest

from shnro_lib.demo import MUNICIPALITIES, generate_demo
from shnro_lib.demo.sizes import region_municipalities, region_size_problems
from shnro_lib.io import load_dataset


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "shnro_lib", *args], capture_output=True, text=True, timeout=300
    )


def test_municipality_list_starts_with_the_oblast_and_stays_unique():
    small = region_municipalities(5)
    assert [m[0] for m in small] == [m[0] for m in MUNICIPALITIES[:5]]
    big = region_municipalities(130, seed=3)
    names = [m[0] for m in big]
    assert len(names) == 130 and len(set(names)) == 130
    assert names[:18] == [m[0] for m in MUNICIPALITIES]
    assert all(m[3] > 0 and m[4] for m in big)
    towns = [t for m in big for t in m[4]]
    assert len(towns) == len(set(towns))
    assert region_municipalities(130, seed=3) == big
    assert region_municipalities(130, seed=4)[18:] != big[18:]


def test_size_problems_are_said_in_russian():
    assert region_size_problems(130, 2400) == []
    assert region_size_problems(None, None) == []
    (msg,) = region_size_problems(50, 100)
    assert "не меньше 200" in msg and "--schools" in msg
    assert len(region_size_problems(0, -1)) == 2
    # without --municipalities the oblast's 18 need 72 schools
    assert region_size_problems(None, 50) and not region_size_problems(None, 72)


def test_any_size_region_is_consistent_and_deterministic(tmp_path):
    a = generate_demo(tmp_path / "a", seed=5, n_schools=100, n_municipalities=22)
    b = generate_demo(tmp_path / "b", seed=5, n_schools=100, n_municipalities=22)
    for name in ("results.csv", "programme.csv", "territories.csv", "dataset.yaml"):
        assert filecmp.cmp(a.data_dir / name, b.data_dir / name, shallow=False), name
    ds = load_dataset(a.data_dir)
    assert not ds.report.errors
    assert ds.is_synthetic
    assert len(ds.schools) == 100
    assert len(ds.municipalities) == 22
    assert (ds.schools.groupby("municipality").size() >= 4).all()
    known = set(ds.schools["school_id"])
    for table in ("results", "context", "staff", "resources", "outcomes", "programme"):
        assert set(ds.tables[table]["school_id"]) <= known, table
    terr = set(ds.tables["territories"]["municipality"]) - {"__region__"}
    assert terr == set(ds.municipalities)
    assert "--municipalities 22 --schools 100" in (a.data_dir / "dataset.yaml").read_text(encoding="utf-8")


def test_cli_makes_a_region_that_validates(tmp_path):
    out = tmp_path / "region"
    r = run_cli("demo-data", str(out), "--municipalities", "25", "--schools", "120", "--seed", "2")
    assert r.returncode == 0, r.stderr
    assert "120 школ" in r.stdout
    v = run_cli("validate", str(out))
    assert v.returncode == 0, v.stdout + v.stderr
    assert "Набор данных корректен" in v.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--municipalities", "50", "--schools", "40"), "нужно --schools не меньше 200"),
        (("--municipalities", "0"), "от 1 до"),
        (("--schools", "10", "--n-schools", "20"), "задаётся один раз"),
        (("--scale", "national", "--schools", "500"), "только для --scale region"),
    ],
)
def test_cli_refuses_bad_sizes(tmp_path, args, needle):
    r = run_cli("demo-data", str(tmp_path / "x"), *args)
    assert r.returncode == 2
    assert needle in r.stderr
    assert not (tmp_path / "x").exists()
