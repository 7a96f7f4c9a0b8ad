"""The official forms (附表) of one county and year, as tidy frames: what ``balance forms``
writes (:mod:`balance_lib.forms_excel`) and what the 自评报告 draft (:mod:`balance_lib.selfreport`)
shows.

The layout follows the forms a 督导 office is used to reading (``outputs.md`` §1, the 基本均衡
申报表 carried over to 优质均衡):

======================  =====================================================================
``basics`` (表1)         counts of schools by type (教学点 apart, with those of 50 pupils or
                         more), and per level the classes, pupils, 专任教师 and evaluated units;
                         the pupils and teachers of 一贯制 and 完全中学 count in the level they
                         teach, senior pupils and special schools are shown apart
``units`` (表2-1, 2-2)   one row per evaluated unit of a level: each 一贯制 school's 小学部 and
                         初中部 and each 完全中学's 初中部 on their own rows (named
                         "XX学校（小学部）"), pupils, the values of the school rule's indicators
                         with met / below-the-floor flags, n/7 and 达标 (1 or empty)
``variation`` (表3)      per level and indicator the county value, the standard, the 差异系数
                         and its limit
``items`` (表4)          every other indicator and the vetoes: status, value, standard, the
                         sentence of :mod:`balance_lib.indicators.explain` and the 责任单位
======================  =====================================================================

Pure: an :class:`~balance_lib.indicators.Evaluation` and the tables in, frames out. Numbers stay
numbers; how they are shown (decimals per unit from the registry) is
:mod:`balance_lib.formats`'.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import formats
from .indicators import Evaluation, explain
from .ledger import responsible_units
from .registry import Registry
from .settings import Settings
from .words import label, level_label

LEVELS = ("primary", "junior")
#: School types whose units get a part suffix: (school type, level) -> word key.
PART_SUFFIX = {("nine_year", "primary"): "forms_part_primary",
               ("nine_year", "junior"): "forms_part_junior",
               ("twelve_year", "primary"): "forms_part_primary",
               ("twelve_year", "junior"): "forms_part_junior",
               ("complete_secondary", "junior"): "forms_part_junior"}
#: The order of school types in 表1.
SCHOOL_TYPES = ("primary", "junior", "nine_year", "twelve_year", "complete_secondary",
                "special")

UNIT_COLUMNS = ["school_id", "name", "school_type", "students", "met_count", "below_floor",
                "passes"]
VARIATION_COLUMNS = ["level", "indicator", "name", "unit", "n_units", "county_value",
                     "threshold", "cv", "limit", "met"]
ITEM_COLUMNS = ["id", "group", "name", "kind", "status", "value", "threshold", "detail",
                "responsible"]


class FormsError(ValueError):
    """A county or year the forms cannot be made for."""


@dataclass(frozen=True)
class Forms:
    """The forms of one county and year (see the module docstring).

    ``units`` maps each level to its rows (:data:`UNIT_COLUMNS`, then ``value_B1`` …,
    ``met_B1`` …, ``floor_met_B1`` … of the school rule's indicators); ``school_counts`` has
    ``school_type``, ``schools`` (and ``private``); ``level_facts`` has ``item`` and one column
    per level plus ``total``; ``teaching_points`` is (all, those of ``tp_min_students`` pupils
    or more, which are units of their own); ``verdict`` is ``meets`` / ``does_not_meet`` / ``incomplete``.
    """

    county_id: str
    name: str
    year: int
    registry: Registry
    settings: Settings
    units: Mapping[str, pd.DataFrame]
    variation: pd.DataFrame
    items: pd.DataFrame
    school_counts: pd.DataFrame
    teaching_points: tuple[int, int]
    tp_min_students: int
    level_facts: pd.DataFrame
    population: float | None
    verdict: str
    reasons: tuple[str, ...]

    @property
    def indicator_ids(self) -> list[str]:
        """The school rule's indicators (B1–B7), in registry order."""
        return [i.id for i in self.registry.resource_indicators]

    @property
    def n_units(self) -> int:
        return sum(len(f) for f in self.units.values())

    @property
    def n_passing(self) -> int:
        return sum(int(f["passes"].sum()) for f in self.units.values())


def county_ids(tables: Mapping[str, pd.DataFrame]) -> list[str]:
    """The counties of ``tables`` (``[""]`` when the data name none)."""
    s = tables["schools"]
    if "county_id" not in s:
        return [""]
    return sorted(s["county_id"].astype(str).unique())


def pick_county(tables: Mapping[str, pd.DataFrame], county: str | None,
                lang: str = "zh") -> str:
    """The county a document is made for: ``county``, or the only one; else :class:`FormsError`
    naming the counties (a document is for one county: ``--county``)."""
    ids = county_ids(tables)
    if county is None:
        if len(ids) == 1:
            return ids[0]
        raise FormsError(label("forms_many_counties", lang, n=len(ids), ids="、".join(ids)))
    if str(county) not in ids:
        raise FormsError(label("forms_unknown_county", lang, county=county, ids="、".join(ids)))
    return str(county)


def county_tables(tables: Mapping[str, pd.DataFrame], county_id: str
                  ) -> dict[str, pd.DataFrame]:
    """The rows of one county in every table that names counties (the others as they are)."""
    out = {}
    for name, frame in tables.items():
        if frame is not None and "county_id" in frame:
            frame = frame[frame["county_id"].astype(str) == str(county_id)].reset_index(drop=True)
        out[name] = frame
    return out


def unit_name(names: pd.Series, types: pd.Series, level: str, lang: str = "zh") -> pd.Series:
    """School names with the part suffix of split units ("XX学校（小学部）").

    >>> unit_name(pd.Series(["甲学校", "乙小学"]), pd.Series(["nine_year", "primary"]),
    ...           "primary").tolist()
    ['甲学校（小学部）', '乙小学']
    """
    suffix = types.map(lambda t: PART_SUFFIX.get((t, level)))
    words = suffix.map(lambda k: label(k, lang) if isinstance(k, str) else "")
    return names.astype(str) + words


def _unit_rows(ev: Evaluation, level: str, lang: str) -> pd.DataFrame:
    ids = [i.id for i in ev.registry.resource_indicators]
    u = ev.units[ev.units["level"] == level].sort_values("school_id", kind="stable")
    out = pd.DataFrame({
        "school_id": u["school_id"].astype(str).to_numpy(),
        "name": unit_name(u["school_name"].fillna(""), u["school_type"], level, lang).to_numpy(),
        "school_type": u["school_type"].to_numpy(),
        "students": u["students"].astype(float).to_numpy(),
        "met_count": u["met_count"].astype(int).to_numpy(),
        "below_floor": u["below_floor"].astype(int).to_numpy(),
        "passes": u["passes"].astype(bool).to_numpy(),
    })
    for i in ids:
        out[f"value_{i}"] = u[f"value_{i}"].astype(float).to_numpy()
        out[f"threshold_{i}"] = u[f"threshold_{i}"].astype(float).to_numpy()
        out[f"met_{i}"] = u[f"met_{i}"].astype(bool).to_numpy()
        out[f"floor_met_{i}"] = u[f"floor_met_{i}"].astype(bool).to_numpy()
    return out


def _variation_rows(ev: Evaluation, lang: str) -> pd.DataFrame:
    reg = ev.registry
    order = reg.order
    rule = {i.id for i in reg.resource_indicators}
    v = ev.variation[ev.variation["indicator"].isin(rule)]
    v = v.assign(_l=v["level"].map({lv: k for k, lv in enumerate(LEVELS)}),
                 _i=v["indicator"].map(order)).sort_values(["_l", "_i"])
    return pd.DataFrame({
        "level": v["level"].to_numpy(),
        "indicator": v["indicator"].to_numpy(),
        "name": [reg.indicator(i).label(lang) for i in v["indicator"]],
        "unit": [reg.indicator(i).unit(lang) for i in v["indicator"]],
        "n_units": v["n_units"].astype(int).to_numpy(),
        "county_value": v["county_value"].astype(float).to_numpy(),
        "threshold": v["threshold"].astype(float).to_numpy(),
        "cv": v["cv"].astype(float).to_numpy(),
        "limit": v["limit"].astype(float).to_numpy(),
        "met": v["met"].astype(bool).to_numpy(),
    }, columns=VARIATION_COLUMNS)


def _item_rows(ev: Evaluation, lang: str) -> pd.DataFrame:
    reg = ev.registry
    unit_ids = {i.id for i in reg.unit_indicators}
    items = ev.items[~ev.items["id"].isin(unit_ids)].reset_index(drop=True)
    detail = explain.item_details(ev, lang, items).fillna("").to_numpy(dtype=object)
    rows = pd.DataFrame({
        "id": items["id"].to_numpy(),
        "group": [reg.indicator(i).group for i in items["id"]],
        "name": [reg.indicator(i).label(lang) for i in items["id"]],
        "kind": "indicator",
        "status": items["status"].to_numpy(),
        "value": items["value"].astype(float).to_numpy(),
        "threshold": items["threshold"].astype(float).to_numpy(),
        "detail": detail,
        "responsible": ["、".join(responsible_units(i, reg)) for i in items["id"]],
    })
    v = ev.vetoes.reset_index(drop=True)
    vetoes = pd.DataFrame({
        "id": v["id"].to_numpy(),
        "group": "",
        "name": [reg.veto(i).label(lang) for i in v["id"]],
        "kind": "veto",
        "status": v["status"].to_numpy(),
        "value": np.nan,
        "threshold": np.nan,
        "detail": explain.veto_evidence(ev, lang, v).fillna("").to_numpy(dtype=object),
        "responsible": ["、".join(responsible_units(i, reg)) for i in v["id"]],
    })
    parts = [f for f in (rows, vetoes) if len(f)]
    out = pd.concat(parts, ignore_index=True) if parts else rows
    return out[ITEM_COLUMNS]


def _number(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame:
        return np.zeros(len(frame))
    return pd.to_numeric(frame[column], errors="coerce").fillna(0).to_numpy(float)


def _basics(schools: pd.DataFrame, ev: Evaluation, tp_min: int
            ) -> tuple[pd.DataFrame, tuple[int, int], pd.DataFrame]:
    types = schools["school_type"].astype(str)
    private = (schools["is_private"].astype("boolean").fillna(False).astype(bool)
               if "is_private" in schools else pd.Series(False, index=schools.index))
    counts = pd.DataFrame({
        "school_type": list(SCHOOL_TYPES),
        "schools": [int((types == t).sum()) for t in SCHOOL_TYPES],
        "private": [int(((types == t) & private).sum()) for t in SCHOOL_TYPES],
    })
    tp = types == "teaching_point"
    tp_students = _number(schools, "students_primary")[tp.to_numpy()]
    teaching_points = (int(tp.sum()), int((tp_students >= tp_min).sum()))
    general = (types != "special").to_numpy()
    facts: dict[str, list[float]] = {}
    for item, prefix in (("classes", "classes_"), ("students", "students_"),
                         ("teachers", "teachers_")):
        facts[item] = [float(_number(schools, prefix + lv)[general].sum()) for lv in LEVELS]
    units = ev.units
    facts["units"] = [float((units["level"] == lv).sum()) for lv in LEVELS]
    facts["units_passing"] = [float(((units["level"] == lv) & units["passes"].astype(bool)).sum())
                              for lv in LEVELS]
    level_facts = pd.DataFrame({"item": list(facts)})
    for k, lv in enumerate(LEVELS):
        level_facts[lv] = [v[k] for v in facts.values()]
    level_facts["total"] = level_facts[list(LEVELS)].sum(axis=1)
    extra = pd.DataFrame({
        "item": ["students_senior", "students_special"],
        "primary": np.nan, "junior": np.nan,
        "total": [float(_number(schools, "students_senior")[general].sum()),
                  float((_number(schools, "students_primary")
                         + _number(schools, "students_junior"))[~general].sum())],
    })
    return counts, teaching_points, pd.concat([level_facts, extra], ignore_index=True)


def _population(tables: Mapping[str, pd.DataFrame], county_id: str, year: int) -> float | None:
    c = tables.get("county")
    if c is None or "resident_population" not in c:
        return None
    rows = c[c["year"].astype(int) == year]
    if "county_id" in rows:
        rows = rows[rows["county_id"].astype(str) == county_id]
    values = pd.to_numeric(rows["resident_population"], errors="coerce").dropna()
    return float(values.iloc[0]) if len(values) else None


def build_forms(ev: Evaluation, tables: Mapping[str, pd.DataFrame], year: int, *,
                county_id: str = "", name: str = "", lang: str = "zh") -> Forms:
    """The forms of ``county_id`` in ``year`` from an evaluation of the tables.

    ``ev`` may hold more years and counties (it is cut here); ``name`` is the county's name
    for titles (default: the county id). Raises :class:`FormsError` when the year or county
    has no school rows.
    """
    year = int(year)
    schools = tables["schools"]
    rows = schools[schools["year"].astype(int) == year]
    if "county_id" in rows:
        rows = rows[rows["county_id"].astype(str) == str(county_id)]
    if rows.empty:
        raise FormsError(label("forms_no_rows", lang, year=year, county=county_id or "—"))
    one = ev.for_year(year).for_counties([county_id])
    counts, tps, facts = _basics(rows, one, int(ev.settings.teaching_point_min_students))
    verdict = one.verdict
    reasons = explain.verdict_reasons(one, lang)
    return Forms(
        county_id=str(county_id),
        name=name or str(county_id),
        year=year,
        registry=ev.registry,
        settings=ev.settings,
        units={lv: _unit_rows(one, lv, lang) for lv in LEVELS},
        variation=_variation_rows(one, lang),
        items=_item_rows(one, lang),
        school_counts=counts,
        teaching_points=tps,
        tp_min_students=int(ev.settings.teaching_point_min_students),
        level_facts=facts,
        population=_population(tables, str(county_id), year),
        verdict=str(verdict["status"].iloc[0]) if len(verdict) else "incomplete",
        reasons=tuple(reasons[0]) if len(reasons) else (),
    )


# ---------------------------------------------------------------------------------------------
# How numbers are shown: the documents (the forms, the 自评报告 draft) take every number text and
# spreadsheet format from balance_lib.formats, through these names.

MISSING = formats.MISSING
COUNT_FORMAT = formats.excel_format(0)
CV_FORMAT = formats.excel_format(3, thousands=False)


def value_text(x: float, indicator_id: str, registry: Registry) -> str:
    """An indicator's value (or standard) as people read it ("4.50", "3,116", "95.5%").

    >>> from balance_lib.registry import load_registry
    >>> reg = load_registry()
    >>> value_text(4.5, "B4", reg), value_text(3115.6, "B6", reg), value_text(0.955, "B16", reg)
    ('4.50', '3,116', '95.5%')
    """
    return formats.value(x, registry.indicator(indicator_id), registry)


def value_format(indicator_id: str, registry: Registry) -> str:
    """The spreadsheet number format of an indicator's values (what :func:`value_text` shows).

    >>> from balance_lib.registry import load_registry
    >>> value_format("B4", load_registry()), value_format("B16", load_registry())
    ('#,##0.00', '0.0%')
    """
    return formats.indicator_excel_format(registry.indicator(indicator_id), registry)


def count_text(x: float) -> str:
    """A count (schools, pupils, teachers, classes) with thousands separators."""
    return formats.count(x)


def cv_text(x: float, settings: object = None) -> str:
    """A 差异系数 (the setting ``cv_display_decimals``, 3 by default)."""
    return formats.cv(x, settings if settings is not None else 3)


def limit_text(x: float, registry: Registry | None = None) -> str:
    """A CV limit (0.50, 0.45)."""
    return formats.limit(x, registry)


def limit_format(registry: Registry | None = None) -> str:
    return formats.excel_format(getattr(registry, "limit_decimals", 2), thousands=False)


def cv_format(settings: object = None) -> str:
    return formats.excel_format(int(getattr(settings, "cv_display_decimals", 3)),
                                thousands=False)


def level_name(level: str, lang: str = "zh") -> str:
    return level_label(level, lang)


__all__ = ["Forms", "FormsError", "build_forms", "county_ids", "county_tables", "pick_county",
           "unit_name"]
