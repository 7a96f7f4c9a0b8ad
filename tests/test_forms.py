"""The official forms workbook (``balance forms``): rows, shading, values and page setup
checked against ``balance evaluate``'s JSON and hand counts of the tiny fixture."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from balance_lib.cli import app
from balance_lib.forms import FormsError, build_forms, pick_county
from balance_lib.forms_excel import FLOOR_FILL, UNMET_FILL, forms_bytes, sheet_names
from balance_lib.registry import load_registry
from balance_lib.results import build_evaluation

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "fixtures" / "tiny"
MULTI = ROOT / "tests" / "fixtures" / "multi"
SAMPLE = ROOT / "data" / "sample"
REG = load_registry()
IDS = [i.id for i in REG.resource_indicators]
SHEETS = sheet_names("zh")


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def evaluation_json(ev, year: int) -> dict:
    """What ``balance evaluate --format json`` prints for ``year`` (the same builder)."""
    return json.loads(json.dumps(build_evaluation(ev, year)))


@pytest.fixture(scope="module")
def sample_forms(tmp_path_factory, sample_county):
    tables, ev = sample_county
    out = tmp_path_factory.mktemp("forms") / "附表.xlsx"
    out.write_bytes(forms_bytes(build_forms(ev, tables, 2025, name="样例县")))
    return openpyxl.load_workbook(out), evaluation_json(ev, 2025)


def unit_rows(ws) -> list[dict]:
    """The unit rows of a 表2 sheet (data from row 5 to the row before 合计)."""
    head = [c.value for c in ws[3]]
    rows = []
    for r in range(5, ws.max_row + 1):
        if not isinstance(ws.cell(row=r, column=1).value, int):
            break
        cells = {h: ws.cell(row=r, column=j + 1) for j, h in enumerate(head)}
        rows.append(cells)
    return rows


def column_of(head: list, indicator: str) -> str:
    return next(h for h in head if isinstance(h, str) and h.startswith(indicator + " "))


def test_sheets_in_order(sample_forms):
    wb, _ = sample_forms
    assert wb.sheetnames == list(SHEETS.values())


@pytest.mark.parametrize("level", ["primary", "junior"])
def test_unit_rows_match_the_evaluated_units(sample_forms, level):
    wb, js = sample_forms
    ws = wb[SHEETS[level]]
    rows = unit_rows(ws)
    units = [u for u in js["units"] if u["level"] == level]
    assert [r["学校代码"].value for r in rows] == sorted(u["school_id"] for u in units)
    by_id = {u["school_id"]: u for u in units}
    head = [c.value for c in ws[3]]
    for r in rows:
        u = by_id[r["学校代码"].value]
        assert r["在校生数"].value == u["students"]
        for i in IDS:
            cell = r[column_of(head, i)]
            assert cell.value == pytest.approx(u["values"][i], abs=1e-6)
            assert cell.data_type == "n"
            fill = cell.fill.fgColor.rgb if cell.fill.fill_type == "solid" else None
            expected = (None if u["met"][i] else
                        UNMET_FILL if u["floor_met"][i] else FLOOR_FILL)
            assert (fill[-6:] if fill else None) == expected, (u["school_id"], i)
        assert r["达标项数"].value == f"{u['met_count']}/{len(IDS)}"
        assert r["该校综合评估是否达标"].value == (1 if u["passes"] else None)
    # the last row counts the units and those passing
    total = ws.cell(row=5 + len(rows), column=len(head)).value
    assert total == sum(u["passes"] for u in units)


def test_split_units_are_named_by_their_part(sample_forms):
    wb, js = sample_forms
    types = {u["school_id"]: u["school_type"] for u in js["units"]}
    for level, part in (("primary", "（小学部）"), ("junior", "（初中部）")):
        for r in unit_rows(wb[SHEETS[level]]):
            t = types[r["学校代码"].value]
            split = t in ("nine_year", "twelve_year") or (t == "complete_secondary"
                                                          and level == "junior")
            assert r["学校名称"].value.endswith(part) == split, r["学校名称"].value
    # the sample's nine-year 实验学校 is on both sheets, with its part
    names = {lv: [r["学校名称"].value for r in unit_rows(wb[SHEETS[lv]])]
             for lv in ("primary", "junior")}
    assert "昌吉市实验学校（小学部）" in names["primary"]
    assert "昌吉市实验学校（初中部）" in names["junior"]


def test_variation_sheet_holds_the_county_values_and_cvs(sample_forms):
    wb, js = sample_forms
    ws = wb[SHEETS["variation"]]
    rows = list(ws.iter_rows(min_row=4, values_only=True))
    rows = [r for r in rows if r[1] in IDS]
    expected = [v for v in js["variation"] if v["indicator"] in IDS]
    assert len(rows) == len(expected) == 2 * len(IDS)
    level = {"小学": "primary", "初中": "junior"}
    got = {(level[r[0]], r[1]): r for r in rows}
    for v in expected:
        r = got[(v["level"], v["indicator"])]
        assert r[5] == pytest.approx(v["county_value"], abs=1e-6)
        assert r[7] == pytest.approx(v["cv"], abs=1e-6)
        assert r[8] == v["limit"]
        assert r[9] == ("达标" if v["met"] else "未达标")


def test_items_sheet_lists_the_other_indicators_and_the_vetoes(sample_forms):
    wb, js = sample_forms
    ws = wb[SHEETS["items"]]
    rows = [r for r in ws.iter_rows(min_row=3, values_only=True) if r[0]]
    unit = {i.id for i in REG.unit_indicators}
    ids = [i["id"] for i in js["indicators"] if i["id"] not in unit]
    ids += [v["id"] for v in js["vetoes"]]
    assert [r[0] for r in rows[:len(ids)]] == ids
    status = {i["id"]: i["status"] for i in js["indicators"]}
    words = {"met": "达标", "not_met": "未达标", "not_assessed": "未评估"}
    for r in rows[:len(ids)]:
        if r[0].startswith("B"):
            assert r[3] == words[status[r[0]]]
            assert r[7] == "、".join(REG.indicator(r[0]).responsible_units)
    b12 = next(r for r in rows if r[0] == "B12")
    assert b12[4] == next(i["value"] for i in js["indicators"] if i["id"] == "B12")
    # not met: shaded
    shaded = {ws.cell(row=k, column=1).value for k in range(3, ws.max_row + 1)
              if ws.cell(row=k, column=4).fill.fill_type == "solid"}
    assert shaded == {i for i, s in status.items() if s == "not_met" and i not in unit}


def test_every_sheet_prints_landscape_a4_one_page_wide_with_titles(sample_forms):
    wb, _ = sample_forms
    titles = {SHEETS["primary"]: "$3:$4", SHEETS["junior"]: "$3:$4",
              SHEETS["variation"]: "$3:$3", SHEETS["items"]: "$2:$2"}
    for ws in wb.worksheets:
        ps = ws.page_setup
        assert (ps.orientation, int(ps.paperSize)) == ("landscape", 9), ws.title
        tall = 1 if ws.title == SHEETS["basics"] else 0  # 表1 on one page, the tables run on
        assert (int(ps.fitToWidth), int(ps.fitToHeight)) == (1, tall), ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True
        header = ws.oddHeader.center.text
        assert "样例县" in header and "2025学年" in header and ws.title in header
        assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
        if ws.title in titles:
            assert ws.print_title_rows == titles[ws.title]


def test_basics_count_the_tiny_fixture_by_hand(tmp_path, tiny_county):
    tables, ev = tiny_county
    out = tmp_path / "f.xlsx"
    out.write_bytes(forms_bytes(build_forms(ev, tables, 2025)))
    ws = openpyxl.load_workbook(out)[SHEETS["basics"]]
    cells = {r[0]: r[1:] for r in ws.iter_rows(values_only=True) if r[0]}
    # schools.csv 2025: one 小学, one 初中, one 九年一贯制 (1805 + 1435 primary pupils,
    # 1680 + 738 junior; classes 46 + 36, 37 + 17; teachers 97 + 87, 130 + 66)
    assert cells["小学"][0] == 1 and cells["初中"][0] == 1 and cells["九年一贯制学校"][0] == 1
    assert cells["合计（不含教学点）"][0] == 3
    assert cells["在校生数（人）"][:3] == (1805 + 1435, 1680 + 738, 1805 + 1435 + 1680 + 738)
    assert cells["班级数（个）"][:3] == (46 + 36, 37 + 17, 46 + 36 + 37 + 17)
    assert cells["专任教师数（人）"][:3] == (97 + 87, 130 + 66, 97 + 87 + 130 + 66)
    assert cells["评估单位数（个）"][:3] == (2, 2, 4)
    assert cells["评估结论"][0] == "未达到优质均衡标准"


def test_the_special_school_is_in_no_class_count_of_the_sample_forms(sample_forms,
                                                                      sample_county):
    """The sample's special school (classes in classes.csv) is in no unit row, and the
    classes of 表1 are the general schools' (the special school's 2 classes left out)."""
    wb, _ = sample_forms
    tables, ev = sample_county
    s = tables["schools"]
    s = s[s["year"].astype(int) == 2025]
    special = s[s["school_type"].astype(str) == "special"]
    assert len(special) == 1
    name = str(special["school_name"].iloc[0])
    assert not any(name in str(c.value) for ws in wb for row in ws.iter_rows() for c in row
                   if c.value is not None)
    cells = {r[0]: r[1:] for r in wb[SHEETS["basics"]].iter_rows(values_only=True) if r[0]}
    general = s[s["school_type"].astype(str) != "special"]
    classes = (pd.to_numeric(general["classes_primary"]).sum(),
               pd.to_numeric(general["classes_junior"]).sum())
    assert cells["班级数（个）"][:2] == classes
    assert pd.to_numeric(special[["classes_primary", "classes_junior"]].stack()).sum() > 0
    sid = str(special["school_id"].iloc[0])
    assert sid not in set(ev.class_sizes["school_id"].astype(str))
    b12 = ev.school_items[ev.school_items["id"] == "B12"]
    assert sid not in set(b12["school_id"].astype(str))


def test_names_from_the_data_stay_text(tmp_path):
    data = tmp_path / "d"
    shutil.copytree(TINY, data)
    s = pd.read_csv(data / "schools.csv", dtype=str, keep_default_na=False)
    s.loc[s.school_id == "6523010002", "school_name"] = '=HYPERLINK("http://x","y")'
    s.to_csv(data / "schools.csv", index=False)
    out = tmp_path / "f.xlsx"
    res = run("forms", data, "--year", 2025, "--output", out, "--name", "A&B县")
    assert res.exit_code == 0, res.output
    wb = openpyxl.load_workbook(out)
    cell = unit_rows(wb[SHEETS["primary"]])[0]["学校名称"]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://x","y")', "s")
    assert all(c.data_type != "f" for ws in wb for row in ws.iter_rows() for c in row)
    assert "A&&B县" in wb[SHEETS["basics"]].oddHeader.center.text  # prints as "A&B县"


def test_one_county_of_many(tmp_path, multi_county):
    out = tmp_path / "f.xlsx"
    res = run("forms", MULTI, "--year", 2025, "--output", out)
    assert res.exit_code == 2 and "--county" in res.output and "652302" in res.output
    assert not out.exists()
    res = run("forms", MULTI, "--year", 2025, "--output", out, "--county", "652302")
    assert res.exit_code == 0, res.output
    js = evaluation_json(multi_county[1], 2025)
    wb = openpyxl.load_workbook(out)
    ids = [r["学校代码"].value for r in unit_rows(wb[SHEETS["primary"]])]
    assert ids == sorted(u["school_id"] for u in js["units"]
                         if u["county_id"] == "652302" and u["level"] == "primary")
    assert "652302" in wb[SHEETS["basics"]].oddHeader.center.text
    res = run("forms", MULTI, "--year", 2025, "--output", out, "--county", "999")
    assert res.exit_code == 2 and "999" in res.output


def test_bad_arguments_write_nothing(tmp_path):
    assert run("forms", TINY, "--year", 2025, "--output", tmp_path / "f.csv").exit_code == 2
    res = run("forms", TINY, "--year", 2019, "--output", tmp_path / "f.xlsx")
    assert res.exit_code == 2 and "2019" in res.output
    assert list(tmp_path.iterdir()) == []


def test_forms_are_deterministic(tiny_county):
    tables, ev = tiny_county
    a = forms_bytes(build_forms(ev, tables, 2025, name="x"))
    b = forms_bytes(build_forms(ev, tables, 2025, name="x"))
    assert a == b


def test_pick_county(multi_county, tiny_county):
    tables = multi_county[0]
    assert pick_county(tables, "659001") == "659001"
    with pytest.raises(FormsError, match="652301"):
        pick_county(tables, None)
    assert pick_county(tiny_county[0], None) == ""
