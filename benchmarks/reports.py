"""Benchmark of ``balance report``: the kept-kernel runner against the naive loop, same run.

1. cold build of the sample county (every year, every school, the trend and the three sample
   scenarios) with the fast runner (``render_batch``, one kept kernel per worker, ``--jobs`` =
   cores);
2. the naive way on a subset (one notebook per kind): ``papermill`` CLI, then
   ``jupyter nbconvert --to html --no-input``, one notebook at a time; extrapolated to the
   whole batch with the per-kind times (county-year reports are much heavier than school ones);
3. a rebuild with nothing changed, in-process and as the ``balance report`` command;
4. ``--pdf`` apart: every report printed by headless Chromium (when installed).

Usage: ``.venv/bin/python benchmarks/reports.py [--jobs N] [--data data/sample]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from balance_lib import render
from balance_lib.paths import PROJECT_ROOT
from balance_lib.report import load, school_ids_of

BIN = Path(sys.executable).parent


def naive(job: render.Job, work: Path) -> float:
    """papermill CLI then nbconvert CLI, as an analyst would run them by hand."""
    nb = work / f"{render.safe_name(job.stem)}.ipynb"
    args = [str(BIN / "papermill"), str(job.template), str(nb), "-k", render.KERNEL_NAME,
            "--no-progress-bar"]
    for k, v in job.parameters.items():
        args += ["-p" if isinstance(v, int) else "-r", k, str(v)]
    t0 = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(nb)],
                   check=True, capture_output=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(PROJECT_ROOT / "data" / "sample"))
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    a = ap.parse_args()
    data = Path(a.data)
    d = load(data)
    schools = school_ids_of(d.county)
    scenarios = sorted((PROJECT_ROOT / "params" / "scenarios").glob("*.yaml"))
    plan = render.plan_jobs(data, d.years, schools, scenarios=[(f, f.stem) for f in scenarios])
    base = render.data_hash(data, None)
    counts = defaultdict(int)
    for j in plan:
        counts[j.kind] += 1
    print(f"{data.name}: {len(plan)} reports "
          f"({', '.join(f'{n} {k}' for k, n in counts.items())}), {a.jobs} workers, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")

    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        out = Path(tmp) / "out"
        t0 = time.perf_counter()
        res = render.render_batch(plan, out, base_hash=base, n_jobs=a.jobs, progress=False)
        fast = time.perf_counter() - t0
        assert not res.failed, [(o.stem, o.error) for o in res.failed]
        by_kind = defaultdict(list)
        for o in res.outcomes:
            by_kind[o.kind].append(o.duration_s)
        print(f"\nfast cold build: {fast:.1f} s wall, {fast / len(plan):.2f} s per report")
        for k, v in by_kind.items():
            print(f"  {k:12s} n={len(v):3d}  in-worker time per report: median "
                  f"{statistics.median(v):.2f} s (min {min(v):.2f}, max {max(v):.2f})")
        print("  (the first report of each worker includes its kernel start)")

        subset = [next(j for j in plan if j.kind == k) for k in counts]
        print(f"\nnaive (papermill CLI + nbconvert CLI, sequential) on {len(subset)} notebooks:")
        naive_s = {}
        for j in subset:
            naive_s[j.kind] = naive(j, Path(tmp))
            print(f"  {j.stem:20s} {naive_s[j.kind]:.1f} s")
        naive_total = sum(naive_s[k] * n for k, n in counts.items())
        print(f"  extrapolated to the batch: {naive_total:.0f} s, "
              f"{naive_total / len(plan):.2f} s per report")
        print(f"\nratio naive / fast per report: {naive_total / fast:.1f}x  (goal >= 20x)")

        t0 = time.perf_counter()
        res2 = render.render_batch(plan, out, base_hash=base, n_jobs=a.jobs, progress=False)
        rebuild = time.perf_counter() - t0
        assert all(o.status == "skipped" for o in res2.outcomes)
        t0 = time.perf_counter()
        subprocess.run([str(BIN / "balance"), "report", str(data), "--schools", "all",
                        "--out", str(out), *(x for f in scenarios for x in ("--scenario", str(f)))],
                       check=True, capture_output=True)
        rebuild_cli = time.perf_counter() - t0
        print(f"rebuild, nothing changed: {rebuild:.2f} s in-process (hashing, manifest, index); "
              f"{rebuild_cli:.2f} s as `balance report` (goal < 3 s), load average "
              f"{os.getloadavg()[0]:.1f}")

        from balance_lib.pdf import find_browser, write_pdfs

        if find_browser():
            pages = [out / o.html for o in res.outcomes if o.html]
            t0 = time.perf_counter()
            made, problems = write_pdfs(pages, jobs=a.jobs, force=True)
            took = time.perf_counter() - t0
            assert not problems, problems[:3]
            print(f"\n--pdf apart: {len(made)} PDFs in {took:.1f} s ({took / len(made):.2f} s "
                  f"per report, {a.jobs} browsers at a time)")


if __name__ == "__main__":
    main()
