"""What the ``30-scenario`` notebook shows: tables and charts in Chinese or English.

The notebook stays thin: it calls :func:`run` with its parameters, then one function per table
or chart. Tables come back as DataFrames for :func:`balance_lib.report.text`; charts as
:class:`matplotlib.figure.Figure` for :func:`balance_lib.plots.show`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from . import formats
from .chartspec import Chart, Series, figure, options
from .columns import value_label
from .entry_text import entry_backtest_line, entry_backtest_table
from .plots import FAIL_COLOUR, PALETTE
from .report import ReportData, ReportParamError, resolve_path
from .safetext import cell
from .scenario import CASES, ScenarioResult, run_scenario, school_facts, target_names
from .scenario_spec import TYPE_ZH, Scenario, ScenarioError, load_scenario
from .scenario_text import arrows, failing_lines, touched_schools
from .words import label

_STYLE = {"baseline": "--", "scenario": "-"}



def w(key: str, lang: str = "zh", **fields: object) -> str:
    """A word of the scenario report in ``lang``: ``sc_KEY`` of :mod:`balance_lib.words`."""
    return label(f"sc_{key}", lang, **fields)


def title(r: ScenarioRun, lang: str = "zh") -> str:
    from .report import county_name

    return w("title", lang, county=county_name(r.data, lang), name=r.scenario.name)


def section(key: str, lang: str = "zh") -> str:
    """A section heading (``changes``, ``targets``, ``classes``, ``county``, ``cv``,
    ``backtest``)."""
    return w(f"s_{key}", lang)


@dataclass(frozen=True)
class ScenarioRun:
    data: ReportData
    scenario: Scenario
    result: ScenarioResult
    path: Path
    #: what several tables and charts of this run share, made once (:func:`_county_counts`)
    memo: dict = field(default_factory=dict, compare=False, repr=False)


def run(data: ReportData, scenario: str | Path, to: int = 0, lang: str = "zh") -> ScenarioRun:
    """Validate the scenario file against the data and run it (``to`` = 0: the file's year)."""
    path = resolve_path(scenario)
    if not path.is_file():
        raise ReportParamError(w("missing", lang, path=path))
    facts = school_facts(data.county.tables)
    try:
        spec = load_scenario(path, facts, target_year=int(to) or None)
    except ScenarioError as exc:
        raise ReportParamError(exc.format(lang)) from None
    result = run_scenario(data.county.tables, spec, data.settings, data.registry)
    return ScenarioRun(data, spec, result, path)


def intro(r: ScenarioRun, lang: str = "zh") -> str:
    """Scenario file, description, years, methods and the back-test in a few lines."""
    res, ps = r.result, r.scenario.settings
    bt = res.summary["backtest"]
    lines = [w("file", lang, name=r.path.name)]
    if r.scenario.description:
        lines.append(r.scenario.description)
    lines.append(w("years", lang, last=res.last_observed, to=res.years[-1],
                   entry=w(ps.entry, lang), policy=w(ps.class_policy, lang)))
    if bt["county_pct_error"] is not None:
        lines.append(w("backtest", lang, year=res.last_observed,
                       county=formats.percent(bt["county_pct_error"], 1, sign=True),
                       mape=formats.percent(bt["school_mape"]),
                       max=formats.percent(bt["school_max_ape"])))
    lines.append(entry_backtest_line(res.summary["projection"]["entry_backtest"], ps.entry, lang))
    lines.append(w("even", lang, year=res.last_observed))
    return "\n".join(lines)


def intro_table(r: ScenarioRun, lang: str = "zh") -> pd.DataFrame:
    """:func:`intro` as a table of two columns (what, the text), for the report's summary."""
    res, ps = r.result, r.scenario.settings
    bt = res.summary["backtest"]
    rows = [("i_file", r.path.name)]
    if r.scenario.description:
        rows.append(("i_description", r.scenario.description))
    rows.append(("i_projection", w("years", lang, last=res.last_observed, to=res.years[-1],
                                   entry=w(ps.entry, lang), policy=w(ps.class_policy, lang))))
    if bt["county_pct_error"] is not None:
        rows.append(("i_backtest", w("backtest", lang, year=res.last_observed,
                                     county=formats.percent(bt["county_pct_error"], 1, sign=True),
                                     mape=formats.percent(bt["school_mape"]),
                                     max=formats.percent(bt["school_max_ape"]))))
    rows.append(("i_entry", entry_backtest_line(res.summary["projection"]["entry_backtest"],
                                                ps.entry, lang)))
    rows.append(("i_classes", w("even", lang, year=res.last_observed)))
    return pd.DataFrame({label("col_item", lang): [w(k, lang) for k, _ in rows],
                         label("col_detail", lang): [t for _, t in rows]})


def _amounts(fields: dict, signed: bool, lang: str = "zh") -> list[str]:
    """``教学及辅助用房面积 +800 m²`` … (signed for changes to an existing school)."""
    from .columns import COLUMNS

    names = {c.name: (c.zh if lang == "zh" else c.en) for c in COLUMNS if c.table == "schools"}
    names["classrooms"] = w("rooms_label", lang)
    zh = lang == "zh"

    def unit(k: str) -> str:
        if k.endswith("_m2"):
            return " m²"
        if k.endswith("_yuan") and "10k" not in k:
            return " 元" if zh else " yuan"
        if k.endswith(("rooms", "classrooms")):
            return " 间" if zh else ""
        return " 人" if zh and "teachers" in k else ""

    fmt = "{:+,.6g}" if signed else "{:,.6g}"
    out = []
    for k, v in fields.items():
        if isinstance(v, float):
            name, u = names.get(k, k), unit(k)
            out.append(f"{name} {fmt.format(v)}{'' if u.strip() and u.strip() in name else u}")
    return out


def changes_table(r: ScenarioRun, lang: str = "zh") -> pd.DataFrame:
    """One row per change: year, type, schools and what it does."""
    names = r.result.schools.drop_duplicates("school_id").set_index("school_id")["school_name"]
    zh = lang == "zh"
    sep = "、" if zh else ", "

    def name(sid: str) -> str:
        return f"{names.get(sid, sid)}（{sid}）" if zh else f"{names.get(sid, sid)} ({sid})"

    rows = []
    for ch in r.scenario.changes:
        f = dict(ch.fields)
        if ch.type == "move_students":
            amount = f"{f['share']:.0%}" if "share" in f else w("persons", lang, n=f["count"])
            grades = w("grades", lang, g=sep.join(map(str, f["grades"])))
            what = [f"{name(f['from'])} → {name(f['to'])}{'：' if zh else ': '}{amount}"
                    f"{'，' if zh else ', '}{grades}"]
        elif ch.type in ("close_school", "merge_school"):
            what = [name(f["school_id"]) + " → " + sep.join(
                f"{name(k)} {v:.0%}" for k, v in f["into"].items())]
        else:
            what = [name(f["school_id"]), *_amounts(f, ch.type != "new_school", lang)]
            if f.get("entry_classes"):
                what.append(w("per_intake", lang) + " " + sep.join(
                    f"{value_label(k, lang)} {v}" for k, v in f["entry_classes"].items()))
        if f.get("note"):
            what.append(f"（{f['note']}）" if zh else f"({f['note']})")
        rows.append({w("no", lang): ch.index, w("year", lang): ch.year,
                     w("change", lang): TYPE_ZH[ch.type] if zh else ch.type.replace("_", " "),
                     w("what", lang): ("；" if zh else "; ").join(what)})
    return pd.DataFrame(rows)


def _touched(r: ScenarioRun) -> list[str]:
    return touched_schools(r.result)


def class_table(r: ScenarioRun, lang: str = "zh") -> pd.DataFrame:
    """Per school concerned, level and year: students, classes, mean/max size, over limit,
    大班额 (56–65) and 超大班额 (≥ 66), each as "baseline → scenario"."""
    s = r.result.schools
    s = s[s.school_id.isin(_touched(r))].assign(
        big=lambda f: f.large_classes + f.super_large_classes)
    cols = {"students": 0, "classes": 0, "mean_class_size": 1, "max_class_size": 0,
            "classes_over_limit": 0, "big": 0}
    b = s[s.case == "baseline"].set_index(["school_id", "level", "year"])
    c = s[s.case == "scenario"].set_index(["school_id", "level", "year"])
    keys = c.index.union(b.index, sort=False)
    order = {sid: k for k, sid in enumerate(_touched(r))}
    keys = sorted(keys, key=lambda k: (order.get(k[0], 0), k[1] != "primary", k[2]))
    names = s.drop_duplicates("school_id").set_index("school_id")["school_name"]
    if not keys:
        return pd.DataFrame()
    # whole columns aligned on the keys, formatted a column at a time (the explorer redraws
    # this table live)
    at = pd.MultiIndex.from_tuples(keys)
    bv, cv = (f[list(cols)].astype(float).reindex(at) for f in (b, c))
    out = {w("school", lang): [names[k[0]] for k in keys],
           w("level", lang): [value_label(k[1], lang) for k in keys],
           w("year", lang): [k[2] for k in keys]}
    for col, digits in cols.items():
        out[w(col, lang)] = arrows(bv[col].to_numpy(), cv[col].to_numpy(), digits)
    return pd.DataFrame(out)


def _county_counts(r: ScenarioRun) -> pd.DataFrame:
    """Per year and case: students, classes over 45/50, 大班额, 超大班额, schools over B11,
    failing units and CVs over their limits (canonical column names); made once per run (the
    county table and its chart both show it; the explorer redraws them live)."""
    if "county_counts" in r.memo:
        return r.memo["county_counts"].copy()
    res = r.result

    def per(frame: pd.DataFrame, flags: pd.Series | pd.DataFrame) -> dict:
        """Sums of ``flags`` per (year, case), as a dict (one grouping, not a filter per
        pair: the explorer redraws this live)."""
        sums = flags.groupby([frame["year"], frame["case"]]).sum()
        return sums.to_dict("index") if isinstance(sums, pd.DataFrame) else sums.to_dict()

    s = res.schools
    counts = per(s, s[["students", "classes_over_limit", "large_classes",
                       "super_large_classes"]])
    oversize = per(res.school_size, res.school_size["met"] == False)  # noqa: E712
    failing = per(res.units, ~res.units["passes"])
    cv_over = per(res.variation, ~res.variation["met"])
    rows = []
    for year in res.years:
        for case in CASES:
            c = counts.get((year, case), {})
            rows.append({"year": year, "case": case, "students": int(c.get("students", 0)),
                         "over": int(c.get("classes_over_limit", 0)),
                         "large": int(c.get("large_classes", 0)),
                         "super": int(c.get("super_large_classes", 0)),
                         "oversize": int(oversize.get((year, case), 0)),
                         "units_failing": int(failing.get((year, case), 0)),
                         "cv_over": int(cv_over.get((year, case), 0))})
    r.memo["county_counts"] = out = pd.DataFrame(rows)
    return out.copy()


def county_table(r: ScenarioRun, lang: str = "zh") -> pd.DataFrame:
    """Per year and case: students, classes over 45/50, 大班额, schools over B11, failing units."""
    t = _county_counts(r)
    t["case"] = t["case"].map(lambda c: w(c, lang))
    return t.rename(columns={k: w(k, lang) for k in t.columns})


def cv_table(r: ScenarioRun, lang: str = "zh") -> pd.DataFrame:
    """B1–B7 CVs per level and year as "baseline → scenario" (* over the limit)."""
    v = r.result.variation
    look = {(x.level, x.indicator, x.year, x.case): (x.cv, x.met) for x in v.itertuples()}
    rows = []
    for (level, ind), g in v.groupby(["level", "indicator"], sort=False):
        row = {w("level", lang): value_label(level, lang), w("indicator", lang): ind,
               w("limit", lang): formats.limit(g.limit.iloc[0])}
        for year in sorted(g["year"].unique()):
            cell = {}
            for case in CASES:
                x = look.get((level, ind, year, case))
                cell[case] = "—" if x is None or pd.isna(x[0]) else (
                    formats.cv(x[0]) + ("" if x[1] else "*"))
            row[str(year)] = cell["baseline"] if cell["baseline"] == cell["scenario"] else (
                f"{cell['baseline']} → {cell['scenario']}")
        rows.append(row)
    return pd.DataFrame(rows)


def targets_table(r: ScenarioRun, lang: str = "zh") -> pd.DataFrame:
    """The first year from which each target holds through the target year, per case."""
    sm = r.result.summary
    rows = []
    for key, text in target_names(r.data.registry, lang).items():
        row = {w("target", lang): text}
        for case in CASES:
            y = sm[case]["targets"][key]["met_from"]
            row[w(case, lang)] = w("never", lang) if y is None else w("from_year", lang, year=y)
        rows.append(row)
    return pd.DataFrame(rows)


def failing_table(r: ScenarioRun, case: str = "scenario", lang: str = "zh") -> pd.DataFrame:
    """What still fails in the target year."""
    fails = r.result.summary[case]["failing_in_target_year"]
    if not fails:
        return pd.DataFrame({w("failing", lang): [w("all_met", lang, year=r.result.years[-1])]})
    return pd.DataFrame({w("failing", lang): failing_lines(fails, lang)})


def entry_table(r: ScenarioRun, lang: str = "zh") -> pd.DataFrame:
    """The grade-1 entry methods back-tested on the history, the best marked."""
    return entry_backtest_table(r.result.summary["projection"]["entry_backtest"], lang)


def backtest_table(r: ScenarioRun, n: int = 10, lang: str = "zh") -> pd.DataFrame:
    """The back-test's county row and the ``n`` schools with the largest errors."""
    bt = r.result.backtest
    if bt.empty:
        return pd.DataFrame()
    names = r.result.schools.drop_duplicates("school_id").set_index("school_id")["school_name"]
    county = bt[bt.school_id == "county"]
    schools = bt[bt.school_id != "county"].sort_values("abs_pct_error", ascending=False).head(n)
    f = pd.concat([county, schools], ignore_index=True)
    f["school_name"] = f["school_id"].map(names).fillna(w("county", lang))
    f["abs_pct_error"] = (f["abs_pct_error"] * 100).round(1)
    f["observed"] = f["observed"].round().astype(int)
    return f[["school_name", "observed", "projected", "error", "abs_pct_error"]].rename(columns={
        "school_name": w("school", lang), "observed": w("observed", lang),
        "projected": w("projected", lang), "error": w("error", lang),
        "abs_pct_error": w("ape", lang)})


# ---------------------------------------------------------------------------------------------
# charts


def class_size_spec(r: ScenarioRun, lang: str = "zh") -> Chart:
    """What :func:`class_size_chart` shows (:mod:`balance_lib.chartspec`)."""
    res = r.result
    s = res.schools[res.schools.school_id.isin(_touched(r))]
    series = []
    for k, ((_sid, level), g) in enumerate(s.groupby(["school_id", "level"], sort=False)):
        colour = PALETTE[k % len(PALETTE)]
        lv = value_label(level, lang)
        school = cell(g.school_name.iloc[0])  # one line, no controls; mathtext is off
        name = f"{school}（{lv}）" if lang == "zh" else f"{school} ({lv})"
        by_case = dict(list(g.sort_values("year", kind="stable").groupby("case", sort=False)))
        for case in CASES:
            c = by_case.get(case)
            if c is None or c.empty:
                continue
            series.append(Series("plot", tuple(c.year.tolist()), tuple(c.max_class_size.tolist()),
                                 _STYLE[case], options(color=colour, marker="o",
                                                       label=f"{name}·{w(case, lang)}"),
                                 dynamic=case == "scenario"))
    hlines = tuple((limit, options(color=FAIL_COLOUR if limit == 56 else "#000000",
                                   linewidth=0.9, linestyle=":", label=w(key, lang)))
                   for limit, key in ((45, "l_primary"), (50, "l_junior"), (56, "l_large")))
    return Chart((8, 6), tuple(series), hlines,
                 (tuple(res.years), tuple(str(y) for y in res.years)), w("year", lang),
                 w("y_size", lang), w("c_classes", lang, a=res.years[0], b=res.years[-1]),
                 legend=options(fontsize=7, ncol=3, loc="upper center",
                                bbox_to_anchor=(0.5, -0.16)))


def class_size_chart(r: ScenarioRun, lang: str = "zh") -> Figure:
    """Largest class per school concerned and level over the years (baseline dashed, scenario
    solid), with the 45/50 limits and the 大班额 line."""
    return figure(class_size_spec(r, lang))


def county_classes_spec(r: ScenarioRun, lang: str = "zh") -> Chart:
    """What :func:`county_classes_chart` shows (:mod:`balance_lib.chartspec`)."""
    t = _county_counts(r)
    years = sorted(t["year"].unique())
    x = np.arange(len(years))
    width = 0.2
    parts = [("over", "baseline", PALETTE[1]), ("over", "scenario", PALETTE[0]),
             ("large", "baseline", PALETTE[3]), ("large", "scenario", PALETTE[2])]
    series = tuple(
        Series("bar", tuple((x + (k - 1.5) * width).tolist()),
               tuple(t[t["case"] == case].set_index("year").reindex(years)[col]
                     .astype(float).tolist()),
               options=options(width=width, color=colour, label=f"{w(col, lang)}·{w(case, lang)}"),
               dynamic=case == "scenario")
        for k, (col, case, colour) in enumerate(parts))
    top = float(t[["over", "large"]].to_numpy().max()) if len(t) else 0.0
    return Chart((8, 4), series, (), (tuple(x.tolist()), tuple(str(y) for y in years)),
                 w("year", lang), w("y_count", lang),
                 w("c_county", lang, none=w("c_none", lang) if top == 0 else ""),
                 ylim=(0, max(1.0, top * 1.15)), integer_y=True,
                 legend=options(fontsize=8, ncol=2))


def county_classes_chart(r: ScenarioRun, lang: str = "zh") -> Figure:
    """Classes over 45/50 and 大班额 in the county per year, baseline vs scenario."""
    return figure(county_classes_spec(r, lang))


def cv_spec(r: ScenarioRun, level: str, lang: str = "zh") -> Chart:
    """What :func:`cv_chart` shows (:mod:`balance_lib.chartspec`)."""
    v = r.result.variation
    v = v[v.level == level]
    ids = sorted(v.indicator.unique(), key=lambda s: int(s[1:]))
    # one grouping, not a filter per line (the explorer redraws this chart live)
    lines = dict(list(v.sort_values("year", kind="stable").groupby(["indicator", "case"],
                                                                  sort=False)[["year", "cv"]]))
    empty = v.iloc[:0][["year", "cv"]]
    series = []
    for k, ind in enumerate(ids):
        for case in CASES:
            c = lines.get((ind, case), empty)
            series.append(Series("plot", tuple(c.year.tolist()), tuple(c.cv.astype(float).tolist()),
                                 _STYLE[case], options(
                                     color=PALETTE[k % len(PALETTE)], marker=".",
                                     label=f"{ind}·{w(case, lang)}" if case == "scenario"
                                     else None),
                                 dynamic=case == "scenario"))
    limit = float(v.limit.iloc[0]) if len(v) else 0.5
    years = sorted(v.year.unique())
    return Chart((8, 5), tuple(series),
                 ((limit, options(color=FAIL_COLOUR, linestyle=":", linewidth=1.4,
                                  label=w("l_limit", lang, v=formats.limit(limit)))),),
                 (tuple(int(y) for y in years), tuple(str(y) for y in years)),
                 w("year", lang), w("y_cv", lang), w("c_cv", lang, level=value_label(level, lang)),
                 legend=options(fontsize=7, ncol=4, loc="upper center",
                                bbox_to_anchor=(0.5, -0.16)))


def cv_chart(r: ScenarioRun, level: str, lang: str = "zh") -> Figure:
    """B1–B7 CVs of one level over the years: baseline dashed, scenario solid, limit line."""
    return figure(cv_spec(r, level, lang))
