"""Reader prose kept in Markdown/Jinja template files beside each module, rendered with the values only.

A module's texts live in ``<package>/templates/*.md.j2`` (package data, read through
:mod:`importlib.resources`, so an installed package has them too). Python passes values — settings and
numbers already formatted in Russian — and the template holds every word; ``StrictUndefined`` makes a
missing value fail loudly instead of printing nothing.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from jinja2 import Environment, StrictUndefined, Template

_ENV = Environment(
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
    autoescape=False,  # Markdown; the report escapes it when it renders the page
)


@cache
def _template(package: str, name: str) -> Template:
    source = resources.files(package).joinpath("templates", name).read_text(encoding="utf-8")
    return _ENV.from_string(source)


def render_prose(package: str, name: str, **values: Any) -> str:
    """Render the template ``name`` of ``package``'s ``templates/`` folder with ``values``.

    Parameters
    ----------
    package : str
        The package holding the template folder, e.g. ``"shnro_lib.costs"``.
    name : str
        The file name inside ``templates/``, e.g. ``"method.md.j2"``.
    **values
        The template's variables (conventionally ``settings`` and ``computed``).

    Returns
    -------
    str
        The rendered Markdown.

    Raises
    ------
    jinja2.UndefinedError
        When the template uses a value that was not passed.
    """
    return _template(package, name).render(**values)
