"""Where flyte_nb keeps files: the user's data dir (secrets, reports) and cache dir (cache entries)."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """$FLYTE_NB_DATA_DIR, else $XDG_DATA_HOME/flyte_nb, else ~/.local/share/flyte_nb."""
    base = os.environ.get("FLYTE_NB_DATA_DIR") or os.path.join(
        os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share"), "flyte_nb")
    return Path(base)


def cache_dir() -> Path:
    """$FLYTE_NB_CACHE_DIR, else $XDG_CACHE_HOME/flyte_nb, else ~/.cache/flyte_nb."""
    base = os.environ.get("FLYTE_NB_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "flyte_nb")
    return Path(base)
