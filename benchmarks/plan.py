"""Benchmark: ``balance plan`` on the sample county and on a 500-school county.

    .venv/bin/python benchmarks/plan.py [--repeat 3] [--time-limit 60] [--schools 500]

Measures, in the same process (the data loaded once; each figure is the model built from the
target year's table, solved by SCIP, the plan checked by the engine, and every failing
school's own fix solved too, i.e. everything ``balance plan`` prints):

* the sample county for ``--by`` its last observed year and for 2029 (goal: < 10 s each);
* a synthetic county of ``--schools`` schools (``balance_lib.synthetic.make_schools``, one
  county, classes spread evenly per grade) for its last year, and ten copies of the sample
  (490 schools) for 2029 (goal: < 60 s each);

with the status and the optimality gap reached, the wall time and the process's CPU time (the
solver's time limit counts CPU time). Record the figures in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from balance_lib.costs import load_costs  # noqa: E402
from balance_lib.io import load_county  # noqa: E402
from balance_lib.paths import SAMPLE_DIR  # noqa: E402
from balance_lib.plan import PlanOptions, prepare, solve  # noqa: E402
from balance_lib.scenario import school_facts  # noqa: E402
from balance_lib.synthetic import make_classes, make_schools  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scenario import copies  # noqa: E402  (benchmarks/scenario.py: n copies of the sample)


def synthetic_county(n: int, seed: int = 17) -> dict[str, pd.DataFrame]:
    """One county of about ``n`` schools (2024–2025) with classes spread evenly per grade."""
    s = make_schools(1, n, years=(2024, 2025), seed=seed).drop(columns="county_id")
    return {"schools": s, "classes": make_classes(s)}


def measure(name: str, tables: dict[str, pd.DataFrame], by: int, repeat: int,
            time_limit: float) -> dict[str, object]:
    costs = load_costs()
    runs = []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        pb = prepare(tables, by, costs)
        t1 = time.perf_counter()
        r = solve(pb, PlanOptions(time_limit=time_limit))
        t2, c2 = time.perf_counter(), time.process_time()
        runs.append((t2 - t0, t1 - t0, t2 - t1, r, c2 - c0))
    best = min(runs, key=lambda x: x[0])
    r = best[3]
    n_units = len(r.problem.units)
    failing = int((~r.problem.units["passes"]).sum())
    row = {"case": name, "by": by, "schools": r.problem.rows["school_id"].nunique(),
           "units": n_units, "failing": failing, "status": r.status,
           "total_cost": r.total_cost, "gap": r.gap, "solver_gap": r.solver_gap,
           "cv_binds": r.binding.get("binds"), "best_s": round(best[0], 2),
           "prepare_s": round(best[1], 2), "solve_s": round(best[2], 2),
           "cpu_s": round(best[4], 2), "runs_s": [round(x[0], 2) for x in runs]}
    gap = "—" if r.gap is None else f"{r.gap:.4%}"
    print(f"{name:<28} by {by}: {row['schools']} schools, {n_units} units ({failing} failing) "
          f"→ {r.status}, cost {r.total_cost:,.0f} 元, gap {gap} (solver {r.solver_gap}), "
          f"CVs bind: {row['cv_binds']}; best {best[0]:.2f} s (CPU {best[4]:.2f} s; prepare "
          f"{best[1]:.2f} s, solve + fixes {best[2]:.2f} s; runs {row['runs_s']})", flush=True)
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--schools", type=int, default=500)
    args = ap.parse_args(argv)
    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f} (wall times grow with it; CPU times less)")
    sample = load_county(SAMPLE_DIR).tables
    last = school_facts(sample).last_year
    measure("sample", sample, last, args.repeat, args.time_limit)
    measure("sample", sample, 2029, args.repeat, args.time_limit)
    big = synthetic_county(args.schools)
    measure(f"synthetic {args.schools} schools", big, school_facts(big).last_year, 1,
            args.time_limit)
    measure("10 copies of the sample", copies(sample, 10), 2029, 1, args.time_limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
