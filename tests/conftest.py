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



#: Files whose tests share nothing expensive (no module fixtures, no notebook kernel): under
#: ``-n N --dist loadscope`` their tests are spread over every worker one by one. Every other
#: file (and each nbval notebook, whose cells must run in order in one kernel) stays whole on
#: one worker, so its module fixtures are built once.
SPREAD = {"test_indicators.py", "test_fuzz.py", "test_golden.py", "test_hostile.py"}


def pytest_xdist_make_scheduler(config, log):
    """``--dist loadscope`` scheduling by file, except the files of :data:`SPREAD` (test by
    test). Other ``--dist`` modes keep xdist's own scheduling."""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class FileOrTest(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            file = nodeid.split("::", 1)[0]
            return nodeid if Path(file).name in SPREAD else file

    return FileOrTest(config, log)
