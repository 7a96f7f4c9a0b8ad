"""``balance validate`` on a one-million-row ``schools.csv``: peak memory, CPU and wall time.

The file is the sample county's ``schools.csv`` repeated with a ``county_id`` per copy (5,103
copies of 196 rows: 1,000,000 rows, about 183 MB, UTF-8), written to a temporary folder (or
``--keep FOLDER``). Each run starts ``balance validate`` as a subprocess and samples the
resident memory of its whole process tree (psutil, every 10 ms); the peak is compared with
the file size; CPU seconds are the child's user + system time (on a shared machine the wall
time follows the load, the CPU time much less). With ``--rev REV`` an older revision's
``balance_lib`` (``git archive``) runs too, old and new alternately with the same interpreter,
and their outputs (stdout, stderr, exit status) must be identical. In the same run, the naive
way for comparison: one Python string per cell (``pandas.read_csv(dtype=str)``, what the
reader did before issue 11), reading only.

    .venv/bin/python benchmarks/validate_memory.py   # --rows N, --runs N, --keep DIR, --rev REV
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine  # noqa: E402
from revision import LAUNCH, extract  # noqa: E402 - an older tree's CLI, the same way

NAIVE = ("import sys, pandas as pd; "
         "pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False, header=None)")
#: The memory goal of issue 11: the peak RSS at most this many times the file's size.
GOAL = 3.0


def make_file(folder: Path, rows: int) -> Path:
    lines = (ROOT / "data" / "sample" / "schools.csv").read_text(encoding="utf-8").splitlines()
    head, body = lines[0], lines[1:]
    path = folder / "schools.csv"
    folder.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write("county_id," + head + "\n")
        written, copy = 0, 0
        while written < rows:
            chunk = body[: rows - written]
            fh.write("".join(f"C{copy:05d},{r}\n" for r in chunk))
            written += len(chunk)
            copy += 1
    return path


def measure(cmd: list[str]) -> tuple[float, float, int, int, bytes]:
    """(wall s, CPU s, peak RSS of the process tree in bytes, exit status, stdout + stderr)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        root = psutil.Process(proc.pid)
        peak = 0
        while proc.poll() is None:
            try:
                total = 0
                for p in [root, *root.children(recursive=True)]:
                    try:
                        total += p.memory_info().rss
                    except psutil.Error:
                        pass
                peak = max(peak, total)
            except psutil.Error:
                pass
            time.sleep(0.01)
        wall = time.perf_counter() - t0
        out.seek(0)
        text = out.read()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, peak, proc.returncode, text


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", type=Path, default=None, help="write the file here and keep it")
    ap.add_argument("--rev", default=None, help="also run this older revision, alternately")
    ap.add_argument("--no-naive", action="store_true")
    args = ap.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp) / "nation"
        path = folder / "schools.csv"
        if not path.exists():
            make_file(folder, args.rows)
        size = path.stat().st_size
        print(f"{path}: {size / 2**20:.1f} MiB ({size:,} bytes)")
        trees = {"this tree": ROOT}
        if args.rev:
            trees = {args.rev: extract(args.rev, Path(tmp) / "old"), **trees}
        figures: dict[str, list[tuple[float, float, int]]] = {name: [] for name in trees}
        outputs: dict[str, bytes] = {}
        for k in range(args.runs):
            for name, tree in trees.items():
                wall, cpu, peak, rc, text = measure(
                    [sys.executable, "-c", LAUNCH, str(tree), "validate", str(folder)])
                figures[name].append((wall, cpu, peak))
                outputs.setdefault(name, text)
                print(f"{name} run {k + 1}: exit {rc}, wall {wall:.2f} s, CPU {cpu:.2f} s, "
                      f"peak RSS {peak / 2**20:.0f} MiB = {peak / size:.2f} × the file", flush=True)
        for name, runs in figures.items():
            peak = max(p for _, _, p in runs)
            print(f"{name}: best wall {min(w for w, _, _ in runs):.2f} s, best CPU "
                  f"{min(c for _, c, _ in runs):.2f} s, highest peak {peak / 2**20:.0f} MiB = "
                  f"{peak / size:.2f} × the file (goal ≤ {GOAL:g} ×)")
        if args.rev:
            old, new = (min(r[1] for r in figures[n]) for n in trees)
            peaks = [max(r[2] for r in figures[n]) for n in trees]
            print(f"new / old: CPU {new / old:.2f}, peak {peaks[1] / peaks[0]:.2f}; outputs "
                  + ("identical" if len(set(outputs.values())) == 1 else "DIFFER"))
        if not args.no_naive:
            wall, cpu, peak, rc, _ = measure([sys.executable, "-c", NAIVE, str(path)])
            worst = max(p for _, _, p in figures["this tree"])
            print(f"naive read only (one Python string per cell): exit {rc}, {wall:.2f} s, "
                  f"CPU {cpu:.2f} s, peak {peak / 2**20:.0f} MiB = {peak / size:.2f} × the "
                  f"file; ratio to balance validate: {peak / worst:.1f}× the memory")
        print(machine())


if __name__ == "__main__":
    main()
