"""B8–B32 and V1–V8: hand cases at and either side of every threshold, scope, missing data.

The cases run :func:`balance_lib.indicators.evaluate` and read the sentences of
:mod:`balance_lib.indicators.explain`, in Chinese (``detail_zh``) and English (``detail_en``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import pytest

from balance_lib.indicators import class_size_table, evaluate, explain
from balance_lib.registry import load_registry
from balance_lib.settings import Settings

REG = load_registry()
BOOL_COLUMNS = ("has_charter", "has_info_management", "is_private", "is_boarding", "met")
TEXT_COLUMNS = (
    "county_id",
    "school_id",
    "school_name",
    "school_type",
    "area_type",
    "level",
    "class_id",
    "item_id",
    "evidence",
    "respondent_group",
    "subject",
)


def frame(rows: list[dict]) -> pd.DataFrame:
    """Rows as the loader delivers them: year int64, numbers float64, booleans "boolean"."""
    f = pd.DataFrame(rows)
    for col in f.columns:
        if col == "year":
            f[col] = f[col].astype("int64")
        elif col in BOOL_COLUMNS:
            f[col] = f[col].astype("boolean")
        elif col not in TEXT_COLUMNS:
            f[col] = f[col].astype(float)
    return f


def school(**kw) -> dict:
    """A 400-pupil urban primary school meeting every school-scope item."""
    row = dict(
        year=2024,
        county_id="",
        school_id="S1",
        school_name="第一小学",
        school_type="primary",
        area_type="urban",
        year_built=2018,
        students_primary=400,
        students_junior=0,
        students_senior=0,
        classes_primary=10,
        classes_junior=np.nan,
        teachers_primary=25,
        teachers_junior=np.nan,
        certified_teachers=25,
        music_rooms=1,
        music_room_min_area_m2=100,
        art_rooms=1,
        art_room_min_area_m2=95,
        public_funding_yuan=400000,
        teacher_training_funding_yuan=25000,
        has_charter=True,
        has_info_management=True,
    )
    row.update(kw)
    return row


def county_row(**kw) -> dict:
    """county.csv meeting every county item exactly at its threshold."""
    row = dict(
        year=2024,
        county_id="",
        resident_population=200000,
        teacher_avg_salary_yuan=100000,
        civil_servant_avg_salary_yuan=100000,
        training_360h_completed=100,
        training_360h_eligible=100,
        rotation_eligible_teachers=100,
        rotated_teachers=10,
        rotated_backbone_teachers=2,
        nearby_enrolment_rate_primary=1.0,
        nearby_enrolment_rate_junior=0.95,
        quota_allocation_rate=0.5,
        migrant_children_eligible=100,
        migrant_children_public_or_purchased=85,
        junior_cohort_start=200,
        junior_cohort_graduated=190,
        junior_transfers_in=0,
        junior_transfers_out=0,
        junior_deaths=0,
        disabled_children=100,
        disabled_children_enrolled=95,
        public_funding_norm_primary_yuan=600,
        public_funding_norm_junior_yuan=800,
    )
    row.update(kw)
    return row


JUDGED = (
    "B8",
    "B9",
    "B15",
    "B17",
    "B21",
    "B22",
    "B25",
    "B27",
    "B28",
    "B29",
    "B30",
    "V1",
    "V2",
    "V3",
    "V5",
    "V6",
    "V7",
    "V8",
)


def judgement_rows(year=2024, county_id="", **met) -> list[dict]:
    return [
        dict(year=year, county_id=county_id, item_id=i, met=met.get(i, True), evidence=f"{i} 佐证")
        for i in JUDGED
        if met.get(i, True) is not None
    ]


def survey_rows(parents=150, others=150, sat_parents=128, sat_others=127, year=2024, county_id=""):
    return [
        dict(
            year=year,
            county_id=county_id,
            respondent_group="parent",
            respondents=parents,
            satisfied=sat_parents,
        ),
        dict(
            year=year,
            county_id=county_id,
            respondent_group="teacher",
            respondents=others,
            satisfied=sat_others,
        ),
    ]


def class_rows(school_id="S1", level="primary", sizes=(40,) * 10, year=2024, county_id=""):
    return [
        dict(
            year=year,
            county_id=county_id,
            school_id=school_id,
            level=level,
            grade=1,
            class_id=f"{school_id}-{level}-{k}",
            students=n,
        )
        for k, n in enumerate(sizes)
    ]


def quality_rows(
    scores=((("S1", 70.0, 0.9),)), subject="数学", level="primary", year=2024, county_id=""
):
    return [
        dict(
            year=year,
            county_id=county_id,
            school_id=sid,
            subject=subject,
            level=level,
            mean_score=score,
            share_level3_or_above=share,
        )
        for sid, score, share in scores
    ]


def monitoring_rows(results=(("数学", "primary", 3, 0.1),), year=2024, county_id=""):
    """monitoring.csv: per subject and level the reported level (1–4) and difference rate."""
    return [dict(year=year, county_id=county_id, subject=subject, level=level,
                 achievement_level=str(lv), difference_rate=rate)
            for subject, level, lv, rate in results]


def tables(
    schools=None, *, classes=None, county=None, judgements=None, survey=None, quality=None,
    monitoring=None, drop=()
) -> dict[str, pd.DataFrame]:
    """Full tables of a county meeting everything, with parts replaced or dropped."""
    t = {
        "schools": frame(schools if schools is not None else [school()]),
        "classes": frame(classes if classes is not None else class_rows()),
        "county": frame(county if county is not None else [county_row()]),
        "judgements": frame(judgements if judgements is not None else judgement_rows()),
        "survey": frame(survey if survey is not None else survey_rows()),
        "quality": frame(quality if quality is not None else quality_rows()),
        "monitoring": frame(monitoring if monitoring is not None else monitoring_rows()),
    }
    for name in drop:
        t.pop(name)
    return t


#: B31 by the project's stand-in formula on quality.csv, with the earlier 80 % share floor.
SCORES = Settings(b31_formula="weighted_cv", b31_level3_share_min=0.8)


@dataclass
class Assessed:
    """The evaluation of B8–B32 with its sentences in both languages.

    The county items' sentences are made on demand (for the rows a test looks at, see
    :func:`item`): making all of them for every small fixture was a third of this file's time.
    """

    ev: Any
    plain_items: pd.DataFrame
    school_items: pd.DataFrame
    class_sizes: pd.DataFrame
    vetoes: pd.DataFrame

    @cached_property
    def items(self) -> pd.DataFrame:
        return with_details(self.ev, self.plain_items)


def with_details(ev: Any, items: pd.DataFrame) -> pd.DataFrame:
    return items.assign(detail_zh=explain.item_details(ev, "zh", items),
                        detail_en=explain.item_details(ev, "en", items))


def run(t: dict[str, pd.DataFrame], settings: Settings | None = None) -> Assessed:
    ev = evaluate(t, settings or Settings(), REG)
    items = ev.items[[REG.indicator(i).scope != "unit" for i in ev.items["id"]]]
    items = items.reset_index(drop=True)
    s = ev.school_items
    s = s.assign(detail_zh=explain.school_details(s, REG, "zh"),
                 detail_en=explain.school_details(s, REG, "en"),
                 gap_unit_zh=explain.school_gap_units(s, REG, "zh"),
                 gap_unit_en=explain.school_gap_units(s, REG, "en"))
    v = ev.vetoes.assign(evidence=explain.veto_evidence(ev, "zh"),
                         evidence_en=explain.veto_evidence(ev, "en"))
    return Assessed(ev, items, s, ev.class_sizes, v)


def item(result, ind_id: str, county_id: str = "", year: int = 2024) -> pd.Series:
    i = result.plain_items
    rows = i[(i.id == ind_id) & (i.county_id == county_id) & (i.year == year)]
    assert len(rows) == 1
    return with_details(result.ev, rows).iloc[0]


def sitem(result, ind_id: str, school_id: str = "S1", year: int = 2024) -> pd.Series:
    s = result.school_items
    rows = s[(s.id == ind_id) & (s.school_id == school_id) & (s.year == year)]
    assert len(rows) == 1, f"{ind_id} {school_id}: {len(rows)} rows"
    return rows.iloc[0]


def veto(result, veto_id: str, county_id: str = "", year: int = 2024) -> pd.Series:
    v = result.vetoes
    return v[(v.id == veto_id) & (v.county_id == county_id) & (v.year == year)].iloc[0]


def in_scope(result, ind_id: str, school_id: str = "S1") -> bool:
    s = result.school_items
    return bool(((s.id == ind_id) & (s.school_id == school_id)).any())


# ---------------------------------------------------------------------------------------------
# the whole system on a county that meets everything


def test_a_county_meeting_everything():
    r = run(tables())
    items = r.items.set_index("id")
    assert list(items.index) == [f"B{k}" for k in range(8, 33)]
    assert (items.status == "met").all(), items[items.status != "met"][["status", "detail_zh"]]
    assert items.loc["B15", "value"] == 1.0 and items.loc["B15", "threshold"] == 1.0
    assert items.loc["B16", "value"] == 1.0
    assert items.loc["B18", "value"] == pytest.approx(0.10)
    assert items.loc["B23", "value"] == pytest.approx(0.95)
    assert items.loc["B32", "value"] == pytest.approx(0.85)
    assert items.loc["B12", "n_schools"] == 1 and items.loc["B12", "n_failing"] == 0
    v = r.vetoes.set_index("id")
    assert list(v.index) == [f"V{k}" for k in range(1, 9)]
    assert (v.loc[["V1", "V2", "V3", "V4", "V5", "V6", "V7"], "status"] == "not_triggered").all()
    assert v.loc["V8", "status"] == "disabled"
    assert (v.loc[["V1", "V4"], "triggered"] == False).all()  # noqa: E712


# ---------------------------------------------------------------------------------------------
# B10 music and art rooms


@pytest.mark.parametrize(
    "classes, music, art, met, gap",
    [
        (24, 2, 2, True, 0),
        (24, 1, 2, False, 1),
        (24, 1, 1, False, 2),
        (25, 2, 2, False, 2),  # ceil(25 / 12) = 3 rooms of each
        (12, 1, 1, True, 0),
        (13, 1, 1, False, 2),
        (13, 2, 3, True, 0),
        (0, 0, 0, True, 0),
    ],
)
def test_b10_rooms_per_12_classes(classes, music, art, met, gap):
    r = run(tables([school(classes_primary=classes, music_rooms=music, art_rooms=art)]))
    s = sitem(r, "B10")
    assert bool(s.met) is met
    assert s.gap == gap
    assert s.threshold == math.ceil(classes / 12)
    assert s.value == min(music, art)
    assert item(r, "B10").status == ("met" if met else "not_met")


def test_b10_counts_primary_and_junior_classes():
    row = school(
        school_type="nine_year",
        students_junior=300,
        classes_primary=12,
        classes_junior=1,
        teachers_junior=20,
        certified_teachers=45,
        music_rooms=1,
        art_rooms=2,
    )
    s = sitem(run(tables([row])), "B10")
    assert s.threshold == 2 and not s.met and s.gap == 1


@pytest.mark.parametrize(
    "music_area, art_area, met",
    [(96, 90, True), (95.9, 90, False), (96, 89.9, False), (96.1, 90.1, True), (50, 50, False)],
)
def test_b10_room_areas(music_area, art_area, met):
    r = run(tables([school(music_room_min_area_m2=music_area, art_room_min_area_m2=art_area)]))
    s = sitem(r, "B10")
    assert bool(s.met) is met
    assert s.gap == (0 if met else (music_area < 96) + (art_area < 90))


@pytest.mark.parametrize(
    "relax, built, music_area, art_area, met",
    [
        (False, 2016, 73, 67, False),
        (True, 2016, 73, 67, True),
        (True, 2016, 72.9, 67, False),
        (True, 2016, 73, 66.9, False),
        (True, 2017, 73, 67, False),
        (True, 2010, 96, 90, True),
        (True, np.nan, 73, 67, False),
    ],
)
def test_b10_old_building_relaxation(relax, built, music_area, art_area, met):
    t = tables(
        [school(year_built=built, music_room_min_area_m2=music_area, art_room_min_area_m2=art_area)]
    )
    r = run(t, Settings(b10_relax_old_buildings=relax))
    assert bool(sitem(r, "B10").met) is met


@pytest.mark.parametrize(
    "relax, area_type, largest, kind, area, met",
    [
        (False, "rural", 29, "primary", 54, False),
        (True, "rural", 29, "primary", 54, True),
        (True, "rural", 29, "primary", 53.9, False),
        (True, "rural", 30, "primary", 54, False),
        (True, "town", 29, "primary", 54, False),
        (True, "rural", 29, "junior", 61, True),
        (True, "rural", 29, "junior", 60.9, False),
        (True, "rural", 29, "junior", 54, False),
        (True, "rural", 29, "nine_year", 60, False),  # has junior students: the 初中 figure 61
        (True, "rural", 29, "nine_year", 61, True),
    ],
)
def test_b10_small_rural_relaxation(relax, area_type, largest, kind, area, met):
    sizes = (largest, 20, 15)
    if kind == "primary":
        row = school(area_type=area_type, students_primary=64, classes_primary=3)
        classes = class_rows(sizes=sizes)
    elif kind == "junior":
        row = school(
            school_type="junior",
            area_type=area_type,
            students_primary=0,
            students_junior=64,
            classes_primary=np.nan,
            classes_junior=3,
            teachers_primary=np.nan,
            teachers_junior=10,
            certified_teachers=10,
        )
        classes = class_rows(level="junior", sizes=sizes)
    else:
        row = school(
            school_type="nine_year",
            area_type=area_type,
            students_primary=35,
            students_junior=29,
            classes_primary=2,
            classes_junior=1,
            teachers_junior=5,
            certified_teachers=30,
        )
        classes = class_rows(sizes=sizes[1:]) + class_rows(level="junior", sizes=sizes[:1])
    row.update(music_room_min_area_m2=area, art_room_min_area_m2=area)
    r = run(tables([row], classes=classes), Settings(b10_relax_small_rural=relax))
    assert bool(sitem(r, "B10").met) is met


def test_b10_small_rural_relaxation_needs_classes():
    row = school(
        area_type="rural",
        students_primary=64,
        classes_primary=3,
        music_room_min_area_m2=54,
        art_room_min_area_m2=54,
    )
    r = run(tables([row], drop=["classes"]), Settings(b10_relax_small_rural=True))
    b10 = item(r, "B10")
    assert b10.status == "not_met"
    assert "未提供 classes.csv" in b10.detail_zh


def test_b10_scope_excludes_teaching_points_and_special_schools():
    rows = [
        school(),
        school(
            school_id="T1",
            school_type="teaching_point",
            students_primary=30,
            music_rooms=0,
            art_rooms=0,
            classes_primary=3,
        ),
        school(
            school_id="X1", school_type="special", music_rooms=0, art_rooms=0, classes_primary=12
        ),
    ]
    r = run(tables(rows, classes=class_rows() + class_rows("T1", sizes=(10, 10, 10))))
    assert in_scope(r, "B10", "S1")
    assert not in_scope(r, "B10", "T1") and not in_scope(r, "B10", "X1")
    assert item(r, "B10").status == "met" and item(r, "B10").n_schools == 1


def test_b10_missing_column_or_area():
    t = tables()
    t["schools"] = t["schools"].drop(columns="music_rooms")
    b10 = item(run(t), "B10")
    assert b10.status == "not_assessed" and "music_rooms" in b10.detail_zh
    assert not in_scope(run(t), "B10")

    rows = [school(music_room_min_area_m2=np.nan), school(school_id="S2")]
    r = run(tables(rows, classes=class_rows() + class_rows("S2")))
    assert pd.isna(sitem(r, "B10").met) and np.isnan(sitem(r, "B10").gap)
    assert item(r, "B10").status == "not_assessed"
    assert item(r, "B10").n_unknown == 1
    # a known failure outweighs the missing school
    rows.append(school(school_id="S3", music_rooms=0))
    r = run(tables(rows, classes=class_rows() + class_rows("S2") + class_rows("S3")))
    assert item(r, "B10").status == "not_met"
    assert item(r, "B10").n_failing == 1 and item(r, "B10").n_unknown == 1


def test_b10_all_empty_is_not_assessed():
    rows = [school(music_rooms=np.nan, art_rooms=np.nan)]
    assert item(run(tables(rows)), "B10").status == "not_assessed"


# ---------------------------------------------------------------------------------------------
# B11 school size


@pytest.mark.parametrize(
    "kind, primary, junior, senior, met, gap",
    [
        ("primary", 2000, 0, 0, True, 0),
        ("primary", 1999, 0, 0, True, 0),
        ("primary", 2001, 0, 0, False, 1),
        ("junior", 0, 2001, 0, False, 1),
        ("nine_year", 1500, 1000, 0, True, 0),
        ("nine_year", 1500, 1001, 0, False, 1),
        ("twelve_year", 1500, 1000, 900, True, 0),  # the senior part does not count
        ("twelve_year", 1501, 1000, 0, False, 1),
        ("complete_secondary", 0, 2000, 1500, True, 0),
        ("complete_secondary", 0, 2001, 0, False, 1),
    ],
)
def test_b11_school_size(kind, primary, junior, senior, met, gap):
    row = school(
        school_type=kind,
        students_primary=primary,
        students_junior=junior,
        students_senior=senior,
        classes_junior=10,
        teachers_junior=10,
        certified_teachers=35,
    )
    r = run(tables([row]))
    s = sitem(r, "B11")
    assert bool(s.met) is met and s.gap == gap
    assert s.value == (junior if kind == "complete_secondary" else primary + junior)
    assert s.threshold == (2500 if kind in ("nine_year", "twelve_year") else 2000)


@pytest.mark.parametrize(
    "relaxed, kind, built, migrants, students, met, limit",
    [
        (False, "primary", 2010, 0, 2400, False, 2000),
        (True, "primary", 2010, 0, 2400, True, 2400),
        (True, "primary", 2010, 0, 2401, False, 2400),
        (True, "primary", 2011, 0, 2001, False, 2000),
        # the other trigger: more than half 随迁子女 (exactly half is not more)
        (True, "primary", 2020, 1201, 2400, True, 2400),
        (True, "primary", 2020, 1200, 2400, False, 2000),
        # 3000 for a 九年一贯制 school only when it is triggered, and never for 十二年一贯制
        (True, "nine_year", 2020, 0, 3000, False, 2500),
        (True, "nine_year", 2005, 0, 3000, True, 3000),
        (True, "nine_year", 2005, 0, 3001, False, 3000),
        (True, "nine_year", 2020, 1600, 3000, True, 3000),
        (True, "twelve_year", 2005, 2000, 2600, False, 2500),
        (False, "nine_year", 2005, 0, 2501, False, 2500),
    ],
)
def test_b11_relaxation(relaxed, kind, built, migrants, students, met, limit):
    row = school(school_type=kind, year_built=built, students_primary=students,
                 migrant_students=migrants)
    s = sitem(run(tables([row]), Settings(b11_relaxed=relaxed)), "B11")
    assert bool(s.met) is met and s.threshold == limit and s.gap == max(students - limit, 0)


# ---------------------------------------------------------------------------------------------
# B12 class size


SIZES = (45, 46, 50, 51, 55, 56, 65, 66)


def test_class_size_table_bands():
    c = frame(class_rows(sizes=SIZES) + class_rows(level="junior", sizes=SIZES))
    t = class_size_table(c, REG).set_index("level")
    p, j = t.loc["primary"], t.loc["junior"]
    assert (p.classes, p.classes_over_limit, p.large_classes, p.super_large_classes) == (8, 7, 2, 1)
    assert (j.classes, j.classes_over_limit, j.large_classes, j.super_large_classes) == (8, 5, 2, 1)
    assert p.limit == 45 and j.limit == 50
    assert p.students == sum(SIZES) and p.max_class_size == 66
    assert p.mean_class_size == pytest.approx(sum(SIZES) / 8)


def test_b12_counts_per_school():
    rows = [
        school(
            school_type="nine_year",
            students_junior=432,
            classes_primary=8,
            classes_junior=8,
            teachers_junior=20,
            certified_teachers=45,
            music_rooms=2,
            art_rooms=2,
        )
    ]
    classes = class_rows(sizes=SIZES) + class_rows(level="junior", sizes=SIZES)
    r = run(tables(rows, classes=classes))
    s = sitem(r, "B12")
    assert not s.met and s.gap == 12
    assert s.value == 66 and s.threshold == 45  # worst level: 66 − 45 > 66 − 50
    assert "7 个班超 45 人（大班额 2，超大班额 1）" in s.detail_zh
    assert "5 个班超 50 人（大班额 2，超大班额 1）" in s.detail_zh
    b12 = item(r, "B12")
    assert b12.status == "not_met" and b12.value == 66 and b12.threshold == 45
    cs = r.class_sizes.set_index("level")
    assert (
        cs.loc["primary", "classes_over_limit"] == 7 and cs.loc["junior", "classes_over_limit"] == 5
    )


@pytest.mark.parametrize(
    "level, sizes, over, unit",
    [
        ("primary", (45, 45), 0, "个班超 45 人"),
        ("primary", (45, 46), 1, "个班超 45 人"),
        ("junior", (50, 50), 0, "个班超 50 人"),
        ("junior", (49, 51, 66), 2, "个班超 50 人"),
    ],
)
def test_b12_at_the_limit(level, sizes, over, unit):
    if level == "primary":
        row = school()
    else:
        row = school(
            school_type="junior",
            students_primary=0,
            students_junior=100,
            classes_junior=2,
            teachers_primary=np.nan,
            teachers_junior=10,
            certified_teachers=10,
        )
    r = run(tables([row], classes=class_rows(level=level, sizes=sizes)))
    s = sitem(r, "B12")
    assert bool(s.met) is (over == 0) and s.gap == over and s.gap_unit_zh == unit
    assert s.value == max(sizes)
    assert item(r, "B12").status == ("met" if over == 0 else "not_met")
    if over:
        assert f"第一小学（{over} {unit}）" in item(r, "B12").detail_zh


def test_b12_not_assessed_without_classes():
    r = run(tables(drop=["classes"]))
    b12 = item(r, "B12")
    assert b12.status == "not_assessed" and "classes.csv" in b12.detail_zh
    assert r.class_sizes.empty and not in_scope(r, "B12")


def test_b12_school_without_class_rows():
    rows = [school(), school(school_id="S2")]
    r = run(tables(rows))  # classes only for S1
    assert pd.isna(sitem(r, "B12", "S2").met)
    assert item(r, "B12").status == "not_assessed"
    assert "S2" in item(r, "B12").detail_zh or "第一小学" in item(r, "B12").detail_zh


def test_b12_class_without_a_count():
    r = run(tables(classes=class_rows(sizes=(40, np.nan))))
    assert item(r, "B12").status == "not_assessed"
    r = run(tables(classes=class_rows(sizes=(46, np.nan))))
    assert item(r, "B12").status == "not_met"


def test_b12_special_schools_out_of_scope():
    rows = [school(), school(school_id="X1", school_type="special", students_primary=40)]
    classes = class_rows() + class_rows("X1", sizes=(70,))
    r = run(tables(rows, classes=classes))
    assert not in_scope(r, "B12", "X1") and item(r, "B12").status == "met"


# ---------------------------------------------------------------------------------------------
# B13 funding of small rural schools


@pytest.mark.parametrize(
    "kind, area, students, funding, scoped, met, gap",
    [
        ("primary", "rural", 99, 60000, True, True, 0),
        ("primary", "rural", 99, 59999, True, False, 1),
        ("primary", "rural", 99, 60001, True, True, 0),
        ("primary", "rural", 10, 59400, True, False, 600),
        ("teaching_point", "urban", 30, 59999, True, False, 1),
        ("primary", "rural", 100, 1, False, None, None),
        ("primary", "town", 50, 1, False, None, None),
        ("junior", "rural", 50, 1, False, None, None),
    ],
)
def test_b13_small_rural_funding(kind, area, students, funding, scoped, met, gap):
    rows = [
        school(
            school_id="R1",
            school_type=kind,
            area_type=area,
            students_primary=students,
            public_funding_yuan=funding,
            teacher_training_funding_yuan=funding,
        )
    ]
    r = run(tables(rows, classes=class_rows("R1", sizes=(students,))))
    assert in_scope(r, "B13", "R1") is scoped
    if scoped:
        s = sitem(r, "B13", "R1")
        assert bool(s.met) is met and s.gap == gap
        assert s.value == pytest.approx(funding / 600) and s.threshold == 100
        assert item(r, "B13").status == ("met" if met else "not_met")
    else:
        assert item(r, "B13").status == "met"
        assert "不适用" in item(r, "B13").detail_zh


def test_b13_uses_the_norm_of_the_same_county_and_year():
    rows = [
        school(
            year=y,
            school_id="R1",
            area_type="rural",
            students_primary=50,
            public_funding_yuan=60000,
        )
        for y in (2023, 2024)
    ]
    county = [
        county_row(year=2023, public_funding_norm_primary_yuan=600),
        county_row(year=2024, public_funding_norm_primary_yuan=601),
    ]
    classes = class_rows("R1", sizes=(50,), year=2023) + class_rows("R1", sizes=(50,))
    r = run(
        tables(
            rows, county=county, classes=classes, quality=quality_rows(scores=(("R1", 70, 0.9),))
        )
    )
    assert item(r, "B13", year=2023).status == "met"
    assert item(r, "B13", year=2024).status == "not_met"
    assert sitem(r, "B13", "R1", 2024).gap == 100


@pytest.mark.parametrize("how", ["no_table", "no_column", "empty", "zero", "other_year"])
def test_b13_not_assessed_without_norm(how):
    rows = [school(school_id="R1", area_type="rural", students_primary=50)]
    t = tables(rows, classes=class_rows("R1", sizes=(50,)))
    if how == "no_table":
        del t["county"]
    elif how == "no_column":
        t["county"] = t["county"].drop(columns="public_funding_norm_primary_yuan")
    elif how == "empty":
        t["county"]["public_funding_norm_primary_yuan"] = np.nan
    elif how == "zero":
        t["county"]["public_funding_norm_primary_yuan"] = 0.0
    else:
        t["county"]["year"] = 2023
    b13 = item(run(t), "B13")
    assert b13.status == "not_assessed"
    if how == "zero":
        assert "无法计算" in b13.detail_zh


# ---------------------------------------------------------------------------------------------
# B14 special schools


@pytest.mark.parametrize(
    "funding, met, gap", [(600000, True, 0), (599999, False, 1), (600001, True, 0)]
)
def test_b14_special_school_funding(funding, met, gap):
    rows = [
        school(),
        school(
            school_id="X1",
            school_type="special",
            students_primary=60,
            students_junior=30,
            students_senior=10,
            public_funding_yuan=funding,
        ),
    ]
    s = sitem(run(tables(rows)), "B14", "X1")
    assert s.value == pytest.approx(funding / 100) and s.threshold == 6000
    assert bool(s.met) is met and s.gap == gap
    assert not in_scope(run(tables(rows)), "B14", "S1")


def test_b14_without_students_or_special_school():
    rows = [
        school(),
        school(
            school_id="X1",
            school_type="special",
            students_primary=0,
            students_junior=0,
            students_senior=0,
        ),
    ]
    b14 = item(run(tables(rows)), "B14")
    assert b14.status == "not_assessed" and "无法计算" in b14.detail_zh
    b14 = item(run(tables()), "B14")
    assert b14.status == "met" and "不适用" in b14.detail_zh


# ---------------------------------------------------------------------------------------------
# B19 certified teachers


@pytest.mark.parametrize(
    "primary, junior, certified, met, gap",
    [
        (25, np.nan, 25, True, 0),
        (25, np.nan, 24, False, 1),
        (20, 10, 30, True, 0),
        (20, 10, 29, False, 1),
        (20, 10, 25, False, 5),
    ],
)
def test_b19_certificates(primary, junior, certified, met, gap):
    row = school(
        school_type="nine_year" if junior == junior else "primary",
        students_junior=100,
        classes_junior=2,
        teachers_primary=primary,
        teachers_junior=junior,
        certified_teachers=certified,
    )
    s = sitem(run(tables([row])), "B19")
    total = primary + (0 if np.isnan(junior) else junior)
    assert s.value == pytest.approx(certified / total) and s.threshold == 1.0
    assert bool(s.met) is met and s.gap == gap


def test_b19_missing_certificates():
    t = tables()
    t["schools"] = t["schools"].drop(columns="certified_teachers")
    assert item(run(t), "B19").status == "not_assessed"
    rows = [school(certified_teachers=np.nan)]
    assert item(run(tables(rows)), "B19").status == "not_assessed"


# ---------------------------------------------------------------------------------------------
# B26 teacher training funding


@pytest.mark.parametrize(
    "training, met, gap", [(20000, True, 0), (19999, False, 1), (20001, True, 0)]
)
def test_b26_training_share(training, met, gap):
    s = sitem(
        run(tables([school(public_funding_yuan=400000, teacher_training_funding_yuan=training)])),
        "B26",
    )
    assert s.value == training / 400000 and s.threshold == 0.05
    assert bool(s.met) is met and s.gap == gap


def test_b26_scope_and_missing_data():
    rows = [school(), school(school_id="S2", public_funding_yuan=np.nan)]
    r = run(tables(rows, classes=class_rows() + class_rows("S2")))
    assert not in_scope(r, "B26", "S2") and item(r, "B26").status == "met"
    rows = [school(public_funding_yuan=0, teacher_training_funding_yuan=0)]
    b26 = item(run(tables(rows)), "B26")
    assert b26.status == "not_assessed" and "公用经费预算为 0" in b26.detail_zh
    rows = [school(public_funding_yuan=np.nan)]
    assert item(run(tables(rows)), "B26").status == "not_assessed"
    t = tables()
    t["schools"] = t["schools"].drop(columns="teacher_training_funding_yuan")
    assert item(run(t), "B26").status == "not_assessed"


# ---------------------------------------------------------------------------------------------
# county items


@pytest.mark.parametrize(
    "ind_id, changes, status, value",
    [
        ("B15", {"teacher_avg_salary_yuan": 100000}, "met", 1.0),
        ("B15", {"teacher_avg_salary_yuan": 99999}, "not_met", 0.99999),
        ("B15", {"teacher_avg_salary_yuan": 100001}, "met", 1.00001),
        ("B15", {"civil_servant_avg_salary_yuan": 0}, "not_assessed", np.nan),
        ("B16", {"training_360h_completed": 99}, "not_met", 0.99),
        ("B16", {"training_360h_completed": 100}, "met", 1.0),
        ("B16", {"training_360h_eligible": np.nan}, "not_assessed", np.nan),
        ("B20", {"nearby_enrolment_rate_primary": 0.999}, "not_met", 0.999),
        ("B20", {"nearby_enrolment_rate_junior": 0.9499}, "not_met", 1.0),
        ("B20", {"nearby_enrolment_rate_junior": 0.9501}, "met", 1.0),
        ("B20", {"nearby_enrolment_rate_junior": np.nan}, "not_assessed", 1.0),
        ("B21", {"quota_allocation_rate": 0.4999}, "not_met", 0.4999),
        ("B21", {"quota_allocation_rate": 0.5001}, "met", 0.5001),
        ("B24", {"disabled_children_enrolled": 94}, "not_met", 0.94),
        ("B24", {"disabled_children_enrolled": 96}, "met", 0.96),
        ("B24", {"disabled_children": 0, "disabled_children_enrolled": 0}, "not_assessed", np.nan),
    ],
)
def test_county_ratios(ind_id, changes, status, value):
    r = run(tables(county=[county_row(**changes)]))
    row = item(r, ind_id)
    assert row.status == status
    if np.isnan(value):
        assert np.isnan(row.value)
    else:
        assert row.value == pytest.approx(value, abs=1e-12)
    if status == "not_assessed" and "civil_servant_avg_salary_yuan" in changes:
        assert "为 0，无法计算" in row.detail_zh


@pytest.mark.parametrize(
    "eligible, rotated, backbone, status, share",
    [
        (100, 10, 2, "met", "20% ≥ 20%，达标"),
        (100, 9, 2, "not_met", "22.222% ≥ 20%，达标"),  # 9% < 10%
        (100, 10, 1, "not_met", "10% < 20%，未达标"),  # 1 of 10 rotated is backbone
        (100, 50, 10, "met", "20% ≥ 20%"),  # 10/50 of the ROTATED (10/100 eligible fails)
        (100, 50, 9, "not_met", "18% < 20%"),
        (1000, 100, 20, "met", "20% ≥ 20%"),  # though only 2% of the eligible
        (1000, 99, 20, "not_met", "20.202% ≥ 20%"),  # 9.9% rotated
        (100, 0, 0, "not_met", "rotated_teachers 为 0，无法计算"),  # the first part fails
        (0, 0, 0, "not_assessed", "rotated_teachers 为 0，无法计算"),
    ],
)
def test_b18_rotation_denominators(eligible, rotated, backbone, status, share):
    row = county_row(
        rotation_eligible_teachers=eligible,
        rotated_teachers=rotated,
        rotated_backbone_teachers=backbone,
    )
    b18 = item(run(tables(county=[row])), "B18")
    assert b18.status == status
    assert (
        "骨干教师占交流轮岗教师比例" + ("：" if "无法" in share else " ") + share in b18.detail_zh
    )
    if eligible:
        assert b18.value == rotated / eligible and b18.threshold == 0.10
    else:
        assert np.isnan(b18.value)


@pytest.mark.parametrize(
    "eligible, placed, judged, status",
    [
        (100, 85, True, "met"),
        (100, 84, True, "not_met"),
        (100, 86, True, "met"),
        (200, 170, True, "met"),  # denominator: the ELIGIBLE migrant children
        (200, 169, True, "not_met"),
        (100, 85, False, "not_met"),  # 留守儿童 care system judged not met
        (100, 85, None, "not_assessed"),  # no judgement row
        (0, 0, True, "not_assessed"),  # division by zero
        (100, 84, None, "not_met"),  # a known failure outweighs the missing judgement
    ],
)
def test_b22_migrant_children_and_judgement(eligible, placed, judged, status):
    county = [
        county_row(migrant_children_eligible=eligible, migrant_children_public_or_purchased=placed)
    ]
    r = run(tables(county=county, judgements=judgement_rows(B22=judged)))
    b22 = item(r, "B22")
    assert b22.status == status
    if eligible:
        assert b22.value == placed / eligible and b22.threshold == 0.85
    if judged is None:
        assert "无 B22 评定记录" in b22.detail_zh


@pytest.mark.parametrize(
    ("teachers", "civil", "judged", "status"),
    [
        (100000, 100000, True, "met"),       # pay at par and 绩效工资总量 judged in full
        (100000, 100000, False, "not_met"),  # the second part of the rule fails it
        (100000, 100000, None, "not_assessed"),  # the judgement is missing: never met
        (99999, 100000, None, "not_met"),    # a known failure outweighs the missing part
    ],
)
def test_b15_needs_pay_and_the_performance_pay_judgement(teachers, civil, judged, status):
    t = tables(county=[county_row(teacher_avg_salary_yuan=teachers,
                                  civil_servant_avg_salary_yuan=civil)],
               judgements=judgement_rows(B15=judged))
    b15 = item(run(t), "B15")
    assert b15.status == status
    assert "按规定足额核定教师绩效工资总量（评定）" in b15.detail_zh
    assert "performance pay budgeted in full (judgement)" in b15.detail_en


@pytest.mark.parametrize(
    ("share", "judged", "status", "text"),
    [
        (None, True, "met", "名额分配向农村初中倾斜（评定）：达标"),
        (None, False, "not_met", "名额分配向农村初中倾斜（评定）：未达标"),
        (None, None, "not_assessed", "judgements.csv 无 B21 评定记录"),
        # computed: rural junior pupils are 200 of 500 = 40 %; the places must follow
        (0.4, None, "met", "农村初中所得名额占 40% ≥ 其初中学生占比 40%，达标"),
        (0.39, True, "not_met", "农村初中所得名额占 39% < 其初中学生占比 40%，未达标"),
    ],
)
def test_b21_quota_and_its_tilt_to_rural_junior_schools(share, judged, status, text):
    rows = [school(school_type="junior", students_primary=0, students_junior=300,
                   classes_primary=np.nan, classes_junior=8, teachers_primary=np.nan,
                   teachers_junior=30, certified_teachers=30),
            school(school_id="R1", school_name="乡村初中", area_type="rural",
                   school_type="junior", students_primary=0, students_junior=200,
                   classes_primary=np.nan, classes_junior=5, teachers_primary=np.nan,
                   teachers_junior=20, certified_teachers=20)]
    county = county_row() if share is None else county_row(quota_rural_junior_share=share)
    t = tables(rows, classes=class_rows(level="junior", sizes=(38,) * 8)
               + class_rows("R1", level="junior", sizes=(40,) * 5),
               county=[county], judgements=judgement_rows(B21=judged))
    b21 = item(run(t), "B21")
    assert b21.status == status and text in b21.detail_zh, b21.detail_zh
    assert b21.value == 0.5  # the first part: the allocation rate itself


def test_b20_over_its_scope_from_the_schools_rates():
    """城区和镇区公办、非寄宿 schools only, weighted by their students of the level."""
    rows = [
        school(students_primary=600, nearby_enrolment_rate=1.0),
        school(school_id="S2", school_name="镇小", area_type="town", students_primary=400,
               nearby_enrolment_rate=0.95),
        # out of scope: rural, private, boarding — their rates do not count
        school(school_id="R1", school_name="村小", area_type="rural", students_primary=100,
               nearby_enrolment_rate=0.2),
        school(school_id="P1", school_name="民办", students_primary=300, is_private=True,
               nearby_enrolment_rate=0.1),
        school(school_id="B1", school_name="寄宿", students_primary=300, is_boarding=True,
               nearby_enrolment_rate=0.1),
    ]
    classes = sum((class_rows(s["school_id"]) for s in rows), [])
    b20 = item(run(tables(rows, classes=classes)), "B20")
    # primary (600 × 1 + 400 × 0.95) / 1000 = 0.98 < 100 %; no junior school in scope: the
    # county figure (95 %, met) is kept for the junior part
    assert b20.status == "not_met" and b20.value == pytest.approx(0.98)
    assert "小学就近划片入学比例 98% < 100%，未达标" in b20.detail_zh
    assert "一个学段按 schools.csv" in b20.detail_zh
    # a school in scope without its rate: unknown, never met
    rows[1]["nearby_enrolment_rate"] = np.nan
    rows[0]["nearby_enrolment_rate"] = 1.0
    b20 = item(run(tables(rows, classes=classes)), "B20")
    assert b20.status == "not_assessed" and "1 所适用学校缺少就近入学比例" in b20.detail_zh


def test_b20_without_school_rates_says_it_used_the_county_figure():
    b20 = item(run(tables()), "B20")
    assert b20.status == "met" and "数据：county.csv 全县数据" in b20.detail_zh
    assert "the county figures of county.csv" in b20.detail_en


def test_b22_without_county_table():
    b22 = item(run(tables(drop=["county"])), "B22")
    assert b22.status == "not_assessed" and "county.csv" in b22.detail_zh


@pytest.mark.parametrize(
    "start, graduated, t_in, t_out, deaths, status, value",
    [
        (200, 190, 0, 0, 0, "met", 0.95),
        (200, 189, 0, 0, 0, "not_met", 0.945),
        (202, 192, 5, 3, 2, "met", 0.95),  # (192 − 5 + 3) / (202 − 2) = 190/200
        (202, 191, 5, 3, 2, "not_met", 0.945),  # swapped signs would give 0.965
        (198, 190, 0, 0, 0, "met", 190 / 198),
        (200, 190, np.nan, 0, 0, "not_assessed", np.nan),
        (2, 0, 0, 0, 2, "not_assessed", np.nan),  # denominator 0
    ],
)
def test_b23_retention(start, graduated, t_in, t_out, deaths, status, value):
    row = county_row(
        junior_cohort_start=start,
        junior_cohort_graduated=graduated,
        junior_transfers_in=t_in,
        junior_transfers_out=t_out,
        junior_deaths=deaths,
    )
    b23 = item(run(tables(county=[row])), "B23")
    assert b23.status == status
    if np.isnan(value):
        assert np.isnan(b23.value)
    else:
        assert b23.value == pytest.approx(value, abs=1e-12)


def test_county_items_without_county_table_or_row():
    r = run(tables(drop=["county"]))
    for ind_id in ("B15", "B16", "B18", "B20", "B21", "B22", "B23", "B24"):
        assert item(r, ind_id).status == "not_assessed"
        assert "未提供 county.csv" in item(r, ind_id).detail_zh
    r = run(tables(county=[county_row(year=2023)]))
    assert item(r, "B15").status == "not_assessed"
    assert "county.csv 无 2024 年数据" in item(r, "B15").detail_zh
    t = tables()
    t["county"] = t["county"].drop(columns="quota_allocation_rate")
    assert item(run(t), "B21").status == "not_assessed"


# ---------------------------------------------------------------------------------------------
# judgement items and B25


@pytest.mark.parametrize("ind_id", ["B8", "B9", "B17", "B25", "B27", "B28", "B29", "B30"])
@pytest.mark.parametrize(
    "judged, status", [(True, "met"), (False, "not_met"), (None, "not_assessed")]
)
def test_judgement_items(ind_id, judged, status):
    r = run(tables(judgements=judgement_rows(**{ind_id: judged})))
    row = item(r, ind_id)
    assert row.status == status
    if judged is None:
        assert f"无 {ind_id} 评定记录" in row.detail_zh
    else:
        assert row.detail_zh == f"{ind_id} 佐证"
    assert np.isnan(row.value)


def test_judgement_items_without_table():
    r = run(tables(drop=["judgements"]))
    for ind_id in ("B8", "B9", "B17", "B25", "B27", "B28", "B29", "B30"):
        assert item(r, ind_id).status == "not_assessed"
        assert "未提供 judgements.csv" in item(r, ind_id).detail_zh


def test_judgement_with_empty_met():
    rows = judgement_rows()
    rows[0]["met"] = None
    assert item(run(tables(judgements=rows)), "B8").status == "not_assessed"


@pytest.mark.parametrize(
    "judged, charter, info, status",
    [
        (True, True, True, "met"),
        (True, False, True, "not_met"),
        (True, True, False, "not_met"),
        (True, None, True, "met"),  # an empty flag does not override the judgement
        (None, True, True, "not_assessed"),
        (None, False, True, "not_met"),
    ],
)
def test_b25_charter_and_information(judged, charter, info, status):
    rows = [
        school(),
        school(
            school_id="S2", school_name="第二小学", has_charter=charter, has_info_management=info
        ),
    ]
    r = run(
        tables(rows, classes=class_rows() + class_rows("S2"), judgements=judgement_rows(B25=judged))
    )
    b25 = item(r, "B25")
    assert b25.status == status
    if charter is False:
        assert "1 所学校未制定章程：第二小学" in b25.detail_zh


# ---------------------------------------------------------------------------------------------
# B31 quality monitoring


def two_schools(students=(100, 100)):
    return [
        school(students_primary=students[0]),
        school(school_id="S2", school_name="第二小学", students_primary=students[1]),
    ]


@pytest.mark.parametrize(
    "scores, status, rate",
    [
        ((85, 115), "not_met", 0.15),  # exactly 0.15: the rule is strict (< 0.15)
        ((86, 114), "met", 0.14),
        ((84, 116), "not_met", 0.16),
        ((100, 100), "met", 0.0),
    ],
)
def test_b31_difference_rate_is_strict(scores, status, rate):
    q = quality_rows(scores=(("S1", scores[0], 0.9), ("S2", scores[1], 0.9)))
    r = run(tables(two_schools(), classes=class_rows() + class_rows("S2"), quality=q), SCORES)
    b31 = item(r, "B31")
    assert b31.status == status and b31.threshold == 0.15
    assert b31.value == pytest.approx(rate, abs=1e-15)
    assert "假设" in b31.detail_zh and "assumption" in b31.detail_en


def test_b31_is_student_weighted():
    # weighted: mean 104, S 12, CV 0.1154 (met); unweighted it would be 20 / 120 = 0.167
    q = quality_rows(scores=(("S1", 100, 0.9), ("S2", 140, 0.9)))
    r = run(tables(two_schools((900, 100)), classes=class_rows() + class_rows("S2"), quality=q),
            SCORES)
    b31 = item(r, "B31")
    assert b31.value == pytest.approx(12 / 104) and b31.status == "met"


@pytest.mark.parametrize(
    "share, share_min, status",
    [(0.8, 0.8, "met"), (0.79, 0.8, "not_met"), (0.79, 0.7, "met"), (np.nan, 0.8, "not_assessed")],
)
def test_b31_level3_share(share, share_min, status):
    q = quality_rows(scores=(("S1", 70, 0.95), ("S2", 70, share)))
    r = run(
        tables(two_schools(), classes=class_rows() + class_rows("S2"), quality=q),
        SCORES.replace(b31_level3_share_min=share_min),
    )
    assert item(r, "B31").status == status


def test_b31_every_subject_and_level_counts():
    q = quality_rows(scores=(("S1", 70, 0.9), ("S2", 70, 0.9))) + quality_rows(
        scores=(("S1", 60, 0.9), ("S2", 90, 0.9)), subject="语文"
    )
    r = run(tables(two_schools(), classes=class_rows() + class_rows("S2"), quality=q), SCORES)
    b31 = item(r, "B31")
    assert b31.status == "not_met" and b31.value == pytest.approx(0.2)  # 15 / 75
    assert "语文（小学）差异率 0.200 ≥ 0.15" in b31.detail_zh
    assert "数学（小学）差异率 0.000 < 0.15" in b31.detail_zh


def test_b31_uses_the_latest_earlier_monitoring_year():
    rows = [school(year=2023), school(year=2024), school(year=2025)]
    classes = class_rows(year=2023) + class_rows() + class_rows(year=2025)
    q = quality_rows(year=2023)
    r = run(
        tables(
            rows,
            classes=classes,
            quality=q,
            county=[county_row(year=y) for y in (2023, 2024, 2025)],
        ), SCORES,
    )
    assert item(r, "B31", year=2023).status == "met"
    assert "采用" not in item(r, "B31", year=2023).detail_zh
    b31 = item(r, "B31", year=2025)
    assert b31.status == "met" and "采用 2023 年监测结果" in b31.detail_zh
    # only a later monitoring year: nothing to use
    r = run(
        tables(
            rows,
            classes=classes,
            quality=quality_rows(year=2024),
            county=[county_row(year=y) for y in (2023, 2024, 2025)],
        ), SCORES,
    )
    assert item(r, "B31", year=2023).status == "not_assessed"
    assert "采用 2024 年监测结果" in item(r, "B31", year=2025).detail_zh


def test_b31_not_assessed():
    b31 = item(run(tables(drop=["quality"]), SCORES), "B31")
    assert (
        b31.status == "not_assessed" and "quality.csv" in b31.detail_zh and "假设" in b31.detail_zh
    )
    # a school without a student count for the monitoring year
    q = quality_rows(scores=(("S1", 70, 0.9), ("S9", 70, 0.9)))
    b31 = item(run(tables(quality=q), SCORES), "B31")
    assert b31.status == "not_assessed" and "1 所学校缺少平均分或在校生数" in b31.detail_zh


@pytest.mark.parametrize(
    "results, status, value",
    [
        ((("数学", "primary", 3, 0.1499),), "met", 0.1499),
        ((("数学", "primary", 3, 0.15),), "not_met", 0.15),  # strict: < 0.15
        ((("数学", "primary", 2, 0.05),), "not_met", 0.05),  # level Ⅱ: below Ⅲ
        ((("数学", "primary", 4, 0.05), ("语文", "junior", 3, 0.12)), "met", 0.12),
        ((("数学", "primary", 4, 0.05), ("语文", "junior", 3, np.nan)), "not_assessed", 0.05),
    ],
)
def test_b31_reads_the_monitoring_results(results, status, value):
    """The default: the level and the 校际差异率 as the national monitoring reports them."""
    b31 = item(run(tables(monitoring=monitoring_rows(results))), "B31")
    assert b31.status == status and b31.value == pytest.approx(value)
    assert "monitoring.csv" in b31.detail_zh and "national quality monitoring" in b31.detail_en


def test_b31_monitoring_text_and_absence():
    b31 = item(run(tables(monitoring=monitoring_rows((("数学", "primary", 2, 0.2),)))), "B31")
    assert "数学（小学）学业水平 Ⅱ级（需 Ⅲ级以上），差异率 0.200 ≥ 0.15" in b31.detail_zh
    b31 = item(run(tables(drop=["monitoring"])), "B31")
    assert b31.status == "not_assessed" and "未提供 monitoring.csv" in b31.detail_zh
    # the quality scores alone no longer decide B31 (no invented 80 % floor by default)
    assert Settings().b31_formula == "monitoring" and Settings().b31_level3_share_min is None


def test_b31_score_formula_without_a_share_floor():
    """weighted_cv with no floor: a low share at level Ⅲ does not fail the county."""
    q = quality_rows(scores=(("S1", 70, 0.5), ("S2", 70, 0.4)))
    r = run(tables(two_schools(), classes=class_rows() + class_rows("S2"), quality=q),
            Settings(b31_formula="weighted_cv"))
    b31 = item(r, "B31")
    assert b31.status == "met" and "Ⅲ级以上比例" not in b31.detail_zh


# ---------------------------------------------------------------------------------------------
# B32 social recognition and V4


@pytest.mark.parametrize(
    "parents, others, sat_p, sat_o, status, value",
    [
        (150, 150, 128, 127, "met", 0.85),
        (150, 150, 128, 126, "not_met", 254 / 300),
        (150, 150, 150, 150, "met", 1.0),
        (150, 149, 150, 149, "not_assessed", 1.0),  # 299 < 1.5‰ × 200000 = 300
        (149, 151, 149, 151, "not_assessed", 1.0),  # parents 49.7% < 50%
        (150, 150, 0, 0, "not_met", 0.0),
    ],
)
def test_b32_satisfaction_and_sample(parents, others, sat_p, sat_o, status, value):
    r = run(tables(survey=survey_rows(parents, others, sat_p, sat_o)))
    b32 = item(r, "B32")
    assert b32.status == status and b32.threshold == 0.85
    assert b32.value == pytest.approx(value, abs=1e-15)
    if parents + others < 300:
        assert "样本量不足" in b32.detail_zh and "需 ≥ 300 份" in b32.detail_zh
    elif parents < others:
        assert "家长样本不足" in b32.detail_zh
    v4 = veto(r, "V4")
    expected = {"met": "not_triggered", "not_met": "triggered", "not_assessed": "not_assessed"}
    assert v4.status == expected[status]
    assert (
        pd.isna(v4.triggered)
        if status == "not_assessed"
        else bool(v4.triggered) is (status == "not_met")
    )


@pytest.mark.parametrize(
    "per_mille, parent_share, status",
    [(1.0, 0.5, "met"), (1.5, 0.5, "not_assessed"), (1.0, 0.6, "not_assessed")],
)
def test_b32_sample_settings(per_mille, parent_share, status):
    # 250 respondents, 125 parents, all satisfied; population 200000
    r = run(
        tables(survey=survey_rows(125, 125, 125, 125)),
        Settings(survey_min_sample_per_mille=per_mille, survey_parent_share_min=parent_share),
    )
    assert item(r, "B32").status == status


def test_b32_without_survey_or_population():
    r = run(tables(drop=["survey"]))
    assert item(r, "B32").status == "not_assessed" and veto(r, "V4").status == "not_assessed"
    r = run(tables(county=[county_row(resident_population=np.nan)]))
    assert item(r, "B32").status == "not_assessed"
    assert "resident_population" in item(r, "B32").detail_zh
    r = run(tables(drop=["county"]))
    assert item(r, "B32").status == "not_assessed"
    r = run(tables(survey=survey_rows(year=2023)))
    assert item(r, "B32").status == "not_assessed"


# ---------------------------------------------------------------------------------------------
# vetoes


@pytest.mark.parametrize("veto_id", ["V1", "V2", "V3", "V5", "V6", "V7"])
@pytest.mark.parametrize(
    "judged, status", [(True, "not_triggered"), (False, "triggered"), (None, "not_assessed")]
)
def test_judged_vetoes(veto_id, judged, status):
    r = run(tables(judgements=judgement_rows(**{veto_id: judged})))
    v = veto(r, veto_id)
    assert v.status == status
    if judged is None:
        assert pd.isna(v.triggered) and f"无 {veto_id} 评定记录" in v.evidence
    else:
        assert bool(v.triggered) is (not judged) and v.evidence == f"{veto_id} 佐证"


@pytest.mark.parametrize(
    "enabled, judged, status",
    [
        (False, False, "disabled"),
        (False, True, "disabled"),
        (True, False, "triggered"),
        (True, True, "not_triggered"),
        (True, None, "not_assessed"),
    ],
)
def test_v8_is_a_setting(enabled, judged, status):
    r = run(tables(judgements=judgement_rows(V8=judged)), Settings(veto_v8_enabled=enabled))
    v = veto(r, "V8")
    assert v.status == status
    if status in ("disabled", "not_assessed"):
        assert pd.isna(v.triggered)


def test_v8_disabled_by_default():
    assert Settings().veto_v8_enabled is False
    assert veto(run(tables(judgements=judgement_rows(V8=False))), "V8").status == "disabled"


# ---------------------------------------------------------------------------------------------
# missing tables, several counties and years


def test_schools_only():
    r = run({"schools": frame([school()])})
    status = r.items.set_index("id")["status"]
    assessable = ["B10", "B11", "B14", "B19", "B26"]
    assert (status[assessable] == "met").all()
    assert (status.drop(assessable) == "not_assessed").all()
    v = r.vetoes.set_index("id")["status"]
    assert (v.drop("V8") == "not_assessed").all() and v["V8"] == "disabled"
    assert r.vetoes["triggered"].isna().all()
    assert r.class_sizes.empty
    assert set(r.school_items["id"]) == {"B10", "B11", "B19", "B26"}  # no special school


@pytest.mark.parametrize(
    "column, ids",
    [
        ("public_funding_yuan", ["B13", "B14", "B26"]),
        ("art_rooms", ["B10"]),
        ("music_room_min_area_m2", ["B10"]),
        ("certified_teachers", ["B19"]),
        ("area_type", ["B13"]),
    ],
)
def test_missing_school_columns(column, ids):
    rows = [
        school(),
        school(school_id="R1", area_type="rural", students_primary=50, public_funding_yuan=60000),
        school(school_id="X1", school_type="special", students_primary=10, classes_primary=1),
    ]
    t = tables(rows, classes=class_rows() + class_rows("R1", sizes=(25, 25)))
    assert (run(t).items["status"] == "met").all()
    t["schools"] = t["schools"].drop(columns=column)
    items = run(t).items.set_index("id")
    assert (items.loc[ids, "status"] == "not_assessed").all()
    assert all(column in d for d in items.loc[ids, "detail_zh"])
    others = items.drop(ids)
    assert (others["status"] == "met").all()


@pytest.mark.parametrize(
    "column, ind_id",
    [
        ("teacher_avg_salary_yuan", "B15"),
        ("training_360h_eligible", "B16"),
        ("rotated_backbone_teachers", "B18"),
        ("nearby_enrolment_rate_primary", "B20"),
        ("quota_allocation_rate", "B21"),
        ("migrant_children_eligible", "B22"),
        ("junior_deaths", "B23"),
        ("disabled_children", "B24"),
        ("resident_population", "B32"),
    ],
)
def test_missing_county_columns(column, ind_id):
    t = tables()
    t["county"] = t["county"].drop(columns=column)
    items = run(t).items.set_index("id")
    assert items.loc[ind_id, "status"] == "not_assessed"
    assert f"county.csv 无 {column} 列" in items.loc[ind_id, "detail_zh"]
    assert (items.drop(ind_id)["status"] == "met").all()


def test_statuses_and_shapes():
    r = run(tables(two_schools(), classes=class_rows() + class_rows("S2")))
    assert set(r.items["status"]) <= {"met", "not_met", "not_assessed"}
    assert len(r.items) == 25 and len(r.vetoes) == 8
    assert r.items["value"].dtype == float and r.school_items["met"].dtype == "boolean"
    assert r.vetoes["triggered"].dtype == "boolean"
    assert not r.items.duplicated(["county_id", "year", "id"]).any()
    assert not r.school_items.duplicated(["county_id", "year", "school_id", "id"]).any()


def _multi_tables():
    schools, classes, county, judgements, survey, quality, monitoring = [], [], [], [], [], [], []
    for c, (music, rate, sat) in {"A": (1, 0.5, 128), "B": (0, 0.49, 100)}.items():
        for y in (2023, 2024):
            schools += [
                school(county_id=c, year=y, music_rooms=music),
                school(
                    county_id=c,
                    year=y,
                    school_id="S2",
                    school_name="第二小学",
                    students_primary=200 + y - 2023,
                ),
                school(
                    county_id=c,
                    year=y,
                    school_id="X1",
                    school_type="special",
                    students_primary=50,
                    public_funding_yuan=300000 - (c == "B") * 10,
                ),
                school(
                    county_id=c,
                    year=y,
                    school_id="R1",
                    area_type="rural",
                    students_primary=60,
                    public_funding_yuan=60000 - (y == 2024),
                ),
            ]
            classes += (
                class_rows(county_id=c, year=y)
                + class_rows("S2", county_id=c, year=y, sizes=(46 + (c == "B"), 40))
                + class_rows("R1", county_id=c, year=y, sizes=(30, 30))
            )
            county.append(
                county_row(
                    county_id=c, year=y, quota_allocation_rate=rate, rotated_teachers=10 + y - 2023
                )
            )
            judgements += judgement_rows(year=y, county_id=c, B9=(y == 2023), V2=(c == "A"))
            survey += survey_rows(year=y, county_id=c, sat_parents=sat)
            quality += quality_rows(
                scores=(("S1", 70, 0.9), ("S2", 60 + 10 * (c == "A"), 0.85)), year=y, county_id=c
            )
            monitoring += monitoring_rows(year=y, county_id=c)
    return tables(
        schools,
        classes=classes,
        county=county,
        judgements=judgements,
        survey=survey,
        quality=quality,
        monitoring=monitoring,
    )


def test_several_counties_and_years_equal_separate_calls():
    t = _multi_tables()
    together = run(t)
    parts = []
    for c in ("A", "B"):
        for y in (2023, 2024):
            sub = {
                k: v[(v.county_id == c) & (v.year == y)].reset_index(drop=True)
                for k, v in t.items()
            }
            parts.append(run(sub))
    for name in ("items", "school_items", "class_sizes", "vetoes"):
        separate = pd.concat([getattr(p, name) for p in parts], ignore_index=True)
        pd.testing.assert_frame_equal(getattr(together, name), separate, check_dtype=False)
    # and the cases differ as intended
    assert item(together, "B21", "A").status == "met"
    assert item(together, "B21", "B").status == "not_met"
    assert item(together, "B10", "B").status == "not_met"
    assert item(together, "B9", "A", 2024).status == "not_met"
    assert veto(together, "V2", "B").status == "triggered"
    assert item(together, "B13", "A", 2023).status == "met"
    assert item(together, "B13", "A", 2024).status == "not_met"
    assert item(together, "B14", "B").status == "not_met"
    assert item(together, "B12", "A").n_failing == 1
    assert item(together, "B32", "B").status == "not_met"
    assert veto(together, "V4", "B").status == "triggered"


def test_order_of_rows_does_not_matter():
    t = _multi_tables()
    shuffled = {k: v.sample(frac=1, random_state=3).reset_index(drop=True) for k, v in t.items()}
    a, b = run(t), run(shuffled)
    for name in ("items", "school_items", "class_sizes", "vetoes"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))


def test_extra_bookkeeping_columns_are_ignored():
    t = tables()
    plain = run(t)
    for k, v in t.items():
        t[k] = v.assign(source_file=f"{k}.csv", source_row=np.arange(len(v)) + 2)
    pd.testing.assert_frame_equal(run(t).items, plain.items)


def test_no_threshold_literals_in_the_package():
    """Thresholds are read from the registry: no module of the indicator package spells out a
    national number."""
    import ast
    from pathlib import Path

    import balance_lib.indicators as pkg

    relax = {2016, 73, 67, 30, 54, 61, 2010, 2400, 3000}  # relaxations, in indicators.yaml
    forbidden = {45, 50, 56, 66, 96, 90, 12, 2000, 2500, 6000, 0.85, 0.95, 0.15, 0.05, 0.10, 0.2,
                 4.2, 5.3, 7.5, 10.2, 0.45, 0.5}
    forbidden |= relax
    for path in sorted(Path(pkg.__file__).parent.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found = {
            n.value
            for n in ast.walk(tree)
            if isinstance(n, ast.Constant)
            and isinstance(n.value, (int, float))
            and not isinstance(n.value, bool)
            and n.value in forbidden
        }
        assert not found, (path.name, found)


def test_evaluate_takes_a_loaded_county_as_it_is():
    """``evaluate(load_county(...))`` is the same as passing its tables (notebooks/README)."""
    from balance_lib.io import load_county
    from balance_lib.paths import SAMPLE_DIR

    county = load_county(SAMPLE_DIR)
    a = evaluate(county, years=[2025])
    b = evaluate(county.tables, years=[2025])
    pd.testing.assert_frame_equal(a.items, b.items)
    assert a.verdict["status"].tolist() == ["does_not_meet"]
