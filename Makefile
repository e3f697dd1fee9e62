VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3

.PHONY: install run test lint format docs bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/tessera serve --demo

test: install
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# docs/expressions.md is generated from the function library; the test suite checks it is current.
docs: install
	$(BIN)/tessera functions docs --output docs/expressions.md

# Throughput of the dynamic API against a hand-written baseline (needs wrk and PostgreSQL).
bench: install
	./bench/prepare-tools
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) tessera.db tessera.db.tenants .pytest_cache .ruff_cache
