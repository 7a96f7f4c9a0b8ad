"""Helpers the report notebooks call: parameter checks, loading, and tables formatted for people.

The templates in ``notebooks/`` stay thin (a parameters cell of literals, then calls into this
module and :mod:`balance_lib.plots`). Tables come back as DataFrames with Chinese column labels
and rounded numbers; :func:`text` turns one into deterministic plain text for printing.
Relative data paths are resolved against :data:`balance_lib.paths.PROJECT_ROOT`, never the
working directory (a papermill kernel starts wherever it is started).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .columns import VALUE_LABELS, value_label
from .engine import ResourceResult, evaluate_resources, long_values
from .indicators import IndicatorResult, assess_indicators
from .io import CountyData, load_county
from .paths import PROJECT_ROOT
from .registry import Registry, load_registry
from .results import build_evaluation
from .sample import SYNTHETIC_NOTE, is_sample
from .settings import Settings, load_settings

DIGITS = 3

STATUS_ZH = {
    "met": "达标", "not_met": "未达标", "not_assessed": "未评估", "meets": "达到优质均衡标准",
    "does_not_meet": "未达到优质均衡标准", "incomplete": "评估不完整",
    "triggered": "触发", "not_triggered": "未触发",
}


class ReportParamError(ValueError):
    """A report parameter (data path, year, school) that the data do not have."""


@dataclass(frozen=True)
class ReportData:
    """Everything a report needs, loaded once: the county, settings and registry."""

    path: Path
    county: CountyData
    settings: Settings
    registry: Registry
    synthetic: bool

    @property
    def years(self) -> list[int]:
        return years_of(self.county)


def resolve_path(path: str | Path) -> Path:
    """Absolute path; a relative one is taken from the project root (not the cwd).

    >>> resolve_path("data/sample") == PROJECT_ROOT / "data" / "sample"
    True
    """
    p = Path(path).expanduser()
    return p if p.is_absolute() else PROJECT_ROOT / p


def years_of(county: CountyData) -> list[int]:
    return sorted(int(y) for y in county.schools["year"].unique())


def school_ids_of(county: CountyData) -> list[str]:
    return sorted(str(s) for s in county.schools["school_id"].unique())


def check_params(data: CountyData | ReportData, year: int | None = None,
                 school_id: str | None = None) -> None:
    """Raise :class:`ReportParamError` with a clear message for an unknown year or school.

    papermill only warns about unknown parameters, and a typo must not silently give the
    default county's report.
    """
    county = data.county if isinstance(data, ReportData) else data
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


def load(data: str | Path, params: str | Path | None = None) -> ReportData:
    """Load the county at ``data`` (relative to the project root) with the settings in force."""
    path = resolve_path(data)
    if not path.exists():
        raise ReportParamError(f"数据不存在 / data not found: {path}")
    settings = load_settings(resolve_path(params) if params else None)
    return ReportData(path=path, county=load_county(path), settings=settings,
                      registry=load_registry(), synthetic=is_sample(path))


def text(frame: pd.DataFrame, digits: int = DIGITS) -> str:
    """Deterministic, rounded plain text of a table (for printed output and nbval)."""
    if frame.empty:
        return "（无）"
    f = frame.copy()
    for c in f.columns:
        if pd.api.types.is_float_dtype(f[c]):
            f[c] = f[c].round(digits)
    with pd.option_context("display.width", 200, "display.max_columns", 50,
                           "display.max_colwidth", 80, "display.unicode.east_asian_width", True):
        return f.to_string(index=False)


def heading(title: str, level: int = 1) -> str:
    """A Markdown heading with the text HTML-escaped (names come from the data)."""
    return "#" * level + " " + html.escape(title)


def source_note(data: ReportData) -> str:
    """Data source, synthetic-data note and the settings in force, as plain text."""
    lines = [f"数据来源 / data: {data.path.name}（{data.path}）"]
    if data.synthetic:
        lines.append(SYNTHETIC_NOTE)
    s = data.settings
    lines.append(
        f"参数设置 / settings: {s.source}；教学点 {s.teaching_points}（< {s.teaching_point_min_students} 人），"
        f"民办学校 {s.private_schools}，B4 室内体育用房 {s.b4_indoor_sports}，"
        f"B7 分摊 {s.b7_allocation}，差异系数比较 "
        + ("用原值（不取舍）" if s.cv_rounding is None else f"先保留 {s.cv_rounding} 位小数")
    )
    return "\n".join(lines)


def _level(level: str) -> str:
    return value_label(level)


@dataclass(frozen=True)
class YearResult:
    year: int
    resources: ResourceResult
    values: pd.DataFrame
    indicators: IndicatorResult
    evaluation: dict[str, Any]


def evaluate_year(data: ReportData, year: int) -> YearResult:
    """The engine's result for one year (B1–B7 units and CVs, B8–B32, vetoes, verdict)."""
    check_params(data, year=year)
    schools = data.county.schools
    res = evaluate_resources(schools[schools["year"] == int(year)], data.settings, data.registry)
    ind = assess_indicators(data.county.tables, data.settings, data.registry)
    info = {"name": data.path.name, "synthetic": data.synthetic}
    ev = build_evaluation(res, int(year), data.settings, data.registry, lang="zh",
                          dataset=info, indicators=ind)
    return YearResult(int(year), res, long_values(res), ind, ev)


def evaluate_all(data: ReportData) -> ResourceResult:
    """B1–B7 for every year (trend and school profile)."""
    return evaluate_resources(data.county.schools, data.settings, data.registry)


def county_summary(yr: YearResult) -> pd.DataFrame:
    """Verdict, units passing, CVs over their limit and items not met, one row each."""
    units = yr.resources.units
    var = yr.resources.variation
    over = var[~var["met"].astype(bool)]
    verdict = yr.evaluation["verdict"][0] if yr.evaluation["verdict"] else {}
    other = [i for i in yr.evaluation["indicators"] if i["id"] not in yr.resources.indicator_ids]
    rows = [
        ("结论", STATUS_ZH.get(verdict.get("status", ""), verdict.get("status", ""))),
        ("达到学校标准的单位", f"{int(units['passes'].sum())} / {len(units)}"),
        ("超过限值的差异系数", "；".join(
            f"{_level(r.level)} {r.indicator} {r.cv:.3f} > {r.limit:.2f}" for r in over.itertuples())
         or "无"),
        ("B8–B32 未达标", "、".join(i["id"] for i in other if i["status"] == "not_met") or "无"),
        ("B8–B32 未评估", "、".join(i["id"] for i in other if i["status"] == "not_assessed") or "无"),
        ("触发的一票否决", "、".join(v["id"] for v in yr.evaluation["vetoes"] if v["triggered"]) or "无"),
    ]
    return pd.DataFrame(rows, columns=["项目", "结果"])


def verdict_reasons(yr: YearResult) -> list[str]:
    return [r for v in yr.evaluation["verdict"] for r in v.get("reasons", [])]


def resource_table(variation: pd.DataFrame, registry: Registry, level: str) -> pd.DataFrame:
    """B1–B7 for one level: county value vs threshold, CV vs limit."""
    f = variation[variation["level"] == level].sort_values("indicator", key=lambda s: s.str[1:].astype(int))
    return pd.DataFrame({
        "指标": f["indicator"],
        "名称": [registry.indicator(i).label("zh") for i in f["indicator"]],
        "单位": [registry.indicator(i).unit("zh") for i in f["indicator"]],
        "县域值": f["county_value"].astype(float),
        "标准": f["threshold"].astype(float),
        "差异系数": f["cv"].astype(float),
        "限值": f["limit"].astype(float),
        "差异系数达标": ["是" if m else "否" for m in f["met"].astype(bool)],
    })


def failing_units(values: pd.DataFrame, registry: Registry, level: str | None = None) -> pd.DataFrame:
    """Every unit value below its threshold, with the gap in natural units."""
    f = values[~values["met"].astype(bool)]
    if level is not None:
        f = f[f["level"] == level]
    f = f.sort_values(["level", "indicator", "value"])
    return pd.DataFrame({
        "学校": f["school_name"].astype(str),
        "学段": [_level(lv) for lv in f["level"]],
        "指标": f["indicator"],
        "数值": f["value"].astype(float),
        "标准": f["threshold"].astype(float),
        "低于85%底线": ["是" if not m else "" for m in f["floor_met"].astype(bool)],
        "差距": [f"{int(s)} {registry.indicator(i).shortfall_zh}"
                 for s, i in zip(f["shortfall"], f["indicator"])],
    })


def other_items(yr: YearResult) -> pd.DataFrame:
    """B8–B32 status and evidence."""
    ids = set(yr.resources.indicator_ids)
    rows = [i for i in yr.evaluation["indicators"] if i["id"] not in ids]
    return pd.DataFrame({
        "指标": [r["id"] for r in rows],
        "状态": [STATUS_ZH.get(r["status"], r["status"]) for r in rows],
        "说明": [str(r.get("detail", ""))[:70] for r in rows],
    })


def ledger_table(data: ReportData, year: int) -> pd.DataFrame:
    """问题台账 of ``year``: every shortfall with its gap, 责任单位, first year and 销号 status.

    The ledger runs from the first year of the data to ``year``, so "first seen" looks back
    over every earlier year; a shortfall of ``year`` itself is open by construction.
    """
    from .ledger import make_ledger

    first = min(years_of(data.county))
    frames = make_ledger(data.county.tables, data.settings, data.registry,
                         year_from=first, year_to=year)
    rows = frames.ledger[frames.ledger["year"] == year]
    return pd.DataFrame({
        "指标": rows["indicator"].to_numpy(),
        "学校": [n if isinstance(n, str) and n else "（全县）" for n in rows["school_name"]],
        "学段": [_level(lv) if lv in VALUE_LABELS else "" for lv in rows["level"]],
        "差距": rows["gap_text"].fillna("").to_numpy(),
        "责任单位": rows["responsible"].fillna("").to_numpy(),
        "首次发现": rows["first_seen"].astype("Int64").to_numpy(),
    })


def veto_table(yr: YearResult, registry: Registry) -> pd.DataFrame:
    rows = yr.evaluation["vetoes"]
    return pd.DataFrame({
        "否决项": [r["id"] for r in rows],
        "名称": [registry.veto(r["id"]).label("zh")[:30] for r in rows],
        "状态": [STATUS_ZH.get(r["status"], r["status"]) for r in rows],
    })


def school_name(data: ReportData, school_id: str) -> str:
    s = data.county.schools
    names = s.loc[s["school_id"].astype(str) == str(school_id), "school_name"]
    return str(names.iloc[-1]) if len(names) else str(school_id)


def school_summary(result: ResourceResult, school_id: str) -> pd.DataFrame:
    """Per year and level: met count and whether the unit passes the school rule."""
    u = result.units[result.units["school_id"].astype(str) == str(school_id)].sort_values(["year", "level"])
    return pd.DataFrame({
        "学年": u["year"].astype(int),
        "学段": [_level(lv) for lv in u["level"]],
        "在校生": u["students"].astype(int),
        "达标项数": u["met_count"].astype(int),
        "低于底线项数": u["below_floor"].astype(int),
        "达到学校标准": ["是" if p else "否" for p in u["passes"].astype(bool)],
    })


def school_profile(result: ResourceResult, school_id: str, registry: Registry) -> pd.DataFrame:
    """One school's B1–B7 per year and level against the threshold and the county value."""
    values = long_values(result)
    v = values[values["school_id"].astype(str) == str(school_id)]
    county = result.variation[["county_id", "year", "level", "indicator", "county_value"]]
    v = v.merge(county, on=["county_id", "year", "level", "indicator"], how="left")
    v = v.sort_values(["level", "indicator", "year"], key=lambda s: s.str[1:].astype(int)
                      if s.name == "indicator" else s)
    return pd.DataFrame({
        "学段": [_level(lv) for lv in v["level"]],
        "指标": v["indicator"],
        "学年": v["year"].astype(int),
        "本校": v["value"].astype(float),
        "标准": v["threshold"].astype(float),
        "县域值": v["county_value"].astype(float),
        "达标": ["是" if m else "否" for m in v["met"].astype(bool)],
    })


def school_needs(result: ResourceResult, school_id: str, registry: Registry,
                 year: int | None = None) -> pd.DataFrame:
    """What the school needs to meet every threshold in ``year`` (default: the latest)."""
    values = long_values(result)
    v = values[values["school_id"].astype(str) == str(school_id)]
    if v.empty:
        return pd.DataFrame(columns=["学段", "指标", "需要"])
    year = int(v["year"].max()) if year is None else int(year)
    v = v[(v["year"] == year) & ~v["met"].astype(bool)]
    return pd.DataFrame({
        "学段": [_level(lv) for lv in v["level"]],
        "指标": v["indicator"],
        "需要": [f"+{int(s)} {registry.indicator(i).shortfall_zh}"
                 for s, i in zip(v["shortfall"], v["indicator"])],
    })


def school_class_sizes(indicators: IndicatorResult, school_id: str) -> pd.DataFrame:
    c = indicators.class_sizes
    c = c[c["school_id"].astype(str) == str(school_id)].sort_values(["year", "level"])
    return pd.DataFrame({
        "学年": c["year"].astype(int),
        "学段": [_level(lv) for lv in c["level"]],
        "班级数": c["classes"].astype(int),
        "平均班额": c["mean_class_size"].astype(float),
        "最大班额": c["max_class_size"].astype(float),
        "超标准班额班数": c["classes_over_limit"].astype(int),
        "大班额": c["large_classes"].astype(int),
        "超大班额": c["super_large_classes"].astype(int),
    })


def cv_trend_table(variation: pd.DataFrame, level: str) -> pd.DataFrame:
    """差异系数 by indicator (rows) and school year (columns) for one level, with the limit."""
    f = variation[variation["level"] == level]
    t = f.pivot_table(index="indicator", columns="year", values="cv", aggfunc="first")
    t = t.reindex(sorted(t.index, key=lambda s: int(s[1:])))
    t.columns = [f"{int(c)}学年" for c in t.columns]
    t.insert(0, "指标", t.index)
    t["限值"] = f.groupby("indicator")["limit"].first().reindex(t.index).to_numpy()
    return t.reset_index(drop=True)


def pass_trend_table(result: ResourceResult) -> pd.DataFrame:
    """Units passing the school rule per year and level."""
    g = result.units.groupby(["year", "level"], sort=True)["passes"].agg(["sum", "size"]).reset_index()
    return pd.DataFrame({
        "学年": g["year"].astype(int),
        "学段": [_level(lv) for lv in g["level"]],
        "达标单位": g["sum"].astype(int),
        "单位数": g["size"].astype(int),
    })
