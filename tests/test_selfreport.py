"""The 自评报告 draft (``balance selfreport``): structure, fonts, page setup, and tables that
hold the values of ``balance evaluate``'s JSON and the ledger's one count; through LibreOffice
to PDF with Chinese text."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import docx
import pandas as pd
import pytest
from docx.oxml.ns import qn
from typer.testing import CliRunner

from balance_lib import formats
from balance_lib.cli import app
from balance_lib.docx_out import BODY_FONT, HEADING_FONT, docx_bytes
from balance_lib.forms import build_forms
from balance_lib.io import load_county
from balance_lib.ledger import count_line, make_ledger
from balance_lib.registry import load_registry
from balance_lib.results import build_evaluation
from balance_lib.selfreport import Table, build_draft

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "fixtures" / "tiny"
MULTI = ROOT / "tests" / "fixtures" / "multi"
SAMPLE = ROOT / "data" / "sample"
REG = load_registry()
IDS = [i.id for i in REG.resource_indicators]


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def evaluation_json(ev, year: int) -> dict:
    return json.loads(json.dumps(build_evaluation(ev, year)))


@pytest.fixture(scope="module")
def sample_draft(tmp_path_factory, sample_county):
    """The sample's draft as ``balance selfreport`` makes it (the same calls), its JSON and
    its ledger."""
    from balance_lib.plots import cv_by_indicator, to_png

    tables, ev = sample_county
    frames = make_ledger(tables, year_from=2022, year_to=2025, evaluation=ev)
    forms = build_forms(ev, tables, 2025, name="样例县")
    figure = to_png(cv_by_indicator(ev.variation, REG, year=2025))
    out = tmp_path_factory.mktemp("sr") / "自评报告.docx"
    out.write_bytes(docx_bytes(build_draft(forms, frames, figure=figure)))
    return docx.Document(str(out)), evaluation_json(ev, 2025), frames


def headings(doc, style: str) -> list[str]:
    return [p.text for p in doc.paragraphs if p.style.name == style]


def table_rows(table) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in table.rows]


def test_headings_in_the_usual_order(sample_draft):
    doc, *_ = sample_draft
    assert headings(doc, "Heading 1") == [
        "一、基本情况", "二、资源配置", "三、政府保障程度", "四、教育质量", "五、社会认可度",
        "六、存在的问题与整改措施", "七、附表"]
    assert headings(doc, "Title") == ["样例县2025学年义务教育优质均衡发展自评报告（草稿）"]
    assert "一票否决情况" in headings(doc, "Heading 2")


def test_computed_sentences_and_tables_hold_the_evaluation(sample_draft):
    doc, js, *_ = sample_draft
    text = "\n".join(p.text for p in doc.paragraphs)
    n, passing = len(js["units"]), sum(u["passes"] for u in js["units"])
    assert f"共有 {n} 个评估单位" in text and f"其中 {passing} 个达到学校标准" in text
    verdict = {"meets": "达到优质均衡标准", "does_not_meet": "未达到优质均衡标准",
               "incomplete": "评估不完整"}[js["verdict"][0]["status"]]
    assert f"评估结论为：{verdict}" in text
    cv_tables = [t for t in doc.tables if table_rows(t)[0][:4] == ["指标", "指标名称", "单位",
                                                                  "县域值"]]
    assert len(cv_tables) == 2
    level = {0: "primary", 1: "junior"}
    for k, t in enumerate(cv_tables):
        rows = {r[0]: r for r in table_rows(t)[1:]}
        assert list(rows) == IDS
        for v in js["variation"]:
            if v["level"] != level[k] or v["indicator"] not in IDS:
                continue
            r = rows[v["indicator"]]
            assert r[5] == formats.cv(v["cv"])
            assert r[6] == formats.limit(v["limit"])
            assert r[7] == ("达标" if v["met"] else "未达标")
            ind = REG.indicator(v["indicator"])
            assert r[3] == formats.value(v["county_value"], ind, REG)
            assert r[4] == formats.value(v["threshold"], ind, REG)
    # the units failing the school rule: one row each
    failing = next(t for t in doc.tables if table_rows(t)[0][0] == "学校名称")
    assert len(table_rows(failing)) - 1 == n - passing
    # B8–B32: every indicator of the registry's groups, with its status
    status = {i["id"]: i["status"] for i in js["indicators"]}
    words = {"met": "达标", "not_met": "未达标", "not_assessed": "未评估"}
    seen = {}
    for t in doc.tables:
        rows = table_rows(t)
        if rows[0][:3] == ["指标", "指标名称", "状态"]:
            seen.update({r[0]: r[2] for r in rows[1:]})
    unit = {i.id for i in REG.unit_indicators}
    assert seen == {i: words[s] for i, s in status.items() if i not in unit}


def test_problems_say_the_ledger_count_and_list_every_open_problem(sample_draft):
    doc, _, frames = sample_draft
    line = count_line(frames.count)
    text = "\n".join(p.text for p in doc.paragraphs)
    assert f"问题台账：{line}" in text
    rows = [r for t in doc.tables if table_rows(t)[0][-1] == "整改时限"
            for r in table_rows(t)[1:]]
    assert len(rows) == frames.count.open
    # the deadline: the county's next milestone after the school year (data/sample/settings.yaml)
    assert {r[-1] for r in rows} == {"2027年8月前（自治州指导）"}
    assert {r[-2] for r in rows} == {"（请填写）"}
    assert doc.core_properties.subject == line  # what the report index shows


def test_fonts_page_and_fields(sample_draft):
    doc, *_ = sample_draft
    styles = doc.styles
    for name, font in (("Normal", BODY_FONT), ("Heading 1", HEADING_FONT),
                       ("Heading 2", HEADING_FONT), ("Title", HEADING_FONT)):
        fonts = styles[name].element.rPr.find(qn("w:rFonts"))
        assert fonts.get(qn("w:eastAsia")) == font, name
        assert fonts.get(qn("w:asciiTheme")) is None and fonts.get(qn("w:eastAsiaTheme")) is None
    body = doc.element.body
    runs = body.iter(qn("w:r"))
    assert all(r.find(qn("w:rPr")).find(qn("w:rFonts")).get(qn("w:eastAsia"))
               in (BODY_FONT, HEADING_FONT) for r in runs if r.find(qn("w:t")) is not None)
    sec = doc.sections[0]
    assert (round(sec.page_width.cm, 1), round(sec.page_height.cm, 1)) == (21.0, 29.7)
    footer = sec.footer._element.xml
    assert " PAGE " in footer and " NUMPAGES " in footer
    assert "样例县" in sec.header.paragraphs[0].text
    assert len(doc.inline_shapes) == 1  # the CV chart
    # Word tables, their header row repeated on every page
    assert len(doc.tables) >= 8
    for t in doc.tables:
        assert t.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None


def test_the_command_and_names_from_the_data(tmp_path):
    data = tmp_path / "d"
    shutil.copytree(TINY, data)
    s = pd.read_csv(data / "schools.csv", dtype=str, keep_default_na=False)
    s.loc[s.school_id == "6523010037", "school_name"] = "<b>实验</b>&学校\x1b[2J"
    s.to_csv(data / "schools.csv", index=False)
    out = tmp_path / "d.docx"
    res = run("selfreport", data, "--year", 2025, "--output", out, "--name", "小县")
    assert res.exit_code == 0, res.output
    doc = docx.Document(str(out))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert any("<b>实验</b>&学校\\x1b[2J" in c for c in cells)  # shown, not interpreted
    frames = make_ledger(load_county(data).tables)
    assert f"{frames.count.open} 条未销号问题" in res.output
    assert doc.core_properties.subject == count_line(frames.count)
    assert headings(doc, "Title") == ["小县2025学年义务教育优质均衡发展自评报告（草稿）"]


def test_one_county_of_many(tmp_path, multi_county):
    out = tmp_path / "m.docx"
    res = run("selfreport", MULTI, "--year", 2025, "--output", out)
    assert res.exit_code == 2 and "--county" in res.output and not out.exists()
    res = run("selfreport", MULTI, "--year", 2025, "--output", out, "--county", "652302")
    assert res.exit_code == 0, res.output
    units = [u for u in evaluation_json(multi_county[1], 2025)["units"]
             if u["county_id"] == "652302"]
    assert multi_county_units(docx.Document(str(out))) == (
        len(units), sum(u["passes"] for u in units))


def multi_county_units(doc) -> tuple[int, int]:
    basics = next(t for t in doc.tables if table_rows(t)[0][0] == "项目")
    rows = {r[0]: r for r in table_rows(basics)}
    return int(rows["评估单位数（个）"][3]), int(rows["达到学校标准的单位（个）"][3])


def test_bad_arguments_write_nothing(tmp_path):
    assert run("selfreport", TINY, "--year", 2025, "--output", tmp_path / "x.doc").exit_code == 2
    assert run("selfreport", TINY, "--year", 2030, "--output", tmp_path / "x.docx").exit_code == 2
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def tiny_documents(tiny_county):
    """The tiny county's forms and draft."""
    tables, ev = tiny_county
    forms = build_forms(ev, tables, 2025, name="小县")
    return forms, build_draft(forms, make_ledger(tables, evaluation=ev))


def test_draft_is_deterministic(tiny_documents):
    _, draft = tiny_documents
    assert docx_bytes(draft) == docx_bytes(draft)
    assert sum(isinstance(b, Table) for b in draft.blocks) >= 6


@pytest.mark.office
@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftotext") is None,
                    reason="LibreOffice and poppler-utils are installed by .ci/run")
def test_libreoffice_prints_the_draft_and_the_forms_with_chinese_text(tmp_path, tiny_documents):
    """The files open in an office suite: LibreOffice converts both to PDF, and the PDF text
    holds the Chinese headings (bounded: one soffice run, 180 s at most)."""
    from balance_lib.forms_excel import forms_bytes

    forms, draft = tiny_documents
    (tmp_path / "draft.docx").write_bytes(docx_bytes(draft))
    (tmp_path / "forms.xlsx").write_bytes(forms_bytes(forms))
    profile = tmp_path / "profile"
    subprocess.run(["soffice", "--headless", "--norestore",
                    f"-env:UserInstallation=file://{profile}", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(tmp_path / "draft.docx"),
                    str(tmp_path / "forms.xlsx")], check=True, timeout=180,
                   capture_output=True)
    draft = subprocess.run(["pdftotext", str(tmp_path / "draft.pdf"), "-"], check=True,
                           capture_output=True, text=True).stdout
    draft = "".join(draft.split())  # pdftotext puts spaces between Chinese and digits
    for words in ("小县2025学年义务教育优质均衡发展自评报告", "一、基本情况", "六、存在的问题与整改措施",
                  "第1页"):
        assert words in draft, words
    sheets = subprocess.run(["pdftotext", str(tmp_path / "forms.pdf"), "-"], check=True,
                            capture_output=True, text=True).stdout
    sheets = "".join(sheets.split())
    assert "表1小县2025学年义务教育基本情况" in sheets
    assert "昌吉市实验学校（小学部）" in sheets and "第1页，共" in sheets
