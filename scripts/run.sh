#!/usr/bin/env bash
# Run the whole system locally: NATS (JetStream) and the three services on SQLite under var/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh embedded
exec .venv/bin/waymark run "$@"
