"""Validation of a county's input tables: every rule, every problem, each one located.

:func:`validate` checks the typed frames of a :class:`~balance_lib.io.CountyData` and returns
*all* problems, each naming the file, the spreadsheet row, the school and year of the row and the
column, with a Chinese and an English message. :func:`format_report` turns them into the text the
command line prints.

Design
------
The rules are data: per-column rules come from the :mod:`balance_lib.columns` specs (required,
kind, level), the cross-row and cross-table rules from the tables below (:data:`UNIQUE_KEYS`,
:data:`SCHOOL_REFERENCES`, :data:`NOT_ABOVE`, :data:`GRADES`; the judged item ids come from the
registry, :func:`balance_lib.columns.judged_items`). Each rule
is one vectorised pandas/numpy test over the whole column; Python loops only run over the rows
found to be wrong, to write their messages. This is used rather than pandera because most rules
depend on the school type, on another column or on another table, and every failure needs a
bilingual message located by spreadsheet row, school and year: with pandera each would be a
custom wide check whose failure cases must be mapped back to rows and messages afterwards.

Codes
-----
From reading (:func:`balance_lib.io.read_county`): ``missing_table``, ``unreadable`` (also a
file beyond a limit of :mod:`balance_lib.limits`, or with mixed encodings), ``duplicate_table``,
``duplicate_column``, ``not_a_number``, ``not_an_integer``, ``not_a_bool``, ``unknown_value``,
``mangled_id``, ``year_out_of_range`` (a year no calendar has), ``no_rows`` (a header only),
``wrong_field_count`` (a CSV row with more values than the header), ``merged_cells``,
``formula_without_value``, ``hidden_sheet`` and ``unexpected_sheet`` (workbooks).
From :func:`validate`: ``missing_column``, ``missing_value``, ``negative``, ``too_large``
(beyond :data:`~balance_lib.limits.MAX_COUNT` / :data:`~balance_lib.limits.MAX_AMOUNT`),
``rate_out_of_range``,
``year_out_of_range``, ``no_students``, ``duplicate_key``, ``unknown_parent``,
``exceeds_teachers``, ``exceeds_area``, ``exceeds_total``, ``unknown_school``,
``grade_out_of_range``, ``unknown_value`` (judgement item ids).

A cell that could not be read is reported once, by the reader; :func:`validate` reports nothing
more about it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .columns import COLUMNS, LEVELS, TYPE_LEVELS, VALUE_LABELS, judged_items, table_columns
from .limits import MAX_AMOUNT, MAX_COUNT, MAX_PROBLEMS_PER_RULE
from .safetext import cell, quote

if TYPE_CHECKING:
    from .io import CountyData

__all__ = ["Problem", "validate", "format_report", "sort_problems", "column_label"]


@dataclass(frozen=True)
class Problem:
    """One located problem of the input data.

    Attributes
    ----------
    file
        The file as the user knows it: ``"schools.csv"`` or ``"sample.xlsx[schools]"``.
    row
        Spreadsheet row number (header = 1, first data row = 2); None for file-level problems.
    school_id, year
        Of the row, when the row has them.
    column
        Canonical column name, or None.
    code
        Machine-readable kind of problem (see the module notes).
    message_zh, message_en
        What is wrong, without the location (which :meth:`format` adds).

    Examples
    --------
    >>> p = Problem("schools.csv", 5, "6523010003", 2024, "teachers_primary", "negative",
    ...             "负数 -3", "negative value -3")
    >>> p.format()
    'schools.csv 第 5 行 (学校 6523010003, 2024 年) 列 teachers_primary（小学专任教师数）: 负数 -3'
    """

    file: str
    row: int | None
    school_id: str | None
    year: int | None
    column: str | None
    code: str
    message_zh: str
    message_en: str

    def format(self, lang: str = "zh") -> str:
        """One line: file, row, school and year, column, then the message."""
        zh = lang == "zh"
        parts = [cell(self.file)]  # a sheet or file name is data too
        if self.row is not None:
            parts.append(f"第 {self.row} 行" if zh else f"row {self.row}")
        who = []
        if self.school_id:
            sid = quote(self.school_id)
            who.append(f"学校 {sid}" if zh else f"school {sid}")
        if self.year is not None:
            who.append(f"{self.year} 年" if zh else f"year {self.year}")
        if who:
            parts.append("(" + ", ".join(who) + ")")
        if self.column:
            parts.append(("列 " if zh else "column ") + column_label(self.column, lang))
        return " ".join(parts) + ": " + (self.message_zh if zh else self.message_en)


def more_problems(file: str, column: str | None, code: str, n: int) -> Problem:
    """The line that stands for the rows of one problem beyond
    :data:`~balance_lib.limits.MAX_PROBLEMS_PER_RULE` (``n`` rows have it in all)."""
    more = n - MAX_PROBLEMS_PER_RULE
    return Problem(file, None, None, None, column, code,
                   f"共 {n:,} 行有此问题，以上只列出前 {MAX_PROBLEMS_PER_RULE:,} 行（另有 {more:,} 行）",
                   f"{n:,} rows have this problem; the first {MAX_PROBLEMS_PER_RULE:,} are listed "
                   f"above ({more:,} more)")


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Problems in report order: by file, then row (file-level first), column and code."""
    return sorted(
        problems,
        key=lambda p: (p.file, -1 if p.row is None else p.row, p.column or "", p.code,
                       p.message_en),
    )


def format_report(problems: Iterable[Problem], lang: str = "zh") -> str:
    """A header line with the count, then one line per problem (see :meth:`Problem.format`)."""
    problems = list(problems)
    zh = lang == "zh"
    if not problems:
        return "数据检查未发现问题。" if zh else "No problems found in the data."
    n = len(problems)
    head = (f"数据有 {n} 个问题，请修改后重试：" if zh
            else f"{n} problem{'s' if n != 1 else ''} found in the data; fix and retry:")
    return "\n".join([head, *(p.format(lang) for p in problems)])


_LABELS: dict[str, tuple[str, str]] = {}
for _spec in COLUMNS:
    _LABELS.setdefault(_spec.name, (_spec.zh, _spec.en))


def column_label(name: str, lang: str = "zh") -> str:
    """``teachers_primary（小学专任教师数）`` or ``teachers_primary (primary teachers)``."""
    if name not in _LABELS:
        return name
    zh, en = _LABELS[name]
    return f"{name}（{zh}）" if lang == "zh" else f"{name} ({en})"


def _value_label(value: str, lang: str = "zh") -> str:
    if value in VALUE_LABELS:
        zh, en = VALUE_LABELS[value]
        return f"{value}（{zh}）" if lang == "zh" else value
    return value


# ---------------------------------------------------------------------------------------------
# The rule tables
# ---------------------------------------------------------------------------------------------


#: Allowed range of ``year``-kind columns; other year columns (``year_built``) use the default.
YEAR_RANGES = {"year": (2000, 2100)}
DEFAULT_YEAR_RANGE = (1800, 2100)

#: Keys unique per table, and the column a duplicate is reported on.
UNIQUE_KEYS: dict[str, tuple[tuple[str, ...], str]] = {
    "schools": (("county_id", "school_id", "year"), "school_id"),
    "classes": (("county_id", "school_id", "year", "class_id"), "class_id"),
    "county": (("county_id", "year"), "year"),
    "monitoring": (("county_id", "year", "subject", "level"), "subject"),
    "births": (("county_id", "year"), "year"),
}

#: Tables whose rows must name a school of ``schools``: the key matched.
SCHOOL_REFERENCES: dict[str, tuple[str, ...]] = {
    "classes": ("county_id", "school_id", "year"),
    "quality": ("county_id", "school_id"),  # any year: monitoring years need no school row
}

#: Grades of each level in ``classes``.
GRADES = {"primary": (1, 6), "junior": (7, 9)}


@dataclass(frozen=True)
class NotAbove:
    """``column`` must not exceed the sum of ``limit`` columns.

    An empty limit counts as 0 where the school does not teach the limit column's level (a 小学
    has no ``teachers_junior``); anywhere else an empty limit leaves the row unchecked.
    """

    table: str
    column: str
    limit: tuple[str, ...]
    code: str
    note_zh: str = ""
    note_en: str = ""


NOT_ABOVE: tuple[NotAbove, ...] = (
    *(NotAbove("schools", f"{kind}_teachers_{level}", (f"teachers_{level}",), "exceeds_teachers")
      for level in LEVELS for kind in ("qualified", "backbone", "pe_art")),
    NotAbove("schools", "certified_teachers", ("teachers_primary", "teachers_junior"),
             "exceeds_teachers"),
    NotAbove("schools", "indoor_sports_area_m2", ("teaching_aux_area_m2",), "exceeds_area",
             "（室内体育用房计入教学及辅助用房）",
             " (the indoor sports area is part of the teaching and auxiliary area)"),
    NotAbove("county", "rotated_teachers", ("rotation_eligible_teachers",), "exceeds_total"),
    NotAbove("county", "rotated_backbone_teachers", ("rotated_teachers",), "exceeds_total"),
    NotAbove("county", "training_360h_completed", ("training_360h_eligible",), "exceeds_total"),
    NotAbove("county", "migrant_children_public_or_purchased", ("migrant_children_eligible",),
             "exceeds_total"),
    NotAbove("county", "disabled_children_enrolled", ("disabled_children",), "exceeds_total"),
    NotAbove("survey", "satisfied", ("respondents",), "exceeds_total"),
    NotAbove("schools", "migrant_students", ("students_primary", "students_junior"),
             "exceeds_total"),
)


# ---------------------------------------------------------------------------------------------
# One table under validation
# ---------------------------------------------------------------------------------------------


def _fmt(value: object) -> str:
    if isinstance(value, (float, np.floating)):
        if np.isnan(value):
            return ""
        if abs(value) >= 1e15:  # a huge number in a message: its magnitude, not 300 digits
            return f"{float(value):.6g}"
        if float(value).is_integer():
            return str(int(value))
        return f"{float(value):.4f}".rstrip("0").rstrip(".")
    if isinstance(value, (np.integer,)):
        return str(int(value))
    return quote(value)  # text from the data: one line, no terminal controls, bounded


#: Text columns whose integer codes :meth:`_Table.codes` keeps from their first reading.
_KEY_COLUMNS = ("county_id", "school_id")


class _Table:
    """A frame with its locations (file, row, school, year) as arrays, and problem building."""

    def __init__(self, table: str, frame: pd.DataFrame, file: str):
        self.table = table
        self.frame = frame
        n = len(frame)
        self.n = n
        if "source_row" in frame:
            self.rows = pd.to_numeric(frame["source_row"]).to_numpy()
        else:
            self.rows = np.arange(n) + 2
        self.files = (_shared_text(frame["source_file"], strip=False)
                      if "source_file" in frame else np.full(n, file, dtype=object))
        self._text: dict[str, np.ndarray] = {}
        self._num: dict[str, np.ndarray] = {}
        self._codes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.sid = self.text("school_id") if "school_id" in frame else None
        self.year = self.num("year") if "year" in frame else None
        self.file = file

    def __contains__(self, column: str) -> bool:
        return column in self.frame

    def num(self, column: str) -> np.ndarray:
        """Float values (NaN when empty, unreadable or absent)."""
        if column not in self.frame:
            return np.full(self.n, np.nan)
        s = self.frame[column]
        if s.dtype == "float64":
            return s.to_numpy()
        if s.dtype == "float32":  # read compactly: widened (exactly) each time, not kept
            return s.to_numpy().astype("float64")
        if column not in self._num:  # made once (a year column is asked for by many rules)
            self._num[column] = pd.to_numeric(s, errors="coerce").astype("float64").to_numpy()
        return self._num[column]

    def text(self, column: str) -> np.ndarray:
        """Stripped text (``""`` when empty or absent)."""
        if column not in self.frame:
            return np.full(self.n, "", dtype=object)
        if column not in self._text:
            codes, table = _text_codes(self.frame[column])
            self._text[column] = table[codes]
            if column in _KEY_COLUMNS:  # the same factorisation gives the key's codes
                dense, distinct = pd.factorize(table)  # (equal texts, one code)
                self._codes[column] = (dense.astype(np.int32)[codes],
                                       np.asarray(distinct, dtype=object))
        return self._text[column]

    def empty(self, column: str) -> np.ndarray:
        s = self.frame[column]
        na = s.isna().to_numpy(dtype=bool)
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            return na
        text = self._text.get(column)
        if text is None:  # not kept: a name is only tested for emptiness
            text = _shared_text(s)
        return na | (text == "")

    def problems(self, mask: np.ndarray, column: str | None, code: str, zh: str, en: str,
                 **fields: object) -> list[Problem]:
        """One problem per true row of ``mask``; ``{field}`` in the templates is filled per row
        from ``fields``: arrays aligned with the frame, functions of the row position, or
        scalars."""
        idx = np.flatnonzero(mask)
        out = []
        for k in idx[:MAX_PROBLEMS_PER_RULE]:
            values = {name: _fmt(v[k]) if isinstance(v, np.ndarray) else
                      (v(k) if callable(v) else v) for name, v in fields.items()}
            year = self.year[k] if self.year is not None else np.nan
            sid = self.sid[k] if self.sid is not None else ""
            out.append(Problem(
                str(self.files[k]), int(self.rows[k]), sid or None,
                None if np.isnan(year) else int(year), column, code,
                zh.format(**values), en.format(**values)))
        if len(idx) > MAX_PROBLEMS_PER_RULE:  # bounded: the rest is counted, not listed
            out.append(more_problems(self.file, column, code, len(idx)))
        return out

    def file_problem(self, column: str | None, code: str, zh: str, en: str) -> Problem:
        return Problem(self.file, None, None, None, column, code, zh, en)

    def keys(self, columns: tuple[str, ...]) -> tuple[list[np.ndarray], np.ndarray]:
        """Key columns as arrays (text; year as int64, -1 when unreadable) and which rows have a
        complete key."""
        parts: list[np.ndarray] = []
        valid = np.ones(self.n, dtype=bool)
        for c in columns:
            if c == "year":
                y = self.num("year")
                ok = np.isfinite(y)
                parts.append(np.where(ok, y, -1).astype("int64"))
            else:
                parts.append(self.text(c))
                ok = (parts[-1] != "") if c != "county_id" else np.ones(self.n, dtype=bool)
            valid &= ok
        return parts, valid


    def codes(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """A key column as integer codes (equal values, equal codes; kept) and the value of
        each code: stripped text (``""`` when empty or absent), or for ``year`` the year as
        an integer (-1 when unreadable), as :meth:`keys` gives them."""
        if column not in self._codes and column in _KEY_COLUMNS and column in self.frame:
            self.text(column)
        if column not in self._codes:
            if column == "year":
                y = self.num("year")
                values = np.where(np.isfinite(y), y, -1).astype("int64")
            else:
                values = self.text(column)
            codes, uniques = pd.factorize(values)
            del values
            self._codes[column] = (codes.astype(np.int32 if len(uniques) < 2**31 else np.int64),
                                   np.asarray(uniques))
        return self._codes[column]

    def key_code(self, columns: tuple[str, ...], rows: np.ndarray | None = None,
                 asked: tuple[str, np.ndarray] | None = None) -> np.ndarray | None:
        """One int64 per row (of ``rows``, default all) for the key ``columns``: equal exactly
        where every column is equal; None when the codes would not fit in an int64 (then
        :func:`key_codes` serves). ``asked``: (column, values) that stand for that column
        (a parent school id as ``school_id``); a value the column does not hold gets -1."""
        combined: np.ndarray | None = None
        missing = None
        bound = 1
        for c in columns:
            codes, uniques = self.codes(c)
            codes = codes if rows is None else codes[rows]
            if asked is not None and asked[0] == c:
                codes = pd.Index(uniques).get_indexer(asked[1])
                missing = codes < 0
            n = max(len(uniques), 1)
            if bound * n >= 2**62:
                return None
            bound *= n
            combined = (codes.astype(np.int64) if combined is None
                        else combined * n + codes)
        assert combined is not None
        if missing is not None:
            combined[missing] = -1
        return combined


def first_rows(own: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Position of the first element of ``own`` equal to each of ``wanted`` (-1 where none
    is; ``wanted`` of -1 never matches a code of :meth:`_Table.key_code`), by one stable sort.

    >>> first_rows(np.array([5, 3, 5, 7]), np.array([5, 7, 4, -1])).tolist()
    [0, 3, -1, -1]
    """
    order = np.argsort(own, kind="stable")
    ordered = own[order]
    at = np.minimum(np.searchsorted(ordered, wanted), max(len(own) - 1, 0))
    if not len(own):
        return np.full(len(wanted), -1, dtype=np.int64)
    hit = (ordered[at] == wanted) & (wanted >= 0)
    return np.where(hit, order[at], -1).astype(np.int64)


def repeated(code: np.ndarray) -> np.ndarray:
    """Whether each element occurs more than once, by one stable sort (no hash table of a
    million keys).

    >>> repeated(np.array([4, 1, 4, 2])).tolist()
    [True, False, True, False]
    """
    order = np.argsort(code, kind="stable")
    ordered = code[order]
    same = ordered[1:] == ordered[:-1]
    del ordered
    flags = np.zeros(len(code), dtype=bool)
    flags[1:] |= same
    flags[:-1] |= same
    out = np.empty(len(code), dtype=bool)
    out[order] = flags
    return out


def key_codes(*sides: list[np.ndarray]) -> list[np.ndarray]:
    """Integer codes of key tuples, equal exactly where the tuples are equal, across ``sides``.

    Each side is a list of aligned key columns (the same columns in the same order on every
    side). One ``pd.factorize`` per column over all sides, combined column by column and
    re-densified, so the codes fit in int64 whatever the number of distinct values, and no
    tuple or MultiIndex of a million rows is ever built.

    >>> a, b = key_codes([np.array(["x", "y", "x"]), np.array([1, 2, 1])],
    ...                  [np.array(["y"]), np.array([2])])
    >>> a.tolist(), b.tolist()
    ([0, 1, 0], [1])
    """
    lengths = [len(side[0]) for side in sides]
    combined: np.ndarray | None = None
    for j in range(len(sides[0])):
        column = sides[0][j] if len(sides) == 1 else np.concatenate([side[j] for side in sides])
        codes, uniques = pd.factorize(column)
        del column
        codes = codes.astype(np.int64)
        if combined is None:
            combined = codes
        else:
            combined = pd.factorize(combined * max(len(uniques), 1) + codes)[0].astype(np.int64)
    assert combined is not None
    return np.split(combined, np.cumsum(lengths)[:-1])


def _shared_text(s: pd.Series, strip: bool = True) -> np.ndarray:
    """A column as an object array of text (stripped unless ``strip`` is false; ``""`` where
    missing).

    Each distinct value is made (and stripped) once and shared by every row that holds it: one
    pointer per row instead of one string object, so a million rows of a few hundred thousand
    distinct ids or names cost 8 MB plus the distinct values, not 60–90 MB.
    """
    codes, table = _text_codes(s, strip)
    return table[codes]


def _text_codes(s: pd.Series, strip: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_shared_text` as (codes, table): the text of row ``k`` is ``table[codes[k]]``
    (code -1, a missing value, is the last entry, ``""``); two codes may stand for one text."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    texts = pd.Series(np.asarray(uniques, dtype=object)).astype(str)
    if strip:
        texts = texts.str.strip()
    return codes, np.append(texts.to_numpy(dtype=object), "")


def _yearless(schools: _Table, county: np.ndarray, school: np.ndarray) -> np.ndarray:
    """Rows naming a school whose own row has no readable year (already a problem there):
    whether they reference it correctly cannot be known, so they are not reported."""
    lost = ~np.isfinite(schools.num("year")) if "year" in schools else np.ones(schools.n, bool)
    if not lost.any():
        return np.zeros(len(school), dtype=bool)
    asked, broken = key_codes([county, school], [schools.text("county_id")[lost],
                                                 schools.text("school_id")[lost]])
    return np.isin(asked, broken)


def _school_types(t: _Table) -> np.ndarray:
    return t.text("school_type")


def _teaches(types: np.ndarray) -> dict[str, np.ndarray]:
    """Level -> whether each row's school type teaches it (tested once per distinct type)."""
    codes, kinds = pd.factorize(types)
    codes = np.where(codes < 0, len(kinds), codes)
    return {level: np.append(np.isin(np.asarray(kinds, dtype=object),
                                     [ty for ty, lv in TYPE_LEVELS.items() if level in lv]),
                             False)[codes]
            for level in LEVELS}


_LEVEL_ZH = {"primary": "小学", "junior": "初中"}
_LEVEL_OF = {(c.table, c.name): c.level for c in COLUMNS if c.level}


# ---------------------------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------------------------


def _column_rules(t: _Table) -> list[Problem]:
    """Rules from the column specs: presence, non-empty required values, ranges."""
    out: list[Problem] = []
    types = _school_types(t) if t.table == "schools" else None
    teaches = _teaches(types) if types is not None else {}
    for spec in table_columns(t.table):
        name = spec.name
        if name not in t:
            if spec.required:
                out.append(t.file_problem(
                    name, "missing_column",
                    f"缺少必需列（表头可写 {name}、{spec.zh} 或 {spec.en}）",
                    f"required column missing (header {name}, {spec.zh} or {spec.en})"))
            continue
        if spec.required:
            empty = t.empty(name)
            if spec.level and types is not None:
                out += t.problems(
                    empty & teaches[spec.level], name, "missing_value",
                    "值为空：学校类型 {type} 含" + _LEVEL_ZH[spec.level] + "学段，此项必填",
                    "empty: a {type_en} school teaches the " + spec.level
                    + " level, so this value is required",
                    type=lambda k: _value_label(types[k]), type_en=types)
            else:
                out += t.problems(empty, name, "missing_value", "必填值为空",
                                  "required value is empty")
        if spec.kind in ("count", "amount"):
            v = t.num(name)
            out += t.problems(v < 0, name, "negative", "负数 {value}", "negative value {value}",
                              value=v)
            top = MAX_COUNT if spec.kind == "count" else MAX_AMOUNT
            out += t.problems(
                v > top, name, "too_large", f"{{value}} 超出合理范围（上限 {top:,.0f}）",
                f"{{value}} is beyond any plausible value (limit {top:,.0f})", value=v)
        elif spec.kind == "rate":
            v = t.num(name)
            out += t.problems(
                (v < 0) | (v > 1), name, "rate_out_of_range",
                "比例 {value} 不在 0–1 之间（百分数如 85% 或 85 读作 0.85）",
                "share {value} is outside 0–1 (a percentage such as 85% or 85 reads as 0.85)",
                value=v)
        elif spec.kind == "year":
            lo, hi = YEAR_RANGES.get(name, DEFAULT_YEAR_RANGE)
            v = t.num(name)
            out += t.problems(
                (v < lo) | (v > hi), name, "year_out_of_range",
                f"年份 {{value}} 不在 {lo}–{hi} 之间", f"year {{value}} is outside {lo}–{hi}",
                value=v)
    return out


def _not_above_rules(t: _Table) -> list[Problem]:
    out: list[Problem] = []
    teaches = _teaches(_school_types(t)) if t.table == "schools" else {}
    for rule in NOT_ABOVE:
        if rule.table != t.table or rule.column not in t:
            continue
        limits = list(rule.limit)
        if any(c not in t for c in limits):  # a missing column is reported by itself
            continue
        value = t.num(rule.column)
        stack = np.vstack([t.num(c) for c in limits])
        # an empty limit is 0 where the school does not teach its level, else unknown
        known = np.ones(t.n, dtype=bool)
        for c, v in zip(limits, stack, strict=True):
            level = _LEVEL_OF.get((t.table, c))
            spare = ~teaches[level] if level and teaches else np.zeros(t.n, dtype=bool)
            known &= (~np.isnan(v) | spare) & ~(v < 0)  # a negative limit is `negative`
        limit = np.nansum(stack, axis=0)
        with np.errstate(invalid="ignore"):
            mask = known & (value > limit)
        if len(limits) == 1:
            what_zh = column_label(limits[0], "zh")
            what_en = column_label(limits[0], "en")
        else:
            what_zh = " + ".join(column_label(c, "zh") for c in limits) + " 之和"
            what_en = "the sum " + " + ".join(column_label(c, "en") for c in limits)
        out += t.problems(
            mask, rule.column, rule.code,
            "{value} 大于 " + what_zh + " {limit}" + rule.note_zh,
            "{value} is more than " + what_en + " {limit}" + rule.note_en,
            value=value, limit=limit)
    return out


def _unique_rule(t: _Table) -> list[Problem]:
    if t.table not in UNIQUE_KEYS:
        return []
    columns, report_on = UNIQUE_KEYS[t.table]
    if any(c not in t for c in columns if c != "county_id"):
        return []
    parts, valid = t.keys(columns)
    codes = t.key_code(columns)
    if codes is None:
        (codes,) = key_codes(parts)
    del parts
    dup = repeated(codes) & valid
    if not dup.any():
        return []
    group = codes[dup]
    rows = t.rows[dup]
    members: dict[int, list[int]] = {}
    for g, r in zip(group, rows, strict=True):
        members.setdefault(int(g), []).append(int(r))
    others = np.full(t.n, None, dtype=object)
    others[np.flatnonzero(dup)] = [
        [str(x) for x in members[int(g)] if x != r] for g, r in zip(group, rows, strict=True)]
    key_zh = "、".join(column_label(c, "zh") for c in columns)
    key_en = ", ".join(columns)
    return t.problems(
        dup, report_on, "duplicate_key",
        f"重复的记录：({key_zh}) 与第 {{others_zh}} 行相同",
        f"duplicate record: ({key_en}) same as row(s) {{others_en}}",
        others_zh=lambda k: "、".join(others[k]), others_en=lambda k: ", ".join(others[k]))


def _school_rules(t: _Table, tables: dict[str, _Table]) -> list[Problem]:
    out: list[Problem] = []
    types = _school_types(t)
    teaches = _teaches(types)
    for level in LEVELS:
        col = f"students_{level}"
        if col not in t:
            continue
        v = t.num(col)
        out += t.problems(
            teaches[level] & (v == 0), col,  # v < 0 is `negative`
            "no_students",
            "学校类型 {type} 应有" + _LEVEL_ZH[level] + "在校生，实为 {value}",
            "a {type_en} school must have " + level + " students, found {value}",
            type=lambda k: _value_label(types[k]), type_en=types, value=v)
    cols = [c for c in ("students_primary", "students_junior", "students_senior") if c in t]
    if cols:
        stack = np.vstack([t.num(c) for c in cols])
        complete = ~np.isnan(stack).any(axis=0)
        mask = (types == "special") & complete & (np.abs(stack).sum(axis=0) == 0)
        out += t.problems(
            mask, None, "no_students",
            "特殊教育学校各学段在校生合计为 0（" + "、".join(cols) + "）",
            "the special school has no students in any level (" + ", ".join(cols) + ")")
    out += _parent_rule(t, types)
    return out


def _parent_rule(t: _Table, types: np.ndarray) -> list[Problem]:
    point = types == "teaching_point"
    if not point.any():
        return []
    if "parent_school_id" not in t:
        return [t.file_problem(
            "parent_school_id", "missing_column",
            f"有 {int(point.sum())} 行教学点，需要此列填写所属中心校代码",
            f"{int(point.sum())} rows are teaching points: this column must give their "
            f"parent (central) school")]
    parent = t.text("parent_school_id")
    out = t.problems(point & (parent == ""), "parent_school_id", "missing_value",
                     "教学点须填写所属中心校代码", "a teaching point needs its parent school id")
    parts, valid = t.keys(("county_id", "year", "school_id"))
    ask = point & (parent != "") & valid & ~_yearless(t, t.text("county_id"), parent)
    if not ask.any():
        return out
    key = ("county_id", "year", "school_id")
    asked = np.flatnonzero(ask)
    own = t.key_code(key)
    wanted = t.key_code(key, asked, ("school_id", parent[asked])) if own is not None else None
    if own is None or wanted is None:
        own, wanted = key_codes(parts, [parts[0][ask], parts[1][ask], parent[ask]])
    del parts
    at = first_rows(own, wanted)  # the first row of a key wins
    del own, wanted
    found = np.where(at >= 0, types[np.maximum(at, 0)], None)
    unknown = np.zeros(t.n, dtype=bool)
    unknown[asked] = at < 0
    is_point = np.zeros(t.n, dtype=bool)
    is_point[asked] = found == "teaching_point"
    out += t.problems(unknown, "parent_school_id", "unknown_parent",
                      "所属中心校 {parent} 不在同一县区同一学年的 schools 表中",
                      "parent school {parent} is not in schools for the same county and year",
                      parent=parent)
    out += t.problems(is_point, "parent_school_id", "unknown_parent",
                      "所属中心校 {parent} 本身是教学点，应填写其中心校",
                      "parent school {parent} is itself a teaching point; give its central school",
                      parent=parent)
    return out


def _reference_rule(t: _Table, tables: dict[str, _Table]) -> list[Problem]:
    if t.table not in SCHOOL_REFERENCES or "schools" not in tables or "school_id" not in t:
        return []
    columns = SCHOOL_REFERENCES[t.table]
    schools = tables["schools"]
    if any(c not in schools for c in columns if c != "county_id"):
        return []
    parts, valid = t.keys(columns)
    known, _ = schools.keys(columns)
    asked, present = key_codes(parts, known)
    inside = np.isin(asked, present)
    mask = valid & ~inside & ~_yearless(schools, t.text("county_id"), t.text("school_id"))
    if "year" in columns:
        zh = "学校 {sid} 不在 schools 表同一县区 {year} 学年的学校中"
        en = "school {sid} is not in schools for the same county and year {year}"
    else:
        zh = "学校 {sid} 不在 schools 表同一县区的学校中"
        en = "school {sid} is not in schools for the same county"
    return t.problems(mask, "school_id", "unknown_school", zh, en,
                      sid=t.sid, year=t.year if t.year is not None else "")


def _class_rules(t: _Table, tables: dict[str, _Table]) -> list[Problem]:
    if "grade" not in t or "level" not in t:
        return []
    level = t.text("level")
    grade = t.num("grade")
    out: list[Problem] = []
    for lv, (lo, hi) in GRADES.items():
        mask = (level == lv) & np.isfinite(grade) & ((grade < lo) | (grade > hi))
        out += t.problems(
            mask, "grade", "grade_out_of_range",
            f"{_LEVEL_ZH[lv]}年级应为 {lo}–{hi}，实为 {{value}}",
            f"{lv} grades are {lo}–{hi}, found {{value}}", value=grade)
    return out


def _judgement_rules(t: _Table, tables: dict[str, _Table]) -> list[Problem]:
    if "item_id" not in t:
        return []
    item = t.text("item_id")
    items = judged_items()  # from the registry: judged indicators and parts, the vetoes
    bad = (item != "") & ~np.isin(item, items)
    v4 = bad & (item == "V4")
    allowed = ", ".join(items)
    return (
        t.problems(v4, "item_id", "unknown_value",
                   "V4（社会认可度低于85%）由 B32 计算得出，不在此评定",
                   "V4 (public satisfaction below 85%) is computed from B32, not judged here")
        + t.problems(bad & ~v4, "item_id", "unknown_value",
                     "未知指标编号 “{item}”，可选: " + allowed,
                     "unknown item id '{item}'; allowed: " + allowed, item=item)
    )


def _no_rules(t: _Table, tables: dict[str, _Table]) -> list[Problem]:
    return []


_TABLE_RULES = {
    "schools": _school_rules,
    "classes": _class_rules,
    "county": _no_rules,
    "judgements": _judgement_rules,
    "survey": _no_rules,
    "quality": _no_rules,
    "monitoring": _no_rules,
    "births": _no_rules,
}


def validate(data: CountyData) -> list[Problem]:
    """Check every rule on every table of ``data`` and return all problems found.

    Parameters
    ----------
    data
        Tables as read by :func:`balance_lib.io.read_county` (frames built in memory work too:
        without ``source_row`` the rows are numbered from 2 in frame order).

    Returns
    -------
    list of Problem
        Sorted by file, row and column; empty when the data pass. Cells the reader could not read
        (``data.parse_problems``) are not reported again.

    Notes
    -----
    Rules: required columns present (``missing_column``); required values non-empty, and the
    level-specific required columns non-empty where the school type teaches that level
    (``missing_value``); counts and amounts ≥ 0 (``negative``); rates in [0, 1]
    (``rate_out_of_range``); years in range (``year_out_of_range``); every level a school type
    teaches has students, a special school has students in some level (``no_students``); unique
    keys (``duplicate_key``, every row of a duplicate); a teaching point names an existing parent
    of the same county and year that is not itself a teaching point (``missing_value``,
    ``unknown_parent``); subsets not above their totals (``exceeds_teachers``, ``exceeds_area``,
    ``exceeds_total``, see :data:`NOT_ABOVE`); classes and quality rows name a known school
    (``unknown_school``); class grades match the level (``grade_out_of_range``); judgement items
    are known (``unknown_value``).
    """
    skip = {(p.file, p.row, p.column) for p in getattr(data, "parse_problems", ())
            if p.row is not None}
    checked = {
        table: _Table(table, frame, data.files.get(table) or f"{table}.csv")
        for table, frame in data.tables.items() if table in _TABLE_RULES
    }
    out: list[Problem] = []
    for table, t in checked.items():
        out += _column_rules(t)
        out += _not_above_rules(t)
        out += _unique_rule(t)
        out += _reference_rule(t, checked)
        out += _TABLE_RULES[table](t, checked)
    return sort_problems(p for p in out if (p.file, p.row, p.column) not in skip)
