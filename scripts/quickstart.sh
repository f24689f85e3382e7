#!/usr/bin/env bash
# Install everything, then run notebooks/quickstart.ipynb in a fresh kernel and print its outputs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
.venv/bin/jupyter execute --output=/tmp/quickstart.out.ipynb notebooks/quickstart.ipynb
.venv/bin/jupyter nbconvert --to markdown --stdout /tmp/quickstart.out.ipynb 2>/dev/null
