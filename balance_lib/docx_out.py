"""Word documents people edit: a :class:`balance_lib.selfreport.Draft` written with
python-docx, the only writer of ``.docx`` files.

* **Page**: A4 portrait, margins of a Chinese official document (top 3.7 cm, bottom 3.5 cm,
  left 2.8 cm, right 2.6 cm), the title in the page header, "第 N 页，共 M 页" in the footer
  as Word fields (PAGE, NUMPAGES) that Word, WPS and LibreOffice update.
* **Fonts** named so that Word and WPS render them: 宋体 for the text, 黑体 for the title and
  headings, set as the East Asian font (``w:eastAsia``) of every style and run, with Times New
  Roman for Latin text and digits; the theme fonts of the template are removed, since Word
  would otherwise prefer them. LibreOffice substitutes an installed CJK font for both.
* **Tables** are Word tables (not images), "Table Grid" style, header row repeated on every
  page, numbers right-aligned, the caption above; **charts** are PNG images with a caption.
* **Text from the data is text**: every run is a plain run (python-docx escapes XML); the
  control characters a document cannot hold are shown as visible escapes (``\\x1b``).
* **Deterministic**: the document's dates are 1 September of the draft's year and the zip is
  rewritten with fixed entry times (:func:`balance_lib.excel.stable_zip`).
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from .excel import _clean_text, stable_zip
from .selfreport import Bullets, Draft, Figure, Heading, Paragraph, Table
from .words import check_lang, label

BODY_FONT = "宋体"
HEADING_FONT = "黑体"
LATIN_FONT = "Times New Roman"
BODY_PT = 12        # 小四
TABLE_PT = 10.5     # 五号
TITLE_PT = 16       # 三号
HEADING_PT = {1: 16, 2: 14}  # 三号, 四号
PLACEHOLDER_RGB = (0x80, 0x80, 0x80)
_APPLICATION = "balance_lib.docx_out"


def _fonts(rpr_owner: Any, east_asia: str, latin: str = LATIN_FONT) -> None:
    """Latin and East Asian fonts of a style's or a run's properties, theme fonts removed."""
    from docx.oxml.ns import qn

    rpr = rpr_owner.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:cs"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = rpr.makeelement(qn("w:lang"), {})
        rpr.append(lang)
    lang.set(qn("w:eastAsia"), "zh-CN")


def _style(doc: Any, name: str, east_asia: str, size: float, bold: bool = False) -> None:
    from docx.shared import Pt, RGBColor

    st = doc.styles[name]
    st.font.size = Pt(size)
    st.font.bold = bold
    st.font.italic = False
    st.font.color.rgb = RGBColor(0, 0, 0)
    _fonts(st.element, east_asia)


def _run(paragraph: Any, text: str, *, east_asia: str = BODY_FONT, size: float | None = None,
         bold: bool = False, italic: bool = False, grey: bool = False) -> Any:
    from docx.shared import Pt, RGBColor

    run = paragraph.add_run(_clean_text(str(text)))
    _fonts(run._r, east_asia)
    if size:
        run.font.size = Pt(size)
    run.bold = bold or None
    run.italic = italic or None
    if grey:
        run.font.color.rgb = RGBColor(*PLACEHOLDER_RGB)
    return run


def _field(paragraph: Any, code: str) -> None:
    """A Word field (PAGE, NUMPAGES) that the program fills when it lays out the pages."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def char(kind: str) -> Any:
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        return el

    run = _run(paragraph, "")
    run._r.append(char("begin"))
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {code} "
    run = _run(paragraph, "")
    run._r.append(instr)
    run = _run(paragraph, "")
    run._r.append(char("separate"))
    _run(paragraph, "1")
    run = _run(paragraph, "")
    run._r.append(char("end"))


def _page(doc: Any, draft: Draft, lang: str) -> None:
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Cm(21.0), Cm(29.7)
    sec.top_margin, sec.bottom_margin = Cm(3.7), Cm(3.5)
    sec.left_margin, sec.right_margin = Cm(2.8), Cm(2.6)
    sec.header_distance, sec.footer_distance = Cm(1.5), Cm(2.0)
    head = sec.header.paragraphs[0]
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(head, draft.header, size=9)
    foot = sec.footer.paragraphs[0]
    foot.alignment = WD_ALIGN_PARAGRAPH.CENTER
    before, middle, after = _split_footer(lang)
    _run(foot, before, size=10.5)
    _field(foot, "PAGE")
    _run(foot, middle, size=10.5)
    _field(foot, "NUMPAGES")
    _run(foot, after, size=10.5)


def _split_footer(lang: str) -> tuple[str, str, str]:
    text = label("sr_page_footer", lang, page="\0", pages="\0")
    before, middle, after = text.split("\0")
    return before, middle, after


def _row_property(row: Any, name: str) -> None:
    """Set the row property ``w:<name>`` (``tblHeader``: repeated on every page;
    ``cantSplit``: never broken across two pages)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    trpr = row._tr.get_or_add_trPr()
    el = OxmlElement(f"w:{name}")
    el.set(qn("w:val"), "true")
    trpr.append(el)


def _repeat_header(row: Any) -> None:
    _row_property(row, "tblHeader")


def _table(doc: Any, block: Table) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    cap = doc.add_paragraph(style="Caption")
    cap.alignment = WD_ALIGN_PARAGRAPH.CENTER
    cap.paragraph_format.keep_with_next = True
    _run(cap, block.caption, east_asia=HEADING_FONT, size=TABLE_PT, bold=True)
    n = len(block.header)
    t = doc.add_table(rows=1 + len(block.rows), cols=n)
    t.style = doc.styles["Table Grid"]
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = False
    numeric = block.numeric or (False,) * n
    usable = 15.6  # cm between the margins
    weights = block.widths or (1.0,) * n
    widths = [Cm(usable * w / sum(weights)) for w in weights]
    for j, col in enumerate(t.columns):  # the grid (LibreOffice) and the cells (Word)
        col.width = widths[j]
    for row_no, cells in enumerate([block.header, *block.rows]):
        row = t.rows[row_no]
        _row_property(row, "cantSplit")  # a row printed on one page, never cut in two
        if row_no == 0:
            _repeat_header(row)
        for j, text in enumerate(cells):
            cell = row.cells[j]
            cell.width = widths[j]
            p = cell.paragraphs[0]
            p.paragraph_format.space_after = Pt(0)
            p.paragraph_format.first_line_indent = Pt(0)
            p.paragraph_format.line_spacing = 1.0
            if row_no == 0:
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                _run(p, text, east_asia=HEADING_FONT, size=TABLE_PT, bold=True)
            else:
                p.alignment = WD_ALIGN_PARAGRAPH.RIGHT if numeric[j] else WD_ALIGN_PARAGRAPH.LEFT
                _run(p, text, size=TABLE_PT)
    doc.add_paragraph()


def docx_bytes(draft: Draft, *, lang: str = "zh") -> bytes:
    """The ``.docx`` file of ``draft`` as bytes (see the module docstring)."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    check_lang(lang)
    doc = Document()
    _style(doc, "Normal", BODY_FONT, BODY_PT)
    normal = doc.styles["Normal"].paragraph_format
    normal.line_spacing = 1.5
    normal.space_after = Pt(0)
    for level, size in HEADING_PT.items():
        _style(doc, f"Heading {level}", HEADING_FONT, size, bold=level == 1)
        doc.styles[f"Heading {level}"].paragraph_format.space_before = Pt(12)
        doc.styles[f"Heading {level}"].paragraph_format.space_after = Pt(6)
    _style(doc, "Title", HEADING_FONT, TITLE_PT, bold=True)
    _style(doc, "Caption", HEADING_FONT, TABLE_PT, bold=True)
    _style(doc, "List Bullet", BODY_FONT, BODY_PT)
    _page(doc, draft, lang)

    title = doc.add_paragraph(style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(title, draft.title, east_asia=HEADING_FONT, size=TITLE_PT, bold=True)
    for block in draft.blocks:
        if isinstance(block, Heading):
            p = doc.add_paragraph(style=f"Heading {min(block.level, 2)}")
            _run(p, block.text, east_asia=HEADING_FONT, size=HEADING_PT[min(block.level, 2)],
                 bold=block.level == 1)
        elif isinstance(block, Paragraph):
            p = doc.add_paragraph()
            p.paragraph_format.first_line_indent = Pt(BODY_PT * 2)
            _run(p, block.text, italic=block.placeholder, grey=block.placeholder)
        elif isinstance(block, Bullets):
            for item in block.items:
                _run(doc.add_paragraph(style="List Bullet"), item)
        elif isinstance(block, Table):
            _table(doc, block)
        elif isinstance(block, Figure):
            doc.add_picture(io.BytesIO(block.png), width=Cm(15.6))
            doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
            cap = doc.add_paragraph(style="Caption")
            cap.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _run(cap, block.caption, east_asia=HEADING_FONT, size=TABLE_PT, bold=True)
        else:  # pragma: no cover - a new block type without a writer
            raise TypeError(f"unknown block {type(block).__name__}")

    stamp = dt.datetime(int(draft.year), 9, 1)
    props = doc.core_properties
    props.title = _clean_text(draft.title)
    props.author = props.last_modified_by = _APPLICATION
    props.created = props.modified = props.last_printed = stamp
    props.revision = 1
    props.comments = ""
    props.subject = _clean_text(draft.subject)
    raw = io.BytesIO()
    doc.save(raw)
    return stable_zip(raw.getvalue(), stamp, _APPLICATION)


__all__ = ["BODY_FONT", "HEADING_FONT", "docx_bytes"]
