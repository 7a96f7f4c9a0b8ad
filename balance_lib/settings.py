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
import datetime as dt
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .limits import MAX_COUNTY_TEXT, MAX_DISPLAY_DECIMALS, MAX_MILESTONES, MAX_SPLIT_WEIGHT
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


@dataclass(frozen=True)
class Milestone:
    """A date of the county's plan (启动, 自治州指导, 自治区评估, 国家认定) and its label."""

    date: dt.date
    zh: str
    en: str = ""

    def label(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" or not self.en else self.en

    @property
    def short_date(self) -> str:
        """``2027.8``: how plans write a month."""
        return f"{self.date.year}.{self.date.month}"


@dataclass(frozen=True)
class County:
    """Who the reports are about: the name and code in titles and headers, and the plan's
    milestones on the trend. Empty by default: titles then fall back on the data's name."""

    name: str = ""
    name_en: str = ""
    code: str = ""
    milestones: tuple[Milestone, ...] = ()

    def title(self, fallback: str, lang: str = "zh") -> str:
        """The county's name in ``lang``, else ``fallback`` (the data folder's name)."""
        if lang != "zh" and self.name_en:
            return self.name_en
        return self.name or fallback

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "name_en": self.name_en, "code": self.code,
                "milestones": [{"date": m.date.isoformat(), "zh": m.zh, "en": m.en}
                               for m in self.milestones]}


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
    #: the county: name, code and the plan's milestones (titles, headers, the trend)
    county: County = field(default_factory=County)
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
            elif isinstance(value, County):
                value = value.to_dict()
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


_DATE = re.compile(r"(\d{4})[-.](\d{1,2})(?:[-.](\d{1,2}))?")


def _text_problem(origin: str, key: str, value: Any) -> str | None:
    if not isinstance(value, str):
        return f"{origin}: {key} must be text, got {_shown(value)}"
    if len(value) > MAX_COUNTY_TEXT or any(ord(c) < 32 for c in value):
        return (f"{origin}: {key} must be one line of at most {MAX_COUNTY_TEXT} characters, "
                f"got {_shown(value)}")
    return None


def _milestone_date(value: Any) -> dt.date | None:
    """``2027-08``, ``2027.8``, ``2027-08-31`` or a YAML date; a month means its last day."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    m = _DATE.fullmatch(str(value).strip()) if isinstance(value, str) else None
    if not m:
        return None
    year, month = int(m.group(1)), int(m.group(2))
    try:
        if m.group(3):
            return dt.date(year, month, int(m.group(3)))
        following = dt.date(year + (month == 12), month % 12 + 1, 1)
        return following - dt.timedelta(days=1)
    except ValueError:
        return None


def _county(origin: str, value: Any, problems: list[str]) -> County | None:
    """The ``county`` block: name, name_en, code and milestones (every problem noted)."""
    if not isinstance(value, dict):
        problems.append(f"{origin}: county must be a mapping such as {{name: 昌吉市, code: "
                        f"'652301', milestones: [...]}}, got {_shown(value)}")
        return None
    found = len(problems)
    known = ("name", "name_en", "code", "milestones")
    for key in value:
        if key not in known:
            problems.append(f"{origin}: county.{_shown(key)} is unknown (known: "
                            f"{', '.join(known)})")
    texts = {}
    for key in ("name", "name_en", "code"):
        v = value.get(key, "")
        if key == "code" and isinstance(v, int) and not isinstance(v, bool):
            problems.append(f"{origin}: county.code was read as the number {v}: quote it "
                            f"('{v}') so that leading zeros are kept")
            continue
        problem = _text_problem(origin, f"county.{key}", "" if v is None else v)
        if problem:
            problems.append(problem)
        else:
            texts[key] = (v or "").strip()
    raw = value.get("milestones") or []
    milestones = []
    if not isinstance(raw, list) or len(raw) > MAX_MILESTONES:
        problems.append(f"{origin}: county.milestones must be a list of at most "
                        f"{MAX_MILESTONES} {{date: 2027-08, zh: …, en: …}}")
        raw = []
    for k, item in enumerate(raw):
        where = f"county.milestones[{k}]"
        if not isinstance(item, dict) or set(item) - {"date", "zh", "en"}:
            problems.append(f"{origin}: {where} must be {{date: 2027-08, zh: 自治州指导, "
                            f"en: prefecture guidance}}, got {_shown(item)}")
            continue
        when = _milestone_date(item.get("date"))
        if when is None:
            problems.append(f"{origin}: {where}.date must be a month or a day such as "
                            f"2027-08 or 2028-12-31, got {_shown(item.get('date'))}")
        labels = {}
        for lang in ("zh", "en"):
            text = item.get(lang, "")
            problem = _text_problem(origin, f"{where}.{lang}", "" if text is None else text)
            if problem:
                problems.append(problem)
            labels[lang] = (text or "").strip()
        if not labels["zh"]:
            problems.append(f"{origin}: {where}.zh (the label) is required")
        if when is not None and labels["zh"]:
            milestones.append(Milestone(when, labels["zh"], labels["en"]))
    if len(problems) > found:
        return None
    return County(name=texts.get("name", ""), name_en=texts.get("name_en", ""),
                  code=texts.get("code", ""),
                  milestones=tuple(sorted(milestones, key=lambda m: m.date)))


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
        elif key == "county":
            value = _county(origin, value, problems)
            if value is None:
                continue
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


#: The settings file a county keeps with its data (in the data folder, or beside the workbook):
#: read after ``params/standards.yaml`` and before ``--params``.
DATA_SETTINGS_FILE = "settings.yaml"


def data_settings_file(data: str | Path | None) -> Path | None:
    """The county's own settings file for ``data`` (a folder or a workbook), if it exists.

    >>> from balance_lib.paths import SAMPLE_DIR
    >>> data_settings_file(SAMPLE_DIR).name, data_settings_file("/nonexistent")
    ('settings.yaml', None)
    """
    if data is None:
        return None
    data = Path(data)
    folder = data if data.is_dir() else data.parent
    f = folder / DATA_SETTINGS_FILE
    return f if f.is_file() else None


def load_settings(path: str | Path | None = None, *, base: str | Path | None = STANDARDS_FILE,
                  data: str | Path | None = None) -> Settings:
    """Defaults, then ``base`` (the project's params/standards.yaml), then the county's own
    ``settings.yaml`` kept with ``data`` (:func:`data_settings_file`), then ``path`` on top.

    Raises :class:`SettingsError` listing every unknown key or value.
    """
    values: dict[str, Any] = {}
    sources = []
    for p, must_exist in ((base, False), (data_settings_file(data), False), (path, True)):
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
