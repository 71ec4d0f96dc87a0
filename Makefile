# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

WORKERS ?= 2

.PHONY: run serve worker test lint format install install-dev bench bench-conversions bench-tracking \
	bench-reports

run: $(VENV)/.runtime
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py demoadmin
	$(BIN)/python manage.py demodata
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# Production: gunicorn with DEBUG off; SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL come from the
# environment (README.md, "Production"). gunicorn reads its other settings from gunicorn.conf.py:
# threaded workers, THREADS (4) each.
serve: export DEBUG = 0
serve: $(VENV)/.runtime
	$(BIN)/python manage.py check --deploy --fail-level WARNING
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/gunicorn goals_admin.wsgi:application --bind $(HOST):$(PORT) --workers $(WORKERS)

# The task queue's worker (goals_admin/celery.py), beside `make serve`, with the same REDIS_URL and
# DATABASE_URL: it recomputes goals' conversions. Without REDIS_URL, jobs run in the requests.
worker: $(VENV)/.runtime
	$(BIN)/celery --app goals_admin worker --loglevel INFO

test: $(VENV)/.dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Load benchmark (bench/): gunicorn and wrk on this machine, against PostgreSQL and a private Redis.
# BENCH_ROUNDS (3) rounds of BENCH_SECONDS (5) an endpoint; fails when a target is missed.
# Then the conversions bench (bench/conversions.py, sizes in BENCH_CONV_*), the tracking bench
# (bench/tracking.py) and the reports bench (bench/reports.py, sizes in BENCH_REPORTS_*), each run
# even when an earlier one failed, so that one run reports every target.
bench: $(VENV)/.dev
	status=0; $(BIN)/python -m bench.run || status=1; \
	$(BIN)/python -m bench.conversions || status=1; \
	$(BIN)/python -m bench.tracking || status=1; \
	$(BIN)/python -m bench.reports || status=1; exit $$status

# The conversions bench alone: ingest, attribution, API pages and import memory (issue 12).
bench-conversions: $(VENV)/.dev
	$(BIN)/python -m bench.conversions

# The tracking bench alone: the collect endpoint against the constant-bytes view and a plain view
# of the same round trips, at 64 connections, and a burst of BENCH_TRACKING_BURST (200,000) page
# views through the ingest worker (issue 13).
bench-tracking: $(VENV)/.dev
	$(BIN)/python -m bench.tracking

# The reports bench alone: the Conversions page for 90 days and the goals page at 1,000,000
# conversions an account (BENCH_REPORTS_CONVERSIONS) against the goals page without conversions,
# timed inside Django, and CSV downloads of 10,000 and 100,000 rows (BENCH_REPORTS_CSV_ROWS)
# through gunicorn: time to the first row, to the end, and the worker's peak memory (issue 14).
bench-reports: $(VENV)/.dev
	$(BIN)/python -m bench.reports

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime
