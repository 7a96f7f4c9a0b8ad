"""Per-unit resources (B1–B7 and any ``unit_ratio`` extension): values, the school rule and
the inter-school 差异系数.

All counties, years and levels are evaluated in one vectorised pass: per-unit values are array
arithmetic on the unit table (:func:`balance_lib.units.build_units`), and the CVs are one
grouped aggregation (:func:`balance_lib.variation.weighted_cv_by_code`) over integer group
codes. No Python loop runs over schools or counties.

Value of indicator *k* for unit *i*: X = R / P × scale, R the registry's ``numerator`` column of
the unit table (scale 100 for the "每百名学生" indicators). A value meets its threshold when
X ≥ T and its floor when X ≥ floor_ratio·T (85 %, from the registry), both on the unrounded
value unless ``threshold_rounding`` is set, with the tolerance of
:func:`balance_lib.indicators.base.compare` (9 teachers for 1,000 pupils meet 0.9 per 100). A
unit passes when at least ``min_met`` (6) of the seven values of the school rule
(``in_school_rule``) meet the threshold and all seven meet the floor. The county value is
Σ R / Σ P (× scale), the CV the student-weighted population CV, compared with its limit
(≤, same tolerance) per level.

A county meets a unit indicator when each of its CVs is within the limit and no unit that
misses the threshold fails the school rule because of it (for an extension outside the school
rule: when every unit meets the threshold).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..registry import Registry
from ..settings import Settings
from ..frames import first_rows, group_codes
from ..units import LEVEL_ORDER, UNIT_KEY, build_units, sort_units
from ..variation import check_weights, weighted_cv_by_code
from .base import MET, NOT_MET, compare, distance, kind, meets, per_registry

_EPS = 1e-9


@dataclass(frozen=True)
class ResourceResult:
    """What the unit engine returns.

    ``units``: one row per unit: :data:`balance_lib.units.UNIT_KEY`, school info, ``students``,
    the raw numerators, and per indicator id ``value_B1`` …, ``threshold_B1`` …, ``met_B1`` …,
    ``floor_met_B1`` …, ``shortfall_B1`` … (natural units to reach the threshold, 0 when met),
    then ``met_count``, ``below_floor`` and ``passes`` (the school rule, over the seven
    indicators of the rule).

    ``variation``: one row per (county_id, year, level, indicator): ``n_units``, ``students``,
    ``county_value``, ``threshold``, ``cv``, ``limit`` (NaN without one), ``met``,
    ``cv_unweighted``, ``cv_sample``.

    ``indicator_ids``: the school rule's indicators (B1–B7); ``unit_ids``: every unit
    indicator (B1–B7, then extensions).
    """

    units: pd.DataFrame
    variation: pd.DataFrame
    indicator_ids: tuple[str, ...]
    unit_ids: tuple[str, ...] = ()


def _round(x: np.ndarray, decimals: int | None) -> np.ndarray:
    return x if decimals is None else np.round(x, decimals)


def _unit_levels(registry: Registry) -> dict[str, dict[str, np.ndarray]]:
    """threshold, floor and CV limit -> indicator -> value per level code (LEVEL_ORDER, then
    NaN for a level outside it) from the registry's resource table."""
    table = registry.resource_table()
    out: dict[str, dict[str, np.ndarray]] = {"threshold": {}, "floor": {}, "cv_limit": {}}
    for ind in registry.unit_indicators:
        rows = table[table.indicator == ind.id].set_index("level")
        for col, by in out.items():
            values = np.append(rows[col].reindex(list(LEVEL_ORDER)).to_numpy(dtype=float),
                               np.nan)
            values.flags.writeable = False
            by[ind.id] = values
    return out


def _level_codes(levels: pd.Series) -> np.ndarray:
    """Position of each level in LEVEL_ORDER (len(LEVEL_ORDER) for any other)."""
    return levels.map(LEVEL_ORDER).fillna(len(LEVEL_ORDER)).to_numpy(dtype=np.int64)


def evaluate_units(units: pd.DataFrame, settings: Settings, registry: Registry) -> pd.DataFrame:
    """Add values, met flags, shortfalls, ``met_count`` and ``passes`` to a unit table."""
    by_level = per_registry(registry, "unit_levels", _unit_levels)
    level = _level_codes(units["level"])
    students = units["students"].to_numpy(dtype=float)
    out = {}
    met_all, floor_all = [], []
    for ind in registry.unit_indicators:
        thr = by_level["threshold"][ind.id][level]
        floor = by_level["floor"][ind.id][level]
        numer = units[ind.numerator].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            value = numer / students * ind.scale
        shown = _round(value, settings.threshold_rounding)
        met = meets(shown, thr, ind.direction)
        floor_met = meets(shown, floor, ind.direction)
        need = distance(numer, thr * students / ind.scale, ind.direction)
        if ind.shortfall_integer:
            short = np.maximum(np.ceil(need - _EPS), 1.0)
        else:
            short = np.maximum(need, 0.0)
        out[f"value_{ind.id}"] = value
        out[f"threshold_{ind.id}"] = thr
        out[f"met_{ind.id}"] = met
        out[f"floor_met_{ind.id}"] = floor_met
        out[f"shortfall_{ind.id}"] = np.where(met, 0.0, short)
        if ind.in_school_rule:
            met_all.append(met)
            floor_all.append(floor_met)
    met_m = np.column_stack(met_all)
    floor_m = np.column_stack(floor_all)
    out["met_count"] = met_m.sum(axis=1)
    out["below_floor"] = (~floor_m).sum(axis=1)
    out["passes"] = (out["met_count"] >= registry.min_met) & floor_m.all(axis=1)
    return pd.concat([units, pd.DataFrame(out, index=units.index)], axis=1)


def variation_table(units: pd.DataFrame, settings: Settings, registry: Registry) -> pd.DataFrame:
    """Student-weighted CV of every unit indicator per (county_id, year, level), one pass."""
    ids = [i.id for i in registry.unit_indicators]
    # groups in the order of the output: county, year, level in teaching order
    gid, n_groups = group_codes(units, ["county_id", "year", "level"], {"level": LEVEL_ORDER})
    keys = units[["county_id", "year", "level"]].take(first_rows(gid, n_groups))
    keys = keys.reset_index(drop=True)
    n, k = len(units), len(ids)
    # one group per (county, year, level) and indicator: code = group × k + indicator
    x = np.column_stack([units[f"value_{i}"].to_numpy(float) for i in ids]).ravel()
    w = np.repeat(units["students"].to_numpy(float), k)
    check_weights(w, "column 'students'")
    codes = (np.repeat(gid, k) * k + np.tile(np.arange(k), n)).astype(np.int64)
    stats = pd.DataFrame(weighted_cv_by_code(x, w, codes, n_groups * k))
    stats = stats.rename(columns={"mean": "county_value", "total_weight": "students"})
    stats = pd.concat([keys.iloc[np.repeat(np.arange(n_groups), k)].reset_index(drop=True),
                       stats.drop(columns="std")], axis=1)
    stats["indicator"] = np.tile(np.asarray(ids, dtype=object), n_groups)
    by_level = per_registry(registry, "unit_levels", _unit_levels)
    level = np.repeat(_level_codes(keys["level"]), k)
    indicator = np.tile(np.arange(k), n_groups)
    for col, name in (("threshold", "threshold"), ("limit", "cv_limit")):
        values = np.vstack([by_level[name][i] for i in ids]) if k else np.zeros((0, 1))
        stats[col] = values[indicator, level] if len(level) else np.zeros(0)
    cv = _round(stats["cv"].to_numpy(), settings.cv_rounding)
    limit = stats["limit"].to_numpy(float)
    # no limit (an extension without one): nothing to fail
    stats["met"] = np.where(np.isnan(limit), True, meets(cv, limit, "le"))
    cols = ["county_id", "year", "level", "indicator", "n_units", "students", "county_value",
            "threshold", "cv", "limit", "met", "cv_unweighted", "cv_sample"]
    return stats[cols]


@kind("unit_ratio")  # every unit_ratio indicator of the registry, in one pass
def evaluate_resources(
    schools: pd.DataFrame,
    settings: Settings | None = None,
    registry: Registry | None = None,
) -> ResourceResult:
    """Evaluate every unit indicator for every county, year and level in ``schools`` at once."""
    from ..registry import load_registry

    settings = settings or Settings()
    registry = registry or load_registry()
    extra = tuple(i.numerator for i in registry.unit_indicators if not i.in_school_rule)
    units = build_units(schools, settings, extra_numerators=extra)
    units = evaluate_units(units, settings, registry)
    variation = variation_table(units, settings, registry)
    return ResourceResult(
        units=units,
        variation=variation,
        indicator_ids=tuple(i.id for i in registry.resource_indicators),
        unit_ids=tuple(i.id for i in registry.unit_indicators),
    )


def long_values(result: ResourceResult) -> pd.DataFrame:
    """Tidy view: one row per unit and indicator (for notebooks and charts)."""
    frames = []
    for ind in result.unit_ids or result.indicator_ids:
        f = result.units[[*UNIT_KEY, "school_name", "students"]].copy()
        f["indicator"] = ind
        for col in ("value", "threshold", "met", "floor_met", "shortfall"):
            f[col] = result.units[f"{col}_{ind}"].to_numpy()
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


#: Columns of :func:`unit_items`.
UNIT_ITEM_COLUMNS = ["county_id", "year", "id", "status", "n_units", "n_missing", "n_blocking",
                     "cv_met"]


def unit_items(result: ResourceResult, registry: Registry) -> pd.DataFrame:
    """County status of every unit indicator, per (county_id, year): ``n_units``,
    ``n_missing`` (units below the threshold), ``n_blocking`` (of them, units failing the
    school rule; for an extension: all of them), ``cv_met`` (every CV within its limit).

    All indicators in one grouping (the scenario explorer evaluates after every edit)."""
    u, var = result.units, result.variation
    ids = list(result.unit_ids or result.indicator_ids)
    if u.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in UNIT_ITEM_COLUMNS})
    gid, n_groups = group_codes(u, ["county_id", "year"])
    base = u[["county_id", "year"]].take(first_rows(gid, n_groups)).reset_index(drop=True)
    n_units = np.bincount(gid, minlength=n_groups).astype("int64")
    fails = ~u["passes"].to_numpy(bool)
    k = len(ids)
    missing = np.column_stack([~u[f"met_{i}"].to_numpy(bool) for i in ids])
    in_rule = np.array([registry.indicator(i).in_school_rule for i in ids])
    blocking = missing & np.where(in_rule[None, :], fails[:, None], True)
    cell = (gid[:, None] * k + np.arange(k)[None, :]).ravel()  # (group, indicator) of each

    def count(flags: np.ndarray) -> np.ndarray:  # per indicator, then per group
        return np.bincount(cell, weights=flags.ravel(), minlength=n_groups * k
                           ).reshape(n_groups, k).T.ravel().astype("int64")

    out = pd.DataFrame({
        "county_id": np.tile(base["county_id"].to_numpy(), k),
        "year": np.tile(base["year"].to_numpy(), k),
        "n_units": np.tile(n_units, k),
        "n_missing": count(missing), "n_blocking": count(blocking),
        "id": np.repeat(np.array(ids, dtype=object), n_groups)})
    cv_ok = var.groupby(["county_id", "year", "indicator"], sort=False)["met"].all()
    ok = cv_ok.reindex(pd.MultiIndex.from_arrays(
        [out["county_id"], out["year"], out["id"]])).fillna(True).to_numpy(bool)
    out["cv_met"] = ok
    out["status"] = np.where(ok & (out["n_blocking"].to_numpy() == 0), MET, NOT_MET)
    return out[UNIT_ITEM_COLUMNS]
