# The two set-up commands: `make run` (the product, embedded) and `make test` (everything, real parts).
SHELL := /bin/bash
PY := .venv/bin/python
UV_VERSION := 0.13.9
PYTEST_ARGS ?=
# `make run PORT=8001` (or HOST=0.0.0.0) when 8000 is taken.
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint schemas bench fuzz-api faults soak infra-up infra-down clean

.venv/.installed: pyproject.toml uv.lock
	@command -v uv >/dev/null || python3 -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	UV_PYTHON_DOWNLOADS=never uv sync --frozen --all-extras --quiet
	@touch $@

# The pages' CSS and JavaScript tools (biome), exactly as package-lock.json pins them.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: .venv/.installed node_modules/.installed

run: install
	.venv/bin/crm-journey run --host $(HOST) --port $(PORT)

lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy
	.venv/bin/lint-imports
	$(PY) -m schemas.export --check
	node_modules/.bin/biome check --error-on-warnings

# Starts the local Kafka, PostgreSQL and stripe-mock (deploy/local) unless their addresses are
# already in the environment, then runs every test against them.
test: install
	@set -euo pipefail; \
	if [ -z "$${KAFKA_BOOTSTRAP_SERVERS:-}" ] || [ -z "$${CRM_TEST_DATABASE_URL:-}" ]; then \
	  eval "$$(bash deploy/local/infra.sh up)"; \
	  export KAFKA_BOOTSTRAP_SERVERS CRM_TEST_DATABASE_URL STRIPE_API_BASE; \
	fi; \
	node --test tests/js/; \
	$(PY) -m pytest $(PYTEST_ARGS)

schemas: install
	$(PY) -m schemas.export

bench: install
	@set -euo pipefail; eval "$$(bash deploy/local/infra.sh up kafka postgres)"; \
	export KAFKA_BOOTSTRAP_SERVERS CRM_TEST_DATABASE_URL; \
	$(PY) -m pytest tests/bench -s -m bench $(PYTEST_ARGS)

# schemathesis over every operation of the product's OpenAPI document, 500 examples each
# (`make test` runs the same test with 10). `make fuzz-api FUZZ_EXAMPLES=2000` for longer.
FUZZ_EXAMPLES ?= 500
fuzz-api: install
	CRM_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest tests/contract/test_openapi_conformance.py $(PYTEST_ARGS)

# The fault suite's long form: the distributed product on a 3-node cluster (started here), every
# fault kind while 100,000 events flow, then the checker's report (docs/faults.md).
FAULT_EVENTS ?= 100000
FAULT_RATE ?= 400
faults: install
	CRM_FAULTS_EVENTS=$(FAULT_EVENTS) CRM_FAULTS_RATE=$(FAULT_RATE) \
	  $(PY) -m pytest tests/faults/test_fault_suite.py -s -p no:cacheprovider $(PYTEST_ARGS)

# Ten minutes of steady load with no fault; the chart of memory and lag: artifacts/soak-600s.png.
SOAK_SECONDS ?= 600
SOAK_RATE ?= 1000
soak: install
	CRM_SOAK_SECONDS=$(SOAK_SECONDS) CRM_SOAK_RATE=$(SOAK_RATE) \
	  $(PY) -m pytest tests/faults/test_soak.py -s -p no:cacheprovider $(PYTEST_ARGS)

infra-up:
	bash deploy/local/infra.sh up

infra-down:
	bash deploy/local/infra.sh down

clean:
	rm -rf .venv node_modules .run .crm-data .bin deploy/local/kafka/lib
