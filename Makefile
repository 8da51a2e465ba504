# The shop's two everyday commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_TEST_URL ?= postgresql://localhost/test
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint format install translations system-packages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[test]'
	touch $@

install: $(VENV)/.installed translations

# Compiled message catalogues are built, not committed.
translations: $(VENV)/.installed
	$(BIN)/pybabel -q compile -d shop/translations

## Start the shop on SQLite at http://127.0.0.1:5000 with a demo shop to try.
run: install
	$(BIN)/flask --app wsgi demo
	$(BIN)/flask --app wsgi run --host $(HOST) --port $(PORT)

system-packages:
	./scripts/system-packages

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Lint, then the whole suite on SQLite and again on PostgreSQL (required when CI=true).
test: install system-packages lint
	$(BIN)/pytest
	@if [ "$${CI:-}" = "true" ] || $(BIN)/python -c "import psycopg; psycopg.connect('$(PG_TEST_URL)', connect_timeout=3).close()" 2>/dev/null; then \
		echo "== the suite again on PostgreSQL ($(PG_TEST_URL)) =="; \
		SHOP_TEST_DATABASE=$(PG_TEST_URL) $(BIN)/pytest; \
	else \
		echo "PostgreSQL at $(PG_TEST_URL) is not reachable: the PostgreSQL run is skipped."; \
	fi

## Update the message catalogue after changing visible text.
messages: install
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext --no-location --project shop -o shop/translations/messages.pot .
	$(BIN)/pybabel -q update -i shop/translations/messages.pot -d shop/translations --no-fuzzy-matching -w 100

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache tests/artifacts
