"""``balance report --pdf``: each report also as a PDF, printed by headless Chromium.

The reports are printed by the browser that reads them (Debian's ``chromium`` package, which
``.ci/run`` installs; :func:`find_browser` also accepts ``google-chrome`` or the path in
``BALANCE_CHROMIUM``), from the HTML files themselves: offline (``file://``, no network), the
embedded Chinese font, the page's print styles (A4, a running header with the county and year,
sections on new pages, tables kept whole where they fit; :mod:`balance_lib.pages`). No browser
is downloaded. Each PDF is written beside its HTML (``county-year/2025.pdf``) atomically, and
only when the HTML is newer than the PDF.

Two prints of the same page are the same bytes but for Chromium's print time, the
``/CreationDate`` and ``/ModDate`` of the document information (checked with ``cmp``: 6 bytes
differ, no document ID or other varying field); they are left as Chromium writes them, the
date the PDF was printed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .atomic import write_atomic

#: Browsers tried in order (``BALANCE_CHROMIUM`` first when set).
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: Seconds one page may take to print.
TIMEOUT_S = 120


class PdfError(RuntimeError):
    """No browser to print with, or a page that could not be printed."""


def find_browser() -> str | None:
    """The headless browser to print with, or None."""
    env = os.environ.get("BALANCE_CHROMIUM")
    if env and Path(env).is_file():
        return env
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def browser_args(browser: str, profile: str) -> list[str]:
    """A headless Chromium that touches no network and keeps no state."""
    return [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-extensions", "--mute-audio",
            f"--user-data-dir={profile}"]


def html_to_pdf(html_path: str | Path, pdf_path: str | Path, browser: str | None = None) -> Path:
    """Print ``html_path`` to ``pdf_path`` (written atomically). Raises :class:`PdfError`."""
    browser = browser or find_browser()
    if browser is None:
        raise PdfError("no headless browser: apt-get install chromium (or set BALANCE_CHROMIUM)")
    html_path, pdf_path = Path(html_path).resolve(), Path(pdf_path)
    with tempfile.TemporaryDirectory(prefix="balance-pdf-") as tmp:
        out = Path(tmp) / "page.pdf"
        cmd = [*browser_args(browser, str(Path(tmp) / "profile")), "--no-pdf-header-footer",
               f"--print-to-pdf={out}", html_path.as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            raise PdfError(f"{html_path.name}: printing took more than {TIMEOUT_S} s") from None
        if not out.is_file() or out.stat().st_size == 0:
            tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
            raise PdfError(f"{html_path.name}: the browser wrote no PDF ({' '.join(tail)})")
        write_atomic(pdf_path, out.read_bytes())
    return pdf_path


def write_pdfs(html_files: Sequence[Path], *, jobs: int = 2, force: bool = False
               ) -> tuple[list[Path], list[str]]:
    """A PDF beside each HTML file (skipped when the PDF is newer, unless ``force``), ``jobs``
    browsers at a time. Returns (the PDFs written, the problems)."""
    browser = find_browser()
    if browser is None:
        return [], ["no headless browser to print PDFs: apt-get install chromium "
                    "(or set BALANCE_CHROMIUM)"]
    todo = []
    for h in html_files:
        pdf = Path(h).with_suffix(".pdf")
        if force or not pdf.is_file() or pdf.stat().st_mtime < Path(h).stat().st_mtime:
            todo.append((Path(h), pdf))
    written, problems = [], []

    def one(pair: tuple[Path, Path]) -> Path:
        return html_to_pdf(pair[0], pair[1], browser)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(one, p) for p in todo]
        for f in futures:
            try:
                written.append(f.result())
            except PdfError as exc:
                problems.append(str(exc))
    return written, problems
