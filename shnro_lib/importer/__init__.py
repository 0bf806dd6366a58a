"""Importing the wide statistics tables analysts receive (ЕГЭ/ОГЭ/ВПР by school).

* :mod:`.names` — the one normalisation of school names used for matching;
* :mod:`.recipes` — the YAML recipes (``parameters/import/*.yaml``) that describe a shape;
* :mod:`.shapes` — reading a wide workbook (title rows, multi-level headers, merged cells);
* :mod:`.derive` — from the metric cells to the contract's long ``results`` rows;
* :mod:`.match` — matching source rows to ``schools`` (code, name, confirmed matches);
* :mod:`.run` — the whole import and its load report;
* :mod:`.exports` — the demo's sample workbooks with planted name variants.
"""
