"""Deterministic generator of a synthetic Leningrad-oblast-like data set.

The generator writes *raw* files as real exports look (Russian headers,
Excel with a title row or a two-row merged header, ``cp1251`` CSV with
semicolons and decimal commas, shares as percents), so the demo goes through
the real loading path.  Scores come from a generative model:

``school effect = context effect (from social context) + latent quality``;
a school-year transitory shock ("bad luck"); sampling noise that grows as the
number of participants shrinks; and a support programme whose schools were
selected by the plain bottom-25% rule on observed results, with a planted
effect that depends on the programme dose; a few schools outside the programme
truly improve on their own (``planted_improver``, a separate random stream).

The planted truth is written to a separate folder that the library never
reads (``<out>_truth``), so tests and benchmarks can check what analyses
recover.  Everything is labelled as synthetic.

Modules: :mod:`.constants` (the region's fixed lists), :mod:`.schools` (schools, territories,
latent effects), :mod:`.context` (context, staff, resources), :mod:`.results` (procedures'
results, outcomes), :mod:`.programme` (selection, records, diagnostics), :mod:`.files` (raw
exports, Parquet, truth) and :mod:`.generator` (:func:`generate_demo`).
"""

from .constants import MONOTOWNS, MUNICIPALITIES, PROCEDURES, RISKS, SCALE_CHANGES, SYNTHETIC_NOTE, VILLAGES
from .generator import DemoOutput, generate_demo

__all__ = [
    "MONOTOWNS",
    "MUNICIPALITIES",
    "PROCEDURES",
    "RISKS",
    "SCALE_CHANGES",
    "SYNTHETIC_NOTE",
    "VILLAGES",
    "DemoOutput",
    "generate_demo",
]
