"""A corpus of hostile and faulty inputs, one test per class of issue 11.

Every case checks the exit status, the message, that no traceback escapes (the command ends
with ``SystemExit``), that nothing is written outside the output asked for and that nothing
partial is left. The data are copies of the tiny fixture county with one thing made hostile.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import re
import shutil
import time
import zipfile
from pathlib import Path

import nbformat
import pytest
from typer.testing import CliRunner

from balance_lib import atomic, plots, render
from balance_lib import report as rp
from balance_lib.cli import app
from balance_lib.registry import load_registry

TINY = Path(__file__).parent / "fixtures" / "tiny"
SCHOOL = "6523010029"
runner = CliRunner()


# ---------------------------------------------------------------------------------------------
# helpers


def invoke(*args: object):
    """Run ``balance ARGS`` in-process; a traceback (any exception but SystemExit) fails."""
    res = runner.invoke(app, [str(a) for a in args])
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise AssertionError(f"traceback: {res.exception!r}\n{res.output}") from res.exception
    assert "Traceback" not in res.output
    return res


def tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``root`` with its size and modification time."""
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() or p.is_symlink():
            st = p.lstat()
            out[str(p.relative_to(root))] = (st.st_size, st.st_mtime_ns)
    return out


def county(tmp_path: Path, edit=None, name: str = "tiny") -> Path:
    """A copy of the tiny county; ``edit(rows)`` may change the rows of schools.csv (a list of
    dicts, header order kept)."""
    folder = tmp_path / "in" / name
    shutil.copytree(TINY, folder)
    if edit is not None:
        path = folder / "schools.csv"
        with open(path, encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        header = list(rows[0])
        edit(rows)
        with open(path, "w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, header, lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
    return folder


def rename_school(rows: list[dict], name: str, sid: str = SCHOOL) -> None:
    for r in rows:
        if r["school_id"] == sid:
            r["school_name"] = name


def workbook(tmp_path: Path, folder: Path = TINY, change=None) -> Path:
    """The county as one workbook (a sheet per table); ``change(wb)`` may edit it."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for f in sorted(folder.glob("*.csv")):
        ws = wb.create_sheet(f.stem)
        with open(f, encoding="utf-8", newline="") as fh:
            for row in csv.reader(fh):
                ws.append(row)
    if change is not None:
        change(wb)
    path = tmp_path / "in" / "county.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def patch_zip(path: Path, part: str, fn) -> None:
    """Rewrite one part of a zip (a workbook) through ``fn(text) -> text``."""
    with zipfile.ZipFile(path) as z:
        items = [(i, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in items:
            if info.filename == part:
                data = fn(data.decode("utf-8")).encode("utf-8")
            z.writestr(info, data)


def column_of(header: list[str], name: str) -> str:
    from balance_lib.readers import column_letter

    return column_letter(header.index(name) + 1)


def schools_header() -> list[str]:
    with open(TINY / "schools.csv", encoding="utf-8", newline="") as fh:
        return next(csv.reader(fh))


# ---------------------------------------------------------------------------------------------
# 1. stored script injection: names are literal text in every report page


HOSTILE_NAMES = [
    "[点我](javascript:alert(document.cookie))",
    '<a href="https://evil.example/steal">第一小学</a>',
    "![x](https://evil.example/pixel.png)",
    "$\\frac{1}{$ 学校",
    "学校\n\n# 假标题\n<script>alert(1)</script>",
]


def test_names_from_the_data_are_literal_in_report_pages():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [nbformat.v4.new_output("display_data", data={
        "text/markdown": rp.heading(rp.label("title_school", "zh", name=n, school_id="x",
                                             county=n))
        + "\n\n" + rp.bullets([n]), "text/plain": ""}) for n in HOSTILE_NAMES]
    nb.cells = [cell]
    page = render.html_page(nb)
    body = page[page.index("<body"):]
    assert not re.search(r"href\s*=\s*[\"']?\s*javascript", body, re.I)
    assert not re.search(r"<a\b[^>]*href\s*=\s*[\"']https?://", body, re.I)
    assert "<img" not in body and "<script>alert" not in body
    assert body.count("<h1") == len(HOSTILE_NAMES)  # no heading made by a name
    title = page[page.index("<title>"):page.index("</title>")]
    assert "<script" not in title and "<a " not in title  # the page title is text too
    # the text itself is shown
    assert "[点我](javascript:alert(document.cookie))" in body
    assert "&lt;a href=" in body and "evil.example/steal" in body


def test_a_mathtext_name_draws_its_chart():
    from balance_lib.indicators.resources import evaluate_resources, long_values
    from balance_lib.io import load_county
    from balance_lib.settings import load_settings

    c = load_county(TINY)
    s = c.schools.copy()
    s.loc[s["school_id"] == "6523010002", "school_name"] = "$\\frac{1}{$"
    res = evaluate_resources(s[s["year"] == 2025], load_settings(), load_registry())
    fig = plots.school_values(long_values(res), "B1", "primary", load_registry(), year=2025)
    png = plots.to_png(fig)
    assert png.startswith(b"\x89PNG")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert "$\\frac{1}{$" in labels


# ---------------------------------------------------------------------------------------------
# 2. terminal injection


ESC_NAME = "学校\x1b]0;pwned\x07\x1b[2J\u202etxt.exe"


def test_escape_sequences_never_reach_the_terminal(tmp_path):
    data = county(tmp_path, lambda rows: rename_school(rows, ESC_NAME))
    res = invoke("evaluate", data, "--year", "2025")
    assert res.exit_code == 0
    assert "\x1b" not in res.output and "\x07" not in res.output and "\u202e" not in res.output
    assert "学校\\x1b]0;pwned\\x07\\x1b[2J\\u202etxt.exe" in res.output

    def bad_cell(rows):
        rows[0]["teachers_primary"] = "12\x1b[31m"
        rows[0]["school_id"] = "65\x1b[2J01"
    bad = county(tmp_path / "b", bad_cell)
    res = invoke("validate", bad)
    assert res.exit_code == 2
    assert "\x1b" not in res.output
    assert "12\\x1b[31m" in res.output and "65\\x1b[2J01" in res.output


# ---------------------------------------------------------------------------------------------
# 3. CSV output escapes formulas


def test_ledger_csv_escapes_formula_cells(tmp_path):
    formula = '=HYPERLINK("https://evil.example","点击")'
    data = county(tmp_path, lambda rows: [rename_school(rows, formula, r["school_id"])
                                          for r in rows if r["school_type"] == "primary"])
    out = tmp_path / "out" / "ledger.csv"
    res = invoke("ledger", data, "--output", out)
    assert res.exit_code == 0, res.output
    with open(out, encoding="utf-8-sig", newline="") as fh:
        cells = [c for row in csv.reader(fh) for c in row]
    assert "'" + formula in cells
    assert not any(c.startswith(("=", "+", "@")) for c in cells)
    assert not any(c.startswith("-") and not re.fullmatch(r"-[\d.]+", c) for c in cells)
    stdout = invoke("ledger", data, "--output", "-")  # `-`: the CSV on standard output
    assert stdout.exit_code == 0
    assert "'" + formula in [c for row in csv.reader(io.StringIO(stdout.stdout)) for c in row]


# ---------------------------------------------------------------------------------------------
# 4. output paths


def _special(kind: str, tmp: Path) -> Path:
    target = tmp / "out" / "target.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    if kind == "symlink":
        (tmp / "elsewhere.txt").write_text("keep me", encoding="utf-8")
        target.symlink_to(tmp / "elsewhere.txt")
    elif kind == "fifo":
        os.mkfifo(target)
    elif kind == "folder":
        target.mkdir()
    elif kind == "device":
        return Path(os.devnull)
    elif kind == "file_as_folder":
        (tmp / "out" / "afile").write_text("x", encoding="utf-8")
        return tmp / "out" / "afile" / "target.json"
    return target


@pytest.mark.parametrize("kind, words", [
    ("symlink", "symbolic link"), ("fifo", "FIFO"), ("folder", "folder"),
    ("device", "device"), ("file_as_folder", "is a file, not a folder")])
def test_special_output_targets_are_refused(tmp_path, kind, words):
    target = _special(kind, tmp_path)
    before = tree(tmp_path)
    res = invoke("evaluate", TINY, "--year", "2025", "--format", "json", "--output", target,
                 "--lang", "en")
    assert res.exit_code == 2
    assert words in res.output
    assert tree(tmp_path) == before  # nothing replaced, nothing written
    if kind == "symlink":
        assert (tmp_path / "elsewhere.txt").read_text(encoding="utf-8") == "keep me"


@pytest.mark.parametrize("failure, words", [
    (errno.ENOSPC, "the disk is full"), (errno.EACCES, "permission denied"),
    (errno.EROFS, "read-only")])
def test_write_failures_exit_2_and_leave_the_old_file(tmp_path, monkeypatch, failure, words):
    target = tmp_path / "out" / "2025.json"
    target.parent.mkdir()
    target.write_text("old", encoding="utf-8")

    def broken(fd, data):
        raise OSError(failure, os.strerror(failure))

    monkeypatch.setattr(atomic.os, "write", broken)
    res = invoke("evaluate", TINY, "--year", "2025", "--format", "json", "--output", target,
                 "--lang", "en")
    assert res.exit_code == 2
    assert words in res.output
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in target.parent.iterdir()) == ["2025.json"]  # no temporary


def test_an_unwritable_folder_exits_2(tmp_path, monkeypatch):
    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(atomic.tempfile, "mkstemp", denied)
    out = tmp_path / "ledger.xlsx"
    res = invoke("ledger", TINY, "--output", out, "--lang", "en")
    assert res.exit_code == 2 and "permission denied" in res.output
    assert not out.exists()
    res = invoke("report", TINY, "--out", tmp_path / "reports", "--schools", "none",
                 "--lang", "en")
    assert res.exit_code == 2 and "permission denied" in res.output


def test_out_that_is_a_file_and_output_dash(tmp_path):
    afile = tmp_path / "outputs"
    afile.write_text("not a folder", encoding="utf-8")
    res = invoke("report", TINY, "--out", afile, "--schools", "none", "--lang", "en")
    assert res.exit_code == 2 and "it is a file, not a folder" in res.output
    assert afile.read_text(encoding="utf-8") == "not a folder"
    res = invoke("evaluate", TINY, "--year", "2025", "--format", "json", "--output", "-")
    assert res.exit_code == 0 and json.loads(res.stdout)["year"] == 2025


def test_an_input_is_never_overwritten(tmp_path):
    data = county(tmp_path)
    before = tree(data)
    for target in (data / "schools.csv", data / "学校.csv"):
        res = invoke("evaluate", data, "--year", "2025", "--output", target, "--lang", "en")
        assert res.exit_code == 2 and "input" in res.output
    assert tree(data) == before


# ---------------------------------------------------------------------------------------------
# 5. unbounded work: bounded in time, refused with a reason


def _timed(*args: object, limit: float = 60.0):
    t0 = time.perf_counter()
    res = invoke(*args)
    assert time.perf_counter() - t0 < limit, "took too long"
    return res


def test_a_claimed_sheet_dimension_is_not_trusted(tmp_path):
    book = workbook(tmp_path)
    patch_zip(book, "xl/worksheets/sheet4.xml",
              lambda x: re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:XFD1048576"/>', x))
    res = _timed("validate", book, "--lang", "en", limit=30)
    assert res.exit_code == 0, res.output  # the claim alone costs nothing


def test_a_cell_beyond_the_column_limit_is_refused(tmp_path):
    def far(wb):
        wb["schools"]["XFD3"] = "x"
    book = workbook(tmp_path, change=far)
    res = _timed("validate", book, "--lang", "en", limit=30)
    assert res.exit_code == 2
    assert "cell XFD3" in res.output and "limit of 1,000 columns" in res.output


BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
    for p, c in zip("abcdefgh", "bcdefghi"))


def test_yaml_alias_bombs_are_refused(tmp_path):
    settings = tmp_path / "bomb-settings.yaml"
    settings.write_text(BOMB + "split_weights: {nine_year: *i}\n", encoding="utf-8")
    res = _timed("evaluate", TINY, "--year", "2025", "--params", settings, "--lang", "en",
                 limit=20)
    assert res.exit_code == 2 and "aliases" in res.output
    scenario = tmp_path / "bomb-scenario.yaml"
    scenario.write_text(BOMB + "name: x\nchanges: *i\n", encoding="utf-8")
    res = _timed("scenario", TINY, "--scenario", scenario, "--lang", "en", limit=20)
    assert res.exit_code == 2 and "aliases" in res.output


def test_huge_settings_and_year_ranges_are_refused(tmp_path):
    params = tmp_path / "decimals.yaml"
    params.write_text("cv_display_decimals: 100000000\n", encoding="utf-8")
    res = _timed("evaluate", TINY, "--year", "2025", "--params", params, limit=20)
    assert res.exit_code == 2 and "cv_display_decimals = 100000000 is outside 0–6" in res.output
    out = tmp_path / "reports"
    res = _timed("report", TINY, "--years", "1-30000000", "--out", out, limit=20)
    assert res.exit_code == 2 and "没有 1-30000000 学年的数据" in res.output
    assert not any(p.suffix == ".html" for p in out.rglob("*"))


# ---------------------------------------------------------------------------------------------
# 6. settings, scenario and data values


def test_settings_values_are_checked_completely(tmp_path):
    params = tmp_path / "mine.yaml"
    params.write_text(
        "split_weights:\n  nine_year: {primary: 1.0}\n  twelve_year: {primary: .inf, "
        "junior: .nan, senior: 1.32}\n"
        "b31_level3_share_min: '80%'\nteaching_point_min_students: 12345678901234567890123\n",
        encoding="utf-8")
    res = invoke("evaluate", TINY, "--year", "2025", "--params", params)
    assert res.exit_code == 2
    out = res.output
    assert "split_weights.nine_year must give every level" in out and "junior missing" in out
    assert "split_weights.twelve_year.primary" in out and "got inf" in out
    assert "split_weights.twelve_year.junior" in out and "got nan" in out
    assert "write a number, e.g. 0.8 for 80%" in out
    assert "teaching_point_min_students = 12345678901234567890123 is outside" in out
    assert out.count("mine.yaml") == 5  # every problem at once, each with its file


def test_unreadable_settings_files_say_why(tmp_path):
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"teaching_points: merge\n# caf\xe9\n")
    for params, words in ((latin, "line 2 is not UTF-8"), (tmp_path, "it is a folder")):
        res = invoke("evaluate", TINY, "--year", "2025", "--params", params)
        assert res.exit_code == 2 and words in res.output


def test_scenario_values_are_checked(tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "name: x\nchanges:\n"
        "  - {type: move_students, year: 2026, from: 6523010002, to: '6523010029', share: '30%'}\n"
        "  - {type: hire_teachers, year: 2026, school_id: '6523010002', teachers_primary: .inf}\n"
        "  - {type: expand_school, year: 2026, school_id: '6523010002', "
        "teaching_aux_area_m2: 1.0e+308}\n", encoding="utf-8")
    res = invoke("scenario", TINY, "--scenario", scenario, "--lang", "en")
    assert res.exit_code == 2
    assert "read as the number 6523010002" in res.output and "quote it" in res.output
    assert "write the share as a number in 0–1 (0.3 for 30%)" in res.output
    assert "must be a non-negative number, got inf" in res.output
    assert "beyond a plausible value" in res.output


def test_absurd_counts_in_the_data_are_problems(tmp_path):
    def absurd(rows):
        rows[0]["students_primary"] = "1e308"
        rows[1]["teachers_junior"] = "12345678901234567890123"
        rows[2]["year"] = "12345678901234567890123"
    res = invoke("validate", county(tmp_path, absurd), "--lang", "en")
    assert res.exit_code == 2
    assert "1e+308 is beyond any plausible value" in res.output
    assert "1.23457e+22 is beyond any plausible value" in res.output
    assert "year '12345678901234567890123' is impossible" in res.output


# ---------------------------------------------------------------------------------------------
# 7. workbooks: what a value-only reader would miss


def test_workbook_merged_cells_formulas_hidden_and_stray_sheets(tmp_path):
    header = schools_header()
    music = column_of(header, "music_rooms")
    art = column_of(header, "art_rooms")

    def hostile(wb):
        ws = wb["schools"]
        ws[f"{music}3"] = "=1+1"  # a formula without a cached value (openpyxl does not calculate)
        ws.merge_cells(f"{art}2:{art}3")
        wb["classes"].sheet_state = "hidden"
        stray = wb.create_sheet("Sheet1")
        for row in wb["schools"].iter_rows(max_row=2, values_only=True):
            stray.append(row)
        notes = wb.create_sheet("说明")
        notes.append(["本工作簿由县教育局填报"])

    res = invoke("validate", workbook(tmp_path, change=hostile), "--lang", "en")
    assert res.exit_code == 2
    out = res.output
    assert f"county.xlsx[schools] row 3 column music_rooms" in out
    assert f"cell {music}3 holds a formula without a saved result" in out
    assert f"cells {art}2:{art}3 are merged" in out
    assert "county.xlsx[classes]: the sheet of this table is hidden" in out
    assert "the sheet 'Sheet1' has a header like the schools table" in out
    assert "说明" not in out  # a sheet of notes is not a table


# ---------------------------------------------------------------------------------------------
# 8. report runs: bad names and ids fail alone; the manifest keeps every report


LONG_ID = "9" * 300


def hostile_county(tmp_path: Path) -> Path:
    """The tiny county with hostile names, and a copy of one school under a 300-character id."""
    def edit(rows):
        for r in rows:
            if r["school_id"] == "6523010002":
                r["school_name"] = HOSTILE_NAMES[0] + HOSTILE_NAMES[3]
            if r["school_id"] == SCHOOL:
                r["school_name"] = HOSTILE_NAMES[1]
        for r in [dict(r) for r in rows if r["school_id"] == SCHOOL]:
            r["school_id"], r["school_name"] = LONG_ID, HOSTILE_NAMES[2]
            rows.append(r)
    return county(tmp_path, edit)


def test_runs_one_after_another_keep_each_others_reports(tmp_path):
    out = tmp_path / "out"
    out.mkdir()

    def outcome(stem):
        return render.Outcome(stem, "school", stem, {"school_id": stem}, "h", "ok", 1.0,
                              html=f"{stem}.html")
    render.save_manifest(out, [outcome("school/a")], title="t", note=None)
    render.save_manifest(out, [outcome("school/b")], title="t", note=None)
    render.save_manifest(out, [render.Outcome("school/a", "school", "a2", {}, "h2", "failed",
                                              2.0, error="boom")], title="t", note=None)
    reports = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["reports"]
    assert sorted(reports) == ["school/a", "school/b"]
    assert reports["school/a"]["status"] == "failed"  # the rebuilt one is replaced
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "school/b.html" in index and "a2" in index


def test_concurrent_runs_on_one_folder_lose_no_entry(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "out"
    out.mkdir()
    code = ("import sys\nfrom balance_lib import render\n"
            "for k in range(25):\n"
            "    stem = f'school/{sys.argv[2]}{k}'\n"
            "    render.save_manifest(sys.argv[1], [render.Outcome(stem, 'school', stem, {}, 'h', "
            "'ok', 0.1, html=stem + '.html')])\n")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(out), tag]) for tag in "xy"]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    reports = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["reports"]
    assert len(reports) == 50


# ---------------------------------------------------------------------------------------------
# 9. clear messages


def test_a_header_only_table_is_a_problem(tmp_path):
    data = county(tmp_path)
    header = (data / "classes.csv").read_text(encoding="utf-8").splitlines()[0]
    (data / "classes.csv").write_text(header + "\n", encoding="utf-8")
    res = invoke("validate", data, "--lang", "en")
    assert res.exit_code == 2 and "classes.csv: a header (row 1) but no data rows" in res.output


def test_a_bom_before_a_gbk_body_is_named_as_mixed_encodings(tmp_path):
    data = county(tmp_path)
    text = (data / "schools.csv").read_text(encoding="utf-8")
    (data / "schools.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("gbk"))
    res = invoke("validate", data, "--lang", "en")
    assert res.exit_code == 2
    assert "mixed encodings" in res.output and "UTF-8 with a BOM" in res.output
    assert "missing" not in res.output
    head, first, rest = text.split("\n", 2)
    (data / "schools.csv").write_bytes(f"{head}\n{first}\n".encode() + rest.encode("gbk"))
    res = invoke("validate", data, "--lang", "en")  # a row with Chinese in UTF-8, then GBK
    assert res.exit_code == 2 and "mixed encodings" in res.output and "line 3" in res.output
    (data / "schools.csv").write_bytes(text.encode("gbk"))  # GBK throughout: fine
    assert invoke("validate", data).exit_code == 0


@pytest.mark.parametrize("years, words", [
    ("2025-2024", "reversed range: write 2024-2025"), (" , ", "names no year"),
    ("2020-2021", "no data for 2020-2021")])
def test_reversed_or_empty_year_ranges_exit_2(tmp_path, years, words):
    out = tmp_path / "out"
    res = invoke("report", TINY, "--years", years, "--schools", "none", "--out", out)
    assert res.exit_code == 2 and words in res.output
    assert not (out / "index.html").exists()


def test_ledger_reversed_range_exits_2(tmp_path):
    out = tmp_path / "ledger.xlsx"
    res = invoke("ledger", TINY, "--from", "2025", "--to", "2024", "--output", out)
    assert res.exit_code == 2 and "after" in res.output and not out.exists()


def test_csv_rows_with_extra_values_are_located(tmp_path):
    data = county(tmp_path)
    lines = (data / "schools.csv").read_text(encoding="utf-8").splitlines()
    lines[2] += ",surplus"
    lines[3] += ",,"  # trailing empty values are harmless
    (data / "schools.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = invoke("validate", data, "--lang", "en")
    assert res.exit_code == 2
    assert "schools.csv row 3: the row has" in res.output
    assert res.output.count("the row has") == 1


def test_the_problem_list_is_bounded(tmp_path):
    data = county(tmp_path)
    lines = (data / "schools.csv").read_text(encoding="utf-8").splitlines()
    header, row = lines[0], lines[1].split(",")
    col = header.split(",").index("music_rooms")
    rows = []
    for k in range(1500):
        r = list(row)
        r[1], r[col] = f"S{k:05d}", "many"
        rows.append(",".join(r))
    (data / "schools.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    res = invoke("validate", data, "--lang", "en")
    assert res.exit_code == 2
    assert "1,500 rows have this problem; the first 1,000 are listed above (500 more)" in res.output
    assert res.output.count("not a number: 'many'") == 1000


def _descendants(pid: int) -> list:
    import psutil

    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def _temporaries(out: Path) -> list[Path]:
    return [p for p in out.rglob(".*") if p.is_file() and p.name != render.LOCK_NAME]


@pytest.mark.slow
def test_kill_9_then_rerun_leaves_no_process_no_temporary_and_loses_no_report(tmp_path):
    import signal
    import subprocess
    import sys

    import psutil

    balance = str(Path(sys.executable).with_name("balance"))
    out = tmp_path / "out"
    data = hostile_county(tmp_path)  # and the pages must show its names and ids as text
    cmd = [balance, "report", str(data), "--years", "2025", "--schools", f"{LONG_ID},6523010002",
           "--no-trend", "--out", str(out), "--jobs", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    family: dict[int, float] = {}
    try:
        deadline = time.monotonic() + 180
        kernels = False
        while time.monotonic() < deadline and proc.poll() is None:
            for p in _descendants(proc.pid):
                try:
                    family[p.pid] = p.create_time()
                    kernels |= "ipykernel" in " ".join(p.cmdline())
                except psutil.Error:
                    pass
            if kernels and any(out.rglob("*.ipynb")):  # kernels started, a report under way
                break
            time.sleep(0.1)
        assert proc.poll() is None, "the batch ended before it could be killed"
        assert kernels, "no kernel started"
        for p in _descendants(proc.pid):
            family.setdefault(p.pid, p.create_time())
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

        def alive() -> list[int]:
            left = []
            for pid, created in family.items():
                try:
                    if psutil.Process(pid).create_time() == created:
                        left.append(pid)
                except psutil.Error:
                    pass
            return left

        deadline = time.monotonic() + 30
        while alive() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert alive() == [], "workers or kernels outlived the killed batch"
        assert _temporaries(out) == []

        rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        assert rerun.returncode == 0, rerun.stderr[-2000:]
        # the killed workers' kernel socket folders: a worker stopped by SIGKILL after its grace
        # (a loaded machine) cannot remove its own, so the next run removes what is stale
        tmp = Path(os.environ.get("TMPDIR", "/tmp"))
        sockets = [re.match(r"balance-kernel-(\d+)-", d.name) for d in tmp.glob("balance-kernel-*")]
        assert not [m for m in sockets if m and int(m.group(1)) in family
                    and not psutil.pid_exists(int(m.group(1)))]
        reports = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["reports"]
        expected = {j.stem for j in render.plan_jobs(data, [2025], [LONG_ID, "6523010002"],
                                                     trend=False)}
        assert set(reports) == expected
        assert all(r["status"] in ("ok", "skipped") and (out / r["html"]).is_file()
                   for r in reports.values()), reports
        index = (out / "index.html").read_text(encoding="utf-8")
        assert all(f'href="{r["html"]}"' in index for r in reports.values())
        assert _temporaries(out) == []

        # a 300-character id: a bounded file name, the real id in the manifest and on the page
        stem, entry = next((k, r) for k, r in reports.items() if r["parameters"].get(
            "school_id") == LONG_ID)
        assert len(Path(entry["html"]).name) <= 90 and LONG_ID not in entry["html"]
        assert LONG_ID in (out / entry["html"]).read_text(encoding="utf-8")
        for r in reports.values():  # names are text: no live link, image or script
            body = (out / r["html"]).read_text(encoding="utf-8")
            assert not re.search(r"href\s*=\s*[\"']?\s*javascript", body, re.I)
            assert '<a href="https://evil' not in body and 'src="https://evil' not in body
            assert "<script>alert" not in body
    finally:  # never leave a process of this test behind
        for pid, created in family.items():
            try:
                p = psutil.Process(pid)
                if p.create_time() == created:
                    p.kill()
            except psutil.Error:
                pass
        if proc.poll() is None:
            proc.kill()
