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
from typing import Any, Literal

from shnro_lib.config import load_yaml, parameters_dir
from shnro_lib.settings import SettingsError, StrictSettings, parse_settings

# the metric vocabulary a recipe maps headers onto (see derive.py for what each becomes)
METRICS = (
    "participants",
    "mean_score",
    "count_low",
    "count_high",
    "count_2",
    "count_3",
    "count_4",
    "count_5",
    "share_2",
    "share_3",
    "share_4",
    "share_5",
)

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


Texts = list[str | int | float]


class _Columns(StrictSettings):
    name: Texts
    municipality: Texts = []
    code: Texts = []
    ignore: Texts = []


class _Detect(StrictSettings):
    all: Texts = []
    any: Texts = []


class _MaxScore(StrictSettings):
    default: float | None = None
    subjects: dict[str, float] = {}


class _CodeInName(StrictSettings):
    pattern: str
    strip_prefix: str = ""


class RecipeFile(StrictSettings):
    """The keys of a recipe file (unknown keys are errors naming the key)."""

    name: str
    title_ru: str | None = None
    procedure: str
    grade: int | None = None
    detect: _Detect = _Detect()
    columns: _Columns
    group_levels: Texts = []
    metrics: dict[Literal[METRICS], Texts]  # type: ignore[valid-type]
    max_score: _MaxScore = _MaxScore()
    subjects: dict[str, str] = {}
    code_in_name: _CodeInName | None = None
    grade_pattern: str | None = None
    max_pattern: str | None = None
    shares_percent: bool = True
    sum_tolerance_pp: float = 1.0


def _fail(source: str, message: str) -> RecipeError:
    return RecipeError(f"Рецепт {source}: {message}")


def _keys(val: Texts) -> tuple[str, ...]:
    return tuple(header_key(v) for v in val)


def _detect(val: Texts) -> tuple[str, ...]:
    """Detect entries: metric names stay as they are, header texts are normalised."""
    return tuple(str(v) if str(v) in METRICS else header_key(v) for v in val)


def parse_recipe(data: Any, source: str) -> Recipe:
    """Validate a recipe mapping (read from YAML) and build a :class:`Recipe`."""
    if not isinstance(data, dict):
        raise _fail(source, "ожидается словарь ключей (name, procedure, columns, metrics…)")
    try:
        f = parse_settings(RecipeFile, data, source)
    except SettingsError as exc:
        raise RecipeError(f"Рецепт {exc}") from None
    metrics = {h: m for m, headers in f.metrics.items() for h in _keys(headers)}
    if "participants" not in metrics.values():
        raise _fail(source, "в «metrics» нужен показатель participants (число участников)")
    patterns = {
        "grade_pattern": f.grade_pattern,
        "max_pattern": f.max_pattern,
        "code_in_name.pattern": f.code_in_name.pattern if f.code_in_name else None,
    }
    for key, pat in patterns.items():
        if pat:
            try:
                re.compile(pat)
            except re.error as exc:
                raise _fail(source, f"«{key}» — не регулярное выражение ({exc.msg})") from None
    if f.grade is None and not f.grade_pattern:
        raise _fail(
            source, "нужен «grade» (класс) или «grade_pattern» (как найти класс в заголовке предмета)"
        )
    return Recipe(
        name=f.name,
        title_ru=f.title_ru or f.name,
        procedure=f.procedure,
        source=source,
        grade=f.grade,
        detect_all=_detect(f.detect.all),
        detect_any=_detect(f.detect.any),
        columns={k: _keys(getattr(f.columns, k)) for k in ("name", "municipality", "code", "ignore")},
        group_levels=_keys(f.group_levels),
        metrics=metrics,
        max_default=f.max_score.default,
        max_subjects=dict(f.max_score.subjects),
        subjects={header_key(k): v for k, v in f.subjects.items()},
        code_pattern=f.code_in_name.pattern if f.code_in_name else None,
        code_strip_prefix=f.code_in_name.strip_prefix if f.code_in_name else "",
        grade_pattern=f.grade_pattern,
        max_pattern=f.max_pattern,
        shares_percent=f.shares_percent,
        sum_tolerance_pp=f.sum_tolerance_pp,
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
