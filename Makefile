# Two commands on a fresh machine: `make demo` and `make test`.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PIP    := $(PY) -m pip install --quiet --disable-pip-version-check
export REPORTING_DATA_DIR ?= $(CURDIR)/data

.PHONY: venv demo test lint system-deps clean bench bench-build lock i18n
.PHONY: server server-stop worker deploy bench-rebuild

# Installs exactly what requirements.lock names (every transitive dependency, with hashes): a fresh machine
# gets what CI tested. `make lock` regenerates it on purpose (see README, "Upgrading a dependency").
$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) --no-deps --require-hashes -r requirements.lock
	$(PIP) --no-deps -e .
	$(PY) -m pip check
	$(PY) -c "import reporting.flows, reporting.schemas, prefect, pandera, docxtpl"
	touch $(STAMP)

# Prefect's database as its migrations leave it, copied into each new data folder (local_server.py).
$(VENV)/.prefect-template: $(STAMP)
	$(PY) -c "from reporting.orchestration.local_server import prepare_database_template as p; p()"
	touch $@

venv: $(STAMP) $(VENV)/.prefect-template

## make lock: re-resolve requirements.lock from pyproject.toml (after changing a range there, or to upgrade)
lock:
	test -x $(VENV)/bin/uv || { test -x $(PY) || python3 -m venv $(VENV); $(PIP) uv; }
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes \
		--no-header --quiet $(LOCK_FLAGS) -o requirements.lock

## make i18n: collect the report's fixed wording (Word and text templates, the contract's names, the code)
## into templates/locale/reporting.pot and merge it into each language's catalog: new messages come in
## untranslated, for a translator to fill in templates/locale/<language>/LC_MESSAGES/reporting.po
LOCALE := templates/locale
i18n: venv
	$(VENV)/bin/pybabel extract -F $(LOCALE)/babel.cfg --omit-header --no-wrap -o $(LOCALE)/reporting.pot .
	$(VENV)/bin/pybabel update -i $(LOCALE)/reporting.pot -d $(LOCALE) -D reporting --no-wrap \
		--no-fuzzy-matching --ignore-obsolete

## make demo: build the report of the 2014-15 sample package in English, French and Spanish into
## out/2014-15/en/, fr/ and es/
# The three editions, each with its PDF when LibreOffice is there (system-deps installs it where it can).
demo: venv system-deps
	@f="$${REPORTING_PEOPLE_FILE:-$${REPORTING_DATA_DIR:-data}/people.yaml}"; test -e "$$f" || \
		{ install -D -m 600 examples/people.yaml "$$f" && echo "the demo's people directory: $$f" && \
		  REPORTING_PEOPLE_FILE="$$f" $(PY) scripts/demo_passwords.py; }
	$(VENV)/bin/reporting build examples/2014-15 --out out/2014-15 --language en --language fr --language es \
		$$(command -v soffice >/dev/null && echo --pdf)

system-deps:
	@scripts/system-deps.sh

## make test: the whole test suite (installs what the tests need first), in TEST_WORKERS processes
## (default 4, also on 2 cores: the slow tests mostly wait on a lease, a heartbeat, a server, LibreOffice
## or a browser). Each module stays in one process, the longest start first (tests/conftest.py)
TEST_WORKERS ?= 4
test: venv system-deps lint
	$(PY) -m pytest -q --numprocesses $(TEST_WORKERS) --dist loadfile --durations=30

LINTED := src schemas flows tests templates examples benchmarks deployments scripts
lint: venv
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)
	scripts/typecheck.sh $(VENV)/bin/mypy

clean:
	-test -x $(VENV)/bin/reporting && $(VENV)/bin/reporting server stop
	rm -rf out data .pytest_cache .mypy_cache .ruff_cache

## make bench: every benchmark, one table of ratios against baselines measured in the same run
bench: venv system-deps
	$(PY) -m benchmarks.run

bench-build: venv
	$(PY) -m benchmarks.run build

## make bench-validate: 1,000,000 evidence rows through the pandera models vs the same rules in plain pandas
.PHONY: bench-validate
bench-validate: venv
	$(PY) -m benchmarks.run validate

## make bench-render: the 10,000-result report rendered, against pandoc on the same content (report.md)
.PHONY: bench-render
bench-render: venv system-deps
	$(PY) -m benchmarks.run render

## make bench-small: the 65-row sample built with `reporting build` as a user runs it (first build in a
## new data folder, then again) vs the same stages without Prefect, and vs pandoc on its report.md
.PHONY: bench-small
bench-small: venv system-deps
	$(PY) -m benchmarks.run small

## make bench-large-csv: `reporting validate` of a 200,000-row CSV vs pandas reading it as strings (time, memory)
.PHONY: bench-large-csv
bench-large-csv: venv
	$(PY) -m benchmarks.run large_csv

## make bench-cli: `reporting validate` of the sample, `reporting --help` and `reporting build` of the built
## sample again (up to date), each a new process, vs Python importing pandas and reading the sample's CSV
## files (goal: under 1 s each)
.PHONY: bench-cli
bench-cli: venv
	$(PY) -m benchmarks.run cli

## make test-reliability: hostile cases, one table (kill -9 while reading, storing, rendering on SQLite and
## PostgreSQL; the bad corpus through validate and build; --out on a file; full disks): benchmarks/reliability.py
.PHONY: test-reliability
test-reliability: venv system-deps
	$(PY) -m benchmarks.reliability

## make bench-memory: peak memory of a 19-outcome build without Prefect at two sizes, one new process each
## (BENCH_MEMORY_ROWS=10000,50000 for others): memory per row must not grow with the rows
.PHONY: bench-memory
bench-memory: venv
	$(PY) -m benchmarks.run memory

## make bench-workers: what a second worker buys: two bienniums of 10,000 rows built at once on make soak's
## installation (PostgreSQL, a Prefect server, two workers) against two built one after the other
.PHONY: bench-workers
bench-workers: venv system-deps
	$(PY) -m benchmarks.run workers

## make bench-rebuild: first build vs a rebuild where nothing changed (task cache)
bench-rebuild: venv
	$(PY) -m benchmarks.run rebuild

## make server: the data folder's Prefect server in the background on 127.0.0.1:4200 (PREFECT_SERVER_PORT; a
## free port if taken), database in the data folder; it stops after REPORTING_SERVER_IDLE_HOURS without use,
## when its data folder is deleted, or with make server-stop
server: venv
	@scripts/prefect.sh start

server-stop:
	@scripts/prefect.sh stop

## make worker: a worker for the process work pool `reporting` (created if missing), in the foreground
worker: venv
	@scripts/prefect.sh worker

## make deploy: register the deployments of deployments/prefect.yaml (end-of-biennium/sign-off, scheduled;
## biennial-report/rebuild; review-reminder/weekly)
deploy: venv
	$(VENV)/bin/reporting db upgrade
	@scripts/prefect.sh deploy

## make portal: the web portal of submitters, reviewers and signers on http://127.0.0.1:8400 (PORTAL_HOST,
## PORTAL_PORT), signing in from the people directory (README, "Portal")
PORTAL_HOST ?= 127.0.0.1
PORTAL_PORT ?= 8400
.PHONY: portal
portal: venv
	$(VENV)/bin/reporting portal serve --host $(PORTAL_HOST) --port $(PORTAL_PORT)

## make soak: on this machine, what a team runs (a throwaway PostgreSQL, a Prefect server on it, the store
## on it, two workers from homes of their own, `make deploy`), driven for SOAK_MINUTES (default 10) with
## faults injected (kill -9 of a worker, server and PostgreSQL restarts, a full output folder); one table,
## exit 1 when a check fails (README, "Soak"): benchmarks/soak.py. Not part of `make test`.
.PHONY: soak
soak: venv system-deps
	$(PY) -m benchmarks.soak
