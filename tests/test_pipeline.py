"""The stage graph: each result computed once, rules and overrides reach the stages, failures named."""

from __future__ import annotations

import pandas as pd
import pytest

import shnro_lib.identify as identify_mod
import shnro_lib.identify.classify as classify_mod
import shnro_lib.identify.sensitivity as sensitivity_mod
from shnro_lib.pipeline import compute_from_dataset, compute_region, load_region, report_settings
from shnro_lib.pipeline import stages as S
from shnro_lib.pipeline.log import GENERIC_REASON_RU
from shnro_lib.settings import SettingsError

# the heavy resampling is cut down through the same override path as `--config`
FAST = {
    "costs": {"dea": {"bootstrap_reps": 0}},
    "effects": {"rtm": {"bootstrap_reps": 20}, "did": {"callaway_santanna": False}},
}


@pytest.fixture(scope="module")
def counted(small_demo):
    """The region of the small demo, with every identify_schools call counted by year (those of
    the sensitivity stage apart)."""
    calls: list[int] = []
    sens_calls: list[int] = []
    real = identify_mod.identify_schools

    def counter(into: list[int]):
        def counting(ds, year, *args, **kwargs):
            into.append(int(year))
            return real(ds, year, *args, **kwargs)

        return counting

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(classify_mod, "identify_schools", counter(calls))
        mp.setattr(identify_mod, "identify_schools", counter(calls))
        mp.setattr(sensitivity_mod, "identify_schools", counter(sens_calls))
        region = compute_from_dataset(small_demo, 2024, "lo_2018", overrides=FAST)
    return region, calls, sens_calls


def test_every_stage_runs_and_identification_is_computed_once_per_year(counted, small_demo) -> None:
    region, calls, sens_calls = counted
    assert region.failures == {}
    for stage in (
        "identify",
        "identification_changes",
        "context",
        "similar",
        "effects",
        "costs",
        "partners",
        "ident_panel",
        "monitoring",
        "trajectories",
        "sensitivity",
        "problem_zones",
    ):
        assert stage in region.tables, stage
    years = [y for y in small_demo.years if y <= 2024]
    assert sorted(calls) == sorted(years), "each year identified exactly once"
    # the sensitivity stage identifies every other choice, not the main one the identify stage made
    variants = region.table("sensitivity")["Вариант"].tolist()
    assert variants[0].startswith("основной")
    assert sens_calls == [2024] * (len(variants) - 1)


def test_overrides_reach_the_stages(counted) -> None:
    region, *_ = counted
    costs = region.table("costs")
    assert (
        "efficiency" in costs.columns and "efficiency_ci_low" not in costs.columns
    )  # bootstrap switched off
    assert region.meta["overrides"]["costs"] == {"dea": {"bootstrap_reps": 0}}


def test_similar_schools_use_the_context_key(counted) -> None:
    from shnro_lib.config import load_yaml, parameters_dir

    region, *_ = counted
    k = int(load_yaml(parameters_dir() / "context.yaml")["similar"]["k"])
    sim = region.table("similar")
    assert sim.groupby("school_id").size().max() == k
    assert "similar_schools_k" not in report_settings().model_dump()


def test_problem_zones_are_a_stage_against_the_similar_stage(counted, small_demo) -> None:
    from shnro_lib.pipeline.graph import run_graph
    from shnro_lib.profiles import problem_zones

    region, *_ = counted
    zones = region.table("problem_zones")
    min_n = report_settings().min_group_size
    # the similar stage's neighbours, not a second similar-schools computation
    direct = problem_zones(small_demo.results, region.table("similar"), 2024, min_n)
    pd.testing.assert_frame_equal(zones, direct)
    assert zones["similar_pct"].notna().any() and zones["weak"].any()
    # asked alone, the stage runs with the stages it uses and nothing else
    run = run_graph(small_demo, 2024, targets=["problem_zones"])
    assert set(run.values) == {"context", "similar", "problem_zones"}


def test_partners_follow_the_rules(small_demo) -> None:
    """The partners stage pairs the schools that the chosen rules identify (it once ignored ``rules``)."""
    reports = S.context_years(small_demo, [2023, 2024], None)
    needing = {}
    for rules in ("lo_2018", "hse_disadvantaged"):
        ident = S.identify_years(small_demo, [2024], rules, {})[2024]
        pairs = S.partners(small_demo, 2024, rules, {}, ident, reports, None, None).pairs
        cats = ident.set_index("school_id")["category"]
        needing[rules] = set(pairs["school_id"].astype(str))
        # every school in the list carries the category these rules gave it
        assert (
            pairs["category"].astype(str).to_numpy()
            == cats.reindex(pairs["school_id"]).astype(str).to_numpy()
        ).all()
    assert needing["lo_2018"] != needing["hse_disadvantaged"]


def _tiny():
    from shnro_lib.io import Dataset

    schools = pd.DataFrame(
        {"school_id": ["1", "2", "3"], "name": ["Ш1", "Ш2", "Ш3"], "municipality": ["М"] * 3}
    )
    rows = [
        {
            "school_id": sid,
            "year": y,
            "procedure": "ОГЭ",
            "subject": "Математика",
            "grade": 9,
            "participants": 20 + int(sid),
            "mean_score": 14.0 + int(sid),
            "max_score": 31.0,
        }
        for sid in ("1", "2", "3")
        for y in (2023, 2024)
    ]
    return Dataset.from_frames({"schools": schools, "results": pd.DataFrame(rows)})


def test_failure_is_russian_and_dependents_are_skipped(monkeypatch, tmp_path) -> None:
    def boom(*args, **kwargs):
        return 1 / 0

    monkeypatch.setattr(S, "identify_years", boom)
    region = compute_from_dataset(_tiny(), 2024)
    f = region.failures
    assert f["identify"] == GENERIC_REASON_RU
    for dep in ("identification_changes", "ident_panel", "monitoring", "trajectories", "partners"):
        assert "не выполнен этап «выявление школ»" in f[dep], (dep, f[dep])
    assert "нет таблицы «Социальный контекст»" in f["context"]
    assert "«социальный контекст»" in f["similar"]
    assert "costs" in f  # no resources table: the costs module says so itself (it runs without context)
    assert "нет таблицы «Участие в программе»" in f["effects"]
    for reason in f.values():  # no raw Python message
        assert "Error" not in reason and "division" not in reason
    assert "participation" in region.tables
    # no similar schools: the problem zones are still computed, against the region only
    assert "problem_zones" not in f
    zones = region.table("problem_zones")
    assert len(zones) == 3 and zones["similar_pct"].isna().all() and not zones["weak_similar"].any()


def test_failure_detail_goes_to_the_log(monkeypatch, tmp_path) -> None:
    from shnro_lib.demo import generate_demo

    data = generate_demo(tmp_path / "d", seed=3, n_schools=30).data_dir

    def boom(*args, **kwargs):
        raise KeyError("технически")

    monkeypatch.setattr(S, "identify_years", boom)
    monkeypatch.setattr(S, "effects", lambda *a: (_ for _ in ()).throw(ZeroDivisionError("division by zero")))
    region = compute_region(data, 2024, cache_dir=tmp_path / "cache", overrides=FAST)
    assert region.failures["effects"] == GENERIC_REASON_RU
    log = (region.path / "stages.log").read_text(encoding="utf-8")
    assert "ZeroDivisionError" in log and "[effects]" in log
    assert (region.path / "meta.json").stat().st_mode & 0o777 == 0o644
    again = load_region(region.path)
    assert again.failures == region.failures


def test_report_settings_reject_unknown_keys() -> None:
    assert report_settings().min_group_size >= 1
    with pytest.raises(SettingsError, match="report.yaml.*min_grup_size"):
        report_settings({"report": {"min_grup_size": 3}})
    assert report_settings({"report": {"min_group_size": 9}}).min_group_size == 9


def test_reports_command_takes_config(tiny_dataset_dir, tmp_path) -> None:
    from typer.testing import CliRunner

    from shnro_lib.cli import app

    bad_section = tmp_path / "a.yaml"
    bad_section.write_text("reprot: {min_group_size: 3}\n", encoding="utf-8")
    bad_key = tmp_path / "b.yaml"
    bad_key.write_text("report: {min_grup_size: 3}\n", encoding="utf-8")
    base = ["reports", str(tiny_dataset_dir), "--year", "2024", "--out", str(tmp_path / "out"), "--no-pdf"]
    r1 = CliRunner().invoke(app, [*base, "--config", str(bad_section)])
    assert r1.exit_code == 2 and "неизвестные разделы reprot" in r1.output
    r2 = CliRunner().invoke(app, [*base, "--config", str(bad_key)])
    assert r2.exit_code == 2 and "report.yaml" in r2.output and "min_grup_size" in r2.output
