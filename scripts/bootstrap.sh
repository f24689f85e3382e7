#!/usr/bin/env bash
# Installs everything flyte_nb needs on a fresh Debian bookworm machine (as root), idempotently:
# Debian packages (Docker engine, debootstrap, Chromium), a running Docker engine, the Python
# venv .venv with flyte_nb and its test extras, node deps and the JupyterLab extension, and the
# offline base image. Safe to re-run; each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
log() { printf '\n== %s\n' "$*"; }

need_apt=()
command -v dockerd >/dev/null || need_apt+=(docker.io)
command -v debootstrap >/dev/null || need_apt+=(debootstrap)
command -v chromium >/dev/null || need_apt+=(chromium)
command -v npm >/dev/null || need_apt+=(nodejs npm)  # builds the JupyterLab extension (pip install runs npm)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "apt-get install ${need_apt[*]}"
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  log "starting the Docker engine (bridge none: task containers use network none)"
  nohup dockerd --bridge=none --iptables=false --ip6tables=false >/tmp/flyte-nb-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { echo "dockerd did not start; see /tmp/flyte-nb-dockerd.log" >&2; tail -20 /tmp/flyte-nb-dockerd.log >&2; exit 1; }
fi

if [ ! -x .venv/bin/python ]; then
  log "creating .venv"
  python3 -m venv .venv
fi
# pip install builds the JupyterLab extension: hatch-jupyter-builder runs `npm install` at the
# workspace root (labextension/ and ui-tests/, from package-lock.json) and the extension's build.
# Playwright (ui-tests/) never downloads browsers: the browser test drives Debian's chromium.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
log "pip install -e .[test]"
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[test]'

log "offline base image"
.venv/bin/python -m flyte_nb.images bootstrap
