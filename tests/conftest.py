"""Shared fixtures: a clean registry per test, the in-process runner unless a test picks another.

Standby containers (flyte_nb/runners/standby.py, on by default) are off in the suite, for the kernels
and scripts it starts too: its tests check that calls leave no container behind, and a standby waits
for the next call by design. tests/test_standby.py turns them on and tests them.
"""

from __future__ import annotations

import os
from typing import Iterator

import pytest

os.environ.setdefault("FLYTE_NB_STANDBY", "0")

import flyte_nb as flyte  # noqa: E402


@pytest.fixture(autouse=True)
def own_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with an empty task cache: one test's cached outputs never answer another's calls."""
    monkeypatch.setenv("FLYTE_NB_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(autouse=True)
def clean_registry() -> Iterator[None]:
    flyte.registry().clear()
    yield
    flyte.registry().clear()


@pytest.fixture
def inprocess() -> None:
    flyte.init(runner="inprocess", quiet=True)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI a skipped test is a failure: every test, the Docker ones included, must really run."""
    import os

    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if os.environ.get("CI") and skipped:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if reporter:
            reporter.write_line(f"CI: {skipped} test(s) were skipped; in CI that is a failure", red=True)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Standby containers (flyte_nb/runners/standby.py) wait for the next call of their config; the tests'
    own teardowns check that a test left no container, so the standbys of a test that turned them on go
    first."""
    from flyte_nb.runtime import runtime

    runner = runtime()._runner
    standbys = getattr(runner, "standbys", None)
    if standbys is not None:
        runtime().wait(runtime().submit(standbys.clear()))
