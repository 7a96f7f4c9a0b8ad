"""Ledger files: the 问题台账 as an ``.xlsx`` workbook or one ``.csv`` — the only writer of them.

:func:`write_ledger` renders :class:`balance_lib.ledger.LedgerFrames` for people: Chinese
headers (:data:`HEADERS_ZH`), statuses as "未销号" / "2024年已销号", indicator names from the
registry.

``.xlsx`` (recommended, printable)
    Sheets: ``汇总（按责任单位）`` (the title, the one count of the ledger —
    :func:`balance_lib.ledger.count_line`, "49 条未销号、96 条已销号；2022–2025 年共 386 条记录" —,
    the data note, then the departments with open problems first, then those with everything
    closed, each with what is open in the last year, open without a record and closed in the
    period; the departments without any problem named in one line; then the counts per year),
    one sheet per year (``"2022"`` …) with its rows **grouped by 责任单位** (the groups in the
    registry's order, within a group the county items, then by school, level and indicator;
    a heavier line between groups), ``未评估`` (items that could not be assessed, with the
    reason) and ``说明`` (the count, range, data note, rules of the ledger, settings). Every
    sheet prints landscape A4, one page wide, its header row repeated on every page, the
    ledger's title, the county and the sheet in the page header, page numbers in the footer
    (:mod:`balance_lib.sheetprint`); long texts wrap and rows are as high as their text. Every
    table sheet has its header row frozen and an auto filter over its data; numbers are numbers
    with a number format (thousands separators; ratios and CVs ``0.000``). Every text cell is
    stored as text (inline string), never as a formula, even when it begins with ``=``, ``+``,
    ``-`` or ``@`` (gap texts such as "+3 名…" do). The count is also the workbook's
    document subject, where the report index reads it.
``.csv``
    One table, UTF-8 with BOM (Excel opens the Chinese correctly), Chinese headers, all years:
    the shortfalls, then per year the not-assessed items (状态 "未评估"). When a data note is
    given it fills a last column "数据说明" on every row, so that any excerpt carries it. CSV has
    no cell types, and a spreadsheet program runs a cell that begins with "=", "+", "-", "@", a
    tab or a carriage return as a formula (CSV injection: ``=HYPERLINK(…)`` in a school name).
    Such a text cell is written with an apostrophe in front (``'+3 名…``), which Excel and WPS
    show as the text itself; numbers are written as numbers (``-3`` stays a number). Use
    ``.xlsx`` for people.

Files are written atomically (a temporary file in the same folder, then :func:`os.replace`;
nothing is left behind on error; missing folders are created) and deterministically: the same
frames give the same bytes (document properties and zip entry times are fixed to 1 September of
the last year of the ledger).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import unicodedata
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import formats
from .atomic import write_atomic
from .ledger import OPEN, LedgerFrames, count_line, responsible_units
from .registry import Registry, load_registry
from .words import label, labels, level_label
from .safetext import cell, csv_cell



def headers(lang: str = "zh") -> dict[str, str]:
    """Canonical column -> header in ``lang`` (the render edge; frames keep canonical names)."""
    return labels("ledger_col_", lang)


def sheet_name(kind: str, lang: str = "zh") -> str:
    """``summary``, ``not_assessed`` or ``notes``."""
    return label(f"ledger_sheet_{kind}", lang)


HEADERS_ZH = headers("zh")
HEADERS_EN = headers("en")
HEADERS = {"zh": HEADERS_ZH, "en": HEADERS_EN}

#: Columns of a year sheet and of the CSV (``county_id`` only when a county is named).
LEDGER_SHEET_COLUMNS = ["county_id", "year", "indicator", "indicator_name", "scope", "school_id",
                        "school_name", "level", "value", "threshold", "gap_text", "responsible",
                        "first_seen", "status", "note", "detail"]
NOT_ASSESSED_SHEET_COLUMNS = ["county_id", "year", "indicator", "indicator_name", "scope",
                              "school_id", "school_name", "level", "responsible", "detail"]
#: Columns of a year sheet of the workbook (printed): grouped by 责任单位, the year is the
#: sheet's (the CSV keeps :data:`LEDGER_SHEET_COLUMNS`).
YEAR_SHEET_COLUMNS = ["county_id", "responsible", "school_name", "school_id", "level",
                      "indicator", "indicator_name", "value", "threshold", "gap_text",
                      "first_seen", "status", "note", "detail"]
#: Printed column widths (characters; CJK characters count double) and the wrapped columns.
PRINT_WIDTHS = {"county_id": 9, "year": 6, "responsible": 18, "school_name": 16,
                "school_id": 12, "level": 6, "indicator": 6, "indicator_name": 20, "scope": 10,
                "value": 10, "threshold": 10, "gap_text": 20, "first_seen": 9, "status": 12,
                "note": 16, "detail": 40, "department": 22, "open_shortfalls": 12,
                "indicators": 34, "open_without_record": 14, "closed_in_range": 12,
                "shortfalls": 12, "opened": 12, "carried_over": 12, "closed": 12,
                "not_assessed": 12}
WRAPPED = {"responsible", "school_name", "indicator_name", "gap_text", "note", "detail",
           "status", "scope", "department", "indicators"}

FMT_INT = formats.excel_format(0)
FMT_DEC = formats.excel_format(2)
FMT_RATIO = formats.excel_format(3, thousands=False)
FMT_YEAR = "0"
MAX_WIDTH = 60
MIN_WIDTH = 6
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _check_lang(lang: str) -> str:
    if lang not in HEADERS:
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    return lang


def status_label(status: str, lang: str = "zh") -> str:
    """``"open"`` -> 未销号, ``"closed in 2024"`` -> 2024年已销号 (English: open, closed in 2024).

    >>> status_label("closed in 2024"), status_label("open"), status_label("open", "en")
    ('2024年已销号', '未销号', 'open')
    """
    if status == OPEN:
        return label("ledger_open", lang)
    m = re.fullmatch(r"closed in (\d+)", status)
    return label("ledger_closed", lang, year=m.group(1)) if m else status


def _indicator_name(indicator: str, scope: str, registry: Registry, lang: str) -> str:
    if indicator.startswith("V"):
        return registry.veto(indicator).label(lang)
    name = registry.indicator(indicator).label(lang)
    if scope == "variation":
        name += label("ledger_cv_suffix", lang)
    return name


def value_format(indicator: str, scope: str, registry: Registry,
                 cv_decimals: int = 3) -> str:
    """Number format of the value and standard of one row: the decimals the reports and the
    terminal show for the indicator (:func:`balance_lib.formats.indicator_excel_format`; a
    CV row: ``cv_decimals``), so a cell reads as the same text everywhere.

    >>> reg = load_registry()
    >>> value_format("B6", "unit", reg), value_format("B4", "unit", reg), value_format("B16", "county", reg)
    ('#,##0', '#,##0.00', '0.0%')
    >>> value_format("B5", "variation", reg)
    '0.000'
    """
    if scope == "variation":
        return formats.excel_format(cv_decimals, thousands=False)
    if indicator.startswith("V"):
        return "General"
    return formats.indicator_excel_format(registry.indicator(indicator), registry)


def _render(frame: pd.DataFrame, columns: list[str], registry: Registry, lang: str,
            with_county: bool, cv_decimals: int = 3) -> pd.DataFrame:
    """Canonical rows -> display rows (labels in ``lang``; numbers stay numbers)."""
    out = frame.reset_index(drop=True).copy()
    out["indicator_name"] = [_indicator_name(i, s, registry, lang)
                             for i, s in zip(out["indicator"], out["scope"], strict=True)]
    out["_format"] = [value_format(i, s, registry, cv_decimals)
                      for i, s in zip(out["indicator"], out["scope"], strict=True)]
    out["scope"] = out["scope"].map(labels("ledger_scope_", lang)).fillna(out["scope"])
    out["level"] = [level_label(lv, lang) if lv else "" for lv in out["level"]]
    if "status" in columns and "status" in out:
        out["status"] = out["status"].map(lambda s: status_label(s, lang))
    for col in columns:
        if col not in out:
            out[col] = ""
    cols = [c for c in columns if with_county or c != "county_id"]
    return out[[*cols, "_format"]]


def ledger_table(frames: LedgerFrames, *, lang: str = "zh", registry: Registry | None = None,
                 include_not_assessed: bool = False, grouped: bool = False) -> pd.DataFrame:
    """The ledger as people read it (canonical column names; see :data:`HEADERS_ZH`).

    With ``include_not_assessed`` the not-assessed items follow each year's shortfalls with
    状态 "未评估" (what the CSV holds). ``grouped``: the rows of the workbook's year sheets
    (:data:`YEAR_SHEET_COLUMNS` and ``year``), grouped by 责任单位 (:func:`by_department`). A column ``_format`` gives the number format of
    ``value``/``threshold``.
    """
    lang = _check_lang(lang)
    registry = registry or load_registry()
    with_county = _with_county(frames)
    cv_decimals = frames.settings.cv_display_decimals if frames.settings is not None else 3
    rows = frames.ledger
    if grouped:
        rows = by_department(rows, registry)
        return _render(rows, ["year", *YEAR_SHEET_COLUMNS], registry, lang, True, cv_decimals)
    table = _render(rows, LEDGER_SHEET_COLUMNS, registry, lang, with_county, cv_decimals)
    if include_not_assessed and len(frames.not_assessed):
        na = frames.not_assessed.assign(status="", first_seen=pd.NA, note="")
        na = _render(na, LEDGER_SHEET_COLUMNS, registry, lang, with_county, cv_decimals)
        na["status"] = label("status_not_assessed", lang)
        table = table.assign(_part=0)
        na = na.assign(_part=1)
        parts = [p for p in (table, na) if len(p)]
        table = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        table = table.sort_values(["year", "_part"], kind="stable").drop(columns="_part")
        table = table.reset_index(drop=True)
    return table


def by_department(frame: pd.DataFrame, registry: Registry) -> pd.DataFrame:
    """Rows grouped by 责任单位 for people: the groups in the order their departments first
    appear in the registry (B1 … B32, then the vetoes), within a group the county items first,
    then by school, level and indicator.

    >>> rows = pd.DataFrame({"county_id": "", "responsible": ["市教育局", "市财政局、市教育局",
    ...     "市教育局"], "school_id": ["S2", "S1", ""], "level": ["primary", "", ""],
    ...     "indicator": ["B12", "B13", "B12"]})
    >>> by_department(rows, load_registry())["school_id"].tolist()
    ['S1', '', 'S2']
    """
    order = registry.order
    first: dict[str, int] = {}
    for ind in [*registry.indicators]:
        first.setdefault("、".join(ind.responsible_units), len(first))
    for v in registry.vetoes:
        first.setdefault("、".join(responsible_units(v.id, registry)), len(first))
    group = frame["responsible"].map(first).fillna(len(first)).astype(int)
    level = frame["level"].map({"": 0, "primary": 1, "junior": 2}).fillna(3).astype(int)
    keyed = frame.assign(_g=group.to_numpy(), _s=(frame["school_id"].astype(str) != "").to_numpy(),
                         _i=frame["indicator"].map(order).fillna(len(order)).astype(int),
                         _l=level.to_numpy())
    keyed = keyed.sort_values(["county_id", "_g", "responsible", "_s", "school_id", "_l", "_i"],
                              kind="stable")
    return keyed.drop(columns=["_g", "_s", "_i", "_l"]).reset_index(drop=True)


def _with_county(frames: LedgerFrames) -> bool:
    ids = pd.concat([frames.ledger["county_id"], frames.not_assessed["county_id"]])
    return bool((ids.astype(str) != "").any())


# ---------------------------------------------------------------------------------------------
# cells


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, (float, np.floating)) and math.isnan(value)


def _clean_text(text: str) -> str:
    """Text with the control characters a worksheet cannot hold made visible (``\\x1b``)."""
    return _ILLEGAL.sub(lambda m: cell(m.group(0)), text)


def _put(ws, row: int, col: int, value: Any, number_format: str | None = None) -> None:
    """One cell: numbers as numbers (with ``number_format``), any text as text, never a formula."""
    if _missing(value) or (isinstance(value, str) and value == ""):
        return
    cell = ws.cell(row=row, column=col)
    if isinstance(value, (bool, np.bool_)):
        cell.value = bool(value)
    elif isinstance(value, (int, np.integer)):
        cell.value = int(value)
        if number_format:
            cell.number_format = number_format
    elif isinstance(value, (float, np.floating)):
        cell.value = float(value)
        if number_format:
            cell.number_format = number_format
    else:
        text = _clean_text(str(value))
        if text == "":
            return
        cell.value = text
        cell.data_type = "s"  # "=…" would otherwise become a formula


def _text_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def shown(value: Any, number_format: str | None) -> str:
    """The text a spreadsheet shows for ``value`` in ``number_format`` (the formats written
    here: ``#,##0.00``, ``0.000``, ``0.0%``, …): what :mod:`balance_lib.formats` prints.

    >>> shown(0.1865001, "0.000"), shown(3115.545, "#,##0"), shown(0.955, "0.0%")
    ('0.187', '3,116', '95.5%')
    """
    if _missing(value):
        return ""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        fmt = number_format or FMT_DEC
        if fmt == "General":
            return formats.number(value, 2, thousands=False).rstrip("0").rstrip(".")
        percent = fmt.endswith("%")
        body = fmt.rstrip("%")
        decimals = len(body.split(".")[1]) if "." in body else 0
        x = float(value) * 100 if percent else float(value)
        return formats.number(x, decimals, thousands="," in body) + ("%" if percent else "")
    return str(value)


def _write_table(ws, frame: pd.DataFrame, headers: dict[str, str], start_row: int = 1,
                 formats: dict[str, str] | None = None, widths: dict[int, int] | None = None,
                 ) -> tuple[int, int]:
    """Header and rows from ``start_row``; returns (last row, number of columns)."""
    from openpyxl.styles import Font, PatternFill

    formats = formats or {}
    widths = widths if widths is not None else {}
    columns = [c for c in frame.columns if c != "_format"]
    row_formats = frame["_format"].tolist() if "_format" in frame else None
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for j, col in enumerate(columns, start=1):
        label = headers.get(col, col)
        _put(ws, start_row, j, label)
        cell = ws.cell(row=start_row, column=j)
        cell.font, cell.fill = bold, fill
        widths[j] = max(widths.get(j, 0), _text_width(label))
    values = frame[columns].to_numpy(dtype=object)
    for i, row in enumerate(values):
        r = start_row + 1 + i
        for j, (col, value) in enumerate(zip(columns, row, strict=True), start=1):
            fmt = formats.get(col)
            if col in ("value", "threshold") and row_formats is not None:
                fmt = row_formats[i]
            _put(ws, r, j, value, fmt)
            widths[j] = max(widths.get(j, 0), _text_width(shown(value, fmt)))
    return start_row + len(values), len(columns)


def _finish(ws, widths: dict[int, int], filter_rows: tuple[int, int] | None, n_cols: int,
            freeze: str = "A2") -> None:
    from openpyxl.utils import get_column_letter

    for j, w in widths.items():
        ws.column_dimensions[get_column_letter(j)].width = min(MAX_WIDTH, max(MIN_WIDTH, w + 2))
    ws.freeze_panes = freeze
    if filter_rows is not None and n_cols:
        first, last = filter_rows
        ws.auto_filter.ref = f"A{first}:{get_column_letter(n_cols)}{last}"


def _print_columns(ws, columns: list[str], header_row: int, last_row: int) -> None:
    """Printed widths for the known columns, long texts wrapped, rows as high as their text."""
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    from .sheetprint import fit_row_heights, thin_borders

    wrap = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")
    head = Alignment(wrap_text=True, vertical="center", horizontal="center")
    for j, col in enumerate(columns, start=1):
        if col in PRINT_WIDTHS:
            ws.column_dimensions[get_column_letter(j)].width = PRINT_WIDTHS[col]
        ws.cell(row=header_row, column=j).alignment = head
        for r in range(header_row + 1, last_row + 1):
            ws.cell(row=r, column=j).alignment = wrap if col in WRAPPED else top
    if columns:
        thin_borders(ws, header_row, last_row, 1, len(columns))
    fit_row_heights(ws, header_row, last_row)


def _group_lines(ws, frame: pd.DataFrame, first_row: int, n_cols: int) -> None:
    """A heavier line above the first row of each 责任单位 group."""
    from openpyxl.styles import Border, Side

    heavy = Side(style="medium", color="000000")
    thin = Side(style="thin", color="808080")
    groups = frame["responsible"].astype(str).to_numpy()
    for k in range(1, len(groups)):
        if groups[k] != groups[k - 1]:
            for j in range(1, n_cols + 1):
                c = ws.cell(row=first_row + k, column=j)
                c.border = Border(left=thin, right=thin, bottom=thin, top=heavy)


_TABLE_FORMATS = {"year": FMT_YEAR, "first_seen": FMT_YEAR, "open_shortfalls": FMT_INT,
                  "open_without_record": FMT_INT, "closed_in_range": FMT_INT,
                  "shortfalls": FMT_INT, "opened": FMT_INT, "carried_over": FMT_INT,
                  "closed": FMT_INT, "not_assessed": FMT_INT}


# ---------------------------------------------------------------------------------------------
# the 说明 sheet


def _setting_text(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {_setting_text(v)}" for k, v in value.items()) + "}"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _notes_rows(frames: LedgerFrames, lang: str, note: str | None,
                generated_at: dt.datetime | None) -> list[tuple[str, str]]:
    a, b = frames.year_from, frames.year_to
    w = lambda key, **f: label(f"ledger_note_{key}", lang, **f)  # noqa: E731
    rows: list[tuple[str, str]] = [(w("ledger"), w("ledger_text")), (w("range"), f"{a}–{b}")]
    if note:
        rows.append((w("data"), note))
    rows += [
        (w("items"), w("items_all") if frames.includes_indicators else w("items_units")),
        (w("sheets"), w("sheets_text", summary=sheet_name("summary", lang), last=b, first=a,
                        not_assessed=sheet_name("not_assessed", lang))),
        *[(w(k), w(f"{k}_text")) for k in ("first_seen", "closing", "no_record",
                                             "not_assessed", "responsible", "gap", "formats")],
    ]
    if generated_at is not None:
        rows.append((w("generated"), generated_at.strftime("%Y-%m-%d %H:%M")))
    else:
        rows.append((w("generated"), w("generated_none", year=b)))
    s = frames.settings
    if s is not None:
        rows.append((w("settings_source"), str(getattr(s, "source", ""))))
        for field in s.__dataclass_fields__:
            if field == "source":
                continue
            rows.append((w("setting", name=field), _setting_text(getattr(s, field))))
    else:
        rows.append((w("settings"), w("settings_none")))
    return rows


# ---------------------------------------------------------------------------------------------
# workbook and CSV bytes


def _stamp(frames: LedgerFrames) -> dt.datetime:
    return dt.datetime(int(frames.year_to), 9, 1, 0, 0, 0)


def _ledger_title(frames: LedgerFrames, lang: str, name: str | None) -> tuple[str, str]:
    title = label("ledger_title", lang, first=frames.year_from, last=frames.year_to)
    county = label("ledger_county_part", lang, county=name) if name else ""
    return title, county


def workbook_bytes(frames: LedgerFrames, *, lang: str = "zh", note: str | None = None,
                   registry: Registry | None = None,
                   generated_at: dt.datetime | None = None, name: str | None = None) -> bytes:
    """The ``.xlsx`` file as bytes (see the module docstring for its sheets); ``name``: the
    county's name in the titles and page headers."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    from .sheetprint import print_setup

    lang = _check_lang(lang)
    registry = registry or load_registry()
    headers = HEADERS[lang]
    with_county = _with_county(frames)
    title, county = _ledger_title(frames, lang, name)
    line = count_line(frames.count, lang)
    wb = Workbook()
    bold, big = Font(bold=True), Font(bold=True, size=14)
    wrap = Alignment(wrap_text=True, vertical="top")

    def setup(ws, title_rows: tuple[int, int] | None) -> None:
        print_setup(ws, header=label("ledger_page_header", lang, title=title, county=county,
                                     sheet=ws.title), title_rows=title_rows, lang=lang)

    # 汇总（按责任单位）: the count, the departments with problems, the quiet ones, per year
    ws = wb.active
    ws.title = sheet_name("summary", lang)
    _put(ws, 1, 1, label("ledger_summary_title", lang, title=title, county=county))
    ws.cell(row=1, column=1).font = big
    _put(ws, 2, 1, line)
    ws.cell(row=2, column=1).font = bold
    row = 3
    if note:
        _put(ws, row, 1, headers["data_note"] + label("colon", lang) + note)
        row += 1
    row += 1
    _put(ws, row, 1, label("ledger_summary_departments", lang))
    ws.cell(row=row, column=1).font = bold
    dept = frames.by_department
    busy = dept[(dept["open_shortfalls"] + dept["open_without_record"]
                 + dept["closed_in_range"]) > 0]
    quiet = [d for d in dept["department"] if d not in set(busy["department"])]
    dept_headers = dict(headers)
    dept_headers["open_shortfalls"] = label("ledger_open_in_year", lang, year=frames.year_to,
                                            what=headers["open_shortfalls"])
    head_row = row + 1
    widths: dict[int, int] = {}
    last, n_cols = _write_table(ws, busy, dept_headers, head_row, _TABLE_FORMATS, widths)
    for r in range(1, head_row):  # the texts above the table wrap within its width
        if ws.cell(row=r, column=1).value is not None:
            ws.cell(row=r, column=1).alignment = wrap
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=n_cols)
    filter_rows = (head_row, max(last, head_row))
    _print_columns(ws, list(busy.columns), head_row, last)
    row = last + 1
    if quiet:
        row += 1
        _put(ws, row, 1, label("ledger_quiet_departments", lang, n=len(quiet),
                               names=label("list_sep", lang).join(quiet)))
        ws.cell(row=row, column=1).alignment = wrap
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=n_cols)
    row += 2
    _put(ws, row, 1, label("ledger_per_year", lang, first=frames.year_from, last=frames.year_to))
    ws.cell(row=row, column=1).font = bold
    year_head = row + 1
    last, _ = _write_table(ws, frames.by_year, headers, year_head, _TABLE_FORMATS, widths)
    _finish(ws, widths, filter_rows, n_cols, freeze=f"A{head_row + 1}")
    _print_columns(ws, list(frames.by_year.columns), year_head, last)
    _print_columns(ws, list(busy.columns), head_row, filter_rows[1])  # its widths win
    from .sheetprint import fit_row_heights

    fit_row_heights(ws, 1, head_row - 1)
    setup(ws, (head_row, head_row))

    # one sheet per year, grouped by 责任单位
    table = ledger_table(frames, lang=lang, registry=registry, grouped=True)
    columns = [c for c in YEAR_SHEET_COLUMNS if with_county or c != "county_id"]
    for year in range(frames.year_from, frames.year_to + 1):
        ws = wb.create_sheet(str(year))
        part = table[table["year"] == year]
        widths = {}
        last, n_cols = _write_table(ws, part[[*columns, "_format"]], headers, 1,
                                    _TABLE_FORMATS, widths)
        _finish(ws, widths, (1, max(last, 1)), n_cols)
        _print_columns(ws, columns, 1, last)
        _group_lines(ws, part, 2, n_cols)
        setup(ws, (1, 1))

    # 未评估
    ws = wb.create_sheet(sheet_name("not_assessed", lang))
    na = _render(frames.not_assessed, NOT_ASSESSED_SHEET_COLUMNS, registry, lang, with_county)
    widths = {}
    last, n_cols = _write_table(ws, na, headers, 1, _TABLE_FORMATS, widths)
    _finish(ws, widths, (1, max(last, 1)), n_cols)
    _print_columns(ws, [c for c in na.columns if c != "_format"], 1, last)
    setup(ws, (1, 1))

    # 说明
    ws = wb.create_sheet(sheet_name("notes", lang))
    rows = _notes_rows(frames, lang, note, generated_at)
    rows.insert(0, (label("ledger_note_count", lang), line))
    key_width = 0
    for i, (key, text) in enumerate(rows, start=1):
        _put(ws, i, 1, key)
        _put(ws, i, 2, text)
        ws.cell(row=i, column=1).font = bold
        ws.cell(row=i, column=1).alignment = Alignment(vertical="top")
        ws.cell(row=i, column=2).alignment = wrap
        key_width = max(key_width, _text_width(key))
    ws.column_dimensions["A"].width = min(MAX_WIDTH, key_width + 2)
    ws.column_dimensions["B"].width = 100
    from .sheetprint import fit_row_heights as _fit

    _fit(ws, 1, len(rows))
    setup(ws, None)

    props = wb.properties
    stamp = _stamp(frames)
    props.creator = "balance_lib.excel"
    props.lastModifiedBy = "balance_lib.excel"
    props.title = title + county
    props.subject = line
    props.description = note or ""
    return stable_workbook_bytes(wb, stamp, "balance_lib.excel")


def stable_workbook_bytes(wb: Any, stamp: dt.datetime, application: str) -> bytes:
    """The bytes of an openpyxl workbook, identical for identical content.

    Document properties and every zip entry get ``stamp`` instead of the clock, entries keep
    their order, attributes and compression are fixed, and the library version in
    ``docProps/app.xml`` is replaced by ``application``.
    """
    from openpyxl.writer.excel import ExcelWriter

    wb.properties.created = stamp
    wb.properties.modified = stamp
    raw = io.BytesIO()
    # ExcelWriter directly: openpyxl's save_workbook stamps ``modified`` with the clock
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()
    return stable_zip(raw.getvalue(), stamp, application)


def stable_zip(data: bytes, stamp: dt.datetime, application: str) -> bytes:
    """An Office file (a zip) rewritten so that identical content gives identical bytes:
    every entry dated ``stamp``, in its order, with fixed attributes and compression, and the
    library named in ``docProps/app.xml`` replaced by ``application``."""
    out = io.BytesIO()
    app = f"<Application>{application}</Application>".encode()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/app.xml":  # no library version in the file
                content = re.sub(rb"<Application>[^<]*</Application>", app, content)
            entry = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 3
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, content, compresslevel=6)
    return out.getvalue()


def _csv_value(value: Any) -> str:
    if _missing(value):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if float(value).is_integer():
            return str(int(value))
        text = f"{float(value):.6f}".rstrip("0").rstrip(".")
        return "0" if text == "-0" else text
    return csv_cell(str(value))


def csv_bytes(frames: LedgerFrames, *, lang: str = "zh", note: str | None = None,
              registry: Registry | None = None) -> bytes:
    """The ``.csv`` file as bytes: UTF-8 with BOM, CRLF line ends, formula-leading text cells
    escaped with an apostrophe (see the module notes)."""
    lang = _check_lang(lang)
    table = ledger_table(frames, lang=lang, registry=registry, include_not_assessed=True)
    table = table.drop(columns="_format")
    if note:
        table["data_note"] = note
    headers = HEADERS[lang]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([headers.get(c, c) for c in table.columns])
    for row in table.itertuples(index=False, name=None):
        writer.writerow([_csv_value(v) for v in row])
    return buf.getvalue().encode("utf-8-sig")


# ---------------------------------------------------------------------------------------------
# writing


def write_ledger(ledger_frames: LedgerFrames, path: str | Path, *, lang: str = "zh",
                 note: str | None = None, registry: Registry | None = None,
                 generated_at: dt.datetime | None = None, name: str | None = None) -> Path:
    """Write the ledger to ``path`` (``.xlsx`` or ``.csv``, by its suffix); returns the path.

    Parameters
    ----------
    ledger_frames
        :func:`balance_lib.ledger.make_ledger` output.
    path
        Ends with ``.xlsx`` (workbook, recommended) or ``.csv`` (one table). Missing folders are
        created; the file appears complete or not at all.
    lang
        ``"zh"`` (default) or ``"en"``: headers, sheet names and statuses (the gap texts and
        details are those of ``ledger_frames``, made in its language); 责任单位 stay Chinese.
    note
        Data note shown in the 说明 sheet, under the summary and in the document properties (in
        a CSV: a last column "数据说明"); for the sample county the synthetic-data note.
    generated_at
        When given, written in the 说明 sheet (the file then differs from run to run).
    name
        The county's name in the titles and page headers.

    Raises
    ------
    ValueError
        Another suffix, or an unknown ``lang``.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        data = workbook_bytes(ledger_frames, lang=lang, note=note, registry=registry,
                              generated_at=generated_at, name=name)
    elif suffix == ".csv":
        data = csv_bytes(ledger_frames, lang=lang, note=note, registry=registry)
    else:
        raise ValueError(f"{path.name}: the ledger is written as .xlsx or .csv")
    return write_atomic(path, data)


__all__ = [
    "HEADERS_EN",
    "HEADERS_ZH",
    "csv_bytes",
    "ledger_table",
    "status_label",
    "workbook_bytes",
    "write_ledger",
]
