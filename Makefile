# Quick start: `make demo` (set up + run the demo), `make test` (set up + run the tests).
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: setup demo test check lint typecheck format bench mutation

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

# The quality gate, run by .ci/run before the tests: lint, formatting, types (config in pyproject.toml).
check: lint typecheck

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# strict on the libraries, bodies checked in pipelines/bench/tools; cache in .mypy_cache (warm: ~20 s)
typecheck: setup
	$(BIN)/mypy

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Benchmarks in their quick sizes (each prints its figures and the ratio to a floor measured in the
# same run; generate/aggregate/anonymise need the PostgreSQL at 127.0.0.1). Full sizes: run the script
# with its defaults, e.g. `.venv/bin/python bench/generate.py --help`.
bench: setup
	$(BIN)/python bench/serialize.py --values 50000
	$(BIN)/python bench/dhis2_client.py 50000 2000
	$(BIN)/python bench/generate.py --preset small
	$(BIN)/python bench/anonymise.py --insurees 5000
	$(BIN)/python bench/aggregate.py --preset small --months 3 --singles 3
	$(BIN)/python bench/pipelines_range_run.py --preset small --months 3

# Mutation testing (mutmut 3, config in pyproject.toml [tool.mutmut]); slow, not run by CI.
# `make mutation MUTANTS='adx.dhis2.sync.*'` restricts the run; `mutmut results` lists survivors.
MUTANTS ?=
mutation: setup
	OPENIMIS_SHARED_DIR=$(abspath $(or $(OPENIMIS_SHARED_DIR),../shared)) $(BIN)/mutmut run --max-children 2 $(MUTANTS)
	$(BIN)/mutmut results
