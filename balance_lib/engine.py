"""B1–B7 engine: per-unit values, the school rule and the inter-school 差异系数.

All counties, years and levels are evaluated in one vectorised pass: per-unit values are array
arithmetic on the unit table, and the CVs are one grouped aggregation
(:func:`balance_lib.variation.grouped_weighted_cv`) over integer group codes. No Python loop runs
over schools or counties.

Value of indicator *k* for unit *i*: X = R / P × scale (scale 100 for the "每百名学生"
indicators). A value meets its threshold when X ≥ T, and its floor when X ≥ floor_ratio·T (85%, from the registry) (both on the
unrounded value unless ``threshold_rounding`` is set). A unit passes when at least ``min_met`` (6)
of its 7 values meet the threshold and all 7 meet the floor. The county value is Σ R / Σ P
(× scale), the CV the student-weighted population CV.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .registry import Registry, load_registry
from .settings import Settings
from .units import NUMERATORS, UNIT_KEY, build_units, sort_units
from .variation import grouped_weighted_cv

_EPS = 1e-9


@dataclass(frozen=True)
class ResourceResult:
    """What the B1–B7 engine returns.

    ``units``: one row per unit: :data:`balance_lib.units.UNIT_KEY`, school info, ``students``,
    the raw numerators, and per indicator id ``value_B1`` …, ``met_B1`` …, ``floor_met_B1`` …,
    ``shortfall_B1`` … (natural units to reach the threshold, 0 when met), then ``met_count``,
    ``below_floor`` and ``passes``.

    ``variation``: one row per (county_id, year, level, indicator): ``n_units``, ``students``,
    ``county_value``, ``threshold``, ``cv``, ``limit``, ``met``, ``cv_unweighted``, ``cv_sample``.
    """

    units: pd.DataFrame
    variation: pd.DataFrame
    indicator_ids: tuple[str, ...]


def _round(x: np.ndarray, decimals: int | None) -> np.ndarray:
    return x if decimals is None else np.round(x, decimals)


def evaluate_units(units: pd.DataFrame, settings: Settings, registry: Registry) -> pd.DataFrame:
    """Add values, met flags, shortfalls, ``met_count`` and ``passes`` to a unit table."""
    table = registry.resource_table()
    ids = [i.id for i in registry.resource_indicators]
    level = units["level"].to_numpy()
    students = units["students"].to_numpy(dtype=float)
    out = {}
    met_all, floor_all = [], []
    for k, ind in enumerate(ids):
        rows = table[table.indicator == ind].set_index("level")
        thr = rows["threshold"].reindex(level).to_numpy()
        floor = rows["floor"].reindex(level).to_numpy()
        scale = float(rows["scale"].iloc[0])
        numer = units[NUMERATORS[k]].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            value = numer / students * scale
        shown = _round(value, settings.threshold_rounding)
        met = shown >= thr
        floor_met = shown >= floor
        need = thr * students / scale - numer
        shortfall = np.where(met, 0.0, np.maximum(np.ceil(need - _EPS), 1.0))
        out[f"value_{ind}"] = value
        out[f"threshold_{ind}"] = thr
        out[f"met_{ind}"] = met
        out[f"floor_met_{ind}"] = floor_met
        out[f"shortfall_{ind}"] = shortfall
        met_all.append(met)
        floor_all.append(floor_met)
    met_m = np.column_stack(met_all)
    floor_m = np.column_stack(floor_all)
    out["met_count"] = met_m.sum(axis=1)
    out["below_floor"] = (~floor_m).sum(axis=1)
    out["passes"] = (out["met_count"] >= registry.min_met) & floor_m.all(axis=1)
    return pd.concat([units, pd.DataFrame(out, index=units.index)], axis=1)


def variation_table(units: pd.DataFrame, settings: Settings, registry: Registry) -> pd.DataFrame:
    """Student-weighted CV of every indicator per (county_id, year, level), one grouped pass."""
    ids = [i.id for i in registry.resource_indicators]
    groups = units.groupby(["county_id", "year", "level"], sort=True, observed=True)
    gid = groups.ngroup().to_numpy()
    keys = groups.size().reset_index()[["county_id", "year", "level"]]
    n, k = len(units), len(ids)
    long = pd.DataFrame(
        {
            "group": np.repeat(gid, k),
            "indicator": np.tile(np.arange(k), n),
            "value": np.column_stack([units[f"value_{i}"].to_numpy(float) for i in ids]).ravel(),
            "students": np.repeat(units["students"].to_numpy(float), k),
        }
    )
    stats = grouped_weighted_cv(long, "value", "students", ["group", "indicator"])
    stats = stats.rename(columns={"mean": "county_value", "total_weight": "students"})
    stats = pd.concat(
        [keys.iloc[stats["group"].to_numpy()].reset_index(drop=True), stats.drop(columns="group")],
        axis=1,
    )
    stats["indicator"] = np.asarray(ids)[stats["indicator"].to_numpy()]
    table = registry.resource_table()[["indicator", "level", "threshold", "cv_limit"]]
    stats = stats.merge(table, on=["indicator", "level"], how="left").rename(
        columns={"cv_limit": "limit"}
    )
    cv = _round(stats["cv"].to_numpy(), settings.cv_rounding)
    stats["met"] = cv <= stats["limit"].to_numpy()
    cols = ["county_id", "year", "level", "indicator", "n_units", "students", "county_value",
            "threshold", "cv", "limit", "met", "cv_unweighted", "cv_sample"]
    stats["_order"] = stats["indicator"].map({i: n for n, i in enumerate(ids)})
    stats = sort_units(stats, ["county_id", "year", "level", "_order"])
    return stats[cols]


def evaluate_resources(
    schools: pd.DataFrame,
    settings: Settings | None = None,
    registry: Registry | None = None,
) -> ResourceResult:
    """Evaluate B1–B7 for every county, year and level in ``schools`` in one pass."""
    settings = settings or Settings()
    registry = registry or load_registry()
    units = build_units(schools, settings)
    units = evaluate_units(units, settings, registry)
    variation = variation_table(units, settings, registry)
    return ResourceResult(
        units=units,
        variation=variation,
        indicator_ids=tuple(i.id for i in registry.resource_indicators),
    )


def long_values(result: ResourceResult) -> pd.DataFrame:
    """Tidy view: one row per unit and indicator (for notebooks and charts)."""
    frames = []
    for ind in result.indicator_ids:
        f = result.units[[*UNIT_KEY, "school_name", "students"]].copy()
        f["indicator"] = ind
        for col in ("value", "threshold", "met", "floor_met", "shortfall"):
            f[col] = result.units[f"{col}_{ind}"].to_numpy()
        frames.append(f)
    return pd.concat(frames, ignore_index=True)
