"""PodTemplate: Kubernetes pod settings; the Docker runner honors what maps onto a container."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any, ClassVar

import pydantic

from .errors import show
from .model import Setting

_CAPABILITY = "flyte.org/capability-"
_APPARMOR = "container.apparmor.security.beta.kubernetes.io/"
_FUSE_RESOURCE = "smarter-devices/fuse"


def grace_seconds(value: Any) -> int:
    """An int (seconds) or timedelta grace period as whole seconds (TypeError / ValueError as the SDK)."""
    if isinstance(value, bool):
        raise TypeError("termination_grace_period must be an int (seconds) or timedelta, not bool.")
    if isinstance(value, timedelta):
        seconds = int(value.total_seconds())
    elif isinstance(value, int):
        seconds = value
    else:
        raise TypeError(f"termination_grace_period must be an int (seconds) or timedelta, got {type(value).__name__}.")
    if seconds < 0:
        raise ValueError(f"termination_grace_period must be non-negative, got {seconds} seconds.")
    return seconds


def _primary(spec: dict[str, Any], name: str) -> dict[str, Any]:
    """The primary container's dict in `spec` (added when missing), for the builders to edit in place."""
    containers = spec.setdefault("containers", [])
    for container in containers:
        if container.get("name") == name:
            return container
    containers.append({"name": name})
    return containers[-1]


def _security(container: dict[str, Any]) -> dict[str, Any]:
    context = container.get("security_context") or container.get("securityContext") or {}
    container.pop("securityContext", None)
    container["security_context"] = context
    return context


def _sys_admin(context: dict[str, Any]) -> None:
    caps = context.setdefault("capabilities", {})
    added = list(caps.get("add") or [])
    if "SYS_ADMIN" not in added:
        added.append("SYS_ADMIN")
    caps["add"] = added


class _Builders:
    """The SDK's PodTemplate builders: each returns a changed copy; the template itself never changes."""

    pod_spec: dict[str, Any] | None
    primary_container_name: str
    annotations: dict[str, str] | None

    def _copy(self, spec: dict[str, Any], annotations: dict[str, str] | None = None) -> Any:
        return self.model_copy(update={"pod_spec": spec, "annotations": annotations})  # type: ignore[attr-defined]

    def _spec_copy(self) -> dict[str, Any]:
        return copy.deepcopy(self.pod_spec) if self.pod_spec else {}

    def with_termination_grace_period(self, termination_grace_period: int | timedelta) -> Any:
        """A copy whose pod waits this long between SIGTERM and SIGKILL (terminationGracePeriodSeconds)."""
        seconds = grace_seconds(termination_grace_period)
        spec = self._spec_copy()
        _primary(spec, self.primary_container_name)
        spec["termination_grace_period_seconds"] = seconds
        return self._copy(spec, self.annotations)

    def allow_fuse(self, privileged: bool = False) -> Any:
        """A copy that may mount FUSE filesystems: CAP_SYS_ADMIN plus the FUSE device (plugin or privileged)."""
        spec = self._spec_copy()
        primary = _primary(spec, self.primary_container_name)
        context = _security(primary)
        if privileged:
            if context.get("privileged") is False or context.get("allow_privilege_escalation") is False:
                raise ValueError("allow_fuse(privileged=True) needs a privileged primary container, but the pod "
                                 "template sets privileged=false or allowPrivilegeEscalation=false")
            context["privileged"] = True
        else:
            resources = primary.setdefault("resources", {})
            for kind in ("requests", "limits"):
                resources[kind] = {**(resources.get(kind) or {}), _FUSE_RESOURCE: "1"}
        _sys_admin(context)
        return self._copy(spec, {**(self.annotations or {}), f"{_CAPABILITY}fuse": "true"})

    def allow_nested_sandboxing(self) -> Any:
        """A copy that may create nested sandboxes (bwrap): CAP_SYS_ADMIN, no escalation, AppArmor unconfined."""
        spec = self._spec_copy()
        context = _security(_primary(spec, self.primary_container_name))
        if context.get("privileged") is True or context.get("allow_privilege_escalation") is True:
            raise ValueError("allow_nested_sandboxing() sets allowPrivilegeEscalation=false, but the pod template "
                             "sets privileged=true or allowPrivilegeEscalation=true on the primary container")
        key = f"{_APPARMOR}{self.primary_container_name}"
        if (self.annotations or {}).get(key, "unconfined") != "unconfined":
            raise ValueError(f"allow_nested_sandboxing() requires the AppArmor profile of the primary container to "
                             f"be 'unconfined', but the pod template sets {key}={self.annotations[key]!r}.")  # type: ignore[index]
        _sys_admin(context)
        context["allow_privilege_escalation"] = False
        annotations = {**(self.annotations or {}), key: "unconfined", f"{_CAPABILITY}nested-sandboxing": "true"}
        return self._copy(spec, annotations)

    def to_k8s_pod(self) -> Any:
        """The cluster's K8sPod protobuf: only a Flyte cluster's SDK builds it."""
        raise RuntimeError("PodTemplate.to_k8s_pod() builds a Flyte cluster's pod protobuf and needs the flyte SDK "
                           "with a cluster; on this machine the Docker runner applies the template itself "
                           "(%flyte_export writes a project that runs on a cluster)")


class PodTemplate(_Builders, Setting):
    """flyte.PodTemplate(pod_spec=None, primary_container_name="primary", labels=None, annotations=None).

    pod_spec is a plain dict in the shape of a Kubernetes V1PodSpec (no kubernetes client needed).
    """

    positional: ClassVar[tuple[str, ...]] = ("pod_spec", "primary_container_name", "labels", "annotations")
    parameter: ClassVar[str | None] = "pod_template"

    pod_spec: dict[str, Any] | None = None
    primary_container_name: str = pydantic.Field(default="primary", min_length=1)
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None

    @pydantic.field_validator("pod_spec", mode="before")
    @classmethod
    def _spec(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, dict) and hasattr(value, "to_dict"):
            return value.to_dict()  # a kubernetes V1PodSpec
        return value

    @classmethod
    def from_spec(cls, pod_spec: Any, *, primary_container_name: str | None = None,
                  labels: dict[str, str] | None = None, annotations: dict[str, str] | None = None) -> "PodTemplate":
        """A template around an existing pod spec (copied), its primary container found as the SDK does."""
        spec = copy.deepcopy(pod_spec.to_dict() if hasattr(pod_spec, "to_dict") else dict(pod_spec))
        names = [c.get("name") for c in spec.get("containers") or []]
        if primary_container_name is not None and primary_container_name not in names:
            raise ValueError(f"primary_container_name {primary_container_name!r} not found in pod spec; "
                             f"available containers: {names}")
        chosen = primary_container_name or ("primary" if "primary" in names else names[0] if len(names) == 1 else None)
        if not chosen:
            raise ValueError(f"Cannot determine the primary container: the pod spec has containers {names} and none "
                             "is named 'primary'. Pass primary_container_name= to pick one.")
        return cls(pod_spec=spec, primary_container_name=chosen, labels=labels, annotations=annotations)


def normalize_pod_template(value: Any) -> PodTemplate | str:
    """A PodTemplate, or the name (str) of a template registered on a cluster."""
    if isinstance(value, PodTemplate):
        return value
    if isinstance(value, str) and value.strip():
        if len(value) > 253 or not value.isprintable():  # 253: a Kubernetes object name
            raise ValueError(f"pod_template name {show(value)} must be printable and at most 253 chars")
        return value
    raise ValueError(f"pod_template must be a flyte.PodTemplate or a template name, not {value!r}")
