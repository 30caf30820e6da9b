# iro-disputes: `make run` to try it, `make test` to check it. `make help` lists the rest.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
export IRO_DISPUTES_DATA_DIR ?= $(CURDIR)/data

.DEFAULT_GOAL := help
.PHONY: help run test lint typecheck imports deps audit lock unit integration browser bench services system-deps clean
# Test processes: one per core by default (each is its own pytest session with its own
# PostgreSQL database and temporary folders). `make test WORKERS=0` runs in one process.
WORKERS ?= auto

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(INSTALLED): pyproject.toml requirements/dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements/dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

install: $(INSTALLED) ## Create the virtual environment and install everything

run: $(INSTALLED) ## Set up a local SQLite database with demo data and serve on http://127.0.0.1:8000
	$(BIN)/iro-disputes db upgrade
	$(BIN)/iro-disputes demo --if-empty --open-at http://127.0.0.1:8000
	$(BIN)/iro-disputes serve --host 127.0.0.1 --port 8000

test: $(INSTALLED) services lint typecheck imports deps ## Lint, type-check, check the arrows and run every test
	$(BIN)/pytest -n $(WORKERS) --cov --cov-report=term:skip-covered -p no:cacheprovider

lint: $(INSTALLED) ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(INSTALLED) ## mypy
	$(BIN)/mypy escalation_rules workflow notifications council_data api bench

imports: $(INSTALLED) ## import-linter: api -> notifications | council_data -> workflow -> escalation_rules
	$(BIN)/lint-imports

deps: $(INSTALLED) ## deptry: every import declared, every dependency used
	$(BIN)/deptry .

audit: $(INSTALLED) ## pip-audit the locked dependencies (says so when it cannot reach its source)
	@scripts/audit

lock: $(INSTALLED) ## Re-pin every dependency with hashes after editing pyproject.toml
	$(BIN)/uv pip compile pyproject.toml --generate-hashes --universal --python-version 3.11 -q -o requirements/app.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra bench --generate-hashes --universal --python-version 3.11 -q -o requirements/dev.lock

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
