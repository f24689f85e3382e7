"""`flyteplugins.ray`'s config classes, field for field as in flyteplugins-ray 2.12.1 (flyteplugins/ray/task.py).

    from flyte_nb.plugins.ray import RayJobConfig, WorkerNodeConfig   # or, under %flyte_use / compat:
    from flyteplugins.ray import RayJobConfig, WorkerNodeConfig       # the same classes

    env = flyte.TaskEnvironment(name="ray_env", plugin_config=RayJobConfig(
        worker_node_config=[WorkerNodeConfig(group_name="workers", replicas=2)]))

Plain dataclasses with the plugin's names, fields and defaults, so `%flyte_export` writes the same
constructor call for the real plugin (tests/test_export.py loads it with flyteplugins-ray and compares).
Resources and pod templates are flyte_nb's, exported as the SDK's. Validated (pydantic): a wrong
field type is an error naming the class, the field and the value when the config is built.
"""

from __future__ import annotations

from typing import Dict, List, Optional

import pydantic
from pydantic.dataclasses import dataclass as _pydantic_dataclass

from ..config.pod_template import PodTemplate
from ..config.resources import Resources

#: Where the real classes live; the export imports them from here.
SDK_MODULE = "flyteplugins.ray"
#: pydantic dataclasses: still `dataclasses.fields()`-able for the export, and type-checked when built.
dataclass = _pydantic_dataclass(config=pydantic.ConfigDict(extra="forbid", arbitrary_types_allowed=True))
#: The distribution that provides SDK_MODULE, pinned like flyte itself.
SDK_REQUIREMENT = "flyteplugins-ray>=2.12,<2.13"


@dataclass
class AutoscalerOptionsConfig:
    """The Ray autoscaler sidecar: upscaling mode, idle timeout, image, env and resources."""

    class UpscalingMode:
        """flyteidl2.plugins.ray_pb2.AutoscalerOptions' upscaling modes (the plugin's constants)."""

        UNSPECIFIED = 0
        DEFAULT = 1
        AGGRESSIVE = 2
        CONSERVATIVE = 3

    upscaling_mode: Optional[int] = None
    idle_timeout_seconds: Optional[int] = None
    image: Optional[str] = None
    env: Optional[Dict[str, str]] = None
    resources: Optional[Resources] = None


@dataclass
class HeadNodeConfig:
    ray_start_params: Optional[Dict[str, str]] = None
    pod_template: Optional[PodTemplate] = None
    requests: Optional[Resources] = None
    limits: Optional[Resources] = None


@dataclass
class WorkerNodeConfig:
    group_name: str
    replicas: int
    min_replicas: Optional[int] = None
    max_replicas: Optional[int] = None
    ray_start_params: Optional[Dict[str, str]] = None
    pod_template: Optional[PodTemplate] = None
    requests: Optional[Resources] = None
    limits: Optional[Resources] = None


@dataclass
class RayJobConfig:
    worker_node_config: List[WorkerNodeConfig]
    head_node_config: Optional[HeadNodeConfig] = None
    enable_autoscaling: bool = False
    autoscaler_options: Optional[AutoscalerOptionsConfig] = None
    runtime_env: Optional[dict] = None
    address: Optional[str] = None
    shutdown_after_job_finishes: bool = False
    ttl_seconds_after_finished: Optional[int] = None


__all__ = ["AutoscalerOptionsConfig", "HeadNodeConfig", "RayJobConfig", "WorkerNodeConfig"]
