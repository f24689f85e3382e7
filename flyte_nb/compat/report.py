"""`flyte.report` under the stand-in: flyte_nb.report, with the SDK's `.aio` forms.

In the SDK, log/flush/replace are syncified: async tasks must `await flyte.report.log.aio(...)`.
flyte_nb's are plain calls that work anywhere; here each also has an awaitable `.aio`.
"""

from __future__ import annotations

from typing import Any, Callable

from ..report import Tab, get_tab  # noqa: F401 - re-exported
from ..report import flush as _flush
from ..report import log as _log
from ..report import replace as _replace


class _WithAio:
    """A plain call that also offers `await f.aio(...)`."""

    def __init__(self, func: Callable[..., Any]) -> None:
        self._func = func
        self.__doc__ = func.__doc__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._func(*args, **kwargs)

    async def aio(self, *args: Any, **kwargs: Any) -> Any:
        return self._func(*args, **kwargs)


log = _WithAio(_log)
flush = _WithAio(_flush)
replace = _WithAio(_replace)


#: The SDK's report names flyte_nb does not provide: they load, and fail in one line when used.
from ..cluster import stand_ins as _stand_ins  # noqa: E402 - after this module's own names

globals().update(_stand_ins("flyte.report"))
