"""Per-school items: every school in scope must meet them (B10 B11 B13 B14 B19 B26, and any
``school_ratio`` extension; B12 lives in :mod:`.class_size`).

Each rule returns a :class:`SchoolCheck`: one row per school in scope with ``value``,
``threshold``, ``met`` (NA when the school's data are missing), ``gap`` (natural units to the
threshold, 0 when met), a reason code where the school cannot be judged, and the facts its
explanation needs (columns ``f_*``, read by :mod:`.explain`). :func:`aggregate` turns the rows
into the county items in one grouped pass: the county meets an item when every school in
scope meets it; schools whose data are missing make it ``not_assessed`` unless another school
fails; a county with no school in scope meets it when ``empty_met`` (the rule does not apply)
and is ``not_assessed`` otherwise. The county ``value``/``threshold`` are those of the worst
school (largest gap, then smallest margin).

``school_ratio`` (B14 B19 B26 and extensions): value = Σ numerator ÷ Σ denominator per school
(columns of ``schools.csv``; a list adds them, a ``-`` subtracts), in scope when the school's
type is in ``applies_to.school_types`` and, with ``applies_to.denominator``, its denominator is
positive (``positive``) or given (``known``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..registry import Indicator, Registry, Terms, terms_text
from ..frames import (
    KEY_CODE,
    SCHOOL_CODE,
    first_rows,
    group_codes,
    lookup_positions,
    sort_order,
    text_array,
)
from ..settings import Settings
from .base import (
    KEY,
    MET,
    NOT_ASSESSED,
    NOT_MET,
    REGULAR_TYPES,
    SCHOOL_KEY,
    compare,
    distance,
    false,
    kind,
    missing_names,
    na_ints,
    names_where,
    num,
    rule,
    school_names,
    sum_known,
    text,
    tri,
    true,
)

#: Common columns of the per-school rows (facts ``f_*`` follow).
SCHOOL_ITEM_COLUMNS = ["county_id", "year", "school_id", "id", "school_name", "value",
                       "threshold", "met", "gap", "reason", "reason_arg", "rank"]
#: Columns of the county rows of school-scope items.
SCHOOL_COUNTY_COLUMNS = ["county_id", "year", "id", "status", "value", "threshold",
                         "n_schools", "n_failing", "n_unknown", "blocked", "blocked_arg",
                         "note"]


@dataclass
class SchoolCheck:
    """Per-school outcome of one school-scope indicator, before aggregation to the county."""

    id: str
    rows: pd.DataFrame
    direction: str = "ge"
    #: why the item cannot be assessed at all (a reason code of :mod:`.explain`), and its arg
    blocked: str = ""
    blocked_arg: str = ""
    empty_met: bool = True
    #: a word key appended to the county detail (e.g. a relaxation that could not be applied)
    note: str = ""
    facts: list[str] = field(default_factory=list)


def blocked(ind_id: str, code: str, arg: str = "", direction: str = "ge") -> SchoolCheck:
    return SchoolCheck(ind_id, pd.DataFrame(columns=[*SCHOOL_KEY, "school_name"]), direction,
                       blocked=code, blocked_arg=arg)


def missing_table_or_columns(frame: pd.DataFrame | None, table: str,
                             columns: list[str]) -> tuple[str, str]:
    """(code, arg) when the table or a column is absent or entirely empty; else ("", "")."""
    if frame is None:
        return "no_table", table
    absent = [c for c in columns if c not in frame or frame[c].isna().all()]
    if absent:
        return "lacks_data", f"{table}|{', '.join(absent)}"
    return "", ""


def school_rows(s: pd.DataFrame, scope: Any, value: Any, threshold: Any,
                met: pd.arrays.BooleanArray, gap: Any, reason: Any, reason_arg: Any,
                facts: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """The per-school frame; schools whose scope is NA are kept as unknown."""
    scope = pd.array(scope, dtype="boolean")
    scope_na = np.asarray(pd.isna(scope))
    keep = true(scope) | scope_na
    met = pd.array(met, dtype="boolean").copy()
    met[scope_na] = pd.NA
    unknown = np.asarray(pd.isna(met))
    gap = np.where(true(met), 0.0, np.asarray(gap, dtype=float))
    gap[unknown] = np.nan
    n = len(s)
    data = {
        "county_id": text_array(s["county_id"]),
        "year": s["year"].to_numpy(),
        "school_id": text_array(s["school_id"]),
        "school_name": text_array(school_names(s)),
        "value": np.asarray(value, dtype=float),
        "threshold": np.broadcast_to(np.asarray(threshold, dtype=float), n).copy(),
        "met": met,
        "gap": gap,
        "reason": text_array(np.where(
            unknown, np.broadcast_to(np.asarray(reason, dtype=object), n), "")),
        "reason_arg": text_array(np.where(
            unknown, np.broadcast_to(np.asarray(reason_arg, dtype=object), n), "")),
    }
    for code in (KEY_CODE, SCHOOL_CODE):  # the schools' codes, when the evaluation has them
        if code in s:
            data[code] = s[code].to_numpy()
    for name, col in (facts or {}).items():
        data[f"f_{name}"] = np.broadcast_to(np.asarray(col), n).copy() if np.ndim(col) == 0 \
            else np.asarray(col)
    rows = pd.DataFrame(data, copy=False)
    return rows if keep.all() else rows[keep].reset_index(drop=True)


def terms_sum(frame: pd.DataFrame, terms: Terms, *, known: bool = True) -> np.ndarray:
    """Σ sign·column per row. ``known``: NaN counts as 0 unless every term is NaN."""
    if not terms:
        return np.full(len(frame), np.nan)
    parts = [sign * num(frame, col) for col, sign in terms]
    if known:
        return sum_known(*parts)
    out = parts[0]
    for p in parts[1:]:
        out = out + p
    return out


def _missing_terms(frame: pd.DataFrame, num_terms: Terms, den_terms: Terms) -> pd.Series:
    """Names of the numerator columns that are empty, and of the denominator's when all are."""
    names = missing_names(frame, [c for c, _ in num_terms])
    den_cols = [c for c, _ in den_terms]
    if den_cols:
        den_all = np.ones(len(frame), dtype=bool)
        for c in den_cols:
            den_all &= (frame[c].isna() if c in frame else pd.Series(True, index=frame.index)
                        ).to_numpy()
        den_names = missing_names(frame, den_cols).where(den_all, "")
        both = (names != "") & (den_names != "")
        names = names + np.where(both, ", ", "") + den_names
    return names


# ---------------------------------------------------------------------------------------------
# the generic kind


@kind("school_ratio")
def school_ratio(ind: Indicator, s: pd.DataFrame, **_: Any) -> SchoolCheck:
    """Numerator ÷ denominator per school against the threshold (module notes)."""
    num_cols = [c for c, _ in ind.numerator]
    code, arg = missing_table_or_columns(s, "schools", num_cols)
    den_cols = [c for c, _ in ind.denominator]
    if not code and den_cols and all(c not in s or s[c].isna().all() for c in den_cols):
        code, arg = "lacks_data", f"schools|{', '.join(den_cols)}"
    if code:
        return blocked(ind.id, code, arg, ind.direction)
    thr = float(ind.threshold())
    numer = terms_sum(s, ind.numerator)
    den = terms_sum(s, ind.denominator)
    applies = ind.applies_to
    scope = np.ones(len(s), dtype=bool)
    if "school_types" in applies:
        scope &= s["school_type"].astype(str).isin(applies["school_types"]).to_numpy()
    if applies.get("denominator") == "positive":
        scope &= np.nan_to_num(den) > 0
    elif applies.get("denominator") == "known":
        scope &= ~np.isnan(den)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(den > 0, numer / np.where(den > 0, den, 1.0), np.nan)
    met = compare(value, thr, ind.direction)
    need = distance(numer, thr * den, ind.direction)
    gap = np.maximum(np.nan_to_num(need), 0.0)
    if ind.shortfall_integer:
        gap = np.ceil(gap - 1e-9)
    names = _missing_terms(s, ind.numerator, ind.denominator)
    zero = (den == 0) & (names == "").to_numpy()
    reason = np.where(zero, "zero_denominator", "missing")
    arg = np.where(zero, terms_text(ind.denominator), names.to_numpy(dtype=object))
    rows = school_rows(s, scope, value, thr, met, gap, reason, arg,
                       facts={"numerator": numer, "denominator": den})
    return SchoolCheck(ind.id, rows, ind.direction, empty_met=ind.empty_met,
                       facts=["numerator", "denominator"])


# ---------------------------------------------------------------------------------------------
# rules with their own code


@rule("B10", reads={"schools": ("music_rooms", "art_rooms", "classes_primary",
                                "classes_junior")})
def b10(ind: Indicator, s: pd.DataFrame, sizes: pd.DataFrame | None, settings: Settings,
        **_: Any) -> SchoolCheck:
    """Music and art rooms: one of each per 12 classes (rounded up), each at least 96 / 90 m²
    (the relaxations of rules §1.8 only when the settings enable them)."""
    code, arg = missing_table_or_columns(s, "schools", ["music_rooms", "art_rooms"])
    areas = [c for c in ("music_room_min_area_m2", "art_room_min_area_m2") if c not in s]
    if not code and areas:  # an empty area column is fine where a school has no such room
        code, arg = "lacks_columns", f"schools|{', '.join(areas)}"
    if not code and all(c not in s or s[c].isna().all()
                        for c in ("classes_primary", "classes_junior")):
        code, arg = "lacks_data", "schools|classes_primary, classes_junior"
    if code:
        return blocked("B10", code, arg)
    relax = ind.extra["relaxed"]
    types = s["school_type"].astype(str)
    scope = types.isin(REGULAR_TYPES).to_numpy()
    classes = sum_known(num(s, "classes_primary"), num(s, "classes_junior"))
    required = np.ceil(classes / float(ind.threshold("classes_per_room")))
    music, art = num(s, "music_rooms"), num(s, "art_rooms")
    music_area, art_area = num(s, "music_room_min_area_m2"), num(s, "art_room_min_area_m2")
    music_min = np.full(len(s), float(ind.threshold("music_room_min_area_m2")))
    art_min = np.full(len(s), float(ind.threshold("art_room_min_area_m2")))
    old = np.zeros(len(s), dtype=bool)
    small = np.zeros(len(s), dtype=bool)
    note = ""
    if settings.b10_relax_old_buildings:
        with np.errstate(invalid="ignore"):
            old = num(s, "year_built") <= relax["old_building_year_max"]
        music_min = np.where(old, np.minimum(music_min, relax["old_music_room_min_area_m2"]),
                             music_min)
        art_min = np.where(old, np.minimum(art_min, relax["old_art_room_min_area_m2"]), art_min)
    if settings.b10_relax_small_rural:
        if sizes is None:
            note = "b10_no_small_rural"
        else:
            largest = (s[SCHOOL_KEY].merge(
                sizes.groupby(SCHOOL_KEY, as_index=False)["max_class_size"].max(),
                on=SCHOOL_KEY, how="left")["max_class_size"].to_numpy(dtype=float))
            rural = (text(s, "area_type") == "rural").to_numpy()
            with np.errstate(invalid="ignore"):
                small = rural & (largest < relax["small_rural_max_class_below"])
            figures = relax["small_rural_room_min_area_m2"]
            has_junior = np.nan_to_num(num(s, "students_junior")) > 0
            small_min = np.where(has_junior, figures["junior"], figures["primary"]).astype(float)
            music_min = np.where(small, np.minimum(music_min, small_min), music_min)
            art_min = np.where(small, np.minimum(art_min, small_min), art_min)

    def area_ok(rooms: np.ndarray, area: np.ndarray, minimum: np.ndarray
                ) -> pd.arrays.BooleanArray:
        ok = compare(area, minimum, "ge")
        ok[rooms == 0] = True
        ok[np.isnan(rooms)] = pd.NA
        return ok

    music_ok, art_ok = compare(music, required, "ge"), compare(art, required, "ge")
    music_area_ok = area_ok(music, music_area, music_min)
    art_area_ok = area_ok(art, art_area, art_min)
    met = music_ok & art_ok & music_area_ok & art_area_ok
    missing_rooms = (np.nan_to_num(np.maximum(required - music, 0))
                     + np.nan_to_num(np.maximum(required - art, 0)))
    undersized = false(music_area_ok).astype(float) + false(art_area_ok).astype(float)
    gap = np.maximum(missing_rooms + undersized, 1.0)
    missing = {
        "classes_primary/classes_junior": np.isnan(classes),
        "music_rooms": np.isnan(music),
        "art_rooms": np.isnan(art),
        "music_room_min_area_m2": (np.nan_to_num(music) > 0) & np.isnan(music_area),
        "art_room_min_area_m2": (np.nan_to_num(art) > 0) & np.isnan(art_area),
    }
    names = names_where(missing, s.index)
    rows = school_rows(s, scope, np.fmin(music, art), required, met, gap, "missing", names,
                       facts={"classes": classes, "music": music, "art": art,
                              "music_area": music_area, "art_area": art_area,
                              "music_min": music_min, "art_min": art_min, "old": old,
                              "small": small})
    return SchoolCheck("B10", rows, "ge", note=note)


@rule("B11", reads={"schools": ("students_primary", "students_junior")})
def b11(ind: Indicator, s: pd.DataFrame, settings: Settings, **_: Any) -> SchoolCheck:
    """School size: compulsory students ≤ 2000 (小学、初中; a 完全中学's junior part) and
    ≤ 2500 (一贯制). Relaxed (setting ``b11_relaxed``, rules §1.8): a school built by 2010 or
    whose 随迁子女 are more than half its students may have 2400, a 九年一贯制 school 3000;
    十二年一贯制 schools keep 2500."""
    relax = ind.extra["relaxed"]
    types = s["school_type"].astype(str)
    scope = types.isin(REGULAR_TYPES).to_numpy()
    through = types.isin(("nine_year", "twelve_year")).to_numpy()
    nine = (types == "nine_year").to_numpy()
    junior_only = (types == "complete_secondary").to_numpy()
    students = np.where(junior_only, num(s, "students_junior"),
                        sum_known(num(s, "students_primary"), num(s, "students_junior")))
    limit = np.where(through, float(ind.threshold("through_school")),
                     float(ind.threshold("single_level")))
    old = np.zeros(len(s), dtype=bool)
    migrant = np.zeros(len(s), dtype=bool)
    migrant_share = np.full(len(s), np.nan)
    if settings.b11_relaxed:
        with np.errstate(invalid="ignore", divide="ignore"):
            old = num(s, "year_built") <= relax["old_building_year_max"]
            migrant_share = np.where(students > 0, num(s, "migrant_students") / students, np.nan)
            migrant = migrant_share > relax["migrant_share_above"]
        trigger = old | migrant
        single = ~through
        limit = np.where(trigger & single, np.maximum(limit, relax["single_level"]), limit)
        limit = np.where(trigger & nine, np.maximum(limit, relax["nine_year"]), limit)
        old, migrant = old & (single | nine), migrant & ~old & (single | nine)
    met = compare(students, limit, "le")
    gap = np.maximum(students - limit, 0.0)
    names = missing_names(s, ["students_primary", "students_junior"])
    rows = school_rows(s, scope, students, limit, met, gap, "missing", names,
                       facts={"junior_only": junior_only, "old": old, "migrant": migrant,
                              "migrant_share": migrant_share,
                              "relaxed": bool(settings.b11_relaxed)})
    return SchoolCheck("B11", rows, "le")


@rule("B13", reads={"schools": ("public_funding_yuan",),
                    "county": ("public_funding_norm_primary_yuan",)})
def b13(ind: Indicator, s: pd.DataFrame, county: pd.DataFrame | None, **_: Any) -> SchoolCheck:
    """Rural primary schools and teaching points with fewer than 100 pupils are funded as for
    100: public funding ÷ the 生均公用经费基准定额 ≥ 100."""
    code, arg = missing_table_or_columns(s, "schools", ["public_funding_yuan"])
    if not code and "area_type" not in s:
        code, arg = "lacks_columns", "schools|area_type"
    if not code:
        code, arg = missing_table_or_columns(county, "county", ["public_funding_norm_primary_yuan"])
    if code:
        return blocked("B13", code, arg)
    base = float(ind.threshold())  # 100 students: both the cut-off and the funding base
    types = s["school_type"].astype(str).to_numpy()
    area = s["area_type"]
    rural = pd.array(area.eq("rural"), dtype="boolean")
    rural[np.asarray(area.isna())] = pd.NA
    students = num(s, "students_primary")
    small = compare(students, base, "lt")
    point = types == "teaching_point"
    primary = types == "primary"
    scope = (pd.array(point, dtype="boolean")
             | (pd.array(primary, dtype="boolean") & rural)) & small
    norms = county.drop_duplicates(KEY, keep="last")[[*KEY, "public_funding_norm_primary_yuan"]]
    norm = s[KEY].merge(norms, on=KEY, how="left")["public_funding_norm_primary_yuan"]
    norm = pd.to_numeric(norm, errors="coerce").to_numpy(dtype=float)
    funding = num(s, "public_funding_yuan")
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(norm > 0, funding / np.where(norm > 0, norm, 1.0), np.nan)
    met = compare(value, base, "ge")
    gap = np.maximum(base * norm - funding, 0.0)
    names = missing_names(s, ["public_funding_yuan", "students_primary", "area_type"])
    reason = np.select([np.isnan(norm), norm == 0], ["no_norm", "norm_zero"], "missing")
    rows = school_rows(s, scope, value, base, met, gap, reason, names,
                       facts={"students": students, "funding": funding, "norm": norm})
    return SchoolCheck("B13", rows, "ge")


# ---------------------------------------------------------------------------------------------
# county rows


def ranked_rows(checks: list[SchoolCheck]) -> pd.DataFrame:
    """The per-school rows of ``checks`` with ``rank``, which orders the schools of one
    (county, year, item): failing first (largest gap, then smallest margin), then met, then
    unknown; with the working columns :func:`aggregate` counts. The rows are not moved (the
    caller sorts them once, in registry order)."""
    return _ranked(checks)[0]


def _ranked(checks: list[SchoolCheck]) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, int,
                                                np.ndarray]:
    """:func:`ranked_rows`, with the sort order, the group codes, their number and each
    group's first position in the order (what :func:`aggregate` counts with)."""
    ikey = [*KEY, "id"]
    frames = [ch.rows.assign(id=ch.id, _direction=ch.direction)
              for ch in checks if not ch.blocked]
    frames = [f for f in frames if len(f)]
    if frames:
        r = pd.concat(frames, ignore_index=True)
    else:
        r = pd.DataFrame({c: pd.Series(dtype=object)
                          for c in [*SCHOOL_ITEM_COLUMNS, "_direction"]})
        for c in ("value", "threshold", "gap"):
            r[c] = r[c].astype(float)
    fail = false(r["met"])
    ok = true(r["met"])
    r["_fail"], r["_unknown"] = fail, ~fail & ~ok
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = r["value"].to_numpy(float) / r["threshold"].to_numpy(float)
    margin = np.zeros(len(r))
    for direction, rows in r.groupby("_direction", sort=False).indices.items():
        margin[rows] = -distance(ratio[rows], 1.0, direction)
    r["_margin"] = np.where(np.isfinite(margin), margin, np.inf)
    r["_rank"] = np.select([fail, ok], [0, 1], 2)
    r["_gap"] = -r["gap"].astype(float).fillna(0)
    coded = all(c in r and r[c].notna().all() for c in (KEY_CODE, SCHOOL_CODE))
    if coded:  # every row carries the schools' codes: sort and group by integers
        order = sort_order(r, [KEY_CODE, "id", "_rank", "_gap", "_margin", SCHOOL_CODE])
        gid, n_groups = group_codes(r, [KEY_CODE, "id"])
    else:
        order = sort_order(r, [*ikey, "_rank", "_gap", "_margin", "school_id"])
        gid, n_groups = group_codes(r, ikey)
    gid_sorted = gid[order]
    first = first_rows(gid_sorted, n_groups)
    rank = np.empty(len(r), dtype=np.int64)
    rank[order] = np.arange(len(r)) - first[gid_sorted]
    r["rank"] = rank
    return r, order, gid, n_groups, first


def school_table(ranked: pd.DataFrame) -> pd.DataFrame:
    """The school rows of :func:`ranked_rows`: :data:`SCHOOL_ITEM_COLUMNS` and the facts."""
    facts = [c for c in ranked.columns if c.startswith("f_")]
    codes = [c for c in (KEY_CODE, SCHOOL_CODE) if c in ranked]  # dropped once sorted
    return ranked[[*SCHOOL_ITEM_COLUMNS, *facts, *codes]].reset_index(drop=True)


def aggregate(keys: pd.DataFrame, checks: list[SchoolCheck]) -> tuple[pd.DataFrame,
                                                                       pd.DataFrame]:
    """County rows of the school-scope items, and the per-school rows with their rank.

    Returns (county rows with :data:`SCHOOL_COUNTY_COLUMNS`, school rows with
    :data:`SCHOOL_ITEM_COLUMNS` and the facts, see :func:`ranked_rows`).
    """
    ikey = [*KEY, "id"]
    if not checks:
        return (pd.DataFrame({c: pd.Series(dtype=object) for c in SCHOOL_COUNTY_COLUMNS}),
                empty_school_rows())
    r, order, gid, n_groups, first = _ranked(checks)
    fail = r["_fail"].to_numpy(bool)
    n_rows = np.bincount(gid, minlength=n_groups)
    n_fail = np.bincount(gid, weights=fail, minlength=n_groups)
    n_unknown = np.bincount(gid, weights=r["_unknown"].to_numpy(bool), minlength=n_groups)
    worst = order[first[first < len(order)]] if len(order) else np.zeros(0, dtype=np.int64)
    # one row per key and check (keys first, checks in order), its group's counts where any
    k, c = len(keys), len(checks)
    at = np.full(k * c, -1, dtype=np.int64)
    if len(worst):
        key_at = lookup_positions(keys[KEY].reset_index(drop=True),
                                  r[KEY].take(worst).reset_index(drop=True))
        check_at = {ch.id: j for j, ch in enumerate(checks)}
        check_of = np.array([check_at[i] for i in r["id"].to_numpy(dtype=object)[worst]],
                            dtype=np.int64)
        ok = key_at >= 0
        at[key_at[ok] * c + check_of[ok]] = np.flatnonzero(ok)
    found = at >= 0

    def counted(values: np.ndarray, fill: float) -> np.ndarray:
        return np.where(found, np.asarray(values)[np.maximum(at, 0)], fill) \
            if len(values) else np.full(k * c, fill)

    n = counted(n_rows, 0).astype("int64")
    nf = counted(n_fail, 0).astype("int64")
    nu = counted(n_unknown, 0).astype("int64")
    value = counted(r["value"].to_numpy(float)[worst], np.nan)
    threshold = counted(r["threshold"].to_numpy(float)[worst], np.nan)
    is_blocked = np.tile(np.array([ch.blocked != "" for ch in checks], dtype=bool), k)
    empty_met = np.tile(np.array([ch.empty_met for ch in checks], dtype=bool), k)
    empty = n == 0
    status = np.select([is_blocked, nf > 0, nu > 0, empty & empty_met, empty],
                       [NOT_ASSESSED, NOT_MET, NOT_ASSESSED, MET, NOT_ASSESSED],
                       MET).astype(object)

    def per_check(values: list[Any]) -> Any:
        return text_array(np.tile(np.asarray(values, dtype=object), k))

    def ints(values: np.ndarray) -> pd.arrays.IntegerArray:
        return pd.arrays.IntegerArray(np.where(is_blocked, 0, values), is_blocked.copy())

    county_id = keys["county_id"].to_numpy(dtype=object)
    out = pd.DataFrame({
        "county_id": text_array(np.repeat(county_id, c)),
        "year": np.repeat(keys["year"].to_numpy(), c),
        "id": per_check([ch.id for ch in checks]),
        "status": text_array(status),
        "value": np.where(is_blocked, np.nan, value),
        "threshold": np.where(is_blocked, np.nan, threshold),
        "n_schools": ints(n), "n_failing": ints(nf), "n_unknown": ints(nu),
        "blocked": per_check([ch.blocked for ch in checks]),
        "blocked_arg": per_check([ch.blocked_arg for ch in checks]),
        "note": per_check([ch.note for ch in checks])}, copy=False)
    return out[SCHOOL_COUNTY_COLUMNS], school_table(r)


def run_school_rules(registry: Registry, schools: pd.DataFrame, sizes: pd.DataFrame | None,
                     county: pd.DataFrame | None, settings: Settings,
                     only: set[str] | None = None) -> list[SchoolCheck]:
    """Every school-scope indicator of the registry (or those in ``only``), dispatched by id
    or by kind."""
    from .base import KINDS, RULES

    checks = []
    for ind in registry.of_scope("school"):
        if only is not None and ind.id not in only:
            continue
        fn = RULES.get(ind.id) or KINDS.get(ind.kind)
        if fn is None:
            raise ValueError(f"{ind.id}: no rule registered for kind {ind.kind!r}")
        checks.append(fn(ind, s=schools, sizes=sizes, county=county, settings=settings,
                         registry=registry))
    return checks


def empty_school_rows() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in SCHOOL_ITEM_COLUMNS})


__all__ = ["SCHOOL_COUNTY_COLUMNS", "SCHOOL_ITEM_COLUMNS", "SchoolCheck", "aggregate",
           "blocked", "ranked_rows", "school_table", "run_school_rules", "school_rows", "terms_sum", "tri", "na_ints"]
