"""Network partnerships: pair every ШНРО with a leader school by optimal assignment."""

from __future__ import annotations

from shnro_lib.partners.pairing import (
    COLUMN_LABELS_RU,
    PartnerResult,
    fill_coordinates,
    haversine_km,
    load_partners_config,
    optimal_assignment,
    pair_schools,
    partner_pairs,
    partner_result,
    partners_method_ru,
    select_leaders,
)

__all__ = [
    "COLUMN_LABELS_RU",
    "PartnerResult",
    "fill_coordinates",
    "haversine_km",
    "load_partners_config",
    "optimal_assignment",
    "pair_schools",
    "partner_pairs",
    "partner_result",
    "partners_method_ru",
    "select_leaders",
]
