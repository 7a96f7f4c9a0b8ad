"""Enrolment projection: hand-computed cohorts, classes, class-size bands and the back-test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from balance_lib.projection import (
    Cohorts,
    ProjectionSettings,
    backtest,
    backtest_summary,
    class_limits,
    class_size_stats,
    cohorts_from_classes,
    entry_cohorts,
    even_class_rows,
    fit_rates,
    project_classes,
    project_students,
)
from balance_lib.registry import load_registry

LIMITS = class_limits(load_registry())


def classes_frame(rows: list[tuple[int, str, int, int, int]]) -> pd.DataFrame:
    """(year, school, grade, classes, students) → one row per class, students spread evenly."""
    out = []
    for year, school, grade, n_classes, students in rows:
        base, extra = divmod(students, n_classes)
        for k in range(n_classes):
            out.append({"year": year, "school_id": school,
                        "level": "primary" if grade <= 6 else "junior", "grade": grade,
                        "class_id": f"{school}-{year}-{grade}-{k}",
                        "students": base + (k < extra)})
    return pd.DataFrame(out)


def constant_history(years=(2022, 2023, 2024, 2025)) -> pd.DataFrame:
    rows = []
    for y in years:
        for g in range(1, 7):
            rows.append((y, "A", g, 2, 80))
            rows.append((y, "B", g, 1, 30))
        for g in range(7, 10):
            rows.append((y, "J", g, 3, 135))
    return classes_frame(rows)


def test_limits_come_from_the_registry():
    assert LIMITS.tolist() == [45.0] * 6 + [50.0] * 3


def test_constant_history_stays_constant():
    h = cohorts_from_classes(constant_history())
    years = np.arange(2026, 2030)
    for entry in ("trend", "mean"):
        st = project_students(h, fit_rates(h), years, ProjectionSettings(entry=entry))
        np.testing.assert_allclose(st, np.broadcast_to(h.students[-1], st.shape), atol=1e-9)
    cls = project_classes(st, h.classes[-1], np.broadcast_to(h.classes[-1], st.shape), LIMITS)
    assert (cls == h.classes[-1]).all()


def test_progression_by_hand():
    # school A: grade 1 → 2 ratios 0.95 (2023) and 1.05 (2024) and 1.50 (2025, a one-off jump):
    # the median (1.05) is used, not the pooled ratio, so one jump does not compound
    rows = [(2022, "A", 1, 2, 100), (2023, "A", 1, 2, 100), (2024, "A", 1, 2, 100),
            (2025, "A", 1, 2, 100),
            (2023, "A", 2, 2, 95), (2024, "A", 2, 2, 105), (2025, "A", 2, 2, 150)]
    h = cohorts_from_classes(classes_frame(rows))
    r = fit_rates(h)
    assert r.progression[0, 1] == pytest.approx(1.05)
    st = project_students(h, r, np.array([2026]), ProjectionSettings(entry="mean"))
    assert st[0, 0, 0] == pytest.approx(100.0)  # grade 1: mean of 100s, share 1
    assert st[0, 0, 1] == pytest.approx(105.0)  # grade 2 = 100 × 1.05


def test_a_school_without_history_of_a_grade_takes_the_county_ratio():
    rows = [(2024, "A", 1, 1, 40), (2025, "A", 1, 1, 40), (2025, "A", 2, 1, 44),
            (2025, "B", 1, 1, 20),  # B had no grade 1 in 2024: no history of grade 1 → 2
            (2024, "C", 1, 1, 20), (2025, "C", 2, 1, 10)]
    h = cohorts_from_classes(classes_frame(rows))
    r = fit_rates(h)
    assert r.progression[0, 1] == pytest.approx(44 / 40)
    assert r.progression[2, 1] == pytest.approx(10 / 20)
    assert r.progression[1, 1] == pytest.approx((44 + 10) / (40 + 20))  # the county's


def test_grade_seven_comes_from_the_county_grade_six_by_share():
    rows = []
    for y in (2023, 2024, 2025):
        rows += [(y, "P", 6, 2, 100), (y, "J1", 7, 2, 60), (y, "J2", 7, 1, 30)]
    h = cohorts_from_classes(classes_frame(rows))
    r = fit_rates(h)
    assert r.ratio_6_7 == pytest.approx(0.9)
    assert r.share_junior.tolist() == pytest.approx([2 / 3, 1 / 3, 0.0])  # J1, J2, P
    st = project_students(h, r, np.array([2026]), ProjectionSettings(entry="mean"))
    assert st[0, :, 6].tolist() == pytest.approx([60.0, 30.0, 0.0])


def test_entry_trend_mean_and_births():
    h = cohorts_from_classes(classes_frame([(2023, "A", 1, 3, 100), (2024, "A", 1, 3, 110),
                                            (2025, "A", 1, 3, 120)]))
    r = fit_rates(h)
    years = np.array([2026, 2027])
    assert entry_cohorts(r, years, ProjectionSettings()).tolist() == pytest.approx([130, 140])
    assert entry_cohorts(r, years, ProjectionSettings(entry="mean")).tolist() == pytest.approx(
        [110, 110])
    # births six years earlier; the observed entry ratio is 0.5 each year
    births = {2017: 200, 2018: 220, 2019: 240, 2020: 300, 2021: 100}
    got = entry_cohorts(r, years, ProjectionSettings(entry="births", births=births))
    assert got.tolist() == pytest.approx([150, 50])


def test_classes_keep_follow_the_cohort_and_open_add_classes():
    st = np.zeros((2, 1, 9))
    st[0, 0, :2] = [90, 100]  # 2026: grade 1 = 90, grade 2 = 100
    st[1, 0, :3] = [90, 95, 100]
    base = np.zeros((1, 9), dtype=int)
    base[0, :2] = [2, 3]  # 2025: grade 1 in 2 classes, grade 2 in 3
    entry = np.zeros((2, 1, 9), dtype=int)
    entry[:, 0, 0] = 2
    keep = project_classes(st, base, entry, LIMITS, "keep")
    assert keep[0, 0, :3].tolist() == [2, 2, 0]  # grade 2 in 2026 = last year's grade 1
    assert keep[1, 0, :3].tolist() == [2, 2, 2]
    opened = project_classes(st, base, entry, LIMITS, "open")
    assert opened[0, 0, :3].tolist() == [2, 3, 0]  # 100 > 2 × 45: a third class
    assert opened[1, 0, :3].tolist() == [2, 3, 3]


def test_class_size_bands_by_hand():
    n = np.array([137.0, 230.0, 270.0, 0.0, 45.0])
    c = np.array([3, 4, 4, 0, 1])
    s = class_size_stats(n, c, np.full(5, 45.0), 56, 66)
    # 137 → 46 46 45; 230 → 58 58 57 57; 270 → 68 68 67 67
    assert s["max_class_size"].tolist() == [46, 58, 68, 0, 45]
    assert s["classes_over_limit"].tolist() == [2, 4, 4, 0, 0]
    assert s["large_classes"].tolist() == [0, 4, 0, 0, 0]
    assert s["super_large_classes"].tolist() == [0, 0, 4, 0, 0]
    cell, size = even_class_rows(n, c)
    assert cell.tolist() == [0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 4]
    assert size.tolist() == [46, 46, 45, 58, 58, 57, 57, 68, 68, 67, 67, 45]


def test_backtest_on_a_fixture():
    # 2025 projected from 2023–2024. Grade 1: county trend 120, 150 → 180, shared by the mean
    # shares. Grade 2: A's ratio 100/100 = 1 → 110. Grade 3: no history → county ratio (none
    # either) 1 → 100.
    rows = [(2023, "A", 1, 3, 100), (2024, "A", 1, 3, 120), (2025, "A", 1, 3, 126),
            (2024, "A", 2, 3, 100), (2025, "A", 2, 3, 104), (2025, "A", 3, 3, 98),
            (2023, "B", 1, 1, 20), (2024, "B", 1, 1, 30), (2025, "B", 1, 1, 30)]
    h = cohorts_from_classes(classes_frame(rows))
    bt = backtest(h)
    a_share = (100 / 120 + 120 / 150) / 2
    a = bt[bt.school_id == "A"].iloc[0]
    assert a.projected == pytest.approx(180 * a_share + 120 + 100)
    assert a.observed == 126 + 104 + 98
    b = bt[bt.school_id == "B"].iloc[0]
    assert b.projected == pytest.approx(180 * (1 - a_share))
    county = bt[bt.school_id == "county"].iloc[0]
    assert (county.projected, county.observed) == (pytest.approx(400), 358)
    s = backtest_summary(bt)
    assert s["county_pct_error"] == pytest.approx(42 / 358)
    a_err = abs(a.projected - 328) / 328
    b_err = abs(b.projected - 30) / 30
    assert s["school_mape"] == pytest.approx((a_err + b_err) / 2)
    assert s["school_max_ape"] == pytest.approx(max(a_err, b_err))


def test_backtest_needs_three_years():
    h = cohorts_from_classes(constant_history((2024, 2025)))
    assert backtest(h).empty
    assert backtest_summary(backtest(h))["county_pct_error"] is None


def test_sample_backtest_is_recorded():
    from balance_lib.io import load_county
    from balance_lib.paths import SAMPLE_DIR

    c = load_county(SAMPLE_DIR)
    h = cohorts_from_classes(c.tables["classes"])
    s = backtest_summary(backtest(h))
    # projecting 2025 from 2022–2024 on the sample: the county within 1 %, schools within ~4 %
    assert abs(s["county_pct_error"]) < 0.01
    assert s["school_mape"] < 0.05


def test_order_of_schools_is_irrelevant():
    frame = constant_history()
    a = frame.school_id == "A"
    frame.loc[a, "students"] += frame.loc[a, "year"] - 2020
    h = cohorts_from_classes(frame)
    rev = cohorts_from_classes(frame, np.array(["J", "B", "A"]))
    years = np.arange(2026, 2030)
    a = project_students(h, fit_rates(h), years, ProjectionSettings())
    b = project_students(rev, fit_rates(rev), years, ProjectionSettings())
    np.testing.assert_allclose(a[:, ::-1], b)


def test_cohorts_until_keeps_the_earlier_years():
    h = cohorts_from_classes(constant_history())
    assert isinstance(h.until(2023), Cohorts)
    assert h.until(2023).years.tolist() == [2022, 2023]


# ---- entry methods compared on the history -----------------------------------------------------


def falling_births_history():
    """Grade 1 of two schools 2020–2025 follows births six years earlier (0.9 of them), which
    rise to 2017 and then fall; the other grades are constant."""
    births = {2012: 500, 2013: 520, 2014: 540, 2015: 560, 2016: 580, 2017: 600, 2018: 520,
              2019: 450}
    rows = []
    for y in range(2020, 2026):
        g1 = round(0.9 * births[y - 6])
        rows += [(y, "A", 1, 10, g1 - g1 // 3), (y, "B", 1, 5, g1 // 3)]
        rows += [(y, "A", g, 10, 400) for g in range(2, 7)]
    return cohorts_from_classes(classes_frame(rows)), births


def test_entry_backtest_tests_each_year_from_the_years_before():
    from balance_lib.projection import best_entry_method, entry_backtest

    h, births = falling_births_history()
    bt = entry_backtest(h, births)
    # 2022–2025 are tested (two earlier years at least), each method every year
    assert sorted(bt.year.unique()) == [2022, 2023, 2024, 2025]
    assert set(bt.method) == {"trend", "mean", "births"}
    b = bt[bt.method == "births"].set_index("year")
    assert b.abs_pct_error.max() < 0.003  # births explain grade 1 up to rounding
    t = bt[bt.method == "trend"].set_index("year")
    # 2025 by trend from 2020–2024 (450, 468, 486, 504, 522 → 540 … then 468 observed)
    g1 = h.students[:, :, 0].sum(axis=1)
    x = np.arange(2020, 2025)
    slope, icpt = np.polyfit(x - x.mean(), g1[:5], 1)
    assert t.loc[2025, "projected"] == pytest.approx(icpt + slope * (2025 - x.mean()))
    assert t.loc[2025, "observed"] == g1[-1]
    m = bt[bt.method == "mean"].set_index("year")
    assert m.loc[2023, "projected"] == pytest.approx(g1[:3].mean())
    best = best_entry_method(bt)
    assert best["best"] == "births" and best["years"] == [2022, 2023, 2024, 2025]
    assert best["methods"]["births"] < 0.01 < min(best["methods"]["mean"], best["methods"]["trend"])


def test_entry_backtest_without_births_or_years():
    from balance_lib.projection import best_entry_method, entry_backtest

    h, births = falling_births_history()
    assert set(entry_backtest(h).method) == {"trend", "mean"}
    # births known only for the last tested year: births is compared where it can be
    bt = entry_backtest(h, {2018: 520, 2019: 450})
    assert bt[bt.method == "births"].year.tolist() == [2025]
    assert best_entry_method(bt)["years"] == [2025]
    short = cohorts_from_classes(constant_history((2024, 2025)))
    assert entry_backtest(short).empty
    assert best_entry_method(entry_backtest(short)) == {"methods": {}, "years": [], "best": None}


def test_births_from_the_table_and_the_default_entry():
    from balance_lib.projection import births_from_table, default_entry

    frame = pd.DataFrame({"year": [2019, 2020, 2021], "births": [4100.0, 3500.0, np.nan]})
    assert births_from_table(frame) == {2019: 4100.0, 2020: 3500.0}
    assert births_from_table(None) == {}
    obs = np.array([2024, 2025])
    assert default_entry({2018: 1, 2019: 1, 2020: 1}, obs, np.array([2026])) == "births"
    assert default_entry({2020: 1}, obs, np.array([2026])) == "trend"  # no year to fit on
    assert default_entry({2018: 1, 2019: 1}, obs, np.array([2026])) == "trend"  # 2020 missing
    assert default_entry({}, obs, np.array([2026])) == "trend"


def test_the_entry_comparison_in_words():
    from balance_lib.entry_text import entry_backtest_line, entry_backtest_table

    c = {"methods": {"trend": 0.138, "mean": 0.156, "births": 0.005}, "years": [2024, 2025],
         "best": "births"}
    assert entry_backtest_line(c, "trend", "en").endswith(
        "linear trend 13.8%, mean 15.6%, births 0.5%; the best fit is births "
        "(this projection uses linear trend)")
    assert entry_backtest_line(c, "births").endswith("最接近历史的是出生人口（本次预测即采用）")
    assert entry_backtest_line({"methods": {}, "years": [], "best": None}, "trend") == (
        "入学方法回测：观测年份不足（每个检验年之前至少要有两年），未做")
    t = entry_backtest_table(c, "en")
    assert t.to_dict("list") == {"grade-1 method": ["linear trend", "mean", "births"],
                                 "mean abs. error (%)": ["13.8", "15.6", "0.5"],  # formats.py
                                 "years tested": ["2024–2025"] * 3, "best": ["", "", "✓"]}
    assert entry_backtest_table({}, "zh").empty
