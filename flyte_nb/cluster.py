"""SDK names that need a Flyte cluster (remote runs, serving, conditions, API keys, script uploads), and the
SDK's public names flyte_nb does not provide yet.

Each exists, so code that imports or references it loads; calling it (or reading an attribute, or subclassing
it) fails with one line saying it needs a cluster and how to get there (`%flyte_export` writes the notebook's
tasks as a Flyte project), or that flyte_nb does not provide it and why. SDK_MODULES lists, per public module
of flyte 2.12.1 that flyte_nb has no full counterpart for, its missing names and the reason (tests/test_sdk_names.py
checks the list against the real SDK's __all__).
"""

from __future__ import annotations

import types
from typing import Any, NoReturn

from .errors import InitializationError

HOW = "export this notebook's tasks with %flyte_export (or `python -m flyte_nb export`) and run them with the flyte SDK"


class ClusterRequiredError(InitializationError):
    """A feature that needs a Flyte cluster was used on one machine."""

    def __init__(self, name: str, why: str = "") -> None:
        because = f" ({why})" if why else ""
        super().__init__("ClusterRequired", "user", f"flyte.{name} needs a Flyte cluster{because}, which flyte_nb "
                         f"does not have (it runs tasks on this machine): {HOW}")
        self.name = name


class NotProvidedError(NotImplementedError):
    """An SDK name flyte_nb does not provide (yet) was used: the name loads, using it says why in one line."""

    def __init__(self, name: str, why: str) -> None:
        super().__init__(f"flyte.{name} is not provided by flyte_nb ({why}); run such code with the flyte SDK: {HOW}")
        self.name = name


class _NeedsCluster:
    """A stand-in for a cluster-only (or not provided) function or class: calling it, reading its attributes
    or subclassing it raises ClusterRequiredError (NotProvidedError when `cluster` is False)."""

    def __init__(self, name: str, why: str = "", cluster: bool = True) -> None:
        self.__name__ = self.__qualname__ = name.rsplit(".", 1)[-1]
        self._name, self._why, self._cluster = name, why, cluster
        self.__doc__ = f"flyte.{name}: {'needs a Flyte cluster' if cluster else 'not provided by flyte_nb'} ({why or HOW})."

    def _error(self, name: str) -> Exception:
        return ClusterRequiredError(name, self._why) if self._cluster else NotProvidedError(name, self._why)

    def __call__(self, *_: Any, **__: Any) -> NoReturn:
        raise self._error(self._name)

    def __mro_entries__(self, bases: tuple[Any, ...]) -> NoReturn:
        raise self._error(self._name)

    def __getattr__(self, attribute: str) -> Any:
        if attribute == "aio":
            return self
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        raise self._error(f"{self._name}.{attribute}")

    def __repr__(self) -> str:
        return f"<flyte.{self._name}: {'needs a Flyte cluster' if self._cluster else 'not provided by flyte_nb'}>"


#: The SDK's (2.12.1) top-level names that only a cluster can honour.
NAMES = ("init_from_api_key", "init_in_cluster", "init_passthrough", "rerun", "run_python_script", "serve",
         "with_servecontext", "new_condition", "ConditionWebhook", "OnArtifact", "TriggeredArtifact",
         "TriggeredPartition", "AppHandle", "load_interactive_ctx", "current_project", "current_domain", "deploy",
         "build", "build_images", "ImageBuild", "latest_checkpoint", "Checkpoint", "BaseCheckpoint")

globals().update({name: _NeedsCluster(name) for name in NAMES})

_CLUSTER = True
_NOT_PROVIDED = False
#: flyte 2.12.1's public modules (beyond flyte, flyte.io, flyte.errors, flyte.syncify, flyte.report, flyte.models,
#: which flyte_nb provides) and the public names of each that flyte_nb has no counterpart for:
#: module -> (needs a cluster?, why, names). tests/test_sdk_names.py keeps it in step with the SDK.
SDK_MODULES: dict[str, tuple[bool, str, tuple[str, ...]]] = {
    "flyte.ai": (_CLUSTER, "AI helpers of the Union platform", ()),
    "flyte.app": (_CLUSTER, "apps are deployed and served by a Flyte cluster", (
        "AppEndpoint", "AppEnvironment", "ArtifactValue", "ConnectorEnvironment", "DeployedAppEnvironment", "Domain",
        "Link", "Parameter", "Port", "RunOutput", "Scaling", "Subdomain", "Timeouts", "ctx", "get_parameter")),
    "flyte.artifacts": (_CLUSTER, "artifacts live in a Flyte cluster's artifact service", (
        "Artifact", "ArtifactKey", "ArtifactVersionId", "Card", "CardFormat", "CardType", "Granularity", "KIND_KEY",
        "Kind", "MAX_PARENTS", "Metadata", "TimePartition", "new", "produces")),
    "flyte.cli": (_CLUSTER, "the flyte CLI deploys to and runs on a cluster; flyte_nb's is `python -m flyte_nb`",
                  ("main",)),
    "flyte.clustered": (_CLUSTER, "multi-node torch/jax jobs run across a cluster's pods", (
        "ClusterFailurePolicy", "ClusteredTaskEnvironment", "ClusteredTaskTemplate", "JaxRun", "Runtime", "TorchRun",
        "jax_initialize")),
    "flyte.config": (_CLUSTER, "the configuration of a connection to a cluster (endpoint, auth)", (
        "Config", "auto", "get_config_file", "set_if_exists")),
    "flyte.connectors": (_CLUSTER, "connectors run in a Flyte cluster's connector service", (
        "AsyncConnector", "AsyncConnectorExecutorMixin", "ConnectorRegistry", "ConnectorService", "Resource",
        "ResourceMeta")),
    "flyte.durable": (_CLUSTER, "durable timers are kept by a cluster's controller across restarts", (
        "now", "sleep", "time")),
    "flyte.extend": (_NOT_PROVIDED, "the SDK's plugin and image-builder extension points; flyte_nb has no task "
                                    "plugins and builds images itself", (
        "Architecture", "AsyncFunctionTaskTemplate", "ImageBuildEngine", "ImageBuilder", "ImageChecker",
        "PRIMARY_CONTAINER_DEFAULT_NAME", "RuntimeTaskTemplate", "TaskPluginRegistry", "TaskTemplate",
        "download_code_bundle", "get_proto_extended_resources", "get_proto_resources", "is_initialized",
        "lazy_module", "pod_spec_from_resources")),
    "flyte.extras": (_NOT_PROVIDED, "extra task types (ContainerTask, batchers, webhooks, shell) are not "
                                    "implemented by flyte_nb yet", (
        "BatchStats", "ContainerTask", "CostEstimator", "DynamicBatcher", "Prompt", "Sleep", "SleepTask",
        "TokenBatcher", "TokenEstimator", "model_streamer", "serialize", "serialize_env", "shell", "webhooks")),
    "flyte.git": (_CLUSTER, "git helpers that version code bundles for cluster deployments", (
        "GitStatus", "config_from_root")),
    "flyte.models": (_NOT_PROVIDED, "internal models of the SDK's runtime (code bundles, serialization, "
                                    "interfaces); flyte_nb provides ActionID, TaskContext, NULL_TASK_CONTEXT", (
        "ActionPhase", "CallCounter", "CheckpointPaths", "CodeBundle", "GroupData", "NativeInterface", "PathRewrite",
        "RawDataPath", "SerializationContext", "generate_random_name", "is_clustered_worker_env")),
    "flyte.notify": (_CLUSTER, "notifications are delivered by a Flyte cluster", (
        "Email", "NamedDelivery", "NamedRule", "Notification", "Slack", "Teams", "Webhook")),
    "flyte.prefetch": (_CLUSTER, "model prefetching stores into a cluster's object store", (
        "HuggingFaceModelInfo", "ShardConfig", "StoredModelInfo", "VLLMShardArgs", "hf_model")),
    "flyte.remote": (_CLUSTER, "remote runs, actions, tasks, apps and projects are objects of a Flyte cluster", (
        "Action", "ActionDetails", "ActionInputs", "ActionOutputs", "App", "Artifact", "Condition", "PartitionSchema",
        "Project", "Run", "RunDetails", "Secret", "SecretTypes", "Settings", "Task", "TaskDetails", "TimeFilter",
        "Trigger", "TriggerDetails", "User", "auth_metadata", "upload_dir", "upload_file")),
    "flyte.report": (_NOT_PROVIDED, "the SDK's report widgets and Report object; flyte_nb's flyte.report gives "
                                    "log, replace, flush, get_tab", (
        "Report", "Timeline", "abbreviate", "current_report", "duration_ms")),
    "flyte.sandbox": (_CLUSTER, "sandboxed code tasks run in a cluster's sandbox service", (
        "CodeTaskTemplate", "ImageConfig", "ORCHESTRATOR_SYNTAX_PROMPT", "SandboxedConfig", "SandboxedTaskTemplate",
        "create", "orchestrate_local", "orchestrator_from_str", "sandbox_environment")),
    "flyte.storage": (_CLUSTER, "fsspec helpers for a cluster's object store (S3, GCS, ABFS); flyte_nb's data "
                                "travels as flyte.io.File/Dir through its local blob store", (
        "ABFS", "GCS", "S3", "Storage", "exists", "exists_sync", "get", "get_configured_fsspec_kwargs",
        "get_random_local_directory", "get_random_local_path", "get_stream", "get_underlying_filesystem",
        "is_remote", "join", "open", "put", "put_stream")),
    "flyte.types": (_NOT_PROVIDED, "the SDK's type engine (literals and transformers); flyte_nb's values travel "
                                   "by its own codecs (flyte_nb/codec.py)", (
        "FlytePickle", "Renderable", "TypeEngine", "TypeTransformer", "TypeTransformerFailedError",
        "guess_interface", "literal_string_repr")),
}


def stand_ins(module: str) -> dict[str, _NeedsCluster]:
    """The stand-ins of one SDK module's missing names, by name."""
    cluster, why, names = SDK_MODULES[module]
    short = module.removeprefix("flyte.")
    return {name: _NeedsCluster(f"{short}.{name}", why, cluster) for name in names}


def sdk_module(module: str, provided: types.ModuleType | None = None) -> types.ModuleType:
    """A module named like the SDK's: `provided`'s names (flyte_nb's counterpart, if any), then stand-ins
    for the names SDK_MODULES lists as missing."""
    made = types.ModuleType(module, f"flyte_nb's stand-in for {module} (flyte 2.12.1): see flyte_nb/cluster.py")
    if provided is not None:
        made.__dict__.update({k: v for k, v in vars(provided).items() if not k.startswith("__")})
    made.__dict__.update(stand_ins(module))
    made.__all__ = sorted(k for k in made.__dict__ if not k.startswith("_"))  # type: ignore[attr-defined]
    return made


def is_control_plane_available() -> bool:
    """No control plane on one machine."""
    return False

