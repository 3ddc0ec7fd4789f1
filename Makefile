# Two commands: `make run` (API on http://127.0.0.1:5000 with demo content) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
TEST_PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: install run test test-sqlite test-postgres lint format openapi messages compile-messages bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/ifm-api db upgrade
	$(BIN)/ifm-api demo load
	$(BIN)/ifm-api serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check src tests migrations bench examples wsgi.py gunicorn.conf.py
	$(BIN)/ruff format --check src tests migrations bench examples wsgi.py gunicorn.conf.py

format: install
	$(BIN)/ruff check --fix src tests migrations bench examples wsgi.py gunicorn.conf.py
	$(BIN)/ruff format src tests migrations bench examples wsgi.py gunicorn.conf.py

test-sqlite: install
	$(BIN)/pytest

test-postgres: install
	@if $(BIN)/python -c "import sys, psycopg; psycopg.connect('$(TEST_PG_URL)'.replace('+psycopg', ''), connect_timeout=3).close()" 2>/dev/null; then \
		echo "== tests on PostgreSQL ($(TEST_PG_URL))"; \
		TEST_DATABASE_URL='$(TEST_PG_URL)' $(BIN)/pytest; \
	else \
		echo "== PostgreSQL at $(TEST_PG_URL) not reachable: PostgreSQL run skipped"; \
	fi

test: lint test-sqlite test-postgres

openapi: install
	$(BIN)/ifm-api openapi write openapi/openapi.json

# Extract marked messages into src/ifm_api/translations/messages.pot and merge into de/en;
# then translate the new German msgstr entries. Compiled .mo files are built at start-up.
messages: install
	$(BIN)/python -m ifm_api.core.catalogs update

compile-messages: install
	$(BIN)/python -m ifm_api.core.catalogs compile

# Read benchmark (gunicorn + wrk, side by side with the peers); settings in bench/README.md,
# e.g. `make bench SIZES=1000 RUNS=1`. Figures: bench/RESULTS.md.
bench: install
	bench/run.sh

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
