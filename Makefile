# fintract — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv

.DEFAULT_GOAL := help

.PHONY: help
help:  ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

.PHONY: setup
setup: $(BIN)/python  ## Create .venv and install the pinned dependencies (requirements.lock)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv==0.13.9
	$(UV) pip install -q --python $(BIN)/python -r requirements.lock
	$(MAKE) native

.PHONY: native
native:  ## (Re)compile the statement engine's hot modules with mypyc (setup.py; pure Python without a C compiler)
	$(UV) pip install -q --python $(BIN)/python --no-deps --no-build-isolation --reinstall-package fintract -e .

.PHONY: lock
lock:  ## Re-resolve requirements.lock from pyproject.toml
	$(UV) pip compile -q pyproject.toml --extra dev -o requirements.lock --python-version 3.11

.PHONY: protos
protos:  ## Regenerate fintract/api from protos/ (committed; a test fails when stale)
	PYTHON=$(BIN)/python scripts/gen_protos.sh

.PHONY: lint
lint:  ## ruff, mypy (strict) and the import-linter architecture contracts
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy services gateway fintract
	$(BIN)/lint-imports

.PHONY: format
format:  ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

.PHONY: test
test:  ## Run the whole test suite against the real Redis, NATS and PostgreSQL
	$(BIN)/pytest -q

.PHONY: up
up:  ## Start every service and the gateway on this machine (Ctrl-C stops them)
	$(BIN)/fintract up

.PHONY: bench
bench:  ## Benchmarks: pipeline latency/throughput, gateway overhead, engines' speed
	$(BIN)/python -m bench

.PHONY: eval
eval:  ## Extraction accuracy on generated documents and the shared corpus
	$(BIN)/python -m bench.eval

.PHONY: all
all: lint test  ## What CI runs after setup
