"""A rendered municipal report opened in headless Chromium.

Without Chromium the test is skipped with a reason — except in CI (the environment variable
``CI`` is set), where a missing browser is a failure: the check must not vanish silently.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
from pathlib import Path

import pytest

from shnro_lib.batch import chromium_args, find_chromium, make_tasks, render_notebook

pytestmark = [pytest.mark.slow]

FAST = {
    "costs": {"dea": {"bootstrap_reps": 0}},
    "effects": {"rtm": {"bootstrap_reps": 20}, "did": {"callaway_santanna": False}},
}


def require_chromium(find=find_chromium) -> str:
    """The browser, or a skip with a reason — a failure in CI."""
    exe = find()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail(
                "Chromium не найден, а тест запущен в CI (задана переменная CI): установите chromium "
                "(make system-deps), иначе браузерная проверка отчётов не выполняется",
                pytrace=False,
            )
        pytest.skip("Chromium не установлен: браузерная проверка пропущена (в CI это ошибка)")
    return exe


PROBE = """<script>
window.addEventListener('load', function () {
  var imgs = Array.from(document.images);
  var bad = imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); }).length;
  document.body.setAttribute('data-imgs', imgs.length + ':' + bad);
  document.body.setAttribute('data-tables', document.querySelectorAll('table').length);
});
</script></body>"""


def _chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [find_chromium(), *chromium_args(str(tmp / "profile")), "--enable-logging=stderr", "--v=0", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_missing_chromium_fails_in_ci(monkeypatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI"):
        require_chromium(lambda: None)
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="Chromium не установлен"):
        require_chromium(lambda: None)


def test_municipal_report_in_browser(tmp_path) -> None:
    require_chromium()
    from shnro_lib.demo import generate_demo
    from shnro_lib.pipeline import compute_region

    out = generate_demo(tmp_path / "demo", seed=1, n_schools=80)
    region = compute_region(out.data_dir, 2024, cache_dir=tmp_path / "cache", overrides=FAST)
    task = make_tasks(
        region,
        region.municipalities[:1],
        tmp_path / "out",
        out.data_dir,
        tmp_path / "cache",
        "lo_2018",
        regional=False,
    )[0]
    res = render_notebook(task)
    assert res.ok, res.error_ru
    html_path = Path(res.html_path)
    text = html_path.read_text(encoding="utf-8")

    # every image is an embedded PNG
    srcs = re.findall(r'<img[^>]*\ssrc="([^"]*)"', text)
    assert srcs
    for s in srcs:
        assert s.startswith("data:image/png;base64,")
        assert base64.b64decode(s.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"

    # a test-only copy with a probe script reporting whether the images loaded
    probe = tmp_path / "probe.html"
    probe.write_text(text.replace("</body>", PROBE), encoding="utf-8")
    dom = _chromium(tmp_path, "--virtual-time-budget=5000", "--dump-dom", probe.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    m = re.search(r'data-imgs="(\d+):(\d+)"', dom.stdout)
    assert m, dom.stdout[:500]
    assert int(m.group(1)) == len(srcs) and int(m.group(2)) == 0
    n_tables = int(re.search(r'data-tables="(\d+)"', dom.stdout).group(1))
    assert n_tables >= 3
    assert 'id="toc"' in dom.stdout
    # every entry of the table of contents points at an element of the page
    anchors = re.findall(r'<a href="#([^"]+)"', dom.stdout.split('id="toc"', 1)[1].split("</nav>", 1)[0])
    assert len(anchors) >= 10
    for a in anchors:
        assert f'id="{a}"' in dom.stdout, a

    # the report itself: no console errors, a screenshot for a human
    shot = tmp_path / "report.png"
    run = _chromium(tmp_path, "--window-size=1200,1800", f"--screenshot={shot}", html_path.as_uri())
    assert run.returncode == 0
    console = [ln for ln in run.stderr.splitlines() if "CONSOLE" in ln or "Uncaught" in ln]
    assert not console, console
    assert shot.exists() and shot.read_bytes()[:4] == b"\x89PNG"
