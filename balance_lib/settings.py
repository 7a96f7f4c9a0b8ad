"""Settings where the rules are silent (contract §1), read from ``params/standards.yaml``.

The dataclass defaults are the contract's defaults; ``params/standards.yaml`` writes them out for
users to copy and a test keeps the two equal. A settings file may give only some keys.

>>> s = Settings()
>>> s.teaching_points, s.private_schools, s.b4_indoor_sports
('separate', 'include', 'subtract')
>>> s.replace(teaching_points="merge").teaching_points
'merge'
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .limits import MAX_DISPLAY_DECIMALS, MAX_SPLIT_WEIGHT
from .paths import STANDARDS_FILE
from .safetext import cell, quote
from .safeyaml import YamlFileError, load_yaml

_CHOICES: dict[str, tuple[Any, ...]] = {
    "cv_rounding": (None, 2, 3),
    "threshold_rounding": (None, 2, 3),
    "b7_allocation": ("split", "primary", "junior"),
    "teaching_points": ("separate", "merge", "exclude"),
    "private_schools": ("include", "exclude"),
    "b4_indoor_sports": ("subtract", "as_reported"),
    "b10_relax_old_buildings": (False, True),
    "b10_relax_small_rural": (False, True),
    "b11_relaxed": (False, True),
    "b31_formula": ("monitoring", "weighted_cv"),
    "veto_v8_enabled": (False, True),
}


def _default_split() -> MappingProxyType:
    return MappingProxyType(
        {
            "nine_year": MappingProxyType({"primary": 1.0, "junior": 1.1}),
            "twelve_year": MappingProxyType({"primary": 1.0, "junior": 1.1, "senior": 1.32}),
            "complete_secondary": MappingProxyType({"junior": 1.0, "senior": 1.2}),
        }
    )


class SettingsError(ValueError):
    """A settings file with unknown keys or values; ``problems`` lists every one."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Settings:
    cv_rounding: int | None = None
    cv_display_decimals: int = 3
    threshold_rounding: int | None = None
    split_weights: MappingProxyType = field(default_factory=_default_split)
    b7_allocation: str = "split"
    teaching_points: str = "separate"
    teaching_point_min_students: int = 50
    private_schools: str = "include"
    b4_indoor_sports: str = "subtract"
    # B8–B32 (rules §1.3–§1.8); relaxations are off by default
    b10_relax_old_buildings: bool = False
    b10_relax_small_rural: bool = False
    b11_relaxed: bool = False
    b31_formula: str = "monitoring"
    b31_level3_share_min: float | None = None
    survey_min_sample_per_mille: float = 1.5
    survey_parent_share_min: float = 0.5
    veto_v8_enabled: bool = False
    #: file the settings were read from (for reports); not a setting itself
    source: str = field(default="defaults", compare=False)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the settings in force (for JSON output and reports)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, MappingProxyType):
                value = {k: dict(v) for k, v in value.items()}
            out[f.name] = value
        return out


#: Levels a split-weight table must give for each school type (every one: a level left out
#: would get no facilities at all).
SPLIT_LEVELS: dict[str, tuple[str, ...]] = {t: tuple(w) for t, w in _default_split().items()}
#: Numeric settings: (kind, low, high); kinds "int" (whole number) and "number".
_RANGES: dict[str, tuple[str, float, float]] = {
    "cv_display_decimals": ("int", 0, MAX_DISPLAY_DECIMALS),
    "teaching_point_min_students": ("int", 0, 10_000),
    "b31_level3_share_min": ("share", 0.0, 1.0),
    "survey_parent_share_min": ("share", 0.0, 1.0),
    "survey_min_sample_per_mille": ("number", 0.0, 1000.0),
}


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _shown(value: Any) -> str:
    return quote(repr(value))


def _same_choice(value: Any, choice: Any) -> bool:
    """``value`` is ``choice`` and of its type (``1`` is not ``True``, ``2.0`` is not ``2``)."""
    return type(value) is type(choice) and value == choice


def _number_problem(origin: str, key: str, value: Any, kind: str, lo: float, hi: float
                    ) -> str | None:
    what = {"int": "a whole number", "share": "a share (a number)", "number": "a number"}[kind]
    if isinstance(value, str) and value.strip().endswith("%"):
        return (f"{origin}: {key} = {_shown(value)}: write a number, e.g. 0.8 for 80% "
                f"(in {lo:g}–{hi:g})")
    if not _is_number(value) or (kind == "int" and not isinstance(value, int)):
        return f"{origin}: {key} must be {what} in {lo:g}–{hi:g}, got {_shown(value)}"
    if not math.isfinite(value) or not lo <= value <= hi:
        return f"{origin}: {key} = {_shown(value)} is outside {lo:g}–{hi:g}"
    return None


def _split_problems(origin: str, value: Any) -> list[str]:
    """Every problem of a ``split_weights`` table: each type it names must be known and give a
    finite positive weight for each of its levels, and nothing else."""
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        return [f"{origin}: split_weights must map a school type to level weights, e.g. "
                "nine_year: {primary: 1.0, junior: 1.1}"]
    out = []
    for t, weights in value.items():
        if t not in SPLIT_LEVELS:
            out.append(f"{origin}: split_weights.{quote(t)} is not a school type whose facilities "
                       f"are split (known: {', '.join(SPLIT_LEVELS)})")
            continue
        levels = SPLIT_LEVELS[t]
        missing = [lv for lv in levels if lv not in weights]
        if missing:
            out.append(f"{origin}: split_weights.{t} must give every level of the type "
                       f"({', '.join(levels)}); {', '.join(missing)} missing: its facilities "
                       f"would go to no level")
        for lv, x in weights.items():
            if lv not in levels:
                out.append(f"{origin}: split_weights.{t}.{quote(lv)} is not a level of {t} "
                           f"({', '.join(levels)})")
            elif not _is_number(x) or not math.isfinite(x) or not 0 < x <= MAX_SPLIT_WEIGHT:
                out.append(f"{origin}: split_weights.{t}.{lv} must be a positive number up to "
                           f"{MAX_SPLIT_WEIGHT:g}, got {_shown(x)}")
    return out


def _check(raw: dict[str, Any], origin: str) -> dict[str, Any]:
    """The valid settings of ``raw``; :class:`SettingsError` with every problem (file, key)."""
    problems: list[str] = []
    names = {f.name for f in dataclasses.fields(Settings)} - {"source"}
    clean: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in names:
            problems.append(f"{origin}: unknown setting {_shown(key)} (known: "
                            f"{', '.join(sorted(names))})")
            continue
        if key in _CHOICES:
            if not any(_same_choice(value, c) for c in _CHOICES[key]):
                allowed = ", ".join("null" if c is None else str(c).lower()
                                    if isinstance(c, bool) else str(c) for c in _CHOICES[key])
                problems.append(f"{origin}: {key} = {_shown(value)} is not one of: {allowed}")
                continue
        elif key == "split_weights":
            found = _split_problems(origin, value)
            if found:
                problems += found
                continue
            merged = {k: dict(v) for k, v in _default_split().items()}
            merged.update({k: {lv: float(x) for lv, x in v.items()} for k, v in value.items()})
            value = MappingProxyType({k: MappingProxyType(v) for k, v in merged.items()})
        elif key == "b31_level3_share_min" and value is None:
            pass  # no floor (the default): the national rule has none
        elif key in _RANGES:
            problem = _number_problem(origin, key, value, *_RANGES[key])
            if problem:
                problems.append(problem)
                continue
        clean[key] = value
    if problems:
        raise SettingsError(problems)
    return clean


def load_settings(path: str | Path | None = None, *, base: str | Path | None = STANDARDS_FILE) -> Settings:
    """Defaults, then ``base`` (the project's params/standards.yaml), then ``path`` on top.

    Raises :class:`SettingsError` listing every unknown key or value.
    """
    values: dict[str, Any] = {}
    sources = []
    for p, must_exist in ((base, False), (path, True)):
        if p is None:
            continue
        p = Path(p)
        if not p.exists() and not p.is_symlink():
            if must_exist:
                raise SettingsError([f"{p}: settings file not found"])
            continue
        try:
            raw = load_yaml(p, trusted=p == base and Path(base) == STANDARDS_FILE)
        except YamlFileError as exc:
            raise SettingsError([f"{cell(p)}: {exc.en}"]) from None
        raw = {} if raw is None else raw
        if not isinstance(raw, dict):
            raise SettingsError([f"{cell(p)}: expected a mapping of setting: value"])
        values.update(_check(raw, p.name))
        sources.append(p.name)
    return Settings(**values, source=" + ".join(sources) or "defaults")
