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
# Whole scope: about 30-40 min on 2 busy cores (generation ~30 s, stats ~2 min, ~1,700 mutants); results are
# kept in mutants/ and a re-run only tests what changed. `make mutation MUTANTS='adx.dhis2.*'` restricts the
# run (~7 min); `mutmut results` lists survivors, `mutmut show NAME` shows one.
MUTANTS ?=
mutation: setup
	OPENIMIS_SHARED_DIR=$(abspath $(or $(OPENIMIS_SHARED_DIR),../shared)) $(BIN)/mutmut run --max-children 2 $(MUTANTS)
	$(BIN)/python tools/mutation_score.py
