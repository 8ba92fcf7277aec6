# CozyWish: `make run` to try it, `make test` to check it. Needs Python 3.11+ and npm.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: help install install-dev vendor _install _install-dev run dev worker test e2e lint format migrate seed diagnose stop clean

help:
	@echo "make run      install everything, start the embedded PostgreSQL, migrate, load demo data, serve on :$(PORT)"
	@echo "make dev      the same with Flask's reloading development server instead of gunicorn"
	@echo "make test     install test tools and run the whole test suite"
	@echo "make e2e      browser journeys (needs /usr/bin/chromium or CHROMIUM_PATH)"
	@echo "make lint     ruff check and format check, and the layers (lint-imports)"
	@echo "make worker   run a job worker on its own"
	@echo "make stop     stop the embedded PostgreSQL"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.stamp-runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.stamp-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.stamp-runtime

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

static/vendor/.stamp: node_modules/.package-lock.json scripts/vendor.py scripts/build_static.py $(wildcard static/js/* static/css/*) | $(VENV)/.stamp-runtime
	$(BIN)/python scripts/vendor.py
	$(BIN)/python scripts/build_static.py
	touch $@

# `make run` and `make test` started together share .venv, node_modules and static/vendor:
# the install steps run one make at a time under an exclusive lock, and the second one,
# once it gets the lock, finds everything up to date. (No flock, as on macOS: no lock.)
INSTALL_LOCK := $(if $(shell command -v flock),mkdir -p instance && flock instance/.install.lock)

_install: $(VENV)/.stamp-runtime static/vendor/.stamp
_install-dev: $(VENV)/.stamp-dev static/vendor/.stamp

install:
	@$(INSTALL_LOCK) $(MAKE) --no-print-directory _install
install-dev:
	@$(INSTALL_LOCK) $(MAKE) --no-print-directory _install-dev
vendor:
	@$(INSTALL_LOCK) $(MAKE) --no-print-directory static/vendor/.stamp

# gunicorn (as in production) plus a supervised job worker; `make dev` reloads on code changes.
run: install
	PORT=$(PORT) $(BIN)/flask serve

dev: install
	PORT=$(PORT) $(BIN)/flask serve --dev

worker: install
	$(BIN)/flask jobs worker

# With coverage of app/ and search/ (pyproject.toml, [tool.coverage]): the total is printed at the
# end and the run fails below the floor (fail_under); the README's badge line states the figure.
# A module's tests stay on one worker (loadscope), so a module's shared fixture is built once; a
# third worker bought no time in CI and made its machine busier (docs/testing-time.md).
TEST_WORKERS ?= 2
test: install-dev
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadscope --cov --cov-report= tests

# Two xdist workers, each with a server, job worker and database of its own (a file's journeys
# stay together); Playwright traces only when asked: E2E_TRACE=retain-on-failure make e2e.
E2E_WORKERS ?= 2
E2E_TRACE ?= off
E2E_ARGS := -n $(E2E_WORKERS) --dist loadfile --screenshot=only-on-failure --tracing=$(E2E_TRACE) \
	--output=e2e-artifacts --html=e2e-artifacts/report.html --self-contained-html

e2e: install-dev
	$(BIN)/pytest e2e $(E2E_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrate: install
	$(BIN)/flask db upgrade

seed: install
	$(BIN)/flask seed demo

diagnose: install
	$(BIN)/flask diagnose

stop:
	-$(BIN)/flask embedded-db stop

clean: stop
	rm -rf $(VENV) node_modules static/vendor static/dist .pytest_cache .ruff_cache
