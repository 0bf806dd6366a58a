"""The report site used in a real browser (Playwright driving the system Chromium).

A small batch (two municipalities of an 80-school demo, one school with a hostile name) is searched,
sorted, filtered and followed link by link; a hand-made page checks the number sorting, folding and
the CSV download.  Nothing may be requested from outside the machine and no page may log an error.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

import openpyxl
import pytest

pytestmark = [pytest.mark.slow]

sync_api = pytest.importorskip("playwright.sync_api")

HOSTILE = '</script><img src=x onerror="window.__pwned=1"> Ёлочная школа'
FAST = {
    "costs": {"dea": {"bootstrap_reps": 0}},
    "effects": {"rtm": {"bootstrap_reps": 20}, "did": {"callaway_santanna": False}},
}


def _chromium() -> str:
    exe = shutil.which("chromium")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail(
                "Chromium не найден, а тест запущен в CI: установите chromium (make system-deps)",
                pytrace=False,
            )
        pytest.skip("Chromium не установлен: браузерная проверка сайта пропущена (в CI это ошибка)")
    return exe


REAL = Path(__file__).parents[1] / ".." / "shared" / "real" / "caschools"


@pytest.fixture(scope="module", params=["demo", "caschools"])
def site(request, tmp_path_factory) -> Path:
    """A small batch: the demo (two municipalities, a hostile name) or the real ``caschools`` set
    (its two largest counties; no coordinates, English names)."""
    import pandas as pd

    from shnro_lib.batch import run_batch
    from shnro_lib.demo import MUNICIPALITIES, generate_demo
    from shnro_lib.io import load_dataset

    _chromium()
    root = tmp_path_factory.mktemp(request.param)
    if request.param == "demo":
        # two municipalities only: every similar school and leader has a page of its own
        data = generate_demo(root / "demo", seed=1, n_schools=80, municipalities=MUNICIPALITIES[:2]).data_dir
        path = data / "Школы.xlsx"
        wb = openpyxl.load_workbook(path)
        ws = wb.active
        header = [c.value for c in ws[3]]
        ws.cell(row=4, column=header.index("Наименование ОО") + 1, value=HOSTILE)  # the first school
        wb.save(path)
        munis, year = load_dataset(data).municipalities, 2024
    else:
        if not (REAL / "results.csv").is_file():
            pytest.fail(f"no real data set at {REAL.resolve()}: CI must have ../shared beside the clone")
        data = REAL
        munis = list(pd.read_csv(REAL / "schools.csv", dtype=str)["municipality"].value_counts().index[:2])
        year = int(pd.read_csv(REAL / "results.csv", usecols=["year"])["year"].max())
    res = run_batch(
        data,
        year,
        root / "out",
        municipalities=munis,
        workers=2,
        cache_dir=root / "cache",
        progress=False,
        pdf=False,
        regional=False,
        overrides=FAST,
    )
    assert res.ok, res.summary_ru()
    out = root / "out"
    (out / ".kind").write_text(request.param, encoding="utf-8")
    return out


def _demo(site: Path) -> bool:
    return (site / ".kind").read_text(encoding="utf-8") == "demo"


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=_chromium(), args=["--no-sandbox"])
        yield b
        b.close()


class Watched:
    """A page whose console errors and outside requests are recorded (outside requests are aborted)."""

    def __init__(self, browser, allowed: tuple[str, ...] = ("file:",)) -> None:
        self.context = browser.new_context(accept_downloads=True)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.outside: list[str] = []
        allowed = (*allowed, "data:", "blob:", "about:")
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

        def route(r):
            if r.request.url.startswith(allowed):
                r.continue_()
            else:
                self.outside.append(r.request.url)
                r.abort()

        self.context.route("**/*", route)

    def close(self) -> None:
        self.context.close()


def _records(out: Path) -> list[dict]:
    import json

    text = (out / "site" / "schools.js").read_text(encoding="utf-8")
    return json.loads(text.split("=", 1)[1].strip().rstrip(";"))


def _file(url: str) -> Path:
    return Path(unquote(urlparse(url).path))


def test_search_by_code_and_by_name_opens_the_school_page(site, browser) -> None:
    w = Watched(browser)
    recs = [r for r in _records(site) if r["h"]]
    target = next(r for r in recs if r["n"] != HOSTILE and len(r["n"].split()) > 2)
    pg = w.page
    pg.goto((site / "index.html").as_uri())
    pg.fill("#school-search", target["c"])
    first = pg.locator("#search-hits a.site-hit-name").first
    assert first.inner_text() == target["n"]
    first.click()
    pg.wait_for_load_state()
    assert _file(pg.url) == (site / target["h"]).resolve()
    assert pg.locator("h1").inner_text() == target["n"]

    # a word of the name, upper-cased and with «е» for «ё»: case- and ё-insensitive
    def norm(t: str) -> str:
        return t.lower().replace("ё", "е")

    every = [norm(r["n"]) for r in _records(site)]
    # the rarest word of the name, so the school is among the first hits shown
    word = min(re.findall(r"[^\W\d_]{4,}", target["n"]), key=lambda w: (sum(norm(w) in n for n in every), w))
    pg.goto((site / "index.html").as_uri())
    pg.fill("#school-search", word.upper().replace("Ё", "Е"))
    names = pg.locator("#search-hits li > :first-child").all_inner_texts()
    hay: dict[str, str] = {}
    for r in _records(site):
        hay[r["n"]] = hay.get(r["n"], "") + " " + norm(" ".join([r["c"], r["n"], r["l"], r["m"], r["t"]]))
    assert target["n"] in names and all(norm(word) in hay[n] for n in names)
    # by locality (the municipality where the data have none); the hit also links to the municipal report
    pg.fill("#school-search", target["l"] or target["m"])
    hit = pg.locator("#search-hits li", has_text=target["n"]).first
    report = hit.locator("a", has_text="отчёт муниципалитета").get_attribute("href")
    assert _file(report) == (site / target["r"]).resolve() and _file(report).exists()
    pg.fill("#school-search", "нет-такой-школы-zzz")
    assert pg.locator("#search-found").inner_text() == "Ничего не найдено"
    assert not w.errors and not w.outside
    w.close()


def test_hostile_name_stays_text_in_search_map_and_pages(site, browser) -> None:
    if not _demo(site):
        pytest.skip("the hostile name is put in the demo batch only")
    w = Watched(browser)
    pg = w.page
    for page in [site / "index.html", *sorted((site / "municipalities").glob("*.html"))]:
        pg.goto(page.as_uri())
        if page.name == "index.html":
            pg.fill("#school-search", "ёлочная")
            assert pg.locator("#search-hits a.site-hit-name").first.inner_text() == HOSTILE
            assert pg.locator("#search-hits img").count() == 0
            titles = pg.locator("#map circle title").all_text_contents()
            assert any(t.startswith(HOSTILE) for t in titles)
        assert pg.evaluate("window.__pwned") is None
        assert pg.locator("img[onerror]").count() == 0
    hostile_page = next(r for r in _records(site) if r["n"] == HOSTILE)["h"]
    pg.goto((site / hostile_page).as_uri())
    assert pg.locator("h1").inner_text() == HOSTILE and pg.evaluate("window.__pwned") is None
    assert not w.errors and not w.outside
    w.close()


def _pages(site: Path) -> list[Path]:
    schools = sorted((site / "schools").rglob("*.html"))
    return [site / "index.html", *sorted((site / "municipalities").glob("*.html")), *schools]


def test_every_page_links_home_school_names_link_to_pages_no_errors_no_outside_requests(
    site, browser
) -> None:
    w = Watched(browser)
    pg = w.page
    named = linked = 0
    texts: list[str] = []
    for page in _pages(site):
        pg.goto(page.as_uri())
        pg.wait_for_load_state("load")
        if page.name != "index.html" or page.parent != site:
            home = pg.locator("nav.crumbs a", has_text="Все отчёты").get_attribute("href")
            assert (page.parent / home).resolve() == (site / "index.html").resolve(), page
        cells = pg.evaluate("""() => {
          const re = /^(школа|наименование|образовательная организация|похожая школа|\
похожая по контексту школа|школа-лидер|название)$/i;
          const out = [];
          for (const t of document.querySelectorAll('table')) {
            const hr = t.tHead && t.tHead.rows[t.tHead.rows.length - 1];
            if (!hr) continue;
            Array.from(hr.cells).forEach((h, col) => {
              if (!re.test(h.textContent.trim())) return;
              for (const r of t.tBodies[0].rows) {
                const c = r.cells[col];
                if (!c || c.textContent.trim() === '—') continue;
                const a = c.querySelector('a');
                out.push([a ? a.href : '', c.textContent.trim()]);
              }
            });
          }
          return out;
        }""")
        named += len(cells)
        texts += [t for _, t in cells]
        for href, _ in cells:
            if href:
                assert _file(href).exists(), (page, href)
                linked += 1
    assert named > 50
    if _demo(site):  # every school of the data has a page
        assert linked / named >= 0.9, (linked, named)
    else:  # two counties built: the names of the schools with a page are linked
        own = {r["n"] for r in _records(site) if r["h"]}
        with_page = sum(t in own for t in texts)
        assert with_page > 20 and linked >= 0.9 * with_page, (linked, with_page)
    assert not w.errors, w.errors
    assert not w.outside, w.outside
    w.close()


def test_school_page_links_report_leader_and_similar_schools(site, browser) -> None:
    w = Watched(browser)
    pg = w.page
    # a school whose similar schools include one with a page (on the demo: every school)
    for rec in [r for r in _records(site) if r["h"] and r["n"] != HOSTILE][:15]:
        pg.goto((site / rec["h"]).as_uri())
        sim = pg.locator("#leader table a")
        if sim.count() or _demo(site):
            break
    crumbs = pg.locator("nav.crumbs a")
    hrefs = {a.inner_text(): a.get_attribute("href") for a in crumbs.all()}
    report = hrefs[f"Отчёт: {rec['m']}"]
    assert (site / rec["h"]).parent.joinpath(report).resolve() == (site / rec["r"]).resolve()
    assert (site / rec["h"]).parent.joinpath(hrefs["Все отчёты"]).resolve() == (site / "index.html").resolve()
    assert sim.count() > 0
    sim.first.click()
    pg.wait_for_load_state()
    assert _file(pg.url).exists() and "schools" in pg.url
    if _demo(site):  # an identified school's proposed leader is a link to the leader's page
        leaders = []
        for r in [r for r in _records(site) if r["h"] and r["k"] in ("ШНРО", "ШНСУ", "ШНРО и ШНСУ")][:10]:
            pg.goto((site / r["h"]).as_uri())
            leaders += [
                (site / r["h"]).parent / a.get_attribute("href") for a in pg.locator("#leader p a").all()
            ]
        assert leaders and all(p.exists() for p in leaders)
    assert not w.errors and not w.outside
    w.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_site_from_a_plain_web_server(site, browser) -> None:
    port = _free_port()
    srv = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=site,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}/"
        w = Watched(browser, allowed=(base,))
        for _ in range(50):
            try:
                w.page.goto(base + "index.html")
                break
            except sync_api.Error:
                time.sleep(0.1)
        rec = next(r for r in _records(site) if r["h"])
        w.page.fill("#school-search", rec["c"])
        w.page.locator("#search-hits a.site-hit-name").first.click()
        w.page.wait_for_load_state()
        assert w.page.url == base + rec["h"]
        assert w.page.locator("nav.crumbs").count() == 1
        assert not w.errors and not w.outside
        w.close()
    finally:
        srv.terminate()
        srv.wait(timeout=10)


TABLE_PAGE = """<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>t</title>
<link rel="stylesheet" href="site/site.css"><script src="site/schools.js" defer></script>
<script src="site/site.js" defer></script></head><body data-site-name="test">
<table class="tbl" id="small"><thead><tr><th>Код ОО</th><th>Школа</th><th>Индекс</th></tr></thead><tbody>
{small}</tbody></table>
<table class="tbl" id="long"><thead><tr><th>Номер</th><th>Значение</th></tr></thead><tbody>\
{long}</tbody></table>
</body></html>"""


def test_sort_numbers_as_numbers_missing_last_filter_fold_and_csv(tmp_path, browser) -> None:
    from shnro_lib.site import write_assets

    write_assets(
        tmp_path,
        [{"c": "000001", "n": "Школа «Ёлка»", "m": "Район", "l": "", "k": "нет", "h": "a.html", "r": ""}],
    )
    (tmp_path / "a.html").write_text("<!DOCTYPE html><title>a</title>", encoding="utf-8")
    values = ["12\u202f345,6", "—", "−1,5", "0,3", "2", "не оценено: мало участников"]
    small = "".join(
        f"<tr><td>00000{i + 1}</td><td>Школа {i}</td><td>{v}</td></tr>" for i, v in enumerate(values)
    )
    long = "".join(f"<tr><td>{i}</td><td>строка {i}</td></tr>" for i in range(30))
    page = tmp_path / "t.html"
    page.write_text(TABLE_PAGE.replace("{small}", small).replace("{long}", long), encoding="utf-8")
    w = Watched(browser)
    pg = w.page
    pg.goto(page.as_uri())

    def column(table: str, i: int) -> list[str]:
        return pg.locator(f"#{table} tbody tr:not(.site-hidden) td:nth-child({i})").all_inner_texts()

    head = pg.locator("#small th", has_text="Индекс")
    head.click()
    assert column("small", 3) == ["−1,5", "0,3", "2", "12\u202f345,6", "—", "не оценено: мало участников"]
    head.click()
    assert column("small", 3) == ["12\u202f345,6", "2", "0,3", "−1,5", "—", "не оценено: мало участников"]
    assert head.get_attribute("aria-sort") == "descending"
    # the school with a page is linked by its code
    assert pg.locator("#small a.site-school").count() == 1
    assert pg.locator("#small a.site-school").get_attribute("href").endswith("/a.html")
    # folding: 25 of 30 rows, then all
    assert len(column("long", 1)) == 25
    assert "Показано строк: 25 из 30" in pg.locator(".site-count").nth(1).inner_text()
    pg.locator("button.site-fold", has_text="показать все (30)").click()
    assert len(column("long", 1)) == 30
    # the filter narrows as one types
    pg.locator(".site-filter").nth(1).fill("строка 2")
    assert column("long", 2) == ["строка 2", *(f"строка {i}" for i in range(20, 30))]
    assert pg.locator(".site-count").nth(1).inner_text() == "Показано строк: 11 из 30"
    # sorted numerically, not as text («10» after «9»)
    pg.locator("#long th", has_text="Номер").click()
    assert column("long", 1)[:3] == ["2", "20", "21"]
    pg.locator(".site-filter").nth(1).fill("")
    assert column("long", 1)[:11] == [str(i) for i in range(11)]
    # CSV of the table: UTF-8 with BOM, Russian headers, «;»-separated
    with pg.expect_download() as dl:
        pg.locator("button.site-csv").first.click()
    data = Path(dl.value.path()).read_bytes()
    assert data.startswith("\ufeffКод ОО;Школа;Индекс\r\n".encode())
    assert "000003;Школа 2;−1,5" in data.decode("utf-8-sig")
    assert dl.value.suggested_filename == "test-1.csv"
    # print: the controls are hidden and the folded rows are printed
    pg.locator("button.site-fold", has_text="свернуть").click()
    assert not pg.locator("#long tbody tr").nth(29).is_visible()
    pg.emulate_media(media="print")
    assert not pg.locator(".site-tools").first.is_visible()
    assert pg.locator("#long tbody tr").nth(29).is_visible()
    assert not w.errors and not w.outside
    w.close()
