# balance: two commands on a fresh machine
#   make demo   set up .venv, evaluate the (synthetic) sample county, write its ledger, forms
#               and 自评报告 draft, run a scenario, plan, render the reports (the index links them)
#   make test   set up .venv and run the test suite (the slow tests: make test-slow)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SCENARIOS := $(sort $(wildcard params/scenarios/*.yaml))
REPORT := $(BIN)/balance report data/sample --years 2022-2025 --schools all --out outputs \
          $(addprefix --scenario ,$(SCENARIOS)) --plan 2029

.PHONY: setup demo test test-slow lab sample bench report clean
.DEFAULT_GOAL := demo

setup: $(STAMP)

# Re-install only when the project's dependency list changes; quick when already done.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,notebooks]"
	$(BIN)/python -m ipykernel install --sys-prefix --name balance --display-name "balance (.venv)" >/dev/null
	@touch $(STAMP)

demo: setup
	$(BIN)/balance validate data/sample --strict
	$(BIN)/balance evaluate data/sample --year 2025
	$(BIN)/balance ledger data/sample --from 2022 --to 2025 --output outputs/ledger.xlsx
	$(BIN)/balance forms data/sample --year 2025 --output outputs/forms-2025.xlsx
	$(BIN)/balance selfreport data/sample --year 2025 --output outputs/selfreport-2025.docx
	$(BIN)/balance scenario data/sample --scenario params/scenarios/new-school-2026.yaml
	$(BIN)/balance plan data/sample --by 2029 --output outputs/plan.yaml
	$(BIN)/balance scenario data/sample --scenario outputs/plan.yaml
	$(REPORT)

# Every core (pytest-xdist); --dist loadscope keeps each file on one process (its module
# fixtures built once, an nbval notebook's cells in order in one kernel) except the files
# tests/conftest.py spreads (SPREAD). `make test` leaves out the slow, browser and office
# tests; `make test-slow` runs those; CI runs both. --durations lists the slowest tests at the
# end (where the 5-minute budget of `make test` goes).
PYTEST := $(BIN)/python -m pytest -q -n auto --dist loadscope --durations=25
test: setup
	$(PYTEST) -m "not slow and not browser and not office"

test-slow: setup
	$(PYTEST) -m "slow or browser or office"

lab: setup
	$(BIN)/jupyter lab --notebook-dir=notebooks

sample: setup
	$(BIN)/python -m balance_lib.sample data/sample

bench: setup
	$(BIN)/python benchmarks/engine.py
	$(BIN)/python benchmarks/reports.py
	$(BIN)/python benchmarks/scenario.py
	$(BIN)/python benchmarks/unit_items.py
	$(BIN)/python benchmarks/validate_memory.py
	$(BIN)/python benchmarks/plan.py

report: setup
	$(REPORT)

clean:
	rm -rf $(VENV) .pytest_cache
	find . -name __pycache__ -prune -exec rm -rf {} +
