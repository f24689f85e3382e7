"""The JupyterLab extension from pytest, so `scripts/test.sh` (and CI) runs all of it:
the prebuilt extension is installed and enabled, its TypeScript unit tests (vitest) pass, and
the browser test (Playwright driving Debian's chromium against a real JupyterLab, the task
run in Docker) passes and leaves its screenshots in ui-tests/artifacts/.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # .venv/bin: jupyter for Playwright's web server
ARTIFACTS = ROOT / "ui-tests" / "artifacts"
SCREENSHOTS = ["sidebar-not-loaded.png", "sidebar-form.png", "sidebar-run-succeeded.png", "run-report-tab.png",
               "lab-light.png", "sidebar-light.png", "lab-dark.png", "sidebar-dark.png",
               "run-tab-dark.png",
               # ui-tests/tests/timeline.spec.ts: %flyte_timeline in a cell and the sidebar's timeline
               "timeline-cell-light.png", "timeline-sidebar-light.png", "timeline-cell-dark.png",
               "timeline-sidebar-dark.png"]


def _env() -> dict[str, str]:
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1", "FLYTE_NB_PYTHON": sys.executable, "NO_COLOR": "1",
            "FORCE_COLOR": "0"}


def _free_port() -> int:
    """A loopback port nothing listens on now (the OS picks it), for JupyterLab under Playwright."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def _listening(port: int) -> Iterator[None]:
    """Something listening on `port` meanwhile (or already: then that is the listener)."""
    with socket.socket() as other:
        try:
            other.bind(("127.0.0.1", port))
            other.listen(1)
        except OSError:  # taken already: the same situation
            pass
        yield


def _plain(text: str) -> str:
    """Output without terminal colours (some runners colour output under CI=true regardless)."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


@pytest.fixture(scope="module")
def node_modules() -> Path:
    """The workspace's node deps (pip install -e . installs them when it builds; again here if gone)."""
    if not (ROOT / "node_modules" / ".bin" / "playwright").exists():
        subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=ROOT, env=_env(), check=True,
                       timeout=600)
    return ROOT / "node_modules"


def test_the_prebuilt_extension_is_installed_and_enabled() -> None:
    out = subprocess.run([str(BIN / "jupyter"), "labextension", "list"], capture_output=True, text=True,
                         timeout=120, env=_env())
    listing = out.stdout + out.stderr
    line = next((x for x in listing.splitlines() if "flyte-nb-labextension" in x), "")
    assert "enabled" in line and "OK" in line and "(python, flyte_nb)" in line, listing
    static = ROOT / "flyte_nb" / "labextension" / "static"
    assert any(static.glob("remoteEntry.*.js")), "pip install -e . did not build the labextension"


def test_typescript_unit_tests(node_modules: Path) -> None:
    done = subprocess.run(["npm", "test", "--workspace", "labextension"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env=_env())
    out = _plain(done.stdout)
    assert done.returncode == 0, out[-4000:] + done.stderr[-4000:]
    assert re.search(r"Tests\s+\d+ passed", out) and " failed" not in out, out[-2000:]


@pytest.mark.docker
def test_browser_sidebar_edits_runs_and_report(node_modules: Path) -> None:
    assert shutil.which("chromium") or Path("/usr/bin/chromium").exists(), "Debian's chromium is missing"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    started = time.time()
    with _listening(8899):  # the port a run by hand uses is taken: the test must not depend on it
        done = subprocess.run(["npx", "playwright", "test"], cwd=ROOT / "ui-tests", capture_output=True, text=True,
                              timeout=1200, env={**_env(), "FLYTE_NB_UI_PORT": str(_free_port())})
    out = _plain(done.stdout)
    assert done.returncode == 0, out[-6000:] + done.stderr[-3000:]
    assert "2 passed" in out, out[-2000:]  # sidebar.spec.ts and timeline.spec.ts
    for name in SCREENSHOTS:
        shot = ARTIFACTS / name
        assert shot.exists() and shot.stat().st_mtime >= started - 1, f"{name} was not written by this run"
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 2000, name
