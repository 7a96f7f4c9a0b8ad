"""Benchmark: one edit in the scenario explorer (notebooks/31-explore.ipynb) on the sample county.

    .venv/bin/python benchmarks/explore.py [--scenario FILE] [--repeat 7]

Starts the explorer (``balance_lib.explore_ui.ExplorerUI``, widgets without a browser) on the
sample county and a sample scenario, selects the ``move_students`` change and moves its share by
one step at a time, as dragging the slider does. Measures, in the same process:

* the naive way: ``run_scenario`` from scratch for the edited scenario (baseline and scenario
  projected and evaluated again, what a loop of "edit the file, run balance scenario" costs);
* the explorer's evaluation alone (the loader, then only the scenario side on the kept
  baseline), checked equal to the naive result;
* the whole update the analyst waits for: evaluation, the headline, the targets and the
  visible tab's tables and charts (goal: < 0.5 s), for each tab.

Record the figures in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from balance_lib.explore_ui import TABS, show  # noqa: E402
from balance_lib.scenario import run_scenario  # noqa: E402
from balance_lib.scenario_spec import parse_scenario  # noqa: E402


def timed(fn, cpu: list[float] | None = None) -> float:
    """Wall-clock seconds of ``fn()``; its CPU seconds appended to ``cpu`` (on a shared machine
    the CPU time is close to what a machine of one's own would take)."""
    c, t = time.process_time(), time.perf_counter()
    fn()
    if cpu is not None:
        cpu.append(time.process_time() - c)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", default="params/scenarios/new-school-2026.yaml")
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.2f} "
          "(other processes share the cores: compare the CPU times)")
    t_open = time.perf_counter()
    ui = show("data/sample", args.scenario)
    t_open = time.perf_counter() - t_open
    ex = ui.ex
    move = next(k for k, c in enumerate(ex.changes) if c.get("type") == "move_students")
    ui.list.value = move
    share = next(f for f in ui._fields if f.spec.name == "share")
    slider = share.widget.children[1]
    print(f"{args.scenario}: {len(ex.changes)} changes; explorer opened in {t_open:.2f} s "
          "(data, baseline, first drawing, the font)")

    steps = [round(0.10 + 0.05 * k, 2) for k in range(args.repeat)]
    data = ex.data
    naive, evaluate, checks, naive_cpu, eval_cpu = [], [], 0, [], []
    for s in steps:
        ex.set_field(move, "share", s)
        naive.append(timed(lambda: run_scenario(data.county.tables, parse_scenario(
            ex.raw(), ex.facts), data.settings, data.registry), naive_cpu))
        ev = None

        def ev_only() -> None:
            nonlocal ev
            ev = ex.evaluate()

        evaluate.append(timed(ev_only, eval_cpu))
        fresh = run_scenario(data.county.tables, parse_scenario(ex.raw(), ex.facts),
                             data.settings, data.registry)
        assert ev.ok and ev.result.schools.equals(fresh.schools)
        assert ev.result.variation.equals(fresh.variation)
        assert ev.result.summary == fresh.summary
        checks += 1
    print(f"naive run_scenario per edit: median {statistics.median(naive):.3f} s, "
          f"best {min(naive):.3f} s, CPU median {statistics.median(naive_cpu):.3f} s")
    print(f"explorer evaluation per edit (kept baseline): median "
          f"{statistics.median(evaluate):.3f} s, best {min(evaluate):.3f} s, CPU median "
          f"{statistics.median(eval_cpu):.3f} s "
          f"({statistics.median(naive) / statistics.median(evaluate):.1f}× faster; "
          f"{checks} results checked equal to run_scenario)")
    for tab, key in enumerate(TABS):
        ui.tabs.selected_index = tab
        totals, cpu, evals, draws = [], [], [], []
        for s in steps:
            totals.append(timed(lambda s=s: setattr(slider, "value", s + 0.01), cpu))
            e, d = ui.timings[-1]
            evals.append(e)
            draws.append(d)
        fast = sum(c.fast for c in ui._tab_charts[key])
        print(f"whole update, tab {key!r}: median {statistics.median(totals):.3f} s, best "
              f"{min(totals):.3f} s, CPU median {statistics.median(cpu):.3f} s (evaluation "
              f"{statistics.median(evals):.3f} s, tables and charts "
              f"{statistics.median(draws):.3f} s; {fast} fast chart redraws)  goal < 0.5 s")
    ui.tabs.selected_index = 0
    add = []
    ui.kind.value = "expand_school"
    add.append(timed(lambda: ui._on_add(None)))
    print(f"adding a change (a new form, the charts drawn in full): {add[0]:.3f} s")


if __name__ == "__main__":
    main()
