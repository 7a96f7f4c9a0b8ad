"""Helpers the report notebooks call (balance_lib.report): display objects and formatting."""

from __future__ import annotations

import copy
import csv
import dataclasses
import html
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from balance_lib import report

FRAME = pd.DataFrame({
    "学校": ["昌吉市第一小学", "A&B <x>"],
    "学年": [2024, 2025],
    "县域值": [3115.5454, 2.0],
    "差异系数": [0.46449, np.nan],
    "达标": ["是", "否"],
    "首次发现": pd.array([2022, None], dtype="Int64"),
})


def test_table_text_is_the_rounded_text_and_html_is_an_aligned_table():
    t = report.table(FRAME)
    assert repr(t) == report.text(FRAME)
    assert repr(t).splitlines()[1].split() == ["昌吉市第一小学", "2024", "3,115.545", "0.464", "是",
                                               "2022"]
    page = t._repr_html_()
    assert page == report.table(FRAME.copy())._repr_html_()  # deterministic
    body = page.split("</style>", 1)[1]
    assert body.count("<tr>") == 3 and "<th" in body and "index" not in body
    head = ('<tr><th>学校</th><th class="num">学年</th><th class="num">县域值</th>'
            '<th class="num">差异系数</th><th>达标</th><th class="num">首次发现</th></tr>')
    assert head in body
    # one number of decimals per column (the fewest that show every rounded value), — for NA
    assert ('<tr><td>昌吉市第一小学</td><td class="num">2024</td><td class="num">3,115.545</td>'
            '<td class="num">0.464</td><td>是</td><td class="num">2022</td></tr>') in body
    assert ('<tr><td>A&amp;B &lt;x&gt;</td><td class="num">2025</td><td class="num">2.000</td>'
            '<td class="num">—</td><td>否</td><td class="num">—</td></tr>') in body


def test_table_style_uses_the_embedded_font_first_and_beats_the_notebook_theme():
    css = report.TABLE_CSS
    assert ".balance-table-wrap table.balance-table th,.balance-table-wrap table.balance-table td{"\
        "font-family:'balance-cjk'," in css
    assert ".num{text-align:right" in css and "table-layout:auto" in css


def test_empty_table():
    t = report.table(FRAME.iloc[:0])
    assert repr(t) == "（无）"
    assert t._repr_html_().endswith('<p class="balance-table-empty">（无）</p></div>')


def test_column_decimals():
    f = pd.DataFrame({"限值": [0.5, 0.5], "标准": [4.2, 2000.0], "x": [1.0, 2.0]})
    cells = [report._formatted(f[c], 3) for c in f.columns]
    assert cells == [["0.5", "0.5"], ["4.2", "2,000.0"], ["1.0", "2.0"]]


def test_note_highlights_the_warning_and_bullets_escape():
    n = report.Note(["数据来源 / data: x", "参数设置"], "⚠ 注意 <b>")
    assert repr(n) == "⚠ 注意 <b>\n数据来源 / data: x\n参数设置"
    page = n._repr_html_()
    assert '<div class="balance-warning">⚠ 注意 &lt;b&gt;</div><p>数据来源 / data: x</p>' in page
    plain = report.Note(["a"])
    assert repr(plain) == "a" and 'class="balance-warning"' not in plain._repr_html_()
    # a Markdown list of literal text (punctuation as character references: never syntax)
    assert report.bullets(["x > 1", "y"]) == "- x &#62; 1\n- y"
    assert report.bullets([], empty="无未达标原因") == "无未达标原因"


# ---------------------------------------------------------------------------------------------
# The in-process cache of load / evaluate_all / evaluate_year (warm report kernels)
# ---------------------------------------------------------------------------------------------

TINY = Path(__file__).parent / "fixtures" / "tiny"


@pytest.fixture
def tiny_copy(tmp_path) -> Path:
    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)
    report.clear_cache()
    yield folder
    report.clear_cache()


def _set_cell(path: Path, row: int, column: str, value: str) -> None:
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    rows[row - 1][rows[0].index(column)] = value
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def test_second_calls_return_the_cached_objects(tiny_copy):
    d = report.load(tiny_copy)
    assert report.load(str(tiny_copy)) is d and d.cache_key
    allr = report.evaluate_all(d)
    yr = report.evaluate_year(d, 2025)
    assert report.evaluate_all(d) is allr and report.evaluate_year(d, 2025) is yr
    assert report.evaluate_year(d, 2024) is not yr and report.evaluate_year(d, 2024).year == 2024
    # a touched file with the same content is the same data
    os.utime(tiny_copy / "schools.csv", ns=(1, 1))
    assert report.load(tiny_copy) is d
    # data built by hand are never cached
    manual = dataclasses.replace(d, cache_key="")
    assert report.evaluate_all(manual) is not report.evaluate_all(manual)


def test_a_changed_data_or_settings_file_is_a_new_load(tiny_copy, tmp_path):
    d = report.load(tiny_copy)
    allr = report.evaluate_all(d)
    mtime = (tiny_copy / "schools.csv").stat().st_mtime_ns
    _set_cell(tiny_copy / "schools.csv", 5, "qualified_teachers_primary", "90")  # was 95
    os.utime(tiny_copy / "schools.csv", ns=(mtime, mtime))  # same mtime: content decides
    d2 = report.load(tiny_copy)
    assert d2 is not d and d2.cache_key != d.cache_key
    s = d2.county.schools
    assert s.loc[(s["year"] == 2025) & (s["school_id"] == "6523010002"),
                 "qualified_teachers_primary"].tolist() == [90.0]
    allr2 = report.evaluate_all(d2)
    assert allr2 is not allr
    b1 = [a.units.set_index(["year", "school_id", "level"]).loc[(2025, "6523010002", "primary"),
                                                                "value_B1"] for a in (allr, allr2)]
    assert b1 == [pytest.approx(95 / 1805 * 100), pytest.approx(90 / 1805 * 100)]  # per 100
    # another settings file (here the same values) is another key
    params = tmp_path / "p.yaml"
    params.write_text("cv_display_decimals: 3\n", encoding="utf-8")
    d3 = report.load(tiny_copy, params)
    assert d3 is not d2 and report.load(tiny_copy, params) is d3
    params.write_text("cv_display_decimals: 2\n", encoding="utf-8")
    d4 = report.load(tiny_copy, params)
    assert d4 is not d3 and d4.settings.cv_display_decimals == 2


def test_the_cache_is_bounded(tiny_copy, tmp_path):
    loaded = []
    for k in range(report.CACHE_SIZE + 2):
        folder = tmp_path / f"c{k}"
        shutil.copytree(tiny_copy, folder)
        loaded.append(report.load(folder))
    assert len(report._LOADED) == report.CACHE_SIZE
    assert report.load(tmp_path / f"c{report.CACHE_SIZE + 1}") is loaded[-1]  # recent: kept
    assert report.load(tmp_path / "c0") is not loaded[0]  # oldest: dropped, loaded again


def _same(a, b, where="") -> None:
    """Deep equality of results: frames (values, dtypes, columns, index), dicts, lists, NaN."""
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_exact=True, obj=where)
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b, check_exact=True, obj=where)
    elif dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            _same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            _same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), where
        for k, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{where}[{k}]")
    elif isinstance(a, float) and np.isnan(a):
        assert isinstance(b, float) and np.isnan(b), where
    else:
        assert a == b, where


@pytest.mark.slow
def test_no_report_helper_mutates_the_cached_results():
    """Every call the three templates make, on the cached objects; then they are unchanged."""
    from balance_lib import plots

    report.clear_cache()
    d = report.load(TINY)
    allr, yr = report.evaluate_all(d), report.evaluate_year(d, 2025)

    def state():
        ev = report.evaluation(d)
        frames = [getattr(ev, f) for f in ("units", "variation", "items", "parts",
                                           "school_items", "class_sizes", "vetoes", "verdict")]
        return (d.county.tables, d.excluded, allr, yr.values, yr.evaluation, frames,
                [getattr(yr.indicators, f) for f in ("items", "school_items", "class_sizes")])

    before = copy.deepcopy(state())
    # 10-county-year
    report.county_summary(yr), report.verdict_reasons(yr), report.note(d)
    for level in ("primary", "junior"):
        report.resource_table(yr.resources.variation, d.registry, level)
        for ind in ("B1", "B5"):
            plots.school_values(yr.values, ind, level, d.registry, year=2025)
    plots.cv_by_indicator(yr.resources.variation, d.registry, year=2025)
    report.failing_units(yr.values, d.registry)
    report.other_items(yr), report.veto_table(yr, d.registry), report.ledger_table(d, 2025)
    en = report.evaluate_year(d, 2025, "en")  # the English report shares the engine's result
    assert en.resources is yr.resources and en.indicators is yr.indicators
    report.county_summary(en, "en"), report.other_items(en, "en"), report.note(d, "en")
    report.ledger_table(d, 2025, "en"), report.failing_units(en.values, d.registry, lang="en")
    # 20-school-profile
    for sid in report.school_ids_of(d.county):
        report.school_summary(allr, sid), report.school_profile(allr, sid, d.registry)
        plots.school_trend(report.long_values(allr), sid, d.registry)
        report.school_class_sizes(yr.indicators, sid), report.school_needs(allr, sid, d.registry)
    # 40-county-trend
    variation = allr.variation[allr.variation["year"].between(2024, 2025)]
    for level in ("primary", "junior"):
        report.cv_trend_table(variation, level)
    plots.cv_trend(variation, d.registry), report.pass_trend_table(allr, 2024, 2025)
    for t in (report.table(report.school_summary(allr, "6523010037")),):
        repr(t), t._repr_html_()
    _same(before, state())
    assert report.load(TINY) is d and report.evaluate_year(d, 2025) is yr
    report.clear_cache()


def test_the_english_county_report_has_english_headings_and_columns():
    """The nbval reference of ``10-county-year`` with ``lang="en"`` (tests/notebooks)."""
    import nbformat

    nb = nbformat.read(Path(__file__).parent / "notebooks" / "10-county-year-en.ipynb",
                       as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    headings = [html.unescape(o.data["text/markdown"]) for o in outputs  # shown as text
                if o.get("data", {}).get("text/markdown", "").startswith("#")]
    assert headings == [
        "# tiny: high-quality balanced compulsory education, evaluation of school year 2025",
        "## 1. The answer: what fails, by how much, who is responsible",
        "### Units failing the school rule (at least 6 of B1–B7 met and the rest at least 85% "
        "of the standard)",
        "### CVs above their limit", "### Items of B8–B32 not met, and vetoes triggered",
        "## 2. What the coefficient of variation (CV) is",
        "## 3. Resource allocation (B1–B7): county values and CVs",
        "### Primary", "### Junior", "## 4. Schools: distribution and shortfalls",
        "## 5. Other indicators (B8–B32) and vetoes",
        "## 6. Issue ledger: this year's shortfalls, gaps and responsible departments"]
    tables = [o.data["text/plain"] for o in outputs if "text/html" in o.get("data", {})
              and "balance-table" in o.data["text/html"]]
    assert [t.splitlines()[0].split()[:3] for t in tables] == [
        ["school", "level", "met"], ["indicator", "name", "detail"],
        ["indicator", "name", "unit"], ["indicator", "name", "unit"],
        ["school", "level", "indicator"], ["indicator", "status", "detail"],
        ["veto", "name", "status"], ["indicator", "school", "level"]]
    cjk = [h for h in headings + [t.splitlines()[0] for t in tables]
           if any("\u4e00" <= ch <= "\u9fff" for ch in h)]
    assert cjk == []
    verdict = next(o.data["text/plain"] for o in outputs
                   if "balance-verdict" in o.get("data", {}).get("text/html", ""))
    assert verdict.splitlines()[0] == "verdict: does not meet the standard"
    # the failing unit, its misses against the standard and the gap in natural units
    assert "B4 5.26 (standard 5.80); B5 9.14 (standard 10.20)" in tables[0]
    assert "+401 m² of teaching and auxiliary rooms" in tables[0]


def test_english_ledger_gaps_for_every_kind_of_row():
    """The ledger writes its gaps in the report's language: every kind of row, in English."""
    from balance_lib.ledger import make_ledger

    d = report.load("data/sample")
    frames = make_ledger(d.county.tables, d.settings, d.registry, lang="en",
                         evaluation=report.evaluation(d))
    rows = frames.ledger
    cjk = re.compile(r"[\u4e00-\u9fff]")
    assert not rows["gap_text"].str.contains(cjk).any()
    by_scope = {scope: set(g["gap_text"]) for scope, g in rows.groupby("scope")}
    assert any(re.fullmatch(r"\+\d[\d,]* m² of sports halls and grounds", g)
               for g in by_scope["unit"])
    assert any(re.fullmatch(r"CV 0\.\d{3}, must fall to 0\.\d{2} or below", g)
               for g in by_scope["variation"])
    assert any(re.fullmatch(r"\d[\d,]* students over", g) for g in by_scope["school"])
    assert any(re.fullmatch(r"\d+ classes over 45", g) for g in by_scope["school"])
    assert any(re.fullmatch(r"now \d+\.\d%, needs ≥ \d+(\.\d)?% \([\d.]+ percentage points "
                            r"short\)", g) for g in by_scope["county"])
    assert "judged not met" in by_scope["county"]
    zh = make_ledger(d.county.tables, d.settings, d.registry, evaluation=report.evaluation(d))
    assert zh.ledger["gap_text"].str.contains(cjk).any()
    assert len(zh.ledger) == len(rows)


def test_the_special_school_booklet_has_no_class_sizes_and_says_why():
    """The sample's special school has classes in classes.csv; its booklet's class-size table
    is empty, its verdict line says it is not an evaluated unit, and no school's class table
    of the county evaluation holds it."""
    from balance_lib import firstpage

    d = report.load("data/sample")
    sid = "6523010049"
    s = d.county.tables["schools"]
    assert set(s.loc[s["school_id"].astype(str) == sid, "school_type"].astype(str)) == {"special"}
    assert (d.county.tables["classes"]["school_id"].astype(str) == sid).any()
    last = report.evaluate_year(d, d.years[-1])
    assert report.school_class_sizes(last.indicators, sid).empty
    assert sid not in set(report.evaluation(d).class_sizes["school_id"].astype(str))
    assert not report.school_class_sizes(last.indicators, "6523010001").empty
    allr = report.evaluate_all(d)
    assert firstpage.school_verdict_lines(allr.units, sid, d.registry) == [
        report.label("fp_school_no_units", "zh")]
    assert "B1–B7" in firstpage.school_verdict_lines(allr.units, sid, d.registry)[0]
    en = firstpage.school_verdict_lines(allr.units, sid, d.registry, "en")[0]
    assert en.startswith("This school is not an evaluated unit")
    from balance_lib import plots

    values = report.long_values(allr)
    assert plots.school_trend(values, sid, d.registry) is None  # no empty axes on its page
    assert plots.school_trend(values, "6523010001", d.registry) is not None
