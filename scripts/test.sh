#!/usr/bin/env bash
# Run the whole test suite in the project's own virtual environment.
# PostgreSQL variants run when WAYMARK_TEST_POSTGRES_DSN is set (CI sets it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh test
.venv/bin/ruff check .
.venv/bin/mypy
.venv/bin/lint-imports
exec .venv/bin/pytest "$@"
