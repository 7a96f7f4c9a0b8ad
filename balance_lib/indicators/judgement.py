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

from ..frames import first_rows, group_codes, lookup_positions, text_array
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
    frame_of,
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
        #: item id -> (positions in ``keys``, n_false, n_na, evidence) of its judgements
        self._by_item: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
        if judgements is None or not len(judgements) or not len(keys):
            return
        j = with_county(judgements)
        met = (pd.array(j["met"], dtype="boolean") if "met" in j
               else pd.array([pd.NA] * len(j), dtype="boolean"))
        item = j["item_id"].astype(str).str.strip().to_numpy(dtype=object)
        g = pd.DataFrame({"county_id": j["county_id"].array, "year": j["year"].array,
                          "item_id": item}, copy=False)
        g = g[g[KEY].notna().all(axis=1).to_numpy()]  # groupby's dropna: no group for them
        rows = g.index.to_numpy()
        codes, n = group_codes(g.reset_index(drop=True), [*KEY, "item_id"])
        n_false = np.bincount(codes, weights=false(met)[rows], minlength=n)
        n_na = np.bincount(codes, weights=np.asarray(pd.isna(met))[rows], minlength=n)
        ev = text(j, "evidence").str.strip().to_numpy(dtype=object)[rows]
        evidence = np.full(n, "", dtype=object)
        given = np.flatnonzero(ev != "")
        if len(given):  # "；"-joined in row order, per group (few rows carry evidence)
            parts: dict[int, list[str]] = {}
            for c, e in zip(codes[given].tolist(), ev[given].tolist(), strict=True):
                parts.setdefault(c, []).append(e)
            for c, texts in parts.items():
                evidence[c] = "；".join(texts)
        first = first_rows(codes, n)
        at = lookup_positions(keys[KEY].reset_index(drop=True),
                              g[KEY].iloc[first].reset_index(drop=True))
        keep = at >= 0
        items = g["item_id"].to_numpy(dtype=object)[first]
        for name in pd.unique(items[keep]).tolist():
            m = keep & (items == name)
            self._by_item[name] = (at[m], n_false[m], n_na[m], evidence[m])

    def _found(self, item_id: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """n_false, n_na (NaN where the key has no judgement) and the evidence per key."""
        n = len(self.keys)
        n_false, n_na = np.full(n, np.nan), np.full(n, np.nan)
        evidence = np.full(n, "", dtype=object)
        got = self._by_item.get(item_id)
        if got is not None:
            pos, f, na, ev = got
            n_false[pos], n_na[pos], evidence[pos] = f, na, ev
        return n_false, n_na, evidence

    def lookup(self, item_id: str) -> pd.DataFrame:
        """The aggregated judgement of ``item_id`` aligned with the keys (NaN where none)."""
        n_false, n_na, evidence = self._found(item_id)
        return pd.DataFrame({"n_false": n_false, "n_na": n_na, "evidence": evidence},
                            index=self.keys.index)

    def part(self, item_id: str) -> tuple[pd.arrays.BooleanArray, np.ndarray, np.ndarray]:
        """``met`` per key, the reason code where it is unknown, and the evidence."""
        n_false, n_na, evidence = self._found(item_id)
        found = ~np.isnan(n_false)
        n_false, n_na = np.nan_to_num(n_false), np.nan_to_num(n_na)
        empty = (n_false == 0) & (n_na > 0)
        met = tri(n_false == 0, ~found | empty)
        missing = "no_judgements_table" if not self.present else "no_judgement"
        reason = np.select([~found, empty], [missing, "judgement_empty"], "").astype(object)
        return met, reason, evidence


def _judged_rows(keys: pd.DataFrame, ind_id: str, met: Any, reason: np.ndarray,
                 evidence: np.ndarray, judged: Any = None) -> pd.DataFrame:
    """County rows of a judged item; ``judged`` is the judgement's own status (before other
    findings, such as B25's school flags, fail the item)."""
    return frame_of(keys, {
        "id": ind_id, "status": text_array(status_of(met)),
        "judged": text_array(status_of(met if judged is None else judged)),
        "reason": text_array(reason),
        "reason_arg": text_array(np.where(reason != "", ind_id, "").astype(object)),
        "evidence": text_array(evidence)})  # in the order of JUDGED_COLUMNS


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
    n = len(keys)
    cols: dict[str, list[Any]] = {c: [] for c in ("id", "status", "triggered", "reason",
                                                   "reason_arg", "evidence")}

    def add(veto_id: str, status: Any, triggered: Any, reason: Any, arg: Any,
            evidence: Any = "") -> None:
        for name, v in (("id", veto_id), ("status", status), ("reason", reason),
                        ("reason_arg", arg), ("evidence", evidence)):
            cols[name].append(np.full(n, v, dtype=object) if isinstance(v, str)
                              else np.asarray(v, dtype=object))
        cols["triggered"].append(pd.array(triggered, dtype="boolean"))

    for veto in registry.vetoes:
        if veto.computed_from:
            status = computed[veto.computed_from]["status"].to_numpy()
            add(veto.id, np.select([status == NOT_MET, status == MET],
                                   [TRIGGERED, NOT_TRIGGERED], NOT_ASSESSED),
                tri(status == NOT_MET, status == NOT_ASSESSED), "computed", veto.computed_from)
        elif veto.setting and not getattr(settings, veto.setting):
            add(veto.id, DISABLED, pd.array([pd.NA] * n, dtype="boolean"), "disabled",
                veto.setting)
        else:
            met, reason, evidence = judgements.part(veto.id)
            triggered = ~met  # met = false means the veto is triggered
            add(veto.id, np.select([true(triggered), false(triggered)],
                                   [TRIGGERED, NOT_TRIGGERED], NOT_ASSESSED),
                triggered, reason, np.where(reason != "", veto.id, "").astype(object), evidence)
    # rows per key (keys are sorted), the vetoes of each in registry order
    order = np.arange(n * len(cols["id"])).reshape(len(cols["id"]), n).T.ravel()
    data: dict[str, Any] = {
        c: np.tile(keys[c].to_numpy(), len(cols["id"]))[order] for c in KEY}
    data["county_id"] = text_array(data["county_id"])
    for name, parts in cols.items():
        if name == "triggered":
            data[name] = pd.arrays.BooleanArray._concat_same_type(parts)[order] \
                if parts else pd.array([], dtype="boolean")
        else:
            data[name] = text_array(np.concatenate(parts)[order] if parts
                                    else np.array([], dtype=object))
    return pd.DataFrame(data, copy=False)  # in the order of VETO_COLUMNS
