"""The documents a bureau files, found in an output folder for the report index: the forms
workbook (``balance forms``), the 问题台账 (``balance ledger``) and the 自评报告 draft
(``balance selfreport``).

Each of them names its writer in ``docProps/app.xml`` and carries its title and, for the
ledger and the draft, the ledger's one count (:func:`balance_lib.ledger.count_line`) as its
document subject in ``docProps/core.xml``; so the index says what the file itself says, without
a list on the side that could go stale. Only those two small parts of the zip are read (bounded;
XML parsed with defusedxml); other files are ignored.

>>> documents_html([], "zh")
''
"""

from __future__ import annotations

import html
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .words import label

#: Writer (``<Application>`` of ``docProps/app.xml``) -> kind of document.
WRITERS = {"balance_lib.forms_excel": "forms", "balance_lib.excel": "ledger",
           "balance_lib.docx_out": "selfreport"}
_ORDER = {"forms": 0, "ledger": 1, "selfreport": 2}
#: Largest docProps part read (bytes): ours are well under 2 KB.
MAX_PART_BYTES = 64 * 1024


@dataclass(frozen=True)
class Document:
    name: str       # file name, relative to the folder
    kind: str       # forms | ledger | selfreport
    title: str
    subject: str


def _part(z: zipfile.ZipFile, name: str) -> bytes | None:
    try:
        info = z.getinfo(name)
    except KeyError:
        return None
    if info.file_size > MAX_PART_BYTES:
        return None
    return z.read(info)


def _text(xml: bytes | None, tag: str) -> str:
    if not xml:
        return ""
    from defusedxml import ElementTree

    root = ElementTree.fromstring(xml)
    for el in root.iter():
        if el.tag == tag or el.tag.endswith("}" + tag):
            return (el.text or "").strip()
    return ""


def read_document(path: Path) -> Document | None:
    """The document at ``path`` if one of ours wrote it, else None (never an exception)."""
    try:
        with zipfile.ZipFile(path) as z:
            app = _text(_part(z, "docProps/app.xml"), "Application")
            kind = WRITERS.get(app)
            if kind is None:
                return None
            core = _part(z, "docProps/core.xml")
            return Document(path.name, kind, _text(core, "title"), _text(core, "subject"))
    except (OSError, zipfile.BadZipFile, ValueError, KeyError, SyntaxError):
        return None


def filed_documents(folder: str | Path) -> list[Document]:
    """Our documents directly in ``folder``: forms, ledgers, drafts; by kind, then name."""
    folder = Path(folder)
    found = []
    for suffix in (".xlsx", ".docx"):
        for path in sorted(folder.glob(f"*{suffix}")):
            if path.is_file() and not path.is_symlink():
                doc = read_document(path)
                if doc is not None:
                    found.append(doc)
    return sorted(found, key=lambda d: (_ORDER[d.kind], d.name))


def documents_html(documents: list[Document], lang: str = "zh") -> str:
    """The index's section of documents to file (empty when there are none): a link to each,
    its kind, its title and the ledger's count. Every text is escaped."""
    if not documents:
        return ""
    items = []
    for d in documents:
        count = (f'<br><span class="count">{html.escape(d.subject)}</span>'
                 if d.subject else "")
        items.append(f'<li>{html.escape(label(f"doc_kind_{d.kind}", lang) + label("colon", lang))}'
                     f'<a href="{html.escape(d.name, quote=True)}">'
                     f"{html.escape(d.title or d.name)}</a> "
                     f"<small>({html.escape(d.name)})</small>{count}</li>")
    return (f'<section class="documents"><h2>{html.escape(label("doc_heading", lang))}</h2>'
            f'<p>{html.escape(label("doc_intro", lang))}</p><ul>{"".join(items)}</ul></section>')


__all__ = ["Document", "documents_html", "filed_documents", "read_document"]
