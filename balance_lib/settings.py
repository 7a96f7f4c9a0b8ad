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
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from .paths import STANDARDS_FILE

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


def _check(raw: dict[str, Any], origin: str) -> dict[str, Any]:
    problems: list[str] = []
    names = {f.name for f in dataclasses.fields(Settings)} - {"source"}
    clean: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in names:
            problems.append(f"{origin}: unknown setting {key!r} (known: {', '.join(sorted(names))})")
            continue
        if key in _CHOICES and value not in _CHOICES[key]:
            allowed = ", ".join("null" if c is None else str(c) for c in _CHOICES[key])
            problems.append(f"{origin}: {key} = {value!r} is not one of: {allowed}")
            continue
        if key == "split_weights":
            if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
                problems.append(f"{origin}: split_weights must map a school type to level weights")
                continue
            bad = [f"{t}.{lv}" for t, w in value.items() for lv, x in w.items()
                   if not isinstance(x, (int, float)) or x <= 0]
            if bad:
                problems.append(f"{origin}: split_weights must be positive numbers: {', '.join(bad)}")
                continue
            merged = {k: dict(v) for k, v in _default_split().items()}
            merged.update({k: dict(v) for k, v in value.items()})
            value = MappingProxyType({k: MappingProxyType(v) for k, v in merged.items()})
        if key in ("cv_display_decimals", "teaching_point_min_students") and (
            not isinstance(value, int) or value < 0
        ):
            problems.append(f"{origin}: {key} must be a non-negative integer, got {value!r}")
            continue
        if key == "b31_level3_share_min" and value is None:
            clean[key] = value
            continue
        if key in ("b31_level3_share_min", "survey_min_sample_per_mille", "survey_parent_share_min") and (
            isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0
        ):
            problems.append(f"{origin}: {key} must be a non-negative number, got {value!r}")
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
        if not p.exists():
            if must_exist:
                raise SettingsError([f"{p}: settings file not found"])
            continue
        try:
            raw = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise SettingsError([f"{p}: not valid YAML ({exc})"]) from None
        if not isinstance(raw, dict):
            raise SettingsError([f"{p}: expected a mapping of setting: value"])
        values.update(_check(raw, p.name))
        sources.append(p.name)
    return Settings(**values, source=" + ".join(sources) or "defaults")
