"""Report templates, the batch runner and ``balance report`` on the tiny fixture county.

One batch renders two real reports plus one that must fail (two workers, one kept kernel each);
the other tests reuse its output folder or run without kernels, except the kept-kernel tests
(one kernel each) and the Dask test (a one-worker ``LocalCluster``).
"""

from __future__ import annotations

import ast
import csv
import html
import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from typer.testing import CliRunner

from balance_lib import render, report
from balance_lib.cli import app
from balance_lib.paths import PROJECT_ROOT

TINY = Path(__file__).parent / "fixtures" / "tiny"
SCHOOL = "6523010029"
BAD = "6523010002"  # the school corrupted by the `corrupted` fixture
REMOTE = re.compile(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//", re.I)
runner = CliRunner()


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    jobs = render.plan_jobs(TINY, [2025], [SCHOOL], trend=False)
    # a school the data do not have: the notebook's own check fails it, the others go on
    jobs.append(render.Job("school", "school/nope", "一校一册 nope", {**jobs[-1].parameters,
                                                                    "school_id": "nope"}))
    result = render.render_batch(jobs, out, base_hash=render.data_hash(TINY, None), n_jobs=2,
                                 note="模拟数据", progress=False)
    return out, result


@pytest.fixture(scope="module")
def corrupted(tmp_path_factory) -> Path:
    """A copy of the tiny county whose 小学 (6523010002) has -5 teachers in 2025 (row 5)."""
    folder = tmp_path_factory.mktemp("corrupted") / "tiny"
    shutil.copytree(TINY, folder)
    path = folder / "schools.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    col = rows[0].index("teachers_primary")
    assert rows[4][:2] == ["2025", BAD] and rows[4][col] == "97"
    rows[4][col] = "-5"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    return folder


def html_of(out: Path, stem: str) -> str:
    return (out / f"{stem}.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_reports_render_to_offline_html_without_code(batch):
    out, result = batch
    status = {o.stem: o.status for o in result.outcomes}
    assert status == {"county-year/2025": "ok", f"school/{SCHOOL}": "ok", "school/nope": "failed"}
    for stem, title in [("county-year/2025", "2025学年 义务教育优质均衡发展评估报告"),
                        (f"school/{SCHOOL}", "一校一册：昌吉市第二中学")]:
        page = html_of(out, stem)
        assert title in page
        assert "模拟数据" in page  # synthetic-data note
        assert "参数设置" in page  # the settings in force
        assert not REMOTE.findall(page), REMOTE.findall(page)
        assert "mathjax/" not in page.lower() and "require.min.js" not in page and "mermaid.esm" not in page and "cdnjs" not in page
        assert "data:image/png;base64" in page  # charts embedded
        assert "data:font/woff;base64" in page  # Chinese font subset: no boxes without a CJK font
        # tables are HTML tables (aligned whatever the glyph widths), not printed text
        assert page.count('<table class="balance-table">') >= 3
        assert "font-family:'balance-cjk'" in page
        nb = nbformat.read(out / f"{stem}.ipynb", as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                for line in cell.source.splitlines():
                    if len(line.strip()) > 12:
                        assert line.strip() not in page, f"code in HTML: {line!r}"
        assert "jp-InputPrompt" not in page or "In&nbsp;[" not in page


@pytest.mark.slow
def test_a_failing_report_is_recorded_and_keeps_its_partial_notebook(batch):
    out, result = batch
    bad = next(o for o in result.outcomes if o.stem == "school/nope")
    assert "ReportParamError" in bad.error and "未找到学校 nope" in bad.error
    assert (out / "school" / "nope.ipynb").is_file() and not (out / "school" / "nope.html").exists()
    assert [o.stem for o in result.failed] == ["school/nope"]


@pytest.mark.slow
def test_index_and_manifest(batch):
    out, _ = batch
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    entry = manifest["reports"]["county-year/2025"]
    assert entry["status"] == "ok" and entry["parameters"]["year"] == 2025
    assert Path(entry["parameters"]["data"]).is_absolute()
    assert len(entry["input_hash"]) == 64 and entry["duration_s"] > 0 and entry["error"] is None
    assert manifest["reports"]["school/nope"]["status"] == "failed"
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="county-year/2025.html"' in index and f'href="school/{SCHOOL}.html"' in index
    assert 'href="school/nope.problem.html"' in index and "失败" in index
    assert "ReportParamError" not in index and " s</td>" not in index  # no class names, timings
    problem = (out / "school" / "nope.problem.html").read_text(encoding="utf-8")
    assert "未找到学校 nope" in problem and "ReportParamError" not in problem
    assert 'href="../index.html"' in problem
    assert not list(out.rglob("*.tmp"))  # atomic writes leave no temporary files


@pytest.mark.slow
def test_second_run_skips_unchanged_reports(batch):
    out, _ = batch
    page = out / "county-year" / "2025.html"
    before = page.stat().st_mtime_ns
    res = runner.invoke(app, ["report", str(TINY), "--years", "2025", "--schools", SCHOOL,
                              "--no-trend", "--out", str(out), "--jobs", "1"])
    assert res.exit_code == 0, res.output
    assert "未变化跳过 2" in res.output
    assert page.stat().st_mtime_ns == before
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["reports"]["county-year/2025"]["status"] == "skipped"


@pytest.mark.slow
def test_an_unchanged_rebuild_reuses_the_index_results_and_reads_no_page(batch, monkeypatch):
    """Nothing changed: the county is not evaluated again for the index (its results are kept
    in the manifest with the input hash), the index is not rewritten, and no report page is
    read to check its navigation bar (its digest is in the manifest)."""
    out, _ = batch
    args = ["report", str(TINY), "--years", "2025", "--schools", SCHOOL, "--no-trend",
            "--out", str(out), "--jobs", "1"]
    assert runner.invoke(app, args).exit_code == 0  # the manifest now holds the results
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    base = render.data_hash(TINY, None)
    assert manifest["dashboard"]["input_hash"] == base
    assert render.cached_dashboard(out, base) == manifest["dashboard"]["summary"]
    assert render.cached_dashboard(out, "0" * 64) is None
    assert set(manifest["navigation"]) >= {"county-year/2025", f"school/{SCHOOL}"}
    index = out / "index.html"
    before = index.stat().st_mtime_ns
    import balance_lib.cli as cli

    def no_evaluation(*a, **k):
        raise AssertionError("evaluated again")

    read = []
    real = Path.read_text

    def spy(self, *a, **k):
        if self.suffix == ".html":
            read.append(self.name)
        return real(self, *a, **k)

    monkeypatch.setattr(cli, "_dashboard", no_evaluation)
    monkeypatch.setattr(Path, "read_text", spy)
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "未变化跳过 2" in res.output
    assert index.stat().st_mtime_ns == before and read == []


@pytest.mark.parametrize(("args", "message"), [
    (["--schools", "999"], "未找到学校 999"),
    (["--years", "2030", "--schools", "none"], "没有 2030 学年的数据"),
])
def test_unknown_school_or_year_is_bad_input(tmp_path, args, message):
    res = runner.invoke(app, ["report", str(TINY), "--out", str(tmp_path), *args])
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert not (tmp_path / "index.html").exists()


def test_make_offline_strips_the_lab_template_cdns():
    from nbconvert import HTMLExporter

    page, _ = HTMLExporter(template_name="lab").from_notebook_node(nbformat.v4.new_notebook())
    assert REMOTE.search(page)
    clean = render.make_offline(page)
    assert not REMOTE.findall(clean) and render.external_refs(clean) == []
    assert "cdnjs" not in clean.split("<style")[0] + "".join(re.findall(r"<script.*?</script>", clean, re.S))


def test_check_params_and_paths():
    d = report.load("tests/fixtures/tiny")  # relative to the project root, not the cwd
    assert d.path == PROJECT_ROOT / "tests" / "fixtures" / "tiny" and d.synthetic
    report.check_params(d, year=2024, school_id=SCHOOL)
    with pytest.raises(report.ReportParamError, match="没有 2020 学年"):
        report.check_params(d, year=2020)
    with pytest.raises(report.ReportParamError, match="unknown school id x"):
        report.check_params(d, school_id="x")


@pytest.mark.slow
def test_a_corrupted_school_fails_alone_and_the_others_render(corrupted, tmp_path):
    """Issue 5: a corrupted school in a copy of the data yields a report marked failed in the
    index while all others render; the batch exits 1."""
    res = runner.invoke(app, ["report", str(corrupted), "--years", "2025", "--schools", "all",
                              "--no-trend", "--out", str(tmp_path), "--jobs", "2"])
    assert res.exit_code == 1, res.output
    # the warning names the cell before anything is rendered
    assert "1 所学校的数据有问题，已排除" in res.output
    assert (f"schools.csv 第 5 行 (学校 {BAD}, 2025 年) 列 teachers_primary（小学专任教师数）: "
            f"负数 -5") in res.output
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))["reports"]
    assert {k: v["status"] for k, v in manifest.items()} == {
        "county-year/2025": "ok", f"school/{BAD}": "failed", f"school/{SCHOOL}": "ok",
        "school/6523010037": "ok"}
    error = manifest[f"school/{BAD}"]["error"]
    assert error.startswith(
        f"ReportParamError: 学校 {BAD}（昌吉市第二小学）的数据有 1 个问题，已排除")
    assert "schools.csv 第 5 行" in error and "teachers_primary" in error and "负数 -5" in error
    assert (tmp_path / "school" / f"{BAD}.ipynb").is_file()  # the partial notebook is kept
    assert not (tmp_path / "school" / f"{BAD}.html").exists()
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    row = next(r for r in index.split("<tr") if f"school/{BAD}.problem.html" in r)
    assert row.startswith(' class="failed"') and "失败" in row and "已排除" in row
    problem = (tmp_path / "school" / f"{BAD}.problem.html").read_text(encoding="utf-8")
    assert "负数 -5" in problem and "schools.csv 第 5 行" in problem
    assert "已排除（6523010002）" in index  # the index note says so too
    # the county report renders, warns, and is computed without the school
    page = html_of(tmp_path, "county-year/2025")
    assert "⚠ 注意：1 所学校的数据有问题，已排除：昌吉市第二小学（6523010002）" in page
    assert "县域值、差异系数和结论均未计入这些学校" in page
    assert "昌吉市第二小学" not in page.split("已排除：", 1)[1].split("数据来源", 1)[1]
    assert "⚠ 注意" in html_of(tmp_path, f"school/{SCHOOL}")


@pytest.mark.slow
def test_an_excluded_school_fails_its_check_with_the_located_problems(corrupted):
    d = report.load(corrupted)
    assert list(d.excluded) == [BAD]
    assert BAD not in report.school_ids_of(d.county)
    with pytest.raises(report.ReportParamError) as err:
        report.check_params(d, school_id=BAD)
    assert str(err.value).splitlines()[1] == (
        f"schools.csv 第 5 行 (学校 {BAD}, 2025 年) 列 teachers_primary（小学专任教师数）: 负数 -5")
    report.check_params(d, school_id=SCHOOL)  # the others are fine
    yr = report.evaluate_year(d, 2025)
    assert BAD not in set(yr.resources.units["school_id"])
    primary = yr.resources.units[yr.resources.units["level"] == "primary"]
    assert primary["school_id"].tolist() == ["6523010037"]  # only the 九年一贯制's 小学 unit
    assert report.exclusion_note(d).startswith(
        "⚠ 注意：1 所学校的数据有问题，已排除：昌吉市第二小学")
    assert report.source_note(d).splitlines()[0] == report.exclusion_note(d)


@pytest.mark.slow
def test_evaluate_and_validate_stay_strict(corrupted):
    for args in (["validate", str(corrupted)], ["evaluate", str(corrupted), "--year", "2025"]):
        res = runner.invoke(app, args)
        assert res.exit_code == 2, res.output
        assert "负数 -5" in res.output


@pytest.mark.parametrize("template", sorted(render.TEMPLATES.values()), ids=lambda p: p.stem)
def test_templates_are_thin_and_stripped(template):
    nb = nbformat.read(template, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    for stmt in ast.parse(tagged[0].source).body:  # literals only
        assert isinstance(stmt, ast.AnnAssign | ast.Assign)
        ast.literal_eval(stmt.value)
    for c in code:
        assert not c.outputs and c.execution_count is None
        tree = ast.parse(c.source)
        assert not [n for n in ast.walk(tree)
                    if isinstance(n, ast.FunctionDef | ast.ClassDef | ast.Lambda)]


@pytest.mark.slow
def test_kept_kernel_is_reset_between_reports_and_replaced_after_a_failure(tmp_path):
    """One kernel runs several reports (namespace reset, counts from 1, papermill parameters
    recorded); a failing report gets the next one a fresh kernel."""
    job = render.plan_jobs(TINY, [], [SCHOOL], trend=False)[0]
    bad = render.Job("school", "school/nope", "nope", {**job.parameters, "school_id": "nope"})
    again = render.Job("school", "school/again", "again", job.parameters)
    warm = render.WarmKernel()
    try:
        first = warm.run(job, str(tmp_path))
        assert first["status"] == "ok" and not first["kernel_reused"] and warm.starts == 1
        seen = warm.kc  # same client until a failure
        failed = warm.run(bad, str(tmp_path))
        assert failed["status"] == "failed" and failed["kernel_reused"] and warm.kc is seen
        assert "未找到学校 nope" in failed["error"]
        ok = warm.run(again, str(tmp_path))
        assert ok["status"] == "ok" and warm.starts == 2  # fresh kernel after the failure
    finally:
        warm.shutdown()
    assert warm.km is None
    nb = nbformat.read(tmp_path / "school" / "nope.ipynb", as_version=4)
    assert nb.metadata.papermill.parameters["school_id"] == "nope"
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code" and c.execution_count]
    assert counts[0] == 1  # the reset restarts the count: the notebook reads as a fresh run
    page = (tmp_path / "school" / "again.html").read_text(encoding="utf-8")
    assert "一校一册：昌吉市第二中学" in page and not REMOTE.findall(page)


def test_reset_clears_the_namespace_but_keeps_modules():
    warm = render.WarmKernel()
    try:
        warm.start()
        warm.runs = 1  # as after a report
        assert warm.execute("import balance_lib.report\nd = 1")["status"] == "ok"
        warm.reset()
        reply = warm.execute("import sys\nassert 'd' not in globals()\n"
                             "assert 'balance_lib.report' in sys.modules")
        assert reply["status"] == "ok", reply
    finally:
        warm.shutdown()


@pytest.mark.slow
def test_dask_executor_gives_the_same_reports(batch, tmp_path):
    distributed = pytest.importorskip("distributed")
    out, result = batch
    jobs = render.plan_jobs(TINY, [2025], [SCHOOL], trend=False)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        res = render.render_batch(jobs, tmp_path, base_hash=render.data_hash(TINY, None),
                                  executor="dask", scheduler=client, progress=False)
        assert sum(client.run(render.shutdown_warm_kernels).values()) == 0  # already shut down
    assert {o.stem: o.status for o in res.outcomes} == {
        o.stem: o.status for o in result.outcomes if o.stem != "school/nope"}
    html = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.html"))
    assert html == sorted(p.relative_to(out) for p in out.rglob("*.html")
                          if p.name not in ("nope.html", "nope.problem.html"))
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert {k: v["status"] for k, v in manifest["reports"].items()} == {
        "county-year/2025": "ok", f"school/{SCHOOL}": "ok"}
    for stem in ("county-year/2025", f"school/{SCHOOL}"):
        assert html_of(tmp_path, stem).count("data:image/png;base64") == \
            html_of(out, stem).count("data:image/png;base64")


@pytest.mark.parametrize(("args", "message"), [
    (["--executor", "dask"], "--scheduler"),
    (["--executor", "ray"], "local or dask"),
    (["--scheduler", "tcp://x:8786"], "only used with --executor dask"),
])
def test_executor_options_are_checked(tmp_path, args, message):
    res = runner.invoke(app, ["report", str(TINY), "--out", str(tmp_path), *args])
    assert res.exit_code == 2, res.output
    assert message in res.output


@pytest.mark.slow
def test_english_reports_sit_beside_the_chinese_ones(batch, tmp_path):
    """English reports and index in the same folder as the Chinese ones (``*.en.html``,
    ``index.en.html``, ``manifest.en.json``), the Chinese files untouched."""
    out = tmp_path / "out"
    shutil.copytree(batch[0], out)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    jobs = render.plan_jobs(TINY, [], [SCHOOL], trend=False, lang="en")
    res = render.render_batch(jobs, out, base_hash=render.data_hash(TINY, None), n_jobs=1,
                              note="SYNTHETIC data", progress=False, lang="en")
    assert res.summary().startswith("1 report: 1 done, 0 unchanged (skipped), 0 failed")
    assert res.index == "index.en.html"
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert {k: v for k, v in after.items() if k in before} == before  # zh files untouched
    assert sorted(map(str, set(after) - set(before))) == [
        "index.en.html", "manifest.en.json", f"school/{SCHOOL}.en.html",
        f"school/{SCHOOL}.en.ipynb"]
    manifest = json.loads((out / "manifest.en.json").read_text(encoding="utf-8"))["reports"]
    assert manifest[f"school/{SCHOOL}.en"]["parameters"]["lang"] == "en"
    index = (out / "index.en.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in index and "<th>school</th><th>latest result" in index
    assert (f'href="school/{SCHOOL}.en.html">School profile {SCHOOL} ({SCHOOL})</a>' in index
            and "School profiles" in index and "done" in index)
    page = html_of(out, f"school/{SCHOOL}.en")
    headings = re.findall(r"<h([1-3])[^>]*>(.*?)(?:<a class=\"anchor-link\".*?)?</h\1>", page)
    assert [(lvl, html.unescape(re.sub("<[^>]+>", "", t))) for lvl, t in headings] == [
        ("1", f"tiny, school profile: 昌吉市第二中学 ({SCHOOL})"),
        ("2", "1. The verdict, year by year"),
        ("2", "2. B1–B7 by year (✓ met, ✗ not met, ✗✗ below the 85% floor)"),
        ("2", "3. What it still needs"), ("2", "4. Class sizes"),
        ("2", "5. How this school weighs on the county CVs (2025)")]
    assert "<th>year</th><th>level</th>" in page.replace(' class="num"', "")
    visible = html.unescape(re.sub(r"<[^>]+>", " ", re.sub(
        r"<(style|script)\b.*?</\1>", "", page, flags=re.S)))
    assert "mean size" in visible and "SYNTHETIC data" in visible
    # no Chinese left but the school's name from the data
    assert re.findall(r"[\u4e00-\u9fff]+", visible.replace("昌吉市第二中学", "")) == []


def test_report_command_passes_the_language(monkeypatch, tmp_path):
    """``balance report --lang en``: English job titles and stems, index title and summary."""
    seen = {}

    def fake_batch(plan, out, **kw):
        seen.update(plan=plan, **kw)
        return render.BatchResult([], 0.0, kw["lang"], render.index_name(kw["lang"]))

    monkeypatch.setattr(render, "render_batch", fake_batch)
    res = runner.invoke(app, ["report", str(TINY), "--years", "2024-2025", "--out", str(tmp_path),
                              "--lang", "en"])
    assert res.exit_code == 0, res.output
    assert [(j.stem, j.title, j.parameters["lang"]) for j in seen["plan"]] == [
        ("county-year/2024.en", "School year 2024: evaluation", "en"),
        ("county-year/2025.en", "School year 2025: evaluation", "en"),
        ("school/6523010002.en", "School profile 昌吉市第二小学 (6523010002)", "en"),
        (f"school/{SCHOOL}.en", f"School profile 昌吉市第二中学 ({SCHOOL})", "en"),
        ("school/6523010037.en", "School profile 昌吉市实验学校 (6523010037)", "en"),
        ("trend.en", "Trend 2024–2025", "en")]
    assert seen["lang"] == "en" and seen["title"] == (
        "tiny: high-quality balanced development reports")
    assert seen["note"].startswith("SYNTHETIC data: the sample county is made by a seeded")
    assert res.output.strip() == (f"0 reports: 0 done, 0 unchanged (skipped), 0 failed; 0.0 s → "
                                  f"{tmp_path / 'index.en.html'}")
    res = runner.invoke(app, ["report", str(TINY), "--out", str(tmp_path), "--lang", "fr"])
    assert res.exit_code == 2 and "--lang must be zh or en" in res.output


def _set_cell(folder: Path, row: int, column: str, value: str) -> None:
    """Write ``value`` into ``schools.csv`` at data row ``row`` (1 = the first after the header)."""
    path = folder / "schools.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    rows[row][rows[0].index(column)] = value
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def test_a_rebuild_of_unchanged_inputs_reuses_the_plan_and_reads_no_data(tmp_path, monkeypatch):
    """``balance report`` keeps its plan in the manifest, keyed by the inputs' contents and its
    options: an unchanged folder is hashed but not read, validated or evaluated; one changed
    cell plans again and re-renders what it changed; bad data still exit 2, located, writing
    nothing; the warnings of a plan are printed again when it is reused."""
    import balance_lib.cli as cli

    data = tmp_path / "tiny"
    shutil.copytree(TINY, data)
    out = tmp_path / "out"
    rendered: list[str] = []

    def fake_local(todo, out_dir, workers, runner):  # the real batch, reports made in-process
        for job, digest in todo:
            page = Path(out_dir) / f"{job.stem}.html"
            page.parent.mkdir(parents=True, exist_ok=True)
            page.write_text(f"<html><head><title>{job.title}</title></head><body><p>x</p>"
                            f"</body></html>", encoding="utf-8")
            rendered.append(job.stem)
            yield job, digest, {"status": "ok", "html": f"{job.stem}.html", "duration_s": 0.0}

    monkeypatch.setattr(render, "_run_local", fake_local)
    args = ["report", str(data), "--schools", SCHOOL, "--no-trend", "--out", str(out)]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    every = ["county-year/2024", "county-year/2025", f"school/{SCHOOL}"]
    assert rendered == every
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [j["stem"] for j in manifest["plan"]["jobs"]] == every
    assert manifest["plan"]["excluded"] == [] and manifest["plan"]["title"].startswith("tiny")

    def not_again(*a, **k):
        raise AssertionError("the data were read again")

    with monkeypatch.context() as m:
        m.setattr(cli, "_load_excluding", not_again)
        m.setattr(cli, "_settings", not_again)
        m.setattr(cli, "_dashboard", not_again)
        rendered.clear()
        res = runner.invoke(app, args)
        assert res.exit_code == 0, res.output
        assert rendered == [] and "未变化跳过 3" in res.output
        index = (out / "index.html").stat().st_mtime_ns  # now showing the reports as unchanged
        assert runner.invoke(app, args).exit_code == 0
        assert (out / "index.html").stat().st_mtime_ns == index and rendered == []
        # another option is another plan: read and planned again
        res = runner.invoke(app, [*args, "--years", "2025"])
        assert res.exit_code == 1 and isinstance(res.exception, AssertionError)

    _set_cell(data, 4, "teachers_primary", "98")  # 2025, 6523010002: 97 → 98 teachers
    rendered.clear()
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "county-year/2025" in rendered and "county-year/2025" in manifest["reports"]
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["plan"]["key"] != (
        manifest["plan"]["key"])

    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    county = (data / "county.csv").read_text(encoding="utf-8")
    # a problem not tied to a school: exit 2, located, nothing written
    (data / "county.csv").write_text(county.replace(",604200,", ",-604200,"), encoding="utf-8")
    res = runner.invoke(app, args)
    assert res.exit_code == 2, res.output
    assert "county.csv 第 2 行" in res.output and "resident_population" in res.output
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before

    (data / "county.csv").write_text(county, encoding="utf-8")
    _set_cell(data, 4, "teachers_primary", "-5")  # the school is set aside, with its warning
    for reuse in (False, True):
        with monkeypatch.context() as m:
            if reuse:
                m.setattr(cli, "_load_excluding", not_again)
            res = runner.invoke(app, args)
        assert res.exit_code == 1, res.output
        assert "1 所学校的数据有问题，已排除" in res.output
        assert (f"schools.csv 第 5 行 (学校 {BAD}, 2025 年) 列 teachers_primary（小学专任教师数）: "
                f"负数 -5") in res.output
