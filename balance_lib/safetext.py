"""Data shown to people is text: the one place where a value from the data is made inert for
the medium it leaves the program through.

A school name, an id or a cell may hold anything: terminal escape sequences (``ESC ] 0 ;`` sets
the window title, ``ESC [ 2 J`` clears the screen, OSC 52 writes the clipboard), Unicode
direction overrides that make text read backwards, Markdown (``[x](javascript:…)``), HTML
(``<a href=…>``), a spreadsheet formula (``=HYPERLINK(…)``) or matplotlib mathtext
(``$\\frac{1}{$``; the charts switch mathtext off: :func:`balance_lib.plots.apply_style`).
Each function here turns such text into something that shows the same characters and does
nothing:

=====================  ====================================================================
:func:`terminal`       text for a terminal: control characters (except new lines and tabs)
                       and direction overrides become visible escapes such as ``\\x1b``
:func:`cell`           one value on one line (a table cell): the same, new lines included
:func:`quote`          a value quoted in a message: :func:`cell`, cut to a bounded length
:func:`markdown`       literal text inside Markdown (headings, list items): every ASCII
                       punctuation mark written as a character reference, so no Markdown or
                       HTML syntax, link, image, autolink or ``$…$`` math remains
:func:`csv_cell`       a CSV text cell: a leading ``=``, ``+``, ``-``, ``@``, tab or carriage
                       return gets an apostrophe in front (OWASP's advice against CSV
                       injection), so a spreadsheet shows the text instead of running it
=====================  ====================================================================

>>> terminal("名称\\x1b]0;pwned\\x07\\n第二行")
'名称\\\\x1b]0;pwned\\\\x07\\n第二行'
>>> cell("a\\nb")
'a\\\\nb'
>>> markdown("[x](javascript:alert(1))")
'&#91;x&#93;&#40;javascript&#58;alert&#40;1&#41;&#41;'
>>> csv_cell("=HYPERLINK(1)"), csv_cell("+3 名"), csv_cell("学校")
("'=HYPERLINK(1)", "'+3 名", '学校')
"""

from __future__ import annotations

import html
import re

from .limits import MAX_QUOTED_CHARS

#: Characters that control a terminal or reorder text: C0 and C1 controls, DEL, the Unicode
#: line and paragraph separators, and the bidirectional marks, embeddings, overrides and
#: isolates (the "Trojan Source" characters).
_OTHER_CONTROL = "\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_ANY_CONTROL = re.compile(f"[\x00-\x1f{_OTHER_CONTROL}]")
#: The same without the new line and the tab (a terminal only moves the cursor for them).
_TERMINAL_CONTROL = re.compile(f"[\x00-\x08\x0b-\x1f{_OTHER_CONTROL}]")
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
#: ASCII punctuation: everything Markdown (CommonMark, GFM, the math plugins) may read as syntax.
_PUNCTUATION = re.compile(r"[!-/:-@\[-`{-~]")


def _escape(m: re.Match) -> str:
    ch = m.group(0)
    if ch in _SHORT:
        return _SHORT[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal(text: object) -> str:
    """Text for a terminal: controls and direction overrides visible, new lines and tabs kept."""
    return _TERMINAL_CONTROL.sub(_escape, str(text))


def cell(text: object) -> str:
    """One value on one line: every control character visible (``\\n``, ``\\x1b`` …)."""
    return _ANY_CONTROL.sub(_escape, str(text))


def quote(value: object, limit: int = MAX_QUOTED_CHARS) -> str:
    """A value for a message: :func:`cell`, and at most ``limit`` characters (then "…").

    >>> quote("x" * 300)[-3:], len(quote("x" * 300))
    ('xx…', 200)
    """
    text = cell(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def markdown(text: object) -> str:
    """Literal text for a Markdown cell or ``IPython.display.Markdown``.

    Control characters become visible (a blank line cannot end a block) and every ASCII
    punctuation mark becomes a numeric character reference, which CommonMark renders as the
    character and never reads as syntax: no emphasis, link, image, autolink, raw HTML or entity,
    heading, table or ``$…$`` math survives.

    >>> markdown('<a href="https://x.example">x</a>')
    '&#60;a href&#61;&#34;https&#58;&#47;&#47;x&#46;example&#34;&#62;x&#60;&#47;a&#62;'
    """
    return _PUNCTUATION.sub(lambda p: f"&#{ord(p.group(0))};", cell(text))


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: A regular expression matching the text cells :func:`csv_cell` escapes (for Arrow kernels).
FORMULA_START_PATTERN = "^[" + re.escape("".join(_FORMULA_START)) + "]"


def csv_cell(text: str) -> str:
    """A CSV text cell a spreadsheet will not run: an apostrophe before a formula-leading
    character (``=`` ``+`` ``-`` ``@`` tab, carriage return). Numbers are not text cells and are
    written as numbers; the apostrophe is visible in the file, and Excel and WPS hide it."""
    return "'" + text if text.startswith(_FORMULA_START) else text
