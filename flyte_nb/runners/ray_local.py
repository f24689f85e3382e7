"""A multi-node Ray cluster on this machine's loopback, to try the ray runner (and to test and bench it).

Each node is a real raylet of its own (ray.cluster_utils.Cluster) with its own CPUs, custom resources,
labels and environment; nothing listens beyond 127.0.0.1, no dashboard starts and no usage stats are
sent. Call loopback_env() before Ray is imported: Ray reads its "localhost is loopback" switch then.
"""

from __future__ import annotations

import os
from typing import Any

#: Every node's defaults: loopback only, no dashboard, a small object store.
LOOPBACK = {"node_ip_address": "127.0.0.1", "include_dashboard": False, "object_store_memory": 80 * 2**20}


def loopback_env() -> None:
    """Ray on loopback, offline: no usage stats, and "localhost" never resolved to the machine's address."""
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"


def loopback_cluster(nodes: list[dict[str, Any]], tries: int = 3) -> Any:
    """Start one node per dict (the first is the head; ray.cluster_utils add_node arguments over LOOPBACK).

    On a loaded machine a raylet may miss Ray's fixed 30 s registration wait: the cluster is started
    again, up to `tries` times.
    """
    loopback_env()
    from ray.cluster_utils import Cluster

    for left in range(tries - 1, -1, -1):
        cluster = Cluster()
        try:
            for node in nodes:
                cluster.add_node(**{**LOOPBACK, **node})
            return cluster
        except Exception:
            cluster.shutdown()
            if not left:
                raise
    raise AssertionError("unreachable")
