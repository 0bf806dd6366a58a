"""The report site's pieces without a browser: escaped JSON, the map, breadcrumbs, the written assets."""

from __future__ import annotations

import json
import re

from shnro_lib.site import crumbs_html, map_html, root_prefix, script_json, write_assets

HOSTILE = '</script><img src=x onerror="window.__pwned=1"> школа & «ё»'


def _rec(code: str, name: str, cat: str = "ШНРО", lat: float | None = 59.9, lon: float | None = 30.3) -> dict:
    return {
        "c": code,
        "n": name,
        "m": "Район",
        "l": "Посёлок",
        "k": cat,
        "h": f"schools/r/{code}.html",
        "r": "municipalities/r.html",
        "lat": lat,
        "lon": lon,
    }


def test_script_json_cannot_close_a_script_element() -> None:
    text = script_json([{"n": HOSTILE, "x": "\u2028"}])
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == [{"n": HOSTILE, "x": "\u2028"}]  # the same value once parsed


def test_written_data_file_is_inert_and_stable(tmp_path) -> None:
    recs = [_rec("000002", HOSTILE), _rec("000001", "МОУ «Школа № 1»")]
    write_assets(tmp_path, recs)
    data = (tmp_path / "site" / "schools.js").read_text(encoding="utf-8")
    assert (
        data.startswith("window.SHNRO_SCHOOLS = [") and "</script" not in data.lower() and "<img" not in data
    )
    parsed = json.loads(data.split("=", 1)[1].strip().rstrip(";"))
    assert parsed[0]["n"] == HOSTILE and "lat" not in parsed[0]
    first = {p.name: p.read_bytes() for p in (tmp_path / "site").iterdir()}
    write_assets(tmp_path, recs)
    assert {p.name: p.read_bytes() for p in (tmp_path / "site").iterdir()} == first
    assert sorted(first) == ["schools.js", "site.css", "site.js"]


def test_map_points_escaped_linked_and_coloured_by_category() -> None:
    recs = [
        _rec("1", HOSTILE, "ШНРО", 59.0, 30.0),
        _rec("2", "Школа 2", "нет", 60.0, 31.0),
        _rec("3", "Школа 3", "ШНСУ", 59.5, 32.0),
        _rec("4", "Без координат", "ШНСУ", None, None),
    ]
    html = str(map_html(recs, "../"))
    assert html.count("<circle") == 3  # the school without coordinates is not drawn
    assert "<img" not in html and "</script>" not in html
    assert "&lt;/script&gt;&lt;img" in html
    assert 'href="../schools/r/1.html"' in html
    fills = dict(re.findall(r'fill="(#[0-9A-F]{6})" data-code="(\d)"', html)[i][::-1] for i in range(3))
    assert fills["1"] != fills["2"] != fills["3"] and fills["1"] != fills["3"]
    assert "ШНРО: 1" in html and "ШНСУ: 1" in html and "не выявлена: 1" in html
    assert "<polygon" in html and "http" not in html  # the hull of the points; nothing from outside
    assert str(map_html([_rec("9", "x", lat=None, lon=None)])) == ""


def test_crumbs_escape_and_root_prefix(tmp_path) -> None:
    html = str(crumbs_html([("Все отчёты", "../index.html"), (HOSTILE, None)]))
    assert "<img" not in html and 'href="../index.html"' in html
    assert root_prefix(tmp_path, tmp_path) == ""
    assert root_prefix(tmp_path / "schools" / "m", tmp_path) == "../../"
