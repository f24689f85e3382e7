"""Export to a real Flyte 2 project (`%flyte_export DIR`, `python -m flyte_nb export NB.ipynb -o DIR`).

Loaded only when used, so `%load_ext flyte_nb` stays fast. docs/export.md lists what the export
writes differently from the notebook to keep its meaning under the flyte SDK.
"""

from __future__ import annotations

from .errors import ExportError
from .project import Export, export_project

__all__ = ["Export", "ExportError", "export_project"]
