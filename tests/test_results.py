"""The verdict (contract §3): every combination of failures, vetoes and missing items."""

from __future__ import annotations

import pandas as pd
import pytest

from balance_lib.engine import ResourceResult
from balance_lib.registry import load_registry
from balance_lib.results import id_ranges, verdict_records

REG = load_registry()
IDS = tuple(i.id for i in REG.resource_indicators)


def resources(passes=True, cv_met=True) -> ResourceResult:
    units = pd.DataFrame({"county_id": ["", ""], "passes": [True, passes]})
    variation = pd.DataFrame({"county_id": [""], "indicator": ["B5"], "level": ["primary"],
                              "cv": [0.42 if cv_met else 0.61], "limit": [0.5], "met": [cv_met]})
    return ResourceResult(units=units, variation=variation, indicator_ids=IDS)


def records(status=None):
    status = status or {}
    return [{"county_id": "", "id": i.id, "status": status.get(i.id, "met")} for i in REG.indicators]


def vetoes(triggered=None, pending=()):
    triggered = triggered or set()
    return [{"county_id": "", "id": v.id,
             "triggered": None if v.id in pending or v.id == "V8" else v.id in triggered,
             "status": "not_assessed" if v.id in pending else
             ("disabled" if v.id == "V8" else ("triggered" if v.id in triggered else "not_triggered"))}
            for v in REG.vetoes]


def verdict(res, recs, vets):
    (out,) = verdict_records(recs, vets, res, REG, "en")
    return out["status"], out["reasons"]


def test_everything_met_and_no_veto_meets():
    assert verdict(resources(), records(), vetoes()) == ("meets", [])


def test_a_disabled_veto_does_not_leave_the_verdict_incomplete():
    status, _ = verdict(resources(), records(), vetoes())
    assert status == "meets"


def test_a_triggered_veto_overrides_all_met():
    status, reasons = verdict(resources(), records(), vetoes(triggered={"V3"}))
    assert status == "does_not_meet"
    assert reasons == ["vetoes triggered: V3"]


@pytest.mark.parametrize("missing", [{"B27": "not_assessed"}, {"B32": "not_assessed"}])
def test_not_assessed_never_becomes_met(missing):
    status, reasons = verdict(resources(), records(missing), vetoes())
    assert status == "incomplete"
    assert reasons == [f"not assessed: {next(iter(missing))}"]


def test_a_pending_veto_makes_it_incomplete():
    status, reasons = verdict(resources(), records(), vetoes(pending=("V5", "V6")))
    assert (status, reasons) == ("incomplete", ["not assessed: V5–V6"])


def test_failures_win_over_missing_items_and_every_reason_is_listed():
    status, reasons = verdict(resources(passes=False, cv_met=False),
                              records({"B12": "not_met", "B27": "not_assessed"}),
                              vetoes(triggered={"V1"}, pending=("V5",)))
    assert status == "does_not_meet"
    assert reasons[0].startswith("1 of 2 units fail the school rule")
    assert reasons[1] == "B5 primary CV 0.610 > 0.50"
    assert reasons[2] == "indicators not met: B12"
    assert reasons[3] == "vetoes triggered: V1"
    assert len(reasons) == 4  # not-assessed items are not reasons of a failure


def test_a_resource_failure_alone_does_not_meet():
    assert verdict(resources(passes=False), records(), vetoes())[0] == "does_not_meet"
    assert verdict(resources(cv_met=False), records(), vetoes())[0] == "does_not_meet"


def test_id_ranges():
    assert id_ranges(["B8", "B9", "B10", "B12", "V1", "V2"]) == "B8–B10, B12, V1–V2"
