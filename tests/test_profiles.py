"""School profile pages and the «школы, чьи практики стоит изучить» list (shnro_lib.profiles)."""

from __future__ import annotations

import base64
import re
import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shnro_lib.pipeline import RegionResults
from shnro_lib.pipeline.stages import problem_zones as problem_zones_stage
from shnro_lib.profiles import (
    precision_recall,
    profile_inputs,
    render_school_page,
    render_school_pages,
    rtm_gains,
    school_page_paths,
    school_profile,
    worth_learning,
    worth_learning_sentences,
    write_worth_learning_sheet,
)


@pytest.fixture(scope="module")
def region(small_demo):
    """Region results with only the stages the pages read (the full computation runs DEA bootstraps)."""
    from shnro_lib.context import context_table, similar_schools
    from shnro_lib.identify import identify_schools
    from shnro_lib.monitoring import identification_panel, school_trajectories
    from shnro_lib.partners import partner_pairs
    from shnro_lib.pipeline import RegionResults, overview_tables, report_settings

    params = report_settings().model_dump(mode="json")
    tables = overview_tables(small_demo, 2024)
    tables["identify"] = identify_schools(small_demo, 2024)
    tables["context"] = context_table(small_demo, 2024)
    tables["similar"] = similar_schools(small_demo, 2024)  # k: context.yaml similar.k
    tables["problem_zones"] = problem_zones_stage(small_demo, 2024, tables["similar"], None, None)
    tables["partners"] = partner_pairs(small_demo, 2024)
    panel = identification_panel(small_demo, small_demo.years, "lo_2018")
    tables["trajectories"] = school_trajectories(panel, 2024)
    meta = {
        "year": 2024,
        "rules": "lo_2018",
        "fingerprint": small_demo.fingerprint,
        "synthetic": True,
        "synthetic_note": "СИНТЕТИЧЕСКИЕ ДАННЫЕ",
        "municipalities": list(small_demo.municipalities),
        "parameters_hash": "test",
        "report_parameters": params,
    }
    return RegionResults(meta=meta, tables=tables)


@pytest.fixture(scope="module")
def inputs(region, small_demo):
    return profile_inputs(region, small_demo)


@pytest.fixture(scope="module")
def pages(region, small_demo, tmp_path_factory) -> tuple[Path, list[Path]]:
    out = tmp_path_factory.mktemp("pages")
    return out, render_school_pages(region, small_demo, out, progress=False)


# --------------------------------------------------------------------------- content


def test_problem_zones_mark_only_significant_gaps(inputs) -> None:
    z = inputs.zones
    assert len(z) and set(z["school_id"]) <= set(inputs.tables["schools"]["school_id"].astype(str))
    weak = z[z["weak"]]
    assert len(weak), "a demo region has some significantly weak areas"
    # weak means the interval of a gap lies wholly below zero; small groups are never marked
    assert ((weak["gap_region_high"] < 0) | (weak["gap_similar_high"] < 0)).all()
    assert not z.loc[z["small"], ["weak", "low_stands_out"]].to_numpy().any()
    ok = z[~z["small"] & z["gap_region_high"].notna()]
    assert ((ok["gap_region_low"] <= ok["gap_region"]) & (ok["gap_region"] <= ok["gap_region_high"])).all()
    notweak = z[~z["weak"] & ~z["small"]]
    assert not ((notweak["gap_region_high"] < 0) | (notweak["gap_similar_high"] < 0)).any()
    # region mean is the participant-weighted mean of the cell
    cell = z[
        (z["procedure"] == z["procedure"].iloc[0])
        & (z["subject"] == z["subject"].iloc[0])
        & (z["grade"] == z["grade"].iloc[0])
    ]
    w = cell["participants"].astype(float)
    assert np.isclose((cell["pct"] * w).sum() / w.sum(), cell["region_pct"].iloc[0])


def test_school_profile_content(inputs, region) -> None:
    ident = region.table("identify")
    flagged = ident.loc[ident["category"].isin(["ШНРО", "ШНРО и ШНСУ"]), "school_id"].astype(str)
    sid = sorted(flagged)[0]
    prof = school_profile(inputs, sid)
    assert prof["category"] in ("ШНРО", "ШНРО и ШНСУ")
    assert prof["category_reason"].endswith(".") and "выполнены критерии «" in prof["category_reason"]
    assert prof["trend"] is not None and prof["trend"]["year"].is_monotonic_increasing
    assert set(prof["indices"]) == {"staff_index", "resources_index"}
    assert len(prof["indices"]["staff_index"]["components"]) >= 1
    led = region.table("partners")
    if sid in set(led["school_id"].astype(str)):
        assert prof["leader"] is not None and prof["leader"]["leader_name"]
    with pytest.raises(KeyError):
        school_profile(inputs, "нет-такой-школы")


def test_partnership_on_the_page_names_schools_and_says_why(inputs, region, small_demo) -> None:
    from markupsafe import escape

    from shnro_lib.profiles.partnership import school_names

    ident = region.table("identify")
    pairs = region.table("partners").set_index(region.table("partners")["school_id"].astype(str))
    names = school_names(region.table("schools"))
    shnsu = sorted(ident.loc[ident["category"] == "ШНСУ", "school_id"].astype(str))
    assert shnsu
    for sid in shnsu[:3]:
        html = render_school_page(inputs, sid)
        assert "только выявленным школам" not in html
        if bool(pairs.at[sid, "paired"]):
            lid = pairs.at[sid, "leader_id"]
            assert f"(код ОО {lid}; " in html and "«ШНСУ» (низкие результаты не выявлены)" in html
        else:
            assert "Школа-лидер не предложена: " in html
    # the programme's current partner by name and «Код ОО», never a bare code
    prog = small_demo.get("programme").dropna(subset=["partner_school_id"])
    sid, partner = str(prog["school_id"].iloc[0]), str(prog["partner_school_id"].iloc[0])
    html = render_school_page(inputs, sid)
    assert "код школы-партнёра" not in html
    label = f"школа-партнёр: {names[partner]} (код ОО {partner})"
    assert str(escape(label)) in html  # names escaped as the page escapes them


def test_sections_without_tables_say_why(region, small_demo) -> None:
    from shnro_lib.io import Dataset

    tables = {k: v for k, v in small_demo.tables.items() if k not in ("risk_profile", "diagnostics", "staff")}
    ds = Dataset.from_frames(tables)
    inp = profile_inputs(region, ds)
    html = render_school_page(inp, str(region.table("schools")["school_id"].iloc[0]))
    assert "В наборе данных нет таблицы «Рисковый профиль»" in html
    assert "нет таблицы «Диагностики вход/выход»" in html
    assert "нет таблицы «Кадровый потенциал»" in html


def test_pages_take_the_zones_from_the_stage(region, small_demo) -> None:
    """The pages show the problem_zones stage's rows as they are (not recomputed from the data)."""
    zones = region.table("problem_zones")
    sid = str(zones.loc[~zones["small"], "school_id"].iloc[0])
    mine = zones[zones["school_id"] == sid].copy()
    # a marker value no computation gives: the page must show it
    mine["pct"] = 12.3456
    mine["small"] = False
    mine["weak"] = mine["weak_region"] = mine["weak_similar"] = False
    other = RegionResults(meta=region.meta, tables={**region.tables, "problem_zones": mine})
    inp = profile_inputs(other, small_demo)
    pd.testing.assert_frame_equal(inp.zones, mine)
    prof = school_profile(inp, sid)
    assert len(prof["zones"]) == len(mine) and prof["weak_areas"] == []
    assert "12,3" in render_school_page(inp, sid)
    # a region whose stage failed: the page says the stage's reason
    failed = RegionResults(
        meta=region.meta,
        tables={k: v for k, v in region.tables.items() if k != "problem_zones"},
        failures={"problem_zones": "нет результатов оценочных процедур отчётного года"},
    )
    html = render_school_page(profile_inputs(failed, small_demo), sid)
    assert "Раздел недоступен: нет результатов оценочных процедур отчётного года" in html


# --------------------------------------------------------------------------- pages


def test_every_school_gets_a_page(pages, region) -> None:
    out, written = pages
    ids = region.table("schools")["school_id"].astype(str)
    assert len(written) == len(ids) == len(set(written))
    assert set(school_page_paths(region, out)) == set(ids)
    fp = region.fingerprint
    index = (out / "index.html").read_text(encoding="utf-8")
    for p in written:
        text = p.read_text(encoding="utf-8")
        assert text.startswith("<!DOCTYPE html>") and 'lang="ru"' in text
        assert fp in text and "СИНТЕТИЧЕСКИЕ ДАННЫЕ" in text  # footer fingerprint and banner
        assert "Проблемные зоны" in text and "Рисковый профиль" in text
        assert "http://" not in text and "https://" not in text and "<script" not in text  # self-contained
        assert f'href="{p.parent.name}/{p.name}"' in index
        assert (p.parent / "index.html").exists()


def test_small_groups_are_suppressed(inputs, region) -> None:
    z = inputs.zones
    sid = z.loc[z["small"], "school_id"].value_counts().index[0]
    html = render_school_page(inputs, sid)
    own = z[z["school_id"] == sid]
    table = re.search(r'<table class="tbl zones">.*?</table>', html, re.S).group(0)
    assert table.count("<tr") - 1 == int((~own["small"]).sum())  # only groups large enough have rows
    assert "Не показаны (скрыто*)" in html and "меньше 5 участников" in html
    for r in own[own["small"]].itertuples():
        assert f"<td>{r.procedure}, {r.subject}, {int(r.grade)} кл.</td>" not in table


def test_hostile_school_name_is_escaped(region, small_demo) -> None:
    sch = region.table("schools").copy()
    sch.loc[0, "name"] = '<script>alert("x")</script> & «Ко»'
    hostile = replace(region, tables={**region.tables, "schools": sch})
    html = render_school_page(profile_inputs(hostile, small_demo), str(sch.loc[0, "school_id"]))
    assert "<script>" not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; «Ко»" in html


def test_trend_image_is_embedded_svg(pages) -> None:
    _, written = pages
    text = written[0].read_text(encoding="utf-8")
    srcs = re.findall(r'<img[^>]*\ssrc="([^"]*)"', text)
    assert len(srcs) == 1 and srcs[0].startswith("data:image/svg+xml;base64,")
    svg = base64.b64decode(srcs[0].split(",", 1)[1]).decode("utf-8")
    assert "<svg" in svg and "индекс, SD" in svg


def test_pages_are_deterministic(region, small_demo, tmp_path) -> None:
    ids = list(region.table("schools")["school_id"].astype(str)[:3])
    a = render_school_pages(region, small_demo, tmp_path / "a", school_ids=ids, progress=False)
    b = render_school_pages(region, small_demo, tmp_path / "b", school_ids=ids, progress=False)
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]


# --------------------------------------------------------------------------- worth learning from


def _synthetic_panel(seed: int = 0, n: int = 300) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    theta = rng.normal(0, 0.5, n)
    rows = []
    for i in range(n):
        for y in range(2020, 2025):
            rise = 2.0 if (i == 0 and y >= 2023) else 0.0
            se = 0.6 if i == 1 else 0.1
            rows.append(
                {
                    "school_id": f"{i:04d}",
                    "year": y,
                    "result_index": theta[i] + rise + rng.normal(0, 0.3) + rng.normal(0, se),
                    "result_index_se": se,
                    "participants": 50,
                }
            )
    return pd.DataFrame(rows), pd.Series(0.0, index=[f"{i:04d}" for i in range(n)])


def test_rtm_gains_find_a_true_rise_and_shrink_noisy_schools() -> None:
    ib, exp = _synthetic_panel()
    g = rtm_gains(ib, exp, 2024).set_index("school_id")
    assert g.attrs["pre_years"] == [2020, 2021] and g.attrs["post_years"] == [2023, 2024]
    assert bool(g.loc["0000", "rose_beyond_rtm"])
    # false discoveries stay rare without true rises (BH at q = 0.10)
    assert g["rose_beyond_rtm"].sum() <= 4
    # a noisier school's pre-period is less reliable, so its expected «после» is shrunk harder
    assert g.loc["0001", "reliability"] < g["reliability"].median()
    np.testing.assert_allclose(g["gain"], g["post_residual"] - g["reliability"] * g["pre_residual"])


def test_rtm_gains_exclude_small_schools_and_short_series() -> None:
    ib, exp = _synthetic_panel()
    ib.loc[ib["school_id"] == "0000", "participants"] = 5
    g = rtm_gains(ib, exp, 2024)
    assert "0000" not in set(g["school_id"])
    short = rtm_gains(ib[ib["year"] >= 2023], exp, 2024)
    assert short.empty and "лет" in short.attrs["reason_ru"]


def rtm_gains_of(region) -> dict[str, float]:
    from shnro_lib.profiles.rtm import rtm_gains

    ctx = region.table("context")
    g = rtm_gains(
        region.table("index_by_year"),
        ctx.set_index(ctx["school_id"].astype("string"))["expected_result"],
        int(region.year),
    )
    return dict(zip(g["school_id"].astype(str), g["gain"].astype(float), strict=True))


def test_worth_learning_table_sentences_and_excel(region, small_demo, tmp_path) -> None:
    import openpyxl

    w = worth_learning(region, small_demo)
    traj = region.table("trajectories")
    eff = set(traj.loc[traj["status"] == "effective", "school_id"].astype(str))
    gains = rtm_gains_of(region)
    fell = {s for s in eff if gains.get(s, np.nan) < 0}
    assert set(w.loc[w["left_and_stayed_out"], "school_id"]) == eff - fell
    assert not fell or any("не включены" in r for r in w.attrs["reasons_ru"])
    # no entry whose stated reason its own figures contradict
    exits = w[w["left_and_stayed_out"] & ~w["rose_beyond_rtm"]]
    assert not (exits["gain"] < 0).any()
    assert "не подтверждён" in " ".join(exits["route"]) or exits["gain"].isna().all() or exits.empty
    assert (w.loc[w["rose_beyond_rtm"], "gain"] > 0).all()
    # a listed or at-risk school is never «перешла в эффективный режим» the same year
    ident = region.table("identify")
    listed = set(ident.loc[ident["category"].astype(str) != "нет", "school_id"].astype(str))
    assert not eff & listed
    assert (w["rose_beyond_rtm"] | w["left_and_stayed_out"]).all()
    assert list(w["school_id"]) == list(
        pd.concat([w[w["rose_beyond_rtm"]], w[~w["rose_beyond_rtm"]]])["school_id"]
    )
    prog_ids = set(small_demo.get("programme").query("in_programme")["school_id"].astype(str))
    listed_prog = w[w["school_id"].isin(prog_ids)]
    assert listed_prog["in_programme_years"].notna().all()
    text = " ".join(worth_learning_sentences(w))
    assert "не причинный" in text and "регрессии к среднему" in text
    path = write_worth_learning_sheet(w, tmp_path / "p.xlsx")
    ws = openpyxl.load_workbook(path).active
    values = [c.value for row in ws.iter_rows(max_row=3) for c in row]
    assert "Почему в списке" in values and "Рост сверх регрессии к среднему, SD" in values


def test_precision_recall() -> None:
    pr = precision_recall(["a", "b", "c", "d"], ["b", "d", "e"])
    assert pr["n_hit"] == 2 and pr["precision"] == 0.5 and pr["recall"] == pytest.approx(2 / 3)
    assert np.isnan(precision_recall([], ["a"])["precision"]) and precision_recall([], ["a"])["recall"] == 0


def test_demo_plants_improvers_outside_the_programme(small_demo_dir) -> None:
    truth = pd.read_csv(small_demo_dir.parent / "demo_truth" / "truth_schools.csv", dtype={"school_id": str})
    years = pd.read_csv(
        small_demo_dir.parent / "demo_truth" / "truth_school_years.csv", dtype={"school_id": str}
    )
    imp = truth[truth["planted_improver"]]
    assert len(imp) >= 3 and imp["cohort"].isna().all()
    rise = years[years["school_id"].isin(imp["school_id"])].pivot(
        index="school_id", columns="year", values="true_improvement_sd"
    )
    assert (rise[2024] > rise[2022]).all() and (rise[2020] == 0).all()
    assert (years.loc[~years["school_id"].isin(imp["school_id"]), "true_improvement_sd"] == 0).all()


# --------------------------------------------------------------------------- browser

from test_browser import PROBE  # noqa: E402 - the one page probe of the browser tests


@pytest.mark.slow
def test_pages_in_browser(pages, tmp_path) -> None:
    from shnro_lib.batch import chromium_args, find_chromium

    if find_chromium() is None:
        pytest.skip("Chromium не установлен")
    _, written = pages

    def chromium(*args: str) -> subprocess.CompletedProcess:
        cmd = [
            find_chromium(),
            *chromium_args(str(tmp_path / "profile")),
            "--enable-logging=stderr",
            "--v=0",
            *args,
        ]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120)

    for page in (written[0], written[len(written) // 2], written[-1]):
        text = page.read_text(encoding="utf-8")
        probe = tmp_path / f"probe-{page.name}"
        probe.write_text(text.replace("</body>", PROBE), encoding="utf-8")
        dom = chromium("--virtual-time-budget=5000", "--dump-dom", probe.as_uri())
        assert dom.returncode == 0, dom.stderr[-2000:]
        m = re.search(r'data-imgs="(\d+):(\d+)"', dom.stdout)
        assert m and int(m.group(1)) == len(re.findall(r"<img", text)) and int(m.group(2)) == 0
        assert int(re.search(r'data-tables="(\d+)"', dom.stdout).group(1)) >= 2
        run = chromium("--window-size=1000,1600", f"--screenshot={tmp_path / 'shot.png'}", page.as_uri())
        assert run.returncode == 0
        console = [ln for ln in run.stderr.splitlines() if "CONSOLE" in ln or "Uncaught" in ln]
        assert not console, console


def test_practices_section_and_batch_outputs(region, small_demo, small_demo_dir, tmp_path) -> None:
    from shnro_lib.profiles import regional_practices_section, write_school_outputs

    html = regional_practices_section(region, small_demo).to_html()
    assert "не причинный" in html and "Почему в списке" in html
    links = write_school_outputs(
        region, small_demo_dir, tmp_path / "schools", municipalities=region.municipalities[:1], progress=False
    )
    assert [Path(p).name for _, p, _ in links] == ["index.html", "practices.xlsx"]
    n = len(region.school_ids(region.municipalities[0]))
    assert (
        len(list((tmp_path / "schools").glob("*/*.html"))) == n + 1
    )  # the pages and the municipality's list


def test_school_links_section(region, pages) -> None:
    from shnro_lib.report import school_links_section

    out, _ = pages
    m = region.municipalities[0]
    html = school_links_section(region, m, pages_href="../schools").to_html()
    hrefs = re.findall(r'href="\.\./schools/([^"]+)"', html)
    assert len(hrefs) == len(region.school_ids(m))
    assert all((out / h).exists() for h in hrefs)
