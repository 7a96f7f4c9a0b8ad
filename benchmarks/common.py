"""What the benchmark scripts share: the machine line and a synthetic data folder."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def machine() -> str:
    """The machine, the interpreter and the load average now (figures depend on them)."""
    load = os.getloadavg()
    return (f"machine: {platform.machine()} {os.cpu_count()} cores, Python "
            f"{platform.python_version()}; load average {load[0]:.1f} {load[1]:.1f} "
            f"{load[2]:.1f}")


def synthetic_folder(folder: Path, counties: int, schools_per_county: float,
                     seed: int = 2029) -> int:
    """``folder/schools.csv`` of :func:`balance_lib.synthetic.make_schools`; the row count."""
    from balance_lib.synthetic import make_schools

    folder.mkdir(parents=True, exist_ok=True)
    schools = make_schools(counties, schools_per_county, seed=seed)
    schools.to_csv(folder / "schools.csv", index=False)
    return len(schools)
