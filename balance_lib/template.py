"""The Excel input template (``balance template``): a workbook county staff fill in, that the
reader reads back as it is.

The workbook has a first sheet ``说明`` (how to fill it in, and a dictionary of every column),
then one sheet per table of :mod:`balance_lib.columns`, named with the Chinese table names the
reader accepts (学校, 班级, 县域, 评估认定, 满意度调查, 质量监测, 出生人口). On each table sheet:

* row 1 gives the unit or kind of each column (人, m², 万元, 是/否 …), row 2 the Chinese header
  (required columns highlighted); a cell comment on each header gives the canonical column
  name, the kind, whether it is required and the allowed values; rows 1–2 are frozen (and the
  school columns on ``学校``), so data start in row 3, which the reader finds by itself (it takes
  the row with the most known headers among the first ten as the header);
* drop-down lists (Excel data validation) for the category and yes/no columns, in Chinese
  (学校类型, 城乡类型, 学段, 调查对象, 是/否); whole-number validation ≥ 0 for counts,
  decimal ≥ 0 for amounts, 0–1 for shares, a year range for years; identifier columns are
  formatted as text so leading zeros survive.

``--from DATA --year Y`` pre-fills the sheets with year *Y* of existing data (births and monitoring: every
year), categories written in Chinese, so next year's update starts from last year's figures.
Reading the pre-filled template back gives the same tables as the data it came from (round
trip, ``tests/test_template.py``).

The bytes are deterministic: the same data give the same workbook
(:func:`balance_lib.excel.stable_workbook_bytes`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .columns import TABLE_ALIASES, TABLES, VALUE_LABELS, ColumnSpec, table_columns
from .schemas import DEFAULT_YEAR_RANGE, YEAR_RANGES

__all__ = ["SHEETS", "template_bytes", "unit_of", "choices_of", "FIRST_ROW"]

#: The sheet of each table (a Chinese name the reader accepts).
SHEETS: dict[str, str] = {
    "schools": "学校", "classes": "班级", "county": "县域", "judgements": "评估认定",
    "survey": "满意度调查", "quality": "质量监测", "monitoring": "质量监测结果",
    "births": "出生人口",
}
assert all(TABLE_ALIASES[s] == t for t, s in SHEETS.items())
NOTES_SHEET = "说明"
#: First data row of a table sheet (row 1 units, row 2 headers).
FIRST_ROW = 3
#: Rows below the data that keep the drop-downs and number checks.
SPARE_ROWS = 2000
_STAMP = dt.datetime(2025, 9, 1, 0, 0, 0)
_APPLICATION = "balance_lib.template"

_TABLE_ZH = {
    "schools": "学校基本情况：每校每学年一行（设施按全校，教师按任教学段）",
    "classes": "班级：每班每学年一行（B12 班额、大班额、入学预测）",
    "county": "县域：每学年一行（B15、B16、B18、B20–B24 等县级数据）",
    "judgements": "评估认定：每项每学年一行（B8、B9、B17、B25、B27–B30，B15、B21、B22 的评定部分，"
                  "一票否决 V1–V3、V5–V8）",
    "survey": "满意度调查：每学年每类调查对象、城乡一行（B32 社会认可度）",
    "quality": "质量监测：每校每学段每科一行（B31 的可选公式 weighted_cv）",
    "monitoring": "质量监测结果：每个监测年份每学段每科一行（B31：学业水平等级与校际差异率；"
                  "未监测的年份沿用最近一次结果）",
    "births": "出生人口：每个出生年份一行（一年级入学预测：出生 6 年后入学）",
}
#: Chinese choices for categories without a label in VALUE_LABELS (reader aliases).
_CHOICES_ZH = {"parent": "家长", "teacher": "教师", "principal": "校长", "student": "学生",
               "deputy": "人大代表政协委员", "other": "其他"}
_KIND_ZH = {"year": "年份", "count": "非负整数", "amount": "非负数", "rate": "比例 0–1",
            "bool": "是/否", "id": "代码（文本）", "text": "文本", "category": "下拉选择"}


def unit_of(spec: ColumnSpec) -> str:
    """What row 1 shows for a column: its unit, or its kind.

    >>> from balance_lib.columns import column_spec
    >>> [unit_of(column_spec("schools", c)) for c in ("students_primary", "teaching_aux_area_m2",
    ...  "equipment_value_10k_yuan", "multimedia_classrooms", "is_private", "year")]
    ['人', 'm²', '万元', '间', '是/否', '学年（开始年份）']
    """
    n = spec.name
    if spec.kind == "year":
        return "学年（开始年份）" if n == "year" and spec.table != "births" else "年"
    if spec.kind == "count":
        if n.startswith("classes_"):
            return "个（班）"
        if n.endswith(("classrooms", "rooms")):
            return "间"
        if n == "grade":
            return "年级（1–9）"
        if n == "respondents":
            return "份"
        return "人"
    if spec.kind == "amount":
        if n.endswith("_m2"):
            return "m²"
        if n.endswith("_10k_yuan"):
            return "万元"
        if n.endswith("_yuan"):
            return "元"
        return "分" if n == "mean_score" else "数值"
    if spec.kind == "rate":
        return "比例（0–1，如 0.95）"
    return _KIND_ZH[spec.kind]


def choices_of(spec: ColumnSpec) -> list[str]:
    """The Chinese drop-down choices of a category or yes/no column (the reader maps them back).

    >>> from balance_lib.columns import column_spec
    >>> choices_of(column_spec("schools", "area_type"))
    ['城区', '镇区', '乡村']
    >>> choices_of(column_spec("schools", "is_private"))
    ['是', '否']
    """
    if spec.kind == "bool":
        return ["是", "否"]
    if spec.kind == "category":
        return [VALUE_LABELS[v][0] if v in VALUE_LABELS else _CHOICES_ZH.get(v, v)
                for v in spec.values]
    return []


def _required_zh(spec: ColumnSpec) -> str:
    if spec.required and spec.level:
        return f"必填（学校有{'小学' if spec.level == 'primary' else '初中'}学段时）"
    return "必填" if spec.required else "选填"


def _comment_text(spec: ColumnSpec) -> str:
    lines = [f"列名: {spec.name}", f"{spec.en}", f"类型: {_KIND_ZH[spec.kind]}；{unit_of(spec)}",
             _required_zh(spec)]
    if choices_of(spec):
        lines.append("可选: " + "、".join(choices_of(spec)))
    if spec.kind == "id":
        lines.append("按文本填写，保留前导 0")
    return "\n".join(lines)


def _year_range(spec: ColumnSpec) -> tuple[int, int]:
    return YEAR_RANGES.get(spec.name, DEFAULT_YEAR_RANGE)


def _validation(spec: ColumnSpec) -> Any | None:
    """The Excel data validation of a column, or None (text, ids)."""
    from openpyxl.worksheet.datavalidation import DataValidation

    kw: dict[str, Any] = {"allow_blank": True, "showErrorMessage": True,
                          "showInputMessage": True, "errorTitle": "输入有误",
                          "promptTitle": spec.zh[:32]}
    if spec.kind in ("category", "bool"):
        choices = choices_of(spec)
        return DataValidation(type="list", formula1='"' + ",".join(choices) + '"',
                              error="请从下拉列表中选择：" + "、".join(choices),
                              prompt="从下拉列表中选择", **kw)
    if spec.kind == "count":
        return DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0",
                              error="请填写非负整数", prompt=f"非负整数（{unit_of(spec)}）", **kw)
    if spec.kind == "amount":
        return DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0",
                              error="请填写非负数", prompt=f"非负数（{unit_of(spec)}）", **kw)
    if spec.kind == "rate":
        return DataValidation(type="decimal", operator="between", formula1="0", formula2="1",
                              error="请填写 0–1 之间的比例（如 0.95 表示 95%）",
                              prompt="比例 0–1（如 0.95）", **kw)
    if spec.kind == "year":
        lo, hi = _year_range(spec)
        return DataValidation(type="whole", operator="between", formula1=str(lo),
                              formula2=str(hi), error=f"请填写 {lo}–{hi} 之间的年份",
                              prompt="四位年份，如 2025", **kw)
    return None


def _cell_value(spec: ColumnSpec, value: Any) -> Any:
    """A typed value as the template shows it: Chinese categories, 是/否, ids as text."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if spec.kind == "bool":
        return "是" if bool(value) else "否"
    if spec.kind == "category":
        return dict(zip(spec.values, choices_of(spec), strict=True)).get(str(value), str(value))
    if spec.kind in ("id", "text"):
        text = str(value)
        return text if text != "" else None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        v = float(value)
        return int(v) if v.is_integer() and spec.kind in ("year", "count") else v
    return value


def _rows_for(table: str, frame: pd.DataFrame | None, year: int | None) -> pd.DataFrame | None:
    if frame is None:
        return None
    # births: every birth year; monitoring: every monitoring year (a later year uses the latest)
    if table in ("births", "monitoring") or year is None or "year" not in frame:
        return frame
    return frame[pd.to_numeric(frame["year"], errors="coerce") == year]


def _notes(wb: Any, source: str | None, year: int | None, counts: Mapping[str, int]) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    ws = wb.active
    ws.title = NOTES_SHEET
    bold = Font(bold=True)
    title = "县域义务教育优质均衡发展评估 数据填报模板（balance）"
    lines = [
        (title, ""),
        ("来源", f"{source}，{year} 学年（已预填，请核对并更新）" if source else "空白模板"),
        ("", ""),
        ("填写说明", ""),
        ("1", "每张工作表是一张表：" + "、".join(SHEETS.values())
         + "。只有「学校」必填；缺少的表使相应指标“未评估”，不会被当作达标。"),
        ("2", "第 1 行是单位，第 2 行是表头（请勿修改表头；鼠标悬停在表头上可看到列名、类型和"
              "可选值），从第 3 行起每行一条记录。"),
        ("3", "学年填学年开始的年份：2025 表示 2025–2026 学年。一个文件可以包含多个学年。"),
        ("4", "学校代码等代码列按文本填写，保留前导 0；不要用科学计数法。"),
        ("5", "学校类型、城乡类型、学段、调查对象和是/否列从下拉列表选择；数字列只能填非负数，"
              "比例填 0–1 之间的小数（如 0.95）。"),
        ("6", "校舍、场地、设备、网络多媒体教室按全校填写（九年一贯制等学校由程序按学生数拆分）；"
              "教学及辅助用房面积包含室内体育用房；教学仪器设备值单位为万元；教师按任教学段填写。"),
        ("7", "教学点须填写所属中心校的学校代码；班级表各班人数之和应等于学校表的在校生数，"
              "班数应等于学校表的班级数。"),
        ("8", "县域表的初一时在校生数是该届学生三年前入初一时的人数，初中毕业生数是上一学年 9 年级"
              "毕业的人数；应完成 360 学时培训教师数应接近全体专任教师。"),
        ("9", "填好后检查：balance validate 本文件.xlsx（加 --strict 同时要求跨表、跨年一致）；"
              "评估：balance evaluate 本文件.xlsx --year 2025。"),
        ("", ""),
        ("工作表", "内容（已预填行数）" if source else "内容"),
    ]
    for table, sheet in SHEETS.items():
        n = counts.get(table)
        lines.append((sheet, _TABLE_ZH[table] + (f"（{n} 行）" if source else "")))
    lines += [("", ""), ("列说明", "")]
    for r in lines:
        ws.append(list(r))
    head = ws.max_row + 1
    ws.append(["工作表", "中文表头", "列名", "单位/类型", "必填", "可选值"])
    for table, sheet in SHEETS.items():
        for spec in table_columns(table):
            ws.append([sheet, spec.zh, spec.name, unit_of(spec), _required_zh(spec),
                       "、".join(choices_of(spec))])
    ws["A1"].font = Font(bold=True, size=14)
    for row in ws.iter_rows(min_row=1, max_row=head - 1, max_col=1):
        for c in row:
            if c.value in ("填写说明", "工作表", "列说明", "来源"):
                c.font = bold
    fill = PatternFill("solid", fgColor="DDEBF7")
    for c in ws[head]:
        c.font = bold
        c.fill = fill
    for letter, width in zip("ABCDEF", (14, 44, 38, 22, 24, 40), strict=True):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=1, max_row=head - 1, min_col=2, max_col=2):
        for c in row:
            c.alignment = Alignment(wrap_text=False, vertical="top")


def _table_sheet(wb: Any, table: str, rows: pd.DataFrame | None) -> int:
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(SHEETS[table])
    specs = table_columns(table)
    ws.append([unit_of(s) for s in specs])
    ws.append([s.zh for s in specs])
    grey = Font(italic=True, color="666666", size=9)
    required = PatternFill("solid", fgColor="F8CBAD")
    optional = PatternFill("solid", fgColor="DDEBF7")
    n = 0
    if rows is not None and len(rows):
        cols = [rows[s.name].to_numpy(object) if s.name in rows else
                np.full(len(rows), None, dtype=object) for s in specs]
        for values in zip(*cols, strict=True):
            ws.append([_cell_value(s, v) for s, v in zip(specs, values, strict=True)])
        n = len(rows)
    last = FIRST_ROW + n + SPARE_ROWS - 1
    for j, spec in enumerate(specs, start=1):
        letter = get_column_letter(j)
        unit, head = ws.cell(1, j), ws.cell(2, j)
        unit.font = grey
        head.font = Font(bold=True)
        head.fill = required if spec.required else optional
        head.alignment = Alignment(wrap_text=True, vertical="center")
        comment = Comment(_comment_text(spec), "balance")
        comment.width, comment.height = 260, 130
        head.comment = comment
        ws.column_dimensions[letter].width = max(10, min(30, 2 * len(spec.zh) + 2))
        if spec.kind in ("id", "text"):
            ws.column_dimensions[letter].number_format = "@"
            for r in range(FIRST_ROW, FIRST_ROW + n):
                ws.cell(r, j).number_format = "@"
        dv = _validation(spec)
        if dv is not None:
            ws.add_data_validation(dv)
            dv.add(f"{letter}{FIRST_ROW}:{letter}{last}")
    ws.row_dimensions[2].height = 32
    freeze = {"schools": "E3", "classes": "D3", "quality": "D3"}.get(table, "A3")
    ws.freeze_panes = freeze
    return n


def template_bytes(tables: Mapping[str, pd.DataFrame] | None = None, year: int | None = None,
                   source: str | None = None) -> bytes:
    """The template workbook, empty or pre-filled with ``year`` of ``tables``.

    Parameters
    ----------
    tables
        Canonical frames (:attr:`balance_lib.io.CountyData.tables`); None for a blank template.
    year
        The school year to pre-fill (births and monitoring: every year).
    source
        Where the data came from, for the ``说明`` sheet.

    Returns
    -------
    bytes
        The ``.xlsx`` file, the same bytes for the same inputs.
    """
    from openpyxl import Workbook

    from .excel import stable_workbook_bytes

    wb = Workbook()
    counts: dict[str, int] = {}
    tables = tables or {}
    for table in TABLES:
        counts[table] = _table_sheet(wb, table, _rows_for(table, tables.get(table), year)
                                     if tables else None)
    _notes(wb, source, year, counts)
    props = wb.properties
    props.creator = _APPLICATION
    props.lastModifiedBy = _APPLICATION
    props.title = "县域义务教育优质均衡发展评估 数据填报模板"
    props.description = f"{source} {year}" if source else "blank template"
    return stable_workbook_bytes(wb, _STAMP, _APPLICATION)
