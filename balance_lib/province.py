"""The province overview: every county of one evaluation side by side (pure functions).

For the prefecture and province 督导 offices, who hold the statistics of tens or hundreds of
counties at once. Everything here is computed from the tidy frames of
:func:`balance_lib.indicators.evaluate` (``verdict``, ``variation``, ``items``) for one school
year; the words are :mod:`balance_lib.province_report`'s.

Distance to the standard
------------------------
A county meets the standard when nothing of its verdict fails (:mod:`.indicators.verdict`).
How far it is from it is counted in the verdict's own terms, each one a thing to put right:

    distance = units failing the school rule + CVs over their limit
               + other indicators (B8–B32) not met + vetoes triggered

0 for a county that meets the standard or is only incomplete. Counties are ranked closest
first: by ``distance``, then by what is still not assessed (fewer first), then by the largest
CV relative to its limit (smaller first), then by ``county_id``. The components are shown
beside the distance, so the reader sees what it is made of.

>>> v = pd.DataFrame({"county_id": ["A", "B"], "year": [2025, 2025],
...                   "status": ["does_not_meet", "meets"], "n_units": [10, 4],
...                   "n_failing_units": [2, 0], "cv_over": [(("B5", "primary", 0.6, 0.5),), ()],
...                   "not_met": [("B12",), ()], "triggered": [(), ()], "pending": [(), ()]})
>>> county_overview(v)[["county_id", "n_units_passing", "distance", "rank"]].to_dict("list")
{'county_id': ['B', 'A'], 'n_units_passing': [4, 8], 'distance': [0, 4], 'rank': [1, 2]}
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from .frames import sort_frame
from .units import LEVEL_ORDER

#: Columns of :func:`county_overview`.
OVERVIEW_COLUMNS = ["rank", "county_id", "year", "status", "n_units", "n_units_passing",
                    "share_passing", "n_failing_units", "n_cv_over", "n_not_met",
                    "n_triggered", "n_not_assessed", "distance", "worst_cv_ratio", "cv_over",
                    "not_met", "triggered"]
#: A CV at or above this share of its limit (but within it) is shown as close to the limit.
NEAR_LIMIT = 0.9


def _lengths(values: Iterable[Sequence]) -> np.ndarray:
    return np.fromiter((len(v) for v in values), dtype=np.int64)


def county_overview(verdict: pd.DataFrame) -> pd.DataFrame:
    """One row per county of ``verdict`` (one school year): verdict, units passing, CVs over
    their limit, indicators not met, vetoes, what is not assessed, the distance to the
    standard and the rank (module notes), sorted by rank."""
    v = verdict.reset_index(drop=True)
    n_units = v["n_units"].to_numpy(dtype=np.int64)
    failing = v["n_failing_units"].to_numpy(dtype=np.int64)
    n_cv = _lengths(v["cv_over"])
    n_not_met = _lengths(v["not_met"])
    n_triggered = _lengths(v["triggered"])
    worst = np.array([max((cv / lim for _, _, cv, lim in over if lim), default=0.0)
                      for over in v["cv_over"]], dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(n_units > 0, (n_units - failing) / np.maximum(n_units, 1), np.nan)
    out = pd.DataFrame({
        "county_id": v["county_id"].astype(str).to_numpy(),
        "year": v["year"].to_numpy(dtype=np.int64),
        "status": v["status"].to_numpy(),
        "n_units": n_units,
        "n_units_passing": n_units - failing,
        "share_passing": share,
        "n_failing_units": failing,
        "n_cv_over": n_cv,
        "n_not_met": n_not_met,
        "n_triggered": n_triggered,
        "n_not_assessed": _lengths(v["pending"]),
        "distance": failing + n_cv + n_not_met + n_triggered,
        "worst_cv_ratio": worst,
        "cv_over": list(v["cv_over"]),
        "not_met": list(v["not_met"]),
        "triggered": list(v["triggered"]),
    })
    out = sort_frame(out, ["distance", "n_not_assessed", "worst_cv_ratio", "county_id"])
    out.insert(0, "rank", np.arange(1, len(out) + 1, dtype=np.int64))
    return out[OVERVIEW_COLUMNS]


def cv_matrix(variation: pd.DataFrame, counties: Sequence[str] | None = None
              ) -> tuple[pd.DataFrame, pd.Series]:
    """The CVs of one school year as a county × (level, indicator) table, and the limit of
    each column.

    Rows: ``counties`` (default: every county of ``variation``, sorted); columns: (level,
    indicator) with levels in teaching order and indicators in the order of ``variation``
    (the registry's); NaN where a county has no unit of a level. Indicators without a limit
    (an extension's) are left out.
    """
    v = variation[np.isfinite(variation["limit"].to_numpy(dtype=float))]
    ids = list(dict.fromkeys(v["indicator"].tolist()))
    levels = sorted(set(v["level"]), key=lambda lv: LEVEL_ORDER.get(lv, len(LEVEL_ORDER)))
    columns = pd.MultiIndex.from_tuples([(lv, i) for lv in levels for i in ids
                                         if ((v["level"] == lv) & (v["indicator"] == i)).any()],
                                        names=["level", "indicator"])
    wide = v.pivot_table(index="county_id", columns=["level", "indicator"], values="cv",
                         aggfunc="first", dropna=False)
    rows = sorted(set(v["county_id"].astype(str))) if counties is None else list(counties)
    wide = wide.reindex(index=rows, columns=columns)
    limits = (v.drop_duplicates(["level", "indicator"]).set_index(["level", "indicator"])["limit"]
              .reindex(columns).astype(float))
    return wide, limits


def cv_flags(matrix: pd.DataFrame, limits: pd.Series, near: float = NEAR_LIMIT) -> pd.DataFrame:
    """``over`` (CV above its limit), ``near`` (within it, at ``near`` × the limit or more),
    ``ok`` or ``none`` (no units) for every cell of :func:`cv_matrix`, compared as the
    verdict compares (:func:`balance_lib.indicators.base.meets`, unrounded)."""
    from .indicators.base import meets

    values = matrix.to_numpy(dtype=float)
    lim = np.broadcast_to(limits.to_numpy(dtype=float), values.shape)
    known = np.isfinite(values)
    within = meets(values, lim, "le")
    close = values >= near * lim
    flags = np.select([~known, ~within, close], ["none", "over", "near"], "ok")
    return pd.DataFrame(flags, index=matrix.index, columns=matrix.columns)


def failing_indicators(items: pd.DataFrame, order: dict[str, int] | None = None
                       ) -> pd.DataFrame:
    """Per indicator of ``items`` (one school year): in how many counties it is not met and
    not assessed, and which counties fail it; most counties first, then registry order.

    Unit indicators (B1–B7) count as not met where a CV is over its limit or a unit misses
    the threshold and fails the school rule because of it (the item's status).
    """
    ids = items["id"].astype(str)
    status = items["status"].astype(str)
    n_counties = items["county_id"].nunique()
    g = pd.DataFrame({"id": ids, "not_met": status == "not_met",
                      "not_assessed": status == "not_assessed",
                      "county_id": items["county_id"].astype(str)})
    counts = g.groupby("id", sort=False).agg(n_not_met=("not_met", "sum"),
                                             n_not_assessed=("not_assessed", "sum"))
    failing = g[g["not_met"]].groupby("id", sort=False)["county_id"].agg(
        lambda c: tuple(sorted(c)))
    counts["counties"] = failing.reindex(counts.index).apply(
        lambda c: c if isinstance(c, tuple) else ())
    counts = counts.reset_index()
    counts["n_not_met"] = counts["n_not_met"].astype(np.int64)
    counts["n_not_assessed"] = counts["n_not_assessed"].astype(np.int64)
    counts["share_not_met"] = counts["n_not_met"] / max(n_counties, 1)
    counts["_order"] = counts["id"].map(order or {}).fillna(len(order or {}))
    counts["_neg"] = -counts["n_not_met"]
    counts = sort_frame(counts, ["_neg", "_order", "id"])
    return counts[["id", "n_not_met", "share_not_met", "n_not_assessed", "counties"]]


def year_summary(verdict: pd.DataFrame) -> pd.DataFrame:
    """Counties per school year and verdict status (meets, does_not_meet, incomplete)."""
    statuses = ["meets", "incomplete", "does_not_meet"]
    t = pd.crosstab(verdict["year"].astype(int), verdict["status"])
    t = t.reindex(columns=statuses, fill_value=0).astype(np.int64)
    t["n_counties"] = t.sum(axis=1)
    return t.reset_index().rename_axis(columns=None)
