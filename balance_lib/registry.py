"""The indicator registry (B1–B32, V1–V8) read from ``indicators.yaml``.

Code, reports and the ledger read labels, thresholds and 责任单位 from here; no module repeats a
threshold literal.

>>> reg = load_registry()
>>> reg.indicator("B4").threshold("junior")
5.8
>>> reg.cv_limit("primary")
0.5
>>> [i.id for i in reg.resource_indicators]
['B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd
import yaml

from .columns import LEVELS

REGISTRY_FILE = Path(__file__).with_name("indicators.yaml")


@dataclass(frozen=True)
class Indicator:
    id: str
    group: str
    scope: str
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
    numerator: str | None = None
    scale: float = 1.0
    shortfall_zh: str = ""
    shortfall_en: str = ""
    shortfall_integer: bool = True
    extra: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))

    def threshold(self, key: str = "all") -> float:
        """Threshold for a level (``primary``/``junior``) or a named part (e.g. ``rotation``)."""
        if key in self.thresholds:
            return self.thresholds[key]
        if "all" in self.thresholds:
            return self.thresholds["all"]
        raise KeyError(f"{self.id} has no threshold for {key!r}")

    def label(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en

    def unit(self, lang: str = "zh") -> str:
        return self.unit_zh if lang == "zh" else self.unit_en


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


_KNOWN = {f for f in Indicator.__dataclass_fields__ if f != "extra"}


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

    def indicator(self, indicator_id: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise KeyError(f"unknown indicator {indicator_id!r}")

    def veto(self, veto_id: str) -> Veto:
        for v in self.vetoes:
            if v.id == veto_id:
                return v
        raise KeyError(f"unknown veto {veto_id!r}")

    @property
    def resource_indicators(self) -> tuple[Indicator, ...]:
        """B1–B7, the per-unit resource-allocation indicators."""
        return tuple(i for i in self.indicators if i.scope == "unit")

    def cv_limit(self, level: str) -> float:
        return self.cv_limits[level]

    def resource_table(self) -> pd.DataFrame:
        """One row per (indicator, level) of B1–B7: threshold, floor, CV limit, numerator, scale.

        >>> t = load_registry().resource_table()
        >>> t.loc[t.indicator.eq("B1") & t.level.eq("primary"), "floor"].item()
        3.57
        """
        rows = []
        for ind in self.resource_indicators:
            for level in LEVELS:
                thr = ind.threshold(level)
                rows.append(
                    {
                        "indicator": ind.id,
                        "level": level,
                        "threshold": thr,
                        "floor": round(thr * (ind.floor_ratio or self.floor_ratio), 10),
                        "cv_limit": self.cv_limit(level),
                        "numerator": ind.numerator,
                        "scale": ind.scale,
                    }
                )
        return pd.DataFrame(rows)


def _indicator(raw: dict[str, Any]) -> Indicator:
    known = {k: v for k, v in raw.items() if k in _KNOWN}
    extra = {k: v for k, v in raw.items() if k not in _KNOWN}
    known["thresholds"] = MappingProxyType(dict(raw.get("thresholds", {})))
    known["responsible_units"] = tuple(raw["responsible_units"])
    return Indicator(**known, extra=MappingProxyType(extra))


@lru_cache(maxsize=4)
def load_registry(path: str | Path = REGISTRY_FILE) -> Registry:
    """Read and check the registry file (cached)."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    indicators = tuple(_indicator(r) for r in raw["indicators"])
    ids = [i.id for i in indicators]
    if ids != [f"B{k}" for k in range(1, 33)]:
        raise ValueError(f"registry must list B1–B32 in order, got {ids}")
    vetoes = tuple(Veto(**v) for v in raw["vetoes"])
    return Registry(
        indicators=indicators,
        vetoes=vetoes,
        groups=MappingProxyType(raw["groups"]),
        cv_limits=MappingProxyType(dict(raw["variation"]["cv_limit"])),
        min_met=int(raw["school_rule"]["min_met"]),
        floor_ratio=float(raw["school_rule"]["floor_ratio"]),
        variation_source=raw["variation"]["source"],
        school_rule_source=raw["school_rule"]["source"],
    )
