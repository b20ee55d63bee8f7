# Quick start: `make demo` (set up + run the demo), `make test` (set up + run the tests).
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: setup demo test lint format bench mutation

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

demo: setup
	$(BIN)/openimis-dhis2 demo --dir demo

test: setup
	$(BIN)/pytest -n 2

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Mutation testing (mutmut 3, config in pyproject.toml [tool.mutmut]; docs/mutation.md); slow, not run by CI.
# ~1,700 mutants: adx.dhis2 ~7 min, aggregations over an hour on 2 busy cores (a surviving mutant there costs
# every compute test). Results are kept in mutants/ and an interrupted run resumes.
# `make mutation MUTANTS='adx.dhis2.*'` restricts the run; `mutmut results` lists survivors, `mutmut show NAME`
# shows one, tools/mutation_score.py prints killed / survived / timeout / no tests per module.
MUTANTS ?=
mutation: setup
	OPENIMIS_SHARED_DIR=$(abspath $(or $(OPENIMIS_SHARED_DIR),../shared)) $(BIN)/mutmut run --max-children 2 $(MUTANTS)
	$(BIN)/python tools/mutation_score.py
