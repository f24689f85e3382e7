"""The one error type of the configuration system.

Every refusal names the parameter, the value, the level and (for a forbidden cell) where
the parameter may be set instead, so a notebook user can fix the call without reading docs.
It subclasses both ValueError and TypeError: the real flyte SDK raises ValueError for
values it refuses and TypeError for keywords a level does not take, and code written for
the SDK keeps working when it catches either.
"""

from __future__ import annotations

import reprlib
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:
    import pydantic


def show(value: Any, limit: int = 80) -> str:
    """A short, safe repr of a user value for error messages.

    Safe: a value whose repr fails (a 1000-deep list hits the recursion limit, a user class's
    __repr__ may raise) is shown by reprlib's depth-limited form, so building the message for a
    bad value never raises an error of its own.
    """
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - any failure of a user value's repr
        text = _SHALLOW.repr(value) if not isinstance(value, BaseException) else type(value).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


_SHALLOW = reprlib.Repr()
_SHALLOW.maxlevel, _SHALLOW.maxstring, _SHALLOW.maxother = 3, 60, 60


def one_line(error: BaseException) -> list[str]:
    """How IPython shows an error whose message says it all (`_render_traceback_`): its name and message,
    then its notes, and no traceback: a refused setting or a timeout is not a bug to trace."""
    notes = [note for note in getattr(error, "__notes__", None) or () if isinstance(note, str)]
    return [f"\x1b[0;31m{type(error).__name__}\x1b[0m: {error}", *notes]


class ConfigError(ValueError, TypeError):
    """A setting was refused; nothing was created or changed."""

    _render_traceback_ = one_line

    def __init__(
        self,
        message: str,
        *,
        parameter: str | None = None,
        value: Any = None,
        level: str | None = None,
        allowed_levels: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.value = value
        self.level = level
        self.allowed_levels = tuple(allowed_levels)

    def to_json(self) -> dict[str, Any]:
        """The shape the panel and the sidebar show next to a field."""
        return {
            "message": str(self),
            "parameter": self.parameter,
            "value": show(self.value),
            "level": self.level,
            "allowed_levels": list(self.allowed_levels),
        }


def reason_of(error: pydantic.ValidationError) -> str:
    """The human part of a pydantic error: 'must be >= 0', not pydantic's envelope."""
    parts = []
    for item in error.errors():
        msg = str(item.get("msg", ""))
        for prefix in ("Value error, ", "Assertion failed, "):
            if msg.startswith(prefix):
                msg = msg[len(prefix):]
        loc = ".".join(str(p) for p in item.get("loc", ()) if not isinstance(p, int))
        parts.append(f"{loc}: {msg}" if loc and not msg.startswith(loc) else msg)
    return "; ".join(dict.fromkeys(parts))
