"""Benchmark: a synthetic province of 100 counties and ~5,000 schools, end to end.

    .venv/bin/python benchmarks/province.py [--counties 100] [--schools-per-county 50]
        [--reports N] [--jobs 1,2] [--dask-workers 2] [--no-dask]

Measures, through the CLI, in one run:

1. ``balance evaluate PROVINCE --year 2024 --format parquet`` (every county, one pass);
2. ``balance report … --counties none``: the province page alone;
3. ``balance report … --schools none --no-trend --counties all``: the province page and every
   county's county-year report, with the local pool at each ``--jobs`` (1, then 2 by
   default) and through a real Dask scheduler with ``--dask-workers`` one-thread workers
   started with Dask's own commands (:mod:`balance_lib.dask_processes`), each into a fresh
   output folder (nothing skipped); the speed-up is against one local worker.

``--reports N`` renders only the first N counties' reports (the province page still covers
every county) when a full run would take too long on a busy machine; the per-report time is
printed so the full figure can be extrapolated. The data are ``balance_lib.synthetic``
schools (``schools.csv`` only: the other indicators are not assessed). Record the figures in
benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine, synthetic_folder  # noqa: E402

BALANCE = str(Path(sys.executable).with_name("balance"))


def timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        print(proc.stdout[-2000:], proc.stderr[-3000:])
        raise SystemExit(f"{' '.join(cmd[:3])}: exit {proc.returncode}")
    return wall


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--counties", type=int, default=100)
    ap.add_argument("--schools-per-county", type=float, default=50.0)
    ap.add_argument("--reports", type=int, default=0, help="counties with reports (0: all)")
    ap.add_argument("--jobs", default="1,2", help="local pool sizes to measure")
    ap.add_argument("--dask-workers", type=int, default=2)
    ap.add_argument("--no-dask", action="store_true")
    args = ap.parse_args()

    print(machine())
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        data = tmp / "province"
        rows = synthetic_folder(data, args.counties, args.schools_per_county)
        counties = [f"C{k:04d}" for k in range(args.counties)]  # make_schools' ids
        chosen = counties[:args.reports] if args.reports else counties
        print(f"province: {len(counties)} counties, {rows:,} schools; reports of "
              f"{len(chosen)} counties")

        wall = timed([BALANCE, "evaluate", str(data), "--year", "2024", "--format",
                      "parquet", "--output", str(tmp / "tables")])
        print(f"evaluate → Parquet (every county): {wall:.2f} s")
        wall = timed([BALANCE, "report", str(data), "--counties", "none", "--out",
                      str(tmp / "page"), "--jobs", "1"])
        print(f"province page alone (one report, kernel start included): {wall:.1f} s")

        base = [BALANCE, "report", str(data), "--years", "2024", "--schools", "none",
                "--no-trend", "--counties", ",".join(chosen)]
        n_reports = len(chosen) + 1
        results: dict[str, float] = {}
        for jobs in [int(j) for j in args.jobs.split(",") if j.strip()]:
            wall = timed([*base, "--out", str(tmp / f"local-{jobs}"), "--jobs", str(jobs)])
            results[f"local, {jobs} worker{'s' if jobs > 1 else ''}"] = wall
            print(f"{n_reports} reports, local pool of {jobs}: {wall:.1f} s "
                  f"({wall / n_reports:.2f} s per report)")
        if not args.no_dask:
            from balance_lib.dask_processes import cluster

            with cluster(tmp / "cluster", workers=args.dask_workers) as (address, _):
                t0 = time.perf_counter()
                wall = timed([*base, "--out", str(tmp / "dask"), "--executor", "dask",
                              "--scheduler", address])
                key = f"Dask scheduler, {args.dask_workers} workers"
                results[key] = wall
                print(f"{n_reports} reports, {key}: {wall:.1f} s "
                      f"({wall / n_reports:.2f} s per report; cluster up before timing: "
                      f"{time.perf_counter() - t0:.1f} s incl. the command)")
        one = next((v for k, v in results.items() if k.startswith("local, 1 ")), None)
        if one:
            for k, v in results.items():
                print(f"  speed-up of {k}: {one / v:.2f}×")
        print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
