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
from shnro_lib.identify.classify import (
    LISTED,
    NOT_ASSESSED,
    identify_each_year,
    identify_schools,
)
from shnro_lib.identify.constants import CATEGORIES, CATEGORY_VALUES, INDEX_NAMES, METHODS, OPS, RuleError
from shnro_lib.identify.criteria import evaluate_criterion
from shnro_lib.identify.explain import (
    COLUMN_LABELS_RU,
    column_labels_ru,
    criteria_matrix_ru,
    criteria_table_ru,
    school_sentence,
)
from shnro_lib.identify.method import identification_method_ru
from shnro_lib.identify.models import IndicesSettings, RuleSettings, load_indices, read_config
from shnro_lib.identify.risk_inputs import index_decline
from shnro_lib.identify.rules import available_rules, load_rules, rules_path, validate_rules
from shnro_lib.identify.sensitivity import (
    rule_set_kappa,
    rule_variants,
    sensitivity_runs,
    sensitivity_section_content,
    sensitivity_sentences,
    sensitivity_table,
    stability_section_content,
)
from shnro_lib.identify.sources import INDICATORS
from shnro_lib.identify.stability import (
    flip_rate,
    identification_panel,
    persistence_tradeoff,
    persistent_panel,
)
from shnro_lib.identify.summary import (
    category_sizes,
    criteria_coverage,
    identification_headline,
    unassessed_of,
)

__all__ = [
    "CATEGORIES",
    "CATEGORY_VALUES",
    "COLUMN_LABELS_RU",
    "INDEX_NAMES",
    "INDICATORS",
    "LISTED",
    "METHODS",
    "NOT_ASSESSED",
    "OPS",
    "IndicesSettings",
    "RuleError",
    "RuleSettings",
    "available_rules",
    "category_sizes",
    "column_labels_ru",
    "criteria_coverage",
    "criteria_matrix_ru",
    "criteria_table_ru",
    "evaluate_criterion",
    "flip_rate",
    "identification_changes",
    "identification_headline",
    "identification_method_ru",
    "identification_panel",
    "identify_each_year",
    "identify_schools",
    "index_decline",
    "load_indices",
    "load_rules",
    "persistence_tradeoff",
    "persistent_panel",
    "read_config",
    "rule_set_kappa",
    "rule_variants",
    "rules_path",
    "school_sentence",
    "sensitivity_runs",
    "sensitivity_section_content",
    "sensitivity_sentences",
    "sensitivity_table",
    "stability_section_content",
    "unassessed_of",
    "validate_rules",
]
