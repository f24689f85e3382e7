"""SDK names that need a Flyte cluster (remote runs, serving, conditions, API keys, script uploads).

Each exists, so code that imports or references it loads; calling it fails with one line saying
it needs a cluster and how to get there (`%flyte_export` writes the notebook's tasks as a Flyte project).
"""

from __future__ import annotations

from typing import Any, NoReturn

from .errors import InitializationError

HOW = "export this notebook's tasks with %flyte_export (or `python -m flyte_nb export`) and run them with the flyte SDK"


class ClusterRequiredError(InitializationError):
    """A feature that needs a Flyte cluster was used on one machine."""

    def __init__(self, name: str) -> None:
        super().__init__("ClusterRequired", "user", f"flyte.{name} needs a Flyte cluster, which flyte_nb does "
                         f"not have (it runs tasks on this machine): {HOW}")
        self.name = name


class _NeedsCluster:
    """A stand-in for a cluster-only function or class: calling it raises ClusterRequiredError."""

    def __init__(self, name: str) -> None:
        self.__name__ = self.__qualname__ = name
        self.__doc__ = f"flyte.{name}: needs a Flyte cluster ({HOW})."

    def __call__(self, *_: Any, **__: Any) -> NoReturn:
        raise ClusterRequiredError(self.__name__)

    def __getattr__(self, attribute: str) -> Any:
        if attribute == "aio":
            return self
        raise ClusterRequiredError(f"{self.__name__}.{attribute}")

    def __repr__(self) -> str:
        return f"<flyte.{self.__name__}: needs a Flyte cluster>"


#: The SDK's (2.12.1) top-level names that only a cluster can honour.
NAMES = ("init_from_api_key", "init_in_cluster", "init_passthrough", "rerun", "run_python_script", "serve",
         "with_servecontext", "new_condition", "ConditionWebhook", "OnArtifact", "TriggeredArtifact",
         "TriggeredPartition", "AppHandle", "load_interactive_ctx", "current_project", "current_domain", "deploy",
         "build", "build_images", "ImageBuild", "latest_checkpoint", "Checkpoint", "BaseCheckpoint")

globals().update({name: _NeedsCluster(name) for name in NAMES})


def is_control_plane_available() -> bool:
    """No control plane on one machine."""
    return False


def is_control_plane_available() -> bool:
    """No control plane on one machine."""
    return False

