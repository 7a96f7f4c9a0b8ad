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
import threading
from functools import lru_cache
from pathlib import Path

FAMILY = "balance-cjk"
_MARK = "/* balance: embedded CJK font */"
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")
_TAG = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)


def shipped_font() -> Path | None:
    """Path of the Noto Sans SC OTF from ``pylopdf-fonts-zh-cn``, or None if not installed
    (here, not in :mod:`balance_lib.plots`: embedding the font must not import matplotlib)."""
    try:
        import pylopdf_fonts_zh_cn
    except ImportError:
        return None
    path = Path(pylopdf_fonts_zh_cn.sans_path())
    return path if path.is_file() else None


@lru_cache(maxsize=1)
def _font_bytes() -> bytes | None:
    path = shipped_font()
    return path.read_bytes() if path else None


def _subset(data: bytes, chars: str, *, layout: bool, flavor: str | None) -> bytes:
    from fontTools import subset  # here: importing the module must stay cheap (the rebuild
    from fontTools.ttLib import TTFont  # of ``balance report`` imports it and cuts no font)

    # recalcBBoxes=False: the bounds of the whole font are kept (browsers do not read them),
    # instead of drawing every glyph again at save: 40 % of a page's subsetting
    font = TTFont(io.BytesIO(data), recalcTimestamp=False, recalcBBoxes=False)
    options = subset.Options()
    options.layout_features = ["*"] if layout else []
    if not layout:
        options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    sub = subset.Subsetter(options)
    sub.populate(text=chars)
    sub.subset(font)
    out = io.BytesIO()
    font.flavor = flavor
    font.save(out)
    return out.getvalue()


#: The font cut down to the characters a batch of reports can show (:func:`expect`): a page's
#: subset is cut from it instead of from the 8 MB font, several times faster and the same
#: bytes (a subset of a subset holding the characters is the subset: a test checks it).
_BASE: dict[str, tuple[frozenset[str], bytes]] = {}
_BASE_LOCK = threading.Lock()


def expect(chars: str) -> None:
    """Prepare for pages that show (mostly) ``chars``: later subsets of this process are cut
    from a base font holding them (and those already expected). Pages with other characters
    still get every glyph (the base then grows)."""
    data = _font_bytes()
    want = frozenset(_CJK.findall(chars))
    if data is None or not want:
        return
    with _BASE_LOCK:
        have = _BASE.get("cjk")
        if have is not None and want <= have[0]:
            return
        every = want | (have[0] if have else frozenset())
        _BASE["cjk"] = (every, _subset(data, "".join(sorted(every)), layout=True, flavor=None))


def subset_font(chars: str, *, layout: bool = True) -> bytes | None:
    """WOFF bytes of the shipped font holding ``chars`` (None without the font).

    ``layout=False`` drops the OpenType layout tables (GSUB, GPOS …): enough for the plain
    text of forms and tables, and about a third faster. Cut from the base font of
    :func:`expect` when it holds ``chars`` (the same bytes, faster).
    """
    data = _font_bytes()
    if data is None or not chars:
        return None
    base = _BASE.get("cjk")
    if base is not None and set(chars) <= base[0]:
        data = base[1]
    elif base is not None:  # characters the batch did not announce: grow the base
        expect(chars)
        data = _BASE["cjk"][1]
    return _subset(data, chars, layout=layout, flavor="woff")


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
