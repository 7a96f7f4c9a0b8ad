"""Worksheets that print: the one page setup of every workbook people file (the forms of
:mod:`balance_lib.forms_excel` and the 问题台账 of :mod:`balance_lib.excel`).

Every sheet gets landscape A4, fitted to one page wide (as many pages long as it needs), its
header rows repeated on every printed page (print titles), the document's title, the county and
the year in the page header, "第 N 页，共 M 页" in the footer, narrow margins and the table
centred. Header and footer texts are Excel codes in which ``&`` starts a command: text from the
data (a county's name) is escaped (``&`` → ``&&``) so that it prints as written.

>>> header_text("A&B 2025")
'A&&B 2025'
"""

from __future__ import annotations

from typing import Any

from .words import label

#: Longest header/footer section text Excel accepts (255 characters for the three sections).
MAX_HEADER_CHARS = 80


def header_text(text: str) -> str:
    """``text`` for a page header section: ``&`` doubled, control characters removed, cut."""
    clean = "".join(ch for ch in str(text) if ch >= " ")[:MAX_HEADER_CHARS]
    return clean.replace("&", "&&")


def print_setup(ws: Any, *, header: str, title_rows: tuple[int, int] | None = None,
                lang: str = "zh", portrait: bool = False, one_page: bool = False) -> None:
    """Page setup of one worksheet (see the module docstring).

    ``header``: the page header's centre text (the document, county and year); ``title_rows``:
    the first and last row repeated at the top of every printed page (None: none);
    ``portrait``: for narrow sheets; ``one_page``: fitted to one page wide *and* tall (a
    summary sheet that belongs on one page).
    """
    from openpyxl.worksheet.page import PageMargins

    ws.page_setup.orientation = "portrait" if portrait else "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1 if one_page else 0  # 0: as many pages long as needed
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.7, bottom=0.6, header=0.3,
                                  footer=0.3)
    if title_rows is not None:
        first, last = title_rows
        ws.print_title_rows = f"{first}:{last}"
    for part in (ws.oddHeader, ws.evenHeader, ws.firstHeader):
        part.center.text = header_text(header)
        part.center.size = 9
    for part in (ws.oddFooter, ws.evenFooter, ws.firstFooter):
        part.center.text = label("print_page_footer", lang)
        part.center.size = 9


#: Points per line of 11-point text, and the padding of a row.
LINE_POINTS = 15.0
ROW_PADDING = 3.0


def fit_row_heights(ws: Any, first_row: int, last_row: int | None = None) -> None:
    """Row heights that show every wrapped cell whole, on screen and on paper.

    Spreadsheet programs do not re-measure rows when they open a file (LibreOffice prints a
    wrapped cell cut to one line), so the height is set here: the most lines any wrapped cell
    of the row needs at its column's width (CJK characters count double), merged cells
    spanning the merged width.
    """
    import math

    from openpyxl.utils import get_column_letter

    from .excel import _text_width

    last_row = ws.max_row if last_row is None else last_row
    widths: dict[int, float] = {}
    merged: dict[tuple[int, int], int] = {}
    for rng in ws.merged_cells.ranges:
        if rng.min_row == rng.max_row:
            merged[(rng.min_row, rng.min_col)] = rng.max_col

    def width(col: int) -> float:
        if col not in widths:
            w = ws.column_dimensions[get_column_letter(col)].width
            widths[col] = float(w) if w else 8.43
        return widths[col]

    for r in range(first_row, last_row + 1):
        lines = 1
        for c in ws[r]:
            if not isinstance(c.value, str) or not (c.alignment and c.alignment.wrap_text):
                continue
            end = merged.get((r, c.column), c.column)
            room = sum(width(j) for j in range(c.column, end + 1)) * 0.92 - 1.5
            need = sum(max(1, math.ceil(_text_width(part) / max(room, 1.0)))
                       for part in c.value.split("\n"))
            lines = max(lines, need)
        if lines > 1 or ws.row_dimensions[r].height is None:
            ws.row_dimensions[r].height = max(ws.row_dimensions[r].height or 0,
                                              lines * LINE_POINTS + ROW_PADDING)


def thin_borders(ws: Any, first_row: int, last_row: int, first_col: int, last_col: int) -> None:
    """Thin borders around every cell of the block (printed tables need their lines)."""
    from openpyxl.styles import Border, Side

    side = Side(style="thin", color="808080")
    border = Border(left=side, right=side, top=side, bottom=side)
    for row in ws.iter_rows(min_row=first_row, max_row=last_row, min_col=first_col,
                            max_col=last_col):
        for c in row:
            c.border = border


__all__ = ["fit_row_heights", "header_text", "print_setup", "thin_borders"]
