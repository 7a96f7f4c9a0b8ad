"""Cross-table and year-to-year checks: warnings a reviewer of the submitted data would raise.

:func:`balance_lib.schemas.validate` checks each table by itself; this module checks that the
tables tell one story (since 2025 the national recognition reviews the submitted data rather
than visiting, so consistency matters as much as the formulas). Every finding is a
:class:`~balance_lib.schemas.Problem` located by file, row, school, year and column, like the
validation problems, but it is a **warning**: ``balance validate`` lists them after the result,
``evaluate``, ``ledger``, ``report`` and ``scenario`` print a one-line count, and
``balance validate --strict`` treats them as problems (exit status 2).

Checks and their codes (bounds in :data:`BOUNDS`; the sample county passes them all):

=========================  =================================================================
``students_vs_classes``    a school's pupils per level in ``schools`` differ from the sum of
                           its classes in ``classes`` (only for years ``classes`` covers)
``classes_vs_class_rows``  ``classes_primary`` / ``classes_junior`` differ from the number of
                           the school's classes in ``classes``
``cohort_vs_grade7``       ``county.junior_cohort_start`` of year *Y* differs from grade 7 of
                           ``classes`` in *Y* − 3 by more than ``cohort_tolerance``
``graduates_vs_grade9``    ``county.junior_cohort_graduated`` of *Y* differs from grade 9 of
                           ``classes`` in *Y* − 1 by more than ``graduates_tolerance``
``training_vs_teachers``   ``training_360h_eligible`` is outside ``training_share`` of the
                           专任教师 of ``schools`` that year
``rotation_vs_teachers``   ``rotation_eligible_teachers`` exceeds the 专任教师 of ``schools``
``disabled_vs_special``    ``disabled_children_enrolled`` is below the pupils of the special
                           schools in ``schools``
``pupils_per_teacher``     pupils per 专任教师 of a level outside ``pupils_per_teacher`` (levels
                           with at least ``pupils_per_teacher_min`` pupils)
``teachers_no_students``   teachers of a level the school has no pupils in
``students_change``        a level's pupils change by more than ``students_change`` (and by at
                           least ``students_change_min`` pupils) from the year before
``area_fall``              an area falls by more than ``facility_fall`` from the year before
``equipment_fall``         the equipment value falls by more than ``facility_fall``
``rooms_fall``             the multimedia classrooms fall by more than ``facility_fall``
``teachers_change``        a level's teachers double or halve (by at least
                           ``teachers_change_min``) from the year before
``type_changed``           the school type differs from the year before
``point_parent``           a teaching point's 中心校 teaches no 小学 grades
``point_junior``           a teaching point reports 初中 pupils
``point_above_parent``     a teaching point has more pupils than its 中心校's 小学
``point_rooms``            a teaching point has more multimedia classrooms than classes + 1
=========================  =================================================================

Conventions: ``year`` is the school-year start. The county's graduates reported for year *Y*
(the statistics of autumn *Y*) finished grade 9 in June *Y*, i.e. were in grade 9 in school year
*Y* − 1, and entered grade 7 in *Y* − 3 (``junior_cohort_start``, 初一时在校生数). County totals
are compared with ``classes`` only when ``classes`` holds every school with 初中 pupils that
year. Year-to-year checks compare a school with its own row of the year before (consecutive
years only).

All checks are vectorised over schools (joins and group-bys); Python loops run only over the
rows found, to write their messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .columns import LEVELS, TYPE_LEVELS
from .frames import at_positions, lookup_positions
from .schemas import Problem, _Table, first_rows, sort_problems

if TYPE_CHECKING:
    from .io import CountyData

__all__ = ["Bounds", "BOUNDS", "cross_checks", "format_warnings", "warning_summary",
           "mapping_note"]


@dataclass(frozen=True)
class Bounds:
    """What the checks allow (documented in ``data/README.md``)."""

    #: relative difference allowed between 初一时在校生数 and grade 7 three years earlier
    cohort_tolerance: float = 0.02
    #: relative difference allowed between 初中毕业生数 and grade 9 of the year before
    graduates_tolerance: float = 0.03
    #: 应完成360学时培训教师数 as a share of the 专任教师 (a five-year cycle: most of them)
    training_share: tuple[float, float] = (0.70, 1.00)
    #: pupils per 专任教师 of one level
    pupils_per_teacher: tuple[float, float] = (3.0, 35.0)
    pupils_per_teacher_min: int = 30
    #: year-to-year change of a level's pupils (share, and pupils)
    students_change: float = 0.30
    students_change_min: int = 20
    #: fall of an area, the equipment value or the multimedia classrooms (share)
    facility_fall: float = 0.05
    #: teachers of a level doubling or halving, by at least this many
    teachers_change_min: int = 5


BOUNDS = Bounds()

_LEVEL_ZH = {"primary": "小学", "junior": "初中"}
_AREAS = ("teaching_aux_area_m2", "indoor_sports_area_m2", "sports_ground_area_m2")
_FALLS = (*((a, "area_fall") for a in _AREAS), ("equipment_value_10k_yuan", "equipment_fall"),
          ("multimedia_classrooms", "rooms_fall"))


def _esc(label: str) -> str:
    """A file label inside a message template (braces doubled)."""
    return label.replace("{", "{{").replace("}", "}}")


def _n(x: object) -> str:
    """A count or amount as people write it: 1,234 or 1,234.5."""
    v = float(x)
    return f"{v:,.0f}" if v.is_integer() else f"{v:,.1f}"


def _pct(x: object) -> str:
    return f"{float(x):+.1%}"


def _at(values: np.ndarray, fmt=_n):
    """A message field: row position -> ``values`` at that row, formatted by ``fmt``."""
    return lambda k: fmt(values[k])


def _float(column: pd.Series | None) -> pd.Series:
    """A column's numbers as float64 (NaN where empty or unreadable): counts read compactly
    as float32 (:func:`balance_lib.io.read_county`) are summed and compared in float64."""
    return pd.to_numeric(column, errors="coerce").astype("float64")


def _keys(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Key columns as text (ids) and int (year); rows with an unreadable year get -1."""
    out = {}
    for c in columns:
        if c == "year":
            out[c] = pd.to_numeric(frame["year"], errors="coerce").fillna(-1).astype("int64")
        else:
            out[c] = (frame[c].astype(object).where(frame[c].notna(), "").astype(str)
                      if c in frame else pd.Series("", index=frame.index))
    return pd.DataFrame(out, index=frame.index)


# ---------------------------------------------------------------------------------------------
# schools ↔ classes


def _class_totals(classes: pd.DataFrame) -> tuple[pd.DataFrame, set[tuple[str, int]]]:
    """Students and classes per (county, school, year, level), and the (county, year) pairs the
    table covers."""
    k = _keys(classes, ["county_id", "school_id", "year"])
    k["level"] = classes["level"].astype(object).where(classes["level"].notna(), "").astype(str)
    k["students"] = _float(classes["students"])
    k = k[(k.year >= 0) & (k.school_id != "") & k.level.isin(LEVELS)]
    agg = k.groupby(["county_id", "school_id", "year", "level"], sort=False).agg(
        pupils=("students", lambda s: s.sum(min_count=len(s))), n=("students", "size"))
    covered = set(zip(k["county_id"], k["year"], strict=True))
    return agg.reset_index(), covered


def _schools_vs_classes(t: _Table, classes: pd.DataFrame, cfile: str) -> list[Problem]:
    cf = _esc(cfile)
    agg, covered = _class_totals(classes)
    keys = _keys(t.frame, ["county_id", "school_id", "year"])
    in_scope = np.array([(c, y) in covered for c, y in zip(keys.county_id, keys.year,
                                                           strict=True)], dtype=bool)
    out: list[Problem] = []
    for level in LEVELS:
        part = agg[agg.level == level]
        idx = part[["county_id", "school_id", "year"]]
        at = lookup_positions(idx, keys)
        pupils = at_positions(part["pupils"].to_numpy(), at)
        n = at_positions(part["n"].to_numpy(), at)
        has = ~np.isnan(n.astype(float))
        pupils = np.where(has, pupils.astype(float), 0.0)
        n = np.where(has, n.astype(float), 0.0)
        lv = _LEVEL_ZH[level]
        col = f"students_{level}"
        if col in t:
            v = t.num(col)
            with np.errstate(invalid="ignore"):
                bad = in_scope & np.isfinite(v) & np.isfinite(pupils) & (v != pupils)
            out += t.problems(
                bad & has, col, "students_vs_classes",
                f"{cf} 中该校{lv}各班学生数合计 {{sum}}，与本表 {{value}} 不符（差 {{diff}}）",
                f"the school's {level} classes in {cf} add up to {{sum}}, not {{value}} "
                f"(difference {{diff}})",
                sum=_at(pupils), value=_at(v),
                diff=_at(v - pupils, "{:+,.0f}".format))
            out += t.problems(
                bad & ~has, col, "students_vs_classes",
                f"{cf} 中没有该校{lv}的班级，而本表为 {{value}} 人",
                f"{cf} has no {level} class of the school, but this row has {{value}}",
                value=_at(v))
        col = f"classes_{level}"
        if col in t:
            c = t.num(col)
            with np.errstate(invalid="ignore"):
                bad = in_scope & np.isfinite(c) & (c != n)
            out += t.problems(
                bad, col, "classes_vs_class_rows",
                f"{cf} 中该校{lv}有 {{n}} 个班，与本表 {{value}} 不符",
                f"{cf} lists {{n}} {level} classes of the school, not {{value}}",
                n=_at(n), value=_at(c))
    return out


# ---------------------------------------------------------------------------------------------
# county ↔ classes and schools


def _complete_junior_years(schools: pd.DataFrame, classes: pd.DataFrame) -> set[tuple[str, int]]:
    """(county, year) where ``classes`` holds every school with 初中 pupils in ``schools``."""
    sk = _keys(schools, ["county_id", "school_id", "year"])
    junior = _float(schools.get("students_junior")).fillna(0) > 0
    ck = _keys(classes, ["county_id", "school_id", "year"])
    ck = ck[(classes["level"].astype(str) == "junior").to_numpy()]
    have = pd.MultiIndex.from_frame(ck).unique()
    want = sk[junior.to_numpy()]
    missing = ~pd.MultiIndex.from_frame(want).isin(have)
    years = set(zip(ck.county_id, ck.year, strict=True))
    gaps = set(zip(want.county_id[missing], want.year[missing], strict=True))
    return years - gaps


def _grade_totals(classes: pd.DataFrame, grade: int) -> pd.Series:
    k = _keys(classes, ["county_id", "year"])
    g = _float(classes["grade"])
    n = _float(classes["students"])
    sel = (g == grade).to_numpy()
    return n[sel].groupby([k.county_id[sel], k.year[sel]]).sum()


def _county_vs_classes(t: _Table, schools: pd.DataFrame | None,
                       classes: pd.DataFrame, bounds: Bounds, cfile: str) -> list[Problem]:
    cf = _esc(cfile)
    if schools is None or "grade" not in classes:
        return []
    complete = _complete_junior_years(schools, classes)
    keys = _keys(t.frame, ["county_id", "year"])
    out: list[Problem] = []
    for column, code, grade, lag, tol, what_zh, what_en in (
            ("junior_cohort_start", "cohort_vs_grade7", 7, 3, bounds.cohort_tolerance,
             "入初一时（{y} 学年）7 年级", "grade 7 when it entered in {y}"),
            ("junior_cohort_graduated", "graduates_vs_grade9", 9, 1, bounds.graduates_tolerance,
             "毕业前（{y} 学年）9 年级", "grade 9 in its last year {y}")):
        if column not in t:
            continue
        totals = _grade_totals(classes, grade)
        then = keys.year - lag
        ok = np.array([(c, y) in complete for c, y in zip(keys.county_id, then, strict=True)],
                      dtype=bool)
        ref = totals.reindex(pd.MultiIndex.from_arrays([keys.county_id, then])).to_numpy(float)
        v = t.num(column)
        with np.errstate(invalid="ignore", divide="ignore"):
            diff = (v - ref) / ref
            bad = ok & np.isfinite(v) & (ref > 0) & (np.abs(diff) > tol + 1e-12)
        out += t.problems(
            bad, column, code,
            f"{{value}} 与 {cf} 中该届学生{what_zh}合计 {{ref}} 相差 {{diff}}"
            f"（允许 ±{tol:.0%}）",
            f"{{value}} differs from the cohort's {what_en} in {cf}, {{ref}}, by {{diff}} "
            f"(allowed ±{tol:.0%})",
            value=_at(v), ref=_at(ref), diff=_at(diff, _pct),
            y=then.to_numpy())
    return out


def _school_totals(schools: pd.DataFrame) -> pd.DataFrame:
    """Per (county, year): 专任教师 and the pupils of the special schools."""
    k = _keys(schools, ["county_id", "year"])
    num = {c: _float(schools[c]) if c in schools else
           pd.Series(np.nan, index=schools.index)
           for c in ("teachers_primary", "teachers_junior", "students_primary",
                     "students_junior")}
    special = (schools["school_type"].astype(str) == "special").to_numpy()
    frame = pd.DataFrame({
        "county_id": k.county_id, "year": k.year,
        "teachers": num["teachers_primary"].fillna(0) + num["teachers_junior"].fillna(0),
        "special": np.where(special, num["students_primary"].fillna(0)
                            + num["students_junior"].fillna(0), 0.0)})
    return frame.groupby(["county_id", "year"]).sum()


def _county_vs_schools(t: _Table, schools: pd.DataFrame, bounds: Bounds,
                       sfile: str) -> list[Problem]:
    sf = _esc(sfile)
    totals = _school_totals(schools)
    keys = _keys(t.frame, ["county_id", "year"])
    at = pd.MultiIndex.from_frame(keys)
    teachers = totals["teachers"].reindex(at).to_numpy(float)
    special = totals["special"].reindex(at).to_numpy(float)
    out: list[Problem] = []
    lo, hi = bounds.training_share
    if "training_360h_eligible" in t:
        v = t.num("training_360h_eligible")
        with np.errstate(invalid="ignore", divide="ignore"):
            share = v / teachers
            outside = (share < lo - 1e-12) | (share > hi + 1e-12)
            bad = np.isfinite(share) & (teachers > 0) & outside
        out += t.problems(
            bad, "training_360h_eligible", "training_vs_teachers",
            f"{{value}} 是 {sf} 当年专任教师合计 {{teachers}} 的 {{share}}"
            f"（应在 {lo:.0%}–{hi:.0%} 之间：五年一周期，绝大多数专任教师都应完成）",
            f"{{value}} is {{share}} of the year's teachers in {sf}, {{teachers}} "
            f"(expected {lo:.0%}–{hi:.0%}: a five-year cycle covers nearly every teacher)",
            value=_at(v), teachers=_at(teachers),
            share=_at(share, "{:.0%}".format))
    if "rotation_eligible_teachers" in t:
        v = t.num("rotation_eligible_teachers")
        with np.errstate(invalid="ignore"):
            bad = np.isfinite(teachers) & (v > teachers)
        out += t.problems(
            bad, "rotation_eligible_teachers", "rotation_vs_teachers",
            f"{{value}} 多于 {sf} 当年专任教师合计 {{teachers}}",
            f"{{value}} is more than the year's teachers in {sf}, {{teachers}}",
            value=_at(v), teachers=_at(teachers))
    if "disabled_children_enrolled" in t:
        v = t.num("disabled_children_enrolled")
        with np.errstate(invalid="ignore"):
            bad = np.isfinite(special) & (v < special)
        out += t.problems(
            bad, "disabled_children_enrolled", "disabled_vs_special",
            f"{{value}} 少于 {sf} 中特殊教育学校的在校生 {{special}}（入学残疾儿童包括特教学校、"
            "随班就读和送教上门）",
            f"{{value}} is fewer than the special schools' pupils in {sf}, {{special}} "
            "(enrolled disabled children include the special schools')",
            value=_at(v), special=_at(special))
    return out


# ---------------------------------------------------------------------------------------------
# one school's rows


def _teacher_rules(t: _Table, bounds: Bounds) -> list[Problem]:
    out: list[Problem] = []
    lo, hi = bounds.pupils_per_teacher
    for level in LEVELS:
        s, c = f"students_{level}", f"teachers_{level}"
        if s not in t or c not in t:
            continue
        p, n = t.num(s), t.num(c)
        lv = _LEVEL_ZH[level]
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = p / n
            bad = (p >= bounds.pupils_per_teacher_min) & np.isfinite(n) & (
                (n == 0) | (ratio < lo) | (ratio > hi))
        out += t.problems(
            bad & (n == 0), c, "pupils_per_teacher",
            f"{lv}有 {{pupils}} 名学生，却没有{lv}专任教师",
            f"{{pupils}} {level} pupils and no {level} teacher",
            pupils=_at(p))
        out += t.problems(
            bad & (n > 0), c, "pupils_per_teacher",
            f"{lv}生师比 {{ratio}}:1（{{pupils}} 名学生 / {{value}} 名专任教师），"
            f"超出合理范围 {lo:g}–{hi:g}",
            f"{level} pupils per teacher {{ratio}} ({{pupils}} pupils / {{value}} teachers), "
            f"outside the plausible {lo:g}–{hi:g}",
            ratio=_at(ratio, "{:.1f}".format), pupils=_at(p),
            value=_at(n))
        with np.errstate(invalid="ignore"):
            idle = (p == 0) & (n > 0)
        out += t.problems(
            idle, c, "teachers_no_students",
            f"该校没有{lv}学生，却有 {{value}} 名{lv}专任教师（应按任教学段填写）",
            f"{{value}} {level} teachers but no {level} pupil (teachers go by the level they "
            "teach)", value=_at(n))
    return out


def _previous(t: _Table) -> np.ndarray:
    """Position of each row's own row of the year before (-1 when there is none).

    On integer codes: the (county, school) codes of :meth:`~balance_lib.schemas._Table.codes`
    combined into one code with the year folded in, and one stable sort, so a million rows
    cost a few int64 arrays instead of a frame of text keys, its shifted copy and a joint
    ranking, or a hash table of a million keys (the peak of ``balance validate``).
    """
    frame = t.frame
    year = pd.to_numeric(frame["year"], errors="coerce").fillna(-1).astype("int64").to_numpy()
    pair = np.zeros(len(frame), dtype=np.int64)
    valid = year >= 0
    n_pairs = 1
    for c in ("county_id", "school_id"):
        if c not in frame:
            continue
        codes, uniques = t.codes(c)  # the stripped ids the reader stored, as integers
        if c == "school_id":
            valid &= t.text(c) != ""
        n_pairs *= max(len(uniques), 1)
        pair = pair * max(len(uniques), 1) + codes
    if not valid.any():
        return np.full(len(frame), -1, dtype=int)
    low, high = int(year[valid].min()), int(year[valid].max())
    span = high - low + 2  # offsets 1 … span − 1; offset 0 is the year before the first
    if span >= 2**62 // max(n_pairs, 1):  # years too far apart for one integer
        return _previous_by_text(t)
    code = pair * span + np.where(valid, year - low + 1, 0)
    del pair
    own = np.flatnonzero(valid)
    own_code = code[own]
    order = np.argsort(own_code, kind="stable")  # one sort finds the repeated keys too
    own, own_code = own[order], own_code[order]
    del order
    same = own_code[1:] == own_code[:-1]
    repeated = np.zeros(len(own), dtype=bool)
    repeated[1:] |= same
    repeated[:-1] |= same
    del same
    own, own_code = own[~repeated], own_code[~repeated]
    wanted = code - 1  # the same school in the year before
    at = np.searchsorted(own_code, wanted)
    at = np.minimum(at, max(len(own_code) - 1, 0))
    found = valid & (own_code[at] == wanted) if len(own_code) else np.zeros(len(frame), bool)
    return np.where(found, own[at] if len(own) else -1, -1).astype(int)


def _previous_by_text(t: _Table) -> np.ndarray:
    """:func:`_previous` by text keys (years beyond what one int64 code can hold)."""
    keys = _keys(t.frame, ["county_id", "school_id", "year"]).reset_index(drop=True)
    keys["pos"] = np.arange(len(keys))
    valid = (keys.year >= 0) & (keys.school_id != "")
    prev = keys.assign(year=keys.year + 1)[valid]
    prev = prev[~prev.duplicated(["county_id", "school_id", "year"], keep=False)]
    cols = ["county_id", "school_id", "year"]
    at = lookup_positions(prev[cols], keys[cols])
    pos = np.where(at >= 0, prev["pos"].to_numpy()[np.maximum(at, 0)], -1)
    return np.where(valid, pos, -1).astype(int)


def _year_rules(t: _Table, bounds: Bounds) -> list[Problem]:
    prev = _previous(t)
    has = prev >= 0
    at = np.where(has, prev, 0)
    years = t.year
    py = np.where(has, years - 1, np.nan)
    out: list[Problem] = []

    def before(column: str) -> np.ndarray:
        return np.where(has, t.num(column)[at], np.nan)

    for level in LEVELS:
        col = f"students_{level}"
        if col in t:
            v, b = t.num(col), before(col)
            with np.errstate(invalid="ignore", divide="ignore"):
                change = (v - b) / b
                bad = (b > 0) & (np.abs(change) > bounds.students_change + 1e-12) & (
                    np.abs(v - b) >= bounds.students_change_min)
            out += t.problems(
                bad, col, "students_change",
                "{value}，比 {prev_year} 年的 {before} 变化 {change}"
                f"（超过 ±{bounds.students_change:.0%}；学区调整、撤并请核实两校数据）",
                "{value}, {change} against {before} in {prev_year} (more than "
                f"±{bounds.students_change:.0%}; check both schools after a boundary change)",
                value=_at(v), before=_at(b),
                change=_at(change, _pct), prev_year=py)
        col = f"teachers_{level}"
        if col in t:
            v, b = t.num(col), before(col)
            with np.errstate(invalid="ignore", over="ignore"):  # 2 × 1e308 is inf, no warning
                bad = (b > 0) & ((v > 2 * b) | (v < b / 2)) & (
                    np.abs(v - b) >= bounds.teachers_change_min)
            out += t.problems(
                bad, col, "teachers_change",
                "{value}，{prev_year} 年为 {before}：一年内翻倍或减半，请核实",
                "{value} against {before} in {prev_year}: doubled or halved in a year",
                value=_at(v), before=_at(b), prev_year=py)
    fall = bounds.facility_fall
    for col, code in _FALLS:
        if col not in t:
            continue
        v, b = t.num(col), before(col)
        with np.errstate(invalid="ignore", divide="ignore"):
            change = (b - v) / b
            bad = (b > 0) & (change > fall + 1e-12)
        out += t.problems(
            bad, col, code,
            "{value}，比 {prev_year} 年的 {before} 减少 {change}"
            f"（超过 {fall:.0%}：校舍、设备一般不会减少，拆除、报废或调出请核实）",
            "{value}, {change} less than {before} in {prev_year} (a fall of more than "
            f"{fall:.0%}: buildings and equipment rarely shrink)",
            value=_at(v), before=_at(b),
            change=_at(change, "{:.1%}".format), prev_year=py)
    if "school_type" in t:
        ty = t.text("school_type")
        was = np.where(has, ty[at], "")
        bad = has & (was != "") & (ty != "") & (ty != was)
        out += t.problems(
            bad, "school_type", "type_changed",
            "学校类型由 {prev_year} 年的 {was} 变为 {now}，请核实",
            "school type {now}, {was} in {prev_year}",
            was=lambda k: _type(was[k]), now=lambda k: _type(ty[k]), prev_year=py)
    return out


def _type(value: str) -> str:
    from .columns import value_label

    return f"{value_label(value)}（{value}）"


def _point_rules(t: _Table) -> list[Problem]:
    if "school_type" not in t:
        return []
    ty = t.text("school_type")
    point = ty == "teaching_point"
    if not point.any():
        return []
    out: list[Problem] = []
    if "students_junior" in t:
        j = t.num("students_junior")
        out += t.problems(point & (j > 0), "students_junior", "point_junior",
                          "教学点只有小学学段，却填了 {value} 名初中学生",
                          "a teaching point has only 小学 grades, but {value} junior pupils",
                          value=_at(j))
    if "multimedia_classrooms" in t and "classes_primary" in t:
        m, c = t.num("multimedia_classrooms"), t.num("classes_primary")
        with np.errstate(invalid="ignore"):
            bad = point & (m > c + 1)
        out += t.problems(bad, "multimedia_classrooms", "point_rooms",
                          "教学点有 {value} 间网络多媒体教室，多于其 {classes} 个班加 1",
                          "{value} multimedia classrooms at a teaching point of {classes} "
                          "classes (more than one per class plus one)",
                          value=_at(m), classes=_at(c))
    if "parent_school_id" not in t:
        return out
    at = np.full(t.n, -1, dtype=np.int64)  # each point's parent school's row, once
    points = np.flatnonzero(point)  # (only points: every use is masked by them)
    key = ("county_id", "year", "school_id")
    own = t.key_code(key)
    asked = (t.key_code(key, points, ("school_id", t.text("parent_school_id")[points]))
             if own is not None else None)
    if own is not None and asked is not None:
        at[points] = first_rows(own, asked)
    else:  # more distinct keys than one int64 can combine
        keys = _keys(t.frame, ["county_id", "year", "school_id"])
        parent = keys[point].assign(school_id=t.text("parent_school_id")[point])
        at[points] = lookup_positions(keys, parent)
        del keys, parent
    del own, asked
    ptype = at_positions(ty, at)
    ptype = np.where(pd.isna(ptype), "", ptype).astype(object)
    codes, kinds = pd.factorize(ptype)
    teaches = np.array(["primary" in TYPE_LEVELS.get(x, ()) for x in kinds], dtype=bool)[codes]
    known = point & (ptype != "")
    out += t.problems(known & ~teaches & (ptype != "teaching_point"), "parent_school_id",
                      "point_parent",
                      "所属中心校 {parent} 是 {ptype}，不办小学（教学点应隶属于小学或一贯制学校）",
                      "parent school {parent} is a {ptype} without 小学 grades",
                      parent=t.text("parent_school_id"), ptype=lambda k: _type(ptype[k]))
    if "students_primary" in t:
        p = t.num("students_primary")
        pp = at_positions(p, at).astype(float)
        with np.errstate(invalid="ignore"):
            bad = known & teaches & np.isfinite(pp) & (p > pp)
        out += t.problems(bad, "students_primary", "point_above_parent",
                          "教学点 {value} 名学生，多于其中心校 {parent} 的小学 {ppupils} 人",
                          "{value} pupils, more than the 小学 of its parent school {parent} "
                          "({ppupils})",
                          value=_at(p), parent=t.text("parent_school_id"),
                          ppupils=_at(pp))
    return out


# ---------------------------------------------------------------------------------------------


def cross_checks(data: CountyData, bounds: Bounds = BOUNDS) -> list[Problem]:
    """Every cross-table and year-to-year warning of ``data`` (see the module notes), sorted.

    Parameters
    ----------
    data
        Tables as read by :func:`balance_lib.io.read_county` (cells that could not be read are
        empty and take part in no comparison).
    bounds
        What the checks allow.

    Returns
    -------
    list of Problem
        Empty when the tables agree.
    """
    tables = data.tables
    files = data.files
    out: list[Problem] = []
    schools = tables.get("schools")
    classes = tables.get("classes")
    if schools is not None and "school_id" in schools and "year" in schools:
        t = _Table("schools", schools, files.get("schools", "schools.csv"))
        if classes is not None and {"school_id", "year", "level", "students"} <= set(classes):
            out += _schools_vs_classes(t, classes, files.get("classes", "classes.csv"))
        out += _teacher_rules(t, bounds)
        out += _year_rules(t, bounds)
        out += _point_rules(t)
    county = tables.get("county")
    if county is not None and "year" in county:
        t = _Table("county", county, files.get("county", "county.csv"))
        if classes is not None and {"year", "level", "students", "school_id"} <= set(classes):
            out += _county_vs_classes(t, schools, classes, bounds,
                                      files.get("classes", "classes.csv"))
        if schools is not None and {"year", "school_type"} <= set(schools):
            out += _county_vs_schools(t, schools, bounds, files.get("schools", "schools.csv"))
    return sort_problems(out)


def format_warnings(warnings: list[Problem], lang: str = "zh", strict_hint: bool = True) -> str:
    """A header line with the count, then one line per warning."""
    n = len(warnings)
    if lang == "zh":
        head = f"跨表与跨年检查有 {n} 条警告" + (
            "（--strict 时视为问题）：" if strict_hint else "：")
    else:
        head = (f"{n} cross-table / year-to-year warning{'s' if n != 1 else ''}"
                + (" (problems with --strict):" if strict_hint else ":"))
    return "\n".join([head, *(w.format(lang) for w in warnings)])


def warning_summary(warnings: list[Problem], lang: str = "zh") -> str:
    """The one line ``evaluate``, ``report`` … print: how many warnings, of which kinds."""
    if not warnings:
        return ""
    counts: dict[str, int] = {}
    for w in warnings:
        counts[w.code] = counts.get(w.code, 0) + 1
    kinds = ", ".join(f"{c} {k}" for c, k in sorted(counts.items(), key=lambda x: (-x[1], x[0])))
    if lang == "zh":
        return (f"数据检查: 跨表与跨年检查有 {len(warnings)} 条警告（{kinds}）；"
                "运行 balance validate 查看明细")
    return (f"Data check: {len(warnings)} cross-table / year-to-year warning"
            f"{'s' if len(warnings) != 1 else ''} ({kinds}); run balance validate for details")


def mapping_note(path: object, lang: str = "zh") -> str:
    """The line a report prints when its data were read through a header mapping file."""
    name = getattr(path, "name", str(path))
    return (f"表头映射: {name}（列名按该文件对应）" if lang == "zh"
            else f"Header mapping: {name} (columns read through it)")
