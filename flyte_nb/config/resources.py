"""Resources: cpu, memory, gpu, disk and shm of a task's container.

Quantities follow Kubernetes notation ("500m" cpu, "2Gi" memory) because that is what a
Flyte cluster receives; the parse helpers turn them into numbers the Docker runner uses.
A (request, limit) tuple keeps its meaning: request is what the scheduler reserves, limit
is what the container may use.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any, ClassVar, Union

import pydantic

from .devices import (  # noqa: F401 - the accelerator families are part of this module's API
    ACCELERATORS, AMD_GPU, DEVICE_CLASSES, GPU, HABANA_GAUDI, TPU, Device, Neuron, device_of, parse_gpu,
)
from .errors import show
from .model import Setting

# ASCII digits only ([0-9], not \d: '٣' is a digit to Python but not to the engine), matched whole.
_CPU = re.compile(r"([0-9]+(\.[0-9]+)?|\.[0-9]+)(m?)")
_MEMORY = re.compile(r"([0-9]+(\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|K|M|G|T|P|E)?")
_MEMORY_FACTOR = {
    None: 1, "k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18,
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
}
#: Largest quantities any engine or cluster takes: bytes fit a signed 64-bit int (8Ei), and a
#: million cores is beyond any node; larger values (a 400-digit memory, cpu=1e300) are refused here
#: instead of overflowing later. What fits *this* host is checked at call time (runners/host_limits.py).
MAX_MEMORY = 2**63 - 1
MAX_CPU = 1_000_000.0


def parse_cpu(value: Any) -> float:
    """Cores as a float: 2 -> 2.0, "500m" -> 0.5, "1.5" -> 1.5. Raises ValueError (never OverflowError)."""
    if isinstance(value, bool):
        raise ValueError(f"cpu must be a number of cores or a string like '500m', not {show(value)}")
    if isinstance(value, (int, float)):
        cores = _as_float(value)
    elif isinstance(value, str) and (match := _CPU.fullmatch(value)):
        cores = _as_float(Decimal(match.group(1)) / (1000 if match.group(3) else 1))
    else:
        raise ValueError(f"cpu must be a number of cores or a string like '500m' or '2', not {show(value)}")
    if math.isnan(cores) or not cores > 0:
        raise ValueError(f"cpu must be > 0, got {show(value)}")
    if cores > MAX_CPU:
        raise ValueError(f"cpu={show(value)} is more than the maximum of {MAX_CPU:g} cores")
    return cores


def _as_float(value: Any) -> float:
    """float(value), with an int too large for a float counted as infinite (over any maximum)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf


def parse_memory(value: Any, what: str = "memory") -> int:
    """Bytes as an int: "512Mi" -> 536870912. Raises ValueError naming `what` (never OverflowError)."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError(f"{what} must be a string like '512Mi' or '2Gi', not {show(value)}")
    text = value if isinstance(value, str) else None
    if isinstance(value, int):
        size = Decimal(value)
    elif text is not None and (match := _MEMORY.fullmatch(text)):
        size = Decimal(match.group(1)) * _MEMORY_FACTOR[match.group(3)]
    else:
        raise ValueError(f"{what} must be a quantity like '512Mi', '2Gi' or '1G', not {show(value)}")
    if size > MAX_MEMORY:
        raise ValueError(f"{what}={show(value)} is more than the maximum of 8Ei (2**63 - 1 bytes)")
    if int(size) <= 0:
        raise ValueError(f"{what} must be > 0, got {show(value)}")
    return int(size)


def _request_limit(value: Any, parse: Any, what: str) -> Any:
    """Validate a quantity or a (request, limit) pair with request <= limit."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{what} as a tuple must be (request, limit), got {value!r}")
        request, limit = (parse(v) for v in value)
        if request > limit:
            raise ValueError(f"{what} request {value[0]!r} is larger than its limit {value[1]!r}")
        return tuple(value)
    parse(value)
    return value


Quantity = Union[int, float, str]


class Resources(Setting):
    """Compute resources of a task's container (cpu, memory, gpu, disk, shm)."""

    positional: ClassVar[tuple[str, ...]] = ("cpu", "memory", "gpu", "disk", "shm")
    parameter: ClassVar[str | None] = "resources"

    cpu: Union[Quantity, tuple[Quantity, Quantity], None] = None
    memory: Union[str, tuple[str, str], None] = None
    gpu: Union[str, int, Device, None] = None
    disk: str | None = None
    shm: str | None = None

    @pydantic.field_validator("cpu", mode="before")
    @classmethod
    def _cpu(cls, value: Any) -> Any:
        return None if value is None else _request_limit(value, parse_cpu, "cpu")

    @pydantic.field_validator("memory", mode="before")
    @classmethod
    def _memory(cls, value: Any) -> Any:
        return None if value is None else _request_limit(value, parse_memory, "memory")

    @pydantic.field_validator("gpu", mode="before")
    @classmethod
    def _gpu(cls, value: Any) -> Any:
        if value is not None:
            parse_gpu(value)
        return value

    @pydantic.field_validator("disk", mode="before")
    @classmethod
    def _disk(cls, value: Any) -> Any:
        if value is not None:
            parse_memory(value, "disk")
        return value

    @pydantic.field_validator("shm", mode="before")
    @classmethod
    def _shm(cls, value: Any) -> Any:
        if value is not None and value != "auto":
            parse_memory(value, "shm")
        return value

    def get_device(self) -> Device | None:
        """The accelerator as a Device (the SDK's getter): None when unset or gpu=0."""
        return None if self.gpu is None else device_of(self.gpu)

    def get_shared_memory(self) -> str | None:
        """The shm size as the SDK serializes it: None when unset, "" for "auto" (the node's maximum)."""
        if self.shm is None:
            return None
        return "" if self.shm == "auto" else self.shm

    @property
    def memory_limit_text(self) -> str | None:
        """The memory limit as the user wrote it ("64Mi"), for OOM messages."""
        return self.memory[1] if isinstance(self.memory, tuple) else self.memory

    # Numbers the runners use: (request, limit) in cores / bytes; None where unset.
    def cpu_request_limit(self) -> tuple[float | None, float | None]:
        return _pair(self.cpu, parse_cpu)

    def memory_request_limit(self) -> tuple[int | None, int | None]:
        return _pair(self.memory, parse_memory)


def _pair(value: Any, parse: Any) -> tuple[Any, Any]:
    if value is None:
        return None, None
    if isinstance(value, tuple):
        return parse(value[0]), parse(value[1])
    amount = parse(value)
    return amount, amount
