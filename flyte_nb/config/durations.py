"""Durations given as seconds or a timedelta (timeout, backoff, idle_ttl, max_age, ...).

One checker for all of them, because the ways a duration goes wrong are the same everywhere:
NaN, infinity and 1e20 seconds make `timedelta` raise OverflowError (which pydantic does not
turn into a validation error), and a timedelta near `timedelta.max` overflows the runtime's
waits later. Each is refused here with a ValueError naming the field and the value.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from .errors import show

#: The longest duration accepted: 100 years is "no limit" for a notebook call, and stays
#: below threading.TIMEOUT_MAX (about 292 years) so every wait on it works.
MAX_DURATION = timedelta(days=36_500)


def duration(value: Any, what: str, *, minimum: float = 0.0, inclusive: bool = False) -> timedelta:
    """`value` (seconds or timedelta) as a timedelta in (minimum, MAX_DURATION], else ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, float, timedelta)):
        raise ValueError(f"{what} must be seconds (int) or a timedelta, not {show(value)}")
    seconds = value.total_seconds() if isinstance(value, timedelta) else _seconds(value)
    if math.isnan(seconds):
        raise ValueError(f"{what} must be a number of seconds, not {show(value)}")
    if seconds < minimum or (seconds == minimum and not inclusive):
        bound = ">=" if inclusive else ">"
        raise ValueError(f"{what} must be {bound} {minimum:g} seconds, got {show(value)}")
    if seconds > MAX_DURATION.total_seconds():
        raise ValueError(f"{what}={show(value)} is longer than the maximum of {MAX_DURATION.days} days (100 years)")
    return value if isinstance(value, timedelta) else timedelta(seconds=seconds)


def _seconds(value: float) -> float:
    """float(value), with an int too large for a float counted as infinite (it is over the maximum)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf
