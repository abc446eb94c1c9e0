# The two commands of the README: `make run` and `make test` (and `make bench`, CONTRACT.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint venv clean bench

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

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache
