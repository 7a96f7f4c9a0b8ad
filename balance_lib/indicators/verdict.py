"""The verdict per county and year (contract §3).

``meets`` only when every unit passes the school rule, every CV is within its limit, every
other indicator is met and no veto is triggered; ``does_not_meet`` when any of these fails;
``incomplete`` when nothing fails but something (an indicator or a veto) is not assessed.
A disabled veto (V8 by default) is neither.

The verdict carries its reasons as data (counts, the CVs over their limit, the ids); the words
are :func:`balance_lib.indicators.explain.verdict_reasons`'.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..frames import first_rows, group_codes
from ..registry import Registry
from .base import KEY, NOT_ASSESSED, NOT_MET

#: Columns of the verdict table.
VERDICT_COLUMNS = ["county_id", "year", "status", "n_units", "n_failing_units", "cv_over",
                   "not_met", "triggered", "pending"]


def verdict(units: pd.DataFrame, variation: pd.DataFrame, items: pd.DataFrame,
            vetoes: pd.DataFrame, registry: Registry) -> pd.DataFrame:
    """One row per (county_id, year) of ``items`` (:data:`VERDICT_COLUMNS`)."""
    rule_ids = {i.id for i in registry.resource_indicators}

    def pairs(frame: pd.DataFrame) -> list[tuple[str, int]]:
        return list(zip(frame["county_id"].tolist(),
                        frame["year"].astype("int64").tolist(), strict=True))

    gid, n_groups = group_codes(units, KEY)
    unit_keys = pairs(units.take(first_rows(gid, n_groups)))
    n_units = dict(zip(unit_keys, np.bincount(gid, minlength=n_groups).tolist(), strict=True))
    failing = ~units["passes"].to_numpy(dtype=bool)
    n_fail = dict(zip(unit_keys, np.bincount(gid, weights=failing, minlength=n_groups)
                      .astype(np.int64).tolist(), strict=True))
    over = variation[~variation["met"].astype(bool)]
    cv_over: dict[tuple, list] = {}
    for key, i, lv, cv, lim in zip(pairs(over), over["indicator"].tolist(),
                                   over["level"].tolist(), over["cv"].astype(float).tolist(),
                                   over["limit"].astype(float).tolist(), strict=True):
        cv_over.setdefault(key, []).append((i, lv, cv, lim))
    not_met: dict[tuple, list] = {}
    pending: dict[tuple, list] = {}
    for key, i, st in zip(pairs(items), items["id"].tolist(), items["status"].tolist(),
                          strict=True):
        if st == NOT_MET and i not in rule_ids:
            not_met.setdefault(key, []).append(i)
        elif st == NOT_ASSESSED:
            pending.setdefault(key, []).append(i)
    triggered: dict[tuple, list] = {}
    hit = pd.array(vetoes["triggered"], dtype="boolean").fillna(False).to_numpy(bool).tolist()
    for key, i, t, st in zip(pairs(vetoes), vetoes["id"].tolist(), hit,
                             vetoes["status"].tolist(), strict=True):
        if t:
            triggered.setdefault(key, []).append(i)
        elif st == NOT_ASSESSED:
            pending.setdefault(key, []).append(i)
    rows = []
    for key in sorted(dict.fromkeys(pairs(items))):
        nf = n_fail.get(key, 0)
        fails = nf or cv_over.get(key) or not_met.get(key) or triggered.get(key)
        status = ("does_not_meet" if fails else
                  "incomplete" if pending.get(key) else "meets")
        rows.append((key[0], key[1], status, n_units.get(key, 0), nf,
                     tuple(cv_over.get(key, ())), tuple(not_met.get(key, ())),
                     tuple(triggered.get(key, ())), tuple(pending.get(key, ()))))
    return pd.DataFrame(rows, columns=VERDICT_COLUMNS)
