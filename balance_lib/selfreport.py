"""The 自评报告 draft (``balance selfreport``): the computed part of a county's yearly
self-assessment report, as blocks that :mod:`balance_lib.docx_out` writes to Word.

The bureau edits the narrative; the numbers are ours. The draft follows the usual order of a
自评报告:

1. 基本情况 — the schools, pupils, classes and teachers (表1), the verdict and its reasons;
2. 资源配置 — "N 个评估单位中 M 个达到学校标准", the county values and 差异系数 per level
   (Word tables), a chart of the CVs against their limits, the units that fail the school rule
   with their gaps in natural units;
3. 政府保障程度, 4. 教育质量, 5. 社会认可度 — the registry's groups A2–A4: a sentence of
   counts and a table of status, value, standard and explanation; the vetoes after 5;
6. 存在的问题与整改措施 — the ledger's one count, then every open problem grouped by
   责任单位 (as the printable ledger), with the year it was first seen, a column for the
   measures and the deadline (by default the county's next milestone, ``county.milestones``);
7. 附表 — the forms and the ledger that go with it.

Every paragraph the bureau is expected to write is a marked placeholder ("（请补充：…）").
Pure: :class:`~balance_lib.forms.Forms`, :class:`~balance_lib.ledger.LedgerFrames` and the
evaluation in, blocks out; words from ``words.yaml`` (``sr_*``), numbers from the display
functions of :mod:`balance_lib.forms`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .excel import by_department
from .forms import (
    LEVELS,
    SCHOOL_TYPES,
    Forms,
    count_text,
    cv_text,
    limit_text,
    value_text,
)
from .forms_excel import sheet_names
from .ledger import OPEN, UNASSIGNED, LedgerFrames, count_line
from .words import label, level_label, status_label

#: The registry groups of sections 3–5, in order.
GROUP_SECTIONS = ("A2", "A3", "A4")


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1


@dataclass(frozen=True)
class Paragraph:
    text: str
    placeholder: bool = False  # a part the bureau writes (shown in grey italics)


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...] = ()  # right-aligned columns
    widths: tuple[float, ...] = ()  # relative column widths


@dataclass(frozen=True)
class Figure:
    caption: str
    png: bytes = field(repr=False)


@dataclass(frozen=True)
class Draft:
    """The draft: its title, page header text and blocks."""

    title: str
    header: str
    blocks: tuple
    year: int
    subject: str = ""  # the ledger's one count (the document's subject: the index shows it)


def _w(key: str, lang: str, **fields) -> str:
    return label(f"sr_{key}", lang, **fields)


_DIGITS = "〇一二三四五六七八九"


def numeral(n: int, lang: str = "zh") -> str:
    """The number of a heading: Chinese numerals (1–99) in Chinese, digits in English.

    >>> [numeral(k) for k in (1, 10, 12, 20, 35)], numeral(3, "en")
    (['一', '十', '十二', '二十', '三十五'], '3')
    """
    if lang != "zh" or not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")
    return head + (_DIGITS[ones] if ones else "")


# ---------------------------------------------------------------------------------------------
# 一、基本情况


def _basics(forms: Forms, lang: str) -> list:
    counts = forms.school_counts.set_index("school_type")["schools"]
    facts = forms.level_facts.set_index("item")
    sep = label("list_sep", lang)
    kinds = sep.join(_w("n_schools", lang, n=count_text(counts[t]),
                        type=label(f"forms_type_{t}", lang))
                     for t in SCHOOL_TYPES if t != "special" and counts[t])
    levels = label("clause_sep", lang).join(
        _w("level_facts", lang, level=level_label(lv, lang),
           students=count_text(facts.loc["students", lv]),
           classes=count_text(facts.loc["classes", lv]),
           teachers=count_text(facts.loc["teachers", lv])) for lv in LEVELS)
    general = int(sum(counts[t] for t in SCHOOL_TYPES if t != "special"))
    text = _w("basics", lang, county=forms.name, year=forms.year, n=count_text(general),
              kinds=kinds, special=count_text(counts["special"]),
              points=count_text(forms.teaching_points[0]), levels=levels)
    blocks: list = [Heading(_w("h_basics", lang)), Paragraph(_w("placeholder_basics", lang),
                                                            placeholder=True),
                    Paragraph(text)]
    verdict = _w("verdict", lang, year=forms.year, verdict=status_label(forms.verdict, lang))
    blocks.append(Paragraph(verdict))
    if forms.reasons:
        blocks.append(Bullets(tuple(forms.reasons)))
    rows = []
    for rec in forms.level_facts.itertuples(index=False):
        cells = [label(f"forms_fact_{rec.item}", lang)]
        cells += [count_text(getattr(rec, c)) if pd.notna(getattr(rec, c)) else ""
                  for c in (*LEVELS, "total")]
        rows.append(tuple(cells))
    blocks.append(Table(_w("table_basics", lang, no=1), (
        label("forms_h_item", lang), *(level_label(lv, lang) for lv in LEVELS),
        label("forms_h_total", lang)), tuple(rows), (False, True, True, True), (5, 2, 2, 2)))
    return blocks


# ---------------------------------------------------------------------------------------------
# 二、资源配置


def _gap_texts(u: dict, forms: Forms, lang: str) -> str:
    reg = forms.registry
    parts = []
    for i in forms.indicator_ids:
        if u[f"met_{i}"]:
            continue
        ind = reg.indicator(i)
        floor = "" if u[f"floor_met_{i}"] else _w("below_floor", lang,
                                                   floor=f"{reg.floor_ratio:.0%}")
        parts.append(_w("unit_gap", lang, id=i, value=value_text(u[f"value_{i}"], i, reg),
                        threshold=value_text(u[f"threshold_{i}"], i, reg), floor=floor,
                        name=ind.short(lang)))
    return label("clause_sep", lang).join(parts)


def _resources(forms: Forms, lang: str, figure: bytes | None, tables: list[int]) -> list:
    reg = forms.registry
    n, passing = forms.n_units, forms.n_passing
    blocks: list = [Heading(_w("h_resources", lang))]
    blocks.append(Paragraph(_w("units", lang, county=forms.name, n=n, passing=passing,
                               failing=n - passing, min_met=reg.min_met,
                               floor=f"{reg.floor_ratio:.0%}")))
    v = forms.variation
    over = v[~v["met"]]
    within = label("clause_sep", lang).join(
        _w("cv_level", lang, level=level_label(lv, lang),
           n=int((v["level"] == lv).sum()), within=int(((v["level"] == lv) & v["met"]).sum()),
           limit=limit_text(reg.cv_limit(lv), reg)) for lv in LEVELS)
    if len(over):
        overs = label("list_sep", lang).join(
            _w("cv_over_one", lang, level=level_label(r.level, lang), id=r.indicator,
               cv=cv_text(r.cv, forms.settings), limit=limit_text(r.limit, reg))
            for r in over.itertuples())
        blocks.append(Paragraph(_w("cv_some_over", lang, within=within, over=overs)))
    else:
        blocks.append(Paragraph(_w("cv_all_within", lang, within=within)))
    for lv in LEVELS:
        rows = tuple(
            (r.indicator, r.name, r.unit, value_text(r.county_value, r.indicator, reg),
             value_text(r.threshold, r.indicator, reg), cv_text(r.cv, forms.settings),
             limit_text(r.limit, reg),
             status_label("met" if r.met else "not_met", lang))
            for r in v[v["level"] == lv].itertuples())
        tables[0] += 1
        blocks.append(Table(
            _w("table_cv", lang, no=tables[0], level=level_label(lv, lang)),
            tuple(label(k, lang) for k in ("forms_h_indicator", "forms_h_name", "forms_h_unit",
                                           "forms_h_county_value", "forms_h_threshold",
                                           "forms_h_cv", "forms_h_limit", "forms_h_cv_met")),
            rows, (False, False, False, True, True, True, True, False),
            (1.2, 6, 2.6, 1.8, 1.6, 1.6, 1.2, 1.6)))
    if figure is not None:
        blocks.append(Figure(_w("figure_cv", lang, year=forms.year), figure))
    failing = []
    for lv in LEVELS:
        u = forms.units[lv]
        for rec in u[~u["passes"]].to_dict("records"):
            failing.append((rec["name"], level_label(lv, lang),
                            f"{int(rec['met_count'])}/{len(forms.indicator_ids)}",
                            _gap_texts(rec, forms, lang)))
    if failing:
        tables[0] += 1
        blocks.append(Table(_w("table_failing", lang, no=tables[0]), (
            label("forms_h_school", lang), label("forms_h_level", lang),
            label("forms_h_met_count", lang), _w("h_gaps", lang)), tuple(failing),
            (False, False, True, False), (3.5, 1.2, 1.4, 8)))
    blocks.append(Paragraph(_w("placeholder_resources", lang), placeholder=True))
    return blocks


# ---------------------------------------------------------------------------------------------
# 三–五、政府保障程度、教育质量、社会认可度


def _group(forms: Forms, group: str, number: str, lang: str, tables: list[int]) -> list:
    reg = forms.registry
    items = forms.items[(forms.items["kind"] == "indicator") & (forms.items["group"] == group)]
    name = reg.groups[group][lang]
    blocks: list = [Heading(_w("h_group", lang, number=number, name=name))]
    if items.empty:
        return blocks
    counts = items["status"].value_counts()
    not_met = label("list_sep", lang).join(items.loc[items["status"] == "not_met", "id"])
    pending = label("list_sep", lang).join(items.loc[items["status"] == "not_assessed", "id"])
    text = _w("group_counts", lang, n=len(items), met=int(counts.get("met", 0)),
              not_met=int(counts.get("not_met", 0)),
              not_assessed=int(counts.get("not_assessed", 0)))
    if not_met:
        text += _w("group_not_met", lang, ids=not_met)
    if pending:
        text += _w("group_pending", lang, ids=pending)
    blocks.append(Paragraph(text + label("sr_full_stop", lang)))
    rows = tuple((r.id, r.name, status_label(r.status, lang),
                  "" if pd.isna(r.value) else value_text(r.value, r.id, reg),
                  "" if pd.isna(r.threshold) else value_text(r.threshold, r.id, reg),
                  r.detail) for r in items.itertuples())
    tables[0] += 1
    blocks.append(Table(_w("table_group", lang, no=tables[0], name=name), tuple(
        label(k, lang) for k in ("forms_h_indicator", "forms_h_name", "forms_h_status",
                                 "forms_h_value", "forms_h_threshold", "forms_h_detail")),
        rows, (False, False, False, True, True, False), (1.2, 4.2, 1.3, 1.7, 1.7, 6.2)))
    blocks.append(Paragraph(_w("placeholder_group", lang, name=name), placeholder=True))
    return blocks


def _vetoes(forms: Forms, lang: str, tables: list[int]) -> list:
    v = forms.items[forms.items["kind"] == "veto"]
    if v.empty:
        return []
    triggered = label("list_sep", lang).join(v.loc[v["status"] == "triggered", "id"])
    text = (_w("vetoes_triggered", lang, ids=triggered) if triggered else
            _w("vetoes_none", lang, n=len(v)))
    rows = tuple((r.id, r.name, status_label(r.status, lang), r.detail) for r in v.itertuples())
    tables[0] += 1
    return [Heading(_w("h_vetoes", lang), 2), Paragraph(text), Table(
        _w("table_vetoes", lang, no=tables[0]),
        tuple(label(k, lang) for k in ("col_veto", "forms_h_name", "forms_h_status",
                                       "forms_h_detail")), rows, (False, False, False, False),
        (1.5, 5, 1.5, 8))]


# ---------------------------------------------------------------------------------------------
# 六、存在的问题与整改措施


def deadline_text(forms: Forms, lang: str = "zh") -> str:
    """The default 整改时限: the county's first milestone after the draft's school year
    (``county.milestones`` of the settings; for the sample 2027.8, the end of the plan's
    创建实施阶段), else a blank to fill in."""
    import datetime as dt

    end = dt.date(forms.year + 1, 8, 31)
    later = [m for m in forms.settings.county.milestones if m.date > end]
    if not later:
        return _w("measures_placeholder", lang)
    m = later[0]
    return _w("deadline", lang, year=m.date.year, month=m.date.month, what=m.label(lang))


def open_problems(frames: LedgerFrames, forms: Forms) -> pd.DataFrame:
    """Every problem still 未销号 at the end of the ledger, one row each (its latest record),
    grouped by 责任单位 like the printable ledger."""
    led = frames.ledger
    if "county_id" in led:
        led = led[led["county_id"].astype(str) == forms.county_id]
    rows = led[led["status"] == OPEN].sort_values("year").drop_duplicates(
        ["item_key", "first_seen"], keep="last")
    return by_department(rows, forms.registry)


def _problems(forms: Forms, frames: LedgerFrames, lang: str, tables: list[int]) -> list:
    blocks: list = [Heading(_w("h_problems", lang)),
                    Paragraph(_w("problems_count", lang, line=count_line(frames.count, lang)))]
    rows = open_problems(frames, forms)
    reg = forms.registry
    deadline = deadline_text(forms, lang)
    if rows.empty:
        blocks.append(Paragraph(_w("problems_none", lang)))
    for k, (resp, part) in enumerate(rows.groupby("responsible", sort=False), start=1):
        blocks.append(Heading(_w("h_department", lang, no=numeral(k, lang),
                                 departments=resp or UNASSIGNED, n=len(part)), 2))
        cells = []
        for r in part.itertuples():
            key = ("where_school" if r.school_name else "where_county") + (
                "_level" if r.level else "")
            what = _w(key, lang, name=r.school_name,
                      level=level_label(r.level, lang) if r.level else "")
            # the short name when the registry has one, else the whole name (wrapped, never
            # cut: the reader must be able to read what is to be rectified)
            name = (reg.veto(r.indicator).label(lang) if r.indicator.startswith("V") else
                    reg.indicator(r.indicator).short(lang))
            cells.append((what, f"{r.indicator} {name}", r.gap_text, str(int(r.first_seen)),
                          _w("measures_placeholder", lang), deadline))
        tables[0] += 1
        blocks.append(Table(_w("table_problems", lang, no=tables[0]), tuple(
            _w(f"h_{k}", lang) for k in ("where", "item", "gap", "first_seen", "measures",
                                         "deadline")), tuple(cells),
            (False, False, False, True, False, False), (2.9, 4.0, 3.1, 1.2, 2.6, 2.3)))
    blocks.append(Paragraph(_w("placeholder_problems", lang), placeholder=True))
    return blocks


def _annexes(lang: str) -> list:
    names = sheet_names(lang)
    items = [names[k] for k in ("basics", "primary", "junior", "variation", "items")]
    items.append(_w("annex_ledger", lang))
    return [Heading(_w("h_annexes", lang)), Paragraph(_w("annexes", lang)),
            Bullets(tuple(items))]


# ---------------------------------------------------------------------------------------------


def build_draft(forms: Forms, frames: LedgerFrames, *, lang: str = "zh",
                note: str | None = None, figure: bytes | None = None) -> Draft:
    """The draft of ``forms``' county and year; ``frames``: its ledger up to that year;
    ``note``: the data note (synthetic data); ``figure``: the PNG of the CV chart."""
    tables = [1]  # 表1 is the basics table; the others are numbered as they come
    blocks: list = [Paragraph(_w("draft_notice", lang, year=forms.year))]
    if note:
        blocks.append(Paragraph(note))
    blocks += _basics(forms, lang)
    blocks += _resources(forms, lang, figure, tables)
    for number, group in enumerate(GROUP_SECTIONS, start=3):
        blocks += _group(forms, group, numeral(number, lang), lang, tables)
    blocks += _vetoes(forms, lang, tables)
    blocks += _problems(forms, frames, lang, tables)
    blocks += _annexes(lang)
    title = _w("title", lang, county=forms.name, year=forms.year)
    return Draft(title=title, header=title, blocks=tuple(blocks), year=forms.year,
                 subject=count_line(frames.count, lang))


__all__ = ["Bullets", "Draft", "Figure", "Heading", "Paragraph", "Table", "build_draft",
           "deadline_text", "numeral", "open_problems"]
