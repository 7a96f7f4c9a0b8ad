"""Property-based tests: random bytes, cells and YAML thrown at the readers and loaders.

Whatever the input, a command ends with exit status 0 (valid) or 2 (bad input, with a
message) and never with a traceback. The number of examples is bounded so the whole file runs
in well under a minute on two cores (``make test`` stays within its five minutes).
"""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from balance_lib.cli import app

TINY = Path(__file__).parent / "fixtures" / "tiny"
runner = CliRunner()
BOUNDED = settings(max_examples=25, deadline=None, derandomize=True,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

with open(TINY / "schools.csv", encoding="utf-8", newline="") as _fh:
    _ROWS = list(csv.reader(_fh))
HEADER, GOOD = _ROWS[0], _ROWS[1:]


def exits_cleanly(*args: object) -> int:
    res = runner.invoke(app, [str(a) for a in args])
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise AssertionError(f"traceback for {args}: {res.exception!r}") from res.exception
    assert res.exit_code in (0, 2), res.output
    assert "Traceback" not in res.output
    if res.exit_code == 2:
        assert res.output.strip(), "exit 2 without saying why"
    return res.exit_code


def folder_with(files: dict[str, bytes]) -> Path:
    root = Path(tempfile.mkdtemp(prefix="balance-fuzz-"))
    for name, data in files.items():
        (root / name).write_bytes(data)
    return root


#: Cells: text of any kind (controls, CJK, formulas, huge numbers, percentages …).
CELLS = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["", " ", "1e308", "-0", "NaN", "inf", "12345678901234567890123", "85%",
                     "=1+1", "1,234", "2024年", "是", "否", "primary", "九年一贯制", "\x1b[2J",
                     "6.52301E+09", "0x10", "１２", "\u202e"]),
    st.integers(-10**25, 10**25).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


@BOUNDED
@given(st.binary(max_size=2000))
def test_random_bytes_as_schools_csv(data):
    root = folder_with({"schools.csv": data})
    try:
        exits_cleanly("validate", root)
    finally:
        shutil.rmtree(root)


@BOUNDED
@given(st.lists(st.tuples(st.integers(0, len(HEADER) - 1), st.integers(0, len(GOOD) - 1), CELLS),
                max_size=8),
       st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]))
def test_random_cells_in_a_valid_county(edits, encoding):
    rows = [list(r) for r in GOOD]
    for col, row, value in edits:
        rows[row][col] = value
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([HEADER, *rows])
    try:
        data = buf.getvalue().encode(encoding)
    except UnicodeEncodeError:
        data = buf.getvalue().encode("utf-8")
    root = folder_with({"schools.csv": data})
    try:
        exits_cleanly("validate", root)
    finally:
        shutil.rmtree(root)


@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(1, len(HEADER)), st.integers(1, len(GOOD) + 1),
                          st.one_of(CELLS, st.integers(), st.floats(), st.booleans(),
                                    st.none())), max_size=6),
       st.booleans())
def test_random_cells_in_a_workbook(edits, hidden):
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    wb = Workbook()
    ws = wb.active
    ws.title = "schools"
    for r in _ROWS:
        ws.append(r)
    for col, row, value in edits:
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
        ws.cell(row=row, column=col, value=value)
    if hidden:
        ws.merge_cells(start_row=2, start_column=5, end_row=3, end_column=5)
    root = Path(tempfile.mkdtemp(prefix="balance-fuzz-"))
    try:
        wb.save(root / "county.xlsx")
        exits_cleanly("validate", root / "county.xlsx")
    finally:
        shutil.rmtree(root)


#: YAML values of any shape, dumped as YAML (and sometimes cut or mangled as text).
VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(),
              st.text(max_size=12), st.sampled_from(["80%", "6523010002", ".inf", "nine_year"])),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.one_of(st.text(max_size=12), st.sampled_from(
                                ["split_weights", "primary", "junior", "cv_display_decimals",
                                 "changes", "type", "year", "school_id", "share", "name"])),
                                inner, max_size=4)),
    max_leaves=12)


def yaml_texts():
    dumped = VALUES.map(lambda v: yaml.safe_dump(v, allow_unicode=True))
    return st.one_of(dumped, st.text(max_size=200), dumped.map(lambda t: t[: len(t) // 2]),
                     st.binary(max_size=200).map(lambda b: b.decode("latin-1")))


@BOUNDED
@given(yaml_texts())
def test_random_settings_yaml(text):
    root = folder_with({"mine.yaml": text.encode("utf-8", "surrogatepass")})
    try:  # a year the data lack: a valid settings file still ends in exit 2, quickly
        exits_cleanly("evaluate", TINY, "--year", "1999", "--params", root / "mine.yaml")
    finally:
        shutil.rmtree(root)


@BOUNDED
@given(yaml_texts())
def test_random_scenario_yaml(text):
    root = folder_with({"s.yaml": text.encode("utf-8", "surrogatepass")})
    try:
        exits_cleanly("scenario", TINY, "--scenario", root / "s.yaml", "--to", "2026")
    finally:
        shutil.rmtree(root)
