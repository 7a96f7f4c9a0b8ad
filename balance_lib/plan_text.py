"""Words and terminal tables of ``balance plan`` (Chinese first, ``lang="en"`` too).

The plan's words live here, apart from the report words of :mod:`balance_lib.labels`, so the
two can be merged into one table later without touching the plan's logic. 责任单位 come from
the indicator registry (the indicator each action serves).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .costs import ACTIONS
from .plan import PlanResult, contributions
from .textout import text_table

W: dict[str, dict[str, str]] = {
    "zh": {
        "title": "最低成本达标方案：{data}，{by} 学年达标",
        "basis_observed": "依据：{by} 学年实测在校生（最近观测年份），行动当年生效",
        "basis_projected": "依据：预测至 {by} 学年的在校生（最近观测 {last} 学年）",
        "basis_scenario": "；在情景“{name}”之上",
        "status_optimal": "最优（SCIP 已证明）",
        "status_feasible": "可行，未证明最优（达到时间上限）",
        "status_infeasible": "无解",
        "status_unknown": "未知（达到时间上限，未找到方案）",
        "status": "状态：{status}；gap {gap}（方案成本与已证明下界之差，含面积、设备取整到整平方米、"
                  "整元）；求解 {time:.1f} 秒",
        "status_none": "状态：{status}；求解 {time:.1f} 秒",
        "total": "总成本 {cost} 元（{span} 学年：一次性成本 + 每年成本 × 在岗年数）",
        "budget": "每年预算上限 {budget} 元",
        "no_budget": "未设预算：所有行动在 {by} 学年生效（不提前支付每年成本）",
        "s_actions": "一、各校行动（年份、学校、学段、行动、数量、成本、责任单位）",
        "h_actions": "学年|学校|学段|行动|数量|成本（元）|责任单位",
        "no_actions": "无需任何行动：{by} 学年所有单位与差异系数均已达标（成本 0）",
        "s_years": "二、逐年支出（元）",
        "h_years": "学年|一次性|每年|合计",
        "s_cv": "三、B1–B7 差异系数（方案前 → 方案后；* 超过限值）",
        "h_cv": "学段|指标|限值|方案前|方案后",
        "s_units": "四、学校达标（≥ 6 项达到标准、其余不低于 85%）",
        "units": "达标单位 {before}/{n} → {after}/{n}",
        "h_units": "学校|学段|达标项数|方案前|方案后",
        "s_fixes": "五、距离达标：各校单独达标的最低成本（不考虑差异系数）",
        "h_fixes": "学校|学段|单独达标成本（元）|方案中（元）",
        "fix_infeasible": "无法单独达标",
        "binds": "差异系数起约束作用：各校单独达标合计 {fix} 元，但这样 {cvs}；方案多花 {extra} 元"
                 "（涉及 {schools}）。",
        "binds_cv": "{level} {indicator} 差异系数为 {cv:.3f} > {limit:.2f}",
        "not_binding": "差异系数不起约束作用：方案成本等于各校单独达标成本之和（{fix} 元）。",
        "contrib": "{level} {indicator} 差异系数的主要来源（方差占比，方案前 → 方案后）：{items}",
        "s_infeasible": "无解的原因",
        "r_floor": "{school}（{level}）{indicator} 在上限内最多达到 {reach:.3f}，低于 85% 底线 "
                   "{need:.3f}（限制: {limit}）",
        "r_threshold": "{school}（{level}）{indicator} 在上限内最多达到 {reach:.3f}，低于标准 "
                       "{need:.3f}（限制: {limit}），而只能有一项不达标",
        "r_combined": "{school}（{level}）几项面积合计超过 {limit} 上限",
        "r_cv": "{level} {indicator} 差异系数在上限内最低约 {cv}（限值 {limit:.2f}）",
        "r_unknown": "未能确定原因（时间上限内未找到方案）",
        "min_budget": "每年预算 {budget} 元不够：至少需要每年 {min} 元（在 {years} 学年内）。",
        "no_limit": "无上限",
        "no_action": "成本文件中没有该行动",
        "whole": "全校（按加权学生数分摊）",
        "primary": "小学", "junior": "初中",
        "q_teacher": "{n} 名", "q_m2": "{n} 平方米", "q_yuan": "{n} 元", "q_room": "{n} 间",
        "sep": "、",
    },
    "en": {
        "title": "Least-cost plan: {data}, standard met in {by}",
        "basis_observed": "Basis: observed students of {by} (the last observed year); actions take "
                          "effect at once",
        "basis_projected": "Basis: students projected to {by} (last observed {last})",
        "basis_scenario": "; on top of the scenario “{name}”",
        "status_optimal": "optimal (proven by SCIP)",
        "status_feasible": "feasible, not proven optimal (time limit)",
        "status_infeasible": "infeasible",
        "status_unknown": "unknown (time limit, no plan found)",
        "status": "Status: {status}; gap {gap} (plan cost against the proven lower bound, incl. "
                  "rounding areas and equipment to whole m² and yuan); solved in {time:.1f} s",
        "status_none": "Status: {status}; solved in {time:.1f} s",
        "total": "Total cost {cost} yuan ({span}: one-off costs + yearly costs × years in "
                 "service)",
        "budget": "Budget per year {budget} yuan",
        "no_budget": "No budget: every action takes effect in {by} (no yearly cost paid early)",
        "s_actions": "1. Actions per school (year, school, level, action, quantity, cost, "
                     "responsible departments)",
        "h_actions": "year|school|level|action|quantity|cost (yuan)|responsible",
        "no_actions": "Nothing to do: every unit and every CV already meets the standard in {by} "
                      "(cost 0)",
        "s_years": "2. Spending per year (yuan)",
        "h_years": "year|one-off|yearly|total",
        "s_cv": "3. B1–B7 CVs (before → after; * over the limit)",
        "h_cv": "level|indicator|limit|before|after",
        "s_units": "4. Schools meeting the rule (≥ 6 of 7 at the threshold, the rest ≥ 85%)",
        "units": "Units passing {before}/{n} → {after}/{n}",
        "h_units": "school|level|met|before|after",
        "s_fixes": "5. Distance to compliance: each school's cheapest fix on its own (ignoring "
                   "the CVs)",
        "h_fixes": "school|level|own fix (yuan)|in the plan (yuan)",
        "fix_infeasible": "cannot pass on its own",
        "binds": "The CVs bind: the schools' own fixes add up to {fix} yuan, but then {cvs}; the "
                 "plan spends {extra} yuan more (at {schools}).",
        "binds_cv": "the {level} {indicator} CV would be {cv:.3f} > {limit:.2f}",
        "not_binding": "The CVs do not bind: the plan costs the sum of the schools' own fixes "
                       "({fix} yuan).",
        "contrib": "Main sources of the {level} {indicator} CV (share of the variance, before → "
                   "after): {items}",
        "s_infeasible": "Why there is no plan",
        "r_floor": "{school} ({level}) {indicator} reaches at most {reach:.3f} within its caps, "
                   "below the 85% floor {need:.3f} (limited by: {limit})",
        "r_threshold": "{school} ({level}) {indicator} reaches at most {reach:.3f} within its "
                       "caps, below the threshold {need:.3f} (limited by: {limit}), and only one "
                       "value may miss",
        "r_combined": "{school} ({level}): the areas together exceed its {limit} cap",
        "r_cv": "{level} {indicator} CV can at best come down to about {cv} (limit {limit:.2f})",
        "r_unknown": "no reason found (no plan within the time limit)",
        "min_budget": "A budget of {budget} yuan per year is not enough: at least {min} yuan per "
                      "year is needed (over {years}).",
        "no_limit": "no cap",
        "no_action": "no such action in the cost file",
        "whole": "whole school (split by weighted students)",
        "primary": "primary", "junior": "junior",
        "q_teacher": "{n} teachers", "q_m2": "{n} m²", "q_yuan": "{n} yuan", "q_room": "{n} rooms",
        "sep": ", ",
    },
}

ACTION_LABELS = {
    "qualified_teacher": ("补充高于规定学历教师", "hire qualified teachers"),
    "backbone_teacher": ("培养认定县级骨干教师", "train backbone teachers"),
    "pe_art_teacher": ("补充体育、艺术教师", "hire PE and art teachers"),
    "teaching_aux_area": ("新建教学及辅助用房", "build teaching and auxiliary rooms"),
    "sports_area": ("新建体育运动场地", "build sports grounds"),
    "equipment": ("购置教学仪器设备", "buy teaching equipment"),
    "multimedia_room": ("建设网络多媒体教室", "equip multimedia classrooms"),
}


def w(key: str, lang: str = "zh", **fields: Any) -> str:
    """A word of the plan in ``lang``, filled with ``fields``."""
    text = W[lang][key]
    return text.format(**fields) if fields else text


def money(x: float | None) -> str:
    """元 for people: ``14,356,166`` (whole yuan), ``—`` for none.

    >>> money(14356166.4), money(None)
    ('14,356,166', '—')
    """
    return "—" if x is None else f"{x:,.0f}"


def action_label(action: str, lang: str = "zh") -> str:
    zh, en = ACTION_LABELS[action]
    ind = ACTIONS[action].indicator
    return f"{zh}（{ind}）" if lang == "zh" else f"{en} ({ind})"


def quantity_label(action: str, quantity: float, lang: str = "zh") -> str:
    n = f"{quantity:,.0f}" if abs(quantity - round(quantity)) < 1e-9 else f"{quantity:,.2f}"
    return w(f"q_{ACTIONS[action].per}", lang, n=n)


def level_label(level: Any, lang: str = "zh") -> str:
    return w(level, lang) if isinstance(level, str) else w("whole", lang)


def status_text(status: str, lang: str = "zh") -> str:
    return w(f"status_{status}", lang)


def basis_text(result: PlanResult, lang: str = "zh") -> str:
    pb = result.problem
    text = (w("basis_observed", lang, by=pb.by) if pb.by == pb.last_observed
            else w("basis_projected", lang, by=pb.by, last=pb.last_observed))
    if pb.scenario_raw and pb.scenario is not None:
        text += w("basis_scenario", lang, name=pb.scenario.name)
    return text


def headline(result: PlanResult, lang: str = "zh") -> list[str]:
    """Status, gap, time, total cost and budget in a few lines."""
    pb = result.problem
    status = status_text(result.status, lang)
    if result.gap is None:
        lines = [w("status_none", lang, status=status, time=result.solve_time)]
    else:
        lines = [w("status", lang, status=status, gap=f"{result.gap:.2%}",
                   time=result.solve_time)]
    if result.total_cost is not None:
        span = str(pb.by) if min(pb.years) == pb.by else f"{min(pb.years)}–{pb.by}"
        lines.append(w("total", lang, cost=money(result.total_cost), span=span))
    if result.options.budget is not None:
        lines.append(w("budget", lang, budget=money(result.options.budget)))
    elif pb.by > pb.last_observed:
        lines.append(w("no_budget", lang, by=pb.by))
    return lines


def actions_table(result: PlanResult, lang: str = "zh") -> pd.DataFrame:
    """One row per action: year, school, level, action, quantity, cost, 责任单位."""
    head = w("h_actions", lang).split("|")
    sep = w("sep", lang)
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
    return pd.DataFrame(rows, columns=w("h_years", lang).split("|"))


def cv_table(result: PlanResult, lang: str = "zh") -> pd.DataFrame:
    """Every CV before and after against its limit (* over the limit)."""
    before = result.problem.variation
    after = result.variation_after if result.variation_after is not None else before

    def cell(v: Any) -> str:
        return "—" if pd.isna(v.cv) else f"{v.cv:.3f}" + ("" if v.met else "*")

    rows = [[level_label(b.level, lang), b.indicator, f"{b.limit:.2f}", cell(b), cell(x)]
            for b, x in zip(before.itertuples(), after.itertuples(), strict=True)]
    return pd.DataFrame(rows, columns=w("h_cv", lang).split("|"))


def units_table(result: PlanResult, lang: str = "zh") -> pd.DataFrame:
    """The units the plan changes or that fail before: met count and pass, before → after."""
    pb = result.problem
    u0 = pb.units
    u1 = result.units_after if result.units_after is not None else u0
    touched = set(result.actions["school_id"]) | set(u0.loc[~u0["passes"], "school_id"])
    yes = {"zh": ("达标", "未达标"), "en": ("passes", "fails")}[lang]
    rows = []
    for b, a in zip(u0.itertuples(), u1.itertuples(), strict=True):
        if b.school_id not in touched:
            continue
        rows.append([b.school_name, level_label(b.level, lang),
                     f"{b.met_count} → {a.met_count}", yes[0] if b.passes else yes[1],
                     yes[0] if a.passes else yes[1]])
    return pd.DataFrame(rows, columns=w("h_units", lang).split("|"))


def fixes_table(result: PlanResult, lang: str = "zh") -> pd.DataFrame:
    """Per school that fails: its cheapest fix on its own and what the plan spends there."""
    f = result.fixes
    head = w("h_fixes", lang).split("|")
    if f is None or f.empty:
        return pd.DataFrame(columns=head)
    spent = result.actions.groupby("school_id")["cost"].sum()
    sep = w("sep", lang)
    rows = [[x.school_name, sep.join(level_label(lv, lang) for lv in x.levels),
             money(x.cost) if x.cost is not None else w("fix_infeasible", lang),
             money(float(spent.get(x.school_id, 0.0)))] for x in f.itertuples()]
    return pd.DataFrame(rows, columns=head)


def binding_lines(result: PlanResult, lang: str = "zh") -> list[str]:
    """Whether the CVs bind (and which, with their main sources), in sentences."""
    b = result.binding
    if not b:
        return []
    if not b["binds"]:
        return [w("not_binding", lang, fix=money(b["fix_total"]))]
    names = dict(zip(result.problem.rows["school_id"].astype(str),
                     result.problem.rows["school_name"].astype(str), strict=False))
    sep = w("sep", lang)
    cvs = sep.join(w("binds_cv", lang, level=level_label(c["level"], lang),
                     indicator=c["indicator"], cv=c["cv_with_fixes"], limit=c["limit"])
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
        items = sep.join(f"{t.school_name} {t.share:.0%} → {t.share_after:.0%}"
                         for t in top.itertuples())
        lines.append(w("contrib", lang, level=level_label(c["level"], lang),
                       indicator=c["indicator"], items=items))
    return lines


def infeasible_lines(result: PlanResult, lang: str = "zh") -> list[str]:
    """Why there is no plan, or the smallest budget per year that would allow one."""
    pb = result.problem
    out = []
    for r in result.infeasible:
        kind = r.get("kind")
        if kind in ("floor", "threshold", "combined"):
            limit = r.get("limit")
            limit = (w("no_action", lang) if limit == "no_action" else
                     limit or w("no_limit", lang))
            out.append(w(f"r_{kind}", lang, school=r["school_name"],
                         level=level_label(r["level"], lang), indicator=r.get("indicator", ""),
                         reach=r.get("reachable", 0.0), need=r.get("needed", 0.0), limit=limit))
        elif kind == "cv":
            cv = "—" if r.get("best_cv") is None else f"{r['best_cv']:.3f}"
            out.append(w("r_cv", lang, level=level_label(r["level"], lang),
                         indicator=r["indicator"], cv=cv, limit=r["limit"]))
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
    lines = [w("title", lang, data=data_name, by=pb.by), basis_text(result, lang)]
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
    lines += ["", w("s_units", lang), w("units", lang, before=int(u0["passes"].sum()),
                                        after=int(u1["passes"].sum()), n=len(u0))]
    ut = units_table(result, lang)
    if not ut.empty:
        lines.append(table(ut, set()))
    if result.fixes is not None and not result.fixes.empty:
        lines += ["", w("s_fixes", lang), table(fixes_table(result, lang), {2, 3})]
    lines += ["", *binding_lines(result, lang)]
    return "\n".join(lines) + "\n"
