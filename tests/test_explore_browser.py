"""31-explore in a real JupyterLab in a real browser: Debian's ``chromium`` driven by Playwright
(``executable_path``: nothing is downloaded at run time).

The test starts ``jupyter lab`` on a free localhost port with a token, opens a copy of
``notebooks/31-explore.ipynb`` (its parameters set to the tiny fixture county and its scenario,
as papermill would, so the page is quick), runs every cell, moves the share of the new school's
catchment, checks that the class-size table and chart shown change to what the explorer
computes for that share, saves the scenario from the page and reads the file back with the
scenario loader. The server is stopped by its PID.

If Playwright or Chromium is missing or the browser cannot start here, the test is *skipped
with the reason* (``pytest -ra`` lists it); it never passes without having run.
``BALANCE_SCREENSHOTS=DIR`` keeps the screenshots there (the test writes them to its temporary
folder otherwise).
"""

from __future__ import annotations

import html
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from balance_lib import explore as ex
from balance_lib import report as rp
from balance_lib import scenario_report as sr
from balance_lib.paths import PROJECT_ROOT
from balance_lib.scenario_spec import load_scenario

NOTEBOOK = PROJECT_ROOT / "notebooks" / "31-explore.ipynb"
TINY, TINY_SCENARIO = "tests/fixtures/tiny", "tests/fixtures/tiny-scenario.yaml"
#: what the brief of the project asks of a headless Chromium on a closed network
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SHARE = 0.45


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def notebook_copy(folder: Path, save_as: Path) -> Path:
    """The notebook with its parameters set (like papermill) and the venv's own kernel."""
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    nb["metadata"]["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                    "language": "python"}
    for cell in nb["cells"]:
        if "parameters" in cell["metadata"].get("tags", []):
            cell["source"] = [f'data = "{TINY}"\n', f'scenario = "{TINY_SCENARIO}"\n',
                              'params = ""\n', 'indicators = ""\n', 'lang = "zh"\n',
                              f'save_as = "{save_as}"\n']
    out = folder / NOTEBOOK.name
    out.write_text(json.dumps(nb, ensure_ascii=False, indent=1), encoding="utf-8")
    return out


class Lab:
    """``jupyter lab`` in a folder of its own (settings, workspaces and runtime files too)."""

    def __init__(self, root: Path) -> None:
        self.root, self.port, self.token = root, free_port(), secrets.token_hex(16)
        cfg = root / "config"
        (cfg / "labconfig").mkdir(parents=True)
        # no "news" prompt over the notebook and no request for it
        (cfg / "labconfig" / "page_config.json").write_text(json.dumps({"disabledExtensions": {
            "@jupyterlab/apputils-extension:announcements": True}}), encoding="utf-8")
        env = dict(os.environ, JUPYTER_CONFIG_DIR=str(cfg),
                   JUPYTER_RUNTIME_DIR=str(root / "runtime"),
                   JUPYTERLAB_SETTINGS_DIR=str(root / "settings"),
                   JUPYTERLAB_WORKSPACES_DIR=str(root / "workspaces"))
        args = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={root}",
                "--LabApp.expose_app_in_browser=True"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.append("--allow-root")  # CI runs as root
        self.log = (root / "lab.log").open("w")
        self.proc = subprocess.Popen(args, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     cwd=root)
        self.url = f"http://127.0.0.1:{self.port}"

    def wait(self, timeout: float = 60) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise AssertionError(f"jupyter lab exited: {(self.root / 'lab.log').read_text()}")
            try:
                urllib.request.urlopen(f"{self.url}/api/status?token={self.token}", timeout=2)
                return
            except OSError:
                time.sleep(0.25)
        raise AssertionError(f"jupyter lab did not answer in {timeout} s")

    def stop(self) -> None:
        """Ask the server to shut down (it stops its kernels), then end it by its PID."""
        try:
            req = urllib.request.Request(f"{self.url}/api/shutdown?token={self.token}",
                                         method="POST")
            urllib.request.urlopen(req, timeout=5)
        except OSError:
            pass
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
        self.log.close()


def cells(page, selector: str) -> list[str]:
    return page.eval_on_selector_all(f"{selector} td", "els => els.map(e => e.textContent)")


def expected_cells(frame) -> list[str]:
    return [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>",
                                                   rp.table_html(frame, lang="zh"))]


@pytest.mark.slow
def test_the_explorer_in_jupyterlab_in_chromium(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright is not installed (pip install -e .[test])")
    browser = chromium()
    if browser is None:
        pytest.skip("no chromium on PATH (Debian: apt-get install -y chromium)")
    started = time.monotonic()
    saved = tmp_path / "saved" / "explored.yaml"
    shots = Path(os.environ.get("BALANCE_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    notebook_copy(tmp_path, saved)
    lab = Lab(tmp_path)
    times: dict[str, float] = {}
    try:
        lab.wait()
        times["server"] = time.monotonic() - started
        with sync_api.sync_playwright() as pw:
            try:
                context = pw.chromium.launch_persistent_context(
                    str(tmp_path / "profile"), executable_path=browser, headless=True,
                    args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 2200})
            except Exception as exc:  # noqa: BLE001  no display, no sandbox …: say why
                pytest.skip(f"chromium ({browser}) could not start here: {exc}")
            try:
                run_the_explorer(context.new_page(), lab, saved, shots, times)
            finally:
                context.close()
    finally:
        lab.stop()
    assert lab.proc.returncode is not None  # the server is gone
    print(f"browser test: {time.monotonic() - started:.1f} s (" + ", ".join(
        f"{k} {v:.1f} s" for k, v in times.items()) + f"); screenshots in {shots}")

    # the file saved from the page is a scenario the loader accepts, with the share set there
    d = rp.load(TINY)
    e = ex.Explorer(d, PROJECT_ROOT / TINY_SCENARIO)
    sc = load_scenario(saved, e.facts)
    move = next(c for c in sc.changes if c.type == "move_students")
    assert move.fields["share"] == SHARE and [c.type for c in sc.changes] == [
        c["type"] for c in e.changes]


def run_the_explorer(page, lab: Lab, saved: Path, shots: Path, times: dict[str, float],
                     ) -> None:
    t0 = time.monotonic()
    page.set_default_timeout(45_000)
    requested: list[str] = []  # nothing from the internet: no CDN, no font, no news feed
    page.on("request", lambda r: requested.append(r.url))
    page.goto(f"{lab.url}/lab/tree/{NOTEBOOK.name}?token={lab.token}")
    page.wait_for_function(
        "() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
        " const k = w && w.sessionContext && w.sessionContext.session"
        " && w.sessionContext.session.kernel; return k && k.status === 'idle'; }")
    times["page and kernel"] = time.monotonic() - t0
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    status = ".balance-explorer .bx-status"
    page.wait_for_function(
        f"() => (document.querySelector('{status}') || {{}}).textContent?.includes('第 1 次更新')")
    times["cells run, explorer shown"] = time.monotonic() - t0 - times["page and kernel"]
    assert "计算" in page.inner_text(status)  # evaluated, not a problem report
    page.screenshot(path=str(shots / "explore-opened.png"))

    # the move to the new school: select it, then type a share in the slider's readout
    d = rp.load(TINY)
    e = ex.Explorer(d, PROJECT_ROOT / TINY_SCENARIO)
    k = next(i for i, c in enumerate(e.changes) if c["type"] == "move_students")
    page.select_option(".bx-changes select", index=k)
    readout = page.locator(".bx-share .widget-readout")
    readout.wait_for()
    assert readout.inner_text() == "30%"
    table, chart = ".bx-table-classes-0", ".bx-chart-classes-0"
    before, src = cells(page, table), page.get_attribute(chart, "src")
    e_before = ex.Explorer(d, PROJECT_ROOT / TINY_SCENARIO)
    assert before == expected_cells(sr.class_table(e_before.run(e_before.evaluate())))
    t1 = time.monotonic()
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(str(SHARE))
    page.keyboard.press("Enter")
    page.wait_for_function(
        f"() => document.querySelector('{status}').textContent.includes('第 2 次更新')")
    assert readout.inner_text() == f"{SHARE:.0%}"
    after = cells(page, table)
    e.set_field(k, "share", SHARE)
    want = expected_cells(sr.class_table(e.run(e.evaluate())))
    assert after != before and after == want  # the table shows the new share's numbers
    page.wait_for_function(f"(s) => document.querySelector('{chart}').src !== s", arg=src)
    times["edit shown"] = time.monotonic() - t1
    page.screenshot(path=str(shots / "explore-edited.png"))

    # save from the page
    assert page.input_value(".bx-save-path input") == str(saved)
    page.click(".bx-save-button")
    page.wait_for_function(
        "() => document.querySelector('.bx-save-message').textContent.includes('已保存')")
    assert saved.is_file()
    elsewhere = [u for u in requested if not u.startswith((f"{lab.url}/", "data:", "blob:"))]
    assert requested and not elsewhere, elsewhere
