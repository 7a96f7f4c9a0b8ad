"""The report index links the documents filed beside the reports, and says the ledger's count."""

from __future__ import annotations

import zipfile

from balance_lib.documents import documents_html, filed_documents, read_document
from balance_lib.excel import write_ledger
from balance_lib.forms import build_forms
from balance_lib.forms_excel import forms_bytes
from balance_lib.ledger import count_line, make_ledger
from balance_lib.render import Outcome, save_manifest


def test_index_links_the_forms_ledger_and_draft_with_the_one_count(tmp_path, tiny_county):
    from balance_lib.docx_out import docx_bytes
    from balance_lib.selfreport import build_draft

    tables, ev = tiny_county
    frames = make_ledger(tables, evaluation=ev)
    forms = build_forms(ev, tables, 2025, name="<小县>")
    write_ledger(frames, tmp_path / "ledger.xlsx", name="<小县>")
    (tmp_path / "forms-2025.xlsx").write_bytes(forms_bytes(forms))
    (tmp_path / "selfreport-2025.docx").write_bytes(docx_bytes(build_draft(forms, frames)))
    (tmp_path / "other.xlsx").write_bytes(b"not a zip")  # not ours: left out, no error
    with zipfile.ZipFile(tmp_path / "theirs.xlsx", "w") as z:
        z.writestr("docProps/app.xml", "<Properties><Application>Excel</Application></Properties>")
    docs = filed_documents(tmp_path)
    assert [(d.name, d.kind) for d in docs] == [
        ("forms-2025.xlsx", "forms"), ("ledger.xlsx", "ledger"),
        ("selfreport-2025.docx", "selfreport")]
    line = count_line(frames.count)
    assert docs[1].subject == docs[2].subject == line
    assert docs[0].subject == (f"{forms.n_units} 个评估单位中 {forms.n_passing} 个达到学校标准；"
                               "评估结论：未达到优质均衡标准")
    outcome = Outcome("county-year/2025", "county-year", "2025学年 年度评估", {}, "h", "ok",
                      1.0, None, "county-year/2025.html")
    save_manifest(tmp_path, [outcome], title="索引", note=None)
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    for name in ("forms-2025.xlsx", "ledger.xlsx", "selfreport-2025.docx"):
        assert f'href="{name}"' in page
    assert page.count(line) == 2 and "theirs.xlsx" not in page and "other.xlsx" not in page
    assert "&lt;小县&gt;" in page and "<小县>" not in page  # names are text


def test_no_documents_no_section(tmp_path):
    assert documents_html(filed_documents(tmp_path)) == ""
    assert read_document(tmp_path / "missing.xlsx") is None
