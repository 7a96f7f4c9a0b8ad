"""County ratios and multi-part county items (B15 B16 B18 B20–B24, and any ``county_ratio``
extension), read from ``county.csv`` (and ``judgements.csv`` for judged parts).

Each part of an item is a ratio of county.csv columns (a list of columns adds them; a leading
``-`` subtracts: B23's (毕业 − 转入 + 转出) ÷ (初一 − 死亡)), or a rate column itself when the
part has no denominator, compared with the part's threshold; or a judged part (B15's
绩效工资总量, B21's 倾斜, B22's 留守儿童关爱体系). The item is the three-valued AND of its
parts; its ``value``/``threshold`` are those of its first part. A part that cannot be computed
(no county.csv, no column, no row for the year, an empty value, a zero denominator) is unknown,
with its reason.

Two items refine the county figures when the data allow (registry fields ``school_rate`` and
``tilt_share``):

* B20: the rule's scope is 城区和镇区 公办 schools that are not boarding schools. When
  ``schools.csv`` has the per-school rate (``nearby_enrolment_rate``, or per level
  ``nearby_enrolment_rate_primary``/``_junior``), each level's rate is computed over that scope,
  weighted by the schools' students of the level; a school in scope without a rate makes the
  part unknown. Otherwise the county figures of ``county.csv`` are used; the detail says which.
* B21: "并向农村初中倾斜". When ``county.csv`` gives ``quota_rural_junior_share`` (the share of
  the allocated places that went to rural junior schools), the tilt is met when that share is
  not below the rural schools' share of junior students (from ``schools.csv``); otherwise the
  tilt is judged in ``judgements.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..frames import text_array
from ..registry import Indicator, Part, Terms, terms_text
from .base import (
    KEY,
    all_of,
    compare,
    frame_of,
    kind,
    num,
    rule,
    status_of,
    text,
    with_county,
)
from .judgement import Judgements

#: Columns of the county rows (one per key and item).
COUNTY_COLUMNS = ["county_id", "year", "id", "status", "value", "threshold"]
#: Columns of the part rows (one per key, item and part).
PART_COLUMNS = ["county_id", "year", "id", "part", "position", "value", "threshold",
                "direction", "met", "judged", "reason", "reason_arg", "evidence", "source"]


class CountyTable:
    """Values of county.csv aligned with the keys, each with the reason it is missing."""

    def __init__(self, keys: pd.DataFrame, county: pd.DataFrame | None):
        self.keys = keys
        self.table = county
        if county is None:
            self.frame = keys.copy()
            self.has_row = np.zeros(len(keys), dtype=bool)
        else:
            c = with_county(county).drop_duplicates(KEY, keep="last").assign(_row=True)
            self.frame = keys.merge(c, on=KEY, how="left")
            self.has_row = self.frame["_row"].notna().to_numpy()

    def has(self, col: str) -> bool:
        return self.table is not None and col in self.table

    def get(self, col: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(values, reason codes, reason args) of one column."""
        n = len(self.keys)
        if self.table is None:
            return np.full(n, np.nan), np.full(n, "no_county_table", dtype=object), \
                np.full(n, "", dtype=object)
        if col not in self.table:
            return np.full(n, np.nan), np.full(n, "no_county_column", dtype=object), \
                np.full(n, col, dtype=object)
        value = num(self.frame, col)
        years = self.keys["year"].astype(str).to_numpy(dtype=object)
        reason = np.select([~self.has_row, np.isnan(value)], ["no_county_row", "empty_value"],
                           "").astype(object)
        arg = np.select([~self.has_row, np.isnan(value)], [years, col], "").astype(object)
        return value, reason, arg


def _first_reason(*pairs: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    reason, arg = pairs[0]
    reason, arg = reason.copy(), arg.copy()
    for r, a in pairs[1:]:
        empty = reason == ""
        reason = np.where(empty, r, reason)
        arg = np.where(empty, a, arg)
    return reason.astype(object), arg.astype(object)


def terms_value(c: CountyTable, terms: Terms) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Σ sign·column of county.csv (NaN when any term is), with the first term's reason."""
    got = [c.get(col) for col, _ in terms]
    value = got[0][0] * terms[0][1]
    for (v, _, _), (_, sign) in zip(got[1:], terms[1:], strict=True):
        value = value + sign * v
    reason, arg = _first_reason(*[(r, a) for _, r, a in got])
    return value, reason, arg


@dataclass
class PartResult:
    """One part for every key."""

    part: Part
    value: np.ndarray
    threshold: np.ndarray
    met: pd.arrays.BooleanArray
    reason: np.ndarray
    reason_arg: np.ndarray
    evidence: np.ndarray
    source: np.ndarray


def ratio_part(part: Part, threshold: float, c: CountyTable, n: int) -> PartResult:
    """A part computed from county.csv (a ratio, or a rate column when no denominator)."""
    value, reason, arg = terms_value(c, part.numerator)
    if part.denominator:
        d, dr, da = terms_value(c, part.denominator)
        with np.errstate(invalid="ignore", divide="ignore"):
            value = np.where(d != 0, value / np.where(d != 0, d, 1.0), np.nan)
        reason, arg = _first_reason((reason, arg), (dr, da))
        zero = (d == 0) & (reason == "")
        reason = np.where(zero, "zero_denominator", reason).astype(object)
        arg = np.where(zero, terms_text(part.denominator), arg).astype(object)
    thr = np.full(n, float(threshold))
    met = compare(value, thr, part.direction)
    met[reason != ""] = pd.NA
    return PartResult(part, value, thr, met, reason, arg, np.full(n, "", dtype=object),
                      np.full(n, "county", dtype=object))


def judged_part(part: Part, judgements: Judgements, n: int) -> PartResult:
    met, reason, evidence = judgements.part(part.judgement_item)
    arg = np.where(reason != "", part.judgement_item, "").astype(object)
    return PartResult(part, np.full(n, np.nan), np.full(n, np.nan), met, reason, arg, evidence,
                      np.full(n, "judgement", dtype=object))


def item_rows(keys: pd.DataFrame, ind: Indicator, parts: list[PartResult]
              ) -> dict[str, pd.DataFrame]:
    """County rows (``rows``) and part rows (``parts``) of one item from its parts
    (three-valued AND)."""
    met = all_of([p.met for p in parts])
    rows = frame_of(keys, {
        "id": ind.id, "status": text_array(status_of(met)),
        "value": np.asarray(parts[0].value, dtype=float),
        "threshold": np.asarray(parts[0].threshold, dtype=float)})
    n, k = len(keys), len(parts)

    def each(values: list[Any]) -> np.ndarray:
        return np.repeat(np.asarray(values, dtype=object), n)

    def joined(name: str) -> Any:
        return text_array(np.concatenate([np.asarray(getattr(p, name), dtype=object)
                                          for p in parts]))

    part_rows = frame_of(keys, {
        "id": ind.id, "part": text_array(each([p.part.key for p in parts])),
        "position": np.repeat(np.arange(k, dtype=np.int64), n),
        "value": np.concatenate([np.asarray(p.value, dtype=float) for p in parts]),
        "threshold": np.concatenate([np.asarray(p.threshold, dtype=float) for p in parts]),
        "direction": text_array(each([p.part.direction for p in parts])),
        "met": pd.arrays.BooleanArray._concat_same_type(
            [pd.array(p.met, dtype="boolean") for p in parts]),
        "judged": np.repeat(np.array([bool(p.part.judged) for p in parts]), n),
        "reason": joined("reason"), "reason_arg": joined("reason_arg"),
        "evidence": joined("evidence"), "source": joined("source")}, n=n * k)
    return {"rows": rows, "parts": part_rows}  # in the order of COUNTY_ and PART_COLUMNS


def _parts(ind: Indicator, c: CountyTable, judgements: Judgements, n: int) -> list[PartResult]:
    return [judged_part(p, judgements, n) if p.judged
            else ratio_part(p, ind.threshold(p.threshold_key), c, n) for p in ind.parts]


@kind("county_ratio")
def county_ratio(ind: Indicator, keys: pd.DataFrame, county: CountyTable,
                 judgements: Judgements, **_: Any) -> dict[str, pd.DataFrame]:
    """Every part of a county ratio item (module notes)."""
    return item_rows(keys, ind, _parts(ind, county, judgements, len(keys)))


# ---------------------------------------------------------------------------------------------
# B20 and B21: county figures refined from schools.csv


def _school_rate(keys: pd.DataFrame, schools: pd.DataFrame, column: str, level: str
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(rate, number of schools in scope without a rate, schools in scope) per key, or None
    when schools.csv has no such column."""
    col = f"{column}_{level}" if f"{column}_{level}" in schools else column
    if col not in schools or schools[col].isna().all():
        return None
    s = schools
    area = text(s, "area_type")
    public = ~pd.array(s["is_private"], dtype="boolean").fillna(False).to_numpy(bool) \
        if "is_private" in s else np.ones(len(s), dtype=bool)
    day = ~pd.array(s["is_boarding"], dtype="boolean").fillna(False).to_numpy(bool) \
        if "is_boarding" in s else np.ones(len(s), dtype=bool)
    students = np.nan_to_num(num(s, f"students_{level}"))
    scope = area.isin(("urban", "town")).to_numpy() & public & day & (students > 0) \
        & (s["school_type"].astype(str) != "special").to_numpy()
    rate = num(s, col)
    f = pd.DataFrame({"county_id": s["county_id"].to_numpy(), "year": s["year"].to_numpy(),
                      "_w": np.where(scope & ~np.isnan(rate), students, 0.0),
                      "_wr": np.where(scope & ~np.isnan(rate), students * np.nan_to_num(rate), 0.0),
                      "_na": (scope & np.isnan(rate)).astype(int), "_n": scope.astype(int)})
    g = f.groupby(KEY, as_index=False).sum()
    t = keys.merge(g, on=KEY, how="left")
    w = t["_w"].fillna(0).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(w > 0, t["_wr"].to_numpy() / np.where(w > 0, w, 1.0), np.nan)
    return value, t["_na"].fillna(0).to_numpy(), t["_n"].fillna(0).to_numpy()


@rule("B20")
def b20(ind: Indicator, keys: pd.DataFrame, county: CountyTable, judgements: Judgements,
        schools: pd.DataFrame, **_: Any) -> dict[str, pd.DataFrame]:
    """B20 over its scope from schools.csv when the per-school rate is given (module notes)."""
    n = len(keys)
    parts = _parts(ind, county, judgements, n)
    column = ind.extra.get("school_rate")
    for p in parts:
        if p.part.judged or not column:
            continue
        got = _school_rate(keys, schools, column, p.part.key)
        if got is None:
            continue
        value, n_na, n_scope = got
        use = n_scope > 0
        p.value = np.where(use, value, p.value)
        met = compare(p.value, p.threshold, p.part.direction)
        unknown = np.where(use, n_na > 0, p.reason != "")
        met[unknown] = pd.NA
        p.met = met
        p.reason = np.where(use, np.where(n_na > 0, "school_rate_missing", ""), p.reason)
        p.reason_arg = np.where(use & (n_na > 0), n_na.astype(int).astype(str), p.reason_arg)
        p.reason = p.reason.astype(object)
        p.reason_arg = p.reason_arg.astype(object)
        p.source = np.where(use, "schools", "county").astype(object)
    return item_rows(keys, ind, parts)


@rule("B21")
def b21(ind: Indicator, keys: pd.DataFrame, county: CountyTable, judgements: Judgements,
        schools: pd.DataFrame, **_: Any) -> dict[str, pd.DataFrame]:
    """B21 with the tilt computed when county.csv gives the rural share (module notes)."""
    parts = _parts(ind, county, judgements, len(keys))
    column = ind.extra.get("tilt_share")
    if not column or not county.has(column):
        return item_rows(keys, ind, parts)
    share, reason, _ = county.get(column)
    s = schools[(schools["school_type"].astype(str) != "special").to_numpy()]
    junior = np.nan_to_num(num(s, "students_junior"))
    rural = (text(s, "area_type") == "rural").to_numpy()
    f = pd.DataFrame({"county_id": s["county_id"].to_numpy(), "year": s["year"].to_numpy(),
                      "_all": junior, "_rural": np.where(rural, junior, 0.0)})
    t = keys.merge(f.groupby(KEY, as_index=False).sum(), on=KEY, how="left")
    total = t["_all"].fillna(0).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        student_share = np.where(total > 0, t["_rural"].to_numpy()
                                 / np.where(total > 0, total, 1.0), np.nan)
    given = reason == ""  # where county.csv has no value, the judgement stays
    for k, p in enumerate(parts):
        if not p.part.judged:
            continue
        computed = compare(share, student_share, "ge")
        computed[np.isnan(student_share)] = pd.NA
        met = pd.array(np.where(given, computed.astype(object), p.met.astype(object)),
                       dtype="boolean")
        no_students = given & np.isnan(student_share)
        parts[k] = PartResult(
            p.part, np.where(given, share, np.nan), np.where(given, student_share, np.nan), met,
            np.where(given, np.where(no_students, "no_junior_students", ""),
                     p.reason).astype(object),
            np.where(given, "", p.reason_arg).astype(object),
            np.where(given, "", p.evidence).astype(object),
            np.where(given, "computed", "judgement").astype(object))
    return item_rows(keys, ind, parts)
