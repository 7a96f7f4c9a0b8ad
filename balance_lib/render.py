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

Kernels are reused (papermill #326, #583; Prove-It's reset kernel): each worker (a process of
the pool, or a Dask worker thread with ``executor="dask"``) keeps ONE kernel alive and runs its
reports one after another in it through a papermill engine that hands papermill the worker's
kernel manager and client, so parameter injection and the output notebook's papermill metadata
are unchanged. Before each report the namespace is reset (``InteractiveShell.reset``: variables
gone, execution count back to 1, new history session); the notebook's own import cell then runs
against modules already in ``sys.modules`` (balance_lib, pandas, matplotlib stay warm). A report
that fails, or a kernel that dies, gets the worker a fresh kernel for its next report. Kernels
talk over ``ipc`` sockets in a private temporary folder: no TCP port races (#511) and no
"running over TCP without encryption" warning. Each worker also keeps one ``HTMLExporter``.
``runner=run_job`` keeps the old one-kernel-per-report path.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from .atomic import prepare_folder, remove_stale_temporaries, temporary_prefix, write_atomic
from .costs import COSTS_FILE
from .htmlfont import embed_cjk_font
from .htmlfont import expect as expect_font
from .words import check_lang, has, label
from .lifecycle import (
    Interrupted,
    end_process_tree,
    interruptible,
    kernel_dir_prefix,
    remove_stale_kernel_dirs,
)
from .limits import MAX_NAME_CHARS, MAX_YEAR_SPAN
from .safetext import quote
from .paths import PROJECT_ROOT, STANDARDS_FILE

NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
TEMPLATES = {
    "county-year": NOTEBOOKS_DIR / "10-county-year.ipynb",
    "school": NOTEBOOKS_DIR / "20-school-profile.ipynb",
    "trend": NOTEBOOKS_DIR / "40-county-trend.ipynb",
    "scenario": NOTEBOOKS_DIR / "30-scenario.ipynb",
    "plan": NOTEBOOKS_DIR / "50-plan.ipynb",
    "province": NOTEBOOKS_DIR / "50-province.ipynb",
}
#: Notebooks that are not reports: interactive, never rendered by the batch (``balance report``
#: runs only :data:`TEMPLATES`); the tests execute them headless to prove they run.
INTERACTIVE = (NOTEBOOKS_DIR / "31-explore.ipynb",)
KIND_ZH = {"county-year": "年度评估", "school": "一校一册", "trend": "趋势", "scenario": "情景分析",
           "plan": "达标方案", "province": "省级概览"}
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


@lru_cache(maxsize=1)
def package_version() -> str:
    try:
        return version("balance")
    except PackageNotFoundError:  # pragma: no cover - not installed
        return "unknown"


def parse_years(spec: str | None, available: Sequence[int]) -> list[int]:
    """``"2022-2025"``, ``"2024"``, ``"2022,2024"`` or None / ``"all"`` (every year of the data).

    Every year named, alone or in a range, must be a year of the data; a reversed range, a
    malformed part or a year absent from the data is a :class:`ValueError` with a message for
    people. Ranges are checked against the data before they are expanded, so
    ``1-30000000`` costs nothing.

    >>> parse_years("2022-2024", [2022, 2023, 2024, 2025])
    [2022, 2023, 2024]
    >>> parse_years("2025-2022", [2022, 2025])
    Traceback (most recent call last):
    ...
    ValueError: 2025-2022: 年份范围颠倒，应写作 2022-2025 / 2025-2022 is a reversed range: write 2022-2025
    """
    have = sorted({int(y) for y in available})
    if not spec or spec.strip() == "all":
        return have
    present = ", ".join(map(str, have)) or "—"

    def absent(part: str, what: str) -> ValueError:
        return ValueError(f"{part}: 没有 {what} 学年的数据（已有: {present}）/ no data for {what} "
                          f"(years present: {present})")

    years: set[int] = set()
    for raw in spec.split(","):
        part = raw.strip()
        if not part:
            continue
        m = re.fullmatch(r"(\d{1,9})(?:\s*-\s*(\d{1,9}))?", part)
        if not m:
            raise ValueError(f"{quote(part)}: 不是年份或年份范围（如 2022-2025）/ not a year or a "
                             "range of years (e.g. 2022-2025)")
        a = int(m.group(1))
        b = int(m.group(2)) if m.group(2) else a
        if b < a:
            raise ValueError(f"{part}: 年份范围颠倒，应写作 {b}-{a} / {part} is a reversed range: "
                             f"write {b}-{a}")
        if not have or b - a > MAX_YEAR_SPAN or a < have[0] or b > have[-1]:
            raise absent(part, part)
        missing = [y for y in range(a, b + 1) if y not in have]
        if missing:
            raise absent(part, ", ".join(map(str, missing)))
        years.update(range(a, b + 1))
    if not years:
        raise ValueError(f"{quote(spec)}: 没有给出年份 / names no year")
    return sorted(years)


_SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_RESERVED_NAMES = {"con", "prn", "aux", "nul", *(f"{d}{k}" for d in ("com", "lpt") for k in range(10))}


def safe_name(text: str) -> str:
    """A file name for an id from the data: safe, length-bounded and collision-free.

    An id made of ASCII letters, digits, ``_``, ``.`` and ``-`` (not starting with ``.`` or
    ``-``, at most :data:`~balance_lib.limits.MAX_NAME_CHARS` characters, not a Windows device
    name) is its own name. Any other id becomes its cleaned start, ``~`` and 16 hex digits of
    its SHA-256: kept names never contain ``~``, so two ids never share a name. The id itself
    stays whole in the manifest (the report's parameters) and on the page.

    >>> safe_name("6523010001"), safe_name("a/b")[:4], len(safe_name("x" * 300))
    ('6523010001', 'a_b~', 80)
    >>> safe_name("../etc/passwd")[:11], safe_name("学校")[:3]
    ('etc_passwd~', 'id~')
    """
    text = str(text)
    if (_SAFE_NAME.fullmatch(text) and len(text) <= MAX_NAME_CHARS and not text.endswith(".")
            and text.split(".")[0].lower() not in _RESERVED_NAMES):
        return text
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    clean = re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("._-")[:MAX_NAME_CHARS - 17]
    return f"{clean or 'id'}~{digest}"


def stem_suffix(lang: str) -> str:
    """What ``lang`` adds to every output stem: nothing for Chinese (the default), ``.en``
    for English, so both languages can share an output folder (``county-year/2025.html`` and
    ``county-year/2025.en.html``; ``index.html`` and ``index.en.html``).

    >>> stem_suffix("zh"), stem_suffix("en")
    ('', '.en')
    """
    return "" if check_lang(lang) == "zh" else f".{lang}"


def index_name(lang: str = "zh") -> str:
    """``index.html`` (Chinese) or ``index.en.html``."""
    return f"index{stem_suffix(lang)}.html"


def manifest_name(lang: str = "zh") -> str:
    """``manifest.json`` (Chinese) or ``manifest.en.json``: one manifest per language."""
    return f"manifest{stem_suffix(lang)}.json"


def declares_parameter(template: Path, name: str) -> bool:
    """Whether the parameters cell of ``template`` declares ``name`` (e.g. ``lang``)."""
    cells = json.loads(Path(template).read_text(encoding="utf-8")).get("cells", [])
    for cell in cells:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            source = "".join(cell.get("source", []))
            return re.search(rf"(?m)^{re.escape(name)}\s*[:=]", source) is not None
    return False


def plan_jobs(data: Path, years: Sequence[int], schools: Sequence[str],
              params: Path | None = None, school_names: dict[str, str] | None = None,
              trend: bool = True,
              scenarios: Sequence[tuple[Path, str]] = (), lang: str = "zh",
              indicators: Path | None = None, mapping: Path | None = None,
              plans: Sequence[Mapping[str, Any]] = (),
              county: str | None = None) -> list[Job]:
    """The jobs of a batch: every year, every school, the trend, then each scenario
    (``(file, name)`` pairs), then each plan (``{"by": 2029, "scenario": path, "costs": path,
    "budget": 元}``, the last three optional) — all with absolute paths.

    ``lang``, ``indicators`` (a provincial indicator file) and ``mapping`` (a header mapping
    file) go to every template that declares them; English stems end in ``.en``
    (:func:`stem_suffix`). ``county``: the reports of one county of data holding several
    (a province): each gets the parameter ``county`` and lives in the county's folder
    (:func:`county_folder`).
    """
    data = Path(data).resolve()
    common = {"data": str(data), "params": str(Path(params).resolve()) if params else ""}
    names = school_names or {}
    sfx = stem_suffix(lang)
    prefix = f"{county_folder(county)}/" if county is not None else ""

    def job(kind: str, stem: str, title: str, **parameters: Any) -> Job:
        if county is not None:
            parameters["county"] = str(county)
        return _job(kind, prefix + stem + sfx, title, common, parameters, lang, indicators,
                    mapping)

    jobs = [job("county-year", f"county-year/{y}", label("job_county_year", lang, year=y),
                year=int(y)) for y in years]
    jobs += [job("school", f"school/{safe_name(s)}",
                 label("job_school", lang, name=names.get(s, s), school_id=s),
                 school_id=str(s)) for s in schools]
    if trend and years:
        jobs.append(job("trend", "trend", label("job_trend", lang, year_from=min(years),
                                                year_to=max(years)),
                        year_from=int(min(years)), year_to=int(max(years))))
    jobs += [job("scenario", f"scenario/{safe_name(Path(f).stem)}",
                 label("job_scenario", lang, name=name),
                 scenario=str(Path(f).resolve()), to=0) for f, name in scenarios]
    for p in plans:
        by = int(p["by"])
        scen = str(Path(p["scenario"]).resolve()) if p.get("scenario") else ""
        costs = str(Path(p["costs"]).resolve()) if p.get("costs") else ""
        budget = float(p.get("budget") or 0.0)
        stem = f"plan/{by}" + (f"-{safe_name(Path(scen).stem)}" if scen else "") + (
            f"-{budget:.0f}" if budget else "")
        from . import formats  # here: numpy, which the rebuild of unchanged inputs avoids

        extra = (f" · {Path(scen).stem}" if scen else "") + (
            f" · {formats.money(budget)}" if budget else "")
        jobs.append(job("plan", stem, label("job_plan", lang, by=by, extra=extra), by=by,
                        scenario=scen, costs=costs, budget=budget))
    return jobs


def _job(kind: str, stem: str, title: str, common: dict[str, Any], parameters: dict[str, Any],
         lang: str, indicators: Path | None, mapping: Path | None) -> Job:
    """A job of ``kind``: the parameters its template declares (``lang``, a provincial
    indicator file, a header mapping) added to ``common`` and ``parameters``."""
    if declares_parameter(TEMPLATES[kind], "lang"):
        parameters["lang"] = lang
    if indicators and declares_parameter(TEMPLATES[kind], "indicators"):
        parameters["indicators"] = str(Path(indicators).resolve())
    if mapping is not None and declares_parameter(TEMPLATES[kind], "mapping"):
        parameters["mapping"] = str(Path(mapping).resolve())
    return Job(kind, stem, title, {**common, **parameters})


# --- data of several counties: a folder per county, the province page, their indexes -------


def county_folder(county_id: str) -> str:
    """The folder of one county's reports under the output folder: its id, made safe for a
    file name (:func:`safe_name`).

    >>> county_folder("652301"), county_folder("../x")[:2]
    ('652301', 'x~')
    """
    return safe_name(str(county_id))


def province_job(data: Path, year: int, params: Path | None = None, lang: str = "zh",
                 indicators: Path | None = None, mapping: Path | None = None,
                 linked: Sequence[str] = ()) -> Job:
    """The province page (``province.html``, beside the index): every county of the data in
    ``year``; ``linked``: the counties whose own reports are rendered (the page links them)."""
    data = Path(data).resolve()
    common = {"data": str(data), "params": str(Path(params).resolve()) if params else ""}
    return _job("province", f"province{stem_suffix(lang)}",
                label("job_province", lang, year=year), common,
                {"year": int(year), "linked": ",".join(map(str, linked))}, lang, indicators,
                mapping)


@dataclass(frozen=True)
class CountyEntry:
    """What the main index says about one county of a province: its verdict in the latest
    year rendered, and whether its own reports were chosen (``--counties``)."""

    county_id: str
    status: str
    year: int
    rendered: bool
    #: the title of the county's own index
    title: str = ""
    #: the county's results for its index (:func:`balance_lib.dashboard.summary`)
    dashboard: dict[str, Any] | None = field(default=None, compare=False, hash=False)


def county_index_pages(reports: dict[str, dict[str, Any]], counties: Sequence[CountyEntry],
                       title: str, note: str | None, lang: str = "zh",
                       out_dir: Path | None = None) -> dict[str, str]:
    """The index pages of a province's batch, by path under the output folder: the main
    index (:func:`balance_lib.dashboard.province_index_page`: the answer, the province page,
    one row per county with its verdict and a link to its reports) and each rendered county's
    own index (:func:`balance_lib.dashboard.dashboard_page`, with a way back). With
    ``out_dir``, every report gets its navigation bar (:func:`apply_navigation`): a county's
    reports lead back to the county's index, the province page to the main index."""
    from .dashboard import province_index_page
    from .pages import link_bar

    sfx = stem_suffix(lang)
    pages: dict[str, str] = {}
    every = sorted((_outcome(stem, e) for stem, e in reports.items()),
                   key=lambda o: (_ORDER.get(o.kind, 9), o.stem))
    province = next((o for o in every if o.kind == "province" and o.stem == f"province{sfx}"),
                    None)
    for c in counties:
        if not c.rendered:
            continue
        folder = county_folder(c.county_id)
        mine = [_rebased(o, folder) for o in every if o.stem.startswith(folder + "/")]
        where = Path(out_dir) / folder if out_dir is not None else None
        if where is not None:
            apply_navigation(where, mine, lang)
        back = [(f"../{index_name(lang)}", label("index_back", lang))]
        if province is not None and province.html:
            back.append((f"../{province.html}", label("kind_province", lang)))
        pages[f"{folder}/{index_name(lang)}"] = index_page(
            mine, c.title or c.county_id, note, lang, dashboard=c.dashboard, out_dir=where,
            nav=link_bar(back))
    if out_dir is not None:
        apply_navigation(Path(out_dir), [o for o in every if o.kind == "province"], lang)
    pages[index_name(lang)] = province_index_page(province, list(counties), every, title, note,
                                                  lang, out_dir=out_dir)
    return pages


def _rebased(o: Outcome, folder: str) -> Outcome:
    """``o`` with its stem and paths relative to its county's folder (for the county's
    index, its navigation and its problem pages)."""
    def rel(path: str | None) -> str | None:
        return path[len(folder) + 1:] if path and path.startswith(folder + "/") else path

    return Outcome(rel(o.stem) or o.stem, o.kind, o.title, o.parameters, o.input_hash,
                   o.status, o.duration_s, o.error, rel(o.html), rel(o.notebook), o.attempts)


def status_word(status: str, lang: str = "zh") -> str:
    from .words import status_label

    return status_label(status, lang)


def _hash_path(h: Any, path: Path) -> None:
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for p in files:
        h.update(str(p.relative_to(path) if path.is_dir() else p.name).encode())
        h.update(p.read_bytes())


def data_hash(data: Path, params: Path | None, indicators: Path | None = None,
              mapping: Path | None = None) -> str:
    """Digest of the data (every file of a folder), the settings file in force, the indicator
    registry, a provincial indicator file, the header mapping file and the word table."""
    from .paths import REGISTRY_FILE, WORDS_FILE

    h = hashlib.sha256()
    _hash_path(h, Path(data))
    _hash_path(h, Path(params) if params else STANDARDS_FILE)
    for part in (REGISTRY_FILE, WORDS_FILE, *(Path(f) for f in (indicators, mapping) if f)):
        _hash_path(h, part)
    return h.hexdigest()


@lru_cache(maxsize=16)
def _template_bytes(path: Path, mtime_ns: int) -> bytes:
    return path.read_bytes()


def input_hash(job: Job, base: str) -> str:
    """Data + settings (``base``) + template + package version + the job's parameters
    (+ the scenario file of a scenario report)."""
    h = hashlib.sha256(base.encode())
    h.update(_template_bytes(job.template, job.template.stat().st_mtime_ns))
    h.update(package_version().encode())
    h.update(json.dumps(job.parameters, sort_keys=True).encode())
    for key in ("scenario", "costs"):  # the scenario and cost files are inputs too
        if job.parameters.get(key):
            _hash_path(h, Path(job.parameters[key]))
    if job.kind == "plan" and not job.parameters.get("costs"):
        _hash_path(h, COSTS_FILE)
    return h.hexdigest()


def _text_of(path: Path) -> str:
    """The text of a data or settings file for :func:`expected_characters` (a workbook's
    XML parts; bytes that are not UTF-8 read as GB18030); empty when it cannot be read."""
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            import zipfile

            with zipfile.ZipFile(path) as z:
                return "".join(z.read(n).decode("utf-8", "ignore") for n in z.namelist()
                               if n.endswith(".xml"))
        raw = path.read_bytes()
    except (OSError, ValueError):
        return ""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("gb18030", "ignore")


_EXPECTED: dict[tuple, str] = {}


def expected_characters(job: Job) -> str:
    """Every character a report of ``job`` can show: the word table, the registry, and the
    data, settings, indicator, mapping, scenario and cost files of its parameters (a plan's
    default cost file too; cached per files and their modification times). Pages are made of
    these texts and of digits, so the worker's font base
    (:func:`balance_lib.htmlfont.expect`) holds every glyph they need."""
    from .paths import REGISTRY_FILE, WORDS_FILE

    roots = [WORDS_FILE, REGISTRY_FILE, STANDARDS_FILE,
             *(Path(v) for k, v in sorted(job.parameters.items())
               if k in ("data", "params", "indicators", "mapping", "scenario", "costs") and v),
             *([COSTS_FILE] if job.kind == "plan" and not job.parameters.get("costs") else [])]
    files = []
    for r in roots:
        files += sorted(f for f in r.rglob("*") if f.is_file()) if r.is_dir() else [r]
    stats = [(str(f), f.stat()) for f in files if f.is_file()]
    key = tuple((name, s.st_mtime_ns, s.st_size) for name, s in stats)
    if key not in _EXPECTED:
        _EXPECTED.clear()
        _EXPECTED[key] = "".join(sorted(set("".join(_text_of(f) for f in files))))
    return _EXPECTED[key]


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

    return html_page(nbformat.read(notebook_path, as_version=4))


def _is_kernel_start_failure(exc: BaseException) -> bool:
    text = f"{type(exc).__name__}: {exc}"
    return any(s in text for s in ("Kernel didn't respond", "ZMQError", "Address already in use",
                                   "Kernel died before replying", "TimeoutError"))


def run_job(job: Job, out_dir: str, kernel_name: str = KERNEL_NAME,
            start_timeout: int = START_TIMEOUT, retries: int = KERNEL_START_RETRIES) -> dict[str, Any]:
    """Execute one report and convert it (runs in a worker process). Never raises."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    t0 = time.perf_counter()
    out, nb_path, html_path, tmp_nb, result = _prepare(job, out_dir)
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
        return _publish(to_html(Path(tmp_nb)), html_path, out, result)
    except Exception as exc:  # noqa: BLE001 - conversion errors are recorded, not fatal
        result["error"] = f"{type(exc).__name__}: {exc}"
        return result
    finally:
        _keep_notebook(tmp_nb, nb_path)
        result["duration_s"] = round(time.perf_counter() - t0, 3)


def _prepare(job: Job, out_dir: str) -> tuple[Path, Path, Path, str, dict[str, Any]]:
    """Paths of a report, a temporary notebook beside its final place, and a failed result
    to be filled in (a report counts as failed until its HTML is written)."""
    out = Path(out_dir)
    nb_path = out / f"{job.stem}.ipynb"
    html_path = out / f"{job.stem}.html"
    nb_path.parent.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"status": "failed", "error": None, "attempts": 0,
                              "notebook": str(nb_path.relative_to(out)), "html": None}
    fd, tmp_nb = tempfile.mkstemp(prefix=temporary_prefix(nb_path.name), suffix=".ipynb",
                                  dir=nb_path.parent)
    os.close(fd)
    _CURRENT.update(out=str(out), tmp=tmp_nb)
    return out, nb_path, html_path, tmp_nb, result


#: The job a worker is running: what it removes when it is stopped (lifecycle.on_stop).
_CURRENT: dict[str, str] = {}


def _worker_cleanup() -> None:
    """A stopped worker: kill its kernels, remove its temporary notebook and files."""
    shutdown_warm_kernels()
    if _CURRENT.get("tmp"):
        Path(_CURRENT["tmp"]).unlink(missing_ok=True)
    if _CURRENT.get("out"):
        remove_stale_temporaries(_CURRENT["out"], also_pid=os.getpid())


def _init_worker(parent_pid: int) -> None:
    """Pool initializer: the worker dies with the batch and cleans up when stopped."""
    from .lifecycle import on_stop, worker_init

    on_stop(_worker_cleanup)
    worker_init(parent_pid)


def _publish(page: str, html_path: Path, out: Path, result: dict[str, Any]) -> dict[str, Any]:
    """Write a finished report's HTML atomically and mark its result ``ok``."""
    write_atomic(html_path, page.encode("utf-8"))
    result.update(status="ok", error=None, html=str(html_path.relative_to(out)))
    return result


def _keep_notebook(tmp_nb: str | Path, nb_path: Path) -> None:
    """Move the (possibly partial) executed notebook into place; drop an empty temporary."""
    tmp = Path(tmp_nb)
    if tmp.exists():
        if tmp.stat().st_size:
            os.replace(tmp, nb_path)
        else:
            tmp.unlink()


# --- kernel reuse -------------------------------------------------------------------------------

#: namespace, execution count, history; then what survives (modules, the evaluation caches)
#: is frozen out of the collector's scans (``gc.freeze``): the reset's full ``gc.collect`` and
#: the collections while the next report runs look only at what that report makes (a quarter
#: of a school report's kernel time was the reset's collection of every module's objects)
_RESET_CODE = "get_ipython().reset(new_session=True); import gc as _gc; _gc.freeze(); del _gc"
_KERNEL_ARGS = ["--HistoryManager.enabled=False", "--IPKernelApp.log_level=ERROR"]


def _html_exporter() -> Any:
    """The exporter of ``jupyter nbconvert --to balance`` (:mod:`balance_lib.exporter`)."""
    from .exporter import BalanceExporter

    return BalanceExporter()


def html_page(nb: Any, exporter: Any = None) -> str:
    """An executed notebook node → the report page (reuse ``exporter``): no code, offline
    (checked), the Chinese font subset embedded (:mod:`balance_lib.htmlfont`, so it reads
    correctly without a CJK font), its title and print styles (:mod:`balance_lib.pages`) —
    exactly what ``jupyter nbconvert --to balance`` writes."""
    page, _ = (exporter or _html_exporter()).from_notebook_node(nb)
    return page


def _warm_engine() -> str:
    """Register (once) the papermill engine that runs a notebook in a :class:`WarmKernel`."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines

    name = "balance-warm"
    if name in papermill_engines._engines:
        return name

    class WarmEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False,
                                     stdout_file=None, stderr_file=None, start_timeout=60,
                                     execution_timeout=None, warm=None, **kwargs):
            import logging

            client = PapermillNotebookClient(
                nb_man, km=warm.km, kernel_name=kernel_name, timeout=execution_timeout,
                startup_timeout=start_timeout, log=logging.getLogger("papermill"),
                log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file)
            client.kc = warm.kc  # the worker's client: no new channels per report
            # papermill writes the whole notebook (its images too) at every cell's start and
            # end: 30 writes of a school report; the kept notebook is written when it ends
            # (``notebook_complete``, also after a failure or a timeout) and not in between
            save, nb_man.save = nb_man.save, lambda **kw: None
            try:
                return client.execute()
            finally:
                nb_man.save = save

    papermill_engines.register(name, WarmEngine)
    return name


class WarmKernel:
    """One kernel kept alive for many reports (one per worker), reset between reports.

    ``run(job, out_dir)`` has the contract of :func:`run_job`. The kernel starts on first use
    (retried on start failures, papermill #239/#511) and is replaced after a failed report.
    """

    def __init__(self, kernel_name: str = KERNEL_NAME, start_timeout: int = START_TIMEOUT,
                 retries: int = KERNEL_START_RETRIES) -> None:
        self.kernel_name = kernel_name
        self.start_timeout = start_timeout
        self.retries = retries
        self.km: Any = None
        self.kc: Any = None
        self.runs = 0  # reports run in the current kernel
        self.starts = 0  # kernels started by this worker
        self._dirty = False
        self._exporter: Any = None
        self._ipc_dir: str | None = None

    @property
    def alive(self) -> bool:
        return self.km is not None and self.km.has_kernel

    def _start_once(self) -> None:
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        self._ipc_dir = tempfile.mkdtemp(prefix=kernel_dir_prefix())
        # sockets and connection file in one private folder, removed with the kernel (and by
        # the next run if this worker is killed)
        km = AsyncKernelManager(kernel_name=self.kernel_name, transport="ipc",
                                ip=os.path.join(self._ipc_dir, "k"),
                                connection_file=os.path.join(self._ipc_dir, "kernel.json"))
        env = {**os.environ, "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
        self.km = km
        run_sync(km.start_kernel)(extra_arguments=_KERNEL_ARGS, env=env)
        kc = km.client()
        kc.start_channels()
        run_sync(kc.wait_for_ready)(timeout=self.start_timeout)
        kc.allow_stdin = False
        self.kc = kc
        self.runs = 0
        self.starts += 1
        self._dirty = False

    def start(self) -> int:
        """Start the kernel if needed; returns the attempts used (0 when already running)."""
        if self.alive and not self._dirty:
            return 0
        self.shutdown()
        for attempt in range(1, self.retries + 1):
            try:
                self._start_once()
                return attempt
            except Exception as exc:  # noqa: BLE001 - start races: retry, then raise
                self.shutdown()
                if not _is_kernel_start_failure(exc) or attempt == self.retries:
                    raise
                time.sleep(0.5 * attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def execute(self, code: str, timeout: float = 60) -> dict[str, Any]:
        """Run ``code`` in the kernel without touching the history; returns the reply content."""
        from jupyter_core.utils import run_sync

        reply = run_sync(self.kc.execute_interactive)(code, store_history=False, timeout=timeout,
                                                      output_hook=lambda msg: None)
        return reply["content"]

    def reset(self) -> None:
        """Clear the namespace between reports (modules stay imported)."""
        if self.runs:
            content = self.execute(_RESET_CODE)
            if content.get("status") != "ok":
                raise RuntimeError(f"kernel reset failed: {content.get('evalue')}")

    def shutdown(self) -> None:
        """Kill the kernel (no event loop needed: callable from any thread, and at exit)."""
        kc, km, self.kc, self.km = self.kc, self.km, None, None
        try:
            if kc is not None:
                kc.stop_channels()
            proc = getattr(getattr(km, "provisioner", None), "process", None)
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(10)
            if km is not None and km.connection_file:
                Path(km.connection_file).unlink(missing_ok=True)
        except Exception:  # noqa: BLE001 - best effort: the kernel may already be gone
            pass
        finally:
            if self._ipc_dir:
                shutil.rmtree(self._ipc_dir, ignore_errors=True)
                self._ipc_dir = None

    def run(self, job: Job, out_dir: str) -> dict[str, Any]:
        """Execute one report in this kernel and convert it. Never raises."""
        import papermill as pm
        from papermill.exceptions import PapermillExecutionError

        t0 = time.perf_counter()
        out, nb_path, html_path, tmp_nb, result = _prepare(job, out_dir)
        try:
            try:
                result["attempts"] = max(1, self.start())
                result["kernel_reused"] = self.runs > 0
                self.reset()
            except Exception as exc:  # noqa: BLE001 - no kernel: this report fails, next retries
                self._dirty = True
                result["error"] = f"{type(exc).__name__}: {exc}"
                return result
            try:
                self.runs += 1
                nb = pm.execute_notebook(str(job.template), tmp_nb, parameters=job.parameters,
                                         engine_name=_warm_engine(), kernel_name=self.kernel_name,
                                         start_timeout=self.start_timeout, progress_bar=False,
                                         log_output=False, warm=self)
            except PapermillExecutionError as exc:
                self._dirty = True  # isolation: the next report gets a fresh kernel
                result["error"] = f"{exc.ename}: {exc.evalue}"
                return result
            except Exception as exc:  # noqa: BLE001 - dead kernel, timeout: recorded, restart
                self._dirty = True
                result["error"] = f"{type(exc).__name__}: {exc}"
                return result
            if self._exporter is None:
                self._exporter = _html_exporter()
            expect_font(expected_characters(job))  # a fast font subset (same bytes)
            return _publish(html_page(nb, self._exporter), html_path, out, result)
        except Exception as exc:  # noqa: BLE001 - conversion errors are recorded, not fatal
            result["error"] = f"{type(exc).__name__}: {exc}"
            return result
        finally:
            _keep_notebook(tmp_nb, nb_path)
            result["duration_s"] = round(time.perf_counter() - t0, 3)


_LOCAL = threading.local()
_ALL_WARM: list[WarmKernel] = []
_ALL_LOCK = threading.Lock()


def shutdown_warm_kernels() -> int:
    """Shut down every kernel kept by this process (pool and Dask workers call it at exit)."""
    with _ALL_LOCK:
        kernels = list(_ALL_WARM)
        _ALL_WARM.clear()
    for k in kernels:
        k.shutdown()
    _LOCAL.__dict__.pop("warm", None)
    return len(kernels)


def _warm_kernel() -> WarmKernel:
    warm = getattr(_LOCAL, "warm", None)
    if warm is None:
        warm = _LOCAL.warm = WarmKernel()
        with _ALL_LOCK:
            first = not _ALL_WARM
            _ALL_WARM.append(warm)
        if first:
            import atexit
            from multiprocessing import util

            atexit.register(shutdown_warm_kernels)
            util.Finalize(None, shutdown_warm_kernels, exitpriority=10)  # pool workers os._exit
    return warm


#: Reports run by this process (its pool or Dask worker threads), for diagnostics.
_REPORTS_RUN = [0]


def reports_run() -> int:
    """How many reports this process has run (``client.run(reports_run)`` on a cluster)."""
    return _REPORTS_RUN[0]


def run_job_warm(job: Job, out_dir: str) -> dict[str, Any]:
    """:func:`run_job` in the calling worker's kept kernel (started on first use)."""
    with _ALL_LOCK:
        _REPORTS_RUN[0] += 1
    return _warm_kernel().run(job, out_dir)


def load_manifest(out_dir: Path, lang: str = "zh") -> dict[str, Any]:
    path = Path(out_dir) / manifest_name(lang)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _kind(kind: str, lang: str) -> str:
    return label(f"kind_{kind}", lang) if has(f"kind_{kind}") else kind


def index_page(outcomes: Iterable[Outcome], title: str, note: str | None,
               lang: str = "zh", *, dashboard: Any = None, out_dir: Path | None = None,
               nav: str = "") -> str:
    """``index.html``: the county's results per year and school with links to the reports
    (:mod:`balance_lib.dashboard`); names from the data are escaped. ``nav``: a navigation
    bar above the title (:func:`balance_lib.pages.link_bar`)."""
    from .dashboard import dashboard_page

    return dashboard_page(list(outcomes), title, note, lang, summary=dashboard, out_dir=out_dir,
                          documents=index_documents(out_dir, lang) if out_dir else None,
                          nav=nav)


# --- navigation between reports and problem pages (called once per batch) --------------------


def problem_name(stem: str) -> str:
    """Where the readable problem page of a failed report goes: ``school/ID.problem.html``."""
    return f"{stem}.problem.html"


def _relative(target: str, page: str) -> str:
    return os.path.relpath(target, os.path.dirname(page) or ".").replace(os.sep, "/")


def apply_navigation(out_dir: Path, outcomes: Sequence[Outcome], lang: str = "zh", *,
                     known: dict[str, str] | None = None,
                     fresh: frozenset[str] = frozenset()) -> tuple[int, dict[str, str]]:
    """Give every report of the folder (``outcomes``, in index order) its bar: back to the
    index, previous and next report of the same kind (years in order, schools in the plan's
    order), and write a problem page for every failed report. A page is rewritten only when its
    bar changed (an unchanged rebuild writes nothing), and not even read when ``known`` (the
    digests of the bars the pages got before, kept in the manifest) holds its bar and it is not
    one of the ``fresh`` pages of this run. Returns the pages written and the digests of the
    bars."""
    from .pages import navigation, problem_page, set_navigation

    out_dir = Path(out_dir)
    index = index_name(lang)
    known = known or {}
    digests: dict[str, str] = {}
    written = 0
    by_kind: dict[str, list[Outcome]] = {}
    for o in outcomes:
        if o.html:
            by_kind.setdefault(o.kind, []).append(o)
    for group in by_kind.values():
        for k, o in enumerate(group):
            prev = group[k - 1] if k else None
            nxt = group[k + 1] if k + 1 < len(group) else None
            nav = navigation(_relative(index, o.html),
                             (_relative(prev.html, o.html), prev.title) if prev else None,
                             (_relative(nxt.html, o.html), nxt.title) if nxt else None, lang)
            digest = hashlib.sha256(nav.encode("utf-8")).hexdigest()
            path = out_dir / o.html
            if known.get(o.stem) == digest and o.stem not in fresh and path.is_file():
                digests[o.stem] = digest
                continue
            try:
                page = path.read_text(encoding="utf-8")
            except OSError:
                continue
            new = set_navigation(page, nav)
            if new != page:
                write_atomic(path, new.encode("utf-8"))
                written += 1
            digests[o.stem] = digest
    for o in outcomes:
        if o.status == "failed":
            name = problem_name(o.stem)
            page = problem_page(label("problem_title", lang, title=o.title), o.error,
                                _relative(index, name), lang)
            digest = hashlib.sha256(page.encode("utf-8")).hexdigest()
            target = out_dir / name
            digests[name] = digest
            if known.get(name) == digest and target.is_file():
                continue  # the same page as before: no font to cut, nothing to write
            page = embed_cjk_font(page)
            old = target.read_text(encoding="utf-8") if target.is_file() else None
            if old != page:
                target.parent.mkdir(parents=True, exist_ok=True)
                write_atomic(target, page.encode("utf-8"))
                written += 1
    return written, digests


def index_documents(out_dir: Path, lang: str = "zh") -> tuple[str, frozenset[str]]:
    """The index's section of the documents filed beside the reports (forms workbook, ledger,
    自评报告 draft, each with its count or verdict line: :mod:`balance_lib.documents`) and the
    names of the files it links."""
    from .documents import documents_html, filed_documents

    docs = filed_documents(out_dir)
    return documents_html(docs, lang), frozenset(d.name for d in docs)


@dataclass
class BatchResult:
    outcomes: list[Outcome]
    duration_s: float
    lang: str = "zh"
    index: str = "index.html"

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    def summary(self) -> str:
        n = {s: sum(o.status == s for o in self.outcomes) for s in ("ok", "skipped", "failed")}
        return label("batch_summary", self.lang, n=len(self.outcomes), ok=n["ok"],
                     skipped=n["skipped"], failed=n["failed"], s=f"{self.duration_s:.1f}")


def _collect(futures: dict[Any, tuple[Job, str]], completed: Callable[[Any], Iterable[Any]],
             ) -> Iterable[tuple[Job, str, dict[str, Any]]]:
    """Each finished report as it completes; a dead or lost worker fails that report only."""
    for fut in completed(futures):
        job, digest = futures[fut]
        try:
            r = fut.result()
        except Exception as exc:  # noqa: BLE001 - one report fails, the batch goes on
            r = {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}
        yield job, digest, r


def _run_local(todo: list[tuple[Job, str]], out_dir: Path, workers: int,
               runner: Callable[..., dict[str, Any]]) -> Iterable[tuple[Job, str, dict[str, Any]]]:
    """The jobs in a pool of worker processes that die with this one (:mod:`lifecycle`); when
    the batch is left early (a signal, an error) every worker and kernel is stopped."""
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"),
                               initializer=_init_worker, initargs=(os.getpid(),))
    try:
        futures = {pool.submit(runner, job, str(out_dir)): (job, digest) for job, digest in todo}
        yield from _collect(futures, as_completed)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        end_process_tree()
        raise
    pool.shutdown(wait=True)


def _run_dask(todo: list[tuple[Job, str]], out_dir: Path, runner: Callable[..., dict[str, Any]],
              scheduler: Any, keep_kernels: bool) -> Iterable[tuple[Job, str, dict[str, Any]]]:
    """The same jobs on a Dask cluster (``client.submit``): each worker thread keeps a kernel.

    ``scheduler``: an address (``tcp://host:8786``) or a ``distributed.Client``. Workers must
    see the data and ``out_dir`` at the same absolute paths (a shared file system).
    """
    from distributed import Client
    from distributed import as_completed as dask_completed

    own = not isinstance(scheduler, Client)
    client = Client(scheduler) if own else scheduler
    try:
        futures = {client.submit(runner, job, str(out_dir), pure=False,
                                 key=f"balance-report-{safe_name(job.stem)}-{digest[:12]}-"
                                     f"{os.urandom(4).hex()}"): (job, digest)
                   for job, digest in todo}
        yield from _collect(futures, dask_completed)
        if not keep_kernels:
            client.run(shutdown_warm_kernels)
    finally:
        if own:
            client.close()


#: Seconds between two updates of the manifest while a batch runs (and one at the end).
MANIFEST_EVERY_S = 2.0
#: The lock file shared by every run on one output folder.
LOCK_NAME = ".balance-report.lock"
_ORDER = {"province": -1, "county-year": 0, "school": 1, "trend": 2, "scenario": 3, "plan": 4}


def _manifest_lock(out_dir: Path) -> Any:
    from filelock import FileLock

    return FileLock(str(Path(out_dir) / LOCK_NAME), timeout=600)


def _outcome(stem: str, entry: dict[str, Any]) -> Outcome:
    """A manifest entry back as an :class:`Outcome` (for the index)."""
    names = {f for f in Outcome.__dataclass_fields__ if f not in ("stem", "extra")}
    known = {k: v for k, v in entry.items() if k in names}
    known.setdefault("kind", "")
    known.setdefault("title", stem)
    known.setdefault("parameters", {})
    known.setdefault("input_hash", "")
    known.setdefault("status", "failed")
    return Outcome(stem, **known)


def cached_dashboard(out_dir: Path, base_hash: str, lang: str = "zh") -> dict[str, Any] | None:
    """The index's results (:func:`balance_lib.dashboard.summary`) the manifest of ``out_dir``
    keeps for inputs of ``base_hash`` (:func:`data_hash`), or None: a rebuild of unchanged
    inputs does not evaluate the county again."""
    kept = load_manifest(out_dir, lang).get("dashboard") or {}
    return kept.get("summary") if kept.get("input_hash") == base_hash else None


#: Bumped when what :func:`cached_plan` keeps changes meaning (an older entry is then unused).
PLAN_CACHE_VERSION = 1


def plan_key(base_hash: str, options: Mapping[str, Any], files: Iterable[Path] = ()) -> str:
    """The key of a batch's plan (:func:`cached_plan`): the inputs' digest (``base_hash``,
    :func:`data_hash`), the command's options and the contents of the other files it reads
    (scenario and cost files)."""
    h = hashlib.sha256(f"{PLAN_CACHE_VERSION}\0{package_version()}\0{base_hash}\0".encode())
    h.update(json.dumps(options, sort_keys=True, default=str).encode())
    for f in files:
        _hash_path(h, Path(f))
    return h.hexdigest()


def cached_plan(out_dir: Path, key: str, lang: str = "zh") -> dict[str, Any] | None:
    """What planning a batch of ``key`` (:func:`plan_key`) found the last time, kept in the
    manifest of ``out_dir``: its jobs (as :class:`Job`), the schools set aside with their
    problems, the title, the data's description and the warnings printed; None when the key
    differs. Only plans whose inputs passed validation are kept, so a rebuild of unchanged
    inputs hashes them but does not read, validate or evaluate them again."""
    kept = load_manifest(out_dir, lang).get("plan") or {}
    if kept.get("key") != key:
        return None
    try:
        return {**kept, "jobs": [Job(**j) for j in kept["jobs"]]}
    except (KeyError, TypeError):
        return None


def plan_entry(key: str, jobs: Sequence[Job], **facts: Any) -> dict[str, Any]:
    """The manifest's record of a plan (:func:`cached_plan`); ``facts`` must be JSON."""
    return {"key": key, "jobs": [asdict(j) for j in jobs], **facts}


def save_manifest(out_dir: Path, outcomes: Iterable[Outcome], lang: str = "zh", *,
                  title: str | None = None, note: str | None = None,
                  dashboard: Any = None, base_hash: str | None = None,
                  counties: Sequence[CountyEntry] | None = None,
                  plan_record: dict[str, Any] | None = None) -> dict[str, Any]:
    """Merge ``outcomes`` into the manifest of ``out_dir`` under the folder's lock, then write
    it (and the index, when ``title`` is given) from *every* entry: reports of other runs, and
    of other ``--schools`` or ``--years`` before, are kept; those rebuilt now are replaced.
    ``dashboard`` is kept with ``base_hash`` (:func:`cached_dashboard`); the index is written
    only when its text changed (its digest before the font is in the manifest). ``counties``:
    data of several counties, whose indexes are :func:`county_index_pages`. ``plan_record``:
    the batch's plan (:func:`plan_entry`), kept until another replaces it. Returns the merged
    manifest."""
    out_dir = Path(out_dir)
    outcomes = list(outcomes)
    with _manifest_lock(out_dir):
        old = load_manifest(out_dir, lang)
        reports = dict(old.get("reports", {}))
        for o in outcomes:
            reports[o.stem] = {k: v for k, v in asdict(o).items() if k not in ("stem", "extra")}
        manifest = {"package_version": package_version(), "reports": reports}
        if dashboard is not None and base_hash is not None:
            manifest["dashboard"] = {"input_hash": base_hash, "summary": dashboard}
        elif old.get("dashboard"):
            manifest["dashboard"] = old["dashboard"]
        if plan_record is not None or old.get("plan"):
            manifest["plan"] = plan_record if plan_record is not None else old["plan"]
        if title is not None and counties is not None:
            for path, page in county_index_pages(reports, counties, title, note, lang,
                                                 out_dir).items():
                write_atomic(out_dir / path, embed_cjk_font(page).encode("utf-8"))
        elif title is not None:
            every = sorted((_outcome(stem, e) for stem, e in reports.items()),
                           key=lambda o: (_ORDER.get(o.kind, 9), o.stem))
            # every report of the folder, not this run's; those not rebuilt now and whose bar
            # is the one they got before are not read again
            fresh = frozenset(o.stem for o in outcomes if o.status != "skipped")
            _, manifest["navigation"] = apply_navigation(
                out_dir, every, lang, known=old.get("navigation"), fresh=fresh)
            target = out_dir / index_name(lang)
            # what the index is made of: when it is what it was, the page is not built again
            # (building it formats the county's results: numpy, the registry, pandas)
            made_of = None if base_hash is None else _index_inputs(
                reports, title, note, lang, dashboard, base_hash, out_dir)
            if made_of is not None and old.get("index_inputs") == made_of and target.is_file():
                manifest["index_digest"] = old.get("index_digest")
            else:
                page = index_page(every, title, note, lang, dashboard=dashboard,
                                  out_dir=out_dir)
                digest = hashlib.sha256(page.encode("utf-8")).hexdigest()
                if old.get("index_digest") != digest or not target.is_file():
                    write_atomic(target, embed_cjk_font(page).encode("utf-8"))
                manifest["index_digest"] = digest
            if made_of is not None:
                manifest["index_inputs"] = made_of
        else:
            for key in ("index_digest", "index_inputs", "navigation"):
                if old.get(key):
                    manifest[key] = old[key]
        write_atomic(out_dir / manifest_name(lang), json.dumps(
            manifest, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8"))
    return manifest


def _index_inputs(reports: Mapping[str, Any], title: str, note: str | None, lang: str,
                  dashboard: Any, base_hash: str, out_dir: Path) -> str:
    """Digest of what :func:`index_page` reads: every report's entry, the title, note and
    county results, the inputs (``base_hash``: the word table and registry too), the package,
    and the files beside the index it links or describes (documents by size and time)."""
    own = {index_name(lang), manifest_name(lang), LOCK_NAME}
    files = []
    for p in sorted(out_dir.iterdir()):
        if p.name in own or not p.is_file():
            continue
        st = p.stat() if p.suffix.lower() in (".xlsx", ".docx") else None
        files.append([p.name, st.st_size if st else 0, st.st_mtime_ns if st else 0])
    h = hashlib.sha256(json.dumps(
        [package_version(), base_hash, lang, title, note, dashboard, reports, files],
        sort_keys=True, ensure_ascii=False, default=str).encode("utf-8"))
    return h.hexdigest()


def render_batch(jobs: Sequence[Job], out_dir: Path, *, base_hash: str, n_jobs: int | None = None,
                 force: bool = False, note: str | None = None, title: str | None = None,
                 progress: bool = True, runner: Callable[..., dict[str, Any]] = run_job_warm,
                 executor: str = "local", scheduler: Any = None,
                 keep_kernels: bool = False, lang: str = "zh",
                 dashboard: Any = None,
                 counties: Sequence[CountyEntry] | None = None,
                 plan_record: dict[str, Any] | None = None) -> BatchResult:
    """Run ``jobs`` in a bounded process pool (or on Dask), then write the manifest and index.

    ``executor="local"``: ``n_jobs`` worker processes (default: cores), each keeping one kernel
    for its reports (``runner=run_job`` starts one kernel per report instead).
    ``executor="dask"``: ``client.submit`` to ``scheduler`` (address or ``distributed.Client``);
    the workers' kernels are shut down at the end unless ``keep_kernels``.
    ``lang``: the language of the index, which is ``index.html`` with ``manifest.json`` for
    Chinese and ``index.en.html`` with ``manifest.en.json`` for English (plan the jobs with the
    same ``lang``: their stems carry the same suffix).
    ``counties``: data of several counties (a province): the index is the main index of
    :func:`county_index_pages`, and each rendered county gets its own.
    ``plan_record``: how ``jobs`` were planned (:func:`plan_entry`), kept in the manifest.
    """
    from tqdm import tqdm

    title = title or label("index_default_title", lang)

    out_dir = prepare_folder(Path(out_dir).resolve())
    t0 = time.perf_counter()
    with _manifest_lock(out_dir):  # leftovers of killed runs (not of runs still going)
        remove_stale_temporaries(out_dir)
        remove_stale_kernel_dirs()
    previous = load_manifest(out_dir, lang).get("reports", {})
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
    if executor not in ("local", "dask"):
        raise ValueError(f"executor must be local or dask, got {executor!r}")
    workers = max(1, min(n_jobs or os.cpu_count() or 1, len(todo) or 1))
    bar = tqdm(total=len(todo), desc=label("progress", lang), unit="份" if lang == "zh" else "it",
               disable=not progress or not todo)
    saved = time.monotonic()
    results: Any = iter(())
    try:
        with interruptible():
            if todo:
                results = (_run_dask(todo, out_dir, runner, scheduler, keep_kernels)
                           if executor == "dask" else _run_local(todo, out_dir, workers, runner))
                for job, digest, r in results:
                    outcomes[job.stem] = Outcome(
                        job.stem, job.kind, job.title, job.parameters, digest,
                        r.get("status", "failed"), r.get("duration_s", 0.0), r.get("error"),
                        r.get("html"), r.get("notebook"), r.get("attempts", 0))
                    bar.update(1)
                    if time.monotonic() - saved > MANIFEST_EVERY_S:  # a kill loses little
                        save_manifest(out_dir, outcomes.values(), lang)
                        saved = time.monotonic()
    except Interrupted:
        with interruptible():  # a second Ctrl-C must not stop the clean-up half-way
            if hasattr(results, "close"):
                results.close()  # stops the workers and their kernels
            bar.close()
            save_manifest(out_dir, outcomes.values(), lang, title=title, note=note,
                          counties=counties)
        raise
    bar.close()
    ordered = [outcomes[j.stem] for j in jobs]
    save_manifest(out_dir, ordered, lang, title=title, note=note, dashboard=dashboard,
                  base_hash=base_hash, counties=counties, plan_record=plan_record)
    return BatchResult(ordered, time.perf_counter() - t0, lang, index_name(lang))
