"""Benchmark: B1–B7 and the CVs for a synthetic nation in one pass vs county by county.

    .venv/bin/python benchmarks/engine.py [--counties 2895] [--loop-sample 150] [--no-cli]

Prints wall times and the ratio against looping the same engine over counties one at a time,
measured in the same process (the loop is timed on a random sample of counties and
extrapolated per county), then the CLI end to end (CSV in, JSON file out) on the same nation.
Record the figures in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from balance_lib.indicators import evaluate, evaluate_resources  # noqa: E402
from balance_lib.results import build_evaluation  # noqa: E402
from balance_lib.registry import load_registry  # noqa: E402
from balance_lib.settings import Settings  # noqa: E402
from balance_lib.synthetic import make_schools  # noqa: E402


def best_of(fn, repeat: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--counties", type=int, default=2895)
    ap.add_argument("--schools-per-county", type=float, default=83.0)
    ap.add_argument("--loop-sample", type=int, default=150)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-cli", action="store_true")
    args = ap.parse_args()

    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}")
    t0 = time.perf_counter()
    schools = make_schools(args.counties, args.schools_per_county, seed=2029)
    print(f"synthetic nation: {args.counties} counties, {len(schools):,} school rows "
          f"(made in {time.perf_counter() - t0:.2f} s)")
    settings, registry = Settings(), load_registry()

    result = evaluate_resources(schools, settings, registry)  # warm-up
    print(f"units evaluated: {len(result.units):,}; CV rows: {len(result.variation):,}")
    one_pass, runs = best_of(lambda: evaluate_resources(schools, settings, registry), args.repeat)
    print(f"one vectorised pass: best {one_pass:.3f} s (runs: {', '.join(f'{t:.3f}' for t in runs)})")

    rng = np.random.default_rng(0)
    ids = schools["county_id"].unique()
    sample = rng.choice(ids, size=min(args.loop_sample, len(ids)), replace=False)
    groups = [g for _, g in schools[schools["county_id"].isin(sample)].groupby("county_id")]
    t0 = time.perf_counter()
    for g in groups:
        evaluate_resources(g, settings, registry)
    per_county = (time.perf_counter() - t0) / len(groups)
    loop_total = per_county * len(ids)
    print(f"county-by-county loop: {per_county * 1000:.1f} ms per county × {len(ids)} = "
          f"{loop_total:.1f} s (timed on {len(groups)} counties, extrapolated)")
    print(f"ratio loop / one pass: {loop_total / one_pass:.0f}×")

    # the whole indicator system (B1–B32 from schools.csv alone, vetoes, verdict) and the
    # contract's result object, as `balance evaluate` builds them
    tables = {"schools": schools}
    evaluate(tables, settings, registry)
    t_all, runs = best_of(lambda: evaluate(tables, settings, registry), 2)
    print(f"evaluate(): every indicator, vetoes and verdict in one pass: best {t_all:.2f} s "
          f"(runs: {', '.join(f'{t:.2f}' for t in runs)})")
    ev = evaluate(tables, settings, registry)
    t_json, _ = best_of(lambda: build_evaluation(ev, 2024), 2)
    print(f"result object (units, CVs, indicators with their details, verdict): {t_json:.2f} s")

    if args.no_cli:
        return
    balance = Path(sys.executable).with_name("balance")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "nation"
        folder.mkdir()
        schools.to_csv(folder / "schools.csv", index=False)
        size = (folder / "schools.csv").stat().st_size / 1e6
        out = Path(tmp) / "nation.json"
        cmd = [str(balance), "evaluate", str(folder), "--year", "2024", "--format", "json",
               "--output", str(out)]
        times = []
        for _ in range(2):
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True)
            times.append(time.perf_counter() - t0)
            if proc.returncode != 0:
                print(proc.stderr[-2000:])
                raise SystemExit(f"CLI failed with exit {proc.returncode}")
        print(f"CLI end to end (CSV {size:.0f} MB in, JSON {out.stat().st_size / 1e6:.0f} MB out): "
              f"best {min(times):.2f} s (runs: {', '.join(f'{t:.2f}' for t in times)}; "
              f"median {statistics.median(times):.2f} s)")


if __name__ == "__main__":
    main()
