"""The ``balance`` command line.

Exit status: 0 done; 1 an unexpected error (a bug: please report it); 2 bad input (data,
settings or arguments), with every problem listed and nothing written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from .atomic import STDOUT, OutputError, prepare_folder, write_output

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="县域义务教育优质均衡发展评估 — county evaluation of high-quality balanced compulsory education.",
)

EXIT_BAD_INPUT = 2
#: ``balance plan`` found no plan (infeasible, over budget, or none within the time limit)
EXIT_NO_PLAN = 3
MAPPING_HELP = ("Header mapping YAML: the county's own headers → canonical names "
                "(data/README.md)")


def _fail(message: str) -> None:
    from .safetext import terminal

    typer.echo(terminal(message.rstrip("\n")), err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


#: Warnings printed while a report batch is planned, when recorded (``balance report`` keeps
#: them with its cached plan, and prints them again when the plan is reused).
_HEARD: list[str] | None = None


def _say(message: str, err: bool = False) -> None:
    """A line for the terminal; data in it (names, ids, paths) cannot control the terminal."""
    from .safetext import terminal

    if err and _HEARD is not None:
        _HEARD.append(message)
    typer.echo(terminal(message), err=err)


def to_json(obj: Any) -> bytes:
    """Deterministic, indented UTF-8 JSON (orjson: a nation's result in about a second)."""
    import orjson

    return orjson.dumps(obj, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)


def _problem(text: str, problems: list[str] | None) -> None:
    """Exit 2 with ``text``, or add it to ``problems`` (a command collecting every problem)."""
    if problems is None:
        _fail(text)
    problems.append(text)


def _load(data: Path, lang: str, mapping: Path | None = None, registry: Any = None,
          problems: list[str] | None = None):
    """The county, validated, with the one-line summary of its cross-table warnings on stderr.
    ``registry``: an extended registry whose extra columns the reader must accept. Bad data
    exit 2, or, given ``problems``, are added to it (then None)."""
    from .io import DataError, load_county
    from .schemas import format_report

    try:
        county = load_county(data, mapping, registry=registry)
    except DataError as exc:
        return _problem(format_report(exc.problems, lang=lang), problems)
    _warn_summary(county, lang)
    return county


def _load_excluding(data: Path, lang: str, mapping: Path | None = None, registry: Any = None):
    """The lenient load of ``balance report``: (county, excluded schools' problems)."""
    from .io import DataError, load_county_excluding
    from .schemas import format_report

    try:
        county, excluded = load_county_excluding(data, mapping, registry=registry)
    except DataError as exc:
        _fail(format_report(exc.problems, lang=lang))
    _warn_summary(county, lang)
    return county, excluded


def _warn_summary(county: Any, lang: str) -> None:
    from .consistency import cross_checks, warning_summary

    line = warning_summary(cross_checks(county), lang)
    if line:
        _say(line, err=True)


def _registry(indicators: Path | None, problems: list[str] | None = None):
    """The national registry, extended by ``--indicators FILE`` (every problem, exit 2, or
    added to ``problems``)."""
    from .registry import RegistryError, load_registry

    try:
        return load_registry(extensions=[indicators] if indicators else ())
    except RegistryError as exc:
        return _problem("\n".join(exc.problems), problems)


INDICATORS_HELP = "Provincial indicator file: adds or tightens indicators (params/README.md)"
COUNTY_HELP = ("The county (county_id) a document is for; required when the data hold several "
               "(one file per county)")
NAME_HELP = "The county's name in titles and page headers (default: the county id, else the data's name)"


def _settings(params: Path | None, data: Path | None = None, problems: list[str] | None = None):
    """The settings in force for ``data`` (its own settings.yaml, then ``--params``); a problem
    goes to ``problems`` when given (then None is returned), else exit 2."""
    from .settings import SettingsError, load_settings

    try:
        return load_settings(params, data=data)
    except SettingsError as exc:
        return _problem("\n".join(exc.problems), problems)


def dataset_info(data: Path) -> dict[str, Any]:
    """Where the data came from, and whether they are the synthetic sample (contract §4)."""
    from .sample import SYNTHETIC_NOTE, is_sample

    info: dict[str, Any] = {"name": Path(data).name, "synthetic": is_sample(data)}
    if info["synthetic"]:
        info["note"] = SYNTHETIC_NOTE
    return info


def _emit(text: bytes, output: Path | None, lang: str = "zh") -> None:
    """``text`` to stdout (no ``output``, or ``-``), or atomically to ``output`` (then its path
    on stderr); a file that cannot be written exits 2 with the reason."""
    try:
        written = write_output(STDOUT if output is None else output, text)
    except OutputError as exc:
        _fail(exc.format(lang))
    if written is not None:
        _say(f"→ {written}", err=True)


def _check_output(output: Path | None, lang: str, *inputs: Path | None) -> None:
    """Exit 2 before any work when ``output`` is one of the inputs, or a file the data folder
    would read as a table next time (``--output data/schools.csv``)."""
    from .io import TABLE_SUFFIXES, _table_of

    from .atomic import check_target

    if output is None or str(output) == STDOUT:
        return
    out = Path(output)
    try:
        check_target(out)  # refused now, before any work, rather than after it
    except OutputError as exc:
        _fail(exc.format(lang))
    for given in inputs:
        if given is None:
            continue
        given = Path(given)
        clash = False
        try:
            clash = out.exists() and given.exists() and out.samefile(given)
        except OSError:
            pass
        if given.is_dir() and out.absolute().parent == given.absolute() and (
                out.suffix.lower() in TABLE_SUFFIXES and _table_of(out.stem) is not None):
            clash = True
        if clash:
            _fail(f"--output {output}: 这是输入文件（或会被当作输入表读取），不能覆盖"
                  if lang == "zh" else
                  f"--output {output}: this is an input (or would be read as an input table); "
                  "it is never overwritten")


def _inputs(data: Path, fmt: str, params: Path | None, lang: str, indicators: Path | None,
            mapping: Path | None = None, problems: list[str] | None = None,
            formats: tuple[str, ...] = ("table", "json")):
    """The checks and loads ``evaluate``, ``scenario`` and ``plan`` share: (settings, registry,
    county), or exit 2 with every problem at once: the command's own (``problems``, found
    before), the language and format (one of ``formats``), the settings, the indicator file
    and the data."""
    from .words import LANGS

    problems = [] if problems is None else problems
    if lang not in LANGS:
        problems.append(f"--lang must be zh or en, got {lang!r}")
        lang = "zh"
    if fmt not in formats:
        problems.append(f"--format must be {' or '.join([', '.join(formats[:-1]), formats[-1]])}, "
                        f"got {fmt!r}")
    settings = _settings(params, data, problems)
    registry = _registry(indicators, problems)
    county = None if registry is None else _load(data, lang, mapping, registry, problems)
    if problems:
        _fail("\n".join(problems))
    return settings, registry, county


def _command_output(fmt: str, data: Path, payload: Any, table: Any) -> bytes:
    """The output of ``scenario`` / ``plan``: ``payload()`` as JSON with the dataset's info,
    or ``table(info)`` as text made inert for the terminal."""
    from .safetext import terminal

    info = dataset_info(data)
    if fmt == "json":
        return to_json({**payload(), "dataset": info})
    return terminal(table(info)).encode("utf-8")


def _check_lang(lang: str) -> str:
    if lang not in ("zh", "en"):
        _fail(f"--lang must be zh or en, got {lang!r}")
    return lang


@app.command()
def validate(
    data: Path = typer.Argument(..., help="County folder of CSV files or one .xlsx workbook"),
    strict: bool = typer.Option(False, "--strict",
                                help="Cross-table and year-to-year warnings are problems (exit 2)"),
    mapping: Path | None = typer.Option(None, "--mapping", help=MAPPING_HELP),
    indicators: Path | None = typer.Option(None, "--indicators", help=INDICATORS_HELP),
    lang: str = typer.Option("zh", "--lang", help="zh | en"),
) -> None:
    """Check a county's data and list every problem (file, row, school, year, column), then the
    cross-table and year-to-year warnings (problems with --strict)."""
    from .columns import vocabulary_for
    from .consistency import cross_checks, format_warnings
    from .io import read_county
    from .schemas import format_report, sort_problems
    from .schemas import validate as check

    _check_lang(lang)
    registry = _registry(indicators) if indicators else None
    with vocabulary_for(registry):  # a provincial file's extra columns are read and checked
        county, problems = read_county(data, mapping, compact=True)  # checked, not evaluated
        problems = sort_problems([*problems, *check(county)])
    warnings = cross_checks(county)
    if strict:
        problems, warnings = sort_problems([*problems, *warnings]), []
    tail = f"\n{format_warnings(warnings, lang)}" if warnings else ""
    if problems:
        _fail(format_report(problems, lang=lang) + tail)
    n = {t: len(f) for t, f in county.tables.items()}
    summary = "，".join(f"{t} {k} 行" for t, k in n.items()) if lang == "zh" else ", ".join(
        f"{t}: {k} rows" for t, k in n.items())
    _say(("数据检查通过: " if lang == "zh" else "Data are valid: ") + summary + tail)


@app.command()
def evaluate(
    data: Path = typer.Argument(..., help="County folder of CSV files or one .xlsx workbook"),
    year: int = typer.Option(..., "--year", help="School year (start), e.g. 2024"),
    fmt: str = typer.Option("table", "--format",
                            help="table | json | parquet | csv (parquet, csv: a folder of "
                                 "tables, --output DIR)"),
    output: Path | None = typer.Option(None, "--output",
                                       help="Write to this file (json, table) or folder "
                                            "(parquet, csv) instead of stdout"),
    params: Path | None = typer.Option(None, "--params", help="Settings YAML (see params/standards.yaml)"),
    indicators: Path | None = typer.Option(None, "--indicators", help=INDICATORS_HELP),
    mapping: Path | None = typer.Option(None, "--mapping", help=MAPPING_HELP),
    lang: str = typer.Option("zh", "--lang", help="zh | en"),
    details: bool = typer.Option(False, "--details",
                                 help="parquet, csv: the sentence of every indicator item "
                                      "(default: of the items not met)"),
) -> None:
    """Evaluate one year: B1–B7 per school unit, 差异系数, B8–B32, vetoes and the verdict."""
    from .indicators import evaluate as run

    tables = fmt in TABLE_FORMATS
    if tables:
        _check_output_folder(output, fmt, lang, data, params, indicators, mapping)
    else:
        _check_output(output, lang, data, params, indicators, mapping)
    settings, registry, county = _inputs(data, fmt, params, lang, indicators, mapping,
                                         formats=("table", "json", *TABLE_FORMATS))
    schools = county.schools
    years = sorted(int(y) for y in schools["year"].unique())
    if year not in years:
        _fail(
            f"{data}: 没有 {year} 学年的数据（已有: {', '.join(map(str, years))}）"
            if lang == "zh" else f"{data}: no data for year {year} (years present: {', '.join(map(str, years))})"
        )
    # earlier years are still read: B31 falls back on the latest earlier monitoring year
    ev = run(county.tables, settings, registry, years=[year])
    if tables:
        _write_tables(ev, year, fmt, output, lang, dataset_info(data), details)
        return
    from .results import build_evaluation
    from .safetext import terminal
    from .textout import render_evaluation

    evaluation = build_evaluation(ev, year, lang=lang, dataset=dataset_info(data))
    if fmt == "json":
        text = to_json(evaluation)
    else:
        text = terminal(render_evaluation(evaluation, registry, lang=lang)).encode("utf-8")
    _emit(text, output, lang)


#: ``evaluate --format`` values written as a folder of tables (balance_lib.export).
TABLE_FORMATS = ("parquet", "csv")


def _check_output_folder(output: Path | None, fmt: str, lang: str, data: Path,
                         *inputs: Path | None) -> None:
    """Exit 2 before any work unless ``--output`` is a folder the tables may be written to."""
    from .atomic import check_folder_target
    from .export import FILE_NAMES

    if output is None or str(output) == STDOUT:
        _fail(f"--format {fmt} 需要 --output 文件夹" if lang == "zh" else
              f"--format {fmt} writes a folder of tables: give --output DIR")
    out = Path(output).absolute()
    for given in (data, *inputs):
        if given is None:
            continue
        g = Path(given).absolute()
        if out == g or g.is_relative_to(out) or (g.is_dir() and out.is_relative_to(g)):
            _fail(f"--output {output}: 不能写入输入数据所在的文件夹" if lang == "zh" else
                  f"--output {output}: an input is in this folder (or it is inside the data "
                  "folder); it is never written")
    try:
        check_folder_target(out, FILE_NAMES)
    except OutputError as exc:
        _fail(exc.format(lang))


def _write_tables(ev: Any, year: int, fmt: str, output: Path, lang: str,
                  dataset: dict[str, Any], details: bool = False) -> None:
    from .atomic import write_folder
    from .export import FILE_NAMES, TABLES, folder_files, table_stream

    meta = {"year": int(year), "details": "all" if details else "not_met",
            "settings": ev.settings.to_dict(), "dataset": dataset}
    files = folder_files(table_stream(ev, year, lang=lang, details=details), fmt, meta)
    try:
        written = write_folder(output, files, owned=FILE_NAMES)
    except OutputError as exc:
        _fail(exc.format(lang))
    _say(f"→ {written}/ ({', '.join(f'{t}.{fmt}' for t in TABLES)}, meta.json)", err=True)


@app.command()
def ledger(
    data: Path = typer.Argument(..., help="County folder of CSV files or one .xlsx workbook"),
    year_from: int | None = typer.Option(None, "--from", help="First school year (default: first in data)"),
    year_to: int | None = typer.Option(None, "--to", help="Last school year (default: last in data)"),
    output: Path = typer.Option(..., "--output", help="ledger.xlsx (recommended) or ledger.csv"),
    params: Path | None = typer.Option(None, "--params", help="Settings YAML (see params/standards.yaml)"),
    indicators: Path | None = typer.Option(None, "--indicators", help=INDICATORS_HELP),
    mapping: Path | None = typer.Option(None, "--mapping", help=MAPPING_HELP),
    county: str | None = typer.Option(None, "--county",
                                      help="Only this county (county_id); default: every county"),
    name: str | None = typer.Option(None, "--name", help=NAME_HELP),
    lang: str = typer.Option("zh", "--lang", help="zh | en"),
) -> None:
    """问题台账: every shortfall per year with 责任单位, first year seen and 销号 status.

    ``--output -`` writes the CSV form to standard output.
    """
    from .excel import csv_bytes, write_ledger
    from .forms import FormsError, county_tables, pick_county
    from .ledger import LedgerError, count_line, make_ledger
    from .words import label

    _check_lang(lang)
    to_stdout = str(output) == STDOUT
    if not to_stdout and output.suffix.lower() not in (".xlsx", ".csv"):
        _fail(f"--output must end with .xlsx or .csv (or be - for CSV on stdout), got "
              f"{output.name!r}")
    _check_output(output, lang, data, params, indicators, mapping)
    settings = _settings(params, data)
    registry = _registry(indicators)
    loaded = _load(data, lang, mapping, registry)
    tables = loaded.tables
    try:
        if county is not None:
            tables = county_tables(tables, pick_county(tables, county, lang))
        frames = make_ledger(tables, settings, registry, year_from=year_from,
                             year_to=year_to, lang=lang)
    except (LedgerError, FormsError) as exc:
        _fail(f"{data}: {exc}")
    info = dataset_info(data)
    shown = name or _county_name(settings, county, data, lang)
    try:
        if to_stdout:
            write_output(STDOUT, csv_bytes(frames, lang=lang, note=info.get("note"),
                                           registry=registry))
        else:
            write_ledger(frames, output, lang=lang, note=info.get("note"), registry=registry,
                         name=shown)
    except OutputError as exc:
        _fail(exc.format(lang))
    _say(label("ledger_written", lang, first=frames.year_from, last=frames.year_to,
               count=count_line(frames.count, lang), path=str(output)), err=to_stdout)


def _county_name(settings: Any, county_id: str | None, data: Path, lang: str) -> str:
    """A document's county name: the data's settings (``county.name``) for the county they
    describe, else the county id, else the data's name."""
    own = settings.county.code in ("", None) or settings.county.code == county_id
    if not county_id or own:
        return settings.county.title(county_id or Path(data).stem, lang)
    return county_id


def _document_inputs(data: Path, year: int, county: str | None, name: str | None,
                     params: Path | None, indicators: Path | None, mapping: Path | None,
                     lang: str, history: bool = False):
    """What ``forms`` and ``selfreport`` share: (county data, evaluation, forms), or exit 2.
    ``history``: evaluate every year up to ``year`` (the ledger's), not ``year`` alone."""
    from .forms import FormsError, build_forms, pick_county
    from .indicators import evaluate as run

    settings, registry = _settings(params, data), _registry(indicators)
    county_data = _load(data, lang, mapping, registry)
    years = sorted(int(y) for y in county_data.schools["year"].unique())
    if year not in years:
        _fail(f"{data}: 没有 {year} 学年的数据（已有: {', '.join(map(str, years))}）"
              if lang == "zh" else
              f"{data}: no data for year {year} (years present: {', '.join(map(str, years))})")
    try:
        county_id = pick_county(county_data.tables, county, lang)
        ev = run(county_data.tables, settings, registry,
                 years=[y for y in years if y <= year] if history else [year])
        forms = build_forms(ev, county_data.tables, year, county_id=county_id,
                            name=name or _county_name(settings, county_id, data, lang),
                            lang=lang)
    except FormsError as exc:
        _fail(f"{data}: {exc}")
    return county_data, ev, forms


@app.command()
def forms(
    data: Path = typer.Argument(..., help="County folder of CSV files or one .xlsx workbook"),
    year: int = typer.Option(..., "--year", help="School year (start), e.g. 2025"),
    output: Path = typer.Option(..., "--output", help="The workbook to write, e.g. 附表.xlsx"),
    county: str | None = typer.Option(None, "--county", help=COUNTY_HELP),
    name: str | None = typer.Option(None, "--name", help=NAME_HELP),
    params: Path | None = typer.Option(None, "--params", help="Settings YAML (see params/standards.yaml)"),
    indicators: Path | None = typer.Option(None, "--indicators", help=INDICATORS_HELP),
    mapping: Path | None = typer.Option(None, "--mapping", help=MAPPING_HELP),
    lang: str = typer.Option("zh", "--lang", help="zh | en"),
) -> None:
    """The official forms (附表): 基本情况, one row per school unit per level with unmet values
    shaded, county values and 差异系数, the other indicators and vetoes; print-ready."""
    from .forms_excel import forms_bytes
    from .words import label

    _check_lang(lang)
    if output.suffix.lower() != ".xlsx":
        _fail(f"--output must end with .xlsx, got {output.name!r}")
    _check_output(output, lang, data, params, indicators, mapping)
    _, _, made = _document_inputs(data, year, county, name, params, indicators, mapping, lang)
    info = dataset_info(data)
    try:
        write_output(output, forms_bytes(made, lang=lang, note=info.get("note")))
    except OutputError as exc:
        _fail(exc.format(lang))
    _say(label("forms_written", lang, county=made.name, year=made.year, n=made.n_units,
               passing=made.n_passing, path=str(output)))


@app.command()
def selfreport(
    data: Path = typer.Argument(..., help="County folder of CSV files or one .xlsx workbook"),
    year: int = typer.Option(..., "--year", help="School year (start), e.g. 2025"),
    output: Path = typer.Option(..., "--output", help="The document to write, e.g. 自评报告.docx"),
    year_from: int | None = typer.Option(None, "--from",
                                         help="First year of the ledger (default: first in data)"),
    county: str | None = typer.Option(None, "--county", help=COUNTY_HELP),
    name: str | None = typer.Option(None, "--name", help=NAME_HELP),
    params: Path | None = typer.Option(None, "--params", help="Settings YAML (see params/standards.yaml)"),
    indicators: Path | None = typer.Option(None, "--indicators", help=INDICATORS_HELP),
    mapping: Path | None = typer.Option(None, "--mapping", help=MAPPING_HELP),
    lang: str = typer.Option("zh", "--lang", help="zh | en"),
) -> None:
    """An editable 自评报告 draft (.docx): 基本情况, 资源配置, 政府保障程度, 教育质量, 社会认可度,
    存在的问题与整改措施 (from the ledger), 附表; Word tables, the CV chart, page numbers."""
    from .docx_out import docx_bytes
    from .forms import county_tables
    from .ledger import LedgerError, make_ledger
    from .plots import cv_by_indicator, to_png
    from .selfreport import Table, build_draft, open_problems
    from .words import label

    _check_lang(lang)
    if output.suffix.lower() != ".docx":
        _fail(f"--output must end with .docx, got {output.name!r}")
    _check_output(output, lang, data, params, indicators, mapping)
    loaded, ev, made = _document_inputs(data, year, county, name, params, indicators, mapping,
                                        lang, history=True)
    one = ev.for_counties([made.county_id])
    try:
        frames = make_ledger(county_tables(loaded.tables, made.county_id), ev.settings,
                             ev.registry, year_from=year_from, year_to=year, evaluation=one,
                             lang=lang)
    except LedgerError as exc:
        _fail(f"{data}: {exc}")
    info = dataset_info(data)
    figure = to_png(cv_by_indicator(one.variation, ev.registry, year=year, lang=lang))
    draft = build_draft(made, frames, lang=lang, note=info.get("note"), figure=figure)
    try:
        write_output(output, docx_bytes(draft, lang=lang))
    except OutputError as exc:
        _fail(exc.format(lang))
    n_tables = sum(isinstance(b, Table) for b in draft.blocks)
    _say(label("sr_written", lang, county=made.name, year=year, tables=n_tables,
               problems=len(open_problems(frames, made)), path=str(output)))


@app.command()
def report(
    data: Path = typer.Argument(..., help="County folder of CSV files or one .xlsx workbook"),
    years: str | None = typer.Option(None, "--years", help="2022-2025, 2024 or 2022,2024 (default: all)"),
    schools: str = typer.Option("all", "--schools", help="all | none | ID,ID,…"),
    out: Path = typer.Option(Path("outputs"), "--out", help="Output folder (index.html, manifest.json)"),
    jobs: int | None = typer.Option(None, "--jobs", min=1, help="Parallel reports (default: cores)"),
    force: bool = typer.Option(False, "--force", help="Rebuild reports whose inputs are unchanged"),
    params: Path | None = typer.Option(None, "--params", help="Settings YAML (see params/standards.yaml)"),
    mapping: Path | None = typer.Option(None, "--mapping", help=MAPPING_HELP),
    trend: bool = typer.Option(True, "--trend/--no-trend", help="Also render the county trend"),
    scenario_files: list[Path] = typer.Option(  # noqa: B008 - typer's way
        [], "--scenario", help="Also render this scenario (30-scenario); repeatable"),
    plan_years: list[int] = typer.Option(  # noqa: B008 - typer's way
        [], "--plan", help="Also render the least-cost plan for this target year (50-plan); "
                           "repeatable"),
    costs_file: Path | None = typer.Option(None, "--costs",
                                           help="Cost file of the plans (default params/costs.yaml)"),
    budget: float | None = typer.Option(None, "--budget", help="Budget per year of the plans (元)"),
    lang: str = typer.Option("zh", "--lang",
                             help="zh | en (English reports go to *.en.html, index.en.html)"),
    executor: str = typer.Option("local", "--executor",
                                 help="local (process pool, one kept kernel per worker) | dask"),
    scheduler: str | None = typer.Option(None, "--scheduler",
                                         help="Dask scheduler address, e.g. tcp://host:8786 "
                                              "(with --executor dask; shared file system)"),
    indicators: Path | None = typer.Option(None, "--indicators", help=INDICATORS_HELP),
    counties: str = typer.Option("all", "--counties",
                                 help="Data of several counties: all | none | ID,ID,… (the "
                                      "counties that get their own reports; the province "
                                      "page covers every county)"),
    pdf: bool = typer.Option(False, "--pdf",
                             help="Also print each report as PDF (A4) with headless Chromium"),
) -> None:
    """Render the notebook reports (per year, per school, trend) to offline HTML with an index.

    Data of several counties (a ``county_id`` column, e.g. a province) get a province page
    (``province.html``: every county's verdict, CVs and the indicators failing most) and each
    chosen county its reports in its own folder (``<county_id>/``) with its own index.

    A school whose rows have data problems is set aside (its problems are printed as a warning):
    the other reports are computed without it, its own report is marked failed with the
    problems, and the command exits 1 at the end. Problems not tied to a school exit 2.
    """
    _check_lang(lang)
    if executor not in ("local", "dask"):
        _fail(f"--executor must be local or dask, got {executor!r}")
    if executor == "dask":
        if not scheduler:
            _fail("--executor dask needs --scheduler ADDRESS (e.g. tcp://host:8786)")
        try:
            import distributed  # noqa: F401
        except ImportError:
            _fail("--executor dask needs the distributed package: pip install 'balance[dask]'")
    elif scheduler:
        _fail("--scheduler is only used with --executor dask")
    import os

    from .costs import COSTS_FILE
    from .paths import STANDARDS_FILE
    from .render import cached_dashboard, cached_plan, data_hash, plan_entry, plan_key
    from .settings import data_settings_file

    base_hash = data_hash(data, params, indicators, mapping)  # once: it reads every data file
    options = {"cwd": os.getcwd(), "data": str(data), "years": years, "schools": schools,
               "params": params, "mapping": mapping, "trend": trend, "scenarios": scenario_files,
               "plans": plan_years, "costs": costs_file, "budget": budget, "lang": lang,
               "indicators": indicators, "counties": counties}
    # every file planning reads beyond the data's digest: the settings in force (the project's
    # under --params too, and a workbook's settings.yaml beside it), scenario and cost files
    read = [STANDARDS_FILE, *filter(None, [data_settings_file(data)]), *scenario_files,
            *([costs_file or COSTS_FILE] if plan_years else [])]
    key = plan_key(base_hash, options, [f for f in read if Path(f).is_file()])
    # unchanged inputs and options: the plan of the last run (its inputs passed validation
    # then), without reading, validating or evaluating the data again
    kept = None if force else cached_plan(out, key, lang)
    dashboard = cached_dashboard(out, base_hash, lang) if kept is not None else None
    if kept is not None and dashboard is not None:
        for message in kept.get("messages", []):
            _say(message, err=True)
        _render(data, out, kept["jobs"], dict.fromkeys(kept.get("excluded", ()), ()), lang, jobs,
                force, executor, scheduler, base_hash=base_hash, title=kept["title"], pdf=pdf,
                dashboard=dashboard, info=kept.get("info"))
        return
    global _HEARD
    _HEARD = heard = []
    try:
        planned = _plan_county(data, out, years, schools, params, mapping, trend, scenario_files,
                               plan_years, costs_file, budget, lang, indicators, counties)
    finally:
        _HEARD = None
    plan, excluded, title = planned["jobs"], planned["excluded"], planned["title"]
    if "counties" in planned:  # a province: its index rows come from evaluating every county
        _render(data, out, plan, excluded, lang, jobs, force, executor, scheduler,
                base_hash=base_hash, title=title, pdf=pdf, counties=planned["counties"])
        return
    info = dataset_info(data)
    entry = plan_entry(key, plan, excluded=list(excluded), title=title, info=info,
                       messages=heard)
    # the index's results of the same inputs, kept in the manifest: a rebuild does not evaluate
    dashboard = cached_dashboard(out, base_hash, lang)
    if dashboard is None:
        dashboard = _dashboard(planned["county"], planned["settings"], planned["registry"], lang)
    _render(data, out, plan, excluded, lang, jobs, force, executor, scheduler,
            base_hash=base_hash, title=title, pdf=pdf, info=info, record=entry,
            dashboard=dashboard)


def _plan_county(data: Path, out: Path, years: str | None, schools: str, params: Path | None,
                 mapping: Path | None, trend: bool, scenario_files: list[Path],
                 plan_years: list[int], costs_file: Path | None, budget: float | None,
                 lang: str, indicators: Path | None, counties: str) -> dict[str, Any]:
    """Read and validate the inputs of ``balance report`` and plan its jobs: ``jobs``,
    ``excluded`` (schools set aside, with their problems), the index ``title``, and the
    ``settings``, ``registry`` and ``county`` read, or for data of several counties the
    index's ``counties``. Bad input exits 2, writing nothing."""
    from .render import parse_years, plan_jobs
    from .report import ReportParamError, check_params, school_ids_of
    from .schemas import format_report

    settings = _settings(params, data)
    registry = _registry(indicators)
    county, excluded = _load_excluding(data, lang, mapping, registry)
    available = sorted(int(y) for y in county.schools["year"].unique())
    try:
        chosen = parse_years(years, available)
    except ValueError as exc:
        _fail(f"--years: {exc}")
    from .report import county_ids
    from .words import label

    present = county_ids(county)
    if len(present) > 1:  # a province: scenarios and plans are about one county
        for option, given in (("--scenario", scenario_files), ("--plan", plan_years)):
            if given:
                _fail(f"{option} 需要单个县的数据（该数据有多个县）/ {option} needs the data of "
                      "one county (these hold several)")
    scenarios = _check_scenarios(scenario_files, county, lang)
    plans = _check_plans(plan_years, costs_file, budget, county, lang)
    # the folder is made only once the data are known good: a bad input writes nothing
    try:
        prepare_folder(out)
    except OutputError as exc:
        _fail(f"--out: {exc.format(lang)}")

    title = label("index_title", lang, county=settings.county.title(Path(data).name, lang))
    if len(present) > 1:  # a province: a folder of reports per county, the province page
        plan, entries = _plan_province(data, county, excluded, chosen, present, counties,
                                       schools, params, trend, lang, indicators, mapping,
                                       settings, registry)
        return {"jobs": plan, "excluded": excluded, "title": title, "counties": entries}
    if counties not in ("all", "none"):
        _fail(f"--counties: 数据中没有县代码（county_id）/ the data have no county_id: {counties}")
    if schools == "all":  # the excluded schools too: their reports show them as failed
        ids = sorted({*school_ids_of(county), *excluded})
    elif schools == "none":
        ids = []
    else:
        ids = [s.strip() for s in schools.split(",") if s.strip()]
    try:
        for y in chosen:
            check_params(county, year=y)
        for s in ids:
            if s not in excluded:
                check_params(county, school_id=s)
    except ReportParamError as exc:
        _fail(f"{data}: {exc}")
    if excluded:
        problems = [p for ps in excluded.values() for p in ps]
        _say(f"警告 / warning: {len(excluded)} 所学校的数据有问题，已排除（县域值和差异系数"
             f"不含这些学校，其一校一册标记为失败）/ {len(excluded)} school(s) excluded: "
             f"{', '.join(excluded)}\n{format_report(problems, lang=lang)}", err=True)
    s = county.schools
    names = {**county.excluded_names,
             **dict(zip(s["school_id"].astype(str), s["school_name"].astype(str)))}
    plan = plan_jobs(data, chosen, ids, params=params, school_names=names, trend=trend,
                     scenarios=scenarios, lang=lang, indicators=indicators, mapping=mapping,
                     plans=plans)
    return {"jobs": plan, "excluded": excluded, "title": title, "settings": settings,
            "registry": registry, "county": county}


def _plan_province(data: Path, county: Any, excluded: dict, years: list[int],
                   present: list[str], counties: str, schools: str, params: Path | None,
                   trend: bool, lang: str, indicators: Path | None, mapping: Path | None,
                   settings: Any, registry: Any) -> tuple[list, list]:
    """The jobs of data holding several counties: the province page, then each chosen
    county's reports (``--counties``) in its folder; and the main index's county rows (with
    each county's results for its own index, from one evaluation of every county)."""
    from .dashboard import summaries
    from .indicators import evaluate as run
    from .render import CountyEntry, plan_jobs, province_job
    from .words import label
    from .report import county_part, school_ids_of, years_of

    if counties == "all":
        chosen = list(present)
    elif counties == "none":
        chosen = []
    else:
        chosen = list(dict.fromkeys(c.strip() for c in counties.split(",") if c.strip()))
        unknown = [c for c in chosen if c not in present]
        if unknown:
            shown = ", ".join(present[:8]) + (" …" if len(present) > 8 else "")
            _fail(f"--counties: 数据中没有这些县: {', '.join(unknown)}（共 {len(present)} 个: "
                  f"{shown}）/ unknown counties: {', '.join(unknown)} ({len(present)} "
                  f"counties: {shown})")
    wanted = None if schools in ("all", "none") else {
        x.strip() for x in schools.split(",") if x.strip()}
    plan = [province_job(data, max(years), params, lang, indicators, mapping, linked=chosen)]
    seen: set[str] = set()
    for c in chosen:
        part = county_part(county, c)
        ids = [] if schools == "none" else sorted(school_ids_of(part))
        if wanted is not None:
            ids = [x for x in ids if x in wanted]
            seen.update(ids)
        own = [y for y in years if y in set(years_of(part))]  # a county may lack a year
        if len(own) < len(years):
            _say(f"注意 / note: {c}: 没有 {', '.join(str(y) for y in years if y not in own)} "
                 f"学年的数据，不生成该年报告 / no data for those years: no report", err=True)
        s = part.schools
        names = {**county.excluded_names,
                 **dict(zip(s["school_id"].astype(str), s["school_name"].astype(str)))}
        plan += plan_jobs(data, own, ids, params=params, school_names=names, trend=trend,
                          lang=lang, indicators=indicators, mapping=mapping, county=c)
    if wanted is not None and wanted - seen - set(excluded):
        _fail(f"--schools: 所选县中没有这些学校 / not in the chosen counties: "
              f"{', '.join(sorted(wanted - seen - set(excluded)))}")
    ev = run(county.tables, settings, registry, years=years)
    last = ev.verdict[ev.verdict["year"].astype(int) == max(years)]
    status = dict(zip(last["county_id"].astype(str), last["status"], strict=True))
    results = summaries(ev, lang)
    name = settings.county.title(Path(data).name, lang)
    entries = [CountyEntry(c, status.get(c, "not_assessed"), max(years), c in chosen,
                           label("index_county_title", lang, name=name, county=c),
                           results.get(c))
               for c in present]
    return plan, entries


def _render(data: Path, out: Path, plan: list, excluded: dict, lang: str, jobs: int | None,
            force: bool, executor: str, scheduler: str | None, *, base_hash: str, title: str,
            pdf: bool = False, dashboard: dict | None = None,
            counties: list | None = None, info: dict[str, Any] | None = None,
            record: dict[str, Any] | None = None) -> None:
    """Render ``plan`` into ``out`` with its index (``dashboard``: the county's results) and,
    for a province, the counties' indexes; ``base_hash``: :func:`balance_lib.render.data_hash`
    of the inputs; ``pdf``: each report also as PDF. Exit 1 when a report failed or a school
    was set aside, 128 + the signal when stopped. ``info``: :func:`dataset_info` of ``data``
    when known; ``record``: how ``plan`` was planned, kept in the manifest
    (``render.plan_entry``)."""
    from .lifecycle import Interrupted
    from .render import render_batch
    from .words import label

    info = info if info is not None else dataset_info(data)
    synthetic = info.get("note") if lang == "zh" else (
        info["synthetic"] and label("note_synthetic", lang))
    note = "\n".join(filter(None, [synthetic, excluded and label(
        "index_excluded", lang, n=len(excluded), ids=label("list_sep", lang).join(excluded))]))
    try:
        batch = render_batch(plan, out, base_hash=base_hash, n_jobs=jobs,
                             force=force, note=note or None, dashboard=dashboard,
                             title=title, executor=executor, scheduler=scheduler, lang=lang,
                             counties=counties, plan_record=record)
    except OutputError as exc:  # the manifest or the index (each report records its own)
        _fail(exc.format(lang))
    except Interrupted as exc:
        _say(f"已中断 / interrupted ({exc}): 已完成的报告已记入 manifest；重新运行即可继续 / the "
             f"reports finished so far are in the manifest; run again to go on", err=True)
        raise typer.Exit(128 + exc.signum) from None
    pdf_problems: list[str] = []
    if pdf:
        from .pdf import write_pdfs

        pages = [Path(out) / o.html for o in batch.outcomes if o.html and o.status != "failed"]
        made, pdf_problems = write_pdfs(pages, jobs=jobs or 2, force=force)
        _say(f"PDF: {len(made)} 份已生成 / written ({len(pages) - len(made) - len(pdf_problems)} "
             f"未变化 / unchanged)", err=True)
        for p in pdf_problems:
            _say(f"PDF 失败 / failed: {p}", err=True)
    for o in batch.failed:
        _say(f"失败 / failed: {o.stem}: {o.error} (notebook: {o.notebook})", err=True)
    if excluded:
        _say(f"已排除 / excluded (data problems above): {', '.join(excluded)}", err=True)
    _say(f"{batch.summary()} → {Path(out) / batch.index}")
    if batch.failed or excluded or pdf_problems:
        raise typer.Exit(1)


def _dashboard(county: Any, settings: Any, registry: Any, lang: str) -> dict[str, Any] | None:
    """The county's results for the index (:func:`balance_lib.dashboard.summary`); None when
    they cannot be computed (the reports then say why)."""
    from .dashboard import summary
    from .indicators import evaluate

    try:
        return summary(evaluate(county.tables, settings, registry), lang)
    except Exception:  # noqa: BLE001 - the index then shows the reports' status only
        return None


def _check_scenarios(files: list[Path], county: Any, lang: str) -> list[tuple[Path, str]]:
    """Validate scenario files before a batch: (file, name) pairs, or exit 2 with every problem."""
    if not files:
        return []
    from .scenario import ScenarioDataError, school_facts
    from .scenario_spec import ScenarioError, load_scenario

    try:
        facts = school_facts(county.tables)
    except ScenarioDataError as exc:
        _fail(str(exc))
    out, errors = [], []
    for f in files:
        try:
            out.append((Path(f), load_scenario(f, facts).name))
        except ScenarioError as exc:
            errors.append(exc.format(lang))
    if errors:
        _fail("\n".join(errors))
    return out


def _check_plans(years: list[int], costs_file: Path | None, budget: float | None, county: Any,
                 lang: str) -> list[dict[str, Any]]:
    """Validate the plans of a report batch (target years, cost file, budget), or exit 2."""
    if not years:
        if costs_file is not None or budget is not None:
            _fail("--costs and --budget go with --plan YEAR")
        return []
    from .costs import CostsError, load_costs
    from .plan import MAX_BY
    from .scenario import ScenarioDataError, school_facts
    from .words import label

    problems = []
    try:
        load_costs(costs_file)
    except CostsError as exc:
        problems.append(exc.format(lang))
    if budget is not None and not 0 <= budget < float("inf"):
        problems.append(f"--budget: {label('bad_budget', lang, value=repr(budget))}")
    try:
        last = school_facts(county.tables).last_year
    except ScenarioDataError:
        last = int(county.schools["year"].max())
    for y in years:
        if not last <= y <= max(MAX_BY, last):
            problems.append(f"--plan {y}: 目标年份应为 {last}–{max(MAX_BY, last)} / the target "
                            f"year must be in {last}–{max(MAX_BY, last)}")
    if problems:
        _fail("\n".join(problems))
    return [{"by": y, "costs": costs_file, "budget": budget} for y in years]


@app.command()
def scenario(
    data: Path = typer.Argument(..., help="County folder of CSV files or one .xlsx workbook"),
    scenario_file: Path | None = typer.Option(None, "--scenario",
                                              help="Scenario YAML (params/scenarios/); none = baseline only"),
    to: int | None = typer.Option(None, "--to", help="Target year (default: the file's, else 2029)"),
    fmt: str = typer.Option("table", "--format", help="table | json"),
    output: Path | None = typer.Option(None, "--output", help="Write to this file instead of stdout"),
    params: Path | None = typer.Option(None, "--params", help="Settings YAML (see params/standards.yaml)"),
    indicators: Path | None = typer.Option(None, "--indicators", help=INDICATORS_HELP),
    mapping: Path | None = typer.Option(None, "--mapping", help=MAPPING_HELP),
    lang: str = typer.Option("zh", "--lang", help="zh | en"),
) -> None:
    """Project enrolment to the target year and compare a scenario with the baseline."""
    from .scenario import ScenarioDataError, run_scenario, school_facts, to_json as scenario_json
    from .scenario_spec import EMPTY, ScenarioError, load_scenario, parse_scenario
    from .scenario_text import render_scenario

    _check_output(output, lang, data, params, scenario_file, indicators, mapping)
    settings, registry, county = _inputs(data, fmt, params, lang, indicators, mapping)
    try:
        facts = school_facts(county.tables)
        if scenario_file is None:
            spec = parse_scenario({"name": EMPTY.name, "changes": []}, facts, "baseline", to)
        else:
            spec = load_scenario(scenario_file, facts, target_year=to)
        result = run_scenario(county.tables, spec, settings, registry)
    except ScenarioError as exc:
        _fail(exc.format(lang))
    except ScenarioDataError as exc:
        _fail(f"{data}: {exc}")
    text = _command_output(fmt, data, lambda: scenario_json(result), lambda info: render_scenario(
        result, registry, lang=lang, data_name=settings.county.title(info["name"], lang),
        note=info.get("note")))
    _emit(text, output, lang)


@app.command()
def template(
    output: Path = typer.Option(..., "--output", help="The workbook to write, e.g. 模板.xlsx"),
    source: Path | None = typer.Option(None, "--from",
                                       help="Pre-fill with a year of this county's data"),
    year: int | None = typer.Option(None, "--year",
                                    help="The year to pre-fill (default: the latest in --from)"),
    mapping: Path | None = typer.Option(None, "--mapping", help=MAPPING_HELP),
    lang: str = typer.Option("zh", "--lang", help="zh | en (messages; the template is Chinese)"),
) -> None:
    """Write the Excel input template: a sheet per table with Chinese headers, units, drop-downs
    and number checks, and the instructions (说明); --from pre-fills it with last year's data."""
    from .template import template_bytes

    _check_lang(lang)
    if output.suffix.lower() != ".xlsx":
        _fail(f"--output must end with .xlsx, got {output.name!r}")
    if source is None and (year is not None or mapping is not None):
        _fail("--year and --mapping go with --from DATA" if lang == "en" else
              "--year 和 --mapping 需要与 --from DATA 一起使用")
    _check_output(output, lang, source, mapping)
    tables, label = None, None
    if source is not None:
        county = _load(source, lang, mapping)
        years = sorted(int(y) for y in county.schools["year"].unique())
        if year is None:
            year = years[-1]
        elif year not in years:
            _fail(f"{source}: 没有 {year} 学年的数据（已有: {', '.join(map(str, years))}）"
                  if lang == "zh" else
                  f"{source}: no data for year {year} "
                  f"(years present: {', '.join(map(str, years))})")
        tables, label = county.tables, source.name
    try:
        write_output(output, template_bytes(tables, year, label))
    except OutputError as exc:
        _fail(exc.format(lang))
    _say(f"→ {output}" + (f"（{label} {year} 学年预填）" if label and lang == "zh" else
                                f" (pre-filled with {label} {year})" if label else ""))


@app.command()
def plan(
    data: Path = typer.Argument(..., help="County folder of CSV files or one .xlsx workbook"),
    by: int = typer.Option(..., "--by", help="Target year: the last observed year (today's "
                           "enrolment) or a later year up to 2035 (the projection)"),
    scenario_file: Path | None = typer.Option(None, "--scenario",
                                              help="Start from this scenario (its target year "
                                                   "becomes --by)"),
    costs_file: Path | None = typer.Option(None, "--costs",
                                           help="Cost file (default params/costs.yaml)"),
    budget: float | None = typer.Option(None, "--budget", help="Budget per year in 元 "
                                        "(one-off costs when spent, yearly costs while in service)"),
    params: Path | None = typer.Option(None, "--params", help="Settings YAML (see params/standards.yaml)"),
    indicators: Path | None = typer.Option(None, "--indicators", help=INDICATORS_HELP),
    mapping: Path | None = typer.Option(None, "--mapping", help=MAPPING_HELP),
    fmt: str = typer.Option("table", "--format", help="table | json"),
    output: Path | None = typer.Option(None, "--output",
                                       help="Write the plan as a scenario file (.yaml) for "
                                            "balance scenario"),
    time_limit: float = typer.Option(60.0, "--time-limit", help="Solver time limit in seconds "
                                     "of CPU time (one thread: other work on the machine does "
                                     "not cut the search short)"),
    gap: float = typer.Option(0.0, "--gap", help="Stop at this relative optimality gap "
                              "(0 = prove optimality)"),
    lang: str = typer.Option("zh", "--lang", help="zh | en"),
) -> None:
    """Least-cost actions (teachers, buildings, equipment, rooms) per school and year that
    bring every unit and every 差异系数 within the standard by --by, checked by the engine.

    Exit 0 with a plan, 3 when there is none (infeasible or over budget: the reasons, or the
    smallest budget per year that would do, are printed), 2 for bad input.
    """
    from .costs import CostProblem, CostsError, check_limits, load_costs
    from .plan import PlanInputError, PlanOptions, plan_scenario, prepare, solve
    from .plan import to_json as plan_json
    from .plan_text import render_plan
    from .scenario import ScenarioDataError, school_facts
    from .scenario_spec import ScenarioError, load_scenario, read_yaml
    from .words import label

    msg_lang = lang if lang in ("zh", "en") else "zh"
    problems: list[str] = []

    def arg(fld: str, zh: str, en: str) -> None:
        problems.append(CostProblem("参数" if msg_lang == "zh" else "arguments", fld, zh, en)
                        .format(msg_lang))

    if budget is not None and not 0 <= budget < float("inf"):
        arg("--budget", label("bad_budget", "zh", value=repr(budget)),
            label("bad_budget", "en", value=repr(budget)))
    if not 0 < time_limit < float("inf"):
        arg("--time-limit", f"应为正数（秒），实为 {time_limit!r}",
            f"must be a positive number of seconds, got {time_limit!r}")
    if not 0 <= gap < 1:
        arg("--gap", f"应在 [0, 1) 内，实为 {gap!r}", f"must be in [0, 1), got {gap!r}")
    if output is not None and output.suffix.lower() not in (".yaml", ".yml"):
        arg("--output", f"方案写成情景文件，应以 .yaml 结尾，实为 {output.name!r}",
            f"the plan is written as a scenario file ending in .yaml, got {output.name!r}")
    costs = None
    try:
        costs = load_costs(costs_file)
    except CostsError as exc:
        problems += [p.format(msg_lang) for p in exc.problems]
    _check_output(output, msg_lang, data, params, scenario_file, costs_file, indicators, mapping)
    settings, registry, county = _inputs(data, fmt, params, lang, indicators, mapping,
                                         problems)
    tables = county.tables
    spec, raw = None, None
    if scenario_file is not None:
        try:
            spec = load_scenario(scenario_file, school_facts(tables), target_year=by)
            raw, _ = read_yaml(scenario_file)
        except ScenarioError as exc:
            problems.append(exc.format(lang))
        except ScenarioDataError as exc:
            problems.append(f"{data}: {exc}")
    if not problems:
        try:
            pb = prepare(tables, by, costs, settings, registry, scenario=spec, scenario_raw=raw)
            problems += [p.format(lang) for p in check_limits(
                costs, pb.units["school_id"].astype(str))]
        except PlanInputError as exc:
            problems.append(exc.format(lang))
        except ScenarioError as exc:
            problems.append(exc.format(lang))
        except ScenarioDataError as exc:
            problems.append(f"{data}: {exc}")
    if problems:
        _fail("\n".join(problems))
    result = solve(pb, PlanOptions(budget=budget, time_limit=time_limit, gap=gap))
    text = _command_output(fmt, data, lambda: plan_json(result), lambda info: render_plan(
        result, lang, data_name=settings.county.title(info["name"], lang),
        note=info.get("note")))
    has_plan = result.status in ("optimal", "feasible")
    if output is not None and has_plan:
        try:
            write_output(output, plan_yaml(plan_scenario(result, lang), lang).encode("utf-8"))
        except OutputError as exc:
            _fail(exc.format(lang))
    _emit(text, None, lang)
    if output is not None:
        _say(f"→ {output}" if has_plan else (
            f"没有方案，未写入 {output}" if lang == "zh" else f"no plan: {output} not written"),
            err=True)
    if not has_plan:
        raise typer.Exit(EXIT_NO_PLAN)


def plan_yaml(doc: dict[str, Any], lang: str = "zh") -> str:
    """A plan's scenario file: a header comment, then the YAML (ids quoted, Chinese as is)."""
    import yaml

    from .words import label

    head = "".join(f"# {label('pt_file_head', x)}\n" for x in dict.fromkeys((lang, "zh", "en")))
    return head + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100)


def main(argv: list[str] | None = None) -> Any:
    """Console entry point."""
    return app(args=argv, prog_name="balance")


if __name__ == "__main__":  # pragma: no cover
    main()
