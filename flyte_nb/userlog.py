"""`flyte.logger` (the SDK's 'flyte.user' logger) and `flyte.system_logger` ('flyte'), for task code."""

from __future__ import annotations

import logging
import os
import sys


def _user_logger() -> logging.Logger:
    """As the SDK's: level INFO (USER_LOG_LEVEL), not propagated, to stderr (a task's log, in a container too)."""
    found = logging.getLogger("flyte.user")
    if not found.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
        found.addHandler(handler)
        found.setLevel(_level(os.environ.get("USER_LOG_LEVEL", "")))
        found.propagate = False
    return found



def _level(text: str) -> int:
    """USER_LOG_LEVEL as the SDK reads it: a number or a level name; INFO when unset or unknown."""
    if text.strip().isdigit():
        return int(text)
    level = logging.getLevelName(text.strip().upper())
    return level if isinstance(level, int) else logging.INFO


logger = _user_logger()
system_logger = logging.getLogger("flyte")
