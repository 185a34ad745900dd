#!/usr/bin/env bash
# The whole check: lint, the import contract (model never imports Qt), mypy --strict on the
# model (configured in pyproject.toml [tool.mypy]) and the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
export QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen}
export QTWEBENGINE_DISABLE_SANDBOX=1
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/lint-imports
.venv/bin/mypy
.venv/bin/pytest -n "${TEST_WORKERS:-2}" -p no:cacheprovider "$@"
