"""The province overview: hand-made frames of a few counties, the multi-county fixture, the
indexes of a province's batch."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from balance_lib import province
from balance_lib import province_report as pr
from balance_lib import report as rp
from balance_lib.render import CountyEntry, Outcome, county_index_pages, county_folder

MULTI = "tests/fixtures/multi"


def _verdict() -> pd.DataFrame:
    """Five counties of 2025, built by hand."""
    return pd.DataFrame({
        "county_id": ["C1", "C2", "C3", "C4", "C5"],
        "year": [2025] * 5,
        "status": ["does_not_meet", "meets", "does_not_meet", "incomplete", "does_not_meet"],
        "n_units": [10, 8, 20, 5, 6],
        "n_failing_units": [1, 0, 3, 0, 1],
        "cv_over": [(), (), (("B5", "primary", 0.60, 0.50), ("B2", "junior", 0.46, 0.45)),
                    (), (("B4", "junior", 0.90, 0.45),)],
        "not_met": [("B12",), (), ("B9", "B12"), (), ()],
        "triggered": [(), (), ("V2",), (), ()],
        "pending": [("B31",), (), (), ("B31", "B32"), ("B31",)],
    })


def test_distance_counts_every_failing_part_of_the_verdict():
    o = province.county_overview(_verdict()).set_index("county_id")
    # C1: 1 unit + 1 item; C3: 3 units + 2 CVs + 2 items + 1 veto; C5: 1 unit + 1 CV
    assert o.loc["C1", "distance"] == 2 and o.loc["C3", "distance"] == 8
    assert o.loc["C5", "distance"] == 2 and o.loc["C2", "distance"] == 0
    assert o.loc["C3", "n_units_passing"] == 17
    assert o.loc["C3", "share_passing"] == pytest.approx(0.85)
    assert o.loc["C3", "worst_cv_ratio"] == pytest.approx(1.2)
    assert o.loc["C4", "n_not_assessed"] == 2


def test_counties_are_ranked_closest_first_with_the_stated_tie_breaks():
    o = province.county_overview(_verdict())
    # distance 0: C2 (nothing pending) before C4 (2 pending); distance 2: C1 (1 pending, no
    # CV over) before C5 (1 pending, a CV at 2× its limit)
    assert o["county_id"].tolist() == ["C2", "C4", "C1", "C5", "C3"]
    assert o["rank"].tolist() == [1, 2, 3, 4, 5]


def _variation() -> pd.DataFrame:
    rows = []
    for c, cvs in (("C1", (0.20, 0.46, 0.40)), ("C2", (0.51, 0.10, np.nan))):
        for (lv, ind, lim), cv in zip((("primary", "B1", 0.5), ("primary", "B2", 0.5),
                                       ("junior", "B1", 0.45)), cvs):
            if not np.isnan(cv):
                rows.append({"county_id": c, "year": 2025, "level": lv, "indicator": ind,
                             "cv": cv, "limit": lim})
    return pd.DataFrame(rows)


def test_the_cv_matrix_puts_counties_in_rows_and_levels_in_teaching_order():
    m, limits = province.cv_matrix(_variation())
    assert list(m.index) == ["C1", "C2"]
    assert list(m.columns) == [("primary", "B1"), ("primary", "B2"), ("junior", "B1")]
    assert limits.tolist() == [0.5, 0.5, 0.45]
    assert np.isnan(m.loc["C2", ("junior", "B1")])
    flags = province.cv_flags(m, limits)
    # 0.46 is within 0.50 but above 90 % of it; 0.51 is over; 0.40 ≥ 0.9 × 0.45 = 0.405? no
    assert flags.loc["C1"].tolist() == ["ok", "near", "ok"]
    assert flags.loc["C2"].tolist() == ["over", "ok", "none"]


def test_a_cv_at_its_limit_is_within_it_as_the_verdict_says():
    v = pd.DataFrame({"county_id": ["C1"], "year": [2025], "level": ["junior"],
                      "indicator": ["B1"], "cv": [0.45], "limit": [0.45]})
    m, limits = province.cv_matrix(v)
    assert province.cv_flags(m, limits).iloc[0, 0] == "near"


def test_failing_indicators_count_counties_most_first_then_registry_order():
    items = pd.DataFrame({
        "county_id": ["C1", "C1", "C1", "C2", "C2", "C2", "C3", "C3", "C3"],
        "id": ["B1", "B12", "B9"] * 3,
        "status": ["met", "not_met", "not_met", "not_met", "not_met", "not_assessed",
                   "not_met", "met", "met"],
    })
    f = province.failing_indicators(items, {"B1": 0, "B9": 8, "B12": 11})
    assert f["id"].tolist() == ["B1", "B12", "B9"]  # B1 and B12 tie: registry order
    assert f["n_not_met"].tolist() == [2, 2, 1]
    assert f["n_not_assessed"].tolist() == [0, 0, 1]
    assert f["counties"].tolist() == [("C2", "C3"), ("C1", "C2"), ("C1",)]
    assert f["share_not_met"].tolist() == pytest.approx([2 / 3, 2 / 3, 1 / 3])


def test_year_summary_counts_counties_per_status():
    v = pd.concat([_verdict(), _verdict().assign(year=2024, status="does_not_meet")])
    y = province.year_summary(v)
    assert y.to_dict("list") == {"year": [2024, 2025], "meets": [0, 1], "incomplete": [0, 1],
                                 "does_not_meet": [5, 3], "n_counties": [5, 5]}


def test_the_fixture_province_page_tables():
    """tests/fixtures/multi: 652302 has the same schools as 652301 but worse, under the same
    school ids; every county fails in 2025."""
    d = rp.load_all(MULTI)
    p = pr.build(d, 2025, linked="652301,nope")
    assert p.linked == frozenset({"652301"})
    o = p.overview.set_index("county_id")
    assert o.loc["652301", "distance"] == 2  # 1 unit failing + B12
    assert o.loc["652302", "n_units_passing"] == 0
    assert o.loc["652302", "triggered"] == ("V2", "V4")
    t = pr.county_table(p, "en")
    assert t.columns[:3].tolist() == ["rank", "county", "verdict"]
    assert t.iloc[0]["county"] == "652301"
    cv = repr(pr.cv_table(p, "zh"))
    assert "0.759▲" in cv and "0.616▲" in cv
    html = pr.counties(p, "zh")._repr_html_()
    assert html.count('<a href="652301/index.html">652301</a>') == 1
    assert "659001/index.html" not in html
    assert pr.headline(p, "en")[0] == ("Of 4 counties, 0 meet the standard, 0 are not fully "
                                       "assessed and 4 do not meet it.")


def test_a_county_of_a_province_is_its_own_report_data():
    d = rp.load(MULTI, county="652302")
    assert d.county_id == "652302" and d.name == "multi · 652302"
    assert set(d.county.schools["county_id"]) == {"652302"}
    yr = rp.evaluate_year(d, 2025)
    assert [v["county_id"] for v in yr.evaluation["verdict"]] == ["652302"]
    # the same school id in two counties: each county's report sees its own school
    s1 = rp.school_summary(rp.evaluate_all(rp.load(MULTI, county="652301")), "6523010002")
    s2 = rp.school_summary(rp.evaluate_all(d), "6523010002")
    assert len(s1) == len(s2) == 2
    with pytest.raises(rp.ReportParamError, match="4 counties"):
        rp.load(MULTI)
    with pytest.raises(rp.ReportParamError, match="unknown county 999"):
        rp.load(MULTI, county="999")


def test_report_helpers_refuse_tables_of_several_counties():
    from balance_lib import plots

    ev = rp.evaluation(rp.load_all(MULTI))
    with pytest.raises(ValueError, match="holds 4 counties"):
        plots.cv_by_indicator(ev.variation, ev.registry, year=2025)


def test_the_indexes_of_a_province_link_each_county_and_escape_ids():
    reports = {
        "province": {"kind": "province", "title": "概览", "status": "ok",
                     "html": "province.html"},
        "652301/county-year/2025": {"kind": "county-year", "title": "2025", "status": "ok",
                                    "html": "652301/county-year/2025.html"},
        "652301/school/S1": {"kind": "school", "title": "<b>S1</b>", "status": "failed",
                             "error": "boom", "notebook": "652301/school/S1.ipynb"},
    }
    counties = [CountyEntry("652301", "does_not_meet", 2025, True, "T 652301"),
                CountyEntry("<x>", "meets", 2025, False, "T x")]
    pages = county_index_pages(reports, counties, "省", None, "zh")
    assert set(pages) == {"index.html", "652301/index.html"}
    top = pages["index.html"]
    assert 'href="province.html"' in top and 'href="652301/index.html"' in top
    assert "1 / 2 份完成，1 份失败" in top and "&lt;x&gt;" in top and "<x>" not in top
    county = pages["652301/index.html"]
    assert 'href="county-year/2025.html"' in county and 'href="../index.html"' in county
    assert "&lt;b&gt;S1&lt;/b&gt;" in county
    assert county_folder("../x") != "../x"


def _summary(status: str, passing: int, units: int, cv_over: int, not_met: list[str],
             vetoes: int = 0) -> dict:
    return {"years": [{"year": 2025, "status": status, "units_passing": passing, "units": units,
                       "cv_over": cv_over, "not_met": not_met, "vetoes": vetoes}],
            "schools": {}, "rule_size": 7}


def test_the_province_indexes_answer_first_and_lead_back(tmp_path):
    """The main index: the counts per verdict, the counties not meeting the standard first
    with their distance (1 unit + 1 CV + 1 item = 3); a county's index is its dashboard with
    a bar back to the main index and the province page; its reports lead back to it and its
    failed report to a problem page in its folder."""
    reports = {
        "province": {"kind": "province", "title": "概览", "status": "ok",
                     "html": "province.html"},
        "652301/county-year/2025": {"kind": "county-year", "title": "2025", "status": "ok",
                                    "html": "652301/county-year/2025.html",
                                    "parameters": {"year": 2025}},
        "652301/school/S1": {"kind": "school", "title": "S1", "status": "failed",
                             "error": "ReportParamError: 未找到学校 S1",
                             "notebook": "652301/school/S1.ipynb"},
    }
    for page in ("province.html", "652301/county-year/2025.html"):
        (tmp_path / page).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / page).write_text("<html><head></head><body><h1>t</h1></body></html>")
    counties = [CountyEntry("C0", "meets", 2025, False, "T C0",
                            _summary("meets", 5, 5, 0, [])),
                CountyEntry("652301", "does_not_meet", 2025, True, "T 652301",
                            _summary("does_not_meet", 3, 4, 1, ["B12"]))]
    pages = county_index_pages(reports, counties, "省", None, "zh", tmp_path)
    top = pages["index.html"]
    assert "2 个县中：1 个达标，0 个尚未评估完整，1 个未达标。" in top
    assert top.index("652301</a>") < top.index("C0")  # not meeting the standard first
    row = top[top.index("652301</a>"):].split("</tr>")[0]
    assert '<td class="num">3 / 4</td>' in row and '<td class="num">3</td>' in row
    county = pages["652301/index.html"]
    assert 'href="../index.html"' in county and 'href="../province.html"' in county
    assert "各学年评估结论" in county and "3 / 4" in county
    assert 'href="school/S1.problem.html"' in county
    problem = (tmp_path / "652301/school/S1.problem.html").read_text(encoding="utf-8")
    assert "未找到学校 S1" in problem and 'href="../index.html"' in problem
    report = (tmp_path / "652301/county-year/2025.html").read_text(encoding="utf-8")
    assert '<a href="../index.html">← 返回报告索引</a>' in report
    assert 'href="index.html"' in (tmp_path / "province.html").read_text(encoding="utf-8")


def test_outcomes_of_a_county_are_rebased_on_its_folder():
    from balance_lib.render import _rebased

    o = Outcome("C/school/1", "school", "t", {}, "h", "ok", html="C/school/1.html",
                notebook="C/school/1.ipynb")
    r = _rebased(o, "C")
    assert (r.html, r.notebook) == ("school/1.html", "school/1.ipynb")


@pytest.mark.parametrize(("args", "message"), [
    (["--counties", "652301,999"], "unknown counties: 999"),
    (["--scenario", "tests/fixtures/tiny-scenario.yaml"], "needs the data of one county"),
    (["--plan", "2027"], "--plan needs the data of one county"),
    (["--schools", "nope"], "not in the chosen counties: nope"),
])
def test_province_options_are_checked_before_any_report(tmp_path, args, message):
    from typer.testing import CliRunner

    from balance_lib.cli import app

    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["report", MULTI, "--out", str(out), *args])
    assert res.exit_code == 2 and message in res.output, res.output
    assert not (out / "index.html").exists()


def test_counties_need_data_of_several_counties(tmp_path):
    from typer.testing import CliRunner

    from balance_lib.cli import app

    res = CliRunner().invoke(app, ["report", "tests/fixtures/tiny", "--counties", "652301",
                                   "--out", str(tmp_path / "out")])
    assert res.exit_code == 2 and "no county_id" in res.output
