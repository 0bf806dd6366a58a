"""Identification of ШНРО (low results) and ШНСУ (unfavourable social conditions).

The criteria, thresholds, windows and category logic live in rule files
``parameters/criteria/<name>.yaml`` (see ``lo_2018.yaml`` for the commented
reference); the composite indices in ``parameters/indices.yaml``.

    >>> from shnro_lib.identify import identify_schools
    >>> table = identify_schools(ds, 2024, rules="lo_2018")

Missing data never make a criterion fire: the criterion is left ``NA`` (not
evaluable) and the explanation says so.
"""

from shnro_lib.identify.changes import identification_changes
from shnro_lib.identify.classify import identify_schools
from shnro_lib.identify.constants import CATEGORIES, CATEGORY_VALUES, INDEX_NAMES, METHODS, OPS, RuleError
from shnro_lib.identify.criteria import evaluate_criterion
from shnro_lib.identify.explain import COLUMN_LABELS_RU, column_labels_ru, criteria_table_ru
from shnro_lib.identify.method import identification_method_ru
from shnro_lib.identify.rules import available_rules, load_rules, rules_path, validate_rules
from shnro_lib.identify.sources import INDICATORS

__all__ = [
    "CATEGORIES", "CATEGORY_VALUES", "COLUMN_LABELS_RU", "INDEX_NAMES", "INDICATORS", "METHODS", "OPS", "RuleError",
    "available_rules", "column_labels_ru", "criteria_table_ru", "evaluate_criterion", "identification_changes",
    "identification_method_ru", "identify_schools", "load_rules", "rules_path", "validate_rules",
]
