"""``balance validate`` on a one-million-row ``schools.csv``: wall time and peak memory.

The file is the sample county's ``schools.csv`` repeated with a ``county_id`` per copy (5,103
copies of 196 rows: 1,000,000 rows, about 177 MB, UTF-8), written to a temporary folder (or
``--keep FOLDER``). Each run starts ``balance validate`` as a subprocess and samples the
resident memory of its whole process tree (psutil, every 10 ms); the peak is compared with
the file size. In the same run, the naive way for comparison: one Python string per cell
(``pandas.read_csv(dtype=str)``, what the reader did before), reading only.

    .venv/bin/python benchmarks/validate_memory.py            # --rows N, --runs N, --keep DIR
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
BALANCE = str(Path(sys.executable).with_name("balance"))
NAIVE = ("import sys, pandas as pd; "
         "pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False, header=None)")


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


def measure(cmd: list[str]) -> tuple[float, int, int]:
    """(wall seconds, peak RSS of the process tree in bytes, exit status)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
    return time.perf_counter() - t0, peak, proc.returncode


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", type=Path, default=None, help="write the file here and keep it")
    ap.add_argument("--no-naive", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp) / "nation"
        path = folder / "schools.csv"
        if not path.exists():
            make_file(folder, args.rows)
        size = path.stat().st_size
        print(f"{args.rows:,} rows, {size / 2**20:.1f} MiB ({size:,} bytes)")
        figures = []
        for k in range(args.runs):
            wall, peak, rc = measure([BALANCE, "validate", str(folder)])
            figures.append((wall, peak))
            print(f"balance validate run {k + 1}: exit {rc}, {wall:.2f} s, peak RSS "
                  f"{peak / 2**20:.0f} MiB = {peak / size:.2f} × the file")
        best = min(w for w, _ in figures)
        worst_peak = max(p for _, p in figures)
        print(f"best {best:.2f} s; highest peak {worst_peak / 2**20:.0f} MiB "
              f"({worst_peak / size:.2f} × the file)")
        if not args.no_naive:
            wall, peak, rc = measure([sys.executable, "-c", NAIVE, str(path)])
            print(f"naive read only (one Python string per cell): exit {rc}, {wall:.2f} s, "
                  f"peak {peak / 2**20:.0f} MiB = {peak / size:.2f} × the file; "
                  f"ratio to balance validate: {peak / worst_peak:.1f}× the memory")


if __name__ == "__main__":
    main()
