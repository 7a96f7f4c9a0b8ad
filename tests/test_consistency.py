"""Cross-table and year-to-year checks: a consistent hand-made county has no warning, and each
hand-made inconsistency gives exactly its warning, located by file, row, school, year, column."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from balance_lib.cli import app
from balance_lib.consistency import BOUNDS, cross_checks, format_warnings, warning_summary
from balance_lib.io import load_county, read_county

YEARS = (2022, 2023, 2024, 2025)
A, B, P, S = "9000000001", "9000000002", "9000000003", "9000000004"


def _school(year, sid, name, stype, parent="", **v):
    row = {"year": year, "school_id": sid, "school_name": name, "school_type": stype,
           "parent_school_id": parent, "area_type": "rural", "students_primary": 0,
           "students_junior": 0, "classes_primary": 0, "classes_junior": 0,
           "teachers_primary": 0, "teachers_junior": 0, "qualified_teachers_primary": 0,
           "qualified_teachers_junior": 0, "backbone_teachers_primary": 0,
           "backbone_teachers_junior": 0, "pe_art_teachers_primary": 0,
           "pe_art_teachers_junior": 0, "teaching_aux_area_m2": 600.0,
           "indoor_sports_area_m2": 0.0, "sports_ground_area_m2": 1000.0,
           "equipment_value_10k_yuan": 30.0, "multimedia_classrooms": 7}
    row.update(v)
    return row


def tables() -> dict[str, pd.DataFrame]:
    """A consistent county: 小学 A (six classes of 20), 初中 B (three of 50), teaching point P of
    A (two classes of 10) and special school S, 2022–2025; county figures that agree."""
    schools, classes = [], []
    for y in YEARS:
        schools += [
            _school(y, A, "甲小学", "primary", students_primary=120, classes_primary=6,
                    teachers_primary=10, qualified_teachers_primary=10,
                    backbone_teachers_primary=2, pe_art_teachers_primary=2),
            _school(y, B, "乙中学", "junior", students_junior=150, classes_junior=3,
                    teachers_junior=9, qualified_teachers_junior=9, backbone_teachers_junior=1,
                    pe_art_teachers_junior=1),
            _school(y, P, "丙教学点", "teaching_point", A, students_primary=20,
                    classes_primary=2, teachers_primary=2, qualified_teachers_primary=2,
                    teaching_aux_area_m2=150.0, sports_ground_area_m2=300.0,
                    equipment_value_10k_yuan=3.0, multimedia_classrooms=2),
            _school(y, S, "特教学校", "special", students_primary=8, students_junior=4,
                    classes_primary=1, classes_junior=1, teachers_primary=4, teachers_junior=2,
                    qualified_teachers_primary=4, qualified_teachers_junior=2,
                    multimedia_classrooms=2),
        ]
        classes += [(y, A, "primary", g, f"{A}-{g}", 20) for g in range(1, 7)]
        classes += [(y, B, "junior", g, f"{B}-{g}", 50) for g in range(7, 10)]
        classes += [(y, P, "primary", g, f"{P}-{g}", 10) for g in (1, 2)]
        classes += [(y, S, "primary", 1, f"{S}-1", 8), (y, S, "junior", 7, f"{S}-7", 4)]
    county = pd.DataFrame({"year": YEARS, "junior_cohort_start": 54,  # grade 7 in Y − 3
                           "junior_cohort_graduated": 50,  # grade 9 in Y − 1
                           "training_360h_eligible": 25, "training_360h_completed": 25,
                           "rotation_eligible_teachers": 10, "disabled_children": 16,
                           "disabled_children_enrolled": 15})
    return {"schools": pd.DataFrame(schools),
            "classes": pd.DataFrame(classes, columns=["year", "school_id", "level", "grade",
                                                      "class_id", "students"]),
            "county": county}


def write(folder: Path, t: dict[str, pd.DataFrame]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in t.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def row_of(t: dict[str, pd.DataFrame], table: str, year: int, sid: str | None = None) -> int:
    """Spreadsheet row (header = 1) of a school's or the county's row."""
    f = t[table]
    hit = (f.year == year) & ((f.school_id == sid) if sid else True)
    return int(f.index[hit][0]) + 2


def warnings_of(tmp_path: Path, t: dict[str, pd.DataFrame]):
    data = load_county(write(tmp_path / "county", t))  # still valid data: these are warnings
    return [(w.file, w.row, w.school_id, w.year, w.column, w.code) for w in cross_checks(data)]


def edit(t, table, year, sid, **values):
    f = t[table]
    hit = (f.year == year) & ((f.school_id == sid) if sid else True)
    for k, v in values.items():
        f.loc[hit, k] = v
    return t


def test_a_consistent_county_has_no_warning(tmp_path):
    assert warnings_of(tmp_path, tables()) == []


# ---- schools ↔ classes -----------------------------------------------------------------------


def test_pupils_differ_from_the_sum_of_the_classes(tmp_path):
    t = tables()
    c = t["classes"]
    c.loc[(c.year == 2024) & (c.class_id == f"{A}-3"), "students"] = 23
    got = warnings_of(tmp_path, t)
    assert got == [("schools.csv", row_of(t, "schools", 2024, A), A, 2024, "students_primary",
                    "students_vs_classes")]
    w = cross_checks(load_county(tmp_path / "county"))[0]
    assert "123" in w.message_zh and "-3" in w.message_zh


def test_a_missing_class_changes_both_pupils_and_classes(tmp_path):
    t = tables()
    c = t["classes"]
    t["classes"] = c[~((c.year == 2023) & (c.class_id == f"{B}-8"))]
    got = warnings_of(tmp_path, t)
    r = row_of(t, "schools", 2023, B)
    assert got == [("schools.csv", r, B, 2023, "classes_junior", "classes_vs_class_rows"),
                   ("schools.csv", r, B, 2023, "students_junior", "students_vs_classes")]


def test_a_class_count_that_disagrees(tmp_path):
    t = edit(tables(), "schools", 2025, A, classes_primary=7)
    assert warnings_of(tmp_path, t) == [
        ("schools.csv", row_of(t, "schools", 2025, A), A, 2025, "classes_primary",
         "classes_vs_class_rows")]


def test_a_school_without_class_rows_in_a_year_classes_covers(tmp_path):
    t = tables()
    c = t["classes"]
    t["classes"] = c[~((c.year == 2025) & (c.school_id == P))]
    got = warnings_of(tmp_path, t)
    r = row_of(t, "schools", 2025, P)
    assert got == [("schools.csv", r, P, 2025, "classes_primary", "classes_vs_class_rows"),
                   ("schools.csv", r, P, 2025, "students_primary", "students_vs_classes")]
    w = [x for x in cross_checks(load_county(tmp_path / "county"))
         if x.code == "students_vs_classes"][0]
    assert "没有该校小学的班级" in w.message_zh


def test_years_without_any_class_rows_are_not_compared(tmp_path):
    t = tables()
    t["classes"] = t["classes"][t["classes"].year >= 2024]  # classes only for 2024–2025
    t["county"] = t["county"].assign(junior_cohort_start=[54, 54, 54, 99])
    # the 2025 cohort entered grade 7 in 2022, which classes.csv does not cover
    assert warnings_of(tmp_path, t) == []


# ---- county ↔ classes and schools ------------------------------------------------------------


@pytest.mark.parametrize(("value", "warned"), [(54, False), (55, False), (56, True), (52, True)])
def test_the_junior_cohort_is_grade_7_three_years_earlier(tmp_path, value, warned):
    # grade 7 in 2022: 50 (乙中学) + 4 (特教学校) = 54; ±2 % allowed
    t = edit(tables(), "county", 2025, None, junior_cohort_start=value)
    expected = [("county.csv", row_of(t, "county", 2025), None, 2025, "junior_cohort_start",
                 "cohort_vs_grade7")] if warned else []
    assert warnings_of(tmp_path, t) == expected


@pytest.mark.parametrize(("value", "warned"), [(49, False), (51, False), (48, True)])
def test_graduates_are_grade_9_of_the_year_before(tmp_path, value, warned):
    t = edit(tables(), "county", 2024, None, junior_cohort_graduated=value)  # 2023 grade 9: 50
    if not warned:
        assert warnings_of(tmp_path, t) == []
        return
    assert warnings_of(tmp_path, t) == [
        ("county.csv", row_of(t, "county", 2024), None, 2024, "junior_cohort_graduated",
         "graduates_vs_grade9")]
    w = cross_checks(load_county(tmp_path / "county"))[0]
    assert "2023 学年" in w.message_zh and "-4.0%" in w.message_zh


def test_county_totals_need_every_junior_school_in_classes(tmp_path):
    t = edit(tables(), "county", 2025, None, junior_cohort_start=99)
    c = t["classes"]
    t["classes"] = c[~((c.year == 2022) & (c.school_id == B))]  # 2022 grade 7 incomplete
    got = warnings_of(tmp_path, t)
    assert [g[-1] for g in got] == ["classes_vs_class_rows", "students_vs_classes"]


@pytest.mark.parametrize(("eligible", "warned"), [(25, False), (19, False), (18, True),
                                                   (27, False), (28, True)])
def test_360_hour_training_counts_most_teachers(tmp_path, eligible, warned):
    t = edit(tables(), "county", 2023, None, training_360h_eligible=eligible,
             training_360h_completed=min(eligible, 25))
    # teachers in 2023: 10 + 9 + 2 + 6 = 27; 70 %–100 % of them (18.9–27)
    expected = [("county.csv", row_of(t, "county", 2023), None, 2023, "training_360h_eligible",
                 "training_vs_teachers")] if warned else []
    assert warnings_of(tmp_path, t) == expected


def test_rotation_and_disabled_children_against_the_schools(tmp_path):
    t = edit(tables(), "county", 2022, None, rotation_eligible_teachers=28,
             disabled_children_enrolled=11)  # 27 teachers; 12 pupils in the special school
    r = row_of(t, "county", 2022)
    assert warnings_of(tmp_path, t) == [
        ("county.csv", r, None, 2022, "disabled_children_enrolled", "disabled_vs_special"),
        ("county.csv", r, None, 2022, "rotation_eligible_teachers", "rotation_vs_teachers")]


# ---- teachers and pupils ---------------------------------------------------------------------


@pytest.mark.parametrize(("teachers", "warned"), [(4, False), (3, True), (40, True), (0, True)])
def test_implausible_pupils_per_teacher(tmp_path, teachers, warned):
    t = edit(tables(), "schools", 2022, A, teachers_primary=teachers,
             qualified_teachers_primary=min(teachers, 10),
             backbone_teachers_primary=min(teachers, 2), pe_art_teachers_primary=min(teachers, 2))
    # 120 pupils: 30 per teacher with 4, 40 with 3 (above 35), 3 with 40 (at the bound: 3.0)
    got = [g for g in warnings_of(tmp_path, t) if g[-1] == "pupils_per_teacher"]
    if teachers == 40:  # exactly 3 pupils per teacher is allowed; 41 teachers would not be
        assert got == []
        return
    expected = [("schools.csv", row_of(t, "schools", 2022, A), A, 2022, "teachers_primary",
                 "pupils_per_teacher")] if warned else []
    assert got == expected


def test_small_levels_are_not_held_to_the_ratio(tmp_path):
    t = edit(tables(), "schools", 2024, P, teachers_primary=8, qualified_teachers_primary=8)
    # 20 pupils / 8 teachers = 2.5, below 3, but the level has fewer than 30 pupils
    assert BOUNDS.pupils_per_teacher_min == 30
    assert [g for g in warnings_of(tmp_path, t) if g[-1] == "pupils_per_teacher"] == []


def test_teachers_of_a_level_without_pupils(tmp_path):
    t = edit(tables(), "schools", 2023, A, teachers_junior=3)
    assert warnings_of(tmp_path, t) == [
        ("schools.csv", row_of(t, "schools", 2023, A), A, 2023, "teachers_junior",
         "teachers_no_students")]


# ---- year to year ----------------------------------------------------------------------------


def no_classes() -> dict[str, pd.DataFrame]:
    t = tables()
    del t["classes"]
    return t


@pytest.mark.parametrize(("pupils", "warned"), [(156, False), (157, True), (83, True),
                                                (84, False)])
def test_pupils_change_by_more_than_30_percent(tmp_path, pupils, warned):
    t = edit(no_classes(), "schools", 2024, A, students_primary=pupils)
    # 2024 against 2023 (120): ±30 % is 84–156 (2025, back at 120, is compared with 2024)
    got = [g for g in warnings_of(tmp_path, t) if g[-1] == "students_change" and g[3] == 2024]
    assert got == ([("schools.csv", row_of(t, "schools", 2024, A), A, 2024, "students_primary",
                     "students_change")] if warned else [])


def test_small_changes_in_pupils_are_not_reported(tmp_path):
    t = edit(no_classes(), "schools", 2023, P, students_primary=35)  # +75 % but +15 pupils
    assert [g for g in warnings_of(tmp_path, t) if g[-1] == "students_change"] == []


@pytest.mark.parametrize(("column", "code", "value", "warned"), [
    ("teaching_aux_area_m2", "area_fall", 300.0, True),
    ("teaching_aux_area_m2", "area_fall", 571.0, False),  # −4.8 %
    ("sports_ground_area_m2", "area_fall", 940.0, True),  # −6 %
    ("equipment_value_10k_yuan", "equipment_fall", 25.0, True),
    ("multimedia_classrooms", "rooms_fall", 6, True),
    ("teaching_aux_area_m2", "area_fall", 900.0, False),  # growing is fine
])
def test_areas_equipment_and_rooms_do_not_fall(tmp_path, column, code, value, warned):
    t = tables()
    f = t["schools"]
    f.loc[(f.school_id == A) & (f.year >= 2024), column] = value  # from 2024 on
    expected = [("schools.csv", row_of(t, "schools", 2024, A), A, 2024, column, code)]
    assert warnings_of(tmp_path, t) == (expected if warned else [])


def test_teachers_doubling_or_halving(tmp_path):
    t = tables()
    t = edit(t, "schools", 2025, B, teachers_junior=19, qualified_teachers_junior=19)
    t = edit(t, "schools", 2025, P, teachers_primary=5, qualified_teachers_primary=5)  # +3 only
    t = edit(t, "schools", 2023, A, teachers_primary=4, qualified_teachers_primary=4)
    got = [g for g in warnings_of(tmp_path, t) if g[-1] == "teachers_change"]
    assert got == [
        ("schools.csv", row_of(t, "schools", 2023, A), A, 2023, "teachers_primary",
         "teachers_change"),
        ("schools.csv", row_of(t, "schools", 2024, A), A, 2024, "teachers_primary",
         "teachers_change"),  # back from 4 to 10
        ("schools.csv", row_of(t, "schools", 2025, B), B, 2025, "teachers_junior",
         "teachers_change")]


@pytest.mark.parametrize("gap", [False, True])
def test_year_to_year_needs_consecutive_years(tmp_path, gap):
    t = no_classes()
    t = edit(t, "schools", 2024, A, teaching_aux_area_m2=100.0)
    if gap:  # 2022 → 2024: not compared; 2025 grows from 2024
        t["schools"] = t["schools"][t["schools"].year != 2023]
        t["county"] = t["county"][t["county"].year != 2023]
    got = [g for g in warnings_of(tmp_path, t) if g[-1] == "area_fall"]
    assert got == ([] if gap else [("schools.csv", row_of(t, "schools", 2024, A), A, 2024,
                                    "teaching_aux_area_m2", "area_fall")])


def test_school_type_changing(tmp_path):
    t = edit(no_classes(), "schools", 2025, A, school_type="nine_year", students_junior=30,
             teachers_junior=3, qualified_teachers_junior=3, backbone_teachers_junior=1,
             pe_art_teachers_junior=1)
    got = [g for g in warnings_of(tmp_path, t) if g[-1] == "type_changed"]
    assert got == [("schools.csv", row_of(t, "schools", 2025, A), A, 2025, "school_type",
                    "type_changed")]


# ---- teaching points -------------------------------------------------------------------------


def test_teaching_point_under_a_school_without_primary_grades(tmp_path):
    t = edit(tables(), "schools", 2024, P, parent_school_id=B)
    assert warnings_of(tmp_path, t) == [
        ("schools.csv", row_of(t, "schools", 2024, P), P, 2024, "parent_school_id",
         "point_parent")]


def test_teaching_point_with_junior_pupils_or_too_many_rooms(tmp_path):
    t = edit(no_classes(), "schools", 2022, P, students_junior=5)
    t = edit(t, "schools", 2023, P, multimedia_classrooms=4)  # 2 classes + 1 = 3
    r22, r23, r24 = (row_of(t, "schools", y, P) for y in (2022, 2023, 2024))
    got = warnings_of(tmp_path, t)
    assert ("schools.csv", r22, P, 2022, "students_junior", "point_junior") in got
    assert ("schools.csv", r23, P, 2023, "multimedia_classrooms", "point_rooms") in got
    # and 2024 falls back from 4 rooms to 2
    assert ("schools.csv", r24, P, 2024, "multimedia_classrooms", "rooms_fall") in got


def test_teaching_point_larger_than_its_parent(tmp_path):
    t = edit(no_classes(), "schools", 2025, P, students_primary=121)
    got = [g for g in warnings_of(tmp_path, t) if g[-1] == "point_above_parent"]
    assert got == [("schools.csv", row_of(t, "schools", 2025, P), P, 2025, "students_primary",
                    "point_above_parent")]


# ---- output ----------------------------------------------------------------------------------


runner = CliRunner()


def test_validate_lists_warnings_and_strict_makes_them_problems(tmp_path):
    t = edit(tables(), "schools", 2025, A, classes_primary=7)
    folder = write(tmp_path / "c", t)
    res = runner.invoke(app, ["validate", str(folder)])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0].startswith("数据检查通过")
    assert lines[1] == "跨表与跨年检查有 1 条警告（--strict 时视为问题）："
    assert lines[2].startswith(f"schools.csv 第 {row_of(t, 'schools', 2025, A)} 行 "
                               f"(学校 {A}, 2025 年) 列 classes_primary（小学班级数）: ")
    res = runner.invoke(app, ["validate", str(folder), "--strict"])
    assert res.exit_code == 2
    assert "数据有 1 个问题" in res.output and "classes_primary" in res.output
    assert "Traceback" not in res.output
    clean = write(tmp_path / "ok", tables())
    assert runner.invoke(app, ["validate", str(clean), "--strict"]).exit_code == 0


def test_validate_lists_problems_and_warnings_together(tmp_path):
    t = edit(tables(), "schools", 2025, A, classes_primary=7)
    t["schools"].loc[0, "equipment_value_10k_yuan"] = -1
    res = runner.invoke(app, ["validate", str(write(tmp_path / "c", t)), "--lang", "en"])
    assert res.exit_code == 2
    assert "negative value -1" in res.output
    assert "1 cross-table / year-to-year warning (problems with --strict):" in res.output


def test_evaluate_prints_a_one_line_summary_on_stderr(tmp_path):
    t = edit(tables(), "schools", 2025, A, classes_primary=7)
    t = edit(t, "county", 2025, None, junior_cohort_start=50)
    res = runner.invoke(app, ["evaluate", str(write(tmp_path / "c", t)), "--year", "2025",
                                  "--format", "json"])
    assert res.exit_code == 0
    err = res.stderr
    summary = [line for line in err.splitlines() if line.startswith("数据检查")]
    assert summary == ["数据检查: 跨表与跨年检查有 2 条警告（classes_vs_class_rows 1, "
                       "cohort_vs_grade7 1）；运行 balance validate 查看明细"]
    import json
    assert json.loads(res.stdout)["year"] == 2025  # stdout stays clean JSON


def test_format_and_summary_words(tmp_path):
    t = edit(tables(), "schools", 2025, A, classes_primary=7)
    w = cross_checks(read_county(write(tmp_path / "c", t))[0])
    assert warning_summary([]) == ""
    assert format_warnings(w, "en", strict_hint=False).splitlines()[0] == (
        "1 cross-table / year-to-year warning:")
    assert warning_summary(w, "en") == ("Data check: 1 cross-table / year-to-year warning "
                                        "(classes_vs_class_rows 1); run balance validate for "
                                        "details")


# ---- hostile data: the checks never crash, whatever the tables hold ------------------------------


def _corruptions():
    def drop(table, col):
        return lambda t: t.__setitem__(table, t[table].drop(columns=col))

    def cell(table, row, col, value):
        def f(t):
            t[table][col] = t[table][col].astype(object)
            t[table].loc[row, col] = value
        return f

    return {
        "no classes_primary": drop("schools", "classes_primary"),
        "no grade column": drop("classes", "grade"),
        "no teachers_junior": drop("schools", "teachers_junior"),
        "unreadable year in classes": cell("classes", 3, "year", "twenty"),
        "unreadable year in schools": cell("schools", 0, "year", "x"),
        "unknown school type": cell("schools", 2, "school_type", "学堂"),
        "unknown level": cell("classes", 0, "level", "senior"),
        "text in a count": cell("schools", 5, "students_primary", "many"),
        "text in the county": cell("county", 1, "junior_cohort_start", "?"),
        "duplicate school row": lambda t: t.__setitem__(
            "schools", pd.concat([t["schools"], t["schools"].iloc[[0]]], ignore_index=True)),
        "empty classes": lambda t: t.__setitem__("classes", t["classes"].iloc[:0]),
        "empty county": lambda t: t.__setitem__("county", t["county"].iloc[:0]),
        "parent unknown": cell("schools", 2, "parent_school_id", "9999"),
        "negative pupils": cell("schools", 1, "students_junior", -150),
    }


@pytest.mark.parametrize("name", sorted(_corruptions()))
def test_hostile_tables_give_located_problems_never_a_traceback(tmp_path, name):
    t = tables()
    _corruptions()[name](t)
    folder = write(tmp_path / "c", t)
    data, _ = read_county(folder)
    cross_checks(data)  # must not raise
    res = runner.invoke(app, ["validate", str(folder), "--strict"])
    assert res.exit_code in (0, 2), res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output


def test_data_readme_documents_every_check_with_its_bounds():
    import re

    from balance_lib import consistency
    from balance_lib.paths import DATA_DIR

    text = (DATA_DIR / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Cross-table and year-to-year checks"):]
    codes = set(re.findall(r"^``(\w+)``\s{2,}", consistency.__doc__, flags=re.M))
    assert len(codes) == 19
    assert codes <= set(re.findall(r"`(\w+)`", section))
    b = BOUNDS
    for words in (f"by more than {b.cohort_tolerance:.0%}".replace("%", " %"),
                  f"by more than {b.graduates_tolerance:.0%}".replace("%", " %"),
                  f"not {b.training_share[0]:.0%}–{b.training_share[1]:.0%}".replace("%", " %"),
                  f"outside {b.pupils_per_teacher[0]:g}–{b.pupils_per_teacher[1]:g}",
                  f"≥ {b.pupils_per_teacher_min} pupils",
                  f"±{b.students_change:.0%} and at least {b.students_change_min}".replace(
                      "%", " %"),
                  f"more than {b.facility_fall:.0%}".replace("%", " %"),
                  f"by at least {b.teachers_change_min}"):
        assert words in section, words


@pytest.mark.parametrize("command", ["report", "ledger", "scenario"])
def test_other_commands_print_the_summary_too(tmp_path, monkeypatch, command):
    from balance_lib import render

    def fake_batch(plan, out, **kw):
        return render.BatchResult([], 0.0, kw["lang"], render.index_name(kw["lang"]))

    monkeypatch.setattr(render, "render_batch", fake_batch)
    t = edit(tables(), "schools", 2025, A, classes_primary=7)
    folder = write(tmp_path / "c", t)
    extra = {"report": ["--out", str(tmp_path / "out"), "--schools", "none"],
             "ledger": ["--output", str(tmp_path / "l.xlsx")], "scenario": ["--to", "2026"]}
    res = runner.invoke(app, [command, str(folder), *extra[command]])
    assert res.exit_code == 0, res.output
    assert "数据检查: 跨表与跨年检查有 1 条警告（classes_vs_class_rows 1）" in res.stderr


def test_previous_year_rows_by_hand():
    """Each row's own row of the year before, on integer codes: the same school in the same
    county one year earlier; none when that key repeats in the earlier year, when the year is
    unreadable or the school id empty; a frame with no usable row gives -1 everywhere."""
    from balance_lib.consistency import _previous
    from balance_lib.schemas import _Table

    frame = pd.DataFrame({
        "county_id": ["A", "A", "B", "A", "A", "A", "A", "B"],
        "school_id": ["1", "1", "1", "2", "2", "2", "", "1"],
        "year": pd.array([2023, 2024, 2024, 2023, 2023, 2024, 2024, 2025], dtype="Int64"),
    })
    got = _previous(_Table("schools", frame, "schools.csv"))
    # row 1 (A/1/2024) ← row 0; row 2 (B/1/2024): no B/1 in 2023; row 5 (A/2/2024): A/2/2023
    # appears twice (rows 3, 4), so none; row 6: empty id; row 7 (B/1/2025) ← row 2
    assert got.tolist() == [-1, 0, -1, -1, -1, -1, -1, 2]
    empty = frame.assign(school_id="")
    assert _previous(_Table("schools", empty, "schools.csv")).tolist() == [-1] * len(frame)
