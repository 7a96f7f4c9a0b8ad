"""问题台账 (shortfall ledger) with 销号 across years: frames in, frames out.

The county plan asks to "建立整改台账，实行销号管理": every shortfall found in a year is
entered with its 责任单位 (附件2, via the registry) and stays on the ledger until a later
evaluation shows it met; then it is 销号 ("closed in YEAR"). This module is pure: it turns
the :class:`~balance_lib.indicators.Evaluation` of :func:`balance_lib.indicators.evaluate`
into tidy frames. :mod:`balance_lib.excel`
is the only writer of ledger files.

Entry point (what ``balance ledger DATA --from 2022 --to 2025 --output …`` calls)::

    frames = make_ledger(tables, settings, registry, year_from=2022, year_to=2025)
    balance_lib.excel.write_ledger(frames, "ledger.xlsx", note=...)

Steps, each usable on its own:

1. :func:`assessment_items` — one row per assessable item per year, met or not, with a stable
   ``item_key`` so that the same item can be followed from year to year.
2. :func:`build_ledger` — one row per *not met* item per year, with ``first_seen`` and
   ``status`` ("open" or "closed in YEAR"); :func:`not_assessed_items` lists what could not be
   assessed (not a shortfall, but never silently dropped).
3. :func:`summarize_by_department` and :func:`summarize_by_year`.

Item identity
-------------
``item_key`` = ``county_id|indicator|school_id|level|part`` (the five fields joined by ``|``):

=========  =====================================  =========  ===========  ======
scope      rows                                   school_id  level        part
=========  =====================================  =========  ===========  ======
unit       B1–B7 value of every school level      school     primary/...  ""
variation  差异系数 per level and indicator B1–B7  ""         primary/...  "cv"
school     B10 B11 B12 B13 B14 B19 B26 per school  school     ""           ""
county     county and judgement items B8–B32 (*)  ""         ""           ""
veto       V1–V8                                  ""         ""           ""
=========  =====================================  =========  ===========  ======

(*) A school-scope indicator enters as a county row only when it has no school rows for that
county and year (e.g. ``classes.csv`` missing, so B12 is ``not_assessed``); otherwise its schools
carry it and a county row would count the same shortfall twice.

Decisions
---------
* ``first_seen``: the first year, within ``[year_from, year_to]``, of the uninterrupted run of
  not-met years that the row belongs to. A year in which the item is not assessed (or has no row)
  does not interrupt the run; only a *met* year ends it. An item that is met and later fails
  again starts a new run (new ``first_seen``; ``note`` says when it had been closed). Years
  before ``year_from`` are not looked at.
* 销号: a run is ``"closed in YEAR"`` where YEAR is the first later year in the range in which the
  same ``item_key`` is assessed **and met**. Every row of the run carries the same status. Not
  assessed never closes.
* A unit that disappears (school closed or merged, a level no longer taught, data not reported)
  does not close silently: the run stays ``"open"`` and ``note`` says which later years were not
  assessed or had no record. :func:`summarize_by_department` counts such runs separately
  (``open_without_record``), since they have no row in the last year.
* ``not_assessed`` rows (missing table, column or value; a disabled veto) are not shortfalls;
  :func:`not_assessed_items` lists them per year with the reason in ``detail``.
* Vetoes have no 责任单位 in 附件2: V4 (computed from B32) takes B32's; the others have none and
  are counted under :data:`UNASSIGNED` in the department summary.

>>> item_key("", "B1", "S1", "primary")
'|B1|S1|primary|'
>>> closed_status(2024)
'closed in 2024'
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import formats
from .indicators import Evaluation, evaluate, explain
from .indicators.base import distance
from .registry import Registry, load_registry
from .settings import Settings
from .words import fill, label, level_label

MET, NOT_MET, NOT_ASSESSED = "met", "not_met", "not_assessed"
OPEN = "open"
SCOPES = ("unit", "variation", "school", "county", "veto")
#: Department label for items without a 责任单位 (vetoes other than V4).
UNASSIGNED = "（未指定责任单位）"

ITEM_COLUMNS = ["county_id", "year", "item_key", "indicator", "scope", "school_id",
                "school_name", "level", "status", "value", "threshold", "gap", "gap_text",
                "responsible", "detail"]
LEDGER_COLUMNS = ["county_id", "year", "item_key", "indicator", "scope", "school_id",
                  "school_name", "level", "value", "threshold", "gap", "gap_text", "responsible",
                  "first_seen", "status", "closed_in", "note", "detail"]
DEPARTMENT_COLUMNS = ["department", "open_shortfalls", "indicators", "open_without_record",
                      "closed_in_range"]
YEAR_COLUMNS = ["year", "shortfalls", "opened", "carried_over", "closed", "not_assessed"]

_EPS = 1e-9
_LEVEL_RANK = {"": 0, "primary": 1, "junior": 2}
_SCHOOL_SCOPE = "school"


class LedgerError(ValueError):
    """A year range the ledger cannot be built for (empty, reversed, or without data)."""


def item_key(county_id: str, indicator: str, school_id: str = "", level: str = "",
             part: str = "") -> str:
    """The stable identity of an item across years (see the module docstring)."""
    return "|".join((str(county_id), indicator, str(school_id), level, part))


def closed_status(year: int) -> str:
    """Ledger status of a shortfall closed (销号) in ``year``."""
    return f"closed in {int(year)}"


def responsible_units(indicator_id: str, registry: Registry) -> tuple[str, ...]:
    """The 责任单位 of an indicator (B…) or veto (V…: those computed from an indicator inherit)."""
    if indicator_id.startswith("V"):
        veto = registry.veto(indicator_id)
        return responsible_units(veto.computed_from, registry) if veto.computed_from else ()
    return tuple(registry.indicator(indicator_id).responsible_units)


def indicator_order(registry: Registry) -> dict[str, int]:
    """Sort rank of every id: B1…B32 (and extensions), then V1…V8."""
    return registry.order


# ---------------------------------------------------------------------------------------------
# number texts


def _num_text(x: float, digits: int = 2) -> str:
    """Up to ``digits`` decimals with thousands separators, trailing zeros dropped."""
    text = formats.number(x, digits)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _count_text(x: float) -> str:
    """A shortfall as a whole number (rounded up: the amount needed), thousands separated."""
    return f"{math.ceil(float(x) - _EPS):,}"


def _texts(values: Iterable[Any], fmt) -> np.ndarray:
    return np.array([fmt(v) for v in values], dtype=object)


def _obj(values: Any, n: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(values, dtype=object), (n,)).copy()


def _frame(columns: dict[str, Any]) -> pd.DataFrame:
    out = pd.DataFrame(columns)
    for col in ("value", "threshold", "gap"):
        out[col] = out[col].astype(float)
    return out[ITEM_COLUMNS]


def _empty_items() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in ITEM_COLUMNS})
    frame["year"] = frame["year"].astype("int64")
    for col in ("value", "threshold", "gap"):
        frame[col] = frame[col].astype(float)
    return frame


# ---------------------------------------------------------------------------------------------
# 1. assessment items


def _unit_items(ev: Evaluation, lang: str) -> list[pd.DataFrame]:
    u = ev.units.reset_index(drop=True)
    registry = ev.registry
    n = len(u)
    if n == 0:
        return []
    county = u["county_id"].astype(str)
    school = u["school_id"].astype(str)
    level = u["level"].astype(str)
    students = u["students"].to_numpy(float)
    passes = u["passes"].to_numpy(bool)
    rule = fill("ledger_unit_rule", lang, met=u["met_count"].astype(int).astype(str),
                n=str(registry.school_rule_size()),
                result=np.where(passes, label("ledger_passes", lang), label("ledger_fails", lang)))
    head = fill("ledger_unit_head", lang, level=[level_label(lv, lang) for lv in level],
                students=formats.numbers(students, 0))
    frames = []
    for ind in registry.unit_indicators:
        i = ind.id
        value = u[f"value_{i}"].to_numpy(float)
        thr = u[f"threshold_{i}"].to_numpy(float)
        met = u[f"met_{i}"].to_numpy(bool)
        floor_met = u[f"floor_met_{i}"].to_numpy(bool)
        ratio = ind.floor_ratio or registry.floor_ratio
        status = np.where(np.isnan(value), NOT_ASSESSED, np.where(met, MET, NOT_MET))
        short = u[f"shortfall_{i}"].to_numpy(float)
        gap = np.where(status == NOT_MET, short, np.nan)
        gap_text = np.where(status == NOT_MET, fill(
            "ledger_unit_gap", lang, n=_texts(np.nan_to_num(short), _count_text),
            what=ind.shortfall(lang)), "")
        digits = formats.decimals_of(ind, registry)
        detail = head + fill(
            "ledger_unit_detail", lang, value=formats.numbers(value, digits),
            unit=ind.unit(lang), threshold=formats.numbers(thr, digits),
            ratio=f"{ratio:.0%}", floor=formats.numbers(thr * ratio, digits),
            below=np.where(floor_met, "", label("ledger_below_floor", lang)), rule=rule)
        detail = np.where(status == NOT_ASSESSED, head + label("ledger_no_students", lang), detail)
        frames.append(_frame({
            "county_id": county, "year": u["year"].to_numpy(), "item_key":
                county + "|" + i + "|" + school + "|" + level + "|",
            "indicator": i, "scope": "unit", "school_id": school,
            "school_name": u["school_name"].astype(object).where(u["school_name"].notna(), ""),
            "level": level, "status": status, "value": value, "threshold": thr, "gap": gap,
            "gap_text": gap_text, "responsible": "、".join(ind.responsible_units),
            "detail": detail,
        }))
    return frames


def _variation_items(ev: Evaluation, lang: str) -> list[pd.DataFrame]:
    v = ev.variation.reset_index(drop=True)
    registry = ev.registry
    v = v[np.isfinite(v["limit"].to_numpy(float))].reset_index(drop=True)
    if v.empty:
        return []
    n = len(v)
    county = v["county_id"].astype(str)
    level = v["level"].astype(str)
    ind_id = v["indicator"].astype(str)
    cv = v["cv"].to_numpy(float)
    limit = v["limit"].to_numpy(float)
    met = v["met"].to_numpy(bool)
    status = np.where(np.isnan(cv), NOT_ASSESSED, np.where(met, MET, NOT_MET))
    cv_txt = np.array(formats.cvs(cv, ev.settings), dtype=object)
    lim_txt = np.array([formats.limit(x, registry) for x in limit], dtype=object)
    gap = np.where(status == NOT_MET, cv - limit, np.nan)
    gap_text = np.where(status == NOT_MET, fill("gap_cv", lang, cv=cv_txt, limit=lim_txt), "")
    names = ind_id.map(lambda i: registry.indicator(i).label(lang))
    units = ind_id.map(lambda i: registry.indicator(i).unit(lang))
    resp = ind_id.map(lambda i: "、".join(registry.indicator(i).responsible_units))
    where = fill("ledger_cv_what", lang, level=[level_label(lv, lang) for lv in level],
                 name=names)
    detail = fill("ledger_cv_detail", lang, what=where, cv=cv_txt,
                  rel=np.where(met, label("sym_le", lang), label("sym_gt", lang)),
                  limit=lim_txt, county=formats.values(v["county_value"].to_numpy(float), ind_id,
                                                       registry),
                  unit=units, n=formats.numbers(v["n_units"].to_numpy(float), 0))
    detail = np.where(status == NOT_ASSESSED, fill("ledger_cv_unknown", lang, what=where), detail)
    return [_frame({
        "county_id": county, "year": v["year"].to_numpy(),
        "item_key": county + "|" + ind_id + "||" + level + "|cv",
        "indicator": ind_id, "scope": "variation", "school_id": "", "school_name": "",
        "level": level, "status": status, "value": cv, "threshold": limit, "gap": gap,
        "gap_text": gap_text, "responsible": resp, "detail": _obj(detail, n),
    })]


def _school_items(ev: Evaluation, lang: str) -> list[pd.DataFrame]:
    s = ev.school_items.reset_index(drop=True)
    registry = ev.registry
    if s.empty:
        return []
    county = s["county_id"].astype(str)
    school = s["school_id"].astype(str)
    ind_id = s["id"].astype(str)
    met = pd.array(s["met"], dtype="boolean")
    known = ~np.asarray(pd.isna(met))
    met_np = np.asarray(met.fillna(False), dtype=bool)
    status = np.where(~known, NOT_ASSESSED, np.where(met_np, MET, NOT_MET))
    raw_gap = s["gap"].to_numpy(float)
    gap = np.where(status == NOT_MET, raw_gap, np.nan)
    count = pd.Series(_texts(np.nan_to_num(raw_gap), _count_text))
    unit = explain.school_gap_units(s, registry, lang)
    text = np.where(ind_id == "B11", fill("gap_over", lang, n=count),
                    fill("ledger_school_gap", lang, n=count, what=unit))
    gap_text = np.where(status == NOT_MET, text, "")
    resp = ind_id.map(lambda i: "、".join(responsible_units(i, registry)))
    name = s["school_name"].astype(object).where(s["school_name"].notna(), "")
    return [_frame({
        "county_id": county, "year": s["year"].to_numpy(),
        "item_key": county + "|" + ind_id + "|" + school + "||",
        "indicator": ind_id, "scope": "school", "school_id": school, "school_name": name,
        "level": "", "status": status, "value": s["value"].to_numpy(float),
        "threshold": s["threshold"].to_numpy(float), "gap": gap, "gap_text": gap_text,
        "responsible": resp, "detail": explain.school_details(s, registry, lang),
    })]


def _county_gap(ind_ids: pd.Series, value: np.ndarray, thr: np.ndarray, status: np.ndarray,
                registry: Registry, lang: str) -> tuple[np.ndarray, np.ndarray]:
    """Gap (natural units) and its text for county rows that are not met."""
    n = len(ind_ids)
    gap = np.full(n, np.nan)
    text = np.full(n, "", dtype=object)
    for k, (i, x, t, st) in enumerate(zip(ind_ids, value, thr, status, strict=True)):
        if st != NOT_MET:
            continue
        ind = registry.indicator(i)
        if ind.direction == "bool":
            text[k] = label("gap_judged", lang)
            continue
        if math.isnan(x) or math.isnan(t):
            text[k] = label("gap_see_detail", lang)
            continue
        d = float(distance(x, t, ind.direction))
        if d < 0 or (d == 0 and ind.direction != "lt"):
            text[k] = label("gap_other_part", lang)
            continue
        sym = label(f"sym_{ind.direction}", lang)
        gap[k] = d
        if ind.is_percent:
            text[k] = label("gap_percent", lang, value=f"{x * 100:.1f}", sym=sym,
                            threshold=_num_text(t * 100, 1), points=f"{d * 100:.1f}")
        elif ind.scope == _SCHOOL_SCOPE:
            text[k] = label("gap_school_level", lang, value=_num_text(x, 2), unit=ind.unit(lang),
                            sym=sym, threshold=_num_text(t, 2))
        else:
            text[k] = label("gap_ratio", lang, value=f"{x:.3f}", sym=sym,
                            threshold=_num_text(t, 3), difference=f"{d:.3f}")
    return gap, text


def _county_items(ev: Evaluation, lang: str) -> list[pd.DataFrame]:
    registry = ev.registry
    items = ev.items.reset_index(drop=True)
    if items.empty:
        return []
    scope = items["id"].map(lambda i: registry.indicator(i).scope)
    keep = scope.isin(["county", "judgement"]).to_numpy()
    school_rows = ev.school_items
    if len(school_rows):
        have = school_rows[["county_id", "year", "id"]].drop_duplicates().assign(_have=True)
        flag = items[["county_id", "year", "id"]].merge(have, how="left",
                                                        on=["county_id", "year", "id"])
        no_schools = flag["_have"].isna().to_numpy()
    else:
        no_schools = np.ones(len(items), dtype=bool)
    keep = keep | ((scope == _SCHOOL_SCOPE).to_numpy() & no_schools)
    c = items[keep].reset_index(drop=True)
    if c.empty:
        return []
    county = c["county_id"].astype(str)
    ind_id = c["id"].astype(str)
    status = c["status"].astype(str).to_numpy()
    value, thr = c["value"].to_numpy(float), c["threshold"].to_numpy(float)
    gap, gap_text = _county_gap(ind_id, value, thr, status, registry, lang)
    resp = ind_id.map(lambda i: "、".join(responsible_units(i, registry)))
    return [_frame({
        "county_id": county, "year": c["year"].to_numpy(),
        "item_key": county + "|" + ind_id + "|||",
        "indicator": ind_id, "scope": "county", "school_id": "", "school_name": "",
        "level": "", "status": status, "value": value, "threshold": thr, "gap": gap,
        "gap_text": gap_text, "responsible": resp,
        "detail": explain.item_details(ev, lang, c).to_numpy(dtype=object),
    })]


def _veto_items(ev: Evaluation, lang: str) -> list[pd.DataFrame]:
    registry = ev.registry
    v = ev.vetoes.reset_index(drop=True)
    if v.empty:
        return []
    county = v["county_id"].astype(str)
    vid = v["id"].astype(str)
    raw = v["status"].astype(str).to_numpy()
    status = np.select([raw == "triggered", raw == "not_triggered"], [NOT_MET, MET],
                       NOT_ASSESSED).astype(object)
    names = vid.map(lambda i: registry.veto(i).label(lang))
    evidence = explain.veto_evidence(ev, lang, v)
    verdict = np.select([status == NOT_MET, status == MET],
                        [label("status_triggered", lang), label("status_not_triggered", lang)],
                        label("status_not_assessed", lang))
    return [_frame({
        "county_id": county, "year": v["year"].to_numpy(),
        "item_key": county + "|" + vid + "|||",
        "indicator": vid, "scope": "veto", "school_id": "", "school_name": "", "level": "",
        "status": status, "value": np.nan, "threshold": np.nan, "gap": np.nan,
        "gap_text": np.where(status == NOT_MET, label("gap_veto", lang), ""),
        "responsible": vid.map(lambda i: "、".join(responsible_units(i, registry))),
        "detail": fill("ledger_veto_detail", lang, name=names, verdict=verdict,
                       evidence=evidence.to_numpy(dtype=object)),
    })]


def sort_rows(frame: pd.DataFrame, registry: Registry) -> pd.DataFrame:
    """Rows in ledger order: year, county, indicator (B1…B32, V1…V8), school_id, level."""
    order = indicator_order(registry)
    rank = frame["indicator"].map(order).fillna(len(order)).astype(int)
    lvl = frame["level"].map(_LEVEL_RANK).fillna(len(_LEVEL_RANK)).astype(int)
    keyed = frame.assign(_rank=rank.to_numpy(), _lvl=lvl.to_numpy())
    keyed = keyed.sort_values(["year", "county_id", "_rank", "school_id", "_lvl", "item_key"],
                              kind="stable")
    return keyed.drop(columns=["_rank", "_lvl"]).reset_index(drop=True)


def assessment_items(ev: Evaluation, lang: str = "zh", *,
                     with_indicators: bool = True) -> pd.DataFrame:
    """Every assessable item per year, met or not (:data:`ITEM_COLUMNS`).

    Parameters
    ----------
    ev
        :func:`balance_lib.indicators.evaluate` output.
    lang
        Language of ``gap_text`` and ``detail``.
    with_indicators
        ``False``: the unit indicators and the CVs only.

    Returns
    -------
    DataFrame
        ``county_id, year, item_key, indicator, scope, school_id, school_name, level, status``
        (met | not_met | not_assessed), ``value, threshold, gap`` (natural units: teachers, m²,
        元, rooms, students, classes; CV minus limit; percentage points as a fraction; NaN
        unless not met), ``gap_text`` (e.g. ``"+3 名高于规定学历专任教师"``,
        ``"2 个班超 45 人"``, ``"超出 302 人"``), ``responsible`` (departments joined by "、")
        and ``detail``. Sorted by :func:`sort_rows`.
    """
    frames = _unit_items(ev, lang) + _variation_items(ev, lang)
    if with_indicators:
        frames += _school_items(ev, lang)
        frames += _county_items(ev, lang)
        frames += _veto_items(ev, lang)
    frames = [f for f in frames if len(f)]
    if not frames:
        return _empty_items()
    items = pd.concat(frames, ignore_index=True)
    items["year"] = items["year"].astype("int64")
    for col in ("county_id", "school_id", "school_name", "level", "gap_text", "responsible",
                "detail"):
        items[col] = items[col].astype(object).where(items[col].notna(), "").astype(str)
    return sort_rows(items, ev.registry)


# ---------------------------------------------------------------------------------------------
# 2. the ledger


def _check_range(year_from: int, year_to: int) -> tuple[int, int]:
    try:
        a, b = int(year_from), int(year_to)
    except (TypeError, ValueError) as exc:
        raise LedgerError(f"years must be integers, got {year_from!r} and {year_to!r}") from exc
    if a > b:
        raise LedgerError(f"--from {a} is after --to {b}")
    return a, b


def _in_range(items: pd.DataFrame, year_from: int, year_to: int) -> pd.DataFrame:
    r = items[(items["year"] >= year_from) & (items["year"] <= year_to)]
    dup = r.duplicated(["item_key", "year"], keep=False)
    if dup.any():
        first = r[dup].iloc[0]
        raise LedgerError(f"item {first['item_key']!r} appears more than once in {first['year']}")
    return r.reset_index(drop=True)


_CODES = {NOT_ASSESSED: 1, NOT_MET: 2, MET: 3}  # 0: no row


def _years_text(years: list[int], lang: str = "zh") -> str:
    return label("list_sep", lang).join(str(y) for y in years)


def _stale_notes(codes: np.ndarray, county_has: np.ndarray, years: list[int],
                 open_keys: np.ndarray, last_nm: np.ndarray, lang: str = "zh") -> dict[int, str]:
    """Note per open key whose run has later years without a not-met row."""
    notes = {}
    for k in open_keys:
        later = range(int(last_nm[k]) + 1, len(years))
        na = [years[j] for j in later if codes[k, j] == _CODES[NOT_ASSESSED]]
        gone = [years[j] for j in later if codes[k, j] == 0 and county_has[k, j]]
        nodata = [years[j] for j in later if codes[k, j] == 0 and not county_has[k, j]]
        parts = []
        if na:
            parts.append(label("ledger_later_not_assessed", lang, years=_years_text(na, lang)))
        if gone:
            parts.append(label("ledger_later_gone", lang, years=_years_text(gone, lang)))
        if nodata:
            parts.append(label("ledger_later_no_data", lang, years=_years_text(nodata, lang)))
        if parts:
            notes[int(k)] = label("ledger_stays_open", lang,
                                  what=label("clause_sep", lang).join(parts))
    return notes


def build_ledger(items: pd.DataFrame, year_from: int, year_to: int,
                 registry: Registry | None = None, lang: str = "zh") -> pd.DataFrame:
    """One row per not-met item per year in ``[year_from, year_to]`` (:data:`LEDGER_COLUMNS`).

    ``first_seen`` is the first year of the row's uninterrupted not-met run (not-assessed or
    missing years do not interrupt it, a met year ends it); ``status`` is ``"open"`` or
    ``"closed in YEAR"`` (YEAR: the first later year in the range in which the item is assessed
    and met; also in ``closed_in``, NA when open); ``note`` explains reopened items and open
    items without later rows. See the module docstring for the reasons.

    >>> items = pd.DataFrame({"county_id": "", "year": [2022, 2023, 2024],
    ...     "item_key": "|B1|S1|primary|", "indicator": "B1", "scope": "unit",
    ...     "school_id": "S1", "school_name": "一小", "level": "primary",
    ...     "status": ["not_met", "not_met", "met"], "value": [3.9, 4.0, 4.3],
    ...     "threshold": 4.2, "gap": [2.0, 1.0, float("nan")], "gap_text": "",
    ...     "responsible": "", "detail": ""})
    >>> build_ledger(items, 2022, 2024)[["year", "first_seen", "status"]].values.tolist()
    [[2022, 2022, 'closed in 2024'], [2023, 2022, 'closed in 2024']]
    """
    registry = registry or load_registry()
    year_from, year_to = _check_range(year_from, year_to)
    r = _in_range(items, year_from, year_to)
    years = list(range(year_from, year_to + 1))
    keys = pd.Index(sorted(r["item_key"].unique()))
    nk, ny = len(keys), len(years)
    ki = keys.get_indexer(r["item_key"])
    yi = r["year"].to_numpy(int) - year_from
    codes = np.zeros((nk, ny), dtype=np.int8)
    codes[ki, yi] = r["status"].map(_CODES).fillna(_CODES[NOT_ASSESSED]).to_numpy(np.int8)

    # which counties have any row in which year (to tell "no record" from "no data")
    counties = pd.Index(sorted(r["county_id"].astype(str).unique()))
    ci = counties.get_indexer(r["county_id"].astype(str))
    has = np.zeros((len(counties), ny), dtype=bool)
    has[ci, yi] = True
    key_county = np.zeros(nk, dtype=int)
    key_county[ki] = ci
    county_has = has[key_county]

    nm, mt = codes == _CODES[NOT_MET], codes == _CODES[MET]
    first_seen = np.full((nk, ny), np.nan)
    reopened = np.full((nk, ny), np.nan)
    start = np.full(nk, np.nan)
    run_reopen = np.full(nk, np.nan)
    last_close = np.full(nk, np.nan)
    for j, year in enumerate(years):
        new = nm[:, j] & np.isnan(start)
        run_reopen = np.where(new, last_close, run_reopen)
        start = np.where(new, year, start)
        first_seen[:, j] = np.where(nm[:, j], start, np.nan)
        reopened[:, j] = np.where(nm[:, j], run_reopen, np.nan)
        last_close = np.where(mt[:, j] & ~np.isnan(start), year, last_close)
        start = np.where(mt[:, j], np.nan, start)
        run_reopen = np.where(mt[:, j], np.nan, run_reopen)
    closed = np.full((nk, ny), np.nan)
    next_met = np.full(nk, np.nan)
    for j in range(ny - 1, -1, -1):
        closed[:, j] = np.where(nm[:, j], next_met, np.nan)
        next_met = np.where(mt[:, j], years[j], next_met)

    # open runs: the last not-met year of the key, and what follows it
    open_run = ~np.isnan(start)
    last_nm = np.where(nm.any(axis=1), ny - 1 - np.argmax(nm[:, ::-1], axis=1), -1)
    stale = np.flatnonzero(open_run & (last_nm < ny - 1))
    notes = _stale_notes(codes, county_has, years, stale, last_nm, lang)

    rows = r[r["status"] == NOT_MET]
    rk = keys.get_indexer(rows["item_key"])
    ry = rows["year"].to_numpy(int) - year_from
    fs = first_seen[rk, ry]
    cl = closed[rk, ry]
    ro = reopened[rk, ry]
    status = np.array([OPEN if math.isnan(c) else closed_status(c) for c in cl], dtype=object)
    note = np.array([label("ledger_reopened", lang, closed=int(o), again=int(f))
                     if not math.isnan(o) else ""
                     for o, f in zip(ro, fs, strict=True)], dtype=object)
    stale_note = np.array([notes.get(int(k), "") if math.isnan(c) else ""
                           for k, c in zip(rk, cl, strict=True)], dtype=object)
    note = np.array([a + (label("clause_sep", lang) if a and b else "") + b
                     for a, b in zip(note, stale_note, strict=True)], dtype=object)
    out = rows.drop(columns="status").assign(
        first_seen=fs.astype("int64"), status=status,
        closed_in=pd.array([pd.NA if math.isnan(c) else int(c) for c in cl], dtype="Int64"),
        note=note)
    out = out[LEDGER_COLUMNS]
    return sort_rows(out, registry)


def not_assessed_items(items: pd.DataFrame, year_from: int, year_to: int,
                       registry: Registry | None = None) -> pd.DataFrame:
    """The ``not_assessed`` items in the range (:data:`ITEM_COLUMNS`; the reason in ``detail``)."""
    registry = registry or load_registry()
    year_from, year_to = _check_range(year_from, year_to)
    r = _in_range(items, year_from, year_to)
    return sort_rows(r[r["status"] == NOT_ASSESSED][ITEM_COLUMNS], registry)


# ---------------------------------------------------------------------------------------------
# 3. summaries


def departments(registry: Registry) -> list[str]:
    """Every 责任单位 of the registry, in order of first appearance (B1 … B32)."""
    seen: dict[str, None] = {}
    for ind in registry.indicators:
        for d in ind.responsible_units:
            seen.setdefault(d, None)
    return list(seen)


def _department_pairs(indicators: Iterable[str], registry: Registry) -> pd.DataFrame:
    rows = []
    for i in indicators:
        units = responsible_units(i, registry) or (UNASSIGNED,)
        rows += [(i, d) for d in units]
    return pd.DataFrame(rows, columns=["indicator", "department"])


def summarize_by_department(ledger: pd.DataFrame, registry: Registry, year: int) -> pd.DataFrame:
    """Open shortfalls per 责任单位 in ``year`` (the last year of the ledger).

    An item with several departments counts once for each. Columns
    (:data:`DEPARTMENT_COLUMNS`): ``open_shortfalls`` (not-met rows of ``year``), ``indicators``
    (their ids joined by "、", B1…B32, V… order), ``open_without_record`` (runs still open but
    with no not-met row in ``year``: not assessed or disappeared since), ``closed_in_range``
    (runs closed within the ledger's range). Every department of the registry is listed (0 when
    it has nothing open), :data:`UNASSIGNED` only when it has something. Sorted by what is
    still open (``open_shortfalls + open_without_record``, descending), then by what was closed
    (descending), then the registry's order: the departments with open items come first.
    """
    order = indicator_order(registry)
    depts = departments(registry)
    runs = ledger.groupby(["item_key", "first_seen"], sort=False).agg(
        indicator=("indicator", "first"), status=("status", "first"), last=("year", "max"),
        closed_in=("closed_in", "first")).reset_index()
    current = ledger[ledger["year"] == year]
    ids = sorted(set(ledger["indicator"]), key=lambda i: order.get(i, len(order)))
    pairs = _department_pairs(ids, registry)

    def count(frame: pd.DataFrame, name: str) -> pd.Series:
        m = frame[["indicator"]].merge(pairs, on="indicator")
        return m.groupby("department").size().rename(name)

    open_now = count(current, "open_shortfalls")
    stale = count(runs[(runs["status"] == OPEN) & (runs["last"] < year)], "open_without_record")
    closed = count(runs[runs["closed_in"].notna()], "closed_in_range")
    now = current[["indicator"]].drop_duplicates().merge(pairs, on="indicator")
    now = now.assign(_r=now["indicator"].map(order)).sort_values("_r", kind="stable")
    inds = now.groupby("department")["indicator"].agg("、".join).rename("indicators")

    names = depts + ([UNASSIGNED] if UNASSIGNED in set(pairs["department"]) else [])
    out = pd.DataFrame({"department": names})
    for series in (open_now, inds, stale, closed):
        out = out.merge(series, left_on="department", right_index=True, how="left")
    for col in ("open_shortfalls", "open_without_record", "closed_in_range"):
        out[col] = out[col].fillna(0).astype("int64")
    out["indicators"] = out["indicators"].fillna("")
    busy = (out[["open_shortfalls", "open_without_record", "closed_in_range"]].sum(axis=1) > 0)
    out = out[(out["department"] != UNASSIGNED) | busy]
    out = out.assign(_o=np.arange(len(out)),
                     _open=out["open_shortfalls"] + out["open_without_record"])
    out = out.sort_values(["_open", "closed_in_range", "_o"], ascending=[False, False, True],
                          kind="stable")
    return out[DEPARTMENT_COLUMNS].reset_index(drop=True)


def summarize_by_year(ledger: pd.DataFrame, not_assessed: pd.DataFrame, year_from: int,
                      year_to: int) -> pd.DataFrame:
    """Per year: ``shortfalls`` (not-met rows), ``opened`` (runs first seen that year; in the
    first year every shortfall), ``carried_over`` (the rest), ``closed`` (runs 销号 that year)
    and ``not_assessed`` (rows)."""
    years = np.arange(int(year_from), int(year_to) + 1)
    runs = ledger.drop_duplicates(["item_key", "first_seen"])
    shortfalls = ledger.groupby("year").size()
    opened = ledger[ledger["year"] == ledger["first_seen"]].groupby("year").size()
    closed = runs.dropna(subset=["closed_in"]).groupby("closed_in").size()
    closed.index = closed.index.astype(int)
    na = not_assessed.groupby("year").size()
    out = pd.DataFrame({"year": years})
    for name, s in (("shortfalls", shortfalls), ("opened", opened), ("closed", closed),
                    ("not_assessed", na)):
        out[name] = s.reindex(years).fillna(0).astype("int64").to_numpy()
    out["carried_over"] = out["shortfalls"] - out["opened"]
    return out[YEAR_COLUMNS]


@dataclass(frozen=True)
class OpenCount:
    """The one count of the ledger that every output states (the command's line, the workbook's
    summary, the report index, the 自评报告 draft): ``open`` problems (runs still 未销号, with
    or without a row in the last year), ``closed`` ones (销号 within the range) and ``records``
    (rows: one per problem and year)."""

    open: int
    closed: int
    records: int
    year_from: int
    year_to: int


def open_count(ledger: pd.DataFrame, year_from: int, year_to: int) -> OpenCount:
    """:class:`OpenCount` of a ledger (:func:`build_ledger` rows).

    >>> rows = pd.DataFrame({"item_key": ["a", "a", "b"], "first_seen": [2022, 2022, 2023],
    ...     "status": ["closed in 2024", "closed in 2024", "open"],
    ...     "closed_in": pd.array([2024, 2024, None], dtype="Int64")})
    >>> open_count(rows, 2022, 2024)
    OpenCount(open=1, closed=1, records=3, year_from=2022, year_to=2024)
    """
    runs = ledger.drop_duplicates(["item_key", "first_seen"])
    return OpenCount(open=int((runs["status"] == OPEN).sum()),
                     closed=int(runs["closed_in"].notna().sum()), records=int(len(ledger)),
                     year_from=int(year_from), year_to=int(year_to))


def count_line(count: OpenCount, lang: str = "zh") -> str:
    """The count in words, e.g. "49 条未销号、96 条已销号；2022–2025 年共 386 条记录"."""
    return label("ledger_count_line", lang, open=formats.count(count.open),
                 closed=formats.count(count.closed), first=count.year_from, last=count.year_to,
                 records=formats.count(count.records))


# ---------------------------------------------------------------------------------------------
# entry point


@dataclass(frozen=True)
class LedgerFrames:
    """Everything :func:`balance_lib.excel.write_ledger` renders.

    ``ledger`` (:data:`LEDGER_COLUMNS`), ``not_assessed`` (:data:`ITEM_COLUMNS`),
    ``by_department`` (:data:`DEPARTMENT_COLUMNS`), ``by_year`` (:data:`YEAR_COLUMNS`),
    ``items`` (every assessment item of the range), the range, and the settings used.
    """

    ledger: pd.DataFrame
    not_assessed: pd.DataFrame
    by_department: pd.DataFrame
    by_year: pd.DataFrame
    items: pd.DataFrame
    year_from: int
    year_to: int
    settings: Settings | None = None
    includes_indicators: bool = True

    @property
    def count(self) -> OpenCount:
        """The one count of open and closed problems (:func:`open_count`)."""
        return open_count(self.ledger, self.year_from, self.year_to)


def ledger_frames(items: pd.DataFrame, registry: Registry, year_from: int, year_to: int,
                  settings: Settings | None = None,
                  includes_indicators: bool = True, lang: str = "zh") -> LedgerFrames:
    """Ledger, not-assessed list and both summaries from :func:`assessment_items` output."""
    year_from, year_to = _check_range(year_from, year_to)
    ledger = build_ledger(items, year_from, year_to, registry, lang)
    na = not_assessed_items(items, year_from, year_to, registry)
    return LedgerFrames(
        ledger=ledger,
        not_assessed=na,
        by_department=summarize_by_department(ledger, registry, year_to),
        by_year=summarize_by_year(ledger, na, year_from, year_to),
        items=_in_range(items, year_from, year_to),
        year_from=year_from,
        year_to=year_to,
        settings=settings,
        includes_indicators=includes_indicators,
    )


def make_ledger(tables: Mapping[str, pd.DataFrame], settings: Settings | None = None,
                registry: Registry | None = None, *, year_from: int | None = None,
                year_to: int | None = None, with_indicators: bool = True,
                evaluation: Evaluation | None = None, lang: str = "zh") -> LedgerFrames:
    """The single entry point: canonical input tables in, :class:`LedgerFrames` out.

    Parameters
    ----------
    tables
        Canonical frames by table name (``schools`` required; ``classes``, ``county``,
        ``judgements``, ``survey``, ``quality``, ``monitoring`` optional). A table without
        ``county_id`` is one county (``county_id = ""``), as the loader does.
    settings, registry
        Defaults: ``Settings()`` and the packaged registry.
    year_from, year_to
        The range (inclusive); defaults: the first and last year of ``schools``. Raises
        :class:`LedgerError` when the range is reversed or ``schools`` has no year in it.
    with_indicators
        ``False``: the unit indicators and the CVs only.
    evaluation
        The :func:`balance_lib.indicators.evaluate` result of ``tables`` when the caller has
        it already (the reports do); else it is computed here.
    lang
        Language of the gap texts and details.
    """
    settings = settings or Settings()
    registry = registry or load_registry()
    schools = tables["schools"]
    years = sorted(int(y) for y in pd.unique(schools["year"]))
    if not years:
        raise LedgerError("schools has no rows")
    year_from = years[0] if year_from is None else year_from
    year_to = years[-1] if year_to is None else year_to
    year_from, year_to = _check_range(year_from, year_to)
    if not any(year_from <= y <= year_to for y in years):
        raise LedgerError(f"no school data for {year_from}–{year_to} "
                          f"(data cover {_years_text(years)})")
    ev = evaluation if evaluation is not None else evaluate(tables, settings, registry)
    items = assessment_items(ev, lang, with_indicators=with_indicators)
    return ledger_frames(items, registry, year_from, year_to, settings, with_indicators, lang)
