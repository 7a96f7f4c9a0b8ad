"""The frame of every report page: its ``<title>``, print styles, navigation and problem pages.

A report's title is its first heading (the notebooks write it from the word table: county,
year, school), so the batch runner (:mod:`balance_lib.render`) and the plain Jupyter path
(:mod:`balance_lib.exporter`, ``jupyter nbconvert --to balance``) give the same page.
:func:`finish_page` sets the ``<title>``, the language and the print styles (A4, a running
header with the title, page breaks before sections, tables and figures kept whole where they
fit, header rows repeated); :func:`set_navigation` puts (or replaces) the bar that links back
to the index and to the previous and next report, between markers, so the runner can update it
on pages it did not rebuild. :func:`problem_page` is what a failed report links to: what
failed and why, in words, never a traceback or a notebook.

Every text from the data is HTML-escaped here.
"""

from __future__ import annotations

import html
import re

from .words import label

_H1 = re.compile(r"<h1\b[^>]*>(.*?)</h1>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")
_TITLE = re.compile(r"<title>.*?</title>", re.S | re.I)
NAV_START, NAV_END = "<!-- balance:nav -->", "<!-- /balance:nav -->"
_NAV = re.compile(re.escape(NAV_START) + r".*?" + re.escape(NAV_END), re.S)
_MARK = "/* balance: page styles */"

#: The navigation bar's style (report pages and the indexes); hidden on paper.
NAV_CSS = """
.balance-nav{display:flex;gap:1.2em;flex-wrap:wrap;align-items:center;font-size:14px;
  padding:6px 12px;margin:0 0 8px;background:#f1f4f8;border-bottom:1px solid #d0d7de;
  font-family:'balance-cjk','DejaVu Sans',Arial,sans-serif}
.balance-nav a{color:#0b5cad;text-decoration:none}.balance-nav a:hover{text-decoration:underline}
.balance-nav .here{color:#57606a}
@media print{.balance-nav{display:none}}
"""

#: Screen and print styles of every report (A4 portrait; wide tables may scroll on screen).
PAGE_CSS = _MARK + NAV_CSS + """
.jp-OutputArea-output pre{white-space:pre-wrap}
@page{size:A4 portrait;margin:16mm 12mm 14mm 12mm;
  @bottom-right{content:counter(page) " / " counter(pages);font-size:9pt;color:#555}}
@media print{
  body{font-size:10.5pt}
  h1{font-size:17pt} h2{font-size:14pt}
  .jp-Cell:has(h2) ~ .jp-Cell h2{break-before:page;page-break-before:always}
  h2,h3{break-after:avoid;page-break-after:avoid}
  figure,img,.balance-verdict,.balance-note{break-inside:avoid;page-break-inside:avoid}
  h3+div,h3+.jp-OutputArea-child{break-before:avoid}
  thead{display:table-header-group} tr{break-inside:avoid;page-break-inside:avoid}
  img{max-width:100%!important;height:auto!important}
  .balance-table-wrap{overflow:visible!important}
  .balance-table-wrap table.balance-table{font-size:9pt}
  .jp-Cell,.jp-OutputArea-output{overflow:visible!important}
  a{color:inherit;text-decoration:none}
}
"""


def page_title(page: str) -> str:
    """The text of the page's first ``<h1>`` (its title), unescaped; "" when none."""
    m = _H1.search(page)
    if not m:
        return ""
    text = _TAG.sub("", m.group(1))
    text = text.replace("¶", "")
    return html.unescape(re.sub(r"\s+", " ", text)).strip()


def finish_page(page: str, lang: str = "zh") -> str:
    """``page`` with its real ``<title>`` (the first heading), the language and the page
    styles (screen navigation bar, print: A4 with a running header). Idempotent.

    >>> p = finish_page("<html><head><title>Notebook</title></head><body><h1>昌吉市 2025学年</h1></body></html>")
    >>> "<title>昌吉市 2025学年</title>" in p, 'lang="zh-CN"' in p
    (True, True)
    """
    title = page_title(page) or label("index_default_title", lang)
    safe = html.escape(title)
    if _TITLE.search(page):
        page = _TITLE.sub(lambda m: f"<title>{safe}</title>", page, count=1)
    elif "</head>" in page:
        page = page.replace("</head>", f"<title>{safe}</title></head>", 1)
    html_lang = "zh-CN" if lang == "zh" else lang
    page = re.sub(r"<html\b[^>]*>", f'<html lang="{html_lang}">', page, count=1)
    if _MARK not in page:
        style = (f"<style>{PAGE_CSS}\n@page{{@top-center{{content:{css_string(title)};"
                 f"font-size:9pt;color:#555}}}}</style>")
        page = page.replace("</head>", style + "\n</head>", 1) if "</head>" in page \
            else style + page
    return page


def css_string(text: str) -> str:
    """``text`` as a CSS string literal that cannot end the string or the ``<style>``.

    >>> print(css_string('a"b</style>'))
    "a\\22 b\\3C /style\\3E "

    """
    out = []
    for ch in text:
        if ch in '"\\<>&' or ord(ch) < 32:
            out.append(f"\\{ord(ch):X} ")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def navigation(back: str | None, prev: tuple[str, str] | None = None,
               next_: tuple[str, str] | None = None, lang: str = "zh") -> str:
    """The navigation bar: a link back to the index and to the previous / next report
    (``(href, text)``), between the markers :func:`set_navigation` looks for."""
    parts = []
    if back:
        parts.append(_a(back, label("nav_index", lang)))
    if prev:
        parts.append(_a(prev[0], f"← {prev[1]}", "prev"))
    if next_:
        parts.append(_a(next_[0], f"{next_[1]} →", "next"))
    return f'{NAV_START}<nav class="balance-nav">{"".join(parts)}</nav>{NAV_END}'


def link_bar(links: list[tuple[str, str]]) -> str:
    """A navigation bar of ``(href, text)`` links (the indexes of a province's batch: back to
    the main index, to the province page), styled as :func:`navigation`'s.

    >>> link_bar([("../index.html", "<总目录>")]).split('class="balance-nav">')[1]
    '<a href="../index.html">&lt;总目录&gt;</a></nav><!-- /balance:nav -->'
    """
    return (f'{NAV_START}<nav class="balance-nav">{"".join(_a(h, t) for h, t in links)}</nav>'
            f"{NAV_END}")


def _a(href: str, text: str, rel: str = "") -> str:
    rel_attr = f' rel="{rel}"' if rel else ""
    return f'<a{rel_attr} href="{html.escape(href, quote=True)}">{html.escape(text)}</a>'


def set_navigation(page: str, nav: str) -> str:
    """``page`` with ``nav`` as its navigation bar (replacing the one it had), at the top of
    the body."""
    if _NAV.search(page):
        return _NAV.sub(lambda m: nav, page, count=1)
    m = re.search(r"<body\b[^>]*>", page)
    if not m:
        return nav + page
    return page[:m.end()] + nav + page[m.end():]


def readable_error(error: str | None) -> str:
    """A report's error for people: the message without the exception's class name.

    >>> readable_error("ReportParamError: 未找到学校 X")
    '未找到学校 X'
    """
    text = (error or "").strip()
    return re.sub(r"^(?:[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt)):\s*", "", text)


def problem_page(title: str, error: str | None, back: str, lang: str = "zh",
                 css: str = "") -> str:
    """The page a failed report links to: its title, that it could not be made, the reason
    in words (each line escaped), what to do, and the way back."""
    lines = readable_error(error).splitlines() or [label("problem_unknown", lang)]
    body = "".join(f"<li>{html.escape(x)}</li>" for x in lines if x.strip())
    html_lang = "zh-CN" if lang == "zh" else lang
    return f"""<!DOCTYPE html>
<html lang="{html_lang}"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{PAGE_CSS}{css}
body{{font-family:'balance-cjk','DejaVu Sans',Arial,sans-serif;margin:1.5em 2em;max-width:60em}}
.problem{{border-left:6px solid #d55e00;background:#fff4ec;padding:8px 16px}}
li{{margin:.3em 0;line-height:1.5}}</style></head>
<body>{navigation(back, lang=lang)}<h1>{html.escape(title)}</h1>
<div class="problem"><p><strong>{html.escape(label("problem_head", lang))}</strong></p>
<ul>{body}</ul></div>
<p>{html.escape(label("problem_what_to_do", lang))}</p></body></html>
"""
