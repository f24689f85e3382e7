"""A real IPython kernel of this interpreter, for the tests that talk to one over jupyter_client."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager


def start_venv_kernel(home: Path, name: str, env: dict[str, str]) -> KernelManager:
    """Start a kernel of this interpreter (.venv's under `.venv/bin/python -m pytest`, never a python3
    found on PATH) from a kernelspec written under `home`, with `env`, in `home`."""
    spec_dir = home / "kernels" / name
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": name, "language": "python"}))
    km = KernelManager(kernel_name=name, kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(spec_dir.parent)]))
    km.start_kernel(env=env, cwd=str(home))
    return km
