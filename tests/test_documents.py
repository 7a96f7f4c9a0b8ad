"""The report index links the documents filed beside the reports, and says the ledger's count."""

from __future__ import annotations

import zipfile

import pytest

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


@pytest.mark.slow
def test_one_open_item_count_everywhere_on_the_sample(tmp_path):
    """The sample as `make demo` files it: the open problems `balance ledger` prints are what
    the ledger workbook, the 自评报告 draft and the report index say, and what the forms of the
    last year show — one shaded cell per unmet B1–B7 value, one CV over its limit per county
    row, and the failing schools of every other item not met."""
    import re

    import docx
    import openpyxl
    from typer.testing import CliRunner

    from balance_lib.cli import app
    from balance_lib.forms_excel import FLOOR_FILL, UNMET_FILL, sheet_names
    from balance_lib.paths import PROJECT_ROOT

    data = PROJECT_ROOT / "data" / "sample"
    run = CliRunner()
    outputs = {}
    for cmd, name in (("ledger", "ledger.xlsx"), ("forms", "forms-2025.xlsx"),
                      ("selfreport", "selfreport-2025.docx")):
        extra = ["--from", "2022", "--to", "2025"] if cmd == "ledger" else ["--year", "2025"]
        res = run.invoke(app, [cmd, str(data), *extra, "--output", str(tmp_path / name)])
        assert res.exit_code == 0, res.output
        outputs[cmd] = res.output
    line = re.search(r"\d+ 条未销号、\d+ 条已销号；2022–2025 年共 \d+ 条记录[^\n→]*",
                     outputs["ledger"]).group(0).strip()
    n_open = int(line.split(" 条未销号")[0])
    assert n_open > 0
    # the ledger workbook and the draft
    docs = {d.kind: d for d in filed_documents(tmp_path)}
    assert docs["ledger"].subject == docs["selfreport"].subject == line
    assert f"{n_open} 条未销号问题" in outputs["selfreport"]
    body = "\n".join(p.text for p in docx.Document(str(tmp_path / "selfreport-2025.docx"))
                     .paragraphs)
    assert line in body
    wb = openpyxl.load_workbook(tmp_path / "ledger.xlsx")
    summary = [c for ws in wb for row in ws.iter_rows(values_only=True) for c in row
               if isinstance(c, str) and "条未销号" in c]
    assert summary and all(line in c or c.startswith(f"{n_open} 条未销号") for c in summary)
    # the report index
    save_manifest(tmp_path, [], title="索引", note=None)
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert page.count(line) == 2
    # the forms of 2025: every open problem of 2025 is on them
    forms = openpyxl.load_workbook(tmp_path / "forms-2025.xlsx")
    sheets = sheet_names("zh")
    fills = {UNMET_FILL, FLOOR_FILL}
    shaded = sum(1 for key in ("primary", "junior") for row in forms[sheets[key]].iter_rows(
        min_row=5) for c in row if c.fill.fill_type == "solid" and c.fill.fgColor.rgb[-6:] in fills
        and isinstance(c.value, (int, float)))
    cv_over = sum(1 for r in forms[sheets["variation"]].iter_rows(min_row=4, values_only=True)
                  if r[9] == "未达标")
    items = [r for r in forms[sheets["items"]].iter_rows(min_row=3, values_only=True)
             if r[0] and r[3] == "未达标"]
    failing = 0
    for r in items:
        m = re.search(r"中 (\d+) 所未达标", str(r[5] or "") + str(r[6] or ""))
        failing += int(m.group(1)) if m else 1
    assert shaded + cv_over + failing == n_open, (shaded, cv_over, failing, n_open)
