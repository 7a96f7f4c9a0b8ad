"""Header mapping (--mapping): applied to headers, values and table names, checked with located
problems, and accepted by every command that reads data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from balance_lib.cli import app
from balance_lib.io import load_county, read_county
from balance_lib.mapping import EMPTY_MAPPING, parse_mapping, read_mapping
from balance_lib.paths import DATA_DIR, PROJECT_ROOT, SAMPLE_DIR

EXAMPLE = DATA_DIR / "mapping-example.yaml"
TINY = PROJECT_ROOT / "tests" / "fixtures" / "tiny"
runner = CliRunner()


def problems(text: str) -> list[tuple[int | None, str, str]]:
    _, found = parse_mapping(text, "m.yaml")
    return [(p.row, p.code, p.message_zh) for p in found]


def test_the_example_file_is_valid():
    mapping, found = read_mapping(EXAMPLE)
    assert found == []
    assert mapping.source == EXAMPLE
    assert mapping.header("schools", "学校标识码") == "school_id"
    assert mapping.header("schools", " 学校（机构）名称 ") == "school_name"  # as headers match
    assert mapping.header("schools", "学校(机构)名称") == "school_name"  # half-width brackets
    assert mapping.value("is_private", "民办") == "true"
    assert mapping.value("school_type", "完小") == "primary"
    assert mapping.table("班级学生数") == "classes"


def renamed_sample(folder: Path) -> Path:
    """The sample county exported as the example mapping describes: its headers, spellings and
    file names (the other tables unchanged)."""
    raw = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    files = {table: name for name, table in raw["tables"].items()}
    folder.mkdir()
    # the county keeps its own settings (its name, code and milestones) with its data
    (folder / "settings.yaml").write_bytes((SAMPLE_DIR / "settings.yaml").read_bytes())
    for csv in SAMPLE_DIR.glob("*.csv"):
        table = csv.stem
        frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
        if table in raw:
            spelling = {col: {} for col in raw["values"]}
            for col, m in raw["values"].items():
                for theirs, ours in m.items():
                    key = str(ours).lower() if isinstance(ours, bool) else ours
                    spelling[col].setdefault(key, theirs)  # the first spelling of each value
            for col, m in spelling.items():
                if col in frame:
                    frame[col] = frame[col].map(lambda v, m=m: m.get(v, v))
            frame = frame.rename(columns={ours: theirs for theirs, ours in raw[table].items()})
        frame.to_csv(folder / f"{files.get(table, table)}.csv", index=False)
    shutil.copy(SAMPLE_DIR / "README.md", folder)  # still the (synthetic) sample
    return folder


def test_the_sample_read_through_the_example_mapping_is_the_sample(tmp_path):
    folder = renamed_sample(tmp_path / "export")
    header = (folder / "学校基础数据.csv").read_text(encoding="utf-8").splitlines()[0]
    assert "学校标识码" in header and "school_id" not in header
    assert "公办" in (folder / "学校基础数据.csv").read_text(encoding="utf-8")
    data, found = read_county(folder)
    assert "schools" not in data.tables  # without the mapping the files are not even found
    got = load_county(folder, EXAMPLE)
    want = load_county(SAMPLE_DIR)
    assert got.mapping == EXAMPLE
    for table, frame in want.tables.items():
        a = got.tables[table].drop(columns=["source_file"])
        b = frame.drop(columns=["source_file"])
        pd.testing.assert_frame_equal(a, b, check_like=False, obj=table)
    assert got.files["schools"] == "学校基础数据.csv"


def test_a_mapped_header_wins_over_the_built_in_spelling(tmp_path):
    (tmp_path / "c").mkdir()
    shutil.copy(TINY / "schools.csv", tmp_path / "c" / "schools.csv")
    text = (tmp_path / "c" / "schools.csv").read_text(encoding="utf-8")
    # the export calls the school name 学校代码 and the id 标识码 (a plausible mix-up)
    text = text.replace("school_id,school_name", "标识码,学校代码", 1)
    (tmp_path / "c" / "schools.csv").write_text(text, encoding="utf-8")
    m = tmp_path / "m.yaml"
    m.write_text("schools:\n  标识码: school_id\n  学校代码: school_name\n", encoding="utf-8")
    got = load_county(tmp_path / "c", m).schools
    want = load_county(TINY).schools
    assert got.school_id.tolist() == want.school_id.tolist()
    assert got.school_name.tolist() == want.school_name.tolist()


def test_value_maps_reach_every_table_with_the_column(tmp_path):
    folder = tmp_path / "c"
    shutil.copytree(TINY, folder)
    survey = (folder / "survey.csv").read_text(encoding="utf-8")
    (folder / "survey.csv").write_text(survey.replace(",urban,", ",城市,"), encoding="utf-8")
    schools = (folder / "schools.csv").read_text(encoding="utf-8")
    (folder / "schools.csv").write_text(schools.replace(",urban,", ",城市,"), encoding="utf-8")
    data, found = read_county(folder)
    assert {p.code for p in found} == {"unknown_value"}
    m = tmp_path / "m.yaml"
    m.write_text("values:\n  area_type: {城市: urban}\n", encoding="utf-8")
    got = load_county(folder, m)
    want = load_county(TINY)
    assert got.tables["survey"].area_type.tolist() == want.tables["survey"].area_type.tolist()
    assert got.schools.area_type.tolist() == want.schools.area_type.tolist()


def test_sheet_names_can_be_mapped(tmp_path):
    book = tmp_path / "county.xlsx"
    with pd.ExcelWriter(book) as xw:
        for table, sheet in (("schools", "基础表"), ("classes", "classes")):
            pd.read_csv(TINY / f"{table}.csv", dtype=str, keep_default_na=False).to_excel(
                xw, sheet_name=sheet, index=False)
    data, found = read_county(book)
    # without the mapping the sheet 基础表 is not a table, and its header gives it away
    assert sorted(p.code for p in found) == ["missing_table", "unexpected_sheet"]
    m = tmp_path / "m.yaml"
    m.write_text("tables: {基础表: schools}\n", encoding="utf-8")
    got = load_county(book, m)
    assert got.files["schools"] == "county.xlsx[基础表]"
    assert got.schools.school_id.tolist() == load_county(TINY).schools.school_id.tolist()


# ---- a bad mapping file: every problem, located ------------------------------------------------


def test_every_problem_of_a_mapping_file_is_located():
    text = """schools:
  学校标识码: school_id
  学校 标识码: school_name
  代码: school_id
  名称: school_nmae
  层次: level
clases:
  人数: students
values:
  school_type: {完小: primry, 村小: primary}
  school_name: {a: b}
  is_private: {民办: 也许}
tables:
  基础表: schoolz
"""
    got = problems(text)
    assert [(r, c) for r, c, _ in got] == [
        (3, "duplicate_key"), (4, "duplicate_column"), (5, "unknown_column"),
        (6, "unknown_column"), (7, "unknown_table"), (10, "unknown_value"),
        (11, "unknown_column"), (12, "unknown_value"), (14, "unknown_table")]
    messages = dict(((r, c), m) for r, c, m in got)
    assert "school_nmae" in messages[(5, "unknown_column")]
    assert "是否应为 school_name" in messages[(5, "unknown_column")]
    assert "classes" in messages[(7, "unknown_table")]  # the suggestion
    assert messages[(4, "duplicate_column")].startswith(
        "键 schools.代码: 两个表头都映射到 school_id")
    assert "schools 表没有列 “level”" in messages[(6, "unknown_column")]  # level is in classes


def test_repeated_keys_and_syntax_errors():
    assert problems("schools:\n  a: school_id\n  a: school_name\n") == [
        (3, "duplicate_key", "键 schools.a: 键重复（第 2 行已有）")]
    [(line, code, _)] = problems("schools:\n  a: [school_id\n")
    assert code == "yaml_syntax" and line is not None
    assert problems("- schools\n")[0][1] == "not_a_mapping"
    assert problems("schools: school_id\n")[0][:2] == (1, "not_a_mapping")
    assert problems("") == []


def test_a_bad_mapping_reads_nothing(tmp_path):
    m = tmp_path / "m.yaml"
    m.write_text("schools:\n  学校标识码: school\n", encoding="utf-8")
    data, found = read_county(TINY, m)
    assert data.tables == {}
    assert [(p.file, p.row, p.code) for p in found] == [("m.yaml", 2, "unknown_column")]
    _, found = read_county(TINY, tmp_path / "missing.yaml")
    assert [p.code for p in found] == ["unreadable"]


# ---- every command that reads data takes --mapping ----------------------------------------------


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    return renamed_sample(tmp_path_factory.mktemp("m") / "export")


@pytest.mark.parametrize("args", [
    ["validate"],
    ["evaluate", "--year", "2025", "--format", "json"],
    ["scenario", "--to", "2026", "--format", "json"],
    ["plan", "--by", "2025", "--format", "json"],
])
def test_commands_read_through_the_mapping(export, args):
    command, *rest = args
    without = runner.invoke(app, [command, str(export), *rest])
    assert without.exit_code == 2 and "missing_table" not in without.output
    assert "schools" in without.output  # no schools table found
    res = runner.invoke(app, [command, str(export), *rest, "--mapping", str(EXAMPLE)])
    assert res.exit_code == 0, res.output
    if command in ("evaluate", "plan"):
        import json

        same = runner.invoke(app, [command, str(SAMPLE_DIR), *rest])
        a, b = json.loads(res.stdout), json.loads(same.stdout)
        for key in ("dataset", "solve_time_s"):
            a.pop(key, None), b.pop(key, None)
        assert a == b


def test_ledger_reads_through_the_mapping(export, tmp_path):
    out = tmp_path / "ledger.csv"
    res = runner.invoke(app, ["ledger", str(export), "--output", str(out), "--mapping",
                              str(EXAMPLE)])
    assert res.exit_code == 0, res.output
    ref = tmp_path / "ref.csv"
    assert runner.invoke(app, ["ledger", str(SAMPLE_DIR), "--output", str(ref)]).exit_code == 0
    assert out.read_bytes() == ref.read_bytes()


def test_a_bad_mapping_exits_2_on_every_command(tmp_path):
    m = tmp_path / "m.yaml"
    m.write_text("schools:\n  a: nope\n", encoding="utf-8")
    for args in (["validate"], ["evaluate", "--year", "2025"],
                 ["ledger", "--output", str(tmp_path / "l.xlsx")], ["scenario"],
                 ["plan", "--by", "2025", "--output", str(tmp_path / "p.yaml")],
                 ["report", "--out", str(tmp_path / "out")]):
        res = runner.invoke(app, [args[0], str(TINY), *args[1:], "--mapping", str(m)])
        assert res.exit_code == 2, (args, res.output)
        assert "m.yaml 第 2 行: 键 schools.a: schools 表没有列 “nope”" in res.output
        assert "Traceback" not in res.output
    assert not (tmp_path / "l.xlsx").exists() and not (tmp_path / "out").exists()
    assert not (tmp_path / "p.yaml").exists()


def test_report_passes_the_mapping_to_every_template(tmp_path):
    from balance_lib.render import TEMPLATES, declares_parameter, plan_jobs

    assert all(declares_parameter(t, "mapping") for t in TEMPLATES.values())
    jobs = plan_jobs(TINY, [2025], ["6523010002"], mapping=EXAMPLE,
                     scenarios=[(PROJECT_ROOT / "tests/fixtures/tiny-scenario.yaml", "s")],
                     plans=[{"by": 2027}])
    assert {j.kind for j in jobs} == {"county-year", "school", "trend", "scenario", "plan"}
    assert all(j.parameters["mapping"] == str(EXAMPLE) for j in jobs)
    assert all("mapping" not in j.parameters for j in plan_jobs(TINY, [2025], []))


def test_report_data_is_read_through_the_mapping(export):
    from balance_lib import report as rp

    d = rp.load(export, mapping=EXAMPLE)
    assert d.county.mapping == EXAMPLE
    assert len(d.county.schools) == len(load_county(SAMPLE_DIR).schools)
    assert "表头映射: mapping-example.yaml" in rp.source_note(d)
    with pytest.raises(Exception, match="schools"):
        rp.load(export)


def test_a_hostile_mapping_file_is_bounded(tmp_path):
    """Alias bombs, folders and huge files are refused with a located problem, quickly."""
    bomb = "schools:\n  a: &a [x, x]\n" + "".join(
        f"  {c}: &{c} [*{p}, *{p}, *{p}, *{p}]\n" for p, c in zip("abcdefgh", "bcdefghi"))
    many = "schools:\n  a: &a x\n" + "".join(f"  k{i}: *a\n" for i in range(20_000))
    for text in (bomb, many):
        path = tmp_path / "m.yaml"
        path.write_text(text, encoding="utf-8")
        mapping, problems = read_mapping(path)
        assert problems and mapping is EMPTY_MAPPING
    mapping, problems = read_mapping(tmp_path)
    assert [p.code for p in problems] == ["unreadable"] and "regular file" in problems[0].message_en
    big = tmp_path / "big.yaml"
    big.write_text("schools:\n" + "  # padding\n" * 200_000, encoding="utf-8")
    mapping, problems = read_mapping(big)
    assert [p.code for p in problems] == ["unreadable"] and "above the limit" in problems[0].message_en
