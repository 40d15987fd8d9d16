# spherekern: `make check` runs the validation suite, `make test` the fast tests.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.installed

.PHONY: check test slow bench docs venv clean

# (Re)create the virtual environment and install the project when pyproject.toml changes.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,bench,distributed,docs]"
	touch $(STAMP)

venv: $(STAMP)

check: $(STAMP)
	$(PY) -m paper_checks $(ARGS)

# Two test processes (pytest-xdist, whole files per process): about half of the fast suite's time is numba
# compiling on a cold cache, which is single-threaded (measured cold, quiet 2-core VM: 3m37 with 2 processes).
TEST_WORKERS ?= 2
test: $(STAMP)
	$(PY) -m pytest -q -m "not slow" -n $(TEST_WORKERS) --dist loadfile

slow: $(STAMP)
	$(PY) -m pytest -q -m slow

bench: $(STAMP)
	$(PY) -m pytest bench -o python_files="bench_*.py" -q -p no:cacheprovider --benchmark-only --benchmark-columns=min,median,rounds --benchmark-json=bench/.last.json $(ARGS)
	$(PY) -m bench.report bench/.last.json

# The documentation site (Sphinx, numpydoc, sphinx-gallery; the gallery runs): warnings are errors.
docs: $(STAMP)
	MPLBACKEND=Agg $(PY) -m sphinx -W --keep-going -q -b html docs docs/_build/html
	@echo "docs: docs/_build/html/index.html"

clean:
	rm -rf $(VENV) paper_checks_out .pytest_cache .benchmarks docs/_build docs/generated docs/auto_examples
