"""School profiles («проблемные зоны») and «школы, чьи практики стоит изучить».

- :func:`profile_inputs`, :func:`school_profile` — the content of a school's page (DataFrames, text);
- :func:`render_school_pages` — every page of a region, rendered from the stage results (no kernel);
- :func:`worth_learning`, :func:`worth_learning_sentences`, :func:`write_worth_learning_sheet` — the list
  of schools that truly improved, with their programme and process records (descriptive, not causal);
  :func:`rtm_gains` (:mod:`.rtm`) — the rise beyond regression to the mean, one of its two routes.
"""

from shnro_lib.profiles.content import ProfileInputs, profile_inputs, school_profile
from shnro_lib.profiles.pages import render_school_pages, school_page_paths, write_school_outputs
from shnro_lib.profiles.practices import (
    DESCRIPTIVE_NOTE_RU,
    listed_practices,
    precision_recall,
    regional_practices_section,
    worth_learning,
    worth_learning_excel_frame,
    worth_learning_sentences,
    write_worth_learning_sheet,
)
from shnro_lib.profiles.render import render_school_page
from shnro_lib.profiles.rtm import rtm_gains
from shnro_lib.profiles.zones import problem_zones

__all__ = [
    "DESCRIPTIVE_NOTE_RU",
    "ProfileInputs",
    "precision_recall",
    "problem_zones",
    "profile_inputs",
    "render_school_page",
    "render_school_pages",
    "rtm_gains",
    "regional_practices_section",
    "school_page_paths",
    "school_profile",
    "listed_practices",
    "worth_learning",
    "worth_learning_excel_frame",
    "worth_learning_sentences",
    "write_school_outputs",
    "write_worth_learning_sheet",
]
