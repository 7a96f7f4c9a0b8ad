"""Session fixtures shared by the document tests (forms, 自评报告 draft, index links): the
sample county and the multi-county fixture, loaded and evaluated once."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def sample_county():
    """data/sample: its tables and its evaluation of every year (with its own settings.yaml:
    the county's name and milestones, as the commands read them)."""
    from balance_lib.indicators import evaluate
    from balance_lib.io import load_county
    from balance_lib.settings import load_settings

    path = ROOT / "data" / "sample"
    tables = load_county(path).tables
    return tables, evaluate(tables, load_settings(data=path))


@pytest.fixture(scope="session")
def multi_county():
    """tests/fixtures/multi: its tables and its evaluation of every year."""
    from balance_lib.indicators import evaluate
    from balance_lib.io import load_county

    tables = load_county(ROOT / "tests" / "fixtures" / "multi").tables
    return tables, evaluate(tables)


@pytest.fixture(scope="session")
def tiny_county():
    """tests/fixtures/tiny: its tables and its evaluation of every year."""
    from balance_lib.indicators import evaluate
    from balance_lib.io import load_county

    tables = load_county(ROOT / "tests" / "fixtures" / "tiny").tables
    return tables, evaluate(tables)
