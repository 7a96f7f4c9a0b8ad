"""Render the report notebooks of a county to offline HTML: ``balance report``.

One job per report (county-year, school profile, trend). Each job is papermill-executed in its
own kernel with absolute paths (papermill's ``cwd`` is not thread-safe, #473), converted with
nbconvert's ``HTMLExporter`` without code cells or prompts, and stripped of every external
script (require.js, MathJax, mermaid from CDNs) so that the page opens offline; matplotlib
figures are already embedded as base64 PNG. Every file is written atomically (temporary file,
then ``os.replace``).

Jobs run in a bounded process pool (``jobs``, default: cores). A kernel that fails to start
(papermill #239, #511: timeouts, ``ZMQError: Address already in use``) is retried; a report
that fails keeps its partial notebook and its error in ``manifest.json`` while the others go on.
``manifest.json`` holds per report its parameters, input hash (data + settings + template +
package version + parameters), status, duration and error; an unchanged hash skips the report
unless ``force``.

Kernels are not reused: each report pays one kernel start (about 2–4 s on 2 cores); see
issue 5 for the kernel-reuse engine still to come.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from .paths import PROJECT_ROOT, STANDARDS_FILE

NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
TEMPLATES = {
    "county-year": NOTEBOOKS_DIR / "10-county-year.ipynb",
    "school": NOTEBOOKS_DIR / "20-school-profile.ipynb",
    "trend": NOTEBOOKS_DIR / "40-county-trend.ipynb",
}
KIND_ZH = {"county-year": "年度评估", "school": "一校一册", "trend": "趋势"}
KERNEL_NAME = "python3"  # the kernel of the interpreter running the batch (the project's venv)
START_TIMEOUT = 120
KERNEL_START_RETRIES = 3

_EXTERNAL_SCRIPT = re.compile(
    r"<script\b[^>]*\bsrc\s*=\s*[\"']?(?:https?:)?//[^>]*>\s*</script>", re.I | re.S)
_SCRIPT_BLOCK = re.compile(r"<script\b[^>]*>(.*?)</script>", re.I | re.S)
_EXTERNAL_LINK = re.compile(r"<link\b[^>]*\bhref\s*=\s*[\"']?(?:https?:)?//[^>]*>", re.I | re.S)
_REMOTE_REF = re.compile(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//",
                         re.I | re.S)


@dataclass(frozen=True)
class Job:
    """One report: its template, parameters and output stem (relative to the output folder)."""

    kind: str
    stem: str
    title: str
    parameters: dict[str, Any]

    @property
    def template(self) -> Path:
        return TEMPLATES[self.kind]


@dataclass
class Outcome:
    stem: str
    kind: str
    title: str
    parameters: dict[str, Any]
    input_hash: str
    status: str  # ok | failed | skipped (skipped: unchanged, previous output kept)
    duration_s: float = 0.0
    error: str | None = None
    html: str | None = None
    notebook: str | None = None
    attempts: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def package_version() -> str:
    try:
        return version("balance")
    except PackageNotFoundError:  # pragma: no cover - not installed
        return "unknown"


def parse_years(spec: str | None, available: Sequence[int]) -> list[int]:
    """``"2022-2025"``, ``"2024"``, ``"2022,2024"`` or None (all years in the data).

    >>> parse_years("2022-2024", [2022, 2023, 2024, 2025])
    [2022, 2023, 2024]
    """
    if not spec or spec == "all":
        return sorted(available)
    years: list[int] = []
    for part in spec.split(","):
        part = part.strip()
        if "-" in part:
            a, b = (int(x) for x in part.split("-", 1))
            years += range(a, b + 1)
        elif part:
            years.append(int(part))
    return sorted(set(years))


def safe_name(text: str) -> str:
    """A file name for an id from the data (anything unusual is replaced, a hash keeps it unique).

    >>> safe_name("6523010001"), safe_name("a/b")[:4]
    ('6523010001', 'a_b-')
    """
    clean = re.sub(r"[^A-Za-z0-9_.-]", "_", text)
    if clean == text and clean not in ("", ".", ".."):
        return clean
    return f"{clean}-{hashlib.sha1(text.encode()).hexdigest()[:8]}"


def plan_jobs(data: Path, years: Sequence[int], schools: Sequence[str],
              params: Path | None = None, school_names: dict[str, str] | None = None,
              trend: bool = True) -> list[Job]:
    """The jobs of a batch: every year, every school, then the trend (absolute paths)."""
    data = Path(data).resolve()
    common = {"data": str(data), "params": str(Path(params).resolve()) if params else ""}
    names = school_names or {}
    jobs = [Job("county-year", f"county-year/{y}", f"{y}学年 年度评估", {**common, "year": int(y)})
            for y in years]
    jobs += [Job("school", f"school/{safe_name(s)}", f"一校一册 {names.get(s, s)}（{s}）",
                 {**common, "school_id": str(s)}) for s in schools]
    if trend and years:
        jobs.append(Job("trend", "trend", f"{min(years)}–{max(years)}学年 趋势",
                        {**common, "year_from": int(min(years)), "year_to": int(max(years))}))
    return jobs


def _hash_path(h: Any, path: Path) -> None:
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for p in files:
        h.update(str(p.relative_to(path) if path.is_dir() else p.name).encode())
        h.update(p.read_bytes())


def data_hash(data: Path, params: Path | None) -> str:
    """Digest of the data (every file of a folder) and the settings file in force."""
    h = hashlib.sha256()
    _hash_path(h, Path(data))
    _hash_path(h, Path(params) if params else STANDARDS_FILE)
    return h.hexdigest()


def input_hash(job: Job, base: str) -> str:
    """Data + settings (``base``) + template + package version + the job's parameters."""
    h = hashlib.sha256(base.encode())
    h.update(job.template.read_bytes())
    h.update(package_version().encode())
    h.update(json.dumps(job.parameters, sort_keys=True).encode())
    return h.hexdigest()


def write_atomic(path: Path, data: bytes) -> None:
    """Temporary file in the same folder, then ``os.replace``: never a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def make_offline(page: str) -> str:
    """Drop external scripts and stylesheets (require.js, MathJax, mermaid CDNs).

    >>> make_offline('<p>x</p><script src="https://cdn/x.js"></script>')
    '<p>x</p>'
    """
    page = _EXTERNAL_SCRIPT.sub("", page)
    page = _EXTERNAL_LINK.sub("", page)

    def inline(m: re.Match) -> str:
        body = m.group(1)
        return "" if re.search(r"https?://|MathJax|mermaid", body) else m.group(0)

    return _SCRIPT_BLOCK.sub(inline, page)


def external_refs(page: str) -> list[str]:
    """Remote ``src``/``href`` references left in a page (must be empty for offline use)."""
    return [m.group(0) for m in _REMOTE_REF.finditer(page)]


def to_html(notebook_path: Path) -> str:
    """Notebook → HTML without code cells or prompts, offline (checked)."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(notebook_path, as_version=4)
    exporter = HTMLExporter(template_name="lab", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    page, _ = exporter.from_notebook_node(nb)
    page = make_offline(page)
    left = external_refs(page)
    if left:
        raise RuntimeError(f"HTML still references remote resources: {left[:3]}")
    return page


def _is_kernel_start_failure(exc: BaseException) -> bool:
    text = f"{type(exc).__name__}: {exc}"
    return any(s in text for s in ("Kernel didn't respond", "ZMQError", "Address already in use",
                                   "Kernel died before replying", "TimeoutError"))


def run_job(job: Job, out_dir: str, kernel_name: str = KERNEL_NAME,
            start_timeout: int = START_TIMEOUT, retries: int = KERNEL_START_RETRIES) -> dict[str, Any]:
    """Execute one report and convert it (runs in a worker process). Never raises."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    out = Path(out_dir)
    nb_path = out / f"{job.stem}.ipynb"
    html_path = out / f"{job.stem}.html"
    nb_path.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    result: dict[str, Any] = {"status": "failed", "error": None, "attempts": 0,
                              "notebook": str(nb_path.relative_to(out)), "html": None}
    fd, tmp_nb = tempfile.mkstemp(prefix=f".{nb_path.name}.", suffix=".ipynb", dir=nb_path.parent)
    os.close(fd)
    try:
        for attempt in range(1, retries + 1):
            result["attempts"] = attempt
            try:
                pm.execute_notebook(str(job.template), tmp_nb, parameters=job.parameters,
                                    kernel_name=kernel_name, start_timeout=start_timeout,
                                    progress_bar=False, log_output=False)
                break
            except PapermillExecutionError as exc:
                result["error"] = f"{exc.ename}: {exc.evalue}"
                return result
            except Exception as exc:  # noqa: BLE001 - kernel start races: retry, then record
                result["error"] = f"{type(exc).__name__}: {exc}"
                if not _is_kernel_start_failure(exc) or attempt == retries:
                    return result
                time.sleep(0.5 * attempt)
        page = to_html(Path(tmp_nb))
        write_atomic(html_path, page.encode("utf-8"))
        result.update(status="ok", error=None, html=str(html_path.relative_to(out)))
        return result
    except Exception as exc:  # noqa: BLE001 - conversion errors are recorded, not fatal
        result["error"] = f"{type(exc).__name__}: {exc}"
        return result
    finally:
        if Path(tmp_nb).exists():
            if Path(tmp_nb).stat().st_size:
                os.replace(tmp_nb, nb_path)  # keep the (partial) executed notebook
            else:
                Path(tmp_nb).unlink()
        result["duration_s"] = round(time.perf_counter() - t0, 3)


def load_manifest(out_dir: Path) -> dict[str, Any]:
    path = Path(out_dir) / "manifest.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def index_page(outcomes: Iterable[Outcome], title: str, note: str | None) -> str:
    """``index.html``: every report with its status; names from the data are escaped."""
    status_zh = {"ok": "完成", "skipped": "未变化（沿用）", "failed": "失败"}
    rows = []
    for o in outcomes:
        target = o.html or o.notebook
        link = (f'<a href="{html.escape(target, quote=True)}">{html.escape(o.title)}</a>'
                if target else html.escape(o.title))
        err = f"<br><small>{html.escape(o.error)}</small>" if o.error else ""
        rows.append(f'<tr class="{html.escape(o.status)}"><td>{html.escape(KIND_ZH.get(o.kind, o.kind))}'
                    f"</td><td>{link}</td><td>{status_zh.get(o.status, html.escape(o.status))}{err}"
                    f"</td><td>{o.duration_s:.1f} s</td></tr>")
    note_html = f'<p class="note">{html.escape(note)}</p>' if note else ""
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px}}tr.failed{{background:#fde0d0}}
.note{{background:#fff4ce;padding:6px}}</style></head>
<body><h1>{html.escape(title)}</h1>{note_html}
<table><thead><tr><th>类型</th><th>报告</th><th>状态</th><th>用时</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table></body></html>
"""


@dataclass
class BatchResult:
    outcomes: list[Outcome]
    duration_s: float

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    def summary(self) -> str:
        n = {s: sum(o.status == s for o in self.outcomes) for s in ("ok", "skipped", "failed")}
        return (f"报告 {len(self.outcomes)} 份：完成 {n['ok']}，未变化跳过 {n['skipped']}，"
                f"失败 {n['failed']}；用时 {self.duration_s:.1f} s")


def render_batch(jobs: Sequence[Job], out_dir: Path, *, base_hash: str, n_jobs: int | None = None,
                 force: bool = False, note: str | None = None, title: str = "报告索引",
                 progress: bool = True, runner: Callable[..., dict[str, Any]] = run_job) -> BatchResult:
    """Run ``jobs`` in a bounded process pool, then write ``manifest.json`` and ``index.html``."""
    from tqdm import tqdm

    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    previous = load_manifest(out_dir).get("reports", {})
    outcomes: dict[str, Outcome] = {}
    todo: list[tuple[Job, str]] = []
    for job in jobs:
        digest = input_hash(job, base_hash)
        old = previous.get(job.stem, {})
        unchanged = (old.get("input_hash") == digest and old.get("status") in ("ok", "skipped")
                     and old.get("html") and (out_dir / old["html"]).is_file())
        if unchanged and not force:
            outcomes[job.stem] = Outcome(job.stem, job.kind, job.title, job.parameters, digest,
                                         "skipped", 0.0, None, old["html"], old.get("notebook"))
        else:
            todo.append((job, digest))
    workers = max(1, min(n_jobs or os.cpu_count() or 1, len(todo) or 1))
    bar = tqdm(total=len(todo), desc="报告", unit="份", disable=not progress or not todo)
    if todo:
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            futures = {pool.submit(runner, job, str(out_dir)): (job, digest) for job, digest in todo}
            for fut in as_completed(futures):
                job, digest = futures[fut]
                try:
                    r = fut.result()
                except Exception as exc:  # noqa: BLE001 - a dead worker fails one report only
                    r = {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}
                outcomes[job.stem] = Outcome(job.stem, job.kind, job.title, job.parameters, digest,
                                             r.get("status", "failed"), r.get("duration_s", 0.0),
                                             r.get("error"), r.get("html"), r.get("notebook"),
                                             r.get("attempts", 0))
                bar.update(1)
    bar.close()
    ordered = [outcomes[j.stem] for j in jobs]
    manifest = {
        "package_version": package_version(),
        "reports": {o.stem: {k: v for k, v in asdict(o).items() if k not in ("stem", "extra")}
                    for o in ordered},
    }
    write_atomic(out_dir / "manifest.json",
                 json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8"))
    write_atomic(out_dir / "index.html", index_page(ordered, title, note).encode("utf-8"))
    return BatchResult(ordered, time.perf_counter() - t0)
