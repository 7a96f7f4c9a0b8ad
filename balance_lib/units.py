"""Evaluation units: schools split into a 小学 unit and/or a 初中 unit (contract §1, rules §3).

A unit carries its students and the raw numerators of B1–B7:

* teachers (B1–B3) are taken per level as reported (任教学段), never split;
* facilities (B4 B5 B6, and B7 unless ``b7_allocation`` names a level) of 九年一贯制,
  十二年一贯制 and 完全中学 schools are split by weighted students, share of level *l* =
  w_l·P_l / Σ w_k·P_k with weights 小:初:高 = 1 : 1.1 : 1.32 (完全中学 初:高 = 1 : 1.2); the
  senior part is dropped;
* scope: special schools are excluded; teaching points below ``teaching_point_min_students`` are
  excluded, the others are their own unit, merged into their parent's 小学 unit, or excluded;
  private schools in or out.

Everything is vectorised over all counties and years at once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .columns import LEVELS
from .frames import SCHOOL_CODE
from .settings import Settings

#: Raw numerator columns of a unit, in B1…B7 order.
NUMERATORS = (
    "qualified_teachers",
    "backbone_teachers",
    "pe_art_teachers",
    "teaching_area_m2",
    "sports_area_m2",
    "equipment_yuan",
    "multimedia_classrooms",
)
#: The schools.csv columns each numerator of :data:`NUMERATORS` is built from.
NUMERATOR_SOURCES = {
    "qualified_teachers": ("qualified_teachers_primary", "qualified_teachers_junior"),
    "backbone_teachers": ("backbone_teachers_primary", "backbone_teachers_junior"),
    "pe_art_teachers": ("pe_art_teachers_primary", "pe_art_teachers_junior"),
    "teaching_area_m2": ("teaching_aux_area_m2",),
    "sports_area_m2": ("indoor_sports_area_m2", "sports_ground_area_m2"),
    "equipment_yuan": ("equipment_value_10k_yuan",),
    "multimedia_classrooms": ("multimedia_classrooms",),
}
UNIT_KEY = ["county_id", "year", "school_id", "level"]
_INFO = {"county_id", "year", "school_id", "school_name", "school_type", "area_type",
         "is_private", "level", "students", "_merge", "_parent"}
#: Levels in teaching order (小学 before 初中), for sorting.
LEVEL_ORDER = {lv: k for k, lv in enumerate(LEVELS)}
_DEFAULT_WEIGHTS = {"primary": 1.0, "junior": 1.1, "senior": 1.32}
_STUDENTS = {"primary": "students_primary", "junior": "students_junior", "senior": "students_senior"}


def _num(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Column as float64 with missing values (or a missing column) as 0."""
    if column not in frame:
        return np.zeros(len(frame))
    return pd.to_numeric(frame[column], errors="coerce").fillna(0.0).to_numpy(dtype=float)


def level_shares(schools: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Share of the whole-school facilities that belongs to each level, per school row.

    Returns a frame aligned with ``schools`` with columns ``primary``, ``junior``, ``senior``
    (rows sum to 1, or 0 for a school without students).

    >>> s = pd.DataFrame({"school_type": ["nine_year"], "students_primary": [166],
    ...                   "students_junior": [210], "students_senior": [0]})
    >>> shares = level_shares(s, Settings())
    >>> round(23226 * shares.primary.item(), 1), round(23226 * shares.junior.item(), 1)
    (9711.6, 13514.4)
    """
    types = schools["school_type"].astype(str).to_numpy()
    weighted = {}
    for level, col in _STUDENTS.items():
        w = np.full(len(schools), _DEFAULT_WEIGHTS[level])
        for school_type, weights in settings.split_weights.items():
            w[types == school_type] = weights.get(level, 0.0)
        weighted[level] = w * _num(schools, col)
    total = sum(weighted.values())
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = {lv: np.where(total > 0, x / np.where(total > 0, total, 1), 0.0)
                  for lv, x in weighted.items()}
    return pd.DataFrame(shares, index=schools.index)


def build_units(schools: pd.DataFrame, settings: Settings,
                extra_numerators: tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per evaluated (county, year, school, level) with students and B1–B7 numerators.

    Columns: ``county_id year school_id school_name school_type area_type is_private level
    students`` + :data:`NUMERATORS` + ``extra_numerators``. Sorted by county, year, school,
    level.

    An extra numerator ``q`` (a provincial ``unit_ratio`` indicator, e.g. ``books``) is taken
    per level from ``q_primary`` / ``q_junior`` when the table has either (as teachers are),
    else from the whole-school column ``q`` split by the facility weights (as B4–B6 are; the
    2012 rules split 图书册数 this way). A missing value counts as 0.
    """
    s = schools.reset_index(drop=True)
    if "county_id" not in s:
        s = s.assign(county_id="")
    shares = level_shares(s, settings)
    types = s["school_type"].astype(str)

    aux = _num(s, "teaching_aux_area_m2")
    indoor = _num(s, "indoor_sports_area_m2")
    teaching_area = aux - indoor if settings.b4_indoor_sports == "subtract" else aux
    sports_area = indoor + _num(s, "sports_ground_area_m2")
    equipment = _num(s, "equipment_value_10k_yuan") * 10000.0
    multimedia = _num(s, "multimedia_classrooms")

    keep = (types != "special").to_numpy()
    if settings.private_schools == "exclude" and "is_private" in s:
        keep = keep & (~s["is_private"].fillna(False).astype(bool).to_numpy())
    is_point = (types == "teaching_point").to_numpy()
    point_students = _num(s, "students_primary")
    small_point = is_point & (point_students < settings.teaching_point_min_students)
    keep = keep & (~small_point)
    if settings.teaching_points == "exclude":
        keep = keep & (~is_point)
    merge_points = is_point & keep & (settings.teaching_points == "merge")

    info = ["county_id", "year", "school_id", "school_name", "school_type", "area_type", "is_private"]
    info = [c for c in info if c in s]
    rows, columns = [], {}
    for level in LEVELS:
        students = _num(s, _STUDENTS[level])
        share = shares[level].to_numpy()
        if settings.b7_allocation == "split":
            mm = multimedia * share
        else:
            # whole count to the stated level; a school without that level splits as usual
            has_target = _num(s, _STUDENTS[settings.b7_allocation]) > 0
            mm = np.where(has_target, multimedia * (level == settings.b7_allocation),
                          multimedia * share)
        part = {
            "students": students,
            "qualified_teachers": _num(s, f"qualified_teachers_{level}"),
            "backbone_teachers": _num(s, f"backbone_teachers_{level}"),
            "pe_art_teachers": _num(s, f"pe_art_teachers_{level}"),
            "teaching_area_m2": teaching_area * share,
            "sports_area_m2": sports_area * share,
            "equipment_yuan": equipment * share,
            "multimedia_classrooms": mm,
        }
        for q in extra_numerators:
            per_level = f"{q}_primary" in s or f"{q}_junior" in s
            part[q] = _num(s, f"{q}_{level}") if per_level else _num(s, q) * share
        take = np.flatnonzero(keep & (students > 0))
        rows.append(take)
        for name, values in part.items():
            columns.setdefault(name, []).append(values[take])
        columns.setdefault("level", []).append(np.full(len(take), level, dtype=object))
    taken = np.concatenate(rows)
    units = s[info].take(taken).reset_index(drop=True)
    units.insert(len(info), "level", np.concatenate(columns.pop("level")))
    for name, parts in columns.items():
        units[name] = np.concatenate(parts)
    if merge_points[taken].any():
        units["_merge"] = merge_points[taken]
        parent = (s["parent_school_id"].to_numpy(dtype=object) if "parent_school_id" in s
                  else np.full(len(s), "", dtype=object))
        units["_parent"] = parent[taken]
        units = _merge_teaching_points(units).drop(columns=["_merge", "_parent"])
    elif SCHOOL_CODE in s:  # ranked once by the evaluation: sort by integers
        level = units["level"].map(LEVEL_ORDER).fillna(len(LEVEL_ORDER)).to_numpy(np.int64)
        order = np.lexsort((level, s[SCHOOL_CODE].to_numpy()[taken]))
        return units.take(order).reset_index(drop=True)
    return sort_units(units)


def sort_units(frame: pd.DataFrame, keys: list[str] = UNIT_KEY) -> pd.DataFrame:
    """Sort by ``keys`` with levels in teaching order (小学 before 初中), not alphabetically."""
    from .frames import sort_frame

    return sort_frame(frame, keys, {"level": LEVEL_ORDER})


def _merge_teaching_points(units: pd.DataFrame) -> pd.DataFrame:
    """Add each merged teaching point's students and numerators to its parent's 小学 unit."""
    points = units[units["_merge"]]
    rest = units[~units["_merge"]].set_index(UNIT_KEY)
    as_parent = points.assign(school_id=points["_parent"].astype(str), level="primary")
    sums = ["students", *[c for c in units.columns if c in NUMERATORS or c not in _INFO]]
    add = as_parent.groupby(UNIT_KEY, sort=False)[sums].sum()
    matched = add.index.intersection(rest.index)
    rest.loc[matched, sums] = rest.loc[matched, sums].to_numpy() + add.loc[matched, sums].to_numpy()
    # a parent without a 小学 unit in scope: the point stays a unit of its own
    orphans = points[~pd.MultiIndex.from_frame(as_parent[UNIT_KEY]).isin(matched)]
    return pd.concat([rest.reset_index(), orphans], ignore_index=True)
