"""The cost model of ``balance plan``: one price per action, read from ``params/costs.yaml``.

An action raises the numerator of one of B1–B7 at one school (see :data:`ACTIONS`)::

    currency: 元
    actions:
      qualified_teacher:  {indicator: B1, per: teacher, yearly: 120000}
      teaching_aux_area:  {indicator: B4, per: m2, once: 3500}
      ...
    limits:                                  # optional, per school id
      "6523010028": {max_area_m2: 0, qualified_teacher: 2}

Fields of an action: ``indicator`` and ``per`` (fixed by the action; written out so the file
reads on its own), ``once`` (元 per unit, paid in the year it takes effect) and/or ``yearly``
(元 per unit and year in service, through the target year), ``step`` (teachers and rooms come
in whole multiples of it, 1 by default; areas and equipment are continuous, rounded up to whole
m² and 元 in the plan, unless a ``step`` is given, e.g. 100 m² building modules, when they
too come in whole multiples of it), ``max_per_school`` (a cap for every school), ``source`` /
``note`` (text). An action
left out of the file is not available. ``limits`` caps a school: ``max_area_m2`` (teaching
and sports area added together, e.g. 0 for a school without land) and any action's name (the
largest quantity, over both levels and every year).

:func:`load_costs` reports every problem of a file at once (file and field) in
:class:`CostsError`; :func:`check_limits` the school ids that are not in the data.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .limits import MAX_AMOUNT, MAX_COUNT
from .paths import PARAMS_DIR
from .problems import ProblemsError
from .safetext import cell, quote
from .safeyaml import YamlFileError, load_yaml

COSTS_FILE = PARAMS_DIR / "costs.yaml"


@dataclass(frozen=True)
class ActionKind:
    """What an action does: the indicator it serves, its natural unit, whether it is counted
    per level (teachers, by 任教学段) or per school (facilities, split by the data's weights),
    and the ``schools.csv`` columns it adds to (``{level}`` filled in; ``factor`` converts the
    quantity into the column's unit)."""

    indicator: str
    per: str
    per_level: bool
    integer: bool
    change_type: str
    columns: tuple[str, ...]
    factor: float = 1.0


#: The seven actions, one per indicator. Hiring a qualified or a PE/art teacher adds a
#: (certified) teacher of that level; recognising a 骨干 teacher only changes the count of
#: backbone teachers (never more of them than teachers). Areas: B4 is teaching and auxiliary
#: area, B5 outdoor sports ground (an indoor hall would count in both columns).
ACTIONS: Mapping[str, ActionKind] = MappingProxyType({
    "qualified_teacher": ActionKind("B1", "teacher", True, True, "hire_teachers",
                                    ("qualified_teachers_{level}", "teachers_{level}",
                                     "certified_teachers")),
    "backbone_teacher": ActionKind("B2", "teacher", True, True, "hire_teachers",
                                   ("backbone_teachers_{level}",)),
    "pe_art_teacher": ActionKind("B3", "teacher", True, True, "hire_teachers",
                                 ("pe_art_teachers_{level}", "teachers_{level}",
                                  "certified_teachers")),
    "teaching_aux_area": ActionKind("B4", "m2", False, False, "expand_school",
                                    ("teaching_aux_area_m2",)),
    "sports_area": ActionKind("B5", "m2", False, False, "expand_school",
                              ("sports_ground_area_m2",)),
    "equipment": ActionKind("B6", "yuan", False, False, "expand_school",
                            ("equipment_value_10k_yuan",), 1e-4),
    "multimedia_room": ActionKind("B7", "room", False, True, "expand_school",
                                  ("multimedia_classrooms",)),
})
AREA_ACTIONS = ("teaching_aux_area", "sports_area")
_ACTION_FIELDS = ("indicator", "per", "once", "yearly", "step", "max_per_school", "source",
                  "note")
_TOP = ("currency", "description", "source", "note", "actions", "limits")


@dataclass(frozen=True)
class ActionCost:
    """The price of one action (元 per unit of ``per``)."""

    name: str
    kind: ActionKind
    once: float = 0.0
    yearly: float = 0.0
    step: float | None = 1.0
    max_per_school: float | None = None
    source: str = ""

    @property
    def indicator(self) -> str:
        return self.kind.indicator

    @property
    def continuous(self) -> bool:
        """An area or equipment without a ``step``: continuous, rounded up to whole units."""
        return self.step is None

    @property
    def unit_step(self) -> float:
        """The quantity of one model unit (the step, or 1 m² / 1 元 for a continuous action)."""
        return 1.0 if self.step is None else self.step


@dataclass(frozen=True)
class Costs:
    """A validated cost file: actions in :data:`ACTIONS` order, per-school limits."""

    actions: Mapping[str, ActionCost]
    limits: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    currency: str = "元"
    source: str = "costs.yaml"

    def cap(self, school_id: str, action: str) -> float:
        """The largest quantity of ``action`` at ``school_id`` (inf when uncapped)."""
        caps = [self.actions[action].max_per_school, self.limits.get(school_id, {}).get(action)]
        caps = [c for c in caps if c is not None]
        return min(caps) if caps else math.inf

    def max_area(self, school_id: str) -> float:
        return self.limits.get(school_id, {}).get("max_area_m2", math.inf)


@dataclass(frozen=True)
class CostProblem:
    """One problem of a cost file (or of the plan's arguments): where and what."""

    file: str
    field: str | None
    message_zh: str
    message_en: str

    def format(self, lang: str = "zh") -> str:
        where = self.file + (f" {'字段' if lang == 'zh' else 'field'} {self.field}"
                             if self.field else "")
        return f"{where}: {self.message_zh if lang == 'zh' else self.message_en}"


class CostsError(ProblemsError):
    """A cost file (or plan arguments) with problems; ``.problems`` lists all of them."""

    def head(self, lang: str = "zh") -> str:
        return (f"成本文件或参数有 {len(self.problems)} 处问题：" if lang == "zh"
                else f"{len(self.problems)} problem(s) in the cost file or arguments:")


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _shown(v: Any) -> str:
    """A value from the file in a message: its repr, one line and bounded."""
    return quote(repr(v))


def _bound(per: str | None) -> float:
    """The largest quantity of a unit (:mod:`balance_lib.limits`): teachers and rooms are
    counts, m² and 元 amounts (``None``: a price in 元)."""
    return MAX_COUNT if per in ("teacher", "room") else MAX_AMOUNT


def _amount_problem(v: Any, hi: float) -> tuple[str, str] | None:
    """Why ``v`` is not a finite number in [0, hi] (None when it is)."""
    if _num(v) and 0 <= v <= hi:
        return None
    return (f"应为 0 到 {hi:,.0f} 之间的数，实为 {_shown(v)}",
            f"must be a number from 0 to {hi:,.0f}, got {_shown(v)}")


def parse_costs(raw: Any, file: str = "costs.yaml") -> Costs:
    """Validate a parsed cost file; raise :class:`CostsError` listing every problem.

    >>> c = parse_costs({"actions": {"sports_area": {"indicator": "B5", "per": "m2",
    ...                                              "once": 600}}})
    >>> c.actions["sports_area"].once, list(c.actions)
    (600.0, ['sports_area'])
    >>> parse_costs({"actions": {"sports_area": {"once": -1}}})
    Traceback (most recent call last):
    ...
    balance_lib.costs.CostsError: 成本文件或参数有 1 处问题：
      costs.yaml 字段 actions.sports_area.once: 应为 0 到 1,000,000,000,000 之间的数，实为 -1
    """
    problems: list[CostProblem] = []

    def add(fld: str | None, zh: str, en: str) -> None:
        problems.append(CostProblem(file, fld, zh, en))

    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        add(None, "文件顶层应为键值映射（currency、actions、limits）",
            "the top level must be a mapping (currency, actions, limits)")
        raise CostsError(problems)
    for key in raw:
        if key not in _TOP:
            add(quote(str(key)), f"未知的键（可用: {', '.join(_TOP)}）",
                f"unknown key (allowed: {', '.join(_TOP)})")
    currency = raw.get("currency", "元")
    if (not isinstance(currency, str) or not currency.strip() or len(currency) > 20
            or cell(currency) != currency):
        add("currency", f"应为一行不超过 20 个字符的文本（如 元），实为 {_shown(currency)}",
            f"must be one line of text of at most 20 characters (e.g. 元), got "
            f"{_shown(currency)}")
        currency = "元"
    actions_raw = raw.get("actions")
    actions: dict[str, ActionCost] = {}
    if not isinstance(actions_raw, Mapping) or not actions_raw:
        add("actions", f"应为非空的键值映射（动作: {', '.join(ACTIONS)}）",
            f"must be a non-empty mapping (actions: {', '.join(ACTIONS)})")
        actions_raw = {}
    for name, spec in actions_raw.items():
        cost = _action(name if isinstance(name, str) else repr(name), spec, add)
        if cost is not None:
            actions[cost.name] = cost
    limits = _limits(raw.get("limits"), add)
    if problems:
        raise CostsError(problems)
    ordered = {k: actions[k] for k in ACTIONS if k in actions}
    return Costs(MappingProxyType(ordered), MappingProxyType(limits), currency.strip(), file)


def _action(name: str, spec: Any, add) -> ActionCost | None:
    where = f"actions.{quote(name)}"
    if name not in ACTIONS:
        add(where, f"未知的动作（可用: {', '.join(ACTIONS)}）",
            f"unknown action (allowed: {', '.join(ACTIONS)})")
        return None
    kind = ACTIONS[name]
    if not isinstance(spec, Mapping):
        add(where, "应为键值映射（indicator、per、once / yearly …）",
            "must be a mapping (indicator, per, once / yearly, …)")
        return None
    ok = True
    for key in spec:
        if key not in _ACTION_FIELDS:
            add(f"{where}.{quote(str(key))}", f"未知的字段（可用: {', '.join(_ACTION_FIELDS)}）",
                f"unknown field (allowed: {', '.join(_ACTION_FIELDS)})")
            ok = False
    if "indicator" in spec and spec["indicator"] != kind.indicator:
        add(f"{where}.indicator", f"{name} 服务于 {kind.indicator}，实为 {_shown(spec['indicator'])}",
            f"{name} serves {kind.indicator}, got {_shown(spec['indicator'])}")
        ok = False
    if "per" in spec and spec["per"] != kind.per:
        add(f"{where}.per", f"{name} 的单位是 {kind.per}，实为 {_shown(spec['per'])}",
            f"the unit of {name} is {kind.per}, got {_shown(spec['per'])}")
        ok = False
    values: dict[str, float] = {}
    for key in ("once", "yearly", "max_per_school"):
        if key in spec:
            v = spec[key]
            bad = _amount_problem(v, _bound(kind.per if key == "max_per_school" else None))
            if bad:
                add(f"{where}.{key}", *bad)
                ok = False
            else:
                values[key] = float(v)
    if ok and values.get("once", 0.0) + values.get("yearly", 0.0) <= 0:
        add(where, "至少给出一个正的 once（一次性）或 yearly（每年）成本",
            "give a positive once (one-off) or yearly cost")
        ok = False
    step = spec.get("step", 1 if kind.integer else None)
    if step is not None and (not _num(step) or step <= 0 or step > _bound(kind.per)
                             or (kind.integer and float(step) != int(step))):
        need = "正整数" if kind.integer else "正数"
        add(f"{where}.step", f"应为不超过 {_bound(kind.per):,.0f} 的{need}，实为 {_shown(step)}",
            f"must be a positive {'whole number' if kind.integer else 'number'} up to "
            f"{_bound(kind.per):,.0f}, got {_shown(step)}")
        ok = False
    for key in ("source", "note"):
        if key in spec and not isinstance(spec[key], str):
            add(f"{where}.{key}", "应为文本", "must be text")
            ok = False
    if not ok:
        return None
    return ActionCost(name, kind, values.get("once", 0.0), values.get("yearly", 0.0),
                      None if step is None else float(step), values.get("max_per_school"),
                      str(spec.get("source") or spec.get("note") or ""))


def _limits(raw: Any, add) -> dict[str, Mapping[str, float]]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        add("limits", "应为 学校标识码: {max_area_m2: …, 动作: 上限}",
            "must map a school id to {max_area_m2: …, action: cap}")
        return {}
    allowed = ("max_area_m2", *ACTIONS)
    out: dict[str, Mapping[str, float]] = {}
    for sid, caps in raw.items():
        where = f"limits.{quote(str(sid))}"
        if isinstance(sid, (int, float)) and not isinstance(sid, bool):
            add(where, f"学校标识码被 YAML 读成了数字 {_shown(sid)}（前导零和位数可能已丢失）："
                "请加引号，如 \"6523010001\"",
                f"the school id was read as the number {_shown(sid)} (leading zeros and digits "
                "may be lost): quote it, e.g. \"6523010001\"")
            continue
        if not isinstance(sid, str) or not sid.strip():
            add(where, "学校标识码应为文本", "a school id must be text")
            continue
        if not isinstance(caps, Mapping) or not caps:
            add(where, f"应为非空的键值映射（{', '.join(allowed)}）",
                f"must be a non-empty mapping ({', '.join(allowed)})")
            continue
        clean: dict[str, float] = {}
        for key, v in caps.items():
            if key not in allowed:
                add(f"{where}.{quote(str(key))}", f"未知的上限（可用: {', '.join(allowed)}）",
                    f"unknown limit (allowed: {', '.join(allowed)})")
            elif bad := _amount_problem(v, _bound(ACTIONS[key].per if key in ACTIONS
                                                  else None)):
                add(f"{where}.{key}", *bad)
            else:
                clean[str(key)] = float(v)
        out[str(sid).strip()] = MappingProxyType(clean)
    return out


def load_costs(path: str | Path | None = None) -> Costs:
    """Read and validate a cost file (default :data:`COSTS_FILE`); raises :class:`CostsError`.

    The file is read by :func:`balance_lib.safeyaml.load_yaml` (a regular file, size, aliases
    and nesting bounded by :mod:`balance_lib.limits`)."""
    p = Path(path) if path is not None else COSTS_FILE
    try:
        raw = load_yaml(p)
    except YamlFileError as exc:
        if exc.en == "file not found":
            raise CostsError([CostProblem(cell(p), None, "找不到成本文件", "cost file not found")]
                             ) from None
        raise CostsError([CostProblem(cell(p.name), None, exc.zh, exc.en)]) from None
    return parse_costs(raw, p.name)


def check_limits(costs: Costs, school_ids: Iterable[str]) -> list[CostProblem]:
    """The ``limits`` entries that name a school the data do not have (as problems)."""
    known = set(map(str, school_ids))
    return [CostProblem(costs.source, f"limits.{quote(sid)}", "数据中没有这所学校（目标年份的评估单位）",
                        "no such school among the target year's units in the data")
            for sid in costs.limits if sid not in known]
