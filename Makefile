# Shunqing smart-community portal. `make run` and `make test` set up everything they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

# Loopback PostgreSQL and Redis for the test suite; override either on the command line or in the environment.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/portal
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: help install messages messages-update browser run test lint worker beat serve bench bench-open311 bench-exchange bench-exchange-import bench-dashboards clean

help:
	@echo "make run     - set up, load demo data and serve http://$(HOST):$(PORT) (development)"
	@echo "make test    - set up, lint, check migrations and run the tests on PostgreSQL and Redis"
	@echo "make worker  - run a Celery worker (needs REDIS_URL)"
	@echo "make beat    - run the Celery beat scheduler (needs REDIS_URL)"
	@echo "make serve   - production-style serving with gunicorn and whitenoise (needs the production settings)"
	@echo "make bench   - time the workbench and \"my requests\" with 100,000 requests (its own database; not part of make test)"
	@echo "make bench-open311 - Open311 POST under gunicorn at 50 clients vs a one-insert floor (its own database; not part of make test)"
	@echo "make bench-exchange - extract, mask, sign and log a 100,000-resident roster (its own database; not part of make test)"
	@echo "make bench-exchange-import - import a 100,000-row household-registration file (its own database; not part of make test)"
	@echo "make bench-dashboards - the dashboards at 1,000,000 requests vs raw aggregate queries (its own database; not part of make test)"

$(STAMP): requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is required (Django 5.2 on Python 3.11)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP) .env

# Development settings for bare `manage.py` commands; make serve and the tests pin their own.
.env:
	cp .env.example .env

# Compiled message catalogues are build output: made from locale/*/LC_MESSAGES/django.po.
messages: install
	@command -v msgfmt >/dev/null || { echo "Installing gettext (msgfmt)"; { apt-get update -q && apt-get install -y -q gettext; } >/dev/null || { echo "gettext's msgfmt is required: apt-get install gettext"; exit 1; }; }
	DEBUG=true $(PY) manage.py compilemessages --ignore=.venv -v0

# After adding user-visible strings: refresh the catalogue, then translate the new entries.
messages-update: install
	DEBUG=true $(PY) manage.py makemessages -l zh_Hans --no-location --no-obsolete --ignore=.venv --ignore=staticfiles

run: messages
	DEBUG=$${DEBUG:-true} $(PY) manage.py migrate --noinput -v0
	DEBUG=$${DEBUG:-true} $(PY) manage.py seed_demo
	@if [ -n "$$DATABASE_URL" ] && [ -n "$$REDIS_URL" ]; then \
		echo "Using DATABASE_URL and REDIS_URL: start a Celery worker in another terminal with 'make worker'."; \
	else \
		echo "No REDIS_URL: background tasks run in-process. No DATABASE_URL: data is in db.sqlite3."; \
	fi
	DEBUG=$${DEBUG:-true} $(PY) manage.py runserver $(HOST):$(PORT)

# Browser tests drive Debian's chromium (never a browser downloaded by a test tool); CJK fonts make
# the page measure as a resident's phone would.
browser:
	@test -x /usr/bin/chromium || { echo "Installing Debian's chromium and CJK fonts for the browser tests"; \
		{ apt-get update -q && apt-get install -y -q chromium fonts-noto-cjk; } >/dev/null \
		|| { echo "Debian's chromium is required for the browser tests: apt-get install chromium"; exit 1; }; }

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: messages lint browser
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} $(PY) scripts/ensure_services.py
	DJANGO_SETTINGS_MODULE=portal.settings_test DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(PY) manage.py makemigrations --check --dry-run
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(VENV)/bin/pytest $(PYTEST_ARGS)

# Like `make run`, the worker and beat default to debug mode; production sets DEBUG=false and the
# secrets. `manage.py check` first, so a bad setting is reported in one line, not a Celery traceback.
worker: messages
	DEBUG=$${DEBUG:-true} $(PY) manage.py check -v0
	DEBUG=$${DEBUG:-true} $(VENV)/bin/celery -A portal worker --loglevel=INFO

beat: install
	DEBUG=$${DEBUG:-true} $(PY) manage.py check -v0
	DEBUG=$${DEBUG:-true} $(VENV)/bin/celery -A portal beat --loglevel=INFO --schedule=$(VENV)/celerybeat-schedule

serve: messages
	DEBUG=$${DEBUG:-false} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-false} $(PY) manage.py collectstatic --noinput -v0
	DEBUG=$${DEBUG:-false} $(VENV)/bin/gunicorn portal.wsgi:application --bind $(HOST):$(PORT) --workers $${WEB_CONCURRENCY:-3} --access-logfile -

# Not part of `make test`: it fills a database of its own (BENCH_DATABASE_URL, default
# postgres://postgres@127.0.0.1:5432/portal_bench) and reports; see bench/README.md. E.g. BENCH_ARGS=--explain.
bench: install
	$(PY) bench/requests_pages.py $(BENCH_ARGS)

# Also not part of `make test`: gunicorn on a database of its own (BENCH_OPEN311_DATABASE_URL, default
# postgres://postgres@127.0.0.1:5432/portal_bench_open311) and Redis db 13; see bench/README.md.
# E.g. BENCH_OPEN311_ARGS="--workers 3 --duration 30".
bench-open311: install
	$(PY) bench/open311_post.py $(BENCH_OPEN311_ARGS)

# Also not part of `make test`: one exchange of a 100,000-resident roster (extract, mask, sign, log) on a
# database of its own (BENCH_EXCHANGE_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/portal_bench_exchange).
bench-exchange: install
	$(PY) bench/exchange.py $(BENCH_EXCHANGE_ARGS)

# Also not part of `make test`: imports a generated 100,000-row household-registration CSV on a database of its
# own (BENCH_IMPORT_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/portal_bench_import). E.g.
# BENCH_IMPORT_ARGS="--rows 20000 --bad 100".
bench-exchange-import: install
	$(PY) bench/exchange_import.py $(BENCH_IMPORT_ARGS)

# Also not part of `make test`: seeds a million requests into a database of its own (BENCH_DASH_DATABASE_URL,
# default postgres://postgres@127.0.0.1:5432/portal_bench_dash; reused by later runs); see bench/README.md.
# E.g. BENCH_DASH_ARGS="--period 30d --runs 30".
bench-dashboards: install
	$(PY) bench/dashboards.py $(BENCH_DASH_ARGS)

clean:
	rm -rf $(VENV) staticfiles db.sqlite3
	find . -name '*.mo' -not -path './.venv/*' -delete
