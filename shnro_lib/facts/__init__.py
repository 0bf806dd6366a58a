"""Facts tables: each quantity a reader sees computed once, at its level, and one status per school.

Every view (reports, school pages, workbooks, the site's search data) selects from these tables.
"""

from shnro_lib.facts.status import LISTED_STATUSES, STATUS_COLUMNS, school_status
from shnro_lib.facts.tables import (
    municipality_year_facts,
    region_school_facts,
    region_year_facts,
    school_year_facts,
)

__all__ = [
    "LISTED_STATUSES",
    "STATUS_COLUMNS",
    "municipality_year_facts",
    "region_school_facts",
    "region_year_facts",
    "school_status",
    "school_year_facts",
]
