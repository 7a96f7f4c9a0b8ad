"""Scenario files (``params/scenarios/*.yaml``): reading and validating a list of dated changes.

A scenario is a name, optional projection settings and a list of changes, each with a ``type``
and the school ``year`` (start) from which it applies::

    name: 城区新建九年一贯制学校
    projection: {target_year: 2029, class_policy: keep}   # entry: births when births.csv has them
    changes:
      - {type: new_school, year: 2026, school_id: "6523010050", school_name: 新区学校,
         school_type: nine_year, area_type: urban, entry_classes: {primary: 4, junior: 4},
         teaching_aux_area_m2: 16000, teachers_primary: 40}
      - {type: move_students, year: 2026, from: "6523010001", to: "6523010050", share: 0.3}

``year`` is after the last observed year; ``expand_school`` and ``hire_teachers`` may also take
effect in the last observed year itself (on the observed enrolment, e.g. a plan for today), and
``projection.target_year`` may then be the last observed year (only that year is evaluated).

Change types and their fields (numbers are added to the school's row of ``schools.csv``):

``new_school``
    ``school_id``, ``school_name``, ``school_type`` (a type that teaches compulsory grades),
    ``area_type``; optional ``is_private``, ``is_boarding``, ``entry_classes`` (classes opened
    each year per level), ``classrooms`` and any amount of :data:`SCHOOL_AMOUNTS`. It has no
    students until students move to it.
``move_students``
    ``from``, ``to``, ``share`` (0–1, of the students ``from`` has in those grades before any
    move out of it) or ``count`` (students per cohort), ``grades`` (default: the entering
    grades 1 and/or 7 both schools teach). An entering grade is a new catchment: every cohort
    entering it from ``year`` on moves and stays. Any other grade moves once, in ``year``.
``expand_school``
    ``school_id``; ``entry_classes`` (added classes per intake), ``classrooms`` and amounts.
    Negative numbers take away (equipment moved, fewer classes per intake); a result below
    zero is an error.
``hire_teachers``
    ``school_id`` and teacher counts (:data:`TEACHER_FIELDS`); negative counts are teachers
    leaving (e.g. to staff a new school).
``close_school``
    ``school_id``, ``into``: a school id or ``{id: share}`` summing to 1. Its students (and
    later entrants) go there; its teachers and buildings leave the count.
``merge_school``
    ``school_id``, ``into`` (one id): students, teachers, buildings and intake join ``into``.

:func:`parse_scenario` reports every problem at once (file, change number and type, field) in
:class:`ScenarioError`; an unknown school, a school used before it opens or after it closes,
and a share that cannot be met are errors, never silent no-ops.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .columns import AREA_TYPES, COLUMNS, TYPE_LEVELS
from .limits import MAX_AMOUNT, MAX_COUNT
from .projection import CLASS_POLICIES, ENTRY_METHODS, ProjectionSettings, default_entry
from .problems import ProblemsError
from .safetext import quote
from .safeyaml import YamlFileError, load_yaml

CHANGE_TYPES = ("new_school", "move_students", "expand_school", "hire_teachers",
                "close_school", "merge_school")
TEACHER_FIELDS = tuple(c.name for c in COLUMNS if c.table == "schools" and c.kind == "count"
                       and "teachers" in c.name)
#: Numbers a scenario may add to a school row (teachers, rooms, areas, equipment, funding).
SCHOOL_AMOUNTS = tuple(
    c.name for c in COLUMNS
    if c.table == "schools" and c.kind in ("count", "amount")
    and not c.name.startswith(("students_", "classes_")) and c.name != "year_built"
)
#: Fields of :data:`SCHOOL_AMOUNTS` that are counts (teachers, rooms), bounded by MAX_COUNT.
_COUNT_FIELDS = frozenset(c.name for c in COLUMNS if c.table == "schools" and c.kind == "count")
#: Classes one intake of one level may open or close.
MAX_CLASSES = 1_000
NEW_SCHOOL_TYPES = ("primary", "junior", "nine_year", "twelve_year", "complete_secondary")
GRADE_LEVEL = {g: ("primary" if g <= 6 else "junior") for g in range(1, 10)}
ENTRY_GRADES = {"primary": 1, "junior": 7}

_COMMON = ("type", "year", "note")
_FIELDS: dict[str, tuple[str, ...]] = {
    "new_school": (*_COMMON, "school_id", "school_name", "school_type", "area_type", "is_private",
                   "is_boarding", "entry_classes", "classrooms", *SCHOOL_AMOUNTS),
    "move_students": (*_COMMON, "from", "to", "share", "count", "grades"),
    "expand_school": (*_COMMON, "school_id", "entry_classes", "classrooms", *SCHOOL_AMOUNTS),
    "hire_teachers": (*_COMMON, "school_id", *TEACHER_FIELDS),
    "close_school": (*_COMMON, "school_id", "into"),
    "merge_school": (*_COMMON, "school_id", "into"),
}
_TOP = ("name", "description", "projection", "changes")
_PROJECTION = ("target_year", "entry", "births", "entry_age", "class_policy")
#: Change types that may also take effect in the last observed year itself: they act on the
#: observed enrolment (what ``balance plan --by LAST_YEAR`` writes).
OBSERVED_YEAR_TYPES = ("expand_school", "hire_teachers")
TYPE_ZH = {"new_school": "新建学校", "move_students": "学生分流", "expand_school": "学校扩建",
           "hire_teachers": "补充教师", "close_school": "撤并学校", "merge_school": "合并学校"}


@dataclass(frozen=True)
class ScenarioProblem:
    """One problem of a scenario file: where (file, change number, field) and what."""

    file: str
    change: int | None  # 1-based position in ``changes``; None for the file or ``projection``
    change_type: str | None
    field: str | None
    message_zh: str
    message_en: str

    def format(self, lang: str = "zh") -> str:
        """One line, e.g. ``a.yaml 第 2 项变更（move_students）字段 share: …``."""
        zh = lang == "zh"
        parts = [self.file]
        if self.change is not None:
            kind = f"（{self.change_type}）" if zh and self.change_type else (
                f" ({self.change_type})" if self.change_type else "")
            parts.append(f"第 {self.change} 项变更{kind}" if zh else f"change {self.change}{kind}")
        if self.field:
            parts.append(("字段 " if zh else "field ") + self.field)
        return " ".join(parts) + ": " + (self.message_zh if zh else self.message_en)


class ScenarioError(ProblemsError):
    """A scenario file with problems; ``.problems`` lists all of them."""

    def head(self, lang: str = "zh") -> str:
        return (f"情景文件有 {len(self.problems)} 处问题：" if lang == "zh"
                else f"{len(self.problems)} problem(s) in the scenario file:")


@dataclass(frozen=True)
class Change:
    """One dated change; ``fields`` holds its typed values (ids as text)."""

    index: int  # 1-based
    type: str
    year: int
    fields: Mapping[str, Any]

    def get(self, key: str, default: Any = None) -> Any:
        return self.fields.get(key, default)


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: name, projection settings and changes in file order."""

    name: str
    description: str
    settings: ProjectionSettings
    changes: tuple[Change, ...]
    source: str = ""

    @property
    def school_ids(self) -> list[str]:
        """Every school a change names (in order of first mention)."""
        seen: dict[str, None] = {}
        for c in self.changes:
            for key in ("school_id", "from", "to"):
                if c.get(key) is not None:
                    seen[str(c.get(key))] = None
            into = c.get("into")
            if isinstance(into, Mapping):
                seen.update(dict.fromkeys(into))
        return list(seen)


EMPTY = Scenario("基准（无变更）", "", ProjectionSettings(), ())


@dataclass
class _Checker:
    file: str
    problems: list[ScenarioProblem] = field(default_factory=list)

    def add(self, change: Change | int | None, ctype: str | None, fld: str | None,
            zh: str, en: str) -> None:
        idx = change.index if isinstance(change, Change) else change
        self.problems.append(ScenarioProblem(self.file, idx, ctype, fld, zh, en))


@dataclass(frozen=True)
class SchoolFacts:
    """What the data say about the schools a scenario may name (from the last observed year)."""

    last_year: int
    levels: Mapping[str, tuple[str, ...]]  # school_id -> levels taught
    #: births per birth year from the county's births.csv ({} when it has none)
    births: Mapping[int, float] = field(default_factory=dict)
    #: the observed years of classes.csv (the entry ratio of ``births`` is fitted on them)
    observed_years: tuple[int, ...] = ()


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _id(v: Any) -> str | None:
    """A school id written as text; a number is not one (YAML reads ``0652301`` as the octal
    427,713 and ``6523010001`` as an integer): see :func:`_id_problem`."""
    if isinstance(v, str):
        return v.strip() or None
    return None


def _shown(value: Any) -> str:
    """A value from the file in a message: its repr, one line and bounded."""
    return quote(repr(value))


def _id_problem(ck: _Checker, ch: Change | int | None, ctype: str | None, fld: str,
                value: Any) -> None:
    """The problem of a school id that is not text (a number, a list …)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        ck.add(ch, ctype, fld,
               f"学校标识码被 YAML 读成了数字 {_shown(value)}（前导零和位数可能已丢失）：请加引号，"
               f"如 \"6523010001\"",
               f"the school id was read as the number {_shown(value)} (leading zeros and digits "
               f"may be lost): quote it, e.g. \"6523010001\"")
    else:
        ck.add(ch, ctype, fld, f"学校标识码应为文本，实为 {_shown(value)}",
               f"a school id must be text, got {_shown(value)}")


def _share_problem(value: Any) -> tuple[str, str]:
    """How to say that ``value`` is not a share written as a number."""
    if isinstance(value, str) and value.strip().endswith(("%", "％")):
        return (f"比例应写成 0–1 的数字（30% 写作 0.3），实为 {_shown(value)}",
                f"write the share as a number in 0–1 (0.3 for 30%), got {_shown(value)}")
    return (f"比例应在 (0, 1] 内，实为 {_shown(value)}", f"share must be in (0, 1], got {_shown(value)}")


def _bounded(key: str) -> float:
    """The largest value a scenario may give ``key`` (a count or an amount)."""
    return MAX_COUNT if key in _COUNT_FIELDS or key == "classrooms" else MAX_AMOUNT


def read_yaml(path: str | Path) -> tuple[Any, list[ScenarioProblem]]:
    """The parsed YAML of ``path``, or the problem that stops reading it (with its line):
    read by :func:`balance_lib.safeyaml.load_yaml` (size, aliases and nesting bounded)."""
    p = Path(path)
    try:
        return load_yaml(p), []
    except YamlFileError as exc:
        name = str(p) if exc.en == "file not found" else p.name
        zh = "找不到情景文件" if exc.en == "file not found" else exc.zh
        en = "scenario file not found" if exc.en == "file not found" else exc.en
        return None, [ScenarioProblem(name, None, None, None, zh, en)]


def parse_scenario(raw: Any, facts: SchoolFacts, file: str = "scenario.yaml",
                   target_year: int | None = None) -> Scenario:
    """Validate a parsed scenario against the data; raise :class:`ScenarioError` on any problem.

    ``target_year`` (the command line's ``--to``) overrides the file's ``projection.target_year``.
    """
    ck = _Checker(file)
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        ck.add(None, None, None, "文件顶层应为键值映射（name、changes …）",
               "the top level must be a mapping (name, changes, …)")
        raise ScenarioError(ck.problems)
    for key in raw:
        if key not in _TOP:
            ck.add(None, None, str(key), f"未知的键（可用: {', '.join(_TOP)}）",
                   f"unknown key (allowed: {', '.join(_TOP)})")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        ck.add(None, None, "name", "缺少情景名称", "the scenario needs a name")
        name = Path(file).stem
    description = raw.get("description") or ""
    settings = _projection(raw.get("projection"), ck, facts, target_year)
    changes_raw = raw.get("changes", [])
    if changes_raw is None:
        changes_raw = []
    if not isinstance(changes_raw, list):
        ck.add(None, None, "changes", "changes 应为列表", "changes must be a list")
        changes_raw = []
    changes = [c for k, item in enumerate(changes_raw, 1)
               if (c := _change(k, item, ck, facts, settings)) is not None]
    _check_schools(changes, ck, facts, settings)
    if ck.problems:
        raise ScenarioError(ck.problems)
    return Scenario(name.strip(), str(description).strip(), settings, tuple(changes), file)


def _projection(raw: Any, ck: _Checker, facts: SchoolFacts,
                target_year: int | None) -> ProjectionSettings:
    values: dict[str, Any] = {}
    if raw is not None and not isinstance(raw, Mapping):
        ck.add(None, None, "projection", "projection 应为键值映射", "projection must be a mapping")
        raw = None
    raw = dict(raw or {})
    for key in raw:
        if key not in _PROJECTION:
            ck.add(None, None, f"projection.{key}", f"未知的键（可用: {', '.join(_PROJECTION)}）",
                   f"unknown key (allowed: {', '.join(_PROJECTION)})")
    if target_year is not None:
        raw["target_year"] = target_year
    if "target_year" in raw:
        t = raw["target_year"]
        # the last observed year itself: the observed enrolment with the changes of that year
        if not _is_int(t) or t < facts.last_year or t > facts.last_year + 30:
            ck.add(None, None, "projection.target_year",
                   f"目标年份应为 {facts.last_year}–{facts.last_year + 30} 的整数，实为 {_shown(t)}",
                   f"target year must be an integer in {facts.last_year}–"
                   f"{facts.last_year + 30}, got {_shown(t)}")
        else:
            values["target_year"] = t
    if "entry" in raw:
        if raw["entry"] not in ENTRY_METHODS:
            ck.add(None, None, "projection.entry", f"应为 {' | '.join(ENTRY_METHODS)}",
                   f"must be one of {', '.join(ENTRY_METHODS)}")
        else:
            values["entry"] = raw["entry"]
    if "class_policy" in raw:
        if raw["class_policy"] not in CLASS_POLICIES:
            ck.add(None, None, "projection.class_policy", f"应为 {' | '.join(CLASS_POLICIES)}",
                   f"must be one of {', '.join(CLASS_POLICIES)}")
        else:
            values["class_policy"] = raw["class_policy"]
    if "entry_age" in raw:
        if not _is_int(raw["entry_age"]) or not 3 <= raw["entry_age"] <= 8:
            ck.add(None, None, "projection.entry_age", "入学年龄应为 3–8 的整数",
                   "entry age must be an integer 3–8")
        else:
            values["entry_age"] = raw["entry_age"]
    births = {int(k): float(v) for k, v in facts.births.items()}  # births.csv of the data
    if "births" in raw:
        b = raw["births"]
        if not isinstance(b, Mapping) or not all(
                _is_int(k) and 1900 <= k <= 2100 and _is_num(v) and 0 <= v <= MAX_COUNT
                for k, v in b.items()):
            ck.add(None, None, "projection.births", "应为 出生年份: 出生人数（非负）",
                   "must map birth year to births (non-negative)")
        else:
            births.update({int(k): float(v) for k, v in b.items()})  # the file's win
    if births:
        values["births"] = births
    s = ProjectionSettings(**values)
    years = range(facts.last_year + 1, s.target_year + 1)
    if "entry" not in raw:  # the default: births when they cover the projection
        observed = facts.observed_years or (facts.last_year,)
        s = ProjectionSettings(**{**values, "entry": default_entry(
            s.births, observed, years, s.entry_age)})
    if s.entry == "births":
        missing = [y - s.entry_age for y in years if (y - s.entry_age) not in s.births]
        if missing:
            ck.add(None, None, "projection.births",
                   f"entry: births 需要出生年份 {', '.join(map(str, missing))} 的出生人数"
                   "（births.csv 或 projection.births）",
                   f"entry: births needs births for {', '.join(map(str, missing))} "
                   "(births.csv or projection.births)")
    return s


def _school_levels(school_type: Any) -> tuple[str, ...]:
    return TYPE_LEVELS.get(str(school_type), ())


def _levels_map(raw: Any, ck: _Checker, ch: Change, fld: str,
                levels: Sequence[str]) -> dict[str, int]:
    if not isinstance(raw, Mapping):
        ck.add(ch, ch.type, fld, "应为 学段: 班数，如 {primary: 4, junior: 4}",
               "must map level to classes, e.g. {primary: 4, junior: 4}")
        return {}
    out = {}
    for lv, n in raw.items():
        if lv not in ("primary", "junior"):
            ck.add(ch, ch.type, f"{fld}.{lv}", "学段应为 primary 或 junior",
                   "level must be primary or junior")
        elif levels and lv not in levels:
            ck.add(ch, ch.type, f"{fld}.{lv}", f"该校没有{_lv_zh(lv)}学段",
                   f"the school has no {lv} section")
        elif not _is_int(n) or (n < 0 and ch.type == "new_school") or abs(n) > MAX_CLASSES:
            new = ch.type == "new_school"
            ck.add(ch, ch.type, f"{fld}.{lv}", f"班数应为{'非负' if new else ''}整数，实为 {_shown(n)}",
                   f"classes must be a{' non-negative' if new else 'n'} integer, got {_shown(n)}")
        else:
            out[lv] = int(n)
    return out


def _change(k: int, item: Any, ck: _Checker, facts: SchoolFacts,
            settings: ProjectionSettings) -> Change | None:
    if not isinstance(item, Mapping):
        ck.add(k, None, None, "每项变更应为键值映射（type、year …）",
               "each change must be a mapping (type, year, …)")
        return None
    ctype = item.get("type")
    if ctype not in CHANGE_TYPES:
        ck.add(k, None, "type", f"未知的变更类型 {_shown(ctype)}（可用: {', '.join(CHANGE_TYPES)}）",
               f"unknown change type {_shown(ctype)} (allowed: {', '.join(CHANGE_TYPES)})")
        return None
    year = item.get("year")
    first, last = facts.last_year + 1, settings.target_year
    observed = ctype in OBSERVED_YEAR_TYPES and _is_int(year) and year == facts.last_year
    ok_year = _is_int(year) and (first <= year <= last or observed)
    if not ok_year:
        also = (f"；{TYPE_ZH[ctype]}也可为最近观测年份 {facts.last_year}"
                if ctype in OBSERVED_YEAR_TYPES else "")
        also_en = (f"; {ctype} may also take effect in the last observed year {facts.last_year}"
                   if ctype in OBSERVED_YEAR_TYPES else "")
        ck.add(k, ctype, "year", f"年份应为 {first}–{last} 的整数（最近观测年份 "
               f"{facts.last_year} 之后{also}），实为 {_shown(year)}",
               f"year must be an integer in {first}–{last} (after the last observed year "
               f"{facts.last_year}{also_en}), got {_shown(year)}")
    if observed and "entry_classes" in item:
        ck.add(k, ctype, "entry_classes", f"最近观测年份 {facts.last_year} 的班级是实测的，"
               "起始班数的变更请从下一年开始", f"the classes of the last observed year "
               f"{facts.last_year} are observed: change entry classes from the next year on")
    ch = Change(k, ctype, int(year) if ok_year else first, {})
    fields: dict[str, Any] = {}
    allowed = _FIELDS[ctype]
    for key, v in item.items():
        key = str(key)
        if key not in allowed:
            ck.add(ch, ctype, key, "该类型变更没有这个字段", f"not a field of {ctype}")
        elif key in ("type", "year"):
            continue
        elif key == "note":
            fields[key] = str(v)
        elif key in ("school_id", "from", "to"):
            sid = _id(v)
            if sid is None:
                _id_problem(ck, ch, ctype, key, v)
            else:
                fields[key] = sid
        elif key in SCHOOL_AMOUNTS or key == "classrooms":
            # expand_school / hire_teachers may take away (teachers moving to a new school)
            negative_ok = ctype in ("expand_school", "hire_teachers") and key != "classrooms"
            top = _bounded(key)
            if not _is_num(v) or (v < 0 and not negative_ok):
                ck.add(ch, ctype, key, f"应为非负数，实为 {_shown(v)}", f"must be a non-negative number, "
                       f"got {_shown(v)}")
            elif abs(v) > top:
                ck.add(ch, ctype, key, f"{_shown(v)} 超出合理范围（绝对值不超过 {top:,.0f}）",
                       f"{_shown(v)} is beyond a plausible value (at most {top:,.0f} in size)")
            else:
                fields[key] = float(v)
        else:
            fields[key] = v
    need = {"new_school": ("school_id", "school_name", "school_type", "area_type"),
            "move_students": ("from", "to"), "expand_school": ("school_id",),
            "hire_teachers": ("school_id",), "close_school": ("school_id", "into"),
            "merge_school": ("school_id", "into")}[ctype]
    for key in need:
        if key not in item:
            ck.add(ch, ctype, key, "缺少必填字段", "required field missing")
    _typed_fields(ch, ctype, item, fields, ck)
    return Change(k, ctype, ch.year, fields) if ok_year else None


def _typed_fields(ch: Change, ctype: str, item: Mapping[str, Any], fields: dict[str, Any],
                  ck: _Checker) -> None:
    if ctype == "new_school":
        st = item.get("school_type")
        if "school_type" in item and st not in NEW_SCHOOL_TYPES:
            ck.add(ch, ctype, "school_type", f"应为 {' | '.join(NEW_SCHOOL_TYPES)}，实为 {_shown(st)}",
                   f"must be one of {', '.join(NEW_SCHOOL_TYPES)}, got {_shown(st)}")
        if "area_type" in item and item["area_type"] not in AREA_TYPES:
            ck.add(ch, ctype, "area_type", f"应为 {' | '.join(AREA_TYPES)}",
                   f"must be one of {', '.join(AREA_TYPES)}")
        for b in ("is_private", "is_boarding"):
            if b in item and not isinstance(item[b], bool):
                ck.add(ch, ctype, b, "应为 true 或 false", "must be true or false")
        if "school_name" in item:
            fields["school_name"] = str(item["school_name"])
    if "entry_classes" in item:
        levels = _school_levels(item.get("school_type")) if ctype == "new_school" else ()
        fields["entry_classes"] = _levels_map(item["entry_classes"], ck, ch, "entry_classes",
                                              levels)
    if ctype == "move_students":
        has_share, has_count = "share" in item, "count" in item
        if has_share == has_count:
            ck.add(ch, ctype, "share", "share（比例）与 count（人数）须且只须给出一个",
                   "give exactly one of share and count")
        if has_share:
            s = item["share"]
            if not _is_num(s) or not 0 < s <= 1:
                ck.add(ch, ctype, "share", *_share_problem(s))
            else:
                fields["share"] = float(s)
        if has_count:
            n = item["count"]
            if not _is_int(n) or n <= 0 or n > MAX_COUNT:
                ck.add(ch, ctype, "count", f"人数应为正整数，实为 {_shown(n)}",
                       f"count must be a positive integer, got {_shown(n)}")
            else:
                fields["count"] = int(n)
        if "grades" in item:
            g = item["grades"]
            g = [g] if _is_int(g) else g
            if not isinstance(g, list) or not g or not all(_is_int(x) and 1 <= x <= 9 for x in g):
                ck.add(ch, ctype, "grades", f"年级应为 1–9 的整数列表，实为 {_shown(item['grades'])}",
                       f"grades must be a list of integers 1–9, got {_shown(item['grades'])}")
                fields.pop("grades", None)
            else:
                fields["grades"] = sorted(set(g))
        if fields.get("from") is not None and fields.get("from") == fields.get("to"):
            ck.add(ch, ctype, "to", "迁入与迁出学校相同", "from and to are the same school")
    if ctype == "hire_teachers" and not any(k in fields for k in TEACHER_FIELDS):
        ck.add(ch, ctype, None, f"至少给出一个教师字段（{', '.join(TEACHER_FIELDS)}）",
               f"give at least one teacher field ({', '.join(TEACHER_FIELDS)})")
    if ctype in ("close_school", "merge_school") and "into" in item:
        into = item["into"]
        if ctype == "merge_school" or not isinstance(into, Mapping):
            sid = _id(into)
            if sid is None and isinstance(into, (int, float)) and not isinstance(into, bool):
                _id_problem(ck, ch, ctype, "into", into)
            elif sid is None:
                ck.add(ch, ctype, "into", "应为一个学校标识码" + ("" if ctype == "merge_school"
                       else "，或 {学校标识码: 比例}"), "must be a school id"
                       + ("" if ctype == "merge_school" else " or {school id: share}"))
            else:
                fields["into"] = {sid: 1.0}
        else:
            shares = {}
            for sid, s in into.items():
                if _id(sid) is None:
                    _id_problem(ck, ch, ctype, f"into.{quote(sid)}", sid)
                elif not _is_num(s) or not 0 < s <= 1:
                    ck.add(ch, ctype, f"into.{quote(sid)}", *_share_problem(s))
                else:
                    shares[_id(sid)] = float(s)
            if shares and abs(sum(shares.values()) - 1) > 1e-9:
                ck.add(ch, ctype, "into", f"各去向比例之和应为 1，实为 {sum(shares.values()):g}",
                       f"the shares must sum to 1, got {sum(shares.values()):g}")
            fields["into"] = shares
        if fields.get("school_id") in fields.get("into", {}):
            ck.add(ch, ctype, "into", "不能并入自身", "a school cannot go into itself")


def _check_schools(changes: list[Change], ck: _Checker, facts: SchoolFacts,
                   settings: ProjectionSettings) -> None:
    """Every id known and open when used; levels taught; shares out of one school ≤ 1."""
    opens: dict[str, int] = {}
    levels: dict[str, tuple[str, ...]] = dict(facts.levels)
    for ch in changes:
        if ch.type == "new_school" and "school_id" in ch.fields:
            sid = ch.fields["school_id"]
            if sid in facts.levels or sid in opens:
                ck.add(ch, ch.type, "school_id", f"学校 {sid} 已存在",
                       f"school {sid} already exists")
            else:
                opens[sid] = ch.year
                levels[sid] = _school_levels(ch.get("school_type"))
    closes: dict[str, tuple[int, int]] = {}
    for ch in changes:
        if ch.type in ("close_school", "merge_school") and "school_id" in ch.fields:
            sid = ch.fields["school_id"]
            if sid in closes:
                ck.add(ch, ch.type, "school_id", f"学校 {sid} 已在第 {closes[sid][1]} 项变更中撤并",
                       f"school {sid} is already closed by change {closes[sid][1]}")
            else:
                closes[sid] = (ch.year, ch.index)

    def known(ch: Change, fld: str, sid: str) -> bool:
        if sid not in levels:
            ck.add(ch, ch.type, fld, f"数据中没有学校 {sid}（最近一年 {facts.last_year}），"
                   "情景中也没有新建它", f"no school {sid} in the data (last year "
                   f"{facts.last_year}) and no new_school creates it")
            return False
        if sid in opens and ch.year < opens[sid] and not (ch.type == "new_school"):
            ck.add(ch, ch.type, fld, f"学校 {sid} 在 {opens[sid]} 年才开办",
                   f"school {sid} opens only in {opens[sid]}")
            return False
        if sid in closes and ch.year >= closes[sid][0] and not (
                ch.type in ("close_school", "merge_school") and fld == "school_id"):
            ck.add(ch, ch.type, fld, f"学校 {sid} 已于 {closes[sid][0]} 年撤并",
                   f"school {sid} is closed from {closes[sid][0]}")
            return False
        return True

    outflow: dict[tuple[str, int, int | None], list[tuple[Change, float]]] = {}
    for pos, ch in enumerate(changes):
        f = ch.fields
        for fld in ("school_id", "from", "to"):
            if fld in f and ch.type != "new_school":
                known(ch, fld, f[fld])
        for sid in f.get("into", {}) if ch.type in ("close_school", "merge_school") else ():
            if known(ch, "into", sid):
                missing = [lv for lv in levels.get(f.get("school_id"), ()) if lv not in levels[sid]]
                if missing:
                    ck.add(ch, ch.type, "into",
                           f"学校 {sid} 没有{'、'.join(map(_lv_zh, missing))}学段",
                           f"school {sid} has no {', '.join(missing)} section")
        if ch.type == "hire_teachers" or ch.type == "expand_school":
            sid = f.get("school_id")
            for key in f:
                lv = "primary" if key.endswith("_primary") else "junior" if key.endswith(
                    "_junior") else None
                if sid in levels and lv and lv not in levels[sid]:
                    ck.add(ch, ch.type, key, f"学校 {sid} 没有{_lv_zh(lv)}学段",
                           f"school {sid} has no {lv} section")
            if "entry_classes" in f and sid in levels:
                for lv in f["entry_classes"]:
                    if lv not in levels[sid]:
                        ck.add(ch, ch.type, f"entry_classes.{lv}",
                               f"学校 {sid} 没有{_lv_zh(lv)}学段",
                               f"school {sid} has no {lv} section")
        if ch.type == "move_students" and f.get("from") in levels and f.get("to") in levels:
            a, b = levels[f["from"]], levels[f["to"]]
            shared = [lv for lv in a if lv in b]
            grades = f.get("grades") or [ENTRY_GRADES[lv] for lv in shared]
            if not grades:
                ck.add(ch, ch.type, "to", "两校没有共同的学段", "the two schools share no level")
            for g in grades:
                lv = GRADE_LEVEL[g]
                if lv not in a or lv not in b:
                    who = f["from"] if lv not in a else f["to"]
                    ck.add(ch, ch.type, "grades", f"学校 {who} 没有 {g} 年级（{_lv_zh(lv)}）",
                           f"school {who} has no grade {g} ({lv})")
                elif "share" in f:
                    once = None if g in ENTRY_GRADES.values() else ch.year
                    outflow.setdefault((f["from"], g, once), []).append((ch, f["share"]))
            if "grades" not in f:
                changes[pos] = Change(ch.index, ch.type, ch.year,
                                                    {**f, "grades": grades})
    for (sid, g, _once), moves in outflow.items():
        # catchment moves of an entering grade stay in force, so their shares add up; moves of
        # another grade in one year add up too (overlaps across cohorts are checked when applied)
        total = 0.0
        for ch, s in sorted(moves, key=lambda m: m[0].year):
            total += s
            if total > 1 + 1e-9:
                ck.add(ch, ch.type, "share",
                       f"从学校 {sid} 的 {g} 年级迁出的比例合计 {total:g} > 1（不可能）",
                       f"shares moved out of school {sid}, grade {g}, add up to {total:g} > 1 "
                       "(impossible)")


def _lv_zh(level: str) -> str:
    return "小学" if level == "primary" else "初中"


def load_scenario(path: str | Path, facts: SchoolFacts, target_year: int | None = None) -> Scenario:
    """Read and validate a scenario file (raises :class:`ScenarioError`)."""
    raw, problems = read_yaml(path)
    if problems:
        raise ScenarioError(problems)
    return parse_scenario(raw, facts, Path(path).name, target_year)
