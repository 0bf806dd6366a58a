"""Python text where a user looks: one checker for the console, HTML text nodes, Excel cells, CSV headers.

``python_text(text)`` returns the offending fragments (empty when the text is clean): tracebacks,
``File "…"`` frames, English exception names and ``Error:``/``Warning:`` prefixes, snake_case
identifiers.  A snake_case name is allowed where a user needs it verbatim: in a path or file name,
and in parentheses, quotes «…» or backticks (a column of the input file named after its Russian title),
and the names a user types (:func:`user_names`: columns of the data contract, rule sets, criteria).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

_PATTERNS = [
    re.compile(r"Traceback \(most recent call last\)"),
    re.compile(r'File "[^"]+"'),
    re.compile(r"\b[A-Z][A-Za-z]*(?:Error|Exception|Warning)\b"),
    re.compile(r"\b(?:Error|Warning|Exception):"),
    re.compile(r"\bshnro_lib\.[a-z_.]+"),
]
_SNAKE = re.compile(r"(?<![\w/\\.\-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/\\.\-])")
_ALLOWED_AROUND = [("(", ")"), ("«", "»"), ("`", "`"), ("'", "'"), ('"', '"')]


def _quoted(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] sits inside one of the allowed brackets on its line."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    before, after = text[line_start:start], text[end:line_end]
    for left, right in _ALLOWED_AROUND:
        if left == right:
            if before.count(left) % 2 == 1 and right in after:
                return True
        elif before.rfind(left) > before.rfind(right) and right in after:
            return True
    return False


@functools.cache
def user_names() -> frozenset[str]:
    """Identifiers a user writes himself, so may read: the data contract's columns (his files), the
    rule sets (``--rules``) and their criteria (``--config``)."""
    import yaml

    from shnro_lib.schema import TABLES

    names = {c.name for t in TABLES.values() for c in t.columns}
    for f in (Path(__file__).parents[1] / "shnro_lib" / "parameters" / "criteria").glob("*.yaml"):
        names.add(f.stem)
        names.update((yaml.safe_load(f.read_text(encoding="utf-8")) or {}).get("criteria") or {})
    return frozenset(names)


def python_text(text: str, strict_names: bool = True) -> list[str]:
    """The fragments of ``text`` that are Python, not Russian text for a user (``strict_names=False``:
    tracebacks and exception names only, snake_case identifiers not looked for)."""
    found = [m.group(0) for p in _PATTERNS for m in p.finditer(text)]
    if not strict_names:
        return found
    allowed = user_names()
    for m in _SNAKE.finditer(text):
        if m.group(0) not in allowed and not _quoted(text, m.start(), m.end()):
            found.append(m.group(0))
    return found


def html_text(path: Path) -> str:
    """The visible text nodes of an HTML file (scripts, styles and tags left out)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(Path(path).read_text(encoding="utf-8"), "html.parser")
    for tag in soup(["script", "style"]):
        tag.decompose()
    return soup.get_text("\n")


def excel_text(path: Path) -> str:
    """Every sheet name and cell of a workbook, one a line."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    lines = []
    for ws in wb.worksheets:
        lines.append(ws.title)
        for row in ws.iter_rows(values_only=True):
            lines.extend(str(v) for v in row if isinstance(v, str))
    wb.close()
    return "\n".join(lines)


def csv_header(path: Path) -> str:
    """The header line of a CSV file (its column names, a user reads them)."""
    with open(path, encoding="utf-8-sig") as fh:
        return fh.readline()


def file_text(path: Path) -> str:
    """The text a user reads in an output file, by its kind."""
    path = Path(path)
    if path.suffix == ".html":
        return html_text(path)
    if path.suffix == ".xlsx":
        return excel_text(path)
    if path.suffix == ".csv":
        return csv_header(path)
    raise ValueError(f"unknown output kind: {path}")


# What reads wrong in Russian text for a reader (issue 24 «Russian that reads right»): kind -> pattern.
_READER_PATTERNS: dict[str, re.Pattern] = {
    "имя файла": re.compile(r"[\w./\\-]+\.(?:ya?ml|py|ipynb|json)\b"),
    "nan/None/inf": re.compile(r"(?<![\w-])(?:nan|NaN|None|inf|-inf|NaT|<NA>)(?![\w-])"),
    # a year written as a number: «2 022 г.», «в 2 023 году», «Год включения 2 022» (a table column: below)
    "год с разделителем": re.compile(
        r"(?:[Гг]од\w*|\b[вс]|\bпо|\bдо)\s+(?:1[\u00a0\u202f ]9|2[\u00a0\u202f ]0)\d{2}(?![\d,])"
        r"|(?<![\d,])(?<!\d[\u00a0\u202f ])(?:1[\u00a0\u202f ]9|2[\u00a0\u202f ]0)\d{2}"
        r"(?=\s*(?:г\.|год|гг\.))"
    ),
    "«(ы)»": re.compile(r"\w\((?:ы|а|и|ов|ей|ах|ям)\)"),
    "дефис вместо минуса": re.compile(r"(?<![\w\-–—−/.:])-\d"),
    "ИСТИНА/ЛОЖЬ": re.compile(r"^(?:TRUE|FALSE|True|False|ИСТИНА|ЛОЖЬ)$", re.MULTILINE),
}


def reader_problems(text: str) -> dict[str, list[str]]:
    """What a reader must not see in ``text``, by kind: identifiers (snake_case, Python text),
    file names, «nan»/«None»/«inf», years with a thousands separator, «(ы)», a hyphen as minus,
    Python booleans.  Empty when the text reads right."""
    found: dict[str, list[str]] = {}
    ids = python_text(text)
    if ids:
        found["идентификатор"] = ids
    for kind, pattern in _READER_PATTERNS.items():
        hits = [m.group(0) for m in pattern.finditer(text)]
        if hits:
            found[kind] = hits
    return found


_SEPARATED_YEAR = re.compile(r"^\s*[12][\u00a0\u202f ]\d{3}\s*$")


def html_year_cells(path: Path) -> list[str]:
    """Cells of an HTML table column headed by a year («Год», «Год включения», «Впервые в списке»)
    that show the year with a thousands separator («2 022»)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(Path(path).read_text(encoding="utf-8"), "html.parser")
    bad = []
    for tab in soup.find_all("table"):
        head = [th.get_text(" ", strip=True) for th in tab.find_all("th")]
        cols = [
            j for j, h in enumerate(head) if re.search(r"(^|\s)год\b|^год|впервые|год включения", h.lower())
        ]
        if not cols:
            continue
        for tr in tab.find_all("tr"):
            cells = tr.find_all("td")
            for j in cols:
                if j < len(cells) and _SEPARATED_YEAR.match(cells[j].get_text()):
                    bad.append(f"{head[j]}: {cells[j].get_text().strip()}")
    return bad


def excel_cells(path: Path) -> tuple[str, list[str]]:
    """Every text cell of a workbook (one a line) and the problems of its cells' form: a number
    without a number format (16 digits) and a boolean cell (TRUE/FALSE)."""
    import openpyxl

    wb = openpyxl.load_workbook(path, data_only=True)
    lines, bad = [], []
    for ws in wb.worksheets:
        lines.append(ws.title)
        for row in ws.iter_rows():
            for c in row:
                v = c.value
                if isinstance(v, bool):
                    bad.append(f"{ws.title}!{c.coordinate}: логическое значение {v}")
                elif isinstance(v, float) and c.number_format == "General" and v != round(v, 3):
                    bad.append(f"{ws.title}!{c.coordinate}: число без формата {v!r}")
                elif isinstance(v, str):
                    lines.append(v)
    wb.close()
    return "\n".join(lines), bad


def scan_outputs(files: list[Path]) -> dict[str, list[str]]:
    """:func:`reader_problems` of every HTML text node, Excel cell and CSV header of ``files``:
    file name -> «kind: fragment» lines (Excel cells also checked for formats and booleans)."""
    out: dict[str, list[str]] = {}
    for f in files:
        f = Path(f)
        if f.suffix == ".xlsx":
            text, bad = excel_cells(f)
        elif f.suffix == ".html":
            text, bad = file_text(f), [f"год с разделителем: {c}" for c in html_year_cells(f)]
        else:
            text, bad = file_text(f), []
        bad = bad + [f"{kind}: {frag}" for kind, frags in reader_problems(text).items() for frag in frags]
        if bad:
            out[str(f)] = bad
    return out
