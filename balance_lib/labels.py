"""The words of the reports in Chinese and English: one table, used only at the render edge.

Calculations speak snake_case (``not_met``, ``county_value``); the report helpers
(:mod:`balance_lib.report`), the charts (:mod:`balance_lib.plots`) and the batch index
(:mod:`balance_lib.render`) turn keys into words here, with :func:`label`. Names that have a
home elsewhere are taken from there, not repeated: indicator and veto names and units from the
registry (``balance_lib/indicators.yaml``: :meth:`~balance_lib.registry.Indicator.label`),
category values such as the levels from :data:`balance_lib.columns.VALUE_LABELS`
(:func:`level_label`).

Each entry is ``key: (zh, en)``; ``{field}`` placeholders are filled by :func:`label`. The
Chinese texts are those of the first (Chinese-only) reports, so a Chinese report reads as
before.
"""

from __future__ import annotations

from types import MappingProxyType

from .columns import value_label

#: Report languages: Chinese (the default) and English.
LANGS: tuple[str, ...] = ("zh", "en")

_LABELS: dict[str, tuple[str, str]] = {
    # --- report titles and section headings -------------------------------------------------
    "title_county_year": ("{county} {year}学年 义务教育优质均衡发展评估报告",
                          "{county}: high-quality balanced compulsory education, "
                          "evaluation of school year {year}"),
    "title_school": ("一校一册：{name}（{school_id}）", "School profile: {name} ({school_id})"),
    "title_trend": ("{county} {year_from}–{year_to}学年 优质均衡发展趋势",
                    "{county}: high-quality balanced development, school years "
                    "{year_from}–{year_to}"),
    "cy_overview": ("一、总体情况", "1. Overview"),
    "cy_resources": ("二、资源配置（B1–B7）：县域值、差异系数",
                     "2. Resource allocation (B1–B7): county values and CVs"),
    "cy_schools": ("三、各校分布与未达标学校", "3. Schools: distribution and shortfalls"),
    "cy_other": ("四、其他指标（B8–B32）与一票否决", "4. Other indicators (B8–B32) and vetoes"),
    "cy_ledger": ("五、问题台账：本年未达标项、差距与责任单位",
                  "5. Issue ledger: this year's shortfalls, gaps and responsible departments"),
    "school_years": ("一、逐年达标情况", "1. Year by year"),
    "school_b1_b7": ("二、B1–B7：本校、标准与县域值",
                     "2. B1–B7: this school, the threshold and the county value"),
    "school_classes": ("三、班额", "3. Class sizes"),
    "school_needs": ("四、达标还需要", "4. What it needs to meet the standard"),
    "trend_cv": ("一、差异系数趋势与时间节点（创建 2027.8，自治区评估 2028.12，"
                 "国家评估认定 2029.9）",
                 "1. CV trend and milestones (creation 2027.8, autonomous-region evaluation "
                 "2028.12, national evaluation 2029.9)"),
    "trend_pass": ("二、达到学校标准的单位", "2. Units meeting the school rule"),
    # --- words -----------------------------------------------------------------------------
    "none": ("无", "none"),
    "empty_table": ("（无）", "(none)"),
    "no_reasons": ("无未达标原因", "no reason for concern"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "whole_county": ("（全县）", "(county)"),
    "school_year": ("{year}学年", "{year}"),
    "list_sep": ("、", ", "),
    "clause_sep": ("；", "; "),
    # --- column labels of the report tables ------------------------------------------------
    "col_item": ("项目", "item"),
    "col_result": ("结果", "result"),
    "col_indicator": ("指标", "indicator"),
    "col_name": ("名称", "name"),
    "col_unit": ("单位", "unit"),
    "col_county_value": ("县域值", "county value"),
    "col_threshold": ("标准", "threshold"),
    "col_cv": ("差异系数", "CV"),
    "col_limit": ("限值", "limit"),
    "col_cv_met": ("差异系数达标", "CV met"),
    "col_school": ("学校", "school"),
    "col_level": ("学段", "level"),
    "col_value": ("数值", "value"),
    "col_below_floor": ("低于85%底线", "below 85% floor"),
    "col_gap": ("差距", "gap"),
    "col_status": ("状态", "status"),
    "col_detail": ("说明", "detail"),
    "col_responsible": ("责任单位", "responsible"),
    "col_first_seen": ("首次发现", "first seen"),
    "col_veto": ("否决项", "veto"),
    "col_year": ("学年", "year"),
    "col_students": ("在校生", "students"),
    "col_met_count": ("达标项数", "met"),
    "col_below_floor_count": ("低于底线项数", "below floor"),
    "col_passes": ("达到学校标准", "passes"),
    "col_this_school": ("本校", "this school"),
    "col_met": ("达标", "met"),
    "col_needs": ("需要", "needs"),
    "col_classes": ("班级数", "classes"),
    "col_mean_class_size": ("平均班额", "mean size"),
    "col_max_class_size": ("最大班额", "max size"),
    "col_classes_over_limit": ("超标准班额班数", "over limit"),
    "col_large_classes": ("大班额", "large (56–65)"),
    "col_super_large_classes": ("超大班额", "super-large (≥ 66)"),
    "col_units_passing": ("达标单位", "units passing"),
    "col_units": ("单位数", "units"),
    # --- rows of the county summary --------------------------------------------------------
    "sum_verdict": ("结论", "verdict"),
    "sum_units_passing": ("达到学校标准的单位", "units meeting the school rule"),
    "sum_cv_over": ("超过限值的差异系数", "CVs over their limit"),
    "sum_not_met": ("B8–B32 未达标", "B8–B32 not met"),
    "sum_not_assessed": ("B8–B32 未评估", "B8–B32 not assessed"),
    "sum_vetoes": ("触发的一票否决", "vetoes triggered"),
    # --- ledger gaps in English (the ledger writes them in Chinese) -------------------------
    "gap_cv": ("差异系数 {cv}，需降至 {limit} 以下", "CV {cv}, must fall to {limit} or below"),
    "gap_over": ("超出 {n} 人", "{n} students over"),
    "gap_veto": ("触发一票否决", "veto triggered"),
    "gap_judged": ("评定未达标", "judged not met"),
    "gap_see_detail": ("未达标（见说明）", "not met (see the detail)"),
    "gap_current": ("当前 {value}，需 {sym} {threshold}", "now {value}, needs {sym} {threshold}"),
    # --- source note -------------------------------------------------------------------------
    "note_data": ("数据来源 / data: {name}（{path}）", "Data: {name} ({path})"),
    "note_settings": ("参数设置 / settings: {source}；教学点 {tp}（< {tp_min} 人），"
                      "民办学校 {private}，B4 室内体育用房 {b4}，B7 分摊 {b7}，差异系数比较 {cv}",
                      "Settings: {source}; teaching points {tp} (< {tp_min} students), private "
                      "schools {private}, B4 indoor sports {b4}, B7 allocation {b7}, CVs "
                      "compared {cv}"),
    "note_cv_raw": ("用原值（不取舍）", "unrounded"),
    "note_cv_rounded": ("先保留 {digits} 位小数", "rounded to {digits} decimals first"),
    "note_synthetic": (
        "模拟数据：本样例县由程序（balance_lib.sample）按固定随机种子生成，学校名称与全部数字均为虚构，"
        "非昌吉市真实数据。",
        "SYNTHETIC data: the sample county is made by a seeded generator (balance_lib.sample); "
        "school names and every number are invented, not statistics of a real county."),
    "note_excluded": (
        "⚠ 注意：{n} 所学校的数据有问题，已排除：{schools}。本报告的县域值、差异系数和结论均未计入"
        "这些学校；问题清单见其一校一册（标记为失败）。 / WARNING: {n} school(s) excluded for data "
        "problems ({ids}); county values and CVs are computed without them.",
        "⚠ WARNING: {n} school(s) excluded for data problems: {schools}. The county values, "
        "CVs and verdict of this report are computed without them; their problems are listed "
        "in their school profiles (marked failed)."),
    # --- charts ------------------------------------------------------------------------------
    "plot_threshold": ("标准 {value}", "threshold {value}"),
    "plot_floor": ("85% 底线 {value}", "85% floor {value}"),
    "plot_floor_pct": ("底线 {value}%", "floor {value}%"),
    "plot_standard_100": ("标准 100%", "threshold 100%"),
    "plot_limit": ("限值 {value}", "limit {value}"),
    "plot_level_limit": ("{level}限值 {value}", "{level} limit {value}"),
    "plot_school_axis": ("学校", "school"),
    "plot_value_axis": ("{name}（{unit}）", "{name} ({unit})"),
    "plot_school_values": ("{when}{level} {id} {name}：各校数值",
                           "{when}{level} {id} {name}: schools"),
    "plot_when": ("{year}学年 ", "{year}: "),
    "plot_cv_axis": ("差异系数（无量纲）", "CV (dimensionless)"),
    "plot_indicator_axis": ("指标", "indicator"),
    "plot_cv_title": ("{when}校际差异系数与限值", "{when}inter-school CV and limits"),
    "plot_trend_x": ("学年（刻度为 9 月 1 日开学）与时间节点",
                     "school year (ticks at 1 September) and milestones"),
    "plot_trend_title": ("{level}校际差异系数趋势与创建时间节点",
                         "{level}: inter-school CV trend and milestones"),
    "plot_year_axis": ("学年", "school year"),
    "plot_pct_axis": ("达到标准的程度（%，数值/标准）",
                      "% of the threshold"),
    "plot_school_trend": ("{name}（{level}）B1–B7 逐年达标程度", "{name} ({level}): B1–B7 by year"),
    "milestone_creation": ("创建完成 2027.8", "creation done 2027.8"),
    "milestone_region": ("自治区评估 2028.12", "region evaluation 2028.12"),
    "milestone_national": ("国家评估认定 2029.9", "national evaluation 2029.9"),
    # --- the batch index (balance report) ---------------------------------------------------
    "index_default_title": ("报告索引", "Report index"),
    "index_title": ("{county} 优质均衡发展报告",
                    "{county}: high-quality balanced development reports"),
    "index_kind": ("类型", "type"),
    "index_report": ("报告", "report"),
    "index_status": ("状态", "status"),
    "index_duration": ("用时", "time"),
    "index_excluded": ("注意：{n} 所学校的数据有问题，已排除（{ids}）；"
                       "县域值和差异系数均未计入这些学校。",
                       "Note: {n} school(s) excluded for data problems ({ids}); county values and "
                       "CVs are computed without them."),
    "kind_county-year": ("年度评估", "yearly evaluation"),
    "kind_school": ("一校一册", "school profile"),
    "kind_trend": ("趋势", "trend"),
    "kind_scenario": ("情景分析", "scenario"),
    "run_ok": ("完成", "done"),
    "run_skipped": ("未变化（沿用）", "unchanged (kept)"),
    "run_failed": ("失败", "failed"),
    "job_county_year": ("{year}学年 年度评估", "School year {year}: evaluation"),
    "job_school": ("一校一册 {name}（{school_id}）", "School profile {name} ({school_id})"),
    "job_trend": ("{year_from}–{year_to}学年 趋势", "Trend {year_from}–{year_to}"),
    "job_scenario": ("情景分析 {name}", "Scenario {name}"),
    "batch_summary": ("报告 {n} 份：完成 {ok}，未变化跳过 {skipped}，失败 {failed}；用时 {s} s",
                      "{n} reports: {ok} done, {skipped} unchanged (skipped), {failed} failed; "
                      "{s} s"),
    "progress": ("报告", "reports"),
}

#: Status words of indicators, vetoes and the verdict (the engine's snake_case statuses).
STATUS: MappingProxyType[str, tuple[str, str]] = MappingProxyType({
    "met": ("达标", "met"),
    "not_met": ("未达标", "not met"),
    "not_assessed": ("未评估", "not assessed"),
    "meets": ("达到优质均衡标准", "meets the standard"),
    "does_not_meet": ("未达到优质均衡标准", "does not meet the standard"),
    "incomplete": ("评估不完整", "incomplete"),
    "triggered": ("触发", "triggered"),
    "not_triggered": ("未触发", "not triggered"),
    "disabled": ("未启用", "disabled"),
})
_LABELS.update({
    # --- the scenario report (30-scenario; balance_lib.scenario_report.w) -------------------
    "sc_title": ("{county} 情景分析：{name}", "{county}: scenario analysis, {name}"),
    "sc_s_changes": ("一、情景内容", "1. The scenario's changes"),
    "sc_s_targets": ("二、目标达成：基准与情景", "2. Targets: baseline and scenario"),
    "sc_s_classes": ("三、涉及学校的班额", "3. Class sizes of the schools concerned"),
    "sc_s_county": ("四、全县超标班额、大班额、学校规模与达标单位",
                    "4. County: classes over the limits, large classes, school size, units"),
    "sc_s_cv": ("五、B1–B7 差异系数", "5. B1–B7 coefficients of variation"),
    "sc_s_backtest": ("六、预测可信度（回测）", "6. How far to trust the projection (back-test)"),
    "sc_baseline": ("基准", "baseline"),
    "sc_scenario": ("情景", "scenario"),
    "sc_file": ("情景文件：{name}", "Scenario file: {name}"),
    "sc_years": ("最近观测 {last} 学年，预测至 {to} 学年；{entry}；班级：{policy}。",
                 "Last observed {last}, projected to {to}; {entry}; classes: {policy}."),
    "sc_keep": ("各年级保持现有班数（班额随人数变化）",
                "each cohort keeps its classes (sizes follow enrolment)"),
    "sc_open": ("超过 45/50 人即增开班级（需要教室）",
                "a class is opened above 45/50 (needs rooms)"),
    "sc_trend": ("一年级新生按历年线性趋势", "grade 1 by the linear trend"),
    "sc_mean": ("一年级新生按历年平均", "grade 1 at the mean"),
    "sc_births": ("一年级新生按出生人口", "grade 1 from births"),
    "sc_backtest": ("回测（用此前各年预测 {year} 学年）：全县在校生误差 {county}，"
                    "各校平均绝对误差 {mape}，最大 {max}。",
                    "Back-test (projecting {year} from the years before): county error "
                    "{county}, mean absolute school error {mape}, largest {max}."),
    "sc_even": ("预测年份的班额按各年级学生平均分班计算；{year} 学年为实际数据。",
                "Projected class sizes spread each grade evenly over its classes; {year} is "
                "observed."),
    "sc_no": ("序号", "no."),
    "sc_year": ("学年", "year"),
    "sc_change": ("变更", "change"),
    "sc_what": ("内容", "what"),
    "sc_school": ("学校", "school"),
    "sc_level": ("学段", "level"),
    "sc_students": ("学生", "students"),
    "sc_classes": ("班数", "classes"),
    "sc_mean_class_size": ("平均班额", "mean size"),
    "sc_max_class_size": ("最大班额", "largest"),
    "sc_classes_over_limit": ("超标班", "over 45/50"),
    "sc_big": ("大班额+超大", "large (56+)"),
    "sc_large": ("大班额", "large (56–65)"),
    "sc_super": ("超大班额", "super-large (66+)"),
    "sc_over": ("超45/50人班", "classes over 45/50"),
    "sc_oversize": ("超规模学校", "schools over B11"),
    "sc_units_failing": ("B1–B7未达标单位", "units failing B1–B7"),
    "sc_cv_over": ("超限差异系数", "CVs over limit"),
    "sc_case": ("方案", "case"),
    "sc_indicator": ("指标", "indicator"),
    "sc_limit": ("限值", "limit"),
    "sc_target": ("目标", "target"),
    "sc_never": ("至目标年未达标", "not met by the target year"),
    "sc_from_year": ("{year} 学年起", "from {year}"),
    "sc_failing": ("仍未达标", "still failing"),
    "sc_all_met": ("{year} 学年全部目标达标", "every target met in {year}"),
    "sc_county": ("全县", "county"),
    "sc_observed": ("实际在校生", "observed students"),
    "sc_projected": ("预测在校生", "projected"),
    "sc_error": ("误差（人）", "error (students)"),
    "sc_ape": ("绝对误差（%）", "abs. error (%)"),
    "sc_per_intake": ("每届起始班", "classes per intake"),
    "sc_grades": ("{g} 年级", "grade {g}"),
    "sc_persons": ("{n} 人", "{n} students"),
    "sc_rooms_label": ("教室", "classrooms"),
    "sc_c_classes": ("涉及学校的最大班额：基准（虚线）与情景（实线），{a}–{b}",
                     "Largest class of the schools concerned: baseline (dashed) and scenario "
                     "(solid), {a}–{b}"),
    "sc_c_county": ("全县超过限额的班级与大班额：基准与情景{none}",
                    "Classes over the limits and large classes in the county{none}"),
    "sc_c_none": ("（两种方案均为 0）", " (none in either case)"),
    "sc_c_cv": ("{level} B1–B7 差异系数：基准（虚线）与情景（实线）",
                "{level} B1–B7 CVs: baseline (dashed) and scenario (solid)"),
    "sc_y_size": ("最大班额（人/班）", "largest class (students per class)"),
    "sc_y_count": ("班级数（个）", "classes (count)"),
    "sc_y_cv": ("差异系数（无量纲）", "CV (ratio)"),
    "sc_l_primary": ("小学限额 45", "primary limit 45"),
    "sc_l_junior": ("初中限额 50", "junior limit 50"),
    "sc_l_large": ("大班额 56", "large class 56"),
    "sc_l_limit": ("限值 {v:.2f}", "limit {v:.2f}"),
    "sc_missing": ("情景文件不存在 / scenario file not found: {path}",
                   "scenario file not found: {path}"),
})

# --- balance plan (issue 17): the index words of the 50-plan report; the plan's own words are
# in balance_lib/plan_text.py and balance_lib/plan_report.py --------------------------------
_LABELS.update({
    "kind_plan": ("达标方案", "plan"),
    "job_plan": ("最低成本达标方案 {by}学年{extra}", "Least-cost plan {by}{extra}"),
})

LABELS: MappingProxyType[str, tuple[str, str]] = MappingProxyType(_LABELS)


def check_lang(lang: str) -> str:
    """``lang`` if it is a report language, else ValueError."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, got {lang!r}")
    return lang


def label(key: str, lang: str = "zh", **fields: object) -> str:
    """The words of ``key`` in ``lang``, with ``{field}`` placeholders filled.

    >>> label("col_cv"), label("col_cv", "en"), label("school_year", "en", year=2025)
    ('差异系数', 'CV', '2025')
    """
    zh, en = _LABELS[key]
    text = zh if check_lang(lang) == "zh" else en
    return text.format(**fields) if fields else text


def status_label(status: str, lang: str = "zh") -> str:
    """``"not_met"`` → 未达标 / not met; unknown statuses come back unchanged."""
    words = STATUS.get(status)
    return status if words is None else words[0 if check_lang(lang) == "zh" else 1]


def level_label(level: str, lang: str = "zh") -> str:
    """``"primary"`` → 小学 / primary (from :data:`balance_lib.columns.VALUE_LABELS`)."""
    return str(value_label(level, check_lang(lang)))


def yes_no(flag: bool, lang: str = "zh") -> str:
    return label("yes" if flag else "no", lang)
