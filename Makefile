# REM: make install | run | test | bench | lint
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: install run test bench lint clean

install: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip setuptools wheel
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

run: install
	$(VENV)/bin/rem serve

test: install
	$(VENV)/bin/pytest -q -p no:cacheprovider

bench: install
	$(PY) -m benchmarks.run

lint: install
	$(VENV)/bin/ruff check remwire engine tests benchmarks tools

clean:
	rm -rf $(VENV) build *.egg-info
