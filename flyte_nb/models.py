"""flyte.models: the SDK's runtime data types a task may name (its action and task context)."""

from __future__ import annotations

from .context import NULL as NULL_TASK_CONTEXT
from .context import ActionID, TaskContext

__all__ = ["NULL_TASK_CONTEXT", "ActionID", "TaskContext"]
