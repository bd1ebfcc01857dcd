# Every target works from a fresh clone: the first one run creates .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.bench-installed
STUDENTS ?= 30000
PYTEST_WORKERS ?= 2

.PHONY: all demo demo-stop test lint unit bench clean services

all: test

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The whole nightly pipeline on a generated university and the built-in Moodle simulator.
demo: $(STAMP)
	$(BIN)/python -m jonction.demo

demo-stop: $(STAMP)
	$(BIN)/python -m jonction.demo --stop

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

services:
	./scripts/ensure-services
	./scripts/ensure-test-tools

test: $(STAMP) lint services
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup

unit: $(STAMP)
	$(BIN)/pytest tests/unit -q

# A whole night at university scale against the simulator (docs/performance.md);
# `make bench STUDENTS=3000` for a smaller one.
$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python -m bench.run --students $(STUDENTS)

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache build
