"""The region cache follows the library's code, and ``--force`` recomputes the region."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import shnro_lib
from shnro_lib.pipeline import cache as cache_mod
from shnro_lib.pipeline import compute_region


@pytest.fixture
def library_copy(tmp_path, monkeypatch):
    """A copy of the library's files that the cache hashes instead of the real ones."""
    copy = tmp_path / "lib"
    shutil.copytree(cache_mod.LIBRARY_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache_mod, "LIBRARY_DIR", copy)
    return copy


def test_library_hash_covers_the_installed_package():
    assert cache_mod.LIBRARY_DIR == Path(shnro_lib.__file__).resolve().parent


def test_an_edited_source_file_gives_a_new_entry_and_a_recomputed_region(
    tiny_dataset_dir, tmp_path, library_copy
):
    cache = tmp_path / "cache"
    first = compute_region(tiny_dataset_dir, 2024, cache_dir=cache)
    assert (
        compute_region(tiny_dataset_dir, 2024, cache_dir=cache).path == first.path
    )  # unchanged code: reused
    source = library_copy / "identify" / "classify.py"
    source.write_text(source.read_text(encoding="utf-8") + "\n# a fix\n", encoding="utf-8")
    second = compute_region(tiny_dataset_dir, 2024, cache_dir=cache)
    assert second.path != first.path
    assert sorted(p.name for p in cache.iterdir()) == sorted([first.path.name, second.path.name])


def test_force_recomputes_the_stored_entry(tiny_dataset_dir, tmp_path):
    cache = tmp_path / "cache"
    entry = compute_region(tiny_dataset_dir, 2024, cache_dir=cache).path
    marker = entry / "marker"
    marker.write_text("из прошлого расчёта", encoding="utf-8")
    assert compute_region(tiny_dataset_dir, 2024, cache_dir=cache).path == entry and marker.exists()
    compute_region(tiny_dataset_dir, 2024, cache_dir=cache, force=True)
    assert not marker.exists()  # the entry was written again


def test_the_batch_passes_force_to_the_region(tiny_dataset_dir, tmp_path, monkeypatch):
    import shnro_lib.pipeline as pipeline_pkg
    from shnro_lib.batch import run_batch

    seen = {}

    class Stop(Exception):
        pass

    def recording(*args, **kwargs):
        seen.update(kwargs)
        raise Stop

    monkeypatch.setattr(pipeline_pkg, "compute_region", recording)
    with pytest.raises(Stop):
        run_batch(tiny_dataset_dir, 2024, tmp_path / "out", force=True, progress=False)
    assert seen["force"] is True
