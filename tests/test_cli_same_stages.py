"""A command and the batch pair schools the same way for the same inputs and overrides."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from typer.testing import CliRunner

from shnro_lib.cli import app
from shnro_lib.pipeline import compute_region

OVERRIDE = "criteria:\n  criteria:\n    low_results: {threshold: 0.2}\n"


def test_partners_command_uses_the_criteria_override_like_the_batch(small_demo_dir, tmp_path):
    config = tmp_path / "my.yaml"
    config.write_text(OVERRIDE, encoding="utf-8")
    csv = tmp_path / "pairs.csv"
    r = CliRunner().invoke(
        app,
        [
            "partners",
            str(small_demo_dir),
            "--year",
            "2024",
            "--csv",
            str(csv),
            "--config",
            str(config),
            "--ids",
        ],
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


# ---------------------------------------------------------------- every command against the batch's tables

INDICES_OVERRIDE = {"criteria": {"criteria": {"low_results": {"threshold": 0.2}}}}


@pytest.fixture(scope="module")
def overridden(small_demo_dir, tmp_path_factory):
    """The batch's region tables and a ``--config`` file, both with the same criteria override."""
    config = tmp_path_factory.mktemp("cfg") / "my.yaml"
    config.write_text(OVERRIDE, encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        region = compute_region(small_demo_dir, 2024, overrides=INDICES_OVERRIDE)
    return region, config


def _invoke(args: list[str]) -> None:
    r = CliRunner().invoke(app, args)
    assert r.exit_code in (0, 4), r.output


def _by_school(df: pd.DataFrame, column: str) -> dict[str, str]:
    return dict(zip(df["school_id"].astype(str), df[column].astype(str), strict=True))


def test_identify_command_gives_the_batch_categories(small_demo_dir, overridden, tmp_path):
    region, config = overridden
    csv = tmp_path / "ident.csv"
    _invoke(
        [
            "identify",
            str(small_demo_dir),
            "--year",
            "2024",
            "--out",
            str(tmp_path / "i.xlsx"),
            "--csv",
            str(csv),
            "--config",
            str(config),
            "--ids",
            "--no-sensitivity",
        ]
    )
    command = pd.read_csv(csv, dtype=str, encoding="utf-8-sig")
    batch = region.table("identify")
    assert _by_school(command, "category") == _by_school(batch, "category")
    # plain frames: the identification table's attrs hold frames, which merge cannot compare
    plain = pd.DataFrame(
        {
            "school_id": batch["school_id"].astype(str).to_numpy(),
            "result_index": batch["result_index"].to_numpy(),
        }
    )
    merged = command.merge(plain, on="school_id", suffixes=("_cmd", "_batch"))
    assert len(merged) == len(batch) == len(command)
    diff = (merged["result_index_cmd"].astype(float) - merged["result_index_batch"].astype(float)).abs()
    assert diff.max() < 1e-9


def test_context_command_gives_the_batch_context(small_demo_dir, overridden, tmp_path):
    region, _ = overridden
    csv = tmp_path / "ctx.csv"
    _invoke(["context", str(small_demo_dir), "--year", "2024", "--csv", str(csv), "--ids"])
    command = pd.read_csv(csv, dtype={"school_id": str}, encoding="utf-8-sig")
    batch = region.table("context")
    merged = command.merge(batch.astype({"school_id": str}), on="school_id", suffixes=("_cmd", "_batch"))
    assert len(merged) == len(batch) == len(command)
    assert merged["cluster_cmd"].astype("Int64").equals(merged["cluster_batch"].astype("Int64"))
    assert (merged["residual_cmd"] - merged["residual_batch"]).abs().max() < 1e-4


def test_costs_command_gives_the_batch_costs(small_demo_dir, overridden, tmp_path):
    region, _ = overridden
    csv = tmp_path / "costs.csv"
    _invoke(["costs", str(small_demo_dir), "--year", "2024", "--csv", str(csv), "--ids"])
    command = pd.read_csv(csv, dtype={"school_id": str}, encoding="utf-8-sig")
    batch = region.table("costs")
    merged = command.merge(batch.astype({"school_id": str}), on="school_id", suffixes=("_cmd", "_batch"))
    assert len(merged) == len(batch) == len(command) > 0
    for column in ("residual", "efficiency"):
        diff = (merged[f"{column}_cmd"] - merged[f"{column}_batch"].astype(float)).abs()
        assert diff.max() < 1e-4, column
    assert _by_school(command, "quadrant") == _by_school(batch, "quadrant")


def test_monitoring_command_follows_the_criteria_override_like_the_batch(
    small_demo_dir, overridden, tmp_path
):
    region, config = overridden
    xlsx = tmp_path / "mon.xlsx"
    _invoke(
        ["monitoring", str(small_demo_dir), "--year", "2024", "--xlsx", str(xlsx), "--config", str(config)]
    )
    sheet = pd.read_excel(xlsx, sheet_name="Траектории школ", header=None, dtype=str)
    top = sheet.index[sheet[0] == "Код ОО"][0]  # the sheet's note rows come before its header
    command = sheet.iloc[top + 1 :].reset_index(drop=True)
    batch = region.table("trajectories")
    default = compute_region(small_demo_dir, 2024).table("trajectories")
    # the override changes the paths (so the comparison can fail), and the command follows it
    assert not batch.reset_index(drop=True).equals(default.reset_index(drop=True))
    school = command.columns[0]
    assert set(command[school].astype(str)) == set(batch["school_id"].astype(str))
    assert len(command) == len(batch)


def test_effects_command_gives_the_batch_estimates(small_demo_dir, overridden, tmp_path):
    region, _ = overridden
    csv = tmp_path / "effects.csv"
    _invoke(["effects", str(small_demo_dir), "--csv", str(csv), "--ids"])
    command = pd.read_csv(csv, encoding="utf-8-sig").set_index("estimator")
    batch = region.table("effects").set_index("estimator")
    assert list(command.index) == list(batch.index)
    diff = (command["estimate_pp"] - batch["estimate_pp"].astype(float)).abs().dropna()
    assert len(diff) and diff.max() < 1e-4
