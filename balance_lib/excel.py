"""Ledger files: the 问题台账 as an ``.xlsx`` workbook or one ``.csv`` — the only writer of them.

:func:`write_ledger` renders :class:`balance_lib.ledger.LedgerFrames` for people: Chinese
headers (:data:`HEADERS_ZH`), statuses as "未销号" / "2024年已销号", indicator names from the
registry.

``.xlsx`` (recommended)
    Sheets: ``汇总（按责任单位）`` (open shortfalls per 责任单位 in the last year, then counts per
    year), one sheet per year (``"2022"`` …), ``未评估`` (items that could not be assessed, with
    the reason) and ``说明`` (range, data note, rules of the ledger, settings). Every table sheet
    has its header row frozen (``A2``) and an auto filter over its data; numbers are numbers with
    a number format (thousands separators; ratios and CVs ``0.000``); column widths follow the
    text (CJK characters count double, capped at 60). Every text cell is stored as text (inline
    string), never as a formula, even when it begins with ``=``, ``+``, ``-`` or ``@`` (gap texts
    such as "+3 名…" do).
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
from .ledger import OPEN, LedgerFrames
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
                 include_not_assessed: bool = False) -> pd.DataFrame:
    """The ledger as people read it (canonical column names; see :data:`HEADERS_ZH`).

    With ``include_not_assessed`` the not-assessed items follow each year's shortfalls with
    状态 "未评估" (what the CSV holds). A column ``_format`` gives the number format of
    ``value``/``threshold``.
    """
    lang = _check_lang(lang)
    registry = registry or load_registry()
    with_county = _with_county(frames)
    cv_decimals = frames.settings.cv_display_decimals if frames.settings is not None else 3
    table = _render(frames.ledger, LEDGER_SHEET_COLUMNS, registry, lang, with_county,
                    cv_decimals)
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


def _finish(ws, widths: dict[int, int], filter_rows: tuple[int, int] | None, n_cols: int) -> None:
    from openpyxl.utils import get_column_letter

    for j, w in widths.items():
        ws.column_dimensions[get_column_letter(j)].width = min(MAX_WIDTH, max(MIN_WIDTH, w + 2))
    ws.freeze_panes = "A2"
    if filter_rows is not None and n_cols:
        first, last = filter_rows
        ws.auto_filter.ref = f"A{first}:{get_column_letter(n_cols)}{last}"


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


def workbook_bytes(frames: LedgerFrames, *, lang: str = "zh", note: str | None = None,
                   registry: Registry | None = None,
                   generated_at: dt.datetime | None = None) -> bytes:
    """The ``.xlsx`` file as bytes (see the module docstring for its sheets)."""
    from openpyxl import Workbook

    lang = _check_lang(lang)
    registry = registry or load_registry()
    headers = HEADERS[lang]
    with_county = _with_county(frames)
    wb = Workbook()

    # 汇总（按责任单位）
    ws = wb.active
    ws.title = sheet_name("summary", lang)
    dept_headers = dict(headers)
    dept_headers["open_shortfalls"] = label("ledger_open_in_year", lang, year=frames.year_to,
                                            what=headers["open_shortfalls"])
    widths: dict[int, int] = {}
    last, n_cols = _write_table(ws, frames.by_department, dept_headers, 1, _TABLE_FORMATS,
                                widths)
    filter_rows = (1, max(last, 1))
    row = last + 2
    _put(ws, row, 1, label("ledger_per_year", lang, first=frames.year_from, last=frames.year_to))
    last, _ = _write_table(ws, frames.by_year, headers, row + 1, _TABLE_FORMATS, widths)
    if note:
        _put(ws, last + 2, 1, headers["data_note"])
        _put(ws, last + 2, 2, note)
    _finish(ws, widths, filter_rows, n_cols)

    # one sheet per year
    table = ledger_table(frames, lang=lang, registry=registry)
    for year in range(frames.year_from, frames.year_to + 1):
        ws = wb.create_sheet(str(year))
        part = table[table["year"] == year]
        widths = {}
        last, n_cols = _write_table(ws, part, headers, 1, _TABLE_FORMATS, widths)
        _finish(ws, widths, (1, max(last, 1)), n_cols)

    # 未评估
    ws = wb.create_sheet(sheet_name("not_assessed", lang))
    na = _render(frames.not_assessed, NOT_ASSESSED_SHEET_COLUMNS, registry, lang, with_county)
    widths = {}
    last, n_cols = _write_table(ws, na, headers, 1, _TABLE_FORMATS, widths)
    _finish(ws, widths, (1, max(last, 1)), n_cols)

    # 说明
    ws = wb.create_sheet(sheet_name("notes", lang))
    rows = _notes_rows(frames, lang, note, generated_at)
    from openpyxl.styles import Alignment, Font

    key_width = 0
    for i, (key, text) in enumerate(rows, start=1):
        _put(ws, i, 1, key)
        _put(ws, i, 2, text)
        ws.cell(row=i, column=1).font = Font(bold=True)
        ws.cell(row=i, column=2).alignment = Alignment(wrap_text=True, vertical="top")
        key_width = max(key_width, _text_width(key))
    ws.column_dimensions["A"].width = min(MAX_WIDTH, key_width + 2)
    ws.column_dimensions["B"].width = 100

    props = wb.properties
    stamp = _stamp(frames)
    props.creator = "balance_lib.excel"
    props.lastModifiedBy = "balance_lib.excel"
    props.title = label("ledger_title", lang, first=frames.year_from, last=frames.year_to)
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
    out = io.BytesIO()
    app = f"<Application>{application}</Application>".encode()
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src, zipfile.ZipFile(out, "w") as dst:
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
                 generated_at: dt.datetime | None = None) -> Path:
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

    Raises
    ------
    ValueError
        Another suffix, or an unknown ``lang``.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        data = workbook_bytes(ledger_frames, lang=lang, note=note, registry=registry,
                              generated_at=generated_at)
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
