"""Reading a county's input tables (contract §2): a folder of CSV files or one ``.xlsx`` workbook.

:func:`read_county` parses: it finds the tables, decodes the files, maps the headers to the
canonical names of :mod:`balance_lib.columns` and turns every cell into its typed value,
recording a :class:`~balance_lib.schemas.Problem` for each cell it cannot read.
:func:`load_county` adds the rules of :func:`balance_lib.schemas.validate` and raises
:class:`DataError` listing *every* problem when there is any.

Where the tables are
--------------------
A folder holds one file per table, named by the canonical table name or a Chinese alias of
:data:`~balance_lib.columns.TABLE_ALIASES` (``schools.csv``, ``学校.csv``, ``classes.xlsx``…).
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

import io
import re
from dataclasses import dataclass, field
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
from .schemas import Problem, format_report, sort_problems, validate

__all__ = ["CountyData", "DataError", "load_county", "load_county_excluding", "read_county",
           "BOOKKEEPING_COLUMNS"]

#: Columns every frame carries besides the canonical ones.
BOOKKEEPING_COLUMNS = ("source_file", "source_row")
#: File suffixes read as tables inside a county folder.
TABLE_SUFFIXES = (".csv", ".xlsx", ".xlsm")
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
    """

    source: Path
    tables: dict[str, pd.DataFrame]
    files: dict[str, str]
    parse_problems: list[Problem] = field(default_factory=list)
    ignored_columns: dict[str, list[str]] = field(default_factory=dict)
    excluded_names: dict[str, str] = field(default_factory=dict)

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


def load_county(path: str | Path, *, registry: Any = None) -> CountyData:
    """Read and validate a county; raise :class:`DataError` with all problems if there are any.

    Parameters
    ----------
    path
        A county folder (``schools.csv`` and optional tables) or one ``.xlsx`` workbook.
    registry
        An extended indicator registry: its extra columns are read and checked too
        (:func:`balance_lib.columns.vocabulary_for`). Default: the national vocabulary.

    Returns
    -------
    CountyData
        Typed frames that passed every rule of :func:`balance_lib.schemas.validate`.
    """
    with vocabulary_for(registry):
        data, problems = read_county(path)
        problems = sort_problems([*problems, *validate(data)])
    if problems:
        raise DataError(problems)
    return data


def load_county_excluding(path: str | Path, *, registry: Any = None
                          ) -> tuple[CountyData, dict[str, list[Problem]]]:
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
        return _load_excluding(path)


def _load_excluding(path: str | Path) -> tuple[CountyData, dict[str, list[Problem]]]:
    data, problems = read_county(path)
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
                      ignored_columns=dict(data.ignored_columns), excluded_names=names)


def read_county(path: str | Path) -> tuple[CountyData, list[Problem]]:
    """Parse a county folder or workbook without judging the values.

    Parameters
    ----------
    path
        A county folder or one ``.xlsx`` workbook.

    Returns
    -------
    (CountyData, list of Problem)
        The tables that could be read, and the problems met while reading: a missing path or
        ``schools`` table (``missing_table``), unreadable files (``unreadable``), two files for
        one table (``duplicate_table``), two headers for one column (``duplicate_column``) and
        cells that cannot be read (``not_a_number``, ``not_an_integer``, ``not_a_bool``,
        ``unknown_value``, ``mangled_id``). Never raises for bad input.
    """
    path = Path(path)
    problems: list[Problem] = []
    data = CountyData(source=path, tables={}, files={})
    sources: dict[str, tuple[str, object]] = {}
    if path.is_dir():
        sources = _folder_sources(path, problems)
    elif path.is_file() and path.suffix.lower() in (".xlsx", ".xlsm"):
        sources = _workbook_sources(path, problems)
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
            grid = loader()
        except Exception as exc:  # noqa: BLE001 - any reader failure is the file's problem
            problems.append(_unreadable(label, exc))
            continue
        frame, found, ignored = _table_from_grid(table, label, grid)
        problems += found
        if frame is not None:
            data.tables[table] = frame
            data.files[table] = label
            if ignored:
                data.ignored_columns[table] = ignored
    data.parse_problems = sort_problems(problems)
    return data, data.parse_problems


# ---------------------------------------------------------------------------------------------
# Finding the tables
# ---------------------------------------------------------------------------------------------


def _table_of(name: str) -> str | None:
    """The canonical table a file stem or sheet name stands for, or None."""
    key = re.sub(r"\s+", "", str(name)).lower()
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


def _folder_sources(folder: Path, problems: list[Problem]) -> dict[str, tuple[str, object]]:
    found: dict[str, list[Path]] = {}
    for p in sorted(folder.iterdir()):
        if not p.is_file() or p.name.startswith(("~$", ".")):
            continue
        if p.suffix.lower() not in TABLE_SUFFIXES:
            continue
        table = _table_of(p.stem)
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
            sources[table] = _file_source(files[0], table)
        elif table in REQUIRED_TABLES:
            problems.append(_missing_table_problem(folder, table, None))
    return sources


def _file_source(p: Path, table: str) -> tuple[str, object]:
    """A table file in a folder: a CSV, or a workbook whose sheet named for the table (else its
    first sheet) holds the table."""
    if p.suffix.lower() == ".csv":
        return p.name, lambda: _csv_grid(p)

    def load() -> pd.DataFrame:
        names = _sheet_names(p)
        return _xlsx_grid(p, next((s for s in names if _table_of(s) == table), names[0]))

    return p.name, load


def _workbook_sources(book: Path, problems: list[Problem]) -> dict[str, tuple[str, object]]:
    try:
        names = _sheet_names(book)
    except Exception as exc:  # noqa: BLE001
        problems.append(_unreadable(book.name, exc))
        return {}
    found: dict[str, list[str]] = {}
    for s in names:
        table = _table_of(s)
        if table is not None:
            found.setdefault(table, []).append(s)
    sources: dict[str, tuple[str, object]] = {}
    for table in TABLES:
        sheets = found.get(table, [])
        if len(sheets) > 1:
            problems.append(Problem(
                book.name, None, None, None, None, "duplicate_table",
                f"{table} 表有多个工作表: {'、'.join(sheets)}；请只保留一个",
                f"several sheets for the {table} table: {', '.join(sheets)}; keep one"))
        elif sheets:
            sources[table] = (f"{book.name}[{sheets[0]}]",
                              lambda s=sheets[0]: _xlsx_grid(book, s))
        elif table in REQUIRED_TABLES:
            problems.append(_missing_table_problem(book, table, names))
    return sources


def _unreadable(label: str, exc: Exception) -> Problem:
    detail = f"{type(exc).__name__}: {exc}".strip()
    return Problem(label, None, None, None, None, "unreadable",
                   f"无法读取该文件（{detail}）", f"cannot read the file ({detail})")


# ---------------------------------------------------------------------------------------------
# Raw grids of text: row i of the grid is spreadsheet row i + 1
# ---------------------------------------------------------------------------------------------


def _decode(raw: bytes) -> str:
    """UTF-16 with a BOM, else UTF-8 (with or without BOM), else GB18030 (a superset of GBK)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise ValueError("编码既不是 UTF-8 也不是 GBK / encoding is neither UTF-8 nor GBK") from exc


def _csv_grid(p: Path) -> pd.DataFrame:
    text = _decode(p.read_bytes())
    if not text.strip():
        raise ValueError("文件为空 / the file is empty")
    first = text.lstrip().splitlines()[0]
    sep = max((",", "\t", ";"), key=first.count)
    grid = pd.read_csv(io.StringIO(text), sep=sep, header=None, dtype=str, keep_default_na=False,
                       na_filter=False, skip_blank_lines=False)
    return grid.fillna("").astype(str)


def _sheet_names(p: Path) -> list[str]:
    from openpyxl import load_workbook

    wb = load_workbook(p, read_only=True, data_only=True)
    try:
        return list(wb.sheetnames)
    finally:
        wb.close()


def _xlsx_grid(p: Path, sheet: str | None) -> pd.DataFrame:
    from openpyxl import load_workbook

    wb = load_workbook(p, read_only=True, data_only=True)
    try:
        ws = wb[sheet] if sheet is not None else wb.worksheets[0]
        rows = [[_cell_text(v) for v in r] for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()
    if not rows:
        raise ValueError("工作表为空 / the sheet is empty")
    width = max(len(r) for r in rows)
    return pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=str)


def _cell_text(value: object) -> str:
    """Text of one Excel cell as a person would read it (integral floats without ``.0``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    return str(value)


# ---------------------------------------------------------------------------------------------
# From a grid to a typed frame
# ---------------------------------------------------------------------------------------------


def _norm(header: str) -> str:
    return _norm_header(re.sub(r"\s+", "", str(header)))


def _table_from_grid(
    table: str, label: str, grid: pd.DataFrame
) -> tuple[pd.DataFrame | None, list[Problem], list[str]]:
    problems: list[Problem] = []
    grid = grid.reset_index(drop=True)
    grid.columns = range(grid.shape[1])
    grid = grid.apply(_strip)
    if grid.empty:
        return None, [_unreadable(label, ValueError("文件为空 / the file is empty"))], []

    aliases = header_aliases(table)
    top = grid.iloc[:HEADER_SEARCH_ROWS]
    hits = [sum(_norm(h) in aliases for h in top.iloc[i]) for i in range(len(top))]
    head = int(np.argmax(hits)) if max(hits) > 0 else 0

    data = grid.iloc[head + 1:]
    data = data[(data != "").any(axis=1)]
    rows = (data.index.to_numpy() + 1).astype("int64")

    columns: dict[str, int] = {}
    ignored: list[str] = []
    for j, header in enumerate(grid.iloc[head]):
        if header == "":
            continue
        name = aliases.get(_norm(header))
        if name is None:
            ignored.append(header)
        elif name in columns:
            problems.append(Problem(
                label, None, None, None, name, "duplicate_column",
                f"两列表头都指向该列（第 {columns[name] + 1} 列与第 {j + 1} 列）；请删去一列",
                f"two headers name this column (columns {columns[name] + 1} and {j + 1}); "
                f"delete one"))
        else:
            columns[name] = j

    specs = [s for s in table_columns(table) if s.name in columns or s.name == "county_id"]
    text = {s.name: data[columns[s.name]] for s in specs if s.name in columns}
    values: dict[str, object] = {}
    issues: list[tuple[ColumnSpec, pd.Series, list[tuple[np.ndarray, str, str, str]]]] = []
    for spec in specs:
        if spec.name not in text:  # county_id absent: one county
            values[spec.name] = np.full(len(data), "", dtype=object)
            continue
        values[spec.name], found = _coerce(spec, text[spec.name])
        if found:
            issues.append((spec, text[spec.name], found))

    frame = pd.DataFrame({k: _as_values(v) for k, v in values.items()}, index=range(len(data)))
    if "county_id" in frame:
        frame["county_id"] = frame["county_id"].astype(str)
    frame["source_file"] = label
    frame["source_row"] = rows

    sids = frame["school_id"].to_numpy(object) if "school_id" in frame else None
    years = frame["year"].to_numpy(object) if "year" in frame else None
    for spec, raw, found in issues:
        raw_values = raw.to_numpy(object)
        for mask, code, zh, en in found:
            for k in np.flatnonzero(mask):
                year = years[k] if years is not None else None
                problems.append(Problem(
                    label, int(rows[k]),
                    str(sids[k]) if sids is not None and sids[k] != "" else None,
                    None if year is None or pd.isna(year) else int(year),
                    spec.name, code,
                    zh.format(value=raw_values[k]), en.format(value=raw_values[k])))
    return frame, problems, ignored


_EDGE_SPACE = re.compile(r"\s\x00|\x00\s")


def _strip(col: pd.Series) -> pd.Series:
    """Text of a column with surrounding spaces removed; skips the per-cell loop when no cell
    has any (checked with one regular-expression scan over the joined column)."""
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
        num = pd.to_numeric(t, errors="coerce").to_numpy(dtype="float64", copy=True)
        retry = ~empty & np.isnan(num)
        if retry.any():  # the slower spellings, only where the plain number failed
            sub = t[retry]
            if kind == "year":
                sub = sub.str.replace(_YEAR_TEXT, r"\1", regex=True)
            num[retry] = pd.to_numeric(_number_text(sub), errors="coerce")
        bad = ~empty & ~np.isfinite(num)
        found.append((bad, "not_a_number", "不是数字: “{value}”", "not a number: '{value}'"))
        num[bad] = np.nan
        if kind in ("year", "count"):
            frac = np.isfinite(num) & (num != np.floor(num))
            found.append((frac, "not_an_integer", "不是整数: {value}",
                          "not a whole number: {value}"))
            num[frac] = np.nan
        if kind == "rate":
            num = np.where(pct | (num > 1), num / 100.0, num)
        if kind == "year":
            years = pd.Series(num).astype("Int64")
            if spec.name == "year" and not years.isna().any():
                years = years.astype("int64")
            return years, _nonempty(found)
        return num, _nonempty(found)

    if kind == "bool":
        mapped = text.str.lower().map(_BOOL_WORDS)
        bad = ~empty & mapped.isna().to_numpy()
        found.append((bad, "not_a_bool", "不是“是/否”: “{value}”（可写 是/否、true/false、1/0）",
                      "not true/false: '{value}' (write true/false, yes/no, 1/0, 是/否)"))
        return pd.array(mapped.to_numpy(object), dtype="boolean"), _nonempty(found)

    if kind == "category":
        lookup = _category_lookup(spec)
        lower = text.str.lower()
        mapped = lower.map(lookup)
        retry = (mapped.isna() & ~pd.Series(empty, index=text.index)).to_numpy()
        if retry.any():  # spellings with spaces or hyphens, only where the plain one failed
            key = lower[retry].str.replace(r"[\s\-]+", "_", regex=True)
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
