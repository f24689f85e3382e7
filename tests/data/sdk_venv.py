"""The real flyte SDK in its own venv (.venv/flyte-sdk), and the JSON that tests/data/sdk_inspect.py prints.

Its own venv because the real `flyte` package must never shadow flyte_nb's stand-in, and its
dependencies must not move flyte_nb's. Made once (pip install 'flyte==2.12.*'), then reused.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv" / "flyte-sdk"
PYTHON = VENV / "bin" / "python"
INSPECT = ROOT / "tests" / "data" / "sdk_inspect.py"


def _ready() -> bool:
    if not PYTHON.exists():
        return False
    probe = subprocess.run([str(PYTHON), "-c", "import flyte; assert flyte.version().startswith('2.12'), flyte.version()"],
                           capture_output=True, text=True)
    return probe.returncode == 0


def sdk_python() -> Path:
    """The venv's python, with flyte 2.12.x installed (creating the venv the first time)."""
    if not _ready():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
        install = subprocess.run([str(PYTHON), "-m", "pip", "install", "-q", "flyte==2.12.*"],
                                 capture_output=True, text=True)
        assert install.returncode == 0, install.stdout + install.stderr
        assert _ready(), "flyte 2.12 did not import after pip install"
    return PYTHON


def inspect_project(python: Path, package: Path, *, run: bool = True, extra: tuple[str, ...] = ()) -> dict[str, Any]:
    """Import the exported package with the real SDK: its tasks' settings, and main.py's local-mode output."""
    command = [str(python), str(INSPECT), str(package.parent), package.name, *(["--run"] if run else []), *extra]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=package.parent)
    lines = [line for line in done.stdout.splitlines() if line.startswith("SDK-JSON ")]
    assert done.returncode == 0 and lines, f"sdk_inspect failed:\n{done.stdout}\n{done.stderr}"
    return json.loads(lines[-1][len("SDK-JSON "):])
