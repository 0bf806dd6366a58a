"""Open every school profile page of a report folder in headless Chromium and count problems.

    python benchmarks/browser_school_pages.py reports/2024 [--limit N]

For each page: console errors, images that did not load, number of tables (at least 2 expected).
Prints a summary line and the first failing pages; exit code 1 when any page fails.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from shnro_lib.batch import chromium_args, find_chromium

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_browser import PROBE  # noqa: E402 - the same page probe as the browser tests


def check_page(page: Path, tmp: Path, chromium: str) -> str | None:
    """None when the page is fine, else a short description of what failed."""
    probe = tmp / "probe.html"
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE), encoding="utf-8")
    cmd = [
        chromium,
        *chromium_args(str(tmp / "profile")),
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=5000",
        "--dump-dom",
        probe.as_uri(),
    ]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if run.returncode != 0:
        return f"chromium exit {run.returncode}"
    m = re.search(r'data-imgs="(\d+):(\d+)"', run.stdout)
    tables = re.search(r'data-tables="(\d+)"', run.stdout)
    console = [ln for ln in run.stderr.splitlines() if "CONSOLE" in ln or "Uncaught" in ln]
    problems = []
    if not m or int(m.group(2)) > 0:
        problems.append(f"images not loaded: {m.group(2) if m else '?'}")
    if not tables or int(tables.group(1)) < 2:
        problems.append(f"tables: {tables.group(1) if tables else 0}")
    if console:
        problems.append(f"console: {console[0][:120]}")
    return "; ".join(problems) or None


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--limit", type=int, default=0)
    args = ap.parse_args()
    chromium = find_chromium()
    if chromium is None:
        print("Chromium not found")
        return 2
    pages = sorted(p for p in (args.out_dir / "schools").glob("*/*.html") if p.name != "index.html")
    if args.limit:
        pages = pages[: args.limit]
    failed: list[tuple[Path, str]] = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for page in pages:
            why = check_page(page, Path(tmp), chromium)
            if why:
                failed.append((page, why))
    dt = time.perf_counter() - t0
    print(
        f"pages checked: {len(pages)}, failed: {len(failed)}, "
        f"{dt:.0f} s ({dt / max(len(pages), 1):.2f} s/page)"
    )
    for page, why in failed[:10]:
        print(f"  {page.relative_to(args.out_dir)}: {why}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
