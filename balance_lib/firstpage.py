"""What a report shows first: the answer (verdict, who fails, by how much, who is responsible).

Pure functions from the evaluation's frames to tables for people (text cells, numbers formatted
by :mod:`balance_lib.formats`, words from :mod:`balance_lib.words`): the county-year report's
first screen (:func:`failing_units_table`, :func:`cv_over_table`, :func:`items_not_met_table`),
and the 一校一册 booklet page (:func:`school_verdict_lines`, :func:`school_grid`,
:func:`school_contributions`). The notebooks display them with :func:`balance_lib.report.table`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from . import formats
from .registry import Registry
from .variation import unit_contributions
from .words import label, level_label


def _cols(lang: str, **columns: Any) -> dict[str, Any]:
    return {label(key, lang): values for key, values in columns.items()}


def _departments(ids: list[str], registry: Registry, lang: str) -> str:
    """The 责任单位 of ``ids`` (each once, in registry order)."""
    seen: dict[str, None] = {}
    for i in ids:
        for d in registry.indicator(i).responsible_units if registry.has(i) else ():
            seen[d] = None
    return label("list_sep", lang).join(seen)


def _rule_text(met: int, registry: Registry) -> str:
    return f"{met}/{registry.school_rule_size()}"


def failing_units_table(values: pd.DataFrame, units: pd.DataFrame, registry: Registry,
                        lang: str = "zh") -> pd.DataFrame:
    """Every unit that fails the school rule: school, level, indicators met (n/7), each
    indicator missed with its value against the standard (✗✗ below the 85% floor), the gap
    in natural units and the 责任单位. Units that pass with a miss are not failing."""
    fail = units[~units["passes"].astype(bool)].sort_values(
        ["level", "met_count", "school_id"], ascending=[True, True, True])
    rows = []
    v = values[~values["met"].astype(bool)]
    sep = label("clause_sep", lang)
    for u in fail.itertuples():
        miss = v[(v["school_id"] == u.school_id) & (v["level"] == u.level)
                 & (v["year"] == u.year)]
        ids = miss["indicator"].tolist()
        vals = formats.values(miss["value"], ids, registry)
        thrs = formats.values(miss["threshold"], ids, registry)
        missed = [label("fp_missed", lang, indicator=i, value=a, threshold=b,
                        floor=label("fp_below_floor", lang) if not f else "")
                  for i, a, b, f in zip(ids, vals, thrs, miss["floor_met"].astype(bool))]
        gaps = [f"{formats.count(s, sign=True)} {registry.indicator(i).shortfall(lang)}"
                for i, s in zip(ids, miss["shortfall"])]
        rows.append({"school": str(u.school_name), "level": level_label(u.level, lang),
                     "met": _rule_text(int(u.met_count), registry), "missed": sep.join(missed),
                     "gap": sep.join(gaps), "responsible": _departments(ids, registry, lang)})
    frame = pd.DataFrame(rows, columns=["school", "level", "met", "missed", "gap",
                                        "responsible"])
    return frame.rename(columns={
        "school": label("col_school", lang), "level": label("col_level", lang),
        "met": label("fp_col_met", lang), "missed": label("fp_col_missed", lang),
        "gap": label("col_gap", lang), "responsible": label("col_responsible", lang)})


def cv_over_table(variation: pd.DataFrame, registry: Registry, settings: Any = None,
                  lang: str = "zh") -> pd.DataFrame:
    """Every 差异系数 above its limit: level, indicator, CV, limit and the 责任单位."""
    over = variation[~variation["met"].astype(bool) & variation["cv"].notna()]
    over = over.sort_values(["level", "indicator"], key=lambda s: s.map(
        {"primary": 0, "junior": 1}) if s.name == "level" else s.str[1:].astype(int))
    ids = over["indicator"].tolist()
    return pd.DataFrame(_cols(
        lang,
        col_level=[level_label(lv, lang) for lv in over["level"]],
        col_indicator=ids,
        col_name=[registry.indicator(i).short(lang) for i in ids],
        col_cv=formats.cvs(over["cv"], settings if settings is not None else 3),
        col_limit=[formats.limit(x, registry) for x in over["limit"]],
        col_responsible=[_departments([i], registry, lang) for i in ids],
    ))


def items_not_met_table(evaluation: dict[str, Any], registry: Registry,
                        lang: str = "zh") -> pd.DataFrame:
    """Every item beyond the school rule that is not met, and every veto triggered, with its
    full explanation (never cut) and the 责任单位. ``evaluation``: the contract's result."""
    unit = {i.id for i in registry.unit_indicators}
    rows = [(i["id"], registry.indicator(i["id"]).label(lang), i.get("detail", ""),
             "、".join(i.get("responsible_units", [])))
            for i in evaluation["indicators"] if i["id"] not in unit and i["status"] == "not_met"]
    rows += [(v["id"], registry.veto(v["id"]).label(lang), v.get("evidence", ""), "")
             for v in evaluation["vetoes"] if v.get("triggered")]
    return pd.DataFrame(rows, columns=[label(k, lang) for k in (
        "col_indicator", "col_name", "col_detail", "col_responsible")])


# ---------------------------------------------------------------------------------------------
# the 一校一册 booklet page


def school_verdict_lines(units: pd.DataFrame, school_id: str, registry: Registry,
                         lang: str = "zh") -> list[str]:
    """One line per year and level: "2025学年 小学：6/7 项达标，达到学校标准"; a school
    without units (a special school, a small teaching point) gets one line that says so."""
    u = units[units["school_id"].astype(str) == str(school_id)].sort_values(["year", "level"])
    if u.empty:
        return [label("fp_school_no_units", lang)]
    return [label("fp_school_line", lang, year=int(r.year), level=level_label(r.level, lang),
                  met=_rule_text(int(r.met_count), registry),
                  result=label("fp_passes" if r.passes else "fp_fails", lang))
            for r in u.itertuples()]


def school_grid(values: pd.DataFrame, school_id: str, registry: Registry,
                lang: str = "zh") -> pd.DataFrame:
    """Indicator × year: ✓ or ✗ (✗✗ below the 85% floor) and the value, one row per level and
    indicator, with the standard."""
    v = values[values["school_id"].astype(str) == str(school_id)]
    order = {i.id: k for k, i in enumerate(registry.unit_indicators)}
    v = v.assign(_o=v["indicator"].map(order), _l=v["level"].map({"primary": 0, "junior": 1}))
    v = v.sort_values(["_l", "_o", "year"])
    texts = formats.values(v["value"], v["indicator"].tolist(), registry)
    marks = np.where(v["met"].astype(bool), "✓", np.where(v["floor_met"].astype(bool), "✗",
                                                          "✗✗"))
    v = v.assign(_cell=[f"{m} {t}" for m, t in zip(marks, texts)])
    years = sorted(v["year"].astype(int).unique())
    rows = []
    for (lv, ind), g in v.groupby(["level", "indicator"], sort=False):
        ind_ = registry.indicator(ind)
        row = {label("col_level", lang): level_label(lv, lang),
               label("col_indicator", lang): f"{ind} {ind_.short(lang)}",
               label("col_threshold", lang): formats.value(g["threshold"].iloc[-1], ind_,
                                                           registry)}
        cells = dict(zip(g["year"].astype(int), g["_cell"]))
        for y in years:
            row[label("school_year", lang, year=y)] = cells.get(y, "—")
        rows.append(row)
    return pd.DataFrame(rows)


def school_contributions(values: pd.DataFrame, school_id: str, year: int, registry: Registry,
                         settings: Any = None, lang: str = "zh") -> pd.DataFrame:
    """How the school weighs on each county CV of ``year``: its share of the student-weighted
    variance Σ(P_i/P)(X_i − X̄)² and the county CV with and without it
    (:func:`balance_lib.variation.unit_contributions`)."""
    v = values[values["year"] == int(year)]
    c = unit_contributions(v, "value", "students", ["county_id", "year", "level", "indicator"])
    v = v.join(c)
    mine = v[v["school_id"].astype(str) == str(school_id)]
    order = {i.id: k for k, i in enumerate(registry.unit_indicators)}
    mine = mine.assign(_o=mine["indicator"].map(order),
                       _l=mine["level"].map({"primary": 0, "junior": 1})).sort_values(["_l", "_o"])
    d = settings if settings is not None else 3
    ids = mine["indicator"].tolist()
    return pd.DataFrame(_cols(
        lang,
        col_level=[level_label(lv, lang) for lv in mine["level"]],
        col_indicator=[f"{i} {registry.indicator(i).short(lang)}" for i in ids],
        col_this_school=formats.values(mine["value"], ids, registry),
        fp_col_share=[formats.percent(x) for x in mine["share_of_variance"]],
        col_cv=formats.cvs(mine["cv"], d),
        fp_col_cv_without=formats.cvs(mine["cv_without"], d),
        col_limit=[formats.limit(registry.indicator(i).cv_limit.get(lv), registry)
                   if registry.indicator(i).cv_limit else "—"
                   for i, lv in zip(ids, mine["level"])],
    ))

