"""Recipes: the YAML description of one wide export shape (``parameters/import/*.yaml``).

A recipe is a format choice, not a method choice: which header texts name the
fixed columns (municipality, school name, code), which header levels only group
subjects, what each metric header means, how the grade and the scale's maximum
are found, and how subject names are spelt canonically.  Unknown keys are an
error naming the key, so a typo in a user's recipe is not silently ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shnro_lib.config import load_yaml, parameters_dir

# the metric vocabulary a recipe maps headers onto (see derive.py for what each becomes)
METRICS = ("participants", "mean_score", "count_low", "count_high", "count_2", "count_3", "count_4",
           "count_5", "share_2", "share_3", "share_4", "share_5")
_KEYS = {"name", "title_ru", "procedure", "grade", "detect", "columns", "group_levels", "metrics",
         "max_score", "subjects", "code_in_name", "grade_pattern", "max_pattern", "shares_percent",
         "sum_tolerance_pp"}
_COLUMN_KEYS = {"municipality", "name", "code", "ignore"}

_QUOTES = str.maketrans({c: " " for c in "«»\"'„“”‘’`"})
_DASHES = str.maketrans({c: "-" for c in "–—−‐"})
# units written after a header: «Русский язык, чел.», «2, %», «Приняли участие (чел.)»
_UNIT_SUFFIX = re.compile(r"[\s,]*(?:\(\s*(?:чел|%)\.?\s*\)|чел\.?|%)\s*$")


class RecipeError(ValueError):
    """A recipe file that cannot be used; the message is in Russian and names the file and key."""


def header_key(text: object) -> str:
    """Normalised header text: case, ё, quotes, dashes, spaces and a trailing unit («, чел.», «%») ignored.

    >>> header_key("Русский язык, чел.")
    'русский язык'
    >>> header_key("80—99  баллов")
    '80-99 баллов'
    >>> header_key("Отметка «2», %")
    'отметка 2'
    """
    if text is None:
        return ""
    s = str(text)
    for ch in ("\u00a0", "\u202f", "\u2009", "\n", "\r", "\t"):
        s = s.replace(ch, " ")
    s = s.casefold().replace("ё", "е").translate(_QUOTES).translate(_DASHES)
    s = " ".join(s.split())
    prev = None
    while prev != s:
        prev, s = s, _UNIT_SUFFIX.sub("", s).strip()
    return s


@dataclass(frozen=True)
class Recipe:
    """One shape, as read from its YAML file."""

    name: str
    title_ru: str
    procedure: str
    source: str
    grade: int | None = None
    detect_all: tuple[str, ...] = ()
    detect_any: tuple[str, ...] = ()
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    group_levels: tuple[str, ...] = ()
    metrics: dict[str, str] = field(default_factory=dict)  # header_key -> metric
    max_default: float | None = None
    max_subjects: dict[str, float] = field(default_factory=dict)
    subjects: dict[str, str] = field(default_factory=dict)  # header_key -> canonical subject
    code_pattern: str | None = None
    code_strip_prefix: str = ""
    grade_pattern: str | None = None
    max_pattern: str | None = None
    shares_percent: bool = True
    sum_tolerance_pp: float = 1.0

    def column_role(self, text: object) -> str | None:
        """``municipality`` / ``name`` / ``code`` / ``ignore`` for a fixed-column header, else None."""
        key = header_key(text)
        for role in ("municipality", "name", "code", "ignore"):
            if key in self.columns.get(role, ()):
                return role
        return None

    def subject_name(self, text: str) -> str:
        """Canonical subject name for a subject header (already stripped of grade and units)."""
        key = header_key(text)
        return self.subjects.get(key, " ".join(str(text).split()))

    def max_score_for(self, subject: str) -> float | None:
        return self.max_subjects.get(subject, self.max_default)


def _fail(source: str, message: str) -> RecipeError:
    return RecipeError(f"Рецепт {source}: {message}")


def _detect(val: Any, source: str, key: str) -> tuple[str, ...]:
    """Detect entries: metric names stay as they are, header texts are normalised."""
    texts = _texts(val, source, key)
    raw = [val] if isinstance(val, str) else list(val or [])
    return tuple(str(r) if str(r) in METRICS else t for r, t in zip(raw, texts, strict=True))


def _texts(val: Any, source: str, key: str) -> tuple[str, ...]:
    if val is None:
        return ()
    if isinstance(val, (str, int, float)):
        val = [val]
    if not isinstance(val, list):
        raise _fail(source, f"ключ «{key}» должен быть списком текстов")
    return tuple(header_key(v) for v in val)


def parse_recipe(data: Any, source: str) -> Recipe:
    """Validate a recipe mapping (read from YAML) and build a :class:`Recipe`."""
    if not isinstance(data, dict):
        raise _fail(source, "ожидается словарь ключей (name, procedure, columns, metrics…)")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise _fail(source, f"неизвестный ключ «{unknown[0]}» (допустимы: {', '.join(sorted(_KEYS))})")
    for key in ("name", "procedure", "columns", "metrics"):
        if not data.get(key):
            raise _fail(source, f"нет обязательного ключа «{key}»")
    cols = data["columns"]
    if not isinstance(cols, dict) or "name" not in cols:
        raise _fail(source, "в «columns» нужен хотя бы столбец «name» (наименование ОО)")
    bad_cols = sorted(set(cols) - _COLUMN_KEYS)
    if bad_cols:
        raise _fail(source, f"неизвестный ключ «columns.{bad_cols[0]}» (допустимы: {', '.join(sorted(_COLUMN_KEYS))})")
    metrics: dict[str, str] = {}
    if not isinstance(data["metrics"], dict):
        raise _fail(source, "«metrics» должен быть словарём «показатель: [заголовки]»")
    for metric, headers in data["metrics"].items():
        if metric not in METRICS:
            raise _fail(source, f"неизвестный показатель «metrics.{metric}» (допустимы: {', '.join(METRICS)})")
        for h in _texts(headers, source, f"metrics.{metric}"):
            metrics[h] = metric
    if "participants" not in metrics.values():
        raise _fail(source, "в «metrics» нужен показатель participants (число участников)")
    mx = data.get("max_score") or {}
    if not isinstance(mx, dict) or set(mx) - {"default", "subjects"}:
        raise _fail(source, "«max_score» — словарь с ключами default и subjects")
    code = data.get("code_in_name") or {}
    if code and (not isinstance(code, dict) or set(code) - {"pattern", "strip_prefix"} or "pattern" not in code):
        raise _fail(source, "«code_in_name» — словарь с ключами pattern и strip_prefix")
    for key in ("grade_pattern", "max_pattern"):
        if data.get(key):
            try:
                re.compile(str(data[key]))
            except re.error as exc:
                raise _fail(source, f"«{key}» — не регулярное выражение ({exc.msg})") from None
    detect = data.get("detect") or {}
    if not isinstance(detect, dict) or set(detect) - {"all", "any"}:
        raise _fail(source, "«detect» — словарь с ключами all и any")
    grade = data.get("grade")
    if grade is None and not data.get("grade_pattern"):
        raise _fail(source, "нужен «grade» (класс) или «grade_pattern» (как найти класс в заголовке предмета)")
    return Recipe(
        name=str(data["name"]), title_ru=str(data.get("title_ru", data["name"])),
        procedure=str(data["procedure"]), source=source,
        grade=int(grade) if grade is not None else None,
        detect_all=_detect(detect.get("all"), source, "detect.all"),
        detect_any=_detect(detect.get("any"), source, "detect.any"),
        columns={k: _texts(v, source, f"columns.{k}") for k, v in cols.items()},
        group_levels=_texts(data.get("group_levels"), source, "group_levels"),
        metrics=metrics,
        max_default=float(mx["default"]) if mx.get("default") is not None else None,
        max_subjects={str(k): float(v) for k, v in (mx.get("subjects") or {}).items()},
        subjects={header_key(k): str(v) for k, v in (data.get("subjects") or {}).items()},
        code_pattern=str(code["pattern"]) if code else None,
        code_strip_prefix=str(code.get("strip_prefix") or "") if code else "",
        grade_pattern=str(data["grade_pattern"]) if data.get("grade_pattern") else None,
        max_pattern=str(data["max_pattern"]) if data.get("max_pattern") else None,
        shares_percent=bool(data.get("shares_percent", True)),
        sum_tolerance_pp=float(data.get("sum_tolerance_pp", 1.0)),
    )


def load_recipe(path: str | Path) -> Recipe:
    """Read and validate one recipe file."""
    p = Path(path)
    try:
        data = load_yaml(p)
    except (FileNotFoundError, ValueError) as exc:
        raise RecipeError(str(exc)) from None
    return parse_recipe(data, p.name)


def builtin_recipes() -> list[Recipe]:
    """The recipes shipped in ``parameters/import/``, sorted by file name (``_*.yaml`` are settings)."""
    folder = parameters_dir() / "import"
    return [load_recipe(p) for p in sorted(folder.glob("*.yaml")) if not p.name.startswith("_")]
