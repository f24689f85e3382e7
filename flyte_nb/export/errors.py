"""ExportError: what cannot be written as a flyte project, named (a lambda, a closure, a live object)."""

from __future__ import annotations


class ExportError(ValueError):
    """Raised before any file is written, so a failed export leaves nothing half-done."""
