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


def test_the_batch_font_base_gives_the_same_bytes_and_grows_for_new_characters(monkeypatch):
    """A subset cut from the base font of :func:`expect` is byte for byte the subset cut from
    the whole font (so pages do not depend on what a worker rendered before), and a page with
    characters the base lacks makes it grow instead of losing glyphs."""
    from balance_lib import htmlfont

    monkeypatch.setattr(htmlfont, "_BASE", {})
    chars = page_characters(PAGE)
    direct = htmlfont.subset_font(chars)
    htmlfont.expect("差异系数与大班额生均面积学校")
    assert htmlfont._BASE["cjk"][0] == frozenset("差异系数与大班额生均面积学校")
    assert htmlfont.subset_font(chars) == direct
    assert htmlfont.subset_font(chars, layout=False) is not None
    other = htmlfont.subset_font("龙凤")
    assert {"龙", "凤"} <= htmlfont._BASE["cjk"][0]
    cmap = TTFont(io.BytesIO(other)).getBestCmap()
    assert ord("龙") in cmap and ord("凤") in cmap
    monkeypatch.setattr(htmlfont, "_BASE", {})
    assert htmlfont.subset_font("龙凤") == other
