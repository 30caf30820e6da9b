# iro-disputes: `make run` to try it, `make test` to check it. `make help` lists the rest.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
export IRO_DISPUTES_DATA_DIR ?= $(CURDIR)/data

.DEFAULT_GOAL := help
.PHONY: help run test lint typecheck unit integration browser bench services system-deps clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(INSTALLED) ## Create the virtual environment and install everything

run: $(INSTALLED) ## Set up a local SQLite database with demo data and serve on http://127.0.0.1:8000
	$(BIN)/iro-disputes db upgrade
	$(BIN)/iro-disputes demo --if-empty --open-at http://127.0.0.1:8000
	$(BIN)/iro-disputes serve --host 127.0.0.1 --port 8000

test: $(INSTALLED) services lint typecheck ## Lint, type-check and run every test (SQLite and PostgreSQL)
	$(BIN)/pytest --cov --cov-report=term:skip-covered -p no:cacheprovider

lint: $(INSTALLED) ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(INSTALLED) ## mypy
	$(BIN)/mypy escalation_rules workflow notifications api

unit: $(INSTALLED) ## Only the fast unit tests
	$(BIN)/pytest tests/unit -q

services: ## Start PostgreSQL if it is installed and down
	@scripts/ensure-services

system-deps: ## Install the system packages the tests need (root; used by CI)
	@scripts/system-deps

bench: $(INSTALLED) services ## Run the benchmarks in bench/ (figures go in the README)
	$(BIN)/python -m bench

clean: ## Remove the virtual environment and local data
	rm -rf $(VENV) data .mypy_cache .ruff_cache .pytest_cache .hypothesis .coverage
