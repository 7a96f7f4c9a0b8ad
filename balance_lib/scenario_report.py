"""What the ``30-scenario`` notebook shows: tables (Chinese labels, rounded) and charts.

The notebook stays thin: it calls :func:`run` with its parameters, then one function per table
or chart. Tables come back as DataFrames for :func:`balance_lib.report.text`; charts as
:class:`matplotlib.figure.Figure` for :func:`balance_lib.plots.show`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .columns import value_label
from .plots import FAIL_COLOUR, PALETTE, _new_figure
from .report import ReportData, ReportParamError, resolve_path
from .scenario import CASES, TARGET_ZH, ScenarioResult, run_scenario, school_facts
from .scenario_spec import TYPE_ZH, Scenario, ScenarioError, load_scenario
from .scenario_text import failing_lines, touched_schools

CASE_ZH = {"baseline": "基准", "scenario": "情景"}
_STYLE = {"baseline": "--", "scenario": "-"}


@dataclass(frozen=True)
class ScenarioRun:
    data: ReportData
    scenario: Scenario
    result: ScenarioResult
    path: Path


def run(data: ReportData, scenario: str | Path, to: int = 0) -> ScenarioRun:
    """Validate the scenario file against the data and run it (``to`` = 0: the file's year)."""
    path = resolve_path(scenario)
    if not path.is_file():
        raise ReportParamError(f"情景文件不存在 / scenario file not found: {path}")
    facts = school_facts(data.county.tables)
    try:
        spec = load_scenario(path, facts, target_year=int(to) or None)
    except ScenarioError as exc:
        raise ReportParamError(exc.format()) from None
    result = run_scenario(data.county.tables, spec, data.settings, data.registry)
    return ScenarioRun(data, spec, result, path)


def intro(r: ScenarioRun) -> str:
    """Scenario name, description, years, methods and the back-test in a few lines."""
    res, ps = r.result, r.scenario.settings
    bt = res.summary["backtest"]
    lines = [f"情景文件：{r.path.name}"]
    if r.scenario.description:
        lines.append(r.scenario.description)
    policy = {"keep": "各年级保持现有班数（班额随人数变化）",
              "open": "超过 45/50 人即增开班级（需要教室）"}[ps.class_policy]
    entry = {"trend": "一年级新生按历年线性趋势", "mean": "一年级新生按历年平均",
             "births": "一年级新生按出生人口"}[ps.entry]
    lines.append(f"最近观测 {res.last_observed} 学年，预测至 {res.years[-1]} 学年；{entry}；"
                 f"班级：{policy}。")
    if bt["county_pct_error"] is not None:
        lines.append(f"回测（用此前各年预测 {res.last_observed} 学年）：全县在校生误差 "
                     f"{bt['county_pct_error']:+.1%}，各校平均绝对误差 {bt['school_mape']:.1%}，"
                     f"最大 {bt['school_max_ape']:.1%}。")
    lines.append(f"预测年份的班额按各年级学生平均分班计算；{res.last_observed} 学年为实际数据。")
    return "\n".join(lines)


def _amounts(fields: dict, signed: bool) -> list[str]:
    """``教学及辅助用房面积 +800 m²`` … (signed for changes to an existing school)."""
    from .columns import COLUMNS

    zh = {c.name: c.zh for c in COLUMNS if c.table == "schools"}
    zh["classrooms"] = "教室"

    def unit(k: str) -> str:
        return " m²" if k.endswith("_m2") else " 元" if k.endswith("_yuan") and "10k" not in k \
            else " 间" if k.endswith(("rooms", "classrooms")) else " 人" if "teachers" in k else ""

    fmt = "{:+,.6g}" if signed else "{:,.6g}"
    return [f"{zh.get(k, k)} {fmt.format(v)}{unit(k)}" for k, v in fields.items()
            if isinstance(v, float)]


def changes_table(r: ScenarioRun) -> pd.DataFrame:
    """One row per change: year, type, schools and what it does (Chinese labels)."""
    names = r.result.schools.drop_duplicates("school_id").set_index("school_id")["school_name"]

    def name(sid: str) -> str:
        return f"{names.get(sid, sid)}（{sid}）"

    rows = []
    for ch in r.scenario.changes:
        f = dict(ch.fields)
        if ch.type == "move_students":
            amount = f"{f['share']:.0%}" if "share" in f else f"{f['count']} 人"
            what = [f"{name(f['from'])} → {name(f['to'])}：{amount}，"
                    f"{'、'.join(map(str, f['grades']))} 年级"]
        elif ch.type in ("close_school", "merge_school"):
            what = [name(f["school_id"]) + " → " + "、".join(
                f"{name(k)} {v:.0%}" for k, v in f["into"].items())]
        else:
            what = [name(f["school_id"]), *_amounts(f, signed=ch.type != "new_school")]
            if f.get("entry_classes"):
                what.append("每届起始班 " + "、".join(
                    f"{value_label(k)} {v}" for k, v in f["entry_classes"].items()))
        if f.get("note"):
            what.append(f"（{f['note']}）")
        rows.append({"序号": ch.index, "学年": ch.year, "变更": TYPE_ZH[ch.type],
                     "内容": "；".join(what)})
    return pd.DataFrame(rows)


def _touched(r: ScenarioRun) -> list[str]:
    return touched_schools(r.result)


def _arrow(a: float, b: float, digits: int = 0) -> str:
    if pd.isna(a) and pd.isna(b):
        return "—"
    fa = "—" if pd.isna(a) else f"{a:.{digits}f}"
    fb = "—" if pd.isna(b) else f"{b:.{digits}f}"
    return fa if fa == fb else f"{fa} → {fb}"


def class_table(r: ScenarioRun) -> pd.DataFrame:
    """Per touched school, level and year: students, classes, mean/max size, over limit,
    大班额 (56–65) and 超大班额 (≥ 66), each as "baseline → scenario"."""
    s = r.result.schools
    s = s[s.school_id.isin(_touched(r))].assign(
        big=lambda f: f.large_classes + f.super_large_classes)
    cols = {"students": ("学生", 0), "classes": ("班数", 0), "mean_class_size": ("平均班额", 1),
            "max_class_size": ("最大班额", 0), "classes_over_limit": ("超标班", 0),
            "big": ("大班额+超大", 0)}
    b = s[s.case == "baseline"].set_index(["school_id", "level", "year"])
    c = s[s.case == "scenario"].set_index(["school_id", "level", "year"])
    keys = c.index.union(b.index, sort=False)
    order = {sid: k for k, sid in enumerate(_touched(r))}
    keys = sorted(keys, key=lambda k: (order.get(k[0], 0), k[1] != "primary", k[2]))
    names = s.drop_duplicates("school_id").set_index("school_id")["school_name"]
    rows = []
    for key in keys:
        row = {"学校": names[key[0]], "学段": value_label(key[1]), "学年": key[2]}
        for col, (zh, digits) in cols.items():
            a = b[col].get(key, np.nan)
            z = c[col].get(key, np.nan)
            row[zh] = _arrow(a, z, digits)
        rows.append(row)
    return pd.DataFrame(rows)


def county_table(r: ScenarioRun) -> pd.DataFrame:
    """Per year and case: students, classes over 45/50, 大班额, schools over B11, failing units."""
    res = r.result
    rows = []
    for year in res.years:
        for case in CASES:
            s = res.schools[(res.schools.case == case) & (res.schools.year == year)]
            z = res.school_size[(res.school_size.case == case) & (res.school_size.year == year)]
            u = res.units[(res.units.case == case) & (res.units.year == year)]
            v = res.variation[(res.variation.case == case) & (res.variation.year == year)]
            rows.append({"学年": year, "方案": CASE_ZH[case], "学生": int(s.students.sum()),
                         "超45/50人班": int(s.classes_over_limit.sum()),
                         "大班额": int(s.large_classes.sum()),
                         "超大班额": int(s.super_large_classes.sum()),
                         "超规模学校": int((z["met"] == False).sum()),  # noqa: E712
                         "B1–B7未达标单位": int((~u.passes).sum()),
                         "超限差异系数": int((~v.met).sum())})
    return pd.DataFrame(rows)


def cv_table(r: ScenarioRun) -> pd.DataFrame:
    """B1–B7 CVs per level and year as "baseline → scenario" (* over the limit)."""
    v = r.result.variation
    rows = []
    for (level, ind), g in v.groupby(["level", "indicator"], sort=False):
        row = {"学段": value_label(level), "指标": ind, "限值": f"{g.limit.iloc[0]:.2f}"}
        for year, gy in g.groupby("year"):
            cell = {}
            for case in CASES:
                x = gy[gy.case == case]
                cell[case] = "—" if x.empty or pd.isna(x.cv.iloc[0]) else (
                    f"{x.cv.iloc[0]:.3f}" + ("" if x.met.iloc[0] else "*"))
            row[str(year)] = cell["baseline"] if cell["baseline"] == cell["scenario"] else (
                f"{cell['baseline']} → {cell['scenario']}")
        rows.append(row)
    return pd.DataFrame(rows)


def targets_table(r: ScenarioRun) -> pd.DataFrame:
    """The first year from which each target holds through the target year, per case."""
    sm = r.result.summary
    rows = []
    for key, label in TARGET_ZH.items():
        row = {"目标": label}
        for case in CASES:
            y = sm[case]["targets"][key]["met_from"]
            row[CASE_ZH[case]] = "至目标年未达标" if y is None else f"{y} 学年起"
        rows.append(row)
    return pd.DataFrame(rows)


def failing_table(r: ScenarioRun, case: str = "scenario") -> pd.DataFrame:
    """What still fails in the target year."""
    fails = r.result.summary[case]["failing_in_target_year"]
    if not fails:
        return pd.DataFrame({"仍未达标": [f"{r.result.years[-1]} 学年全部目标达标"]})
    return pd.DataFrame({"仍未达标": failing_lines(fails)})


def backtest_table(r: ScenarioRun, n: int = 10) -> pd.DataFrame:
    """The back-test's county row and the ``n`` schools with the largest errors."""
    bt = r.result.backtest
    if bt.empty:
        return pd.DataFrame()
    names = r.result.schools.drop_duplicates("school_id").set_index("school_id")["school_name"]
    county = bt[bt.school_id == "county"]
    schools = bt[bt.school_id != "county"].sort_values("abs_pct_error", ascending=False).head(n)
    f = pd.concat([county, schools], ignore_index=True)
    f["school_name"] = f["school_id"].map(names).fillna("全县")
    f["abs_pct_error"] = (f["abs_pct_error"] * 100).round(1)
    f["observed"] = f["observed"].round().astype(int)
    return f[["school_name", "observed", "projected", "error", "abs_pct_error"]].rename(columns={
        "school_name": "学校", "observed": "实际在校生", "projected": "预测在校生",
        "error": "误差（人）", "abs_pct_error": "绝对误差（%）"})


# ---------------------------------------------------------------------------------------------
# charts


def class_size_chart(r: ScenarioRun) -> Figure:
    """Largest class per touched school and level over the years (baseline dashed, scenario
    solid), with the 45/50 limits and the 大班额 line."""
    res = r.result
    s = res.schools[res.schools.school_id.isin(_touched(r))]
    fig, ax = _new_figure(8, 6)
    for k, ((_sid, level), g) in enumerate(s.groupby(["school_id", "level"], sort=False)):
        colour = PALETTE[k % len(PALETTE)]
        name = f"{g.school_name.iloc[0]}（{value_label(level)}）"
        for case in CASES:
            c = g[g.case == case].sort_values("year")
            if c.empty:
                continue
            ax.plot(c.year, c.max_class_size, _STYLE[case], color=colour, marker="o",
                    label=f"{name}·{CASE_ZH[case]}")
    for limit, label in ((45, "小学限额 45"), (50, "初中限额 50"), (56, "大班额 56")):
        ax.axhline(limit, color=FAIL_COLOUR if limit == 56 else "#000000", linewidth=0.9,
                   linestyle=":", label=label)
    ax.set_xticks(res.years, [str(y) for y in res.years])
    ax.set_xlabel("学年")
    ax.set_ylabel("最大班额（人/班）")
    ax.set_title(f"涉及学校的最大班额：基准（虚线）与情景（实线），{res.years[0]}–{res.years[-1]}")
    ax.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.16))
    return fig


def county_classes_chart(r: ScenarioRun) -> Figure:
    """Classes over 45/50 and 大班额 in the county per year, baseline vs scenario."""
    t = county_table(r)
    fig, ax = _new_figure(8, 4)
    years = sorted(t["学年"].unique())
    x = np.arange(len(years))
    width = 0.2
    series = [("超45/50人班", "基准", PALETTE[1]), ("超45/50人班", "情景", PALETTE[0]),
              ("大班额", "基准", PALETTE[3]), ("大班额", "情景", PALETTE[2])]
    for k, (col, case, colour) in enumerate(series):
        vals = t[t["方案"] == case].set_index("学年").reindex(years)[col]
        ax.bar(x + (k - 1.5) * width, vals, width=width, color=colour, label=f"{col}·{case}")
    top = float(t[["超45/50人班", "大班额"]].to_numpy().max()) if len(t) else 0.0
    ax.set_ylim(0, max(1.0, top * 1.15))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xticks(x, [str(y) for y in years])
    ax.set_xlabel("学年")
    ax.set_ylabel("班级数（个）")
    none = "（两种方案均为 0）" if top == 0 else ""
    ax.set_title(f"全县超过限额的班级与大班额：基准与情景{none}")
    ax.legend(fontsize=8, ncol=2)
    return fig


def cv_chart(r: ScenarioRun, level: str) -> Figure:
    """B1–B7 CVs of one level over the years: baseline dashed, scenario solid, limit line."""
    v = r.result.variation
    v = v[v.level == level]
    fig, ax = _new_figure(8, 5)
    ids = sorted(v.indicator.unique(), key=lambda s: int(s[1:]))
    for k, ind in enumerate(ids):
        for case in CASES:
            c = v[(v.indicator == ind) & (v.case == case)].sort_values("year")
            ax.plot(c.year, c.cv, _STYLE[case], color=PALETTE[k % len(PALETTE)], marker=".",
                    label=f"{ind}·{CASE_ZH[case]}" if case == "scenario" else None)
    limit = float(v.limit.iloc[0]) if len(v) else 0.5
    ax.axhline(limit, color=FAIL_COLOUR, linestyle=":", linewidth=1.4, label=f"限值 {limit:.2f}")
    years = sorted(v.year.unique())
    ax.set_xticks(years, [str(y) for y in years])
    ax.set_xlabel("学年")
    ax.set_ylabel("差异系数（无量纲）")
    ax.set_title(f"{value_label(level)} B1–B7 差异系数：基准（虚线）与情景（实线）")
    ax.legend(fontsize=7, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.16))
    return fig
