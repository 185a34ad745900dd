# The two set-up commands (README): `make run` and `make test`. Both install what is missing.
.PHONY: run test setup setup-dev lint bench demo-data

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

bench: setup-dev
	for b in benchmarks/*.py; do .venv/bin/python $$b; done
