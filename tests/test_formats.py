"""balance_lib.formats: one value prints the same in the terminal, the reports and the workbooks.

Hand values (rounding half away from zero at the .5 edges, also where binary floats are a hair
below), decimals per unit from the registry, and the same string for the same value in the
terminal (textout), the HTML tables (report), the sentences (explain) and the workbook (excel's
number format as a spreadsheet shows it).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from balance_lib import formats
from balance_lib.excel import shown, value_format
from balance_lib.registry import load_registry
from balance_lib.settings import Settings

REG = load_registry()


@pytest.mark.parametrize("x, d, text", [
    (0.1865, 3, "0.187"),        # binary 0.18649999…: still half up
    (0.1865001, 3, "0.187"),
    (0.186499, 3, "0.186"), (0.1864996, 3, "0.187"),  # 6 stored decimals first
    (2.675, 2, "2.68"),          # binary 2.67499999…
    (1.005, 2, "1.01"),
    (0.5, 0, "1"), (1.5, 0, "2"), (2.5, 0, "3"),   # not banker's rounding
    (-2.5, 0, "-3"), (-0.004, 2, "0.00"),         # no "-0.00"
    (2145.5, 0, "2,146"), (1234567.891, 2, "1,234,567.89"),
    (0.0, 3, "0.000"), (999.9995, 3, "1,000.000"),
])
def test_hand_values_round_half_away_from_zero(x, d, text):
    assert formats.number(x, d) == text


def test_the_json_value_and_the_unrounded_value_print_the_same():
    # the JSON keeps 6 decimals (results.DIGITS): formatting either gives the same text
    from balance_lib.results import DIGITS, json_number

    assert formats.STORED_DECIMALS == DIGITS
    rng = np.random.default_rng(13)
    xs = np.concatenate([rng.uniform(0, 1, 2000), np.arange(0, 1, 0.0005) + 0.00005])
    raw = formats.cvs(xs, 3)
    stored = formats.cvs([json_number(x) for x in xs], 3)
    assert raw == stored


def test_missing_values_and_signs():
    assert formats.numbers([None, math.nan, math.inf, pd.NA], 2) == ["—"] * 4
    assert formats.count(3, sign=True) == "+3" and formats.count(0, sign=True) == "0"
    assert formats.percent(0.0123, 1, sign=True) == "+1.2%"
    with pytest.raises(ValueError, match="decimals"):
        formats.number(1.0, 7)


@pytest.mark.parametrize("ind, x, text", [
    ("B1", 5.126, "5.13"), ("B3", 0.9, "0.90"), ("B4", 4.5, "4.50"), ("B5", 10.2, "10.20"),
    ("B6", 3115.545, "3,116"), ("B6", 2000.0, "2,000"), ("B7", 2.345, "2.35"),
    ("B11", 2145.5, "2,146"), ("B12", 53.63, "53.6"), ("B14", 5999.5, "6,000"),
    ("B15", 1.0, "1.00"), ("B16", 0.955, "95.5%"), ("B31", 0.1499, "0.150"),
])
def test_indicator_values_take_their_units_decimals(ind, x, text):
    assert formats.value(x, REG.indicator(ind), REG) == text


def test_limits_cvs_and_settings():
    assert [formats.limit(REG.cv_limit(lv), REG) for lv in ("primary", "junior")] == ["0.50", "0.45"]
    assert formats.cv(0.51534, Settings()) == "0.515"
    assert formats.cv(0.51534, Settings(cv_display_decimals=2)) == "0.52"


def test_an_extension_may_set_its_own_decimals(tmp_path):
    from balance_lib.registry import RegistryError

    f = tmp_path / "p.yaml"
    f.write_text("indicators:\n  - {id: B6, decimals: 1}\n", encoding="utf-8")
    reg = load_registry(extensions=[f])
    assert formats.value(3115.545, reg.indicator("B6"), reg) == "3,115.5"
    f.write_text("indicators:\n  - {id: B6, decimals: 9}\n", encoding="utf-8")
    with pytest.raises(RegistryError, match="decimals: expected a whole number 0–6"):
        load_registry(extensions=[f])


def test_excel_formats_show_what_the_reports_show():
    cases = [("B6", "unit", 3115.545), ("B4", "unit", 4.499999), ("B16", "county", 0.955),
             ("B12", "school", 53.65), ("B5", "variation", 0.1865001)]
    for ind, scope, x in cases:
        fmt = value_format(ind, scope, REG)
        expected = (formats.cv(x) if scope == "variation"
                    else formats.value(x, REG.indicator(ind), REG))
        assert shown(x, fmt) == expected, (ind, fmt)


def test_the_same_cv_prints_the_same_in_terminal_html_and_sentences():
    """The issue's 0.186 / 0.187: one CV of 0.1865001 in every place it is shown."""
    from balance_lib import report as rp
    from balance_lib.indicators import evaluate
    from balance_lib.paths import SAMPLE_DIR
    from balance_lib.results import build_evaluation
    from balance_lib.textout import render_evaluation

    data = rp.load(SAMPLE_DIR)
    ev = evaluate(data.county.tables, data.settings, data.registry, years=[2025])
    var = ev.variation
    row = var[(var.level == "junior") & (var.indicator == "B7")].iloc[0]
    cv_text = formats.cv(row.cv, data.settings)
    result = build_evaluation(ev, 2025)
    terminal = render_evaluation(result, data.registry)
    html = rp.table_html(rp.resource_table(var[var.year == 2025], data.registry, "junior"))
    b7 = next(i for i in result["indicators"] if i["id"] == "B7")
    assert cv_text in terminal and cv_text in html and cv_text in b7["detail"]
    others = {formats.number(row.cv, 3, thousands=False)} - {cv_text}
    assert not others


# --- texts that quote figures: the sample scenarios' descriptions quote inputs only ---------

#: Numbers a description may use that are not fields of its changes (a 200-metre track).
DESCRIPTIVE = {"rural-expansion-2027": {200.0}}


def _numbers_of(value) -> set[float]:
    if isinstance(value, bool):
        return set()
    if isinstance(value, (int, float)):
        return {float(value), round(float(value) * 100, 6)}  # shares also as percentages
    if isinstance(value, dict):
        return set().union(*(_numbers_of(v) for v in value.values()), set())
    if isinstance(value, list):
        return set().union(*(_numbers_of(v) for v in value), set())
    return set()


@pytest.mark.parametrize("name", ["new-school-2026", "combined-plan-2028",
                                  "rural-expansion-2027"])
def test_scenario_descriptions_quote_no_computed_figure(name):
    """A description that quotes results goes stale (the issue's "2145 → 1684, B5 0.473"
    against a table of 2146 and 0.474): every number in it is an input of its file — a
    year, a grade, an amount or a share of a change — so it can never disagree with the
    results below it."""
    import re

    import yaml

    from balance_lib.paths import PROJECT_ROOT

    raw = yaml.safe_load((PROJECT_ROOT / "params" / "scenarios" / f"{name}.yaml")
                         .read_text(encoding="utf-8"))
    allowed = _numbers_of(raw["changes"]) | _numbers_of(raw.get("projection", {}))
    allowed |= {float(g) for g in range(1, 10)} | DESCRIPTIVE.get(name, set())
    quoted = {float(x.replace(",", "")) for x in
              re.findall(r"(?<![A-Za-z\d.])\d[\d,]*(?:\.\d+)?", raw.get("description", ""))}
    assert quoted - allowed == set(), f"{name}: figures not among its inputs"
