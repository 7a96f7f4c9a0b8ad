"""B31: 国家义务教育质量监测 — every monitored subject at level Ⅲ or above and the 校际差异率
below 0.15.

No formula for the 校际差异率 has been published (indicator-rules §9), and the national
monitoring reports both figures to the county. So the default (``b31_formula: monitoring``)
reads them as reported, from ``monitoring.csv`` (year, subject, level, achievement_level 1–4 —
Ⅰ–Ⅳ —, difference_rate): each (subject, level) row meets the item when its level is ≥ Ⅲ and its
rate < 0.15 (strictly).

``b31_formula: weighted_cv`` keeps the project's earlier stand-in, a named option: per
(subject, level) the student-weighted CV of the school mean scores of ``quality.csv``
(weights: the school's students of that level in ``schools`` of the monitoring year), compared
with ``< 0.15``; and, only when ``b31_level3_share_min`` is set (no default), every school's
share at level Ⅲ or above must reach it.

A report year without monitoring uses the latest earlier monitoring year of the county (the
monitoring runs every few years). ``value`` = the largest rate over subjects and levels.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..frames import text_array
from ..registry import Indicator
from ..settings import Settings
from ..variation import grouped_weighted_cv
from .base import (
    CLASS_KEY,
    KEY,
    NOT_ASSESSED,
    SCHOOL_KEY,
    compare,
    false,
    frame_of,
    num,
    rule,
    status_of,
    tri,
    with_county,
)

#: Columns of the B31 rows per (county, report year, subject, level).
GROUP_COLUMNS = ["county_id", "year", "qyear", "subject", "level", "rate", "rate_met",
                 "n_bad", "achievement_level", "level_met", "min_share", "n_share_low",
                 "n_share_na", "met"]


def _used_years(keys: pd.DataFrame, table: pd.DataFrame) -> np.ndarray:
    """The monitoring year used for each report year: the latest one not after it."""
    qyears = table[KEY].drop_duplicates().rename(columns={"year": "qyear"})
    qyears = qyears.sort_values("qyear", kind="stable")
    left = keys.reset_index().sort_values("year", kind="stable")
    used = (pd.merge_asof(left, qyears, left_on="year", right_on="qyear", by="county_id",
                          direction="backward").sort_values("index").set_index("index"))
    return used["qyear"].to_numpy(dtype=float)


def _from_monitoring(m: pd.DataFrame, thr: float) -> pd.DataFrame:
    m = with_county(m).assign(subject=lambda f: f["subject"].astype(str),
                              level=lambda f: f["level"].astype(str))
    rate = num(m, "difference_rate")
    ach = pd.to_numeric(m.get("achievement_level"), errors="coerce").to_numpy(dtype=float) \
        if "achievement_level" in m else np.full(len(m), np.nan)
    rate_met = compare(rate, thr, "lt")
    level_met = compare(ach, 3, "ge")
    g = pd.DataFrame({"county_id": m["county_id"].to_numpy(), "qyear": m["year"].to_numpy(),
                      "subject": m["subject"].to_numpy(), "level": m["level"].to_numpy(),
                      "rate": rate, "rate_met": rate_met, "n_bad": np.isnan(rate).astype(int),
                      "achievement_level": ach, "level_met": level_met,
                      "min_share": np.nan, "n_share_low": 0, "n_share_na": 0})
    g["met"] = rate_met & level_met
    return g


def _from_scores(q: pd.DataFrame, schools: pd.DataFrame, thr: float,
                 share_min: float | None) -> pd.DataFrame:
    q = with_county(q)
    q = q.assign(school_id=q["school_id"].astype(str), level=q["level"].astype(str),
                 subject=q["subject"].astype(str))
    s = schools.assign(school_id=schools["school_id"].astype(str))
    w = pd.concat([s[SCHOOL_KEY].assign(level=lv, _w=num(s, f"students_{lv}"))
                   for lv in ("primary", "junior")], ignore_index=True
                  ).drop_duplicates(CLASS_KEY, keep="last")
    q = q.merge(w, on=CLASS_KEY, how="left")
    score, share = num(q, "mean_score"), num(q, "share_level3_or_above")
    low = (share < share_min) if share_min is not None else np.zeros(len(q), dtype=bool)
    na_share = np.isnan(share) if share_min is not None else np.zeros(len(q), dtype=bool)
    q = q.assign(_score=score, _share=share,
                 _bad=(np.isnan(score) | np.isnan(q["_w"].to_numpy(float))).astype(int),
                 _share_na=na_share.astype(int), _share_low=low.astype(int))
    gkey = [*KEY, "subject", "level"]
    stats = grouped_weighted_cv(q[q["_bad"] == 0], "_score", "_w", gkey)
    g = q.groupby(gkey, as_index=False, sort=True).agg(
        n_bad=("_bad", "sum"), n_share_na=("_share_na", "sum"),
        n_share_low=("_share_low", "sum"), min_share=("_share", "min"))
    g = g.merge(stats[[*gkey, "cv"]], on=gkey, how="left").rename(
        columns={"cv": "rate", "year": "qyear"})
    rate = g["rate"].to_numpy(dtype=float)
    rate_met = compare(rate, thr, "lt")
    rate_met[g["n_bad"].to_numpy() > 0] = pd.NA
    low, na = g["n_share_low"].to_numpy(), g["n_share_na"].to_numpy()
    share_ok = tri(low == 0, (low == 0) & (na > 0))
    g["rate_met"] = rate_met
    g["achievement_level"] = np.nan
    g["level_met"] = share_ok
    g["met"] = rate_met & share_ok
    return g


@rule("B31", reads={"monitoring": ()})
def b31(ind: Indicator, keys: pd.DataFrame, tables: dict[str, pd.DataFrame],
        schools: pd.DataFrame, settings: Settings, **_: Any) -> dict[str, pd.DataFrame]:
    """County rows of B31 (``rows``: ``reason`` where not assessed, ``formula``) and the rows
    per subject and level of the monitoring year used (``b31_groups``: :data:`GROUP_COLUMNS`)."""
    thr = float(ind.threshold("difference_rate"))
    formula = settings.b31_formula

    def rows(status: Any, value: Any, reason: Any, reason_arg: str, qyear: Any
             ) -> pd.DataFrame:
        return frame_of(keys, {"id": "B31", "threshold": thr, "formula": formula,
                               "reason": reason, "reason_arg": reason_arg, "status": status,
                               "value": value, "qyear": qyear})

    if formula == "monitoring":
        table = tables.get("monitoring")
        if table is None:
            reason = ("no_table", "monitoring")
        elif "difference_rate" not in table or table["difference_rate"].isna().all():
            reason = ("lacks_data", "monitoring|difference_rate")
        else:
            reason = None
    elif formula == "weighted_cv":
        table = tables.get("quality")
        if table is None:
            reason = ("no_table", "quality")
        elif "mean_score" not in table or table["mean_score"].isna().all():
            reason = ("lacks_data", "quality|mean_score")
        else:
            reason = None
    else:
        raise ValueError(f"unknown b31_formula {formula!r}")
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in GROUP_COLUMNS})
    if reason is not None:
        return {"rows": rows(NOT_ASSESSED, np.nan, *reason, np.nan), "b31_groups": empty}

    groups = (_from_monitoring(table, thr) if formula == "monitoring"
              else _from_scores(table, schools, thr, settings.b31_level3_share_min))
    qyear = _used_years(keys, with_county(table))
    used = keys.assign(qyear=qyear)
    g = used.merge(groups, on=["county_id", "qyear"], how="inner")
    g["_fail"] = false(g["met"]).astype(int) if len(g) else 0
    g["_na"] = np.asarray(pd.isna(pd.array(g["met"], dtype="boolean"))).astype(int)
    agg = g.groupby(KEY, as_index=False).agg(n_groups=("subject", "size"),
                                             n_fail=("_fail", "sum"), n_na=("_na", "sum"),
                                             worst=("rate", "max"))
    t = keys.merge(agg, on=KEY, how="left")
    have = t["n_groups"].notna().to_numpy()
    n_fail = t["n_fail"].fillna(0).to_numpy()
    n_na = t["n_na"].fillna(0).to_numpy()
    met = tri(have & (n_fail == 0), ~have | ((n_fail == 0) & (n_na > 0)))
    out = rows(text_array(status_of(met)), t["worst"].to_numpy(dtype=float),
               text_array(np.where(have, "", "no_monitoring_year").astype(object)), "", qyear)
    g = g.sort_values([*KEY, "subject", "level"], kind="stable").reset_index(drop=True)
    for col in ("rate_met", "level_met", "met"):
        g[col] = pd.array(g[col], dtype="boolean")
    return {"rows": out, "b31_groups": g[GROUP_COLUMNS]}
