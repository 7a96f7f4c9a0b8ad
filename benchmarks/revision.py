"""Benchmark: `balance evaluate` on a synthetic nation, this tree against an older revision.

    .venv/bin/python benchmarks/revision.py [--rev 22de2df] [--new REV] [--counties 2895]
        [--runs 3] [--formats json,parquet] [--old-formats json,parquet] [--stages]
        [--data data/sample]

Writes the nation's ``schools.csv`` once, extracts the old revision's ``balance_lib`` with
``git archive`` into a temporary folder, and runs the CLI end to end (CSV in, JSON file out;
with ``--formats``, also the new tree's other outputs: ``parquet``, ``csv`` folders of
tables; with ``--old-formats``, the old tree's too, for a revision that has them) with the
same interpreter, old and new alternately, so that load from other processes falls on both
alike. Prints wall and CPU seconds (user + system of the child) and the peak
resident memory of the child's process tree (psutil, every 10 ms) per run and the ratios
new / old; ``--stages`` then times this tree's stages in-process. Record the figures in
benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import filecmp
import io
import os
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
sys.path.insert(0, str(Path(__file__).resolve().parent))

import psutil  # noqa: E402
from common import machine, synthetic_folder  # noqa: E402

#: Runs the CLI of the tree given as first argument, whatever balance_lib is installed.
LAUNCH = ("import sys; sys.path.insert(0, sys.argv.pop(1)); import balance_lib; "
          "assert balance_lib.__file__.startswith(sys.path[0]), balance_lib.__file__; "
          "from balance_lib.cli import main; sys.argv[0] = 'balance'; main()")


def extract(rev: str, into: Path) -> Path:
    raw = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "balance_lib", "params"],
                         check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        tar.extractall(into, filter="data")
    return into


def timed(tree: Path, args: list[str]) -> tuple[float, float, int]:
    """Wall and CPU seconds and the peak RSS (bytes, process tree) of one CLI run of ``tree``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", LAUNCH, str(tree), *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    root = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        total = 0
        try:
            for p in [root, *root.children(recursive=True)]:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
        except psutil.Error:
            pass
        peak = max(peak, total)
        time.sleep(0.01)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode("utf-8", "replace")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        print(err[-2000:])
        raise SystemExit(f"{tree}: exit {proc.returncode}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, peak


def same(a: Path, b: Path) -> bool:
    """Whether two outputs (files, or folders of files) hold the same bytes."""
    if a.is_file() or b.is_file():
        return a.is_file() and b.is_file() and filecmp.cmp(a, b, shallow=False)
    names = sorted(p.name for p in a.iterdir())
    return names == sorted(p.name for p in b.iterdir()) and all(
        filecmp.cmp(a / n, b / n, shallow=False) for n in names)


def stages(folder: Path, year: int) -> None:
    """Where this tree's time goes, in-process (CPU seconds per stage)."""
    t = {"start": time.process_time()}
    from balance_lib.consistency import cross_checks
    from balance_lib.export import evaluation_tables, folder_files
    from balance_lib.indicators import evaluate
    from balance_lib.io import load_county
    from balance_lib.registry import load_registry
    from balance_lib.results import build_evaluation
    from balance_lib.settings import load_settings
    t["import"] = time.process_time()
    settings, registry = load_settings(), load_registry()
    county = load_county(folder, registry=registry)
    t["read and validate the CSV"] = time.process_time()
    cross_checks(county)
    t["cross-table checks"] = time.process_time()
    ev = evaluate(county.tables, settings, registry, years=[year])
    t["evaluate (B1–B32, vetoes, verdict)"] = time.process_time()
    tables = evaluation_tables(ev, year)
    t["the five tables, with their sentences"] = time.process_time()
    folder_files(tables, "parquet", {"year": year})
    t["Parquet bytes"] = time.process_time()
    build_evaluation(ev, year)
    t["the JSON result object (instead of the tables)"] = time.process_time()
    names = list(t)
    for a, b in zip(names, names[1:]):
        print(f"  {b:50s} {t[b] - t[a]:6.2f} s CPU")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rev", default="22de2df", help="the older revision (default: before issue 10)")
    ap.add_argument("--new", default=None, help="a newer revision instead of this tree")
    ap.add_argument("--counties", type=int, default=2895)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--year", default="2024")
    ap.add_argument("--formats", default="json",
                    help="outputs of the new tree: json, parquet, csv (the old one: json)")
    ap.add_argument("--old-formats", default="json",
                    help="outputs of the old tree (parquet, csv: only if it has them)")
    ap.add_argument("--stages", action="store_true", help="time this tree's stages in-process")
    ap.add_argument("--data", default=None,
                    help="a data folder to evaluate instead of the synthetic nation "
                         "(e.g. data/sample)")
    a = ap.parse_args()
    formats = [f.strip() for f in a.formats.split(",") if f.strip()]
    old_formats = [f.strip() for f in a.old_formats.split(",") if f.strip()]
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if a.data:
            folder = Path(a.data).resolve()
            print(f"data: {folder}")
        else:
            folder = tmp / "nation"
            rows = synthetic_folder(folder, a.counties, 83.0)
            print(f"nation: {a.counties:,} counties, {rows:,} school rows, "
                  f"{(folder / 'schools.csv').stat().st_size / 1e6:.0f} MB CSV")
        trees = {"old": extract(a.rev, tmp / "old"),
                 "new": extract(a.new, tmp / "new") if a.new else ROOT}
        plan = [*(("old", f) for f in old_formats), *(("new", f) for f in formats)]
        figures: dict[tuple[str, str], list[tuple[float, float, int]]] = {p: [] for p in plan}
        for run in range(a.runs):
            for name, fmt in plan:
                out = tmp / f"{name}-{run}.{fmt}"
                wall, cpu, peak = timed(trees[name], [
                    "evaluate", str(folder), "--year", a.year, "--format", fmt, "--output",
                    str(out)])
                figures[(name, fmt)].append((wall, cpu, peak))
                size = (out.stat().st_size if out.is_file()
                        else sum(f.stat().st_size for f in out.iterdir()))
                print(f"run {run + 1} {name} ({a.rev if name == 'old' else a.new or 'this tree'})"
                      f" {fmt}: wall {wall:.2f} s, CPU {cpu:.2f} s, peak {peak / 2**20:.0f} MiB,"
                      f" output {size / 1e6:.0f} MB")
        for fmt in formats:  # the same output from both trees: byte for byte
            if fmt in old_formats:
                equal = same(tmp / f"old-0.{fmt}", tmp / f"new-0.{fmt}")
                print(f"{fmt} output of the first run, old and new: "
                      f"{'identical' if equal else 'DIFFERENT'}")
        for (name, fmt), f in figures.items():
            if name == "old":
                continue
            base = fmt if ("old", fmt) in figures else old_formats[0]
            old = figures[("old", base)]
            for k, what in ((0, "wall"), (1, "CPU")):
                o = statistics.median(x[k] for x in old)
                n = statistics.median(x[k] for x in f)
                print(f"median {what}: old {base} {o:.2f} s, new {fmt} {n:.2f} s, new / old "
                      f"{n / o:.2f} (old / new {o / n:.1f}×)")
            print(f"peak memory, new {fmt}: {max(x[2] for x in f) / 2**20:.0f} MiB "
                  f"(old {base} {max(x[2] for x in old) / 2**20:.0f} MiB)")
        print(f"load average at the end {os.getloadavg()[0]:.1f}")
        if a.stages:
            print("this tree, in-process:")
            stages(folder, int(a.year))


if __name__ == "__main__":
    main()
