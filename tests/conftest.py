"""Shared fixtures: a clean registry per test, the in-process runner unless a test picks another."""

from __future__ import annotations

from typing import Iterator

import pytest

import flyte_nb as flyte


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
    own teardowns check that a test left no container, so standbys are removed first."""
    from flyte_nb.runtime import runtime

    runner = runtime()._runner
    standbys = getattr(runner, "standbys", None)
    if standbys is not None:
        runtime().wait(runtime().submit(standbys.clear()))
