# Two commands from a fresh clone: `make report` and `make test`.
# Each creates .venv when missing and installs what it needs from pyproject.toml.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip

.PHONY: report test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml setup.py | $(BIN)/python
	$(PIP) install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml setup.py | $(BIN)/python
	$(PIP) install --quiet -e ".[dev]"
	@touch $@ $(VENV)/.installed

report: $(VENV)/.installed
	MPLBACKEND=Agg $(BIN)/impact run data/initiatives --out reports --jobs 2
	@echo "Reports written: $(CURDIR)/reports/index.html"

test: $(VENV)/.installed-dev
	MPLBACKEND=Agg $(BIN)/python -m pytest -n 2 --dist loadfile

bench: $(VENV)/.installed-dev
	$(PIP) install --quiet -e ".[dev,bench]"
	$(BIN)/python benchmarks/staggered.py --rows 1M --repeat 5

clean:
	rm -rf reports .pytest_cache build src/*.egg-info
