# The shop's two everyday commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_TEST_URL ?= postgresql://localhost/test
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test reliability lint format install translations system-packages clean bench

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

## Lint, then the whole suite on SQLite and again on PostgreSQL (required when CI=true): the
## second pass runs the tests that reach the database (the rest does the same on either),
## each spread over the machine's cores (pytest-xdist; at most 4 processes: every test has
## its own database, each process its own server, browser and PostgreSQL database).
TEST_PROCESSES ?= -n auto --maxprocesses=4
test: install system-packages lint
	$(BIN)/pytest $(TEST_PROCESSES)
	@if [ "$${CI:-}" = "true" ] || $(BIN)/python -c "import psycopg; psycopg.connect('$(PG_TEST_URL)', connect_timeout=3).close()" 2>/dev/null; then \
		echo "== the suite again on PostgreSQL ($(PG_TEST_URL)), the tests that reach the database =="; \
		SHOP_TEST_DATABASE=$(PG_TEST_URL) SHOP_TEST_DATABASE_ONLY=1 $(BIN)/pytest $(TEST_PROCESSES); \
	else \
		echo "PostgreSQL at $(PG_TEST_URL) is not reachable: the PostgreSQL run is skipped."; \
	fi

## Crash gunicorn mid-sale, race counters, fuzz with hostile text, try cross-member reads and
## restore a backup, on SQLite and PostgreSQL (if reachable); figures in reliability/results.md.
reliability: install
	PG_TEST_URL=$(PG_TEST_URL) $(BIN)/python -m reliability

## Update the message catalogue after changing visible text.
messages: install
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext --no-location --project shop -o shop/translations/messages.pot .
	$(BIN)/pybabel -q update -i shop/translations/messages.pot -d shop/translations --no-fuzzy-matching -w 100

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache tests/artifacts

$(VENV)/.bench-installed: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[test,bench]'
	touch $@

## Measure the shop's real work on a large generated shop against a floor; prints the table
## and writes bench/results.md. BENCH_SCALE=1: the full three years, about 120,000 sales
## (its first import takes long; the imported shops are cached in bench/.cache/).
## BENCH_ONLY=stocktake (or bank, labels; comma-separated): only those sections, written to
## bench/results-<names>.md. BENCH_PEER=tryton: also our sale side by side with Tryton 8.2
## sale_point, installed in bench/.peer-venv on the first run (BENCH_ONLY=peer: that alone).
## Not part of `make test`.
bench: install $(VENV)/.bench-installed
	@ldconfig -p 2>/dev/null | grep -q libharfbuzz-subset || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update -qq && apt-get install -y -qq --no-install-recommends libharfbuzz-subset0 >/dev/null; \
		else echo "libharfbuzz-subset0 is missing: WeasyPrint subsets fonts slower (apt-get install libharfbuzz-subset0)"; fi; }
	$(BIN)/python -m bench.run
