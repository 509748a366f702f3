# `make run`, `make test` and `make check` each bootstrap .venv on their own.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test check bench demo clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.14.1 torchvision==0.29.1
	$(PY) -m pip install -q -e '.[train,test]'
	touch $@

run: $(STAMP)
	$(VENV)/bin/vjengine run

test: $(STAMP)
	$(PY) -m pytest

# The fast tier: lint and the tests marked `unit` (no services, GL context, compiles or subprocesses).
check: $(STAMP)
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q -m unit

bench: $(STAMP)
	$(PY) tools/bench.py

clean:
	rm -rf $(VENV) out .pytest_cache
