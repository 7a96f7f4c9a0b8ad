"""Benchmark: `balance evaluate` on a synthetic nation, this tree against an older revision.

    .venv/bin/python benchmarks/revision.py [--rev 22de2df] [--new REV] [--counties 2895] [--runs 3]

Writes the nation's ``schools.csv`` once, extracts the old revision's ``balance_lib`` with
``git archive`` into a temporary folder, and runs the CLI end to end (CSV in, JSON file out)
with the same interpreter, old and new alternately, so that load from other processes falls on
both alike. Prints wall and CPU seconds (user + system of the child) per run and the ratios
new / old. Record the figures in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from balance_lib.synthetic import make_schools  # noqa: E402

#: Runs the CLI of the tree given as first argument, whatever balance_lib is installed.
LAUNCH = ("import sys; sys.path.insert(0, sys.argv.pop(1)); import balance_lib; "
          "assert balance_lib.__file__.startswith(sys.path[0]), balance_lib.__file__; "
          "from balance_lib.cli import main; sys.argv[0] = 'balance'; main()")


def extract(rev: str, into: Path) -> Path:
    raw = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "balance_lib"],
                         check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        tar.extractall(into, filter="data")
    return into


def timed(tree: Path, args: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one CLI run of ``tree``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", LAUNCH, str(tree), *args],
                          capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        print(proc.stderr[-2000:])
        raise SystemExit(f"{tree}: exit {proc.returncode}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rev", default="22de2df", help="the older revision (default: before issue 10)")
    ap.add_argument("--new", default=None, help="a newer revision instead of this tree")
    ap.add_argument("--counties", type=int, default=2895)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--year", default="2024")
    a = ap.parse_args()
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        folder = tmp / "nation"
        folder.mkdir()
        schools = make_schools(a.counties, 83.0, seed=2029)
        schools.to_csv(folder / "schools.csv", index=False)
        print(f"nation: {a.counties:,} counties, {len(schools):,} school rows, "
              f"{(folder / 'schools.csv').stat().st_size / 1e6:.0f} MB CSV")
        del schools
        trees = {"old": extract(a.rev, tmp / "old"),
                 "new": extract(a.new, tmp / "new") if a.new else ROOT}
        figures: dict[str, list[tuple[float, float]]] = {"old": [], "new": []}
        for run in range(a.runs):
            for name, tree in trees.items():
                out = tmp / f"{name}.json"
                wall, cpu = timed(tree, ["evaluate", str(folder), "--year", a.year,
                                         "--format", "json", "--output", str(out)])
                figures[name].append((wall, cpu))
                print(f"run {run + 1} {name} ({a.rev if name == 'old' else a.new or 'this tree'}): "
                      f"wall {wall:.2f} s, CPU {cpu:.2f} s, JSON {out.stat().st_size / 1e6:.0f} MB")
        for k, what in ((0, "wall"), (1, "CPU")):
            old = statistics.median(f[k] for f in figures["old"])
            new = statistics.median(f[k] for f in figures["new"])
            print(f"median {what}: old {old:.2f} s, new {new:.2f} s, new / old {new / old:.2f}")


if __name__ == "__main__":
    main()
