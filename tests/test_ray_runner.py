"""The ray runner on a real three-node Ray cluster on loopback (ray.cluster_utils.Cluster), each call
in a container of the shared Docker engine (never skipped).

Nodes: the head (1 CPU, no Docker engine: DOCKER_HOST points nowhere, so its calls run as local
subprocesses), node 2 (2 CPUs, labelled flyte-nb/interruptible=true) and node 3 (4 CPUs, the custom
resource queue:special, and the secret NODE3_TOKEN in its environment only). Ray never leaves loopback:
no usage stats, no dashboard, every address 127.0.0.1.
"""

from __future__ import annotations

import os

os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"  # Ray's "localhost means loopback" switch (before import)

import asyncio  # noqa: E402
import re  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Iterator  # noqa: E402

import docker  # noqa: E402
import pytest  # noqa: E402
import ray  # noqa: E402
from ray.cluster_utils import Cluster  # noqa: E402

import flyte_nb as flyte  # noqa: E402
from flyte_nb.runners.ray import KERNEL_TAG  # noqa: E402
from flyte_nb.runtime import runtime  # noqa: E402

pytestmark = pytest.mark.docker
ROOT = Path(__file__).parent.parent
SECRET = "n3-Sup3r-s3cret-7f1e2d"
LOOPBACK = {"node_ip_address": "127.0.0.1", "include_dashboard": False, "object_store_memory": 80 * 2**20}


class Nodes:
    """The cluster and its three nodes, by role."""

    def __init__(self, cluster: Cluster, plasma: Path) -> None:
        self.cluster = cluster
        self.plasma = plasma
        self.head = cluster.head_node
        self.two, self.three = sorted(cluster.worker_nodes, key=lambda n: n._ray_params.num_cpus)

    def role(self, node_id: str) -> str:
        for name, node in (("head", self.head), ("two", self.two), ("three", self.three)):
            if node.node_id.startswith(node_id) or node_id.startswith(node.node_id[:8]):
                return name
        return f"unknown {node_id}"


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nodes]:
    plasma = tmp_path_factory.mktemp("plasma")
    cluster = Cluster(initialize_head=True, head_node_args={
        **LOOPBACK, "num_cpus": 1, "plasma_directory": str(plasma),
        "env_vars": {"DOCKER_HOST": "unix:///nonexistent/docker.sock"}})
    cluster.add_node(**LOOPBACK, num_cpus=2, plasma_directory=str(plasma),
                     labels={"flyte-nb/interruptible": "true"})
    cluster.add_node(**LOOPBACK, num_cpus=4, plasma_directory=str(plasma), resources={"queue:special": 1},
                     env_vars={"FLYTE_NB_SECRET_NODE3_TOKEN": SECRET})
    try:
        yield Nodes(cluster, plasma)
    finally:
        runtime().init(runner="inprocess", quiet=True)  # the ray runner's relay goes before the cluster
        ray.shutdown()
        cluster.shutdown()


def ours(client: Any) -> list[Any]:
    """Containers of this kernel's calls, on any node (they share this machine's engine)."""
    return [c for c in client.containers.list(all=True, filters={"label": "flyte-nb.run"}, ignore_removed=True)
            if c.labels.get("flyte-nb.run", "").startswith(KERNEL_TAG + "-")]


@pytest.fixture(scope="module")
def client() -> Any:
    return docker.from_env()


@pytest.fixture(autouse=True)
def ray_runner(nodes: Nodes, client: Any) -> Iterator[None]:
    flyte.init(runner="ray", address=nodes.cluster.address, quiet=True)
    yield
    leftover = ours(client)
    for container in leftover:
        container.remove(force=True)
    assert leftover == [], "a test left containers behind"


def node_of(attempt: Any) -> str:
    """The node id prefix an attempt ran on, from its record ("<container> on node <ip> (<id>)")."""
    match = re.search(r"\((\w{8})\)", attempt.container or "")
    assert match, attempt.container
    return match.group(1)


env = flyte.TaskEnvironment(name="ray_env")


@env.task
def hostname() -> str:
    import socket

    return socket.gethostname()


# ---- tests ---------------------------------------------------------------------------------------
def test_a_call_that_needs_what_only_node_3_has_runs_there(nodes: Nodes) -> None:
    special = hostname.override(queue="special")
    name = special()
    run = flyte.registry().runs[-1]
    assert nodes.role(node_of(run.attempts[0])) == "three"
    assert len(name) == 12  # a container's hostname (its short id), not this machine's
    four = hostname.override(resources=flyte.Resources(cpu=4))
    four()
    assert nodes.role(node_of(flyte.registry().runs[-1].attempts[0])) == "three"
