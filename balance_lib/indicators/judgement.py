"""Judged items and the vetoes: ``judgements.csv``.

Several rows for one (county, year, item) combine with the three-valued "and" (one "not met"
fails the item; an empty ``met`` leaves it unknown unless another row fails it). B25 also fails
when any school is recorded without a charter (``has_charter``) or without information-based
management (``has_info_management``); an empty flag leaves it to the judgement. For a veto,
``met = false`` means the veto is triggered; V4 follows B32 (社会认可度); V8 is ``disabled``
unless ``settings.veto_v8_enabled``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..registry import Indicator, Registry
from ..settings import Settings
from .base import (
    DISABLED,
    KEY,
    MET,
    NOT_ASSESSED,
    NOT_MET,
    NOT_TRIGGERED,
    TRIGGERED,
    false,
    kind,
    rule,
    school_names,
    status_of,
    text,
    tri,
    true,
    with_county,
)

#: Columns of the county rows of judged items.
JUDGED_COLUMNS = ["county_id", "year", "id", "status", "judged", "reason", "reason_arg",
                  "evidence"]
#: Columns of the veto rows.
VETO_COLUMNS = ["county_id", "year", "id", "status", "triggered", "reason", "reason_arg",
                "evidence"]


class Judgements:
    """Rows of judgements.csv aggregated per (county, year, item): three-valued AND of ``met``."""

    def __init__(self, keys: pd.DataFrame, judgements: pd.DataFrame | None):
        self.keys = keys
        self.present = judgements is not None
        if judgements is None:
            self._aligned = pd.DataFrame(columns=["index", *KEY, "item_id", "n_false", "n_na",
                                                  "evidence"])
            return
        j = with_county(judgements)
        met = (pd.array(j["met"], dtype="boolean") if "met" in j
               else pd.array([pd.NA] * len(j), dtype="boolean"))
        j = j.assign(item_id=j["item_id"].astype(str).str.strip(),
                     _false=false(met).astype(int),
                     _na=np.asarray(pd.isna(met)).astype(int),
                     _ev=text(j, "evidence").str.strip())
        agg = j.groupby([*KEY, "item_id"], as_index=False).agg(
            n_false=("_false", "sum"), n_na=("_na", "sum"),
            evidence=("_ev", lambda s: "；".join(x for x in s if x)))
        self._aligned = self.keys.reset_index().merge(agg, on=KEY, how="inner")

    def lookup(self, item_id: str) -> pd.DataFrame:
        """The aggregated judgement of ``item_id`` aligned with the keys (NaN where none)."""
        n = len(self.keys)
        n_false, n_na = np.full(n, np.nan), np.full(n, np.nan)
        evidence = np.full(n, "", dtype=object)
        if self.present:
            sub = self._aligned[self._aligned["item_id"] == item_id]
            pos = sub["index"].to_numpy(dtype=int)
            n_false[pos] = sub["n_false"].to_numpy(dtype=float)
            n_na[pos] = sub["n_na"].to_numpy(dtype=float)
            evidence[pos] = sub["evidence"].to_numpy(dtype=object)
        return pd.DataFrame({"n_false": n_false, "n_na": n_na, "evidence": evidence},
                            index=self.keys.index)

    def part(self, item_id: str) -> tuple[pd.arrays.BooleanArray, np.ndarray, np.ndarray]:
        """``met`` per key, the reason code where it is unknown, and the evidence."""
        t = self.lookup(item_id)
        found = t["n_false"].notna().to_numpy()
        n_false = t["n_false"].fillna(0).to_numpy()
        n_na = t["n_na"].fillna(0).to_numpy()
        empty = (n_false == 0) & (n_na > 0)
        met = tri(n_false == 0, ~found | empty)
        missing = "no_judgements_table" if not self.present else "no_judgement"
        reason = np.select([~found, empty], [missing, "judgement_empty"], "").astype(object)
        return met, reason, t["evidence"].to_numpy(dtype=object)


def _judged_rows(keys: pd.DataFrame, ind_id: str, met: Any, reason: np.ndarray,
                 evidence: np.ndarray, judged: Any = None) -> pd.DataFrame:
    """County rows of a judged item; ``judged`` is the judgement's own status (before other
    findings, such as B25's school flags, fail the item)."""
    out = keys.copy()
    out["id"] = ind_id
    out["status"] = status_of(met)
    out["judged"] = status_of(met if judged is None else judged)
    out["reason"] = reason
    out["reason_arg"] = np.where(reason != "", ind_id, "")
    out["evidence"] = evidence
    return out[JUDGED_COLUMNS]


@kind("judgement")
def judgement(ind: Indicator, keys: pd.DataFrame, judgements: Judgements,
              **_: Any) -> dict[str, pd.DataFrame]:
    """A judged item: the aggregated judgement of its id."""
    met, reason, evidence = judgements.part(ind.id)
    return {"rows": _judged_rows(keys, ind.id, met, reason, evidence)}


#: Per-school flags of B25 (column, word key of the finding).
B25_FLAGS = (("has_charter", "b25_no_charter"), ("has_info_management", "b25_no_info"))


@rule("B25", reads={"judgements": ()})
def b25(ind: Indicator, keys: pd.DataFrame, judgements: Judgements, schools: pd.DataFrame,
        **_: Any) -> dict[str, pd.DataFrame]:
    """The judgement of B25, failed also by any school recorded without a charter or without
    information-based management. Returns the county rows (``rows``) and the findings
    (``findings``: per key and flag, ``n`` schools and the first three names)."""
    met, reason, evidence = judgements.part(ind.id)
    judged = met.copy()
    findings = []
    for col, word in B25_FLAGS:
        if col not in schools:
            continue
        flag = pd.array(schools[col], dtype="boolean")
        bad = schools[false(flag)]
        if bad.empty:
            continue
        counts = (bad.assign(_name=school_names(bad)).groupby(KEY, as_index=False)
                  .agg(n=("_name", "size"), names=("_name", lambda s: list(s.iloc[:3]))))
        t = keys.merge(counts, on=KEY, how="left")
        hit = t["n"].notna().to_numpy()
        met = met & tri(~hit, np.zeros(len(keys), dtype=bool))
        f = t[hit][[*KEY, "n", "names"]].assign(id=ind.id, finding=word)
        findings.append(f)
    rows = _judged_rows(keys, ind.id, met, reason, evidence, judged)
    out = {"rows": rows}
    if findings:
        out["findings"] = pd.concat(findings, ignore_index=True)
    return out


def vetoes(keys: pd.DataFrame, judgements: Judgements, computed: dict[str, pd.DataFrame],
           settings: Settings, registry: Registry) -> pd.DataFrame:
    """One row per (county_id, year) and veto (:data:`VETO_COLUMNS`): status triggered |
    not_triggered | not_assessed | disabled; ``triggered`` (NA unless assessed); the evidence
    of the judgement (text from the data), or the reason code where there is none."""
    frames = []
    for veto in registry.vetoes:
        out = keys.copy()
        out["id"] = veto.id
        out["reason"] = ""
        out["reason_arg"] = ""
        out["evidence"] = ""
        if veto.computed_from:
            source = computed[veto.computed_from].set_index(keys.index)
            status = source["status"].to_numpy()
            out["status"] = np.select([status == NOT_MET, status == MET],
                                      [TRIGGERED, NOT_TRIGGERED], NOT_ASSESSED).astype(object)
            out["triggered"] = tri(status == NOT_MET, status == NOT_ASSESSED)
            out["reason"] = "computed"
            out["reason_arg"] = veto.computed_from
        elif veto.setting and not getattr(settings, veto.setting):
            out["status"] = DISABLED
            out["triggered"] = pd.array([pd.NA] * len(out), dtype="boolean")
            out["reason"] = "disabled"
            out["reason_arg"] = veto.setting
        else:
            met, reason, evidence = judgements.part(veto.id)
            triggered = ~met  # met = false means the veto is triggered
            out["status"] = np.select([true(triggered), false(triggered)],
                                      [TRIGGERED, NOT_TRIGGERED], NOT_ASSESSED).astype(object)
            out["triggered"] = triggered
            out["reason"] = reason
            out["reason_arg"] = np.where(reason != "", veto.id, "")
            out["evidence"] = evidence
        frames.append(out[VETO_COLUMNS])
    v = pd.concat(frames, ignore_index=True)
    v["triggered"] = v["triggered"].astype("boolean")
    order = {veto.id: k for k, veto in enumerate(registry.vetoes)}
    v = v.sort_values([*KEY, "id"], key=lambda col: col.map(order) if col.name == "id" else col,
                      kind="stable")
    return v.reset_index(drop=True)
