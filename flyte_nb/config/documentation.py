"""`flyte.Documentation(description)`: the SDK's task documentation; flyte_nb's docs= takes its text."""

from __future__ import annotations


def Documentation(description: str) -> str:  # noqa: N802 - the SDK's class name
    """The description, as docs= takes it."""
    return description
