"""Pages of a report batch built in the main process: the collection PDF and ``index.html``."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path
from typing import Any

# --------------------------------------------------------------------------- PDF


def find_chromium() -> str | None:
    """Path of a headless-capable Chromium/Chrome, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        p = shutil.which(name)
        if p:
            return p
    return None


def chromium_args(user_data_dir: str) -> list[str]:
    """Flags for a quiet, offline headless Chromium."""
    return ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage", f"--user-data-dir={user_data_dir}"]


def html_to_pdf(html_path: str | Path, pdf_path: str | Path, timeout: int = 180) -> bool:
    """Print an HTML file to PDF with headless Chromium; False (with a warning) when it is missing."""
    from shnro_lib.outputs import atomic_write

    exe = find_chromium()
    if exe is None:
        warnings.warn("Chromium не найден: PDF сборника не создан (установите chromium)", stacklevel=2)
        return False
    url = Path(html_path).resolve().as_uri()

    def _print(tmp: Path) -> None:
        with tempfile.TemporaryDirectory(prefix="shnro-chromium-") as ud:
            cmd = [exe, *chromium_args(ud), "--no-pdf-header-footer", "--print-to-pdf-no-header",
                   f"--print-to-pdf={tmp}", url]
            subprocess.run(cmd, check=True, capture_output=True, timeout=timeout)
        if not tmp.exists() or tmp.stat().st_size == 0:
            raise RuntimeError("Chromium не создал PDF")

    atomic_write(pdf_path, _print)
    return True


# --------------------------------------------------------------------------- index


def index_html(region: Any, results: list[Any], out_dir: Path, extra: list[tuple[str, str, str]]) -> str:
    """The ``index.html`` page linking every report."""
    from shnro_lib.report import esc, footer_html, page_html, synthetic_banner

    def rel(p: str) -> str:
        return Path(os.path.relpath(p, out_dir)).as_posix()

    parts = []
    if region.synthetic:
        parts.append(synthetic_banner(region.meta.get("synthetic_note", "")))
    name = region.meta.get("dataset_name") or "Регион"
    parts.append(f"<h1>Отчёты: {esc(name)}, {esc(region.year)} год</h1>")
    if extra:
        parts.append("<h2>Регион</h2><ul>" + "".join(
            f'<li><a href="{esc(rel(p))}">{esc(label)}</a>{esc(note)}</li>' for label, p, note in extra) + "</ul>")
    import pandas as pd

    from shnro_lib.report import fmt_int, fmt_num, municipality_table

    try:
        summary = municipality_table(region).set_index("municipality")
    except Exception:  # noqa: BLE001 - the index page must be written even if a summary figure is missing
        summary = pd.DataFrame()

    def figures(name: str) -> str:
        if name not in summary.index:
            return "<td>—</td><td>—</td><td>—</td>"
        row = summary.loc[name]
        ident = fmt_int(row["n_identified"]) if "n_identified" in row else "—"
        return (f"<td>{fmt_int(row['n_schools'])}</td><td>{fmt_num(row['mean_index'], 2, signed=True)}</td>"
                f"<td>{ident}</td>")

    rows = []
    for r in sorted([r for r in results if r.kind == "municipal"], key=lambda r: r.name):
        if r.ok:
            links = f'<a href="{esc(rel(r.html_path))}">отчёт (HTML)</a>'
            if r.xlsx_path:
                links += f' · <a href="{esc(rel(r.xlsx_path))}">таблицы (Excel)</a>'
            rows.append(f"<tr><td>{esc(r.name)}</td>{figures(r.name)}<td>{links}</td></tr>")
        else:
            rows.append(f'<tr><td>{esc(r.name)}</td>{figures(r.name)}'
                        f'<td class="fail">не построен: {esc(r.error_ru)}</td></tr>')
    parts.append('<h2>Муниципальные отчёты</h2><table class="tbl"><thead><tr><th>Муниципальное образование</th>'
                 "<th>Школ</th><th>Средний индекс результатов</th><th>Выявлено (ШНРО, ШНСУ, зона риска)</th>"
                 f"<th>Файлы</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")
    failed = [r for r in results if not r.ok]
    if failed:
        parts.append(f'<div class="note note-warn">Не построено отчётов: {len(failed)}. Выполненные тетради с '
                     "ошибкой сохранены в папке _failed/.</div>")
    parts.append(footer_html(region.meta))
    return page_html(f"Отчёты {region.year}", "".join(parts))
