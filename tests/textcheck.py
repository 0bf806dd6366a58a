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
