"""Every analysis notebook runs end to end under papermill on a small generated region."""

from __future__ import annotations

import json
from pathlib import Path

import papermill as pm
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
CASES = {
    "00_explore.ipynb": {"year": 2024},
    "01_identification.ipynb": {"year": 2024, "rules": "lo_2018"},
    "02_context.ipynb": {"year": 2024},
    "03_programme_effects.ipynb": {},
    "04_cost_quality.ipynb": {"year": 2024, "bootstrap_reps": 5},
    "05_monitoring.ipynb": {"year": 2024, "rules": "lo_2018"},
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_notebook_executes(name, small_demo_dir, tmp_path):
    params = {"data_dir": str(small_demo_dir), **CASES[name]}
    out = tmp_path / name
    pm.execute_notebook(str(NOTEBOOKS / name), str(out), parameters=params, cwd=str(NOTEBOOKS),
                        kernel_name="python3", progress_bar=False, log_output=False)
    nb = json.loads(out.read_text(encoding="utf-8"))
    errors = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    text = out.read_text(encoding="utf-8")
    # synthetic data are labelled as such wherever they are shown
    assert "СИНТЕТИЧЕСКИЕ ДАННЫЕ" in text


def test_notebooks_are_committed_without_outputs():
    for nb_path in NOTEBOOKS.glob("*.ipynb"):
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert not cell.get("outputs"), f"{nb_path.name} has outputs"
        tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
        assert len(tagged) == 1, f"{nb_path.name}: exactly one cell tagged 'parameters'"
        assert nb_path.with_suffix(".py").exists(), f"{nb_path.name} has no jupytext pair"
