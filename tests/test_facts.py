"""dataset.yaml: facts travel with the data and are validated key by key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from shnro_lib.io import DataError, load_dataset


def _with_yaml(tiny_dataset_dir: Path, text: str) -> Path:
    (tiny_dataset_dir / "dataset.yaml").write_text(text, encoding="utf-8")
    return tiny_dataset_dir


def test_demo_facts_carry_the_programme_design(demo_dataset) -> None:
    facts = demo_dataset.facts
    assert facts.synthetic is True
    assert facts.programme is not None
    assert facts.programme.cohorts[2022].selection_years == [2020, 2021]
    assert facts.programme.cohorts[2023].bottom_share == pytest.approx(0.25)
    assert "shnro_share" in facts.monitoring.targets


def test_no_yaml_means_no_facts(tiny_dataset_dir: Path) -> None:
    facts = load_dataset(tiny_dataset_dir).facts
    assert facts.programme is None and facts.name is None and not facts.synthetic


def test_unknown_key_is_an_error_naming_it(tiny_dataset_dir: Path) -> None:
    folder = _with_yaml(
        tiny_dataset_dir, "name: Регион\nprogramme:\n  cohorts:\n    2023:\n      selection_yers: [2022]\n"
    )
    with pytest.raises(DataError) as err:
        load_dataset(folder)
    text = str(err.value) + " ".join(p.message for p in err.value.problems)
    assert "selection_yers" in text and "неизвестный ключ" in text


def test_non_strict_load_keeps_going_with_a_warning(tiny_dataset_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "copy"
    shutil.copytree(tiny_dataset_dir, folder)
    _with_yaml(folder, "regoin: X\n")
    ds = load_dataset(folder, strict=False)
    assert ds.facts.name is None
    assert any("regoin" in p.message for p in ds.report.warnings)
