"""Command-line round trips on the sample county and on broken copies of it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from balance_lib.cli import app
from balance_lib.paths import SAMPLE_DIR

runner = CliRunner()
BALANCE = str(Path(sys.executable).with_name("balance"))


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def sample_json() -> dict:
    res = run("evaluate", SAMPLE_DIR, "--year", "2025", "--format", "json")
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_json_matches_the_contract(sample_json):
    ev = sample_json
    assert ev["year"] == 2025
    assert {"year", "settings", "units", "variation", "indicators", "vetoes", "verdict"} <= set(ev)
    assert ev["settings"]["teaching_points"] == "separate"
    ids = [f"B{k}" for k in range(1, 8)]
    for u in ev["units"]:
        assert {"county_id", "school_id", "level", "students", "values", "met", "met_count",
                "passes"} <= set(u)
        assert u["county_id"] == ""
        assert u["level"] in ("primary", "junior")
        assert list(u["values"]) == ids and list(u["met"]) == ids
        assert u["met_count"] == sum(u["met"].values())
        assert u["passes"] == (u["met_count"] >= 6 and all(u["floor_met"].values()))
    assert 40 <= len(ev["units"]) <= 70
    levels = {v["level"] for v in ev["variation"]}
    assert levels == {"primary", "junior"}
    assert len(ev["variation"]) == 14
    for v in ev["variation"]:
        assert {"county_id", "level", "indicator", "county_value", "cv", "limit", "met"} <= set(v)
        assert v["limit"] == (0.5 if v["level"] == "primary" else 0.45)
        assert v["met"] == (v["cv"] <= v["limit"])
    assert [i["id"] for i in ev["indicators"]] == [f"B{k}" for k in range(1, 33)]
    for i in ev["indicators"]:
        assert i["status"] in ("met", "not_met", "not_assessed")
        assert i["responsible_units"]
    assert {v["id"] for v in ev["vetoes"]} == {f"V{k}" for k in range(1, 9)}
    assert len(ev["verdict"]) == 1
    assert ev["verdict"][0]["status"] in ("meets", "does_not_meet", "incomplete")
    assert ev["verdict"][0]["reasons"]


def test_sample_2025_is_not_yet_compliant_and_2022_is_worse(sample_json):
    res = run("evaluate", SAMPLE_DIR, "--year", "2022", "--format", "json")
    ev22 = json.loads(res.stdout)
    fails22 = sum(not v["met"] for v in ev22["variation"])
    fails25 = sum(not v["met"] for v in sample_json["variation"])
    assert fails22 >= 2
    assert fails25 < fails22
    pass22 = sum(u["passes"] for u in ev22["units"]) / len(ev22["units"])
    pass25 = sum(u["passes"] for u in sample_json["units"]) / len(sample_json["units"])
    assert pass25 > pass22


def test_table_output_in_chinese_and_english():
    zh = run("evaluate", SAMPLE_DIR, "--year", "2025")
    assert zh.exit_code == 0, zh.output
    assert "校际差异系数" in zh.stdout and "模拟数据" in zh.stdout and "结论" in zh.stdout
    en = run("evaluate", SAMPLE_DIR, "--year", "2025", "--lang", "en")
    assert en.exit_code == 0
    assert "Inter-school CV" in en.stdout and "synthetic" in en.stdout


def test_output_file_equals_stdout(tmp_path, sample_json):
    out = tmp_path / "sub" / "2025.json"
    res = run("evaluate", SAMPLE_DIR, "--year", "2025", "--format", "json", "--output", out)
    assert res.exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8")) == sample_json
    assert [p.name for p in out.parent.iterdir()] == ["2025.json"]  # no temporary left


def test_workbook_gives_the_same_result_as_the_csv_folder(sample_json):
    res = run("evaluate", SAMPLE_DIR / "sample_county.xlsx", "--year", "2025", "--format", "json")
    assert res.exit_code == 0, res.output
    ev = json.loads(res.stdout)
    assert ev["units"] == sample_json["units"]
    assert ev["variation"] == sample_json["variation"]


def test_validate_sample_passes():
    res = run("validate", SAMPLE_DIR)
    assert res.exit_code == 0, res.output
    assert "数据检查通过" in res.stdout


def test_unknown_year_and_bad_options_exit_2(tmp_path):
    assert run("evaluate", SAMPLE_DIR, "--year", "2031").exit_code == 2
    assert run("evaluate", SAMPLE_DIR, "--year", "2025", "--format", "xml").exit_code == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text("teaching_points: sometimes\n", encoding="utf-8")
    res = run("evaluate", SAMPLE_DIR, "--year", "2025", "--params", bad)
    assert res.exit_code == 2
    assert "teaching_points" in res.output


@pytest.fixture
def broken(tmp_path) -> Path:
    """A copy of the sample with three bad cells in schools.csv."""
    folder = tmp_path / "broken"
    shutil.copytree(SAMPLE_DIR, folder, ignore=shutil.ignore_patterns("*.xlsx"))
    path = folder / "schools.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    first = df.index[(df.year == "2025") & (df.school_type == "primary")][0]
    df.loc[first, "teachers_primary"] = "-3"
    df.loc[first + 1, "school_type"] = "university"
    df.loc[first + 2, "students_primary"] = "many"
    df.to_csv(path, index=False)
    return folder


def test_broken_copy_exits_2_naming_every_bad_cell(broken, tmp_path):
    out = tmp_path / "never.json"
    proc = subprocess.run(
        [BALANCE, "evaluate", str(broken), "--year", "2025", "--format", "json", "--output", str(out)],
        capture_output=True, text=True,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert not out.exists()
    err = proc.stderr
    for column in ("teachers_primary", "school_type", "students_primary"):
        assert column in err
    assert "schools.csv" in err
    assert err.count("\n") >= 3


def test_validate_broken_copy_lists_rows(broken):
    res = run("validate", broken, "--lang", "en")
    assert res.exit_code == 2
    df = pd.read_csv(broken / "schools.csv", dtype=str, keep_default_na=False)
    first = df.index[df.teachers_primary == "-3"][0]
    assert f"row {first + 2}" in res.output  # header is row 1


def test_console_script_help():
    proc = subprocess.run([BALANCE, "--help"], capture_output=True, text=True)
    assert proc.returncode == 0
    assert "evaluate" in proc.stdout and "validate" in proc.stdout


def test_ledger_command_writes_a_workbook(tmp_path):
    import openpyxl

    out = tmp_path / "ledger.xlsx"
    res = run("ledger", SAMPLE_DIR, "--from", "2022", "--to", "2025", "--output", out)
    assert res.exit_code == 0, res.output
    assert "问题台账：" in res.output and "2022–2025 年共" in res.output
    # one count: the command's line and the workbook's summary say the same
    summary = openpyxl.load_workbook(out)["汇总（按责任单位）"]
    line = summary.cell(row=2, column=1).value
    assert line and line in res.output and "条未销号" in line
    wb = openpyxl.load_workbook(out)
    assert {"2022", "2023", "2024", "2025"} <= set(wb.sheetnames)
    assert wb["2025"].freeze_panes == "A2"
    csv = tmp_path / "ledger.csv"
    assert run("ledger", SAMPLE_DIR, "--output", csv).exit_code == 0
    assert csv.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM so Excel reads Chinese


def test_ledger_of_one_county_of_many(tmp_path):
    import openpyxl

    multi = SAMPLE_DIR.parents[1] / "tests" / "fixtures" / "multi"
    every = run("ledger", multi, "--output", tmp_path / "all.xlsx")
    one = run("ledger", multi, "--output", tmp_path / "one.xlsx", "--county", "652302")
    assert every.exit_code == 0 and one.exit_code == 0, one.output
    rows = list(openpyxl.load_workbook(tmp_path / "one.xlsx")["2025"].iter_rows(values_only=True))
    assert rows[0][:2] == ("县区代码", "责任单位")
    assert {r[0] for r in rows[1:]} == {"652302"}
    counties = {r[0] for r in openpyxl.load_workbook(tmp_path / "all.xlsx")["2025"]
                .iter_rows(min_row=2, values_only=True)}
    assert counties == {"652301", "652302", "659001", "659002"}
    assert run("ledger", multi, "--output", tmp_path / "x.xlsx", "--county", "1").exit_code == 2
    assert not (tmp_path / "x.xlsx").exists()


def test_ledger_bad_arguments_exit_2(tmp_path):
    assert run("ledger", SAMPLE_DIR, "--output", tmp_path / "l.txt").exit_code == 2
    res = run("ledger", SAMPLE_DIR, "--from", "2025", "--to", "2022", "--output", tmp_path / "l.xlsx")
    assert res.exit_code == 2
    assert not (tmp_path / "l.xlsx").exists()


def test_bad_cells_in_the_other_tables_are_located(tmp_path):
    folder = tmp_path / "bad"
    shutil.copytree(SAMPLE_DIR, folder, ignore=shutil.ignore_patterns("*.xlsx"))
    county = pd.read_csv(folder / "county.csv", dtype=str, keep_default_na=False)
    county.loc[0, "rotated_teachers"] = "-5"
    county.to_csv(folder / "county.csv", index=False)
    judgements = pd.read_csv(folder / "judgements.csv", dtype=str, keep_default_na=False)
    judgements.loc[3, "met"] = "maybe"
    judgements.to_csv(folder / "judgements.csv", index=False)
    res = run("evaluate", folder, "--year", "2025", "--lang", "en")
    assert res.exit_code == 2
    assert "county.csv row 2" in res.output and "rotated_teachers" in res.output
    assert "judgements.csv row 5" in res.output and "met" in res.output
