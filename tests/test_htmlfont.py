"""The Chinese font embedded in HTML reports (no boxes on machines without a CJK font)."""

from __future__ import annotations

import base64
import io
import re

from fontTools.ttLib import TTFont

from balance_lib.htmlfont import FAMILY, embed_cjk_font, page_characters

PAGE = ("<html><head><title>t</title></head><body><h1>差异系数与大班额</h1>"
        "<script>var x = '脚本里的字';</script><p>B4 生均面积</p></body></html>")


def test_page_characters_are_the_visible_cjk_text():
    assert page_characters(PAGE) == "".join(sorted(set("差异系数与大班额生均面积")))


def test_embedded_subset_holds_exactly_the_page_characters():
    out = embed_cjk_font(PAGE)
    assert out.count("@font-face") == 1 and FAMILY in out
    assert "http" not in out  # nothing remote
    b64 = re.search(r"data:font/woff;base64,([A-Za-z0-9+/=]+)", out).group(1)
    font = TTFont(io.BytesIO(base64.b64decode(b64)))
    cmap = font.getBestCmap()
    for ch in "差异系数与大班额生均面积":
        assert ord(ch) in cmap, ch
    assert ord("脚") not in cmap  # script text is not shown, not embedded
    assert len(b64) < 200_000


def test_embedding_is_idempotent_and_deterministic():
    once = embed_cjk_font(PAGE)
    assert embed_cjk_font(once) == once
    assert embed_cjk_font(PAGE) == once
