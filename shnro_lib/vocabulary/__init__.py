"""The vocabulary of quantities a reader sees (``quantities.yaml``): one id, one Russian name.

Every view takes a quantity's header from here, so two different quantities never share a name
and one quantity never appears under two.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict

VOCABULARY_FILE = Path(__file__).with_name("quantities.yaml")


class Quantity(BaseModel):
    """One quantity: its Russian name (a ``str.format`` template where it depends on a setting)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    unit: str
    format: Literal["index", "share", "number2", "int", "text", "probability"]
    direction: Literal["higher_better", "lower_better", "none"]
    definition: str
    annex: str


@cache
def vocabulary() -> dict[str, Quantity]:
    """Every quantity by id, read and validated once (the file ships with the package)."""
    raw = yaml.safe_load(VOCABULARY_FILE.read_text(encoding="utf-8"))
    return {qid: Quantity(**spec) for qid, spec in raw.items()}


def name_ru(quantity_id: str, **values: object) -> str:
    """The Russian name of ``quantity_id``, its template filled with ``values`` (e.g. ``share=12``)."""
    template = vocabulary()[quantity_id].name
    return template.format(**values) if values else template


def labels_ru() -> dict[str, str]:
    """``{id: Russian name}`` for the quantities whose name needs no setting."""
    return {qid: q.name for qid, q in vocabulary().items() if "{" not in q.name}
