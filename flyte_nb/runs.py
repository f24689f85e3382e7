"""Run records: one per task call, kept by the registry for %flyte_runs, the panel and the sidebar."""

from __future__ import annotations

import enum
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from .attempt_log import AttemptLog
from .usage import Usage

_ids = itertools.count(1)
_TEXT = 1000  # a trace entry's text fields from a container are cut to this many characters
_INPUTS = 100  # and it keeps at most this many inputs


class Status(str, enum.Enum):
    QUEUED = "queued"
    BUILDING = "building"
    STARTING = "starting"
    RUNNING = "running"
    RETRYING = "retrying"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    OOM = "oom"
    CANCELLED = "cancelled"
    CACHED = "cached"

    @property
    def done(self) -> bool:
        return self in _DONE


_DONE = {Status.SUCCEEDED, Status.FAILED, Status.TIMED_OUT, Status.OOM, Status.CANCELLED, Status.CACHED}


@dataclass
class Attempt:
    number: int
    started: float
    ended: float | None = None
    status: Status = Status.RUNNING
    container: str | None = None
    error: str | None = None
    traceback: str | None = None  # a failed attempt's whole traceback (the container's), for %flyte_logs --full
    logs: AttemptLog = field(default_factory=AttemptLog)  # a bounded tail in memory, all of it on disk
    usage: Usage | None = None  # what its container or process used, as the task measured it (flyte_nb.usage)
    build_lines: int = 0  # how many of the first log lines are the image build's, not the task's

    def parts(self) -> tuple[list[str], list[str]]:
        """(the image build's lines, the task's own output): views collapse the first."""
        lines = list(self.logs)
        return lines[:self.build_lines], lines[self.build_lines:]


@dataclass
class TraceEntry:
    """One call of a @flyte.trace function inside a task attempt: what it was given, how long, how it ended."""

    name: str
    started: float
    duration: float
    inputs: dict[str, str]  # parameter -> a short repr
    error: str | None = None
    attempt: int | None = None

    def summary(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self.inputs.items())
        outcome = f" raised {self.error}" if self.error else ""
        return f"{self.name}({args}) {self.duration:.3f}s{outcome}"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "started": self.started, "duration": self.duration, "inputs": self.inputs,
                "error": self.error, "attempt": self.attempt}

    @classmethod
    def from_wire(cls, data: Any) -> "TraceEntry":
        """An entry a task's container sent (already authenticated, flyte_nb.protocol): plain fields of the
        right types, or ValueError naming what is wrong; text is cut to a bounded size."""
        if not isinstance(data, dict):
            raise ValueError(f"a trace entry must be an object, got {type(data).__name__}")
        name, inputs, error = data.get("name"), data.get("inputs", {}), data.get("error")
        numbers = [data.get("started"), data.get("duration")]
        if not isinstance(name, str) or not all(isinstance(n, (int, float)) and not isinstance(n, bool)
                                                for n in numbers):
            raise ValueError(f"a trace entry needs a str name and numeric started/duration, got {data!r:.200}")
        if not isinstance(inputs, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                   for k, v in inputs.items()):
            raise ValueError(f"trace entry {name!r:.80}: inputs must map str to str")
        if error is not None and not isinstance(error, str):
            raise ValueError(f"trace entry {name!r:.80}: error must be a str or null")
        return cls(name=name[:_TEXT], started=float(numbers[0]), duration=float(numbers[1]),  # type: ignore[arg-type]
                   inputs={k[:_TEXT]: v[:_TEXT] for k, v in list(inputs.items())[:_INPUTS]},
                   error=None if error is None else error[:_TEXT])


@dataclass
class RunRecord:
    """What happened in one call: settings it ran with, attempts, logs, outcome."""

    task: str
    settings: dict[str, Any]  # Resolution.to_json() at call time
    runner: str
    parent: str | None = None
    id: str = field(default_factory=lambda: f"r{next(_ids)}")
    status: Status = Status.QUEUED
    created: float = field(default_factory=time.time)
    ended: float | None = None
    attempts: list[Attempt] = field(default_factory=list)
    error: str | None = None
    output: str | None = None  # a short repr of the result
    report_path: str | None = None
    report: dict[str, str] | None = None  # tab name -> HTML, as of the last flush
    cache: str | None = None  # "hit", "written", "not written"; None when the task's cache is disabled
    group: str | None = None  # the flyte.group(name) the call was started in
    traces: list[TraceEntry] = field(default_factory=list)  # @flyte.trace calls made by its attempts
    edits: list[str] = field(default_factory=list)  # settings a view set, not the code: "retries=2 from the sidebar"

    @property
    def total_attempts(self) -> int:
        """Attempts the call may make: its retries + 1."""
        retries = (self.settings.get("retries") or {}).get("value") or {}
        return int(retries.get("count", 0)) + 1

    def attempt_title(self, attempt: Attempt) -> str:
        """`attempt 1/3 failed: ValueError: bad`, `attempt 2/3 succeeded`: how the logs separate attempts."""
        error = f": {attempt.error.splitlines()[0][:160]}" if attempt.error and attempt.status is not \
            Status.SUCCEEDED else ""
        return f"attempt {attempt.number}/{self.total_attempts} {attempt.status.value.replace('_', ' ')}{error}"

    @property
    def duration(self) -> float | None:
        return None if self.ended is None else self.ended - self.created

    @property
    def usage(self) -> Usage | None:
        """What the last measured attempt used (None: a cache hit, the inprocess runner, not started)."""
        return next((a.usage for a in reversed(self.attempts) if a.usage is not None), None)

    @property
    def logs(self) -> str:
        return "".join(line for attempt in self.attempts for line in attempt.logs)

    def discard_logs(self) -> None:
        """Remove the attempts' log files now (the registry is dropping this record)."""
        for attempt in self.attempts:
            attempt.logs.discard()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "task": self.task, "runner": self.runner, "parent": self.parent,
            "status": self.status.value, "created": self.created, "ended": self.ended, "duration": self.duration,
            "attempts": [{"number": a.number, "status": a.status.value, "container": a.container,
                          "started": a.started, "ended": a.ended, "error": a.error,
                          "usage": a.usage.to_json() if a.usage else None, "build_lines": a.build_lines,
                          "traceback": a.traceback} for a in self.attempts],
            "error": self.error, "output": self.output, "settings": self.settings, "report": self.report_path,
            "report_tabs": list(self.report or {}), "cache": self.cache,
            "group": self.group, "traces": [entry.to_json() for entry in self.traces],
            "usage": self.usage.to_json() if self.usage else None, "edits": list(self.edits),
        }
