"""Scenario explorer: a baseline projection and a scenario side by side, through the same engine.

:func:`run_scenario` projects enrolment per school and grade from the last observed year to the
target year (:mod:`balance_lib.projection`), applies the scenario's dated changes
(:mod:`balance_lib.scenario_spec`) to a copy of the projection and of the schools table, forms
classes, and then evaluates both cases with the ordinary engine: B1–B7 per unit and the CVs,
school size B11 and class sizes B12 with the 大班额 bands (:func:`balance_lib.indicators.
evaluate`). There is no second implementation of any indicator: each case is evaluated in one
pass over all its years (its years are the "counties" of the evaluation; ``county_id`` =
``baseline`` / ``scenario``). :func:`run_scenario` is :func:`evaluate_baseline` then
:func:`evaluate_scenario`; the scenario explorer keeps the first and repeats the second.

How changes act (in year order, then file order):

* moving students redistributes the baseline projection: a share of the students of a cohort at
  one school is given to another, and that share of the cohort stays there as it moves up. The
  county's total per grade and year never changes, and moved students keep the progression of
  the school they came from (they are the same children);
* facilities and teachers change only as the scenario says (``expand_school``,
  ``hire_teachers``, ``new_school``, ``merge_school``); a school that loses students keeps its
  teachers and buildings, which is how a new school raises its neighbours' per-student values;
* classes follow the projection's class policy; a new school opens ``entry_classes`` per intake
  (or as many as its first cohorts need within the class-size limit). Under ``keep`` a relieved
  school keeps its classes, so its classes only get smaller; under ``open`` it opens fewer
  extra classes than in the baseline (sizes stay within 45/50 in both cases).

The last observed year appears in the results as observed (the same in both cases, except
for the ``expand_school`` / ``hire_teachers`` changes that take effect in that year itself: they
act on the observed enrolment of the scenario, which is how a plan for today is checked);
projected years spread each grade evenly over its classes.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .columns import TYPE_LEVELS
from .indicators import evaluate_schools
from .projection import (
    ENTRY,
    LEVEL_OF_GRADE,
    ProjectionSettings,
    backtest,
    backtest_summary,
    best_entry_method,
    births_from_table,
    class_limits,
    cohorts_from_classes,
    entry_backtest,
    even_class_rows,
    fit_rates,
    project_classes,
    project_students,
)
from .registry import Registry, load_registry
from .scenario_spec import (
    EMPTY,
    SCHOOL_AMOUNTS,
    Change,
    Scenario,
    ScenarioError,
    ScenarioProblem,
    SchoolFacts,
)
from .settings import Settings
from .units import sort_units

CASES = ("baseline", "scenario")
SCHOOL_COLUMNS = ["year", "case", "school_id", "school_name", "level", "students", "classes",
                  "mean_class_size", "max_class_size", "classes_over_limit", "large_classes",
                  "super_large_classes", "observed"]
SCHOOL_ORDER = ["year", "case", "school_id", "level"]
TARGETS = ("cv", "units", "school_size", "class_size", "large_classes")
#: The indicators besides the unit ones a scenario evaluates: school size (B11). Class sizes
#: (B12's table of classes over the limits and 大班额, ``class_sizes``) come with every evaluation
#: of data with classes; B12's own school rule is not part of a scenario's results, and asking
#: for it doubled the time of a scenario side (what the explorer pays after every edit).
SCENARIO_ITEMS = ("B11",)


def target_names(registry: Registry, lang: str = "zh") -> dict[str, str]:
    """The words of each target (:data:`TARGETS`), with the registry's ids and limits."""
    from .words import label, registry_fields

    return {k: label(f"target_{k}", lang, **registry_fields(registry)) for k in TARGETS}

_EPS = 1e-9


class ScenarioDataError(ValueError):
    """The data cannot carry a projection (no classes.csv, several counties, …)."""


@dataclass(frozen=True)
class ScenarioResult:
    """Baseline and scenario, per year from the last observed year to the target.

    ``schools``: :data:`SCHOOL_COLUMNS` per (year, case, school, level). ``school_size``: B11
    per (year, case, school): ``students``, ``limit``, ``met``. ``units``: B1–B7 per (year, case,
    school, level): ``value_B1`` …, ``met_count``, ``passes``. ``variation``: per (year, case,
    level, indicator): ``county_value``, ``cv``, ``limit``, ``met``. ``classrooms``: per (year,
    case, school) ``classes``, ``classrooms`` (last observed classes + added), ``short``.
    ``backtest``: :func:`balance_lib.projection.backtest`. ``summary``: see
    :func:`summarise`.
    """

    scenario: Scenario
    years: list[int]
    last_observed: int
    schools: pd.DataFrame
    school_size: pd.DataFrame
    units: pd.DataFrame
    variation: pd.DataFrame
    classrooms: pd.DataFrame
    backtest: pd.DataFrame
    summary: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    #: :func:`balance_lib.projection.entry_backtest`: the entry methods on the history
    entry_backtest: pd.DataFrame = field(default_factory=pd.DataFrame)


def school_facts(tables: Mapping[str, pd.DataFrame]) -> SchoolFacts:
    """The last observed year, the levels each school of that year teaches, the observed years
    and the births of ``births.csv``."""
    schools, classes = _inputs(tables)
    last = int(classes["year"].max())
    rows = schools[schools["year"].astype(int) == last]
    levels = {str(s): TYPE_LEVELS.get(str(t), ())
              for s, t in zip(rows["school_id"], rows["school_type"], strict=True)}
    observed = tuple(sorted(int(y) for y in classes["year"].unique()))
    return SchoolFacts(last, levels, births_from_table(tables.get("births")), observed)


def _inputs(tables: Mapping[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    schools, classes = tables.get("schools"), tables.get("classes")
    if classes is None or classes.empty:
        raise ScenarioDataError("预测需要 classes.csv（各校各年级班级与学生数）/ "
                                "the projection needs classes.csv (classes and students per grade)")
    if "county_id" in schools and schools["county_id"].nunique(dropna=False) > 1:
        raise ScenarioDataError("情景分析一次只针对一个县区：请只给出一个县区的数据 / "
                                "a scenario covers one county: give one county's data")
    last = int(classes["year"].max())
    if last not in set(schools["year"].astype(int)):
        raise ScenarioDataError(f"schools.csv 没有 {last} 年（classes.csv 的最近年份）/ "
                                f"schools.csv has no year {last} (the last year of classes.csv)")
    return schools, classes


# ---------------------------------------------------------------------------------------------
# applying changes to the projected students


def _cohort_mask(years: np.ndarray, g0: int, start: int, catchment: bool) -> np.ndarray:
    """Cells ``[year, grade]`` of the cohorts that are in grade ``g0`` in ``start`` (``once``)
    or enter grade ``g0`` in ``start`` or later (``catchment``), as they move up their level."""
    yy = years[:, None]
    gg = np.arange(1, 10)[None, :]
    end = 6 if g0 <= 6 else 9
    within = (gg >= g0) & (gg <= end)
    entered = yy - (gg - g0)
    return within & ((entered >= start) if catchment else (entered == start))


def _entry_index(years: np.ndarray, g0: int) -> np.ndarray:
    """For every cell ``[year, grade]``: the index in ``years`` of the year its cohort was in
    grade ``g0`` (clipped; only meaningful inside a cohort mask)."""
    entered = years[:, None] - (np.arange(1, 10)[None, :] - g0)
    return np.clip(entered - years[0], 0, len(years) - 1)


def _apply_moves(st: np.ndarray, years: np.ndarray, changes: list[Change],
                 index: Mapping[str, int], file: str) -> list[str]:
    """Move students in ``st`` ``[year, school, grade]`` in place; returns warnings."""
    moved = np.zeros(st.shape)  # fraction of each cell's pre-move students moved out
    problems: list[ScenarioProblem] = []
    warnings: list[str] = []
    for ch in changes:
        if ch.type == "move_students":
            a, b = index[ch.fields["from"]], index[ch.fields["to"]]
            for g0 in ch.fields["grades"]:
                catchment = g0 in (1, 7)
                mask = _cohort_mask(years, g0, ch.year, catchment)
                cur = st[:, a, :]
                if "share" in ch.fields:
                    p = ch.fields["share"]
                    if np.any(mask & (moved[:, a, :] + p > 1 + _EPS)):
                        problems.append(ScenarioProblem(
                            file, ch.index, ch.type, "share",
                            f"从学校 {ch.fields['from']} 的 {g0} 年级迁出的比例合计超过 1"
                            "（不可能）",
                            f"shares moved out of school {ch.fields['from']}, grade {g0}, "
                            "add up to more than 1 (impossible)"))
                        continue
                    left = np.maximum(1 - moved[:, a, :], _EPS)
                    eff = np.where(mask, np.minimum(p / left, 1.0), 0.0)
                    moved[:, a, :] += np.where(mask, p, 0.0)
                else:
                    n = ch.fields["count"]
                    gi = g0 - 1
                    avail = cur[:, gi]
                    start = np.flatnonzero(years >= ch.year)
                    first = start[:1] if not catchment else start
                    p_entry = np.zeros(len(years))
                    have = avail[first]
                    p_entry[first] = np.where(have > 0,
                                              np.minimum(n, have) / np.maximum(have, _EPS), 0.0)
                    short = [int(years[k]) for k in first if np.rint(avail[k]) < n]
                    if short:
                        warnings.append(
                            f"第 {ch.index} 项变更: 学校 {ch.fields['from']} {g0} 年级在 "
                            f"{', '.join(map(str, short))} 年不足 {n} 人，已全部迁出 / change "
                            f"{ch.index}: school {ch.fields['from']} has fewer than {n} in grade "
                            f"{g0} in {', '.join(map(str, short))}; all of them moved")
                    eff = np.where(mask, p_entry[_entry_index(years, g0)], 0.0)
                    moved[:, a, :] += eff * (1 - moved[:, a, :])
                amount = eff * cur
                st[:, a, :] -= amount
                st[:, b, :] += amount
        elif ch.type in ("close_school", "merge_school"):
            a = index[ch.fields["school_id"]]
            mask = (years >= ch.year)[:, None] & np.ones(9, dtype=bool)[None, :]
            amount = np.where(mask, st[:, a, :], 0.0)
            for sid, share in ch.fields["into"].items():
                st[:, index[sid], :] += amount * share
            st[:, a, :] -= amount
            moved[:, a, :] = np.where(mask, 1.0, moved[:, a, :])
    if problems:
        raise ScenarioError(problems)
    return warnings


def _entry_classes(base: np.ndarray, years: np.ndarray, changes: list[Change],
                   index: Mapping[str, int], n_schools: int,
                   file: str = "scenario.yaml") -> np.ndarray:
    """Classes opened per intake ``[year, school, grade]`` (entering grades only)."""
    ent = np.zeros((len(years), n_schools, 9), dtype=int)
    for e in ENTRY.values():
        ent[:, : base.shape[0], e] = base[None, :, e]
    for ch in changes:
        if ch.type in ("new_school", "expand_school"):
            s = index[ch.fields["school_id"]]
            for lv, n in ch.fields.get("entry_classes", {}).items():
                ent[years >= ch.year, s, ENTRY[lv]] += n
                if n < 0 and (ent[years >= ch.year, s, ENTRY[lv]] < 0).any():
                    raise ScenarioError([ScenarioProblem(
                        file, ch.index, ch.type, f"entry_classes.{lv}",
                        f"减少 {-n} 个起始班后为负数", f"taking away {-n} classes leaves a "
                        "negative number")])
        elif ch.type == "merge_school":
            s = index[ch.fields["school_id"]]
            (t,) = (index[k] for k in ch.fields["into"])
            later = years >= ch.year
            ent[later, t, :] += ent[later, s, :]
            ent[later, s, :] = 0
    return ent


# ---------------------------------------------------------------------------------------------
# the schools table of every projected year


def _school_rows(base: pd.DataFrame, years: np.ndarray, st: np.ndarray, cls: np.ndarray,
                 changes: list[Change], case: str,
                 file: str = "scenario.yaml") -> pd.DataFrame:
    """One row per (projected year, school) with projected students/classes and the changes
    (a reduction that would leave a negative number is a :class:`ScenarioError`)."""
    problems: list[ScenarioProblem] = []
    rows = base
    new = [ch for ch in changes if ch.type == "new_school"]
    if new:
        add = pd.DataFrame([{
            "school_id": ch.fields["school_id"], "school_name": ch.fields["school_name"],
            "school_type": ch.fields["school_type"], "area_type": ch.fields["area_type"],
            "is_private": bool(ch.fields.get("is_private", False)),
            "is_boarding": bool(ch.fields.get("is_boarding", False)),
            "year_built": ch.year, "parent_school_id": None,
            **{k: ch.fields.get(k, 0.0) for k in SCHOOL_AMOUNTS if k in base.columns},
        } for ch in new])
        rows = pd.concat([base, add], ignore_index=True)
    n = len(rows)
    out = rows.iloc[np.tile(np.arange(n), len(years))].reset_index(drop=True)
    out["year"] = np.repeat(years, n)
    out["county_id"] = case
    whole = np.rint(st)  # whole students per grade, as in the class rows
    out["students_primary"] = whole[:, :, :6].sum(axis=2).ravel()
    out["students_junior"] = whole[:, :, 6:].sum(axis=2).ravel()
    out["classes_primary"] = cls[:, :, :6].sum(axis=2).ravel()
    out["classes_junior"] = cls[:, :, 6:].sum(axis=2).ravel()
    yr = out["year"].to_numpy()
    sid = out["school_id"].astype(str).to_numpy()
    keep = np.ones(len(out), dtype=bool)
    amounts = _Amounts(out)
    for ch in changes:
        later = yr >= ch.year
        if ch.type == "new_school":
            keep &= ~((sid == ch.fields["school_id"]) & ~later)
        elif ch.type in ("expand_school", "hire_teachers"):
            amounts.add(later & (sid == ch.fields["school_id"]), ch, problems, file)
        elif ch.type in ("close_school", "merge_school"):
            gone = later & (sid == ch.fields["school_id"])
            if ch.type == "merge_school":
                (target,) = ch.fields["into"]
                to = later & (sid == target)
                for k in SCHOOL_AMOUNTS:
                    if k in out.columns or k in amounts.columns:
                        a = amounts(k)
                        a[to] = np.nan_to_num(a[to], nan=0.0) + np.nan_to_num(a[gone], nan=0.0)
            keep &= ~gone
    amounts.write()
    if problems:
        raise ScenarioError(problems)
    return out[keep].reset_index(drop=True)


class _Amounts:
    """The amount columns of ``out`` that changes touch, as float arrays: ``amounts(k)`` the
    column ``k`` (zeros when ``out`` lacks it), :meth:`add` a change's amounts, :meth:`write`
    them back into ``out``."""

    def __init__(self, out: pd.DataFrame) -> None:
        self.out = out
        self.columns: dict[str, np.ndarray] = {}

    def __call__(self, k: str) -> np.ndarray:
        if k not in self.columns:
            self.columns[k] = (pd.to_numeric(self.out[k]).to_numpy(dtype=float, copy=True)
                               if k in self.out.columns else np.zeros(len(self.out)))
        return self.columns[k]

    def add(self, hit: np.ndarray, ch: Change, problems: list[ScenarioProblem],
            file: str) -> None:
        """Add the amounts of an ``expand_school`` / ``hire_teachers`` change to the rows
        ``hit``; a reduction below zero is a problem."""
        for k, v in ch.fields.items():
            if k in SCHOOL_AMOUNTS:
                a = self(k)
                a[hit] = np.nan_to_num(a[hit], nan=0.0) + v
                if v < 0 and (a[hit] < 0).any():
                    low = float(a[hit].min() - v)
                    problems.append(ScenarioProblem(
                        file, ch.index, ch.type, k,
                        f"减少 {-v:g} 后为负数（该校现有 {low:g}）",
                        f"taking away {-v:g} leaves a negative number "
                        f"(the school has {low:g})"))

    def write(self) -> None:
        for k, a in self.columns.items():
            self.out[k] = a


def _observed_rows(base: pd.DataFrame, changes: list[Change], last: int, case: str,
                   file: str = "scenario.yaml") -> pd.DataFrame:
    """The last observed year's school rows of ``case``: as observed, plus (in the scenario)
    the ``expand_school`` / ``hire_teachers`` changes that take effect in that year itself."""
    out = base.assign(county_id=case)
    now = [ch for ch in changes if ch.year == last and ch.type in ("expand_school",
                                                                  "hire_teachers")]
    if case != "scenario" or not now:
        return out
    out = out.copy()
    problems: list[ScenarioProblem] = []
    sid = out["school_id"].astype(str).to_numpy()
    amounts = _Amounts(out)
    for ch in now:
        amounts.add(sid == ch.fields["school_id"], ch, problems, file)
    amounts.write()
    if problems:
        raise ScenarioError(problems)
    return out


def _last_rows(tables: Mapping[str, pd.DataFrame], last: int) -> pd.DataFrame:
    """The schools table's rows of the last observed year (ids as text, sorted by id)."""
    schools, _ = _inputs(tables)
    sch = schools.assign(school_id=schools["school_id"].astype(str))
    return sch[sch["year"].astype(int) == last].sort_values("school_id").reset_index(drop=True)


def scenario_schools(tables: Mapping[str, pd.DataFrame], scenario: Scenario = EMPTY,
                     registry: Registry | None = None) -> pd.DataFrame:
    """The schools table the scenario case is evaluated on, one row per school and year from
    the last observed year (observed, with the changes of that year) to the target year, with
    projected students and classes and every change applied (``county_id`` = ``scenario``).

    This is what :func:`run_scenario` gives the engine for the scenario (``balance plan``
    starts from its target year).
    """
    p = project(tables, scenario, registry)
    last = int(p.history.years[-1])
    base = _last_rows(tables, last)
    changes = sorted(scenario.changes, key=lambda c: (c.year, c.index))
    file = scenario.source or "scenario.yaml"
    return pd.concat([_observed_rows(base, changes, last, "scenario", file),
                      _school_rows(base, p.years, p.students_scenario, p.classes_scenario,
                                   changes, "scenario", file)], ignore_index=True)


def _class_rows(years: np.ndarray, ids: np.ndarray, st: np.ndarray, cls: np.ndarray,
                case: str, present: pd.DataFrame) -> pd.DataFrame:
    """One row per projected class (sizes even within a grade), for the B12 engine."""
    cell, size = even_class_rows(st, cls)
    y, s, g = np.unravel_index(cell, st.shape)
    frame = pd.DataFrame({"county_id": case, "year": years[y], "school_id": ids[s],
                          "level": LEVEL_OF_GRADE[g], "grade": g + 1,
                          "class_id": np.arange(len(cell)).astype(str),
                          "students": size.astype(float)})
    keys = present[["year", "school_id"]].drop_duplicates()
    return frame.merge(keys, on=["year", "school_id"], how="inner")


# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Projected:
    """Students and classes ``[year, school, grade]`` of both cases (before any indicator).

    ``ids``: the schools of the last observed year, then the scenario's new schools;
    ``baseline`` arrays cover the first ``len(base_ids)`` schools only.
    """

    years: np.ndarray
    ids: np.ndarray
    base_ids: np.ndarray
    students_baseline: np.ndarray
    students_scenario: np.ndarray
    classes_baseline: np.ndarray
    classes_scenario: np.ndarray
    history: Any  # projection.Cohorts
    warnings: list[str]


@dataclass(frozen=True)
class _BaseProjection:
    """The baseline projection: what every scenario with the same projection settings shares."""

    years: np.ndarray
    ids: np.ndarray
    history: Any  # projection.Cohorts
    students: np.ndarray
    classes: np.ndarray
    base_classes: np.ndarray  # classes of the last observed year [school, grade]


def _project_baseline(tables: Mapping[str, pd.DataFrame], ps: ProjectionSettings,
                      registry: Registry) -> _BaseProjection:
    schools, classes = _inputs(tables)
    last = int(classes["year"].max())
    sch = schools.assign(school_id=schools["school_id"].astype(str))
    ids = np.sort(sch.loc[sch["year"].astype(int) == last, "school_id"].unique()).astype(str)
    cl = classes.assign(school_id=classes["school_id"].astype(str))
    h = cohorts_from_classes(cl[cl["school_id"].isin(ids)], ids)
    years = np.arange(last + 1, ps.target_year + 1)
    st_base = project_students(h, fit_rates(h), years, ps)
    base_cls = h.classes[h.year_index(last)]
    ent_b = _entry_classes(base_cls, years, [], {s: k for k, s in enumerate(ids)}, len(ids))
    cls_b = project_classes(st_base, base_cls, ent_b, class_limits(registry), ps.class_policy)
    return _BaseProjection(years, ids, h, st_base, cls_b, base_cls)


def _project_scenario(b: _BaseProjection, scenario: Scenario, registry: Registry) -> Projected:
    """The scenario's changes applied to the baseline projection ``b``."""
    years, ids = b.years, b.ids
    changes = sorted(scenario.changes, key=lambda c: (c.year, c.index))
    new_ids = [c.fields["school_id"] for c in changes if c.type == "new_school"]
    all_ids = np.array([*ids, *new_ids], dtype=object).astype(str)
    index = {s: k for k, s in enumerate(all_ids)}
    st_scn = np.zeros((len(years), len(all_ids), 9))
    st_scn[:, : len(ids)] = b.students
    warnings = _apply_moves(st_scn, years, changes, index, scenario.source or "scenario.yaml")
    base_cls = np.zeros((len(all_ids), 9), dtype=int)
    base_cls[: len(ids)] = b.base_classes
    ent_s = _entry_classes(b.base_classes, years, changes, index, len(all_ids),
                           scenario.source or "scenario.yaml")
    cls_s = project_classes(st_scn, base_cls, ent_s, class_limits(registry),
                            scenario.settings.class_policy)
    return Projected(years, all_ids, ids, b.students, st_scn, b.classes, cls_s, b.history,
                     warnings)


def project(tables: Mapping[str, pd.DataFrame], scenario: Scenario = EMPTY,
            registry: Registry | None = None) -> Projected:
    """Project both cases to the scenario's target year (students and classes only)."""
    registry = registry or load_registry()
    return _project_scenario(_project_baseline(tables, scenario.settings, registry), scenario,
                             registry)


@dataclass(frozen=True)
class _CaseFrames:
    """One case evaluated by the engine, in the shape of :class:`ScenarioResult`'s frames."""

    names: dict[str, str]  # school_id -> school_name
    class_sizes: pd.DataFrame  # the engine's B12 table (``county_id`` = the case)
    school_size: pd.DataFrame
    units: pd.DataFrame
    variation: pd.DataFrame


def _evaluate_case(rows: pd.DataFrame, class_rows: pd.DataFrame, settings: Settings,
                   registry: Registry) -> _CaseFrames:
    """The unit indicators and CVs, B11 and B12 of one case's school and class rows (all its
    years, the "counties" of one :func:`~balance_lib.indicators.evaluate_schools` pass, the
    school side of ``evaluate``). Only these (:data:`SCENARIO_ITEMS`): the other items, the
    county rows and the verdict are not part of a scenario's results, and assessing them took
    most of a scenario's time (what the explorer pays after every edit)."""
    ev = evaluate_schools({"schools": rows, "classes": class_rows}, settings, registry,
                          only=SCENARIO_ITEMS)
    names = dict(zip(rows["school_id"].astype(str), rows["school_name"].astype(str),
                     strict=True))
    size = ev.school_items[ev.school_items["id"] == "B11"]
    school_size = pd.DataFrame({
        "year": size["year"].astype(int).to_numpy(), "case": size["county_id"].to_numpy(),
        "school_id": size["school_id"].astype(str).to_numpy(),
        "school_name": size["school_name"].to_numpy(),
        "students": size["value"].to_numpy(), "limit": size["threshold"].to_numpy(),
        "met": size["met"].to_numpy(dtype=object)})
    ind_ids = [i.id for i in registry.resource_indicators]
    units = ev.units[["year", "county_id", "school_id", "school_name", "level", "students",
                      *[f"value_{i}" for i in ind_ids], "met_count", "passes"]].rename(
        columns={"county_id": "case"})
    v = ev.variation.rename(columns={"county_id": "case"})
    variation = v[["year", "case", "level", "indicator", "n_units", "county_value", "threshold",
                   "cv", "limit", "met"]]
    return _CaseFrames(names, ev.class_sizes, school_size, units, variation)


def _case_rows(base: pd.DataFrame, observed_classes: pd.DataFrame, years: np.ndarray,
               ids: np.ndarray, students: np.ndarray, classes: np.ndarray,
               changes: list[Change], case: str, file: str = "scenario.yaml",
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The school rows and class rows of one case: the last observed year (``base``, with the
    changes that take effect in it), then the projection with ``changes`` applied."""
    projected = _school_rows(base, years, students, classes, changes, case, file)
    last = int(base["year"].max()) if len(base) else -1
    rows = pd.concat([_observed_rows(base, changes, last, case, file), projected],
                     ignore_index=True)
    class_rows = pd.concat([observed_classes.assign(county_id=case),
                            _class_rows(years, ids, students, classes, case, projected)],
                           ignore_index=True)
    return rows, class_rows


@dataclass(frozen=True)
class Baseline:
    """The baseline side of :func:`run_scenario`, projected and evaluated once.

    It depends only on the data, the settings and the projection settings (a scenario's
    ``projection``), so one object serves every scenario with those projection settings:
    :func:`evaluate_scenario` then projects and evaluates only the scenario side (what the
    interactive explorer does after each edit; :func:`run_scenario` is the two in a row).
    """

    tables: Mapping[str, pd.DataFrame]
    settings: Settings
    registry: Registry
    projection: ProjectionSettings
    last_observed: int
    schools: pd.DataFrame  # schools.csv rows of the last observed year, by school_id
    observed_classes: pd.DataFrame  # classes.csv rows of the last observed year
    projected: _BaseProjection
    frames: _CaseFrames
    backtest: pd.DataFrame
    school_table: pd.DataFrame  # the baseline's rows of ScenarioResult.schools
    entry_backtest: pd.DataFrame  # the entry methods on the history (entry_backtest)
    #: what the first scenario on this baseline found about the baseline alone (its summary)
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


def evaluate_baseline(tables: Mapping[str, pd.DataFrame],
                      projection: ProjectionSettings | None = None,
                      settings: Settings | None = None,
                      registry: Registry | None = None) -> Baseline:
    """Project the data without changes to ``projection.target_year`` and evaluate it."""
    settings = settings or Settings()
    registry = registry or load_registry()
    projection = projection or ProjectionSettings()
    p = _project_baseline(tables, projection, registry)
    _, classes = _inputs(tables)
    last = int(p.history.years[-1])
    base = _last_rows(tables, last)
    cl = classes.assign(school_id=classes["school_id"].astype(str))
    obs_classes = cl[cl["year"].astype(int) == last]
    rows, class_rows = _case_rows(base, obs_classes, p.years, p.ids, p.students, p.classes, [],
                                  "baseline")
    frames = _evaluate_case(rows, class_rows, settings, registry)
    return Baseline(tables, settings, registry, projection, last, base, obs_classes, p, frames,
                    backtest(p.history, projection),
                    _school_table(frames.class_sizes, frames.names, last, order=False),
                    entry_backtest(p.history, projection.births, projection.entry_age))


def evaluate_scenario(baseline: Baseline, scenario: Scenario = EMPTY) -> ScenarioResult:
    """Project and evaluate the scenario side on ``baseline`` and put the two side by side.

    ``scenario.settings`` must be the projection ``baseline`` was made with (the baseline uses
    the scenario file's projection too).
    """
    b = baseline
    if scenario.settings != b.projection:
        raise ValueError("the scenario's projection settings differ from the baseline's: "
                         "evaluate_baseline(tables, scenario.settings, …) first")
    p = _project_scenario(b.projected, scenario, b.registry)
    changes = sorted(scenario.changes, key=lambda c: (c.year, c.index))
    rows, class_rows = _case_rows(b.schools, b.observed_classes, p.years, p.ids,
                                  p.students_scenario, p.classes_scenario, changes, "scenario",
                                  scenario.source or "scenario.yaml")
    s = _evaluate_case(rows, class_rows, b.settings, b.registry)
    names = {**b.frames.names, **s.names}
    base = _ordered_baseline(b)
    scen = {"schools": _school_table(s.class_sizes, names, b.last_observed, order=False),
            "school_size": s.school_size, "units": s.units, "variation": s.variation}
    scen = {k: _order(scen[k], keys) for k, keys in _RESULT_ORDER.items()}
    both = {k: _side_by_side(base[k], scen[k]) for k in _RESULT_ORDER}
    classrooms = _classrooms(p, changes)
    # the classroom gap of the schools whose classes are in scope (no special school)
    classrooms = classrooms[classrooms["school_id"].isin(both["schools"]["school_id"])
                            ].reset_index(drop=True)
    result = ScenarioResult(scenario, [b.last_observed, *map(int, p.years)], b.last_observed,
                            both["schools"], both["school_size"], both["units"],
                            both["variation"], classrooms, b.backtest, {}, p.warnings,
                            b.entry_backtest)
    known = copy.deepcopy(b.memo.get("summary"))
    # the scenario's rows of the side-by-side frames are its ordered frames (_side_by_side)
    summary = summarise(result, b.registry, known, {"scenario": scen})
    if known is None:  # the first scenario on this baseline: keep what depends on it alone
        b.memo["summary"] = copy.deepcopy({
            "baseline": summary["baseline"], "backtest": summary["backtest"],
            "entry_backtest": summary["projection"]["entry_backtest"]})
    return ScenarioResult(**{**result.__dict__, "summary": summary})


#: How each frame of :class:`ScenarioResult` is ordered (:func:`_order`).
_RESULT_ORDER = {"schools": SCHOOL_ORDER, "school_size": ["year", "case", "school_id"],
                 "units": ["year", "case", "school_id", "level"],
                 "variation": ["year", "case", "level"]}


def _ordered_baseline(b: Baseline) -> dict[str, pd.DataFrame]:
    """The baseline's frames in the order of :data:`_RESULT_ORDER`, sorted once."""
    kept = b.memo.get("ordered")
    if kept is None:
        frames = {"schools": b.school_table, "school_size": b.frames.school_size,
                  "units": b.frames.units, "variation": b.frames.variation}
        kept = b.memo["ordered"] = {k: _order(frames[k], keys)
                                    for k, keys in _RESULT_ORDER.items()}
    return kept


def _side_by_side(base: pd.DataFrame, scen: pd.DataFrame) -> pd.DataFrame:
    """``_order(concat([base, scen]), keys)`` with ``base`` and ``scen`` each already ordered
    by ``_order(…, keys)``: ``keys`` begin with the year and the case, so the stable sort of
    the two by year puts each year's baseline rows before its scenario rows (the same rows in
    the same order, without sorting the kept baseline again after every edit)."""
    both = pd.concat([base, scen], ignore_index=True)
    pos = np.argsort(both["year"].to_numpy(), kind="stable")
    return both.take(pos).reset_index(drop=True)


def run_scenario(tables: Mapping[str, pd.DataFrame], scenario: Scenario = EMPTY,
                 settings: Settings | None = None, registry: Registry | None = None,
                 ) -> ScenarioResult:
    """Project to the scenario's target year and evaluate the baseline and the scenario."""
    return evaluate_scenario(evaluate_baseline(tables, scenario.settings, settings, registry),
                             scenario)


def _order(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    case = {c: k for k, c in enumerate(CASES)}
    frame = frame.assign(_case=frame["case"].map(case))
    keys = ["_case" if k == "case" else k for k in keys]
    # sort_units puts 小学 before 初中 when the frame has levels
    out = sort_units(frame, keys) if "level" in keys else frame.sort_values(keys, kind="stable")
    return out.drop(columns="_case").reset_index(drop=True)


def _school_table(sizes: pd.DataFrame, names: Mapping[str, str], last: int,
                  order: bool = True) -> pd.DataFrame:
    s = sizes.rename(columns={"county_id": "case"}).copy()
    s["school_id"] = s["school_id"].astype(str)
    s["school_name"] = s["school_id"].map(names)
    s["year"] = s["year"].astype(int)
    s["observed"] = s["year"] == last
    for c in ("students", "classes", "max_class_size", "classes_over_limit", "large_classes",
              "super_large_classes"):
        s[c] = s[c].astype(float).round().astype(int)
    s["mean_class_size"] = s["students"] / s["classes"].where(s["classes"] > 0)
    return _order(s[SCHOOL_COLUMNS], SCHOOL_ORDER) if order else s[SCHOOL_COLUMNS]


def _classrooms(p: Projected, changes: list[Change]) -> pd.DataFrame:
    """Classes per (year, case, school) against the last observed year's classes plus the
    classrooms the scenario adds (only in the scenario); ``short`` is the gap."""
    all_ids, ids, years = p.ids, p.base_ids, p.years
    cls_b, cls_s = p.classes_baseline, p.classes_scenario
    index = {s: k for k, s in enumerate(all_ids)}
    cap = np.zeros(len(all_ids))
    cap[: len(ids)] = p.history.classes[-1].sum(axis=1)  # the history ends at the last year
    added = np.zeros((len(years), len(all_ids)))
    for ch in changes:
        if ch.type in ("new_school", "expand_school") and "classrooms" in ch.fields:
            added[years >= ch.year, index[ch.fields["school_id"]]] += ch.fields["classrooms"]
    frames = []
    for case, cls, n in (("baseline", cls_b, len(ids)), ("scenario", cls_s, len(all_ids))):
        total = cls.sum(axis=2)[:, :n]
        # the scenario's added classrooms exist only in the scenario
        rooms = cap[None, :n] + (added[:, :n] if case == "scenario" else np.zeros((len(years), n)))
        frames.append(pd.DataFrame({
            "year": np.repeat(years, n), "case": case,
            "school_id": np.tile(all_ids[:n], len(years)),
            "classes": total.ravel(), "classrooms": rooms.ravel(),
            "short": np.maximum(total - rooms, 0).ravel()}))
    out = pd.concat(frames, ignore_index=True)
    return out[out["classes"] > 0].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# summary


def _case_frames(r: ScenarioResult, case: str) -> dict[str, pd.DataFrame]:
    """The rows of ``case`` in each frame of ``r`` that the summary reads."""
    return {k: f[f["case"] == case] for k, f in (
        ("variation", r.variation), ("units", r.units), ("school_size", r.school_size),
        ("schools", r.schools))}


def _target_table(r: ScenarioResult, own: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Per year: is each target met in the case whose rows are ``own``
    (:func:`_case_frames`)?"""
    t = pd.DataFrame(index=pd.Index(r.years, name="year"))
    v, u, z, s = own["variation"], own["units"], own["school_size"], own["schools"]
    t["cv"] = v.groupby("year")["met"].all()
    t["units"] = u.groupby("year")["passes"].all()
    size_met = z["met"].map(lambda x: bool(x) if pd.notna(x) else True)
    t["school_size"] = size_met.groupby(z["year"]).all()
    t["class_size"] = (s["classes_over_limit"] == 0).groupby(s["year"]).all()
    t["large_classes"] = ((s["large_classes"] + s["super_large_classes"]) == 0).groupby(
        s["year"]).all()
    return t.fillna(True).astype(bool)


def _met_from(series: pd.Series) -> int | None:
    """First year from which the target holds through the last year (None if not in the last)."""
    met = series.to_numpy()
    if not met[-1]:
        return None
    k = len(met) - 1
    while k > 0 and met[k - 1]:
        k -= 1
    return int(series.index[k])


def failing(r: ScenarioResult, case: str, year: int, registry: Registry,
            own: Mapping[str, pd.DataFrame] | None = None) -> list[dict[str, Any]]:
    """What fails in ``year`` for ``case``: one record per target with the schools or CVs
    (``own``: the case's rows, :func:`_case_frames`, when the caller has them)."""
    own = own if own is not None else _case_frames(r, case)
    out: list[dict[str, Any]] = []
    v = own["variation"]
    v = v[(v.year == year) & ~v.met]
    for row in v.itertuples():
        out.append({"target": "cv", "level": row.level, "indicator": row.indicator,
                    "cv": float(row.cv), "limit": float(row.limit)})
    u = own["units"]
    u = u[(u.year == year) & ~u.passes]
    for row in u.itertuples():
        out.append({"target": "units", "school_id": row.school_id, "school_name": row.school_name,
                    "level": row.level, "met_count": int(row.met_count)})
    z = own["school_size"]
    z = z[z.year == year]
    for row in z[z["met"].map(lambda x: x is False or x is np.False_)].itertuples():
        out.append({"target": "school_size", "school_id": row.school_id,
                    "school_name": row.school_name, "students": int(row.students),
                    "limit": int(row.limit)})
    s = own["schools"]
    s = s[s.year == year]
    for row in s[s.classes_over_limit > 0].itertuples():
        out.append({"target": "class_size", "school_id": row.school_id,
                    "school_name": row.school_name, "level": row.level,
                    "classes_over_limit": int(row.classes_over_limit),
                    "max_class_size": int(row.max_class_size)})
    for row in s[(s.large_classes + s.super_large_classes) > 0].itertuples():
        out.append({"target": "large_classes", "school_id": row.school_id,
                    "school_name": row.school_name, "level": row.level,
                    "large_classes": int(row.large_classes),
                    "super_large_classes": int(row.super_large_classes)})
    return out


def case_summary(r: ScenarioResult, case: str, registry: Registry,
                 own: Mapping[str, pd.DataFrame] | None = None) -> dict[str, Any]:
    """One case's part of :func:`summarise` (it reads only that case's rows of ``r``, or
    ``own``: those rows, :func:`_case_frames`, when the caller has them)."""
    own = own if own is not None else _case_frames(r, case)
    tc = _target_table(r, own)
    s = own["schools"]
    return {
        "targets": {k: {"met_from": _met_from(tc[k]),
                        "met_in_target_year": bool(tc[k].iloc[-1])} for k in TARGETS},
        "failing_in_target_year": failing(r, case, r.years[-1], registry, own),
        "large_classes": {str(y): int(g) for y, g in s.assign(
            n=lambda f: f.large_classes + f.super_large_classes).groupby("year")["n"].sum()
            .items()},
        "classes_over_limit": {str(y): int(g) for y, g in s.groupby("year")[
            "classes_over_limit"].sum().items()},
    }


def summarise(r: ScenarioResult, registry: Registry,
              known: Mapping[str, Any] | None = None,
              own: Mapping[str, Mapping[str, pd.DataFrame]] | None = None) -> dict[str, Any]:
    """The first year each target holds (through the target year) and what still fails.

    ``known``: parts already made for the kept baseline: a case's :func:`case_summary` (by
    case), ``backtest`` and ``entry_backtest`` (the summaries of ``r.backtest`` and
    ``r.entry_backtest``, which are the baseline's). ``own``: a case's rows of ``r`` (by case,
    :func:`_case_frames`) where the caller has them.
    """
    known, own = known or {}, own or {}
    target_year = r.years[-1]
    per_case = {case: known.get(case) or case_summary(r, case, registry, own.get(case))
                for case in CASES}
    entry = known.get("entry_backtest") or best_entry_method(r.entry_backtest)
    return {
        "target_year": target_year,
        "last_observed_year": r.last_observed,
        "projection": {"entry": r.scenario.settings.entry,
                       "class_policy": r.scenario.settings.class_policy,
                       "entry_backtest": entry},
        "schools_changed": r.scenario.school_ids,
        "backtest": known.get("backtest") or backtest_summary(r.backtest),
        "warnings": list(r.warnings),
        "classrooms_short": [
            {"year": int(x.year), "case": x.case, "school_id": x.school_id,
             "classes": int(x.classes), "classrooms": int(x.classrooms), "short": int(x.short)}
            for x in r.classrooms[r.classrooms["short"] > 0].itertuples()],
        **per_case,
    }


def to_json(r: ScenarioResult) -> dict[str, Any]:
    """The JSON of ``balance scenario --format json`` (shape fixed by the issue)."""
    s = r.schools
    schools = [{"year": int(x.year), "school_id": x.school_id, "level": x.level, "case": x.case,
                "students": int(x.students), "classes": int(x.classes),
                "mean_class_size": None if pd.isna(x.mean_class_size) else round(
                    float(x.mean_class_size), 2),
                "max_class_size": int(x.max_class_size),
                "classes_over_limit": int(x.classes_over_limit),
                "large_classes": int(x.large_classes),
                "super_large_classes": int(x.super_large_classes)} for x in s.itertuples()]
    vcols = [c for c in r.units.columns if c.startswith("value_")]
    vals = r.units[vcols].to_numpy(dtype=float)
    units = [{"year": int(x.year), "case": x.case, "school_id": x.school_id, "level": x.level,
              "values": {c[6:]: (None if not np.isfinite(vals[k, j]) else float(vals[k, j]))
                         for j, c in enumerate(vcols)},
              "passes": bool(x.passes)} for k, x in enumerate(r.units.itertuples())]
    variation = [{"year": int(x.year), "case": x.case, "level": x.level,
                  "indicator": x.indicator,
                  "cv": None if pd.isna(x.cv) else float(x.cv), "met": bool(x.met)}
                 for x in r.variation.itertuples()]
    backtest = [{"school_id": x.school_id, "observed": float(x.observed),
                 "projected": round(float(x.projected), 3), "error": round(float(x.error), 3),
                 "abs_pct_error": None if pd.isna(x.abs_pct_error) else round(
                     float(x.abs_pct_error), 6)} for x in r.backtest.itertuples()]
    z = r.school_size
    school_size = [{"year": int(x.year), "case": x.case, "school_id": x.school_id,
                    "students": None if pd.isna(x.students) else int(x.students),
                    "limit": None if pd.isna(x.limit) else int(x.limit),
                    "met": None if pd.isna(x.met) else bool(x.met)} for x in z.itertuples()]
    return {"scenario": r.scenario.name, "years": list(r.years), "schools": schools,
            "units": units, "variation": variation, "summary": r.summary,
            "school_size": school_size, "backtest": backtest}
