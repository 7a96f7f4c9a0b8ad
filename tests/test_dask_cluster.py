"""``balance report --executor dask --scheduler ADDRESS`` against a real cluster: a
``dask scheduler`` and two ``dask worker`` processes started with Dask's own commands on
localhost (:mod:`balance_lib.dask_processes`: the scheduler picks a free port and writes it to
a scheduler file), a small province rendered through them, and every process stopped by its
PID (its session: the workers' kernels too), whatever the test's outcome. Each wait is
bounded (the cluster's start, the command's ``timeout``), so the test cannot hang CI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")

BALANCE = str(Path(sys.executable).with_name("balance"))
MULTI = Path("tests/fixtures/multi").resolve()
RENDER_TIMEOUT_S = 900


@pytest.mark.slow
def test_a_province_is_rendered_by_a_real_scheduler_and_two_workers(tmp_path):
    import psutil

    from balance_lib.dask_processes import cluster
    from balance_lib.render import reports_run

    out = tmp_path / "out"
    with cluster(tmp_path / "cluster", workers=2) as (address, pids):
        res = subprocess.run(
            [BALANCE, "report", str(MULTI), "--years", "2025", "--schools", "6523010002",
             "--no-trend", "--counties", "652301,652302", "--out", str(out),
             "--executor", "dask", "--scheduler", address],
            capture_output=True, text=True, timeout=RENDER_TIMEOUT_S)
        assert res.returncode == 0, res.stdout + res.stderr
        with distributed.Client(address, timeout=60) as client:
            runs = client.run(reports_run)
            kernels = client.run(lambda: __import__("balance_lib.render").render._ALL_WARM)
    # the province page, and per county its year and the booklet of a school whose id
    # repeats in both counties
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert {k: v["status"] for k, v in manifest["reports"].items()} == {
        "province": "ok", "652301/county-year/2025": "ok", "652301/school/6523010002": "ok",
        "652302/county-year/2025": "ok", "652302/school/6523010002": "ok"}
    for page in ("index.html", "province.html", "652301/index.html", "652302/index.html",
                 "652302/school/6523010002.html"):
        assert (out / page).is_file(), page
    assert "652302" in (out / "652302/school/6523010002.html").read_text(encoding="utf-8")
    # the main index answers first; each county's index is its dashboard, with a way back
    top = (out / "index.html").read_text(encoding="utf-8")
    assert "4 个县中：0 个达标" in top and 'href="652301/index.html"' in top
    county = (out / "652302/index.html").read_text(encoding="utf-8")
    assert "各学年评估结论" in county and 'href="../index.html"' in county
    assert 'href="../province.html"' in county
    assert '<a href="../index.html">' in (out / "652302/school/6523010002.html").read_text(
        encoding="utf-8")
    assert sum(runs.values()) == 5 and len(runs) == 2
    assert all(n > 0 for n in runs.values()), runs  # both workers rendered
    assert all(not k for k in kernels.values()), kernels  # kernels shut down after the batch
    # stopped by PID: nothing of the cluster is left
    for pid in pids:
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
