"""balance plan: brute force on small counties, the round trip through balance scenario, the
budget, the distance to compliance and every bad input."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from balance_lib.cli import app
from balance_lib.costs import CostsError, load_costs, parse_costs
from balance_lib.indicators import evaluate_resources
from balance_lib.io import load_county
from balance_lib.paths import PROJECT_ROOT, SAMPLE_DIR
from balance_lib.plan import (
    CV_MARGIN,
    PlanOptions,
    contributions,
    plan_changes,
    prepare,
    rounding_cushion,
    solve,
)
from balance_lib.registry import load_registry
from balance_lib.scenario import run_scenario, school_facts
from balance_lib.scenario_spec import load_scenario
from balance_lib.settings import Settings
from balance_lib.synthetic import make_classes, make_schools

runner = CliRunner()
TINY = PROJECT_ROOT / "tests" / "fixtures" / "tiny"
PRICES = {"qualified_teacher": {"yearly": 120000}, "pe_art_teacher": {"yearly": 100000},
          "multimedia_room": {"once": 80000}}


def school(sid: str, school_type: str, students_primary: int = 0, students_junior: int = 0,
           **values) -> dict:
    """One school row of 2025 with comfortable values unless given."""
    row = {"year": 2025, "school_id": sid, "school_name": f"学校{sid}", "school_type": school_type,
           "area_type": "urban", "is_private": False, "students_primary": students_primary,
           "students_junior": students_junior, "students_senior": 0,
           "teachers_primary": 0, "teachers_junior": 0}
    for lv, n in (("primary", students_primary), ("junior", students_junior)):
        if n:
            row |= {f"teachers_{lv}": n // 15, f"qualified_teachers_{lv}": round(n * 0.06),
                    f"backbone_teachers_{lv}": round(n * 0.015),
                    f"pe_art_teachers_{lv}": round(n * 0.012)}
    n = students_primary + students_junior
    row |= {"teaching_aux_area_m2": 6.2 * n, "indoor_sports_area_m2": 0.0,
            "sports_ground_area_m2": 11.0 * n, "equipment_value_10k_yuan": 0.28 * n,
            "multimedia_classrooms": round(0.027 * n)}
    return row | values


def county(*rows: dict) -> dict[str, pd.DataFrame]:
    return {"schools": pd.DataFrame(rows)}


def costs(caps: dict[str, dict[str, int]] | None = None, prices: dict = PRICES):
    actions = {name: {**p} for name, p in prices.items()}
    return parse_costs({"actions": actions, "limits": caps or {}}, "test-costs.yaml")


#: A: misses B1, B3 (below the floor) and B7; B: B7 below the floor; C: many rooms (a high B7,
#: so the primary B7 CV binds once A and B are fixed on their own); D: a junior school.
BINDING = county(
    school("A", "primary", 400, qualified_teachers_primary=15, pe_art_teachers_primary=3,
           multimedia_classrooms=8),
    school("B", "primary", 250, multimedia_classrooms=4),
    school("C", "primary", 350, multimedia_classrooms=24),
    school("D", "junior", students_junior=300, qualified_teachers_junior=15),
)
BOX = {"A": {"qualified_teacher": 3, "pe_art_teacher": 2, "multimedia_room": 5},
       "B": {"qualified_teacher": 2, "pe_art_teacher": 1, "multimedia_room": 5},
       "C": {"qualified_teacher": 0, "pe_art_teacher": 0, "multimedia_room": 1},
       "D": {"qualified_teacher": 1, "pe_art_teacher": 0, "multimedia_room": 0}}


def brute_force(tables: dict[str, pd.DataFrame], box: dict[str, dict[str, int]],
                prices: dict = PRICES, *, cv: bool = True) -> tuple[float, np.ndarray]:
    """Every integer combination in ``box`` evaluated by the engine in one pass (one "county"
    per combination); the cheapest that passes every unit (and every CV within limit − margin;
    with ``cv=False`` only the units of the schools in ``box`` must pass). Returns (cost,
    quantities of the cheapest)."""
    rows = tables["schools"].reset_index(drop=True)
    levels = {r.school_id: [lv for lv in ("primary", "junior") if getattr(r, f"students_{lv}")]
              for r in rows.itertuples()}
    variables = [(s, a, lv) for s, caps in box.items() for a, n in caps.items() if n
                 for lv in (levels[s] if a.endswith("teacher") else [None])]
    ranges = [range(box[s][a] + 1) for s, a, _ in variables]
    combos = np.array(list(itertools.product(*ranges)), dtype=float)
    for s in box:  # a school's cap is over its levels together
        for a in box[s]:
            cols = [k for k, v in enumerate(variables) if v[:2] == (s, a)]
            if len(cols) > 1:
                combos = combos[combos[:, cols].sum(axis=1) <= box[s][a]]
    n = len(combos)
    big = rows.iloc[np.tile(np.arange(len(rows)), n)].reset_index(drop=True)
    big["county_id"] = np.repeat(np.arange(n).astype(str), len(rows))
    sid = big["school_id"].to_numpy()
    for k, (s, a, lv) in enumerate(variables):
        add = np.where(sid == s, np.repeat(combos[:, k], len(rows)), 0.0)
        cols = {"qualified_teacher": [f"qualified_teachers_{lv}", f"teachers_{lv}"],
                "pe_art_teacher": [f"pe_art_teachers_{lv}", f"teachers_{lv}"],
                "multimedia_room": ["multimedia_classrooms"]}[a]
        for c in cols:
            big[c] = big[c].astype(float) + add
    r = evaluate_resources(big, Settings(), load_registry())
    units = r.units if cv else r.units[r.units.school_id.isin(list(box))]
    ok = units.groupby("county_id")["passes"].all()
    if cv:
        v = r.variation.assign(ok=lambda f: f.cv.isna() | (f.cv <= f.limit - CV_MARGIN))
        ok &= v.groupby("county_id")["ok"].all()
    ok = ok.reindex(np.arange(n).astype(str)).to_numpy()
    price = np.array([sum(prices[a].values()) for _, a, _ in variables])
    cost = combos @ price
    cost[~ok] = np.inf
    best = int(np.argmin(cost))
    return float(cost[best]), combos[best]


def test_brute_force_equals_the_optimum_where_the_cv_binds():
    expected, _ = brute_force(BINDING, BOX)
    pb = prepare(BINDING, 2025, costs(BOX))
    r = solve(pb)
    assert r.status == "optimal" and r.gap == 0
    assert r.total_cost == expected
    # the case is one where the CV matters: the own fixes leave the primary B7 CV too high
    assert r.binding["binds"] and [c["indicator"] for c in r.binding["cvs"]] == ["B7"]
    own, _ = brute_force(BINDING, BOX, cv=False)
    assert r.binding["fix_total"] == own < expected
    assert r.units_after["passes"].all() and r.variation_after["met"].all()


def test_brute_force_on_a_nine_year_school_and_its_split():
    tables = county(
        school("N", "nine_year", 300, 200, qualified_teachers_primary=11,
               qualified_teachers_junior=9, multimedia_classrooms=9),
        school("P", "primary", 280, multimedia_classrooms=5),
        school("J", "junior", students_junior=260, multimedia_classrooms=12),
    )
    box = {"N": {"qualified_teacher": 3, "multimedia_room": 5},
           "P": {"qualified_teacher": 1, "multimedia_room": 3},
           "J": {"qualified_teacher": 1, "multimedia_room": 1}}
    expected, best = brute_force(tables, box)
    assert np.isfinite(expected) and best.sum() > 0
    r = solve(prepare(tables, 2025, costs(box)))
    assert r.status == "optimal" and r.total_cost == expected
    rooms = r.actions[(r.actions.school_id == "N") & (r.actions.action == "multimedia_room")]
    assert rooms.level.isna().all() or (rooms.level.map(type) != str).all()  # whole school


def test_plan_equals_the_sum_of_own_fixes_where_the_cvs_do_not_bind():
    tables = county(*[dict(r) for r in BINDING["schools"].to_dict("records")])
    tables["schools"].loc[tables["schools"].school_id == "C", "multimedia_classrooms"] = 16
    r = solve(prepare(tables, 2025, costs(BOX)))
    own = {}
    for s in BOX:  # each school alone, by brute force over its own box, ignoring the CVs
        own[s], _ = brute_force(tables, {s: BOX[s]}, cv=False)
    fixes = r.fixes.set_index("school_id")["cost"].to_dict()
    assert fixes == {s: c for s, c in own.items() if c > 0}
    assert not r.binding["binds"] and r.binding["cvs"] == []
    assert r.total_cost == sum(own.values()) == r.binding["fix_total"]


def test_a_compliant_county_gets_an_empty_plan_at_no_cost(tmp_path):
    tables = county(school("A", "primary", 400), school("B", "primary", 300),
                    school("D", "junior", students_junior=350))
    pb = prepare(tables, 2025, costs())
    assert pb.units["passes"].all() and pb.variation["met"].all()
    r = solve(pb)
    assert r.status == "optimal" and r.actions.empty and r.total_cost == 0
    assert r.cost_by_year == {2025: 0.0} and plan_changes(r) == []
    assert r.fixes.empty and not r.binding["binds"]


@pytest.fixture(scope="module")
def sample():
    return load_county(SAMPLE_DIR)


def round_trip(data: Path, by: int, tmp_path: Path, *extra: str) -> tuple[dict, dict]:
    """balance plan --output, then balance scenario on that file: (plan JSON, scenario JSON)."""
    out = tmp_path / f"plan-{by}.yaml"
    res = runner.invoke(app, ["plan", str(data), "--by", str(by), "--format", "json",
                              "--output", str(out), *extra])
    assert res.exit_code == 0, res.output
    plan = json.loads(res.stdout)
    res = runner.invoke(app, ["scenario", str(data), "--scenario", str(out), "--format", "json"])
    assert res.exit_code == 0, res.output
    return plan, json.loads(res.stdout)


def assert_targets_met(plan: dict, scen: dict, by: int) -> None:
    summary = scen["summary"]["scenario"]
    assert scen["years"][-1] == by
    assert summary["targets"]["units"]["met_in_target_year"]
    assert summary["targets"]["cv"]["met_in_target_year"]
    units = [u for u in scen["units"] if u["case"] == "scenario" and u["year"] == by]
    assert units and all(u["passes"] for u in units)
    assert plan["after"]["units_passing"] == plan["after"]["units"] == len(units)
    assert all(v["met"] for v in scen["variation"] if v["case"] == "scenario" and v["year"] == by)


@pytest.mark.parametrize("by", ["last", 2029])
def test_round_trip_on_the_sample(sample, tmp_path, by):
    last = school_facts(sample.tables).last_year
    by = last if by == "last" else by
    plan, scen = round_trip(SAMPLE_DIR, by, tmp_path)
    assert plan["status"] in ("optimal", "feasible") and plan["by"] == by
    assert plan["before"]["units_passing"] < plan["before"]["units"]  # there was work to do
    assert plan["total_cost"] == pytest.approx(sum(a["cost"] for a in plan["actions"]))
    assert plan["total_cost"] == pytest.approx(sum(plan["cost_by_year"].values()))
    assert all(a["year"] == by for a in plan["actions"])
    assert_targets_met(plan, scen, by)
    # the plan changed only the scenario case: the baseline still fails in the target year
    assert not scen["summary"]["baseline"]["targets"]["units"]["met_in_target_year"]


def random_county(path: Path, seed: int, n: int = 14) -> Path:
    """A random one-county data folder (2024–2025) with classes spread evenly per grade."""
    s = make_schools(1, n, years=(2024, 2025), seed=seed).drop(columns="county_id")
    path.mkdir(parents=True, exist_ok=True)
    s.to_csv(path / "schools.csv", index=False)
    make_classes(s).to_csv(path / "classes.csv", index=False)
    return path


@pytest.mark.parametrize("seed,by", [(3, 2025), (5, 2027)])
def test_round_trip_on_a_random_county(tmp_path, seed, by):
    data = random_county(tmp_path / "county", seed)
    plan, scen = round_trip(data, by, tmp_path)
    assert plan["before"]["units_passing"] < plan["before"]["units"]
    assert_targets_met(plan, scen, by)


def test_cost_does_not_rise_as_the_budget_grows(tmp_path):
    tables = load_county(TINY).tables
    pb = prepare(tables, 2027, load_costs())
    free = solve(pb, PlanOptions(fixes=False))
    assert free.status == "optimal" and free.total_cost > 0
    low = solve(pb, PlanOptions(budget=free.total_cost / 10, fixes=False))
    assert low.status == "infeasible" and low.min_budget is not None
    assert free.total_cost / 10 < low.min_budget <= free.total_cost
    costs_seen = []
    for budget in (low.min_budget, low.min_budget * 1.3, free.total_cost, 10 * free.total_cost):
        r = solve(pb, PlanOptions(budget=budget, fixes=False))
        assert r.status == "optimal", budget
        assert max(r.cost_by_year.values()) <= budget + 1e-6
        assert r.units_after["passes"].all() and r.variation_after["met"].all()
        costs_seen.append(r.total_cost)
    assert all(a >= b - 1e-6 for a, b in itertools.pairwise(costs_seen))
    assert costs_seen[-1] == pytest.approx(free.total_cost)


def test_a_budget_spreads_the_plan_and_the_file_keeps_the_years(tmp_path):
    tables = load_county(TINY).tables
    pb = prepare(tables, 2027, load_costs())
    need = solve(pb, PlanOptions(budget=0, fixes=False)).min_budget
    r = solve(pb, PlanOptions(budget=need, fixes=False))
    years = sorted(set(r.actions["year"]))
    assert len(years) > 1 and years[0] == 2026  # more than one year's spending
    changes = plan_changes(r)
    assert sorted({c["year"] for c in changes}) == years
    spend = r.cost_by_year
    assert set(spend) == {2026, 2027} and sum(spend.values()) == pytest.approx(r.total_cost)


def test_rounding_to_whole_m2_never_breaks_the_budget(sample):
    """A budget that binds in several years: the plan rounded to whole m² stays within it (the
    model plans within the budget less the rounding cushion: one m² of teaching area, one of
    sports ground and one 元 of equipment)."""
    pb = prepare(sample.tables, 2029, load_costs())
    assert rounding_cushion(pb) == 3500 + 600 + 1
    r = solve(pb, PlanOptions(budget=7_000_000, fixes=False))
    assert r.status == "optimal"
    spend = r.cost_by_year
    assert max(spend.values()) <= 7_000_000 and sum(v > 6_900_000 for v in spend.values()) >= 2
    assert r.units_after["passes"].all() and r.variation_after["met"].all()


def test_over_budget_cli_gives_the_smallest_budget_and_writes_nothing(tmp_path):
    out = tmp_path / "plan.yaml"
    res = runner.invoke(app, ["plan", str(TINY), "--by", "2027", "--budget", "1000",
                              "--output", str(out)])
    assert res.exit_code == 3, res.output
    assert "至少需要每年" in res.stdout and not out.exists()


def test_a_school_capped_by_land_is_named(tmp_path):
    tables = county(school("A", "primary", 400, teaching_aux_area_m2=1500.0,
                           sports_ground_area_m2=2000.0), school("B", "primary", 300))
    c = parse_costs({"actions": {"teaching_aux_area": {"once": 3500},
                                 "sports_area": {"once": 600}},
                     "limits": {"A": {"max_area_m2": 0}}})
    r = solve(prepare(tables, 2025, c))
    assert r.status == "infeasible" and r.actions.empty
    reasons = {(x["school_id"], x["indicator"], x["kind"], x["limit"]) for x in r.infeasible}
    assert reasons == {("A", "B4", "floor", "max_area_m2"), ("A", "B5", "floor", "max_area_m2")}
    from balance_lib.plan_text import render_plan

    text = render_plan(r)
    assert "85% 底线" in text and "max_area_m2" in text


def test_a_cv_that_cannot_be_met_is_named():
    # C's rooms push the primary B7 CV over its limit and nothing may be added at A or B
    box = {"A": {"multimedia_room": 0}, "B": {"multimedia_room": 0}}
    tables = county(school("A", "primary", 400), school("B", "primary", 300),
                    school("C", "primary", 120, multimedia_classrooms=40))
    r = solve(prepare(tables, 2025, costs(box)))
    assert r.status == "infeasible"
    assert [(x["kind"], x["level"], x["indicator"]) for x in r.infeasible] == [
        ("cv", "primary", "B7")]


def test_teachers_per_level_and_facilities_split_in_the_scenario_file(sample):
    pb = prepare(sample.tables, 2029, load_costs())
    r = solve(pb, PlanOptions(fixes=False))
    changes = plan_changes(r)
    for ch in changes:
        assert ch["type"] in ("hire_teachers", "expand_school")
        if ch["type"] == "hire_teachers":
            assert set(ch) - {"type", "year", "school_id", "note"} <= {
                f"{k}_{lv}" for k in ("qualified_teachers", "backbone_teachers",
                                      "pe_art_teachers", "teachers") for lv in ("primary",
                                                                                 "junior")
            } | {"certified_teachers"}
    # equipment goes to the file in 万元, whole 元
    eq = r.actions[r.actions.action == "equipment"]
    assert (eq.quantity == eq.quantity.round()).all()
    # whole teachers and rooms
    whole = r.actions[r.actions.action.str.endswith(("teacher", "room"))]["quantity"]
    assert (whole == whole.round()).all()


def test_backbone_teachers_never_outnumber_teachers():
    # every primary teacher of A is already a backbone teacher: B2 can only rise with a hire
    tables = county(school("A", "primary", 500, teachers_primary=4, backbone_teachers_primary=4,
                           qualified_teachers_primary=30),
                    school("B", "primary", 400))
    prices = {"backbone_teacher": {"yearly": 20000}, "qualified_teacher": {"yearly": 120000}}
    r = solve(prepare(tables, 2025, costs(prices=prices)))
    got = r.actions.set_index("action")["quantity"].to_dict()
    # A needs 5 backbone teachers (1 per 100 students): one more, which takes one more teacher
    assert got == {"qualified_teacher": 1.0, "backbone_teacher": 1.0}
    from balance_lib.plan import apply_actions

    after = apply_actions(r.problem.rows, r.actions)
    assert (after.backbone_teachers_primary <= after.teachers_primary).all()


def test_contributions_are_variance_shares():
    tables = BINDING
    pb = prepare(tables, 2025, costs(BOX))
    c = contributions(pb.units, pb.registry)
    sums = c.groupby(["level", "indicator"])["share"].sum()
    assert np.allclose(sums[sums > 0], 1.0)
    b7 = c[(c.level == "primary") & (c.indicator == "B7")].set_index("school_id")
    assert b7.loc["C", "side"] == "above" and b7.share.idxmax() == "C"


# ---------------------------------------------------------------------------------------------
# bad input: every problem at once, with file and field; exit 2; nothing written

BAD_COSTS = """
currency: 元
actions:
  qualified_teacher: {indicator: B2, per: teacher, yearly: 120000}
  pe_art_teacher: {yearly: -5}
  sports_area: {once: 600, step: 0}
  multimedia_room: {once: 80000, step: 1.5, colour: red}
  flying_car: {once: 1}
limits:
  "6523010028": {max_area_m2: -1, helipad: 1}
  "nosuchschool": {qualified_teacher: 2}
extra: 1
"""


def test_every_problem_of_a_costs_file_at_once(tmp_path):
    p = tmp_path / "bad-costs.yaml"
    p.write_text(BAD_COSTS, encoding="utf-8")
    with pytest.raises(CostsError) as exc:
        load_costs(p)
    fields = [x.field for x in exc.value.problems]
    assert fields == ["extra", "actions.qualified_teacher.indicator",
                      "actions.pe_art_teacher.yearly", "actions.sports_area.step",
                      "actions.multimedia_room.colour", "actions.multimedia_room.step",
                      "actions.flying_car", "limits.6523010028.max_area_m2",
                      "limits.6523010028.helipad"]
    assert all(x.file == "bad-costs.yaml" for x in exc.value.problems)


def test_bad_arguments_and_costs_exit_2_listing_everything(tmp_path):
    p = tmp_path / "bad-costs.yaml"
    p.write_text(BAD_COSTS, encoding="utf-8")
    out = tmp_path / "plan.txt"
    res = runner.invoke(app, ["plan", str(SAMPLE_DIR), "--by", "2029", "--costs", str(p),
                              "--budget", "-1", "--format", "xml", "--time-limit", "0",
                              "--gap", "2", "--output", str(out)])
    assert res.exit_code == 2
    text = res.output
    for needle in ("--budget", "--format", "--time-limit", "--gap", "--output",
                   "actions.flying_car", "limits.6523010028.helipad",
                   "actions.pe_art_teacher.yearly"):
        assert needle in text, needle
    assert "Traceback" not in text and not out.exists()


@pytest.mark.parametrize("args,needle", [
    (["--by", "2020"], "目标年份应为 2025"),
    (["--by", "2040"], "目标年份应为 2025–2035"),
    (["--by", "2029", "--costs", "/nonexistent/costs.yaml"], "找不到成本文件"),
    (["--by", "2029", "--scenario", "/nonexistent/s.yaml"], "找不到情景文件"),
])
def test_bad_target_year_or_files_exit_2(tmp_path, args, needle):
    out = tmp_path / "plan.yaml"
    res = runner.invoke(app, ["plan", str(SAMPLE_DIR), *args, "--output", str(out)])
    assert res.exit_code == 2 and needle in res.output and not out.exists(), res.output


def test_a_limit_on_an_unknown_school_is_reported(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text(yaml.safe_dump({"actions": {"equipment": {"once": 1}},
                                 "limits": {"S404": {"equipment": 1}}}), encoding="utf-8")
    res = runner.invoke(app, ["plan", str(TINY), "--by", "2025", "--costs", str(p)])
    assert res.exit_code == 2 and "c.yaml 字段 limits.S404" in res.output


def test_a_plan_on_top_of_a_scenario(sample, tmp_path):
    scen = PROJECT_ROOT / "params" / "scenarios" / "new-school-2026.yaml"
    plan, result = round_trip(SAMPLE_DIR, 2029, tmp_path, "--scenario", str(scen))
    assert plan["scenario"]
    assert_targets_met(plan, result, 2029)
    written = yaml.safe_load((tmp_path / "plan-2029.yaml").read_text(encoding="utf-8"))
    own = yaml.safe_load(scen.read_text(encoding="utf-8"))["changes"]
    assert written["changes"][: len(own)] == own


def test_the_plan_scenario_file_is_valid_and_english_works(tmp_path):
    out = tmp_path / "p.yaml"
    res = runner.invoke(app, ["plan", str(TINY), "--by", "2025", "--lang", "en",
                              "--output", str(out)])
    assert res.exit_code == 0, res.output
    assert "Least-cost plan" in res.stdout and "Total cost" in res.stdout
    tables = load_county(TINY).tables
    sc = load_scenario(out, school_facts(tables))
    assert sc.settings.target_year == 2025 and sc.changes
    assert all(c.year == 2025 and c.type in ("expand_school", "hire_teachers")
               for c in sc.changes)
    r = run_scenario(tables, sc)
    assert r.summary["scenario"]["targets"]["units"]["met_in_target_year"]
    assert r.summary["scenario"]["targets"]["cv"]["met_in_target_year"]


def test_report_plan_adds_the_50_plan_job_to_the_batch(monkeypatch, tmp_path):
    from balance_lib import render

    seen = {}

    def fake_batch(plan, out, **kw):
        seen.update(plan=plan, **kw)
        return render.BatchResult([], 0.0, kw["lang"], render.index_name(kw["lang"]))

    monkeypatch.setattr(render, "render_batch", fake_batch)
    res = runner.invoke(app, ["report", str(TINY), "--years", "2025", "--schools", "none",
                              "--no-trend", "--plan", "2027", "--budget", "900000",
                              "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    jobs = [j for j in seen["plan"] if j.kind == "plan"]
    assert [(j.stem, j.parameters["by"], j.parameters["budget"]) for j in jobs] == [
        ("plan/2027-900000", 2027, 900000.0)]
    assert jobs[0].template.name == "50-plan.ipynb" and jobs[0].parameters["costs"] == ""
    # the cost file is an input of the report: another file, another hash
    other = tmp_path / "costs.yaml"
    other.write_text((PROJECT_ROOT / "params" / "costs.yaml").read_text(encoding="utf-8")
                     .replace("once: 600", "once: 700"), encoding="utf-8")
    job2 = render.plan_jobs(TINY, [], [], trend=False, plans=[{"by": 2027, "costs": other}])[0]
    job1 = render.plan_jobs(TINY, [], [], trend=False, plans=[{"by": 2027}])[0]
    assert render.input_hash(job1, "x") != render.input_hash(job2, "x")
    for bad in (["--plan", "2020"], ["--plan", "2027", "--budget", "-5"], ["--budget", "5"]):
        res = runner.invoke(app, ["report", str(TINY), "--schools", "none", *bad,
                                  "--out", str(tmp_path / "bad")])
        assert res.exit_code == 2, (bad, res.output)
    assert not (tmp_path / "bad").exists()


def test_the_bad_budget_message_comes_from_the_word_table_in_both_languages(tmp_path):
    from balance_lib import plan_report
    from balance_lib.report import ReportParamError, load
    from balance_lib.words import label

    for lang in ("zh", "en"):
        want = label("bad_budget", lang, value="-1.0")
        assert want and "{" not in want
        res = runner.invoke(app, ["plan", str(TINY), "--by", "2025", "--budget", "-1",
                                  "--lang", lang])
        assert res.exit_code == 2 and f"--budget: {want}" in res.output, res.output
        res = runner.invoke(app, ["report", str(TINY), "--schools", "none", "--plan", "2027",
                                  "--budget", "-1", "--lang", lang, "--out", str(tmp_path / lang)])
        assert res.exit_code == 2 and f"--budget: {want}" in res.output, res.output
        with pytest.raises(ReportParamError, match=re.escape(want)):
            plan_report.run(load(TINY), 2027, budget=-1.0, lang=lang)
    assert label("bad_budget", "zh", value="-1.0") == "应为非负的金额（元/年），实为 -1.0"


@pytest.fixture(scope="module")
def tiny_plan():
    from balance_lib import plan_report
    from balance_lib.report import load

    return plan_report.run(load(TINY), 2027)


def test_the_plan_report_formats_numbers_like_the_other_reports(tiny_plan):
    """Money with separators, CVs and limits, each indicator's value in its unit: the strings
    of balance_lib.formats, and the answer (the least cost) first."""
    from balance_lib import formats
    from balance_lib import plan_report as pr
    from balance_lib import plan_text as pt

    res = tiny_plan.result
    pb = res.problem
    assert res.status == "optimal" and res.total_cost > 1000
    box = pr.answer(tiny_plan)
    assert box.status == "meets"
    assert box.head == f"2027 学年达标的最低成本：{formats.money(res.total_cost)} 元"
    assert "," in formats.money(res.total_cost)  # 2,056,800: thousands separators
    assert box.reasons[0].startswith("方案前 → 方案后：达到学校标准的单位 3/4 → 4/4")
    html = box._repr_html_()
    assert html.index(formats.money(res.total_cost)) < html.index("<ul>")
    # the CV table: the engine's CV at the settings' decimals, the limit at the registry's
    cv = pr.cv_table(tiny_plan)
    v = pb.variation.iloc[0]
    assert cv.iloc[0, 2] == formats.limit(v.limit, pb.registry) == "0.50"
    assert cv.iloc[0, 3].rstrip("*") == formats.cv(v.cv, pb.settings)
    # the values per unit before → after, in each indicator's unit (元 per student whole)
    vals = pr.values_table(tiny_plan)
    touched = pb.units[pb.units.school_id.isin(pt.touched_schools(res))].iloc[0]
    for i in pb.ids:
        x = formats.value(touched[f"value_{i}"], pb.registry.indicator(i), pb.registry)
        assert vals.iloc[0][i].split(" → ")[0].rstrip("✗") == x, i
    years = pr.years_table(tiny_plan)
    assert years.iloc[-1, -1] == formats.money(res.cost_by_year[2027])
    actions = pr.actions_table(tiny_plan)
    assert set(actions.iloc[:, 5]) <= {formats.money(c) for c in res.actions.cost}


def test_the_plan_reports_marks_and_charts_follow_the_other_reports(tiny_plan):
    """✗ below the threshold and ✗✗ below the floor (as in the school grid), right-aligned as
    numbers; the CV chart has room above the bars and the limits for its legend and the
    indicators' short names under the bars; the cost axis has no repeated labels."""
    from balance_lib import plan_report as pr
    from balance_lib.report import _is_number_column

    pb = tiny_plan.result.problem
    from balance_lib import plan_text as pt

    vals = pr.values_table(tiny_plan)
    units = pb.units[pb.units.school_id.isin(pt.touched_schools(tiny_plan.result))]
    assert len(units) == len(vals)
    for (_, b), (_, row) in zip(units.iterrows(), vals.iterrows(), strict=True):
        for i in pb.ids:
            first = row[i].split(" → ")[0]
            want = "" if b[f"met_{i}"] else ("✗" if b[f"floor_met_{i}"] else "✗✗")
            assert first.rstrip("✗") + want == first, (b.school_name, i, first)
    assert any("✗" in str(v) for v in vals.to_numpy().ravel())
    assert all(_is_number_column(vals[i]) for i in pb.ids)
    assert "✗✗" in pr.values_note(tiny_plan) and "85%" in pr.values_note(tiny_plan)
    fig = pr.cv_chart(tiny_plan, "junior")
    ax = fig.axes[0]
    v = pb.variation[pb.variation.level == "junior"]
    top = max(v.cv.max(), v.limit.max(), tiny_plan.result.variation_after.loc[v.index, "cv"].max())
    assert ax.get_ylim()[1] >= 1.25 * top
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks[0].startswith("B1\n") and len(ticks[0]) > 3
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["限值 0.45", "方案前", "方案后"]
    fig = pr.years_chart(tiny_plan)
    shown = [t for t in fig.axes[0].get_yticks()]
    assert all(float(t).is_integer() for t in shown)


def test_without_a_plan_the_report_shows_no_after_values():
    """Infeasible within the budget: the answer says so and why; the tables show "—" after the
    plan (not the values before it again), the CV chart only the CVs as they are."""
    from balance_lib import plan_report as pr
    from balance_lib.report import load

    run = pr.run(load(TINY), 2027, budget=1000.0)
    assert run.result.status == "infeasible" and not pr.has_plan(run)
    box = pr.answer(run)
    assert box.status == "fails" and box.head == "2027 学年无法达标：无解"
    assert any("至少需要每年" in x for x in box.reasons)
    assert set(pr.cv_table(run).iloc[:, 4]) == {"—"}
    vals = pr.values_table(run)
    assert len(vals) and set(vals.iloc[:, -1]) == {"—"}
    assert not any("→" in str(v) for v in vals.to_numpy().ravel())
    fixes = pr.fixes_table(run)
    assert len(fixes) and set(fixes.iloc[:, 3]) == {"—"}
    assert not any("→" in str(v) for v in pr.contributions_table(run).to_numpy().ravel())
    labels = [t.get_text() for t in pr.cv_chart(run, "junior").axes[0].get_legend().get_texts()]
    assert labels == ["限值 0.45", "方案前"]
    assert pr.years_table(run).empty


def test_the_index_lists_and_links_the_plan_report():
    from balance_lib import dashboard, render

    outs = [render.Outcome("plan/2027", "plan", "最低成本达标方案 2027学年 <x>", {"by": 2027}, "",
                           "ok", 3.0, None, "plan/2027.html")]
    page = dashboard.dashboard_page(outs, "tiny", None)
    assert '<a href="plan/2027.html">最低成本达标方案 2027学年 &lt;x&gt;</a>' in page
    assert "达标方案" in page  # its kind
    assert render._ORDER["plan"] > render._ORDER["scenario"]


# ---------------------------------------------------------------------------------------------
# the options every command has (--indicators, --mapping is in test_mapping.py), hostile input


def test_a_province_file_tightens_what_the_plan_must_reach(tmp_path):
    """A provincial file that raises the 小学 B7 threshold and tightens its CV limit: the plan
    buys rooms it did not need, and the round trip with the same file meets every target."""
    ext = tmp_path / "province.yaml"
    ext.write_text("indicators:\n  - id: B7\n    thresholds: {primary: 4.0}\n"
                   "    cv_limit: {primary: 0.3, junior: 0.45}\n", encoding="utf-8")
    national, _ = round_trip(TINY, 2025, tmp_path)
    plan, scen = round_trip(TINY, 2025, tmp_path, "--indicators", str(ext))
    assert national["total_cost"] == 1_297_200  # 2,162 m² of sports ground at 600 元
    rooms = {a["school_id"]: a["quantity"] for a in plan["actions"]
             if a["action"] == "multimedia_room"}
    assert plan["total_cost"] == national["total_cost"] + 80_000 * sum(rooms.values()) > 0
    b7 = {c["level"]: c for c in plan["after"]["cv"] if c["indicator"] == "B7"}
    assert b7["primary"]["limit"] == 0.3 and b7["primary"]["cv"] <= 0.3
    res = runner.invoke(app, ["scenario", str(TINY), "--scenario",
                              str(tmp_path / "plan-2025.yaml"), "--format", "json",
                              "--indicators", str(ext)])
    assert res.exit_code == 0, res.output
    assert_targets_met(plan, json.loads(res.stdout), 2025)
    # without the province's file the plan's scenario passes too (it only adds)
    assert_targets_met(plan, scen, 2025)


def test_a_hostile_school_name_is_text_in_the_plan(tmp_path):
    data = tmp_path / "county"
    import shutil

    shutil.copytree(TINY, data)
    s = pd.read_csv(data / "schools.csv", dtype=str, keep_default_na=False)
    s.loc[s.school_id == "6523010037", "school_name"] = "恶意\x1b]0;pwned\x07<b>x</b>"
    s.to_csv(data / "schools.csv", index=False)
    res = runner.invoke(app, ["plan", str(data), "--by", "2025"])
    assert res.exit_code == 0, res.output
    assert "\x1b" not in res.stdout and "\x07" not in res.stdout
    assert "恶意\\x1b]0;pwned\\x07<b>x</b>" in res.stdout


@pytest.mark.parametrize("text,field,needle", [
    ("actions: {sports_area: {once: 1.0e+13}}", "actions.sports_area.once", "0 到"),
    ("actions: {sports_area: {once: .inf}}", "actions.sports_area.once", "inf"),
    ("actions: {sports_area: {once: .nan}}", "actions.sports_area.once", "nan"),
    ("actions: {qualified_teacher: {yearly: 1, max_per_school: 20000000}}",
     "actions.qualified_teacher.max_per_school", "10,000,000"),
    ("actions: {sports_area: {once: 600, step: 1.0e+13}}", "actions.sports_area.step", "正数"),
    ("actions: {sports_area: {once: 600}}\nlimits: {6523010002: {max_area_m2: 0}}",
     "limits.6523010002", "请加引号"),
    ("actions: {sports_area: {once: 600}}\nlimits: {'A': {max_area_m2: -1}}",
     "limits.A.max_area_m2", "0 到"),
    ("currency: \"元\\x1b[2J\"\nactions: {sports_area: {once: 600}}", "currency", "\\x1b"),
])
def test_costs_numbers_are_finite_non_negative_and_bounded(tmp_path, text, field, needle):
    p = tmp_path / "c.yaml"
    p.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(CostsError) as exc:
        load_costs(p)
    [problem] = exc.value.problems
    assert problem.field == field and needle in problem.format("zh"), problem.format("zh")


def test_a_hostile_costs_file_is_refused_in_bounded_time(tmp_path):
    """Read through balance_lib.safeyaml: an alias bomb, a folder, a FIFO, bytes that are not
    UTF-8 are each one located problem, exit 2, nothing written."""
    import os

    bomb = "a: &a [x, x]\n" + "".join(f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}]\n"
                                      for p, c in zip("abcdefgh", "bcdefghi", strict=True))
    (tmp_path / "bomb.yaml").write_text(bomb, encoding="utf-8")
    (tmp_path / "latin.yaml").write_bytes("currency: \xe5\n".encode("latin-1"))
    (tmp_path / "dir.yaml").mkdir()
    os.mkfifo(tmp_path / "fifo.yaml")
    for name, needle in (("bomb.yaml", "别名"), ("latin.yaml", "UTF-8"), ("dir.yaml", "文件夹"),
                         ("fifo.yaml", "普通文件")):
        with pytest.raises(CostsError) as exc:
            load_costs(tmp_path / name)
        assert needle in exc.value.format("zh"), exc.value.format("zh")
    out = tmp_path / "plan.yaml"
    res = runner.invoke(app, ["plan", str(TINY), "--by", "2025", "--costs",
                              str(tmp_path / "bomb.yaml"), "--output", str(out)])
    assert res.exit_code == 2 and "别名" in res.output and not out.exists(), res.output
