"""A Dask scheduler and workers as processes on this machine, started with Dask's own
commands (``dask scheduler``, ``dask worker``) and stopped by their process ids.

For trying ``balance report --executor dask`` without a cluster, for the test that renders
through a real scheduler (``tests/test_dask_cluster.py``) and for ``benchmarks/province.py``.
The scheduler picks a free port itself and writes its address to a scheduler file (no port
is guessed); each process runs in its own session, so stopping it (SIGTERM, then SIGKILL after
a grace period) also stops what it started: a worker's nanny, its worker process and the
kernels of its reports.

>>> from pathlib import Path  # doctest: +SKIP
>>> with cluster(Path("/tmp/dask-try"), workers=2) as (address, pids):  # doctest: +SKIP
...     print(address)  # tcp://127.0.0.1:40123; then balance report … --scheduler address
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: Seconds to wait for the scheduler's address and for every worker to join.
START_TIMEOUT_S = 120
#: Seconds a stopped process is given before it is killed.
GRACE_S = 15


def dask_command() -> str:
    """The ``dask`` command of this interpreter's environment."""
    return str(Path(sys.executable).with_name("dask"))


def stop(processes: list[subprocess.Popen], grace: float = GRACE_S) -> None:
    """Stop each process and its session by process id: SIGTERM, then SIGKILL after
    ``grace`` seconds; waits for every one."""
    for p in reversed(processes):
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            pass
    deadline = time.monotonic() + grace
    for p in processes:
        try:
            p.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            p.wait(10)


@contextmanager
def cluster(folder: Path, workers: int = 2, threads: int = 1,
            timeout: float = START_TIMEOUT_S) -> Iterator[tuple[str, list[int]]]:
    """A scheduler and ``workers`` workers of ``threads`` threads on 127.0.0.1; yields the
    scheduler's address and the process ids. Logs go to ``folder/*.log``. Everything is
    stopped on leaving, whatever happened."""
    from distributed import Client

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    sched_file = folder / "scheduler.json"
    sched_file.unlink(missing_ok=True)
    procs: list[subprocess.Popen] = []
    logs = []

    def start(name: str, *args: str) -> None:
        log = open(folder / f"{name}.log", "wb")  # noqa: SIM115 - closed on leaving
        logs.append(log)
        procs.append(subprocess.Popen([dask_command(), *args], stdout=log,
                                      stderr=subprocess.STDOUT, cwd=folder,
                                      start_new_session=True))

    try:
        start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", "0",
              "--no-dashboard", "--scheduler-file", str(sched_file))
        deadline = time.monotonic() + timeout
        address = None
        while address is None:
            if procs[0].poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the Dask scheduler did not start: "
                                   + (folder / "scheduler.log").read_text(errors="replace")[-2000:])
            try:
                address = json.loads(sched_file.read_text())["address"]
            except (OSError, ValueError, KeyError):
                time.sleep(0.2)
        for k in range(workers):
            start(f"worker{k}", "worker", "--scheduler-file", str(sched_file), "--nthreads",
                  str(threads), "--nworkers", "1", "--no-dashboard", "--host", "127.0.0.1",
                  "--name", f"w{k}", "--local-directory", str(folder / f"w{k}"))
        with Client(address, timeout=timeout) as client:
            client.wait_for_workers(workers, timeout=timeout)
        yield address, [p.pid for p in procs]
    finally:
        stop(procs)
        for log in logs:
            log.close()
