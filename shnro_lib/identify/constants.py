"""Names shared by the identification modules: categories, operators, tolerance."""

from __future__ import annotations

import numpy as np

CATEGORIES = ("ШНРО", "ШНСУ")
CATEGORY_VALUES = ("ШНРО", "ШНСУ", "ШНРО и ШНСУ", "зона риска", "нет")
METHODS = ("plain", "shrunken", "significant_and_bottom")
COMPARE = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal, "==": np.equal}
RANK_OPS = ("bottom_share", "top_share", "top_cumulative_share")
OPS = (*COMPARE, *RANK_OPS, "is_true")
OP_RU = {"<": "меньше", "<=": "не больше", ">": "больше", ">=": "не меньше", "==": "равно"}
INDEX_NAMES = ("social_wellbeing_index", "staff_index", "resources_index")
EPS = 1e-12


class RuleError(ValueError):
    """An invalid rule file; the message (in Russian) names the file and the key."""
