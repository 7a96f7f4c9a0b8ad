"""The report index as a dashboard: the county's answer per year and per school, with links.

:func:`summary` computes what the index shows (pure: the evaluation's frames in, plain
dicts out) — per year the verdict, the units passing, the CVs over their limits, the items not
met and the vetoes; per school its latest result — and :func:`dashboard_page` writes the page:
those tables with a link to each report (a failed report links to its readable problem page,
:func:`balance_lib.render.problem_name`), the render status in a column of its own, links to
the ledger workbook, the official forms workbook when present and the other language's index.
Timings stay in the manifest. Every name from the data is HTML-escaped.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from . import formats
from .words import label, level_label, status_label

#: Files beside the reports the index links by name when they exist: (word key, file names).
#: The workbooks and the draft our commands write are found by what they are, under any name
#: (:mod:`balance_lib.documents`: ``balance forms`` writes e.g. ``forms-2025.xlsx``); only
#: the ledger's CSV form, which carries no properties, is found by its name.
LINKED_FILES = (("dash_ledger", ("ledger.xlsx", "ledger.csv")),)

CSS = """
body{font-family:'balance-cjk','DejaVu Sans',Arial,sans-serif;margin:1.5em 2em;color:#1f2328}
h1{font-size:24px} h2{font-size:18px;margin-top:1.4em}
table{border-collapse:collapse;margin:.4em 0 1em;font-size:14px}
td,th{border-bottom:1px solid #e1e4e8;padding:5px 12px;text-align:left;vertical-align:top}
th{background:#f1f4f8;border-bottom:2px solid #9aa7b4;white-space:nowrap}
td.num{text-align:right;white-space:nowrap}
.fails{color:#b33c00;font-weight:600}.meets{color:#00704f;font-weight:600}
.incomplete{color:#8a5a00;font-weight:600}
tr.failed{background:#fde0d0}.note{background:#fff4ce;padding:6px 10px}
.links a{margin-right:1.5em}
.answer{font-size:17px;font-weight:600}.province{font-size:15px}.small{font-size:13px;color:#57606a}
@media print{a{color:inherit;text-decoration:none}table{break-inside:avoid}}
"""


def summary(evaluation: Any, lang: str = "zh") -> dict[str, Any]:
    """What the index shows, from an :class:`~balance_lib.indicators.Evaluation` of every
    year: ``years`` (one dict per year) and ``schools`` (school id → its latest result)."""
    reg = evaluation.registry
    units, var, items = evaluation.units, evaluation.variation, evaluation.items
    unit_ids = {i.id for i in reg.unit_indicators}
    years = []
    for _, v in evaluation.verdict.sort_values("year").iterrows():
        y = int(v["year"])
        u = units[units["year"] == y]
        vy = var[var["year"] == y]
        it = items[(items["year"] == y) & ~items["id"].isin(unit_ids)]
        vet = evaluation.vetoes[evaluation.vetoes["year"] == y]
        years.append({
            "year": y, "status": str(v["status"]),
            "units_passing": int(u["passes"].sum()), "units": int(len(u)),
            "cv_over": int((~vy["met"].astype(bool) & vy["cv"].notna()).sum()),
            "not_met": sorted(it.loc[it["status"] == "not_met", "id"].tolist(),
                              key=lambda i: reg.order.get(i, 999)),
            "vetoes": int((vet["triggered"] == True).sum()),  # noqa: E712 - NA is not triggered
        })
    schools: dict[str, Any] = {}
    if len(units):
        last = units.sort_values("year").groupby("school_id").tail(1)[["school_id", "year"]]
        latest = units.merge(last, on=["school_id", "year"])
        for sid, g in latest.groupby("school_id", sort=True):
            schools[str(sid)] = {
                "year": int(g["year"].iloc[0]),
                "levels": [{"level": str(r.level), "met": int(r.met_count),
                            "passes": bool(r.passes)} for r in g.sort_values("level",
                                                                              ascending=False)
                           .itertuples()]}
    return {"years": years, "schools": schools, "rule_size": reg.school_rule_size()}


def _link(href: str | None, text: str) -> str:
    return (f'<a href="{html.escape(href, quote=True)}">{html.escape(text)}</a>' if href
            else html.escape(text))


def _status_cell(o: Any, lang: str) -> str:
    from .pages import readable_error
    from .render import problem_name

    word = label(f"run_{o.status}", lang) if o.status in ("ok", "skipped", "failed") else o.status
    if o.status != "failed":
        return html.escape(word)
    first = readable_error(o.error).splitlines()[:1]
    reason = f"<br><small>{html.escape(first[0][:200])}</small>" if first else ""
    return f'{_link(problem_name(o.stem), word)}{reason}'


def _target(o: Any) -> str | None:
    from .render import problem_name

    return o.html if o.status != "failed" and o.html else (
        problem_name(o.stem) if o.status == "failed" else None)


def _table(head: list[str], rows: list[list[str]], numeric: set[int] = frozenset(),
           failed: list[bool] | None = None) -> str:
    th = "".join(f"<th>{h}</th>" for h in head)
    body = []
    for k, r in enumerate(rows):
        cls = ' class="failed"' if failed and failed[k] else ""
        tds = "".join(f'<td class="num">{c}</td>' if j in numeric else f"<td>{c}</td>"
                      for j, c in enumerate(r))
        body.append(f"<tr{cls}>{tds}</tr>")
    return f"<table><thead><tr>{th}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _section(title_key: str, head_keys: tuple[str, ...], rows: list[list[str]],
             failed: list[bool], lang: str, numeric: set[int] = frozenset()) -> str:
    """A heading and its table ("" when there are no rows)."""
    if not rows:
        return ""
    head = [html.escape(label(k, lang)) for k in head_keys]
    return (f"<h2>{html.escape(label(title_key, lang))}</h2>"
            + _table(head, rows, numeric, failed))


def _verdict_word(status: str, lang: str) -> str:
    cls = {"meets": "meets", "incomplete": "incomplete"}.get(status, "fails")
    return f'<span class="{cls}">{html.escape(status_label(status, lang))}</span>'


def _school_result(info: dict[str, Any] | None, size: int, lang: str) -> str:
    if not info:
        return "—"
    parts = []
    for lv in info["levels"]:
        word = label("dash_passes" if lv["passes"] else "dash_fails", lang)
        cls = "meets" if lv["passes"] else "fails"
        parts.append(f'{html.escape(level_label(lv["level"], lang))} '
                     f'<span class="{cls}">{html.escape(word)}</span> {lv["met"]}/{size}')
    return html.escape(label("school_year", lang, year=info["year"])) + "：" + "；".join(parts) \
        if lang == "zh" else html.escape(str(info["year"])) + ": " + "; ".join(parts)


def dashboard_page(outcomes: list[Any], title: str, note: str | None, lang: str = "zh", *,
                   summary: dict[str, Any] | None = None, out_dir: Path | None = None,
                   documents: tuple[str, frozenset[str]] | None = None, nav: str = "") -> str:
    """The index page (see the module docstring). ``summary``: :func:`summary` of the county
    (without it the tables show the reports and their status only); ``documents``: the
    section of filed documents and the files it links
    (:func:`balance_lib.render.index_documents`), shown after the links; ``nav``: a navigation
    bar above the title (a county's index in a province: back to the main index)."""
    from .render import index_name

    sm = summary or {"years": [], "schools": {}, "rule_size": 7}
    size = sm.get("rule_size", 7)
    by_year = {y["year"]: y for y in sm["years"]}
    sections = []
    links = []
    other = "en" if lang == "zh" else "zh"
    if out_dir is not None:
        for key, names in LINKED_FILES:
            for name in names:
                if documents and name in documents[1]:
                    break  # linked in the documents section, with its count
                if (Path(out_dir) / name).is_file():
                    links.append(_link(name, label(key, lang)))
                    break
        if (Path(out_dir) / index_name(other)).is_file():
            links.append(_link(index_name(other), label("dash_other_lang", lang)))
    kinds: dict[str, list[Any]] = {}
    for o in outcomes:
        kinds.setdefault(o.kind, []).append(o)
    # per year
    rows, failed = [], []
    for o in kinds.get("county-year", []):
        y = by_year.get(int(o.parameters.get("year", 0)), {})
        not_met = y.get("not_met", [])
        rows.append([_link(_target(o), label("school_year", lang, year=o.parameters.get("year"))),
                     _verdict_word(y["status"], lang) if y else "—",
                     html.escape(f"{formats.count(y['units_passing'])} / {formats.count(y['units'])}")
                     if y else "—",
                     formats.count(y["cv_over"]) if y else "—",
                     html.escape(label("list_sep", lang).join(not_met) or label("none", lang))
                     if y else "—",
                     formats.count(y["vetoes"]) if y else "—",
                     _status_cell(o, lang)])
        failed.append(o.status == "failed")
    sections.append(_section("dash_years", ("col_year", "sum_verdict", "sum_units_passing",
                                            "sum_cv_over", "sum_not_met", "sum_vetoes",
                                            "index_status"), rows, failed, lang, {2, 3, 5}))
    # trend, scenarios and plans
    rows, failed = [], []
    for kind in ("trend", "scenario", "plan"):
        for o in kinds.get(kind, []):
            rows.append([html.escape(label(f"kind_{kind}", lang)), _link(_target(o), o.title),
                         _status_cell(o, lang)])
            failed.append(o.status == "failed")
    sections.append(_section("dash_other", ("index_kind", "index_report", "index_status"),
                             rows, failed, lang))
    # per school
    rows, failed = [], []
    for o in kinds.get("school", []):
        sid = str(o.parameters.get("school_id", ""))
        rows.append([_link(_target(o), o.title),
                     _school_result(sm["schools"].get(sid), size, lang),
                     _status_cell(o, lang)])
        failed.append(o.status == "failed")
    sections.append(_section("dash_schools", ("dash_school", "dash_latest", "index_status"),
                             rows, failed, lang))
    links_html = f'<p class="links">{"".join(links)}</p>' if links else ""
    return _page(title, note, f'{links_html}{documents[0] if documents else ""}\n'
                 f'{"".join(sections)}', lang, nav)


def _page(title: str, note: str | None, body: str, lang: str, nav: str = "") -> str:
    """An index page: its title, the navigation bar, the data note (synthetic data), ``body``."""
    from .pages import NAV_CSS

    note_html = (f'<p class="note">{html.escape(note).replace(chr(10), "<br>")}</p>'
                 if note else "")
    html_lang = "zh-CN" if lang == "zh" else lang
    return f"""<!DOCTYPE html>
<html lang="{html_lang}"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{CSS}{NAV_CSS}</style></head>
<body>{nav}<h1>{html.escape(title)}</h1>{note_html}{body}
</body></html>
"""


# --- data of several counties (a province): a summary per county, the main index ------------


def summaries(evaluation: Any, lang: str = "zh") -> dict[str, dict[str, Any]]:
    """:func:`summary` of each county of ``evaluation`` (county id → summary), the frames split
    by county once."""
    from dataclasses import replace

    names = ("units", "variation", "items", "vetoes", "verdict")
    split = {n: dict(tuple(getattr(evaluation, n).groupby(
        getattr(evaluation, n)["county_id"].astype(str), sort=False))) for n in names}
    out = {}
    for c in sorted(split["verdict"]):
        parts = {n: split[n].get(c, getattr(evaluation, n).iloc[:0]) for n in names}
        out[c] = summary(replace(evaluation, **parts), lang)
    return out


def _county_year(entry: Any) -> dict[str, Any] | None:
    """The county's results in the year the main index shows (``entry.year``), or None."""
    years = (entry.dashboard or {}).get("years", [])
    return next((y for y in years if y["year"] == entry.year), None)


def distance(y: dict[str, Any]) -> int:
    """A county's distance to the standard (:mod:`balance_lib.province`) from its
    :func:`summary` of one year: units failing, CVs over, other indicators not met, vetoes.

    >>> distance({"units": 10, "units_passing": 8, "cv_over": 1, "not_met": ["B12"], "vetoes": 0})
    4
    """
    return (y["units"] - y["units_passing"]) + y["cv_over"] + len(y["not_met"]) + y["vetoes"]


_STATUS_ORDER = {"does_not_meet": 0, "incomplete": 1, "meets": 2}


def province_index_page(province: Any, counties: list[Any], outcomes: list[Any], title: str,
                        note: str | None, lang: str = "zh", *, out_dir: Path | None = None
                        ) -> str:
    """The main index of a province's batch, answer first: how many counties meet the
    standard, then every county — those that do not meet it first, closest to it first — with
    its verdict, units passing, CVs over their limit, indicators not met, vetoes and distance
    to the standard in the year shown, a link to its own index and its reports' status; the
    link to the province page (:mod:`balance_lib.province_report`) above the table.
    ``counties``: :class:`balance_lib.render.CountyEntry` (with their :func:`summary`)."""
    from .render import county_folder, index_name

    rows, failed, keyed = [], [], []
    counts = {"meets": 0, "incomplete": 0, "does_not_meet": 0}
    for c in counties:
        y = _county_year(c)
        status = y["status"] if y else c.status
        if status in counts:
            counts[status] += 1
        folder = county_folder(c.county_id)
        mine = [o for o in outcomes if o.stem.startswith(folder + "/")]
        href = f"{folder}/{index_name(lang)}" if c.rendered and mine else None
        n_failed = sum(o.status == "failed" for o in mine)
        if href:
            ok = sum(o.status in ("ok", "skipped") for o in mine)
            done = label("index_county_reports", lang, ok=formats.count(ok),
                         n=formats.count(len(mine))) + (
                label("index_county_failed", lang, failed=formats.count(n_failed))
                if n_failed else "")
        else:
            done = label("index_no_reports", lang)
        d = distance(y) if y else None
        keyed.append(((_STATUS_ORDER.get(status, 3), d if d is not None else 0, c.county_id),
                      len(rows)))
        sep = label("list_sep", lang)
        rows.append([
            _link(href, c.county_id), _verdict_word(status, lang),
            html.escape(f"{formats.count(y['units_passing'])} / {formats.count(y['units'])}")
            if y else "—",
            formats.count(y["cv_over"]) if y else "—",
            html.escape(sep.join(y["not_met"]) or label("none", lang)) if y else "—",
            formats.count(y["vetoes"]) if y else "—",
            formats.count(d) if d is not None else "—",
            html.escape(done)])
        failed.append(bool(n_failed))
    order = [k for _, k in sorted(keyed)]
    rows, failed = [rows[k] for k in order], [failed[k] for k in order]
    year = max((c.year for c in counties), default="")
    answer = html.escape(label("pv_headline", lang, n=formats.count(len(counties)),
                               meets=formats.count(counts["meets"]),
                               incomplete=formats.count(counts["incomplete"]),
                               fails=formats.count(counts["does_not_meet"])))
    intro = f'<p class="answer">{answer}</p>'
    if province is not None:
        cls = "province failed" if province.status == "failed" else "province"
        intro += (f'<p class="{cls}">{_link(_target(province), label("index_province", lang))}'
                  f'（{_status_cell(province, lang)}）</p>' if lang == "zh" else
                  f'<p class="{cls}">{_link(_target(province), label("index_province", lang))}'
                  f' ({_status_cell(province, lang)})</p>')
    links = []
    other = "en" if lang == "zh" else "zh"
    if out_dir is not None and (Path(out_dir) / index_name(other)).is_file():
        links.append(_link(index_name(other), label("dash_other_lang", lang)))
    links_html = f'<p class="links">{"".join(links)}</p>' if links else ""
    head = [html.escape(label(k, lang)) for k in (
        "pv_col_county", "sum_verdict", "sum_units_passing", "sum_cv_over", "sum_not_met",
        "sum_vetoes", "pv_col_distance", "index_report")]
    heading = html.escape(label("dash_counties", lang, year=year))
    table = (f"<h2>{heading}</h2>" + _table(head, rows, {2, 3, 5, 6}, failed)
             + f'<p class="small">{html.escape(label("pv_distance_rule", lang))}</p>')
    return _page(title, note, f"{intro}{links_html}{table}", lang)
