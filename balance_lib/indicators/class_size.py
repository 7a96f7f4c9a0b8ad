"""Class sizes: the summary per school and level, and B12 (every class within 45 / 50).

The limits and the bands 大班额 (56–65) and 超大班额 (≥ 66) come from the registry (B12's
``thresholds``, ``large_class_min`` and ``super_large_class_min``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..columns import LEVELS
from ..frames import (
    KEY_CODE,
    SCHOOL_CODE,
    column_codes,
    first_rows,
    group_codes,
    key_codes,
    text_array,
)
from ..registry import Indicator, Registry
from .base import CLASS_KEY, KEY, SCHOOL_KEY, num, rule, sum_known, tri, with_county
from .school import SchoolCheck, blocked, school_rows

CLASS_SIZE_COLUMNS = ["county_id", "year", "school_id", "level", "classes", "students",
                      "mean_class_size", "max_class_size", "limit", "classes_over_limit",
                      "large_classes", "super_large_classes", "classes_unknown"]
_COUNTS = ("classes", "classes_over_limit", "large_classes", "super_large_classes",
           "classes_unknown")


def class_limits(registry: Registry) -> dict[str, float]:
    """B12's limit per level (45 / 50)."""
    ind = registry.indicator("B12")
    return {lv: float(ind.threshold(lv)) for lv in LEVELS}


def class_size_table(classes: pd.DataFrame, registry: Registry) -> pd.DataFrame:
    """Class-size summary per (county_id, year, school_id, level).

    Parameters
    ----------
    classes
        ``classes.csv`` in canonical columns (year, school_id, level, class_id, students;
        ``county_id`` optional).
    registry
        Limits (B12 ``primary``/``junior``) and the bands ``large_class_min`` (大班额, 56–65)
        and ``super_large_class_min`` (超大班额, ≥ 66).

    Returns
    -------
    DataFrame
        ``classes`` (rows), ``students`` (sum), ``mean_class_size``, ``max_class_size``,
        ``limit``, ``classes_over_limit`` (students > limit), ``large_classes``
        (large_class_min ≤ students < super_large_class_min), ``super_large_classes``
        (≥ super_large_class_min) and ``classes_unknown`` (classes without a student count).

    Examples
    --------
    >>> from balance_lib.registry import load_registry
    >>> c = pd.DataFrame({"year": 2024, "school_id": "S1", "level": "primary",
    ...                   "class_id": ["a", "b", "c"], "students": [45.0, 46.0, 66.0]})
    >>> t = class_size_table(c, load_registry())
    >>> r = t.iloc[0]
    >>> int(r.classes), int(r.max_class_size), int(r.classes_over_limit), int(r.large_classes)
    (3, 66, 2, 0)
    >>> int(r.super_large_classes)
    1
    """
    ind = registry.indicator("B12")
    large_min = float(ind.extra["large_class_min"])
    super_min = float(ind.extra["super_large_class_min"])
    c = with_county(classes)
    if c.empty:
        return pd.DataFrame({col: pd.Series(dtype=object) for col in CLASS_SIZE_COLUMNS})
    size = num(c, "students")
    level = c["level"].astype(str).to_numpy(dtype=object)
    limits = class_limits(registry)
    limit = np.array([limits.get(lv, np.nan) for lv in level.tolist()], dtype=float)
    keys = pd.DataFrame({"county_id": c["county_id"].array, "year": c["year"].array,
                         "school_id": c["school_id"].array, "level": level}, copy=False)
    kept = np.flatnonzero(keys.notna().all(axis=1).to_numpy())  # groupby drops missing keys
    if len(kept) < len(keys):
        keys = keys.take(kept).reset_index(drop=True)
        size, level, limit = size[kept], level[kept], limit[kept]
    gid, n = group_codes(keys, CLASS_KEY)  # groups in key order, as groupby(sort=True)
    known = ~np.isnan(size)
    with np.errstate(invalid="ignore"):
        flags = {"classes_over_limit": size > limit,
                 "large_classes": (size >= large_min) & (size < super_min),
                 "super_large_classes": size >= super_min, "classes_unknown": ~known}
    first = first_rows(gid, n)
    n_known = np.bincount(gid, weights=known, minlength=n)
    students = np.bincount(gid, weights=np.where(known, size, 0.0), minlength=n)
    top = np.full(n, np.nan)
    np.fmax.at(top, gid, size)
    # the first limit that is not missing, per group
    has_limit = ~np.isnan(limit)
    first_limit = np.full(n, len(limit), dtype=np.int64)
    np.minimum.at(first_limit, gid[has_limit], np.flatnonzero(has_limit))
    group_limit = np.append(limit, np.nan)[first_limit]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n_known > 0, students / np.where(n_known > 0, n_known, 1.0), np.nan)
    out = pd.DataFrame({
        "county_id": text_array(keys["county_id"].to_numpy(dtype=object)[first]),
        "year": keys["year"].to_numpy()[first],
        "school_id": text_array(keys["school_id"].to_numpy(dtype=object)[first]),
        "level": text_array(level[first]),
        "classes": np.bincount(gid, minlength=n).astype(np.int64),
        "students": students, "mean_class_size": mean, "max_class_size": top,
        "limit": group_limit,
        **{name: np.bincount(gid, weights=f, minlength=n).astype(np.int64)
           for name, f in flags.items()}}, copy=False)
    return out


def in_scope(sizes: pd.DataFrame, schools: pd.DataFrame) -> pd.DataFrame:
    """The class-size rows of the schools in scope: a special school's classes are left out
    (the rules judge class sizes of general schools only, so B12, the 大班额 counts of every
    report, the booklets, the scenarios and the forms never show them).

    A school is special in the year its row of ``schools`` says so; classes of schools
    without a row are kept (B12 then reports them as unknown).

    >>> sizes = pd.DataFrame({"county_id": "", "year": 2024, "school_id": ["S1", "S9"],
    ...                       "level": "primary", "classes": [3, 2]})
    >>> schools = pd.DataFrame({"year": 2024, "school_id": ["S1", "S9"],
    ...                         "school_type": ["primary", "special"]})
    >>> in_scope(sizes, schools)["school_id"].tolist()
    ['S1']
    """
    s = with_county(schools)
    special = s[(s["school_type"].astype(str) == "special").to_numpy()]
    if special.empty or sizes.empty:
        return sizes

    def keys(f: pd.DataFrame) -> dict[str, np.ndarray]:
        return {"county_id": f["county_id"].astype(str).to_numpy(dtype=object),
                "year": f["year"].astype(int).to_numpy(),
                "school_id": f["school_id"].astype(str).to_numpy(dtype=object)}

    a, b = keys(sizes), keys(special)
    both = pd.DataFrame({k: np.concatenate([a[k], b[k]]) for k in a}, copy=False)
    codes = key_codes(both, SCHOOL_KEY)
    keep = ~np.isin(codes[:len(sizes)], codes[len(sizes):])
    return sizes if keep.all() else sizes[keep].reset_index(drop=True)


def empty_class_sizes(registry: Registry) -> pd.DataFrame:
    return class_size_table(
        pd.DataFrame(columns=["year", "school_id", "level", "class_id", "students"]), registry)


@rule("B12", reads={"classes": ()})
def b12(ind: Indicator, s: pd.DataFrame, sizes: pd.DataFrame | None, registry: Registry,
        **_: Any) -> SchoolCheck:
    """Every class of a school within the limit of its level; a school is judged on the
    classes of ``classes.csv`` (special schools and years without school rows left out)."""
    if sizes is None:
        return blocked("B12", "no_classes_table", direction="le")
    types = s["school_type"].astype(str)
    compulsory = np.nan_to_num(sum_known(num(s, "students_primary"), num(s, "students_junior")))
    sz = in_scope(sizes, s)
    # one integer per school (and per county and year) over the schools and the class rows
    n_s = len(s)
    both = pd.DataFrame({
        "county_id": np.concatenate([s["county_id"].to_numpy(dtype=object),
                                     sz["county_id"].to_numpy(dtype=object)]),
        "year": pd.concat([s["year"], sz["year"]], ignore_index=True).to_numpy(),
        "school_id": np.concatenate([s["school_id"].astype(str).to_numpy(dtype=object),
                                     sz["school_id"].astype(str).to_numpy(dtype=object)])},
        copy=False)
    code, year_code = key_codes(both, SCHOOL_KEY), key_codes(both, KEY)
    reported = np.isin(year_code[n_s:], year_code[:n_s])  # reported years only
    cs, cz = code[:n_s], code[n_s:][reported]
    zpos = np.flatnonzero(reported)
    level = sz["level"].astype(str).to_numpy(dtype=object)[zpos]
    max_size = sz["max_class_size"].to_numpy(dtype=float)[zpos]
    limit = sz["limit"].to_numpy(dtype=float)[zpos]
    u, inv = np.unique(cz, return_inverse=True)  # the schools with class rows, in key order
    inv = inv.reshape(-1)
    per: dict[str, np.ndarray] = {}
    for lv in LEVELS:
        at = level == lv
        for name in _COUNTS:
            per[f"{name}_{lv}"] = np.bincount(
                inv[at], weights=sz[name].to_numpy(dtype=float)[zpos][at], minlength=len(u))
        top = np.full(len(u), np.nan)
        np.fmax.at(top, inv[at], max_size[at])
        per[f"max_{lv}"] = top
    # the worst class of each school: the largest excess over its limit, then the level's name
    excess = np.nan_to_num(max_size - limit, nan=-np.inf)
    order = np.lexsort((column_codes(level)[0], -excess, inv))
    worst = order[first_rows(inv[order], len(u))] if len(u) else np.zeros(0, dtype=np.int64)
    per["max_class_size"], per["limit"] = max_size[worst], limit[worst]

    # the rows: the general schools with pupils, then schools with class rows but no such row
    base = np.flatnonzero((types != "special").to_numpy() & (compulsory > 0))
    extra = np.flatnonzero(~np.isin(u, cs[base]))
    seen, first_seen = np.unique(cs, return_index=True)
    named = np.searchsorted(seen, u[extra]) if len(seen) else np.zeros(len(extra), dtype=int)
    named = np.minimum(named, max(len(seen) - 1, 0))
    has_name = (seen[named] == u[extra]) if len(seen) else np.zeros(len(extra), dtype=bool)
    first_z = zpos[first_rows(inv, len(u))[extra]] if len(u) else np.zeros(0, dtype=np.int64)
    name_col = s["school_name"].to_numpy(dtype=object)
    extra_names = np.where(has_name, name_col[first_seen[named]] if len(seen) else None, np.nan)
    t = pd.DataFrame({
        "county_id": np.concatenate([both["county_id"].to_numpy()[base],
                                     both["county_id"].to_numpy()[n_s + first_z]]),
        "year": np.concatenate([both["year"].to_numpy()[base],
                                both["year"].to_numpy()[n_s + first_z]]),
        "school_id": np.concatenate([both["school_id"].to_numpy()[base],
                                     both["school_id"].to_numpy()[n_s + first_z]]),
        "school_name": np.concatenate([name_col[base], extra_names.astype(object)])},
        copy=False)
    if not len(extra):  # every row is a row of the schools: keep the evaluation's codes
        for code in (KEY_CODE, SCHOOL_CODE):
            if code in s:
                t[code] = s[code].to_numpy()[base]
    # each row's school among those with class rows (−1: none)
    t_code = np.concatenate([cs[base], u[extra]])
    at_u = np.searchsorted(u, t_code) if len(u) else np.zeros(len(t), dtype=int)
    at_u = np.minimum(at_u, max(len(u) - 1, 0))
    found = (u[at_u] == t_code) if len(u) else np.zeros(len(t), dtype=bool)

    def col(name: str, fill: float = 0.0) -> np.ndarray:
        return np.where(found, per[name][at_u], fill) if len(u) else np.full(len(t), fill)

    has_rows = ~np.isnan(col("limit", np.nan))
    over = col("classes_over_limit_primary") + col("classes_over_limit_junior")
    unknown = col("classes_unknown_primary") + col("classes_unknown_junior")
    met = tri(over == 0, ~has_rows | ((over == 0) & (unknown > 0)))
    facts: dict[str, Any] = {"has_rows": has_rows, "classes_unknown": unknown}
    for lv in LEVELS:
        facts[f"classes_{lv}"] = col(f"classes_{lv}")
        facts[f"max_{lv}"] = col(f"max_{lv}", np.nan)
        for name in ("classes_over_limit", "large_classes", "super_large_classes"):
            facts[f"{name}_{lv}"] = col(f"{name}_{lv}")
    reason = np.where(has_rows, "classes_unknown", "no_class_rows")
    rows = school_rows(t, np.ones(len(t), dtype=bool), col("max_class_size", np.nan),
                       col("limit", np.nan), met, over, reason, "", facts=facts)
    return SchoolCheck("B12", rows, "le", empty_met=False)
