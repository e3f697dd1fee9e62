VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3

.PHONY: install run test lint format docs bench bench-rules clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/tessera serve --demo

test: install
	$(BIN)/pytest -q -n auto

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

# Throughput of the dynamic API against a hand-written baseline (needs wrk and PostgreSQL),
# then the rules engine's benchmarks (see bench-rules), then another tenant's latency while
# one tenant sends its worst bulk (docs/limits.md), then reads under record sharing
# (docs/sharing.md).
bench: install
	./bench/prepare-tools
	$(BIN)/python bench/run.py
	$(BIN)/python bench/expressions.py
	$(BIN)/python bench/save_rules.py
	$(BIN)/python bench/tenant_isolation.py --compare
	$(BIN)/python bench/sharing.py

# The rules engine alone: expression evaluation, and saves with rules against saves without
# (about a minute and a half; needs PostgreSQL, not wrk).
bench-rules: install
	./.ci/start-postgresql
	$(BIN)/python bench/expressions.py
	$(BIN)/python bench/save_rules.py

clean:
	rm -rf $(VENV) tessera.db tessera.db.tenants tessera.db.demo-key tessera.db.files .pytest_cache .ruff_cache
