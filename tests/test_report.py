"""Report content: formatting, escaping, suppression, sections as content, annex, page shell, Excel."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from shnro_lib import report as R
from shnro_lib.pipeline import RegionResults, cache_key, compute_from_dataset, compute_region, load_region
from shnro_lib.profiles import regional_practices_section
from shnro_lib.report.content import Figure, Section, Table, table

FAST = {
    "costs": {"dea": {"bootstrap_reps": 0}},
    "effects": {"rtm": {"bootstrap_reps": 20}, "did": {"callaway_santanna": False}},
}


@pytest.fixture(scope="module")
def small_region(tmp_path_factory) -> tuple[RegionResults, Path]:
    from shnro_lib.demo import generate_demo

    root = tmp_path_factory.mktemp("rep")
    out = generate_demo(root / "demo", seed=1, n_schools=80)
    region = compute_region(out.data_dir, 2024, cache_dir=root / "cache", overrides=FAST)
    return region, root


def test_russian_number_format() -> None:
    assert R.fmt_num(12345.678, 1) == "12\u202f345,7"
    assert R.fmt_num(-0.5, 2) == "\u22120,50"
    assert R.fmt_num(0.25, 2, signed=True) == "+0,25"
    assert R.fmt_num(-0.0001, 2) == "0,00"
    assert R.fmt_int(1500) == "1\u202f500"
    assert R.fmt_pct(0.123) == "12,3\u202f%"
    assert R.fmt_num(None) == "—" and R.fmt_pct(float("nan")) == "—" and R.fmt_num(pd.NA) == "—"


def test_table_escapes_everything() -> None:
    df = pd.DataFrame({"name": ["<script>alert(1)</script>", "A & «B»"], "share_low": [0.1, None]})
    t = table(df, caption="<b>x</b>", note="<i>n</i>")
    h = t._repr_html_()
    assert "<script>" not in h and "&lt;script&gt;alert(1)&lt;/script&gt;" in h
    assert "&lt;b&gt;x&lt;/b&gt;" in h and "&lt;i&gt;n&lt;/i&gt;" in h and "A &amp; «B»" in h
    assert "10,0\u202f%" in h and "—" in h
    assert "Школа" in h and "Доля низких результатов" in h
    pd.testing.assert_frame_equal(t.data, df)  # the data as computed stays available


def test_suppress_small_hides_and_notes() -> None:
    df = pd.DataFrame(
        {
            "g": ["a", "b", "c"],
            "participants": pd.array([3, 5, None], dtype="Int64"),
            "pct": [50.0, 60.0, 70.0],
        }
    )
    out = R.suppress_small(df, "participants", ["pct"], min_n=5)
    assert out.loc[0, "pct"] == "скрыто*"
    assert out.loc[1, "pct"] != "скрыто*" and out.loc[2, "pct"] != "скрыто*"
    assert out.attrs["n_suppressed"] == 1 and "меньше 5 участников" in out.attrs["note"]
    assert "меньше 5 участников" in table(out)._repr_html_()
    assert df.loc[0, "pct"] == 50.0  # input untouched


def test_banner_footer_page() -> None:
    assert "СИНТЕТИЧЕСКИЕ ДАННЫЕ" in R.synthetic_banner("<b>x</b>") and "&lt;b&gt;" in R.synthetic_banner(
        "<b>x</b>"
    )
    foot = R.footer_html(
        {
            "fingerprint": "abc<1>",
            "year": 2024,
            "rules": "lo_2018",
            "synthetic": True,
            "version": "0.1.0",
            "parameters_hash": "ff",
            "report_parameters": {"min_group_size": 5},
        }
    )
    assert "abc&lt;1&gt;" in foot and "lo_2018" in foot and "СИНТЕТИЧЕСКИЕ ДАННЫЕ" in foot and "0.1.0" in foot
    page = R.page_html("t<", "<p>x</p>")
    assert "@media print" in page and "<script" not in page and 'src="http' not in page
    assert "<title>t&lt;</title>" in page and "<p>x</p>" in page


def test_sections_return_content(small_region) -> None:
    region, _ = small_region
    m = region.municipalities[0]
    calls = [
        R.summary_section(region, m),
        R.overview_section(region, m),
        R.identified_section(region, m),
        R.context_section(region, m),
        R.dynamics_section(region, m),
        R.effects_section(region, m),
        R.costs_section(region, m),
        R.partners_section(region, m),
        R.monitoring_section(region, m),
        R.method_annex(region),
        R.data_quality_annex(region, municipality=m),
    ]
    for sec in calls:
        assert isinstance(sec, Section) and sec.blocks
    overview = R.overview_section(region, m)
    assert overview.figures and sum(isinstance(b, Table) for b in overview.blocks) >= 3
    assert any(isinstance(t, pd.DataFrame) and len(t) for t in overview.tables)
    fig = next(b for b in overview.blocks if isinstance(b, Figure))
    assert fig.png[:8] == b"\x89PNG\r\n\x1a\n"
    html = "".join(s.to_html() for s in calls)
    assert "<h2" not in html  # section titles live in the notebook's markdown cells
    assert region.failures == {} and "Раздел недоступен" not in html


def test_unavailable_stage_says_why(small_region) -> None:
    region, _ = small_region
    broken = RegionResults(
        meta=dict(region.meta),
        tables=dict(region.tables),
        failures={"costs": "нет таблицы «Ресурсы и условия» (resources)"},
        methods={},
    )
    html = R.costs_section(broken, region.municipalities[0]).to_html()
    assert "Раздел недоступен: нет таблицы «Ресурсы и условия» (resources)." in html


def test_method_annex_renders_the_markdown_files(small_region, tmp_path) -> None:
    region, _ = small_region
    (tmp_path / "01_a.md").write_text(
        "## Первый\n\nПорог: {{ settings.min_group_size }}.\n\n{{ computed('identify') }}\n", encoding="utf-8"
    )
    (tmp_path / "02_b.md").write_text(
        "## Второй <script>x</script>\n\n{{ computed('nope') }}\n", encoding="utf-8"
    )
    texts = R.method_texts(region, tmp_path)
    assert f"Порог: {region.settings['min_group_size']}." in texts[0]
    assert region.methods["identify"].strip()[:40] in texts[0]
    assert "Описание метода недоступно" in texts[1]
    html = R.markdown_html(texts[1], top_level=3)
    assert "<h3>" in html and "<script>" not in html
    shipped = R.method_annex(region).to_html()
    assert "Приложение А" not in shipped and "<h3>Идентификация ШНРО и ШНСУ</h3>" in shipped


def test_cache_roundtrip_and_key(small_region) -> None:
    region, root = small_region
    assert region.path is not None and (region.path / "meta.json").exists()
    again = load_region(root / "cache")
    assert again.fingerprint == region.fingerprint and set(again.tables) == set(region.tables)
    pd.testing.assert_frame_equal(again.table("participation"), region.table("participation"))
    r2 = compute_region(root / "demo", 2024, cache_dir=root / "cache", overrides=FAST)
    assert r2.path == region.path  # the same inputs read the same entry
    other = {**FAST, "report": {"min_group_size": 7}}
    assert cache_key(root / "demo", 2024, "lo_2018", other) != region.path.name  # any setting, a new entry
    assert cache_key(root / "demo", 2024, "lo_2018", FAST) == region.path.name


def test_html_escaping_of_school_name() -> None:
    from shnro_lib.io import Dataset

    schools = pd.DataFrame(
        {
            "school_id": ["1", "2", "3"],
            "name": ["<script>alert(1)</script>", "Школа №2", "Ш3"],
            "municipality": ["<img src=x onerror=alert(1)>", "М", "М"],
        }
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
    region = compute_from_dataset(
        Dataset.from_frames({"schools": schools, "results": pd.DataFrame(rows)}), 2024
    )
    m = "<img src=x onerror=alert(1)>"
    h = "".join(
        s.to_html()
        for s in (
            R.summary_section(region, m),
            R.overview_section(region, m),
            R.identified_section(region, m),
            R.dynamics_section(region, m),
            R.data_quality_annex(region, municipality=m),
        )
    )
    assert "<script>alert" not in h and "&lt;script&gt;alert(1)&lt;/script&gt;" in h
    assert "<img src=x" not in h


def test_municipal_workbook(small_region, tmp_path) -> None:
    from openpyxl import load_workbook

    region, _ = small_region
    m = region.municipalities[0]
    p = R.municipal_workbook(region, m, tmp_path / "m.xlsx")
    wb = load_workbook(p)
    ws = wb["Школы"]
    assert "СИНТЕТИЧЕСКИЕ ДАННЫЕ" in ws["A1"].value and region.fingerprint in ws["A1"].value
    assert ws.freeze_panes is not None and ws.auto_filter.ref
    assert ws.max_row - 3 == len(region.school_ids(m))


def test_method_texts_render_markdown_and_escape_html():
    h = R.markdown_html("## Метод\n\n**Критерий** `crit_x` <script>alert(1)</script>\n\n- пункт")
    assert "<h4>Метод</h4>" in h and "<strong>Критерий</strong>" in h and "<li>пункт</li>" in h
    assert "<script>" not in h and "##" not in h and "**" not in h


def test_integrated_sections_return_content(small_region) -> None:
    region, _ = small_region
    m = region.municipalities[0]
    sens = R.regional_sensitivity_section(region)
    assert region.ok("sensitivity") and any(isinstance(b, Table) for b in sens.blocks)
    assert "Основной набор правил" in sens.to_html() and "κ" in sens.to_html()
    stab = R.regional_stability_section(region).to_html()
    assert "Смена списка ШНРО/ШНСУ по годам" in stab and "все годы" in stab and "из n лет" in stab
    practices = regional_practices_section(region).to_html()
    assert "описательный, а не причинный" in practices
    links = R.school_links_section(region, m, "../schools")
    n_links = links.to_html().count('<a href="../schools/')
    assert n_links == len(region.school_ids(m)) > 0
    assert "вышли и вернулись" in R.regional_monitoring_section(region).to_html()


def test_missing_share_low_is_a_dash(small_region) -> None:
    region, _ = small_region
    ss = region.table("school_scores").assign(share_low=float("nan"))
    bare = RegionResults(
        meta=dict(region.meta), tables={**region.tables, "school_scores": ss}, failures={}, methods={}
    )
    t = next(
        b
        for b in R.overview_section(bare, region.municipalities[0]).blocks
        if isinstance(b, Table) and b.caption == "Результаты школ по процедурам и годам"
    )
    shown = t.frame["Доля низких результатов"]
    assert set(shown) <= {"—", "скрыто*"} and (shown == "—").any()
    assert set(t.frame["Регион: доля низких"]) == {"—"}


def test_effects_estimator_names_are_russian(small_region) -> None:
    region, _ = small_region
    eff = pd.DataFrame({"estimator": ["naive_pre_post", "range_valid"], "estimate_pp": [1.0, float("nan")]})
    html = R.effects_section(
        RegionResults(
            meta=dict(region.meta), tables={**region.tables, "effects": eff}, failures={}, methods={}
        ),
        None,
    ).to_html()
    assert "Диапазон допустимых оценок" in html and "Наивная «до–после»" in html and "range_valid" not in html


def test_not_assessed_stage_reads_as_such() -> None:
    from shnro_lib.context import ContextNotAssessed
    from shnro_lib.costs import NotEstimated
    from shnro_lib.pipeline.log import StageLog
    from shnro_lib.report.content import unavailable

    def no_context():
        raise ContextNotAssessed("в данных нет признаков контекста")

    def no_costs():
        raise NotEstimated("не оценено: нет расходов на обучающегося за 2024 год")

    log = StageLog()
    log.run("context", no_context)
    log.run("costs", no_costs)
    assert log.failures == {
        "context": "не оценено: в данных нет признаков контекста",
        "costs": "не оценено: нет расходов на обучающегося за 2024 год",
    }
    text = unavailable(log.failures["costs"]).text
    assert text == "Не оценено: нет расходов на обучающегося за 2024 год." and "NotEstimated" not in text
