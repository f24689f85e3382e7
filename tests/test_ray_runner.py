"""The ray runner on a real three-node Ray cluster on loopback (ray.cluster_utils.Cluster), each call
in a container of the shared Docker engine (never skipped).

Nodes: the head (1 CPU, no Docker engine: DOCKER_HOST points nowhere, so its calls run as local
subprocesses), node 2 (2 CPUs, labelled flyte-nb/interruptible=true) and node 3 (4 CPUs, the custom
resource queue:special, and the secret NODE3_TOKEN in its environment only). Ray never leaves loopback:
no usage stats, no dashboard, every address 127.0.0.1.
"""

from __future__ import annotations

import os

from flyte_nb.runners.ray_local import loopback_cluster, loopback_env

loopback_env()  # before Ray is imported

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
from flyte_nb.secrets import SecretNotFoundError  # noqa: E402

pytestmark = pytest.mark.docker
ROOT = Path(__file__).parent.parent
SECRET = "n3-Sup3r-s3cret-7f1e2d"


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


def start_cluster(plasma: Path) -> Cluster:
    return loopback_cluster([
        {"num_cpus": 1, "plasma_directory": str(plasma), "resources": {"queue:local": 1},
         "env_vars": {"DOCKER_HOST": "unix:///nonexistent/docker.sock"}},
        {"num_cpus": 2, "plasma_directory": str(plasma), "labels": {"flyte-nb/interruptible": "true"}},
        {"num_cpus": 4, "plasma_directory": str(plasma), "resources": {"queue:special": 1},
         "env_vars": {"FLYTE_NB_SECRET_NODE3_TOKEN": SECRET}}])


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nodes]:
    plasma = tmp_path_factory.mktemp("plasma")
    cluster = start_cluster(plasma)
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
    assert run.attempts[0].usage is not None  # measured in the container on node 3, kept in the kernel's record
    four = hostname.override(resources=flyte.Resources(cpu=4))
    four()
    assert nodes.role(node_of(flyte.registry().runs[-1].attempts[0])) == "three"


@env.task
def nap(seconds: float) -> str:
    import time as t

    t.sleep(seconds)
    return "rested"


def test_a_16_call_fan_out_spreads_over_the_nodes(nodes: Nodes, capfd: pytest.CaptureFixture[str]) -> None:
    async def fan_out() -> list[str]:
        return list(await asyncio.gather(*(nap.aio(2.0) for _ in range(16))))

    assert asyncio.run(fan_out()) == ["rested"] * 16
    runs = [r for r in flyte.registry().runs if r.task == "ray_env.nap"]
    assert len(runs) == 16 and all(r.status.value == "succeeded" for r in runs)
    used = {nodes.role(node_of(r.attempts[-1])) for r in runs}
    assert used == {"head", "two", "three"}, used
    # the head has no Docker engine: its calls ran as local subprocesses, and that was said once
    said = capfd.readouterr()
    assert (said.out + said.err).count("has no Docker engine") == 1
    on_head = [r for r in runs if nodes.role(node_of(r.attempts[-1])) == "head"]
    assert all("pid " in r.attempts[-1].container for r in on_head)


def test_a_call_no_node_can_fit_is_a_clear_error_not_a_hang() -> None:
    start = time.monotonic()
    with pytest.raises(flyte.errors.RunnerUnavailableError, match=r"ray_env.hostname: no node of the Ray cluster "
                                                                     r"can fit cpu=8 .*largest offer is 4"):
        hostname.override(resources=flyte.Resources(cpu=8))()
    with pytest.raises(flyte.errors.RunnerUnavailableError, match=r"can fit gpu=1 .*no node offers it"):
        hostname.override(resources=flyte.Resources(gpu=1))()
    with pytest.raises(flyte.errors.RunnerUnavailableError, match=r"can fit memory=\d+ bytes"):
        hostname.override(resources=flyte.Resources(memory="900Gi"))()
    runs = flyte.registry().runs  # refused at once: one attempt each, never placed, not retried
    assert [(len(r.attempts), r.attempts[0].container) for r in runs] == [(1, None)] * 3
    assert time.monotonic() - start < 120


def test_the_spec_example_runs_with_its_nested_call_on_the_node_that_fits(nodes: Nodes) -> None:
    ns: dict[str, Any] = {}
    exec(compile((ROOT / "tests/data/spec_example.py").read_text(), "spec_example.py", "exec"), ns)
    assert asyncio.run(ns["my_task"]("Flyte")) == "Hello Flyte!"
    assert asyncio.run(ns["invoke_process_data"]()) == "Processed input.csv"
    outer, inner = flyte.registry().runs[-2:]
    assert inner.parent == outer.id and inner.runner == "ray"
    assert inner.settings["resources"]["value"] == {"cpu": 4, "memory": "2Gi"}
    assert nodes.role(node_of(inner.attempts[0])) == "three"  # cpu=4: only node 3
    assert flyte.run(ns["invoke_process_data"]).outputs() == ("Processed input.csv",)
    assert flyte.registry().runs[-1].cache == "hit"  # the inner call, answered from the kernel's cache


def test_a_secret_is_resolved_on_its_node_and_never_reaches_the_object_store_or_logs(nodes: Nodes) -> None:
    secret_env = flyte.TaskEnvironment(name="ray_secret_env", queue="special",
                                       secrets=[flyte.Secret("node3_token", as_env_var="TOKEN")])

    @secret_env.task(report=True)
    def use_token() -> int:
        from flyte_nb import report

        value = os.environ["TOKEN"]
        print(f"token is {value}")
        report.log(f"<p>report with {value}</p>", do_flush=True)
        return len(value)

    assert use_token() == len(SECRET)
    run = flyte.registry().runs[-1]
    assert nodes.role(node_of(run.attempts[0])) == "three"
    assert run.attempts[0].logs == ["token is [redacted]\n"]
    assert run.report and "report with [redacted]" in "".join(run.report.values())  # streamed back, redacted
    found = [str(p) for p in _files_holding(Path(nodes.head.get_session_dir_path()), SECRET.encode())]
    found += _plasma_holding(SECRET.encode())
    assert found == []
    marker = ray.put(b"plasma-probe-" * 20000)  # the search sees what is in the object store
    assert _plasma_holding(b"plasma-probe-" * 3)
    del marker
    # the same task on a node without it (the head): an error naming the key and the node, not retried
    with pytest.raises(SecretNotFoundError, match=r"node3_token.*on Ray node 127\.0\.0\.1 \((\w{8})\)") as info:
        use_token.override(queue="local", retries=2)()
    assert nodes.head.node_id.startswith(re.search(r"\((\w{8})\)", str(info.value)).group(1))
    assert len(flyte.registry().runs[-1].attempts) == 1


def _files_holding(folder: Path, needle: bytes) -> list[Path]:
    hits = []
    for path in folder.rglob("*"):
        try:
            if path.is_file() and not path.is_symlink() and needle in path.read_bytes():
                hits.append(path)
        except OSError:
            continue
    return hits


def _plasma_holding(needle: bytes) -> list[str]:
    """Ray's object stores (shared memory each raylet maps): searched through /proc, as root may."""
    hits = []
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        try:
            maps = Path(f"/proc/{pid}/maps").read_text().splitlines()
            if "raylet" not in Path(f"/proc/{pid}/cmdline").read_bytes().decode("utf-8", "replace"):
                continue
            with open(f"/proc/{pid}/mem", "rb") as memory:
                for line in maps:
                    if "plasma" not in line:
                        continue
                    start, end = (int(x, 16) for x in line.split()[0].split("-"))
                    memory.seek(start)
                    if needle in memory.read(end - start):
                        hits.append(f"pid {pid} {line}")
        except OSError:
            continue
    return hits


def test_timeout_cancels_the_ray_task_and_removes_its_container(client: Any) -> None:
    # timeout=15: long enough for a loaded machine to start the container, far short of the 120 s nap
    slow = nap.override(timeout=15, resources=flyte.Resources(cpu=2))  # node 2 or 3: both have an engine
    with pytest.raises(flyte.TaskTimeoutError, match=r"ray_env.nap.*timeout=15s.*container was stopped"):
        slow(120)
    run = flyte.registry().runs[-1]
    assert run.status.value == "timed_out" and " on node " in (run.attempts[0].container or "")
    assert ours(client) == []


def test_a_kernel_interrupt_cancels_the_ray_task_and_removes_its_container(client: Any) -> None:
    import signal

    started = threading.Event()

    def interrupt_once_running() -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not any(c.status == "running" for c in ours(client)):
            time.sleep(0.2)
        started.set()
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt_once_running, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        nap.override(resources=flyte.Resources(cpu=2))(120)
    assert started.is_set()
    assert flyte.registry().runs[-1].status.value == "cancelled"
    assert ours(client) == []


@env.task
def count_bytes(data: flyte.io.File) -> int:
    with data.open("rb") as handle:
        return len(handle.read())


@flyte.trace
def scaled(x: int) -> int:
    return 3 * x


@env.task
def traced_task(x: int) -> int:
    return scaled(x) + scaled(1)


def test_a_trace_inside_a_task_on_a_node_reaches_the_kernels_run_record() -> None:
    """@flyte.trace calls a task makes on a Ray node are on the kernel's record of that attempt, as with
    docker: the node's controller got them, and they once stayed on the node's own copy of the record."""
    assert traced_task(5) == 18
    run = flyte.registry().runs[-1]
    assert run.runner == "ray" and run.task == traced_task.name
    assert [(entry.name, entry.inputs, entry.attempt) for entry in run.traces] == [
        ("scaled", {"x": "5"}, 1), ("scaled", {"x": "1"}, 1)]
    assert all(entry.duration >= 0 and entry.error is None for entry in run.traces)


def test_a_file_travels_through_the_shared_store(tmp_path: Path) -> None:
    local = tmp_path / "input.bin"
    local.write_bytes(b"x" * 300_000)
    assert count_bytes.override(queue="special")(flyte.io.File.from_local_sync(str(local))) == 300_000


def test_ray_options_are_checked_and_a_dead_address_fails_at_once(tmp_path: Path) -> None:
    import subprocess
    import sys

    for bad in ({"runner": "docker", "address": "127.0.0.1:6379"}, {"runner": "local", "store": "/tmp/x"},
                {"runner": "ray", "address": ""}):
        with pytest.raises(ValueError, match=rf"flyte.init\({next(k for k in bad if k != 'runner')}="):
            flyte.init(quiet=True, **bad)
    assert isinstance(runtime().runner(), __import__("flyte_nb.runners.ray", fromlist=["RayRunner"]).RayRunner)
    with pytest.raises(flyte.errors.RunnerUnavailableError, match=r"already connected to the Ray cluster at"):
        flyte.init(runner="ray", address="127.0.0.1:1", quiet=True)
    started = time.monotonic()
    probe = subprocess.run([sys.executable, "-c", "import flyte_nb as f; f.init(runner='ray', address='127.0.0.1:9')"],
                           capture_output=True, text=True, timeout=120, cwd=ROOT,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert probe.returncode != 0
    assert "no Ray cluster answers at address='127.0.0.1:9'" in probe.stderr
    assert time.monotonic() - started < 60


def test_a_node_lost_mid_call_is_retried_on_another_node(nodes: Nodes, client: Any) -> None:
    """Last: it kills a node. cpu=2 fits node 2 and node 3 only; whichever it runs on is killed."""
    from flyte_nb.runners.ray import RayRunner

    task = nap.override(resources=flyte.Resources(cpu=2), interruptible=True, retries=2)
    future = runtime().submit(runtime().execute(task, task.bind((20.0,), {})))
    deadline = time.monotonic() + 120
    run = None
    while time.monotonic() < deadline:
        runs = [r for r in flyte.registry().runs if r.task == "ray_env.nap"]
        run = runs[-1] if runs else None
        if run and run.attempts and " on node " in (run.attempts[-1].container or ""):
            break
        time.sleep(0.2)
    assert run is not None and run.attempts, "the call never started on a node"
    first = nodes.role(node_of(run.attempts[0]))
    assert first in ("two", "three")
    nodes.cluster.remove_node(getattr(nodes, first), allow_graceful=False)
    assert runtime().wait(future) == "rested"
    assert [a.status.value for a in run.attempts] == ["failed", "succeeded"]
    assert "lost Ray node" in (run.attempts[0].error or "")
    assert nodes.role(node_of(run.attempts[1])) not in (first, "head")
    assert isinstance(runtime().runner(), RayRunner)
