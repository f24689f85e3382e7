"""Link: a named URL shown next to a task's run (dashboards, logs, experiment trackers)."""

from __future__ import annotations

from typing import Any, ClassVar

import pydantic

from .model import Setting


class Link(Setting):
    """flyte.Link(name, url): url may use {run_name}, {action_name}, {task_name} placeholders."""

    positional: ClassVar[tuple[str, ...]] = ("name", "url")
    parameter: ClassVar[str | None] = "links"

    name: str = pydantic.Field(min_length=1)
    url: str = pydantic.Field(pattern=r"^(https?://|/).+")

    def get_link(self, run_name: str = "", action_name: str = "", task_name: str = "", **_: Any) -> str:
        return self.url.format(run_name=run_name, action_name=action_name, task_name=task_name)


def normalize_links(value: Any) -> tuple[Any, ...]:
    """Link (or any object with name and get_link, like the SDK's Link subclasses) or a sequence of them."""
    items = value if isinstance(value, (list, tuple)) else (value,)
    for item in items:
        if not (isinstance(item, Link) or (hasattr(item, "name") and callable(getattr(item, "get_link", None)))):
            raise ValueError(f"links must be flyte.Link objects, got {item!r}")
    return tuple(items)
