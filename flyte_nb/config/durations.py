"""Durations given as seconds or a timedelta (timeout, backoff, idle_ttl, max_age, ...).

One checker for all of them, because the ways a duration goes wrong are the same everywhere:
NaN, infinity and 1e20 seconds make `timedelta` raise OverflowError (which pydantic does not
turn into a validation error), and a timedelta near `timedelta.max` overflows the runtime's
waits later. Each is refused here with a ValueError naming the field and the value.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta
from typing import Any

import pydantic

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


#: "1h30m", "90s", "2.5m", "1d 2h", "250ms": what a person types in a form field for a duration.
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|d|h|m|s)", re.IGNORECASE)
_ISO = pydantic.TypeAdapter(timedelta)
_UNIT = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
#: The pattern a form checks before sending (the same grammar as parse_text, and ISO 8601 as code writes it).
TEXT_PATTERN = r"^\s*((\d+(\.\d+)?\s*(ms|d|h|m|s)?\s*)+|P[0-9A-Za-z.]+)$"


def parse_text(text: str, what: str) -> timedelta:
    """A duration as a form holds it: "90" (seconds), "1h30m", "2.5m", "250ms", or ISO 8601 ("PT30S").
    Why not only ISO: nobody types PT1H30M; the forms show and take what people write."""
    stripped = text.strip()
    if re.fullmatch(r"\d+(\.\d+)?", stripped):
        return duration(float(stripped), what, inclusive=True)
    if stripped[:1] in ("P", "p"):
        try:
            return duration(_ISO.validate_python(stripped.upper()), what, inclusive=True)
        except pydantic.ValidationError:
            raise ValueError(f"{what}: {text!r} is not a duration (e.g. 30s, 5m, 1h30m)") from None
    parts = _PART.findall(stripped)
    if not parts or _PART.sub("", stripped).strip():
        raise ValueError(f"{what}: {text!r} is not a duration (e.g. 30s, 5m, 1h30m)")
    return duration(sum(float(number) * _UNIT[unit.lower()] for number, unit in parts), what, inclusive=True)


def as_text(value: timedelta) -> str:
    """A duration as a person writes it: 40s, 5m, 1h30m, 1d2h, 250ms (parse_text reads it back exactly)."""
    seconds = value.total_seconds()
    if seconds and seconds < 1:
        return f"{seconds * 1000:g}ms"
    out = []
    for unit in ("d", "h", "m"):
        whole, seconds = divmod(seconds, _UNIT[unit])
        if whole:
            out.append(f"{whole:g}{unit}")
    if seconds or not out:
        out.append(f"{round(seconds, 6):g}s")
    return "".join(out)
