"""Header mapping: a county's own headers, table names and category spellings → the vocabulary.

A statistics export rarely uses our headers. Rather than renaming its columns by hand, a county
writes a small YAML file once and passes it to every command that reads data
(``--mapping FILE``)::

    schools:                      # table: {their header: canonical column name}
      学校标识码: school_id
      学校（机构）名称: school_name
      办学类型: school_type
      小学在校学生数: students_primary
    classes:
      班级人数: students
    values:                       # optional: their spellings of category and yes/no values
      school_type: {完小: primary, 村小: primary, 一贯制学校: nine_year}
      is_private: {公办: false, 民办: true}
    tables:                       # optional: their file or sheet names
      基础数据表: schools

Headers are matched as the reader matches ours (white space, case and full-width brackets do not
matter). A mapped header wins over the built-in spellings, so a header that means something else
in the county's export can be redirected. Headers named in the file but absent from the data are
fine (one file can serve several years of exports). The ``values`` maps apply to every table
with that column (``area_type`` in ``schools`` and ``survey``); a value they do not name is read
as usual (canonical or Chinese spelling).

:func:`read_mapping` checks the whole file and reports every problem at once, each located by
file, line and key (:class:`~balance_lib.schemas.Problem` with ``row`` = the YAML line; the
message starts with the key path, e.g. ``键 schools.学校标识码``): an unknown table, an unknown
canonical column for that table, two headers onto one column, the same header twice, a
``values`` entry for a column that is neither a category nor yes/no, or a value that column does
not allow.

>>> m, problems = parse_mapping("schools:\\n  学校标识码: school_id\\n"
...                             "values:\\n  school_type: {完小: primary}\\n")
>>> problems, m.header("schools", "学校标识码"), m.value("school_type", "完小")
([], 'school_id', 'primary')
"""

from __future__ import annotations

import difflib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .columns import (
    TABLES,
    VALUE_ALIASES,
    VALUE_LABELS,
    _norm_header,
    table_columns,
)
from .limits import MAX_YAML_BYTES
from .safetext import quote
from .safeyaml import BoundedLoader
from .schemas import Problem

__all__ = ["HeaderMapping", "read_mapping", "parse_mapping", "SECTIONS"]

#: Top-level keys that are not tables.
SECTIONS = ("values", "tables")

_TRUE = ("true", "是", "1", "yes")
_FALSE = ("false", "否", "0", "no")


def _norm_value(text: object) -> str:
    return str(text).strip().lower()


@dataclass(frozen=True)
class HeaderMapping:
    """A checked mapping file.

    Attributes
    ----------
    source
        The file it came from (``None`` for a mapping built in code).
    headers
        Table -> {normalised header -> canonical column}.
    values
        Column -> {normalised spelling -> canonical value text} (``"true"``/``"false"`` for
        yes/no columns).
    tables
        Normalised file or sheet name -> table.
    """

    source: Path | None = None
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    tables: dict[str, str] = field(default_factory=dict)

    def header(self, table: str, header: str) -> str | None:
        """The canonical column ``header`` of ``table`` is mapped onto, or None."""
        return self.headers.get(table, {}).get(_norm_header(header))

    def value(self, column: str, text: str) -> str | None:
        """The canonical value of ``text`` in ``column`` (None when the file does not say)."""
        return self.values.get(column, {}).get(_norm_value(text))

    def table(self, name: str) -> str | None:
        """The table a file stem or sheet name stands for, or None."""
        return self.tables.get(_norm_header(name))


EMPTY_MAPPING = HeaderMapping()


def read_mapping(path: str | Path) -> tuple[HeaderMapping, list[Problem]]:
    """Read and check a mapping file; (mapping, every problem found). Never raises for bad input.

    When there is any problem the mapping returned is empty: a half-applied mapping would read
    the data wrongly.
    """
    path = Path(path)
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(0, "not a regular file (a folder, a FIFO, a device …)")
        if st.st_size > MAX_YAML_BYTES:
            raise OSError(0, f"{st.st_size:,} bytes, above the limit of {MAX_YAML_BYTES:,}")
        with open(path, "rb") as fh:
            text = fh.read(MAX_YAML_BYTES + 1).decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        detail = quote(exc.strerror if isinstance(exc, OSError) and exc.strerror
                       else f"{type(exc).__name__}: {exc}")
        return EMPTY_MAPPING, [Problem(path.name, None, None, None, None, "unreadable",
                                       f"无法读取表头映射文件（{detail}）",
                                       f"cannot read the header mapping file ({detail})")]
    mapping, problems = parse_mapping(text, path.name)
    if problems:
        return EMPTY_MAPPING, problems
    return HeaderMapping(path, mapping.headers, mapping.values, mapping.tables), []


def parse_mapping(text: str, file: str = "mapping.yaml") -> tuple[HeaderMapping, list[Problem]]:
    """Check the YAML ``text`` of a mapping file (see the module notes)."""
    ck = _Checker(file)
    try:
        root = yaml.compose(text, Loader=BoundedLoader)
    except yaml.YAMLError as exc:
        if hasattr(exc, "zh"):  # a bound of safeyaml (aliases, nesting)
            mark = getattr(exc, "mark", None)
            ck.add(mark.line + 1 if mark is not None else None, None, "yaml_limit", exc.zh, exc.en)
            return EMPTY_MAPPING, ck.problems
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = quote(str(getattr(exc, "problem", None) or exc))
        ck.add(line, None, "yaml_syntax", f"YAML 语法错误: {problem}", f"YAML syntax error: {problem}")
        return EMPTY_MAPPING, ck.problems
    if root is None:
        return HeaderMapping(), []
    if not isinstance(root, yaml.MappingNode):
        ck.add(_line(root), None, "not_a_mapping",
               "映射文件应为 {表名: {表头: 列名}} 形式的键值映射",
               "the mapping file must be a mapping {table: {header: column}}")
        return EMPTY_MAPPING, ck.problems
    headers: dict[str, dict[str, str]] = {}
    values: dict[str, dict[str, str]] = {}
    tables: dict[str, str] = {}
    for key, node in _pairs(root, ck, None):
        name = key.value
        if name in TABLES:
            headers[name] = _table_headers(name, node, ck)
        elif name == "values":
            values = _values(node, ck)
        elif name == "tables":
            tables = _tables(node, ck)
        else:
            ck.add(_line(key), name, "unknown_table",
                   f"未知的表 “{name}”（可用: {'、'.join((*TABLES, *SECTIONS))}）"
                   + _suggest(name, (*TABLES, *SECTIONS)),
                   f"unknown table '{name}' (allowed: {', '.join((*TABLES, *SECTIONS))})"
                   + _suggest(name, (*TABLES, *SECTIONS), "en"))
    if ck.problems:
        return EMPTY_MAPPING, ck.problems
    return HeaderMapping(None, headers, values, tables), []


# ---------------------------------------------------------------------------------------------


class _Checker:
    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def add(self, line: int | None, key: str | None, code: str, zh: str, en: str) -> None:
        """One problem at ``line``; the key path (``schools.学校标识码``) leads the message."""
        if key:
            zh, en = f"键 {key}: {zh}", f"key {key}: {en}"
        self.problems.append(Problem(self.file, line, None, None, None, code, zh, en))


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _suggest(name: str, allowed: tuple[str, ...] | list[str], lang: str = "zh") -> str:
    close = difflib.get_close_matches(str(name), list(allowed), n=1, cutoff=0.6)
    if not close:
        return ""
    return f"；是否应为 {close[0]}？" if lang == "zh" else f"; did you mean {close[0]}?"


def _scalar(node: yaml.Node) -> Any:
    """The Python value of a scalar node (yes/no words stay text, as YAML 1.1 would not)."""
    return yaml.safe_load(yaml.serialize(node)) if isinstance(node, yaml.ScalarNode) else None


def _pairs(node: yaml.Node, ck: _Checker, where: str | None):
    """(key node, value node) of a mapping node; a repeated key is a problem (YAML would keep
    only the last one silently)."""
    if not isinstance(node, yaml.MappingNode):
        ck.add(_line(node), where, "not_a_mapping", "应为键值映射（键: 值）",
               "must be a mapping (key: value)")
        return []
    seen: dict[str, int] = {}
    out = []
    for k, v in node.value:
        if not isinstance(k, yaml.ScalarNode) or k.value.strip() == "":
            ck.add(_line(k), where, "not_a_mapping", "键应为非空文本",
                   "keys must be non-empty text")
            continue
        name = k.value.strip()
        path = f"{where}.{name}" if where else name
        if name in seen:
            ck.add(_line(k), path, "duplicate_key", f"键重复（第 {seen[name]} 行已有）",
                   f"key repeated (already on line {seen[name]})")
            continue
        seen[name] = _line(k)
        k.value = name
        out.append((k, v))
    return out


def _table_headers(table: str, node: yaml.Node, ck: _Checker) -> dict[str, str]:
    specs = {s.name: s for s in table_columns(table)}
    out: dict[str, str] = {}
    lines: dict[str, tuple[int, str]] = {}  # canonical -> (line, header) of its first header
    norm_lines: dict[str, tuple[int, str]] = {}
    for k, v in _pairs(node, ck, table):
        header, path = k.value, f"{table}.{k.value}"
        target = _scalar(v)
        if not isinstance(target, str) or target not in specs:
            shown = target if isinstance(target, str) else v.value if isinstance(
                v, yaml.ScalarNode) else "…"
            ck.add(_line(v), path, "unknown_column",
                   f"{table} 表没有列 “{shown}”" + _suggest(str(shown), list(specs)),
                   f"table {table} has no column '{shown}'" + _suggest(str(shown), list(specs),
                                                                        "en"))
            continue
        norm = _norm_header(header)
        if norm in norm_lines:
            ck.add(_line(k), path, "duplicate_key",
                   f"表头与第 {norm_lines[norm][0]} 行的 “{norm_lines[norm][1]}” 相同"
                   "（空格、大小写、全角括号不区分）",
                   f"the same header as '{norm_lines[norm][1]}' on line {norm_lines[norm][0]} "
                   "(spaces, case and full-width brackets do not count)")
            continue
        norm_lines[norm] = (_line(k), header)
        if target in lines:
            ck.add(_line(v), path, "duplicate_column",
                   f"两个表头都映射到 {target}（另一个是第 {lines[target][0]} 行的 "
                   f"“{lines[target][1]}”）",
                   f"two headers map onto {target} (the other is '{lines[target][1]}' on line "
                   f"{lines[target][0]})")
            continue
        lines[target] = (_line(k), header)
        out[norm] = target
    return out


def _mappable_columns() -> dict[str, list]:
    """Column name -> its specs (of any table) that take a value map: categories and yes/no."""
    out: dict[str, list] = {}
    for table in TABLES:
        for s in table_columns(table):
            if s.kind in ("category", "bool"):
                out.setdefault(s.name, []).append(s)
    return out


def _canonical_value(spec, raw: Any) -> str | None:
    if spec.kind == "bool":
        if isinstance(raw, bool):
            return "true" if raw else "false"
        text = _norm_value(raw)
        return "true" if text in _TRUE else "false" if text in _FALSE else None
    text = str(raw).strip()
    if text in spec.values:
        return text
    alias = VALUE_ALIASES.get(text)
    if alias in spec.values:
        return alias
    for value, labels in VALUE_LABELS.items():
        if value in spec.values and text in labels:
            return value
    return None


def _values(node: yaml.Node, ck: _Checker) -> dict[str, dict[str, str]]:
    columns = _mappable_columns()
    out: dict[str, dict[str, str]] = {}
    for k, v in _pairs(node, ck, "values"):
        column, path = k.value, f"values.{k.value}"
        if column not in columns:
            ck.add(_line(k), path, "unknown_column",
                   f"“{column}” 不是类别列或是/否列，不能映射取值（可用: "
                   f"{'、'.join(columns)}）" + _suggest(column, list(columns)),
                   f"'{column}' is not a category or yes/no column (allowed: "
                   f"{', '.join(columns)})" + _suggest(column, list(columns), "en"))
            continue
        spec = columns[column][0]
        allowed = ("true", "false") if spec.kind == "bool" else spec.values
        mapped: dict[str, str] = {}
        for vk, vv in _pairs(v, ck, path):
            value = _canonical_value(spec, _scalar(vv))
            if value is None:
                ck.add(_line(vv), f"{path}.{vk.value}", "unknown_value",
                       f"“{vv.value}” 不是 {column} 的取值（可用: {'、'.join(allowed)}）",
                       f"'{vv.value}' is not a value of {column} (allowed: {', '.join(allowed)})")
                continue
            mapped[_norm_value(vk.value)] = value
        out[column] = mapped
    return out


def _tables(node: yaml.Node, ck: _Checker) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in _pairs(node, ck, "tables"):
        target = _scalar(v)
        if target not in TABLES:
            ck.add(_line(v), f"tables.{k.value}", "unknown_table",
                   f"未知的表 “{v.value if isinstance(v, yaml.ScalarNode) else '…'}”（可用: "
                   f"{'、'.join(TABLES)}）",
                   f"unknown table '{v.value if isinstance(v, yaml.ScalarNode) else '…'}' "
                   f"(allowed: {', '.join(TABLES)})")
            continue
        out[_norm_header(k.value)] = target
    return out
