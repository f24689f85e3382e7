"""`flyte.group(name)` and `flyte.trace`: in the SDK they shape a run's UI (groups of actions, traced
helpers); here a group is a context manager and a trace the function itself, so the code runs as written.
"""

from __future__ import annotations

import contextlib
from typing import Callable, Iterator, TypeVar

T = TypeVar("T")


@contextlib.contextmanager
def group(name: str) -> Iterator[None]:
    """Calls made in the block belong to group `name` (the SDK's UI grouping; nothing to draw here)."""
    if not isinstance(name, str):
        raise TypeError(f"flyte.group(name={name!r}): name must be a str")
    yield


def trace(func: Callable[..., T]) -> Callable[..., T]:
    """@flyte.trace: the SDK records the helper's calls for recovery; here the function runs unchanged."""
    if not callable(func):
        raise TypeError(f"flyte.trace({func!r}): decorate a function")
    return func
