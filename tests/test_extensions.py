"""Provincial extensions (``--indicators FILE``): new indicators of the generic kinds and
changes to existing ones, from YAML alone, through every command."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from typer.testing import CliRunner

from balance_lib.cli import app
from balance_lib.indicators import evaluate
from balance_lib.io import load_county
from balance_lib.paths import PROJECT_ROOT
from balance_lib.registry import RegistryError, load_registry
from balance_lib.settings import Settings

SAMPLE = PROJECT_ROOT / "data" / "sample"
EXAMPLE = PROJECT_ROOT / "params" / "province-example.yaml"


def cli(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_the_example_file_extends_the_registry():
    reg = load_registry(extensions=[EXAMPLE])
    assert [i.id for i in reg.indicators][-2:] == ["P1", "P2"]
    assert reg.indicator("B12").thresholds["primary"] == 40
    assert reg.indicator("B12").threshold("junior") == 45
    assert reg.indicator("B12").origin == "province-example.yaml"
    p1 = reg.indicator("P1")
    assert (p1.kind, p1.scope, p1.in_school_rule) == ("unit_ratio", "unit", False)
    assert dict(p1.cv_limit) == {"primary": 0.5, "junior": 0.45}  # the national limits
    assert reg.id_range("unit") == "B1–B7, P1" and [i.id for i in reg.resource_indicators] \
        == [f"B{k}" for k in range(1, 8)]
    assert load_registry().indicator("B12").threshold("primary") == 45  # national unchanged


def test_evaluate_json_carries_the_new_indicators(tmp_path):
    out = tmp_path / "ev.json"
    r = cli("evaluate", SAMPLE, "--year", "2022", "--format", "json", "--output", out,
            "--indicators", EXAMPLE)
    assert r.exit_code == 0, r.output
    ev = json.loads(out.read_text(encoding="utf-8"))
    rec = {i["id"]: i for i in ev["indicators"]}
    assert rec["P1"]["responsible_units"] == ["市教育局", "市财政局"]
    assert set(rec["P1"]["value"]) == {"primary", "junior"}
    assert rec["P1"]["threshold"] == {"primary": 25.0, "junior": 35.0}
    assert rec["P2"]["status"] == "not_met" and rec["P2"]["value"] == pytest.approx(38 / 45)
    assert "课后服务覆盖率 84.444% < 100%" in rec["P2"]["detail"]
    assert all("P1" in u["values"] for u in ev["units"])
    assert {v["indicator"] for v in ev["variation"]} >= {"P1"}
    # the school rule still counts the seven national indicators
    assert max(u["met_count"] for u in ev["units"]) <= 7
    # B12 tightened to 40/45: more schools fail than under the national 45/50
    national = json.loads(cli("evaluate", SAMPLE, "--year", "2022", "--format",
                              "json").stdout)
    b12 = {i["id"]: i for i in national["indicators"]}["B12"]
    assert rec["B12"]["status"] == "not_met" and "超 40 人" in rec["B12"]["detail"]
    assert "超 45 人" in b12["detail"]
    assert "P2" in " ".join(ev["verdict"][0]["reasons"])


def test_every_command_takes_the_file(tmp_path):
    r = cli("evaluate", SAMPLE, "--year", "2025", "--indicators", EXAMPLE)
    assert r.exit_code == 0 and "P1    生均图书" in r.stdout and "B1–B7, P1" in r.stdout
    r = cli("ledger", SAMPLE, "--output", tmp_path / "l.csv", "--indicators", EXAMPLE)
    assert r.exit_code == 0, r.output
    ledger = pd.read_csv(tmp_path / "l.csv", encoding="utf-8-sig", dtype=str)
    assert {"P1", "P2"} <= set(ledger["指标"])
    assert (ledger.loc[ledger["指标"] == "P2", "责任单位"] == "市教育局").all()
    r = cli("scenario", SAMPLE, "--to", "2026", "--format", "json", "--output",
            tmp_path / "s.json", "--indicators", EXAMPLE)
    assert r.exit_code == 0, r.output
    s = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert any(v["indicator"] == "P1" for v in s["variation"])


@pytest.mark.slow
def test_the_report_takes_the_file(tmp_path):
    out = tmp_path / "out"
    r = cli("report", PROJECT_ROOT / "tests/fixtures/tiny", "--years", "2025", "--schools",
            "none", "--no-trend", "--out", out, "--jobs", "1", "--indicators", EXAMPLE)
    assert r.exit_code == 0, r.output
    page = (out / "county-year" / "2025.html").read_text(encoding="utf-8")
    assert "P1" in page and "生均图书" in page and "P2" in page
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    entry = manifest["reports"]["county-year/2025"]
    assert entry["parameters"]["indicators"].endswith("province-example.yaml")


def test_a_county_ratio_needs_only_a_yaml_entry(tmp_path):
    """A new county ratio from a file alone: its value is the ratio of the two columns."""
    data = tmp_path / "county"
    shutil.copytree(SAMPLE, data, ignore=shutil.ignore_patterns("*.xlsx"))
    county = pd.read_csv(data / "county.csv")
    county["psychology_teachers"] = [30, 41, 52, 60]
    county["schools_total"] = [60, 60, 60, 60]
    county.to_csv(data / "county.csv", index=False)
    ext = tmp_path / "mine.yaml"
    ext.write_text(
        "indicators:\n"
        "  - id: X1\n"
        "    name_zh: 每校配备心理健康教育教师\n"
        "    name_en: A psychology teacher per school\n"
        "    kind: county_ratio\n"
        "    numerator: psychology_teachers\n"
        "    denominator: schools_total\n"
        "    thresholds: {all: 0.85}\n"
        "    unit_zh: '%'\n"
        "    responsible_units: [市教育局]\n", encoding="utf-8")
    reg = load_registry(extensions=[ext])
    tables = load_county(data, registry=reg).tables
    ev = evaluate(tables, Settings(), reg)
    x1 = ev.items[ev.items["id"] == "X1"].set_index("year")
    assert x1["value"].tolist() == pytest.approx([0.5, 41 / 60, 52 / 60, 1.0])
    assert x1["status"].tolist() == ["not_met", "not_met", "met", "met"]
    # the reader checks the new columns as numbers, with their file and row
    county.loc[1, "psychology_teachers"] = -3
    county.to_csv(data / "county.csv", index=False)
    r = cli("evaluate", data, "--year", "2025", "--indicators", ext)
    assert r.exit_code == 2 and "county.csv" in r.output and "psychology_teachers" in r.output
    assert "负数" in r.output and "Traceback" not in r.output


def test_unit_ratio_per_level_columns_or_a_split(tmp_path):
    """``books`` is split by the facility weights; ``books_primary``/``_junior`` are taken as
    given, like the teachers."""
    ext = tmp_path / "b.yaml"
    ext.write_text("indicators:\n  - {id: P1, name_zh: 生均图书, name_en: books, kind: unit_ratio,"
                   " numerator: books, thresholds: {primary: 25, junior: 35},"
                   " responsible_units: [市教育局]}\n", encoding="utf-8")
    reg = load_registry(extensions=[ext])
    school = {"year": 2024, "school_id": "S1", "school_name": "一贯制", "school_type": "nine_year",
              "students_primary": 166.0, "students_junior": 210.0, "students_senior": 0.0,
              "books": 23226.0}
    ev = evaluate({"schools": pd.DataFrame([school])}, Settings(), reg)
    u = ev.units.set_index("level")
    # rules §3: 小学 23226 × 166 / 397 = 9711.6, 初中 the rest (13514.4)
    assert u.loc["primary", "value_P1"] * 166 == pytest.approx(23226 * 166 / 397)
    assert u.loc["junior", "value_P1"] * 210 == pytest.approx(23226 - 23226 * 166 / 397)
    per_level = dict(school, books_primary=5000.0, books_junior=8000.0)
    ev = evaluate({"schools": pd.DataFrame([per_level])}, Settings(), reg)
    u = ev.units.set_index("level")
    assert u.loc["primary", "value_P1"] == pytest.approx(5000 / 166)
    assert u.loc["junior", "value_P1"] == pytest.approx(8000 / 210)


def test_a_school_ratio_from_a_file(tmp_path):
    ext_text = ("indicators:\n  - {id: S1, name_zh: 学校图书馆开放率, name_en: library opening,"
                " kind: school_ratio, numerator: library_hours, denominator: school_hours,"
                " thresholds: {all: 0.5}, responsible_units: [市教育局]}\n")
    path = tmp_path / "s1.yaml"
    path.write_text(ext_text, encoding="utf-8")
    reg = load_registry(extensions=[path])
    rows = [{"year": 2024, "school_id": f"S{k}", "school_name": f"校{k}",
             "school_type": "primary", "students_primary": 100.0, "library_hours": h,
             "school_hours": 40.0} for k, h in enumerate((20.0, 19.0, 30.0))]
    ev = evaluate({"schools": pd.DataFrame(rows)}, Settings(), reg)
    item = ev.items[ev.items["id"] == "S1"].iloc[0]
    assert item["status"] == "not_met" and item["n_failing"] == 1
    assert item["value"] == pytest.approx(19 / 40)


BAD = """\
indicators:
  - id: 12
    kind: unit_ratio
  - id: P1
    name_zh: 生均图书
    kind: unit_ratio
    numerator: Books!
    thresholds: {primary: .nan}
    responsible_units: []
    colour: red
  - id: P2
    name_zh: x
    name_en: x
    kind: school_check
    responsible_units: [市教育局]
  - id: B4
    numerator: something_else
    thresholds: {tertiary: 3}
  - id: V1
    name_zh: 改
"""


def test_a_bad_extension_lists_every_problem(tmp_path):
    ext = tmp_path / "bad.yaml"
    ext.write_text(BAD, encoding="utf-8")
    with pytest.raises(RegistryError) as err:
        load_registry(extensions=[ext])
    problems = err.value.problems
    text = "\n".join(problems)
    assert all(p.startswith(str(ext)) for p in problems)
    assert "indicators[0]" in text and "quote it" in text
    assert "indicators[1] (P1): numerator" in text
    assert "thresholds.primary: expected a finite number" in text
    assert "thresholds.junior: required" in text
    assert "name_en: required" in text and "responsible_units" in text
    assert "unknown field 'colour'" in text
    assert "indicators[2] (P2): kind: a new indicator must be one of" in text
    assert "indicators[3] (B4): numerator: cannot be changed" in text
    assert "thresholds.tertiary: B4 has no such threshold" in text
    assert "indicators[4] (V1): vetoes cannot be changed" in text
    r = cli("evaluate", SAMPLE, "--year", "2025", "--indicators", ext)
    assert r.exit_code == 2 and "Traceback" not in r.output and "quote it" in r.output
    r = cli("evaluate", SAMPLE, "--year", "2025", "--indicators", tmp_path / "none.yaml")
    assert r.exit_code == 2 and "not found" in r.output


def test_not_yaml_or_not_a_list(tmp_path):
    for text, message in (("indicators: [", "YAML syntax error"),
                          ("- a\n- b\n", "expected a mapping with a list 'indicators:'"),
                          ("indicators: []\nthresholds: {}\n", "unknown top-level key")):
        ext = tmp_path / "x.yaml"
        ext.write_text(text, encoding="utf-8")
        r = cli("ledger", SAMPLE, "--output", tmp_path / "l.xlsx", "--indicators", ext)
        assert r.exit_code == 2 and message in r.output, r.output
        assert not (tmp_path / "l.xlsx").exists()


def test_alias_bomb_refused(tmp_path):
    """A provincial file is a user's file: read within the bounds of safeyaml."""
    bomb = "a: &a [x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}]\n" for p, c in zip("abcdefgh", "bcdefghi"))
    ext = tmp_path / "bomb.yaml"
    ext.write_text(bomb, encoding="utf-8")
    r = cli("evaluate", SAMPLE, "--year", "2025", "--indicators", ext)
    assert r.exit_code == 2 and "100,000 nodes" in r.output and "Traceback" not in r.output
