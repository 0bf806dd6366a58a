"""Facts about a data set (``dataset.yaml``): what belongs to the data, not to the method.

The region's name, whether the data are synthetic, how each programme cohort was selected,
the region's monitoring targets and any region-specific thresholds travel with the data folder;
``parameters/`` holds method choices only.  Every key is validated: an unknown or misspelt key
is an error naming the file and the key.  Where a fact is absent the analyses say what they
assumed (``None`` here means «not stated by the data set»).

    >>> facts = parse_facts({"name": "Регион", "programme": {"cohorts": {2022: {"selection_years": [2021]}}}})
    >>> facts.programme.cohorts[2022].selection_years
    [2021]
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CohortSelection(_Strict):
    """How one cohort (first year of support) was chosen.

    ``selection_years`` — the years whose results chose it; ``index`` — the index of the rule
    (``result_index``: participant-weighted mean z over the selection years); ``bottom_share`` —
    the share of eligible schools selected from the bottom, or ``cutoff`` — the index value at or
    below which schools were selected; ``procedures`` — the procedures the index used (None: all).
    """

    selection_years: list[int] = Field(min_length=1)
    index: str | None = None
    bottom_share: float | None = Field(default=None, gt=0, lt=1)
    cutoff: float | None = None
    procedures: list[str] | None = None
    note: str | None = None


class ProgrammeFacts(_Strict):
    """The support programme's design as the region documented it."""

    name: str | None = None
    cohorts: dict[int, CohortSelection] = Field(default_factory=dict)


class TargetTrajectory(_Strict):
    """A monitoring target: ``{year: value}`` points (linear between them) and a tolerance."""

    trajectory: dict[int, float]
    tolerance: float | None = None


class MonitoringFacts(_Strict):
    """The region's own monitoring targets (from the programme's passport)."""

    targets: dict[str, TargetTrajectory] = Field(default_factory=dict)
    by_municipality: dict[str, dict[str, TargetTrajectory]] = Field(default_factory=dict)


class DatasetFacts(_Strict):
    """The validated content of ``dataset.yaml`` (every key optional)."""

    name: str | None = None
    region: str | None = None
    synthetic: bool = False
    note: str | None = None
    generator: str | None = None
    programme: ProgrammeFacts | None = None
    monitoring: MonitoringFacts | None = None
    thresholds: dict[str, float] = Field(default_factory=dict)
    # the currency of money columns (spending_per_pupil, cost_rub): a code (RUB, USD, EUR) or a
    # Russian label («долл. США»); None: roubles
    currency: str | None = Field(default=None, min_length=1)

    @property
    def currency_ru(self) -> str:
        """The currency's short Russian label (``руб.`` when the data set does not name one)."""
        return currency_label(self.currency)

    @field_validator("name", "region", "note", "generator", "currency", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return None if v is None else str(v)


_CURRENCY_RU = {
    "RUB": "руб.",
    "RUR": "руб.",
    "USD": "долл. США",
    "EUR": "евро",
    "GBP": "фунтов стерлингов",
    "KZT": "тенге",
    "BYN": "бел. руб.",
    "CNY": "юаней",
}


def currency_label(currency: str | None) -> str:
    """The short Russian label of a currency: a known ISO code is translated, a label is kept.

    >>> currency_label(None), currency_label("usd"), currency_label("долл. США")
    ('руб.', 'долл. США', 'долл. США')
    """
    if currency is None or not str(currency).strip():
        return "руб."
    text = str(currency).strip()
    return _CURRENCY_RU.get(text.upper(), text)


_ERROR_RU = {
    "extra_forbidden": "неизвестный ключ",
    "missing": "обязательный ключ отсутствует",
    "int_parsing": "ожидалось целое число (год)",
    "float_parsing": "ожидалось число",
    "bool_parsing": "ожидалось true или false",
    "greater_than": "значение должно быть больше нуля",
    "less_than": "значение должно быть меньше единицы",
    "too_short": "список не должен быть пустым",
}


def facts_errors_ru(exc: ValidationError) -> list[str]:
    """Russian messages, one per problem, each naming the key path in ``dataset.yaml``."""
    out = []
    for err in exc.errors():
        path = ".".join(str(p) for p in err.get("loc", ()))
        what = _ERROR_RU.get(err.get("type", ""), "недопустимое значение")
        out.append(
            f"dataset.yaml: {what}: «{path}»"
            + (
                f" (значение {err['input']!r})"
                if err.get("type") != "extra_forbidden" and not isinstance(err.get("input"), dict)
                else ""
            )
        )
    return sorted(out)


def parse_facts(raw: dict[str, Any] | None) -> DatasetFacts:
    """Validate a parsed ``dataset.yaml``; raises :class:`pydantic.ValidationError`."""
    return DatasetFacts.model_validate(raw or {})
