"""What the ``50-plan`` notebook shows: the plan's tables and charts in Chinese or English.

The notebook stays thin: it calls :func:`run` with its parameters, then one function per table
or chart (tables as DataFrames for :func:`balance_lib.report.table`, charts as
:class:`matplotlib.figure.Figure` for :func:`balance_lib.plots.show`). The words are the word
table's: the terminal's ``pt_*`` (:mod:`balance_lib.plan_text`) and the report's ``pr_*``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from . import formats
from . import plan_text as pt
from .costs import CostsError, check_limits, load_costs
from .plan import PlanInputError, PlanOptions, PlanResult, contributions, prepare, solve
from .plots import FAIL_COLOUR, PALETTE, _new_figure, _tick
from .report import ReportData, ReportParamError, Verdict, county_name, resolve_path
from .safetext import cell
from .scenario import ScenarioDataError, school_facts
from .scenario_spec import ScenarioError, load_scenario, read_yaml
from .words import label


def r(key: str, lang: str = "zh", **fields: object) -> str:
    """A word of the plan report: ``pr_KEY`` of the word table."""
    return label(f"pr_{key}", lang, **fields)


def section(key: str, lang: str = "zh") -> str:
    """A section heading: ``actions``, ``years``, ``cv``, ``values``, ``distance``."""
    return r(f"s_{key}", lang)


@dataclass(frozen=True)
class PlanRun:
    data: ReportData
    result: PlanResult
    costs_path: Path | None


def run(data: ReportData, by: int, scenario: str = "", costs: str = "", budget: float = 0.0,
        lang: str = "zh", time_limit: float = 60.0) -> PlanRun:
    """Check the parameters, then solve the plan (``budget`` 0: none; ``scenario``/``costs``
    empty: none / ``params/costs.yaml``). Bad input raises :class:`ReportParamError` with
    every problem."""
    problems = []
    costs_path = resolve_path(costs) if costs else None
    cm = None
    try:
        cm = load_costs(costs_path)
    except CostsError as exc:
        problems.append(exc.format(lang))
    spec = raw = None
    tables = data.county.tables
    if scenario:
        path = resolve_path(scenario)
        try:
            spec = load_scenario(path, school_facts(tables), target_year=int(by))
            raw, _ = read_yaml(path)
        except ScenarioError as exc:
            problems.append(exc.format(lang))
        except ScenarioDataError as exc:
            problems.append(str(exc))
    if not (np.isfinite(budget) and budget >= 0):
        problems.append(f"budget: {label('bad_budget', lang, value=repr(budget))}")
    if problems:
        raise ReportParamError("\n".join(problems))
    try:
        pb = prepare(tables, int(by), cm, data.settings, data.registry, scenario=spec,
                     scenario_raw=raw)
    except PlanInputError as exc:
        raise ReportParamError(exc.format(lang)) from None
    except ScenarioDataError as exc:
        raise ReportParamError(str(exc)) from None
    bad = check_limits(cm, pb.units["school_id"].astype(str))
    if bad:
        raise ReportParamError("\n".join(p.format(lang) for p in bad))
    result = solve(pb, PlanOptions(budget=budget or None, time_limit=time_limit))
    return PlanRun(data, result, costs_path)


def title(run_: PlanRun, lang: str = "zh") -> str:
    return r("title", lang, county=county_name(run_.data, lang), by=run_.result.problem.by)


def answer(run_: PlanRun, lang: str = "zh") -> Verdict:
    """The answer first, in a box: the least cost (or that there is no plan), units passing
    and CVs over their limits before → after, the solver's status and gap, the budget, the
    basis and the cost file; without a plan, why."""
    res = run_.result
    by = res.problem.by
    if has_plan(run_):
        head = r("answer", lang, by=by, cost=pt.money(res.total_cost))
    else:
        head = r("no_plan", lang, by=by, status=pt.status_text(res.status, lang))
    lines = [*pt.headline(res, lang, timed=False, answer_first=True), pt.basis_text(res, lang),
             r("costs", lang, file=cell(res.problem.costs.source))]
    if not has_plan(run_):
        lines += pt.infeasible_lines(res, lang)
    return Verdict("meets" if has_plan(run_) else "fails", lines, lang, head=head)


def has_plan(run_: PlanRun) -> bool:
    return run_.result.status in ("optimal", "feasible")


def actions_table(run_: PlanRun, lang: str = "zh") -> pd.DataFrame:
    """The actions per school and year; without a plan, why there is none."""
    res = run_.result
    if not has_plan(run_):
        return pd.DataFrame({pt.w("s_infeasible", lang): pt.infeasible_lines(res, lang)})
    if res.actions.empty:
        return pd.DataFrame({pt.w("s_actions", lang): [pt.w("no_actions", lang,
                                                             by=res.problem.by)]})
    return pt.actions_table(res, lang)


def years_table(run_: PlanRun, lang: str = "zh") -> pd.DataFrame:
    return pt.years_table(run_.result, lang)


def cv_table(run_: PlanRun, lang: str = "zh") -> pd.DataFrame:
    return pt.cv_table(run_.result, lang)


def _mark(unit: pd.Series, indicator: str) -> str:
    """As in the other reports: ✗ below the threshold, ✗✗ below the floor, "" met."""
    if unit[f"met_{indicator}"]:
        return ""
    return "✗" if unit[f"floor_met_{indicator}"] else "✗✗"


def values_table(run_: PlanRun, lang: str = "zh") -> pd.DataFrame:
    """Per unit the plan touches or that fails before: the school rule's values
    "before → after" (✗ below the threshold, ✗✗ below the floor) and whether it passes
    (after: "—" without a plan)."""
    res = run_.result
    pb = res.problem
    u0 = pb.units
    u1 = res.units_after if res.units_after is not None else u0
    planned = res.units_after is not None
    touched = pt.touched_schools(res)
    head = pt.heads("units", lang)
    rows = []
    for k in range(len(u0)):
        b, a = u0.iloc[k], u1.iloc[k]
        if b["school_id"] not in touched:
            continue
        row = {head[0]: b["school_name"], head[1]: pt.level_label(b["level"], lang)}
        for i in pb.ids:
            ind = pb.registry.indicator(i)
            f0 = formats.value(b[f"value_{i}"], ind, pb.registry) + _mark(b, i)
            f1 = formats.value(a[f"value_{i}"], ind, pb.registry) + _mark(a, i)
            row[i] = f0 if f0 == f1 else f"{f0} → {f1}"
        row[head[3]] = pt.passes(b["passes"], lang)
        row[head[4]] = pt.passes(a["passes"], lang) if planned else "—"
        rows.append(row)
    return pd.DataFrame(rows)


def fixes_table(run_: PlanRun, lang: str = "zh") -> pd.DataFrame:
    return pt.fixes_table(run_.result, lang)


def values_note(run_: PlanRun, lang: str = "zh") -> str:
    """What the marks of :func:`values_table` mean and which schools it lists."""
    return r("values_note", lang, **pt.rule_fields(run_.result))


def binding_lines(run_: PlanRun, lang: str = "zh") -> list[str]:
    """Whether the CVs bind (the plan against the schools' own fixes), and the main sources of
    each binding CV: lines of text for ``rp.lines`` (names from the data are escaped there)."""
    return pt.binding_lines(run_.result, lang)


def contributions_table(run_: PlanRun, n: int = 5, lang: str = "zh") -> pd.DataFrame:
    """For each CV that binds (else each CV over 80 % of its limit before the plan): the
    ``n`` units that make most of its variance, before → after."""
    res = run_.result
    pb = res.problem
    before = contributions(pb.units, pb.registry)
    after = contributions(res.units_after, pb.registry) if res.units_after is not None else before
    before["after"] = after["share"].to_numpy()
    cvs = [(c["level"], c["indicator"]) for c in res.binding.get("cvs", [])]
    if not cvs:
        v = pb.variation
        cvs = [(x.level, x.indicator) for x in v.itertuples() if x.cv > 0.8 * x.limit]
    rows = []
    for level, ind in cvs:
        f = before[(before.level == level) & (before.indicator == ind)]
        for t in f.sort_values("share", ascending=False).head(n).itertuples():
            rows.append({label("col_level", lang): pt.level_label(level, lang),
                         label("col_indicator", lang): ind,
                         label("col_school", lang): t.school_name,
                         r("share", lang): pt.share_text(
                             t.share, t.after if res.units_after is not None else None),
                         r("side", lang): r(t.side, lang)})
    return pd.DataFrame(rows)


def years_chart(run_: PlanRun, lang: str = "zh") -> Figure:
    """Spending per year (one-off and yearly, stacked) and the cumulative cost, in 万元."""
    res = run_.result
    years = list(res.cost_by_year)
    a = res.actions
    once = np.array([a.loc[a["year"] == y, "once"].sum() if len(a) else 0.0 for y in years])
    total = np.array([res.cost_by_year[y] for y in years])
    fig, ax = _new_figure(8, 4)
    x = np.arange(len(years))
    ax.bar(x, once / 1e4, color=PALETTE[0], label=r("once", lang))
    ax.bar(x, (total - once) / 1e4, bottom=once / 1e4, color=PALETTE[1], label=r("yearly", lang))
    ax.plot(x, np.cumsum(total) / 1e4, "-o", color=PALETTE[3], label=r("cumulative", lang))
    if res.options.budget:
        ax.axhline(res.options.budget / 1e4, color=FAIL_COLOUR, linestyle=":",
                   label=r("budget_line", lang, budget=pt.money(res.options.budget)))
    ax.set_xticks(x, [str(y) for y in years])
    ax.set_xlabel(label("plot_year_axis", lang))
    ax.set_ylabel(r("y_money", lang))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # whole 万元: no repeated labels
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: formats.number(v, 0)))
    ax.set_ylim(0, max(1.0, float(np.cumsum(total).max() / 1e4) * 1.15 if len(total) else 1.0))
    ax.set_title(r("c_years", lang))
    ax.legend(fontsize=8)
    return fig


def cv_chart(run_: PlanRun, level: str, lang: str = "zh") -> Figure:
    """One level's CVs of the school rule before and after the plan, with each limit."""
    res = run_.result
    before = res.problem.variation
    after = res.variation_after if res.variation_after is not None else before
    b = before[before.level == level]
    a = after[after.level == level]
    fig, ax = _new_figure(8, 4)
    x = np.arange(len(b))
    if res.variation_after is None:  # no plan: the CVs as they are
        ax.bar(x, b.cv.fillna(0), 0.6, color=PALETTE[1], label=r("before", lang))
    else:
        ax.bar(x - 0.2, b.cv.fillna(0), 0.4, color=PALETTE[1], label=r("before", lang))
        ax.bar(x + 0.2, a.cv.fillna(0), 0.4, color=PALETTE[0], label=r("after", lang))
    limits = b.limit.to_numpy(float)
    shown = limits[np.isfinite(limits)]
    if len(shown):  # one limit per indicator (a province may set its own)
        ax.hlines(limits, x - 0.45, x + 0.45, color=FAIL_COLOUR, linestyle=":",
                  label=r("limit", lang, limit=formats.limit(shown.max(), res.problem.registry))
                  if np.ptp(shown) == 0
                  else label("col_limit", lang))
    reg = res.problem.registry
    ax.set_xticks(x, [f"{i}\n{_tick(reg.indicator(i).short(lang), lang)}" for i in b.indicator],
                  fontsize=7)
    top = np.nanmax(np.concatenate([b.cv.to_numpy(float), a.cv.to_numpy(float), shown, [0.1]]))
    ax.set_ylim(0, float(top) * 1.3)  # room above the bars and limits for the legend's row
    ax.set_xlabel(label("plot_indicator_axis", lang))
    ax.set_ylabel(r("y_cv", lang))
    ax.set_title(r("c_cv", lang, level=pt.level_label(level, lang)))
    ax.legend(fontsize=8, ncol=3, loc="upper left")
    return fig


def levels(run_: PlanRun) -> list[str]:
    """The levels the county has units of (小学 before 初中)."""
    present = set(run_.result.problem.units["level"])
    return [lv for lv in ("primary", "junior") if lv in present]
