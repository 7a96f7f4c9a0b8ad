"""The official forms workbook (``balance forms``): :class:`balance_lib.forms.Forms` rendered
for a 督导 office, the only writer of it.

Sheets (names in ``words.yaml``, ``forms_sheet_*``):

``表1 基本情况``
    The verdict first (达到 / 未达到, units passing, the reasons), then the schools by type
    (教学点 apart), and per level the classes, pupils, 专任教师 and evaluated units.
``表2-1 小学`` / ``表2-2 初中``
    One row per evaluated unit (split rows for 一贯制 and 完全中学): 序号, school id and name,
    pupils, the values of the school rule's indicators, n/7 and 达标 (1, or empty). A value
    below its standard has its cell shaded dark grey; one below the 85 % floor black with white
    text (both survive black-and-white printing); a legend above the table says so. A last row
    gives the number of units and of units passing.
``表3 校际均衡``
    Per level and indicator the county value, the standard, the 差异系数 and the limit; a CV
    above its limit is shaded.
``表4 其他指标``
    Every other indicator and the vetoes: status (not met / triggered shaded), value,
    standard, the explanation and the 责任单位.

Print-ready (:func:`balance_lib.sheetprint.print_setup`): landscape A4, one page wide, the
header rows repeated, the county and year in the page header, page numbers. Numbers are numbers
with the number format of their unit (:mod:`balance_lib.forms`' display functions); every text
cell is stored as text, never as a formula (:func:`balance_lib.excel._put`). The bytes are
deterministic (:func:`balance_lib.excel.stable_workbook_bytes`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from .excel import _put, stable_workbook_bytes
from .forms import (
    COUNT_FORMAT,
    LEVELS,
    SCHOOL_TYPES,
    Forms,
    cv_format,
    limit_format,
    limit_text,
    value_format,
    value_text,
)
from .sheetprint import fit_row_heights, print_setup, thin_borders
from .words import check_lang, label, level_label, status_label

#: Fill of a value below its standard, and of one below the 85 % floor (with white text).
UNMET_FILL = "A6A6A6"
FLOOR_FILL = "262626"
HEADER_FILL = "D9D9D9"
_APPLICATION = "balance_lib.forms_excel"


def sheet_names(lang: str = "zh") -> dict[str, str]:
    """Sheet key → name: ``basics``, ``primary``, ``junior``, ``variation``, ``items``."""
    return {k: label(f"forms_sheet_{k}", lang)
            for k in ("basics", "primary", "junior", "variation", "items")}


def _styles() -> dict[str, Any]:
    from openpyxl.styles import Alignment, Font, PatternFill

    return {
        "title": Font(bold=True, size=14),
        "bold": Font(bold=True),
        "white": Font(bold=True, color="FFFFFF"),
        "header": PatternFill("solid", fgColor=HEADER_FILL),
        "unmet": PatternFill("solid", fgColor=UNMET_FILL),
        "floor": PatternFill("solid", fgColor=FLOOR_FILL),
        "wrap": Alignment(wrap_text=True, vertical="center"),
        "middle": Alignment(vertical="center"),
        "center": Alignment(horizontal="center", vertical="center", wrap_text=True),
        "top": Alignment(wrap_text=True, vertical="top"),
    }


def _title(ws: Any, text: str, n_cols: int, st: dict[str, Any]) -> None:
    _put(ws, 1, 1, text)
    ws.cell(row=1, column=1).font = st["title"]
    if n_cols > 1:
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=n_cols)
    ws.row_dimensions[1].height = 24


def _header_row(ws: Any, row: int, texts: list[str], st: dict[str, Any]) -> None:
    for j, text in enumerate(texts, start=1):
        _put(ws, row, j, text)
        c = ws.cell(row=row, column=j)
        c.font, c.fill, c.alignment = st["bold"], st["header"], st["center"]


def _widths(ws: Any, widths: list[float]) -> None:
    from openpyxl.utils import get_column_letter

    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = w


def _page_header(forms: Forms, sheet: str, lang: str) -> str:
    return label("forms_page_header", lang, county=forms.name, year=forms.year, sheet=sheet)


# ---------------------------------------------------------------------------------------------
# 表1 基本情况


def _basics_sheet(wb: Any, forms: Forms, lang: str, st: dict[str, Any]) -> None:
    name = sheet_names(lang)["basics"]
    ws = wb.create_sheet(name)
    _title(ws, label("forms_title_basics", lang, county=forms.name, year=forms.year), 4, st)
    row = 3
    # the answer first
    _put(ws, row, 1, label("forms_verdict", lang))
    ws.cell(row=row, column=1).font = st["bold"]
    _put(ws, row, 2, status_label(forms.verdict, lang))
    ws.cell(row=row, column=2).font = st["bold"]
    ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=4)
    row += 1
    _put(ws, row, 1, label("forms_units_passing", lang))
    _put(ws, row, 2, label("forms_units_passing_text", lang, n=forms.n_units,
                           passing=forms.n_passing))
    ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=4)
    for k, reason in enumerate(forms.reasons):
        row += 1
        if k == 0:
            _put(ws, row, 1, label("forms_reason", lang))
        _put(ws, row, 2, reason)
        ws.cell(row=row, column=2).alignment = st["top"]
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=4)
    if forms.population is not None:
        row += 1
        _put(ws, row, 1, label("forms_population", lang))
        _put(ws, row, 2, float(forms.population), COUNT_FORMAT)
    # schools by type
    row += 2
    first = row
    _header_row(ws, row, [label(k, lang) for k in ("forms_h_type", "forms_h_schools",
                                                   "forms_h_private")], st)
    counts = forms.school_counts.set_index("school_type")
    for t in SCHOOL_TYPES:
        row += 1
        _put(ws, row, 1, label(f"forms_type_{t}", lang))
        _put(ws, row, 2, int(counts.loc[t, "schools"]), COUNT_FORMAT)
        _put(ws, row, 3, int(counts.loc[t, "private"]), COUNT_FORMAT)
    row += 1
    n_tp, n_tp_units = forms.teaching_points
    _put(ws, row, 1, label("forms_type_teaching_point", lang,
                           n=n_tp_units, minimum=forms.tp_min_students))
    _put(ws, row, 2, n_tp, COUNT_FORMAT)
    row += 1
    _put(ws, row, 1, label("forms_total_schools", lang))
    ws.cell(row=row, column=1).font = st["bold"]
    _put(ws, row, 2, int(counts["schools"].sum()), COUNT_FORMAT)
    _put(ws, row, 3, int(counts["private"].sum()), COUNT_FORMAT)
    thin_borders(ws, first, row, 1, 3)
    # per level
    row += 2
    first = row
    _header_row(ws, row, [label("forms_h_item", lang), *(level_label(lv, lang) for lv in LEVELS),
                          label("forms_h_total", lang)], st)
    for rec in forms.level_facts.itertuples(index=False):
        row += 1
        _put(ws, row, 1, label(f"forms_fact_{rec.item}", lang))
        for j, lv in enumerate([*LEVELS, "total"], start=2):
            v = getattr(rec, lv)
            if v is not None and np.isfinite(v):
                _put(ws, row, j, float(v), COUNT_FORMAT)
    thin_borders(ws, first, row, 1, 4)
    row += 2
    _put(ws, row, 1, label("forms_basics_note", lang, minimum=forms.tp_min_students))
    ws.cell(row=row, column=1).alignment = st["top"]
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=4)
    ws.row_dimensions[row].height = 45
    _widths(ws, [54, 16, 16, 16])
    for r in range(3, first):
        ws.cell(row=r, column=1).alignment = st["top"]
    fit_row_heights(ws, 3, row)
    print_setup(ws, header=_page_header(forms, name, lang), lang=lang, one_page=True)


# ---------------------------------------------------------------------------------------------
# 表2-1 / 表2-2


def _units_sheet(wb: Any, forms: Forms, level: str, lang: str, st: dict[str, Any]) -> None:
    reg = forms.registry
    ids = forms.indicator_ids
    name = sheet_names(lang)[level]
    ws = wb.create_sheet(name)
    units = forms.units[level]
    n_cols = 4 + len(ids) + 2
    _title(ws, label("forms_title_units", lang, county=forms.name, year=forms.year,
                     level=level_label(level, lang)), n_cols, st)
    # legend (row 2)
    _put(ws, 2, 1, label("forms_legend", lang))
    ws.cell(row=2, column=1).font = st["bold"]
    _put(ws, 2, 2, label("forms_legend_unmet", lang))
    ws.cell(row=2, column=2).fill = st["unmet"]
    _put(ws, 2, 3, label("forms_legend_floor", lang, floor=f"{reg.floor_ratio:.0%}"))
    c = ws.cell(row=2, column=3)
    c.fill, c.font = st["floor"], st["white"]
    _put(ws, 2, 4, label("forms_legend_pass", lang, floor=f"{reg.floor_ratio:.0%}",
                         min_met=reg.min_met))
    ws.merge_cells(start_row=2, start_column=4, end_row=2, end_column=n_cols)
    for j in range(1, n_cols + 1):
        ws.cell(row=2, column=j).alignment = st["wrap"]
    ws.row_dimensions[2].height = 30
    # two header rows
    top = [label("forms_h_no", lang), label("forms_h_school_id", lang),
           label("forms_h_school", lang), label("forms_h_students", lang)]
    top += [label("forms_h_value_top", lang, id=i, name=reg.indicator(i).short(lang),
                  unit=reg.indicator(i).unit(lang)) for i in ids]
    top += [label("forms_h_met_count", lang), label("forms_h_passes", lang)]
    _header_row(ws, 3, top, st)
    second = ["", "", "", label("forms_h_persons", lang)]
    second += [label("forms_h_standard", lang, threshold=_threshold_text(forms, i, level))
               for i in ids]
    second += ["", ""]
    _header_row(ws, 4, second, st)
    for j, text in enumerate(second, start=1):
        if text == "":
            ws.merge_cells(start_row=3, start_column=j, end_row=4, end_column=j)
    ws.row_dimensions[3].height = 46
    ws.row_dimensions[4].height = 18
    # rows
    formats = [value_format(i, reg) for i in ids]
    size = reg.school_rule_size()
    row = 4
    for k, u in enumerate(units.to_dict("records"), start=1):
        row += 1
        _put(ws, row, 1, k, COUNT_FORMAT)
        _put(ws, row, 2, u["school_id"])
        _put(ws, row, 3, u["name"])
        _put(ws, row, 4, float(u["students"]), COUNT_FORMAT)
        for j, (i, f) in enumerate(zip(ids, formats, strict=True), start=5):
            _put(ws, row, j, float(u[f"value_{i}"]), f)
            cell = ws.cell(row=row, column=j)
            if not u[f"floor_met_{i}"]:
                cell.fill, cell.font = st["floor"], st["white"]
            elif not u[f"met_{i}"]:
                cell.fill = st["unmet"]
        _put(ws, row, 5 + len(ids), f"{int(u['met_count'])}/{size}")
        ws.cell(row=row, column=5 + len(ids)).alignment = st["center"]
        if u["passes"]:
            _put(ws, row, 6 + len(ids), 1)
            ws.cell(row=row, column=6 + len(ids)).alignment = st["center"]
        for j in (1, 2, 4, *range(5, 5 + len(ids))):
            ws.cell(row=row, column=j).alignment = st["middle"]
        ws.cell(row=row, column=3).alignment = st["wrap"]
    row += 1
    _put(ws, row, 3, label("forms_total_units", lang, n=len(units)))
    ws.cell(row=row, column=3).font = st["bold"]
    _put(ws, row, 4, float(units["students"].sum()), COUNT_FORMAT)
    _put(ws, row, 6 + len(ids), int(units["passes"].sum()), COUNT_FORMAT)
    ws.cell(row=row, column=6 + len(ids)).font = st["bold"]
    ws.cell(row=row, column=6 + len(ids)).alignment = st["center"]
    thin_borders(ws, 3, row, 1, n_cols)
    _widths(ws, [6, 13, 26, 10, *([11] * len(ids)), 9, 10])
    fit_row_heights(ws, 5, row)
    ws.freeze_panes = "E5"
    print_setup(ws, header=_page_header(forms, name, lang), title_rows=(3, 4), lang=lang)


def _threshold_text(forms: Forms, indicator_id: str, level: str) -> str:
    reg = forms.registry
    ind = reg.indicator(indicator_id)
    return label(f"sym_{ind.direction}", "zh") + value_text(ind.threshold(level), indicator_id,
                                                           reg)


# ---------------------------------------------------------------------------------------------
# 表3 校际均衡


def _variation_sheet(wb: Any, forms: Forms, lang: str, st: dict[str, Any]) -> None:
    reg = forms.registry
    name = sheet_names(lang)["variation"]
    ws = wb.create_sheet(name)
    heads = [label(k, lang) for k in ("forms_h_level", "forms_h_indicator", "forms_h_name",
                                      "forms_h_unit", "forms_h_n_units", "forms_h_county_value",
                                      "forms_h_threshold", "forms_h_cv", "forms_h_limit",
                                      "forms_h_cv_met")]
    _title(ws, label("forms_title_variation", lang, county=forms.name, year=forms.year),
           len(heads), st)
    _put(ws, 2, 1, label("forms_variation_note", lang,
                         primary=limit_text(reg.cv_limit("primary"), reg),
                         junior=limit_text(reg.cv_limit("junior"), reg)))
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(heads))
    ws.cell(row=2, column=1).alignment = st["wrap"]
    ws.row_dimensions[2].height = 30
    _header_row(ws, 3, heads, st)
    row = 3
    for v in forms.variation.to_dict("records"):
        row += 1
        f = value_format(v["indicator"], reg)
        cells = [level_label(v["level"], lang), v["indicator"], v["name"], v["unit"]]
        for j, text in enumerate(cells, start=1):
            _put(ws, row, j, text)
        _put(ws, row, 5, int(v["n_units"]), COUNT_FORMAT)
        _put(ws, row, 6, v["county_value"], f)
        _put(ws, row, 7, v["threshold"], f)
        _put(ws, row, 8, v["cv"], cv_format(forms.settings))
        _put(ws, row, 9, v["limit"], limit_format(reg))
        _put(ws, row, 10, status_label("met" if v["met"] else "not_met", lang))
        for j in range(1, len(heads) + 1):
            ws.cell(row=row, column=j).alignment = st["wrap"] if j == 3 else st["middle"]
        if not v["met"]:
            for j in (8, 10):
                ws.cell(row=row, column=j).fill = st["unmet"]
    thin_borders(ws, 3, row, 1, len(heads))
    _widths(ws, [7, 7, 40, 14, 10, 12, 12, 10, 8, 10])
    fit_row_heights(ws, 4, row)
    ws.freeze_panes = "A4"
    print_setup(ws, header=_page_header(forms, name, lang), title_rows=(3, 3), lang=lang)


# ---------------------------------------------------------------------------------------------
# 表4 其他指标与一票否决


def _items_sheet(wb: Any, forms: Forms, lang: str, st: dict[str, Any]) -> None:
    reg = forms.registry
    name = sheet_names(lang)["items"]
    ws = wb.create_sheet(name)
    heads = [label(k, lang) for k in ("forms_h_indicator", "forms_h_group", "forms_h_name",
                                      "forms_h_status", "forms_h_value", "forms_h_threshold",
                                      "forms_h_detail", "forms_h_responsible")]
    _title(ws, label("forms_title_items", lang, county=forms.name, year=forms.year),
           len(heads), st)
    _header_row(ws, 2, heads, st)
    row = 2
    for it in forms.items.to_dict("records"):
        row += 1
        veto = it["kind"] == "veto"
        group = label("forms_group_veto", lang) if veto else reg.groups[it["group"]][lang]
        _put(ws, row, 1, it["id"])
        _put(ws, row, 2, group)
        _put(ws, row, 3, it["name"])
        _put(ws, row, 4, status_label(it["status"], lang))
        if not veto:
            f = value_format(it["id"], reg)
            _put(ws, row, 5, it["value"], f)
            _put(ws, row, 6, it["threshold"], f)
        _put(ws, row, 7, it["detail"])
        _put(ws, row, 8, it["responsible"])
        if it["status"] in ("not_met", "triggered"):
            ws.cell(row=row, column=4).fill = st["unmet"]
        for j in (2, 3, 7, 8):
            ws.cell(row=row, column=j).alignment = st["top"]
        for j in (1, 4, 5, 6):
            ws.cell(row=row, column=j).alignment = st["top"]
    thin_borders(ws, 2, row, 1, len(heads))
    _widths(ws, [6, 10, 30, 9, 10, 10, 56, 26])
    fit_row_heights(ws, 3, row)
    ws.freeze_panes = "A3"
    print_setup(ws, header=_page_header(forms, name, lang), title_rows=(2, 2), lang=lang)


# ---------------------------------------------------------------------------------------------


def forms_bytes(forms: Forms, *, lang: str = "zh", note: str | None = None) -> bytes:
    """The ``.xlsx`` file as bytes (see the module docstring)."""
    from openpyxl import Workbook

    check_lang(lang)
    st = _styles()
    wb = Workbook()
    wb.remove(wb.active)
    _basics_sheet(wb, forms, lang, st)
    for level in LEVELS:
        _units_sheet(wb, forms, level, lang, st)
    _variation_sheet(wb, forms, lang, st)
    _items_sheet(wb, forms, lang, st)
    if note:  # the synthetic-data note under every table, wrapped within its width
        for ws in wb.worksheets:
            r, n_cols = ws.max_row + 2, ws.max_column
            _put(ws, r, 1, note)
            c = ws.cell(row=r, column=1)
            c.font, c.alignment = st["bold"], st["top"]
            if n_cols > 1:
                ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=n_cols)
            fit_row_heights(ws, r, r)
    props = wb.properties
    props.creator = _APPLICATION
    props.lastModifiedBy = _APPLICATION
    props.title = label("forms_doc_title", lang, county=forms.name, year=forms.year)
    props.subject = label("forms_subject", lang, n=forms.n_units, passing=forms.n_passing,
                          verdict=status_label(forms.verdict, lang))
    props.description = note or ""
    return stable_workbook_bytes(wb, dt.datetime(forms.year, 9, 1), _APPLICATION)


__all__ = ["FLOOR_FILL", "UNMET_FILL", "forms_bytes", "sheet_names"]
