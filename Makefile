# The few verbs people look for. Every target creates the virtualenv on first use.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_LISTINGS ?= 300
export DJANGO_DEBUG ?= true

.PHONY: help install messages run data test test-postgres lint format check bench soak fuzz backup restore clean

help:
	@echo "make run            set everything up (SQLite, content loaded) and serve http://$(HOST):$(PORT)"
	@echo "make test           run the whole test suite (SQLite unless DATABASE_URL is set)"
	@echo "make test-postgres  the same suite against PostgreSQL on 127.0.0.1:5432"
	@echo "make lint | format | check | bench | soak | fuzz"
	@echo "make backup [BACKUP=file] | make restore BACKUP=file   (PostgreSQL at DATABASE_URL)"

$(BIN)/.installed: pyproject.toml
	@set -e; py=$$(scripts/find-python); echo "Using $$py"; \
	  [ -x $(BIN)/python ] || "$$py" -m venv $(VENV); \
	  $(BIN)/python -m pip install --quiet --upgrade pip; \
	  $(BIN)/python -m pip install --quiet -e ".[dev]"; \
	  touch $@

install: $(BIN)/.installed

# The translations (locale/<language>/LC_MESSAGES/django.po, committed) compiled to the .mo
# files Django reads; with Babel, so no GNU gettext is needed here or in the image.
messages: install
	$(BIN)/pybabel compile --domain django --directory locale --statistics

data: messages
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py setup_roles
	$(BIN)/python manage.py load_reference
	$(BIN)/python manage.py load_article
	$(BIN)/python manage.py load_gazetteer
	$(BIN)/python manage.py generate_demo --listings $(DEMO_LISTINGS) --seed 1 --replace

run: data
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# On every core (pytest-xdist), a module's tests together in one process: the outage drills
# share a Redis database and the collected static files, and never run side by side.
PYTEST_ARGS ?= --numprocesses=auto --dist=loadfile

test: messages
	@scripts/ensure-chromium
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: messages
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/peersupport} $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint Dockerfile

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check: install
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

# In-process timings, then a load test of gunicorn with wrk (Debian's package, installed here
# when missing and we are root; without it, BENCH_ARGS="--load-seconds 0"). docs/performance.md
bench: install
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  echo "Installing Debian's wrk for the load test..." && \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } || \
	  echo "wrk is missing (sudo apt-get install wrk): the load test will fail" >&2
	$(BIN)/python scripts/bench.py $(BENCH_ARGS)

# The soak drill (docs/operations.md): production gunicorn and the task worker on a PostgreSQL
# cluster of its own, loaded from the 100,000-listing benchmark database (make bench seeds it),
# 64 clients for 5 minutes, the cache flushed once and the database restarted half-way.
# SOAK_ARGS="--seconds 60 --connections 16" for a short one. Needs initdb/pg_ctl and root.
soak: install
	$(BIN)/python scripts/soak.py $(SOAK_ARGS)

# 10,000 hostile query strings over every public endpoint (scripts/fuzz.py). Against a running
# server: FUZZ_URL=http://127.0.0.1:8000 FUZZ_HOST=directory.example make fuzz; without
# FUZZ_URL it starts gunicorn (production settings) on DATABASE_URL, which must be PostgreSQL.
fuzz: install
	$(BIN)/python scripts/fuzz.py $(if $(FUZZ_URL),--url $(FUZZ_URL),--serve) $(FUZZ_ARGS)

# pg_dump / pg_restore of the PostgreSQL database at DATABASE_URL (docs/deploy.md).
backup:
	@scripts/backup

restore:
	@scripts/restore

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* staticfiles .pytest_cache .ruff_cache
