"""`flyte.logger` (the SDK's 'flyte.user' logger) and `flyte.system_logger` ('flyte'), for task code."""

from __future__ import annotations

import logging
import sys


def _user_logger() -> logging.Logger:
    """As the SDK's: level WARNING, not propagated, printed to stderr (a task's log, in a container too)."""
    found = logging.getLogger("flyte.user")
    if not found.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
        found.addHandler(handler)
        found.setLevel(logging.WARNING)
        found.propagate = False
    return found


logger = _user_logger()
system_logger = logging.getLogger("flyte")
