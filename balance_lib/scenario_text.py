"""Terminal tables of a scenario: baseline → scenario, year by year (``balance scenario``)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from . import formats
from .columns import value_label
from .entry_text import entry_backtest_line
from .registry import Registry
from .scenario import CASES, ScenarioResult, target_names
from .textout import text_table
from .words import entries, labels, template

class _Words:
    """The terminal words of a scenario (``st_*`` of the word table) in one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __getitem__(self, key: str) -> Any:
        if key in ("policy", "entry"):
            return labels(f"st_{key}_", self.lang)
        if key.startswith("h_"):
            return entries(f"st_{key}", self.lang)
        return template(f"st_{key}", self.lang)


def _pct(x: float | None) -> str:
    return formats.percent(x, 1, sign=True)


def arrow(a: Any, b: Any, decimals: int = 0, *, both: bool = False) -> str:
    """``baseline → scenario`` (one number when both print the same, unless ``both``)."""
    return arrows([a], [b], decimals, both=both)[0]


def arrows(a: Any, b: Any, decimals: int = 0, *, both: bool = False) -> list[str]:
    """:func:`arrow` of two columns, formatted a column at a time (the explorer redraws its
    tables after every edit)."""
    fa, fb = formats.numbers(a, decimals), formats.numbers(b, decimals)
    return [x if x == y and not both else f"{x} → {y}" for x, y in zip(fa, fb, strict=True)]


def _pair(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Baseline and scenario side by side (suffixes _b and _s) on ``keys``."""
    b = frame[frame.case == "baseline"].drop(columns="case")
    s = frame[frame.case == "scenario"].drop(columns="case")
    return b.merge(s, on=keys, how="outer", suffixes=("_b", "_s"), sort=False)


def render_scenario(r: ScenarioResult, registry: Registry, lang: str = "zh",
                    data_name: str = "", note: str | None = None) -> str:
    """The whole terminal report of a scenario."""
    lab = _Words(lang)
    sm = r.summary
    ps = r.scenario.settings
    out = [f"{lab['title']}: {r.scenario.name}"]
    if r.scenario.description:
        out.append(r.scenario.description)
    if data_name:
        out.append(f"{lab['data']}: {data_name}" + (f"（{note}）" if note and lang == "zh" else
                                                   f" ({note})" if note else ""))
    out.append(lab["years"].format(last=r.last_observed, to=r.years[-1],
                                 entry=lab["entry"][ps.entry],
                                 policy=lab["policy"][ps.class_policy]))
    bt = sm["backtest"]
    out.append(lab["no_backtest"] if bt["county_pct_error"] is None else lab["backtest"].format(
        year=r.last_observed, county=_pct(bt["county_pct_error"]),
        mape=formats.percent(bt["school_mape"]), max=formats.percent(bt["school_max_ape"])))
    out.append(entry_backtest_line(sm["projection"]["entry_backtest"], ps.entry, lang))
    rooms = _classrooms_table(r, lang)
    out += ["", lab["classes"], _classes_table(r, lang), *(["", rooms] if rooms else []),
            "", lab["county"], _county_table(r, lang),
            "", lab["cv"], _cv_table(r, lang), "", lab["targets"], _targets_table(r, registry, lang), ""]
    fails = sm["scenario"]["failing_in_target_year"]
    if fails:
        out.append(lab["failing"].format(year=r.years[-1]) + ":")
        out += ["  " + line for line in failing_lines(fails, lang)]
    else:
        out.append(lab["none_failing"].format(year=r.years[-1]))
    if sm["warnings"]:
        out += ["", lab["warnings"] + ":", *("  " + w for w in sm["warnings"])]
    return "\n".join(out) + "\n"


def failing_lines(fails: list[dict[str, Any]], lang: str = "zh") -> list[str]:
    """One readable line per failing record of the summary."""
    lab = _Words(lang)
    lines = []
    for f in fails:
        lv = value_label(f.get("level", ""), lang) if f.get("level") else ""
        name = f.get("school_name") or f.get("school_id", "")
        if f["target"] == "cv":
            lines.append(lab["f_cv"].format(level=lv, indicator=f["indicator"],
                                            cv=formats.cv(f["cv"]), limit=formats.limit(f["limit"])))
        elif f["target"] == "units":
            lines.append(lab["f_units"].format(name=name, level=lv, met=f["met_count"]))
        elif f["target"] == "school_size":
            lines.append(lab["f_size"].format(name=name, students=formats.count(f["students"]),
                                              limit=formats.count(f["limit"])))
        elif f["target"] == "class_size":
            lines.append(lab["f_class"].format(name=name, level=lv, n=f["classes_over_limit"],
                                             max=f["max_class_size"]))
        else:
            lines.append(lab["f_large"].format(name=name, level=lv, large=f["large_classes"],
                                             super=f["super_large_classes"]))
    return lines


def touched_schools(r: ScenarioResult) -> list[str]:
    """The schools whose pupils or classes a scenario changes (moves, closures, mergers, new
    schools, intake classes), in order of mention; without such changes, the schools with
    classes over 45/50 in the baseline."""
    seen: dict[str, None] = {}
    for ch in r.scenario.changes:
        f = ch.fields
        if ch.type == "move_students":
            seen.update(dict.fromkeys([f["from"], f["to"]]))
        elif ch.type in ("close_school", "merge_school"):
            seen.update(dict.fromkeys([f["school_id"], *f["into"]]))
        elif ch.type == "new_school" or "entry_classes" in f:
            seen[f["school_id"]] = None
    if seen:
        return list(seen)
    s = r.schools
    return sorted(s.loc[(s.case == "baseline") & (s.classes_over_limit > 0), "school_id"].unique())


def _classrooms_table(r: ScenarioResult, lang: str) -> str:
    """Classrooms short per school and year (baseline → scenario), when any."""
    c = r.classrooms
    hit = c.loc[c["short"] > 0, "school_id"].unique()
    if len(hit) == 0:
        return ""
    lab = _Words(lang)
    names = r.schools.drop_duplicates("school_id").set_index("school_id")["school_name"]
    wide = c[c.school_id.isin(hit)].pivot_table(index="school_id", columns=["year", "case"],
                                                 values="short", fill_value=0)
    years = [y for y in r.years if y != r.last_observed]
    rows = []
    for sid in hit:
        cells = [arrow(wide.get((y, "baseline"), pd.Series(dtype=float)).get(sid, 0),
                       wide.get((y, "scenario"), pd.Series(dtype=float)).get(sid, 0), both=True)
                 for y in years]
        rows.append([str(names.get(sid, sid)), *cells])
    head = [lab["h_rooms"][0], *map(str, years)]
    return "\n".join([lab["rooms"], text_table(head, rows, right=set(range(1, len(head))))])


def _classes_table(r: ScenarioResult, lang: str) -> str:
    lab = _Words(lang)
    ids = touched_schools(r)
    s = r.schools[r.schools.school_id.isin(ids)].copy()
    s["big"] = s["large_classes"] + s["super_large_classes"]
    cols = ["year", "case", "school_id", "school_name", "level", "students", "classes",
            "mean_class_size", "max_class_size", "classes_over_limit", "big"]
    p = _pair(s[cols], ["year", "school_id", "school_name", "level"])
    order = {sid: k for k, sid in enumerate(ids)}
    levels = {"primary": 0, "junior": 1}
    p = p.sort_values(["school_id", "level", "year"], key=lambda c: c.map(order)
                      if c.name == "school_id" else c.map(levels) if c.name == "level" else c,
                      kind="stable")
    rows = [[f"{int(x.year)}" + (lab["observed"] if x.year == r.last_observed else ""),
             f"{x.school_name}", value_label(x.level, lang),
             arrow(x.students_b, x.students_s), arrow(x.classes_b, x.classes_s),
             arrow(x.mean_class_size_b, x.mean_class_size_s, 1),
             arrow(x.max_class_size_b, x.max_class_size_s),
             arrow(x.classes_over_limit_b, x.classes_over_limit_s), arrow(x.big_b, x.big_s)]
            for x in p.itertuples()]
    return text_table(lab["h_classes"], rows, right={3, 4, 5, 6, 7, 8})


def _county_table(r: ScenarioResult, lang: str) -> str:
    lab = _Words(lang)
    rows = []
    for y in r.years:
        vals = {}
        for case in CASES:
            s = r.schools[(r.schools.case == case) & (r.schools.year == y)]
            z = r.school_size[(r.school_size.case == case) & (r.school_size.year == y)]
            u = r.units[(r.units.case == case) & (r.units.year == y)]
            v = r.variation[(r.variation.case == case) & (r.variation.year == y)]
            vals[case] = [s.students.sum(), s.classes_over_limit.sum(), s.large_classes.sum(),
                          s.super_large_classes.sum(), int((z["met"] == False).sum()),  # noqa: E712
                          int((~u.passes).sum()), int((~v.met).sum())]
        rows.append([f"{y}" + (lab["observed"] if y == r.last_observed else "")] + [
            arrow(a, b) for a, b in zip(vals["baseline"], vals["scenario"], strict=True)])
    return text_table(lab["h_county"], rows, right=set(range(1, 8)))


def _cv_table(r: ScenarioResult, lang: str) -> str:
    v = r.variation
    rows = []
    for level in ("primary", "junior"):
        for ind in sorted(v[v.level == level].indicator.unique()):
            cells = []
            for y in r.years:
                pair = []
                for case in CASES:
                    row = v[(v.case == case) & (v.year == y) & (v.level == level)
                            & (v.indicator == ind)]
                    if row.empty or pd.isna(row.cv.iloc[0]):
                        pair.append("—")
                    else:
                        pair.append(formats.cv(row.cv.iloc[0]) + ("" if row.met.iloc[0] else "*"))
                cells.append(pair[0] if pair[0] == pair[1] else f"{pair[0]}→{pair[1]}")
            limit = v[(v.level == level) & (v.indicator == ind)].limit.iloc[0]
            rows.append([value_label(level, lang), ind, formats.limit(limit), *cells])
    head = entries("st_h_cv", lang)
    return text_table(head + [str(y) for y in r.years], rows, right=set(range(2, 3 + len(r.years))))


def _targets_table(r: ScenarioResult, registry: Registry, lang: str) -> str:
    lab = _Words(lang)
    names = target_names(registry, lang)
    rows = []
    for k, label in names.items():
        row = [label]
        for case in CASES:
            y = r.summary[case]["targets"][k]["met_from"]
            row.append(lab["never"] if y is None else str(y))
        rows.append(row)
    return text_table(lab["h_targets"], rows)
