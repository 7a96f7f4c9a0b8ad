"""The contract's result object of ``balance evaluate`` (contract §3), from an
:class:`~balance_lib.indicators.Evaluation`.

Pure functions: frames in, plain lists and dicts out (JSON-ready, deterministic order). Record
building is vectorised (array-to-list conversion), so a whole nation's result object is built in
seconds. The ``detail`` of every indicator, the ``evidence`` of the vetoes and the verdict's
``reasons`` come from :mod:`balance_lib.indicators.explain` in the language asked for.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from .indicators import Evaluation, explain
from .registry import id_ranges  # noqa: F401  (kept importable from here)

DIGITS = 6


def json_list(values: Any, digits: int = DIGITS) -> list:
    """Array → list of Python numbers rounded to ``digits``, NaN/inf → None."""
    a = np.asarray(values, dtype=float)
    finite = np.isfinite(a)
    out = np.round(np.where(finite, a, 0.0), digits).tolist()
    if not finite.all():
        out = [x if ok else None for x, ok in zip(out, finite.tolist())]
    return out


def json_number(value: Any, digits: int = DIGITS) -> float | None:
    return json_list([value], digits)[0]


def unit_records(ev: Evaluation) -> list[dict[str, Any]]:
    """``units`` of the contract: one dict per evaluated school level."""
    u = ev.units
    ids = [i.id for i in ev.registry.unit_indicators]

    def matrix(prefix: str, kind: str) -> list[list]:
        m = u[[f"{prefix}_{i}" for i in ids]].to_numpy()
        return json_list(m) if kind == "num" else m.astype(bool).tolist()

    values, met, floor = matrix("value", "num"), matrix("met", "bool"), matrix("floor_met", "bool")
    short = u[[f"shortfall_{i}" for i in ids]].to_numpy(dtype=float)
    short = np.where(np.isfinite(short), short, 0).astype(np.int64)
    any_short = (short > 0).any(axis=1).tolist()  # most units: nothing to list
    short = short.tolist()
    cols = zip(
        u["county_id"].tolist(), u["school_id"].tolist(), u["school_name"].tolist(),
        u["school_type"].tolist(), u["level"].tolist(),
        u["students"].to_numpy(dtype=np.int64).tolist(),
        u["met_count"].to_numpy(dtype=np.int64).tolist(), u["passes"].to_numpy(dtype=bool).tolist(),
        values, met, floor, short, any_short,
    )
    return [
        {
            "county_id": c, "school_id": s, "school_name": name, "school_type": t, "level": lv,
            "students": p,
            "values": dict(zip(ids, v)),
            "met": dict(zip(ids, m)),
            "floor_met": dict(zip(ids, f)),
            "shortfall": {i: x for i, x in zip(ids, sh) if x > 0} if some else {},
            "met_count": mc, "passes": ps,
        }
        for c, s, name, t, lv, p, mc, ps, v, m, f, sh, some in cols
    ]


def variation_records(variation: pd.DataFrame) -> list[dict[str, Any]]:
    """``variation`` of the contract: one dict per county, level and indicator."""
    v = variation
    cols = zip(
        v["county_id"].tolist(), v["level"].tolist(), v["indicator"].tolist(),
        v["n_units"].astype(np.int64).tolist(), v["students"].astype(np.int64).tolist(),
        json_list(v["county_value"]), json_list(v["threshold"]), json_list(v["cv"]),
        json_list(v["limit"]), v["met"].astype(bool).tolist(),
        json_list(v["cv_unweighted"]), json_list(v["cv_sample"]),
    )
    keys = ("county_id", "level", "indicator", "n_units", "students", "county_value",
            "threshold", "cv", "limit", "met", "cv_unweighted", "cv_sample")
    return [dict(zip(keys, row)) for row in cols]


def indicator_records(ev: Evaluation, lang: str = "zh") -> list[dict[str, Any]]:
    """``indicators`` of the contract: every indicator per county, in registry order.

    Unit indicators (B1–B7) give ``value`` and ``threshold`` per level (the county value of
    each level and its threshold); the others one number each (the worst school's for
    school-scope items, the first part's for multi-part items).
    """
    reg = ev.registry
    items = ev.items
    detail = explain.item_details(ev, lang).fillna("").tolist()
    per_level: dict[tuple[str, str], tuple[dict, dict]] = {}
    var = ev.variation
    for c, i, lv, val, thr in zip(var["county_id"].tolist(), var["indicator"].tolist(),
                                  var["level"].tolist(), json_list(var["county_value"]),
                                  json_list(var["threshold"])):
        vals, thrs = per_level.setdefault((c, i), ({}, {}))
        vals[lv] = val
        thrs[lv] = thr
    resp = {i.id: list(i.responsible_units) for i in reg.indicators}
    scope = {i.id: i.scope for i in reg.indicators}
    out = []
    for c, i, st, v, t, d in zip(items["county_id"].tolist(), items["id"].tolist(),
                                 items["status"].tolist(), json_list(items["value"]),
                                 json_list(items["threshold"]), detail):
        if scope[i] == "unit":
            v, t = per_level.get((c, i), ({}, {}))
        out.append({"county_id": c, "id": i, "status": st, "value": v, "threshold": t,
                    "detail": d, "responsible_units": resp[i]})
    return out


def veto_records(ev: Evaluation, lang: str = "zh") -> list[dict[str, Any]]:
    """``vetoes`` of the contract; ``triggered`` is None when not assessed or disabled."""
    v = ev.vetoes
    evidence = explain.veto_evidence(ev, lang).fillna("").tolist()
    triggered = v["triggered"].astype(object).where(v["triggered"].notna(), None)
    return [
        {"county_id": c, "id": i, "triggered": None if t is None else bool(t), "status": st,
         "evidence": e}
        for c, i, t, st, e in zip(v["county_id"].tolist(), v["id"].tolist(),
                                  triggered.tolist(), v["status"].tolist(), evidence)
    ]


def verdict_records(ev: Evaluation, lang: str = "zh") -> list[dict[str, Any]]:
    """``verdict`` of the contract (the rule is :func:`balance_lib.indicators.verdict`)."""
    reasons = explain.verdict_reasons(ev, lang)
    return [{"county_id": c, "status": st, "reasons": r}
            for c, st, r in zip(ev.verdict["county_id"].tolist(),
                                ev.verdict["status"].tolist(), reasons, strict=True)]


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of small dicts are built.

    Records hold no reference cycles; without the pause the collector runs thousands of times
    for a nation (2.7 s → 1.0 s for 240,000 units). The previous state is restored.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build_evaluation(ev: Evaluation, year: int, lang: str = "zh",
                     dataset: dict[str, Any] | None = None) -> dict[str, Any]:
    """The whole result object of ``balance evaluate`` for one year (contract §3)."""
    with paused_gc():
        y = ev.for_year(year)
        out: dict[str, Any] = {"year": int(year), "settings": ev.settings.to_dict()}
        if dataset:
            out["dataset"] = dataset
        out["units"] = unit_records(y)
        out["variation"] = variation_records(y.variation)
        out["indicators"] = indicator_records(y, lang)
        out["vetoes"] = veto_records(y, lang)
        out["verdict"] = verdict_records(y, lang)
        return out
