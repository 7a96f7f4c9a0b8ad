"""The verdict (contract §3): every combination of failures, vetoes and missing items."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from balance_lib.indicators import explain
from balance_lib.indicators.verdict import verdict as verdict_rule
from balance_lib.registry import id_ranges, load_registry

REG = load_registry()


def units(passes=True) -> pd.DataFrame:
    return pd.DataFrame({"county_id": ["", ""], "year": [2024, 2024], "passes": [True, passes]})


def variation(cv_met=True) -> pd.DataFrame:
    return pd.DataFrame({"county_id": [""], "year": [2024], "indicator": ["B5"],
                         "level": ["primary"], "cv": [0.42 if cv_met else 0.61], "limit": [0.5],
                         "met": [cv_met]})


def items(status=None) -> pd.DataFrame:
    status = status or {}
    return pd.DataFrame([{"county_id": "", "year": 2024, "id": i.id,
                          "status": status.get(i.id, "met")} for i in REG.indicators])


def vetoes(triggered=None, pending=()) -> pd.DataFrame:
    triggered = triggered or set()
    rows = []
    for v in REG.vetoes:
        if v.id in pending:
            t, st = pd.NA, "not_assessed"
        elif v.id == "V8":
            t, st = pd.NA, "disabled"
        else:
            t = v.id in triggered
            st = "triggered" if t else "not_triggered"
        rows.append({"county_id": "", "year": 2024, "id": v.id, "triggered": t, "status": st})
    f = pd.DataFrame(rows)
    f["triggered"] = f["triggered"].astype("boolean")
    return f


def verdict(u, var, its, vets):
    (row,) = verdict_rule(u, var, its, vets, REG).itertuples(index=False)
    ev = SimpleNamespace(registry=REG, verdict=pd.DataFrame([row._asdict()]))
    (reasons,) = explain.verdict_reasons(ev, "en")
    return row.status, reasons


def test_everything_met_and_no_veto_meets():
    assert verdict(units(), variation(), items(), vetoes()) == ("meets", [])


def test_a_disabled_veto_does_not_leave_the_verdict_incomplete():
    status, _ = verdict(units(), variation(), items(), vetoes())
    assert status == "meets"


def test_a_triggered_veto_overrides_all_met():
    status, reasons = verdict(units(), variation(), items(), vetoes(triggered={"V3"}))
    assert status == "does_not_meet"
    assert reasons == ["vetoes triggered: V3"]


@pytest.mark.parametrize("missing", [{"B27": "not_assessed"}, {"B32": "not_assessed"}])
def test_not_assessed_never_becomes_met(missing):
    status, reasons = verdict(units(), variation(), items(missing), vetoes())
    assert status == "incomplete"
    assert reasons == [f"not assessed: {next(iter(missing))}"]


def test_a_pending_veto_makes_it_incomplete():
    status, reasons = verdict(units(), variation(), items(), vetoes(pending=("V5", "V6")))
    assert (status, reasons) == ("incomplete", ["not assessed: V5–V6"])


def test_failures_win_over_missing_items_and_every_reason_is_listed():
    status, reasons = verdict(units(passes=False), variation(cv_met=False),
                              items({"B12": "not_met", "B27": "not_assessed", "B4": "not_met"}),
                              vetoes(triggered={"V1"}, pending=("V5",)))
    assert status == "does_not_meet"
    assert reasons[0] == ("1 of 2 units fail the school rule (≥ 6 of 7 met, the rest ≥ 85%)")
    assert reasons[1] == "B5 primary CV 0.610 > 0.50"
    assert reasons[2] == "indicators not met: B12"  # B4 is said by the units and CVs
    assert reasons[3] == "vetoes triggered: V1"
    assert len(reasons) == 4  # not-assessed items are not reasons of a failure


def test_a_resource_failure_alone_does_not_meet():
    assert verdict(units(passes=False), variation(), items(), vetoes())[0] == "does_not_meet"
    assert verdict(units(), variation(cv_met=False), items(), vetoes())[0] == "does_not_meet"


def test_chinese_reasons():
    (row,) = verdict_rule(units(passes=False), variation(cv_met=False), items(), vetoes(),
                          REG).itertuples(index=False)
    ev = SimpleNamespace(registry=REG, verdict=pd.DataFrame([row._asdict()]))
    assert explain.verdict_reasons(ev, "zh")[0] == [
        "1 / 2 个评估单位未达到学校标准（≥6 项达标且其余 ≥85%）", "B5 小学差异系数 0.610 > 0.50"]


def test_id_ranges():
    assert id_ranges(["B8", "B9", "B10", "B12", "V1", "V2"]) == "B8–B10, B12, V1–V2"
