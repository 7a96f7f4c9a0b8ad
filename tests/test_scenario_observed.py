"""Scenario changes that take effect in the last observed year itself (what ``balance plan
--by LAST_YEAR`` writes): allowed for expand_school and hire_teachers, on the observed
enrolment, and a target year equal to the last observed year."""

from __future__ import annotations

import pytest

from balance_lib.io import load_county
from balance_lib.paths import PROJECT_ROOT
from balance_lib.scenario import run_scenario, scenario_schools, school_facts
from balance_lib.scenario_spec import ScenarioError, parse_scenario

TINY = PROJECT_ROOT / "tests" / "fixtures" / "tiny"
PRIMARY, JUNIOR = "6523010002", "6523010029"


@pytest.fixture(scope="module")
def tables():
    return load_county(TINY).tables


def parse(tables, *changes, target=2025):
    raw = {"name": "今年", "projection": {"target_year": target}, "changes": list(changes)}
    return parse_scenario(raw, school_facts(tables), "now.yaml")


def test_changes_of_the_last_observed_year_act_on_the_observed_rows(tables):
    sc = parse(tables, {"type": "hire_teachers", "year": 2025, "school_id": PRIMARY,
                        "pe_art_teachers_primary": 5},
               {"type": "expand_school", "year": 2025, "school_id": JUNIOR,
                "multimedia_classrooms": 3}, target=2026)
    r = run_scenario(tables, sc)
    assert r.years == [2025, 2026]
    u = r.units.set_index(["case", "year", "school_id", "level"])
    base = u.loc[("baseline", 2025, PRIMARY, "primary")]
    now = u.loc[("scenario", 2025, PRIMARY, "primary")]
    students = base["students"]
    assert now["value_B3"] - base["value_B3"] == pytest.approx(5 / students * 100)
    # the change stays in force in the projected year
    later = u.loc[("scenario", 2026, PRIMARY, "primary")]
    later_base = u.loc[("baseline", 2026, PRIMARY, "primary")]
    assert later["value_B3"] - later_base["value_B3"] == pytest.approx(
        5 / later["students"] * 100)
    rows = scenario_schools(tables, sc)
    obs = rows[(rows.year == 2025) & (rows.school_id == JUNIOR)]
    raw = tables["schools"]
    raw = raw[(raw.year == 2025) & (raw.school_id.astype(str) == JUNIOR)]
    assert obs.multimedia_classrooms.item() == raw.multimedia_classrooms.item() + 3


def test_a_target_year_equal_to_the_last_observed_year(tables):
    sc = parse(tables, {"type": "hire_teachers", "year": 2025, "school_id": PRIMARY,
                        "qualified_teachers_primary": 1})
    r = run_scenario(tables, sc)
    assert r.years == [2025]
    assert r.summary["target_year"] == 2025


@pytest.mark.parametrize("change,field", [
    ({"type": "new_school", "year": 2025, "school_id": "X", "school_name": "新校",
      "school_type": "primary", "area_type": "urban"}, "year"),
    ({"type": "move_students", "year": 2025, "from": PRIMARY, "to": "6523010037",
      "share": 0.1}, "year"),
    ({"type": "expand_school", "year": 2025, "school_id": PRIMARY,
      "entry_classes": {"primary": 1}}, "entry_classes"),
    ({"type": "hire_teachers", "year": 2024, "school_id": PRIMARY,
      "teachers_primary": 1}, "year"),
    ({"type": "hire_teachers", "year": 2025.0, "school_id": PRIMARY,
      "teachers_primary": 1}, "year"),
])
def test_other_changes_of_the_last_observed_year_are_refused(tables, change, field):
    with pytest.raises(ScenarioError) as exc:
        parse(tables, change, target=2026)
    assert [p.field for p in exc.value.problems][:1] == [field]


def test_a_target_year_before_the_data_is_refused(tables):
    with pytest.raises(ScenarioError, match="目标年份应为 2025"):
        parse(tables, target=2024)
