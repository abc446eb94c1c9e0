# The two commands of the README: `make run` and `make test` (and `make bench`, CONTRACT.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint venv clean bench mutants

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

test: venv lint
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check
	$(VENV)/bin/pytest

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

# Mutation testing of the guard modules (not part of `make test` or CI; takes a while):
# mutmut 3 (requirements-mutants.txt, config in pyproject's [tool.mutmut]) mutates the access
# rules, the reporting service, delivery, the upload check/submit and the month close/reopen
# in a copy of the project (bin/mutants says why), runs the tests that cover each mutated
# function, and prints the score and the survivors. Results are reused by the next run;
# `make clean` drops them. MUTANTS narrows a run (mutant names or globs).
MUTANTS ?= core.access.* supervision.access.* supervision.reporting.* core.delivery.* \
	supervision.ledger.x_check_rows* supervision.ledger.x_submit_rows* \
	supervision.dashboard.x_close_month* supervision.dashboard.x_reopen_month*
MUTANT_JOBS ?= 2
mutants: venv
	$(PY) -m pip install --quiet -r requirements-mutants.txt
	$(PY) bin/mutants --jobs $(MUTANT_JOBS) $(foreach m,$(MUTANTS),"$(m)")

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache mutants
