"""Reading county folders and workbooks (balance_lib.io).

The helpers at the top build a small valid county in code (a 小学, a 九年一贯制 and a 教学点
whose parent is the 小学) and write it as CSV or xlsx; tests break one cell at a time.
``tests/test_validation.py`` imports them.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

from balance_lib.columns import VALUE_LABELS, column_spec, table_columns
from balance_lib.io import CountyData, DataError, load_county, load_county_excluding, read_county
from balance_lib.schemas import format_report

# ---------------------------------------------------------------------------------------------
# A valid county, as the text a person would type
# ---------------------------------------------------------------------------------------------

_SCHOOL_BASE = {
    "year": "2024", "school_name": "", "school_type": "", "parent_school_id": "",
    "area_type": "urban", "is_private": "false", "is_boarding": "false", "year_built": "1998",
    "students_primary": "0", "students_junior": "0", "students_senior": "0",
    "classes_primary": "", "classes_junior": "",
    "teachers_primary": "", "teachers_junior": "",
    "qualified_teachers_primary": "", "qualified_teachers_junior": "",
    "backbone_teachers_primary": "", "backbone_teachers_junior": "",
    "pe_art_teachers_primary": "", "pe_art_teachers_junior": "",
    "certified_teachers": "", "teaching_aux_area_m2": "", "indoor_sports_area_m2": "",
    "sports_ground_area_m2": "", "equipment_value_10k_yuan": "", "multimedia_classrooms": "",
    "music_rooms": "2", "music_room_min_area_m2": "80", "art_rooms": "2",
    "art_room_min_area_m2": "80", "public_funding_yuan": "480000",
    "teacher_training_funding_yuan": "24000", "has_charter": "true",
    "has_info_management": "true",
}

PRIMARY, NINE_YEAR, POINT = "6523010001", "6523010002", "6523010003"


def _school(**kw: str) -> dict[str, str]:
    row = dict(_SCHOOL_BASE)
    row.update(kw)
    return row


def county_tables(year: int = 2024, county_id: str | None = None) -> dict[str, list[dict]]:
    """The six tables of a valid 3-school county, as rows of text keyed by canonical name."""
    y = str(year)
    schools = [
        _school(year=y, school_id=PRIMARY, school_name="第一小学", school_type="primary",
                students_primary="600", classes_primary="12", teachers_primary="40",
                qualified_teachers_primary="38", backbone_teachers_primary="6",
                pe_art_teachers_primary="8", certified_teachers="40",
                teaching_aux_area_m2="4000", indoor_sports_area_m2="300",
                sports_ground_area_m2="6000", equipment_value_10k_yuan="150.5",
                multimedia_classrooms="14"),
        _school(year=y, school_id=NINE_YEAR, school_name="第二学校", school_type="nine_year",
                area_type="town", is_boarding="true", students_primary="400",
                students_junior="300", classes_primary="10", classes_junior="8",
                teachers_primary="28", teachers_junior="26", qualified_teachers_primary="27",
                qualified_teachers_junior="25", backbone_teachers_primary="4",
                backbone_teachers_junior="4", pe_art_teachers_primary="5",
                pe_art_teachers_junior="5", certified_teachers="54",
                teaching_aux_area_m2="6000", indoor_sports_area_m2="500",
                sports_ground_area_m2="8000", equipment_value_10k_yuan="220",
                multimedia_classrooms="20"),
        _school(year=y, school_id=POINT, school_name="某村教学点", school_type="teaching_point",
                parent_school_id=PRIMARY, area_type="rural", year_built="1975",
                students_primary="30", classes_primary="3", teachers_primary="4",
                qualified_teachers_primary="4", backbone_teachers_primary="0",
                pe_art_teachers_primary="1", certified_teachers="4",
                teaching_aux_area_m2="300", indoor_sports_area_m2="0",
                sports_ground_area_m2="800", equipment_value_10k_yuan="8",
                multimedia_classrooms="3", music_rooms="0", music_room_min_area_m2="",
                art_rooms="0", art_room_min_area_m2=""),
    ]
    classes = [
        {"year": y, "school_id": PRIMARY, "level": "primary", "grade": "1", "class_id": "0101",
         "students": "45"},
        {"year": y, "school_id": PRIMARY, "level": "primary", "grade": "2", "class_id": "0201",
         "students": "44"},
        {"year": y, "school_id": NINE_YEAR, "level": "junior", "grade": "7", "class_id": "0701",
         "students": "50"},
        {"year": y, "school_id": POINT, "level": "primary", "grade": "1", "class_id": "0101",
         "students": "10"},
    ]
    county = [{
        "year": y, "resident_population": "300000", "teacher_avg_salary_yuan": "110000",
        "civil_servant_avg_salary_yuan": "105000", "training_360h_completed": "200",
        "training_360h_eligible": "210", "rotation_eligible_teachers": "100",
        "rotated_teachers": "15", "rotated_backbone_teachers": "3",
        "nearby_enrolment_rate_primary": "0.98", "nearby_enrolment_rate_junior": "0.95",
        "quota_allocation_rate": "0.55", "migrant_children_eligible": "1200",
        "migrant_children_public_or_purchased": "1150", "junior_cohort_start": "320",
        "junior_cohort_graduated": "310", "junior_transfers_in": "5",
        "junior_transfers_out": "8", "junior_deaths": "0", "disabled_children": "80",
        "disabled_children_enrolled": "76", "public_funding_norm_primary_yuan": "650",
        "public_funding_norm_junior_yuan": "850",
    }]
    judgements = [
        {"year": y, "item_id": "B8", "met": "true", "evidence": "县政府文件",
         "assessed_by": "县教育局"},
        {"year": y, "item_id": "V1", "met": "true", "evidence": "", "assessed_by": "督导室"},
    ]
    survey = [
        {"year": y, "respondent_group": "parent", "area_type": "urban", "respondents": "100",
         "satisfied": "92"},
        {"year": y, "respondent_group": "teacher", "area_type": "rural", "respondents": "50",
         "satisfied": "45"},
    ]
    quality = [
        {"year": y, "school_id": PRIMARY, "subject": "数学", "level": "primary",
         "mean_score": "78.5", "share_level3_or_above": "0.82"},
        {"year": y, "school_id": NINE_YEAR, "subject": "数学", "level": "junior",
         "mean_score": "70.1", "share_level3_or_above": "0.75"},
    ]
    tables = {"schools": schools, "classes": classes, "county": county,
              "judgements": judgements, "survey": survey, "quality": quality}
    if county_id is not None:
        for rows in tables.values():
            for r in rows:
                r["county_id"] = county_id
    return tables


def merge_tables(*parts: dict[str, list[dict]]) -> dict[str, list[dict]]:
    return {t: [r for p in parts for r in p[t]] for t in parts[0]}


def _columns(table: str, rows: list[dict]) -> list[str]:
    present = {k for r in rows for k in r}
    names = [c.name for c in table_columns(table) if c.name in present]
    return names + sorted(present - set(names))


def _header(table: str, name: str, headers: str) -> str:
    try:
        spec = column_spec(table, name)
    except KeyError:
        return name
    return {"name": spec.name, "zh": spec.zh, "en": spec.en}[headers]


def _cell(table: str, name: str, text: str, values: str) -> str:
    if values != "zh" or text == "":
        return text
    try:
        spec = column_spec(table, name)
    except KeyError:
        return text
    if spec.kind == "category" and text in VALUE_LABELS:
        return VALUE_LABELS[text][0]
    if spec.kind == "bool":
        return {"true": "是", "false": "否"}.get(text, text)
    return text


def table_grid(table: str, rows: list[dict], headers: str = "name",
               values: str = "canonical") -> list[list[str]]:
    cols = _columns(table, rows)
    return [[_header(table, c, headers) for c in cols]] + [
        [_cell(table, c, r.get(c, ""), values) for c in cols] for r in rows]


def write_county(folder: Path, tables: dict[str, list[dict]] | None = None, *,
                 headers: str = "name", values: str = "canonical", encoding: str = "utf-8",
                 names: dict[str, str] | None = None) -> Path:
    """Write ``tables`` (default: the valid county) as CSV files into ``folder``."""
    tables = county_tables() if tables is None else tables
    folder.mkdir(parents=True, exist_ok=True)
    for table, rows in tables.items():
        name = (names or {}).get(table, f"{table}.csv")
        with open(folder / name, "w", encoding=encoding, newline="") as fh:
            csv.writer(fh).writerows(table_grid(table, rows, headers, values))
    return folder


def _excel_value(table: str, name: str, text: str) -> object:
    try:
        kind = column_spec(table, name).kind
    except KeyError:
        kind = "text"
    if kind in ("count", "amount", "rate", "year") and text != "":
        x = float(text)
        return int(x) if x.is_integer() else x
    if kind == "bool" and text in ("true", "false"):
        return text == "true"
    return text if text != "" else None


def write_workbook(path: Path, tables: dict[str, list[dict]] | None = None, *,
                   sheets: dict[str, str] | None = None, headers: str = "name") -> Path:
    """One workbook: a 说明 sheet first, then one sheet per table, numbers as numbers."""
    tables = county_tables() if tables is None else tables
    wb = Workbook()
    wb.active.title = "说明"
    wb.active.append(["本工作簿为测试数据"])
    for table, rows in tables.items():
        ws = wb.create_sheet((sheets or {}).get(table, table))
        grid = table_grid(table, rows, headers)
        ws.append(grid[0])
        cols = _columns(table, rows)
        for r in rows:
            ws.append([_excel_value(table, c, r.get(c, "")) for c in cols])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def frames(data: CountyData) -> dict[str, pd.DataFrame]:
    """The tables without ``source_file`` (which differs between a folder and a workbook)."""
    return {t: f.drop(columns="source_file") for t, f in data.tables.items()}


def assert_same_tables(a: CountyData, b: CountyData) -> None:
    fa, fb = frames(a), frames(b)
    assert sorted(fa) == sorted(fb)
    for t in fa:
        pd.testing.assert_frame_equal(fa[t], fb[t], check_dtype=True, obj=t)


def read_ok(path: Path) -> CountyData:
    data, problems = read_county(path)
    assert problems == [], format_report(problems, "en")
    return data


# ---------------------------------------------------------------------------------------------
# The valid county
# ---------------------------------------------------------------------------------------------


def test_reads_the_valid_county_with_canonical_types(tmp_path):
    data = load_county(write_county(tmp_path / "c"))
    assert set(data.tables) == {"schools", "classes", "county", "judgements", "survey", "quality"}
    assert data.files["schools"] == "schools.csv"
    s = data.schools
    assert list(s.columns[-2:]) == ["source_file", "source_row"]
    assert s.columns[:3].tolist() == ["year", "county_id", "school_id"]
    assert s["year"].dtype == "int64"
    assert s["students_primary"].dtype == "float64"
    assert s["is_private"].dtype == "boolean"
    assert s["year_built"].dtype == "Int64"
    assert s["county_id"].tolist() == ["", "", ""]
    assert s["school_id"].tolist() == [PRIMARY, NINE_YEAR, POINT]
    assert s["parent_school_id"].tolist() == ["", "", PRIMARY]
    assert s["school_type"].tolist() == ["primary", "nine_year", "teaching_point"]
    assert s["source_row"].tolist() == [2, 3, 4]
    assert s["source_file"].tolist() == ["schools.csv"] * 3
    assert s["is_boarding"].tolist() == [False, True, False]
    assert np.isnan(s.loc[0, "teachers_junior"])
    assert s.loc[0, "equipment_value_10k_yuan"] == 150.5
    assert data.get("county")["nearby_enrolment_rate_primary"].iloc[0] == 0.98
    assert data.get("missing") is None


def test_schools_property_raises_when_absent():
    data = CountyData(source=Path("x"), tables={}, files={})
    with pytest.raises(DataError) as err:
        _ = data.schools
    assert err.value.problems[0].code == "missing_table"


# ---------------------------------------------------------------------------------------------
# Encodings, headers and Chinese values
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_chinese_headers_and_values_in_any_encoding_read_as_canonical(tmp_path, encoding):
    canonical = read_ok(write_county(tmp_path / "canonical"))
    chinese = read_ok(write_county(tmp_path / "zh", headers="zh", values="zh",
                                   encoding=encoding))
    assert_same_tables(canonical, chinese)
    raw = (tmp_path / "zh" / "schools.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    assert chinese.schools["school_type"].tolist() == ["primary", "nine_year", "teaching_point"]


def test_english_headers_read_as_canonical(tmp_path):
    assert_same_tables(read_ok(write_county(tmp_path / "a")),
                       read_ok(write_county(tmp_path / "b", headers="en")))


def test_headers_ignore_spaces_case_and_fullwidth_brackets(tmp_path):
    tables = county_tables()
    folder = write_county(tmp_path / "c", tables, headers="zh")
    path = folder / "schools.csv"
    text = path.read_text(encoding="utf-8")
    text = text.replace("教学仪器设备值（万元）", " 教学仪器设备值 (万元) ", 1)
    text = text.replace("学校代码", "学校 代码", 1)
    path.write_text(text.replace("school_type", "School_Type"), encoding="utf-8")
    assert_same_tables(read_ok(folder), read_ok(write_county(tmp_path / "d", tables)))


def test_unknown_columns_are_ignored_and_listed(tmp_path):
    tables = county_tables()
    for r in tables["schools"]:
        r["备注"] = "统计口径说明"
        r["校长姓名"] = "张三"
    data = read_ok(write_county(tmp_path / "c", tables))
    assert "备注" not in data.schools and "校长姓名" not in data.schools
    assert data.ignored_columns == {"schools": ["备注", "校长姓名"]}
    assert_same_tables(data, read_ok(write_county(tmp_path / "d")))


def test_title_rows_and_empty_rows_keep_spreadsheet_row_numbers(tmp_path):
    folder = write_county(tmp_path / "c")
    path = folder / "schools.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    width = lines[0].count(",")
    empty = "," * width
    text = "\n".join(["某县学校基本情况统计表" + "," * width, lines[0], lines[1], empty, "",
                      lines[2], lines[3], empty]) + "\n"
    path.write_text(text, encoding="utf-8")
    s = read_ok(folder).schools
    assert s["source_row"].tolist() == [3, 6, 7]
    assert s["school_id"].tolist() == [PRIMARY, NINE_YEAR, POINT]


def test_duplicate_header_is_reported_once_per_file(tmp_path):
    tables = county_tables()
    folder = write_county(tmp_path / "c", tables)
    path = folder / "schools.csv"
    text = path.read_text(encoding="utf-8").splitlines()
    text[0] = text[0].replace("school_name", "学校代码")  # two headers for school_id
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    data, problems = read_county(folder)
    dup = [p for p in problems if p.code == "duplicate_column"]
    assert len(dup) == 1
    assert (dup[0].file, dup[0].row, dup[0].column) == ("schools.csv", None, "school_id")
    assert "两列表头" in dup[0].message_zh and "two headers" in dup[0].message_en
    assert data.schools["school_id"].tolist() == [PRIMARY, NINE_YEAR, POINT]


# ---------------------------------------------------------------------------------------------
# Workbooks and file names
# ---------------------------------------------------------------------------------------------


def test_workbook_with_an_explanation_sheet_reads_as_the_csv_folder(tmp_path):
    csv_data = read_ok(write_county(tmp_path / "c"))
    book = read_ok(write_workbook(tmp_path / "county.xlsx"))
    assert_same_tables(csv_data, book)
    assert book.files["schools"] == "county.xlsx[schools]"
    assert book.schools["source_file"].iloc[0] == "county.xlsx[schools]"


def test_workbook_with_chinese_sheet_names_and_headers(tmp_path):
    sheets = {"schools": "学校", "classes": "班级", "county": "县域", "judgements": "评估认定",
              "survey": "满意度调查", "quality": "质量监测"}
    book = read_ok(write_workbook(tmp_path / "县.xlsx", sheets=sheets, headers="zh"))
    assert_same_tables(read_ok(write_county(tmp_path / "c")), book)
    assert book.files["schools"] == "县.xlsx[学校]"


def test_folder_with_chinese_file_names_and_xlsx_tables(tmp_path):
    tables = county_tables()
    folder = write_county(tmp_path / "c", {k: v for k, v in tables.items() if k != "classes"},
                          names={"schools": "学校.csv", "county": "县级.csv"})
    wb_path = tmp_path / "book.xlsx"
    write_workbook(wb_path, {"classes": tables["classes"]})
    wb_path.rename(folder / "classes.xlsx")
    (folder / "readme.txt").write_text("ignored", encoding="utf-8")
    data = read_ok(folder)
    assert data.files["schools"] == "学校.csv"
    assert data.files["classes"] == "classes.xlsx"
    assert_same_tables(data, read_ok(write_county(tmp_path / "d")))


def test_two_files_for_one_table_are_a_problem(tmp_path):
    folder = write_county(tmp_path / "c")
    (folder / "学校.csv").write_bytes((folder / "schools.csv").read_bytes())
    _, problems = read_county(folder)
    assert [p.code for p in problems] == ["duplicate_table"]
    assert "schools.csv" in problems[0].message_zh and "学校.csv" in problems[0].message_en


def test_missing_path_folder_without_schools_and_workbook_without_sheet(tmp_path):
    _, problems = read_county(tmp_path / "nowhere")
    assert [p.code for p in problems] == ["missing_table"]
    assert problems[0].row is None and "找不到" in problems[0].message_zh

    tables = county_tables()
    del tables["schools"]
    _, problems = read_county(write_county(tmp_path / "c", tables))
    assert [(p.file, p.code) for p in problems] == [("schools.csv", "missing_table")]
    assert "学校基本情况" in problems[0].message_zh

    data, problems = read_county(write_workbook(tmp_path / "b.xlsx", tables))
    assert [(p.file, p.code) for p in problems] == [("b.xlsx", "missing_table")]
    assert "说明" in problems[0].message_zh and "sheets present" in problems[0].message_en
    assert "classes" in data.tables

    with pytest.raises(DataError) as err:
        load_county(tmp_path / "nowhere")
    assert str(err.value).startswith("数据有 1 个问题")


def test_unreadable_files_are_problems_not_exceptions(tmp_path):
    folder = write_county(tmp_path / "c")
    (folder / "classes.csv").write_text("", encoding="utf-8")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip file")
    _, problems = read_county(folder)
    assert [(p.file, p.code) for p in problems] == [("classes.csv", "unreadable")]
    _, problems = read_county(broken)
    assert [(p.file, p.code) for p in problems] == [("broken.xlsx", "unreadable")]
    _, problems = read_county(folder / "schools.csv")
    assert [p.code for p in problems] == ["unreadable"]


# ---------------------------------------------------------------------------------------------
# Several counties and years
# ---------------------------------------------------------------------------------------------


def test_several_counties_and_years_in_one_file(tmp_path):
    tables = merge_tables(county_tables(2023, "652301"), county_tables(2024, "652301"),
                          county_tables(2024, "652302"))
    data = load_county(write_county(tmp_path / "c", tables))
    s = data.schools
    assert len(s) == 9
    assert s.groupby(["county_id", "year"]).size().to_dict() == {
        ("652301", 2023): 3, ("652301", 2024): 3, ("652302", 2024): 3}
    assert s["source_row"].tolist() == list(range(2, 11))
    assert len(data.get("county")) == 3


# ---------------------------------------------------------------------------------------------
# Cells
# ---------------------------------------------------------------------------------------------


def test_five_bad_cells_are_all_reported(tmp_path):
    tables = county_tables()
    s = tables["schools"]
    s[0]["teachers_primary"] = "四十"          # row 2 not a number
    s[0]["classes_primary"] = "3.5"            # row 2 not an integer
    s[1]["students_junior"] = "-5"             # row 3 negative (validation)
    s[1]["area_type"] = "郊区"                  # row 3 unknown value
    s[2]["is_private"] = "maybe"               # row 4 not a bool
    with pytest.raises(DataError) as err:
        load_county(write_county(tmp_path / "c", tables))
    got = [(p.row, p.school_id, p.year, p.column, p.code) for p in err.value.problems]
    assert got == [
        (2, PRIMARY, 2024, "classes_primary", "not_an_integer"),
        (2, PRIMARY, 2024, "teachers_primary", "not_a_number"),
        (3, NINE_YEAR, 2024, "area_type", "unknown_value"),
        (3, NINE_YEAR, 2024, "students_junior", "negative"),
        (4, POINT, 2024, "is_private", "not_a_bool"),
    ]
    report = str(err.value).splitlines()
    assert report[0] == "数据有 5 个问题，请修改后重试："
    assert report[2] == ("schools.csv 第 2 行 (学校 6523010001, 2024 年) 列 "
                         "teachers_primary（小学专任教师数）: 不是数字: “四十”")
    assert "urban（城区）、town（镇区）、rural（乡村）" in report[3]
    assert format_report(err.value.problems, "en").splitlines()[0].startswith("5 problems")


def test_a_cell_that_cannot_be_read_is_not_reported_again_as_empty(tmp_path):
    tables = county_tables()
    tables["schools"][1]["teachers_junior"] = "n/a"
    with pytest.raises(DataError) as err:
        load_county(write_county(tmp_path / "c", tables))
    assert [(p.row, p.column, p.code) for p in err.value.problems] == [
        (3, "teachers_junior", "not_a_number")]


def test_excel_float_ids_become_integer_text(tmp_path):
    tables = county_tables()
    tables["schools"][0]["school_id"] = PRIMARY + ".0"
    tables["schools"][2]["parent_school_id"] = PRIMARY + ".0"
    tables["classes"][0]["school_id"] = PRIMARY + ".0"
    data = load_county(write_county(tmp_path / "c", tables))
    assert data.schools["school_id"].tolist() == [PRIMARY, NINE_YEAR, POINT]
    assert data.schools["parent_school_id"].tolist()[2] == PRIMARY

    wb = Workbook()
    ws = wb.active
    ws.title = "schools"
    grid = table_grid("schools", county_tables()["schools"])
    ws.append(grid[0])
    id_cols = {i for i, c in enumerate(grid[0]) if c in ("school_id", "parent_school_id")}
    for row in grid[1:]:
        ws.append([float(v) if i in id_cols and v else v for i, v in enumerate(row)])
    wb.save(tmp_path / "ids.xlsx")
    book = read_ok(tmp_path / "ids.xlsx")
    assert book.schools["school_id"].tolist() == [PRIMARY, NINE_YEAR, POINT]
    assert book.schools["parent_school_id"].tolist() == ["", "", PRIMARY]


def test_ids_in_scientific_notation_are_reported(tmp_path):
    tables = county_tables()
    tables["schools"][1]["school_id"] = "6.52301E+09"
    _, problems = read_county(write_county(tmp_path / "c", tables))
    p = problems[0]
    assert (p.row, p.column, p.code) == (3, "school_id", "mangled_id")
    assert "科学计数法" in p.message_zh and "scientific notation" in p.message_en


@pytest.mark.parametrize(("text", "value"), [
    ("0.85", 0.85), ("85%", 0.85), ("85", 0.85), ("85 %", 0.85), ("85％", 0.85),
    ("1", 1.0), ("1%", 0.01), ("0", 0.0), ("100", 1.0), ("", np.nan),
])
def test_rates_read_as_shares(tmp_path, text, value):
    tables = county_tables()
    tables["county"][0]["quota_allocation_rate"] = text
    got = read_ok(write_county(tmp_path / "c", tables)).get("county")["quota_allocation_rate"]
    assert got.dtype == "float64"
    np.testing.assert_allclose(got.iloc[0], value)


@pytest.mark.parametrize(("text", "value"), [
    ("true", True), ("TRUE", True), ("True", True), ("1", True), ("是", True), ("yes", True),
    ("Y", True), ("false", False), ("FALSE", False), ("0", False), ("否", False), ("no", False),
    ("n", False), ("", pd.NA),
])
def test_bool_spellings(tmp_path, text, value):
    tables = county_tables()
    tables["schools"][0]["is_private"] = text
    got = read_ok(write_county(tmp_path / "c", tables)).schools["is_private"]
    assert got.dtype == "boolean"
    assert got.iloc[0] is value or got.iloc[0] == value


def test_thousands_separators_and_year_spellings(tmp_path):
    tables = county_tables()
    tables["schools"][0]["public_funding_yuan"] = "1,234,567.5"
    tables["schools"][0]["students_primary"] = "1,200"
    tables["county"][0]["resident_population"] = "300,000"
    tables["schools"][1]["year_built"] = "2005年"
    data = read_ok(write_county(tmp_path / "c", tables))
    assert data.schools.loc[0, "public_funding_yuan"] == 1234567.5
    assert data.schools.loc[0, "students_primary"] == 1200
    assert data.get("county").loc[0, "resident_population"] == 300000
    assert data.schools.loc[1, "year_built"] == 2005

    tables = county_tables()
    for r in tables["schools"]:
        r["year"] = "2024学年"
    tables["schools"][1]["year"] = "2024-2025"
    assert read_ok(write_county(tmp_path / "d", tables)).schools["year"].tolist() == [2024] * 3

    tables = county_tables()
    tables["schools"][0]["students_primary"] = "1,5"
    _, problems = read_county(write_county(tmp_path / "e", tables))
    assert [(p.column, p.code) for p in problems] == [("students_primary", "not_a_number")]


def test_category_values_in_any_case_or_chinese(tmp_path):
    tables = county_tables()
    tables["schools"][0]["school_type"] = "PRIMARY"
    tables["schools"][1]["school_type"] = "九年一贯制学校"
    tables["schools"][2]["school_type"] = "teaching point"
    tables["schools"][2]["area_type"] = "农村"
    tables["survey"][0]["respondent_group"] = "家长"
    data = read_ok(write_county(tmp_path / "c", tables))
    assert data.schools["school_type"].tolist() == ["primary", "nine_year", "teaching_point"]
    assert data.schools["area_type"].tolist() == ["urban", "town", "rural"]
    assert data.get("survey")["respondent_group"].tolist() == ["parent", "teacher"]


def test_unknown_category_value_lists_the_allowed_values(tmp_path):
    tables = county_tables()
    tables["schools"][1]["school_type"] = "职业学校"
    _, problems = read_county(write_county(tmp_path / "c", tables))
    p = problems[0]
    assert (p.row, p.school_id, p.year, p.column, p.code) == (
        3, NINE_YEAR, 2024, "school_type", "unknown_value")
    assert "职业学校" in p.message_zh and "teaching_point（教学点）" in p.message_zh
    assert "allowed: primary, junior, nine_year" in p.message_en


def test_a_bad_year_leaves_the_row_unlocated_by_year(tmp_path):
    tables = county_tables()
    tables["schools"][0]["year"] = "去年"
    data, problems = read_county(write_county(tmp_path / "c", tables))
    p = problems[0]
    assert (p.row, p.school_id, p.year, p.column, p.code) == (
        2, PRIMARY, None, "year", "not_a_number")
    assert data.schools["year"].dtype == "Int64"
    # rows naming that school (classes, quality, the teaching point) are not blamed for it
    with pytest.raises(DataError) as err:
        load_county(tmp_path / "c")
    assert err.value.problems == [p]


# ---------------------------------------------------------------------------------------------
# The lenient loader of `balance report`: bad schools are set aside, not fatal
# ---------------------------------------------------------------------------------------------


def test_lenient_load_of_clean_data_equals_the_strict_one(tmp_path):
    folder = write_county(tmp_path / "c")
    data, excluded = load_county_excluding(folder)
    assert excluded == {} and data.excluded_names == {}
    strict = load_county(folder)
    for table, frame in strict.tables.items():
        pd.testing.assert_frame_equal(data.tables[table], frame)


def test_a_corrupted_school_is_dropped_from_every_table_and_year(tmp_path):
    tables = merge_tables(county_tables(2023), county_tables(2024))
    tables["schools"][4]["teachers_primary"] = "-3"  # 第二学校 (九年一贯制) in 2024
    data, excluded = load_county_excluding(write_county(tmp_path / "c", tables))
    assert list(excluded) == [NINE_YEAR] and data.excluded_names == {NINE_YEAR: "第二学校"}
    [p] = excluded[NINE_YEAR]
    assert (p.file, p.row, p.year, p.column, p.code, p.message_en) == (
        "schools.csv", 6, 2024, "teachers_primary", "negative", "negative value -3")
    assert data.schools[["year", "school_id"]].values.tolist() == [
        [2023, PRIMARY], [2023, POINT], [2024, PRIMARY], [2024, POINT]]
    for table in ("classes", "quality"):  # both years gone from the tables naming schools
        assert NINE_YEAR not in set(data.get(table)["school_id"])
        assert len(data.get(table)) == len(tables[table]) - 2
    assert len(data.get("county")) == 2 and len(data.get("judgements")) == 4  # untouched


def test_dropping_a_parent_school_drops_its_teaching_points(tmp_path):
    tables = county_tables()
    tables["schools"][0]["year"] = "去年"  # the 小学: a bad year, then its teaching point orphaned
    data, excluded = load_county_excluding(write_county(tmp_path / "c", tables))
    assert list(excluded) == [PRIMARY, POINT]
    assert [p.code for p in excluded[PRIMARY]] == ["not_a_number"]
    assert [(p.column, p.code) for p in excluded[POINT]] == [("parent_school_id", "unknown_parent")]
    assert data.schools["school_id"].tolist() == [NINE_YEAR]
    assert data.schools["year"].dtype == "int64"  # no bad year left


@pytest.mark.parametrize("break_it", [
    lambda t: t["county"][0].update(rotated_teachers="-1"),  # a county cell: no school
    lambda t: t["schools"][0].update(school_id=""),  # a row without its school
    lambda t: [r.pop("school_type") for r in t["schools"]],  # a missing required column
], ids=["county-cell", "no-school-id", "missing-column"])
def test_problems_not_tied_to_a_school_still_stop_the_load(tmp_path, break_it):
    tables = county_tables()
    tables["schools"][1]["teachers_junior"] = "-2"  # one school problem besides
    break_it(tables)
    folder = write_county(tmp_path / "c", tables)
    with pytest.raises(DataError) as err:
        load_county_excluding(folder)
    with pytest.raises(DataError) as strict:
        load_county(folder)
    assert err.value.problems == strict.value.problems  # the same report as the strict load
    assert any(p.school_id is None for p in err.value.problems)


def test_no_school_left_is_an_error(tmp_path):
    tables = county_tables()
    for r in tables["schools"]:
        r["teachers_primary"] = "-1"
    with pytest.raises(DataError) as err:
        load_county_excluding(write_county(tmp_path / "c", tables))
    assert {p.school_id for p in err.value.problems} == {PRIMARY, NINE_YEAR, POINT}


# ---------------------------------------------------------------------------------------------
# Large files: compact reading for balance validate, blocks, the parsing thread, UTF-8
# ---------------------------------------------------------------------------------------------


def test_compact_reading_keeps_exact_numbers_as_float32_with_the_same_problems(tmp_path):
    from balance_lib.consistency import cross_checks
    from balance_lib.schemas import validate

    tables = county_tables()
    s = tables["schools"]
    s[0]["teaching_aux_area_m2"] = "4000.3"      # not a float32: the column stays float64
    s[0]["public_funding_yuan"] = "1,366,100"    # a spelling Arrow does not cast
    s[1]["students_junior"] = "-5"               # negative (validation)
    s[2]["teachers_primary"] = " 7 "             # spaces: read the general way, as 7
    s[2]["classes_primary"] = "2.5"              # not an integer (reading)
    folder = write_county(tmp_path / "c", tables)
    full, found = read_county(folder)
    small, found_small = read_county(folder, compact=True)
    f, g = full.tables["schools"], small.tables["schools"]
    assert f["students_primary"].dtype == np.float64
    assert g["students_primary"].dtype == np.float32
    assert g["public_funding_yuan"].dtype == np.float32  # 1,366,100 is a float32
    assert g["teaching_aux_area_m2"].dtype == np.float64
    assert g["teachers_primary"].tolist()[2] == 7.0
    widened = g.astype({c: "float64" for c in g if g[c].dtype == np.float32})
    pd.testing.assert_frame_equal(f, widened)
    assert found == found_small
    assert [(p.row, p.column, p.code) for p in found] == [(4, "classes_primary", "not_an_integer")]
    problems = validate(small)
    assert problems == validate(full)
    assert (3, "students_junior", "negative") in [(p.row, p.column, p.code) for p in problems]
    assert cross_checks(small) == cross_checks(full)


def _many_rows(path: Path) -> Path:
    """A schools.csv of 300 rows with blank lines, short rows and rows with extra values."""
    header = table_grid("schools", county_tables()["schools"], "name")[0]
    base = county_tables()["schools"][0]
    lines = [header]
    for k in range(300):
        row = [base.get(c, "") for c in header]
        row[header.index("school_id")] = f"65230{k:05d}"
        if k % 37 == 5:
            row += ["unquoted", "extra"]           # wrong_field_count
        if k % 41 == 7:
            row = row[:10]                         # short: padded
        if k % 29 == 3:
            row[header.index("teachers_primary")] = "四十"
        lines.append(row)
        if k % 53 == 11:
            lines.append([])                       # a blank line keeps its row number
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(lines)
    return path.parent


def test_small_blocks_number_rows_alike_and_the_parsing_thread_stops(tmp_path, monkeypatch):
    import threading

    from balance_lib import readers

    folder = _many_rows(tmp_path / "c" / "schools.csv")
    whole, found = read_county(folder)
    assert {p.code for p in found} >= {"wrong_field_count", "not_a_number"}
    monkeypatch.setattr(readers, "_BLOCK_BYTES", 2048)     # about five rows a batch
    monkeypatch.setattr(readers, "_BATCHES_PER_BLOCK", 2)  # thirty blocks
    parts, found_parts = read_county(folder)
    assert found_parts == found
    pd.testing.assert_frame_equal(parts.tables["schools"], whole.tables["schools"])
    blocks = readers.csv_blocks(folder / "schools.csv", lambda rows: 0)
    next(blocks)
    assert any(t.name == "balance-csv-parse" for t in threading.enumerate())
    blocks.close()  # a reader that stops early stops the thread
    assert not any(t.name == "balance-csv-parse" for t in threading.enumerate())


@pytest.mark.parametrize("data", [
    "中文,学校\n".encode() * 50,
    "中文,学校\n".encode() * 50 + "中".encode("gbk"),
    b"a" * 40 + "中".encode(),                      # no new line: one growing chunk
    "\ufeff".encode() + "编码".encode("gbk"),
    b"ok\n\xed\xa0\x80\n",                           # a surrogate is not UTF-8
    b"ok\n\xc0\xaf\n",                               # nor an over-long form
    b"",
])
def test_the_utf8_check_agrees_with_python_across_chunk_edges(tmp_path, monkeypatch, data):
    from balance_lib import readers

    monkeypatch.setattr(readers, "_UTF8_CHUNK_BYTES", 7)  # multi-byte characters cut apart
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    try:
        data.decode("utf-8")
        python = True
    except UnicodeDecodeError:
        python = False
    assert readers._valid_utf8(path) is python
