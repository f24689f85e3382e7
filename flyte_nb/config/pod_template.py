"""PodTemplate: Kubernetes pod settings; the Docker runner honors what maps onto a container."""

from __future__ import annotations

from typing import Any, ClassVar

import pydantic

from .errors import show
from .model import Setting


class PodTemplate(Setting):
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


def normalize_pod_template(value: Any) -> PodTemplate | str:
    """A PodTemplate, or the name (str) of a template registered on a cluster."""
    if isinstance(value, PodTemplate):
        return value
    if isinstance(value, str) and value.strip():
        if len(value) > 253 or not value.isprintable():  # 253: a Kubernetes object name
            raise ValueError(f"pod_template name {show(value)} must be printable and at most 253 chars")
        return value
    raise ValueError(f"pod_template must be a flyte.PodTemplate or a template name, not {value!r}")
