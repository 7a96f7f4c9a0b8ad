"""Embed a subset of the shipped Chinese font in an HTML report, so it never shows boxes.

A report opened on a machine without a CJK font (a fresh Linux desktop, a locked-down
intranet PC) would render every Chinese character as a box. :func:`embed_cjk_font` subsets
the Noto Sans SC font that :mod:`balance_lib.plots` ships to exactly the characters the page
uses (a few hundred glyphs, typically 100–300 kB as WOFF) and adds it as a base64
``@font-face`` rule: no external file, no network. fontTools comes with matplotlib.

In tables and headings the embedded family comes *first* (it holds only Chinese glyphs, so
Latin letters and digits still come from the fonts after it): listed after a local font,
Chromium drew the first cells of a page's first table as boxes (the web font was not consulted
in time for them); :data:`balance_lib.report.TABLE_CSS` follows the same rule. Printed text
(``pre``) keeps the monospace font first: its line boxes are sized for it.
"""

from __future__ import annotations

import base64
import io
import re
from functools import lru_cache

from fontTools import subset
from fontTools.ttLib import TTFont

from .plots import shipped_font

FAMILY = "balance-cjk"
_MARK = "/* balance: embedded CJK font */"
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")
_TAG = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)


@lru_cache(maxsize=1)
def _font_bytes() -> bytes | None:
    path = shipped_font()
    return path.read_bytes() if path else None


def subset_font(chars: str, *, layout: bool = True, bounds: bool = True) -> bytes | None:
    """WOFF bytes of the shipped font holding ``chars`` (None without the font).

    ``layout=False`` drops the OpenType layout tables (GSUB, GPOS …): enough for the plain
    text of forms and tables, and about a third faster. ``bounds=False`` keeps the font's own
    bounding boxes instead of measuring every glyph of the subset again (browsers lay text
    out by the advance widths; about a quarter faster).
    """
    data = _font_bytes()
    if data is None or not chars:
        return None
    font = TTFont(io.BytesIO(data), recalcTimestamp=False,  # deterministic bytes
                  recalcBBoxes=bounds)
    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = ["*"] if layout else []
    if not layout:
        options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    sub = subset.Subsetter(options)
    sub.populate(text=chars)
    sub.subset(font)
    out = io.BytesIO()
    font.flavor = "woff"
    font.save(out)
    return out.getvalue()


def page_characters(html: str) -> str:
    """The sorted set of CJK characters in the visible text of ``html``."""
    text = _TAG.sub("", html)
    return "".join(sorted(set(_CJK.findall(text))))


def embed_cjk_font(html: str) -> str:
    """``html`` with a subset of the Chinese font embedded and used for the whole page.

    Idempotent: a page that already carries the font is returned unchanged.
    """
    if _MARK in html:
        return html
    woff = subset_font(page_characters(html))
    if woff is None:
        return html
    b64 = base64.b64encode(woff).decode("ascii")
    style = (
        f"<style>{_MARK}\n"
        f"@font-face {{ font-family: '{FAMILY}'; "
        f"src: url(data:font/woff;base64,{b64}) format('woff'); }}\n"
        f"body, .jp-RenderedHTMLCommon, .jp-RenderedText pre, pre "
        f"{{ font-family: 'DejaVu Sans Mono', Menlo, Consolas, '{FAMILY}', "
        f"'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', sans-serif; }}\n"
        f"table, td, th {{ font-family: '{FAMILY}', 'DejaVu Sans', Arial, "
        f"'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', sans-serif; }}\n"
        f"h1, h2, h3, h4, p, li {{ font-family: '{FAMILY}', 'Microsoft YaHei', "
        f"'PingFang SC', sans-serif; }}\n"
        f"</style>"
    )
    if "</head>" in html:
        return html.replace("</head>", style + "\n</head>", 1)
    return style + html
