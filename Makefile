# The two set-up commands (README): `make run` and `make test`. Both install what is missing.
.PHONY: run test setup setup-dev lint bench demo-data fuzz

run: setup
	scripts/run.sh

test: setup-dev
	scripts/test.sh

setup:
	scripts/setup.sh

setup-dev:
	scripts/setup.sh --dev

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/lint-imports

# Every benchmark script; the scale benchmark (issue 14) in its --quick form: 1M accounts on 41k
# ZIP-like units (its first run builds the project into build/, a few minutes). The 3M and 10M
# rows of its table take hours: `.venv/bin/python benchmarks/scale.py`.
bench: setup-dev
	for b in benchmarks/*.py; do [ $$b = benchmarks/scale.py ] || .venv/bin/python $$b; done
	.venv/bin/python benchmarks/scale.py --quick

# The long fuzz run (issue 13): mutated CSV, XLSX, GeoJSON, plan and related files through every
# importer via the CLI; prints the summary line and fails on any traceback, hang, memory over
# 1 GB or project changed by a refused import. The test suite runs a 200-case slice.
FUZZ_CASES ?= 2000
FUZZ_SEED ?= 1
fuzz: setup-dev
	.venv/bin/python -m tests.fuzz --cases $(FUZZ_CASES) --seed $(FUZZ_SEED)
