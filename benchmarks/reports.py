"""Benchmark of ``balance report``: the kept-kernel runner against the naive loop, same run.

1. cold build of the sample county (every year, every school, the trend and the three sample
   scenarios) with the fast runner (``render_batch``, one kept kernel per worker, ``--jobs`` =
   cores);
2. the naive way on a subset (one notebook per kind): ``papermill`` CLI, then
   ``jupyter nbconvert --to html --no-input``, one notebook at a time; extrapolated to the
   whole batch with the per-kind times (county-year reports are much heavier than school ones);
3. a rebuild with nothing changed, in-process and as the ``balance report`` command (twice:
   the first run after the in-process build has no plan kept in the manifest yet, the second
   reuses it);
4. ``--pdf`` apart: every report printed by headless Chromium (when installed).

CPU seconds (this process and every child it waited for: workers, kernels, the naive CLIs)
are printed beside the wall times: on a shared machine they move less than the wall times.

Usage: ``.venv/bin/python benchmarks/reports.py [--jobs N] [--data data/sample] [--no-pdf]``
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


def cpu() -> float:
    """CPU seconds of this process and of its children that have been waited for."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


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
    ap.add_argument("--no-pdf", action="store_true", help="leave out the PDF measurement")
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
        t0, c0 = time.perf_counter(), cpu()
        res = render.render_batch(plan, out, base_hash=base, n_jobs=a.jobs, progress=False)
        fast, fast_cpu = time.perf_counter() - t0, cpu() - c0
        assert not res.failed, [(o.stem, o.error) for o in res.failed]
        by_kind = defaultdict(list)
        for o in res.outcomes:
            by_kind[o.kind].append(o.duration_s)
        print(f"\nfast cold build: {fast:.1f} s wall, {fast / len(plan):.2f} s per report; "
              f"{fast_cpu:.1f} s CPU, {fast_cpu / len(plan):.2f} s CPU per report")
        for k, v in by_kind.items():
            print(f"  {k:12s} n={len(v):3d}  in-worker time per report: median "
                  f"{statistics.median(v):.2f} s (min {min(v):.2f}, max {max(v):.2f})")
        print("  (the first report of each worker includes its kernel start)")

        subset = [next(j for j in plan if j.kind == k) for k in counts]
        print(f"\nnaive (papermill CLI + nbconvert CLI, sequential) on {len(subset)} notebooks:")
        naive_s, naive_c = {}, {}
        for j in subset:
            c0 = cpu()
            naive_s[j.kind] = naive(j, Path(tmp))
            naive_c[j.kind] = cpu() - c0
            print(f"  {j.stem:20s} {naive_s[j.kind]:.1f} s wall, {naive_c[j.kind]:.1f} s CPU")
        naive_total = sum(naive_s[k] * n for k, n in counts.items())
        naive_cpu = sum(naive_c[k] * n for k, n in counts.items())
        print(f"  extrapolated to the batch: {naive_total:.0f} s, "
              f"{naive_total / len(plan):.2f} s per report; {naive_cpu:.0f} s CPU, "
              f"{naive_cpu / len(plan):.2f} s CPU per report")
        print(f"\nratio naive / fast per report: {naive_total / fast:.1f}x wall, "
              f"{naive_cpu / fast_cpu:.1f}x CPU  (goal >= 20x)")

        t0 = time.perf_counter()
        res2 = render.render_batch(plan, out, base_hash=base, n_jobs=a.jobs, progress=False)
        rebuild = time.perf_counter() - t0
        assert all(o.status == "skipped" for o in res2.outcomes)
        cli = []
        for _ in range(2):  # the first run keeps the plan in the manifest, the second uses it
            t0, c0 = time.perf_counter(), cpu()
            subprocess.run([str(BIN / "balance"), "report", str(data), "--schools", "all",
                            "--out", str(out),
                            *(x for f in scenarios for x in ("--scenario", str(f)))],
                           check=True, capture_output=True)
            cli.append((time.perf_counter() - t0, cpu() - c0))
        print(f"rebuild, nothing changed: {rebuild:.2f} s in-process (hashing, manifest, index); "
              f"as `balance report` (goal < 3 s): {cli[0][0]:.2f} s wall, {cli[0][1]:.2f} s CPU "
              f"the first time, {cli[1][0]:.2f} s wall, {cli[1][1]:.2f} s CPU the second; load "
              f"average {os.getloadavg()[0]:.1f}")

        from balance_lib.pdf import find_browser, write_pdfs

        if find_browser() and not a.no_pdf:
            pages = [out / o.html for o in res.outcomes if o.html]
            t0 = time.perf_counter()
            made, problems = write_pdfs(pages, jobs=a.jobs, force=True)
            took = time.perf_counter() - t0
            assert not problems, problems[:3]
            print(f"\n--pdf apart: {len(made)} PDFs in {took:.1f} s ({took / len(made):.2f} s "
                  f"per report, {a.jobs} browsers at a time)")


if __name__ == "__main__":
    main()
