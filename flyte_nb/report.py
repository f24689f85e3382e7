"""flyte_nb.report: Flyte 2's report API (log, replace, flush, get_tab), working in notebooks.

Inside a task with report=True, each flush sends the tabs' HTML to the kernel (over the
controller socket from a container, directly in-process), which renders it under the cell
while the task runs and saves the final report as one standalone HTML file. Outside such a
task every call is a no-op with a one-time notice, as in Flyte.
"""

from __future__ import annotations

import contextvars
import html
import threading
from dataclasses import dataclass, field
from typing import Callable

from .notices import notice

MAIN_TAB = "main"
#: An empty tab's text in the standalone file (a blank page looked broken).
EMPTY_TAB = "<p style='color:#666'>This tab is empty: the task wrote nothing to it.</p>"


@dataclass
class Tab:
    """One tab of a report; `log` appends HTML, `replace` sets it."""

    name: str
    _report: "Report | None" = None
    content: list[str] = field(default_factory=list)

    def log(self, content: str, do_flush: bool = False) -> None:
        self.content.append(str(content))
        if do_flush:
            flush()

    def replace(self, content: str, do_flush: bool = False) -> None:
        self.content = [str(content)]
        if do_flush:
            flush()

    def get_html(self) -> str:
        return "\n".join(self.content)


class Report:
    """The tabs of one run's report and where flushes go."""

    def __init__(self, send: Callable[[dict[str, str]], None]) -> None:
        self.tabs: dict[str, Tab] = {MAIN_TAB: Tab(MAIN_TAB)}
        self.send = send
        self._lock = threading.Lock()

    def tab(self, name: str) -> Tab:
        with self._lock:
            return self.tabs.setdefault(name, Tab(name))

    def snapshot(self) -> dict[str, str]:
        with self._lock:
            return {name: tab.get_html() for name, tab in self.tabs.items()}


_CURRENT: contextvars.ContextVar[Report | None] = contextvars.ContextVar("flyte_nb_report", default=None)


def activate(send: Callable[[dict[str, str]], None]) -> contextvars.Token[Report | None]:
    """Make a report current for this task execution (the shim and the in-process runner call this)."""
    return _CURRENT.set(Report(send))


def current() -> Report | None:
    report = _CURRENT.get()
    if report is None:
        notice("flyte_nb.report is used outside a task with report=True: nothing is recorded")
    return report


def get_tab(name: str, create_if_missing: bool = True) -> Tab:
    report = current()
    if report is None:
        return Tab(name)
    if not create_if_missing and name not in report.tabs:
        raise KeyError(f"no report tab {name!r}")
    tab = report.tab(name)
    tab._report = report
    return tab


def log(content: str, do_flush: bool = False) -> None:
    get_tab(MAIN_TAB).log(content, do_flush)


def replace(content: str, do_flush: bool = False) -> None:
    get_tab(MAIN_TAB).replace(content, do_flush)


def flush() -> None:
    """Send the report as it is now to the notebook."""
    report = _CURRENT.get()
    if report is not None:
        report.send(report.snapshot())


def is_empty(tabs: dict[str, str] | None) -> bool:
    """True when no tab has content: views show a line of text instead of a blank frame."""
    return not any((content or "").strip() for content in (tabs or {}).values())


def standalone_html(title: str, tabs: dict[str, str]) -> str:
    """One self-contained HTML file with a tab bar (no scripts from the network)."""
    names = list(tabs)
    buttons = "".join(
        f'<button onclick="show({i})" id="b{i}">{html.escape(n)}</button>' for i, n in enumerate(names))
    panes = "".join(f'<section id="t{i}" style="display:{"block" if i == 0 else "none"}">{tabs[n] if tabs[n].strip() else EMPTY_TAB}</section>'
                    for i, n in enumerate(names))
    script = ("function show(k){document.querySelectorAll('section').forEach((s,i)=>"
              "s.style.display=i===k?'block':'none')}")
    bar = f"<nav>{buttons}</nav>" if len(names) > 1 else ""
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<script>{script}</script></head><body>{bar}{panes}</body></html>")

