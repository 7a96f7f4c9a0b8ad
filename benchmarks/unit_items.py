"""Benchmark: the county status of every unit indicator (``unit_items``), one grouping for all
indicators against the loop over indicators it replaced.

    .venv/bin/python benchmarks/unit_items.py [--counties 2895] [--repeat 7]

``balance_lib.indicators.resources.unit_items`` counts, per county and year, the units below
each unit indicator's threshold and those of them failing the school rule. It used to group
and merge once per indicator (:func:`loop_unit_items` below, kept verbatim as the naive way);
it now counts every indicator in one ``np.add.at`` over the units' group codes. Measured in the
same process on:

* the scenario side of one explorer edit (the sample county, ``new-school-2026.yaml``: the
  inputs ``unit_items`` gets from ``Explorer.evaluate``);
* a synthetic nation (``make_schools``), as ``balance evaluate`` meets it;
* the explorer's whole evaluation per edit with either version patched in.

Both versions are checked to give identical frames (values and dtypes) before any time is
printed. Record the figures in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import balance_lib.indicators as indicators  # noqa: E402
from balance_lib import report as rp  # noqa: E402
from balance_lib.explore import Explorer  # noqa: E402
from balance_lib.indicators.base import MET, NOT_MET  # noqa: E402
from balance_lib.indicators.resources import (  # noqa: E402
    UNIT_ITEM_COLUMNS,
    ResourceResult,
    evaluate_resources,
    unit_items,
)
from balance_lib.registry import Registry, load_registry  # noqa: E402
from balance_lib.settings import Settings  # noqa: E402
from balance_lib.synthetic import make_schools  # noqa: E402


def loop_unit_items(result: ResourceResult, registry: Registry) -> pd.DataFrame:
    """The version before issue 16: a groupby, a merge and a reindex per indicator."""
    u, var = result.units, result.variation
    ids = list(result.unit_ids or result.indicator_ids)
    if u.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in UNIT_ITEM_COLUMNS})
    keys = u[["county_id", "year"]]
    base = keys.groupby(["county_id", "year"], sort=True).size().rename("n_units").reset_index()
    fails = ~u["passes"].to_numpy(bool)
    frames = []
    cv_ok = var.groupby(["county_id", "year", "indicator"], sort=False)["met"].all()
    for ind_id in ids:
        ind = registry.indicator(ind_id)
        missing = ~u[f"met_{ind_id}"].to_numpy(bool)
        blocking = missing & fails if ind.in_school_rule else missing
        c = (pd.DataFrame({"county_id": keys["county_id"].to_numpy(),
                           "year": keys["year"].to_numpy(),
                           "n_missing": missing.astype(int), "n_blocking": blocking.astype(int)})
             .groupby(["county_id", "year"], sort=True).sum().reset_index())
        f = base.merge(c, on=["county_id", "year"], how="left")
        f["id"] = ind_id
        ok = cv_ok.reindex(pd.MultiIndex.from_arrays(
            [f["county_id"], f["year"], f["id"]])).fillna(True).to_numpy(bool)
        f["cv_met"] = ok
        f["status"] = np.where(ok & (f["n_blocking"].to_numpy() == 0), MET, NOT_MET)
        frames.append(f)
    out = pd.concat(frames, ignore_index=True)
    for col in ("n_units", "n_missing", "n_blocking"):
        out[col] = out[col].astype("int64")
    return out[UNIT_ITEM_COLUMNS]


def times(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def compare(what: str, result: ResourceResult, registry: Registry, repeat: int) -> None:
    pd.testing.assert_frame_equal(loop_unit_items(result, registry), unit_items(result, registry),
                                  check_exact=True)
    old = times(lambda: loop_unit_items(result, registry), repeat)
    new = times(lambda: unit_items(result, registry), repeat)
    mo, mn = statistics.median(old), statistics.median(new)
    print(f"{what}: {len(result.units):,} units, "
          f"{len(result.unit_ids or result.indicator_ids)} indicators (identical frames)\n"
          f"  loop over indicators: median {mo * 1e3:.2f} ms, best {min(old) * 1e3:.2f} ms\n"
          f"  one grouping:         median {mn * 1e3:.2f} ms, best {min(new) * 1e3:.2f} ms"
          f"  -> {mo / mn:.1f}x")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--counties", type=int, default=2895)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, load average {os.getloadavg()[0]:.2f}")

    # 1. what one explorer edit passes to unit_items (its scenario side)
    ex = Explorer(rp.load("data/sample"), "params/scenarios/new-school-2026.yaml")
    ex.evaluate()  # the baseline, kept
    seen: list[tuple[ResourceResult, Registry]] = []
    real = indicators.unit_items

    def spy(result: ResourceResult, registry: Registry) -> pd.DataFrame:
        seen.append((result, registry))
        return real(result, registry)

    indicators.unit_items = spy
    try:
        assert ex.evaluate().ok
    finally:
        indicators.unit_items = real
    compare("explorer edit, scenario side (sample, new-school-2026)", *seen[-1],
            max(args.repeat, 21))

    # 2. a nation, as balance evaluate meets it
    registry = load_registry()
    schools = make_schools(args.counties, 83.0, seed=2029)
    compare(f"synthetic nation ({args.counties:,} counties)",
            evaluate_resources(schools, Settings(), registry), registry, max(3, args.repeat // 2))

    # 3. the explorer's whole evaluation per edit, either version patched in
    move = next(k for k, c in enumerate(ex.changes) if c.get("type") == "move_students")
    per: dict[str, list[float]] = {"loop": [], "one grouping": []}
    for k in range(args.repeat):
        for name, fn in (("loop", loop_unit_items), ("one grouping", real)):
            ex.set_field(move, "share", round(0.1 + 0.05 * k, 2))
            indicators.unit_items = fn
            try:
                per[name] += times(lambda: ex.evaluate(), 1)
            finally:
                indicators.unit_items = real
    lo, on = (statistics.median(per[n]) for n in ("loop", "one grouping"))
    print(f"explorer evaluation per edit: with the loop median {lo:.3f} s, with one grouping "
          f"{on:.3f} s (saves {(lo - on) * 1e3:.0f} ms)")


if __name__ == "__main__":
    main()
