"""A task's error as the user's own code raised it: their frames only, with their cells and lines.

A task runs in a container, so its exception reaches the kernel as data (flyte_nb.remote). Shown
as it came, a `ValueError` in a task took 96-132 lines: the container's copy of the traceback as
text (asyncio's and flyte_nb's frames, the user's line as `<dynamic-code>, line 4`), then every
kernel frame between the cell and the runner. Here:

- in the container, `frames_of` keeps the frames that are not machinery (flyte_nb's own, asyncio's,
  the runner's libraries), with what the kernel needs to show them (file, line, function, its
  first line and argument names, and the source lines when the container has the file);
- in the kernel, `attach` gives the rebuilt exception a real traceback made of those frames (each a
  one-line stand-in compiled at the user's file and line), so IPython shows `Cell In[6], line 4`
  with the source from its own cache, and plain Python shows `File "...", line 4` with the line;
- at each public entry point (a task call, flyte.run), `user_facing` removes the machinery frames
  between the caller and the task's frames, and hides its own frame (`__tracebackhide__`, which
  IPython and pytest honor): what is left is the caller's cell, then the task's code.

The container's whole traceback stays one step away: the run's attempt keeps it (`%flyte_logs --full
RUN`). With the flyte logger at DEBUG nothing is trimmed (flyte_nb's frames, for debugging it).
"""

from __future__ import annotations

import collections
import functools
import inspect
import keyword
import linecache
import logging
import os
import re
import types
from pathlib import Path
from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

#: flyte_nb's own files, in this process (the kernel's copy, or the container's).
PACKAGE = str(Path(__file__).resolve().parent) + os.sep
#: The standard library's and the runner's libraries' frames between a call and the task's code.
_MACHINERY = re.compile(r"[/\\](asyncio|concurrent|docker|requests|urllib3|cloudpickle)[/\\]"
                        r"|[/\\]python3\.\d+[/\\](threading|contextlib|runpy|selectors|queue)\.py$")
#: At most this many frames of a task travel (a RecursionError has a thousand): the first and the last ones.
FIRST_FRAMES, LAST_FRAMES = 5, 15
#: Source lines sent with a frame the kernel may not have the file of (a library inside the image).
CONTEXT_LINES = 5
#: Remote tracebacks kept for the run records (runtime reads them back right after the attempt fails).
_KEPT: collections.OrderedDict[int, tuple[BaseException, str]] = collections.OrderedDict()
_KEEP = 64


def machinery(filename: str) -> bool:
    """True for a frame of flyte_nb itself, asyncio, threading and the runner's libraries."""
    path = os.path.abspath(filename) if not filename.startswith("<") else filename
    return path.startswith(PACKAGE) or bool(_MACHINERY.search(path))


# ---- in the container -------------------------------------------------------------------------
def frames_of(tb: types.TracebackType | None) -> list[dict[str, Any]]:
    """The user's frames of a traceback, as JSON data (innermost last)."""
    frames: list[dict[str, Any]] = []
    while tb is not None:
        code = tb.tb_frame.f_code
        if not machinery(code.co_filename):
            line = tb.tb_lineno or code.co_firstlineno
            frames.append({"file": code.co_filename, "line": line, "name": code.co_name,
                           "first": code.co_firstlineno,
                           "args": list(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]),
                           "source": _window(code.co_filename, code.co_firstlineno, line)})
        tb = tb.tb_next
    if len(frames) > FIRST_FRAMES + LAST_FRAMES:
        frames = frames[:FIRST_FRAMES] + frames[-LAST_FRAMES:]
    return frames


def _window(filename: str, first: int, line: int) -> dict[str, str]:
    """The lines up to `line` (at most CONTEXT_LINES, not before the function's first) this process can read."""
    start = max(first, line - CONTEXT_LINES + 1, 1)
    lines = {str(n): linecache.getline(filename, n) for n in range(start, line + 1)}
    return {n: text for n, text in lines.items() if text}


# ---- in the kernel ----------------------------------------------------------------------------
class _Stand(Exception):
    """Raised by a frame's stand-in to capture that frame."""


class _Elsewhere:
    """A stand-in frame's argument values: they lived in the task's container."""

    def __repr__(self) -> str:
        return "<in the task's container>"


_ELSEWHERE = _Elsewhere()


def attach(error: BaseException, frames: Any, clean: Callable[[str], str] = lambda s: s) -> BaseException:
    """Give `error` a traceback made of the task's frames (as frames_of sent them); returns it.

    Each frame is a stand-in compiled at the user's file and line: a traceback shows the user's own
    source there (IPython's cells are in linecache). Malformed frame data is skipped, never trusted.
    """
    head: types.TracebackType | None = None
    last: types.TracebackType | None = None
    for frame in frames if isinstance(frames, list) else []:
        tb = _stand_in(frame, clean)
        if tb is None:
            continue
        if last is None:
            head = tb
        else:
            last.tb_next = tb
        last = tb
    return error.with_traceback(head)


def _stand_in(frame: Any, clean: Callable[[str], str]) -> types.TracebackType | None:
    if not isinstance(frame, dict):
        return None
    filename, line, first, name = frame.get("file"), frame.get("line"), frame.get("first"), frame.get("name")
    if not (isinstance(filename, str) and isinstance(line, int) and 0 < line <= 1_000_000 and isinstance(name, str)):
        return None
    filename = clean(filename)
    first = first if isinstance(first, int) and 0 < first < line else None
    args = [a for a in frame.get("args") or [] if isinstance(a, str) and a.isidentifier() and not keyword.iskeyword(a)]
    _known_source(filename, frame.get("source"), clean)
    scope: dict[str, Any] = {"__name__": "__flyte_remote__", "_Stand": _Stand, "_elsewhere": _ELSEWHERE}
    if first is not None and name.isidentifier() and not keyword.iskeyword(name):
        # a function frame: `def name(args):` at its first line, `raise` at the line it was at
        signature = ", ".join(f"{a}=_elsewhere" for a in dict.fromkeys(args))
        source = "\n" * (first - 1) + f"def {name}({signature}):\n" + "\n" * (line - first - 1) + "    raise _Stand\n"
        exec(compile(source, filename, "exec"), scope)  # noqa: S102 - our own two lines
        run: Callable[[], Any] = scope[name]
    else:  # module level, a lambda or a comprehension: a code object of that name, at that line
        code = compile("\n" * (line - 1) + "raise _Stand\n", filename, "exec").replace(co_name=name)
        run = functools.partial(exec, code, scope)
    try:
        run()
    except _Stand as raised:  # its traceback: this function's frame, then the stand-in's
        tb = raised.__traceback__
        return tb.tb_next if tb is not None else None
    return None


def _known_source(filename: str, source: Any, clean: Callable[[str], str]) -> None:
    """Lines the container sent, for a file this kernel cannot read (a library inside the image)."""
    if not isinstance(source, dict) or not source or linecache.getline(filename, 1) or os.path.exists(filename):
        return
    numbered = {int(n): clean(t) for n, t in source.items()
                if isinstance(n, str) and n.isdigit() and 0 < int(n) <= 1_000_000 and isinstance(t, str)}
    if not numbered:
        return
    lines = [numbered.get(n, "\n") for n in range(1, max(numbered) + 1)]
    linecache.cache[filename] = (sum(map(len, lines)), None, lines, filename)


_FRAME_LINE = re.compile(r'^  File "(?P<file>[^"]+)", line (?P<line>\d+), in ')


def with_sources(text: str) -> str:
    """A traceback text from the container with the source lines it could not show (the user's cells are
    in this kernel's linecache, not in the container)."""
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    for index, line in enumerate(lines):
        out.append(line)
        match = _FRAME_LINE.match(line)
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if match and not following.startswith("    "):
            source = linecache.getline(match["file"], int(match["line"])).strip()
            if source:
                out.append(f"    {source}\n")
    return "".join(out)


def keep_remote(error: BaseException, text: str) -> None:
    """Keep the container's whole traceback of `error` for its run record (read with remote_text)."""
    _KEPT[id(error)] = (error, with_sources(text))
    while len(_KEPT) > _KEEP:
        _KEPT.popitem(last=False)


def remote_text(error: BaseException) -> str | None:
    """The container's whole traceback of `error`, once (None for an error raised in the kernel)."""
    kept = _KEPT.pop(id(error), None)
    return kept[1] if kept is not None and kept[0] is error else None


def carry(fresh: BaseException, original: BaseException) -> BaseException:
    """`fresh` (the SDK's error for a task's failure, built from its data) with the task's traceback: a display
    of it shows the user's cell and line, as `original`'s did. `original` stays its __cause__ for code that
    reads it, and a display shows it once: its frames are fresh's (WithoutEntry leaves it out)."""
    fresh.__cause__ = original
    try:
        fresh._flyte_nb_carried = True  # type: ignore[attr-defined]
    except (AttributeError, TypeError):  # an exception class with __slots__
        pass
    return fresh.with_traceback(original.__traceback__)


# ---- at the entry points ----------------------------------------------------------------------
def trimmed(tb: types.TracebackType | None) -> types.TracebackType | None:
    """A new chain of tb without the machinery frames (the original is left as it was)."""
    return _kept(tb, lambda frame: not machinery(frame.f_code.co_filename))


def _kept(tb: types.TracebackType | None, keep: Callable[[types.FrameType], bool]) -> types.TracebackType | None:
    """A new traceback chain of the entries of `tb` whose frame `keep` accepts."""
    kept: list[types.TracebackType] = []
    while tb is not None:
        if keep(tb.tb_frame):
            kept.append(tb)
        tb = tb.tb_next
    chain: types.TracebackType | None = None
    for tb in reversed(kept):
        chain = types.TracebackType(chain, tb.tb_frame, tb.tb_lasti, tb.tb_lineno)
    return chain


class OneLine:
    """`_render_traceback_` (IPython's hook) of an error about the call itself: a bad argument, a refused
    setting, an interrupt. No frame of the user's is left to show, and IPython would show the entry point's."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def __call__(self) -> list[str]:
        from .config.errors import one_line

        return one_line(self.error)


class WithoutEntry:
    """`_render_traceback_` (IPython's hook) of a task's error: IPython's own traceback of it, without the
    entry point's frame (IPython would show `[... skipping hidden 1 frame]` and a blank line for it)."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def __call__(self) -> list[str]:
        from IPython import get_ipython

        formatter = get_ipython().InteractiveTB
        error = self.error
        cause = error.__cause__ if getattr(error, "_flyte_nb_carried", False) else None
        if cause is not None:  # the task's exception, whose frames this one carries (carry): shown once
            error.__cause__ = None
        try:
            return formatter.structured_traceback(type(error), error, _without_entries(error.__traceback__))
        except Exception:  # noqa: BLE001 - IPython's own rendering, rather than none
            return formatter.structured_traceback(type(error), error, error.__traceback__)
        finally:
            if cause is not None:
                error.__cause__ = cause


def _without_entries(tb: types.TracebackType | None) -> types.TracebackType | None:
    """Without flyte_nb's frames that hide themselves (the entry points; flyte.map's generator)."""
    return _kept(tb, lambda frame: not (frame.f_code.co_filename.startswith(PACKAGE)
                                        and frame.f_locals.get("__tracebackhide__")))


def _about_the_call(error: BaseException) -> bool:
    """Errors flyte_nb raises on purpose (its own classes, bad arguments, interrupts), not its bugs."""
    import asyncio

    return isinstance(error, (TypeError, ValueError, KeyboardInterrupt, asyncio.CancelledError)) or \
        type(error).__module__.split(".")[0] == "flyte_nb"


def surfaced(error: BaseException) -> BaseException:
    """`error` with the machinery frames taken out of its traceback (all kept at DEBUG); one line in IPython
    when nothing is left of it (flyte_nb refused the call)."""
    from .userlog import system_logger

    if system_logger.getEffectiveLevel() <= logging.DEBUG:
        return error
    tb = trimmed(error.__traceback__)
    if not hasattr(error, "_render_traceback_") and (tb is not None or _about_the_call(error)):
        try:
            error._render_traceback_ = WithoutEntry(error) if tb is not None else OneLine(error)  # type: ignore
        except (AttributeError, TypeError):  # an exception class with __slots__
            pass
    return error.with_traceback(tb)


def user_facing(func: F) -> F:
    """A public entry point: what it raises shows the caller's frames, then the task's, and nothing between."""
    if inspect.iscoroutinefunction(func):
        @functools.wraps(func)
        async def entry_async(*args: Any, **kwargs: Any) -> Any:
            __tracebackhide__ = True  # noqa: F841 - read by IPython and pytest
            try:
                return await func(*args, **kwargs)
            except BaseException as error:
                raise surfaced(error)  # noqa: B904 - the same error, a shorter traceback

        return entry_async  # type: ignore[return-value]

    @functools.wraps(func)
    def entry(*args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True  # noqa: F841
        try:
            return func(*args, **kwargs)
        except BaseException as error:
            raise surfaced(error)  # noqa: B904

    return entry  # type: ignore[return-value]
