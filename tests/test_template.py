"""The Excel input template: its layout (headers, comments, units, drop-downs, number checks,
frozen header, 说明), deterministic bytes, and the round trip sample → template → validate →
evaluate."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from balance_lib.cli import app
from balance_lib.columns import TABLES, column_spec, table_columns
from balance_lib.io import load_county, read_county
from balance_lib.paths import DATA_DIR, SAMPLE_DIR
from balance_lib.template import FIRST_ROW, SHEETS, template_bytes

runner = CliRunner()


@pytest.fixture(scope="module")
def blank(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("t") / "模板.xlsx"
    res = runner.invoke(app, ["template", "--output", str(out)])
    assert res.exit_code == 0, res.output
    return out


@pytest.fixture(scope="module")
def filled(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("t") / "2025.xlsx"
    res = runner.invoke(app, ["template", "--output", str(out), "--from", str(SAMPLE_DIR),
                              "--year", "2025"])
    assert res.exit_code == 0, res.output
    assert "2025" in res.output
    return out


def test_one_sheet_per_table_after_the_instructions(blank):
    wb = load_workbook(blank)
    assert wb.sheetnames == ["说明", *(SHEETS[t] for t in TABLES)]
    notes = " ".join(str(c) for row in wb["说明"].iter_rows(values_only=True) for c in row if c)
    for words in ("学年填学年开始的年份", "保留前导 0", "教学及辅助用房面积包含室内体育用房",
                  "balance validate", "所属中心校"):
        assert words in notes
    # the column dictionary lists every column of every table
    listed = {(r[0], r[2]) for r in wb["说明"].iter_rows(values_only=True)}
    assert all((SHEETS[c.table], c.name) in listed for t in TABLES for c in table_columns(t))


def test_headers_units_comments_and_frozen_rows(blank):
    wb = load_workbook(blank)
    for table in TABLES:
        ws = wb[SHEETS[table]]
        specs = table_columns(table)
        assert [c.value for c in ws[2]] == [s.zh for s in specs]
        for cell, spec in zip(ws[2], specs, strict=True):
            assert cell.comment is not None and f"列名: {spec.name}" in cell.comment.text
        assert ws.freeze_panes.endswith(str(FIRST_ROW))
    ws = wb["学校"]
    units = dict(zip([c.value for c in ws[2]], [c.value for c in ws[1]], strict=True))
    assert units["教学仪器设备值（万元）"] == "万元"
    assert units["室外运动场地面积"] == "m²"
    assert units["小学在校生数"] == "人"
    assert units["是否民办"] == "是/否"
    assert "可选: 小学、初中、九年一贯制" in ws["E2"].comment.text
    assert ws.freeze_panes == "E3"  # year, county, school id and name stay visible


def _validations(ws) -> dict[str, tuple]:
    out = {}
    for dv in ws.data_validations.dataValidation:
        for rng in str(dv.sqref).split():
            out[rng.split(":")[0].rstrip("0123456789")] = (
                dv.type, dv.operator, dv.formula1, dv.formula2, str(rng), dv.showErrorMessage)
    return out


def test_drop_downs_and_number_checks(blank):
    wb = load_workbook(blank)
    ws = wb["学校"]
    col = {s.name: chr(ord("A") + k) for k, s in enumerate(table_columns("schools"))}
    v = _validations(ws)
    assert v[col["school_type"]][:3] == (
        "list", None, '"小学,初中,九年一贯制,十二年一贯制,完全中学,教学点,特殊教育学校"')
    assert v[col["area_type"]][2] == '"城区,镇区,乡村"'
    assert v[col["is_private"]][2] == '"是,否"'
    assert v[col["students_primary"]][:3] == ("whole", "greaterThanOrEqual", "0")
    assert v[col["teaching_aux_area_m2"]][:3] == ("decimal", "greaterThanOrEqual", "0")
    assert v[col["year"]][:4] == ("whole", "between", "2000", "2100")
    assert all(x[5] for x in v.values())  # Excel refuses a wrong entry
    assert v[col["school_type"]][4] == f"{col['school_type']}{FIRST_ROW}:{col['school_type']}2002"
    assert col["school_id"] not in v and col["school_name"] not in v
    assert ws.column_dimensions[col["school_id"]].number_format == "@"  # keeps leading zeros
    k = _validations(wb["县域"])
    rate = chr(ord("A") + [s.name for s in table_columns("county")].index(
        "quota_allocation_rate"))
    assert k[rate][:4] == ("decimal", "between", "0", "1")
    s = _validations(wb["满意度调查"])
    assert s["C"][2] == '"家长,教师,校长,学生,人大代表政协委员,其他"'


def test_the_same_inputs_give_the_same_bytes():
    from test_mapping import TINY

    c = load_county(TINY)
    assert template_bytes() == template_bytes()
    assert template_bytes(c.tables, 2024, "tiny") == template_bytes(c.tables, 2024, "tiny")
    assert template_bytes(c.tables, 2024, "tiny") != template_bytes(c.tables, 2025, "tiny")


def test_a_blank_template_reads_as_empty_tables(blank):
    """Optional sheets left blank are tables not given; the 学校 sheet must be filled."""
    data, found = read_county(blank)
    assert data.tables == {} or set(data.tables) == {"schools"}
    assert [(p.file, p.code) for p in found] == [(f"{blank.name}[学校]", "no_rows")]
    res = runner.invoke(app, ["validate", str(blank)])
    assert res.exit_code == 2 and "学校]: 只有表头（第 2 行），没有数据行" in res.output
    assert "班级" not in res.output and "Traceback" not in res.output


# ---- the round trip ----------------------------------------------------------------------------


def test_prefilled_template_holds_the_year(filled):
    wb = load_workbook(filled)
    ws = wb["学校"]
    rows = list(ws.iter_rows(min_row=FIRST_ROW, values_only=True))
    sample = load_county(SAMPLE_DIR)
    s25 = sample.schools[sample.schools.year == 2025]
    assert len(rows) == len(s25)
    first = dict(zip([c.value for c in ws[2]], rows[0], strict=True))
    assert first["学校代码"] == s25.school_id.iloc[0] and isinstance(first["学校代码"], str)
    assert first["学校类型"] == "小学" and first["城乡类型"] == "城区"
    assert first["是否民办"] == "否"
    births = sample.tables["births"]
    assert wb["出生人口"].max_row == FIRST_ROW - 1 + len(births)  # every birth year
    monitoring = sample.tables["monitoring"]  # every monitoring year: B31 uses the latest
    assert sorted(set(monitoring.year)) == [2023, 2025]
    assert wb["质量监测结果"].max_row == FIRST_ROW - 1 + len(monitoring)


def test_round_trip_validate_strict_and_evaluate_equal(filled):
    res = runner.invoke(app, ["validate", str(filled), "--strict"])
    assert res.exit_code == 0, res.output
    got = runner.invoke(app, ["evaluate", str(filled), "--year", "2025", "--format", "json"])
    want = runner.invoke(app, ["evaluate", str(SAMPLE_DIR), "--year", "2025", "--format", "json"])
    assert got.exit_code == want.exit_code == 0
    a, b = json.loads(got.stdout), json.loads(want.stdout)
    assert a.pop("dataset")["name"] == "2025.xlsx"
    b.pop("dataset")
    # the template holds the data, not the county's own settings.yaml (its name and
    # milestones, kept beside the data): the evaluation is the same, the settings echo differs
    assert b["settings"].pop("county")["code"] == "652301" != a["settings"].pop("county")["code"]
    assert (a["settings"].pop("source"), b["settings"].pop("source")) == (
        "standards.yaml", "standards.yaml + settings.yaml")
    assert a == b


def test_round_trip_gives_the_same_tables(filled):
    got = load_county(filled)
    want = load_county(SAMPLE_DIR)
    for table, frame in want.tables.items():
        w = frame if table in ("births", "monitoring") else frame[frame.year == 2025]
        g = got.tables[table]
        cols = [c for c in w.columns if c not in ("source_file", "source_row")]
        pd.testing.assert_frame_equal(g[cols].reset_index(drop=True),
                                      w[cols].reset_index(drop=True), obj=table,
                                      check_dtype=False)


def test_what_a_person_types_into_the_template_is_read(blank, tmp_path):
    book = tmp_path / "typed.xlsx"
    book.write_bytes(blank.read_bytes())
    wb = load_workbook(book)
    ws = wb["学校"]
    names = [s.name for s in table_columns("schools")]
    row = {"year": 2025, "school_id": "0012", "school_name": "某村小学", "school_type": "小学",
           "area_type": "乡村", "is_private": "否", "students_primary": 120,
           "students_junior": 0, "classes_primary": 6, "teachers_primary": 11,
           "qualified_teachers_primary": 11, "backbone_teachers_primary": 2,
           "pe_art_teachers_primary": 2, "teaching_aux_area_m2": 700.5,
           "indoor_sports_area_m2": 0, "sports_ground_area_m2": 2600,
           "equipment_value_10k_yuan": 31.25, "multimedia_classrooms": 7}
    for name, value in row.items():
        ws.cell(FIRST_ROW, names.index(name) + 1, value)
    wb.save(book)
    s = load_county(book).schools
    assert s.school_id.tolist() == ["0012"]
    assert s.school_type.tolist() == ["primary"] and s.area_type.tolist() == ["rural"]
    assert s.is_private.tolist() == [False]
    assert s.equipment_value_10k_yuan.tolist() == [31.25]


def test_template_from_data_read_through_a_mapping(tmp_path, filled):
    from test_mapping import EXAMPLE, renamed_sample

    export = renamed_sample(tmp_path / "export")
    out = tmp_path / "t.xlsx"
    res = runner.invoke(app, ["template", "--output", str(out), "--from", str(export),
                              "--mapping", str(EXAMPLE)])  # the latest year: 2025, as `filled`
    assert res.exit_code == 0, res.output
    # the same data whatever the headers were: only the source name differs
    a, b = load_county(out), load_county(filled)
    for table in a.tables:
        pd.testing.assert_frame_equal(a.tables[table].drop(columns="source_file"),
                                      b.tables[table].drop(columns="source_file"), obj=table)


@pytest.mark.parametrize(("args", "message"), [
    (["--output", "x.csv"], "--output must end with .xlsx"),
    (["--output", "x.xlsx", "--year", "2025"], "--from"),
    (["--output", "x.xlsx", "--from", str(SAMPLE_DIR), "--year", "2031"], "没有 2031 学年"),
    (["--output", "x.xlsx", "--from", str(DATA_DIR / "nowhere")], "找不到"),
])
def test_bad_arguments_exit_2_and_write_nothing(tmp_path, args, message):
    args = [str(tmp_path / a) if a in ("x.csv", "x.xlsx") else a for a in args]
    res = runner.invoke(app, ["template", *args])
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert not any(tmp_path.iterdir())


def test_units_and_choices_cover_every_column():
    from balance_lib.template import choices_of, unit_of

    for table in TABLES:
        for spec in table_columns(table):
            assert unit_of(spec)
            assert bool(choices_of(spec)) == (spec.kind in ("category", "bool"))
    assert unit_of(column_spec("births", "year")) == "年"
