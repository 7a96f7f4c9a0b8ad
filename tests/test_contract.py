"""The contract every indicator of the registry keeps (in the spirit of scikit-learn's
``check_estimator``), for the national registry and the example provincial extension:

* it has a rule (registered by id, or the generic rule of its kind);
* the evaluation has exactly one row per county, year and indicator;
* without its inputs its item is never ``met`` (``not_assessed``, or ``not_met`` where a
  missing number counts as 0);
* a value exactly at a ``ge`` threshold meets it (generic ratio kinds, built from the registry);
* in the ledger, every failing indicator has its 责任单位.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from balance_lib.indicators import evaluate
from balance_lib.indicators.base import KINDS, RULES, inputs_of
from balance_lib.io import load_county
from balance_lib.ledger import make_ledger
from balance_lib.paths import PROJECT_ROOT
from balance_lib.registry import load_registry
from balance_lib.settings import Settings

EXAMPLE = PROJECT_ROOT / "params" / "province-example.yaml"
NATIONAL = load_registry()
EXTENDED = load_registry(extensions=[EXAMPLE])
REGISTRIES = {"national": NATIONAL, "province-example": EXTENDED}
ALL_IDS = [(name, ind.id) for name, reg in REGISTRIES.items() for ind in reg.indicators]


@pytest.fixture(scope="module")
def sample():
    return {name: load_county(PROJECT_ROOT / "data" / "sample", registry=reg).tables
            for name, reg in REGISTRIES.items()}


@pytest.fixture(scope="module")
def evaluated(sample):
    return {name: evaluate(sample[name], Settings(), reg) for name, reg in REGISTRIES.items()}


@pytest.mark.parametrize(("registry", "ind_id"), ALL_IDS)
def test_every_indicator_has_a_rule(registry, ind_id):
    ind = REGISTRIES[registry].indicator(ind_id)
    assert ind_id in RULES or ind.kind in KINDS, f"{ind_id}: no rule for kind {ind.kind}"
    assert inputs_of(ind), f"{ind_id}: the rule declares no inputs"


@pytest.mark.parametrize("registry", REGISTRIES)
def test_one_row_per_county_year_and_indicator(registry, evaluated):
    ev = evaluated[registry]
    reg = REGISTRIES[registry]
    items = ev.items
    assert not items.duplicated(["county_id", "year", "id"]).any()
    assert set(items["id"]) == {i.id for i in reg.indicators}
    per = items.groupby(["county_id", "year"]).size()
    assert (per == len(reg.indicators)).all()
    assert set(items["status"]) <= {"met", "not_met", "not_assessed"}
    assert len(ev.vetoes) == len(per) * len(reg.vetoes)
    assert len(ev.verdict) == len(per)


def _without(tables: dict[str, pd.DataFrame], inputs: dict[str, tuple[str, ...]]):
    out = dict(tables)
    for table, columns in inputs.items():
        if table not in out:
            continue
        if not columns or table != "schools" and set(columns) >= set(out[table].columns) - {
                "year", "county_id"}:
            out.pop(table)
        else:
            out[table] = out[table].drop(columns=[c for c in columns if c in out[table]])
    return out


@pytest.mark.parametrize(("registry", "ind_id"), ALL_IDS)
def test_a_missing_input_is_never_met(registry, ind_id, sample, evaluated):
    reg = REGISTRIES[registry]
    ind = reg.indicator(ind_id)
    before = evaluated[registry].items
    assert (before["id"] == ind_id).any()
    ev = evaluate(_without(sample[registry], inputs_of(ind)), Settings(), reg, only=[ind_id])
    status = ev.items.loc[ev.items["id"] == ind_id, "status"]
    assert len(status) == 4 and (status != "met").all(), status.tolist()
    # a missing unit numerator counts as 0 (not met); B25 may still fail on the schools' flags
    if ind.kind != "unit_ratio" and ind_id != "B25":
        assert (status == "not_assessed").all(), status.tolist()


# ---------------------------------------------------------------------------------------------
# exactly at the threshold


def _school(**kw):
    row = dict(year=2024, county_id="", school_id="S1", school_name="一小",
               school_type="primary", area_type="urban", students_primary=1000.0,
               students_junior=0.0, students_senior=0.0, teachers_primary=60.0,
               teachers_junior=0.0)
    row.update(kw)
    return row


GENERIC = [(name, ind.id) for name, reg in REGISTRIES.items() for ind in reg.indicators
           if ind.kind in ("school_ratio", "county_ratio") and ind.direction == "ge"
           and ind.id not in RULES]


@pytest.mark.parametrize(("registry", "ind_id"), GENERIC)
def test_exactly_at_the_threshold_is_met(registry, ind_id):
    """Data built from the registry so that every part's value equals its threshold."""
    reg = REGISTRIES[registry]
    ind = reg.indicator(ind_id)
    school = _school()
    county = {"year": 2024, "county_id": ""}
    judgements = []
    if ind.kind == "school_ratio":
        thr = ind.threshold()
        types = ind.applies_to.get("school_types")
        if types:
            school["school_type"] = types[0]
        den_cols = [c for c, _ in ind.denominator]
        for c in den_cols:
            school[c] = 0.0
        school[den_cols[0]] = 700.0
        school[ind.numerator[0][0]] = thr * 700.0
    for part in ind.parts:
        if part.judged:
            judgements.append({"year": 2024, "county_id": "", "item_id": part.judgement_item,
                               "met": True})
            continue
        thr = ind.threshold(part.threshold_key)
        den = 1.0
        if part.denominator:  # a denominator another part already set keeps its value (B18)
            first = part.denominator[0][0]
            for c, _ in part.denominator[1:]:
                county.setdefault(c, 0.0)
            den = county.setdefault(first, 1000.0)
        for c, _ in part.numerator[1:]:
            county.setdefault(c, 0.0)
        county[part.numerator[0][0]] = thr * den
    tables = {"schools": pd.DataFrame([school]), "county": pd.DataFrame([county])}
    if judgements:
        tables["judgements"] = pd.DataFrame(judgements).astype({"met": "boolean"})
    ev = evaluate(tables, Settings(), reg)
    row = ev.items[ev.items["id"] == ind_id].iloc[0]
    assert row["status"] == "met", (ind_id, row["value"], row["threshold"])
    assert np.isclose(row["value"], row["threshold"])


# ---------------------------------------------------------------------------------------------
# the ledger


@pytest.mark.parametrize("registry", REGISTRIES)
def test_the_ledger_names_a_department_for_every_failing_indicator(registry, sample,
                                                                   evaluated):
    reg = REGISTRIES[registry]
    frames = make_ledger(sample[registry], Settings(), reg, evaluation=evaluated[registry])
    indicators = frames.ledger[~frames.ledger["indicator"].str.startswith("V")]
    assert len(indicators)
    assert (indicators["responsible"] != "").all()
    for ind_id, g in indicators.groupby("indicator"):
        expected = "、".join(reg.indicator(ind_id).responsible_units)
        assert (g["responsible"] == expected).all(), ind_id
    if registry == "province-example":
        assert {"P1", "P2"} <= set(frames.ledger["indicator"])
