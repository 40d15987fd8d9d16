# spherekern: `make check` runs the validation suite, `make test` the fast tests.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.installed

.PHONY: check test slow bench venv clean

# (Re)create the virtual environment and install the project when pyproject.toml changes.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,bench,distributed]"
	touch $(STAMP)

venv: $(STAMP)

check: $(STAMP)
	$(PY) -m paper_checks $(ARGS)

test: $(STAMP)
	$(PY) -m pytest -q -m "not slow"

slow: $(STAMP)
	$(PY) -m pytest -q -m slow

bench: $(STAMP)
	$(PY) -m pytest bench -o python_files="bench_*.py" -q -p no:cacheprovider --benchmark-only --benchmark-columns=min,median,rounds --benchmark-json=bench/.last.json $(ARGS)
	$(PY) -m bench.report bench/.last.json

clean:
	rm -rf $(VENV) paper_checks_out .pytest_cache .benchmarks
