"""问题台账: items, 销号 across years, gap texts, summaries, and the .xlsx/.csv files."""

from __future__ import annotations

import io
import math
import os
import re
import zipfile

import numpy as np
import pandas as pd
import pytest

from balance_lib import excel, sample
from balance_lib.excel import HEADERS_ZH, write_ledger
from balance_lib.indicators import evaluate
from balance_lib.ledger import (
    DEPARTMENT_COLUMNS,
    ITEM_COLUMNS,
    LEDGER_COLUMNS,
    UNASSIGNED,
    YEAR_COLUMNS,
    LedgerError,
    assessment_items,
    build_ledger,
    item_key,
    ledger_frames,
    make_ledger,
    count_line,
    not_assessed_items,
    summarize_by_department,
    summarize_by_year,
)
from balance_lib.registry import load_registry
from balance_lib.settings import Settings

REG = load_registry()
YEAR_SHEET_HEADERS = ["学年", "指标", "指标名称", "范围", "学校代码", "学校名称", "学段", "当前值",
                      "标准值", "差距", "责任单位", "首次发现", "状态", "备注", "说明"]
#: The workbook's year sheets: grouped by 责任单位, printed (the CSV keeps the columns above).
PRINT_SHEET_HEADERS = ["责任单位", "学校名称", "学校代码", "学段", "指标", "指标名称", "当前值",
                       "标准值", "差距", "首次发现", "状态", "备注", "说明"]


# ---------------------------------------------------------------------------------------------
# helpers


def school(**kw) -> dict:
    """A 500-pupil primary school meeting every 小学 threshold of B1–B7."""
    row = dict(
        year=2024, county_id="", school_id="S1", school_name="第一小学", school_type="primary",
        parent_school_id="", area_type="urban", is_private=False, year_built=2018,
        students_primary=500, students_junior=0, students_senior=0,
        classes_primary=12, classes_junior=np.nan,
        teachers_primary=30, teachers_junior=0,
        qualified_teachers_primary=25, qualified_teachers_junior=0,  # 5.0 ≥ 4.2
        backbone_teachers_primary=6, backbone_teachers_junior=0,     # 1.2 ≥ 1
        pe_art_teachers_primary=5, pe_art_teachers_junior=0,         # 1.0 ≥ 0.9
        teaching_aux_area_m2=2500, indoor_sports_area_m2=0,          # B4 5.0 ≥ 4.5
        sports_ground_area_m2=4000,                                  # B5 8.0 ≥ 7.5
        equipment_value_10k_yuan=110,                                # B6 2200 ≥ 2000
        multimedia_classrooms=12,                                    # B7 2.4 ≥ 2.3
        certified_teachers=30,
        music_rooms=1, music_room_min_area_m2=100, art_rooms=1, art_room_min_area_m2=95,
        public_funding_yuan=400000, teacher_training_funding_yuan=25000,
        has_charter=True, has_info_management=True,
    )
    row.update(kw)
    return row


def items_of(schools: list[dict], classes: list[dict] | None = None,
             with_indicators: bool = False) -> pd.DataFrame:
    tables = {"schools": pd.DataFrame(schools)}
    if classes is not None:
        tables["classes"] = pd.DataFrame(classes)
    ev = evaluate(tables, Settings(), REG)
    return assessment_items(ev, with_indicators=with_indicators)


def item(key_school: str, year: int, status: str, indicator: str = "B1", **kw) -> dict:
    """One hand-made assessment item (unit scope, 小学)."""
    row = dict(county_id="", year=year, item_key=item_key("", indicator, key_school, "primary"),
               indicator=indicator, scope="unit", school_id=key_school,
               school_name=f"学校{key_school}", level="primary", status=status, value=4.0,
               threshold=4.2, gap=1.0 if status == "not_met" else math.nan,
               gap_text="+1 名高于规定学历专任教师" if status == "not_met" else "",
               responsible="市委组织部、市人社局、市教育局", detail="")
    row.update(kw)
    return row


def items_frame(rows: list[dict]) -> pd.DataFrame:
    f = pd.DataFrame(rows, columns=ITEM_COLUMNS)
    f["year"] = f["year"].astype("int64")
    return f


def one(frame: pd.DataFrame, **match) -> pd.Series:
    sel = frame
    for col, value in match.items():
        sel = sel[sel[col] == value]
    assert len(sel) == 1, f"{len(sel)} rows for {match}"
    return sel.iloc[0]


@pytest.fixture(scope="module")
def sample_frames():
    return make_ledger(sample.generate(), year_from=2022, year_to=2025)


# ---------------------------------------------------------------------------------------------
# 销号 across years


def test_b1_missed_twice_then_met_is_closed_in_2024():
    rows = []
    for year, qualified in ((2022, 18), (2023, 20), (2024, 21)):  # 3.6, 4.0, 4.2 per 100
        rows.append(school(year=year, qualified_teachers_primary=qualified))
        rows.append(school(year=year, school_id="S2", school_name="第二小学",
                           qualified_teachers_primary=19))  # 3.8: never met
    items = items_of(rows)
    ledger = build_ledger(items, 2022, 2024)
    b1 = ledger[ledger.item_key == item_key("", "B1", "S1", "primary")]
    assert b1.year.tolist() == [2022, 2023]
    assert b1.first_seen.tolist() == [2022, 2022]
    assert b1.status.tolist() == ["closed in 2024", "closed in 2024"]
    assert b1.closed_in.tolist() == [2024, 2024]
    assert b1.gap.tolist() == [3.0, 1.0]
    assert b1.gap_text.tolist() == ["+3 名高于规定学历专任教师", "+1 名高于规定学历专任教师"]
    s2 = ledger[ledger.item_key == item_key("", "B1", "S2", "primary")]
    assert s2.year.tolist() == [2022, 2023, 2024]
    assert s2.first_seen.tolist() == [2022, 2022, 2022]
    assert s2.status.tolist() == ["open"] * 3
    assert s2.closed_in.isna().all()
    assert (s2.gap_text == "+2 名高于规定学历专任教师").all()  # 4.2 × 5 − 19
    # the met 2024 row of S1 is an item, not a ledger row
    met = one(items, item_key=item_key("", "B1", "S1", "primary"), year=2024)
    assert met.status == "met" and math.isnan(met.gap) and met.gap_text == ""


def test_not_assessed_years_neither_close_nor_interrupt():
    rows = [
        # A: not met, not assessed, met -> closed in 2024
        item("A", 2022, "not_met"), item("A", 2023, "not_assessed"), item("A", 2024, "met"),
        # B: not met, then never assessed again -> open
        item("B", 2022, "not_met"), item("B", 2023, "not_assessed"),
        item("B", 2024, "not_assessed"),
        # C: not met, no row in 2023, not met -> one run, open
        item("C", 2022, "not_met"), item("C", 2024, "not_met"),
        # D: not met, met, not met -> closed in 2023, then a new run from 2024
        item("D", 2022, "not_met"), item("D", 2023, "met"), item("D", 2024, "not_met"),
        # E: not met, then the school disappears -> open with a note
        item("E", 2022, "not_met"),
        # F: met throughout -> nothing on the ledger
        item("F", 2022, "met"), item("F", 2023, "met"), item("F", 2024, "met"),
    ]
    items = items_frame(rows)
    ledger = build_ledger(items, 2022, 2024)
    got = {(r.school_id, r.year): (r.first_seen, r.status, r.note)
           for r in ledger.itertuples()}
    assert got == {
        ("A", 2022): (2022, "closed in 2024", ""),
        ("B", 2022): (2022, "open", "后续2023、2024 年未评估：不予销号，保持未销号"),
        ("C", 2022): (2022, "open", ""),
        ("C", 2024): (2022, "open", ""),
        ("D", 2022): (2022, "closed in 2023", ""),
        ("D", 2024): (2024, "open", "2023 年曾销号，2024 年再次出现"),
        ("E", 2022): (2022, "open", "后续2023、2024 年无该项记录（学校撤并、学段停办或数据缺失）："
                                    "不予销号，保持未销号"),
    }
    assert list(ledger.columns) == LEDGER_COLUMNS
    na = not_assessed_items(items, 2022, 2024)
    assert list(zip(na.school_id, na.year, strict=True)) == [("A", 2023), ("B", 2023), ("B", 2024)]
    assert set(na.status) == {"not_assessed"}

    by_year = summarize_by_year(ledger, na, 2022, 2024)
    assert list(by_year.columns) == YEAR_COLUMNS
    assert by_year.to_dict("list") == {
        "year": [2022, 2023, 2024],
        "shortfalls": [5, 0, 2],
        "opened": [5, 0, 1],
        "carried_over": [0, 0, 1],
        "closed": [0, 1, 1],
        "not_assessed": [0, 2, 1],
    }


def test_range_limits_what_is_seen():
    rows = [item("A", 2021, "not_met"), item("A", 2022, "not_met"), item("A", 2023, "met"),
            item("B", 2023, "not_met"), item("B", 2024, "met")]
    ledger = build_ledger(items_frame(rows), 2022, 2023)
    got = [(r.school_id, r.year, r.first_seen, r.status) for r in ledger.itertuples()]
    # 2021 is outside the range: A is first seen in 2022; B's 2024 closing is not seen
    assert got == [("A", 2022, 2022, "closed in 2023"), ("B", 2023, 2023, "open")]


def test_bad_ranges_and_duplicates():
    items = items_frame([item("A", 2022, "not_met")])
    with pytest.raises(LedgerError, match="after"):
        build_ledger(items, 2024, 2022)
    with pytest.raises(LedgerError, match="more than once"):
        build_ledger(items_frame([item("A", 2022, "not_met"), item("A", 2022, "met")]),
                     2022, 2022)
    with pytest.raises(LedgerError, match="no school data"):
        make_ledger({"schools": pd.DataFrame([school(year=2024)])}, year_from=2019,
                    year_to=2020)


# ---------------------------------------------------------------------------------------------
# gap texts


def test_gap_texts_of_teachers_area_and_equipment():
    items = items_of([school(qualified_teachers_primary=18,        # 3.6 < 4.2: 21 needed
                             teaching_aux_area_m2=1840,            # 3.68 < 4.5: 2250 needed
                             equipment_value_10k_yuan=94.8)])      # 1896 < 2000: 1,000,000
    b1 = one(items, indicator="B1", scope="unit")
    assert (b1.status, b1.gap, b1.gap_text) == ("not_met", 3.0, "+3 名高于规定学历专任教师")
    assert b1.value == pytest.approx(3.6) and b1.threshold == pytest.approx(4.2)
    assert b1.responsible == "市委组织部、市人社局、市教育局"
    assert b1.item_key == "|B1|S1|primary|"
    assert b1.detail.startswith("小学在校生 500 人；3.60 人/百名学生，标准 ≥ 4.20（85% 底线 3.57）")
    b6_detail = one(items, indicator="B6", scope="unit").detail  # money: no decimals, separators
    assert "1,896 元/生，标准 ≥ 2,000（85% 底线 1,700" in b6_detail
    b4 = one(items, indicator="B4", scope="unit")
    assert (b4.gap, b4.gap_text) == (410.0, "+410 平方米教学及辅助用房")
    b6 = one(items, indicator="B6", scope="unit")
    assert (b6.gap, b6.gap_text) == (52000.0, "+52,000 元教学仪器设备")
    assert b6.responsible == "市财政局、市教育局"
    b5 = one(items, indicator="B5", scope="unit")
    assert (b5.status, b5.gap_text) == ("met", "") and math.isnan(b5.gap)


def test_gap_text_of_a_cv_row():
    # two primary schools of 500: backbone 0.4 and 1.6 per 100 -> CV = 0.6 / 1.0 = 0.6
    items = items_of([school(backbone_teachers_primary=2),
                      school(school_id="S2", school_name="第二小学", backbone_teachers_primary=8)])
    cv = one(items, indicator="B2", scope="variation", level="primary")
    assert cv.status == "not_met"
    assert cv.value == pytest.approx(0.6) and cv.threshold == pytest.approx(0.5)
    assert cv.gap == pytest.approx(0.1)
    assert cv.gap_text == "差异系数 0.600，需降至 0.50 以下"
    assert cv.item_key == "|B2||primary|cv" and cv.school_id == ""
    assert cv.responsible == "市委组织部、市教育局"
    assert one(items, indicator="B1", scope="variation", level="primary").status == "met"


def test_gap_texts_of_school_size_and_class_size():
    classes = [dict(year=2024, county_id="", school_id="S1", level="primary", grade=1 + k % 6,
                    class_id=f"c{k}", students=n)
               for k, n in enumerate([46, 50] + [45] * 10)]
    items = items_of([school(students_primary=2302, qualified_teachers_primary=120,
                             backbone_teachers_primary=30, pe_art_teachers_primary=25,
                             teaching_aux_area_m2=12000, sports_ground_area_m2=20000,
                             equipment_value_10k_yuan=500, multimedia_classrooms=60)],
                     classes, with_indicators=True)
    b11 = one(items, indicator="B11", scope="school")
    assert (b11.status, b11.gap, b11.gap_text) == ("not_met", 302.0, "超出 302 人")
    assert b11.value == 2302 and b11.threshold == 2000 and b11.item_key == "|B11|S1||"
    assert b11.responsible == "市发改委、市财政局、市自然资源局、市项目代建局、市住建局、市教育局"
    b12 = one(items, indicator="B12", scope="school")
    assert (b12.status, b12.gap, b12.gap_text) == ("not_met", 2.0, "2 个班超 45 人")
    assert b12.value == 50 and b12.threshold == 45 and b12.responsible == "市教育局"
    # school-scope items are carried by their schools: no county row that would count twice
    assert items[(items.indicator == "B12") & (items.scope == "county")].empty
    # a county item without county.csv is listed as not assessed, never met
    b15 = one(items, indicator="B15")
    assert (b15.scope, b15.status) == ("county", "not_assessed")
    assert b15.detail == ("教师与公务员平均工资之比：未提供 county.csv；"
                          "按规定足额核定教师绩效工资总量（评定）：未提供 judgements.csv")
    v1 = one(items, indicator="V1")
    assert (v1.scope, v1.status, v1.responsible) == ("veto", "not_assessed", "")
    assert one(items, indicator="V4").responsible == "市教育局"  # computed from B32


def test_school_scope_item_without_school_rows_enters_as_a_county_row():
    items = items_of([school()], None, with_indicators=True)  # no classes.csv
    b12 = one(items, indicator="B12")
    assert (b12.scope, b12.status, b12.item_key) == ("county", "not_assessed", "|B12|||")
    assert b12.detail == "未提供 classes.csv（班级数据）"


# ---------------------------------------------------------------------------------------------
# summaries


def test_summary_by_department_counts_each_department_of_an_item():
    rows = [
        item("A", 2024, "not_met", indicator="B6", responsible="市财政局、市教育局"),
        item("B", 2024, "not_met"),                                  # B1: 组织部、人社局、教育局
        item("C", 2023, "not_met", indicator="B6"), item("C", 2024, "met", indicator="B6"),
        item("D", 2023, "not_met", indicator="B4"),                  # disappears in 2024
        dict(item("", 2024, "not_met", indicator="V1"), scope="veto", level="",
             item_key="|V1|||"),
    ]
    ledger = build_ledger(items_frame(rows), 2023, 2024)
    dept = summarize_by_department(ledger, REG, 2024)
    assert list(dept.columns) == DEPARTMENT_COLUMNS
    table = dept.set_index("department")
    assert table.loc["市教育局", "open_shortfalls"] == 2
    assert table.loc["市教育局", "indicators"] == "B1、B6"
    assert table.loc["市财政局", "open_shortfalls"] == 1
    assert table.loc["市财政局", "indicators"] == "B6"
    assert table.loc["市委组织部", "open_shortfalls"] == 1
    assert table.loc["市人社局", "indicators"] == "B1"
    assert table.loc[UNASSIGNED, "open_shortfalls"] == 1
    assert table.loc[UNASSIGNED, "indicators"] == "V1"
    # B4 of D: still open without a 2024 row; B6 of C: closed in 2024
    assert table.loc["市发改委", ["open_shortfalls", "open_without_record"]].tolist() == [0, 1]
    assert table.loc["市财政局", ["open_without_record", "closed_in_range"]].tolist() == [1, 1]
    assert table.loc["市公安局"].tolist() == [0, "", 0, 0]  # every department is listed
    assert dept.department.iloc[0] == "市教育局"  # most open first
    assert set(REG.indicator("B30").responsible_units) <= set(dept.department)


# ---------------------------------------------------------------------------------------------
# the sample county


def test_sample_ledger_2022_to_2025(sample_frames):
    f = sample_frames
    ledger = f.ledger
    assert sorted(ledger.year.unique()) == [2022, 2023, 2024, 2025]
    assert ledger.status.str.startswith("closed in ").any()
    assert (ledger[ledger.year == 2025].status == "open").sum() > 0
    assert (ledger.first_seen <= ledger.year).all()
    closed = ledger.dropna(subset=["closed_in"])
    assert (closed.closed_in > closed.year).all()
    assert (closed.status == "closed in " + closed.closed_in.astype(str)).all()
    assert set(ledger.scope) >= {"unit", "variation", "school", "county"}
    non_veto = ledger[ledger.scope != "veto"]
    assert (non_veto.responsible != "").all() and (non_veto.gap_text != "").all()
    assert "市教育局" in set(ledger.responsible.str.split("、").explode())
    dept = f.by_department.set_index("department")
    assert dept.loc["市教育局", "open_shortfalls"] == (ledger.year == 2025).sum()  # every item
    assert dept.open_shortfalls.max() > 0 and dept.loc["市教育局", "indicators"] != ""
    by_year = f.by_year.set_index("year")
    assert by_year.shortfalls.tolist() == ledger.groupby("year").size().tolist()
    assert (by_year.opened + by_year.carried_over == by_year.shortfalls).all()
    assert by_year.loc[2022, "opened"] == by_year.loc[2022, "shortfalls"]
    assert by_year.closed.sum() == len(closed.drop_duplicates(["item_key", "first_seen"]))
    assert by_year.closed.iloc[1:].gt(0).all()
    # not assessed: listed, never on the ledger (e.g. V8, a setting that is off by default)
    na = f.not_assessed
    assert set(na.year) == {2022, 2023, 2024, 2025}
    assert (na.indicator == "V8").sum() == 4
    assert not (set(zip(na.item_key, na.year, strict=True))
                & set(zip(ledger.item_key, ledger.year, strict=True)))
    assert len(f.items) == len(ledger) + len(na) + (f.items.status == "met").sum()


def test_ledger_of_b1_to_b7_only():
    frames = make_ledger(sample.generate(), year_from=2024, year_to=2025,
                         with_indicators=False)
    assert set(frames.items.scope) == {"unit", "variation"}
    assert set(frames.ledger.year) == {2024, 2025}
    assert frames.by_year.year.tolist() == [2024, 2025]


# ---------------------------------------------------------------------------------------------
# files


INJECTION = ['=HYPERLINK("http://x")', "@SUM(A1)", "-1+1", "+3 名"]


def injection_frames():
    rows = [item(f"S{k}", 2023, "not_met", school_name=name) for k, name in enumerate(INJECTION)]
    rows += [item(f"S{k}", 2024, "met", school_name=name) for k, name in enumerate(INJECTION)]
    rows.append(item("S9", 2024, "not_met", school_name="普通小学", detail="=1+1"))
    return ledger_frames(items_frame(rows), REG, 2023, 2024, Settings())


def sheet_xml(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/")}


def test_formula_looking_text_stays_text_in_xlsx(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    path = write_ledger(injection_frames(), tmp_path / "ledger.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["2023"]
    header = [c.value for c in ws[1]]
    names = {ws.cell(row=r, column=header.index("学校名称") + 1) for r in range(2, ws.max_row + 1)}
    assert sorted(c.value for c in names) == sorted(INJECTION)
    assert {c.data_type for c in names} == {"s"}
    gaps = [ws.cell(row=r, column=header.index("差距") + 1) for r in range(2, ws.max_row + 1)]
    assert {(c.value, c.data_type) for c in gaps} == {("+1 名高于规定学历专任教师", "s")}
    detail = wb["2024"].cell(row=2, column=header.index("说明") + 1)
    assert (detail.value, detail.data_type) == ("=1+1", "s")
    for name, xml in sheet_xml(path.read_bytes()).items():
        assert not re.search(rb"<f[ >/]", xml), name
    # read back as formulas would show them as data_type "f": none anywhere
    for sheet in wb:
        assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_xlsx_layout(tmp_path, sample_frames):
    openpyxl = pytest.importorskip("openpyxl")
    path = write_ledger(sample_frames, tmp_path / "ledger.xlsx", note=sample.SYNTHETIC_NOTE,
                        name="样例县")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["汇总（按责任单位）", "2022", "2023", "2024", "2025", "未评估", "说明"]
    for year in ("2022", "2023", "2024", "2025"):
        ws = wb[year]
        assert ws.freeze_panes == "A2"
        assert [c.value for c in ws[1]] == PRINT_SHEET_HEADERS
        n = (sample_frames.ledger.year == int(year)).sum()
        assert ws.max_row == n + 1
        assert ws.auto_filter.ref == f"A1:M{n + 1}"
        statuses = {ws.cell(row=r, column=11).value for r in range(2, n + 2)}
        assert statuses <= {"未销号"} | {f"{y}年已销号" for y in range(2023, 2026)}
        widths = [ws.column_dimensions[col].width for col in "ABCDEFGHIJKLM"]
        assert all(6 <= w <= 60 for w in widths)
    ws = wb["2022"]
    value = ws.cell(row=2, column=7)
    assert value.data_type == "n" and value.number_format in ("#,##0.00", "0.000", "#,##0")
    summary = wb["汇总（按责任单位）"]
    texts = [c.value for row in summary.iter_rows() for c in row if isinstance(c.value, str)]
    assert texts[0] == "问题台账 2022–2025（样例县） 汇总"
    assert texts[1] == count_line(sample_frames.count)
    assert any(sample.SYNTHETIC_NOTE in t for t in texts)
    head = next(r for r in range(1, 12) if summary.cell(row=r, column=1).value == "责任单位")
    assert summary.freeze_panes == f"A{head + 1}"
    assert summary.auto_filter.ref.startswith(f"A{head}:E")
    assert [c.value for c in summary[head]][:5] == ["责任单位", "2025年未销号问题数", "涉及指标",
                                                    "未销号但当年无记录", "期间已销号"]
    assert summary.cell(row=head + 1, column=1).value == "市教育局"
    na = wb["未评估"]
    assert na.freeze_panes == "A2" and na.auto_filter.ref is not None
    assert na.max_row == len(sample_frames.not_assessed) + 1
    notes = {r[0]: r[1] for r in wb["说明"].iter_rows(values_only=True)}
    assert notes["数据说明"] == sample.SYNTHETIC_NOTE
    assert notes["学年范围"] == "2022–2025"
    assert notes["问题统计"] == count_line(sample_frames.count)
    assert notes["设置 teaching_points"] == "separate"
    assert HEADERS_ZH["first_seen"] == "首次发现"


def test_year_sheets_are_grouped_by_department_then_school_then_indicator(tmp_path,
                                                                           sample_frames):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.load_workbook(write_ledger(sample_frames, tmp_path / "l.xlsx"))
    order = REG.order
    for year in ("2022", "2025"):
        rows = list(wb[year].iter_rows(min_row=2, values_only=True))
        groups = [r[0] for r in rows]
        # each department group is one block of rows
        blocks = [g for k, g in enumerate(groups) if k == 0 or g != groups[k - 1]]
        assert len(blocks) == len(set(groups))
        for g in set(groups):
            part = [r for r in rows if r[0] == g]
            keys = [(r[2] is not None, r[2] or "", {"小学": 1, "初中": 2}.get(r[3], 0),
                     order[r[4]]) for r in part]
            assert keys == sorted(keys), (year, g)
        assert len(rows) == (sample_frames.ledger.year == int(year)).sum()


def test_summary_lists_departments_with_open_items_first_and_names_the_quiet_ones(
        tmp_path, sample_frames):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.load_workbook(write_ledger(sample_frames, tmp_path / "l.xlsx"))
    ws = wb["汇总（按责任单位）"]
    head = next(r for r in range(1, 12) if ws.cell(row=r, column=1).value == "责任单位")
    rows = []
    for r in ws.iter_rows(min_row=head + 1, values_only=True):
        if r[0] is None:
            break
        rows.append(r)
    open_, closed = [r[1] + r[3] for r in rows], [r[4] for r in rows]
    assert open_ == sorted(open_, reverse=True)
    n_open = sum(1 for x in open_ if x)
    assert closed[n_open:] == sorted(closed[n_open:], reverse=True)
    assert all(o or c for o, c in zip(open_, closed, strict=True))  # nothing-at-all: not a row
    dept = sample_frames.by_department
    quiet = dept[(dept.open_shortfalls + dept.open_without_record + dept.closed_in_range) == 0]
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    line = next(t for t in texts if t.startswith("期间无问题记录的责任单位"))
    assert f"（{len(quiet)} 个）" in line and all(d in line for d in quiet.department)
    assert {r[0] for r in rows}.isdisjoint(set(quiet.department))


def test_every_sheet_prints_landscape_a4_with_titles(tmp_path, sample_frames):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.load_workbook(write_ledger(sample_frames, tmp_path / "l.xlsx", name="样例县"))
    for ws in wb.worksheets:
        ps = ws.page_setup
        assert (ps.orientation, int(ps.paperSize)) == ("landscape", 9), ws.title
        assert (int(ps.fitToWidth), int(ps.fitToHeight)) == (1, 0), ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True
        assert "样例县" in ws.oddHeader.center.text and ws.title in ws.oddHeader.center.text
        assert "&P" in ws.oddFooter.center.text
        if ws.title != "说明":
            assert ws.print_title_rows is not None, ws.title
    assert wb["2023"].print_title_rows == "$1:$1"


def test_one_count_of_open_items(sample_frames):
    """Problems (runs) open and closed, and records (rows): the one count every output says."""
    ledger = sample_frames.ledger
    runs = ledger.drop_duplicates(["item_key", "first_seen"])
    c = sample_frames.count
    assert c.records == len(ledger)
    assert c.open == (runs.status == "open").sum()
    assert c.closed == sample_frames.by_year.closed.sum()
    assert c.open + c.closed == len(runs)
    # the open problems are those of the last year plus those without a later record
    last = ledger[ledger.year == 2025]
    assert (last.status == "open").all()
    stale = runs[(runs.status == "open") & ~runs.item_key.isin(last.item_key)]
    assert c.open == len(last) + len(stale)
    assert count_line(c) == (f"{c.open} 条未销号、{c.closed} 条已销号；2022–2025 年共 "
                             f"{c.records} 条记录（每个问题每年一条）")


def test_cjk_characters_count_double_in_column_widths():
    assert excel._text_width("市教育局") == 8
    assert excel._text_width("B12") == 3


def test_xlsx_is_deterministic(tmp_path, sample_frames):
    a = write_ledger(sample_frames, tmp_path / "a.xlsx", note="x").read_bytes()
    again = make_ledger(sample.generate(), year_from=2022, year_to=2025)
    b = write_ledger(again, tmp_path / "b.xlsx", note="x").read_bytes()
    assert sheet_xml(a) == sheet_xml(b)
    assert a == b
    with zipfile.ZipFile(io.BytesIO(a)) as z:
        core = z.read("docProps/core.xml").decode()
    assert "2025-09-01T00:00:00Z" in core


def test_csv(tmp_path):
    frames = injection_frames()
    path = write_ledger(frames, tmp_path / "ledger.csv", note="模拟数据")
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(table.columns) == [*YEAR_SHEET_HEADERS, "数据说明"]
    assert len(table) == len(frames.ledger) + len(frames.not_assessed)
    # formula-leading text gets an apostrophe (CSV injection); the rest of the text is unchanged
    assert sorted(table[table["学年"] == "2023"]["学校名称"]) == sorted("'" + t for t in INJECTION)
    assert set(table["状态"]) == {"2024年已销号", "未销号"}
    assert set(table["数据说明"]) == {"模拟数据"}
    assert table["当前值"].iloc[0] == "4"


def test_csv_lists_not_assessed_items(tmp_path, sample_frames):
    path = write_ledger(sample_frames, tmp_path / "sub" / "ledger.csv")
    table = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert (table["状态"] == "未评估").sum() == len(sample_frames.not_assessed)
    assert (table["状态"] != "未评估").sum() == len(sample_frames.ledger)
    assert table["学年"].tolist() == sorted(table["学年"].tolist())
    assert "数据说明" not in table.columns


def test_english_headers(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    path = write_ledger(injection_frames(), tmp_path / "l.xlsx", lang="en")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[0] == "Summary by department"
    assert [c.value for c in wb["2023"][1]][:3] == ["Responsible units", "School", "School id"]
    with pytest.raises(ValueError, match="lang"):
        write_ledger(injection_frames(), tmp_path / "l.xlsx", lang="fr")


def test_write_creates_missing_folders(tmp_path):
    path = tmp_path / "new" / "deeper" / "ledger.xlsx"
    assert write_ledger(injection_frames(), path) == path
    assert path.is_file() and zipfile.is_zipfile(path)
    assert os.listdir(path.parent) == ["ledger.xlsx"]


def test_failed_write_leaves_no_file(tmp_path, monkeypatch):
    target = tmp_path / "out" / "ledger.xlsx"

    def boom(*args, **kwargs):
        raise OSError("disk full")

    import balance_lib.atomic as atomic

    monkeypatch.setattr(atomic.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_ledger(injection_frames(), target)
    assert not target.exists()
    assert os.listdir(target.parent) == []  # the temporary file is gone too


def test_failed_write_keeps_the_previous_file(tmp_path, monkeypatch):
    target = tmp_path / "ledger.csv"
    target.write_bytes(b"old")

    def broken(*args, **kwargs):
        raise RuntimeError("render failed")

    monkeypatch.setattr(excel, "csv_bytes", broken)
    with pytest.raises(RuntimeError):
        write_ledger(injection_frames(), target)
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["ledger.csv"]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root can write into a read-only folder")
def test_unwritable_folder_leaves_no_file(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(OSError):
            write_ledger(injection_frames(), folder / "ledger.xlsx")
        assert os.listdir(folder) == []
    finally:
        folder.chmod(0o700)


def test_unknown_suffix(tmp_path):
    with pytest.raises(ValueError, match=r"\.xlsx or \.csv"):
        write_ledger(injection_frames(), tmp_path / "ledger.json")
    assert not (tmp_path / "ledger.json").exists()
