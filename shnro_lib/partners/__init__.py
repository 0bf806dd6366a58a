"""Network partnerships: pair every ШНРО with a leader school by optimal assignment.

Leaders are schools that are not identified themselves and whose context-adjusted results
(residual = actual − expected result) are high in the current and the previous year(s).
Each ШНРО gets one leader; a leader takes at most ``capacity`` schools; ШНСУ without low results
are offered the places left. The pairing minimises a cost of context distance, result gap, km and
municipality (``parameters/partners.yaml``), solved exactly by
:func:`scipy.optimize.linear_sum_assignment`.

Modules: :mod:`.settings` (the settings and their loader), :mod:`.geometry` (distances),
:mod:`.assignment` (the capacitated assignment), :mod:`.leaders` (who leads), :mod:`.pairing`
(cost matrix, rounds, the list), :mod:`.texts` (the Russian reasons), :mod:`.method` (the method
annex), :mod:`.dataset` (the list of a data set).
"""

from __future__ import annotations

from .assignment import optimal_assignment
from .dataset import partner_pairs, partner_result
from .geometry import EARTH_RADIUS_KM, fill_coordinates, haversine_km, scattered_localities
from .leaders import select_leaders
from .method import COLUMN_LABELS_RU, partners_method_ru
from .pairing import PartnerResult, pair_schools
from .settings import PartnersSettings, load_partners_config

__all__ = [
    "COLUMN_LABELS_RU",
    "EARTH_RADIUS_KM",
    "PartnerResult",
    "PartnersSettings",
    "fill_coordinates",
    "haversine_km",
    "load_partners_config",
    "optimal_assignment",
    "pair_schools",
    "partner_pairs",
    "partner_result",
    "partners_method_ru",
    "scattered_localities",
    "select_leaders",
]
