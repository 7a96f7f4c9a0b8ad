"""Terminal tables and sentences of ``balance plan`` (Chinese first, ``lang="en"`` too).

The logic only: every word comes from the word table (``pt_*`` of
:mod:`balance_lib.words`), ids and limits from the registry (``{rule}``, the school rule's
minimum and floor), 责任单位 from the registry entry of the indicator each action serves. Names
from the data are shown as text (:func:`balance_lib.safetext.cell`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from . import formats
from .costs import ACTIONS
from .plan import PlanResult, contributions
from .safetext import cell
from .textout import text_table
from .words import entries, has, label
from .words import level_label as _level


def w(key: str, lang: str = "zh", **fields: Any) -> str:
    """A word of the plan in ``lang``: ``pt_KEY`` of the word table, filled with ``fields``."""
    return label(f"pt_{key}", lang, **fields)


def heads(key: str, lang: str = "zh") -> list[str]:
    """The column headers ``pt_h_KEY`` of a plan table."""
    return entries(f"pt_h_{key}", lang)


def rule_fields(result: PlanResult) -> dict[str, Any]:
    """The school rule as the registry states it: ``min_met`` (6), ``floor`` ("85%")."""
    reg = result.problem.registry
    return {"min_met": reg.min_met, "floor": f"{reg.floor_ratio:.0%}"}


def money(x: float | None) -> str:
    """元 for people (:func:`balance_lib.formats.money`): ``14,356,166``, ``—`` for none.

    >>> money(14356166.4), money(None)
    ('14,356,166', '—')
    """
    return formats.money(x)


def gap_text(gap: float | None) -> str:
    """The relative optimality gap as a percentage with two decimals (``0.00%``), ``—`` for
    none.

    >>> gap_text(0.000123), gap_text(None)
    ('0.01%', '—')
    """
    return formats.percent(gap, 2)


def action_label(action: str, lang: str = "zh") -> str:
    """``补充高于规定学历教师（B1）`` / ``hire qualified teachers (B1)``."""
    return w("action", lang, action=w(f"action_{action}", lang),
             indicator=ACTIONS[action].indicator)


def quantity_label(action: str, quantity: float, lang: str = "zh") -> str:
    """``9 名`` / ``9 teachers``, ``1 teacher``, ``6,373 平方米`` / ``6,373 m²``."""
    n = formats.number(quantity, 0 if abs(quantity - round(quantity)) < 1e-9 else 2)
    key = f"q_{ACTIONS[action].per}"
    return w(f"{key}_one" if quantity == 1 and has(f"pt_{key}_one") else key, lang, n=n)


def level_label(level: Any, lang: str = "zh") -> str:
    """小学 / 初中, or the whole school for a facility of a school with two levels."""
    return _level(level, lang) if isinstance(level, str) else w("whole", lang)


def status_text(status: str, lang: str = "zh") -> str:
    return w(f"status_{status}", lang)


def basis_text(result: PlanResult, lang: str = "zh") -> str:
    pb = result.problem
    text = (w("basis_observed", lang, by=pb.by) if pb.by == pb.last_observed
            else w("basis_projected", lang, by=pb.by, last=pb.last_observed))
    if pb.scenario_raw and pb.scenario is not None:
        text += w("basis_scenario", lang, name=cell(pb.scenario.name))
    return text


def headline(result: PlanResult, lang: str = "zh", timed: bool = True,
             answer_first: bool = False) -> list[str]:
    """Status, gap, total cost and budget in a few lines, and the solve time when ``timed``
    (not in a report: the same inputs give the same page); ``answer_first``: the units and
    CVs before → after the plan come first (the report's answer box)."""
    pb = result.problem
    status = status_text(result.status, lang)
    if result.gap is None:
        first = w("status_none", lang, status=status)
    else:
        first = w("status", lang, status=status, gap=gap_text(result.gap))
    timing = w("solve_time", lang, time=formats.number(result.solve_time, 1)) if timed else ""
    lines = [first + timing]
    if result.total_cost is not None:
        span = str(pb.by) if min(pb.years) == pb.by else f"{min(pb.years)}–{pb.by}"
        lines.append(w("total", lang, cost=money(result.total_cost), span=span))
    if result.units_after is not None and result.variation_after is not None:
        answer = w("answer", lang, before=formats.count(pb.units["passes"].sum()),
                   after=formats.count(result.units_after["passes"].sum()),
                   n=formats.count(len(pb.units)),
                   cv_before=formats.count((~pb.variation["met"]).sum()),
                   cv_after=formats.count((~result.variation_after["met"]).sum()))
        lines.insert(0 if answer_first else len(lines), answer)
    if result.options.budget is not None:
        lines.append(w("budget", lang, budget=money(result.options.budget)))
    elif pb.by > pb.last_observed:
        lines.append(w("no_budget", lang, by=pb.by))
    return lines


def actions_table(result: PlanResult, lang: str = "zh") -> pd.DataFrame:
    """One row per action: year, school, level, action, quantity, cost, 责任单位."""
    head = heads("actions", lang)
    sep = label("list_sep", lang)
    rows = [[int(a.year), a.school_name, level_label(a.level, lang),
             action_label(a.action, lang), quantity_label(a.action, a.quantity, lang),
             money(a.cost), sep.join(a.responsible_units)]
            for a in result.actions.itertuples()]
    return pd.DataFrame(rows, columns=head)


def years_table(result: PlanResult, lang: str = "zh") -> pd.DataFrame:
    """Spending per year: one-off, yearly (in service), total."""
    a = result.actions
    rows = []
    for y, total in result.cost_by_year.items():
        once = float(a.loc[a["year"] == y, "once"].sum()) if len(a) else 0.0
        rows.append([y, money(once), money(total - once), money(total)])
    return pd.DataFrame(rows, columns=heads("years", lang))


def cv_table(result: PlanResult, lang: str = "zh") -> pd.DataFrame:
    """Every CV before and after against its limit (* over the limit); after is "—" without a
    plan."""
    pb = result.problem
    before = pb.variation
    after = result.variation_after if result.variation_after is not None else before
    planned = result.variation_after is not None

    def shown(v: Any) -> str:
        return formats.cv(v.cv, pb.settings) + ("" if pd.isna(v.cv) or v.met else "*")

    def limit(x: Any) -> str:
        return formats.limit(x, pb.registry)

    rows = [[level_label(b.level, lang), b.indicator, limit(b.limit), shown(b),
             shown(x) if planned else "—"]
            for b, x in zip(before.itertuples(), after.itertuples(), strict=True)]
    return pd.DataFrame(rows, columns=heads("cv", lang))


def units_table(result: PlanResult, lang: str = "zh") -> pd.DataFrame:
    """The units the plan changes or that fail before: met count and pass, before → after."""
    pb = result.problem
    u0 = pb.units
    u1 = result.units_after if result.units_after is not None else u0
    touched = touched_schools(result)
    rows = []
    for b, a in zip(u0.itertuples(), u1.itertuples(), strict=True):
        if b.school_id not in touched:
            continue
        rows.append([b.school_name, level_label(b.level, lang),
                     f"{b.met_count} → {a.met_count}", passes(b.passes, lang),
                     passes(a.passes, lang)])
    return pd.DataFrame(rows, columns=heads("units", lang))


def touched_schools(result: PlanResult) -> set[str]:
    """The schools the plan acts at, and those with a unit failing before it."""
    u0 = result.problem.units
    return set(result.actions["school_id"]) | set(u0.loc[~u0["passes"], "school_id"])


def passes(flag: bool, lang: str = "zh") -> str:
    """达标 / 未达标 (passes / fails) for a unit and the school rule."""
    return w("passes" if flag else "fails", lang)


def share_text(before: float, after: float | None) -> str:
    """A unit's share of a CV's variance, before → after the plan (``35% → 12%``), the share
    alone without a plan.

    >>> share_text(0.3549, 0.12), share_text(0.3549, None)
    ('35% → 12%', '35%')
    """
    if after is None:
        return formats.percent(before, 0)
    return f"{formats.percent(before, 0)} → {formats.percent(after, 0)}"


def _value(x: Any, indicator: Any, pb: Any) -> str:
    """An indicator's value in its unit (:func:`balance_lib.formats.value`); a number without
    an indicator with three decimals."""
    try:
        ind = pb.registry.indicator(indicator)
    except (KeyError, TypeError, AttributeError):
        return formats.number(x, 3)
    return formats.value(x, ind, pb.registry)


def fixes_table(result: PlanResult, lang: str = "zh") -> pd.DataFrame:
    """Per school that fails: its cheapest fix on its own and what the plan spends there ("—"
    without a plan)."""
    f = result.fixes
    head = heads("fixes", lang)
    if f is None or f.empty:
        return pd.DataFrame(columns=head)
    spent = result.actions.groupby("school_id")["cost"].sum()
    sep = label("list_sep", lang)
    rows = [[x.school_name, sep.join(level_label(lv, lang) for lv in x.levels),
             money(x.cost) if x.cost is not None else w("fix_infeasible", lang),
             money(float(spent.get(x.school_id, 0.0)) if result.units_after is not None else None)]
            for x in f.itertuples()]
    return pd.DataFrame(rows, columns=head)


def binding_lines(result: PlanResult, lang: str = "zh") -> list[str]:
    """Whether the CVs bind (and which, with their main sources), in sentences."""
    b = result.binding
    if not b:
        return []
    if not b["binds"]:
        return [w("not_binding", lang, fix=money(b["fix_total"]))]
    names = {s: cell(n) for s, n in zip(result.problem.rows["school_id"].astype(str),
                                        result.problem.rows["school_name"].astype(str),
                                        strict=False)}
    sep = label("list_sep", lang)
    cvs = sep.join(w("binds_cv", lang, level=level_label(c["level"], lang),
                     indicator=c["indicator"],
                     cv=formats.cv(c["cv_with_fixes"], result.problem.settings),
                     limit=formats.limit(c["limit"], result.problem.registry))
                   for c in b["cvs"]) or "—"
    lines = [w("binds", lang, fix=money(b["fix_total"]), cvs=cvs, extra=money(b["extra_cost"]),
               schools=sep.join(names.get(s, s) for s in b["schools"]) or "—")]
    before = contributions(result.problem.units, result.problem.registry)
    after = (contributions(result.units_after, result.problem.registry)
             if result.units_after is not None else before)
    before["share_after"] = after["share"].to_numpy()
    for c in b["cvs"]:
        f = before[(before.level == c["level"]) & (before.indicator == c["indicator"])]
        top = f.sort_values("share", ascending=False).head(3)
        items = sep.join(f"{cell(t.school_name)} {share_text(t.share, t.share_after)}"
                         for t in top.itertuples())
        lines.append(w("contrib", lang, level=level_label(c["level"], lang),
                       indicator=c["indicator"], items=items))
    return lines


def infeasible_lines(result: PlanResult, lang: str = "zh") -> list[str]:
    """Why there is no plan, or the smallest budget per year that would allow one."""
    pb = result.problem
    rule = rule_fields(result)
    allowed = pb.registry.school_rule_size() - pb.registry.min_met
    out = []
    for r in result.infeasible:
        kind = r.get("kind")
        if kind in ("floor", "threshold", "combined"):
            limit = r.get("limit")
            limit = (w("no_action", lang) if limit == "no_action" else
                     limit or w("no_limit", lang))
            out.append(w(f"r_{kind}", lang, school=cell(r["school_name"]),
                         level=level_label(r["level"], lang), indicator=r.get("indicator", ""),
                         reach=_value(r.get("reachable", 0.0), r.get("indicator"), pb),
                         need=_value(r.get("needed", 0.0), r.get("indicator"), pb), limit=limit,
                         floor=rule["floor"], allowed=allowed))
        elif kind == "cv":
            out.append(w("r_cv", lang, level=level_label(r["level"], lang),
                         indicator=r["indicator"], cv=formats.cv(r.get("best_cv"), pb.settings),
                         limit=formats.limit(r["limit"], pb.registry)))
        else:
            out.append(w("r_unknown", lang))
    if result.min_budget is not None:
        out.append(w("min_budget", lang, budget=money(result.options.budget),
                     min=money(result.min_budget), years=f"{min(pb.years)}–{pb.by}"))
    return out


def render_plan(result: PlanResult, lang: str = "zh", data_name: str = "",
                note: str | None = None) -> str:
    """The plan as readable terminal tables."""
    pb = result.problem
    lines = [w("title", lang, data=cell(data_name), by=pb.by), basis_text(result, lang)]
    if note:
        lines.append(note)
    lines += headline(result, lang)
    reasons = infeasible_lines(result, lang)
    if result.status in ("infeasible", "unknown"):
        lines += ["", w("s_infeasible", lang), *("  " + r for r in reasons)]
        return "\n".join(lines) + "\n"

    def table(frame: pd.DataFrame, right: set[int]) -> str:
        return text_table(list(frame.columns), frame.values.tolist(), right=right)

    lines += ["", w("s_actions", lang)]
    if result.actions.empty:
        lines.append(w("no_actions", lang, by=pb.by))
    else:
        lines.append(table(actions_table(result, lang), {0, 4, 5}))
    lines += ["", w("s_years", lang), table(years_table(result, lang), {0, 1, 2, 3})]
    lines += ["", w("s_cv", lang), table(cv_table(result, lang), {2, 3, 4})]
    u0, u1 = pb.units, result.units_after
    lines += ["", w("s_units", lang, **rule_fields(result)),
              w("units", lang, before=formats.count(u0["passes"].sum()),
                after=formats.count(u1["passes"].sum()), n=formats.count(len(u0)))]
    ut = units_table(result, lang)
    if not ut.empty:
        lines.append(table(ut, set()))
    if result.fixes is not None and not result.fixes.empty:
        lines += ["", w("s_fixes", lang), table(fixes_table(result, lang), {2, 3})]
    lines += ["", *binding_lines(result, lang)]
    return "\n".join(lines) + "\n"
