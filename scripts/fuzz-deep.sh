#!/usr/bin/env bash
# The deep fuzzing runs (tests/deep), too slow for CI: schemathesis over the three services'
# APIs as every role, and hypothesis over the web app's pages and the outreach app's API.
# WAYMARK_FUZZ_EXAMPLES sets the examples per operation (per route for the web app);
# WAYMARK_FUZZ_REPORT where the API run writes its findings (JSON lines);
# WAYMARK_FUZZ_DATABASE_URL runs the services on that PostgreSQL database instead of SQLite.
# Usage: bash scripts/fuzz-deep.sh [pytest options], e.g. -k web. See docs/security.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export WAYMARK_FUZZ_EXAMPLES="${WAYMARK_FUZZ_EXAMPLES:-100}"
export WAYMARK_FUZZ_REPORT="${WAYMARK_FUZZ_REPORT:-var/deep-fuzz-findings.jsonl}"
mkdir -p "$(dirname "$WAYMARK_FUZZ_REPORT")"
exec .venv/bin/pytest tests/deep -p no:cacheprovider --timeout 7200 \
    -W ignore::hypothesis.errors.HypothesisWarning "$@"
