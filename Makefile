# Two commands on a fresh clone: `make run` and `make test` (both set up first).
PYTHON ?= python3.10
VENV ?= .venv
BIN := $(VENV)/bin
OUTPUT ?= runs/demo

.PHONY: setup run test bench clean

setup: $(VENV)/.installed

# Installs from the pinned lock file (used as constraints), so pip resolves
# nothing and a fresh install takes minutes, not a backtracking hour.
$(VENV)/.installed: setup.py requirements/lock.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade 'pip==24.3.1' 'setuptools<76' wheel
	$(BIN)/pip install --quiet -c requirements/lock.txt -e '.[test]'
	touch $@

run: setup
	$(BIN)/ner-pipeline run --output $(OUTPUT)

test: setup
	$(BIN)/python -m pytest tests -q

clean:
	rm -rf $(VENV) runs

# Full pipeline on ../shared/data CoNLL-2003 + unlabelled English, then
# inference speed; figures go to runs/bench/benchmark.json (docs/benchmarks.md).
bench: setup
	$(BIN)/python -m benchmarks.benchmark --output runs/bench $(BENCH_ARGS)
