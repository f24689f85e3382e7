"""The real flyte SDK in its own venv (.venv/flyte-sdk), and the JSON that tests/data/sdk_inspect.py prints.

Its own venv because the real `flyte` package must never shadow flyte_nb's stand-in, and its
dependencies must not move flyte_nb's. Made once (pip install of SDK_PACKAGES), then reused; remade when one of them is missing.
pandas and pyarrow let the differential tests compare `flyte.io.DataFrame`; flyteplugins-ray
lets the export tests load a `plugin_config=RayJobConfig(...)` environment with the real plugin.
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
SDK_PACKAGES = ("flyte==2.12.1", "flyteplugins-ray==2.12.1", "pandas", "pyarrow")
_PROBE = ("import flyte, pandas, pyarrow, flyteplugins.ray; "
          "assert flyte.version().startswith('2.12'), flyte.version()")


def _ready() -> bool:
    if not PYTHON.exists():
        return False
    probe = subprocess.run([str(PYTHON), "-c", _PROBE], capture_output=True, text=True)
    return probe.returncode == 0


def sdk_python() -> Path:
    """The venv's python, with flyte 2.12.1 and SDK_PACKAGES installed (creating the venv the first time)."""
    if not _ready():
        if not PYTHON.exists():
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
        install = subprocess.run([str(PYTHON), "-m", "pip", "install", "-q", *SDK_PACKAGES],
                                 capture_output=True, text=True)
        assert install.returncode == 0, install.stdout + install.stderr
        assert _ready(), f"{SDK_PACKAGES} did not import after pip install"
    return PYTHON


def inspect_project(python: Path, package: Path, *, run: bool = True, extra: tuple[str, ...] = ()) -> dict[str, Any]:
    """Import the exported package with the real SDK: its tasks' settings, and main.py's local-mode output."""
    command = [str(python), str(INSPECT), str(package.parent), package.name, *(["--run"] if run else []), *extra]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=package.parent)
    lines = [line for line in done.stdout.splitlines() if line.startswith("SDK-JSON ")]
    assert done.returncode == 0 and lines, f"sdk_inspect failed:\n{done.stdout}\n{done.stderr}"
    return json.loads(lines[-1][len("SDK-JSON "):])
