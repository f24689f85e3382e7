"""The real flyte SDK in its own venv (.venv/flyte-sdk), and the JSON that tests/data/sdk_inspect.py prints.

Its own venv because the real `flyte` package must never shadow flyte_nb's stand-in, and its
dependencies must not move flyte_nb's. Made once (pip install of SDK_PACKAGES), then reused; remade when one of them is missing.
pandas and pyarrow let the differential tests compare `flyte.io.DataFrame`; flyteplugins-ray
lets the export tests load a `plugin_config=RayJobConfig(...)` environment with the real plugin.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv" / "flyte-sdk"
PYTHON = VENV / "bin" / "python"
FLYTE_CLI = VENV / "bin" / "flyte"
#: An endpoint nothing listens on: `flyte deploy --dry-run` wants a client configured, and never calls it.
NO_CLUSTER = "dns:///127.0.0.1:9"
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


def flyte_cli(project: Path, *words: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    """The real SDK's `flyte` command, run from the exported project's folder (as its README says),
    plain text (no colours, no wrapping) so its outputs can be compared."""
    env = {**os.environ, "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "1000"}
    env.pop("PYTHONPATH", None)  # flyte_nb's checkout must not be importable by the SDK's side
    return subprocess.run([str(FLYTE_CLI), *words], capture_output=True, text=True, timeout=timeout, cwd=project, env=env)


def cli_outputs(done: subprocess.CompletedProcess[str]) -> str:
    """`ActionOutputs(o0=...)` from `flyte -of json run --local ...`'s "Outputs:" line."""
    text = re.sub(r"\x1b\[[0-9;]*m|\x1b]8;[^\x1b]*\x1b\\", "", done.stdout)
    found = [line.split("Outputs:", 1)[1].strip() for line in text.splitlines() if "Outputs:" in line]
    assert done.returncode == 0 and found, f"flyte run failed:\n{done.stdout}\n{done.stderr}"
    return found[-1]


def action_outputs(values: tuple[Any, ...]) -> str:
    """How the SDK's CLI prints a local run's outputs (flyte.remote.ActionOutputs.__repr__), for flyte_nb's values."""
    return "ActionOutputs(" + ", ".join(f'o{i}="{v}"' if isinstance(v, str) else f"o{i}={v}"
                                        for i, v in enumerate(values)) + ")"
