"""Scenarios: invariants, hand cases, the located errors of bad files, and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from balance_lib.cli import app
from balance_lib.io import load_county
from balance_lib.paths import PROJECT_ROOT, SAMPLE_DIR
from balance_lib.scenario import project, run_scenario, school_facts, to_json
from balance_lib.scenario_spec import EMPTY, ScenarioError, parse_scenario

runner = CliRunner()
SCENARIOS = PROJECT_ROOT / "params" / "scenarios"
NEW = "6523010050"
URBAN_1, URBAN_4, JUNIOR_2 = "6523010001", "6523010004", "6523010029"


@pytest.fixture(scope="module")
def county():
    return load_county(SAMPLE_DIR)


@pytest.fixture(scope="module")
def facts(county):
    return school_facts(county.tables)


def new_school(year: int = 2026, **extra) -> dict:
    return {"type": "new_school", "year": year, "school_id": NEW, "school_name": "新区学校",
            "school_type": "nine_year", "area_type": "urban",
            "entry_classes": {"primary": 4, "junior": 4}, "teaching_aux_area_m2": 9000,
            "indoor_sports_area_m2": 1200, "sports_ground_area_m2": 14000,
            "equipment_value_10k_yuan": 400, "multimedia_classrooms": 36,
            "teachers_primary": 20, "qualified_teachers_primary": 20, **extra}


def move(frm: str, to: str, year: int = 2026, **how) -> dict:
    return {"type": "move_students", "year": year, "from": frm, "to": to, **how}


def scenario(facts, *changes: dict, **projection):
    raw = {"name": "测试情景", "changes": list(changes)}
    if projection:
        raw["projection"] = projection
    return parse_scenario(raw, facts, "test.yaml")


@pytest.fixture(scope="module")
def relief(county, facts):
    sc = scenario(facts, new_school(), move(URBAN_1, NEW, share=0.35),
                  move(URBAN_4, NEW, share=0.3), move(JUNIOR_2, NEW, share=0.3, grades=[7]))
    return run_scenario(county.tables, sc)


# ---------------------------------------------------------------------------------------------
# invariants


def test_empty_scenario_equals_the_baseline(county):
    r = run_scenario(county.tables, EMPTY)
    assert r.years == [2025, 2026, 2027, 2028, 2029]
    for frame in (r.schools, r.units, r.variation, r.school_size):
        b = frame[frame.case == "baseline"].drop(columns="case").reset_index(drop=True)
        s = frame[frame.case == "scenario"].drop(columns="case").reset_index(drop=True)
        assert len(b) > 0
        assert b.equals(s)
    assert r.summary["baseline"] == r.summary["scenario"]


def test_moving_students_conserves_the_county_per_grade_and_year(county, facts):
    sc = scenario(facts, new_school(), move(URBAN_1, NEW, share=0.35, grades=[1, 2, 3]),
                  move(URBAN_4, NEW, count=40), move(JUNIOR_2, NEW, share=0.5, grades=[7, 8]),
                  {"type": "close_school", "year": 2027, "school_id": "6523010025",
                   "into": {"6523010016": 0.5, "6523010015": 0.5}})
    p = project(county.tables, sc)
    np.testing.assert_allclose(p.students_baseline.sum(axis=1), p.students_scenario.sum(axis=1))
    # and the students did move
    k = list(p.ids).index(NEW)
    assert p.students_scenario[-1, k].sum() > 500
    closed = list(p.ids).index("6523010025")
    assert p.students_scenario[1:, closed].sum() == 0  # 2027 on
    assert p.students_scenario[0, closed].sum() > 0  # 2026


@pytest.mark.parametrize("how", [{"share": 0.1}, {"share": 0.5}, {"share": 1.0}, {"count": 60},
                                 {"share": 0.3, "grades": [1, 2, 3, 4, 5, 6]}])
@pytest.mark.parametrize("policy", ["keep", "open"])
def test_relieving_a_crowded_school_never_raises_its_class_sizes(county, facts, how, policy):
    sc = scenario(facts, new_school(), move(URBAN_1, NEW, **how), class_policy=policy)
    r = run_scenario(county.tables, sc)
    s = r.schools[r.schools.school_id == URBAN_1].pivot_table(
        index="year", columns="case", values=["max_class_size", "classes_over_limit",
                                               "students"])
    # under "open" a relieved school opens fewer extra classes, so its sizes may go back up
    # to the limit but never over it; under "keep" its classes only get smaller
    cols = ("classes_over_limit", "students") + (("max_class_size",) if policy == "keep" else ())
    for col in cols:
        assert (s[(col, "scenario")] <= s[(col, "baseline")]).all(), col
    assert (s[("max_class_size", "scenario")].loc[2026:] <= 45).all() or policy == "keep"
    if policy == "keep" and how.get("share", 0) < 1:  # (a whole cohort gone changes the mix)
        m = r.schools[r.schools.school_id == URBAN_1].pivot_table(
            index="year", columns="case", values="mean_class_size")
        assert (m["scenario"] <= m["baseline"] + 1e-9).all()


def test_the_relieved_schools_fall_below_the_limits(relief):
    s = relief.schools.set_index(["case", "year", "school_id", "level"])
    # the 2016–2017 births reach 初中 in 2028–2029: 第二中学 overflows, unless relieved
    for year in (2028, 2029):
        b, c = s.loc[("baseline", year, JUNIOR_2, "junior")], s.loc[("scenario", year, JUNIOR_2,
                                                                     "junior")]
        assert b.classes_over_limit > 10 and b.large_classes > 0
        assert c.classes_over_limit == 0 and c.large_classes == 0
        assert c.max_class_size < b.max_class_size
    # 第一小学: a grade-1 catchment relieves only the new (smaller) cohorts: never more classes
    # over 45, and within 2000 pupils from 2026
    over = s.xs((URBAN_1, "primary"), level=("school_id", "level")).classes_over_limit
    over = over.unstack("case")
    assert (over["scenario"] <= over["baseline"]).all() and over.loc[2029].min() > 0
    size = relief.school_size.set_index(["case", "year", "school_id"])
    assert not size.loc[("baseline", 2026, URBAN_1), "met"]
    assert size.loc[("scenario", 2026, URBAN_1), "met"]
    # the new school fills up one intake a year, four classes per intake
    new = relief.schools[(relief.schools.case == "scenario") & (relief.schools.school_id == NEW)]
    assert new[new.level == "primary"].classes.tolist() == [4, 8, 12, 16]
    assert new[new.level == "junior"].classes.tolist() == [4, 8, 12, 12]
    assert NEW not in set(relief.schools[relief.schools.case == "baseline"].school_id)


def test_facilities_and_teachers_change_only_as_the_scenario_says(county, facts):
    sc = scenario(facts, {"type": "expand_school", "year": 2027, "school_id": URBAN_4,
                          "sports_ground_area_m2": 5000, "equipment_value_10k_yuan": 100},
                  {"type": "hire_teachers", "year": 2028, "school_id": URBAN_4,
                   "qualified_teachers_primary": 10})
    r = run_scenario(county.tables, sc)
    u = r.units[(r.units.school_id == URBAN_4)].pivot_table(index="year", columns="case",
                                                            values=["value_B5", "value_B6",
                                                                    "value_B1"])
    assert (u.loc[[2025, 2026], ("value_B5", "scenario")] == u.loc[[2025, 2026],
            ("value_B5", "baseline")]).all()
    students = r.units[(r.units.school_id == URBAN_4) & (r.units.year == 2027)
                       & (r.units.case == "scenario")].students.iloc[0]
    gain = u.loc[2027, ("value_B5", "scenario")] - u.loc[2027, ("value_B5", "baseline")]
    assert gain == pytest.approx(5000 / students)
    gain6 = u.loc[2027, ("value_B6", "scenario")] - u.loc[2027, ("value_B6", "baseline")]
    assert gain6 == pytest.approx(1_000_000 / students)
    assert u.loc[2027, ("value_B1", "scenario")] == u.loc[2027, ("value_B1", "baseline")]
    assert u.loc[2028, ("value_B1", "scenario")] > u.loc[2028, ("value_B1", "baseline")]


def test_merge_adds_the_absorbed_school_to_its_target(county, facts):
    a, b = "6523010025", "6523010016"
    sc = scenario(facts, {"type": "merge_school", "year": 2027, "school_id": a, "into": b})
    r = run_scenario(county.tables, sc)
    assert a not in set(r.units[(r.units.case == "scenario") & (r.units.year >= 2027)].school_id)
    st = r.schools.pivot_table(index=["year", "school_id"], columns="case", values="students")
    assert st.loc[(2027, b), "scenario"] == pytest.approx(
        st.loc[(2027, b), "baseline"] + st.loc[(2027, a), "baseline"], abs=3)


def test_counts_move_whole_students_and_warn_when_short(county, facts):
    sc = scenario(facts, new_school(), move("6523010028", NEW, count=500, grades=[1]))
    r = run_scenario(county.tables, sc)
    assert r.warnings and "6523010028" in r.warnings[0]
    s = r.schools[(r.schools.school_id == "6523010028") & (r.schools.case == "scenario")]
    assert s.set_index("year").loc[2029, "students"] < s.set_index("year").loc[2025, "students"]


def test_order_of_schools_in_the_data_is_irrelevant(county, facts):
    tables = dict(county.tables)
    tables["schools"] = tables["schools"].iloc[::-1].reset_index(drop=True)
    tables["classes"] = tables["classes"].sample(frac=1.0, random_state=3).reset_index(drop=True)
    sc = scenario(facts, new_school(), move(URBAN_1, NEW, share=0.35))
    a = to_json(run_scenario(county.tables, sc))
    b = to_json(run_scenario(tables, sc))
    assert a == b


# ---------------------------------------------------------------------------------------------
# bad scenario files: every problem located


def problems_of(facts, raw) -> list[tuple]:
    with pytest.raises(ScenarioError) as exc:
        parse_scenario(raw, facts, "bad.yaml")
    return [(p.change, p.field) for p in exc.value.problems]


def test_every_problem_of_a_bad_file_is_located(facts):
    raw = {"name": "坏文件", "colour": "red", "projection": {"target_year": 2020, "entry": "magic"},
           "changes": [
               new_school(),
               move("9999999999", NEW, share=0.3),  # unknown school
               move(URBAN_1, NEW, share=1.3),  # impossible share
               {"type": "build_bridge", "year": 2026},  # unknown type
               move(URBAN_1, NEW, year=2024, share=0.2),  # before the last observed year
               move(URBAN_1, NEW, share=0.2, grades=[7]),  # URBAN_1 has no grade 7
               {"type": "hire_teachers", "year": 2027, "school_id": URBAN_1, "teachers": 3},
               {"type": "close_school", "year": 2027, "school_id": URBAN_4,
                "into": {URBAN_1: 0.5, "6523010002": 0.4}},
               move(URBAN_4, NEW, share=0.5, grades=[1]),
               move(URBAN_4, NEW, share=0.3, year=2027, grades=[1]),  # closed in 2027
               {"type": "expand_school", "year": 2027, "school_id": URBAN_1,
                "classrooms": -5},
           ]}
    got = problems_of(facts, raw)
    assert (None, "colour") in got
    assert (None, "projection.target_year") in got
    assert (None, "projection.entry") in got
    assert (2, "from") in got
    assert (3, "share") in got
    assert (4, "type") in got
    assert (5, "year") in got
    assert (6, "grades") in got
    assert (7, "teachers") in got  # not a field
    assert (8, "into") in got  # shares sum to 0.9
    assert (10, "from") in got  # URBAN_4 closed from 2027
    assert (11, "classrooms") in got


def test_a_school_used_before_it_opens_or_created_twice(facts):
    got = problems_of(facts, {"name": "x", "changes": [
        new_school(year=2027), move(URBAN_1, NEW, year=2026, share=0.2), new_school(year=2028),
        {"type": "new_school", "year": 2026, "school_id": URBAN_1, "school_name": "重名",
         "school_type": "primary", "area_type": "urban"}]})
    assert (2, "to") in got
    assert (3, "school_id") in got
    assert (4, "school_id") in got


def test_shares_out_of_one_school_add_up(facts):
    got = problems_of(facts, {"name": "x", "changes": [
        new_school(), move(URBAN_1, NEW, share=0.6),
        move(URBAN_1, "6523010002", share=0.5, year=2027)]})
    assert got == [(3, "share")]


def test_yaml_syntax_error_names_the_line(tmp_path, facts):
    from balance_lib.scenario_spec import load_scenario

    f = tmp_path / "broken.yaml"
    f.write_text("name: x\nchanges:\n  - type: new_school\n    year: [2026\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(f, facts)
    assert "第 4 行" in str(exc.value) or "第 5 行" in str(exc.value)


# ---------------------------------------------------------------------------------------------
# the command line


def write(tmp_path: Path, raw: dict) -> Path:
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return f


def test_cli_table_shows_the_relief(tmp_path):
    f = write(tmp_path, {"name": "城区新校", "changes": [
        new_school(), move(URBAN_1, NEW, share=0.35), move(URBAN_4, NEW, share=0.3)]})
    res = runner.invoke(app, ["scenario", str(SAMPLE_DIR), "--scenario", str(f), "--format",
                              "table"])
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert "情景: 城区新校" in out
    assert "模拟数据" in out
    assert "昌吉市第一小学" in out and "新区学校" in out
    assert "2029" in out and "→" in out
    assert "回测" in out


def test_cli_json_shape(tmp_path):
    f = write(tmp_path, {"name": "城区新校",
                         "changes": [new_school(), move(URBAN_1, NEW, share=0.3)]})
    out = tmp_path / "r.json"
    res = runner.invoke(app, ["scenario", str(SAMPLE_DIR), "--scenario", str(f), "--to", "2028",
                              "--format", "json", "--output", str(out)])
    assert res.exit_code == 0, res.output
    j = json.loads(out.read_text(encoding="utf-8"))
    assert j["scenario"] == "城区新校"
    assert j["years"] == [2025, 2026, 2027, 2028]
    assert set(j["schools"][0]) == {"year", "school_id", "level", "case", "students", "classes",
                                    "mean_class_size", "max_class_size", "classes_over_limit",
                                    "large_classes", "super_large_classes"}
    assert set(j["units"][0]) == {"year", "case", "school_id", "level", "values", "passes"}
    assert set(j["units"][0]["values"]) == {f"B{k}" for k in range(1, 8)}
    assert set(j["variation"][0]) == {"year", "case", "level", "indicator", "cv", "met"}
    assert {"baseline", "scenario", "target_year", "backtest"} <= set(j["summary"])
    first = {x["school_id"]: x for x in j["school_size"] if x["case"] == "baseline"
             and x["year"] == 2026}
    assert first[URBAN_1]["limit"] == 2000 and first[URBAN_1]["met"] is False
    assert j["summary"]["projection"]["entry"] == "births"  # data/sample has births.csv
    assert j["summary"]["projection"]["entry_backtest"]["best"] == "births"
    assert j["summary"]["target_year"] == 2028
    again = tmp_path / "r2.json"
    runner.invoke(app, ["scenario", str(SAMPLE_DIR), "--scenario", str(f), "--to", "2028",
                        "--format", "json", "--output", str(again)])
    assert again.read_bytes() == out.read_bytes()


def test_cli_bad_file_exits_2_listing_every_problem(tmp_path):
    f = write(tmp_path, {"name": "坏", "changes": [move("9999999999", URBAN_1, share=2)]})
    out = tmp_path / "never.json"
    res = runner.invoke(app, ["scenario", str(SAMPLE_DIR), "--scenario", str(f), "--format",
                              "json", "--output", str(out)])
    assert res.exit_code == 2
    assert "s.yaml 第 1 项变更（move_students） 字段 from" in res.stderr
    assert "字段 share" in res.stderr
    assert "Traceback" not in res.output
    assert not out.exists()


def test_cli_without_classes_exits_2(tmp_path):
    import shutil

    d = tmp_path / "county"
    shutil.copytree(SAMPLE_DIR, d)
    (d / "classes.csv").unlink()
    (d / "sample_county.xlsx").unlink()
    res = runner.invoke(app, ["scenario", str(d)])
    assert res.exit_code == 2
    assert "classes.csv" in res.stderr


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.name)
def test_sample_scenarios_are_valid(path, facts):
    from balance_lib.scenario_spec import load_scenario

    sc = load_scenario(path, facts)
    assert sc.name and sc.changes


def test_open_policy_keeps_every_class_within_the_limit_and_counts_classrooms(county, facts):
    r = run_scenario(county.tables, scenario(facts, class_policy="open"))
    projected = r.schools[r.schools.year > 2025]
    assert (projected.classes_over_limit == 0).all()
    assert (projected[projected.level == "primary"].max_class_size <= 45).all()
    assert (projected[projected.level == "junior"].max_class_size <= 50).all()
    short = r.summary["classrooms_short"]
    assert short and all(x["short"] == x["classes"] - x["classrooms"] > 0 for x in short)
    keep = run_scenario(county.tables, EMPTY)
    assert keep.summary["baseline"]["classes_over_limit"]["2029"] > 0
    j = to_json(r)
    assert j["backtest"][-1]["school_id"] == "county"


def test_teachers_can_move_to_a_new_school_but_not_below_zero(county, facts):
    base = county.tables["schools"]
    have = int(base[(base.year == 2025) & (base.school_id.astype(str) == URBAN_1)]
               ["teachers_primary"].iloc[0])
    sc = scenario(facts, new_school(), move(URBAN_1, NEW, share=0.3),
                  {"type": "hire_teachers", "year": 2027, "school_id": URBAN_1,
                   "teachers_primary": -5, "qualified_teachers_primary": -5})
    r = run_scenario(county.tables, sc)
    u = r.units[(r.units.school_id == URBAN_1) & (r.units.year == 2027)].set_index("case")
    assert u.loc["scenario", "value_B1"] < u.loc["baseline", "value_B1"] * 0.75 / 0.7 + 1
    bad = scenario(facts, {"type": "hire_teachers", "year": 2027, "school_id": URBAN_1,
                           "teachers_primary": -(have + 1)})
    with pytest.raises(ScenarioError) as exc:
        run_scenario(county.tables, bad)
    assert [(p.change, p.field) for p in exc.value.problems] == [(1, "teachers_primary")]


def test_students_agree_between_the_class_table_and_the_units(relief):
    s = relief.schools.groupby(["case", "year", "school_id", "level"])["students"].sum()
    u = relief.units.set_index(["case", "year", "school_id", "level"])["students"]
    common = s.index.intersection(u.index)
    assert len(common) > 100
    assert (s.loc[common] == u.loc[common]).all()


def test_baseline_classrooms_do_not_include_the_scenarios(county, facts):
    sc = scenario(facts, {"type": "expand_school", "year": 2026, "school_id": JUNIOR_2,
                          "classrooms": 10}, class_policy="open")
    r = run_scenario(county.tables, sc)
    c = r.classrooms[(r.classrooms.school_id == JUNIOR_2) & (r.classrooms.year == 2029)]
    c = c.set_index("case")
    assert c.loc["scenario", "classrooms"] == c.loc["baseline", "classrooms"] + 10
    assert c.loc["baseline", "short"] > 0


def test_scenario_report_speaks_english(county):
    import re

    from balance_lib import report as rp
    from balance_lib import scenario_report as sr

    cjk = re.compile(r"[\u4e00-\u9fff]")
    d = rp.load(SAMPLE_DIR)
    run = sr.run(d, SCENARIOS / "new-school-2026.yaml", 0, "en")
    for table in (sr.changes_table(run, "en"), sr.targets_table(run, "en"),
                  sr.class_table(run, "en"), sr.county_table(run, "en"), sr.cv_table(run, "en"),
                  sr.backtest_table(run, lang="en"), sr.failing_table(run, lang="en")):
        assert not any(cjk.search(str(c)) for c in table.columns), list(table.columns)
    assert "baseline" in set(sr.county_table(run, "en")["case"])
    assert sr.section("cv", "en").startswith("5.")
    for fig in (sr.class_size_chart(run, "en"), sr.county_classes_chart(run, "en"),
                sr.cv_chart(run, "junior", "en")):
        ax = fig.axes[0]
        for text in (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()):
            assert text and not cjk.search(text), text
    first = sr.intro(run, "en").splitlines()
    assert first[0] == "Scenario file: new-school-2026.yaml"
    assert not cjk.search(first[2])  # years and methods (line 1 is the file's description)


def test_births_need_every_birth_year(facts, county):
    import dataclasses

    facts = dataclasses.replace(facts, births={})  # data without births.csv
    raw = {"name": "出生", "projection": {"entry": "births", "births": {2020: 5200, 2021: 5100}},
           "changes": []}
    got = problems_of(facts, raw)
    assert got == [(None, "projection.births")]
    births = {y: 5000 + 10 * (y - 2016) for y in range(2016, 2024)}
    sc = parse_scenario({"name": "出生", "projection": {"entry": "births", "births": births},
                         "changes": []}, facts)
    r = run_scenario(county.tables, sc)
    assert r.scenario.settings.entry == "births"
    g1 = project(county.tables, sc).students_baseline[:, :, 0].sum(axis=1)
    assert np.all(np.diff(g1) > 0)  # births rise by 10 a year, so do the entrants


@pytest.fixture(scope="module")
def sample_runs(county, facts):
    from balance_lib.scenario_spec import load_scenario

    return {name: run_scenario(county.tables, load_scenario(SCENARIOS / f"{name}.yaml", facts))
            for name in ("new-school-2026", "rural-expansion-2027", "combined-plan-2028")}


def _over_limit(r, case):
    v = r.variation[(r.variation.case == case) & ~r.variation.met]
    return {(y, lv, i) for y, lv, i in zip(v.year, v.level, v.indicator, strict=True)}


def test_the_baseline_tells_the_story_the_scenario_files_start_from(sample_runs):
    """Falling births ease the 小学; the 2016–2017 peak crowds the 初中 in 2028–2029."""
    r = sample_runs["new-school-2026"]
    base = r.schools[r.schools.case == "baseline"]
    prim = base[base.level == "primary"].groupby("year").students.sum()
    jun = base[base.level == "junior"].groupby("year").students.sum()
    assert prim.is_monotonic_decreasing and jun[2029] > jun[2025]
    assert r.summary["projection"]["entry"] == "births"
    s = base.set_index(["year", "school_id"])
    for sid in (URBAN_1, URBAN_4):  # crowded cohorts already at school stay crowded
        assert (s.xs(sid, level="school_id").classes_over_limit > 0).all()
    for sid in (JUNIOR_2, "6523010042"):
        assert s.loc[(2029, sid), "large_classes"] > 0
    size = r.school_size.set_index(["case", "year", "school_id"]).met
    assert not size[("baseline", 2026, URBAN_1)] and size[("baseline", 2027, URBAN_1)]
    assert ("primary", "B5") in {(lv, i) for _, lv, i in _over_limit(r, "baseline")}


def test_new_school_2026_does_what_its_file_says(sample_runs):
    r = sample_runs["new-school-2026"]
    sm = r.summary
    assert sm["scenario"]["targets"]["school_size"]["met_from"] == 2026
    assert sm["baseline"]["targets"]["school_size"]["met_from"] == 2027
    assert sm["scenario"]["targets"]["large_classes"]["met_from"] == 2026
    assert sm["baseline"]["targets"]["large_classes"]["met_from"] is None
    s = r.schools.set_index(["case", "year", "school_id", "level"])
    for sid in (JUNIOR_2, "6523010042"):
        over = s.xs((sid, "junior"), level=("school_id", "level")).classes_over_limit
        assert (over.loc["scenario"].loc[2026:] == 0).all() and over.loc["baseline"][2029] > 0
    for sid in (URBAN_1, URBAN_4):
        over = s.xs((sid, "primary"), level=("school_id", "level")).classes_over_limit
        assert (over.loc["scenario"].loc[2026:] < over.loc["baseline"].loc[2026:]).all()
        assert (over.loc["scenario"].loc[2028:] == 0).all()
    u = r.units.set_index(["case", "year", "school_id", "level"]).passes
    assert u[("scenario", 2029, JUNIOR_2, "junior")] and not u[("baseline", 2029, JUNIOR_2,
                                                                  "junior")]
    assert u.xs(NEW, level="school_id").all()  # the new school passes every year
    assert _over_limit(r, "scenario") <= _over_limit(r, "baseline")  # no CV pushed over


def test_rural_expansion_2027_does_what_its_file_says(sample_runs):
    r = sample_runs["rural-expansion-2027"]
    school = "6523010028"
    u = r.units[r.units.school_id == school].set_index(["case", "year"])
    assert not u.loc[("baseline", 2027), "passes"] and u.loc[("scenario", 2027), "passes"]
    assert u.loc[("scenario", 2027), "met_count"] == 7
    assert u.loc[("scenario", 2027), "value_B3"] > 1.9 * u.loc[("baseline", 2027), "value_B3"]
    assert u.loc[("baseline", 2025), "value_B3"] < 0.85 * 0.9  # why the school fails in 2025
    v = r.variation[r.variation.level == "primary"].pivot_table(
        index=["indicator", "year"], columns="case", values="cv")
    for ind in ("B5", "B6", "B7"):  # the CVs go up, as its description says
        x = v.loc[ind].loc[2027:]
        assert (x.scenario > x.baseline).all(), ind
    before = v.loc["B5"].loc[:2026]
    assert (before.scenario == before.baseline).all()


def test_combined_plan_2028_does_what_its_file_says(sample_runs):
    sm = sample_runs["combined-plan-2028"].summary
    plan = sm["scenario"]
    assert all(t["met_from"] is not None and t["met_from"] <= 2028
               for t in plan["targets"].values()), plan["targets"]
    assert plan["failing_in_target_year"] == []
    assert [c for c in sm["classrooms_short"] if c["case"] == "scenario"] == []
    base = sm["baseline"]["targets"]
    assert base["cv"]["met_from"] is None and base["units"]["met_from"] is None
    assert base["school_size"]["met_from"] == 2027



def _with_births(county, years):
    import pandas as pd

    tables = dict(county.tables)
    tables["births"] = pd.DataFrame({"year": list(years),
                                     "births": [6000 - 300 * (y - 2016) for y in years]})
    return tables


def test_births_in_the_data_make_births_the_default(county):
    tables = _with_births(county, range(2012, 2024))
    facts = school_facts(tables)
    assert facts.births[2023] == 6000 - 300 * 7
    sc = parse_scenario({"name": "默认", "changes": []}, facts)
    assert sc.settings.entry == "births" and sc.settings.births == facts.births
    assert parse_scenario({"name": "趋势", "projection": {"entry": "trend"}, "changes": []},
                          facts).settings.entry == "trend"
    own = parse_scenario({"name": "文件", "projection": {"births": {2023: 1000}},
                          "changes": []}, facts).settings
    assert own.entry == "births" and own.births[2023] == 1000 and own.births[2022] == 4200
    r = run_scenario(tables, sc)
    assert r.summary["projection"]["entry"] == "births"
    g1 = project(tables, sc).students_baseline[:, :, 0].sum(axis=1)
    assert np.all(np.diff(g1) < 0)  # births fall by 300 a year, so do the entrants
    comparison = r.summary["projection"]["entry_backtest"]
    assert set(comparison["methods"]) == {"trend", "mean", "births"}
    assert comparison["best"] in comparison["methods"]


def test_births_that_do_not_cover_the_projection(county):
    tables = _with_births(county, range(2012, 2022))  # 2022, 2023 missing for 2028, 2029
    facts = school_facts(tables)
    assert parse_scenario({"name": "默认", "changes": []}, facts).settings.entry == "trend"
    with pytest.raises(ScenarioError) as exc:
        parse_scenario({"name": "出生", "projection": {"entry": "births"}, "changes": []}, facts)
    [p] = exc.value.problems
    assert p.field == "projection.births" and "2022, 2023" in p.message_zh
    assert "births.csv" in p.message_zh
    tables.pop("births")
    assert school_facts(tables).births == {}


# ---------------------------------------------------------------------------------------------
# the baseline part and the scenario part of run_scenario (what the explorer caches)


def test_a_kept_baseline_gives_what_run_scenario_gives(county, facts):
    """evaluate_scenario on one cached baseline, for several scenarios in a row, gives exactly
    run_scenario's frames (run_scenario is the same two steps)."""
    from balance_lib.scenario import evaluate_baseline, evaluate_scenario

    plans = [scenario(facts, new_school(), move(URBAN_1, NEW, share=s)) for s in (0.1, 0.4)]
    plans.append(scenario(facts, {"type": "hire_teachers", "year": 2027, "school_id": URBAN_4,
                                  "teachers_primary": 5}))
    base = evaluate_baseline(county.tables, plans[0].settings)
    for sc in plans:
        kept, fresh = evaluate_scenario(base, sc), run_scenario(county.tables, sc)
        for name in ("schools", "school_size", "units", "variation", "classrooms", "backtest"):
            a, b = getattr(kept, name), getattr(fresh, name)
            assert len(a) > 0 and a.equals(b), name
        assert kept.summary == fresh.summary and kept.years == fresh.years
        assert json.dumps(to_json(kept)) == json.dumps(to_json(fresh))  # keys in order too
    kept.summary["baseline"]["targets"].clear()  # a caller's edit does not reach the baseline
    assert evaluate_scenario(base, plans[0]).summary == run_scenario(county.tables,
                                                                     plans[0]).summary


def test_a_baseline_serves_only_its_projection_settings(county, facts):
    from balance_lib.scenario import evaluate_baseline, evaluate_scenario

    base = evaluate_baseline(county.tables)  # keep, trend, 2029
    with pytest.raises(ValueError, match="projection settings differ"):
        evaluate_scenario(base, scenario(facts, class_policy="open"))


def test_the_engine_evaluates_each_case_on_its_own(county, facts):
    """Splitting run_scenario is exact only if the engine never mixes the two cases (two
    "counties"): one pass over both cases equals one pass per case."""
    from balance_lib.indicators import evaluate
    from balance_lib.registry import load_registry
    from balance_lib.scenario import SCENARIO_ITEMS, _case_rows, evaluate_baseline, project
    from balance_lib.settings import Settings

    sc = scenario(facts, new_school(), move(URBAN_1, NEW, share=0.35))
    b, p = evaluate_baseline(county.tables, sc.settings), project(county.tables, sc)
    cases = [_case_rows(b.schools, b.observed_classes, p.years, p.base_ids, p.students_baseline,
                        p.classes_baseline, [], "baseline"),
             _case_rows(b.schools, b.observed_classes, p.years, p.ids, p.students_scenario,
                        p.classes_scenario, list(sc.changes), "scenario")]
    settings, registry = Settings(), load_registry()
    both = [pd.concat([c[k] for c in cases], ignore_index=True) for k in (0, 1)]
    one = evaluate({"schools": both[0], "classes": both[1]}, settings, registry,
                   only=SCENARIO_ITEMS)
    for case, (rows, class_rows) in zip(("baseline", "scenario"), cases, strict=True):
        alone = evaluate({"schools": rows, "classes": class_rows}, settings, registry,
                         only=SCENARIO_ITEMS)
        for name in ("units", "variation", "school_items", "class_sizes"):
            part = getattr(one, name)
            part = part[part.county_id == case].reset_index(drop=True)
            assert len(part) > 0, name
            pd.testing.assert_frame_equal(_text_as_str(part),
                                          _text_as_str(getattr(alone, name).reset_index(drop=True)),
                                          obj=name)


def _text_as_str(frame):
    """Text columns in pandas' default string dtype: concatenating the two cases' rows may
    change a text column's storage (Python objects to Arrow), not its values."""
    return frame.astype({c: "str" for c, t in frame.dtypes.items()
                         if isinstance(t, pd.StringDtype)})


def test_the_scenario_evaluates_b11_and_b12_as_the_full_evaluation_does(county, facts):
    """A scenario evaluates only the unit indicators, B11 and B12 (``only=``, for speed): the
    same rows as the full evaluation's."""
    from balance_lib.indicators import evaluate
    from balance_lib.registry import load_registry
    from balance_lib.scenario import _case_rows, _evaluate_case, evaluate_baseline, project
    from balance_lib.settings import Settings

    sc = scenario(facts, new_school(), move(URBAN_1, NEW, share=0.35),
                  {"type": "merge_school", "year": 2027, "school_id": "6523010025",
                   "into": "6523010016"})
    b, p = evaluate_baseline(county.tables, sc.settings), project(county.tables, sc)
    rows, class_rows = _case_rows(b.schools, b.observed_classes, p.years, p.ids,
                                  p.students_scenario, p.classes_scenario,
                                  sorted(sc.changes, key=lambda c: (c.year, c.index)), "scenario")
    settings, registry = Settings(), load_registry()
    mine = _evaluate_case(rows, class_rows, settings, registry)
    full = evaluate({"schools": rows, "classes": class_rows}, settings, registry)
    pd.testing.assert_frame_equal(mine.class_sizes, full.class_sizes)
    b11 = full.school_items[full.school_items.id == "B11"].sort_values(["year", "school_id"])
    got = mine.school_size.sort_values(["year", "school_id"])
    assert len(got) == len(b11) > 0
    np.testing.assert_array_equal(got["students"], b11["value"])
    np.testing.assert_array_equal(got["limit"], b11["threshold"])
    assert got["met"].tolist() == b11["met"].astype(object).tolist()
    assert not got["met"].all()  # the sample has schools over the limit: the test can fail


SPECIAL = "6523010049"  # 昌吉市特殊教育学校 of the sample


def test_the_special_school_is_in_no_class_table_of_the_sample_scenarios(sample_runs, county):
    """The sample's special school has classes in classes.csv, but no class-size, 大班额 or
    classroom-gap row of a scenario shows it, in either case or any year."""
    assert (county.tables["classes"]["school_id"].astype(str) == SPECIAL).sum() > 0
    for name, r in sample_runs.items():
        for frame in (r.schools, r.classrooms, r.school_size, r.units):
            assert SPECIAL not in set(frame["school_id"].astype(str)), name
        assert {"baseline", "scenario"} <= set(r.classrooms["case"])
        names = set(r.schools["school_name"])
        assert not any("特殊教育" in n for n in names), name
