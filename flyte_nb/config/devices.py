"""Accelerators: Device and the SDK's device families (GPU, TPU, Neuron, AMD_GPU, HABANA_GAUDI).

The names, counts and partitions are flyte 2.12.1's, so a `gpu="Trn1:1"` or a MIG partition that
a cluster accepts is accepted here, and one it refuses is refused here (ValueError) before any
container starts. Only the Docker runner's GPU count is used on this machine.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal

import pydantic

from .model import Setting

DeviceClass = Literal["GPU", "TPU", "NEURON", "AMD_GPU", "HABANA_GAUDI", "APPLE_SILICON"]
DEVICE_CLASSES: tuple[str, ...] = ("GPU", "TPU", "NEURON", "AMD_GPU", "HABANA_GAUDI", "APPLE_SILICON")

_ONE_TO_EIGHT = tuple(range(1, 9))
#: NVIDIA GPU model -> the counts a "MODEL:COUNT" string may ask for.
GPU_COUNTS: dict[str, tuple[int, ...]] = {
    "A2": (1,), **dict.fromkeys(("A10", "A10G", "A100", "A100_80G", "B200", "H100", "H200", "L4", "L40s", "V100"),
                                _ONE_TO_EIGHT),
    "RTX_PRO_4500": (1,), "RTX_PRO_6000": (1, 2), "GB10": (1,), "T4": _ONE_TO_EIGHT,
}
SHARED_GPUS: tuple[str, ...] = ("T4 shared", "L4 shared", "A10G shared", "A10 shared", "L40S shared")
NEURON_COUNTS: dict[str, tuple[int, ...]] = {
    **dict.fromkeys(("Trn1", "Trn1n", "Trn2", "Trn2u"), (1, 4, 8, 16)),
    "Inf1": tuple(range(1, 17)), "Inf2": tuple(range(1, 13)),
}
AMD_GPUS: tuple[str, ...] = ("MI100", "MI210", "MI250", "MI250X", "MI300A", "MI300X", "MI325X", "MI350X", "MI355X")
HABANA_GAUDIS: tuple[str, ...] = ("Gaudi1",)
APPLE_SILICON_NAME = "AppleSilicon"
#: Old spellings the SDK still takes for the underscore names.
_GPU_ALIASES = {"A100 80G": "A100_80G", "RTX PRO 6000": "RTX_PRO_6000"}

GPU_PARTITIONS: dict[str, tuple[str, ...]] = {
    "A100": ("1g.5gb", "2g.10gb", "3g.20gb", "4g.20gb", "7g.40gb"),
    "A100_80G": ("1g.10gb", "2g.20gb", "3g.40gb", "4g.40gb", "7g.80gb"),
    "H100": ("1g.10gb", "1g.20gb", "2g.20gb", "3g.40gb", "4g.40gb", "7g.80gb"),
    "H200": ("1g.18gb", "1g.35gb", "2g.35gb", "3g.71gb", "4g.71gb", "7g.141gb"),
    "RTX_PRO_6000": ("1g.24gb", "2g.48gb", "4g.96gb"),
}
_TPU_2D = ("1x1", "2x2", "2x4", "4x4", "4x8", "8x8", "8x16", "16x16")
TPU_PARTITIONS: dict[str, tuple[str, ...]] = {
    "V5E": _TPU_2D, "V6E": _TPU_2D,
    "V5P": ("2x2x1", "2x2x2", "2x4x4", "4x4x4", "4x4x8", "4x8x8", "8x8x8", "8x8x16", "8x16x16", "16x16x16",
            "16x16x24"),
}


def _counts() -> dict[str, tuple[tuple[int, ...], str]]:
    """Every accelerator a "NAME:COUNT" gpu string may name -> (allowed counts, device class)."""
    table: dict[str, tuple[tuple[int, ...], str]] = {n: (c, "GPU") for n, c in GPU_COUNTS.items()}
    table.update({n: ((1,), "GPU") for n in SHARED_GPUS})
    table.update({n: (c, "NEURON") for n, c in NEURON_COUNTS.items()})
    table.update({n: ((1,), "AMD_GPU") for n in AMD_GPUS})
    table.update({n: ((1,), "HABANA_GAUDI") for n in HABANA_GAUDIS})
    table[APPLE_SILICON_NAME] = ((1,), "APPLE_SILICON")
    return table


ACCELERATOR_COUNTS = _counts()
ACCELERATORS: tuple[str, ...] = tuple(ACCELERATOR_COUNTS)


class Device(Setting):
    """flyte.Device(quantity, device_class, device=None, partition=None): one accelerator request."""

    positional: ClassVar[tuple[str, ...]] = ("quantity", "device_class", "device", "partition")
    parameter: ClassVar[str | None] = "resources"

    quantity: int
    device_class: DeviceClass
    device: str | None = None
    partition: str | None = None

    @pydantic.field_validator("quantity")
    @classmethod
    def _quantity(cls, value: int) -> int:
        if value < 1:
            raise ValueError("GPU quantity must be at least 1")
        return value

    def __hash__(self) -> int:
        return hash((self.quantity, self.device_class, self.device, self.partition))


def _one_of(what: str, value: Any, allowed: tuple[str, ...]) -> None:
    """The SDK's ValueError for a name or partition outside its list."""
    if value not in allowed:
        raise ValueError(f"Invalid {what}: {value}. Must be one of {allowed}")


def GPU(device: str, quantity: int, partition: str | None = None) -> Device:  # noqa: N802 (SDK name)
    """flyte.GPU("A100", 2, partition=None): an NVIDIA GPU, a MIG partition of one, or a shared share."""
    if quantity < 1:
        raise ValueError("GPU quantity must be at least 1")
    device = _GPU_ALIASES.get(device, device)
    _one_of("GPU type", device, (*GPU_COUNTS, *SHARED_GPUS))
    if partition is not None and device in SHARED_GPUS:
        raise ValueError(f"A shared GPU takes no partition, got {partition!r} for {device}. "
                         "Request a plain device to use a MIG partition.")
    if partition is not None and device in GPU_PARTITIONS:
        _one_of(f"partition for {device}", partition, GPU_PARTITIONS[device])
    return Device(quantity=quantity, device_class="GPU", device=device, partition=partition)


def TPU(device: str, partition: str | None = None) -> Device:  # noqa: N802 (SDK name)
    """flyte.TPU("V5P", "2x2x1"): a TPU slice."""
    _one_of("TPU type", device, tuple(TPU_PARTITIONS))
    if partition is not None:
        _one_of(f"partition for {device}", partition, TPU_PARTITIONS[device])
    return Device(quantity=1, device_class="TPU", device=device, partition=partition)


def Neuron(device: str) -> Device:  # noqa: N802 (SDK name)
    """flyte.Neuron("Trn1"): an AWS Trainium/Inferentia device."""
    _one_of("Neuron type", device, tuple(NEURON_COUNTS))
    return Device(quantity=1, device_class="NEURON", device=device)


def AMD_GPU(device: str) -> Device:  # noqa: N802 (SDK name)
    """flyte.AMD_GPU("MI300X"): an AMD Instinct GPU."""
    _one_of("AMD GPU type", device, AMD_GPUS)
    return Device(quantity=1, device_class="AMD_GPU", device=device)


def HABANA_GAUDI(device: str) -> Device:  # noqa: N802 (SDK name)
    """flyte.HABANA_GAUDI("Gaudi1"): an Intel Habana Gaudi accelerator."""
    _one_of("Habana Gaudi type", device, HABANA_GAUDIS)
    return Device(quantity=1, device_class="HABANA_GAUDI", device=device)


def APPLE_SILICON() -> Device:  # noqa: N802 (SDK name)
    """flyte.APPLE_SILICON(): the Metal GPU of a Mac devbox, the same as gpu="AppleSilicon"."""
    return Device(quantity=1, device_class="APPLE_SILICON", device=APPLE_SILICON_NAME)


def _split(value: str) -> tuple[str, int]:
    """"A100:2" -> ("A100", 2), refusing what the SDK's accelerator list does not hold."""
    name, _, count = value.partition(":")
    name = _GPU_ALIASES.get(name, name)
    known = ACCELERATOR_COUNTS.get(name)
    if name == APPLE_SILICON_NAME and count == "":
        return name, 1
    if known is None or not re.fullmatch("[0-9]+", count) or int(count) not in known[0]:  # ASCII: '٣'.isdigit()
        raise ValueError(f"gpu must be one of the accelerators like 'A100:1', 'T4:2', 'Trn1:1' or 'MI300X:1' "
                         f"(a known name and count), got {value!r}")
    return name, int(count)


def parse_gpu(value: Any) -> tuple[int, str | None]:
    """(count, model) of a gpu setting: 2 -> (2, None), "A100:1" -> (1, "A100"). Raises ValueError."""
    if isinstance(value, Device):
        return value.quantity, value.device
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"gpu must be greater than or equal to 0, got {value!r}")
        return value, None
    if isinstance(value, str):
        name, count = _split(value)
        return count, name
    raise ValueError("gpu must be an accelerator string such as 'A100:4', a device count, or a "
                     f"GPU()/TPU()/Device() instance, got {type(value).__name__}: {value!r}")


def device_of(value: Any) -> Device | None:
    """The SDK's Resources.get_device(): a gpu setting as a Device (None for a count of 0)."""
    if isinstance(value, Device):
        return value
    count, name = parse_gpu(value)
    if count == 0:
        return None
    if name is None:
        return Device(quantity=count, device_class="GPU")
    return Device(quantity=count, device_class=ACCELERATOR_COUNTS[name][1], device=name)
