"""The ray runner's placement as data: resolved settings -> Ray task options, and the fit check's words.

Pure functions (no cluster); tests/test_ray_runner.py shows the same placement on a real one.
"""

from __future__ import annotations

import flyte_nb as flyte
from flyte_nb.runners.ray_placement import INTERRUPTIBLE_LABEL, Node, placement, unfit

SPOT = Node("a" * 56, "10.0.0.2", {"CPU": 8.0, "memory": 32e9, "GPU": 2.0, "accelerator_type:A100": 1.0,
                                   "queue:gpu": 2.0}, {INTERRUPTIBLE_LABEL: "true"})
SMALL = Node("b" * 56, "10.0.0.3", {"CPU": 2.0, "memory": 4e9})


def settings(**options: object) -> object:
    env = flyte.TaskEnvironment(name="place_env")

    @env.task
    def t() -> None:
        return None

    return t.override(**options).resolve()  # type: ignore[arg-type]


def test_requests_become_ray_resources_and_the_queue_a_custom_resource() -> None:
    wanted = placement(settings(resources=flyte.Resources(cpu=(2, 4), memory="1Gi", gpu="A100:1"), queue="gpu",
                                interruptible=True), [SPOT, SMALL])
    assert wanted.options() == {"num_cpus": 2.0, "num_gpus": 1, "memory": 2**30, "accelerator_type": "A100",
                                "resources": {"queue:gpu": 1.0}}
    assert wanted.interruptible is True
    assert unfit("place_env.t", wanted, [SPOT, SMALL]) is None


def test_unset_cpu_takes_one_and_a_queue_no_node_offers_is_only_a_name() -> None:
    wanted = placement(settings(queue="batch"), [SMALL])
    assert wanted.options() == {"num_cpus": 1.0, "num_gpus": 0}
    assert wanted.queue is None and wanted.interruptible is None  # no node carries the label: no preference


def test_what_no_node_fits_is_named_with_the_largest_offer() -> None:
    too_big = placement(settings(resources=flyte.Resources(cpu=16)), [SPOT, SMALL])
    assert unfit("place_env.t", too_big, [SPOT, SMALL]) == (
        "task place_env.t: no node of the Ray cluster can fit cpu=16 (Ray resource 'CPU' 16): the largest offer "
        "is 8 on node 10.0.0.2 (aaaaaaaa); lower the request, or add a node that has it")
    h100 = placement(settings(resources=flyte.Resources(gpu="H100:1")), [SPOT, SMALL])
    assert "can fit gpu model 'H100'" in (unfit("place_env.t", h100, [SPOT, SMALL]) or "")
    assert "no node offers it" in (unfit("place_env.t", h100, [SPOT, SMALL]) or "")
    split = placement(settings(resources=flyte.Resources(cpu=2, gpu=1)), [Node("c" * 56, "x", {"CPU": 1.0, "GPU": 1.0}),
                                                                          SMALL])
    assert unfit("place_env.t", split, [Node("c" * 56, "x", {"CPU": 1.0, "GPU": 1.0}), SMALL]) == (
        "task place_env.t: no single node of the Ray cluster offers cpu=2, gpu=1 together")
    assert unfit("place_env.t", split, []) == "task place_env.t: the Ray cluster has no alive node"
