"""Loading and validating input data sets (see ``DATA_CONTRACT.md``).

    >>> from shnro_lib.io import load_dataset
    >>> ds = load_dataset("data/region")           # raises DataError listing every problem
    >>> ds.results, ds.report.summary_ru()
"""

from .core import Dataset, load_dataset
from .mapping import Mapper, build_mapper, normalise, parameters_dir
from .problems import DataError, LoadReport, Problem, TableLoad

__all__ = [
    "DataError",
    "Dataset",
    "LoadReport",
    "Mapper",
    "Problem",
    "TableLoad",
    "build_mapper",
    "load_dataset",
    "normalise",
    "parameters_dir",
]
