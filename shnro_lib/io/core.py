"""The loader: folder -> validated canonical tables (:func:`load_dataset`)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from pydantic import ValidationError

from ..schema import REQUIRED_TABLES, TABLES
from .assemble import _assemble, _problem
from .checks import _check_table
from .dataset import Dataset
from .facts import facts_errors_ru, parse_facts
from .mapping import Mapper, build_mapper, folder_mapping_files
from .problems import DataError, LoadReport, Problem
from .readers import RawTable, ReadError, read_file

DATA_EXTS = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".parquet")
METADATA_FILE = "dataset.yaml"


def _folder_and_mapper(path: str | Path, mappings: list[str | Path] | None) -> tuple[Path, Mapper]:
    """The data folder and the header mapper built for it.

    Raises
    ------
    DataError
        When the folder does not exist or a mapping file cannot be read.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise DataError(
            [_problem("error", str(folder), "папка с данными не найдена (ожидается папка с файлами таблиц)")]
        )
    try:
        mapper, _ = build_mapper([Path(m) for m in (mappings or [])], folder)
    except Exception as exc:  # noqa: BLE001 - yaml errors become a user message
        raise DataError(
            [_problem("error", str(folder), f"не удалось прочитать файл соответствий заголовков: {exc}")]
        ) from exc
    return folder, mapper


def _table_files(folder: Path, mapper: Mapper, problems: list[Problem]) -> dict[str, list[Path]]:
    """The folder's data files by table; files of no table and old ``.xls`` books are reported."""
    map_files = {p.resolve() for p in folder_mapping_files(folder)}
    found: dict[str, list[Path]] = {}
    for p in sorted(folder.iterdir()):
        if p.is_dir() or p.name.startswith((".", "~$")) or p.resolve() in map_files:
            continue
        if p.name == METADATA_FILE:
            continue
        ext = p.suffix.lower()
        table = mapper.table_for(p.stem)
        if ext in DATA_EXTS and table:
            found.setdefault(table, []).append(p)
        elif ext == ".xls" and table:
            problems.append(
                _problem(
                    "error" if table in REQUIRED_TABLES else "warning",
                    p.name,
                    "старый формат .xls не поддерживается — сохраните файл как .xlsx",
                )
            )
        else:
            problems.append(_problem("warning", p.name, "файл не относится ни к одной таблице и пропущен"))
    return found


def _unusable_tables(found: dict[str, list[Path]], folder: Path, problems: list[Problem]) -> set[str]:
    """Tables with several files or, when required, with none; absent optional tables are noted."""
    fatal: set[str] = set()
    for table, files in found.items():
        if len(files) > 1:
            names = ", ".join(f.name for f in files)
            problems.append(
                _problem(
                    "error",
                    files[0].name,
                    f"для таблицы «{TABLES[table].label_ru}» ({table}) найдено несколько файлов: {names}",
                )
            )
            fatal.add(table)
    for table, spec in TABLES.items():
        if table in found:
            continue
        if spec.required:
            message = f"нет обязательной таблицы «{spec.label_ru}» (файл {table}.csv/.xlsx/.parquet)"
            problems.append(_problem("error", str(folder.name), message))
            fatal.add(table)
        else:
            message = f"нет таблицы «{spec.label_ru}» ({table}): зависящие от неё анализы недоступны"
            problems.append(_problem("warning", str(folder.name), message))
    return fatal


def _read_tables(
    found: dict[str, list[Path]], fatal: set[str], mapper: Mapper, problems: list[Problem]
) -> tuple[dict[str, RawTable], list[Path]]:
    """Read every usable table's file; a file that cannot be read makes its table unusable.

    Returns
    -------
    tuple of (dict, list of pathlib.Path)
        The raw tables by name and the files read.
    """
    raws: dict[str, RawTable] = {}
    files_used: list[Path] = []
    for table, files in found.items():
        if table in fatal:
            continue
        try:
            raws[table] = read_file(files[0], table, mapper)
            files_used.append(files[0])
        except ReadError as exc:
            problems.append(_problem("error", files[0].name, str(exc)))
            fatal.add(table)
        except (OSError, MemoryError) as exc:
            problems.append(
                _problem("error", files[0].name, f"файл не прочитан: {type(exc).__name__}: {exc}")
            )
            fatal.add(table)
        if raws.get(table) and raws[table].encoding and raws[table].encoding not in ("utf-8", "utf-8-sig"):
            problems.append(
                _problem("info", files[0].name, f"файл прочитан в кодировке {raws[table].encoding}")
            )
    return raws, files_used


def _files_hash(files_used: list[Path]) -> hashlib._Hash:
    """SHA-256 over the files read (names and bytes, in name order); the description is added later."""
    h = hashlib.sha256()
    for f in sorted(files_used, key=lambda p: p.name):
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h


def load_dataset(path: str | Path, mappings: list[str | Path] | None = None, strict: bool = True) -> Dataset:
    """Load a data set folder into canonical, validated tables.

    ``strict=True`` raises :class:`DataError` listing every error found;
    ``strict=False`` excludes erroneous rows (listed in ``report``) and only
    raises when a required table cannot be used at all.

    Parameters
    ----------
    path : str or pathlib.Path
        The folder with one file per table (and optionally ``dataset.yaml``).
    mappings : list of str or pathlib.Path, optional
        Extra header mapping files.
    strict : bool
        Raise on any error (``True``) or exclude the erroneous rows (``False``).

    Returns
    -------
    Dataset
        The tables, the load report, the folder, a fingerprint and the description.

    Raises
    ------
    DataError
        Listing every problem found, when the data cannot be used.
    """
    folder, mapper = _folder_and_mapper(path, mappings)
    problems: list[Problem] = []
    found = _table_files(folder, mapper, problems)
    fatal = _unusable_tables(found, folder, problems)
    raws, files_used = _read_tables(found, fatal, mapper, problems)
    if fatal & set(REQUIRED_TABLES) or (strict and fatal):
        # still check what can be checked so that one DataError lists everything
        for name, raw in raws.items():
            _check_table(raw, TABLES[name], problems)
        raise DataError(problems)
    tables, report = _assemble(raws, problems, strict, fatal, REQUIRED_TABLES)
    h = _files_hash(files_used)
    metadata = _read_metadata(folder, report, strict)
    if metadata:
        h.update(repr(sorted(metadata.items())).encode())
    return Dataset(
        tables=tables, report=report, path=folder, fingerprint=h.hexdigest()[:16], metadata=metadata
    )


def _read_metadata(folder: Path, report: LoadReport, strict: bool = True) -> dict:
    """Optional ``dataset.yaml`` (see :mod:`shnro_lib.io.facts`): parsed and validated.

    An unknown key or a wrong value is an error naming the key (``strict``: :class:`DataError`;
    otherwise a warning and the facts are ignored).
    """
    path = folder / METADATA_FILE
    if not path.exists():
        return {}
    try:
        import yaml

        meta = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except Exception as exc:  # noqa: BLE001 - a broken description file must not stop the load
        report.problems.append(_problem("warning", path.name, f"описание набора данных не прочитано: {exc}"))
        return {}
    if not isinstance(meta, dict):
        report.problems.append(_problem("warning", path.name, "описание набора данных должно быть словарём"))
        return {}
    try:
        parse_facts(meta)
    except ValidationError as exc:
        level = "error" if strict else "warning"
        problems = [_problem(level, path.name, msg) for msg in facts_errors_ru(exc)]
        if strict:
            raise DataError(report.problems + problems) from None
        report.problems.extend(problems)
        return {}
    return meta
