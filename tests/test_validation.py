"""Validation rules (balance_lib.schemas): one test per rule, each checking where and what.

The valid 3-school county and its writers come from ``test_io.py``: row 2 is the 小学
(6523010001), row 3 the 九年一贯制 (6523010002), row 4 the 教学点 (6523010003, parent 6523010001).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_io import (
    NINE_YEAR,
    POINT,
    PRIMARY,
    _school,
    county_tables,
    merge_tables,
    write_county,
    write_workbook,
)

from balance_lib.columns import table_columns
from balance_lib.io import CountyData, DataError, load_county, read_county
from balance_lib.schemas import Problem, format_report, sort_problems, validate


def check(tmp_path: Path, tables: dict) -> list[Problem]:
    """Every problem of ``tables`` written as a CSV folder: reading plus validation."""
    data, parsed = read_county(write_county(tmp_path / "county", tables))
    return sort_problems([*parsed, *validate(data)])


def one(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, format_report(problems, "en")
    return problems[0]


def where(p: Problem) -> tuple:
    return p.file, p.row, p.school_id, p.year, p.column, p.code


def test_the_valid_county_has_no_problems(tmp_path):
    assert check(tmp_path, county_tables()) == []
    data, parsed = read_county(write_workbook(tmp_path / "c.xlsx"))
    assert parsed == [] and validate(data) == []


# ---- 1. required columns ----------------------------------------------------------------------


def test_missing_required_column_is_reported_once_per_file(tmp_path):
    tables = county_tables()
    for r in tables["schools"]:
        del r["teachers_primary"]
    for r in tables["classes"]:
        del r["students"]
    problems = check(tmp_path, tables)
    assert [where(p) for p in problems] == [
        ("classes.csv", None, None, None, "students", "missing_column"),
        ("schools.csv", None, None, None, "teachers_primary", "missing_column"),
    ]
    p = problems[1]
    assert "缺少必需列" in p.message_zh and "小学专任教师数" in p.message_zh
    assert "required column missing" in p.message_en and "primary teachers" in p.message_en
    assert p.format() == ("schools.csv 列 teachers_primary（小学专任教师数）: 缺少必需列（表头可写 "
                          "teachers_primary、小学专任教师数 或 primary teachers）")


def test_optional_columns_may_be_absent(tmp_path):
    tables = county_tables()
    optional = [c.name for c in table_columns("schools") if not c.required]
    for r in tables["schools"]:
        for c in optional:
            if c != "parent_school_id":
                r.pop(c, None)
    data = load_county(write_county(tmp_path / "c", tables))
    assert "area_type" not in data.schools
    assert data.schools["county_id"].tolist() == ["", "", ""]


# ---- 2. non-negative counts and amounts -------------------------------------------------------


def test_negative_count(tmp_path):
    tables = county_tables()
    tables["schools"][2]["teachers_primary"] = "-3"
    p = one(check(tmp_path, tables))
    assert where(p) == ("schools.csv", 4, POINT, 2024, "teachers_primary", "negative")
    assert p.message_zh == "负数 -3" and p.message_en == "negative value -3"
    assert p.format() == ("schools.csv 第 4 行 (学校 6523010003, 2024 年) 列 "
                          "teachers_primary（小学专任教师数）: 负数 -3")
    assert p.format("en") == ("schools.csv row 4 (school 6523010003, year 2024) column "
                              "teachers_primary (primary teachers): negative value -3")


def test_negative_amount(tmp_path):
    tables = county_tables()
    tables["schools"][0]["sports_ground_area_m2"] = "-1.5"
    p = one(check(tmp_path, tables))
    assert where(p) == ("schools.csv", 2, PRIMARY, 2024, "sports_ground_area_m2", "negative")
    assert "-1.5" in p.message_zh


# ---- 3. students where a level is taught -------------------------------------------------------


@pytest.mark.parametrize(("i", "column", "school"), [
    (0, "students_primary", PRIMARY),
    (1, "students_primary", NINE_YEAR),
    (1, "students_junior", NINE_YEAR),
    (2, "students_primary", POINT),
])
def test_no_students_in_a_level_the_school_teaches(tmp_path, i, column, school):
    tables = county_tables()
    tables["schools"][i][column] = "0"
    p = one(check(tmp_path, tables))
    assert where(p) == ("schools.csv", i + 2, school, 2024, column, "no_students")
    level = "小学" if column == "students_primary" else "初中"
    assert f"应有{level}在校生，实为 0" in p.message_zh
    assert "students, found 0" in p.message_en


def _special(**kw: str) -> dict:
    base = dict(school_id="6523010009", school_name="特殊教育学校", school_type="special",
                students_primary="0", students_junior="0", teaching_aux_area_m2="1500",
                indoor_sports_area_m2="100", sports_ground_area_m2="1000",
                equipment_value_10k_yuan="60", multimedia_classrooms="6")
    base.update(kw)
    return _school(**base)


def test_special_school_needs_students_in_some_level(tmp_path):
    tables = county_tables()
    tables["schools"].append(_special())
    p = one(check(tmp_path, tables))
    assert where(p) == ("schools.csv", 5, "6523010009", 2024, None, "no_students")
    assert "特殊教育学校各学段在校生合计为 0" in p.message_zh
    assert "no students in any level" in p.message_en

    tables = county_tables()
    tables["schools"].append(_special(students_junior="12"))
    assert check(tmp_path / "ok", tables) == []


# ---- 4. required values ----------------------------------------------------------------------


def test_required_value_empty_anywhere(tmp_path):
    tables = county_tables()
    tables["schools"][1]["school_name"] = ""
    tables["schools"][2]["teaching_aux_area_m2"] = ""
    problems = check(tmp_path, tables)
    assert [where(p) for p in problems] == [
        ("schools.csv", 3, NINE_YEAR, 2024, "school_name", "missing_value"),
        ("schools.csv", 4, POINT, 2024, "teaching_aux_area_m2", "missing_value"),
    ]
    assert problems[0].message_zh == "必填值为空"
    assert problems[0].message_en == "required value is empty"


def test_level_specific_value_required_only_where_the_level_is_taught(tmp_path):
    tables = county_tables()
    tables["schools"][1]["teachers_junior"] = ""       # 九年一贯制 teaches 初中
    tables["schools"][0]["teachers_junior"] = ""       # 小学: fine (already empty)
    tables["schools"][2]["backbone_teachers_junior"] = ""
    p = one(check(tmp_path, tables))
    assert where(p) == ("schools.csv", 3, NINE_YEAR, 2024, "teachers_junior", "missing_value")
    assert "nine_year（九年一贯制）" in p.message_zh and "初中学段" in p.message_zh
    assert "nine_year school teaches the junior level" in p.message_en


# ---- 5. known school_type and area_type --------------------------------------------------------


def test_unknown_school_type_and_area_type(tmp_path):
    tables = county_tables()
    tables["schools"][0]["school_type"] = "高中"
    tables["schools"][2]["area_type"] = "山区"
    problems = check(tmp_path, tables)
    assert [where(p) for p in problems] == [
        ("schools.csv", 2, PRIMARY, 2024, "school_type", "unknown_value"),
        ("schools.csv", 4, POINT, 2024, "area_type", "unknown_value"),
    ]
    assert "未知取值 “高中”" in problems[0].message_zh
    assert "special（特殊教育学校）" in problems[0].message_zh
    assert "unknown value '山区'; allowed: urban, town, rural" == problems[1].message_en


def test_empty_school_type_is_a_missing_value(tmp_path):
    tables = county_tables()
    tables["schools"][1]["school_type"] = ""
    p = one(check(tmp_path, tables))
    assert where(p) == ("schools.csv", 3, NINE_YEAR, 2024, "school_type", "missing_value")


# ---- 6. unique (county_id, school_id, year) --------------------------------------------------


def test_duplicate_school_rows_are_all_reported(tmp_path):
    tables = county_tables()
    tables["schools"].append(dict(tables["schools"][1]))
    tables["schools"].append(dict(tables["schools"][1]))
    problems = check(tmp_path, tables)
    assert [where(p) for p in problems] == [
        ("schools.csv", r, NINE_YEAR, 2024, "school_id", "duplicate_key") for r in (3, 5, 6)]
    assert problems[0].message_zh.endswith("与第 5、6 行相同")
    assert "学校代码" in problems[0].message_zh
    assert problems[1].message_en == (
        "duplicate record: (county_id, school_id, year) same as row(s) 3, 6")


def test_same_school_in_other_years_or_counties_is_not_a_duplicate(tmp_path):
    tables = merge_tables(county_tables(2023, "A"), county_tables(2024, "A"),
                          county_tables(2024, "B"))
    assert check(tmp_path, tables) == []


# ---- 7. teaching points and their parents ----------------------------------------------------


@pytest.mark.parametrize(("parent", "code", "zh", "en"), [
    ("", "missing_value", "教学点须填写所属中心校代码", "needs its parent school id"),
    ("6523019999", "unknown_parent", "所属中心校 6523019999 不在同一县区同一学年",
     "parent school 6523019999 is not in schools"),
    (POINT, "unknown_parent", "本身是教学点", "is itself a teaching point"),
])
def test_teaching_point_parent(tmp_path, parent, code, zh, en):
    tables = county_tables()
    tables["schools"][2]["parent_school_id"] = parent
    p = one(check(tmp_path, tables))
    assert where(p) == ("schools.csv", 4, POINT, 2024, "parent_school_id", code)
    assert zh in p.message_zh and en in p.message_en


def test_teaching_point_parent_must_be_in_the_same_county_and_year(tmp_path):
    a2023 = county_tables(2023, "A")
    a2024 = county_tables(2024, "A")
    b2024 = county_tables(2024, "B")
    del a2024["schools"][0]   # the parent exists in 2023 and in county B, not in A 2024
    for t in ("classes", "quality"):
        a2024[t] = [r for r in a2024[t] if r["school_id"] != PRIMARY]
    problems = check(tmp_path, merge_tables(a2023, a2024, b2024))
    p = one(problems)
    assert where(p) == ("schools.csv", 6, POINT, 2024, "parent_school_id", "unknown_parent")


def test_parent_of_other_schools_and_other_parents_are_fine(tmp_path):
    tables = county_tables()
    tables["schools"][1]["parent_school_id"] = "whatever"   # not a teaching point: ignored
    tables["schools"][2]["parent_school_id"] = NINE_YEAR
    assert check(tmp_path, tables) == []


def test_teaching_points_without_a_parent_column(tmp_path):
    tables = county_tables()
    for r in tables["schools"]:
        del r["parent_school_id"]
    p = one(check(tmp_path, tables))
    assert where(p) == ("schools.csv", None, None, None, "parent_school_id", "missing_column")
    assert "教学点" in p.message_zh and "teaching point" in p.message_en


# ---- 8. contradictions ----------------------------------------------------------------------


@pytest.mark.parametrize("column", [
    "qualified_teachers_primary", "backbone_teachers_primary", "pe_art_teachers_primary",
    "qualified_teachers_junior", "backbone_teachers_junior", "pe_art_teachers_junior",
])
def test_subset_of_teachers_above_the_teachers_of_the_level(tmp_path, column):
    tables = county_tables()
    level = column.rsplit("_", 1)[1]
    tables["schools"][1][column] = "31"
    p = one(check(tmp_path, tables))
    assert where(p) == ("schools.csv", 3, NINE_YEAR, 2024, column, "exceeds_teachers")
    limit = {"primary": 28, "junior": 26}[level]
    assert p.message_zh.startswith(f"31 大于 teachers_{level}（") and p.message_zh.endswith(
        f" {limit}")
    assert f"31 is more than teachers_{level} (" in p.message_en


def test_certified_teachers_above_all_teachers(tmp_path):
    tables = county_tables()
    tables["schools"][1]["certified_teachers"] = "55"
    tables["schools"][0]["certified_teachers"] = "41"   # 小学: teachers_junior empty counts 0
    problems = check(tmp_path, tables)
    assert [where(p) for p in problems] == [
        ("schools.csv", 2, PRIMARY, 2024, "certified_teachers", "exceeds_teachers"),
        ("schools.csv", 3, NINE_YEAR, 2024, "certified_teachers", "exceeds_teachers"),
    ]
    assert problems[1].message_zh == (
        "55 大于 teachers_primary（小学专任教师数） + teachers_junior（初中专任教师数） 之和 54")
    assert "the sum teachers_primary (primary teachers) + teachers_junior" in (
        problems[1].message_en)


def test_indoor_sports_area_above_teaching_area(tmp_path):
    tables = county_tables()
    tables["schools"][0]["indoor_sports_area_m2"] = "4000.5"
    p = one(check(tmp_path, tables))
    assert where(p) == ("schools.csv", 2, PRIMARY, 2024, "indoor_sports_area_m2", "exceeds_area")
    assert p.message_zh.startswith("4000.5 大于 teaching_aux_area_m2（教学及辅助用房面积） 4000")
    assert "part of the teaching and auxiliary area" in p.message_en


def test_room_area_without_rooms_is_fine(tmp_path):
    tables = county_tables()
    tables["schools"][2]["music_room_min_area_m2"] = "60"    # music_rooms = 0
    assert check(tmp_path, tables) == []


def test_a_negative_limit_is_reported_once(tmp_path):
    tables = county_tables()
    tables["schools"][0]["teachers_primary"] = "-40"
    p = one(check(tmp_path, tables))
    assert (p.column, p.code) == ("teachers_primary", "negative")


# ---- 9. the other tables ----------------------------------------------------------------------


def test_classes_of_unknown_schools(tmp_path):
    tables = county_tables()
    tables["classes"][1]["school_id"] = "6523019999"
    tables["classes"][2]["year"] = "2023"
    problems = check(tmp_path, tables)
    assert [where(p) for p in problems] == [
        ("classes.csv", 3, "6523019999", 2024, "school_id", "unknown_school"),
        ("classes.csv", 4, NINE_YEAR, 2023, "school_id", "unknown_school"),
    ]
    assert problems[1].message_zh == "学校 6523010002 不在 schools 表同一县区 2023 学年的学校中"
    assert "not in schools for the same county and year 2023" in problems[1].message_en


@pytest.mark.parametrize(("level", "grade", "zh"), [
    ("primary", "7", "小学年级应为 1–6，实为 7"),
    ("primary", "0", "小学年级应为 1–6，实为 0"),
    ("junior", "6", "初中年级应为 7–9，实为 6"),
    ("junior", "10", "初中年级应为 7–9，实为 10"),
])
def test_class_grade_matches_the_level(tmp_path, level, grade, zh):
    tables = county_tables()
    tables["classes"][2].update(level=level, grade=grade)
    p = one(check(tmp_path, tables))
    assert where(p) == ("classes.csv", 4, NINE_YEAR, 2024, "grade", "grade_out_of_range")
    assert p.message_zh == zh and "grades are" in p.message_en


def test_class_students_and_duplicate_classes(tmp_path):
    tables = county_tables()
    tables["classes"][0]["students"] = "-1"
    tables["classes"][1]["class_id"] = "0101"
    problems = check(tmp_path, tables)
    assert [where(p) for p in problems] == [
        ("classes.csv", 2, PRIMARY, 2024, "class_id", "duplicate_key"),
        ("classes.csv", 2, PRIMARY, 2024, "students", "negative"),
        ("classes.csv", 3, PRIMARY, 2024, "class_id", "duplicate_key"),
    ]
    assert problems[0].message_zh.endswith("与第 3 行相同")


def test_county_rows_unique_per_year(tmp_path):
    tables = county_tables()
    tables["county"].append(dict(tables["county"][0]))
    problems = check(tmp_path, tables)
    assert [where(p) for p in problems] == [
        ("county.csv", 2, None, 2024, "year", "duplicate_key"),
        ("county.csv", 3, None, 2024, "year", "duplicate_key"),
    ]


@pytest.mark.parametrize("text", ["120%", "150", "-0.1"])
def test_county_rates_within_0_and_1(tmp_path, text):
    tables = county_tables()
    tables["county"][0]["nearby_enrolment_rate_junior"] = text
    p = one(check(tmp_path, tables))
    assert where(p) == ("county.csv", 2, None, 2024, "nearby_enrolment_rate_junior",
                        "rate_out_of_range")
    assert "不在 0–1 之间" in p.message_zh and "outside 0–1" in p.message_en


@pytest.mark.parametrize(("numerator", "denominator"), [
    ("rotated_teachers", "rotation_eligible_teachers"),
    ("rotated_backbone_teachers", "rotated_teachers"),
    ("training_360h_completed", "training_360h_eligible"),
    ("migrant_children_public_or_purchased", "migrant_children_eligible"),
    ("disabled_children_enrolled", "disabled_children"),
])
def test_county_numerators_not_above_denominators(tmp_path, numerator, denominator):
    tables = county_tables()
    limit = tables["county"][0][denominator]
    tables["county"][0][numerator] = str(int(limit) + 1)
    p = one(check(tmp_path, tables))
    assert where(p) == ("county.csv", 2, None, 2024, numerator, "exceeds_total")
    assert p.message_zh.startswith(f"{int(limit) + 1} 大于 {denominator}（")
    assert p.message_zh.endswith(f"） {limit}")
    assert f"is more than {denominator} (" in p.message_en


@pytest.mark.parametrize(("item", "zh", "en"), [
    ("B99", "未知指标编号 “B99”，可选: B8, B9", "unknown item id 'B99'"),
    ("V4", "由 B32 计算得出", "computed from B32"),
    ("b8", "未知指标编号 “b8”", "allowed: B8, B9, B17"),
])
def test_judgement_items_are_known(tmp_path, item, zh, en):
    tables = county_tables()
    tables["judgements"][1]["item_id"] = item
    p = one(check(tmp_path, tables))
    assert where(p) == ("judgements.csv", 3, None, 2024, "item_id", "unknown_value")
    assert zh in p.message_zh and en in p.message_en


def test_survey_satisfied_not_above_respondents(tmp_path):
    tables = county_tables()
    tables["survey"][1]["satisfied"] = "51"
    p = one(check(tmp_path, tables))
    assert where(p) == ("survey.csv", 3, None, 2024, "satisfied", "exceeds_total")
    assert p.message_zh == "51 大于 respondents（有效问卷数） 50"


def test_quality_rows_name_a_known_school_and_a_share(tmp_path):
    tables = county_tables()
    tables["quality"][0]["school_id"] = "6523019999"
    tables["quality"][1]["share_level3_or_above"] = "150%"
    tables["quality"][1]["year"] = "2022"      # another year of a known school is fine
    problems = check(tmp_path, tables)
    assert [where(p) for p in problems] == [
        ("quality.csv", 2, "6523019999", 2024, "school_id", "unknown_school"),
        ("quality.csv", 3, NINE_YEAR, 2022, "share_level3_or_above", "rate_out_of_range"),
    ]
    assert problems[0].message_zh == "学校 6523019999 不在 schools 表同一县区的学校中"


def test_years_in_range(tmp_path):
    tables = county_tables()
    tables["judgements"][0]["year"] = "1999"
    tables["schools"][1]["year_built"] = "1700"
    problems = check(tmp_path, tables)
    assert [where(p) for p in problems] == [
        ("judgements.csv", 2, None, 1999, "year", "year_out_of_range"),
        ("schools.csv", 3, NINE_YEAR, 2024, "year_built", "year_out_of_range"),
    ]
    assert problems[0].message_zh == "年份 1999 不在 2000–2100 之间"


# ---- all problems at once, sorted, and the report ---------------------------------------------


def test_all_problems_of_all_files_at_once_sorted(tmp_path):
    tables = county_tables()
    tables["schools"][2]["parent_school_id"] = "x"
    tables["schools"][0]["teachers_primary"] = "-1"
    tables["classes"][3]["grade"] = "8"
    tables["survey"][0]["satisfied"] = "101"
    with pytest.raises(DataError) as err:
        load_county(write_county(tmp_path / "c", tables))
    assert [(p.file, p.row, p.column) for p in err.value.problems] == [
        ("classes.csv", 5, "grade"),
        ("schools.csv", 2, "teachers_primary"),
        ("schools.csv", 4, "parent_school_id"),
        ("survey.csv", 2, "satisfied"),
    ]
    lines = format_report(err.value.problems, "en").splitlines()
    assert lines[0] == "4 problems found in the data; fix and retry:"
    assert lines[1].startswith("classes.csv row 5 (school 6523010003, year 2024) column grade")
    assert format_report([]) == "数据检查未发现问题。"


def test_frames_built_in_memory_are_numbered_from_row_2():
    schools = pd.DataFrame({
        "year": [2024, 2024], "school_id": ["a", "a"], "school_name": ["甲", "乙"],
        "school_type": ["special", "special"], "students_primary": [1.0, 1.0],
        "students_junior": [0.0, 0.0], "teachers_primary": [1.0, 1.0],
        "teachers_junior": [0.0, 0.0], "qualified_teachers_primary": [1.0, 1.0],
        "qualified_teachers_junior": [0.0, 0.0], "backbone_teachers_primary": [0.0, 0.0],
        "backbone_teachers_junior": [0.0, 0.0], "pe_art_teachers_primary": [0.0, 0.0],
        "pe_art_teachers_junior": [0.0, 0.0], "teaching_aux_area_m2": [1.0, 1.0],
        "indoor_sports_area_m2": [0.0, 0.0], "sports_ground_area_m2": [1.0, 1.0],
        "equipment_value_10k_yuan": [1.0, 1.0], "multimedia_classrooms": [1.0, 1.0],
    })
    data = CountyData(Path("mem"), {"schools": schools}, {"schools": "schools.csv"})
    assert [(p.row, p.code) for p in validate(data)] == [(2, "duplicate_key"),
                                                        (3, "duplicate_key")]


# ---- scale ------------------------------------------------------------------------------------


def _big_schools(n_groups: int = 400, per_group: int = 600) -> pd.DataFrame:
    """``n_groups`` (county, year) groups of ``per_group`` schools: 400 primary, 100 junior,
    50 nine-year, 40 teaching points (parents: the first 40 primary schools), 10 special."""
    n = n_groups * per_group
    k = np.tile(np.arange(per_group), n_groups)
    g = np.repeat(np.arange(n_groups), per_group)
    types = np.select([k < 400, k < 500, k < 550, k < 590],
                      ["primary", "junior", "nine_year", "teaching_point"], "special")
    types = types.astype(object)
    has_p = np.isin(types, ["primary", "nine_year", "teaching_point", "special"])
    has_j = np.isin(types, ["junior", "nine_year"])
    ids = pd.Series(k).astype(str).str.zfill(6)
    frame = {
        "year": 2022 + g % 4, "county_id": pd.Series(g // 4).astype(str).to_numpy(object),
        "school_id": ids.to_numpy(object), "school_name": np.full(n, "学校", dtype=object),
        "school_type": types,
        "parent_school_id": np.where(types == "teaching_point",
                                     pd.Series(k % 40).astype(str).str.zfill(6), ""),
        "area_type": np.where(k % 3 == 0, "urban", "rural").astype(object),
        "is_private": pd.array(np.zeros(n, dtype=bool), dtype="boolean"),
    }
    rng = np.random.default_rng(0)
    for level, has in (("primary", has_p), ("junior", has_j)):
        students = np.where(has, rng.integers(20, 2000, n), 0).astype(float)
        teachers = np.where(has, np.ceil(students / 15), np.nan)
        frame[f"students_{level}"] = students
        frame[f"classes_{level}"] = np.where(has, np.ceil(students / 45), np.nan)
        frame[f"teachers_{level}"] = teachers
        for kind, share in (("qualified", 0.9), ("backbone", 0.1), ("pe_art", 0.15)):
            frame[f"{kind}_teachers_{level}"] = np.floor(teachers * share)
    frame["students_senior"] = np.zeros(n)
    frame["certified_teachers"] = np.nansum(
        [frame["teachers_primary"], frame["teachers_junior"]], axis=0)
    frame["teaching_aux_area_m2"] = rng.uniform(500, 9000, n)
    frame["indoor_sports_area_m2"] = frame["teaching_aux_area_m2"] * 0.1
    for c in ("sports_ground_area_m2", "equipment_value_10k_yuan", "public_funding_yuan"):
        frame[c] = rng.uniform(10, 10000, n)
    frame["multimedia_classrooms"] = rng.integers(1, 40, n).astype(float)
    return pd.DataFrame(frame)


def test_validate_240000_school_rows():
    schools = _big_schools()
    assert len(schools) == 240_000
    data = CountyData(Path("mem"), {"schools": schools}, {"schools": "schools.csv"})
    assert validate(data) == []

    schools.loc[10, "teachers_primary"] = -1.0
    schools.loc[1001, "school_id"] = schools.loc[1000, "school_id"]
    schools.loc[555, "parent_school_id"] = "nowhere"
    schools.loc[200_000, "students_junior"] = 0.0
    got = [(p.row, p.column, p.code) for p in validate(data)]
    assert got == [
        (12, "teachers_primary", "negative"),
        (557, "parent_school_id", "unknown_parent"),
        (1002, "school_id", "duplicate_key"),
        (1003, "school_id", "duplicate_key"),
    ] + ([(200_002, "students_junior", "no_students")]
         if schools.loc[200_000, "school_type"] in ("junior", "nine_year") else [])
