# The two commands of the README: `make run` (everything locally) and `make test`.
# Python 3.12: the Python of the Dockerfile's runtime flavour. The first python3.12 that runs
# (on PATH, else a pyenv installation); override with PYTHON=/path/to/python3.12.
PYTHON ?= $(firstword $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12; do \
	$$p -c '' 2>/dev/null && echo $$p; done) python3.12)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run stop status smoke lint test test-fast bench clean redshift-double

# Create the virtualenv and install the pinned requirements plus the project (the `datalake`
# command) and the development tools (dev/: `datalake produce`, `datalake platform`):
# requirements-dev.txt = requirements.txt (what the DAG tasks import), Airflow itself (the
# Astro image's own) and the test tools. Re-runs only when a requirement file or a
# pyproject.toml changes.
install: $(STAMP)
$(STAMP): requirements.txt requirements-dev.txt pyproject.toml dev/pyproject.toml
	# A virtualenv of another Python (an older checkout's 3.11) is made anew.
	$(BIN)/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null \
		|| { rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e . -e dev
	touch $(STAMP)

# `make run WAREHOUSE=redshift`: the same platform with the Redshift double
# (dev/datalake_dev/redshift_double, docs/redshift.md) in front of the local PostgreSQL, and
# every datalake command and DAG task sent through it (WAREHOUSE_URI=redshift://...).
WAREHOUSE ?=
run: install
	DATALAKE_LOCAL_WAREHOUSE=$(WAREHOUSE) $(BIN)/datalake platform up

# The Redshift double alone, in the foreground, in front of any PostgreSQL:
#   make redshift-double UPSTREAM=postgresql://user:pw@127.0.0.1:5439/epilot_datalake PORT=5440
# then WAREHOUSE_URI=redshift://user:pw@127.0.0.1:5440/epilot_datalake (S3 via S3_ENDPOINT_URL).
UPSTREAM ?=
PORT ?= 5440
redshift-double: install
	@test -n "$(UPSTREAM)" || (echo "usage: make redshift-double UPSTREAM=<postgresql uri> PORT=<n>"; exit 2)
	$(BIN)/python -m datalake_dev.redshift_double --upstream '$(UPSTREAM)' --port $(PORT)

stop:
	@test -x $(BIN)/datalake && $(BIN)/datalake platform down || echo "nothing to stop (no virtualenv)"

status: install
	$(BIN)/datalake status

# One synthetic hour end to end against whatever the configuration points to (run it first
# against a real cluster); everything it writes is removed again.
smoke: install
	$(BIN)/datalake smoke

# ruff over the whole repository (its rules: pyproject.toml); `make test` runs it first.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# pytest exits 5 when no test ran; that must fail, and it does, since make propagates it.
test: install lint
	sh scripts/ensure-chromium.sh
	AIRFLOW__CORE__LOAD_EXAMPLES=False $(BIN)/python -m pytest tests -p no:cacheprovider $(PYTEST_ARGS)

test-fast: install
	AIRFLOW__CORE__LOAD_EXAMPLES=False $(BIN)/python -m pytest tests -m "not e2e" -p no:cacheprovider $(PYTEST_ARGS)

clean: stop
	rm -rf .local

bench: install
	$(BIN)/python -m datalake_dev.bench --out bench/results.json
