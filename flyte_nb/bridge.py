"""The kernel side of the JupyterLab sidebar's comm (target "flyte_nb"); see labextension/.

Until the sidebar connects, request_insert reports that nobody can insert a cell.
"""

from __future__ import annotations

from typing import Any

_comms: list[Any] = []


def request_insert(code: str) -> bool:
    """Ask a connected sidebar to insert `code` as a new cell below the active one."""
    for comm in list(_comms):
        try:
            comm.send({"version": 1, "type": "insert_cell", "code": code})
            return True
        except Exception:  # noqa: BLE001 - a closed comm
            _comms.remove(comm)
    return False
