"""Processes of ``balance report`` die with it, and leave nothing behind.

The report runner starts worker processes, and each worker starts a Jupyter kernel. Whatever
happens to the command — it ends, it is interrupted (Ctrl-C, SIGTERM, SIGHUP) or it is killed
outright (``kill -9``) — none of them may keep running and writing into the output folder:

* **Workers** ask the kernel to send them SIGTERM when their parent dies (Linux
  ``prctl(PR_SET_PDEATHSIG)``, set in the worker before its first job, then checked against a
  parent that died before it was set). On SIGTERM, SIGINT or SIGHUP a worker kills its kernel,
  removes its own temporary files in the output folder and exits at once.
* **Kernels** are started with ``JPY_PARENT_PID`` (jupyter_client), so ipykernel ends them
  within a second once their worker is gone; a worker that exits kills its kernel itself.
* **The command** turns SIGTERM, SIGINT and SIGHUP into :class:`Interrupted` while the batch
  runs, so the runner can stop its workers (SIGTERM, then SIGKILL for the whole tree after a
  grace period), record the reports already finished and exit with 128 + the signal number.
* **Leftovers** of a run that was killed anyway — temporary files named with the pid of a
  process that no longer runs, kernel socket folders of dead workers — are removed by the next
  run (:func:`balance_lib.atomic.remove_stale_temporaries`, :func:`remove_stale_kernel_dirs`).

Elsewhere than Linux, parent-death signals are not available; the rest applies.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

__all__ = ["Interrupted", "die_with_parent", "interruptible", "end_process_tree",
           "kernel_dir_prefix", "remove_stale_kernel_dirs", "worker_init"]

PR_SET_PDEATHSIG = 1
#: Signals that end a batch (and each worker) in an orderly way.
STOP_SIGNALS = tuple(s for s in (getattr(signal, n, None) for n in ("SIGTERM", "SIGINT", "SIGHUP"))
                     if s is not None)


class Interrupted(Exception):
    """The batch was stopped by a signal (``signum``)."""

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(f"interrupted by {signal.Signals(signum).name}")


def die_with_parent(sig: int = signal.SIGTERM) -> bool:
    """Ask Linux to send ``sig`` to this process when its parent dies; False where unavailable."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


#: What a worker must clean up when it is told to stop: set by the runner for each job.
_CLEANUP: list[Callable[[], Any]] = []


def on_stop(fn: Callable[[], Any]) -> None:
    """Run ``fn`` when this worker is stopped by a signal (before it exits)."""
    _CLEANUP.append(fn)


def _stop_worker(signum: int, frame: Any) -> None:  # noqa: ARG001 - signal handler
    for fn in reversed(_CLEANUP):
        with contextlib.suppress(Exception):
            fn()
    os._exit(128 + signum)


def worker_init(parent_pid: int) -> None:
    """The initializer of a report worker: die with the parent, clean up on a stop signal."""
    die_with_parent(signal.SIGTERM)
    for sig in STOP_SIGNALS:
        signal.signal(sig, _stop_worker)
    if os.getppid() != parent_pid:  # the parent died before the death signal was armed
        _stop_worker(signal.SIGTERM, None)


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """While inside, SIGTERM, SIGINT and SIGHUP raise :class:`Interrupted` in the main thread
    (the previous handlers are restored on the way out). Outside the main thread: no-op."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def raise_interrupted(signum: int, frame: Any) -> None:  # noqa: ARG001
        raise Interrupted(signum)

    previous = {}
    for sig in STOP_SIGNALS:
        previous[sig] = signal.signal(sig, raise_interrupted)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def end_process_tree(grace: float = 5.0) -> int:
    """Stop every descendant of this process: SIGTERM to all, then SIGKILL to those still alive
    after ``grace`` seconds. Returns how many there were."""
    import psutil

    try:
        children = psutil.Process().children(recursive=True)
    except psutil.Error:
        return 0
    for p in children:
        with contextlib.suppress(psutil.Error):
            p.terminate()
    _, alive = psutil.wait_procs(children, timeout=grace)
    for p in alive:
        with contextlib.suppress(psutil.Error):
            p.kill()
    psutil.wait_procs(alive, timeout=grace)
    return len(children)


def kernel_dir_prefix() -> str:
    """The prefix of this process's kernel socket folders in the temporary folder."""
    return f"balance-kernel-{os.getpid()}-"


_KERNEL_DIR = re.compile(r"^balance-kernel-(\d+)-")


def remove_stale_kernel_dirs() -> list[Path]:
    """Remove the kernel socket folders whose worker no longer runs."""
    import psutil

    removed = []
    root = Path(tempfile.gettempdir())
    with contextlib.suppress(OSError):
        for d in root.iterdir():
            m = _KERNEL_DIR.match(d.name)
            if m and d.is_dir() and not psutil.pid_exists(int(m.group(1))):
                shutil.rmtree(d, ignore_errors=True)
                removed.append(d)
    return removed
