# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
PORT ?= 5000
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Pinned versions: what Heroku-style hosts install (requirements.txt) and what `make`
# installs for development (requirements-dev.txt, the same pins plus the dev tools).
LOCK := requirements.txt
DEV_LOCK := requirements-dev.txt
PIP_COMPILE := CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --strip-extras \
	--no-emit-index-url --no-emit-find-links --no-emit-trusted-host

.PHONY: run test lint lock bench install clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: install Python 3.11 or run make PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml $(DEV_LOCK)
	$(BIN)/python -m pip install --quiet -c $(DEV_LOCK) -e '.[dev,local]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/shopsync dev --port $(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

LINT_PATHS := shopsync handlers tests wsgi.py gunicorn.conf.py .ci $(wildcard bench)

lint: $(STAMP)
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/mypy
	$(BIN)/python .ci/check_lock.py

# Re-resolve both lock files from pyproject.toml (keeping current pins where they fit).
# The runtime pins are constrained by the development ones, so both agree.
lock: $(STAMP)
	$(PIP_COMPILE) --extra dev --extra local --output-file $(DEV_LOCK) pyproject.toml
	$(PIP_COMPILE) --constraint $(DEV_LOCK) --output-file $(LOCK) pyproject.toml
	@printf '\n# The project itself, with the pinned dependencies above.\n.\n' >> $(LOCK)
	$(BIN)/python .ci/check_lock.py

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
