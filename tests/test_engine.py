"""B1–B7 engine: hand cases, scope rules, and the vectorised pass against a slow reference."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from balance_lib.indicators import evaluate_resources
from balance_lib.paths import PROJECT_ROOT
from balance_lib.registry import load_registry
from balance_lib.settings import Settings
from balance_lib.synthetic import make_schools
from balance_lib.units import build_units, level_shares

REG = load_registry()


def school(**kw):
    """A primary school meeting every 小学 threshold comfortably (400 students)."""
    row = dict(
        year=2024, county_id="", school_id="S1", school_name="第一小学", school_type="primary",
        parent_school_id="", area_type="urban", is_private=False,
        students_primary=400, students_junior=0, students_senior=0,
        teachers_primary=30, teachers_junior=0,
        qualified_teachers_primary=20, qualified_teachers_junior=0,  # 5.0 per 100 ≥ 4.2
        backbone_teachers_primary=5, backbone_teachers_junior=0,     # 1.25 ≥ 1
        pe_art_teachers_primary=4, pe_art_teachers_junior=0,         # 1.0 ≥ 0.9
        teaching_aux_area_m2=2400, indoor_sports_area_m2=400,        # B4 (2400-400)/400 = 5.0
        sports_ground_area_m2=3000,                                  # B5 3400/400 = 8.5
        equipment_value_10k_yuan=100,                                # B6 2500 元
        multimedia_classrooms=10,                                    # B7 2.5
    )
    row.update(kw)
    return row


def frame(*rows):
    return pd.DataFrame(list(rows))


def unit_of(result, school_id="S1", level="primary"):
    u = result.units
    return u[(u.school_id == school_id) & (u.level == level)].iloc[0]


def test_values_of_a_plain_primary_school():
    u = unit_of(evaluate_resources(frame(school())))
    assert u.value_B1 == pytest.approx(5.0)
    assert u.value_B2 == pytest.approx(1.25)
    assert u.value_B3 == pytest.approx(1.0)
    assert u.value_B4 == pytest.approx(5.0)
    assert u.value_B5 == pytest.approx(8.5)
    assert u.value_B6 == pytest.approx(2500.0)
    assert u.value_B7 == pytest.approx(2.5)
    assert u.met_count == 7 and u.passes


def test_value_at_threshold_is_met():
    # 4.2 per 100 exactly: 21 qualified teachers for 500 students
    u = unit_of(evaluate_resources(frame(school(students_primary=500, qualified_teachers_primary=21,
                                                teaching_aux_area_m2=3000, sports_ground_area_m2=4000,
                                                equipment_value_10k_yuan=125, multimedia_classrooms=12,
                                                backbone_teachers_primary=5, pe_art_teachers_primary=5))))
    assert u.value_B1 == pytest.approx(4.2)
    assert bool(u.met_B1)


@pytest.mark.parametrize(
    ("qualified", "backbone", "met_count", "passes"),
    [
        (20, 5, 7, True),     # all met
        (16, 5, 6, True),     # B1 4.0 < 4.2 but ≥ 3.57 floor: 6 of 7, passes
        (14, 5, 6, False),    # B1 3.5 < 3.57 floor: fails despite 6 of 7
        (16, 3, 5, False),    # B1 4.0 and B2 0.75 both below threshold: 5 of 7 fails
    ],
)
def test_school_rule_six_of_seven_and_floor(qualified, backbone, met_count, passes):
    u = unit_of(evaluate_resources(frame(school(qualified_teachers_primary=qualified,
                                                backbone_teachers_primary=backbone))))
    assert u.met_count == met_count
    assert bool(u.passes) is passes


def test_floor_exactly_85_percent_counts_as_met_floor():
    # 0.85 × 1.0 = 0.85 per 100: 17 backbone teachers for 2000 students
    u = unit_of(evaluate_resources(frame(school(
        students_primary=2000, qualified_teachers_primary=100, backbone_teachers_primary=17,
        pe_art_teachers_primary=20, teaching_aux_area_m2=12000, indoor_sports_area_m2=2000,
        sports_ground_area_m2=14000, equipment_value_10k_yuan=500, multimedia_classrooms=50))))
    assert u.value_B2 == pytest.approx(0.85)
    assert not u.met_B2 and u.floor_met_B2 and u.passes


@pytest.mark.parametrize(("pe_art", "students"), [(9, 1000), (18, 2000), (27, 3000)])
def test_exactly_at_the_threshold_in_decimal_is_met(pe_art, students):
    """9 PE and art teachers for 1,000 pupils are 0.9 per 100 and meet B3, although
    ``9 / 1000 * 100`` is 0.8999999999999999 in floating point; no shortfall either."""
    assert pe_art / students * 100 < 0.9  # the floating-point edge this guards
    u = unit_of(evaluate_resources(frame(school(
        students_primary=students, qualified_teachers_primary=students // 20,
        backbone_teachers_primary=students // 50, pe_art_teachers_primary=pe_art,
        teaching_aux_area_m2=5 * students, sports_ground_area_m2=8 * students,
        equipment_value_10k_yuan=0.25 * students, multimedia_classrooms=students // 40))))
    assert bool(u.met_B3) and u.shortfall_B3 == 0 and u.met_count == 7 and u.passes


def test_exactly_at_the_floor_in_decimal_meets_the_floor():
    """65.96 万元 of equipment for 388 pupils is 1,700 元 each, the 85 % floor of B6 (小学),
    although the floating-point value is 1699.9999999999998."""
    assert 65.96 * 10000 / 388 < 1700
    u = unit_of(evaluate_resources(frame(school(
        students_primary=388, qualified_teachers_primary=20, backbone_teachers_primary=5,
        pe_art_teachers_primary=4, teaching_aux_area_m2=2400, indoor_sports_area_m2=400,
        sports_ground_area_m2=3000, equipment_value_10k_yuan=65.96, multimedia_classrooms=10))))
    assert not u.met_B6 and bool(u.floor_met_B6) and u.met_count == 6 and u.passes
    assert u.shortfall_B6 == 116_400  # 388 × 300 元 to reach 2,000 元


def test_a_cv_exactly_at_its_limit_meets_it():
    """Two 小学 of 300 pupils with 5 and 15 multimedia rooms: CV = |15 − 5| / (15 + 5) = 0.5
    exactly, 0.5000000000000001 in floating point; a room more fails."""
    def cv_row(second):
        rows = [school(school_id="S1", students_primary=300, multimedia_classrooms=5),
                school(school_id="S2", students_primary=300, multimedia_classrooms=second)]
        var = evaluate_resources(frame(*rows)).variation
        return var[(var.indicator == "B7") & (var.level == "primary")].iloc[0]

    at = cv_row(15)
    assert at.cv > 0.5 and at.cv == pytest.approx(0.5) and bool(at.met)
    above = cv_row(16)
    assert above.cv == pytest.approx(11 / 21) and not above.met


def test_shortfall_in_natural_units():
    # 812 students, 30 qualified: need ceil(4.2 × 8.12 − 30) = ceil(4.104) = 5 teachers
    # B4: 812 × 4.5 = 3654 m² needed, have 3000 → 654 m²
    u = unit_of(evaluate_resources(frame(school(
        students_primary=812, qualified_teachers_primary=30, backbone_teachers_primary=9,
        pe_art_teachers_primary=8, teaching_aux_area_m2=3400, indoor_sports_area_m2=400,
        sports_ground_area_m2=6000, equipment_value_10k_yuan=170, multimedia_classrooms=19))))
    assert u.shortfall_B1 == 5
    assert u.shortfall_B4 == 654
    assert u.shortfall_B6 == 0 and u.met_B6  # 1,700,000 / 812 = 2094 元 ≥ 2000
    assert u.met_count == 5 and not u.passes


def test_nine_year_split_worked_example():
    """Rules §3: 166 小学 + 210 初中 students, 23226 books → 9711 / 13515 (within 1)."""
    s = frame(school(school_type="nine_year", students_primary=166, students_junior=210))
    shares = level_shares(s, Settings())
    assert 23226 * shares.primary.item() == pytest.approx(9711, abs=1)
    assert 23226 * shares.junior.item() == pytest.approx(13515, abs=1)


def test_twelve_year_and_complete_secondary_drop_the_senior_part():
    s = frame(
        school(school_id="T", school_type="twelve_year", students_primary=100,
               students_junior=100, students_senior=100),
        school(school_id="W", school_type="complete_secondary", students_primary=0,
               students_junior=100, students_senior=100),
    )
    sh = level_shares(s, Settings())
    total = 1 + 1.1 + 1.32
    assert sh.loc[0, "primary"] == pytest.approx(1 / total)
    assert sh.loc[0, "junior"] == pytest.approx(1.1 / total)
    assert sh.loc[1, "junior"] == pytest.approx(1 / 2.2)
    units = build_units(s, Settings())
    w = units[units.school_id == "W"]
    assert list(w.level) == ["junior"]
    assert w.teaching_area_m2.item() == pytest.approx((2400 - 400) / 2.2)


def test_teachers_are_taken_per_level_not_split():
    s = frame(school(school_type="nine_year", students_primary=300, students_junior=200,
                     teachers_junior=20, qualified_teachers_junior=12, backbone_teachers_junior=2,
                     pe_art_teachers_junior=2))
    units = build_units(s, Settings()).set_index("level")
    assert units.loc["primary", "qualified_teachers"] == 20
    assert units.loc["junior", "qualified_teachers"] == 12


def test_b4_indoor_sports_setting():
    s = frame(school())
    sub = build_units(s, Settings()).iloc[0]
    raw = build_units(s, Settings(b4_indoor_sports="as_reported")).iloc[0]
    assert sub.teaching_area_m2 == 2000 and raw.teaching_area_m2 == 2400
    assert sub.sports_area_m2 == raw.sports_area_m2 == 3400


def test_b7_allocation_to_one_level():
    s = frame(school(school_type="nine_year", students_primary=300, students_junior=200,
                     multimedia_classrooms=20))
    units = build_units(s, Settings(b7_allocation="junior")).set_index("level")
    assert units.loc["junior", "multimedia_classrooms"] == 20
    assert units.loc["primary", "multimedia_classrooms"] == 0


@pytest.fixture
def with_points():
    return frame(
        school(),
        school(school_id="P1", school_name="教学点一", school_type="teaching_point",
               parent_school_id="S1", students_primary=49, qualified_teachers_primary=2),
        school(school_id="P2", school_name="教学点二", school_type="teaching_point",
               parent_school_id="S1", students_primary=50, qualified_teachers_primary=3),
        school(school_id="X", school_type="special", students_primary=30),
    )


def test_teaching_points_separate_by_default(with_points):
    units = build_units(with_points, Settings())
    assert sorted(units.school_id) == ["P2", "S1"]  # <50 and special excluded


def test_teaching_points_merge(with_points):
    units = build_units(with_points, Settings(teaching_points="merge"))
    assert list(units.school_id) == ["S1"]
    assert units.students.item() == 450
    assert units.qualified_teachers.item() == 23


def test_teaching_points_exclude(with_points):
    assert list(build_units(with_points, Settings(teaching_points="exclude")).school_id) == ["S1"]


def test_private_schools_setting():
    s = frame(school(), school(school_id="M", is_private=True))
    assert len(build_units(s, Settings())) == 2
    assert list(build_units(s, Settings(private_schools="exclude")).school_id) == ["S1"]


def test_cv_of_worked_example_through_the_engine():
    """Rules §2.2 carried through the engine: books as B6 numerator → CV 0.51526 > 0.50."""
    students = [45, 37, 89, 76, 55]
    books = [279, 137, 935, 160, 402]
    rows = [school(school_id=f"S{k}", students_primary=p, equipment_value_10k_yuan=b / 10000)
            for k, (p, b) in enumerate(zip(students, books))]
    var = evaluate_resources(frame(*rows)).variation.set_index("indicator")
    assert var.loc["B6", "cv"] == pytest.approx(0.51526, abs=5e-5)
    assert var.loc["B6", "county_value"] == pytest.approx(1913 / 302)
    assert not var.loc["B6", "met"]  # above the 0.50 limit
    assert var.loc["B6", "cv_unweighted"] < 0.50  # the unweighted form would wrongly pass


def test_cv_rounding_setting_changes_the_comparison():
    students = [45, 37, 89, 76, 55]
    books = [279, 137, 935, 160, 402]
    # scale the books so the exact CV stays 0.51526; a limit test at 2 decimals: 0.52 > 0.50 still
    rows = [school(school_id=f"S{k}", students_primary=p, equipment_value_10k_yuan=b / 10000)
            for k, (p, b) in enumerate(zip(students, books))]
    r2 = evaluate_resources(frame(*rows), Settings(cv_rounding=2)).variation.set_index("indicator")
    assert not r2.loc["B6", "met"]


# ---------------------------------------------------------------------------------------------
# The vectorised pass against a slow, obviously-correct reference


def reference(schools: pd.DataFrame, settings: Settings) -> tuple[dict, dict]:
    """Loop over schools and levels; compute values and CVs with the textbook formulas."""
    reg = REG
    w_of = {k: dict(v) for k, v in settings.split_weights.items()}
    units = {}
    for r in schools.to_dict("records"):
        if r["school_type"] == "special":
            continue
        if r["school_type"] == "teaching_point" and r["students_primary"] < 50:
            continue
        w = w_of.get(r["school_type"], {"primary": 1.0, "junior": 1.1, "senior": 1.32})
        weighted = {lv: w.get(lv, 0.0) * r[f"students_{lv}"] for lv in ("primary", "junior", "senior")}
        total = sum(weighted.values())
        for lv in ("primary", "junior"):
            p = r[f"students_{lv}"]
            if p <= 0:
                continue
            share = weighted[lv] / total
            raw = {
                "B1": r[f"qualified_teachers_{lv}"] * 100,
                "B2": r[f"backbone_teachers_{lv}"] * 100,
                "B3": r[f"pe_art_teachers_{lv}"] * 100,
                "B4": (r["teaching_aux_area_m2"] - r["indoor_sports_area_m2"]) * share,
                "B5": (r["indoor_sports_area_m2"] + r["sports_ground_area_m2"]) * share,
                "B6": r["equipment_value_10k_yuan"] * 10000 * share,
                "B7": r["multimedia_classrooms"] * 100 * share,
            }
            values = {k: v / p for k, v in raw.items()}
            met = sum(values[k] >= reg.indicator(k).threshold(lv) for k in values)
            floors = all(values[k] >= 0.85 * reg.indicator(k).threshold(lv) for k in values)
            units[(r["county_id"], r["year"], r["school_id"], lv)] = (p, values, met, met >= 6 and floors)
    cvs = {}
    keys = {(c, y, lv) for (c, y, _, lv) in units}
    for c, y, lv in keys:
        members = [v for (cc, yy, _, ll), v in units.items() if (cc, yy, ll) == (c, y, lv)]
        big_p = sum(m[0] for m in members)
        for k in ("B1", "B2", "B3", "B4", "B5", "B6", "B7"):
            mean = sum(m[0] * m[1][k] for m in members) / big_p
            s = math.sqrt(sum(m[0] / big_p * (m[1][k] - mean) ** 2 for m in members))
            cvs[(c, y, lv, k)] = (mean, s / mean if mean else float("nan"))
    return units, cvs


def test_vectorised_engine_equals_reference_on_random_counties():
    schools = make_schools(n_counties=6, schools_per_county=25, years=(2023, 2024), seed=7)
    settings = Settings()
    result = evaluate_resources(schools, settings)
    ref_units, ref_cvs = reference(schools, settings)
    u = result.units.set_index(["county_id", "year", "school_id", "level"])
    assert len(u) == len(ref_units)
    for key, (p, values, met, passes) in ref_units.items():
        row = u.loc[key]
        assert row.students == p
        for k, v in values.items():
            assert row[f"value_{k}"] == pytest.approx(v, rel=1e-12)
        assert row.met_count == met
        assert bool(row.passes) is passes
    var = result.variation.set_index(["county_id", "year", "level", "indicator"])
    assert len(var) == len(ref_cvs)
    for key, (mean, cv) in ref_cvs.items():
        assert var.loc[key, "county_value"] == pytest.approx(mean, rel=1e-12)
        assert var.loc[key, "cv"] == pytest.approx(cv, rel=1e-9)


def test_order_of_schools_is_irrelevant():
    schools = make_schools(n_counties=3, schools_per_county=20, seed=3)
    a = evaluate_resources(schools).variation
    b = evaluate_resources(schools.sample(frac=1, random_state=1)).variation
    pd.testing.assert_frame_equal(a, b)


def test_one_pass_equals_county_by_county():
    schools = make_schools(n_counties=5, schools_per_county=15, seed=11)
    together = evaluate_resources(schools).variation
    apart = pd.concat(
        [evaluate_resources(g).variation for _, g in schools.groupby("county_id")], ignore_index=True
    )
    pd.testing.assert_frame_equal(together, apart)


def test_county_value_is_ratio_of_sums():
    schools = make_schools(n_counties=1, schools_per_county=30, seed=5)
    result = evaluate_resources(schools)
    u = result.units[result.units.level == "primary"]
    v = result.variation.set_index(["level", "indicator"]).loc[("primary", "B1")]
    assert v.county_value == pytest.approx(u.qualified_teachers.sum() / u.students.sum() * 100)
    assert np.isfinite(v.cv)


def _unit_rows(*rows):
    """Units as the engine leaves them: (county, year, passes, the ids it misses)."""
    ids = [f"B{k}" for k in range(1, 8)] + ["P1"]
    return pd.DataFrame([{"county_id": c, "year": y, "passes": p,
                          **{f"met_{i}": i not in miss for i in ids}}
                         for c, y, p, miss in rows])


def test_unit_items_counts_by_hand():
    """County status of each unit indicator per (county, year), counted by hand: a unit below
    a threshold blocks it only when the unit fails the school rule (P1, outside the rule,
    always blocks); a CV over its limit fails the indicator even with nothing blocking."""
    from balance_lib.indicators.resources import UNIT_ITEM_COLUMNS, ResourceResult, unit_items

    reg = load_registry(extensions=[PROJECT_ROOT / "params" / "province-example.yaml"])
    units = _unit_rows(
        ("B", 2024, False, {"B4", "P1"}),  # B: rows out of order on purpose
        ("A", 2024, True, {"B3"}),         # misses B3 but passes: B3 not blocked
        ("A", 2024, False, {"B1", "B2"}),  # fails: B1 and B2 blocked
        ("A", 2025, True, set()),
        ("B", 2024, True, {"P1"}),         # passes, but P1 is outside the rule: blocked
    )
    variation = pd.DataFrame([
        {"county_id": "A", "year": 2024, "level": "primary", "indicator": "B5", "met": True},
        {"county_id": "A", "year": 2024, "level": "junior", "indicator": "B5", "met": False},
        {"county_id": "A", "year": 2025, "level": "primary", "indicator": "B5", "met": True},
    ])  # no CV row elsewhere: nothing over a limit
    ids = tuple(f"B{k}" for k in range(1, 8))
    got = unit_items(ResourceResult(units, variation, ids, (*ids, "P1")), reg)
    assert list(got.columns) == UNIT_ITEM_COLUMNS
    assert list(zip(got["county_id"], got["year"], got["id"], strict=True)) == [
        (c, y, i) for i in (*ids, "P1") for c, y in (("A", 2024), ("A", 2025), ("B", 2024))]
    by = got.set_index(["county_id", "year", "id"])
    assert (by["n_units"].groupby(level=[0, 1]).first().to_dict()
            == {("A", 2024): 2, ("A", 2025): 1, ("B", 2024): 2})
    hand = {  # (county, year, id): (n_missing, n_blocking, cv_met, status)
        ("A", 2024, "B1"): (1, 1, True, "not_met"),
        ("A", 2024, "B2"): (1, 1, True, "not_met"),
        ("A", 2024, "B3"): (1, 0, True, "met"),
        ("A", 2024, "B5"): (0, 0, False, "not_met"),
        ("A", 2025, "B5"): (0, 0, True, "met"),
        ("B", 2024, "B4"): (1, 1, True, "not_met"),
        ("B", 2024, "P1"): (2, 2, True, "not_met"),
    }
    for key, row in by.iterrows():
        want = hand.get(key, (0, 0, True, "met"))
        assert (row.n_missing, row.n_blocking, bool(row.cv_met), row.status) == want, key
    for col in ("n_units", "n_missing", "n_blocking"):
        assert got[col].dtype == "int64"
