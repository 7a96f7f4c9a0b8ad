"""B8–B32 and the vetoes V1–V8: the indicator system beyond the resource indicators B1–B7.

Pure calculation: tables in, tidy frames out. Every county and year of ``schools`` is evaluated
in one pass; per-school checks are array arithmetic on the school table and county results are
grouped aggregations, never a Python loop over schools. Thresholds come from the registry
(:mod:`balance_lib.registry`); choices the rules leave open come from :class:`Settings`.

Statuses
--------
An item is ``met`` only when every part of it is known to be met, ``not_met`` when any part is
known to fail, and ``not_assessed`` otherwise (three-valued "and": a known failure outweighs a
missing part). A missing table or column, an empty value or a division by zero never makes an
item ``met``; the detail names the reason.

* School-scope items (B10 B11 B12 B13 B14 B19 B26): the county meets the item when every school
  in scope meets it. Schools whose data are missing make the county ``not_assessed`` unless
  another school fails. A county with no school in scope meets B10, B11, B13 and B14 (the rule
  does not apply; the detail says so); B12, B19 and B26 are then ``not_assessed`` (no data).
  The county ``value``/``threshold`` are those of the worst school (largest gap, then smallest
  margin).
* County-scope items read ``county.csv`` (B15 B16 B18 B20–B24), ``quality.csv`` (B31) and
  ``survey.csv`` (B32). For items with two parts (B18, B20, B22) ``value``/``threshold`` are
  those of the first part; the detail gives every part.
* Judgement items (B8 B9 B17 B25 B27–B30) and the vetoes read ``judgements.csv``; several rows
  for one item combine with the same three-valued "and". B25 also fails when any school has
  ``has_charter`` or ``has_info_management`` false (an empty flag leaves it to the judgement).
* B31: per (county, monitoring year, subject, level) the 校际差异率 is the student-weighted CV
  of the school mean scores (:func:`balance_lib.variation.grouped_weighted_cv`; weights = the
  school's students of that level in ``schools`` of the monitoring year), compared with
  ``< 0.15``; every school's share at level III or above must reach
  ``settings.b31_level3_share_min``. A report year without monitoring uses the latest earlier
  monitoring year of the county. Value = the largest rate over subjects and levels.
* B32: Σ satisfied ÷ Σ respondents; a sample below ``survey_min_sample_per_mille`` ‰ of the
  resident population, or with parents below ``survey_parent_share_min``, is ``not_assessed``
  (never met), whatever the rate. V4 follows B32; V8 is ``disabled`` unless
  ``settings.veto_v8_enabled``.

Comparisons are on unrounded values. Ratios are compared as quotients: when the true quotient
equals the decimal threshold the floating-point quotient is the same double as the threshold,
so "≥" is exact at the threshold.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .columns import value_label
from .registry import Indicator, Registry
from .settings import Settings
from .variation import grouped_weighted_cv

KEY = ["county_id", "year"]
SCHOOL_KEY = ["county_id", "year", "school_id"]
CLASS_KEY = ["county_id", "year", "school_id", "level"]
MET, NOT_MET, NOT_ASSESSED = "met", "not_met", "not_assessed"
TRIGGERED, NOT_TRIGGERED, DISABLED = "triggered", "not_triggered", "disabled"

#: School types in the scope of B10 and B11 (小学、初中、一贯制、完全中学).
REGULAR_TYPES = ("primary", "junior", "nine_year", "twelve_year", "complete_secondary")
THROUGH_TYPES = ("nine_year", "twelve_year")

ITEM_COLUMNS = [
    "county_id",
    "year",
    "id",
    "status",
    "value",
    "threshold",
    "detail_zh",
    "detail_en",
    "n_schools",
    "n_failing",
    "n_unknown",
]
SCHOOL_ITEM_COLUMNS = [
    "county_id",
    "year",
    "school_id",
    "id",
    "school_name",
    "value",
    "threshold",
    "met",
    "gap",
    "gap_unit_zh",
    "gap_unit_en",
    "detail_zh",
    "detail_en",
]
CLASS_SIZE_COLUMNS = [
    "county_id",
    "year",
    "school_id",
    "level",
    "classes",
    "students",
    "mean_class_size",
    "max_class_size",
    "limit",
    "classes_over_limit",
    "large_classes",
    "super_large_classes",
    "classes_unknown",
]
VETO_COLUMNS = ["county_id", "year", "id", "status", "triggered", "evidence", "evidence_en"]


@dataclass(frozen=True)
class IndicatorResult:
    """What :func:`assess_indicators` returns.

    ``items``: one row per (county_id, year, id) for B8–B32: ``status`` (met | not_met |
    not_assessed), ``value`` and ``threshold`` (float, NaN when there is none), ``detail_zh``,
    ``detail_en``; for school-scope items ``n_schools`` (schools in scope), ``n_failing`` and
    ``n_unknown`` (schools that could not be judged), otherwise NA.

    ``school_items``: one row per (county_id, year, school_id, id) for every school in the scope
    of B10 B11 B12 B13 B14 B19 B26: ``value``, ``threshold``, ``met`` (boolean; NA when the
    school's data are missing), ``gap`` (natural units to reach the threshold, 0 when met),
    ``gap_unit_zh``/``gap_unit_en``, ``detail_zh``/``detail_en``.

    ``class_sizes``: :func:`class_size_table` of ``classes`` (empty when it is absent).

    ``vetoes``: one row per (county_id, year, id) for V1–V8: ``status`` (triggered |
    not_triggered | not_assessed | disabled), ``triggered`` (boolean, NA unless assessed),
    ``evidence`` (Chinese), ``evidence_en``.
    """

    items: pd.DataFrame
    school_items: pd.DataFrame
    class_sizes: pd.DataFrame
    vetoes: pd.DataFrame


# ---------------------------------------------------------------------------------------------
# small helpers


def _fmt(x: Any, digits: int = 2, pct: bool = False) -> str:
    """Number for a detail text: up to ``digits`` decimals, trailing zeros dropped."""
    if x is None or x is pd.NA:
        return "—"
    x = float(x)
    if math.isnan(x):
        return "—"
    if pct:
        x *= 100
    text = f"{x:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text == "-0":
        text = "0"
    return text + ("%" if pct else "")


def _fs(values: Any, index: pd.Index, digits: int = 2, pct: bool = False) -> pd.Series:
    """Vector of numbers as detail strings, aligned with ``index``."""
    series = pd.Series(values).reset_index(drop=True)
    if series.dtype == object:
        series = pd.to_numeric(series, errors="coerce")
    arr = series.to_numpy(dtype=float, na_value=np.nan).reshape(-1)
    if pct:
        arr = arr * 100
    finite = np.isfinite(arr)
    text = np.char.mod(f"%.{digits}f", np.where(finite, arr, 0.0))
    if digits > 0:
        text = np.char.rstrip(np.char.rstrip(text, "0"), ".")
    text = np.where(text == "-0", "0", text)
    if pct:
        text = np.char.add(text, "%")
    return pd.Series(np.where(finite, text, "—").astype(object), index=index, dtype=object)


def _bool(values: Any, unknown: Any) -> pd.arrays.BooleanArray:
    v = np.asarray(values, dtype=bool)
    m = np.asarray(unknown, dtype=bool)
    return pd.arrays.BooleanArray(v & ~m, m.copy())


def _cmp(value: Any, threshold: Any, op: str) -> pd.arrays.BooleanArray:
    """``value op threshold`` with NA where either side is NaN."""
    v = np.asarray(value, dtype=float)
    t = np.broadcast_to(np.asarray(threshold, dtype=float), v.shape)
    unknown = np.isnan(v) | np.isnan(t)
    with np.errstate(invalid="ignore"):
        res = {"ge": v >= t, "le": v <= t, "lt": v < t}[op]
    return _bool(res, unknown)


def _true(b: Any) -> np.ndarray:
    return pd.array(b, dtype="boolean").fillna(False).to_numpy(dtype=bool)


def _false(b: Any) -> np.ndarray:
    return (~pd.array(b, dtype="boolean")).fillna(False).to_numpy(dtype=bool)


def _status(met: Any) -> np.ndarray:
    return np.select([_true(met), _false(met)], [MET, NOT_MET], NOT_ASSESSED).astype(object)


def _with_county(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.reset_index(drop=True)
    if "county_id" not in frame:
        frame = frame.assign(county_id="")
    return frame


def _num(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Column as float64; NaN where empty or when the column is absent."""
    if column not in frame:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)


def _sum_known(*arrays: np.ndarray) -> np.ndarray:
    """Element-wise sum treating NaN as 0, NaN only where every term is NaN."""
    stack = np.vstack(arrays)
    out = np.nansum(stack, axis=0)
    out[np.isnan(stack).all(axis=0)] = np.nan
    return out


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame:
        return pd.Series([""] * len(frame), index=frame.index, dtype=object)
    return frame[column].astype(object).where(frame[column].notna(), "").astype(str)


def _missing_names(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Per row: the columns among ``columns`` that are empty, joined by ", "."""
    out = pd.Series([""] * len(frame), index=frame.index, dtype=object)
    for col in columns:
        empty = frame[col].isna() if col in frame else pd.Series(True, index=frame.index)
        out = out + np.where(empty.to_numpy(), col + ", ", "")
    return out.str.rstrip(", ")


def _level_zh(level: str) -> str:
    return value_label(level)


def _relaxed(ind: Indicator) -> Mapping[str, Any]:
    """Relaxed figures of B10/B11 (rules §1.8) from the registry's ``relaxed`` mapping."""
    return ind.extra["relaxed"]


def _keys(schools: pd.DataFrame) -> pd.DataFrame:
    return schools[KEY].drop_duplicates().sort_values(KEY, kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# class sizes (B12)


def class_size_table(classes: pd.DataFrame, registry: Registry) -> pd.DataFrame:
    """Class-size summary per (county_id, year, school_id, level).

    Parameters
    ----------
    classes
        ``classes.csv`` in canonical columns (year, school_id, level, class_id, students;
        ``county_id`` optional).
    registry
        Limits (B12 ``primary``/``junior``) and the bands ``large_class_min`` (大班额, 56–65)
        and ``super_large_class_min`` (超大班额, ≥ 66).

    Returns
    -------
    DataFrame
        ``classes`` (rows), ``students`` (sum), ``mean_class_size``, ``max_class_size``,
        ``limit``, ``classes_over_limit`` (students > limit), ``large_classes``
        (large_class_min ≤ students < super_large_class_min), ``super_large_classes``
        (≥ super_large_class_min) and ``classes_unknown`` (classes without a student count).

    Examples
    --------
    >>> from balance_lib.registry import load_registry
    >>> c = pd.DataFrame({"year": 2024, "school_id": "S1", "level": "primary",
    ...                   "class_id": ["a", "b", "c"], "students": [45.0, 46.0, 66.0]})
    >>> t = class_size_table(c, load_registry())
    >>> r = t.iloc[0]
    >>> int(r.classes), int(r.max_class_size), int(r.classes_over_limit), int(r.large_classes)
    (3, 66, 2, 0)
    >>> int(r.super_large_classes)
    1
    """
    ind = registry.indicator("B12")
    large_min = float(ind.extra["large_class_min"])
    super_min = float(ind.extra["super_large_class_min"])
    c = _with_county(classes)
    if c.empty:
        return pd.DataFrame({col: pd.Series(dtype=object) for col in CLASS_SIZE_COLUMNS})
    size = _num(c, "students")
    level = c["level"].astype(str).to_numpy()
    limits = {lv: float(ind.threshold(lv)) for lv in ("primary", "junior")}
    limit = pd.Series(level).map(limits).to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        work = pd.DataFrame(
            {
                "county_id": c["county_id"].to_numpy(),
                "year": c["year"].to_numpy(),
                "school_id": c["school_id"].to_numpy(),
                "level": level,
                "size": size,
                "limit": limit,
                "over": (size > limit).astype(int),
                "large": ((size >= large_min) & (size < super_min)).astype(int),
                "super": (size >= super_min).astype(int),
                "unknown": np.isnan(size).astype(int),
            }
        )
    g = work.groupby(CLASS_KEY, sort=True, observed=True)
    out = g.agg(
        classes=("size", "size"),
        students=("size", "sum"),
        mean_class_size=("size", "mean"),
        max_class_size=("size", "max"),
        limit=("limit", "first"),
        classes_over_limit=("over", "sum"),
        large_classes=("large", "sum"),
        super_large_classes=("super", "sum"),
        classes_unknown=("unknown", "sum"),
    ).reset_index()
    return out[CLASS_SIZE_COLUMNS]


# ---------------------------------------------------------------------------------------------
# school-scope items


@dataclass
class _SchoolCheck:
    """Per-school outcome of one school-scope indicator, before aggregation to the county."""

    id: str
    rows: pd.DataFrame  # SCHOOL_KEY, school_name, value, threshold, met, gap, units, details
    direction: str = "ge"
    blocked_zh: str = ""
    blocked_en: str = ""
    empty_met: bool = True
    note_zh: str = ""
    note_en: str = ""


def _blocked(ind_id: str, zh: str, en: str, direction: str = "ge") -> _SchoolCheck:
    return _SchoolCheck(
        ind_id,
        pd.DataFrame(columns=[*SCHOOL_KEY, "school_name"]),
        direction,
        blocked_zh=zh,
        blocked_en=en,
    )


def _missing_columns(frame: pd.DataFrame | None, table: str, columns: list[str]) -> tuple[str, str]:
    """Reason (zh, en) when the table or a column is absent or entirely empty; else ("", "")."""
    if frame is None:
        return f"未提供 {table}.csv", f"{table}.csv not provided"
    absent = [c for c in columns if c not in frame or frame[c].isna().all()]
    if absent:
        names = ", ".join(absent)
        return f"{table}.csv 缺少 {names} 数据", f"{table}.csv lacks {names}"
    return "", ""


def _school_rows(
    s: pd.DataFrame,
    scope: Any,
    value: Any,
    threshold: Any,
    met: pd.arrays.BooleanArray,
    gap: Any,
    unit_zh: Any,
    unit_en: Any,
    detail_zh: pd.Series,
    detail_en: pd.Series,
    reason_zh: pd.Series,
    reason_en: pd.Series,
) -> pd.DataFrame:
    """Assemble the per-school frame; schools whose scope is NA are kept as unknown."""
    scope = pd.array(scope, dtype="boolean")
    scope_na = pd.isna(scope)
    keep = _true(scope) | np.asarray(scope_na)
    met = pd.array(met, dtype="boolean").copy()
    met[np.asarray(scope_na)] = pd.NA
    unknown = np.asarray(pd.isna(met))
    gap = np.where(_true(met), 0.0, np.asarray(gap, dtype=float))
    gap[unknown] = np.nan
    name = _text(s, "school_name")
    name = name.where(name != "", s["school_id"].astype(str))
    rows = pd.DataFrame(
        {
            "county_id": s["county_id"].to_numpy(),
            "year": s["year"].to_numpy(),
            "school_id": s["school_id"].astype(str).to_numpy(),
            "school_name": name.to_numpy(),
            "value": np.asarray(value, dtype=float),
            "threshold": np.broadcast_to(np.asarray(threshold, dtype=float), len(s)).copy(),
            "met": met,
            "gap": gap,
            "gap_unit_zh": np.broadcast_to(np.asarray(unit_zh, dtype=object), len(s)),
            "gap_unit_en": np.broadcast_to(np.asarray(unit_en, dtype=object), len(s)),
            "detail_zh": np.where(
                unknown, reason_zh.to_numpy(dtype=object), detail_zh.to_numpy(dtype=object)
            ),
            "detail_en": np.where(
                unknown, reason_en.to_numpy(dtype=object), detail_en.to_numpy(dtype=object)
            ),
        }
    )
    return rows[keep].reset_index(drop=True)


def _reasons(s: pd.DataFrame, columns: list[str]) -> tuple[pd.Series, pd.Series]:
    names = _missing_names(s, columns)
    return "缺少数据：" + names, "missing: " + names


def _b10(
    s: pd.DataFrame, sizes: pd.DataFrame | None, settings: Settings, ind: Indicator
) -> _SchoolCheck:
    zh, en = _missing_columns(s, "schools", ["music_rooms", "art_rooms"])
    areas = [c for c in ("music_room_min_area_m2", "art_room_min_area_m2") if c not in s]
    if not zh and areas:  # an empty area column is fine where a school has no such room
        zh, en = f"schools.csv 缺少 {', '.join(areas)} 列", f"schools.csv lacks {', '.join(areas)}"
    if not zh and all(
        c not in s or s[c].isna().all() for c in ("classes_primary", "classes_junior")
    ):
        zh, en = (
            "schools.csv 缺少 classes_primary, classes_junior 数据",
            "schools.csv lacks classes_primary, classes_junior",
        )
    if zh:
        return _blocked("B10", zh, en)
    relax = _relaxed(ind)
    types = s["school_type"].astype(str)
    scope = types.isin(REGULAR_TYPES).to_numpy()
    classes = _sum_known(_num(s, "classes_primary"), _num(s, "classes_junior"))
    per_room = float(ind.threshold("classes_per_room"))
    required = np.ceil(classes / per_room)
    music, art = _num(s, "music_rooms"), _num(s, "art_rooms")
    music_area, art_area = _num(s, "music_room_min_area_m2"), _num(s, "art_room_min_area_m2")

    music_min = np.full(len(s), float(ind.threshold("music_room_min_area_m2")))
    art_min = np.full(len(s), float(ind.threshold("art_room_min_area_m2")))
    old = np.zeros(len(s), dtype=bool)
    small = np.zeros(len(s), dtype=bool)
    note_zh = note_en = ""
    if settings.b10_relax_old_buildings:
        with np.errstate(invalid="ignore"):
            old = _num(s, "year_built") <= relax["old_building_year_max"]
        music_min = np.where(
            old, np.minimum(music_min, relax["old_music_room_min_area_m2"]), music_min
        )
        art_min = np.where(old, np.minimum(art_min, relax["old_art_room_min_area_m2"]), art_min)
    if settings.b10_relax_small_rural:
        if sizes is None:
            note_zh = "未提供 classes.csv，无法认定农村小规模学校的面积放宽"
            note_en = (
                "classes.csv not provided: the small rural school relaxation cannot be applied"
            )
        else:
            largest = (
                s[SCHOOL_KEY]
                .merge(
                    sizes.groupby(SCHOOL_KEY, as_index=False)["max_class_size"].max(),
                    on=SCHOOL_KEY,
                    how="left",
                )["max_class_size"]
                .to_numpy(dtype=float)
            )
            rural = (_text(s, "area_type") == "rural").to_numpy()
            with np.errstate(invalid="ignore"):
                small = rural & (largest < relax["small_rural_max_class_below"])
            figures = relax["small_rural_room_min_area_m2"]
            has_junior = np.nan_to_num(_num(s, "students_junior")) > 0
            small_min = np.where(has_junior, figures["junior"], figures["primary"]).astype(float)
            music_min = np.where(small, np.minimum(music_min, small_min), music_min)
            art_min = np.where(small, np.minimum(art_min, small_min), art_min)

    def area_ok(rooms: np.ndarray, area: np.ndarray, minimum: np.ndarray) -> pd.arrays.BooleanArray:
        ok = _cmp(area, minimum, "ge")
        ok[rooms == 0] = True
        ok[np.isnan(rooms)] = pd.NA
        return ok

    music_ok, art_ok = _cmp(music, required, "ge"), _cmp(art, required, "ge")
    music_area_ok = area_ok(music, music_area, music_min)
    art_area_ok = area_ok(art, art_area, art_min)
    met = music_ok & art_ok & music_area_ok & art_area_ok
    missing_rooms = np.nan_to_num(np.maximum(required - music, 0)) + np.nan_to_num(
        np.maximum(required - art, 0)
    )
    undersized = _false(music_area_ok).astype(float) + _false(art_area_ok).astype(float)
    gap = np.maximum(missing_rooms + undersized, 1.0)

    idx = s.index
    req_s = _fs(required, idx, 0)

    def part(name_zh: str, name_en: str, rooms, area, minimum) -> tuple[pd.Series, pd.Series]:
        has = np.nan_to_num(rooms) > 0
        base_zh = name_zh + " " + _fs(rooms, idx, 0) + "/" + req_s + " 间"
        base_en = name_en + " " + _fs(rooms, idx, 0) + "/" + req_s
        area_zh = "（最小 " + _fs(area, idx) + " m²，标准 " + _fs(minimum, idx) + " m²）"
        area_en = " (smallest " + _fs(area, idx) + " m², standard " + _fs(minimum, idx) + " m²)"
        return (base_zh + np.where(has, area_zh, ""), base_en + np.where(has, area_en, ""))

    mz, me = part("音乐室", "music rooms", music, music_area, music_min)
    az, ae = part("美术室", "art rooms", art, art_area, art_min)
    detail_zh = "班级 " + _fs(classes, idx, 0) + " 个；" + mz + "；" + az
    detail_en = _fs(classes, idx, 0) + " classes; " + me + "; " + ae
    detail_zh = detail_zh + np.where(
        old, "；按 " + str(relax["old_building_year_max"]) + " 年及以前建成学校的面积标准", ""
    )
    detail_en = detail_en + np.where(
        old, "; area standard for schools built by " + str(relax["old_building_year_max"]), ""
    )
    detail_zh = detail_zh + np.where(small, "；按农村小规模学校的面积标准", "")
    detail_en = detail_en + np.where(small, "; area standard for small rural schools", "")
    missing = {
        "classes_primary/classes_junior": np.isnan(classes),
        "music_rooms": np.isnan(music),
        "art_rooms": np.isnan(art),
        "music_room_min_area_m2": (np.nan_to_num(music) > 0) & np.isnan(music_area),
        "art_room_min_area_m2": (np.nan_to_num(art) > 0) & np.isnan(art_area),
    }
    names = pd.Series([""] * len(s), index=idx, dtype=object)
    for col, empty in missing.items():
        names = names + np.where(empty, col + ", ", "")
    names = names.str.rstrip(", ")
    rz, re_ = "缺少数据：" + names, "missing: " + names
    rows = _school_rows(
        s,
        scope,
        np.fmin(music, art),
        required,
        met,
        gap,
        "间专用教室缺少或面积不足",
        "rooms missing or undersized",
        detail_zh,
        detail_en,
        rz,
        re_,
    )
    return _SchoolCheck("B10", rows, "ge", note_zh=note_zh, note_en=note_en)


def _b11(s: pd.DataFrame, settings: Settings, ind: Indicator) -> _SchoolCheck:
    relax = _relaxed(ind)
    types = s["school_type"].astype(str)
    scope = types.isin(REGULAR_TYPES).to_numpy()
    through = types.isin(THROUGH_TYPES).to_numpy()
    junior_only = (types == "complete_secondary").to_numpy()
    students = np.where(
        junior_only,
        _num(s, "students_junior"),
        _sum_known(_num(s, "students_primary"), _num(s, "students_junior")),
    )
    limit = np.where(
        through, float(ind.threshold("through_school")), float(ind.threshold("single_level"))
    )
    old = np.zeros(len(s), dtype=bool)
    if settings.b11_relaxed:
        with np.errstate(invalid="ignore"):
            old = (_num(s, "year_built") <= relax["old_building_year_max"]) & ~through
        limit = np.where(old, np.maximum(limit, relax["old_single_level"]), limit)
        limit = np.where(through, np.maximum(limit, relax["through_school"]), limit)
    met = _cmp(students, limit, "le")
    gap = np.maximum(students - limit, 0.0)
    idx = s.index
    what_zh = np.where(junior_only, "初中部在校生 ", "义务教育阶段在校生 ")
    what_en = np.where(junior_only, "junior students ", "compulsory students ")
    detail_zh = what_zh + _fs(students, idx, 0) + " 人，上限 " + _fs(limit, idx, 0) + " 人"
    detail_en = what_en + _fs(students, idx, 0) + ", limit " + _fs(limit, idx, 0)
    if settings.b11_relaxed:
        detail_zh = detail_zh + np.where(
            old, "（" + str(relax["old_building_year_max"]) + " 年及以前建成，放宽）", ""
        )
        detail_zh = detail_zh + np.where(through, "（一贯制学校，放宽）", "")
        detail_en = detail_en + np.where(
            old, " (built by " + str(relax["old_building_year_max"]) + ", relaxed)", ""
        )
        detail_en = detail_en + np.where(through, " (through school, relaxed)", "")
    rz, re_ = _reasons(s, ["students_primary", "students_junior"])
    rows = _school_rows(
        s,
        scope,
        students,
        limit,
        met,
        gap,
        "人超出规模上限",
        "students over the limit",
        detail_zh,
        detail_en,
        rz,
        re_,
    )
    return _SchoolCheck("B11", rows, "le")


def _b12(s: pd.DataFrame, sizes: pd.DataFrame | None, registry: Registry) -> _SchoolCheck:
    ind = registry.indicator("B12")
    if sizes is None:
        return _blocked("B12", "未提供 classes.csv（班级数据）", "classes.csv not provided", "le")
    limits = {lv: float(ind.threshold(lv)) for lv in ("primary", "junior")}
    types = s["school_type"].astype(str)
    compulsory = np.nan_to_num(_sum_known(_num(s, "students_primary"), _num(s, "students_junior")))
    listed = s[SCHOOL_KEY].assign(school_id=s["school_id"].astype(str))
    schools = s[(types != "special").to_numpy() & (compulsory > 0)]
    special_ids = listed[(types == "special").to_numpy()]
    sz = sizes.assign(school_id=sizes["school_id"].astype(str))
    sz = sz.merge(special_ids.assign(_special=True), on=SCHOOL_KEY, how="left")
    sz = sz[sz["_special"].isna()].drop(columns="_special")
    sz = sz.merge(listed.drop_duplicates(KEY)[KEY], on=KEY, how="inner")  # reported years only
    excess = sz["max_class_size"] - sz["limit"]
    sz = sz.assign(_excess=excess.fillna(-np.inf))

    per = sz.pivot_table(
        index=SCHOOL_KEY,
        columns="level",
        values=[
            "classes",
            "classes_over_limit",
            "large_classes",
            "super_large_classes",
            "classes_unknown",
        ],
        aggfunc="sum",
        fill_value=0,
        observed=True,
    )
    per.columns = [f"{a}_{b}" for a, b in per.columns]
    per = per.reset_index()
    for lv in ("primary", "junior"):
        for col in (
            "classes",
            "classes_over_limit",
            "large_classes",
            "super_large_classes",
            "classes_unknown",
        ):
            if f"{col}_{lv}" not in per:
                per[f"{col}_{lv}"] = 0
    worst = (
        sz.sort_values(
            [*SCHOOL_KEY, "_excess", "level"], ascending=[True] * 3 + [False, True], kind="stable"
        )
        .groupby(SCHOOL_KEY, as_index=False)
        .head(1)[[*SCHOOL_KEY, "max_class_size", "limit"]]
    )
    maxes = sz.pivot_table(
        index=SCHOOL_KEY, columns="level", values="max_class_size", aggfunc="max", observed=True
    )
    maxes = maxes.reindex(columns=["primary", "junior"]).add_prefix("max_").reset_index()
    per = per.merge(worst, on=SCHOOL_KEY, how="left").merge(maxes, on=SCHOOL_KEY, how="left")

    base = schools[[*SCHOOL_KEY, "school_name"]].assign(school_id=schools["school_id"].astype(str))
    extra = per[SCHOOL_KEY].merge(base[SCHOOL_KEY], on=SCHOOL_KEY, how="left", indicator=True)
    extra = extra[extra["_merge"] == "left_only"][SCHOOL_KEY]
    names = s[SCHOOL_KEY + ["school_name"]].assign(school_id=s["school_id"].astype(str))
    extra = extra.merge(names.drop_duplicates(SCHOOL_KEY), on=SCHOOL_KEY, how="left")
    allrows = pd.concat([base, extra], ignore_index=True)
    t = allrows.merge(per, on=SCHOOL_KEY, how="left")
    has_rows = t["limit"].notna().to_numpy()
    idx = t.index

    over = t["classes_over_limit_primary"].fillna(0) + t["classes_over_limit_junior"].fillna(0)
    unknown = t["classes_unknown_primary"].fillna(0) + t["classes_unknown_junior"].fillna(0)
    over_np, unknown_np = over.to_numpy(float), unknown.to_numpy(float)
    met = _bool(over_np == 0, ~has_rows | ((over_np == 0) & (unknown_np > 0)))

    n_p = t["classes_primary"].fillna(0).to_numpy(float)
    n_j = t["classes_junior"].fillna(0).to_numpy(float)
    o_p = t["classes_over_limit_primary"].fillna(0).to_numpy(float)
    o_j = t["classes_over_limit_junior"].fillna(0).to_numpy(float)
    lp, lj = _fmt(limits["primary"], 0), _fmt(limits["junior"], 0)
    only_p = np.where((o_p + o_j) > 0, o_j == 0, n_j == 0)
    only_j = np.where((o_p + o_j) > 0, o_p == 0, n_p == 0)
    unit_zh = np.select(
        [only_p, only_j],
        [f"个班超 {lp} 人", f"个班超 {lj} 人"],
        f"个班超过班额上限（小学 {lp} 人、初中 {lj} 人）",
    )
    unit_en = np.select(
        [only_p, only_j],
        [f"classes over {lp}", f"classes over {lj}"],
        f"classes over the limit (primary {lp}, junior {lj})",
    )

    def level_text(lv: str) -> tuple[pd.Series, pd.Series]:
        n = t[f"classes_{lv}"].fillna(0)
        body_zh = (
            _level_zh(lv)
            + " "
            + _fs(n, idx, 0)
            + " 个班，最大 "
            + _fs(t[f"max_{lv}"], idx, 0)
            + " 人，"
            + _fs(t[f"classes_over_limit_{lv}"], idx, 0)
            + f" 个班超 {_fmt(limits[lv], 0)} 人（大班额 "
            + _fs(t[f"large_classes_{lv}"], idx, 0)
            + "，超大班额 "
            + _fs(t[f"super_large_classes_{lv}"], idx, 0)
            + "）"
        )
        body_en = (
            lv
            + " "
            + _fs(n, idx, 0)
            + " classes, largest "
            + _fs(t[f"max_{lv}"], idx, 0)
            + ", "
            + _fs(t[f"classes_over_limit_{lv}"], idx, 0)
            + f" over {_fmt(limits[lv], 0)} (large "
            + _fs(t[f"large_classes_{lv}"], idx, 0)
            + ", super-large "
            + _fs(t[f"super_large_classes_{lv}"], idx, 0)
            + ")"
        )
        has = (n > 0).to_numpy()
        return (
            pd.Series(np.where(has, body_zh, ""), index=idx),
            pd.Series(np.where(has, body_en, ""), index=idx),
        )

    pz, pe = level_text("primary")
    jz, je = level_text("junior")
    both = (pz != "") & (jz != "")
    detail_zh = pz + np.where(both, "；", "") + jz
    detail_en = pe + np.where(both, "; ", "") + je
    reason_zh = pd.Series(
        np.where(has_rows, _fs(unknown, idx, 0) + " 个班缺少学生数", "classes.csv 无该校班级数据"),
        index=idx,
    )
    reason_en = pd.Series(
        np.where(
            has_rows, _fs(unknown, idx, 0) + " classes without a count", "no classes in classes.csv"
        ),
        index=idx,
    )
    rows = _school_rows(
        t,
        np.ones(len(t), dtype=bool),
        t["max_class_size"],
        t["limit"],
        met,
        over_np,
        unit_zh,
        unit_en,
        detail_zh,
        detail_en,
        reason_zh,
        reason_en,
    )
    return _SchoolCheck("B12", rows, "le", empty_met=False)


def _b13(s: pd.DataFrame, county: pd.DataFrame | None, ind: Indicator) -> _SchoolCheck:
    zh, en = _missing_columns(s, "schools", ["public_funding_yuan"])
    if not zh and "area_type" not in s:
        zh, en = "schools.csv 缺少 area_type 列", "schools.csv lacks area_type"
    if not zh:
        zh, en = _missing_columns(county, "county", ["public_funding_norm_primary_yuan"])
    if zh:
        return _blocked("B13", zh, en)
    base = float(ind.threshold())  # 100 students: both the cut-off and the funding base
    types = s["school_type"].astype(str).to_numpy()
    area = s["area_type"]
    rural = pd.array(area.eq("rural"), dtype="boolean")
    rural[np.asarray(area.isna())] = pd.NA
    students = _num(s, "students_primary")
    small = _cmp(students, base, "lt")
    point = types == "teaching_point"
    primary = types == "primary"
    scope = (
        pd.array(point, dtype="boolean") | (pd.array(primary, dtype="boolean") & rural)
    ) & small
    norms = county.drop_duplicates(KEY, keep="last")[[*KEY, "public_funding_norm_primary_yuan"]]
    norm = s[KEY].merge(norms, on=KEY, how="left")["public_funding_norm_primary_yuan"]
    norm = pd.to_numeric(norm, errors="coerce").to_numpy(dtype=float)
    funding = _num(s, "public_funding_yuan")
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(norm > 0, funding / np.where(norm > 0, norm, 1.0), np.nan)
    met = _cmp(value, base, "ge")
    gap = np.maximum(base * norm - funding, 0.0)
    idx = s.index
    detail_zh = (
        "小学生 "
        + _fs(students, idx, 0)
        + " 人，公用经费 "
        + _fs(funding, idx, 0)
        + " 元，按 "
        + _fs(value, idx)
        + " 名学生核定（基准定额 "
        + _fs(norm, idx)
        + f" 元/生，应不少于 {_fmt(base, 0)} 名）"
    )
    detail_en = (
        "pupils "
        + _fs(students, idx, 0)
        + ", funding "
        + _fs(funding, idx, 0)
        + " yuan = "
        + _fs(value, idx)
        + " pupils at the norm of "
        + _fs(norm, idx)
        + f" yuan (at least {_fmt(base, 0)})"
    )
    rz, re_ = _reasons(s, ["public_funding_yuan", "students_primary", "area_type"])
    norm_missing = pd.Series(np.isnan(norm), index=idx)
    norm_zero = pd.Series(norm == 0, index=idx)
    rz = rz.mask(norm_missing, "county.csv 无该年生均公用经费基准定额").mask(
        norm_zero, "基准定额为 0，无法计算"
    )
    re_ = re_.mask(norm_missing, "county.csv has no funding norm for this year").mask(
        norm_zero, "funding norm is 0: division by zero"
    )
    rows = _school_rows(
        s,
        scope,
        value,
        base,
        met,
        gap,
        "元公用经费缺口",
        "yuan of funding short",
        detail_zh,
        detail_en,
        rz,
        re_,
    )
    return _SchoolCheck("B13", rows, "ge")


def _b14(s: pd.DataFrame, ind: Indicator) -> _SchoolCheck:
    zh, en = _missing_columns(s, "schools", ["public_funding_yuan"])
    if zh:
        return _blocked("B14", zh, en)
    thr = float(ind.threshold())
    scope = (s["school_type"].astype(str) == "special").to_numpy()
    students = _sum_known(
        _num(s, "students_primary"), _num(s, "students_junior"), _num(s, "students_senior")
    )
    funding = _num(s, "public_funding_yuan")
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(students > 0, funding / np.where(students > 0, students, 1.0), np.nan)
    met = _cmp(value, thr, "ge")
    gap = np.maximum(thr * students - funding, 0.0)
    idx = s.index
    detail_zh = (
        "公用经费 "
        + _fs(funding, idx, 0)
        + " 元 ÷ 在校生 "
        + _fs(students, idx, 0)
        + " 人 = 生均 "
        + _fs(value, idx)
        + f" 元（标准 ≥ {_fmt(thr, 0)} 元）"
    )
    detail_en = (
        "funding "
        + _fs(funding, idx, 0)
        + " yuan / "
        + _fs(students, idx, 0)
        + " students = "
        + _fs(value, idx)
        + f" yuan per student (standard ≥ {_fmt(thr, 0)})"
    )
    rz, re_ = _reasons(s, ["public_funding_yuan", "students_primary"])
    zero = pd.Series(students == 0, index=idx)
    rz = rz.mask(zero, "在校生为 0，无法计算生均公用经费")
    re_ = re_.mask(zero, "no students: division by zero")
    rows = _school_rows(
        s,
        scope,
        value,
        thr,
        met,
        gap,
        "元公用经费缺口",
        "yuan of funding short",
        detail_zh,
        detail_en,
        rz,
        re_,
    )
    return _SchoolCheck("B14", rows, "ge")


def _b19(s: pd.DataFrame, ind: Indicator) -> _SchoolCheck:
    zh, en = _missing_columns(s, "schools", ["certified_teachers"])
    if zh:
        return _blocked("B19", zh, en)
    thr = float(ind.threshold())
    teachers = np.nan_to_num(_sum_known(_num(s, "teachers_primary"), _num(s, "teachers_junior")))
    scope = teachers > 0
    certified = _num(s, "certified_teachers")
    with np.errstate(invalid="ignore", divide="ignore"):
        value = certified / np.where(scope, teachers, np.nan)
    met = _cmp(value, thr, "ge")
    gap = np.ceil(np.maximum(thr * teachers - certified, 0.0) - 1e-9)
    idx = s.index
    detail_zh = (
        "持证专任教师 "
        + _fs(certified, idx, 0)
        + "/"
        + _fs(teachers, idx, 0)
        + " 人 = "
        + _fs(value, idx, 2, pct=True)
        + f"（标准 ≥ {_fmt(thr, 2, pct=True)}）"
    )
    detail_en = (
        "certified "
        + _fs(certified, idx, 0)
        + "/"
        + _fs(teachers, idx, 0)
        + " = "
        + _fs(value, idx, 2, pct=True)
        + f" (standard ≥ {_fmt(thr, 2, pct=True)})"
    )
    rz, re_ = _reasons(s, ["certified_teachers"])
    rows = _school_rows(
        s,
        scope,
        value,
        thr,
        met,
        gap,
        "名专任教师未持证",
        "teachers without a certificate",
        detail_zh,
        detail_en,
        rz,
        re_,
    )
    return _SchoolCheck("B19", rows, "ge", empty_met=False)


def _b26(s: pd.DataFrame, ind: Indicator) -> _SchoolCheck:
    zh, en = _missing_columns(
        s, "schools", ["public_funding_yuan", "teacher_training_funding_yuan"]
    )
    if zh:
        return _blocked("B26", zh, en)
    thr = float(ind.threshold())
    funding = _num(s, "public_funding_yuan")
    training = _num(s, "teacher_training_funding_yuan")
    scope = ~np.isnan(funding)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(funding > 0, training / np.where(funding > 0, funding, 1.0), np.nan)
    met = _cmp(value, thr, "ge")
    gap = np.maximum(thr * funding - training, 0.0)
    idx = s.index
    detail_zh = (
        "教师培训经费 "
        + _fs(training, idx, 0)
        + " 元 ÷ 公用经费 "
        + _fs(funding, idx, 0)
        + " 元 = "
        + _fs(value, idx, 2, pct=True)
        + f"（标准 ≥ {_fmt(thr, 2, pct=True)}）"
    )
    detail_en = (
        "training "
        + _fs(training, idx, 0)
        + " yuan / funding "
        + _fs(funding, idx, 0)
        + " yuan = "
        + _fs(value, idx, 2, pct=True)
        + f" (standard ≥ {_fmt(thr, 2, pct=True)})"
    )
    rz, re_ = _reasons(s, ["teacher_training_funding_yuan"])
    zero = pd.Series(funding == 0, index=idx)
    rz = rz.mask(zero, "公用经费预算为 0，无法计算比例")
    re_ = re_.mask(zero, "public funding is 0: division by zero")
    rows = _school_rows(
        s,
        scope,
        value,
        thr,
        met,
        gap,
        "元培训经费缺口",
        "yuan of training funding short",
        detail_zh,
        detail_en,
        rz,
        re_,
    )
    return _SchoolCheck("B26", rows, "ge", empty_met=False)


def _aggregate_schools(keys: pd.DataFrame, checks: list[_SchoolCheck]) -> pd.DataFrame:
    """County rows of the school-scope indicators from their per-school rows, in one pass."""
    ikey = [*KEY, "id"]
    meta = pd.DataFrame(
        {
            "id": [ch.id for ch in checks],
            "_blocked_zh": [ch.blocked_zh for ch in checks],
            "_blocked_en": [ch.blocked_en for ch in checks],
            "_empty_met": [ch.empty_met for ch in checks],
            "_note_zh": [("；" + ch.note_zh) if ch.note_zh else "" for ch in checks],
            "_note_en": [("; " + ch.note_en) if ch.note_en else "" for ch in checks],
        }
    )
    out = keys.merge(meta, how="cross")
    frames = [
        ch.rows.assign(id=ch.id, _ge=ch.direction == "ge") for ch in checks if not ch.blocked_zh
    ]
    r = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=[*SCHOOL_ITEM_COLUMNS, "_ge"])
    )
    fail = _false(r["met"])
    ok = _true(r["met"])
    r["_fail"], r["_unknown"] = fail, ~fail & ~ok
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = r["value"].to_numpy(float) / r["threshold"].to_numpy(float)
    margin = np.where(r["_ge"].to_numpy(bool), ratio - 1, 1 - ratio)
    r["_margin"] = np.where(np.isfinite(margin), margin, np.inf)
    r["_rank"] = np.select([fail, ok], [0, 1], 2)
    r["_gap"] = -r["gap"].astype(float).fillna(0)
    r = r.sort_values([*ikey, "_rank", "_gap", "_margin", "school_id"], kind="stable")

    g = r.groupby(ikey, sort=False)
    counts = pd.DataFrame(
        {"n_schools": g.size(), "n_failing": g["_fail"].sum(), "n_unknown": g["_unknown"].sum()}
    ).reset_index()
    worst = g.head(1)[[*ikey, "value", "threshold"]]
    failing = r[r["_fail"]].groupby(ikey, sort=False).head(3)
    gap_s = _fs(failing["gap"], failing.index, 0)
    failing = failing.assign(
        _zh=failing["school_name"] + "（" + gap_s + " " + failing["gap_unit_zh"].astype(str) + "）",
        _en=failing["school_name"] + " (" + gap_s + " " + failing["gap_unit_en"].astype(str) + ")",
    )
    top = (
        failing.groupby(ikey, sort=False)
        .agg(top_zh=("_zh", "、".join), top_en=("_en", ", ".join))
        .reset_index()
    )
    unk = r[r["_unknown"]].groupby(ikey, sort=False).head(3)
    unk = unk.assign(
        _zh=unk["school_name"] + "：" + unk["detail_zh"].astype(str),
        _en=unk["school_name"] + ": " + unk["detail_en"].astype(str),
    )
    unk = (
        unk.groupby(ikey, sort=False)
        .agg(unk_zh=("_zh", "；".join), unk_en=("_en", "; ".join))
        .reset_index()
    )

    for part in (counts, worst, top, unk):
        out = out.merge(part, on=ikey, how="left")
    for col in ("n_schools", "n_failing", "n_unknown"):
        out[col] = out[col].fillna(0).astype("int64")
    n, nf, nu = (out[c].to_numpy() for c in ("n_schools", "n_failing", "n_unknown"))
    blocked = (out["_blocked_zh"] != "").to_numpy()
    empty = n == 0
    empty_met = out["_empty_met"].to_numpy(bool)
    conds = [blocked, nf > 0, nu > 0, empty & empty_met, empty]
    out["status"] = np.select(
        conds, [NOT_ASSESSED, NOT_MET, NOT_ASSESSED, MET, NOT_ASSESSED], MET
    ).astype(object)
    idx = out.index
    ns, nfs, nus = _fs(n, idx, 0), _fs(nf, idx, 0), _fs(nu, idx, 0)
    top_zh, top_en = out["top_zh"].fillna(""), out["top_en"].fillna("")
    unk_zh, unk_en = out["unk_zh"].fillna(""), out["unk_en"].fillna("")
    zh = np.select(
        conds,
        [
            out["_blocked_zh"],
            ns + " 所适用学校中 " + nfs + " 所未达标；差距最大：" + top_zh,
            nus + " 所学校缺少数据，无法判定：" + unk_zh,
            pd.Series("县域内无适用学校，本项不适用", index=idx),
            pd.Series("无可评估的学校数据", index=idx),
        ],
        ns + " 所适用学校全部达标",
    ).astype(object)
    en = np.select(
        conds,
        [
            out["_blocked_en"],
            nfs + " of " + ns + " schools in scope fail; largest gaps: " + top_en,
            nus + " schools lack data: " + unk_en,
            pd.Series("no school in scope: the rule does not apply", index=idx),
            pd.Series("no school data to assess", index=idx),
        ],
        "all " + ns + " schools in scope meet it",
    ).astype(object)
    more = ~blocked & (nf > 0) & (nu > 0)
    zh = zh + np.where(more, "；另有 " + nus + " 所学校缺少数据", "") + out["_note_zh"]
    en = en + np.where(more, "; " + nus + " more schools lack data", "") + out["_note_en"]
    out["detail_zh"], out["detail_en"] = zh.to_numpy(dtype=object), en.to_numpy(dtype=object)
    for col in ("n_schools", "n_failing", "n_unknown"):
        out[col] = pd.array(np.where(blocked, pd.NA, out[col]), dtype="Int64")
    out.loc[blocked, ["value", "threshold"]] = np.nan
    return out[ITEM_COLUMNS]


# ---------------------------------------------------------------------------------------------
# county-scope items


@dataclass
class _Part:
    label_zh: str
    label_en: str
    value: np.ndarray
    threshold: float
    op: str
    reason_zh: pd.Series
    reason_en: pd.Series
    pct: bool = True
    met: pd.arrays.BooleanArray | None = None
    #: for a judged part: its text when known (zh, en), instead of "value ≥ threshold"
    judged: tuple[pd.Series, pd.Series] | None = None

    def __post_init__(self) -> None:
        if self.met is None:
            met = _cmp(self.value, self.threshold, self.op)
            met[(self.reason_zh != "").to_numpy()] = pd.NA
            self.met = met


class _County:
    """Values of county.csv aligned with the report keys, each with the reason it is missing."""

    def __init__(self, keys: pd.DataFrame, county: pd.DataFrame | None):
        self.keys = keys
        self.table = county
        if county is None:
            self.frame = keys.copy()
            self.has_row = np.zeros(len(keys), dtype=bool)
        else:
            c = _with_county(county).drop_duplicates(KEY, keep="last").assign(_row=True)
            self.frame = keys.merge(c, on=KEY, how="left")
            self.has_row = self.frame["_row"].notna().to_numpy()
        self.idx = keys.index

    def get(self, col: str) -> tuple[np.ndarray, pd.Series, pd.Series]:
        idx = self.idx
        if self.table is None:
            return (
                np.full(len(idx), np.nan),
                pd.Series("未提供 county.csv", index=idx),
                pd.Series("county.csv not provided", index=idx),
            )
        if col not in self.table:
            return (
                np.full(len(idx), np.nan),
                pd.Series(f"county.csv 无 {col} 列", index=idx),
                pd.Series(f"county.csv has no column {col}", index=idx),
            )
        value = _num(self.frame, col)
        years = self.keys["year"].astype(str)
        zh = np.select(
            [~self.has_row, np.isnan(value)],
            ["county.csv 无 " + years + " 年数据", pd.Series(f"{col} 未填写", index=idx)],
            "",
        )
        en = np.select(
            [~self.has_row, np.isnan(value)],
            ["county.csv has no row for " + years, pd.Series(f"{col} is empty", index=idx)],
            "",
        )
        return value, pd.Series(zh, index=idx, dtype=object), pd.Series(en, index=idx, dtype=object)


def _first_reason(*pairs: tuple[pd.Series, pd.Series]) -> tuple[pd.Series, pd.Series]:
    zh, en = pairs[0]
    for z, e in pairs[1:]:
        zh, en = zh.where(zh != "", z), en.where(en != "", e)
    return zh, en


def _ratio(
    c: _County, num: str | tuple[np.ndarray, pd.Series, pd.Series], den: str
) -> tuple[np.ndarray, pd.Series, pd.Series]:
    n, nz, ne = c.get(num) if isinstance(num, str) else num
    d, dz, de = c.get(den)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(d != 0, n / np.where(d != 0, d, 1.0), np.nan)
    zh, en = _first_reason((nz, ne), (dz, de))
    zero = pd.Series((d == 0) & (zh == "").to_numpy(), index=c.idx)
    zh = zh.mask(zero, f"{den} 为 0，无法计算")
    en = en.mask(zero, f"{den} is 0: division by zero")
    return value, zh, en


def _county_item(
    keys: pd.DataFrame, ind_id: str, parts: list[_Part], met: pd.arrays.BooleanArray | None = None
) -> pd.DataFrame:
    """One county row per key from the parts of an item (three-valued AND of the parts)."""
    idx = keys.index
    if met is None:
        met = parts[0].met
        for p in parts[1:]:
            met = met & p.met
    texts_zh, texts_en = [], []
    for p in parts:
        v, t = (
            _fs(p.value, idx, 3 if p.pct else 2, p.pct),
            _fmt(p.threshold, 3 if p.pct else 2, p.pct),
        )
        sym_ok, sym_bad = {"ge": ("≥", "<"), "lt": ("<", "≥"), "le": ("≤", ">")}[p.op]
        ok = _true(p.met)
        sym = np.where(ok, sym_ok, sym_bad)
        verdict_zh = np.where(ok, "达标", "未达标")
        verdict_en = np.where(ok, "met", "not met")
        zh = p.label_zh + " " + v + " " + sym + " " + t + "，" + verdict_zh
        en = p.label_en + " " + v + " " + sym + " " + t + ": " + verdict_en
        if p.judged is not None:
            zh = p.label_zh + "：" + verdict_zh + p.judged[0]
            en = p.label_en + ": " + verdict_en + p.judged[1]
        known = (p.reason_zh == "").to_numpy()
        texts_zh.append(pd.Series(np.where(known, zh, p.label_zh + "：" + p.reason_zh), index=idx))
        texts_en.append(pd.Series(np.where(known, en, p.label_en + ": " + p.reason_en), index=idx))
    detail_zh, detail_en = texts_zh[0], texts_en[0]
    for z, e in zip(texts_zh[1:], texts_en[1:], strict=True):
        detail_zh, detail_en = detail_zh + "；" + z, detail_en + "; " + e
    out = keys.copy()
    out["id"] = ind_id
    out["status"] = _status(met)
    out["value"] = np.asarray(parts[0].value, dtype=float)
    out["threshold"] = float(parts[0].threshold)
    out["detail_zh"] = detail_zh.to_numpy(dtype=object)
    out["detail_en"] = detail_en.to_numpy(dtype=object)
    for col in ("n_schools", "n_failing", "n_unknown"):
        out[col] = pd.array([pd.NA] * len(out), dtype="Int64")
    return out[ITEM_COLUMNS]


def _county_items(
    keys: pd.DataFrame, c: _County, registry: Registry, judgements: _Judgements
) -> list[pd.DataFrame]:
    ind = registry.indicator
    out = []
    # B15 teachers' pay ÷ civil servants' pay
    v, z, e = _ratio(c, "teacher_avg_salary_yuan", "civil_servant_avg_salary_yuan")
    out.append(
        _county_item(
            keys,
            "B15",
            [
                _Part(
                    "教师与公务员平均工资之比",
                    "teacher / civil-servant pay",
                    v,
                    ind("B15").threshold(),
                    "ge",
                    z,
                    e,
                    pct=False,
                )
            ],
        )
    )
    # B16 360-hour training
    v, z, e = _ratio(c, "training_360h_completed", "training_360h_eligible")
    out.append(
        _county_item(
            keys,
            "B16",
            [
                _Part(
                    "360学时培训完成率",
                    "360-hour training completion",
                    v,
                    ind("B16").threshold(),
                    "ge",
                    z,
                    e,
                )
            ],
        )
    )
    # B18 rotation: rotated ÷ eligible; backbone ÷ ROTATED teachers
    v1, z1, e1 = _ratio(c, "rotated_teachers", "rotation_eligible_teachers")
    v2, z2, e2 = _ratio(c, "rotated_backbone_teachers", "rotated_teachers")
    out.append(
        _county_item(
            keys,
            "B18",
            [
                _Part(
                    "交流轮岗教师比例",
                    "teachers rotated / eligible",
                    v1,
                    ind("B18").threshold("rotation"),
                    "ge",
                    z1,
                    e1,
                ),
                _Part(
                    "骨干教师占交流轮岗教师比例",
                    "backbone / teachers rotated",
                    v2,
                    ind("B18").threshold("backbone_share"),
                    "ge",
                    z2,
                    e2,
                ),
            ],
        )
    )
    # B20 nearby enrolment
    p, pz, pe = c.get("nearby_enrolment_rate_primary")
    j, jz, je = c.get("nearby_enrolment_rate_junior")
    out.append(
        _county_item(
            keys,
            "B20",
            [
                _Part(
                    "小学就近划片入学比例",
                    "primary nearby enrolment",
                    p,
                    ind("B20").threshold("primary"),
                    "ge",
                    pz,
                    pe,
                ),
                _Part(
                    "初中就近划片入学比例",
                    "junior nearby enrolment",
                    j,
                    ind("B20").threshold("junior"),
                    "ge",
                    jz,
                    je,
                ),
            ],
        )
    )
    # B21 quota allocation
    q, qz, qe = c.get("quota_allocation_rate")
    out.append(
        _county_item(
            keys,
            "B21",
            [
                _Part(
                    "优质高中招生名额分配比例",
                    "quota allocation",
                    q,
                    ind("B21").threshold(),
                    "ge",
                    qz,
                    qe,
                )
            ],
        )
    )
    # B22 migrant children ÷ eligible, and the 留守儿童 judgement
    v, z, e = _ratio(c, "migrant_children_public_or_purchased", "migrant_children_eligible")
    jmet, jz, je = judgements.part("B22")
    ev = judgements.evidence("B22")
    ev_zh = pd.Series(np.where(ev != "", "（" + ev + "）", ""), index=keys.index)
    ev_en = pd.Series(np.where(ev != "", " (" + ev + ")", ""), index=keys.index)
    jpart = _Part(
        "留守儿童关爱体系（评定）",
        "care system for left-behind children (judgement)",
        np.full(len(keys), np.nan),
        np.nan,
        "ge",
        jz,
        je,
        met=jmet,
        judged=(ev_zh, ev_en),
    )
    item = _county_item(
        keys,
        "B22",
        [
            _Part(
                "符合条件随迁子女在公办及政府购买服务学校就读比例",
                "eligible migrant children in public or purchased places",
                v,
                ind("B22").threshold(),
                "ge",
                z,
                e,
            ),
            jpart,
        ],
    )
    out.append(item)
    # B23 three-year junior retention
    g, gz, ge_ = c.get("junior_cohort_graduated")
    ti, tiz, tie = c.get("junior_transfers_in")
    to, toz, toe = c.get("junior_transfers_out")
    nz, ne = _first_reason((gz, ge_), (tiz, tie), (toz, toe))
    num = (g - ti + to, nz, ne)
    st, stz, ste = c.get("junior_cohort_start")
    d, dz, de = c.get("junior_deaths")
    den = st - d
    with np.errstate(invalid="ignore", divide="ignore"):
        v = np.where(den != 0, num[0] / np.where(den != 0, den, 1.0), np.nan)
    z, e = _first_reason((nz, ne), (stz, ste), (dz, de))
    zero = pd.Series((den == 0) & (z == "").to_numpy(), index=keys.index)
    z = z.mask(zero, "junior_cohort_start − junior_deaths 为 0，无法计算")
    e = e.mask(zero, "junior_cohort_start − junior_deaths is 0: division by zero")
    out.append(
        _county_item(
            keys,
            "B23",
            [
                _Part(
                    "初中三年巩固率",
                    "three-year junior retention",
                    v,
                    ind("B23").threshold(),
                    "ge",
                    z,
                    e,
                )
            ],
        )
    )
    # B24 disabled children
    v, z, e = _ratio(c, "disabled_children_enrolled", "disabled_children")
    out.append(
        _county_item(
            keys,
            "B24",
            [
                _Part(
                    "残疾儿童少年入学率",
                    "disabled children enrolled",
                    v,
                    ind("B24").threshold(),
                    "ge",
                    z,
                    e,
                )
            ],
        )
    )
    return out


# ---------------------------------------------------------------------------------------------
# judgements


class _Judgements:
    """Rows of judgements.csv aggregated per (county, year, item): three-valued AND of ``met``."""

    def __init__(self, keys: pd.DataFrame, judgements: pd.DataFrame | None):
        self.keys = keys
        self.present = judgements is not None
        if judgements is None:
            self.agg = pd.DataFrame(columns=[*KEY, "item_id", "n_false", "n_na", "evidence"])
            self._aligned = self.agg
            return
        j = _with_county(judgements)
        met = (
            pd.array(j["met"], dtype="boolean")
            if "met" in j
            else pd.array([pd.NA] * len(j), dtype="boolean")
        )
        j = j.assign(
            item_id=j["item_id"].astype(str).str.strip(),
            _false=_false(met).astype(int),
            _na=np.asarray(pd.isna(met)).astype(int),
            _ev=_text(j, "evidence").str.strip(),
        )
        self.agg = j.groupby([*KEY, "item_id"], as_index=False).agg(
            n_false=("_false", "sum"),
            n_na=("_na", "sum"),
            evidence=("_ev", lambda s: "；".join(x for x in s if x)),
        )

        self._aligned = self.keys.reset_index().merge(self.agg, on=KEY, how="inner")

    def lookup(self, item_id: str) -> pd.DataFrame:
        """The aggregated judgement of ``item_id`` aligned with the keys (NaN where none)."""
        n = len(self.keys)
        n_false, n_na = np.full(n, np.nan), np.full(n, np.nan)
        evidence = np.full(n, "", dtype=object)
        if self.present:
            sub = self._aligned[self._aligned["item_id"] == item_id]
            pos = sub["index"].to_numpy(dtype=int)
            n_false[pos] = sub["n_false"].to_numpy(dtype=float)
            n_na[pos] = sub["n_na"].to_numpy(dtype=float)
            evidence[pos] = sub["evidence"].to_numpy(dtype=object)
        return pd.DataFrame(
            {"n_false": n_false, "n_na": n_na, "evidence": evidence}, index=self.keys.index
        )

    def part(self, item_id: str) -> tuple[pd.arrays.BooleanArray, pd.Series, pd.Series]:
        """``met`` per key and the reason (zh, en) when there is none."""
        t = self.lookup(item_id)
        idx = self.keys.index
        found = t["n_false"].notna().to_numpy()
        n_false = t["n_false"].fillna(0).to_numpy()
        n_na = t["n_na"].fillna(0).to_numpy()
        met = _bool(n_false == 0, ~found | ((n_false == 0) & (n_na > 0)))
        if not self.present:
            zh, en = "未提供 judgements.csv", "judgements.csv not provided"
        else:
            zh, en = f"judgements.csv 无 {item_id} 评定记录", f"no judgement for {item_id}"
        rz = np.select([~found, (n_false == 0) & (n_na > 0)], [zh, f"{item_id} 评定结果未填写"], "")
        re_ = np.select(
            [~found, (n_false == 0) & (n_na > 0)], [en, f"{item_id} judgement is empty"], ""
        )
        return met, pd.Series(rz, index=idx, dtype=object), pd.Series(re_, index=idx, dtype=object)

    def evidence(self, item_id: str) -> pd.Series:
        return self.lookup(item_id)["evidence"].astype(object)


def _judgement_item(
    keys: pd.DataFrame, ind_id: str, judgements: _Judgements, schools: pd.DataFrame
) -> pd.DataFrame:
    met, rz, re_ = judgements.part(ind_id)
    evidence = judgements.evidence(ind_id)
    idx = keys.index
    ok = _true(met)
    zh = np.where(
        rz != "",
        rz,
        np.where(
            evidence != "", evidence, np.where(ok, "评定达标（未附佐证）", "评定未达标（未附佐证）")
        ),
    )
    en = np.where(
        re_ != "",
        re_,
        np.where(
            evidence != "",
            evidence,
            np.where(ok, "judged met (no evidence given)", "judged not met (no evidence given)"),
        ),
    )
    zh, en = pd.Series(zh, index=idx, dtype=object), pd.Series(en, index=idx, dtype=object)
    if ind_id == "B25":
        # any school recorded without a charter or information management fails B25
        for col, what_zh, what_en in (
            ("has_charter", "未制定章程", "without a charter"),
            ("has_info_management", "未实现管理与教学信息化", "without information management"),
        ):
            if col not in schools:
                continue
            flag = pd.array(schools[col], dtype="boolean")
            bad = schools[_false(flag)]
            if bad.empty:
                continue
            name = _text(bad, "school_name").where(
                _text(bad, "school_name") != "", bad["school_id"].astype(str)
            )
            counts = (
                bad.assign(_name=name)
                .groupby(KEY, as_index=False)
                .agg(_n=("_name", "size"), _names=("_name", lambda s: "、".join(s.iloc[:3])))
            )
            t = keys.merge(counts, on=KEY, how="left")
            hit = t["_n"].notna().to_numpy()
            met = met & _bool(~hit, np.zeros(len(keys), dtype=bool))
            n = _fs(t["_n"], idx, 0)
            zh = zh + np.where(hit, "；" + n + f" 所学校{what_zh}：" + t["_names"].fillna(""), "")
            en = en + np.where(hit, "; " + n + f" schools {what_en}: " + t["_names"].fillna(""), "")
    out = keys.copy()
    out["id"] = ind_id
    out["status"] = _status(met)
    out["value"] = np.nan
    out["threshold"] = np.nan
    out["detail_zh"] = zh.to_numpy(dtype=object)
    out["detail_en"] = en.to_numpy(dtype=object)
    for col in ("n_schools", "n_failing", "n_unknown"):
        out[col] = pd.array([pd.NA] * len(out), dtype="Int64")
    return out[ITEM_COLUMNS]


# ---------------------------------------------------------------------------------------------
# B31 quality monitoring


def _b31(
    keys: pd.DataFrame,
    schools: pd.DataFrame,
    quality: pd.DataFrame | None,
    settings: Settings,
    ind: Indicator,
) -> pd.DataFrame:
    if settings.b31_formula != "weighted_cv":
        raise ValueError(f"unknown b31_formula {settings.b31_formula!r}")
    thr = float(ind.threshold("difference_rate"))
    share_min = float(settings.b31_level3_share_min)
    assumption_zh = (
        f"假设：校际差异率按学生加权变异系数（{settings.b31_formula}）计算，"
        f"Ⅲ级以上比例下限 {_fmt(share_min, 2, pct=True)}，均为本项目假设（规则未公布）"
    )
    assumption_en = (
        f"assumption: difference rate = student-weighted CV ({settings.b31_formula}); "
        f"level III share floor {_fmt(share_min, 2, pct=True)}; both are project "
        "assumptions (the rules publish neither)"
    )
    out = keys.copy()
    out["id"] = "B31"
    out["threshold"] = thr
    for col in ("n_schools", "n_failing", "n_unknown"):
        out[col] = pd.array([pd.NA] * len(out), dtype="Int64")
    reason = None
    if quality is None:
        reason = ("未提供 quality.csv（质量监测数据）", "quality.csv not provided")
    elif "mean_score" not in quality or quality["mean_score"].isna().all():
        reason = ("quality.csv 缺少 mean_score 数据", "quality.csv lacks mean_score")
    if reason:
        out["status"], out["value"] = NOT_ASSESSED, np.nan
        out["detail_zh"] = reason[0] + "；" + assumption_zh
        out["detail_en"] = reason[1] + "; " + assumption_en
        return out[ITEM_COLUMNS]

    q = _with_county(quality)
    q = q.assign(
        school_id=q["school_id"].astype(str),
        level=q["level"].astype(str),
        subject=q["subject"].astype(str),
    )
    # the monitoring year used for each report year: the latest one not after it
    qyears = q[KEY].drop_duplicates().rename(columns={"year": "qyear"})
    qyears = qyears.sort_values("qyear", kind="stable")
    left = keys.reset_index().sort_values("year", kind="stable")
    used = (
        pd.merge_asof(
            left, qyears, left_on="year", right_on="qyear", by="county_id", direction="backward"
        )
        .sort_values("index")
        .set_index("index")
    )
    used.index.name = None
    qyear = used["qyear"].to_numpy(dtype=float)

    # weights: the school's students of that level, same county and monitoring year
    s = schools.assign(school_id=schools["school_id"].astype(str))
    w = pd.concat(
        [
            s[SCHOOL_KEY].assign(level=lv, _w=_num(s, f"students_{lv}"))
            for lv in ("primary", "junior")
        ],
        ignore_index=True,
    ).drop_duplicates(CLASS_KEY, keep="last")
    q = q.merge(w, on=CLASS_KEY, how="left")
    score = _num(q, "mean_score")
    share = _num(q, "share_level3_or_above")
    q = q.assign(
        _score=score,
        _share=share,
        _bad=(np.isnan(score) | np.isnan(q["_w"].to_numpy(float))).astype(int),
        _share_na=np.isnan(share).astype(int),
        _share_low=(share < share_min).astype(int),
    )
    gkey = [*KEY, "subject", "level"]
    valid = q[q["_bad"] == 0]
    stats = grouped_weighted_cv(valid, "_score", "_w", gkey)
    groups = q.groupby(gkey, as_index=False, sort=True).agg(
        n=("school_id", "size"),
        n_bad=("_bad", "sum"),
        n_share_na=("_share_na", "sum"),
        n_share_low=("_share_low", "sum"),
        min_share=("_share", "min"),
    )
    groups = groups.merge(stats[[*gkey, "cv"]], on=gkey, how="left")
    cv = groups["cv"].to_numpy(dtype=float)
    cv_ok = _cmp(cv, thr, "lt")
    cv_ok[groups["n_bad"].to_numpy() > 0] = pd.NA
    share_ok = _bool(
        groups["n_share_low"].to_numpy() == 0,
        (groups["n_share_low"].to_numpy() == 0) & (groups["n_share_na"].to_numpy() > 0),
    )
    gmet = cv_ok & share_ok
    groups["_fail"] = _false(gmet).astype(int)
    groups["_na"] = np.asarray(pd.isna(gmet)).astype(int)
    gi = groups.index
    subj = groups["subject"] + "（" + groups["level"].map(_level_zh) + "）"
    subj_en = groups["subject"] + " (" + groups["level"] + ")"
    cv_txt = pd.Series(["—" if np.isnan(x) else f"{x:.3f}" for x in cv], index=gi, dtype=object)
    ok_cv = _true(cv_ok)
    n_bad = groups["n_bad"].to_numpy()
    no_cv = (n_bad == 0) & np.isnan(cv)
    nb = _fs(n_bad, gi, 0)
    part_cv_zh = np.select(
        [n_bad > 0, no_cv],
        [
            "差异率无法计算（" + nb + " 所学校缺少平均分或在校生数）",
            pd.Series("差异率无法计算（在校生合计或平均分为 0）", index=gi),
        ],
        "差异率 " + cv_txt + np.where(ok_cv, " < ", " ≥ ") + f"{thr:.2f}",
    )
    part_cv_en = np.select(
        [n_bad > 0, no_cv],
        [
            "difference rate unknown (" + nb + " schools lack a mean score or student count)",
            pd.Series("difference rate unknown (no students or mean score 0)", index=gi),
        ],
        "difference rate " + cv_txt + np.where(ok_cv, " < ", " ≥ ") + f"{thr:.2f}",
    )
    share_txt = _fs(groups["min_share"], gi, 2, pct=True)
    part_sh_zh = np.where(
        groups["n_share_low"] > 0,
        "Ⅲ级以上比例最低 "
        + share_txt
        + "，"
        + _fs(groups["n_share_low"], gi, 0)
        + " 所学校低于 "
        + _fmt(share_min, 2, pct=True),
        np.where(
            groups["n_share_na"] > 0,
            _fs(groups["n_share_na"], gi, 0) + " 所学校缺少Ⅲ级以上比例",
            "Ⅲ级以上比例最低 " + share_txt + " ≥ " + _fmt(share_min, 2, pct=True),
        ),
    )
    part_sh_en = np.where(
        groups["n_share_low"] > 0,
        "lowest level III share "
        + share_txt
        + ", "
        + _fs(groups["n_share_low"], gi, 0)
        + " schools below "
        + _fmt(share_min, 2, pct=True),
        np.where(
            groups["n_share_na"] > 0,
            _fs(groups["n_share_na"], gi, 0) + " schools lack the level III share",
            "lowest level III share " + share_txt + " ≥ " + _fmt(share_min, 2, pct=True),
        ),
    )
    groups["_zh"] = subj + part_cv_zh + "，" + part_sh_zh
    groups["_en"] = subj_en + " " + part_cv_en + ", " + part_sh_en
    agg = groups.groupby(KEY, as_index=False).agg(
        n_groups=("n", "size"),
        n_fail=("_fail", "sum"),
        n_na=("_na", "sum"),
        worst=("cv", "max"),
        g_zh=("_zh", "；".join),
        g_en=("_en", "; ".join),
    )
    agg = agg.rename(columns={"year": "qyear"})
    t = used[KEY].assign(qyear=qyear).merge(agg, on=["county_id", "qyear"], how="left")
    t.index = keys.index
    have = t["n_groups"].notna().to_numpy()
    n_fail = t["n_fail"].fillna(0).to_numpy()
    n_na = t["n_na"].fillna(0).to_numpy()
    met = _bool(have & (n_fail == 0), ~have | ((n_fail == 0) & (n_na > 0)))
    out["status"] = _status(met)
    out["value"] = t["worst"].to_numpy(dtype=float)
    idx = keys.index
    years = keys["year"].astype(str)
    qy = _fs(qyear, idx, 0)
    older = have & (qyear != keys["year"].to_numpy(dtype=float))
    prefix_zh = np.where(older, years + " 年无质量监测数据，采用 " + qy + " 年监测结果；", "")
    prefix_en = np.where(
        older, "no monitoring in " + years + ": using the " + qy + " results; ", ""
    )
    zh = np.where(
        have, prefix_zh + t["g_zh"].fillna(""), "quality.csv 无 " + years + " 年及以前的监测结果"
    )
    en = np.where(
        have,
        prefix_en + t["g_en"].fillna(""),
        "quality.csv has no monitoring results up to " + years,
    )
    out["detail_zh"] = pd.Series(zh, index=idx, dtype=object) + "；" + assumption_zh
    out["detail_en"] = pd.Series(en, index=idx, dtype=object) + "; " + assumption_en
    return out[ITEM_COLUMNS]


# ---------------------------------------------------------------------------------------------
# B32 social recognition


def _b32(
    keys: pd.DataFrame, c: _County, survey: pd.DataFrame | None, settings: Settings, ind: Indicator
) -> pd.DataFrame:
    thr = float(ind.threshold())
    idx = keys.index
    years = keys["year"].astype(str)
    pop, pz, pe = c.get("resident_population")
    if survey is None:
        total = sat = parents = bad = np.full(len(keys), np.nan)
        have = np.zeros(len(keys), dtype=bool)
    else:
        v = _with_county(survey)
        resp, satisfied = _num(v, "respondents"), _num(v, "satisfied")
        group = _text(v, "respondent_group").to_numpy()
        v = v.assign(
            _r=np.nan_to_num(resp),
            _s=np.nan_to_num(satisfied),
            _p=np.where(group == "parent", np.nan_to_num(resp), 0.0),
            _bad=(np.isnan(resp) | np.isnan(satisfied)).astype(int),
        )
        agg = v.groupby(KEY, as_index=False).agg(
            total=("_r", "sum"), sat=("_s", "sum"), parents=("_p", "sum"), bad=("_bad", "sum")
        )
        t = keys.merge(agg, on=KEY, how="left")
        total, sat = t["total"].to_numpy(float), t["sat"].to_numpy(float)
        parents, bad = t["parents"].to_numpy(float), t["bad"].to_numpy(float)
        have = ~np.isnan(total)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(total > 0, sat / np.where(total > 0, total, 1.0), np.nan)
        parent_share = np.where(total > 0, parents / np.where(total > 0, total, 1.0), np.nan)
        needed = pop * settings.survey_min_sample_per_mille / 1000.0
        sample_ok = total * 1000.0 >= pop * settings.survey_min_sample_per_mille
        parents_ok = parent_share >= settings.survey_parent_share_min
    rate_ok = _cmp(rate, thr, "ge")
    n_pm = _fmt(settings.survey_min_sample_per_mille, 2)
    share_s = _fmt(settings.survey_parent_share_min, 2, pct=True)
    need_s = _fs(np.ceil(needed - 1e-9), idx, 0)
    conds = [
        ~have,
        have & (bad > 0),
        have & (total == 0),
        (pz != "").to_numpy(),
        ~sample_ok,
        ~parents_ok,
    ]
    reasons_zh = [
        pd.Series("survey.csv 无 ", index=idx) + years + " 年社会认可度调查数据"
        if survey is not None
        else pd.Series("未提供 survey.csv（社会认可度调查）", index=idx),
        pd.Series("问卷数据不完整（有效问卷数或满意人数未填写）", index=idx),
        pd.Series("有效问卷为 0，无法计算", index=idx),
        "无法核定样本量：" + pz,
        "样本量不足：有效问卷 "
        + _fs(total, idx, 0)
        + " 份，低于常住人口 "
        + _fs(pop, idx, 0)
        + f" 的 {n_pm}‰（需 ≥ "
        + need_s
        + " 份）",
        "家长样本不足：家长占 " + _fs(parent_share, idx, 2, pct=True) + f"，低于 {share_s}",
    ]
    reasons_en = [
        pd.Series("survey.csv has no survey for ", index=idx) + years
        if survey is not None
        else pd.Series("survey.csv not provided", index=idx),
        pd.Series("incomplete survey rows (respondents or satisfied empty)", index=idx),
        pd.Series("no valid respondents: division by zero", index=idx),
        "sample size cannot be checked: " + pe,
        "sample too small: "
        + _fs(total, idx, 0)
        + " respondents, below "
        + n_pm
        + "‰ of the resident population "
        + _fs(pop, idx, 0)
        + " (needs ≥ "
        + need_s
        + ")",
        "too few parents: "
        + _fs(parent_share, idx, 2, pct=True)
        + f" of respondents, below {share_s}",
    ]
    reason_zh = pd.Series(np.select(conds, reasons_zh, ""), index=idx, dtype=object)
    reason_en = pd.Series(np.select(conds, reasons_en, ""), index=idx, dtype=object)
    blocked = (reason_zh != "").to_numpy()
    met = rate_ok.copy()
    met[blocked] = pd.NA
    rate_s = _fs(rate, idx, 2, pct=True)
    thr_s = _fmt(thr, 2, pct=True)
    summary_zh = (
        "满意度 "
        + _fs(sat, idx, 0)
        + "/"
        + _fs(total, idx, 0)
        + " = "
        + rate_s
        + np.where(_true(rate_ok), " ≥ ", " < ")
        + thr_s
        + "（家长占 "
        + _fs(parent_share, idx, 2, pct=True)
        + "）"
    )
    summary_en = (
        "satisfied "
        + _fs(sat, idx, 0)
        + "/"
        + _fs(total, idx, 0)
        + " = "
        + rate_s
        + np.where(_true(rate_ok), " ≥ ", " < ")
        + thr_s
        + " (parents "
        + _fs(parent_share, idx, 2, pct=True)
        + ")"
    )
    with_rate = ~np.isnan(rate)
    zh = np.where(
        blocked, "不予评估：" + reason_zh + np.where(with_rate, "；" + summary_zh, ""), summary_zh
    )
    en = np.where(
        blocked,
        "not assessed: " + reason_en + np.where(with_rate, "; " + summary_en, ""),
        summary_en,
    )
    out = keys.copy()
    out["id"] = "B32"
    out["status"] = _status(met)
    out["value"] = rate
    out["threshold"] = thr
    out["detail_zh"] = pd.Series(zh, index=idx, dtype=object).to_numpy()
    out["detail_en"] = pd.Series(en, index=idx, dtype=object).to_numpy()
    for col in ("n_schools", "n_failing", "n_unknown"):
        out[col] = pd.array([pd.NA] * len(out), dtype="Int64")
    return out[ITEM_COLUMNS]


# ---------------------------------------------------------------------------------------------
# vetoes


def _vetoes(
    keys: pd.DataFrame,
    judgements: _Judgements,
    b32: pd.DataFrame,
    settings: Settings,
    registry: Registry,
) -> pd.DataFrame:
    frames = []
    idx = keys.index
    for veto in registry.vetoes:
        out = keys.copy()
        out["id"] = veto.id
        if veto.computed_from:
            source = b32.set_index(idx) if veto.computed_from == "B32" else None
            if source is None:  # pragma: no cover - the registry only computes V4 from B32
                raise ValueError(f"{veto.id}: cannot compute from {veto.computed_from}")
            status = source["status"].to_numpy()
            triggered = _bool(status == NOT_MET, status == NOT_ASSESSED)
            out["status"] = np.select(
                [status == NOT_MET, status == MET], [TRIGGERED, NOT_TRIGGERED], NOT_ASSESSED
            ).astype(object)
            out["triggered"] = triggered
            out["evidence"] = (f"由 {veto.computed_from} 计算：" + source["detail_zh"]).to_numpy()
            out["evidence_en"] = (f"from {veto.computed_from}: " + source["detail_en"]).to_numpy()
        elif veto.setting and not getattr(settings, veto.setting):
            out["status"] = DISABLED
            out["triggered"] = pd.array([pd.NA] * len(out), dtype="boolean")
            out["evidence"] = f"未启用（设置 {veto.setting} = false）"
            out["evidence_en"] = f"disabled (setting {veto.setting} = false)"
        else:
            met, rz, re_ = judgements.part(veto.id)
            evidence = judgements.evidence(veto.id)
            triggered = ~met  # met = false means the veto is triggered
            out["status"] = np.select(
                [_true(triggered), _false(triggered)], [TRIGGERED, NOT_TRIGGERED], NOT_ASSESSED
            ).astype(object)
            out["triggered"] = triggered
            fallback_zh = np.where(
                _true(triggered), "评定触发（未附佐证）", "评定未触发（未附佐证）"
            )
            fallback_en = np.where(
                _true(triggered),
                "judged triggered (no evidence given)",
                "judged not triggered (no evidence given)",
            )
            out["evidence"] = np.where(
                rz != "", rz, np.where(evidence != "", evidence, fallback_zh)
            )
            out["evidence_en"] = np.where(
                re_ != "", re_, np.where(evidence != "", evidence, fallback_en)
            )
        frames.append(out[VETO_COLUMNS])
    v = pd.concat(frames, ignore_index=True)
    v["triggered"] = v["triggered"].astype("boolean")
    order = {veto.id: k for k, veto in enumerate(registry.vetoes)}
    v = v.sort_values(
        [*KEY, "id"], key=lambda col: col.map(order) if col.name == "id" else col, kind="stable"
    )
    return v.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# entry point


def assess_indicators(
    tables: Mapping[str, pd.DataFrame], settings: Settings, registry: Registry
) -> IndicatorResult:
    """Assess B8–B32 and V1–V8 for every (county_id, year) present in ``tables["schools"]``.

    Parameters
    ----------
    tables
        Canonical frames by table name: ``schools`` (required), and any of ``classes``,
        ``county``, ``judgements``, ``survey``, ``quality``. A missing optional table makes the
        items that need it ``not_assessed``.
    settings
        Relaxations of B10/B11, the B31 formula and level III floor, the survey sample rule and
        whether V8 is enabled.
    registry
        Thresholds and bands (never written in this module).

    Returns
    -------
    IndicatorResult
    """
    schools = _with_county(tables["schools"])
    schools = schools.assign(school_id=schools["school_id"].astype(str))
    keys = _keys(schools)
    classes = tables.get("classes")
    sizes = class_size_table(classes, registry) if classes is not None else None
    county = tables.get("county")
    county = _with_county(county) if county is not None else None
    judgements = _Judgements(keys, tables.get("judgements"))
    ind = registry.indicator

    checks = [
        _b10(schools, sizes, settings, ind("B10")),
        _b11(schools, settings, ind("B11")),
        _b12(schools, sizes, registry),
        _b13(schools, county, ind("B13")),
        _b14(schools, ind("B14")),
        _b19(schools, ind("B19")),
        _b26(schools, ind("B26")),
    ]
    cdata = _County(keys, county)
    b32 = _b32(keys, cdata, tables.get("survey"), settings, ind("B32"))
    frames = [_aggregate_schools(keys, checks)]
    frames += _county_items(keys, cdata, registry, judgements)
    frames += [
        _judgement_item(keys, i.id, judgements, schools)
        for i in registry.indicators
        if i.scope == "judgement"
    ]
    frames.append(_b31(keys, schools, tables.get("quality"), settings, ind("B31")))
    frames.append(b32)

    order = {i.id: k for k, i in enumerate(registry.indicators)}
    items = pd.concat(frames, ignore_index=True)
    items = items.sort_values(
        [*KEY, "id"], key=lambda c: c.map(order) if c.name == "id" else c, kind="stable"
    ).reset_index(drop=True)
    items["value"] = items["value"].astype(float)
    items["threshold"] = items["threshold"].astype(float)

    school_frames = [ch.rows.assign(id=ch.id) for ch in checks if not ch.blocked_zh]
    if school_frames:
        school_items = pd.concat(school_frames, ignore_index=True)[SCHOOL_ITEM_COLUMNS]
    else:
        school_items = pd.DataFrame(columns=SCHOOL_ITEM_COLUMNS)
    school_items = school_items.sort_values(
        [*KEY, "id", "school_id"],
        key=lambda c: c.map(order) if c.name == "id" else c,
        kind="stable",
    ).reset_index(drop=True)
    school_items["met"] = school_items["met"].astype("boolean")
    for col in ("value", "threshold", "gap"):
        school_items[col] = school_items[col].astype(float)

    vetoes = _vetoes(keys, judgements, b32, settings, registry)
    class_sizes = (
        sizes
        if sizes is not None
        else class_size_table(
            pd.DataFrame(columns=["year", "school_id", "level", "class_id", "students"]), registry
        )
    )
    return IndicatorResult(
        items=items, school_items=school_items, class_sizes=class_sizes, vetoes=vetoes
    )
