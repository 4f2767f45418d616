#!/usr/bin/env bash
# Creates (or refreshes) the project's virtual environment in .venv. Run by run.sh and test.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

python_bin="${WAYMARK_PYTHON:-}"
if [ -z "$python_bin" ]; then
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
      python_bin="$candidate"; break
    fi
  done
fi
if [ -z "$python_bin" ]; then
  echo "Python 3.11 or newer is needed (set WAYMARK_PYTHON to its path)." >&2
  exit 1
fi

extras="${1:-}"
stamp=".venv/.installed${extras:+-$extras}"
# Reinstall only when the dependency pins changed: a second start is fast, offline and quiet.
wanted="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
  exit 0
fi
if [ -x .venv/bin/python ] && [ -f "$stamp" ]; then
  echo "Updating Waymark's Python environment in .venv (the dependency pins changed)…" >&2
else
  echo "Setting up Waymark's Python environment in .venv (first start: about a minute)…" >&2
fi
if [ ! -x .venv/bin/python ]; then
  if ! "$python_bin" -m venv .venv; then
    # A half-made .venv (no pip) would fail again on every start: leave none behind.
    rm -rf .venv
    echo "Could not create .venv with $python_bin. On Debian or Ubuntu install the venv" \
         "module first: sudo apt install python3-venv (or python3.11-venv), then start again." >&2
    exit 1
  fi
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".${extras:+[$extras]}"
echo "$wanted" > "$stamp"
echo "Environment ready." >&2
