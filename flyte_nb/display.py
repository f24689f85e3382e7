"""Live call views in a notebook: a status line per run that updates in place, the logs in a
collapsible block, and the report in a sandboxed frame with tabs, all under the calling cell.

The view is created in the thread that made the call (so it belongs to that cell: ipykernel
keeps the cell's identity in a context variable) and is updated from the runtime's thread
inside a copy of that context. Plain-text fallbacks keep terminals and saved notebooks readable.
"""

from __future__ import annotations

import contextvars
import html
import threading
import time
from typing import Any

from .registry import registry
from .runs import RunRecord, Status

ICONS = {
    Status.QUEUED: "⏳", Status.BUILDING: "🔨", Status.STARTING: "🚀", Status.RUNNING: "▶", Status.RETRYING: "🔁",
    Status.SUCCEEDED: "✅", Status.FAILED: "❌", Status.TIMED_OUT: "⏱", Status.OOM: "💥", Status.CANCELLED: "⏹",
    Status.CACHED: "💾",
}
LABELS = {Status.CACHED: "cache hit (no container)", Status.TIMED_OUT: "timed out", Status.OOM: "out of memory (OOM)"}
MAX_LOG_LINES = 400
MIN_INTERVAL = 0.25


def _elapsed(run: RunRecord) -> float:
    return (run.ended or time.time()) - run.created


def status_text(run: RunRecord, depth: int = 0) -> str:
    total = run.total_attempts
    attempt = f" attempt {len(run.attempts)}/{total}" if total > 1 and run.attempts else ""
    where = run.attempts[-1].container if run.attempts and run.attempts[-1].container else ""
    where = f" [{where}]" if where else ""
    error = f" — {run.error.splitlines()[0][:160]}" if run.error and run.status.done and run.status is not \
        Status.SUCCEEDED else ""
    return (f"{'  ' * depth}{ICONS.get(run.status, '')} {run.task} {run.id}: {LABELS.get(run.status, run.status.value)}"
            f"{attempt} {_elapsed(run):.1f}s{where}{error}{used_text(run, depth)}")


def used_text(run: RunRecord, depth: int = 0) -> str:
    """' — peak 310 MiB of 2 GiB, 0.9 CPU-s, 1.2s' once a run is done, and a right-sizing hint on its own line."""
    from .rightsizing import for_run
    from .usage import summary

    used = summary(run.usage) if run.status.done else ""
    hint = for_run(run)
    return (f" — {used}" if used else "") + (f"\n{'  ' * depth}   ↳ {hint}" if hint else "")


def edits_text(run: RunRecord, depth: int = 0) -> list[str]:
    """`⚙ retries=2 from the sidebar`: a line per setting the call ran with that a view set, not the code."""
    return [f"{'  ' * depth}   ⚙ {line}" for line in run.edits]


#: What an empty report shows instead of a blank frame.
EMPTY_REPORT = "the task wrote nothing to its report (flyte_nb.report.log(...) adds to it)"


def report_frame(run: RunRecord) -> str:
    from .report import is_empty, standalone_html

    if is_empty(run.report):
        return (f"<div style='padding:4px 8px;border:1px dashed var(--jp-border-color1,#ccc);"
                f"color:var(--jp-ui-font-color2,#666)'>report of {html.escape(run.task)} {run.id}: "
                f"{html.escape(EMPTY_REPORT)}</div>")
    document = standalone_html(f"{run.task} ({run.id})", run.report or {})
    return (f'<iframe sandbox="allow-scripts" style="width:100%;height:320px;border:1px solid #ccc" '
            f'srcdoc="{html.escape(document, quote=True)}"></iframe>')


class LogLine:
    """One line a call view shows: which run and attempt wrote it, and whether it is the image build's."""

    __slots__ = ("run", "attempt", "build", "text")

    def __init__(self, run: RunRecord, text: str) -> None:
        self.run, self.text = run, text
        self.attempt = run.attempts[-1] if run.attempts else None
        self.build = run.status is Status.BUILDING


def log_sections(lines: list[LogLine], root: RunRecord | None) -> list[tuple[str, list[str], list[str]]]:
    """(title, build lines, output lines) per run attempt, in order. The title names the attempt and how it
    ended when the run may retry ("attempt 1/3 failed: ..."), and a nested run; else it is ''."""
    sections: list[tuple[str, list[str], list[str]]] = []
    key: tuple[int, int] | None = None
    for line in lines:
        here = (id(line.run), id(line.attempt))
        if here != key:
            key = here
            parts = [] if line.run is root else [f"{line.run.task} {line.run.id}"]
            if line.attempt is not None and line.run.total_attempts > 1:
                parts.append(line.run.attempt_title(line.attempt))
            sections.append((" · ".join(parts), [], []))
        sections[-1][1 if line.build else 2].append(line.text)
    return sections


def logs_bundle(lines: list[LogLine], root: RunRecord | None) -> dict[str, str]:
    """The logs display: the task's output shown, each attempt under its title, the image build collapsed."""
    plain: list[str] = []
    rich: list[str] = []
    pre = "<pre style='margin:0 0 4px 0;white-space:pre-wrap'>"
    for title, build, output in log_sections(lines, root):
        if title:
            plain.append(f"── {title}\n")
            rich.append(f"<div style='font-weight:bold;margin-top:4px'>── {html.escape(title)}</div>")
        if build:
            plain.append(f"[image build: {len(build)} lines, collapsed]\n")
            rich.append(f"<details><summary>image build ({len(build)} lines)</summary>{pre}"
                        f"{html.escape(''.join(build))}</pre></details>")
        if output:
            plain.append("".join(output))
            rich.append(f"{pre}{html.escape(''.join(output))}</pre>")
    shown = sum(1 for line in lines if not line.build)
    return {"text/plain": "".join(plain),
            "text/html": f"<details open><summary>logs ({shown} lines)</summary>"
                         f"<div style='max-height:300px;overflow:auto'>{''.join(rich)}</div></details>"}


class ReportView:
    """A run's report: the tabbed frame in a notebook, the file's path in a terminal."""

    def __init__(self, run: RunRecord) -> None:
        self.run = run

    def _repr_html_(self) -> str:
        return report_frame(self.run)

    def __repr__(self) -> str:
        return f"report of {self.run.task} {self.run.id} (tabs: {', '.join(self.run.report or {})}): " \
               f"{self.run.report_path}"


class CallView:
    """The display of one top-level call and the nested calls it makes."""

    def __init__(self, report: bool = False, logs: bool = True) -> None:
        """logs=False: the task logs are not shown here but printed on the cell's streams (SDK code, %flyte_use)."""
        from IPython.display import display

        self.shows_logs = logs
        self._context = contextvars.copy_context()  # the calling cell's identity (ipykernel's parent header)
        self._lock = threading.Lock()
        self.root: RunRecord | None = None
        self.runs: list[RunRecord] = []
        self.logs: list[LogLine] = []
        self._last = 0.0
        self._pending = False
        # Every display exists from the start, so what a cell shows first is always the same
        # (nbval records first states); then each one updates in place.
        self._status = display({"text/plain": "⏳ starting"}, raw=True, display_id=True)
        self._logs = display({"text/plain": ""}, raw=True, display_id=True)
        self._report = display({"text/plain": ""}, raw=True, display_id=True) if report else None
        self._unsubscribe = registry().subscribe(self._on_change)

    # ---- wiring ------------------------------------------------------------------------------
    def attach(self, run: RunRecord) -> None:
        if self.root is None:
            self.root = run
        if run not in self.runs:
            self.runs.append(run)
        self.refresh()

    def owns(self, run: RunRecord) -> bool:
        return run in self.runs

    def _on_change(self, kind: str, name: str) -> None:
        if kind == "run" and self.root is not None:
            run = _find(name)
            if run is not None and run not in self.runs and any(r.id == run.parent for r in self.runs):
                self.runs.append(run)
            if run in self.runs:
                self.refresh(force=run.status.done and run is self.root)
        elif kind == "report" and any(r.id == name for r in self.runs):
            self._in_cell(self._show_report, _find(name))

    def on_log(self, run: RunRecord, line: str) -> bool:
        """Show a log line of this view's runs; True when it was one of them (so it is not printed)."""
        if not self.shows_logs or run not in self.runs:
            return False
        with self._lock:
            self.logs.append(LogLine(run, line))
            del self.logs[:-MAX_LOG_LINES]
        self.refresh()
        return True

    def close(self) -> None:
        self._unsubscribe()
        self.refresh(force=True)

    # ---- rendering ---------------------------------------------------------------------------
    def refresh(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < MIN_INTERVAL:
            if not self._pending:
                self._pending = True
                threading.Timer(MIN_INTERVAL, self._flush_pending).start()
            return
        self._last = now
        self._in_cell(self._render)

    def _flush_pending(self) -> None:
        self._pending = False
        self.refresh(force=True)

    def tick(self) -> bool:
        """Elapsed-time refresh; False once the call is done."""
        if self.root is None or not self.root.status.done:
            self.refresh()
            return True
        return False

    def _in_cell(self, func: Any, *args: Any) -> None:
        with self._lock:
            try:
                self._context.copy().run(func, *args)
            except Exception:  # noqa: BLE001 - a display glitch must never fail the call
                pass

    def _render(self) -> None:
        lines = [line for r in self.runs for line in
                 (status_text(r, 0 if r is self.root else 1), *edits_text(r, 0 if r is self.root else 1))]
        text = "\n".join(lines) or "⏳ starting"
        rows = "".join(f"<div style='font-family:var(--jp-code-font-family,monospace);white-space:pre'>"
                       f"{html.escape(line)}</div>" for line in lines)
        self._status.update({"text/plain": text, "text/html": rows}, raw=True)
        if self.logs:
            self._logs.update(logs_bundle(self.logs, self.root), raw=True)

    def _show_report(self, run: RunRecord | None) -> None:
        from IPython.display import display

        if run is None or not run.report:
            return
        from .report import is_empty

        empty = " (empty: the task wrote nothing to it)" if is_empty(run.report) else ""
        bundle = {"text/plain": f"report of {run.task} {run.id}: {run.report_path}{empty}",
                  "text/html": report_frame(run)}
        if self._report is None:  # a nested task's report, when the top-level task has none
            self._report = display(bundle, raw=True, display_id=True)
        else:
            self._report.update(bundle, raw=True)


def _find(run_id: str) -> RunRecord | None:
    try:
        return registry().run(run_id)
    except KeyError:
        return None


def in_kernel() -> bool:
    """True in a Jupyter kernel (where views render), False in scripts and terminals."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None
