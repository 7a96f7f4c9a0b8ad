"""Reports as documents: titles, navigation, problem pages, the index dashboard, the nbconvert
exporter, PDF printing and a real browser.

The exporter, PDF and browser tests run real programs (jupyter nbconvert, headless Chromium,
pdftotext) on the tiny fixture county; they are marked ``browser`` and skip when Chromium or
poppler is missing (``.ci/run`` installs both). Screenshots of the rendered reports are left in
the temporary folder (``$TMPDIR/balance-screenshots/``) for people to look at.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from balance_lib import dashboard, pages, render
from balance_lib.indicators import evaluate
from balance_lib.report import load

TINY = Path(__file__).parent / "fixtures" / "tiny"
SCHOOL = "6523010029"
CHROMIUM = shutil.which("chromium") or shutil.which("google-chrome")
browser = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed")


def test_title_is_the_first_heading_and_print_styles_are_added():
    page = pages.finish_page('<html><head><title>Notebook</title></head><body>'
                             '<h1 id="x">昌吉市 &lt;b&gt; 2025学年<a class="anchor-link">¶</a>'
                             '</h1></body></html>')
    assert "<title>昌吉市 &lt;b&gt; 2025学年</title>" in page
    assert "@page" in page and "size:A4 portrait" in page and "break-before:page" in page
    assert '@top-center{content:"昌吉市 \\3C b\\3E  2025学年"' in page  # running header, inert
    assert pages.finish_page(page) == page  # idempotent


def test_navigation_is_replaced_not_repeated():
    page = "<html><body><h1>t</h1></body></html>"
    one = pages.set_navigation(page, pages.navigation("../index.html", ("2024.html", "2024 <x>"),
                                                      None))
    two = pages.set_navigation(one, pages.navigation("../index.html", None, ("2026.html", "2026")))
    assert one.count("balance-nav") == 1 and two.count('class="balance-nav"') == 1
    assert "2024 &lt;x&gt;" in one and 'rel="prev"' not in two and 'rel="next"' in two
    assert 'href="../index.html"' in two and "返回报告索引" in two


def test_problem_page_is_readable_and_escaped():
    page = pages.problem_page("未能生成：一校一册 <script>", "ReportParamError: 行 3 <b>\n第二行",
                              "../index.html")
    assert "ReportParamError" not in page and "<script>" not in page
    assert "<li>行 3 &lt;b&gt;</li><li>第二行</li>" in page and 'href="../index.html"' in page


def test_dashboard_summary_and_page():
    data = load(TINY)
    ev = evaluate(data.county.tables, data.settings, data.registry)
    sm = dashboard.summary(ev)
    by_year = {y["year"]: y for y in sm["years"]}
    v25 = ev.verdict[ev.verdict.year == 2025].iloc[0]
    u25 = ev.units[ev.units.year == 2025]
    assert by_year[2025]["status"] == v25["status"]
    assert by_year[2025]["units"] == len(u25)
    assert by_year[2025]["units_passing"] == int(u25.passes.sum())
    school = sm["schools"][SCHOOL]
    assert school["year"] == 2025 and school["levels"][0]["met"] == int(
        u25[u25.school_id == SCHOOL].met_count.iloc[0])
    outs = [render.Outcome("county-year/2025", "county-year", "2025学年 年度评估", {"year": 2025},
                           "", "ok", 1.5, None, "county-year/2025.html"),
            render.Outcome(f"school/{SCHOOL}", "school", "一校一册 <第二中学>",
                           {"school_id": SCHOOL}, "", "failed", 2.0,
                           "ValueError: 坏数据", None, None)]
    page = dashboard.dashboard_page(outs, "县 <x>", None, summary=sm)
    assert "<title>县 &lt;x&gt;</title>" in page and "一校一册 &lt;第二中学&gt;" in page
    assert 'href="school/6523010029.problem.html"' in page and "坏数据" in page
    assert "ValueError" not in page and "1.5 s" not in page
    assert f"{by_year[2025]['units_passing']} / {by_year[2025]['units']}" in page


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """One county-year and one school report of the tiny county, with the index."""
    out = tmp_path_factory.mktemp("pages")
    jobs = render.plan_jobs(TINY, [2024, 2025], [SCHOOL], trend=False)
    data = load(TINY)
    sm = dashboard.summary(evaluate(data.county.tables, data.settings, data.registry))
    res = render.render_batch(jobs, out, base_hash=render.data_hash(TINY, None), n_jobs=2,
                              progress=False, dashboard=sm, title="tiny 报告")
    assert not res.failed, [o.error for o in res.failed]
    return out


@pytest.mark.slow
def test_reports_have_titles_and_links(rendered):
    page = (rendered / "county-year" / "2025.html").read_text(encoding="utf-8")
    assert "<title>tiny 2025学年 义务教育优质均衡发展评估报告</title>" in page
    assert 'href="../index.html"' in page and 'rel="prev" href="2024.html"' in page
    first = (rendered / "county-year" / "2024.html").read_text(encoding="utf-8")
    assert 'rel="next" href="2025.html"' in first and 'rel="prev"' not in first
    school = (rendered / "school" / f"{SCHOOL}.html").read_text(encoding="utf-8")
    assert "<title>tiny 一校一册：" in school and 'href="../index.html"' in school
    index = (rendered / "index.html").read_text(encoding="utf-8")
    assert "各学年评估结论" in index and "最近学年结果" in index


def _chromium(*args: str) -> subprocess.CompletedProcess:
    profile = tempfile.mkdtemp(prefix="balance-test-chromium-")
    try:
        return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                               "--disable-quic", "--no-first-run",
                               "--disable-background-networking", "--disable-component-update",
                               "--disable-sync", f"--user-data-dir={profile}", *args],
                              capture_output=True, timeout=120, check=False)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.browser
@browser
def test_a_real_browser_shows_title_answer_and_back_link(rendered):
    shots = Path(os.environ.get("TMPDIR", tempfile.gettempdir())) / "balance-screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    for stem, expect in [("county-year/2025", "未达到学校标准的评估单位"),
                         (f"school/{SCHOOL}", "逐年结论")]:
        uri = (rendered / f"{stem}.html").resolve().as_uri()
        dom = _chromium("--dump-dom", uri).stdout.decode("utf-8")
        assert re.search(r"<title>tiny [^<]*</title>", dom)
        assert expect in dom and 'href="../index.html"' in dom
        if stem.startswith("county-year"):
            first = dom.split("<h2", 2)[1]  # the first section: the verdict and failing units
            assert '<table class="balance-table">' in first and "责任单位" in first
        png = shots / f"{stem.replace('/', '-')}.png"
        _chromium(f"--screenshot={png}", "--window-size=1280,2400", uri)
        assert png.is_file() and png.stat().st_size > 10_000


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None or shutil.which("pdftotext") is None,
                    reason="headless Chromium or pdftotext not installed")
@pytest.mark.slow
def test_pdf_has_the_chinese_title_and_the_failing_unit_table(rendered, tmp_path):
    from balance_lib.pdf import write_pdfs

    page = rendered / "county-year" / "2025.html"
    made, problems = write_pdfs([page], jobs=1, force=True)
    assert not problems and made == [page.with_suffix(".pdf")]
    text = subprocess.run(["pdftotext", "-layout", str(made[0]), "-"], capture_output=True,
                          check=True).stdout.decode("utf-8")
    assert "tiny 2025学年 义务教育优质均衡发展评估报告" in text
    assert "未达到学校标准的评估单位" in text and "责任单位" in text
    again, _ = write_pdfs([page], jobs=1)
    assert again == []  # the PDF is newer than its page: not printed again


@pytest.mark.slow
@pytest.mark.browser
def test_nbconvert_to_balance_gives_the_runners_page(rendered, tmp_path):
    nb = rendered / "county-year" / "2025.ipynb"
    res = subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "balance",
                          "--output-dir", str(tmp_path), str(nb)], capture_output=True,
                         check=False)
    assert res.returncode == 0, res.stderr.decode()
    page = (tmp_path / "2025.html").read_text(encoding="utf-8")
    assert "<title>tiny 2025学年 义务教育优质均衡发展评估报告</title>" in page
    assert "data:font/woff;base64" in page and "@page" in page
    assert not render.external_refs(page) and "require.min.js" not in page
    assert "rp.load(" not in page and "fp.failing_units_table" not in page  # no code
