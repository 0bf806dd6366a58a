"""Loading and validating input data sets (see ``DATA_CONTRACT.md``).

    >>> from shnro_lib.io import load_dataset
    >>> ds = load_dataset("data/region")           # raises DataError listing every problem
    >>> ds.results, ds.report.summary_ru()

Messy real exports — what the loader does (every case has a file under
``tests/data/bad/`` and a test in ``tests/test_bad_inputs.py``):

* the sheet is the one named like the table, else the sheet whose header maps
  most canonical columns (a cover sheet or an empty «Лист1» is skipped, with an
  info); the same table on several sheets is an error (never read only one);
* title rows above the header, two-row merged headers: found; merged cells in
  the data are filled from the top cell (info); hidden columns are read (info),
  hidden (filtered) rows are read (warning);
* «Итого»/«Всего…» rows are excluded (info, counted as excluded) — «Итоговое
  собеседование» is not a totals row;
* a formula with no calculated value is an error naming the cell and formula;
  «#ДЕЛ/0!», «#Н/Д» are missing values with a warning (an error if required);
* a date or TRUE/FALSE in a number column is an error; «45%», NBSP thousands,
  «−» minus, decimal comma (also in Excel text cells) are parsed;
* codes that lost leading zeros (101 for «0101»): matched with a warning when
  exactly one school fits; an error listing the candidates otherwise;
* a school code twice in «Школы» is an error naming both rows and the values
  that differ; a code unknown to «Школы» (an old code of a merged school) is an
  error naming the row;
* municipality spellings that coincide up to case, «ё/е», spaces, quotes and
  the words «муниципальный»/«район» give a warning listing the variants and rows;
  they are NOT merged; extra spaces are normalised (conversion note);
* encodings: UTF-8 (with or without BOM), UTF-16 (Excel «Текст в Юникоде»,
  ``.txt``, tab-separated), else cp1251; delimiters «,», «;», tab; a UTF-8 file
  cut in the middle of a character is read with a warning; rows shorter than
  the header are warned about;
* empty file, empty sheets, a header without rows, ``.xls``, a truncated
  ``.xlsx``, two files for one table: errors;
* an unknown column: warning; a duplicated header or two headers mapping to
  one canonical column: a warning when the values coincide (or the duplicate is
  empty), an error naming each row where they differ;
* shares below 0 or above 100 %: errors; «2023/24» → 2024 (two consecutive
  years only); «9 класс», «9 кл.», «9-й класс» → 9, but «9А» is an error.
"""

from .core import load_dataset
from .dataset import Dataset
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
