"""A command and the batch pair schools the same way for the same inputs and overrides."""

from __future__ import annotations

import warnings

import pandas as pd
from typer.testing import CliRunner

from shnro_lib.cli import app
from shnro_lib.pipeline import compute_region

OVERRIDE = "criteria:\n  criteria:\n    low_results: {threshold: 0.2}\n"


def test_partners_command_uses_the_criteria_override_like_the_batch(small_demo_dir, tmp_path):
    config = tmp_path / "my.yaml"
    config.write_text(OVERRIDE, encoding="utf-8")
    csv = tmp_path / "pairs.csv"
    r = CliRunner().invoke(
        app, ["partners", str(small_demo_dir), "--year", "2024", "--csv", str(csv), "--config", str(config),
              "--ids"]
    )
    assert r.exit_code in (0, 4), r.output
    command = pd.read_csv(csv, dtype=str, encoding="utf-8-sig")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        region = compute_region(
            small_demo_dir, 2024, overrides={"criteria": {"criteria": {"low_results": {"threshold": 0.2}}}}
        )
    batch = region.table("partners").astype({"school_id": str, "leader_id": str})
    default = compute_region(small_demo_dir, 2024).table("partners")
    # the override changes the list (so the comparison can fail), and the command follows it
    assert len(batch) != len(default)
    pairs = dict(zip(command["school_id"], command["leader_id"], strict=True))
    assert pairs == dict(zip(batch["school_id"], batch["leader_id"], strict=True))
