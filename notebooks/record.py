"""Run notebooks in a fresh kernel and store their outputs the way nbval reads them.

nbval records each display's first state (it ignores update_display_data), while a live
notebook shows the last: this writes what nbval will compare, so `pytest --nbval` checks real
outputs. Usage: python notebooks/record.py notebooks/*.ipynb
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.manager import start_new_kernel


# A fresh cache and data dir, as the test run has (conftest.py): what is recorded is a first run.
_ROOT = tempfile.mkdtemp(prefix="flyte-nb-record-")
os.environ["FLYTE_NB_CACHE_DIR"] = os.path.join(_ROOT, "cache")
os.environ["FLYTE_NB_DATA_DIR"] = os.path.join(_ROOT, "data")


def run_cell(kc: Any, source: str, timeout: float = 600) -> tuple[list[Any], int | None]:
    msg_id = kc.execute(source)
    outputs: list[Any] = []
    count = None
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "status" and content["execution_state"] == "idle":
            return outputs, count
        if kind == "execute_input":
            count = content["execution_count"]
        elif kind == "stream":
            if outputs and outputs[-1].output_type == "stream" and outputs[-1].name == content["name"]:
                outputs[-1].text += content["text"]
            else:
                outputs.append(nbformat.v4.new_output("stream", name=content["name"], text=content["text"]))
        elif kind in ("display_data", "execute_result"):
            extra = {"execution_count": content["execution_count"]} if kind == "execute_result" else {}
            outputs.append(nbformat.v4.new_output(kind, data=content["data"], metadata=content["metadata"], **extra))
        elif kind == "error":
            outputs.append(nbformat.v4.new_output("error", ename=content["ename"], evalue=content["evalue"],
                                                  traceback=content["traceback"]))


def record(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(path.parent))
    try:
        for cell in notebook.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = run_cell(kc, cell.source)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    nbformat.write(notebook, path)
    print(f"recorded {path}")


if __name__ == "__main__":
    for name in sys.argv[1:]:
        record(Path(name))
