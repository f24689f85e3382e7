"""Removing a container twice at once (the reaper and kernel exit, or two closes): each remover
returns only once the container is gone. Found in CI: the reaper's removal of an idle warm worker
was under way when the runner closed; the engine answered the second remove with "removal already
in progress", _remove took that as done, and the container was still listed after close()."""

from __future__ import annotations

import threading
from typing import Any

import docker
import docker.errors
import pytest

import flyte_nb as flyte
from flyte_nb.images.bootstrap import BASE_IMAGE
from flyte_nb.runners.docker import KERNEL_ID, LABEL
from flyte_nb.runtime import runtime

pytestmark = pytest.mark.docker


def started(client: Any) -> Any:
    return client.containers.run(BASE_IMAGE, ["sleep", "300"], detach=True, network_mode="none",
                                 labels={f"{LABEL}.kernel": KERNEL_ID, f"{LABEL}.test": "removal"})


def test_two_removals_at_once_both_return_after_the_container_is_gone() -> None:
    flyte.init(runner="docker", quiet=True)
    runner = runtime().runner()
    client = docker.from_env()
    for _ in range(8):  # the engine's "in progress" answer needs the two removes to overlap
        container = started(client)
        go = threading.Barrier(2)
        seen: list[bool] = []

        def remove() -> None:
            go.wait()
            runner._remove(container)
            try:
                client.api.inspect_container(container.id)
                seen.append(False)
            except docker.errors.NotFound:
                seen.append(True)

        threads = [threading.Thread(target=remove) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert seen == [True, True]
    assert client.containers.list(all=True, filters={"label": f"{LABEL}.test=removal"}) == []
