"""``balance plan``: the least-cost set of actions that brings every unit and every 差异系数
within the standard by a target year, solved as a mixed-integer second-order cone program.

The starting point is the target year's schools table: the observed one for the last observed
year, or the projection (:func:`balance_lib.scenario.scenario_schools`, optionally with a
scenario's changes) for a later year. Everything the model knows about a unit comes from the
engine itself: the numerators, values and met flags of
:func:`balance_lib.indicators.resources.evaluate_resources`,
and the effect of one unit of each action on each unit's numerator, measured by running
:func:`balance_lib.units.build_units` on the table with the action added (so the split of
一贯制 / 完全中学 facilities, the B4 indoor-sports rule and the B7 allocation are the engine's).

Model (one county, target year *T*, actions on the schools that have units):

* variables: the quantity of each action per school (facilities, split over its levels by the
  data's weights) or per unit (teachers, per level), per year it takes effect when a budget
  spreads the plan over the years (without a budget every action takes effect in *T*: no
  yearly cost is paid before it is needed); teachers and rooms are integers, areas and
  equipment continuous (rounded up to whole m² and 元) or whole multiples of a ``step``;
* the school rule for every unit that fails it today: a binary per unmet indicator chooses the
  one value that may stay below its threshold (it must still reach 85 %), every other unmet
  value must reach its threshold (units that pass stay passing: actions only add);
* every CV within its limit: with X_i linear in the actions and X̄ = ΣR/ΣP linear too,
  √(Σ (P_i/P) x_i²) ≤ √(1 + L²)·x̄ (x = X / threshold) is a second-order cone, equivalent to
  the official S ≤ L·X̄ because the weights sum to 1;
* backbone teachers never outnumber a unit's teachers; per-school caps of the cost file;
  an optional budget per year (one-off costs in the year an action takes effect, yearly costs
  in every year it is in service);
* objective: the cost from the first plan year through *T*.

Numerical care: the engine compares unrounded values in floating point. The model therefore
asks whole-number numerators (teachers, rooms, integral areas) for the smallest count that the
engine's own comparison accepts, other numerators for the requirement × (1 + 1e-5), and every
CV for ≤ limit − :data:`CV_MARGIN`; continuous quantities are rounded up. The plan is then
evaluated by the engine; if it ever disagreed, the margin is widened and the model solved again.

Solver: SCIP through PySCIPOpt (Apache-2.0), a well-kept branch-and-cut solver for
mixed-integer nonlinear programs that handles the cones natively and proves its gap; run
single-threaded with a fixed seed (deterministic) and a time limit.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from . import formats
from .columns import LEVELS
from .costs import ACTIONS, AREA_ACTIONS, Costs
from .indicators.base import meets
from .indicators.resources import evaluate_resources
from .registry import Registry, load_registry
from .scenario import scenario_schools, school_facts
from .scenario_spec import EMPTY, Scenario, parse_scenario
from .settings import Settings
from .units import build_units

#: Every CV must come out at most ``limit − CV_MARGIN`` (the cone is solved to a tolerance).
CV_MARGIN = 1e-4
#: Relative margin on a numerator requirement that is not a whole number: above the solver's
#: feasibility tolerance (1e-6, relative), so that a solution at the tolerance's edge still
#: passes the engine's exact comparison (a few 元 on a school's equipment, < 0.1 m² of area).
REL_MARGIN = 1e-5
#: The last target year ``--by`` may name (the issue's horizon).
MAX_BY = 2035
STATUSES = ("optimal", "feasible", "infeasible", "unknown")
_BIG = 1e6  # natural units added to measure an action's effect on the numerators


class PlanInputError(ValueError):
    """Arguments that cannot make a plan (a target year before the data, …); ``problems``."""

    def __init__(self, problems: list[tuple[str, str, str]]):
        self.problems = problems  # (field, zh, en)
        super().__init__("; ".join(en for _, _, en in problems))

    def format(self, lang: str = "zh") -> str:
        return "\n".join(f"{f}: {zh if lang == 'zh' else en}" for f, zh, en in self.problems)


@dataclass(frozen=True)
class PlanOptions:
    """How to solve: ``budget`` per year (元, None = no limit), ``time_limit`` (s of the
    solver's CPU time, one thread), ``gap``
    (relative gap at which SCIP may stop; 0 = prove optimality), ``seed``, ``fixes`` (also
    compute each school's cheapest fix on its own)."""

    budget: float | None = None
    time_limit: float = 60.0
    gap: float = 0.0
    seed: int = 0
    fixes: bool = True


@dataclass(frozen=True)
class PlanProblem:
    """The target year's data as the model sees it (built by :func:`prepare`)."""

    by: int
    last_observed: int
    years: tuple[int, ...]  # years an action may take effect in (the target year unless a
    #                         budget spreads the plan): after the last observed year, or it
    rows: pd.DataFrame  # the target year's schools table before the plan
    units: pd.DataFrame  # the engine's units of ``rows`` (values, met, passes …)
    variation: pd.DataFrame  # the engine's CVs of ``rows``
    costs: Costs
    settings: Settings
    registry: Registry
    scenario: Scenario | None
    effect: Mapping[str, np.ndarray]  # action -> numerator added per natural unit, per unit
    teachers: np.ndarray  # teachers of each unit's level at its school
    req_met: np.ndarray  # [unit, indicator] numerator the engine accepts as met
    req_floor: np.ndarray  # [unit, indicator] numerator the engine accepts as ≥ 85 %
    scenario_raw: Mapping[str, Any] | None = None

    @cached_property
    def unit_keys(self) -> tuple[list[str], list[str]]:
        """School ids and levels of the units, as lists (fast to index)."""
        return (self.units["school_id"].astype(str).tolist(), self.units["level"].tolist())

    @cached_property
    def ids(self) -> list[str]:
        """The indicators of the school rule (B1–B7), the ones the actions serve."""
        return rule_ids(self.registry)

    @cached_property
    def numerators(self) -> list[str]:
        """The unit table's numerator column of each of :attr:`ids`."""
        return [self.registry.indicator(i).numerator for i in self.ids]

    def k(self, indicator: str) -> int:
        """The position of ``indicator`` in :attr:`ids`."""
        return self.ids.index(indicator)


@dataclass
class PlanResult:
    """A solved plan. ``actions``: one row per (school, level, year, action) with
    ``quantity`` (natural units), ``cost`` (through the target year), ``once``, ``yearly``,
    ``responsible_units``. ``units_after`` / ``variation_after``: the engine on the target
    year with the plan (None when there is no plan). ``fixes``: per school, its cheapest fix
    on its own. ``binding``: what the CVs add over the sum of the fixes."""

    problem: PlanProblem
    options: PlanOptions
    status: str
    gap: float | None
    solve_time: float
    actions: pd.DataFrame
    total_cost: float | None
    cost_by_year: dict[int, float]
    units_after: pd.DataFrame | None
    variation_after: pd.DataFrame | None
    fixes: pd.DataFrame | None = None
    binding: dict[str, Any] = field(default_factory=dict)
    infeasible: list[dict[str, Any]] = field(default_factory=list)
    min_budget: float | None = None
    dual_bound: float | None = None
    margin: float = CV_MARGIN
    solver_gap: float | None = None


# ---------------------------------------------------------------------------------------------
# the data


def target_year_rows(tables: Mapping[str, pd.DataFrame], by: int,
                     scenario: Scenario | None = None,
                     registry: Registry | None = None) -> tuple[pd.DataFrame, int]:
    """The schools table of year ``by`` that the plan starts from, and the last observed year.

    With ``classes.csv``: the scenario case of ``scenario`` (or of the baseline projection) in
    year ``by``; without it, only the last year of ``schools.csv`` can be planned for.
    """
    schools = tables["schools"]
    classes = tables.get("classes")
    problems = []
    if classes is None or classes.empty:
        last = int(schools["year"].max())
        if by != last:
            problems.append(("--by", f"没有 classes.csv，无法预测：只能为最近年份 {last} 制定方案",
                             f"without classes.csv there is no projection: plan for the last "
                             f"year {last} only"))
        if scenario is not None and scenario.changes:
            problems.append(("--scenario", "没有 classes.csv，不能使用情景文件",
                             "a scenario needs classes.csv"))
        if "county_id" in schools and schools["county_id"].nunique(dropna=False) > 1:
            problems.append(("DATA", "方案一次只针对一个县区：请只给出一个县区的数据",
                             "a plan covers one county: give one county's data"))
        if problems:
            raise PlanInputError(problems)
        rows = schools[schools["year"].astype(int) == last]
        return rows.assign(school_id=rows["school_id"].astype(str)).reset_index(drop=True), last
    last = school_facts(tables).last_year
    if not last <= by <= max(MAX_BY, last):
        raise PlanInputError([("--by", f"目标年份应为 {last}–{max(MAX_BY, last)}，实为 {by}",
                               f"the target year must be in {last}–{max(MAX_BY, last)}, got {by}")])
    if scenario is None:
        scenario = parse_scenario({"name": EMPTY.name, "changes": []}, school_facts(tables),
                                  "baseline", target_year=by)
    rows = scenario_schools(tables, scenario, registry)
    rows = rows[rows["year"].astype(int) == by].reset_index(drop=True)
    return rows.assign(county_id="", school_id=rows["school_id"].astype(str)), last


def rule_ids(registry: Registry) -> list[str]:
    """The ids of the school rule's indicators (B1–B7), in registry order."""
    return [i.id for i in registry.resource_indicators]


def cv_limit_table(registry: Registry) -> dict[tuple[str, str], float]:
    """The CV limit of each (indicator, level) of the school rule (NaN: none), as the engine
    compares it (a provincial file may change it per indicator)."""
    t = registry.resource_table()
    t = t[t["in_school_rule"]]
    return dict(zip(zip(t["indicator"], t["level"], strict=True), t["cv_limit"].astype(float),
                    strict=True))


def _requirement(need_value: np.ndarray, numer: np.ndarray, students: np.ndarray,
                 scale: np.ndarray, exact: np.ndarray, rounding: int | None,
                 direction: str) -> np.ndarray:
    """The numerator a unit needs so that the engine's comparison ``value ≥ need_value`` holds.

    Where every contribution is a whole number (``exact``): the smallest whole numerator the
    engine's floating-point comparison accepts; elsewhere the requirement × (1 + REL_MARGIN).
    """
    lo = need_value - (0.5 * 10.0 ** -rounding * (1 - 1e-6) if rounding is not None else 0.0)
    need = lo * students / scale
    with np.errstate(divide="ignore", invalid="ignore"):
        def accepted(n: np.ndarray) -> np.ndarray:  # the engine's own comparison
            v = n / students * scale
            return meets(v if rounding is None else np.round(v, rounding), need_value,
                         direction)

        whole = np.ceil(need - 1e-7)
        for _ in range(2):  # float noise at an exact boundary: one more
            whole = np.where(accepted(whole), whole, whole + 1)
    loose = need * (1 + REL_MARGIN) + REL_MARGIN
    return np.where(exact, whole, loose)


def prepare(tables: Mapping[str, pd.DataFrame], by: int, costs: Costs,
            settings: Settings | None = None, registry: Registry | None = None,
            scenario: Scenario | None = None,
            scenario_raw: Mapping[str, Any] | None = None) -> PlanProblem:
    """The model's data for a plan of year ``by`` (vectorised over the units)."""
    settings = settings or Settings()
    registry = registry or load_registry()
    rows, last = target_year_rows(tables, by, scenario, registry)
    units, variation = _engine(rows, settings, registry)
    ids = rule_ids(registry)
    numerators = {i: registry.indicator(i).numerator for i in ids}
    owners = set(units["school_id"].astype(str))
    own_row = rows["school_id"].astype(str).isin(owners).to_numpy()
    effect = {}
    base_units = build_units(rows, settings)
    for name, ac in costs.actions.items():
        kind = ac.kind
        total = np.zeros(len(units))
        first = kind.columns[0]
        for level in ("primary", "junior") if kind.per_level else (None,):
            col = first.format(level=level) if level else first
            bumped = rows.copy()
            base = pd.to_numeric(bumped[col], errors="coerce").fillna(0.0) if col in bumped else 0.0
            bumped[col] = base + np.where(own_row, _BIG * kind.factor, 0.0)
            k = numerators[kind.indicator]
            diff = build_units(bumped, settings)[k].to_numpy() - base_units[k].to_numpy()
            total += diff / _BIG
        effect[name] = np.round(total, 12)
    lv = units["level"].to_numpy()
    sid = units["school_id"].astype(str).to_numpy()
    by_school = rows.set_index(rows["school_id"].astype(str))
    teachers = np.zeros(len(units))
    for lev in LEVELS:  # the teachers of each unit's level at its school
        if f"teachers_{lev}" in rows:
            n = pd.to_numeric(by_school[f"teachers_{lev}"], errors="coerce").fillna(0.0)
            teachers = np.where(lv == lev, n.reindex(sid).fillna(0.0).to_numpy(float), teachers)
    table = registry.resource_table()
    students = units["students"].to_numpy(float)
    req_met = np.zeros((len(units), len(ids)))
    req_floor = np.zeros((len(units), len(ids)))
    by_ind = {ac.indicator: (n, ac) for n, ac in costs.actions.items()}
    for k, ind in enumerate(ids):
        rows_k = table[table.indicator == ind].set_index("level")
        thr = rows_k["threshold"].reindex(lv).to_numpy()
        floor = rows_k["floor"].reindex(lv).to_numpy()
        scale = rows_k["scale"].reindex(lv).to_numpy()
        numer = units[numerators[ind]].to_numpy(float)
        exact = numer == np.round(numer)
        if ind in by_ind:
            name, ac = by_ind[ind]
            step = ac.unit_step * effect[name]
            exact &= (step == np.round(step)) & (name != "equipment")
        direction = registry.indicator(ind).direction
        req_met[:, k] = _requirement(thr, numer, students, scale, exact,
                                     settings.threshold_rounding, direction)
        req_floor[:, k] = _requirement(floor, numer, students, scale, exact,
                                       settings.threshold_rounding, direction)
    years = tuple(range(last + 1, by + 1)) if by > last else (by,)
    return PlanProblem(by, last, years, rows, units, variation, costs, settings, registry,
                       scenario, effect, teachers, req_met, req_floor, scenario_raw)


# ---------------------------------------------------------------------------------------------
# the model


@dataclass
class _Model:
    model: Any
    qty: dict[tuple[str, str, str | None], Any]  # (action, school, level) -> variable
    starts: dict[str, list[tuple[int, Any]]]  # action -> (year, county-wide start) with a budget
    budget_var: Any = None
    slacks: dict[tuple[str, str], Any] = field(default_factory=dict)


#: The model's unit of a continuous action (well-scaled coefficients for the solver): 10 m²
#: of area, 1 万元 of equipment; the plan's quantity is rounded up to whole m² and 元.
_CONTINUOUS_UNIT = {"m2": 10.0, "yuan": 1e4}


def _model_unit(ac: Any) -> float:
    return _CONTINUOUS_UNIT[ac.kind.per] if ac.continuous else ac.unit_step


def _owner(pb: PlanProblem, name: str, u: int) -> tuple[str, str, str | None]:
    """The key of the variable of action ``name`` that acts on unit ``u``: (action, school,
    level) for teachers, (action, school, None) for facilities."""
    sid, lv = pb.unit_keys
    return (name, sid[u], lv[u] if ACTIONS[name].per_level else None)


def _upper(pb: PlanProblem, name: str, units: np.ndarray, school: str,
           max_value: np.ndarray) -> float:
    """Largest useful number of model units of ``name`` at one owner: the cost file's caps, and
    no unit raised beyond twice the higher of its threshold and its level's best value."""
    ac = pb.costs.actions[name]
    eff = pb.effect[name][units] * _model_unit(ac)
    ok = eff > 0
    if not ok.any():
        return 0.0
    u = units[ok]
    scale = pb.registry.indicator(ac.indicator).scale
    target = 2 * max_value[u] * pb.units["students"].to_numpy(float)[u] / scale
    numer = pb.units[pb.numerators[pb.k(ac.indicator)]].to_numpy(float)[u]
    natural = float(np.max(np.ceil(np.maximum(target - numer, 0.0) / eff[ok])))
    cap = pb.costs.cap(school, name)
    if name in AREA_ACTIONS:
        cap = min(cap, pb.costs.max_area(school))
    return min(natural, cap / _model_unit(ac) if ac.continuous else
               math.floor(cap / ac.unit_step + 1e-9)) if math.isfinite(cap) else natural


def build_model(pb: PlanProblem, units: np.ndarray | None = None, *, cv: bool = True,
                budget: float | Mapping[int, float] | None = None, min_budget: bool = False,
                elastic: bool = False, margin: float = CV_MARGIN,
                options: PlanOptions = PlanOptions()) -> _Model:
    """The MISOCP of the module notes on ``units`` (indices; default all) in SCIP.

    ``cv``: the CV cones (needs every unit of a level); ``budget``: the yearly limit (or one
    per plan year);
    ``min_budget``: minimise the yearly budget instead of the cost; ``elastic``: each cone
    may be exceeded at a price (to find which CV cannot be met).
    """
    from pyscipopt import Model, quicksum, sqrt

    reg = pb.registry
    ids = pb.ids
    units = np.arange(len(pb.units)) if units is None else np.asarray(units)
    m = Model("balance-plan")
    m.hideOutput()
    m.setParam("randomization/randomseedshift", int(options.seed))
    m.setParam("parallel/maxnthreads", 1)
    m.setParam("lp/threads", 1)
    # the time limit counts the solver's CPU time, not the wall clock, so that other work on a
    # shared machine does not cut the search short (10 copies of the sample by 2029:
    # optimal after 39 s of CPU time, but stopped at a gap of 36 % by a 60 s wall clock at a
    # load average of 8 on 2 cores)
    m.setParam("timing/clocktype", 1)
    m.setParam("limits/time", float(options.time_limit))
    m.setParam("limits/gap", float(options.gap))
    # SCIP's default heuristics spend most of the time at the root on a county of 500 schools
    # (NLP-based ones on the cones); the fast set finds the same solutions and lets branching
    # prove them: 10 copies of the sample by 2029 in 14 s instead of the 60 s limit
    from pyscipopt import SCIP_PARAMSETTING

    m.setHeuristics(SCIP_PARAMSETTING.FAST)
    timed = budget is not None or min_budget
    if budget is not None and not isinstance(budget, Mapping):
        budget = {y: float(budget) for y in pb.years}
    years = pb.years if timed else (pb.by,)
    u_frame = pb.units
    level = u_frame["level"].to_numpy()
    values = np.column_stack([u_frame[f"value_{i}"].to_numpy(float) for i in ids])
    thresholds = np.column_stack([u_frame[f"threshold_{i}"].to_numpy(float) for i in ids])
    students = u_frame["students"].to_numpy(float)
    numer = np.column_stack([u_frame[n].to_numpy(float) for n in pb.numerators])
    best = {}
    for lv in np.unique(level):
        sel = level == lv
        best[lv] = np.maximum(np.nanmax(np.where(np.isfinite(values[sel]), values[sel], 0.0),
                                        axis=0), thresholds[sel][0])
    max_value_by_ind = {k: np.array([best[lv][k] for lv in level]) for k in range(len(ids))}

    qty: dict[tuple[str, str, str | None], list[tuple[int, Any]]] = {}
    total: dict[tuple[str, str, str | None], Any] = {}
    for name, ac in pb.costs.actions.items():
        k = pb.k(ac.indicator)
        keys: dict[tuple[str, str, str | None], list[int]] = {}
        for u in units:
            if pb.effect[name][u] > 0:
                keys.setdefault(_owner(pb, name, u), []).append(u)
        vtype = "C" if ac.continuous else "I"
        for key, members in keys.items():
            ub = _upper(pb, name, np.array(members), key[1], max_value_by_ind[k])
            if ub <= 0:
                continue
            qty[key] = m.addVar(f"{name}|{key[1]}|{key[2]}", vtype=vtype, lb=0, ub=ub)
            total[key] = qty[key]
    # when a budget spreads the plan: how much of each action starts in each year, county-wide
    # (prices do not depend on the school, so any such schedule can be split over the schools
    # in whole units: see _quantities)
    starts: dict[str, list[tuple[int, Any]]] = {}
    if timed:
        for name, ac in pb.costs.actions.items():
            mine = [v for (a, _s, _l), v in qty.items() if a == name]
            if mine:
                vtype = "C" if ac.continuous else "I"
                starts[name] = [(y, m.addVar(f"start|{name}|{y}", vtype=vtype, lb=0))
                                for y in years]
                m.addCons(quicksum(v for _, v in starts[name]) == quicksum(mine))

    def delta(u: int, k: int) -> Any:
        """Numerator added to unit ``u`` for indicator ``k`` (a linear expression or 0)."""
        terms = []
        for name, ac in pb.costs.actions.items():
            if pb.k(ac.indicator) == k and pb.effect[name][u] > 0:
                key = _owner(pb, name, u)
                if key in total:
                    terms.append(pb.effect[name][u] * _model_unit(ac) * total[key])
        return quicksum(terms) if terms else 0.0

    # the school rule, for the units that fail it today
    allowed = len(ids) - reg.min_met
    met0 = np.column_stack([u_frame[f"met_{i}"].to_numpy(bool) for i in ids])
    floor0 = np.column_stack([u_frame[f"floor_met_{i}"].to_numpy(bool) for i in ids])
    passes = u_frame["passes"].to_numpy(bool)
    for u in units:
        if passes[u]:
            continue
        miss = []
        for k in np.flatnonzero(~met0[u]):
            req_t = pb.req_met[u, k]
            req_f = numer[u, k] if floor0[u, k] else min(pb.req_floor[u, k], req_t)
            z = m.addVar(f"miss|{u}|{ids[k]}", vtype="B")
            miss.append(z)
            m.addCons(numer[u, k] + delta(u, k) >= req_t - (req_t - req_f) * z)
        m.addCons(quicksum(miss) <= allowed)
    # backbone teachers never outnumber the unit's teachers
    if "backbone_teacher" in pb.costs.actions:
        for u in units:
            key = _owner(pb, "backbone_teacher", u)
            if key not in total:
                continue
            hires = [total[k2] for n2 in ("qualified_teacher", "pe_art_teacher")
                     if (k2 := _owner(pb, n2, u)) in total]
            b2 = pb.k(ACTIONS["backbone_teacher"].indicator)
            base = max(pb.teachers[u], numer[u, b2])
            m.addCons(numer[u, b2] + total[key] <= base + quicksum(hires))
    # caps on the area of a school (B4 and B5 together)
    for school, caps in pb.costs.limits.items():
        if "max_area_m2" in caps:
            area = [_model_unit(pb.costs.actions[n]) * total[(n, school, None)]
                    for n in AREA_ACTIONS if (n, school, None) in total]
            if area:
                m.addCons(quicksum(area) <= caps["max_area_m2"])
    # every CV within its limit: a second-order cone per level and indicator
    slacks = {}
    cv_limits = cv_limit_table(reg)
    if cv:
        for lv in np.unique(level[units]):
            members = units[level[units] == lv]
            p_tot = students[members].sum()
            if len(members) < 2 or p_tot <= 0:
                continue
            w = students[members] / p_tot
            for k, ind in enumerate(ids):
                limit = cv_limits.get((ind, str(lv)), math.nan) - margin
                if not math.isfinite(limit):  # no CV limit for this indicator (a province's)
                    continue
                thr = thresholds[members[0], k]
                scale = reg.indicator(ind).scale
                x = [(numer[u, k] + delta(u, k)) * scale / (students[u] * thr) for u in members]
                mean = m.addVar(f"mean|{lv}|{ind}", lb=0)
                m.addCons(mean == quicksum(wi * xi for wi, xi in zip(w, x, strict=True)))
                rhs = math.sqrt(1 + limit * limit) * mean
                if elastic:
                    s = m.addVar(f"slack|{lv}|{ind}", lb=0)
                    slacks[(str(lv), ind)] = s
                    rhs = rhs + s
                m.addCons(sqrt(quicksum(wi * xi * xi for wi, xi in zip(w, x, strict=True)))
                          <= rhs)
    # costs
    by = pb.by
    cost_terms = []
    if timed:
        for name, vs in starts.items():
            ac = pb.costs.actions[name]
            cost_terms += [_model_unit(ac) * (ac.once + ac.yearly * (by - y + 1)) * v
                           for y, v in vs]
    else:
        for (name, _s, _l), v in qty.items():
            ac = pb.costs.actions[name]
            cost_terms.append(_model_unit(ac) * (ac.once + ac.yearly) * v)
    budget_var = None
    if timed:
        budget_var = m.addVar("budget", lb=0) if min_budget else None
        for y in years:
            spend = []
            for name, vs in starts.items():
                ac = pb.costs.actions[name]
                for y2, v in vs:
                    if y2 == y and ac.once:
                        spend.append(_model_unit(ac) * ac.once * v)
                    if y2 <= y and ac.yearly:
                        spend.append(_model_unit(ac) * ac.yearly * v)
            if spend:
                m.addCons(quicksum(spend) <= (budget_var if min_budget else budget[y]))
    if min_budget:
        m.setObjective(budget_var, "minimize")
    elif elastic:
        m.setObjective(quicksum(slacks.values()), "minimize")
    else:
        m.setObjective(quicksum(cost_terms) if cost_terms else 0.0, "minimize")
    return _Model(m, qty, starts, budget_var, slacks)


def _status(m: Any) -> str:
    s = m.getStatus()
    if s == "optimal":
        return "optimal"
    if s == "infeasible":
        return "infeasible"
    return "feasible" if m.getNSols() > 0 else "unknown"


def _quantities(pb: PlanProblem, built: _Model) -> pd.DataFrame:
    """The solution as tidy rows (school, level, year, action, quantity), in whole units
    (continuous quantities rounded up to whole m² and 元).

    With a budget, each action's county-wide starts per year are handed out to its schools
    in school order, whole units at a time (cumulative starts rounded up), so a school's
    quantity is split over at most as many years as the county's schedule needs.
    """
    m = built.model
    cols = ["school_id", "level", "year", "action", "quantity"]
    rows = []
    for name, ac in pb.costs.actions.items():
        keys = sorted((k for k in built.qty if k[0] == name),
                      key=lambda k: (k[1], k[2] or ""))
        amounts = []
        for key in keys:
            n = m.getVal(built.qty[key])
            amounts.append(math.ceil(n * _model_unit(ac) - 1e-6) if ac.continuous
                           else round(n) * ac.unit_step)
        total = float(sum(amounts))
        if total <= 0:
            continue
        if name in built.starts:
            cum = np.cumsum([max(m.getVal(v), 0.0) * _model_unit(ac)
                             for _, v in built.starts[name]])
            grain = 1.0 if ac.continuous else ac.unit_step
            cum = np.minimum(np.ceil(cum / grain - 1e-6) * grain, total)
            cum[-1] = total
            bounds = [(y, c) for (y, _), c in zip(built.starts[name], cum, strict=True)]
        else:
            bounds = [(pb.by, total)]
        done = 0.0  # quantity handed out so far, in school order
        for (_, school, level), amount in zip(keys, amounts, strict=True):
            lo, hi = done, done + amount
            start = 0.0  # the county's cumulative start before year y
            for y, c in bounds:
                piece = min(hi, c) - max(lo, start)
                if piece > 1e-9:
                    rows.append({"school_id": school, "level": level, "year": int(y),
                                 "action": name, "quantity": float(round(piece, 6))})
                start = c
            done = hi
    return pd.DataFrame(rows, columns=cols)


def apply_actions(rows: pd.DataFrame, actions: pd.DataFrame) -> pd.DataFrame:
    """The schools table with the plan's quantities added (what the plan's scenario does)."""
    out = rows.copy()
    sid = out["school_id"].astype(str).to_numpy()
    for a in actions.itertuples():
        kind = ACTIONS[a.action]
        for col in kind.columns:
            col = col.format(level=a.level) if "{level}" in col else col
            if col not in out:
                out[col] = 0.0
            out[col] = pd.to_numeric(out[col], errors="coerce").fillna(0.0) + np.where(
                sid == a.school_id, a.quantity * kind.factor, 0.0)
    return out


def evaluate_rows(pb: PlanProblem, rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The engine on a target-year schools table: (units, CVs of the school rule's
    indicators)."""
    return _engine(rows, pb.settings, pb.registry)


def _engine(rows: pd.DataFrame, settings: Settings,
            registry: Registry) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`~balance_lib.indicators.resources.evaluate_resources` on ``rows``: the units and
    the CVs of the school rule's indicators (those the plan's actions serve; a province's own
    unit indicators are evaluated but not planned for)."""
    r = evaluate_resources(rows, settings, registry)
    var = r.variation
    return r.units, var[var["indicator"].isin(rule_ids(registry))].reset_index(drop=True)


def _priced(pb: PlanProblem, q: pd.DataFrame) -> pd.DataFrame:
    """Costs, the level of a facility at a one-level school, names and 责任单位."""
    q = q.copy()
    acts = pb.costs.actions
    by = pb.by
    q["indicator"] = q["action"].map(lambda a: acts[a].indicator)
    q["once"] = [acts[a].once * x for a, x in zip(q["action"], q["quantity"], strict=True)]
    q["yearly"] = [acts[a].yearly * x for a, x in zip(q["action"], q["quantity"], strict=True)]
    q["cost"] = q["once"] + q["yearly"] * (by - q["year"] + 1)
    levels = pb.units.groupby("school_id")["level"].agg(lambda s: sorted(set(s)))
    q["level"] = pd.Series([lv if isinstance(lv, str) else (levels.get(s, [None])[0]
                            if len(levels.get(s, [])) == 1 else None)
                            for s, lv in zip(q["school_id"], q["level"], strict=True)],
                           index=q.index, dtype=object)
    names = dict(zip(pb.rows["school_id"].astype(str), pb.rows["school_name"].astype(str),
                     strict=False))
    q["school_name"] = q["school_id"].map(names)
    q["responsible_units"] = q["indicator"].map(
        lambda i: list(pb.registry.indicator(i).responsible_units))
    order = {a: k for k, a in enumerate(ACTIONS)}
    q["_o"] = q["action"].map(order)
    q["_l"] = q["level"].map({"primary": 0, "junior": 1}).fillna(-1)
    q = q.sort_values(["year", "school_id", "_l", "_o"]).drop(columns=["_o", "_l"])
    cols = ["school_id", "school_name", "level", "year", "action", "indicator", "quantity",
            "once", "yearly", "cost", "responsible_units"]
    return q[cols].reset_index(drop=True)


def cost_by_year(pb: PlanProblem, actions: pd.DataFrame) -> dict[int, float]:
    """Spending per year of the plan: one-off costs when an action takes effect, yearly costs
    in every year it is in service (through the target year)."""
    years = range(min(pb.years[0], pb.by), pb.by + 1)
    out = {}
    for y in years:
        once = actions.loc[actions["year"] == y, "once"].sum()
        yearly = actions.loc[actions["year"] <= y, "yearly"].sum()
        out[int(y)] = float(once + yearly)
    return out


def _verified(pb: PlanProblem, units: pd.DataFrame, variation: pd.DataFrame) -> bool:
    return bool(units["passes"].all() and variation["met"].all())


def solve(pb: PlanProblem, options: PlanOptions = PlanOptions()) -> PlanResult:
    """Solve the plan of ``pb`` (then each school's own fix, the CV diagnosis, and, when it is
    infeasible, why)."""
    t0 = time.perf_counter()
    margin = CV_MARGIN
    budgets = None if options.budget is None else {
        y: float(options.budget) - rounding_cushion(pb) for y in pb.years}
    for attempt in range(6):
        built = build_model(pb, budget=budgets, margin=margin, options=options)
        built.model.optimize()
        status = _status(built.model)
        if status not in ("optimal", "feasible"):
            break
        q = _priced(pb, _quantities(pb, built))
        units_after, var_after = evaluate_rows(pb, apply_actions(pb.rows, q))
        if not _verified(pb, units_after, var_after):
            margin *= 10  # the engine disagrees (numerics): ask for more room, solve again
            continue
        if budgets is not None:  # whole m² and 元 may spend a little more than the model did
            over = {y: c - options.budget for y, c in cost_by_year(pb, q).items()
                    if y in budgets and c > options.budget}
            if over:  # (the per-school rounding of the last year): more room, growing
                budgets = {y: b - over.get(y, 0.0) * 2 ** attempt for y, b in budgets.items()}
                continue
        break
    m = built.model
    result = PlanResult(pb, options, status, None, 0.0, _empty_actions(), None, {}, None, None,
                        margin=margin)
    if status in ("optimal", "feasible"):
        result.actions = q
        result.units_after, result.variation_after = units_after, var_after
        result.total_cost = float(q["cost"].sum())
        result.cost_by_year = cost_by_year(pb, q)
        dual = float(m.getDualbound())
        result.dual_bound = dual
        result.solver_gap = float(m.getGap()) if m.getNSols() else None
        result.gap = _gap(result.total_cost, dual)
        spend = max(result.cost_by_year.values(), default=0.0)
        if not _verified(pb, units_after, var_after) or (
                options.budget is not None and spend > options.budget + 1e-6):
            result.status = "unknown"  # pragma: no cover - never seen: reported, not hidden
    if options.fixes:
        result.fixes = school_fixes(pb, options)
    if status == "infeasible":
        result.infeasible = diagnose(pb, result.fixes, options)
        if options.budget is not None and not result.infeasible:
            result.min_budget = smallest_budget(pb, options)
    if result.fixes is not None and result.total_cost is not None:
        result.binding = cv_binding(pb, result)
    result.solve_time = time.perf_counter() - t0
    return result


def _gap(primal: float, dual: float) -> float:
    if primal <= 1e-9:
        return 0.0
    return max(0.0, (primal - dual) / abs(primal))


def _empty_actions() -> pd.DataFrame:
    return pd.DataFrame(columns=["school_id", "school_name", "level", "year", "action",
                                 "indicator", "quantity", "once", "yearly", "cost",
                                 "responsible_units"])


# ---------------------------------------------------------------------------------------------
# distance to compliance


def school_fixes(pb: PlanProblem, options: PlanOptions = PlanOptions()) -> pd.DataFrame:
    """Per school with a failing unit: its cheapest fix on its own (no CVs, no budget).

    Columns: ``school_id school_name levels status cost actions`` (``actions``: a list of
    ``{level, action, quantity, cost}``); status ``infeasible`` when its caps do not allow it.
    A 九年一贯制 or 完全中学 school's units share their buildings, so they are fixed together.

    Without the CVs the schools do not interact, so one model of all of them is solved, and
    each school's part of its optimum is that school's own optimum; only when it has no
    solution is each school solved alone, to find the ones that cannot pass.
    """
    u = pb.units
    sid = u["school_id"].astype(str).to_numpy()
    failing = sorted(set(sid[~u["passes"].to_numpy()]))
    names = dict(zip(pb.rows["school_id"].astype(str), pb.rows["school_name"].astype(str),
                     strict=False))
    cols = ["school_id", "school_name", "levels", "status", "cost", "actions"]

    def solved(schools: list[str]) -> tuple[str, pd.DataFrame]:
        built = build_model(pb, np.flatnonzero(np.isin(sid, schools)), cv=False,
                            options=options)
        built.model.optimize()
        status = _status(built.model)
        ok = status in ("optimal", "feasible")
        return status, _priced(pb, _quantities(pb, built)) if ok else _empty_actions()

    status, q = solved(failing) if failing else ("optimal", _empty_actions())
    statuses = dict.fromkeys(failing, status)
    if status not in ("optimal", "feasible"):
        parts = []
        for school in failing:
            statuses[school], qs = solved([school])
            parts.append(qs)
        q = pd.concat(parts, ignore_index=True) if parts else _empty_actions()
    out = []
    for school in failing:
        mine = q[q["school_id"] == school]
        levels = set(u.loc[(sid == school) & ~u["passes"], "level"])
        ok = statuses[school] in ("optimal", "feasible")
        out.append({"school_id": school, "school_name": names.get(school, school),
                    "levels": [lv for lv in ("primary", "junior") if lv in levels],
                    "status": statuses[school], "cost": float(mine["cost"].sum()) if ok else None,
                    "actions": [{"level": a.level, "action": a.action, "quantity": a.quantity,
                                 "cost": a.cost} for a in mine.itertuples()] if ok else []})
    return pd.DataFrame(out, columns=cols)


def cv_binding(pb: PlanProblem, result: PlanResult) -> dict[str, Any]:
    """Whether the CVs make the plan dearer than the sum of the schools' own fixes, and which.

    ``binds``: plan cost > Σ fixes (by more than 1 元); ``cvs``: the CVs (level, indicator) that
    the fixes alone would leave above their limit (with that CV); ``extra_cost``; ``schools``:
    the schools whose actions in the plan go beyond their own fix.
    """
    fixes = result.fixes
    feasible = fixes[fixes["status"].isin(["optimal", "feasible"])]
    fix_total = float(feasible["cost"].sum()) if len(feasible) else 0.0
    rows = [dict(a, school_id=f.school_id, year=pb.by) for f in feasible.itertuples()
            for a in f.actions]
    q = pd.DataFrame(rows, columns=["school_id", "level", "year", "action", "quantity"])
    _, var_fix = evaluate_rows(pb, apply_actions(pb.rows, q[["school_id", "level", "year",
                                                              "action", "quantity"]]))
    over = var_fix[~var_fix["met"]]
    extra = (result.total_cost or 0.0) - fix_total
    plan_by_school = result.actions.groupby("school_id")["cost"].sum()
    fix_by_school = feasible.set_index("school_id")["cost"] if len(feasible) else pd.Series(
        dtype=float)
    beyond = sorted(s for s, c in plan_by_school.items() if c > fix_by_school.get(s, 0.0) + 1)
    return {"binds": bool(extra > 1.0 or len(over) > 0), "fix_total": fix_total,
            "extra_cost": extra,
            "cvs": [{"level": r.level, "indicator": r.indicator, "cv_with_fixes": float(r.cv),
                     "limit": float(r.limit)} for r in over.itertuples()],
            "schools": beyond}


def contributions(units: pd.DataFrame, registry: Registry) -> pd.DataFrame:
    """Each unit's share of its county CV, per level and indicator (vectorised).

    ``share`` = (P_i/P)(X_i − X̄)² / Σ (P_j/P)(X_j − X̄)²: the part of the variance that the
    unit makes (shares sum to 1 per level and indicator); ``side`` is ``below`` or ``above``
    the county value X̄ (raising a unit below X̄(1 + CV²) lowers the CV).
    """
    frames = []
    for ind in rule_ids(registry):
        f = units[["school_id", "school_name", "level", "students"]].copy()
        f["indicator"] = ind
        f["value"] = units[f"value_{ind}"].to_numpy(float)
        f["numer"] = f["value"] * f["students"]
        frames.append(f)
    f = pd.concat(frames, ignore_index=True)
    g = f.groupby(["level", "indicator"], sort=False)
    p = g["students"].transform("sum")
    mean = g["numer"].transform("sum") / p
    part = f["students"] / p * (f["value"] - mean) ** 2
    var = part.groupby([f["level"], f["indicator"]], sort=False).transform("sum")
    f["county_value"] = mean
    f["share"] = np.where(var > 0, part / var.where(var > 0, 1.0), 0.0)
    f["side"] = np.where(f["value"] < mean, "below", "above")
    return f.drop(columns="numer").reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# infeasible or over budget


def diagnose(pb: PlanProblem, fixes: pd.DataFrame | None,
             options: PlanOptions = PlanOptions()) -> list[dict[str, Any]]:
    """Why there is no plan without a budget: the schools that cannot pass on their own (with
    the values their caps allow), else the CVs that cannot be brought within their limits.
    An empty list: the plan exists without the budget (see :func:`smallest_budget`)."""
    fixes = fixes if fixes is not None else school_fixes(pb, options)
    bad = fixes[fixes["status"] == "infeasible"]
    out = [r for s in bad["school_id"] for r in _school_reasons(pb, s)]
    if out:
        return out
    if options.budget is not None:
        free = build_model(pb, options=options)
        free.model.optimize()
        if _status(free.model) in ("optimal", "feasible"):
            return []
    built = build_model(pb, elastic=True, options=options)
    built.model.optimize()
    if _status(built.model) not in ("optimal", "feasible"):
        return [{"kind": "unknown"}]
    q = _priced(pb, _quantities(pb, built))
    _, var = evaluate_rows(pb, apply_actions(pb.rows, q))
    over = var[~var["met"]]
    limits = cv_limit_table(pb.registry)
    return [{"kind": "cv", "level": r.level, "indicator": r.indicator,
             "best_cv": float(r.cv), "limit": float(r.limit)} for r in over.itertuples()] or [
        {"kind": "cv", "level": lv, "indicator": ind, "best_cv": None,
         "limit": limits[(ind, lv)]}
        for (lv, ind), s in built.slacks.items() if built.model.getVal(s) > 1e-7]


def _school_reasons(pb: PlanProblem, school: str) -> list[dict[str, Any]]:
    """What a school cannot reach with everything its caps allow, per unit and indicator."""
    ids = pb.ids
    floors = pb.registry.resource_table().set_index(["indicator", "level"])["floor"]
    u = pb.units
    members = np.flatnonzero(u["school_id"].astype(str).to_numpy() == school)
    out = []
    allowed = len(ids) - pb.registry.min_met
    for i in members:
        row = u.iloc[i]
        if row["passes"]:
            continue
        short = []
        for k, ind in enumerate(ids):
            if row[f"met_{ind}"]:
                continue
            numer = float(row[pb.numerators[k]])
            most = numer
            limit = None
            for name, ac in pb.costs.actions.items():
                if ac.indicator != ind or pb.effect[name][i] <= 0:
                    continue
                cap = pb.costs.cap(school, name)
                if name in AREA_ACTIONS:
                    cap = min(cap, pb.costs.max_area(school))
                    limit = "max_area_m2" if math.isfinite(pb.costs.max_area(school)) else limit
                if math.isfinite(cap):
                    limit = limit or name
                most = numer + pb.effect[name][i] * cap
            if not any(ac.indicator == ind for ac in pb.costs.actions.values()):
                limit = "no_action"
            scale = pb.registry.indicator(ind).scale
            reach = most / row["students"] * scale
            kind = ("floor" if most < pb.req_floor[i, k] and not row[f"floor_met_{ind}"]
                    else "threshold" if most < pb.req_met[i, k] else None)
            if kind:
                short.append({"kind": kind, "school_id": school, "school_name": row["school_name"],
                              "level": row["level"], "indicator": ind,
                              "reachable": float(reach),
                              "needed": float(floors[(ind, row["level"])] if kind == "floor"
                                              else row[f"threshold_{ind}"]),
                              "limit": limit})
        floors = [s for s in short if s["kind"] == "floor"]
        if floors or len(short) > allowed:
            out += floors if floors else short
        elif not short:
            out.append({"kind": "combined", "school_id": school,
                        "school_name": row["school_name"], "level": row["level"],
                        "limit": "max_area_m2"})
    return out


def smallest_budget(pb: PlanProblem, options: PlanOptions = PlanOptions()) -> float | None:
    """The smallest budget per year (元, rounded up) with which a plan exists."""
    built = build_model(pb, min_budget=True, options=options)
    built.model.optimize()
    if _status(built.model) not in ("optimal", "feasible"):
        return None
    # what the model's plan, in whole m² and 元, spends in its dearest year, and the budget
    # that leaves :func:`solve` the room of its rounding cushion
    q = _priced(pb, _quantities(pb, built))
    spend = max(cost_by_year(pb, q).values(), default=0.0)
    return float(math.ceil(max(spend, built.model.getObjVal() + rounding_cushion(pb)) - 1e-6))


def rounding_cushion(pb: PlanProblem) -> float:
    """The most that rounding the plan to whole m² and 元 can add to one year's spending: a
    year's cumulative start of each continuous action is rounded up by less than one unit,
    which costs less than its one-off and yearly price once. :func:`solve` plans within the
    budget less this (at most a few thousand 元 with the default prices)."""
    return float(sum(ac.once + ac.yearly for ac in pb.costs.actions.values() if ac.continuous))


# ---------------------------------------------------------------------------------------------
# outputs: the scenario file and the JSON


def plan_changes(result: PlanResult) -> list[dict[str, Any]]:
    """The plan as scenario changes: per year and school one ``hire_teachers`` (teachers) and
    one ``expand_school`` (facilities), in year and school order; equipment in 万元."""
    groups: dict[tuple[int, str, str], dict[str, float]] = {}
    notes: dict[tuple[int, str, str], list[str]] = {}
    for a in result.actions.itertuples():
        kind = ACTIONS[a.action]
        key = (int(a.year), str(a.school_id), kind.change_type)
        fields = groups.setdefault(key, {})
        for col in kind.columns:
            col = col.format(level=a.level) if "{level}" in col else col
            fields[col] = fields.get(col, 0.0) + a.quantity * kind.factor
        notes.setdefault(key, []).append(f"{a.action} +{a.quantity:g} ({a.indicator})")
    order = {"hire_teachers": 0, "expand_school": 1}
    out = []
    for key in sorted(groups, key=lambda k: (k[0], k[1], order[k[2]])):
        year, school, ctype = key
        change: dict[str, Any] = {"type": ctype, "year": year, "school_id": school}
        for col, v in groups[key].items():
            change[col] = int(round(v)) if abs(v - round(v)) < 1e-9 else round(v, 4)
        change["note"] = "balance plan: " + ", ".join(notes[key])
        out.append(change)
    return out


def plan_scenario(result: PlanResult, lang: str = "zh") -> dict[str, Any]:
    """The plan as a scenario file (a dict to write as YAML): the starting scenario's own
    changes, then the plan's; ``balance scenario DATA --scenario FILE`` evaluates it."""
    pb = result.problem
    raw = dict(pb.scenario_raw or {})
    projection = dict(raw.get("projection") or {})
    projection["target_year"] = pb.by
    base_name = raw.get("name")
    from .words import label

    name = label("pt_file_name", lang, by=pb.by)
    if base_name:
        name = f"{base_name} + {name}"
    cost, gap = formats.money(result.total_cost), formats.percent(result.gap, 2)
    description = label("pt_file_description", lang, by=pb.by, cost=cost,
                        currency=pb.costs.currency, status=result.status, gap=gap,
                        costs=pb.costs.source)
    if raw.get("description"):
        description = f"{raw['description']}\n{description}"
    return {"name": name, "description": description, "projection": projection,
            "changes": [*list(raw.get("changes") or []), *plan_changes(result)]}


def _units_summary(units: pd.DataFrame | None, variation: pd.DataFrame | None
                   ) -> dict[str, Any] | None:
    if units is None or variation is None:
        return None
    return {"units_passing": int(units["passes"].sum()), "units": int(len(units)),
            "cv": [{"level": v.level, "indicator": v.indicator,
                    "cv": _num_or_none(v.cv), "limit": _num_or_none(v.limit),
                    "met": bool(v.met)} for v in variation.itertuples()]}


def _num_or_none(x: Any) -> float | None:
    return None if x is None or (isinstance(x, float) and not math.isfinite(x)) else float(x)


def to_json(result: PlanResult) -> dict[str, Any]:
    """The JSON of ``balance plan --format json``."""
    pb = result.problem
    ids = pb.ids
    actions = [{"school_id": a.school_id, "school_name": a.school_name,
                "level": a.level if isinstance(a.level, str) else None,
                "year": int(a.year), "action": a.action, "indicator": a.indicator,
                "quantity": float(a.quantity), "unit": ACTIONS[a.action].per,
                "once": float(a.once), "yearly": float(a.yearly), "cost": float(a.cost),
                "responsible_units": list(a.responsible_units)}
               for a in result.actions.itertuples()]
    after = result.units_after
    key = ["school_id", "level"]
    units = []
    merged = pb.units[[*key, "school_name", "students", *[f"value_{i}" for i in ids],
                       "passes"]]
    if after is not None:
        merged = merged.merge(after[[*key, *[f"value_{i}" for i in ids], "passes"]], on=key,
                              suffixes=("", "_after"))
    for r in merged.to_dict("records"):
        units.append({"school_id": r["school_id"], "school_name": r["school_name"],
                      "level": r["level"], "students": float(r["students"]),
                      "before": {i: _num_or_none(r[f"value_{i}"]) for i in ids},
                      "after": ({i: _num_or_none(r[f"value_{i}_after"]) for i in ids}
                                if after is not None else None),
                      "passes_before": bool(r["passes"]),
                      "passes_after": bool(r["passes_after"]) if after is not None else None})
    fixes = [] if result.fixes is None else [
        {"school_id": f.school_id, "school_name": f.school_name, "levels": list(f.levels),
         "status": f.status, "cost": _num_or_none(f.cost), "actions": list(f.actions)}
        for f in result.fixes.itertuples()]
    contrib = contributions(pb.units, pb.registry)
    if after is not None:
        contrib["share_after"] = contributions(after, pb.registry)["share"].to_numpy()
    contribution = [{"level": c["level"], "indicator": c["indicator"],
                     "school_id": c["school_id"], "share_before": float(c["share"]),
                     "share_after": float(c["share_after"]) if "share_after" in c else None,
                     "side": c["side"]} for c in contrib.to_dict("records")]
    return {
        "by": pb.by, "last_observed_year": pb.last_observed, "status": result.status,
        "gap": result.gap, "solver_gap": result.solver_gap, "dual_bound": result.dual_bound,
        "solve_time_s": round(result.solve_time, 3),
        "budget": result.options.budget, "min_budget": result.min_budget,
        "costs": pb.costs.source, "currency": pb.costs.currency,
        "scenario": pb.scenario.name if pb.scenario is not None and pb.scenario_raw else None,
        "total_cost": result.total_cost,
        "cost_by_year": {str(y): c for y, c in result.cost_by_year.items()},
        "actions": actions,
        "before": _units_summary(pb.units, pb.variation),
        "after": _units_summary(result.units_after, result.variation_after),
        "infeasible": result.infeasible,
        "fixes": fixes, "cv_binding": result.binding,
        "units": units, "contributions": contribution,
        "cv_margin": result.margin,
    }
