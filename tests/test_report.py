"""Report helpers and sections: formatting, escaping, suppression, TOC, banner, footer, Excel."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from shnro_lib import report as R
from shnro_lib.pipeline import RegionResults, compute_from_dataset, compute_region, load_region


@pytest.fixture(scope="module")
def small_region(tmp_path_factory) -> tuple[RegionResults, Path]:
    from shnro_lib.demo import generate_demo

    root = tmp_path_factory.mktemp("rep")
    out = generate_demo(root / "demo", seed=1, n_schools=80)
    region = compute_region(out.data_dir, 2024, cache_dir=root / "cache")
    return region, root


def test_russian_number_format() -> None:
    assert R.fmt_num(12345.678, 1) == "12\u202f345,7"
    assert R.fmt_num(-0.5, 2) == "\u22120,50"
    assert R.fmt_num(0.25, 2, signed=True) == "+0,25"
    assert R.fmt_num(-0.0001, 2) == "0,00"
    assert R.fmt_int(1500) == "1\u202f500"
    assert R.fmt_pct(0.123) == "12,3\u202f%"
    assert R.fmt_num(None) == "—" and R.fmt_pct(float("nan")) == "—" and R.fmt_num(pd.NA) == "—"


def test_html_table_escapes_everything() -> None:
    df = pd.DataFrame({"name": ["<script>alert(1)</script>", "A & «B»"], "share_low": [0.1, None]})
    h = R.html_table(df, caption="<b>x</b>")
    assert "<script>" not in h and "&lt;script&gt;alert(1)&lt;/script&gt;" in h
    assert "&lt;b&gt;x&lt;/b&gt;" in h and "A &amp; «B»" in h
    assert "10,0\u202f%" in h and "—" in h
    assert "Школа" in h and "Доля низких результатов" in h


def test_suppress_small_hides_and_notes() -> None:
    df = pd.DataFrame({"g": ["a", "b", "c"], "participants": pd.array([3, 5, None], dtype="Int64"),
                       "pct": [50.0, 60.0, 70.0]})
    out = R.suppress_small(df, "participants", ["pct"], min_n=5)
    assert out.loc[0, "pct"] == "скрыто*"
    assert out.loc[1, "pct"] != "скрыто*" and out.loc[2, "pct"] != "скрыто*"
    assert out.attrs["n_suppressed"] == 1 and "меньше 5 участников" in out.attrs["note"]
    assert "меньше 5 участников" in R.html_table(out)
    assert df.loc[0, "pct"] == 50.0  # input untouched
    default = R.suppress_small(df, "participants", ["pct"])  # threshold from parameters/report.yaml
    assert default.attrs["n_suppressed"] == 1


def test_toc_banner_footer() -> None:
    toc = R.toc_html([("a", "Раздел <1>"), ("b", "Б")])
    assert 'href="#a"' in toc and "Раздел &lt;1&gt;" in toc
    assert "СИНТЕТИЧЕСКИЕ ДАННЫЕ" in R.synthetic_banner()
    foot = R.footer_html({"fingerprint": "abc123", "year": 2024, "rules": "lo_2018", "synthetic": True,
                          "version": "0.1.0", "parameters_hash": "ff", "report_parameters": {"min_group_size": 5}})
    assert "abc123" in foot and "lo_2018" in foot and "СИНТЕТИЧЕСКИЕ ДАННЫЕ" in foot and "0.1.0" in foot
    page = R.page_html("t", "<p>x</p>")
    assert "@media print" in page and "<script" not in page and 'src="http' not in page


def test_municipal_report_sections_and_degradation(small_region) -> None:
    region, _ = small_region
    m = region.municipalities[0]
    h = R.page_html("x", R.municipal_report_html(region, m))
    for sid, _title in R.MUNICIPAL_SECTIONS:
        assert f'id="{sid}"' in h and f'href="#{sid}"' in h
    assert "СИНТЕТИЧЕСКИЕ ДАННЫЕ" in h and region.fingerprint in h
    imgs = re.findall(r'<img src="([^"]+)"', h)
    assert imgs and all(s.startswith("data:image/png;base64,") for s in imgs)
    for stage in ("identify", "context", "effects", "costs", "partners"):
        if not region.ok(stage):  # a missing analysis says why instead of breaking the report
            assert region.reason(stage) in h


def test_failing_stage_is_recorded_not_raised(small_region, monkeypatch) -> None:
    import shnro_lib.pipeline as P
    from shnro_lib.io import load_dataset

    region, root = small_region

    def boom(ds, year, rules, params):
        return [("identify", "shnro_lib.report", lambda m: 1 / 0)]

    monkeypatch.setattr(P, "_stage_specs", boom)
    ds = load_dataset(root / "demo")
    r = compute_from_dataset(ds, 2024)
    assert "identify" in r.failures and "ZeroDivisionError" in r.failures["identify"]
    assert "participation" in r.tables


def test_cache_roundtrip_and_key(small_region) -> None:
    region, root = small_region
    assert region.path is not None and (region.path / "meta.json").exists()
    again = load_region(root / "cache")
    assert again.fingerprint == region.fingerprint and set(again.tables) == set(region.tables)
    pd.testing.assert_frame_equal(again.table("participation"), region.table("participation"))
    r2 = compute_region(root / "demo", 2023, cache_dir=root / "cache")  # another year -> another entry
    assert r2.path != region.path and r2.year == 2023


def test_html_escaping_of_school_name(tmp_path) -> None:
    from shnro_lib.io import Dataset

    schools = pd.DataFrame({"school_id": ["1", "2", "3"], "name": ["<script>alert(1)</script>", "Школа №2", "Ш3"],
                            "municipality": ["<img src=x onerror=alert(1)>", "М", "М"]})
    rows = []
    for sid in ["1", "2", "3"]:
        for y in (2023, 2024):
            rows.append({"school_id": sid, "year": y, "procedure": "ОГЭ", "subject": "Математика", "grade": 9,
                         "participants": 20 + int(sid), "mean_score": 14.0 + int(sid), "max_score": 31.0})
    ds = Dataset.from_frames({"schools": schools, "results": pd.DataFrame(rows)})
    region = compute_from_dataset(ds, 2024)
    m = "<img src=x onerror=alert(1)>"
    h = R.page_html("x", R.municipal_report_html(region, m))
    assert "<script>alert" not in h and "&lt;script&gt;alert(1)&lt;/script&gt;" in h
    assert "<img src=x" not in h and "&lt;img src=x onerror=alert(1)&gt;" in h


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
    from shnro_lib.report import markdown_html

    h = markdown_html("## Метод\n\n**Критерий** `crit_x` <script>alert(1)</script>\n\n- пункт")
    assert "<h4>Метод</h4>" in h and "<strong>Критерий</strong>" in h and "<li>пункт</li>" in h
    assert "<script>" not in h and "##" not in h and "**" not in h
