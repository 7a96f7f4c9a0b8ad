"""Reading a county's input tables (contract §2): a folder of CSV files or one ``.xlsx`` workbook.

:func:`read_county` parses: it finds the tables, decodes the files, maps the headers to the
canonical names of :mod:`balance_lib.columns` and turns every cell into its typed value,
recording a :class:`~balance_lib.schemas.Problem` for each cell it cannot read.
:func:`load_county` adds the rules of :func:`balance_lib.schemas.validate` and raises
:class:`DataError` listing *every* problem when there is any.

Where the tables are
--------------------
A folder holds one file per table, named by the canonical table name or a Chinese alias of
:data:`~balance_lib.columns.TABLE_ALIASES` (``schools.csv``, ``学校.csv``, ``schools.parquet``,
``classes.xlsx``…). A Parquet file is read as the CSV file of the same table would be
(:func:`balance_lib.readers.parquet_blocks`: the same typing, rules and row numbers).
A workbook holds one sheet per table, named the same way; other sheets (``说明``…) are ignored.
Only ``schools`` is required. Two files (or sheets) for one table is a problem
(``duplicate_table``), never a silent choice.

How cells are read
------------------
Everything is read as text first; cells are stripped of surrounding white space and a cell is
*empty* when nothing is left. Rows whose every cell is empty are dropped. The header is the row,
among the first ten, that holds the most recognised column names (so a title row above the
header is skipped); row numbers are those a spreadsheet shows (header = 1 when it is the first
row, first data row = 2). Headers may be the canonical name, the Chinese or the English label of
the column (white space, case and full-width brackets do not matter). **Unknown columns are
ignored** (statistics exports carry many); their headers are listed in
:attr:`CountyData.ignored_columns`.

=========  ======================================================================================
kind       typed value
=========  ======================================================================================
year       ``year``: ``int64`` (nullable ``Int64`` only if a cell failed, which is a problem);
           other year columns (``year_built``): ``Int64``. ``2024``, ``2024年``, ``2024学年``
           and ``2024-2025`` all read as 2024.
count      ``float64`` holding whole numbers; NaN when empty; ``12.5`` is ``not_an_integer``.
amount     ``float64``; NaN when empty.
rate       ``float64``, a share: ``85%`` reads as 0.85, and so does ``85`` (a bare number above 1
           is read as a percentage and divided by 100). A bare number ≤ 1 is already a share:
           ``1`` means 100 %, write ``1%`` for one per cent.
bool       pandas ``boolean``: true/false, t/f, yes/no, y/n, 1/0, 是/否, 有/无, √/×; empty = NA.
id         text. A number that Excel turned into a float (``6523010001.0``) is written back as
           its integer text; scientific notation (``6.52301E+09``) has lost digits and is a
           problem (``mangled_id``). Empty = ``""``.
text       text; empty = ``""``.
category   the canonical value, from the canonical spelling (any case; ``-`` or a space for
           ``_``), a Chinese alias (:data:`~balance_lib.columns.VALUE_ALIASES`) or a label;
           empty = NaN.
=========  ======================================================================================

Numbers may carry thousands separators (``1,234``; only in groups of three, so ``1,5`` is not a
number). ``county_id`` is added as ``""`` when the column is absent and is ``""`` where empty.
Every frame has the present canonical columns in contract order (absent optional columns stay
absent), then the bookkeeping columns ``source_file`` (str) and ``source_row`` (int).

CSV files may be UTF-8, UTF-8 with BOM or GBK (decoded as GB18030, its superset), or UTF-16
with a BOM; the delimiter is a comma, a tab or a semicolon, whichever the header line uses most.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .columns import (
    REQUIRED_TABLES,
    TABLE_ALIASES,
    TABLES,
    VALUE_ALIASES,
    VALUE_LABELS,
    ColumnSpec,
    _norm_header,
    header_aliases,
    table_columns,
    vocabulary_for,
)
from .frames import SHARED_STR
from .limits import MAX_PROBLEMS_PER_RULE
from .mapping import EMPTY_MAPPING, HeaderMapping, read_mapping
from .readers import (
    STRING_DTYPE,
    SheetInfo,
    TableFileError,
    cell_ref,
    csv_blocks,
    parquet_blocks,
    return_freed_memory,
    sheet_grid,
    sheet_head,
    workbook_sheets,
)
from .safetext import quote
from .schemas import Problem, format_report, more_problems, sort_problems, validate

__all__ = ["CountyData", "DataError", "load_county", "load_county_excluding", "read_county",
           "BOOKKEEPING_COLUMNS"]

#: Columns every frame carries besides the canonical ones.
BOOKKEEPING_COLUMNS = ("source_file", "source_row")
#: File suffixes read as tables inside a county folder.
TABLE_SUFFIXES = (".csv", ".parquet", ".xlsx", ".xlsm")
#: How many rows from the top may hold the header (title rows above it are skipped).
HEADER_SEARCH_ROWS = 10

_TRUE = ("true", "t", "yes", "y", "1", "1.0", "是", "有", "√", "✓")
_FALSE = ("false", "f", "no", "n", "0", "0.0", "否", "无", "×", "✗")
_BOOL_WORDS = {**dict.fromkeys(_TRUE, True), **dict.fromkeys(_FALSE, False)}
_THOUSANDS = r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?"
_YEAR_TEXT = r"^(\d{4})\s*(?:[-–—~/至]\s*\d{2,4})?\s*(?:学年度|学年|年度|年)?$"
_FLOAT_ID = r"^(\d+)\.0+$"
_SCIENTIFIC_ID = r"\d(?:\.\d+)?[eE]\+?\d+"


@dataclass
class CountyData:
    """The input tables of one county folder or workbook, with canonical columns and types.

    Attributes
    ----------
    source
        The folder or workbook read.
    tables
        Table name -> frame, only for tables that were present (see the module notes).
    files
        Table name -> the file label used in :attr:`Problem.file`, e.g. ``"schools.csv"`` or
        ``"county.xlsx[学校]"``.
    parse_problems
        The problems found while reading (cells that could not be read); :func:`validate`
        reports nothing more about those cells.
    ignored_columns
        Table name -> headers that matched no column and were left out.
    excluded_names
        School id -> name of the schools :func:`load_county_excluding` set aside (their rows
        are no longer in :attr:`tables`); empty otherwise.
    mapping
        The header mapping file the tables were read with (``--mapping``), or None.
    """

    source: Path
    tables: dict[str, pd.DataFrame]
    files: dict[str, str]
    parse_problems: list[Problem] = field(default_factory=list)
    ignored_columns: dict[str, list[str]] = field(default_factory=dict)
    excluded_names: dict[str, str] = field(default_factory=dict)
    mapping: Path | None = None

    def get(self, table: str) -> pd.DataFrame | None:
        """The frame of ``table``, or None when the county did not provide it."""
        return self.tables.get(table)

    @property
    def schools(self) -> pd.DataFrame:
        """The required ``schools`` table; :class:`DataError` when it is absent."""
        if "schools" not in self.tables:
            raise DataError([_missing_table_problem(self.source, "schools", None)])
        return self.tables["schools"]


class DataError(Exception):
    """Bad input data; ``.problems`` lists every problem found, ``str()`` is the Chinese report."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__(format_report(self.problems))

    def __str__(self) -> str:
        return format_report(self.problems)


def load_county(path: str | Path, mapping: MappingArg = None, *,
                registry: Any = None) -> CountyData:
    """Read and validate a county; raise :class:`DataError` with all problems if there are any.

    Parameters
    ----------
    path
        A county folder (``schools.csv`` and optional tables) or one ``.xlsx`` workbook.
    mapping
        A header mapping (:mod:`balance_lib.mapping`): its file, or one already read; None for
        the built-in headers only.
    registry
        An extended indicator registry: its extra columns are read and checked too
        (:func:`balance_lib.columns.vocabulary_for`). Default: the national vocabulary.

    Returns
    -------
    CountyData
        Typed frames that passed every rule of :func:`balance_lib.schemas.validate`.
    """
    with vocabulary_for(registry):
        data, problems = read_county(path, mapping)
        problems = sort_problems([*problems, *validate(data)])
    if problems:
        raise DataError(problems)
    return data


def load_county_excluding(path: str | Path, mapping: MappingArg = None, *,
                          registry: Any = None) -> tuple[CountyData, dict[str, list[Problem]]]:
    """Read and validate a county, setting aside the schools whose rows have problems.

    The lenient loader of ``balance report``: one corrupted school must not stop a county's
    reports. When *every* problem is tied to a school (its row has a ``school_id``), the rows
    of those schools are dropped from every table and every year, and the rest is validated
    again; dropping can create new problems (a teaching point whose parent school was dropped),
    so this repeats until no problem is left.

    Parameters
    ----------
    path
        A county folder or one ``.xlsx`` workbook.
    mapping
        A header mapping, as for :func:`load_county`.

    Returns
    -------
    (CountyData, dict)
        The data without the excluded schools (their names in
        :attr:`CountyData.excluded_names`), and school id -> the located problems that excluded
        it (sorted; empty dict when the data are clean, then this equals :func:`load_county`).

    Raises
    ------
    DataError
        When any problem is not tied to a school (a missing table or column, an unreadable
        file, a ``county.csv`` or ``survey.csv`` cell, a row without ``school_id``), or when no
        school would be left; it lists every problem found, as :func:`load_county` does.

    Notes
    -----
    Schools are matched by ``school_id`` alone: in a file of several counties, a school id
    that appears in two counties is dropped from both.
    """
    with vocabulary_for(registry):
        return _load_excluding(path, mapping)


def _load_excluding(path: str | Path, mapping: MappingArg = None
                    ) -> tuple[CountyData, dict[str, list[Problem]]]:
    data, problems = read_county(path, mapping)
    problems = sort_problems([*problems, *validate(data)])
    excluded: dict[str, list[Problem]] = {}
    while problems:
        bad = {p.school_id for p in problems}
        if None in bad or not bad.isdisjoint(excluded):  # unlocated, or dropping did not help
            raise DataError(sort_problems(
                [*problems, *(p for ps in excluded.values() for p in ps)]))
        for p in problems:
            excluded.setdefault(str(p.school_id), []).append(p)
        data = _drop_schools(data, bad)
        problems = validate(data)
    if excluded and ("schools" not in data.tables or data.tables["schools"].empty):
        raise DataError(sort_problems(p for ps in excluded.values() for p in ps))
    return data, {sid: sort_problems(ps) for sid, ps in sorted(excluded.items())}


def _drop_schools(data: CountyData, school_ids: set[str]) -> CountyData:
    """A copy of ``data`` without the rows of ``school_ids`` in any table (names kept aside)."""
    names = dict(data.excluded_names)
    schools = data.tables.get("schools")
    if schools is not None and "school_name" in schools:
        hit = schools[schools["school_id"].astype(str).isin(school_ids)]
        if "year" in hit:
            hit = hit.sort_values("year", kind="stable", na_position="first")
        for sid, name in zip(hit["school_id"].astype(str), hit["school_name"].astype(str),
                             strict=True):
            names[sid] = name  # the last year's name wins
    for sid in school_ids:
        names.setdefault(sid, sid)
    tables = {}
    for t, f in data.tables.items():
        if "school_id" in f:
            f = f[~f["school_id"].astype(str).isin(school_ids)].reset_index(drop=True)
            if "year" in f and f["year"].dtype == "Int64" and not f["year"].isna().any():
                f = f.assign(year=f["year"].astype("int64"))  # the bad-year rows are gone
        tables[t] = f
    return CountyData(source=data.source, tables=tables, files=dict(data.files),
                      parse_problems=list(data.parse_problems),
                      ignored_columns=dict(data.ignored_columns), excluded_names=names,
                      mapping=data.mapping)


#: what the ``mapping`` arguments take: a mapping file, a mapping already read, or None
MappingArg = HeaderMapping | str | Path | None


def _mapping_of(mapping: MappingArg) -> tuple[HeaderMapping, list[Problem]]:
    if mapping is None or isinstance(mapping, HeaderMapping):
        return mapping or EMPTY_MAPPING, []
    return read_mapping(mapping)


def read_county(path: str | Path, mapping: MappingArg = None, *,
                compact: bool = False) -> tuple[CountyData, list[Problem]]:
    """Parse a county folder or workbook without judging the values.

    Parameters
    ----------
    path
        A county folder or one ``.xlsx`` workbook.
    mapping
        A header mapping (:mod:`balance_lib.mapping`): the county's own headers, file or sheet
        names and category spellings. A mapping file with problems gives those problems and no
        tables (a half-applied mapping would misread the data).
    compact
        For checking only (``balance validate``): count and amount columns whose values are
        all exactly float32 are stored as float32 (half the memory; every whole count below
        2**24 is). :mod:`balance_lib.schemas` and :mod:`balance_lib.consistency` widen them
        back to float64 before any arithmetic, so the problems are the same. The evaluation
        and every other command read float64.

    Returns
    -------
    (CountyData, list of Problem)
        The tables that could be read, and the problems met while reading: a missing path or
        ``schools`` table (``missing_table``), unreadable files (``unreadable``), two files for
        one table (``duplicate_table``), two headers for one column (``duplicate_column``) and
        cells that cannot be read (``not_a_number``, ``not_an_integer``, ``not_a_bool``,
        ``unknown_value``, ``mangled_id``), a header without data rows (``no_rows``; in a
        workbook an optional table's sheet left blank is a table not given). Never raises
        for bad input.
    """
    path = Path(path)
    hm, problems = _mapping_of(mapping)
    data = CountyData(source=path, tables={}, files={}, mapping=hm.source)
    if problems:
        data.parse_problems = sort_problems(problems)
        return data, data.parse_problems
    sources: dict[str, tuple[str, object]] = {}
    is_book = False
    if path.is_dir():
        sources = _folder_sources(path, problems, hm)
    elif path.is_file() and path.suffix.lower() in (".xlsx", ".xlsm"):
        is_book = True
        sources = _workbook_sources(path, problems, hm)
    elif path.is_file():
        problems.append(Problem(
            path.name, None, None, None, None, "unreadable",
            "不是县区数据文件夹，也不是 .xlsx 工作簿：请给出包含 schools.csv 的文件夹或一个工作簿",
            "neither a county folder nor an .xlsx workbook: give the folder holding "
            "schools.csv, or one workbook"))
    else:
        problems.append(Problem(
            str(path), None, None, None, None, "missing_table",
            "找不到该文件夹或工作簿", "no such folder or workbook"))
        return data, problems

    for table in TABLES:
        if table not in sources:
            continue
        label, loader = sources[table]
        try:
            grids = [loader()]
        except Exception as exc:  # noqa: BLE001 - any reader failure is the file's problem
            problems.append(_unreadable(label, exc))
            continue
        try:  # handed over, not kept here: its text is dropped as soon as it is typed
            frame, found, ignored = _table_from_grid(table, label, grids.pop(), hm, compact)
        except TableFileError as exc:  # met while a large file is read block by block
            problems.append(_unreadable(label, exc))
            continue
        if (is_book and table not in REQUIRED_TABLES and frame is not None and not len(frame)
                and [p.code for p in found] == ["no_rows"]):
            # an optional sheet left blank in a workbook (the input template holds every
            # table's sheet) is a table not given; a header-only CSV file stays a problem
            continue
        problems += found
        if frame is not None:
            data.tables[table] = frame
            data.files[table] = label
            if ignored:
                data.ignored_columns[table] = ignored
    data.parse_problems = sort_problems(problems)
    return_freed_memory()  # the text of large files, before validation needs its own memory
    return data, data.parse_problems


# ---------------------------------------------------------------------------------------------
# Finding the tables
# ---------------------------------------------------------------------------------------------


def _table_of(name: str, mapping: HeaderMapping = EMPTY_MAPPING) -> str | None:
    """The canonical table a file stem or sheet name stands for, or None."""
    key = re.sub(r"\s+", "", str(name)).lower()
    if mapping.table(name):
        return mapping.table(name)
    if key in TABLES:
        return key
    return TABLE_ALIASES.get(key)


def _spellings(table: str) -> str:
    return "、".join([table, *(a for a, t in TABLE_ALIASES.items() if t == table)])


def _missing_table_problem(source: Path, table: str, sheets: list[str] | None) -> Problem:
    if sheets is None:
        return Problem(
            f"{table}.csv", None, None, None, None, "missing_table",
            f"文件夹 {source} 中没有 {table} 表（文件名可为 {_spellings(table)}，"
            f"扩展名 .csv 或 .xlsx）",
            f"folder {source} has no {table} table (name it {table}.csv or {table}.xlsx, "
            f"or a Chinese name: {_spellings(table)})")
    return Problem(
        source.name, None, None, None, None, "missing_table",
        f"工作簿中没有 {table} 工作表（表名可为 {_spellings(table)}；现有工作表: "
        f"{'、'.join(sheets) or '无'}）",
        f"the workbook has no {table} sheet (name it {_spellings(table)}; sheets present: "
        f"{', '.join(sheets) or 'none'})")


def _folder_sources(folder: Path, problems: list[Problem],
                    mapping: HeaderMapping = EMPTY_MAPPING) -> dict[str, tuple[str, object]]:
    found: dict[str, list[Path]] = {}
    for p in sorted(folder.iterdir()):
        if not p.is_file() or p.name.startswith(("~$", ".")):
            continue
        if p.suffix.lower() not in TABLE_SUFFIXES:
            continue
        table = _table_of(p.stem, mapping)
        if table is not None:
            found.setdefault(table, []).append(p)
    sources: dict[str, tuple[str, object]] = {}
    for table in TABLES:
        files = found.get(table, [])
        if len(files) > 1:
            names = [f.name for f in files]
            problems.append(Problem(
                names[0], None, None, None, None, "duplicate_table",
                f"{table} 表有多个文件: {'、'.join(names)}；请只保留一个",
                f"several files for the {table} table: {', '.join(names)}; keep one"))
        elif files:
            sources[table] = _file_source(files[0], table, mapping)
        elif table in REQUIRED_TABLES:
            problems.append(_missing_table_problem(folder, table, None))
    return sources


def _file_source(p: Path, table: str,
                 mapping: HeaderMapping = EMPTY_MAPPING) -> tuple[str, object]:
    """A table file in a folder: a CSV, or a workbook whose sheet named for the table (else its
    first sheet) holds the table."""
    if p.suffix.lower() == ".csv":
        return p.name, lambda: csv_blocks(p, lambda rows: _header_position(table, rows, mapping))
    if p.suffix.lower() == ".parquet":
        return p.name, lambda: parquet_blocks(p)

    def load() -> pd.DataFrame:
        sheets = workbook_sheets(p)
        if not sheets:
            raise TableFileError("工作簿中没有工作表", "the workbook has no sheet")
        sheet = next((s for s in sheets if _table_of(s.name, mapping) == table), sheets[0])
        return _sheet(p, sheet)

    return p.name, load


def _sheet(book: Path, sheet: SheetInfo) -> pd.DataFrame:
    grid = sheet_grid(book, sheet.name, sheet.part)
    grid.attrs["sheet_state"] = sheet.state
    return grid


def _workbook_sources(book: Path, problems: list[Problem],
                      mapping: HeaderMapping = EMPTY_MAPPING) -> dict[str, tuple[str, object]]:
    try:
        infos = workbook_sheets(book)
    except Exception as exc:  # noqa: BLE001
        problems.append(_unreadable(book.name, exc))
        return {}
    names = [s.name for s in infos]
    found: dict[str, list[SheetInfo]] = {}
    for s in infos:
        table = _table_of(s.name, mapping)
        if table is not None:
            found.setdefault(table, []).append(s)
        else:
            problems += _unexpected_sheet(book, s, mapping)
    sources: dict[str, tuple[str, object]] = {}
    for table in TABLES:
        sheets = found.get(table, [])
        if len(sheets) > 1:
            listed = [s.name for s in sheets]
            problems.append(Problem(
                book.name, None, None, None, None, "duplicate_table",
                f"{table} 表有多个工作表: {'、'.join(listed)}；请只保留一个",
                f"several sheets for the {table} table: {', '.join(listed)}; keep one"))
        elif sheets:
            sources[table] = (f"{book.name}[{sheets[0].name}]",
                              lambda s=sheets[0]: _sheet(book, s))
        elif table in REQUIRED_TABLES:
            problems.append(_missing_table_problem(book, table, names))
    return sources


#: Recognised headers from which a sheet with another name looks like a table.
LOOKS_LIKE_TABLE = 3


def _unexpected_sheet(book: Path, sheet: SheetInfo,
                      mapping: HeaderMapping = EMPTY_MAPPING) -> list[Problem]:
    """A sheet whose name is not a table's but whose header is one's: a problem (it would be
    ignored, and its data with it). Other sheets (说明, lists for drop-downs) are ignored."""
    try:
        top = sheet_head(book, sheet.name)
    except Exception:  # noqa: BLE001 - an unreadable extra sheet is not read anyway
        return []
    best, hits = None, 0
    for table in TABLES:
        aliases = _aliases(table, mapping)
        n = max((sum(_norm(h) in aliases for h in row) for row in top), default=0)
        if n > hits:
            best, hits = table, n
    if best is None or hits < LOOKS_LIKE_TABLE:
        return []
    name = quote(sheet.name)
    hidden_zh = "（隐藏的）" if sheet.state != "visible" else ""
    hidden_en = "hidden " if sheet.state != "visible" else ""
    return [Problem(
        f"{book.name}[{sheet.name}]", None, None, None, None, "unexpected_sheet",
        f"{hidden_zh}工作表 “{name}” 的表头像 {best} 表（{hits} 个列名可识别），但表名不是表名，"
        f"其数据不会被读取：请改名为 {_spellings(best)} 之一，或删除该工作表",
        f"the {hidden_en}sheet '{name}' has a header like the {best} table ({hits} known "
        f"column names) but its name is not a table name, so its data would not be read: "
        f"rename it to one of {_spellings(best)}, or delete it")]


def _unreadable(label: str, exc: Exception) -> Problem:
    if isinstance(exc, TableFileError):
        return Problem(label, None, None, None, None, "unreadable",
                       f"无法读取该文件：{exc.zh}", f"cannot read the file: {exc.en}")
    detail = quote(f"{type(exc).__name__}: {exc}".strip())
    return Problem(label, None, None, None, None, "unreadable",
                   f"无法读取该文件（{detail}）", f"cannot read the file ({detail})")


# ---------------------------------------------------------------------------------------------
# From a grid to a typed frame
# ---------------------------------------------------------------------------------------------


def _norm(header: str) -> str:
    return _norm_header(re.sub(r"\s+", "", str(header)))


def _aliases(table: str, mapping: HeaderMapping = EMPTY_MAPPING) -> dict[str, str]:
    """Normalised header → column of ``table``: ours, then the mapping's (which win)."""
    mapped = mapping.headers.get(table)
    return {**header_aliases(table), **mapped} if mapped else header_aliases(table)


def _header_position(table: str, rows: list[list[str]],
                     mapping: HeaderMapping = EMPTY_MAPPING) -> int:
    """The position, among ``rows`` (the first rows of a table, stripped text), of the header:
    the row that holds the most recognised column names (0 when none does)."""
    aliases = _aliases(table, mapping)
    hits = [sum(_norm(h) in aliases for h in row) for row in rows[:HEADER_SEARCH_ROWS]]
    return int(np.argmax(hits)) if hits and max(hits) > 0 else 0


def _table_from_grid(
    table: str, label: str, grid: pd.DataFrame | Iterator[pd.DataFrame],
    mapping: HeaderMapping = EMPTY_MAPPING, compact: bool = False,
) -> tuple[pd.DataFrame | None, list[Problem], list[str]]:
    """The typed frame of one table from its grid of text (index: spreadsheet row − 1), or
    from blocks of it (a large CSV file: the first block starts with the header row).

    The grid is consumed: each block's text is dropped once it is typed, so a large file never
    holds its text and its values at once.
    """
    blocks = iter([grid]) if isinstance(grid, pd.DataFrame) else grid
    del grid
    first = next(blocks, None)
    problems: list[Problem] = []
    attrs = dict(first.attrs) if first is not None else {}
    if attrs.get("sheet_state", "visible") != "visible":
        problems.append(Problem(
            label, None, None, None, None, "hidden_sheet",
            "该表的工作表是隐藏的：隐藏的数据也会参与计算，请取消隐藏并核对，或删除该工作表",
            "the sheet of this table is hidden: hidden data would be evaluated unseen; unhide "
            "and check it, or delete the sheet"))
    if first is None or first.empty:
        return None, [*problems, _unreadable(label, TableFileError(
            "文件为空", "the file is empty"))], []
    first.columns = range(first.shape[1])
    top = first.iloc[:HEADER_SEARCH_ROWS].apply(_strip)
    head = _header_position(table, top.to_numpy(str).tolist(), mapping)
    header = top.iloc[head].tolist()
    head_row = int(first.index[head]) + 1
    del top

    aliases = _aliases(table, mapping)
    columns: dict[str, int] = {}
    ignored: list[str] = []
    for j, header_text in enumerate(header):
        if header_text == "":
            continue
        name = aliases.get(_norm(header_text))
        if name is None:
            ignored.append(header_text)
        elif name in columns:
            problems.append(Problem(
                label, None, None, None, name, "duplicate_column",
                f"两列表头都指向该列（第 {columns[name] + 1} 列与第 {j + 1} 列）；请删去一列",
                f"two headers name this column (columns {columns[name] + 1} and {j + 1}); "
                f"delete one"))
        else:
            columns[name] = j

    specs = [s for s in table_columns(table) if s.name in columns or s.name == "county_id"]
    parts: dict[str, list] = {s.name: [] for s in specs}
    row_parts: list[np.ndarray] = []
    # (column, code) -> [zh, en, positions, the text of the first failing cells]
    issues: dict[tuple[str, str], list] = {}
    n = 0
    bad_rows: list = list(attrs.get("bad_rows", []))
    block: pd.DataFrame | None = first.iloc[head + 1:]
    del first
    while block is not None:
        rows, found = _typed_block(block, columns, specs, parts, mapping, compact)
        del block
        for name, code, zh, en, idx, raw in found:
            entry = issues.setdefault((name, code), [zh, en, [], []])
            entry[2].append(idx + n)
            entry[3] += raw[:MAX_PROBLEMS_PER_RULE - len(entry[3])]
        row_parts.append(rows)
        n += len(rows)
        block = next(blocks, None)
        if block is not None:
            block.columns = range(block.shape[1])
            bad_rows += block.attrs.get("bad_rows", [])
    rows = np.concatenate(row_parts) if len(row_parts) > 1 else row_parts[0]
    attrs["bad_rows"] = bad_rows
    problems += _reader_notes(label, attrs, head_row, header, columns)
    if not n:
        problems.append(Problem(
            label, None, None, None, None, "no_rows",
            f"只有表头（第 {head_row} 行），没有数据行",
            f"a header (row {head_row}) but no data rows"))

    values = {name: _joined(ps) for name, ps in parts.items()}
    del parts
    if "year" in values and values["year"].dtype == "Int64" and not values["year"].isna().any():
        values["year"] = values["year"].astype("int64")
    frame = pd.DataFrame(values, index=range(n), copy=False)
    del values
    if "county_id" in frame and not pd.api.types.is_string_dtype(frame["county_id"]):
        frame["county_id"] = frame["county_id"].astype(str)
    # one shared object (a SHARED_STR array of a million rows built from Python objects
    # checks every one of them; taken from a one-value array it is not checked again)
    frame["source_file"] = pd.Series(pd.array([label], dtype=SHARED_STR).take(
        np.zeros(n, dtype=np.intp)))
    frame["source_row"] = rows

    sids = frame["school_id"] if "school_id" in frame else None
    years = frame["year"] if "year" in frame else None
    for (name, code), (zh, en, positions, raw_values) in issues.items():
        idx = np.concatenate(positions)
        for k, raw in zip(idx[:MAX_PROBLEMS_PER_RULE], raw_values, strict=False):
            year = years.iat[k] if years is not None else None
            sid = sids.iat[k] if sids is not None else ""
            problems.append(Problem(
                label, int(rows[k]), str(sid) if isinstance(sid, str) and sid != "" else None,
                None if year is None or pd.isna(year) else int(year),
                name, code, zh.format(value=quote(raw)), en.format(value=quote(raw))))
        if len(idx) > MAX_PROBLEMS_PER_RULE:
            problems.append(more_problems(label, name, code, len(idx)))
    return frame, problems, ignored


def _typed_block(block: pd.DataFrame, columns: dict[str, int], specs: list[ColumnSpec],
                 parts: dict[str, list], mapping: HeaderMapping = EMPTY_MAPPING,
                 compact: bool = False) -> tuple[np.ndarray, list]:
    """Type one block of data rows: the typed values of each column are appended to ``parts``;
    returns the rows' spreadsheet numbers and the failing cells (column, code, zh, en,
    positions in the block, their text). With ``compact``, count and amount columns whose
    values are exactly float32 are kept as float32 (see :func:`read_county`)."""
    wanted = {j: name for name, j in columns.items()}
    kind_of = {s.name: s for s in specs}
    cells: dict[str, _Cells] = {}
    keep = np.zeros(len(block), dtype=bool)
    for j, name in wanted.items():  # a row is kept when any cell holds text
        if j < block.shape[1] and name in kind_of:
            cells[name] = c = _typed_column(kind_of[name], block[j], mapping)
            keep |= ~c.empty
    others = [j for j in block.columns if j not in wanted]
    if others and not keep.all():  # the other columns count too (stripped only where it matters)
        rest = block.loc[~keep, others].apply(_strip)
        keep[~keep] = (rest != "").any(axis=1).to_numpy(dtype=bool)
    rows = (block.index.to_numpy()[keep] + 1).astype("int64")
    del block
    every = bool(keep.all())
    kept = np.flatnonzero(keep)
    found_all = []
    for spec in specs:
        if spec.name not in cells:  # county_id absent: one county
            parts[spec.name].append(np.full(len(rows), "", dtype=object))
            continue
        c = cells.pop(spec.name)
        typed = c.values if every else c.values[keep]
        if spec.name == "year" and typed.dtype == "Int64" and not typed.isna().any():
            typed = typed.astype("int64")
        if spec.kind == "year":
            typed = pd.Series(typed)
        elif compact and spec.kind in ("count", "amount"):
            typed = _float32_if_exact(typed)
        parts[spec.name].append(typed)
        for mask, code, zh, en in c.found:  # keep only the text of the failing cells
            idx = np.flatnonzero(mask if every else mask[keep])
            first = idx[:MAX_PROBLEMS_PER_RULE]
            found_all.append((spec.name, code, zh, en, idx,
                              c.text(first if every else kept[first])))
    return rows, found_all


@dataclass
class _Cells:
    """One column of a block typed: values and emptiness of every row, the failing cells
    ((mask, code, zh, en) as :func:`_coerce` gives them) and the text of given rows."""

    values: Any
    empty: np.ndarray
    found: list
    text: Any  # positions -> list of the rows' (stripped, mapped) text


_NUMBER_KINDS = ("year", "count", "amount", "rate")


def _typed_column(spec: ColumnSpec, col: pd.Series, mapping: HeaderMapping) -> _Cells:
    """The cells of one column of a block typed (:func:`_coerce`'s values and problems).

    Arrow text is typed per *distinct* value (each rule of :func:`_coerce` looks at one cell
    at a time): the column is dictionary-encoded by Arrow, the few distinct values are
    stripped, mapped and typed, and the rows take their value by index, so a million cells
    of a few thousand distinct values cost one hash each instead of a dozen pandas passes.
    A number column is first cast by Arrow as it is; when every cell is empty or a plain
    finite number (the usual case) nothing else is done (a cell with surrounding spaces or
    any other spelling fails that cast: those columns go the general way)."""
    arr = _arrow(col)
    if arr is None or arr.null_count:  # not Arrow text: cell by cell, as the rules say
        text = _mapped_values(mapping, spec.name,
                              _as_str(_strip(col).reset_index(drop=True)))
        typed, found = _coerce(spec, text)
        if spec.kind in ("id", "text", "category"):
            typed = _shared_str(typed)
        return _Cells(typed, (text == "").to_numpy(dtype=bool), found,
                      lambda idx: text.iloc[idx].tolist())
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    if spec.kind in _NUMBER_KINDS and not mapping.values.get(spec.name):
        fast = _plain_numbers(spec, arr)
        if fast is not None:
            return fast
    encoded = pc.dictionary_encode(arr)
    at = encoded.indices.to_numpy(zero_copy_only=False).astype(np.intp, copy=False)
    distinct = pd.Series(pd.arrays.ArrowExtensionArray(encoded.dictionary))
    del encoded
    stripped = _strip(distinct)
    text = _mapped_values(mapping, spec.name, _as_str(stripped.reset_index(drop=True)))
    empty = (stripped == "").to_numpy(dtype=bool)
    del distinct, stripped
    typed, found = _coerce(spec, text)
    if spec.kind in ("id", "text", "category"):
        codes, uniques = pd.factorize(typed, use_na_sentinel=True)  # equal texts: one object
        table = np.append(np.asarray(uniques, dtype=object), np.nan)
        values = pd.array(table, dtype=SHARED_STR).take(np.where(codes < 0, len(uniques),
                                                                 codes)[at])
    else:
        values = (typed[at] if isinstance(typed, np.ndarray)
                  else pd.array(typed).take(at))
    return _Cells(values, empty[at], [(m[at], *rest) for m, *rest in found],
                  lambda idx: text.iloc[at[idx]].tolist())


def _plain_numbers(spec: ColumnSpec, arr) -> _Cells | None:
    """:func:`_coerce` of a number column whose every cell is empty or a finite number in a
    spelling Arrow casts (no spaces, no thousands separators, no ``%``), else None."""
    import pyarrow as pa
    import pyarrow.compute as pc

    empty = pc.equal(arr, "")
    try:
        num = pc.cast(pc.if_else(empty, pa.scalar(None, arr.type), arr), pa.float64())
    except pa.ArrowInvalid:
        return None
    num = num.to_numpy(zero_copy_only=False)
    if not num.flags.writeable:  # Arrow's own buffer (no empty cell)
        num = num.copy()
    empty = empty.to_numpy(zero_copy_only=False)
    if not np.isfinite(num[~empty]).all():  # nan, inf: the general way words them
        return None
    found: list = []
    values = _checked_numbers(spec, num, np.zeros(len(num), dtype=bool), found)
    return _Cells(values.array if isinstance(values, pd.Series) else values, empty,
                  _nonempty(found), lambda idx: arr.take(pa.array(idx)).to_pylist())


def _float32_if_exact(values: np.ndarray) -> np.ndarray:
    """``values`` as float32 when every one of them is exactly a float32 (whole counts below
    2**24, amounts such as 1,366,100 or 84.5), else as they are."""
    if not isinstance(values, np.ndarray) or values.dtype != np.float64:
        return values
    with np.errstate(over="ignore", invalid="ignore"):
        narrow = values.astype(np.float32)
        same = narrow == values  # compared as float64, without a widened copy
    if not same.all():
        same |= np.isnan(values)
        if not same.all():
            return values
    return narrow


def _shared_str(values: object) -> object:
    """Arrow text as pandas ``str`` with one Python object per *distinct* value,
    shared by the rows that hold it: a million rows of ids, names or categories cost 8 MB of
    pointers (plus the distinct values) instead of 13–30 MB of Arrow text per column, and the
    frames look like any other pandas frame. Other values are returned as they are."""
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    if _arrow(s) is None:
        return values
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    table = np.append(np.asarray(uniques, dtype=object), np.nan)  # code -1: missing
    return pd.Series(table[codes], dtype=SHARED_STR)


def _joined(parts: list) -> object:
    """The typed parts of one column (one per block) as one array or Series."""
    if len(parts) == 1:
        return _as_values(parts[0])
    out = pd.concat([pd.Series(_as_values(p)) for p in parts], ignore_index=True)
    parts.clear()
    return out


def _reader_notes(label: str, attrs: dict, head_row: int, header: list[str],
                  columns: dict[str, int]) -> list[Problem]:
    """What the file reader noticed, as problems: rows with too many values, merged cells and
    formulas without a cached value at or below the header row."""
    out = []
    by_position = {j + 1: name for name, j in columns.items()}
    bad_rows = attrs.get("bad_rows", [])
    for row, n, width in bad_rows[:MAX_PROBLEMS_PER_RULE]:
        out.append(Problem(
            label, row, None, None, None, "wrong_field_count",
            f"该行有 {n} 个值，而表头只有 {width} 列：值中可能含有未加引号的分隔符",
            f"the row has {n} values but the header has {width} columns: a delimiter inside a "
            f"value that is not quoted?"))
    if len(bad_rows) > MAX_PROBLEMS_PER_RULE:
        out.append(more_problems(label, None, "wrong_field_count", len(bad_rows)))
    for r0, c0, r1, c1 in attrs.get("merged", []):
        if r1 < head_row:
            continue  # a title above the header
        names = [by_position[c] for c in range(c0, c1 + 1) if c in by_position]
        where = f"{cell_ref(r0, c0)}:{cell_ref(r1, c1)}"
        out.append(Problem(
            label, max(r0, head_row), None, None, names[0] if names else None, "merged_cells",
            f"单元格 {where} 是合并单元格：只有 {cell_ref(r0, c0)} 有值，其余读作空；"
            "请取消合并并在每个单元格填值",
            f"cells {where} are merged: only {cell_ref(r0, c0)} holds a value and the others "
            "read as empty; unmerge them and fill every cell"))
    for row, col in attrs.get("formulas", []):
        if row < head_row:
            continue
        out.append(Problem(
            label, row, None, None, by_position.get(col), "formula_without_value",
            f"单元格 {cell_ref(row, col)} 是公式但没有保存计算结果（文件由不计算公式的程序生成）："
            "请在 Excel 或 WPS 中打开并保存，或粘贴为数值",
            f"cell {cell_ref(row, col)} holds a formula without a saved result (the file was "
            "written by a program that does not calculate): open and save it in Excel or WPS, "
            "or paste it as values"))
    return out


_EDGE_SPACE = re.compile(r"\s\x00|\x00\s")


def _mapped_values(mapping: HeaderMapping, column: str, text: pd.Series) -> pd.Series:
    """``text`` with the mapping's spellings of ``column``'s values replaced by the canonical
    ones (other cells unchanged)."""
    spellings = mapping.values.get(column)
    if not spellings:
        return text
    canonical = text.str.lower().map(spellings)
    return canonical.where(canonical.notna(), text).astype(text.dtype)


def _strip(col: pd.Series) -> pd.Series:
    """Text of a column with surrounding spaces removed (Arrow text: Arrow's trim; other text:
    the per-cell work is skipped when one scan over the joined column finds nothing to do)."""
    if _arrow(col) is not None:  # Arrow's trim is cheaper than any test for what to trim
        return col.str.strip()
    col = col.astype(str)
    joined = "\x00" + "\x00".join(col.tolist()) + "\x00"
    if not _EDGE_SPACE.search(joined):
        return col
    return col.str.strip()


def _as_values(v: object) -> object:
    if isinstance(v, pd.Series):
        return v.reset_index(drop=True)
    return v


def _number_text(text: pd.Series) -> pd.Series:
    thousands = text.str.fullmatch(_THOUSANDS)
    return text.where(~thousands, text.str.replace(",", "", regex=False))


def _coerce(
    spec: ColumnSpec, text: pd.Series
) -> tuple[object, list[tuple[np.ndarray, str, str, str]]]:
    """Typed values of one column and the cells that failed: (mask, code, zh, en) templates."""
    empty = (text == "").to_numpy()
    kind = spec.kind
    found: list[tuple[np.ndarray, str, str, str]] = []

    if kind in ("year", "count", "amount", "rate"):
        t = text
        pct = np.zeros(len(t), dtype=bool)
        if kind == "rate":
            pct = t.str.endswith(("%", "％")).to_numpy()
            t = t.str.rstrip("%％").str.strip()
        num = _to_float(t, empty)
        retry = ~empty & np.isnan(num)
        if retry.any():  # the slower spellings, only where the plain number failed
            sub = t[retry]
            if kind == "year":
                sub = sub.str.replace(_YEAR_TEXT, r"\1", regex=True)
            num[retry] = _numbers(_number_text(sub))
        bad = ~empty & ~np.isfinite(num)
        found.append((bad, "not_a_number", "不是数字: “{value}”", "not a number: '{value}'"))
        num[bad] = np.nan
        return _checked_numbers(spec, num, pct, found), _nonempty(found)

    if kind == "bool":
        mapped = _lookup(text, _BOOL_WORDS)
        bad = ~empty & mapped.isna().to_numpy()
        found.append((bad, "not_a_bool", "不是“是/否”: “{value}”（可写 是/否、true/false、1/0）",
                      "not true/false: '{value}' (write true/false, yes/no, 1/0, 是/否)"))
        return pd.array(mapped.to_numpy(object), dtype="boolean"), _nonempty(found)

    if kind == "category":
        lookup = _category_lookup(spec)
        mapped = _lookup(text, lookup)
        retry = (mapped.isna() & ~pd.Series(empty, index=text.index)).to_numpy()
        if retry.any():  # spellings with spaces or hyphens, only where the plain one failed
            key = text[retry].str.lower().str.replace(r"[\s\-]+", "_", regex=True)
            mapped[retry] = key.map(lookup)
        bad = ~empty & mapped.isna().to_numpy()
        allowed_zh = "、".join(
            f"{v}（{VALUE_LABELS[v][0]}）" if v in VALUE_LABELS else v for v in spec.values)
        allowed_en = ", ".join(spec.values)
        found.append((bad, "unknown_value", "未知取值 “{value}”，可选: " + allowed_zh,
                      "unknown value '{value}'; allowed: " + allowed_en))
        return mapped.astype(text.dtype), _nonempty(found)

    if kind == "id":
        t = text.copy()
        sci = np.zeros(len(t), dtype=bool)
        odd = (~empty & ~text.str.isdigit()
               & (text.str.contains(".", regex=False) | text.str.contains("+", regex=False)
                  | text.str.contains("e", case=False, regex=False))
               ).to_numpy(dtype=bool)
        if odd.any():  # regular expressions only for ids that are not plain digits
            sub = text[odd].str.replace(_FLOAT_ID, r"\1", regex=True)
            t[odd] = sub
            sci[odd] = sub.str.fullmatch(_SCIENTIFIC_ID).to_numpy(dtype=bool)
        found.append((sci, "mangled_id",
                      "代码 “{value}” 是科学计数法，原有数字已丢失：请把该列设为文本格式后重新导出",
                      "id '{value}' is in scientific notation and has lost digits: format the "
                      "column as text and export again"))
        return t, _nonempty(found)

    return text, []


def _checked_numbers(spec: ColumnSpec, num: np.ndarray, pct: np.ndarray, found: list) -> object:
    """The rules of :func:`_coerce` for numbers that are read (NaN where empty or not a
    number): whole numbers, shares, years; the failing cells are added to ``found``."""
    kind = spec.kind
    if kind in ("year", "count"):
        frac = np.isfinite(num) & (num != np.floor(num))
        found.append((frac, "not_an_integer", "不是整数: {value}",
                      "not a whole number: {value}"))
        num[frac] = np.nan
    if kind == "rate":
        num = np.where(pct | (num > 1), num / 100.0, num)
    if kind == "year":
        wild = np.isfinite(num) & (np.abs(num) > 99_999)  # beyond any year, and Int64's range
        found.append((wild, "year_out_of_range", "年份 “{value}” 不可能",
                      "year '{value}' is impossible"))
        num[wild] = np.nan
        years = pd.Series(num).astype("Int64")
        if spec.name == "year" and not years.isna().any():
            years = years.astype("int64")
        return years
    return num


_PLAIN_NUMBER = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"


def _arrow(text: pd.Series):
    """The Arrow array behind a text column, or None when it is not Arrow-backed."""
    if (isinstance(text.dtype, pd.StringDtype) and text.dtype.storage == "pyarrow") or (
            isinstance(text.dtype, pd.ArrowDtype) and text.dtype.kind in "OU"):
        return text.array._pa_array
    return None


def _as_str(text: pd.Series) -> pd.Series:
    """A column of the CSV grid (Arrow ``string``) as pandas ``str`` text (Arrow-backed)."""
    return text.astype(STRING_DTYPE) if isinstance(text.dtype, pd.ArrowDtype) else text


def _numbers(text: pd.Series) -> np.ndarray:
    """``pd.to_numeric`` of text that is not Arrow-backed (NaN where not a number)."""
    values = text.astype(object) if _arrow(text) is not None else text
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", copy=True)


def _to_float(text: pd.Series, empty: np.ndarray) -> np.ndarray:
    """Float values of a column of text, NaN where empty or not a plain number.

    Arrow text is cast by Arrow (a million cells in a few hundredths of a second); where some
    cell is not a plain decimal number, only the cells that are go through Arrow and the others
    through ``pd.to_numeric``, which accepts every spelling Arrow does with the same values.
    """
    arr = _arrow(text)
    if arr is None:
        return _numbers(text)
    import pyarrow as pa
    import pyarrow.compute as pc

    mask = pa.array(empty)
    values = pc.if_else(mask, pa.scalar(None, pa.string()), arr)
    try:
        cast = pc.cast(values, pa.float64())
    except pa.ArrowInvalid:
        plain = pc.match_substring_regex(values, _PLAIN_NUMBER).to_numpy(zero_copy_only=False)
        plain = np.asarray(plain, dtype=object)
        ok = plain == True  # noqa: E712 - nulls (empty cells) are neither
        num = np.full(len(text), np.nan)
        if ok.any():
            num[ok] = pc.cast(pc.filter(values, pa.array(ok)), pa.float64()).to_numpy()
        rest = ~ok & ~empty
        if rest.any():
            num[rest] = _numbers(text[rest])
        return num
    return cast.to_numpy(zero_copy_only=False).astype("float64", copy=True)


def _lookup(text: pd.Series, words: dict[str, object]) -> pd.Series:
    """``text.str.lower().map(words)`` (NaN where not found), in Arrow for Arrow text."""
    arr = _arrow(text)
    if arr is None:
        return text.str.lower().map(words)
    import pyarrow as pa
    import pyarrow.compute as pc

    keys = list(words)
    found = pc.index_in(pc.utf8_lower(arr), value_set=pa.array(keys, pa.string()))
    idx = found.to_numpy(zero_copy_only=False)
    idx = np.where(np.isnan(idx.astype("float64")), len(keys), idx).astype(np.int64)
    table = np.array([*words.values(), np.nan], dtype=object)
    return pd.Series(table[idx], index=text.index, dtype=object)


def _nonempty(found):
    return [f for f in found if f[0].any()]


def _category_lookup(spec: ColumnSpec) -> dict[str, str]:
    def key(s: str) -> str:
        return re.sub(r"[\s\-]+", "_", s.strip().lower())

    lookup: dict[str, str] = {}
    for alias, value in VALUE_ALIASES.items():
        if value in spec.values:
            lookup[key(alias)] = value
    for value in spec.values:
        lookup[key(value)] = value
        for lab in VALUE_LABELS.get(value, ()):
            lookup.setdefault(key(lab), value)
    return lookup
