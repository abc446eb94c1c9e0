# The two commands of the README: `make run` and `make test` (and `make bench`, CONTRACT.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint venv clean bench bench-hotline backup restore slow load faults audit mutants

venv: $(STAMP)

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

run: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	bin/serve

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# pytest-xdist: TEST_WORKERS processes (one per core of CI's machine), each with its own test
# database and, with REDIS_URL, its own Redis database (tests/settings.py); 0 runs in one.
TEST_WORKERS ?= 2
test: venv lint
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check
	$(VENV)/bin/pytest -n $(TEST_WORKERS)

# A benchmark, not a test: builds BENCH_TASKS tasks x 12 monthly reports (the plan of last
# year, or BENCH_YEAR) in the database DATABASE_URL points at, then measures the pages over
# HTTP against gunicorn and the reminder scan; the table goes to bench/results.md.
BENCH_TASKS ?= 5000
BENCH_YEAR ?=
BENCH_ARGS ?=
bench: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py bench_data --tasks $(BENCH_TASKS) $(if $(BENCH_YEAR),--year $(BENCH_YEAR))
	$(PY) bench/run.py $(if $(BENCH_YEAR),--year $(BENCH_YEAR)) $(BENCH_ARGS)

# The 12345 hotline at a city's yearly volume (bench/hotline.py): HOTLINE_ORDERS work orders
# imported through `import_workorders` (COPY on PostgreSQL), then the KPI page and the list.
HOTLINE_ORDERS ?= 1000000
bench-hotline: venv
	$(PY) manage.py migrate --noinput
	$(PY) bench/hotline.py --orders $(HOTLINE_ORDERS)

# Backup and restore (core/backup.py): the database (pg_dump / a SQLite copy) and the uploaded
# files in one var/backups/duban-YYYYmmdd-HHMMSS.tar.gz; `make restore FILE=…` puts one back.
BACKUP_DIR ?= var/backups
backup: venv
	$(PY) manage.py backup --dir $(BACKUP_DIR)

restore: venv
	@test -n "$(FILE)" || (echo "用法：make restore FILE=var/backups/duban-….tar.gz" && exit 2)
	$(PY) manage.py restore $(FILE) --noinput
	$(PY) manage.py migrate --noinput

# The slow property-based runs (Hypothesis, 1,000 examples per form and import), not in
# `make test`.
slow: venv
	$(VENV)/bin/pytest -m slow -p no:cacheprovider

# Load and faults against gunicorn on PostgreSQL (bench/load.py, bench/faults.py): loopback
# only, bounded in time, never part of `make test`. They need DATABASE_URL=postgres://… and
# REDIS_URL; figures go to bench/results.md.
LOAD_USERS ?= 50
LOAD_SECONDS ?= 60
load: venv
	$(PY) bench/load.py --users $(LOAD_USERS) --seconds $(LOAD_SECONDS)

faults: venv
	$(PY) bench/faults.py --users $(LOAD_USERS) --seconds $(LOAD_SECONDS)

# pip-audit in its own venv (it needs the internet to read the advisory databases).
audit:
	test -x .venv-audit/bin/pip-audit || ($(PYTHON) -m venv .venv-audit && .venv-audit/bin/pip install --quiet pip-audit)
	.venv-audit/bin/pip-audit -r requirements.txt


# Mutation testing of the guard modules (not part of `make test` or CI; takes a while):
# mutmut 3 (requirements-mutants.txt, config in pyproject's [tool.mutmut]) mutates the access
# rules, the reporting service, delivery, the upload check/submit and the month close/reopen
# in a copy of the project (bin/mutants says why), runs the tests that cover each mutated
# function, and prints the score and the survivors. Results are reused by the next run;
# `make clean` drops them. MUTANTS narrows a run (mutant names or globs).
MUTANTS ?= core.access.* supervision.access.* supervision.reporting.* core.delivery.* \
	core.files.x_check_upload* \
	supervision.ledger.x_check_rows* supervision.ledger.x_submit_rows* \
	supervision.dashboard.x_close_month* supervision.dashboard.x_reopen_month*
MUTANT_JOBS ?= 2
mutants: venv
	$(PY) -m pip install --quiet -r requirements-mutants.txt
	$(PY) bin/mutants --jobs $(MUTANT_JOBS) $(foreach m,$(MUTANTS),"$(m)")

clean:
	rm -rf $(VENV) .venv-audit var staticfiles .pytest_cache .ruff_cache mutants
