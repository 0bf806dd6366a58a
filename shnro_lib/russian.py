"""Russian words that agree with a number (babel's CLDR plural rules for «ru»)."""

from __future__ import annotations

from functools import cache


@cache
def _locale():
    from babel import Locale

    return Locale("ru")


def plural_ru(n: float, one: str, few: str, many: str) -> str:
    """The form of a word that agrees with ``n``: ``plural_ru(3, "школа", "школы", "школ") == "школы"``.

    Fractions take the «few» form (CLDR «other»: 1,5 школы).
    """
    form = _locale().plural_form(abs(n))
    return {"one": one, "few": few, "other": few}.get(form, many)


def years_ru(n: int) -> str:
    """«1 год», «3 года», «5 лет»."""
    return f"{int(n)} {plural_ru(int(n), 'год', 'года', 'лет')}"
