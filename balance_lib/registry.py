"""The indicator registry (B1–B32, V1–V8, and any provincial extension) read from YAML.

``balance_lib/indicators.yaml`` is the single source of the indicators' names, kinds,
numerators, thresholds, limits and 责任单位: the rules of :mod:`balance_lib.indicators` are
dispatched from it and never spell a threshold, a direction or an id range themselves. A
province adds indicators of the generic kinds, or tightens, renames or reassigns existing ones,
with a YAML file of its own (``--indicators FILE``; format in ``params/README.md``), read by
:func:`load_registry` on top of the national file and checked field by field
(:class:`RegistryError` lists every problem with file, entry and field).

>>> reg = load_registry()
>>> reg.indicator("B4").threshold("junior")
5.8
>>> reg.cv_limit("primary")
0.5
>>> [i.id for i in reg.resource_indicators]
['B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7']
>>> reg.id_range("school", "county", "judgement")
'B8–B32'
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from .columns import LEVELS
from .paths import REGISTRY_FILE  # re-exported
from .safeyaml import YamlFileError, load_yaml

#: Kind of an indicator -> the family (scope) it belongs to.
KIND_SCOPE: Mapping[str, str] = MappingProxyType({
    "unit_ratio": "unit",          # per school unit (level), like B1–B7
    "school_ratio": "school",      # numerator ÷ denominator per school; every school must meet it
    "school_check": "school",      # a per-school rule with its own code (B10 B11 B12 B13)
    "county_ratio": "county",      # one or more ratios of county.csv, and judged parts
    "county_check": "county",      # a county rule with its own code (B31 B32)
    "judgement": "judgement",      # judged in judgements.csv
})
#: The kinds a province may add without code.
GENERIC_KINDS = ("unit_ratio", "school_ratio", "county_ratio", "judgement")
DIRECTIONS = ("ge", "le", "lt", "bool")
#: Table each generic kind reads its numerator and denominator columns from.
KIND_TABLE = {"unit_ratio": "schools", "school_ratio": "schools", "county_ratio": "county"}

_ID = re.compile(r"^[A-Z][A-Z0-9_]{0,15}$")
_COLUMN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class RegistryError(ValueError):
    """A registry or extension file that cannot be used; ``problems`` lists every one."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


Terms = tuple[tuple[str, int], ...]


def terms_text(terms: Terms) -> str:
    """``(("a", 1), ("b", -1))`` → ``"a − b"`` (how a sum of columns is named in messages)."""
    out = ""
    for k, (col, sign) in enumerate(terms):
        out += (("−" if sign < 0 else "") + col) if k == 0 else (" − " if sign < 0 else " + ") + col
    return out


@dataclass(frozen=True)
class Part:
    """One part of a county ratio item: a ratio (or a rate column) or a judged part."""

    key: str
    zh: str
    en: str
    numerator: Terms = ()
    denominator: Terms = ()
    threshold_key: str = "all"
    direction: str = "ge"
    #: a judged part reads ``judgements.csv`` rows of this item id
    judgement_item: str | None = None

    @property
    def judged(self) -> bool:
        return self.judgement_item is not None

    def label(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Indicator:
    id: str
    group: str
    kind: str
    zh: str
    en: str
    direction: str
    responsible_text: str
    responsible_units: tuple[str, ...]
    source: str
    unit_zh: str = ""
    unit_en: str = ""
    thresholds: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    floor_ratio: float | None = None
    #: unit_ratio: the quantity per unit; school_ratio: a schools.csv sum of columns
    numerator: Any = None
    denominator: Terms = ()
    scale: float = 1.0
    shortfall_zh: str = ""
    shortfall_en: str = ""
    shortfall_integer: bool = True
    #: unit_ratio: one of the seven of the school rule (≥ 6 of 7 met, all ≥ the floor)
    in_school_rule: bool = False
    #: unit_ratio: CV limit per level (None: no CV check)
    cv_limit: MappingProxyType | None = None
    #: school_ratio: which schools the rule applies to
    applies_to: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    #: school items: a county with no school in scope meets the item (the rule does not apply)
    empty_met: bool = True
    parts: tuple[Part, ...] = ()
    #: short names for charts and narrow tables
    short_zh: str = ""
    short_en: str = ""
    #: decimals shown (None: the unit's, ``Registry.unit_decimals``; balance_lib.formats)
    decimals: int | None = None
    #: "" for the national registry, else the extension file that added or changed it
    origin: str = ""
    extra: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))

    @property
    def scope(self) -> str:
        """unit | school | county | judgement (from the kind)."""
        return KIND_SCOPE[self.kind]

    def threshold(self, key: str = "all") -> float:
        """Threshold for a level (``primary``/``junior``) or a named part (e.g. ``rotation``)."""
        if key in self.thresholds:
            return self.thresholds[key]
        if "all" in self.thresholds:
            return self.thresholds["all"]
        raise KeyError(f"{self.id} has no threshold for {key!r}")

    def label(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en

    def short(self, lang: str = "zh") -> str:
        """A short name (for chart ticks); the full name when none is given."""
        s = self.short_zh if lang == "zh" else self.short_en
        return s or self.label(lang)

    def unit(self, lang: str = "zh") -> str:
        return self.unit_zh if lang == "zh" else self.unit_en

    def shortfall(self, lang: str = "zh") -> str:
        return self.shortfall_zh if lang == "zh" else self.shortfall_en

    @property
    def is_percent(self) -> bool:
        return self.unit_zh == "%"


@dataclass(frozen=True)
class Veto:
    id: str
    zh: str
    en: str
    source: str
    computed_from: str | None = None
    setting: str | None = None

    def label(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Registry:
    indicators: tuple[Indicator, ...]
    vetoes: tuple[Veto, ...]
    groups: MappingProxyType
    cv_limits: MappingProxyType
    min_met: int
    floor_ratio: float
    variation_source: str
    school_rule_source: str
    #: the extension files read on top of the national registry (names, in order)
    extensions: tuple[str, ...] = ()
    #: decimals shown per unit (``display`` of indicators.yaml; :mod:`balance_lib.formats`)
    unit_decimals: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    default_decimals: int = 2
    limit_decimals: int = 2

    def indicator(self, indicator_id: str) -> Indicator:
        ind = self._by_id.get(indicator_id)
        if ind is None:
            raise KeyError(f"unknown indicator {indicator_id!r}")
        return ind

    def veto(self, veto_id: str) -> Veto:
        for v in self.vetoes:
            if v.id == veto_id:
                return v
        raise KeyError(f"unknown veto {veto_id!r}")

    def has(self, item_id: str) -> bool:
        return item_id in self._by_id or any(v.id == item_id for v in self.vetoes)

    @property
    def _by_id(self) -> dict[str, Indicator]:
        cache = self.__dict__.get("_by_id_cache")
        if cache is None:
            cache = {i.id: i for i in self.indicators}
            object.__setattr__(self, "_by_id_cache", cache)
        return cache

    @property
    def resource_indicators(self) -> tuple[Indicator, ...]:
        """The unit indicators of the school rule (B1–B7)."""
        return tuple(i for i in self.indicators if i.kind == "unit_ratio" and i.in_school_rule)

    @property
    def unit_indicators(self) -> tuple[Indicator, ...]:
        """Every per-unit indicator: the school rule's, then any extension's."""
        units = [i for i in self.indicators if i.kind == "unit_ratio"]
        return tuple(sorted(units, key=lambda i: not i.in_school_rule))

    def of_scope(self, *scopes: str) -> tuple[Indicator, ...]:
        return tuple(i for i in self.indicators if i.scope in scopes)

    @property
    def order(self) -> dict[str, int]:
        """Sort rank of every id: the indicators in registry order, then the vetoes."""
        ids = [i.id for i in self.indicators] + [v.id for v in self.vetoes]
        return {i: k for k, i in enumerate(ids)}

    def id_range(self, *scopes: str) -> str:
        """The ids of the given scopes as text, runs compressed: ``"B8–B32"``, ``"B1–B7, P1"``."""
        return id_ranges([i.id for i in self.of_scope(*scopes)])

    @property
    def judged_items(self) -> tuple[str, ...]:
        """Item ids that ``judgements.csv`` may hold: judgement indicators, judged parts of
        other indicators, and the vetoes not computed from an indicator."""
        ids = [i.id for i in self.indicators if i.kind == "judgement"]
        ids += [p.judgement_item for i in self.indicators for p in i.parts if p.judged]
        ids += [i.id for i in self.indicators if i.extra.get("judged")]
        ids += [v.id for v in self.vetoes if not v.computed_from]
        return tuple(dict.fromkeys(x for x in ids if x))

    def cv_limit(self, level: str) -> float:
        return self.cv_limits[level]

    def school_rule_size(self) -> int:
        return len(self.resource_indicators)

    def resource_table(self) -> pd.DataFrame:
        """One row per (indicator, level) of the unit indicators: threshold, floor, CV limit
        (NaN when none), numerator, scale and whether it is in the school rule.

        >>> t = load_registry().resource_table()
        >>> t.loc[t.indicator.eq("B1") & t.level.eq("primary"), "floor"].item()
        3.57
        """
        rows = []
        for ind in self.unit_indicators:
            for level in LEVELS:
                thr = ind.threshold(level)
                limit = ind.cv_limit.get(level) if ind.cv_limit is not None else None
                rows.append(
                    {
                        "indicator": ind.id,
                        "level": level,
                        "threshold": thr,
                        "floor": round(thr * (ind.floor_ratio or self.floor_ratio), 10),
                        "cv_limit": math.nan if limit is None else float(limit),
                        "numerator": ind.numerator,
                        "scale": ind.scale,
                        "in_school_rule": ind.in_school_rule,
                    }
                )
        return pd.DataFrame(rows)


def id_ranges(ids: Iterable[str]) -> str:
    """Compress consecutive ids: ``['B8', 'B9', 'B10', 'V1', 'V3']`` → ``'B8–B10, V1, V3'``.

    >>> id_ranges(["B8", "B9", "B10", "V1", "V3", "P1"])
    'B8–B10, V1, V3, P1'
    """
    return _id_ranges(tuple(ids))


@lru_cache(maxsize=4096)  # a nation's counties share a few lists of ids
def _id_ranges(ids: tuple[str, ...]) -> str:
    runs: list[list[tuple[str, int | None]]] = []
    for item in ids:
        m = re.fullmatch(r"([A-Z]+)(\d+)", item)
        p, n = (m.group(1), int(m.group(2))) if m else (item, None)
        last = runs[-1][-1] if runs else None
        if last and n is not None and last[1] is not None and last[0] == p and last[1] == n - 1:
            runs[-1].append((p, n))
        else:
            runs.append([(p, n)])

    def name(x: tuple[str, int | None]) -> str:
        return x[0] if x[1] is None else f"{x[0]}{x[1]}"

    return ", ".join(name(r[0]) if len(r) == 1 else f"{name(r[0])}–{name(r[-1])}" for r in runs)


# ---------------------------------------------------------------------------------------------
# reading and checking


class _Problems:
    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{self.origin}: {where}: {message}")


def _terms(value: Any, where: str, field_name: str, p: _Problems) -> Terms:
    """A column or a list of columns, each optionally prefixed by ``-`` (subtracted)."""
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if not isinstance(item, str):
            p.add(where, f"{field_name}: expected a column name or a list of them, got {item!r}")
            continue
        name = item.strip()
        sign = -1 if name.startswith("-") else 1
        name = name.lstrip("-+ ").strip()
        if not _COLUMN.match(name):
            p.add(where, f"{field_name}: {item!r} is not a column name (snake_case letters, "
                         "digits and _)")
            continue
        out.append((name, sign))
    return tuple(out)


def _number(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(float(value)))


def _thresholds(value: Any, where: str, p: _Problems) -> dict[str, float] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not value:
        p.add(where, f"thresholds: expected a mapping such as {{primary: 25, junior: 35}}, "
                     f"got {value!r}")
        return None
    out = {}
    for k, v in value.items():
        if isinstance(v, dict):  # nested figures (B10 small rural rooms): keep, checked numbers
            if all(_number(x) for x in v.values()):
                out[str(k)] = MappingProxyType(dict(v))
            else:
                p.add(where, f"thresholds.{k}: every value must be a finite number")
            continue
        if not _number(v):
            p.add(where, f"thresholds.{k}: expected a finite number, got {v!r}")
            continue
        out[str(k)] = v
    return out


def _responsible(raw: dict[str, Any], where: str, p: _Problems) -> tuple[str, ...] | None:
    units = raw.get("responsible_units")
    if units is None:
        return None
    if isinstance(units, str):
        units = [units]
    if not isinstance(units, list) or not units or not all(
            isinstance(u, str) and u.strip() for u in units):
        p.add(where, "responsible_units: expected a non-empty list of department names")
        return None
    return tuple(u.strip() for u in units)


def _parts(raw: Any, ind_id: str, where: str, p: _Problems) -> tuple[Part, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw:
        p.add(where, "parts: expected a list of parts")
        return ()
    parts = []
    for k, part in enumerate(raw):
        w = f"{where} parts[{k}]"
        if not isinstance(part, dict):
            p.add(w, f"expected a mapping, got {part!r}")
            continue
        unknown = set(part) - {"key", "zh", "en", "name_zh", "name_en", "numerator",
                               "denominator", "threshold", "direction", "judgement"}
        for name in sorted(unknown):
            p.add(w, f"unknown field {name!r}")
        key = str(part.get("key", f"part{k + 1}"))
        zh = part.get("zh", part.get("name_zh"))
        en = part.get("en", part.get("name_en"))
        if not isinstance(zh, str) or not isinstance(en, str):
            p.add(w, "zh and en (the part's names) are required")
            continue
        judged = part.get("judgement", False)
        direction = part.get("direction", "ge")
        if direction not in ("ge", "le", "lt"):
            p.add(w, f"direction: expected ge, le or lt, got {direction!r}")
        num = _terms(part.get("numerator"), w, "numerator", p)
        if not judged and not num:
            p.add(w, "numerator: required (or judgement: true)")
        parts.append(Part(
            key=key, zh=zh, en=en, numerator=num,
            denominator=_terms(part.get("denominator"), w, "denominator", p),
            threshold_key=str(part.get("threshold", "all")), direction=direction,
            judgement_item=(ind_id if judged is True else str(judged)) if judged else None))
    return tuple(parts)


_FIELDS = {f for f in Indicator.__dataclass_fields__ if f not in ("extra", "origin")}
_ALIASES = {"name_zh": "zh", "name_en": "en"}


def _indicator(raw: dict[str, Any], where: str, p: _Problems, defaults: Mapping[str, Any],
               origin: str = "") -> Indicator | None:
    raw = {_ALIASES.get(k, k): v for k, v in raw.items()}
    ind_id = raw.get("id")
    kind = raw.get("kind")
    if kind not in KIND_SCOPE:
        p.add(where, f"kind: expected one of {', '.join(KIND_SCOPE)}, got {kind!r}")
        return None
    known = {k: v for k, v in raw.items() if k in _FIELDS}
    extra = {k: v for k, v in raw.items() if k not in _FIELDS}
    for name in ("zh", "en"):
        if not isinstance(known.get(name), str) or not known[name].strip():
            p.add(where, f"{'name_' + name if origin else name}: required (the indicator's name)")
    direction = known.get("direction", "bool" if kind == "judgement" else "ge")
    if direction not in DIRECTIONS:
        p.add(where, f"direction: expected one of {', '.join(DIRECTIONS)}, got {direction!r}")
    known["direction"] = direction
    thresholds = _thresholds(raw.get("thresholds"), where, p)
    known["thresholds"] = MappingProxyType(thresholds or {})
    units = _responsible(raw, where, p)
    if units is None:
        p.add(where, "responsible_units: required (the 责任单位)")
        units = ()
    known["responsible_units"] = units
    known.setdefault("responsible_text", "、".join(units))
    known.setdefault("source", origin or "")
    known.setdefault("group", defaults["group"].get(kind, "A2"))
    if kind == "unit_ratio":
        known["numerator"] = raw.get("numerator")
        if not isinstance(known["numerator"], str) or not _COLUMN.match(known["numerator"]):
            p.add(where, "numerator: required, the name of a column of schools.csv (snake_case)")
        cv = raw.get("cv_limit", "default")
        if cv == "default":
            known["cv_limit"] = MappingProxyType(dict(defaults["cv_limit"]))
        elif cv is None:
            known["cv_limit"] = None
        else:
            limits = _thresholds(cv, where + " cv_limit", p)
            known["cv_limit"] = MappingProxyType(limits or {})
        for level in LEVELS:
            if thresholds is not None and level not in thresholds and "all" not in thresholds:
                p.add(where, f"thresholds.{level}: required for a unit_ratio indicator")
    elif kind == "school_ratio":
        known["numerator"] = _terms(raw.get("numerator"), where, "numerator", p)
        if not known["numerator"]:
            p.add(where, "numerator: required, a column (or list of columns) of schools.csv")
        applies = raw.get("applies_to") or {}
        if not isinstance(applies, dict) or set(applies) - {"school_types", "denominator"}:
            p.add(where, "applies_to: expected {school_types: [...], denominator: positive|known}")
            applies = {}
        known["applies_to"] = MappingProxyType(applies)
    else:
        known.pop("numerator", None)
    if "denominator" in raw and kind in ("school_ratio", "county_ratio", "unit_ratio"):
        known["denominator"] = _terms(raw.get("denominator"), where, "denominator", p)
    if kind == "county_ratio":
        parts = _parts(raw.get("parts"), ind_id, where, p)
        if not parts and raw.get("numerator") is not None:  # a single ratio, written flat
            parts = (Part(key="all", zh=raw.get("label_zh") or known.get("zh", ""),
                          en=raw.get("label_en") or known.get("en", ""),
                          numerator=_terms(raw.get("numerator"), where, "numerator", p),
                          denominator=_terms(raw.get("denominator"), where, "denominator", p),
                          direction=direction if direction != "bool" else "ge"),)
        if not parts:
            p.add(where, "numerator (or parts): required for a county_ratio indicator")
        known["parts"] = parts
        known.pop("denominator", None)
    if kind in ("unit_ratio", "school_ratio", "county_ratio"):
        keys = {pt.threshold_key for pt in known.get("parts", ())} or {"all"}
        if kind == "unit_ratio":
            keys = set()
        for k in sorted(keys):
            if thresholds is not None and k not in thresholds and "all" not in thresholds:
                p.add(where, f"thresholds.{k}: required")
        if thresholds is None:
            p.add(where, "thresholds: required")
        if direction == "bool":
            p.add(where, "direction: bool is only for judgement indicators")
    for name in ("scale", "floor_ratio"):
        if name in known and known[name] is not None and (
                not _number(known[name]) or known[name] <= 0):
            p.add(where, f"{name}: expected a positive number, got {known[name]!r}")
    _check_decimals(known.get("decimals"), where, p)
    for name in ("in_school_rule", "empty_met", "shortfall_integer"):
        if name in known and not isinstance(known[name], bool):
            p.add(where, f"{name}: expected true or false, got {known[name]!r}")
    if p.items and any(where in x for x in p.items):
        return None
    return Indicator(**known, origin=origin, extra=MappingProxyType(extra))


def _check_decimals(value: Any, where: str, p: _Problems) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                              or not 0 <= value <= 6):
        p.add(where, f"decimals: expected a whole number 0–6, got {value!r}")


#: Fields a new indicator of an extension file may have.
EXTENSION_FIELDS = ("id", "name_zh", "name_en", "kind", "group", "numerator", "denominator",
                    "scale", "direction", "thresholds", "unit_zh", "unit_en", "shortfall_zh",
                    "shortfall_en", "shortfall_integer", "responsible_units", "responsible_text",
                    "floor_ratio", "cv_limit", "applies_to", "empty_met", "parts", "label_zh",
                    "label_en", "short_zh", "short_en", "decimals", "source")

#: Fields an extension may change on an existing indicator (others change what the rule
#: computes, which needs code: add a new indicator instead).
OVERRIDABLE = ("thresholds", "cv_limit", "zh", "en", "short_zh", "short_en", "unit_zh",
               "unit_en", "responsible_units", "responsible_text", "source", "shortfall_zh",
               "shortfall_en", "decimals")


def _override(ind: Indicator, raw: dict[str, Any], where: str, p: _Problems,
              origin: str) -> Indicator:
    raw = {_ALIASES.get(k, k): v for k, v in raw.items() if k != "id"}
    changes: dict[str, Any] = {}
    for name in sorted(set(raw) - set(OVERRIDABLE)):
        p.add(where, f"{name}: cannot be changed on an existing indicator ({ind.id} is "
                     f"{ind.kind}); changeable: {', '.join(OVERRIDABLE)}")
    if "thresholds" in raw:
        new = _thresholds(raw["thresholds"], where, p) or {}
        bad = sorted(set(new) - set(ind.thresholds))
        for k in bad:
            p.add(where, f"thresholds.{k}: {ind.id} has no such threshold (it has: "
                         f"{', '.join(ind.thresholds)})")
        changes["thresholds"] = MappingProxyType({**ind.thresholds, **new})
    if "cv_limit" in raw:
        if ind.kind != "unit_ratio":
            p.add(where, f"cv_limit: only unit_ratio indicators have a CV limit ({ind.id} is "
                         f"{ind.kind})")
        elif raw["cv_limit"] is None:
            changes["cv_limit"] = None
        else:
            lim = _thresholds(raw["cv_limit"], where + " cv_limit", p) or {}
            changes["cv_limit"] = MappingProxyType({**(ind.cv_limit or {}), **lim})
    if "decimals" in raw:
        _check_decimals(raw["decimals"], where, p)
        changes["decimals"] = raw["decimals"]
    units = _responsible(raw, where, p)
    if units is not None:
        changes["responsible_units"] = units
        changes["responsible_text"] = raw.get("responsible_text", "、".join(units))
    for name in ("zh", "en", "short_zh", "short_en", "unit_zh", "unit_en", "source",
                 "shortfall_zh", "shortfall_en", "responsible_text"):
        if name in raw and name not in changes:
            if not isinstance(raw[name], str) or not raw[name].strip():
                p.add(where, f"{name}: expected text")
            else:
                changes[name] = raw[name]
    return replace(ind, **changes, origin=origin or ind.origin)


def _read_yaml(path: Path, p: _Problems) -> Any:
    """The YAML of ``path`` read within the bounds of :mod:`balance_lib.safeyaml` (size,
    aliases, nesting), or None with the problem noted (the package's own registry file: by
    libyaml, see ``load_yaml(trusted=True)``)."""
    try:
        return load_yaml(path, trusted=_same_file(path, REGISTRY_FILE))
    except YamlFileError as exc:
        p.add("file", exc.en)
    return None


def _same_file(a: Path, b: Path) -> bool:
    try:
        return Path(a).samefile(b)
    except OSError:
        return False


def _national(path: Path) -> tuple[Registry, dict[str, Any]]:
    p = _Problems(path.name)
    raw = _read_yaml(path, p)
    if p.items:
        raise RegistryError(p.items)
    defaults = {"cv_limit": raw["variation"]["cv_limit"],
                "group": {"unit_ratio": "A1", "school_ratio": "A2", "county_ratio": "A2",
                          "judgement": "A2"}}
    indicators = []
    for k, r in enumerate(raw["indicators"]):
        ind = _indicator(r, f"indicators[{k}] ({r.get('id')})", p, defaults)
        if ind is not None:
            indicators.append(ind)
    _check_ids([i.id for i in indicators], p)
    if p.items:
        raise RegistryError(p.items)
    vetoes = tuple(Veto(**v) for v in raw["vetoes"])
    reg = Registry(
        indicators=tuple(indicators),
        vetoes=vetoes,
        groups=MappingProxyType(raw["groups"]),
        cv_limits=MappingProxyType(dict(raw["variation"]["cv_limit"])),
        min_met=int(raw["school_rule"]["min_met"]),
        floor_ratio=float(raw["school_rule"]["floor_ratio"]),
        variation_source=raw["variation"]["source"],
        school_rule_source=raw["school_rule"]["source"],
        unit_decimals=MappingProxyType(dict(raw["display"]["unit_decimals"])),
        default_decimals=int(raw["display"]["default_decimals"]),
        limit_decimals=int(raw["display"]["limit_decimals"]),
    )
    return reg, defaults


def _check_ids(ids: list[str], p: _Problems) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            p.add(f"indicator {i}", "the id appears twice")
        seen.add(i)


def _extend(reg: Registry, path: Path, defaults: Mapping[str, Any]) -> Registry:
    p = _Problems(str(path))
    raw = _read_yaml(path, p)
    if p.items:
        raise RegistryError(p.items)
    if not isinstance(raw, dict) or not isinstance(raw.get("indicators"), list):
        raise RegistryError([f"{path}: expected a mapping with a list 'indicators:' "
                             "(see params/README.md)"])
    for name in sorted(set(raw) - {"indicators"}):
        p.add(name, "unknown top-level key (only 'indicators' is read)")
    by_id = {i.id: i for i in reg.indicators}
    vetoes = {v.id for v in reg.vetoes}
    added: list[Indicator] = []
    for k, entry in enumerate(raw["indicators"]):
        where = f"indicators[{k}]"
        if not isinstance(entry, dict):
            p.add(where, f"expected a mapping, got {entry!r}")
            continue
        ind_id = entry.get("id")
        if not isinstance(ind_id, str) or not _ID.match(ind_id):
            quote = " — quote it" if isinstance(ind_id, (int, float)) else ""
            p.add(where, f"id: expected an id such as P1 (capital letters and digits), got "
                         f"{ind_id!r}{quote}")
            continue
        where = f"{where} ({ind_id})"
        if ind_id in vetoes:
            p.add(where, "vetoes cannot be changed by an extension file")
            continue
        if ind_id in by_id:
            by_id[ind_id] = _override(by_id[ind_id], entry, where, p, path.name)
            continue
        kind = entry.get("kind")
        if kind not in GENERIC_KINDS:
            p.add(where, f"kind: a new indicator must be one of {', '.join(GENERIC_KINDS)} "
                         f"(got {kind!r}); kinds with their own code: "
                         f"{', '.join(k for k in KIND_SCOPE if k not in GENERIC_KINDS)}")
            continue
        if entry.get("in_school_rule"):
            p.add(where, "in_school_rule: the school rule (≥ 6 of the 7 national indicators) "
                         "cannot take new indicators")
            continue
        for name in sorted(set(entry) - set(EXTENSION_FIELDS)):
            p.add(where, f"unknown field {name!r} (known: {', '.join(EXTENSION_FIELDS)})")
        ind = _indicator(entry, where, p, defaults, origin=path.name)
        if ind is not None:
            by_id[ind_id] = ind
            added.append(ind)
    _check_ids([e.get("id") for e in raw["indicators"] if isinstance(e, dict)
                and isinstance(e.get("id"), str) and e.get("id") not in
                {i.id for i in reg.indicators}], p)
    if p.items:
        raise RegistryError(p.items)
    national = [by_id[i.id] for i in reg.indicators]
    return replace(reg, indicators=tuple(national + added),
                   extensions=(*reg.extensions, path.name))


def _stat(path: Path) -> tuple[str, int, int]:
    try:
        st = path.stat()
    except OSError:
        return (str(path), -1, -1)
    return (str(path), st.st_mtime_ns, st.st_size)


def load_registry(path: str | Path = REGISTRY_FILE,
                  extensions: Iterable[str | Path] = ()) -> Registry:
    """The national registry, with the extension files read on top of it in order.

    Cached per file (path, modification time and size). Raises :class:`RegistryError` listing
    every problem of a file (file, entry, field).
    """
    files = tuple(Path(e) for e in extensions)
    for f in files:
        if not f.is_file():
            raise RegistryError([f"{f}: indicator file not found" if not f.exists()
                                 else f"{f}: not a file"])
    return _load(_stat(Path(path)), tuple(_stat(f) for f in files))


@lru_cache(maxsize=16)
def _load(base: tuple[str, int, int], extensions: tuple[tuple[str, int, int], ...]) -> Registry:
    reg, defaults = _national(Path(base[0]))
    for ext in extensions:
        reg = _extend(reg, Path(ext[0]), defaults)
    return reg


def extension_columns(registry: Registry) -> dict[str, tuple[str, ...]]:
    """Columns an extension's indicators read that the national vocabulary lacks, by table:
    they must then be accepted (and checked as non-negative numbers) by the reader."""
    from .columns import table_columns

    out: dict[str, dict[str, None]] = {}
    for ind in registry.indicators:
        if not ind.origin:
            continue
        table = KIND_TABLE.get(ind.kind)
        if table is None:
            continue
        known = {c.name for c in table_columns(table)}
        names: list[str] = []
        if ind.kind == "unit_ratio":
            base = ind.numerator
            names = [base, f"{base}_primary", f"{base}_junior"]
        elif ind.kind == "school_ratio":
            names = [c for c, _ in (*ind.numerator, *ind.denominator)]
        else:
            names = [c for pt in ind.parts for c, _ in (*pt.numerator, *pt.denominator)]
        for n in names:
            if n not in known:
                out.setdefault(table, {})[n] = None
    return {t: tuple(cols) for t, cols in out.items()}
