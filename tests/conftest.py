"""Shared fixtures: a clean registry per test, the in-process runner unless a test picks another."""

from __future__ import annotations

from typing import Iterator

import pytest

import flyte_nb as flyte


@pytest.fixture(autouse=True)
def clean_registry() -> Iterator[None]:
    flyte.registry().clear()
    yield
    flyte.registry().clear()


@pytest.fixture
def inprocess() -> None:
    flyte.init(runner="inprocess", quiet=True)
