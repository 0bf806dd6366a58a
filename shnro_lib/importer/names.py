"""The one normalisation of school names used for matching export rows to ``schools``.

Registry names and the names in a received export differ in ways that do not
change the school: quotes, case, ё/е, spacing, «№ 2» / «№2», the legal form
(«МОУ», «МБОУ», «муниципальное бюджетное общеобразовательное учреждение»…) and
the long or short form of the school type («средняя общеобразовательная
школа» ↔ «СОШ»).  :func:`normalise_name` maps all of these to one key; two
names with the same key are treated as the same name (never as the same school
when several schools share the key — that is an ambiguity for review).
"""

from __future__ import annotations

import re

_SPACES = ("\u00a0", "\u202f", "\u2007", "\u2009", "\ufeff", "\t", "\r", "\n")

# long forms of school types -> their usual abbreviations (applied after quotes are removed)
_LONG_FORMS: tuple[tuple[str, str], ...] = (
    (r"средн\w* общеобразовательн\w* школ\w*", "сош"),
    (r"основн\w* общеобразовательн\w* школ\w*", "оош"),
    (r"начальн\w* общеобразовательн\w* школ\w*", "нош"),
    (r"с углубленн\w* изучени\w* отдельн\w* предмет\w*", "с уиоп"),
    (r"с углубленн\w* изучени\w* предмет\w*", "с уиоп"),
    (r"центр\w* образовани\w*", "цо"),
    (r"имени\b|\bим\b", "им"),
)
# the legal form says who founded and funds the school, not which school it is: dropped
_LEGAL_FORM = re.compile(
    r"\b(?:(?:муниципальн\w*|государственн\w*|частн\w*|негосударственн\w*|федеральн\w*|областн\w*)\s+)+"
    r"(?:(?:бюджетн\w*|автономн\w*|казенн\w*)\s+)?"
    r"(?:обще)?образовательн\w* учреждени\w*"
    r"|\b(?:ф?г|м|ч|н|г|а)?[бак]?оу\b"
)
# «ГБОУ ЛО», «ГБОУ СПб»: the region's short name right after the legal form
_REGION_SUFFIX = re.compile(r"^(?:ло|спб)\b")
_NUMBER = re.compile(r"(?:№|\bn|\bномер)\s*0*(\d+)")
_PUNCT = re.compile(r"[^\w№]+")


def normalise_name(text: object) -> str:
    """The matching key of a school name.

    >>> normalise_name('МОУ «Лесное средняя общеобразовательная школа №1»')
    'лесное сош №1'
    >>> normalise_name('Муниципальное бюджетное общеобразовательное учреждение "Лесное СОШ № 1"')
    'лесное сош №1'
    >>> normalise_name("ГБОУ ЛО «Пикалёво школа-интернат»")
    'пикалево школа интернат'
    """
    if text is None:
        return ""
    s = str(text)
    for ch in _SPACES:
        s = s.replace(ch, " ")
    s = s.casefold().replace("ё", "е")
    s = _PUNCT.sub(" ", s)
    s = " ".join(s.split())
    s = _LEGAL_FORM.sub(" ", s)
    s = " ".join(s.split())
    s = _REGION_SUFFIX.sub(" ", s)
    for pattern, short in _LONG_FORMS:
        s = re.sub(pattern, short, s)
    s = _NUMBER.sub(lambda m: f" №{m.group(1)} ", s)
    return " ".join(s.split())


def normalise_municipality(text: object) -> str:
    """The matching key of a municipality (case, ё, quotes and the words «муниципальный», «район» ignored).

    >>> normalise_municipality("Бокситогорский муниципальный район")
    'бокситогорский'
    >>> normalise_municipality("Бокситогорский р-н")
    'бокситогорский'
    """
    from shnro_lib.io.checks import spelling_key

    if text is None:
        return ""
    s = str(text)
    for ch in _SPACES:
        s = s.replace(ch, " ")
    return spelling_key(s)
