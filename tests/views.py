"""What a reader sees about each school, read back from a batch's HTML tables and Excel sheets.

Every table cell in a row that carries a «Код ОО» becomes one observation ``(school, label, year,
value, source)``.  The checks built on it: one value per school and label across all views (the
«one quantity, one name» rule), every table of schools has «Код ОО», no school is listed and
«перешла в эффективный режим» at once.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import openpyxl
from bs4 import BeautifulSoup

CODE = "Код ОО"
YEAR_LABELS = ("Год", "Год данных", "Отчётный год")
# a column naming a school: a table with one and no «Код ОО» lists schools without their codes
NAME_LABELS = ("Школа", "Наименование ОО", "Образовательная организация", "ОО")
MISSING = {"", "—", "-", "–"}
_NUM = re.compile(r"^[+\-−]?\d[\d\s\u00a0\u202f]*(?:[.,]\d+)?\s*%?$")


@dataclass(frozen=True)
class Seen:
    school: str
    label: str
    year: str
    value: str
    source: str


def _number(text: str) -> tuple[float, int] | None:
    """A displayed number and its decimals («−1,78» → (−1.78, 2)); ``None`` for text."""
    t = text.strip()
    if not _NUM.match(t):
        return None
    pct = t.endswith("%")
    t = t.rstrip("%").strip().replace("−", "-").replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    t = t.replace(",", ".")
    decimals = len(t.split(".", 1)[1]) if "." in t else 0
    value = float(t)
    return (value / 100, decimals + 2) if pct else (value, decimals)


def same(a: str, b: str) -> bool:
    """Two displays of one value: equal text, or numbers equal to the coarser display's precision."""
    if a == b:
        return True
    na, nb = _number(a), _number(b)
    if na is None or nb is None:
        return " ".join(a.split()) == " ".join(b.split())
    # each display is its value rounded to its own decimals: they agree if the two rounding intervals meet
    tol = 0.5 * 10 ** -na[1] + 0.5 * 10 ** -nb[1]
    return math.isclose(na[0], nb[0], abs_tol=tol * 1.001)


def _names_schools(label: str) -> bool:
    """A column of school names: «Школа», «Похожая по контексту школа», «Школа-партнёр» …"""
    low = label.lower()
    return (
        label in NAME_LABELS or bool(re.search(r"школа(-[а-яё]+)?$", low)) and not low.startswith("значение")
    )


def _rows_to_seen(header: list[str], rows: list[list[str]], source: str) -> tuple[list[Seen], bool]:
    """Observations of a table; the flag says it lists schools by name without their codes."""
    if CODE not in header:
        return [], any(_names_schools(h) for h in header) and not any(
            h.startswith("Код") for h in header
        ) and len(rows) > 0
    i_code = header.index(CODE)
    i_year = next((header.index(y) for y in YEAR_LABELS if y in header), None)
    keyed = [
        (r[i_code].strip(), r[i_year].strip() if i_year is not None else "")
        for r in rows
        if len(r) == len(header)
    ]
    if len(set(keyed)) < len(keyed):
        return [], False  # a long table (school × subject, × similar school …): not one row per school
    out = []
    for row, (code, year) in zip([r for r in rows if len(r) == len(header)], keyed, strict=True):
        if not code or code in MISSING:
            continue
        for j, label in enumerate(header):
            if j in (i_code, i_year) or not label:
                continue
            value = row[j].strip()
            if value not in MISSING:
                out.append(Seen(code, label, year, value, source))
    return out, False


def html_views(path: Path) -> tuple[list[Seen], list[str]]:
    """Observations from every table of an HTML page, and the captions of tables of schools without codes."""
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    seen, uncoded = [], []
    for k, tab in enumerate(soup.find_all("table")):
        trs = tab.find_all("tr")
        if not trs:
            continue
        header = [c.get_text(" ", strip=True) for c in trs[0].find_all(["th", "td"])]
        rows = [[c.get_text(" ", strip=True) for c in tr.find_all(["th", "td"])] for tr in trs[1:]]
        found, bad = _rows_to_seen(header, rows, f"{path.name}: таблица {k + 1}")
        seen += found
        if bad:
            cap = tab.find("caption")
            uncoded.append(f"{path.name}: {cap.get_text(strip=True) if cap else f'таблица {k + 1}'}")
    return seen, uncoded


def _cell(v: object, fmt: str) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "да" if v else "нет"
    if isinstance(v, float | int):
        m = re.search(r"0\.(0+)", fmt or "")
        if isinstance(v, float) and m and "%" not in fmt:
            return f"{v:.{len(m.group(1))}f}"
        if "%" in (fmt or ""):
            d = len(m.group(1)) if m else 0
            return f"{v * 100:.{d}f} %"
        return f"{v:.12f}" if isinstance(v, float) else str(v)
    return str(v)


def excel_views(path: Path) -> tuple[list[Seen], list[str]]:
    """Observations from every sheet of a workbook (the header is the first row holding «Код ОО»)."""
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    seen, uncoded = [], []
    for ws in wb.worksheets:
        grid = [[_cell(c.value, c.number_format) for c in row] for row in ws.iter_rows()]
        head_at = next((i for i, r in enumerate(grid[:6]) if CODE in r), None)
        if head_at is None:
            head_at = next((i for i, r in enumerate(grid[:6]) if any(_names_schools(h) for h in r)), None)
            if head_at is not None and len(grid) > head_at + 1:
                uncoded.append(f"{path.name}: лист «{ws.title}»")
            continue
        header = [h.strip() for h in grid[head_at]]
        found, _ = _rows_to_seen(header, grid[head_at + 1 :], f"{path.name}: лист «{ws.title}»")
        seen += found
    wb.close()
    return seen, uncoded


def batch_views(out_dir: Path) -> tuple[list[Seen], list[str]]:
    """Everything a reader sees about schools in a batch's HTML and Excel outputs."""
    seen, uncoded = [], []
    for p in sorted(out_dir.rglob("*.html")):
        if p.name.startswith("."):
            continue
        s, u = html_views(p)
        seen += s
        uncoded += u
    for p in sorted(out_dir.rglob("*.xlsx")):
        s, u = excel_views(p)
        seen += s
        uncoded += u
    return seen, uncoded


def conflicts(seen: list[Seen]) -> list[str]:
    """School × label × year with two different values, described with where each was seen."""
    groups: dict[tuple[str, str, str], list[Seen]] = {}
    for s in seen:
        groups.setdefault((s.school, s.label, s.year), []).append(s)
    out = []
    for (school, label, year), obs in sorted(groups.items()):
        first = obs[0]
        other = next((o for o in obs[1:] if not same(first.value, o.value)), None)
        if other is not None:
            out.append(
                f"{school} «{label}»{' ' + year if year else ''}: «{first.value}» ({first.source}) и "
                f"«{other.value}» ({other.source})"
            )
    return out
