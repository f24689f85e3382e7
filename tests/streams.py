"""A check shared by the runner tests: a task's stdout and stderr print on the caller's own streams."""

from __future__ import annotations

from typing import Callable

import pytest


def assert_streams_kept_apart(call: Callable[[], int], capfd: pytest.CaptureFixture[str], secret: str) -> None:
    """Run a task that prints "to stdout <secret>" and writes "to stderr <secret>" (flyte.logger or a plain
    write): with no view, each line comes out on the stream the task wrote it to (as the SDK's local mode),
    the secret redacted."""
    capfd.readouterr()
    assert call() == 1
    out, err = capfd.readouterr()
    assert "to stdout [redacted]\n" in out and "to stderr" not in out
    assert "to stderr [redacted]" in err and "to stdout" not in err
    assert secret not in out + err
