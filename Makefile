# Two commands matter: `make run` and `make test`. Everything else is a building block.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q

RUNTIME_REQS := backend/requirements.txt forecast/requirements.txt
DEV_REQS := backend/requirements-dev.txt forecast/requirements-dev.txt requirements-dev.txt
# The repository's own packages, installed editable so every import runs the same way from anywhere:
# servicekit (the run-time kit), backend (app), forecast (api, pipelines, runcontract); testkit (test
# helpers) for dev.
PACKAGES := servicekit/pyproject.toml backend/pyproject.toml forecast/pyproject.toml

.PHONY: run test contracts test-backend test-forecast test-browser chromium pgbouncer venv dev-deps model pipeline lint bench-unitrack bench-unitrack-matrix bench-forecast-api bench-forecast-pipeline soak wrk mutants clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

# Stamp files make reinstalling happen only when a requirements file or a package's pyproject.toml changes.
$(VENV)/.runtime-installed: $(RUNTIME_REQS) $(PACKAGES) | $(PY)
	$(PIP) install $(addprefix -r ,$(RUNTIME_REQS))
	$(PIP) install -e ./servicekit -e ./backend -e ./forecast
	@touch $@

$(VENV)/.dev-installed: $(DEV_REQS) testkit/pyproject.toml $(VENV)/.runtime-installed
	$(PIP) install $(addprefix -r ,$(DEV_REQS))
	$(PIP) install -e ./testkit
	@touch $@

venv: $(VENV)/.runtime-installed

dev-deps: $(VENV)/.dev-installed

## make run: both APIs in the foreground (UniTrack on :8000, forecast on :8001); Ctrl-C stops both.
run: venv
	$(PY) scripts/dev_run.py

## make test: every suite; Postgres-backed tests run when TEST_DATABASE_URL is set or 127.0.0.1:5432 answers.
test: dev-deps chromium pgbouncer
	bash scripts/test_all.sh

test-backend: dev-deps
	cd backend && ../$(PY) -m pytest -q

test-forecast: dev-deps
	cd forecast && ../$(PY) -m pytest -q

test-browser: dev-deps chromium
	cd browser && ../$(PY) -m pytest -q

# UniTrack's transaction-pooler test (backend/tests/test_transaction_pooler.py) runs Debian's PgBouncer,
# installed here when missing and run as root (CI). Otherwise that test skips; with CI=true it fails.
pgbouncer:
	@if command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends pgbouncer) \
	  || echo "pgbouncer: the install failed; the pooler test will skip (fail with CI=true)" >&2; \
	else echo "pgbouncer: not installed and not root; the pooler test will skip (fail with CI=true)" >&2; fi

# The browser suite (browser/) drives Debian's chromium through chromium-driver, installed here when
# missing and run as root (CI). Otherwise, or if the install fails, that suite skips; with CI=true it fails.
chromium:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) \
	  || echo "chromium: the install failed; the browser suite will skip (fail with CI=true)" >&2; \
	else echo "chromium: not installed and not root; the browser suite will skip (fail with CI=true)" >&2; fi

## make contracts: export both OpenAPI documents (no server) and regenerate the Zod schemas.
contracts: venv
	bash contracts/generate.sh

model: venv
	$(PY) ml_models/src/train.py

pipeline: venv
	cd forecast && ../$(PY) -m pipelines.run

## make lint: ruff, the format check and mypy (settings in pyproject.toml); make test runs it first.
lint: dev-deps
	bash scripts/lint.sh

# The HTTP benchmarks drive load with wrk (Debian package); the UniTrack one falls back to Python.
wrk:
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)

bench-unitrack: dev-deps wrk
	$(PY) bench/unitrack/run.py

## make bench-unitrack-matrix: /predict per model family vs the naive app, the bare endpoint and MLServer.
bench-unitrack-matrix: dev-deps
	$(PY) bench/unitrack/matrix.py

bench-forecast-api: dev-deps wrk
	$(PY) bench/forecast_api/run.py

bench-forecast-pipeline: dev-deps
	bash bench/forecast_pipeline/run.sh

## make soak: load both APIs on PostgreSQL and check that nothing was lost (bench/soak/README.md).
soak: dev-deps
	$(PY) bench/soak/run.py forecast
	$(PY) bench/soak/run.py unitrack

## make mutants: mutation testing (mutmut) of the critical modules, one at a time; writes docs/mutation-report.md,
## triaged in docs/mutation.md. A habit, not part of `make test`. Backend modules need PostgreSQL on 127.0.0.1:5432.
## One or a few modules: make mutants MUTANTS="metrics consensus"
MUTANTS ?=
mutants: dev-deps
	$(PY) scripts/mutants.py $(MUTANTS)

clean:
	rm -rf $(VENV) backend/*.db forecast/*.db .mutmut
