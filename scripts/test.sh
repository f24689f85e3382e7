#!/usr/bin/env bash
# The test command (README, .ci/run): install everything, then run the whole suite.
# Exits non-zero when a test fails, and when no test ran at all.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
export CI="${CI:-}"
exec .venv/bin/python -m pytest "$@"
