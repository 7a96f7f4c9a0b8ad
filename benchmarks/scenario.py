"""Benchmark: one county's scenario to 2029 (projection + both cases through the engine).

    .venv/bin/python benchmarks/scenario.py [--scenario FILE] [--copies 10] [--repeat 5]

Measures, in the same process:

* ``run_scenario`` on the sample county with a sample scenario (goal: < 1 s), and on a county
  made of ``--copies`` copies of the sample (a large prefecture-sized county), to show how it
  scales;
* the naive way on the same inputs: the projection stepped school by school and grade by grade
  in Python, and the engine called once per (case, year) instead of once for everything;
  the naive projection is checked equal to the vectorised one before timing is reported.

Record the figures in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from balance_lib.indicators import evaluate_resources  # noqa: E402
from balance_lib.io import load_county  # noqa: E402
from balance_lib.paths import SAMPLE_DIR  # noqa: E402
from balance_lib.projection import (  # noqa: E402
    ProjectionSettings,
    cohorts_from_classes,
    entry_cohorts,
    fit_rates,
    project_students,
)
from balance_lib.registry import load_registry  # noqa: E402
from balance_lib.scenario import run_scenario, school_facts  # noqa: E402
from balance_lib.scenario_spec import load_scenario  # noqa: E402
from balance_lib.settings import Settings  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine import best_of  # noqa: E402  (benchmarks/engine.py)


def copies(tables: dict[str, pd.DataFrame], n: int) -> dict[str, pd.DataFrame]:
    """A county of ``n`` copies of the sample (ids suffixed), schools and classes only."""
    out = {}
    for name in ("schools", "classes"):
        frames = []
        for k in range(n):
            f = tables[name].copy()
            f["school_id"] = f["school_id"].astype(str) + f"-{k}"
            if "parent_school_id" in f:
                f["parent_school_id"] = f["parent_school_id"].where(
                    f["parent_school_id"].isna(), f["parent_school_id"].astype(str) + f"-{k}")
            frames.append(f)
        out[name] = pd.concat(frames, ignore_index=True)
    return out


def naive_projection(h, years, settings: ProjectionSettings) -> np.ndarray:
    """The projection school by school and grade by grade, in plain Python."""
    rates = fit_rates(h)
    entry = entry_cohorts(rates, years, settings)
    n_s = len(h.school_ids)
    prev = [[float(h.students[-1, s, g]) for g in range(9)] for s in range(n_s)]
    out = np.zeros((len(years), n_s, 9))
    for k in range(len(years)):
        grade6 = sum(prev[s][5] for s in range(n_s))
        cur = []
        for s in range(n_s):
            row = [0.0] * 9
            for g in range(1, 9):
                r = rates.progression[s, g]
                row[g] = prev[s][g - 1] * (0.0 if np.isnan(r) else r)
            row[0] = entry[k] * rates.share_entry[s]
            row[6] = grade6 * rates.ratio_6_7 * rates.share_junior[s]
            cur.append(row)
        out[k] = cur
        prev = cur
    return out


def naive_engine(result_rows: pd.DataFrame, settings, registry) -> int:
    """The engine once per (case, year) instead of once for everything."""
    n = 0
    for _, part in result_rows.groupby(["county_id", "year"]):
        n += len(evaluate_resources(part, settings, registry).units)
    return n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", default=str(ROOT / "params/scenarios/new-school-2026.yaml"))
    ap.add_argument("--copies", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    settings, registry = Settings(), load_registry()
    county = load_county(SAMPLE_DIR)
    spec = load_scenario(args.scenario, school_facts(county.tables))
    run_scenario(county.tables, spec, settings, registry)  # warm-up (imports, caches)

    best, runs = best_of(lambda: run_scenario(county.tables, spec, settings, registry), args.repeat)
    n_schools = county.tables["schools"]["school_id"].nunique()
    print(f"sample county ({n_schools} schools), {Path(args.scenario).name}, "
          f"{spec.settings.target_year}: run_scenario best {best:.3f} s "
          f"(runs {', '.join(f'{t:.3f}' for t in runs)})  goal < 1 s")

    h = cohorts_from_classes(county.tables["classes"])
    years = np.arange(int(h.years[-1]) + 1, spec.settings.target_year + 1)
    fast = project_students(h, fit_rates(h), years, spec.settings)
    slow = naive_projection(h, years, spec.settings)
    np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-9)
    t_fast, _ = best_of(lambda: project_students(h, fit_rates(h), years, spec.settings),
                        args.repeat)
    t_slow, _ = best_of(lambda: naive_projection(h, years, spec.settings), args.repeat)
    print(f"projection alone: vectorised {t_fast * 1e3:.1f} ms, school by school "
          f"{t_slow * 1e3:.1f} ms ({t_slow / t_fast:.0f}×); results equal")

    big = copies(county.tables, args.copies)
    run_scenario(big, spec_for(big, args.scenario), settings, registry)
    big_spec = spec_for(big, args.scenario)
    t_big, runs = best_of(lambda: run_scenario(big, big_spec, settings, registry), 2)
    hb = cohorts_from_classes(big["classes"])
    t_fast_b, _ = best_of(lambda: project_students(hb, fit_rates(hb), years, big_spec.settings), 3)
    t_slow_b, _ = best_of(lambda: naive_projection(hb, years, big_spec.settings), 1)
    print(f"{args.copies} copies of the sample ({big['schools']['school_id'].nunique()} schools): "
          f"run_scenario {t_big:.3f} s; projection vectorised {t_fast_b * 1e3:.1f} ms vs school "
          f"by school {t_slow_b * 1e3:.0f} ms ({t_slow_b / t_fast_b:.0f}×)")

    # engine: one pass over both cases and all years vs one call per (case, year)
    rows = _engine_rows(county.tables, spec, settings, registry)
    t_one, _ = best_of(lambda: evaluate_resources(rows, settings, registry), args.repeat)
    t_loop, _ = best_of(lambda: naive_engine(rows, settings, registry), args.repeat)
    print(f"engine over {rows.groupby(['county_id', 'year']).ngroups} (case, year) pairs: one pass "
          f"{t_one * 1e3:.1f} ms, one call per pair {t_loop * 1e3:.1f} ms "
          f"({t_loop / t_one:.1f}×)")


def spec_for(tables, path):
    """The sample scenario with its school ids pointed at copy 0 of a replicated county."""
    import yaml

    from balance_lib.scenario_spec import parse_scenario

    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    for ch in raw.get("changes", []):
        for key in ("school_id", "from", "to"):
            if key in ch:
                ch[key] = f"{ch[key]}-0"
        if isinstance(ch.get("into"), dict):
            ch["into"] = {f"{k}-0": v for k, v in ch["into"].items()}
        elif "into" in ch:
            ch["into"] = f"{ch['into']}-0"
    return parse_scenario(raw, school_facts(tables), Path(path).name)


def _engine_rows(tables, spec, settings, registry) -> pd.DataFrame:
    """The schools tables ``run_scenario`` hands the engine (one per case), together."""
    import balance_lib.scenario as scenario_mod

    captured = []
    real = scenario_mod.evaluate

    def spy(tables, *a, **k):
        captured.append(tables["schools"])
        return real(tables, *a, **k)

    scenario_mod.evaluate = spy
    try:
        run_scenario(tables, spec, settings, registry)
    finally:
        scenario_mod.evaluate = real
    return pd.concat(captured, ignore_index=True)


if __name__ == "__main__":
    main()
