"""What the province page (``notebooks/50-province.ipynb``) shows: the tables of
:mod:`balance_lib.province` in words, and the county × indicator CV table coloured against the
limits.

The page is the province's answer first: how many counties meet the standard, the counties
ranked by their distance to it (verdict, units passing, CVs over their limit, indicators not
met, vetoes), then the indicators that fail in the most counties, then every county's CVs.
Every word comes from :mod:`balance_lib.words`; names and ids from the data are escaped.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

from . import formats, province
from .indicators import Evaluation
from .report import ReportData, check_params, evaluation, table
from .words import label, level_label, status_label


@dataclass(frozen=True)
class Province:
    """The province overview of one school year, as frames (codes, not words)."""

    data: ReportData
    year: int
    evaluation: Evaluation
    overview: pd.DataFrame
    indicators: pd.DataFrame
    cv: pd.DataFrame
    limits: pd.Series
    years: pd.DataFrame
    linked: frozenset[str]

    @property
    def n_counties(self) -> int:
        return len(self.overview)


def build(data: ReportData, year: int = 0, linked: str = "") -> Province:
    """The overview of ``year`` (0: the latest year of the data). ``linked``: the counties
    that have their own reports, comma-separated, or ``all``."""
    year = int(year) or data.years[-1]
    check_params(data, year=year)
    ev = evaluation(data)
    y = ev.for_year(year)
    cv, limits = province.cv_matrix(y.variation)
    counties = sorted(set(y.verdict["county_id"].astype(str)))
    links = set(counties) if linked.strip() == "all" else {
        c.strip() for c in linked.split(",") if c.strip()}
    return Province(data=data, year=year, evaluation=y,
                    overview=province.county_overview(y.verdict),
                    indicators=province.failing_indicators(y.items, data.registry.order),
                    cv=cv, limits=limits, years=province.year_summary(ev.verdict),
                    linked=frozenset(links & set(counties)))


def title(p: Province, lang: str = "zh") -> str:
    return label("title_province", lang, name=p.data.path.name, year=p.year)


def headline(p: Province, lang: str = "zh") -> list[str]:
    """The answer in a few sentences: counts per verdict, the closest counties that do not
    meet the standard, the indicators failing in the most counties."""
    o = p.overview
    n = {s: int((o["status"] == s).sum()) for s in ("meets", "incomplete", "does_not_meet")}
    lines = [label("pv_headline", lang, n=len(o), meets=n["meets"],
                   incomplete=n["incomplete"], fails=n["does_not_meet"])]
    failing = o[o["status"] == "does_not_meet"].head(3)
    if len(failing):
        sep = label("list_sep", lang)
        lines.append(label("pv_closest", lang, counties=sep.join(
            f"{c}（{d}）" if lang == "zh" else f"{c} ({d})"
            for c, d in zip(failing["county_id"], failing["distance"], strict=True))))
    top = p.indicators[p.indicators["n_not_met"] > 0].head(3)
    if len(top):
        reg = p.data.registry
        lines.append(label("pv_top_indicator", lang, items=label("list_sep", lang).join(
            label("pv_item_count", lang, id=i, name=reg.indicator(i).label(lang), n=int(k))
            for i, k in zip(top["id"], top["n_not_met"], strict=True))))
    return lines


def _ids(values: Any, lang: str) -> str:
    return label("list_sep", lang).join(values) or "—"


def county_table(p: Province, lang: str = "zh") -> pd.DataFrame:
    """One row per county, ranked by distance to the standard (:mod:`balance_lib.province`)."""
    o = p.overview
    reg, cv_digits = p.data.registry, p.data.settings
    cv_over = [label("clause_sep", lang).join(
        f"{level_label(lv, lang)} {i} {formats.cv(cv, cv_digits)} > {formats.limit(lim, reg)}"
        for i, lv, cv, lim in over) or "—" for over in o["cv_over"]]
    return pd.DataFrame({
        label("pv_col_rank", lang): o["rank"].to_numpy(),
        label("pv_col_county", lang): o["county_id"].to_numpy(),
        label("sum_verdict", lang): [status_label(s, lang) for s in o["status"]],
        label("pv_col_units_passing", lang): [
            f"{formats.count(a)} / {formats.count(b)}"
            for a, b in zip(o["n_units_passing"], o["n_units"], strict=True)],
        label("pv_col_cv_over", lang): cv_over,
        label("pv_col_not_met", lang): [_ids(x, lang) for x in o["not_met"]],
        label("pv_col_vetoes", lang): [_ids(x, lang) for x in o["triggered"]],
        label("pv_col_not_assessed", lang): o["n_not_assessed"].to_numpy(),
        label("pv_col_distance", lang): o["distance"].to_numpy(),
    })


def indicator_table(p: Province, lang: str = "zh", top: int = 15) -> pd.DataFrame:
    """The indicators not met in at least one county, most counties first (``top`` rows)."""
    reg = p.data.registry
    f = p.indicators[p.indicators["n_not_met"] > 0].head(top)
    return pd.DataFrame({
        label("col_indicator", lang): f["id"].to_numpy(),
        label("col_name", lang): [reg.indicator(i).label(lang) for i in f["id"]],
        label("pv_col_counties_not_met", lang): f["n_not_met"].to_numpy(),
        label("pv_col_share", lang): [formats.percent(x, 0) for x in f["share_not_met"]],
        label("pv_col_counties_not_assessed", lang): f["n_not_assessed"].to_numpy(),
        label("pv_col_responsible", lang): ["、".join(reg.indicator(i).responsible_units)
                                            for i in f["id"]],
    })


def years_table(p: Province, lang: str = "zh") -> pd.DataFrame:
    y = p.years
    return pd.DataFrame({
        label("pv_col_year", lang): y["year"].to_numpy(),
        status_label("meets", lang): y["meets"].to_numpy(),
        status_label("incomplete", lang): y["incomplete"].to_numpy(),
        status_label("does_not_meet", lang): y["does_not_meet"].to_numpy(),
        label("pv_col_n_counties", lang): y["n_counties"].to_numpy(),
    })


def notes(p: Province, lang: str = "zh") -> list[str]:
    """How the page is computed (distance, colours) and what the links lead to."""
    reg = p.data.registry
    lines = [label("pv_distance_rule", lang),
             label("pv_cv_legend", lang, cv_primary=formats.limit(reg.cv_limit("primary"), reg),
                   cv_junior=formats.limit(reg.cv_limit("junior"), reg),
                   near=formats.number(province.NEAR_LIMIT * 100, 0))]
    if p.linked:
        lines.append(label("pv_links", lang))
    return lines


#: Style of the coloured CV table (scoped to its wrapper, as :data:`report.TABLE_CSS`); the
#: marks ▲ △ carry the meaning on paper without colour.
CV_CSS = (
    ".balance-cv td.over{background:#f4c7b8;font-weight:600}"
    ".balance-cv td.near{background:#fff0b3}"
    ".balance-table-wrap.balance-cv table.balance-table th.group{text-align:center;"
    "border-bottom:1px solid #9aa7b4}"
    ".balance-cv td.county a{color:#0b5cad}"
    "@media print{.balance-cv td.over,.balance-cv td.near{-webkit-print-color-adjust:exact;"
    "print-color-adjust:exact}.balance-cv thead{display:table-header-group}}"
)
MARKS = {"over": "▲", "near": "△", "ok": "", "none": ""}


def county_href(county_id: str, lang: str = "zh") -> str:
    """The county's index, relative to the province page (``<county>/index.html``)."""
    from .render import county_folder, index_name

    return f"{county_folder(county_id)}/{index_name(lang)}"


class CvTable:
    """The county × indicator CV table for ``display()``: coloured HTML in the report, the
    rounded plain text (with the marks) for terminals and nbval."""

    def __init__(self, p: Province, lang: str = "zh") -> None:
        self.p, self.lang = p, lang
        self.flags = province.cv_flags(p.cv, p.limits)

    def frame(self) -> pd.DataFrame:
        """The table as text cells: CVs with three decimals and their mark."""
        cells = {}
        digits = self.p.data.settings
        for col in self.p.cv.columns:
            values, flags = self.p.cv[col], self.flags[col]
            cells[(level_label(col[0], self.lang), col[1])] = [
                "—" if f == "none" else f"{text}{MARKS[f]}"
                for text, f in zip(formats.cvs(values, digits), flags, strict=True)]
        out = pd.DataFrame(cells, index=self.p.cv.index)
        out.index.name = label("pv_col_county", self.lang)
        return out

    def __repr__(self) -> str:
        f = self.frame()
        f.columns = [f"{a} {b}" for a, b in f.columns]
        return repr(table(f.reset_index(), lang=self.lang))

    def _repr_html_(self) -> str:
        from .report import TABLE_CSS

        p, lang = self.p, self.lang
        f = self.frame()
        levels = list(dict.fromkeys(c[0] for c in f.columns))
        group = "".join(
            f'<th class="group" colspan="{sum(c[0] == lv for c in f.columns)}">'
            f"{html.escape(lv)}</th>" for lv in levels)
        ids = "".join(f'<th class="num">{html.escape(c[1])}</th>' for c in f.columns)
        head = (f'<tr><th rowspan="2">{html.escape(label("pv_col_county", lang))}</th>{group}'
                f"</tr><tr>{ids}</tr>")
        rows = []
        for county, cells in zip(f.index, f.itertuples(index=False), strict=True):
            name = html.escape(str(county))
            if str(county) in p.linked:
                name = (f'<a href="{html.escape(county_href(str(county), lang), quote=True)}">'
                        f"{name}</a>")
            tds = "".join(
                f'<td class="num {flag}">{html.escape(text)}</td>'
                for text, flag in zip(cells, self.flags.loc[county], strict=True))
            rows.append(f'<tr><td class="county">{name}</td>{tds}</tr>')
        return (f'<div class="balance-table-wrap balance-cv"><style>{TABLE_CSS}{CV_CSS}'
                f'</style>\n<table class="balance-table"><thead>{head}</thead>\n'
                f"<tbody>{''.join(rows)}</tbody></table></div>")


def cv_table(p: Province, lang: str = "zh") -> CvTable:
    return CvTable(p, lang)


class CountyTable:
    """:func:`county_table` for ``display()``, with the county codes linked to the county's
    reports where they exist."""

    def __init__(self, p: Province, lang: str = "zh") -> None:
        self.p, self.lang = p, lang
        self.inner = table(county_table(p, lang), lang=lang)

    def __repr__(self) -> str:
        return repr(self.inner)

    def _repr_html_(self) -> str:
        page = self.inner._repr_html_()
        o = self.p.overview
        for rank, county in zip(o["rank"], o["county_id"], strict=True):
            if county not in self.p.linked:
                continue
            # the row's first cells (rank, county) are unique; the county cell may be aligned
            # as a number (ids of digits)
            cell = re.compile(f'(<tr><td class="num">{rank}</td><td(?: class="num")?>)'
                              f"{re.escape(html.escape(county))}</td>")
            link = (f'<a href="{html.escape(county_href(county, self.lang), quote=True)}">'
                    f"{html.escape(county)}</a></td>")
            page = cell.sub(lambda m, link=link: m.group(1) + link, page, count=1)
        return page


def counties(p: Province, lang: str = "zh") -> CountyTable:
    return CountyTable(p, lang)
