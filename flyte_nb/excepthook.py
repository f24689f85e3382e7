"""flyte.custom_excepthook: the SDK's traceback filter, so a script's error shows the user's frames.

The SDK installs it as sys.excepthook on import; flyte_nb only provides it (a Jupyter kernel shows
errors itself, and replacing a kernel's hook on import would surprise). Call it or install it yourself.
"""

from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType

from .userlog import system_logger

#: Frames from flyte_nb's own machinery: hidden unless the flyte logger is at DEBUG.
_HIDDEN_PATHS = ("flyte_nb/runtime.py", "flyte_nb/runcontext.py", "flyte_nb/runners/", "flyte_nb/syncify.py",
                 "flyte_nb/blocking.py")
_ORIGINAL = sys.excepthook


def _shown(frame: traceback.FrameSummary) -> bool:
    filename = frame.filename.replace("\\", "/")
    return not any(part in filename for part in _HIDDEN_PATHS)


def custom_excepthook(exc_type: type[BaseException], exc_value: BaseException,
                      exc_tb: TracebackType | None) -> None:
    """Print the traceback without flyte_nb's frames (all of it when the flyte logger is at DEBUG)."""
    if system_logger.getEffectiveLevel() <= logging.DEBUG:
        _ORIGINAL(exc_type, exc_value, exc_tb)
        return
    frames = [frame for frame in traceback.extract_tb(exc_tb) if _shown(frame)]
    print("Filtered traceback (most recent call last):")
    traceback.print_list(frames)
    print(f"{exc_type.__name__}: {exc_value}\n")
