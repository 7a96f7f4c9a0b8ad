"""Explore a scenario interactively: a list of changes, edited with forms, evaluated live.

This module is the pure part of the explorer of ``notebooks/31-explore.ipynb`` (the widgets are
a thin layer on top, :mod:`balance_lib.explore_ui`). An :class:`Explorer` holds what a scenario
file holds, as a file would hold it: a name, a description, the projection settings and the list
of changes, each a plain mapping (``{"type": "move_students", "year": 2026, "from": …}``).
Editing is changing that state (:meth:`Explorer.add`, :meth:`~Explorer.set_field`,
:meth:`~Explorer.remove` …); :meth:`Explorer.evaluate` then

1. validates the state with the scenario loader itself (:func:`~balance_lib.scenario_spec.
   parse_scenario`), so a bad value gets the loader's message, located by change and field, and
   the explorer never accepts what a file would not;
2. evaluates it with the engine of :func:`~balance_lib.scenario.run_scenario`: the baseline is
   projected and evaluated once per projection settings (:func:`~balance_lib.scenario.
   evaluate_baseline`, kept) and only the scenario side is recomputed
   (:func:`~balance_lib.scenario.evaluate_scenario`), which is exactly what ``run_scenario``
   does in one go.

:meth:`Explorer.to_yaml` writes the state as a scenario file (deterministic: the same changes
give the same bytes), which ``balance scenario`` and ``balance report --scenario`` read, and
which gives the numbers the explorer showed.

The forms are derived from the scenario format, not written per change kind:
:func:`form_fields` takes each kind's field list from :mod:`balance_lib.scenario_spec`, the
labels and kinds of the amounts from the column vocabulary (:data:`balance_lib.columns.
COLUMNS`), and asks the loader which fields are required, which years and which category values
it accepts. A change kind added to the format gets a form without widget code; only a field
whose meaning cannot be derived (a school picker, a share) is named in :data:`FIELD_KINDS`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from . import scenario_spec as spec
from .atomic import write_atomic
from .columns import COLUMNS, TYPE_LEVELS, value_label
from .report import ReportData, resolve_path
from .safetext import cell
from .scenario import (
    CASES,
    Baseline,
    ScenarioResult,
    evaluate_baseline,
    evaluate_scenario,
    school_facts,
)
from .scenario_report import ScenarioRun
from .scenario_spec import (
    SCHOOL_AMOUNTS,
    Scenario,
    ScenarioError,
    ScenarioProblem,
    SchoolFacts,
    load_scenario,
    parse_scenario,
    read_yaml,
)
from .scenario_text import touched_schools
from .words import has, label

#: How a field is edited when its name alone says it (everything else is derived: amounts and
#: counts of the column vocabulary are numbers, booleans are check boxes, categories are
#: choices, and any other field is a YAML value typed as text).
FIELD_KINDS: Mapping[str, str] = {
    "year": "year",
    "school_id": "school",  # "new_id" when the kind also names the school (it creates it)
    "from": "school",
    "to": "school",
    "into": "into",
    "share": "share",
    "count": "count",
    "grades": "grades",
    "entry_classes": "levels",
    "classrooms": "number",
    "school_name": "text",
    "note": "text",
}
#: Fields that give the amount of a move: the form offers one of them at a time.
EXCLUSIVE = ("share", "count")
_COLUMN = {c.name: c for c in COLUMNS if c.table == "schools"}
_PROJECTION_DEFAULTS = spec.ProjectionSettings()
#: Baselines kept per explorer (one per projection settings tried).
BASELINES_KEPT = 3


def w(key: str, lang: str = "zh", **fields: object) -> str:
    """A word of the explorer in ``lang``: ``ex_KEY`` of the word table (``words.yaml``)."""
    return label(f"ex_{key}", lang, **fields)


# ---------------------------------------------------------------------------------------------
# the forms, derived from the scenario format


@dataclass(frozen=True)
class FieldSpec:
    """One field of a change kind's form.

    ``kind``: ``year``, ``school`` (an existing or planned school), ``new_id`` (the id of the
    school the change creates), ``into`` (one school or ``{school: share}``), ``share``,
    ``count``, ``grades``, ``levels`` (``{primary: n, junior: n}``), ``choice``, ``bool``,
    ``number``, ``text`` or ``yaml``. ``amount``: a number added to the school's row of
    ``schools.csv`` (shown in their own group). ``required``: the loader reports the field
    missing. ``choices``: the values the loader accepts (``choice`` fields).
    """

    name: str
    kind: str
    amount: bool = False
    required: bool = False
    choices: tuple[Any, ...] = ()

    def label(self, lang: str = "zh", change_type: str = "") -> str:
        """The field's name for people: the explorer's words, else the column vocabulary."""
        for key in (f"ex_f_{change_type}__{self.name}", f"ex_f_{self.name}"):
            if has(key):
                return label(key, lang)
        col = _COLUMN.get(self.name)
        if col is not None:
            return col.zh if lang == "zh" else col.en
        return self.name

    def unit(self, lang: str = "zh") -> str:
        """The unit of a number (m², 万元, 人, 间), empty when the label already says it."""
        n = self.name
        text = self.label(lang)
        if n.endswith("_m2"):
            u = "m²"
        elif n.endswith("_10k_yuan"):
            u = "万元" if lang == "zh" else "10k yuan"
        elif n.endswith("_yuan"):
            u = "元" if lang == "zh" else "yuan"
        elif "teachers" in n or n == "count":
            u = "人" if lang == "zh" else ""
        elif n.endswith(("rooms", "classrooms")):
            u = "间" if lang == "zh" else ""
        else:
            u = ""
        return "" if not u or u in text else u


def change_kinds() -> tuple[str, ...]:
    """The change kinds of the scenario format, in its order."""
    return tuple(spec.CHANGE_TYPES)


def kind_label(kind: str, lang: str = "zh") -> str:
    """新建学校 / new school …; a kind without a word shows its name."""
    if lang == "zh" and kind in spec.TYPE_ZH:
        return spec.TYPE_ZH[kind]
    return kind.replace("_", " ")


def _field_kind(change_type: str, name: str, fields: Sequence[str]) -> str:
    kind = FIELD_KINDS.get(name)
    if name == "school_id" and "school_name" in fields:
        return "new_id"
    if kind is not None:
        return kind
    col = _COLUMN.get(name)
    if col is None:
        return "yaml"
    return {"count": "number", "amount": "number", "bool": "bool", "category": "choice",
            "text": "text", "id": "text"}.get(col.kind, "yaml")


def _probe(facts: SchoolFacts, change: Mapping[str, Any],
           projection: Mapping[str, Any] | None = None) -> list[ScenarioProblem]:
    """The loader's problems for a scenario holding just ``change``."""
    raw = {"name": "probe", "changes": [dict(change)]}
    if projection:
        raw["projection"] = dict(projection)
    try:
        parse_scenario(raw, facts, "probe.yaml")
    except ScenarioError as exc:
        return exc.problems
    except Exception:  # noqa: BLE001  a loader that cannot judge a partial change tells nothing
        return []
    return []


def _on(problems: Sequence[ScenarioProblem], name: str) -> bool:
    return any(p.change is not None and p.field is not None
               and p.field.split(".")[0] == name for p in problems)


def allowed_years(facts: SchoolFacts, change_type: str, target_year: int) -> list[int]:
    """The years the loader accepts for a change of ``change_type`` (asked, not assumed)."""
    return [y for y in range(facts.last_year, target_year + 1)
            if not _on(_probe(facts, {"type": change_type, "year": y},
                              {"target_year": target_year}), "year")]


def form_fields(change_type: str, facts: SchoolFacts) -> tuple[FieldSpec, ...]:
    """The fields of a change kind's form, in the order of the scenario format.

    Required fields are those the loader reports missing in a change holding only ``type`` and
    ``year``; the values offered for a category are those it accepts.
    """
    return _form_fields(change_type, facts.last_year, tuple(sorted(facts.levels.items())))


@lru_cache(maxsize=64)
def _form_fields(change_type: str, last_year: int,
                 levels: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[FieldSpec, ...]:
    facts = SchoolFacts(last_year, dict(levels))
    names = [f for f in spec._FIELDS[change_type] if f != "type"]
    year = last_year + 1
    base = {"type": change_type, "year": year}
    missing = _probe(facts, base)
    out = []
    for name in names:
        kind = _field_kind(change_type, name, names)
        choices: tuple[Any, ...] = ()
        if kind == "choice":
            col = _COLUMN[name]
            choices = tuple(v for v in col.values
                            if not _on(_probe(facts, {**base, name: v}), name))
        required = name != "year" and _on(missing, name)
        if name in EXCLUSIVE and any(_on(missing, x) for x in EXCLUSIVE):
            required = True
        out.append(FieldSpec(name, kind, name in SCHOOL_AMOUNTS, required or name == "year",
                             choices))
    year_first = sorted(out, key=lambda f: (f.name != "year", f.name == "note"))
    return tuple(year_first)


# ---------------------------------------------------------------------------------------------
# state: what a scenario file holds


@dataclass(frozen=True)
class Evaluation:
    """One evaluation of the explorer's state.

    ``problems``: the loader's (or, for what only the projection shows, the engine's) located
    problems; then ``result`` is None. ``seconds``: the time of the evaluation;
    ``baseline_seconds``: the part spent on a new baseline (0 when a kept one served).
    """

    scenario: Scenario | None
    result: ScenarioResult | None
    problems: tuple[ScenarioProblem, ...]
    seconds: float
    baseline_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.result is not None


class Explorer:
    """A scenario being edited, and its evaluation against the baseline.

    Parameters
    ----------
    data
        The county (:func:`balance_lib.report.load`): its tables, settings and registry.
    start
        Optional starting point: a scenario file (or a plan written as one by ``balance
        plan``), or the mapping such a file holds. Values the loader rejects are kept, so that
        their messages show next to their fields.

    Attributes
    ----------
    name, description
        Of the scenario.
    projection
        ``target_year``, ``entry``, ``class_policy`` (and ``births``/``entry_age`` when given).
    changes
        The changes as a file holds them (plain mappings), in file order.
    start_problems
        Problems that kept the start file from being read (missing file, YAML syntax).
    """

    def __init__(self, data: ReportData, start: str | Path | Mapping[str, Any] | None = None):
        self.data = data
        self.facts = school_facts(data.county.tables)
        self._baselines: list[Baseline] = []
        self._names = {str(s): str(n) for s, n in zip(
            data.county.schools["school_id"], data.county.schools["school_name"], strict=True)}
        self.last: Evaluation | None = None
        self._last_run: tuple[Evaluation, ScenarioRun] | None = None  # run()'s last
        self.open(start)

    def open(self, start: str | Path | Mapping[str, Any] | None = None) -> None:
        """Replace the state with a scenario file (or plan), a mapping such a file holds, or
        nothing (no changes). The kept baselines stay: they depend on the data only."""
        self.source = ""
        self.start_problems: list[ScenarioProblem] = []
        raw: Any = {}
        if isinstance(start, Mapping):
            raw = start
        elif start:
            path = resolve_path(start)
            self.source = path.name
            raw, self.start_problems = read_yaml(path)
        raw = raw if isinstance(raw, Mapping) else {}
        self.name = str(raw.get("name") or w("default_name"))
        self.description = str(raw.get("description") or "")
        # no ``entry`` unless the file gives one: the loader's default (births when the data
        # have them for every projected year) is then what balance scenario uses too
        self.projection: dict[str, Any] = {
            "target_year": _PROJECTION_DEFAULTS.target_year,
            "class_policy": _PROJECTION_DEFAULTS.class_policy}
        if isinstance(raw.get("projection"), Mapping):
            self.projection.update({str(k): v for k, v in raw["projection"].items()})
        changes = raw.get("changes") or []
        self.changes: list[dict[str, Any]] = [
            {str(k): v for k, v in c.items()} if isinstance(c, Mapping) else {"type": c}
            for c in (changes if isinstance(changes, list) else [])]
        self.extra = {k: v for k, v in raw.items() if k not in spec._TOP}

    # --- what the state is --------------------------------------------------------------------

    @property
    def file_label(self) -> str:
        """How problems name the scenario: the start file's name, else ``explorer``."""
        return self.source or "explorer"

    def raw(self) -> dict[str, Any]:
        """The mapping a scenario file of this state holds (keys in the format's order)."""
        out: dict[str, Any] = {"name": self.name}
        if self.description:
            out["description"] = self.description
        order = {k: n for n, k in enumerate(spec._PROJECTION)}
        out["projection"] = dict(sorted(self.projection.items(),
                                        key=lambda kv: order.get(kv[0], len(order))))
        out["changes"] = [_ordered_change(c) for c in self.changes]
        out.update(self.extra)  # unknown top-level keys stay, so the loader reports them
        return out

    def to_yaml(self) -> str:
        """The scenario file of this state (the same state gives the same text)."""
        return scenario_yaml(self.raw())

    def scenario(self) -> Scenario:
        """The state validated by the loader (raises :class:`ScenarioError`)."""
        return parse_scenario(self.raw(), self.facts, self.file_label)

    # --- editing --------------------------------------------------------------------------------

    def add(self, change: str | Mapping[str, Any], at: int | None = None) -> int:
        """Add a change (a kind, which gets plausible values for its required fields, or a
        mapping as a file holds it); returns its position."""
        item = self.default_change(change) if isinstance(change, str) else dict(change)
        pos = len(self.changes) if at is None else max(0, min(at, len(self.changes)))
        self.changes.insert(pos, item)
        return pos

    def remove(self, i: int) -> dict[str, Any]:
        return self.changes.pop(i)

    def duplicate(self, i: int) -> int:
        item = dict(self.changes[i])
        if item.get("type") == "new_school":  # a copy cannot open the same school again
            item["school_id"] = self._new_id()
        return self.add(item, i + 1)

    def move(self, i: int, step: int) -> int:
        """Move change ``i`` up (``step`` < 0) or down; returns its new position."""
        j = max(0, min(len(self.changes) - 1, i + step))
        self.changes.insert(j, self.changes.pop(i))
        return j

    def set_field(self, i: int, name: str, value: Any) -> None:
        """Set a field of change ``i``; None (or an empty text) removes it."""
        c = self.changes[i]
        if value is None or (isinstance(value, str) and not value.strip()):
            c.pop(name, None)
        else:
            c[name] = value
        if name in EXCLUSIVE and value is not None:
            for other in EXCLUSIVE:
                if other != name:
                    c.pop(other, None)

    def set_projection(self, name: str, value: Any) -> None:
        if value is None:
            self.projection.pop(name, None)
        else:
            self.projection[name] = value

    def entry(self) -> str:
        """The grade-1 entry method in force: the state's, else the loader's default."""
        entry = self.projection.get("entry")
        return entry if entry is not None else self._settings_or_default().entry

    def target_year(self) -> int:
        t = self.projection.get("target_year")
        return t if isinstance(t, int) and not isinstance(t, bool) else (
            _PROJECTION_DEFAULTS.target_year)

    def default_change(self, change_type: str) -> dict[str, Any]:
        """A change of ``change_type`` with plausible values in the fields the loader
        requires (the first projected year it accepts, a crowded school to relieve, a new
        id …)."""
        if change_type not in spec.CHANGE_TYPES:
            return {"type": change_type}
        allowed = allowed_years(self.facts, change_type, self.target_year())
        # the first projected year, though teachers and buildings may also be given for the
        # last observed year (a plan for today, balance plan --by that year)
        years = [y for y in allowed if y > self.facts.last_year] or allowed or [
            self.facts.last_year + 1]
        out: dict[str, Any] = {"type": change_type, "year": years[0]}
        schools = [sid for _, sid in self.school_options()]
        crowded = self.crowded_schools()
        fields = sorted(form_fields(change_type, self.facts), key=lambda f: f.name != "to")
        for f in fields:  # "to" first: the school to relieve is one that shares its levels
            if not f.required or f.name == "year":
                continue
            if f.kind == "new_id":
                out[f.name] = self._new_id()
            elif f.name == "school_name":
                out[f.name] = w("new_school_name", n=1 + sum(
                    c.get("type") == "new_school" for c in self.changes))
            elif f.kind == "school":
                if f.name == "to":
                    new = [c.get("school_id") for c in self.changes
                           if c.get("type") == "new_school" and c.get("school_id")]
                    pick = new[-1] if new else (crowded[1:] or schools[1:] or [None])[0]
                else:
                    to = out.get("to")
                    near = [s for s in (*crowded, *schools) if s != to and (
                        to is None or set(self.levels_of(s)) & set(self.levels_of(to)))]
                    pick = (near or schools or [None])[0]
                if pick is not None:
                    out[f.name] = pick
            elif f.kind == "into":
                pick = next((s for s in schools if s != out.get("school_id")), None)
                if pick is not None:
                    out[f.name] = pick
            elif f.kind == "choice" and f.choices:
                out[f.name] = f.choices[0]
            elif f.name in EXCLUSIVE and any(x in out for x in EXCLUSIVE):
                continue  # one of share / count
            elif f.kind == "share":
                out[f.name] = 0.2
            elif f.kind == "count":
                out[f.name] = 30
        return out

    def _new_id(self) -> str:
        taken = set(self.facts.levels) | {str(c.get("school_id")) for c in self.changes}
        digits = [s for s in taken if s.isdigit()]
        if digits:
            width = max(len(s) for s in digits)
            n = max(int(s) for s in digits) + 1
            while str(n).zfill(width) in taken:
                n += 1
            return str(n).zfill(width)
        n = 1
        while f"NEW{n}" in taken:
            n += 1
        return f"NEW{n}"

    # --- schools --------------------------------------------------------------------------------

    def school_options(self) -> list[tuple[str, str]]:
        """(label, id) of every school a change may name: the last observed year's schools
        that teach compulsory grades, then the new schools of the changes (marked)."""
        out = [(f"{self.school_name(s)}（{cell(s)}）", s)
               for s, lv in sorted(self.facts.levels.items()) if lv]
        for c in self.changes:
            if c.get("type") == "new_school" and c.get("school_id"):
                sid = str(c["school_id"])
                out.append((f"{self.school_name(sid)}（{cell(sid)}）· {w('planned')}", sid))
        return out

    def levels_of(self, sid: str) -> tuple[str, ...]:
        """The levels a school of the data or of a planned new school teaches."""
        for c in self.changes:
            if c.get("type") == "new_school" and str(c.get("school_id")) == str(sid):
                return TYPE_LEVELS.get(str(c.get("school_type")), ())
        return tuple(self.facts.levels.get(str(sid), ()))

    def school_name(self, sid: str) -> str:
        """The name to show for a school of the data or a planned one: one inert line
        (:func:`balance_lib.safetext.cell`; names come from the data and the forms)."""
        for c in self.changes:
            if c.get("type") == "new_school" and str(c.get("school_id")) == str(sid):
                return cell(c.get("school_name") or sid)
        return cell(self._names.get(str(sid), str(sid)))

    def crowded_schools(self) -> list[str]:
        """Schools with classes over 45/50 in the baseline's target year, most first."""
        b = self.baseline_for(self._settings_or_default())
        s = b.frames.class_sizes
        s = s[s["year"] == int(s["year"].max())]
        over = s.groupby("school_id")["classes_over_limit"].sum()
        over = over[over > 0].sort_values(ascending=False, kind="stable")
        return [str(x) for x in over.index]

    # --- evaluation -----------------------------------------------------------------------------

    def _settings_or_default(self) -> spec.ProjectionSettings:
        try:
            return parse_scenario({"name": "p", "projection": dict(self.projection)},
                                  self.facts).settings
        except ScenarioError:
            return _PROJECTION_DEFAULTS

    def baseline_for(self, settings: spec.ProjectionSettings) -> Baseline:
        """The baseline of ``settings``, projected and evaluated once, then kept."""
        for b in self._baselines:
            if b.projection == settings:
                return b
        b = evaluate_baseline(self.data.county.tables, settings, self.data.settings,
                              self.data.registry)
        self._baselines = [b, *self._baselines][:BASELINES_KEPT]
        return b

    def evaluate(self) -> Evaluation:
        """Validate the state with the loader and evaluate it on the kept baseline."""
        t0 = time.perf_counter()
        problems: list[ScenarioProblem] = list(self.start_problems)
        sc = result = None
        base_s = 0.0
        try:
            sc = self.scenario()
        except ScenarioError as exc:
            problems += exc.problems
        if sc is not None and not problems:
            t1 = time.perf_counter()
            kept = any(b.projection == sc.settings for b in self._baselines)
            base = self.baseline_for(sc.settings)
            base_s = 0.0 if kept else time.perf_counter() - t1
            try:
                result = evaluate_scenario(base, sc)
            except ScenarioError as exc:  # what only the projection shows (shares, negatives)
                problems += exc.problems
        ev = Evaluation(sc, result, tuple(problems), time.perf_counter() - t0, base_s)
        if ev.ok:
            self.last = ev
        return ev

    def run(self, ev: Evaluation) -> ScenarioRun:
        """``ev`` in the shape the 30-scenario report's tables and charts take."""
        assert ev.scenario is not None and ev.result is not None
        if self._last_run is not None and self._last_run[0] is ev:  # the run its tables share
            return self._last_run[1]
        run = ScenarioRun(self.data, ev.scenario, ev.result, Path(self.file_label))
        self._last_run = (ev, run)
        return run

    # --- saving ---------------------------------------------------------------------------------

    def save(self, path: str | Path) -> tuple[Path, Scenario]:
        """Write the scenario file and read it back with the loader; returns the path and the
        scenario as loaded. Only a state that evaluates is written (what the loader or the
        projection rejects raises :class:`ScenarioError`, and nothing is written), so
        ``balance scenario`` accepts every file the explorer saves."""
        ev = self.evaluate()
        if not ev.ok:
            raise ScenarioError(list(ev.problems))
        target = resolve_path(path)
        if target.suffix.lower() not in (".yaml", ".yml"):
            raise ValueError(w("not_yaml", path=target))
        write_atomic(target, self.to_yaml().encode("utf-8"))
        return target, load_scenario(target, self.facts)


def _ordered_change(change: Mapping[str, Any]) -> dict[str, Any]:
    """``type``, ``year``, then the kind's fields in the format's order, then any others."""
    fields = spec._FIELDS.get(str(change.get("type")), ())
    order = {k: n for n, k in enumerate(("type", "year", *fields))}
    return dict(sorted(change.items(), key=lambda kv: order.get(kv[0], len(order))))


class _Dumper(yaml.SafeDumper):
    """Block style for the file and the changes, flow style for short leaf lists and maps."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value,
                                   style="|" if "\n" in value else None)


_Dumper.add_representer(str, _str)


def scenario_yaml(raw: Mapping[str, Any]) -> str:
    """A scenario mapping as the text of a scenario file.

    >>> print(scenario_yaml({"name": "试算", "changes": [
    ...     {"type": "move_students", "year": 2026, "from": "6523010001", "to": "6523010050",
    ...      "share": 0.3, "grades": [1]}]}), end="")
    # 情景文件（balance 情景探索保存）/ scenario file saved by the balance explorer
    # 格式 / format: params/scenarios/README.md
    name: 试算
    changes:
    - type: move_students
      year: 2026
      from: '6523010001'
      to: '6523010050'
      share: 0.3
      grades: [1]
    """
    body = yaml.dump(dict(raw), Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                     default_flow_style=None, width=100)
    return (f"# 情景文件（balance 情景探索保存）/ scenario file saved by the balance explorer\n"
            f"# 格式 / format: params/scenarios/README.md\n{body}")


# ---------------------------------------------------------------------------------------------
# what the explorer shows (pure frames; the 30-scenario report's tables where they exist)


def headline(result: ScenarioResult) -> pd.DataFrame:
    """The target year at a glance, from the summary: classes over 45/50 (``over``), 大班额
    and 超大班额 (``big``), schools over B11 (``oversize``), units failing B1–B7
    (``units_failing``) and CVs over their limits (``cv_over``), baseline and scenario."""
    sm, year = result.summary, str(result.years[-1])
    targets = {"oversize": "school_size", "units_failing": "units", "cv_over": "cv"}
    out: dict[str, list[Any]] = {"key": ["over", "big", *targets]}
    for case in CASES:
        fails = [f["target"] for f in sm[case]["failing_in_target_year"]]
        out[case] = [sm[case]["classes_over_limit"][year], sm[case]["large_classes"][year],
                     *(fails.count(t) for t in targets.values())]
    return pd.DataFrame(out)


def headline_text(result: ScenarioResult, lang: str = "zh") -> str:
    """``2029 学年（基准 → 情景）：超45/50人班 58 → 24 · 大班额 3 → 0 · …``."""
    h = headline(result)
    parts = []
    for row in h.itertuples():
        b, s = row.baseline, row.scenario
        parts.append(f"{label('sc_' + row.key, lang)} {b}" + ("" if b == s else f" → {s}"))
    return w("headline", lang, year=result.years[-1]) + " · ".join(parts)


def _cell(b: Any, s: Any, fmt: str = "{:.0f}", mark: tuple[bool, bool] = (False, False)) -> str:
    def one(v: Any, bad: bool) -> str:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return "—"
        return fmt.format(v) + ("*" if bad else "")

    fb, fs = one(b, mark[0]), one(s, mark[1])
    return fb if fb == fs else f"{fb} → {fs}"


def _failed(met: Any) -> bool:
    """A ``met``/``passes`` flag that is known and false (missing data is not a failure)."""
    return met is not None and not pd.isna(met) and not bool(met)


def school_size_table(result: ScenarioResult, lang: str = "zh") -> pd.DataFrame:
    """B11 school size per year for the schools a scenario touches and every school over its
    limit in either case: students "baseline → scenario" (* over the limit) and the limit."""
    z = result.school_size
    over = sorted(z.loc[z["met"].map(_failed), "school_id"].unique())
    keep = list(dict.fromkeys([*touched_schools(result), *over]))
    look = {(x.school_id, x.year, x.case): x for x in z[z["school_id"].isin(keep)].itertuples()}
    rows = []
    for sid in keep:
        got = [x for k, x in look.items() if k[0] == sid]
        if not got:
            continue
        limits = [x.limit for x in got if not pd.isna(x.limit)]
        row = {label("sc_school", lang): got[0].school_name,
               w("limit", lang): f"{limits[0]:.0f}" if limits else "—"}
        for y in result.years:
            b, s = (look.get((sid, y, c)) for c in CASES)
            row[str(y)] = _cell(None if b is None else b.students,
                                None if s is None else s.students,
                                mark=(b is not None and _failed(b.met),
                                      s is not None and _failed(s.met)))
        rows.append(row)
    return pd.DataFrame(rows)


def units_table(result: ScenarioResult, lang: str = "zh") -> pd.DataFrame:
    """Units meeting the school rule per year (first row), then every unit that fails in
    either case or whose count of met B1–B7 changes: met/7 "baseline → scenario" (* fails)."""
    u = result.units
    school, level = label("sc_school", lang), label("sc_level", lang)
    first: dict[str, str] = {school: w("units_passing", lang), level: ""}
    for y in result.years:
        b, s = (u[(u["year"] == y) & (u["case"] == c)] for c in CASES)
        cb, cs = f"{int(b['passes'].sum())}/{len(b)}", f"{int(s['passes'].sum())}/{len(s)}"
        first[str(y)] = cb if cb == cs else f"{cb} → {cs}"
    look = {(x.school_id, x.level, x.year, x.case): x for x in u.itertuples()}
    keys = sorted({k[:2] for k in look}, key=lambda k: (k[0], k[1] != "primary"))
    rows = [first]
    for sid, lv in keys:
        cells, shown = {}, False
        for y in result.years:
            b, s = (look.get((sid, lv, y, c)) for c in CASES)
            fails = (b is not None and _failed(b.passes), s is not None and _failed(s.passes))
            mb = None if b is None else b.met_count
            ms = None if s is None else s.met_count
            shown |= any(fails) or mb != ms
            cells[str(y)] = _cell(mb, ms, "{:.0f}/7", fails)
        if shown:
            name = next(x.school_name for k, x in look.items() if k[:2] == (sid, lv))
            rows.append({school: name, level: value_label(lv, lang), **cells})
    return pd.DataFrame(rows)


def unit_values_table(result: ScenarioResult, registry: Any, lang: str = "zh") -> pd.DataFrame:
    """B1–B7 per year of every unit of the schools the changes name (a building, teachers
    hired, students moved): the value "baseline → scenario" beside the indicator's threshold
    (from the registry; whether a value meets it is the engine's, in :func:`units_table`)."""
    u = result.units
    named = [s for s in result.scenario.school_ids if s in set(u["school_id"])]
    look = {(x.school_id, x.level, x.year, x.case): x for x in
            u[u["school_id"].isin(named)].itertuples()}
    order = {s: k for k, s in enumerate(named)}
    keys = sorted({k[:2] for k in look}, key=lambda k: (order[k[0]], k[1] != "primary"))
    rows = []
    for sid, lv in keys:
        name = next(x.school_name for k, x in look.items() if k[:2] == (sid, lv))
        for ind in registry.resource_indicators:
            row = {label("sc_school", lang): name, label("sc_level", lang): value_label(lv, lang),
                   label("sc_indicator", lang): f"{ind.id} {ind.label(lang)}（{ind.unit(lang)}）"
                   if lang == "zh" else f"{ind.id} {ind.label(lang)} ({ind.unit(lang)})",
                   w("threshold", lang): f"{ind.threshold(lv):g}"}
            for y in result.years:
                b, s = (look.get((sid, lv, y, c)) for c in CASES)
                vb = None if b is None else getattr(b, f"value_{ind.id}")
                vs = None if s is None else getattr(s, f"value_{ind.id}")
                big = max((abs(v) for v in (vb, vs) if v is not None and not pd.isna(v)),
                          default=0) >= 100  # 元 per student: whole numbers
                row[str(y)] = _cell(vb, vs, "{:,.0f}" if big else "{:.2f}")
            rows.append(row)
    return pd.DataFrame(rows)


def classrooms_table(result: ScenarioResult, lang: str = "zh") -> pd.DataFrame:
    """Classrooms short per year for the schools short in either case (``open`` class policy:
    classes beyond the last observed year's plus the rooms the scenario adds)."""
    c = result.classrooms
    hit = list(dict.fromkeys(c.loc[c["short"] > 0, "school_id"]))
    look = {(x.school_id, x.year, x.case): int(x.short) for x in c.itertuples()}
    names = result.schools.drop_duplicates("school_id").set_index("school_id")["school_name"]
    rows = []
    for sid in hit:
        row = {w("rooms_short", lang): names.get(sid, sid)}
        for y in result.years[1:]:
            row[str(y)] = _cell(look.get((sid, y, "baseline"), 0),
                                look.get((sid, y, "scenario"), 0))
        rows.append(row)
    return pd.DataFrame(rows)


def change_summary(explorer: Explorer, i: int, lang: str = "zh") -> str:
    """One line per change for the list: ``2. 2026 学生分流 第一小学 → 新区学校 30%``."""
    c = explorer.changes[i]
    kind = str(c.get("type", "?"))
    parts = [f"{i + 1}.", str(c.get("year", "?")), kind_label(kind, lang)]

    def name(v: Any) -> str:
        return explorer.school_name(str(v)) if v is not None else "?"

    if "from" in c or "to" in c:
        parts.append(f"{name(c.get('from'))} → {name(c.get('to'))}")
    elif "school_id" in c:
        parts.append(name(c.get("school_id")))
    into = c.get("into")
    if into is not None:
        targets = into if isinstance(into, Mapping) else {into: 1}
        parts.append("→ " + label("list_sep", lang).join(name(k) for k in targets))
    if isinstance(c.get("share"), (int, float)) and not isinstance(c.get("share"), bool):
        parts.append(f"{c['share']:.0%}")
    elif "count" in c:
        parts.append(label("sc_persons", lang, n=c["count"]))
    amounts = [k for k in c if k in SCHOOL_AMOUNTS]
    if amounts:
        parts.append(w("n_amounts", lang, n=len(amounts)))
    return cell(" ".join(parts))  # values of the file: one inert line


def problems_of(ev: Evaluation, change: int | None) -> list[ScenarioProblem]:
    """The problems of change ``change`` (0-based), or of the file itself (None)."""
    want = None if change is None else change + 1
    return [p for p in ev.problems if p.change == want]


def problem_text(p: ScenarioProblem, lang: str = "zh") -> str:
    """The loader's message of one problem, without the file and position (shown beside its
    field)."""
    return p.message_zh if lang == "zh" else p.message_en
