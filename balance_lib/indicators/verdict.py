"""The verdict per county and year (contract §3).

``meets`` only when every unit passes the school rule, every CV is within its limit, every
other indicator is met and no veto is triggered; ``does_not_meet`` when any of these fails;
``incomplete`` when nothing fails but something (an indicator or a veto) is not assessed.
A disabled veto (V8 by default) is neither.

The verdict carries its reasons as data (counts, the CVs over their limit, the ids); the words
are :func:`balance_lib.indicators.explain.verdict_reasons`'.
"""

from __future__ import annotations

import pandas as pd

from ..registry import Registry
from .base import KEY, NOT_ASSESSED, NOT_MET

#: Columns of the verdict table.
VERDICT_COLUMNS = ["county_id", "year", "status", "n_units", "n_failing_units", "cv_over",
                   "not_met", "triggered", "pending"]


def verdict(units: pd.DataFrame, variation: pd.DataFrame, items: pd.DataFrame,
            vetoes: pd.DataFrame, registry: Registry) -> pd.DataFrame:
    """One row per (county_id, year) of ``items`` (:data:`VERDICT_COLUMNS`)."""
    rule_ids = {i.id for i in registry.resource_indicators}
    n_units = units.groupby(KEY).size()
    n_fail = (~units["passes"].astype(bool)).groupby([units["county_id"], units["year"]]).sum()
    over = variation[~variation["met"].astype(bool)]
    cv_over: dict[tuple, list] = {}
    for c, y, i, lv, cv, lim in zip(over["county_id"], over["year"], over["indicator"],
                                    over["level"], over["cv"], over["limit"], strict=True):
        cv_over.setdefault((c, int(y)), []).append((i, lv, float(cv), float(lim)))
    not_met: dict[tuple, list] = {}
    pending: dict[tuple, list] = {}
    for c, y, i, st in zip(items["county_id"], items["year"], items["id"], items["status"],
                           strict=True):
        if st == NOT_MET and i not in rule_ids:
            not_met.setdefault((c, int(y)), []).append(i)
        elif st == NOT_ASSESSED:
            pending.setdefault((c, int(y)), []).append(i)
    triggered: dict[tuple, list] = {}
    hit = pd.array(vetoes["triggered"], dtype="boolean").fillna(False).to_numpy(bool)
    for c, y, i, t, st in zip(vetoes["county_id"], vetoes["year"], vetoes["id"], hit,
                              vetoes["status"], strict=True):
        if t:
            triggered.setdefault((c, int(y)), []).append(i)
        elif st == NOT_ASSESSED:
            pending.setdefault((c, int(y)), []).append(i)
    rows = []
    for c, y in items[KEY].drop_duplicates().sort_values(KEY, kind="stable").itertuples(
            index=False):
        key = (c, int(y))
        nu = int(n_units.get(key, 0))
        nf = int(n_fail.get(key, 0))
        fails = nf or cv_over.get(key) or not_met.get(key) or triggered.get(key)
        status = ("does_not_meet" if fails else
                  "incomplete" if pending.get(key) else "meets")
        rows.append({"county_id": c, "year": int(y), "status": status, "n_units": nu,
                     "n_failing_units": nf, "cv_over": tuple(cv_over.get(key, ())),
                     "not_met": tuple(not_met.get(key, ())),
                     "triggered": tuple(triggered.get(key, ())),
                     "pending": tuple(pending.get(key, ()))})
    return pd.DataFrame(rows, columns=VERDICT_COLUMNS)
