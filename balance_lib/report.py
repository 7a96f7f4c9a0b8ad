"""Helpers the report notebooks call: parameter checks, loading, and tables formatted for people.

The templates in ``notebooks/`` stay thin (a parameters cell of literals, then calls into this
module and :mod:`balance_lib.plots`). Tables come back as DataFrames with column labels in the
report's language (``lang``: ``"zh"``, the default, or ``"en"``; the words are in
:mod:`balance_lib.words`) and rounded numbers; :func:`table` shows one as an HTML table whose
plain-text form is :func:`text` (deterministic, for nbval).
Relative data paths are resolved against :data:`balance_lib.paths.PROJECT_ROOT`, never the
working directory (a papermill kernel starts wherever it is started).

Caching
-------
A batch runs many reports of one county in each kept kernel (:mod:`balance_lib.render`), where
this module stays imported between reports. :func:`load`, :func:`evaluate_all` and
:func:`evaluate_year` therefore remember their last results in-process (a few counties, least
recently used first out), keyed by the resolved data path, the settings file and a SHA-256 of
the *contents* of everything a load reads (the data files, the settings files, the indicator
registry): an edited file is a new key, whatever its modification time. A hit returns the
very same objects, so they are shared by every report of the kernel and must be treated as
read-only; every helper here and in :mod:`balance_lib.plots` works on copies or filtered
views (``tests/test_report.py`` checks it). :func:`clear_cache` empties the caches.
"""

from __future__ import annotations

import hashlib
import html
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import formats
from .columns import VALUE_LABELS
from .consistency import cross_checks, mapping_note, warning_summary
from .indicators import Evaluation, ResourceResult, evaluate
from .indicators import long_values as _long_values
from .io import CountyData, load_county_excluding
from .paths import PROJECT_ROOT, STANDARDS_FILE
from .frames import one_county
from .registry import REGISTRY_FILE, Registry, load_registry
from .results import build_evaluation
from .safetext import markdown
from .sample import SYNTHETIC_NOTE, is_sample
from .schemas import Problem
from .settings import Settings, load_settings
from .words import LANGS, label, set_registry, status_label, yes_no
from .words import level_label as _level_label

DIGITS = 3


class ReportParamError(ValueError):
    """A report parameter (data path, year, school, language) that is not valid."""


@dataclass(frozen=True)
class ReportData:
    """Everything a report needs, loaded once: the county, settings and registry.

    ``excluded``: school id -> the located problems of the schools set aside by
    :func:`balance_lib.io.load_county_excluding` (not in ``county``; county values and CVs are
    computed without them).
    """

    path: Path
    county: CountyData
    settings: Settings
    registry: Registry
    synthetic: bool
    excluded: dict[str, list[Problem]] = field(default_factory=dict)
    #: the content key of :func:`load` ("" for data built by hand: never cached)
    cache_key: str = field(default="", compare=False)
    #: the provincial indicator file read on top of the national registry, if any
    indicators: Path | None = None
    #: the cross-table and year-to-year warnings of the data (:mod:`balance_lib.consistency`)
    warnings: list[Problem] = field(default_factory=list, compare=False)
    #: the county these data were restricted to (``load(..., county=ID)``), "" for all
    county_id: str = ""

    @property
    def years(self) -> list[int]:
        return years_of(self.county)

    @property
    def name(self) -> str:
        """What a report calls the county: the data's name, and the county id when the data
        hold several counties (``流域省 · 652301``)."""
        return f"{self.path.name} · {self.county_id}" if self.county_id else self.path.name


def resolve_path(path: str | Path) -> Path:
    """Absolute path; a relative one is taken from the project root (not the cwd).

    >>> resolve_path("data/sample") == PROJECT_ROOT / "data" / "sample"
    True
    """
    p = Path(path).expanduser()
    return p if p.is_absolute() else PROJECT_ROOT / p


def years_of(county: CountyData) -> list[int]:
    return sorted(int(y) for y in county.schools["year"].unique())


def unit_ids(data: ReportData) -> list[str]:
    """The per-unit indicators of the registry in force (B1–B7, then any extension's).

    >>> unit_ids(load("tests/fixtures/tiny"))
    ['B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7']
    """
    return [i.id for i in data.registry.unit_indicators]


def school_ids_of(county: CountyData) -> list[str]:
    return sorted(str(s) for s in county.schools["school_id"].unique())


def check_params(data: CountyData | ReportData, year: int | None = None,
                 school_id: str | None = None, lang: str | None = None) -> None:
    """Raise :class:`ReportParamError` with a clear message for an unknown year, school or
    language, or a school set aside for bad data (listing its problems).

    papermill only warns about unknown parameters, and a typo must not silently give the
    default county's report.
    """
    if lang is not None and lang not in LANGS:
        raise ReportParamError(f"不支持的语言 / unknown language {lang!r} "
                               f"(lang: {' | '.join(LANGS)})")
    county = data.county if isinstance(data, ReportData) else data
    excluded = data.excluded if isinstance(data, ReportData) else {}
    if school_id is not None and str(school_id) in excluded:
        sid = str(school_id)
        problems = excluded[sid]
        raise ReportParamError(
            f"学校 {sid}（{county.excluded_names.get(sid, sid)}）的数据有 {len(problems)} 个问题，"
            f"已排除，未生成一校一册 / school {sid} is excluded: its data have "
            f"{len(problems)} problem{'s' if len(problems) != 1 else ''}:\n"
            + "\n".join(p.format("en" if lang == "en" else "zh") for p in problems))
    years = years_of(county)
    if year is not None and int(year) not in years:
        raise ReportParamError(
            f"没有 {year} 学年的数据（已有: {', '.join(map(str, years))}）/ "
            f"no data for year {year} (years present: {', '.join(map(str, years))})"
        )
    if school_id is not None:
        ids = school_ids_of(county)
        if str(school_id) not in ids:
            shown = ", ".join(ids[:5]) + (" …" if len(ids) > 5 else "")
            raise ReportParamError(
                f"未找到学校 {school_id!s}（共 {len(ids)} 所: {shown}）/ "
                f"unknown school id {school_id!s} ({len(ids)} schools: {shown})"
            )


#: Counties kept by :func:`load` in one process (each with its evaluations).
CACHE_SIZE = 4


class _Lru:
    """A small thread-safe least-recently-used map."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_make(self, key: Hashable, make: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()  # outside the lock: a slow load does not block other keys
        with self._lock:
            value = self._items.setdefault(key, value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


_LOADED = _Lru(CACHE_SIZE)
_EVALUATED = _Lru(CACHE_SIZE * 8)  # per county: all years, and a few single years


def clear_cache() -> None:
    """Forget every county loaded and evaluated by this process."""
    _LOADED.clear()
    _EVALUATED.clear()


def _input_files(path: Path) -> list[Path]:
    """What a load reads: a folder's files (not its subfolders or hidden and lock files), or
    the one workbook."""
    if path.is_dir():
        return sorted(p for p in path.iterdir()
                      if p.is_file() and not p.name.startswith((".", "~$")))
    return [path]


def content_digest(path: Path, params: Path | None = None, indicators: Path | None = None,
                   mapping: Path | None = None) -> str:
    """SHA-256 of the contents of everything :func:`load` reads for ``path`` and ``params``:
    the data files, ``params/standards.yaml``, ``params``, the indicator registry, the
    provincial indicator file and the header mapping."""
    from .settings import data_settings_file

    h = hashlib.sha256()
    own = data_settings_file(path) if not Path(path).is_dir() else None  # a workbook's
    for part in (path, STANDARDS_FILE, own, params, REGISTRY_FILE, indicators, mapping):
        if part is None:
            continue
        for f in _input_files(Path(part)) if Path(part).exists() else []:
            h.update(f"{f.name}\0{f.stat().st_size}\0".encode())
            h.update(f.read_bytes())
        h.update(b"\1")
    return h.hexdigest()


def county_ids(county: CountyData) -> list[str]:
    """The counties of the data, sorted (``[""]`` for data without ``county_id``)."""
    return sorted({str(c) for c in county.schools["county_id"].unique()})


def load(data: str | Path, params: str | Path | None = None,
         indicators: str | Path | None = None, mapping: str | Path | None = None,
         county: str = "") -> ReportData:
    """Load the county at ``data`` (relative to the project root) with the settings and the
    indicators (national, plus a provincial file) in force, reading its headers through the
    ``mapping`` file if one is given (``--mapping``).

    Data of several counties (a ``county_id`` column, e.g. a province) are restricted to
    ``county``, which they must then name (:func:`for_county`); every report is about one
    county. Cached per content (see the module notes): the same files give the same object.
    The registry becomes the one the report's texts take their ids and limits from.
    """
    whole = load_all(data, params, indicators, mapping)
    counties = county_ids(whole.county)
    if county or len(counties) > 1:
        return for_county(whole, county)
    return whole


def for_county(data: ReportData, county: str) -> ReportData:
    """``data`` restricted to the rows of one county (every table with a ``county_id``
    column; the others are kept as they are and, as in the whole evaluation, belong to no
    county of the data). Cached with ``data``; :class:`ReportParamError` for an unknown or
    missing ``county``."""
    counties = county_ids(data.county)
    county = str(county)
    if county not in counties or (not county and len(counties) > 1):
        shown = ", ".join(counties[:8]) + (" …" if len(counties) > 8 else "")
        raise ReportParamError(
            (f"数据中有 {len(counties)} 个县（{shown}），请用 county 参数指定其一 / the data hold "
             f"{len(counties)} counties ({shown}): name one with the county parameter")
            if not county else
            f"未找到县 {county}（共 {len(counties)} 个: {shown}）/ unknown county {county} "
            f"({len(counties)} counties: {shown})")

    def make() -> ReportData:
        restricted = county_part(data.county, county)
        return replace(data, county=restricted, county_id=county,
                       cache_key=f"{data.cache_key}\0{county}" if data.cache_key else "",
                       warnings=cross_checks(restricted))

    return _cached(data, ("county", county), make)


def county_part(county: CountyData, county_id: str) -> CountyData:
    """The rows of one county in every table that has a ``county_id`` column (the other
    tables as they are)."""
    tables = {name: (f[f["county_id"].astype(str) == str(county_id)].reset_index(drop=True)
                     if "county_id" in f else f) for name, f in county.tables.items()}
    return replace(county, tables=tables)


def load_all(data: str | Path, params: str | Path | None = None,
             indicators: str | Path | None = None, mapping: str | Path | None = None
             ) -> ReportData:
    """:func:`load` of every county of the data (the province page; cached the same way)."""
    path = resolve_path(data)
    if not path.exists():
        raise ReportParamError(f"数据不存在 / data not found: {path}")
    settings_path = resolve_path(params) if params else None
    ind_path = resolve_path(indicators) if indicators else None
    mapping_path = resolve_path(mapping) if mapping else None
    key = hashlib.sha256("\0".join(
        [str(path), str(settings_path or ""), str(ind_path or ""), str(mapping_path or ""),
         content_digest(path, settings_path, ind_path, mapping_path)]).encode()).hexdigest()

    def make() -> ReportData:
        settings = load_settings(settings_path, data=path)
        registry = load_registry(extensions=[ind_path] if ind_path else ())
        county, excluded = load_county_excluding(path, mapping_path, registry=registry)
        return ReportData(path=path, county=county, settings=settings, registry=registry,
                          synthetic=is_sample(path), excluded=excluded, cache_key=key,
                          indicators=ind_path, warnings=cross_checks(county))

    data_ = _LOADED.get_or_make(key, make)
    set_registry(data_.registry)
    return data_


def _cached(data: ReportData, what: Hashable, make: Callable[[], Any]) -> Any:
    return _EVALUATED.get_or_make((data.cache_key, what), make) if data.cache_key else make()


#: The long values of the last results (:func:`long_values`), by the result object itself.
_LONG: list[tuple[ResourceResult, pd.DataFrame]] = []


def long_values(result: ResourceResult) -> pd.DataFrame:
    """:func:`balance_lib.indicators.long_values` of ``result``, made once per result object
    (read-only, like the other cached results): a school report asked for the long values of
    the same cached evaluation twice, and every school report of a kept kernel again."""
    for res, frame in _LONG:
        if res is result:
            return frame
    frame = _long_values(result)
    _LONG[:] = [(result, frame), *_LONG[:3]]
    return frame


def text(frame: pd.DataFrame, digits: int = DIGITS, *, lang: str = "zh") -> str:
    """Deterministic, rounded plain text of a table (for printed output and nbval)."""
    if frame.empty:
        return label("empty_table", lang)
    f = pd.DataFrame({c: _formatted(frame[c], digits) for c in frame.columns})
    with pd.option_context("display.width", 200, "display.max_columns", 50,
                           "display.max_colwidth", 80, "display.unicode.east_asian_width", True):
        return f.to_string(index=False)


#: Style of :func:`table_html`, scoped to its wrapper so the notebook theme (JupyterLab's
#: right-aligned, fixed-layout tables) does not override it. The embedded report font
#: (``balance-cjk``, :mod:`balance_lib.htmlfont`, listed first: see there why) draws the
#: Chinese; Latin letters and digits come from the sans fonts after it, with tabular digits.
TABLE_CSS = (
    ".balance-table-wrap{overflow-x:auto;margin:.3em 0 1em}"
    ".balance-table-wrap table.balance-table{border-collapse:collapse;border-spacing:0;"
    "margin:0;table-layout:auto;width:auto;font-size:13px;line-height:1.45;color:#1f2328}"
    ".balance-table-wrap table.balance-table th,.balance-table-wrap table.balance-table td{"
    "font-family:'balance-cjk','DejaVu Sans','Helvetica Neue',Arial,'Noto Sans CJK SC',"
    "'Noto Sans SC','Microsoft YaHei','PingFang SC',sans-serif;"
    "font-variant-numeric:tabular-nums;"
    "padding:4px 12px;border:none;border-bottom:1px solid #e1e4e8;text-align:left;"
    "vertical-align:top;white-space:normal;max-width:36em}"
    ".balance-table-wrap table.balance-table th{background:#f1f4f8;"
    "border-bottom:2px solid #9aa7b4;font-weight:600;white-space:nowrap}"
    ".balance-table-wrap table.balance-table .num{text-align:right;white-space:nowrap}"
    ".balance-table-wrap table.balance-table tbody tr:nth-child(even){background:#f8f9fb}"
    ".balance-table-wrap table.balance-table tbody tr:nth-child(odd){background:#fff}"
)
EMPTY_TABLE = label("empty_table")


#: A cell that is a number formatted for people (:mod:`balance_lib.formats`): right-aligned.
_NUMBER_TEXT = re.compile(r"[+\-]?[\d,]+(?:\.\d+)?%?(?:\*|✗{1,2})?"
                          r"(?:\s*→\s*[+\-]?[\d,]+(?:\.\d+)?%?(?:\*|✗{1,2})?)?"
                          r"|—|[\d,]+\s*/\s*[\d,]+")


def _is_number_column(column: pd.Series) -> bool:
    """Numbers, or texts that are all formatted numbers ("3,116", "0.187", "95.5%", "—")."""
    if pd.api.types.is_bool_dtype(column):
        return False
    if pd.api.types.is_numeric_dtype(column):
        return True
    if column.empty or not (column.dtype == object or pd.api.types.is_string_dtype(column)):
        return False
    texts = [v for v in column.tolist() if isinstance(v, str) and v != "—"]
    return bool(texts) and all(isinstance(v, str) and _NUMBER_TEXT.fullmatch(v)
                               for v in column.tolist() if v is not None)


def _formatted(column: pd.Series, digits: int) -> list[str]:
    """Cells of one column as text: floats rounded to ``digits`` (half away from zero,
    :func:`balance_lib.formats.numbers`) and shown with the same number of decimals down the
    column (the fewest that show every rounded value), integers as they are, texts (numbers
    the table builders formatted per unit) as they are, missing values as "—"."""
    values = column.astype(object).where(column.notna(), None).tolist()
    if pd.api.types.is_float_dtype(column):
        shown = formats.numbers([v for v in values if v is not None], digits, thousands=False)
        decimals = max((len(t.rstrip("0").split(".")[1]) for t in shown if "." in t), default=0)
        decimals = max(decimals, 1) if digits else 0
        return formats.numbers([np.nan if v is None else v for v in values], decimals)
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return ["—" if v is None else str(int(v)) for v in values]
    return ["—" if v is None else str(v) for v in values]


def table_html(frame: pd.DataFrame, digits: int = DIGITS, *, lang: str = "zh") -> str:
    """A deterministic, escaped HTML ``<table>`` of ``frame`` (no index, no ids).

    Numbers are rounded as in :func:`text` and right-aligned; every header and cell is
    HTML-escaped (school names come from the data).

    >>> page = table_html(pd.DataFrame({"学校": ["A<b>"], "值": [0.5]}))
    >>> print(page.split("</style>")[1].strip())
    <table class="balance-table"><thead><tr><th>学校</th><th class="num">值</th></tr></thead>
    <tbody><tr><td>A&lt;b&gt;</td><td class="num">0.5</td></tr></tbody></table></div>
    """
    style = f'<div class="balance-table-wrap"><style>{TABLE_CSS}</style>'
    if frame.empty:
        empty = html.escape(label("empty_table", lang))
        return f'{style}<p class="balance-table-empty">{empty}</p></div>'
    numeric = [_is_number_column(frame[c]) for c in frame.columns]
    cells = [_formatted(frame[c], digits) for c in frame.columns]

    def cls(k: int) -> str:
        return ' class="num"' if numeric[k] else ""

    head = "".join(f"<th{cls(k)}>{html.escape(str(c))}</th>" for k, c in enumerate(frame.columns))
    rows = "".join(
        "<tr>" + "".join(f"<td{cls(k)}>{html.escape(col[i])}</td>" for k, col in enumerate(cells))
        + "</tr>" for i in range(len(frame)))
    return (f'{style}\n<table class="balance-table"><thead><tr>{head}</tr></thead>\n'
            f"<tbody>{rows}</tbody></table></div>")


class Table:
    """A table for ``display()``: HTML in the report, the rounded :func:`text` as plain text.

    ``_repr_html_`` is :func:`table_html` (what the HTML report shows, aligned whatever the
    glyph widths); ``repr()`` is :func:`text` (what a terminal and the nbval references see).
    """

    def __init__(self, frame: pd.DataFrame, digits: int = DIGITS, lang: str = "zh") -> None:
        self.frame = frame
        self.digits = digits
        self.lang = lang

    def __repr__(self) -> str:
        return text(self.frame, self.digits, lang=self.lang)

    def _repr_html_(self) -> str:
        return table_html(self.frame, self.digits, lang=self.lang)


def table(frame: pd.DataFrame, digits: int = DIGITS, *, lang: str = "zh") -> Table:
    """``display(rp.table(df))`` shows ``df`` as an HTML table in reports (text in terminals).

    >>> t = table(pd.DataFrame({"指标": ["B1"], "差异系数": [0.51234]}))
    >>> repr(t) == text(t.frame)
    True
    >>> print(t)
    指标 差异系数
      B1    0.512
    """
    return Table(frame, digits, lang)


def level_label(level: str, lang: str = "zh") -> str:
    """``"primary"`` → ``"小学"`` / ``"Primary"`` (for the heading above a level's table)."""
    word = _level(level, lang)
    return word[:1].upper() + word[1:]


def bullets(items: list[str], empty: str = "无") -> str:
    """A Markdown list of ``items`` for ``display(Markdown(...))``, ``empty`` when there is
    none. The items may hold names from the data: they are literal text
    (:func:`balance_lib.safetext.markdown`), never Markdown, HTML or a link.

    >>> bullets(["a < b", "[x](javascript:1)"])
    '- a &#60; b\\n- &#91;x&#93;&#40;javascript&#58;1&#41;'
    >>> bullets([])
    '无'
    """
    if not items:
        return markdown(empty)
    return "\n".join(f"- {markdown(i)}" for i in items)


def heading(title: str, level: int = 1) -> str:
    """A Markdown heading whose text is literal (names come from the data): no Markdown, HTML,
    link, image or math in a school name is interpreted (:func:`balance_lib.safetext.markdown`).

    The templates take ``title`` from :func:`balance_lib.words.label`, e.g.
    ``rp.heading(rp.label("cy_overview", lang), 2)``.

    >>> heading("![x](y) <a href=z>", 2)
    '## &#33;&#91;x&#93;&#40;y&#41; &#60;a href&#61;z&#62;'
    """
    return "#" * max(1, min(int(level), 6)) + " " + markdown(title)


def exclusion_note(data: ReportData, lang: str = "zh") -> str:
    """A warning naming the schools set aside for bad data ("" when none was).

    >>> exclusion_note(load("tests/fixtures/tiny"))
    ''
    """
    if not data.excluded:
        return ""
    names = data.county.excluded_names
    shown = label("list_sep", lang).join(
        f"{names.get(s, s)}（{s}）" if lang == "zh" else f"{names.get(s, s)} ({s})"
        for s in data.excluded)
    return label("note_excluded", lang, n=len(data.excluded), schools=shown,
                 ids=", ".join(data.excluded))


NOTE_CSS = (
    ".balance-note{margin:.2em 0 1em}"
    ".balance-note p,.balance-note div{font-family:'balance-cjk','DejaVu Sans',Arial,"
    "'Noto Sans CJK SC','Microsoft YaHei','PingFang SC',sans-serif;font-size:12.5px;"
    "line-height:1.55;margin:0;color:#555}"
    ".balance-note div.balance-warning{background:#fff4ce;border-left:4px solid #d55e00;"
    "padding:6px 10px;margin:0 0 .5em;color:#1f2328;font-weight:600}"
)


class Note:
    """The source note for ``display()``: a highlighted warning (if any) above grey lines in
    the HTML report; ``repr()`` is the plain text of :func:`source_note`."""

    def __init__(self, lines: list[str], warning: str = "") -> None:
        self.lines = list(lines)
        self.warning = warning

    def __repr__(self) -> str:
        return "\n".join([self.warning, *self.lines] if self.warning else self.lines)

    def _repr_html_(self) -> str:
        warning = (f'<div class="balance-warning">{html.escape(self.warning)}</div>'
                   if self.warning else "")
        lines = "".join(f"<p>{html.escape(line)}</p>" for line in self.lines)
        return f'<div class="balance-note"><style>{NOTE_CSS}</style>{warning}{lines}</div>'


def note(data: ReportData, lang: str = "zh") -> Note:
    """``display(rp.note(d, lang))``: :func:`source_note` with the exclusion warning
    highlighted."""
    return Note(_source_lines(data, lang), exclusion_note(data, lang))


def source_note(data: ReportData, lang: str = "zh") -> str:
    """Exclusion warning (if any), data source, synthetic-data note and the settings in force."""
    return repr(note(data, lang))


def _source_lines(data: ReportData, lang: str = "zh") -> list[str]:
    lines = [label("note_data", lang, name=data.path.name, path=data.path)]
    if data.county_id:  # one county of data holding several
        lines.append(label("note_county", lang, county=data.county_id))
    if data.synthetic:  # the Chinese note carries its English translation
        lines.append(SYNTHETIC_NOTE if lang == "zh" else label("note_synthetic", lang))
    s = data.settings
    cv = (label("note_cv_raw", lang) if s.cv_rounding is None
          else label("note_cv_rounded", lang, digits=s.cv_rounding))
    lines.append(label("note_settings", lang, source=s.source,
                       tp=label(f"setting_tp_{s.teaching_points}", lang),
                       tp_min=s.teaching_point_min_students,
                       private=label(f"setting_private_{s.private_schools}", lang),
                       b4=label(f"setting_b4_{s.b4_indoor_sports}", lang),
                       b7=label(f"setting_b7_{s.b7_allocation}", lang), cv=cv))
    if data.county.mapping is not None:
        lines.append(mapping_note(data.county.mapping, lang))
    if data.warnings:
        lines.append(warning_summary(data.warnings, lang))
    return lines


def _level(level: str, lang: str = "zh") -> str:
    return _level_label(level, lang)


def county_name(data: ReportData, lang: str = "zh") -> str:
    """The county's name for titles: ``county.name`` of the settings, else the data's name;
    with the county id when the data hold several counties (``流域省 · 652301``)."""
    base = data.settings.county.title(data.path.stem if data.path.is_file() else data.path.name,
                                      lang)
    return f"{base} · {data.county_id}" if data.county_id else base


VERDICT_CSS = (
    ".balance-verdict{border-left:6px solid #d55e00;background:#fff4ec;padding:8px 14px;"
    "margin:.4em 0 1em;font-family:'balance-cjk','DejaVu Sans',Arial,sans-serif}"
    ".balance-verdict.meets{border-color:#009e73;background:#eefaf5}"
    ".balance-verdict.incomplete{border-color:#e69f00;background:#fff8e6}"
    ".balance-verdict p.v{font-size:18px;font-weight:700;margin:0 0 .3em}"
    ".balance-verdict ul{margin:.2em 0 0 1.2em;padding:0}"
    ".balance-verdict li{margin:.15em 0;font-size:14px;line-height:1.5}"
)


class Verdict:
    """The verdict and its reasons for ``display()``: a coloured box in the report, plain
    lines as text (for nbval and terminals)."""

    def __init__(self, status: str, reasons: list[str], lang: str = "zh",
                 head: str | None = None) -> None:
        self.status, self.reasons, self.lang = status, list(reasons), lang
        self.head = head  # another answer in the same box (the plan report's least cost)

    def _head(self, sep: str) -> str:
        if self.head is not None:
            return self.head
        return f"{label('sum_verdict', self.lang)}{sep}{status_label(self.status, self.lang)}"

    def __repr__(self) -> str:
        return "\n".join([self._head(": "), *(f"- {r}" for r in self.reasons)])

    def _repr_html_(self) -> str:
        items = "".join(f"<li>{html.escape(r)}</li>" for r in self.reasons)
        cls = {"meets": "meets", "incomplete": "incomplete"}.get(self.status, "fails")
        head = self._head("：" if self.lang == "zh" else ": ")
        return (f'<div class="balance-verdict {cls}"><style>{VERDICT_CSS}</style>'
                f'<p class="v">{html.escape(head)}</p><ul>{items}</ul></div>')


def verdict(yr: YearResult, lang: str = "zh") -> Verdict:
    """``display(rp.verdict(yr, lang))``: the county's verdict with its reasons."""
    v = yr.evaluation["verdict"][0] if yr.evaluation["verdict"] else {}
    return Verdict(v.get("status", ""), verdict_reasons(yr), lang)


class Paragraphs:
    """Plain paragraphs for ``display()`` (escaped HTML; the same lines as text)."""

    def __init__(self, lines: list[str], css_class: str = "balance-text") -> None:
        self.lines, self.css_class = list(lines), css_class

    def __repr__(self) -> str:
        return "\n".join(self.lines)

    def _repr_html_(self) -> str:
        body = "".join(f"<p>{html.escape(x)}</p>" for x in self.lines)
        return f'<div class="{self.css_class}">{body}</div>'


def paragraphs(key: str, lang: str = "zh") -> Paragraphs:
    """The paragraphs of a list entry of the word table (e.g. ``cv_explain``)."""
    from .words import entries

    return Paragraphs(entries(key, lang))


def lines(items: list[str]) -> Paragraphs:
    """Lines of text (from the data: escaped, never Markdown) for ``display()``."""
    return Paragraphs(items)


def milestones_text(data: ReportData, lang: str = "zh") -> str:
    """"（启动 2022.12，自治州指导 2027.8，…）" from the county's settings ("" when none)."""
    ms = data.settings.county.milestones
    if not ms:
        return ""
    items = label("clause_sep" if lang == "zh" else "list_sep", lang).join(
        label("milestone", lang, label=m.label(lang), date=m.short_date) for m in ms)
    return label("trend_milestones", lang, items=items)


def rule_fields(data: ReportData) -> dict[str, Any]:
    """``min_met`` and ``floor`` (85%) of the school rule, for headings."""
    return {"min_met": data.registry.min_met, "floor": f"{data.registry.floor_ratio:.0%}"}


@dataclass(frozen=True)
class YearResult:
    """One year of the county's :class:`~balance_lib.indicators.Evaluation`: the unit engine's
    tables (``resources``, and ``values`` one row per unit and indicator), the year's
    evaluation (``indicators``: items, school items, class sizes, vetoes, verdict) and the
    contract's result object (``evaluation``, in the report's language)."""

    year: int
    resources: ResourceResult
    values: pd.DataFrame
    indicators: Evaluation
    evaluation: dict[str, Any]


def evaluation(data: ReportData) -> Evaluation:
    """The county's whole evaluation, every year (cached with ``data``: read-only)."""
    return _cached(data, "evaluation", lambda: evaluate(
        data.county.tables, data.settings, data.registry))


def evaluate_year(data: ReportData, year: int, lang: str = "zh") -> YearResult:
    """The engine's result for one year (B1–B7 units and CVs, B8–B32, vetoes, verdict).

    ``lang`` is the language of the evaluation's texts (details, evidence, reasons). Cached
    with ``data`` (read-only: see the module notes); the engine runs once for every year and
    both languages.
    """
    check_params(data, year=year, lang=lang)
    year = int(year)

    def engine() -> tuple[Evaluation, ResourceResult, pd.DataFrame]:
        ev = evaluation(data).for_year(year)
        res = ev.resources
        return ev, res, long_values(res)

    def make() -> YearResult:
        ev, res, values = _cached(data, ("engine", year), engine)
        info = {"name": data.path.name, "synthetic": data.synthetic}
        result = build_evaluation(ev, year, lang=lang, dataset=info)
        return YearResult(year, res, values, ev, result)

    return _cached(data, ("year", year, lang), make)


def evaluate_all(data: ReportData) -> ResourceResult:
    """B1–B7 for every year (trend and school profile); cached with ``data`` (read-only)."""
    return _cached(data, "all", lambda: evaluation(data).resources)


def _cols(lang: str, **columns: Any) -> dict[str, Any]:
    """Table columns keyed by their label: ``_cols(lang, col_year=...)`` → ``{"学年": ...}``."""
    return {label(key, lang): values for key, values in columns.items()}


def county_summary(yr: YearResult, lang: str = "zh") -> pd.DataFrame:
    """Verdict, units passing, CVs over their limit and items not met, one row each."""
    units = yr.resources.units
    var = yr.resources.variation
    over = var[~var["met"].astype(bool)]
    verdict = yr.evaluation["verdict"][0] if yr.evaluation["verdict"] else {}
    unit_ids = {i.id for i in yr.indicators.registry.unit_indicators}
    other = [i for i in yr.evaluation["indicators"] if i["id"] not in unit_ids]
    none, sep = label("none", lang), label("list_sep", lang)
    rows = [
        ("sum_verdict", status_label(verdict.get("status", ""), lang)),
        ("sum_units_passing", f"{formats.count(units['passes'].sum())} / "
                              f"{formats.count(len(units))}"),
        ("sum_cv_over", label("clause_sep", lang).join(
            f"{_level(r.level, lang)} {r.indicator} {formats.cv(r.cv, yr.indicators.settings)}"
            f" > {formats.limit(r.limit, yr.indicators.registry)}"
            for r in over.itertuples()) or none),
        ("sum_not_met", sep.join(i["id"] for i in other if i["status"] == "not_met") or none),
        ("sum_not_assessed",
         sep.join(i["id"] for i in other if i["status"] == "not_assessed") or none),
        ("sum_vetoes", sep.join(v["id"] for v in yr.evaluation["vetoes"] if v["triggered"])
         or none),
    ]
    return pd.DataFrame([(label(k, lang), v) for k, v in rows],
                        columns=[label("col_item", lang), label("col_result", lang)])


def verdict_reasons(yr: YearResult) -> list[str]:
    """The verdict's reasons, in the language ``yr`` was evaluated in."""
    return [r for v in yr.evaluation["verdict"] for r in v.get("reasons", [])]


def _by_indicator(s: pd.Series) -> pd.Series:
    return s.str[1:].astype(int)


def resource_table(variation: pd.DataFrame, registry: Registry, level: str,
                   lang: str = "zh", cv_decimals: Any = 3) -> pd.DataFrame:
    """B1–B7 for one level: county value vs threshold, CV vs limit."""
    f = variation[variation["level"] == level].sort_values("indicator", key=_by_indicator)
    ids = f["indicator"].tolist()
    return pd.DataFrame(_cols(
        lang,
        col_indicator=ids,
        col_name=[registry.indicator(i).label(lang) for i in ids],
        col_unit=[registry.indicator(i).unit(lang) for i in ids],
        col_county_value=formats.values(f["county_value"], ids, registry),
        col_threshold=formats.values(f["threshold"], ids, registry),
        col_cv=formats.cvs(f["cv"], cv_decimals),
        col_limit=[formats.limit(x, registry) for x in f["limit"]],
        col_cv_met=[yes_no(m, lang) for m in f["met"].astype(bool)],
    ))


def _shortfall(registry: Registry, indicator: str, lang: str) -> str:
    ind = registry.indicator(indicator)
    return ind.shortfall_zh if lang == "zh" else ind.shortfall_en


def failing_units(values: pd.DataFrame, registry: Registry, level: str | None = None,
                  lang: str = "zh") -> pd.DataFrame:
    """Every unit value below its threshold, with the gap in natural units."""
    f = values[~values["met"].astype(bool)]
    if level is not None:
        f = f[f["level"] == level]
    f = f.sort_values(["level", "indicator", "value"])
    ids = f["indicator"].tolist()
    return pd.DataFrame(_cols(
        lang,
        col_school=f["school_name"].astype(str),
        col_level=[_level(lv, lang) for lv in f["level"]],
        col_indicator=ids,
        col_value=formats.values(f["value"], ids, registry),
        col_threshold=formats.values(f["threshold"], ids, registry),
        col_below_floor=[label("yes", lang) if not m else "" for m in f["floor_met"].astype(bool)],
        col_gap=[f"{formats.count(s, sign=True)} {_shortfall(registry, i, lang)}"
                 for s, i in zip(f["shortfall"], ids, strict=True)],
    ))


def other_items(yr: YearResult, lang: str = "zh") -> pd.DataFrame:
    """B8–B32 status and evidence (the detail in the language ``yr`` was evaluated in)."""
    ids = {i.id for i in yr.indicators.registry.unit_indicators}
    rows = [i for i in yr.evaluation["indicators"] if i["id"] not in ids]
    return pd.DataFrame(_cols(
        lang,
        col_indicator=[r["id"] for r in rows],
        col_status=[status_label(r["status"], lang) for r in rows],
        col_detail=[str(r.get("detail", "")) for r in rows],  # whole: the cell wraps
    ))


def ledger_table(data: ReportData, year: int, lang: str = "zh") -> pd.DataFrame:
    """问题台账 of ``year``: every shortfall with its gap, 责任单位, first year and 销号 status.

    The ledger runs from the first year of the data, so "first seen" looks back over every
    earlier year; a shortfall of ``year`` itself is open by construction. The ledger of every
    year is made once (cached with ``data``) and its rows of ``year`` shown: a row's columns
    here look back, never forward, so they are those of a ledger ending in ``year``. The
    responsible departments are the registry's Chinese names in both languages.
    """
    from .ledger import make_ledger

    def whole() -> pd.DataFrame:  # every year's rows, once per kernel and language
        years = years_of(data.county)
        return make_ledger(data.county.tables, data.settings, data.registry,
                           year_from=min(years), year_to=max(years),
                           evaluation=evaluation(data), lang=lang).ledger

    ledger = _cached(data, ("ledger", lang), whole)
    rows = ledger[ledger["year"] == year]
    gaps = rows["gap_text"].fillna("").to_numpy()
    return pd.DataFrame(_cols(
        lang,
        col_indicator=rows["indicator"].to_numpy(),
        col_school=[n if isinstance(n, str) and n else label("whole_county", lang)
                    for n in rows["school_name"]],
        col_level=[_level(lv, lang) if lv in VALUE_LABELS else "" for lv in rows["level"]],
        col_gap=gaps,
        col_responsible=rows["responsible"].fillna("").to_numpy(),
        col_first_seen=rows["first_seen"].astype("Int64").to_numpy(),
    ))


def veto_table(yr: YearResult, registry: Registry, lang: str = "zh") -> pd.DataFrame:
    rows = yr.evaluation["vetoes"]
    return pd.DataFrame(_cols(
        lang,
        col_veto=[r["id"] for r in rows],
        col_name=[registry.veto(r["id"]).label(lang) for r in rows],
        col_status=[status_label(r["status"], lang) for r in rows],
    ))


def school_name(data: ReportData, school_id: str) -> str:
    s = one_county(data.county.schools)
    names = s.loc[s["school_id"].astype(str) == str(school_id), "school_name"]
    return str(names.iloc[-1]) if len(names) else str(school_id)


def school_summary(result: ResourceResult, school_id: str, lang: str = "zh") -> pd.DataFrame:
    """Per year and level: met count and whether the unit passes the school rule."""
    u = one_county(result.units)
    u = u[u["school_id"].astype(str) == str(school_id)]
    u = u.sort_values(["year", "level"])
    return pd.DataFrame(_cols(
        lang,
        col_year=u["year"].astype(int),
        col_level=[_level(lv, lang) for lv in u["level"]],
        col_students=formats.numbers(u["students"], 0),
        col_met_count=u["met_count"].astype(int),
        col_below_floor_count=u["below_floor"].astype(int),
        col_passes=[yes_no(p, lang) for p in u["passes"].astype(bool)],
    ))


def school_profile(result: ResourceResult, school_id: str, registry: Registry,
                   lang: str = "zh") -> pd.DataFrame:
    """One school's B1–B7 per year and level against the threshold and the county value."""
    values = one_county(long_values(result))
    v = values[values["school_id"].astype(str) == str(school_id)]
    county = result.variation[["county_id", "year", "level", "indicator", "county_value"]]
    v = v.merge(county, on=["county_id", "year", "level", "indicator"], how="left")
    v = v.sort_values(["level", "indicator", "year"], key=lambda s: s.str[1:].astype(int)
                      if s.name == "indicator" else s)
    return pd.DataFrame(_cols(
        lang,
        col_level=[_level(lv, lang) for lv in v["level"]],
        col_indicator=v["indicator"],
        col_year=v["year"].astype(int),
        col_this_school=formats.values(v["value"], v["indicator"], registry),
        col_threshold=formats.values(v["threshold"], v["indicator"], registry),
        col_county_value=formats.values(v["county_value"], v["indicator"], registry),
        col_met=[yes_no(m, lang) for m in v["met"].astype(bool)],
    ))


def school_needs(result: ResourceResult, school_id: str, registry: Registry,
                 year: int | None = None, lang: str = "zh") -> pd.DataFrame:
    """What the school needs to meet every threshold in ``year`` (default: the latest)."""
    values = one_county(long_values(result))
    v = values[values["school_id"].astype(str) == str(school_id)]
    if v.empty:
        return pd.DataFrame(columns=list(_cols(lang, col_level=0, col_indicator=0, col_needs=0)))
    year = int(v["year"].max()) if year is None else int(year)
    v = v[(v["year"] == year) & ~v["met"].astype(bool)]
    return pd.DataFrame(_cols(
        lang,
        col_level=[_level(lv, lang) for lv in v["level"]],
        col_indicator=v["indicator"],
        col_needs=[f"{formats.count(s, sign=True)} {_shortfall(registry, i, lang)}"
                   for s, i in zip(v["shortfall"], v["indicator"], strict=True)],
    ))


def school_class_sizes(indicators: Evaluation, school_id: str,
                       lang: str = "zh") -> pd.DataFrame:
    c = one_county(indicators.class_sizes)
    c = c[c["school_id"].astype(str) == str(school_id)].sort_values(["year", "level"])
    return pd.DataFrame(_cols(
        lang,
        col_year=c["year"].astype(int),
        col_level=[_level(lv, lang) for lv in c["level"]],
        col_classes=c["classes"].astype(int),
        col_mean_class_size=formats.numbers(c["mean_class_size"], 1),
        col_max_class_size=formats.numbers(c["max_class_size"], 0),
        col_classes_over_limit=c["classes_over_limit"].astype(int),
        col_large_classes=c["large_classes"].astype(int),
        col_super_large_classes=c["super_large_classes"].astype(int),
    ))


def cv_trend_table(variation: pd.DataFrame, level: str, lang: str = "zh",
                   cv_decimals: Any = 3) -> pd.DataFrame:
    """差异系数 by indicator (rows) and school year (columns) for one level, with the limit;
    a CV above its limit is marked ``*``."""
    f = variation[variation["level"] == level]
    t = f.pivot_table(index="indicator", columns="year", values="cv", aggfunc="first")
    t = t.reindex(sorted(t.index, key=lambda s: int(s[1:])))
    limits = f.groupby("indicator")["limit"].first().reindex(t.index)
    out = pd.DataFrame({label("col_indicator", lang): t.index.tolist()})
    for c in t.columns:  # a value above its limit is marked (*), as in the scenario tables
        over = (t[c] > limits).tolist()
        out[label("school_year", lang, year=int(c))] = [
            text + ("*" if o else "") for text, o in zip(formats.cvs(t[c], cv_decimals), over)]
    out[label("col_limit", lang)] = [formats.limit(x) for x in limits]
    return out


def pass_trend_table(result: ResourceResult, year_from: int | None = None,
                     year_to: int | None = None, lang: str = "zh") -> pd.DataFrame:
    """Units passing the school rule per year (``year_from``–``year_to``, default all) and level."""
    units = result.units
    if year_from is not None or year_to is not None:
        years = units["year"].astype(int)
        units = units[years.between(year_from or years.min(), year_to or years.max())]
    g = units.groupby(["year", "level"], sort=True)["passes"].agg(["sum", "size"]).reset_index()
    return pd.DataFrame(_cols(
        lang,
        col_year=g["year"].astype(int),
        col_level=[_level(lv, lang) for lv in g["level"]],
        col_units_passing=g["sum"].astype(int),
        col_units=g["size"].astype(int),
    ))
