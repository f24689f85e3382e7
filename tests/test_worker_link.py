"""The kept-open wire to a warm worker (flyte_nb.runners.worker_link, flyte_nb.worker): code shipped once per
code version and re-sent when it changes, inputs inline or through a file, frames authenticated before they
are decoded on both sockets, a finished call's token dropped. Real Docker, real workers."""

from __future__ import annotations

import asyncio
import os
import pickle
import socket
import threading
from pathlib import Path
from typing import Any, Iterator

import docker
import pytest

import flyte_nb as flyte
from flyte_nb import protocol
from flyte_nb.runners import worker_link
from flyte_nb.runners.docker import KERNEL_ID, LABEL
from flyte_nb.runtime import runtime

pytestmark = pytest.mark.docker


class Evil:
    """Unpickling this runs a shell command: anywhere it is decoded, that is a takeover."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {self.marker}",))


@pytest.fixture(autouse=True)
def docker_runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("FLYTE_NB_DATA_DIR", str(tmp_path / "data"))
    flyte.init(runner="docker", quiet=True)
    yield
    runtime().wait(runtime().submit(runtime().runner().close()))
    client = docker.from_env()
    assert client.containers.list(all=True, filters={"label": f"{LABEL}.kernel={KERNEL_ID}"}, ignore_removed=True) == []


def live_workers(environment: str) -> list[Any]:
    """The kernel's live workers of an environment (their containers carry its name)."""
    pools = runtime().runner().workers.pools.values()
    return [w for pool in pools for w in pool.workers
            if not w.dead and w.container.labels.get(f"{LABEL}.environment") == environment]


def test_code_travels_once_per_version_and_a_redefined_task_runs_its_new_code() -> None:
    env = flyte.TaskEnvironment(name="link_code", reusable=flyte.ReusePolicy(replicas=2, idle_ttl=60))
    namespace: dict[str, Any] = {"__name__": "__main__", "flyte": flyte, "env": env, "SCALE": 10}
    cell = "@env.task\ndef step(x: int) -> int:\n    return x * SCALE + {n}\n"
    exec(compile(cell.format(n=1), "<cell 1>", "exec"), namespace)  # noqa: S102 - a notebook cell
    assert [namespace["step"](i) for i in range(3)] == [1, 11, 21]
    (worker,) = live_workers("link_code")
    assert len(worker.shipped) == 1  # three calls, one code version: shipped once
    exec(compile(cell.format(n=2), "<cell 2>", "exec"), namespace)  # noqa: S102 - the cell run again, changed
    assert namespace["step"](1) == 12
    namespace["SCALE"] = 100  # a global the function reaches changed: its pickle, so its digest, changes too
    assert namespace["step"](1) == 102
    assert len(worker.shipped) == 3 and live_workers("link_code") == [worker]  # same worker, new code each time
    pids = {run.attempts[-1].container for run in flyte.registry().runs if run.task == "link_code.step"}
    assert len(pids) == 1


class _Claims(set):  # type: ignore[type-arg]
    """A kernel that believes the worker holds every code version (as after the worker dropped one)."""

    def __contains__(self, digest: object) -> bool:
        return True


def test_a_worker_without_the_code_asks_for_it_and_runs_it() -> None:
    env = flyte.TaskEnvironment(name="link_need", reusable=flyte.ReusePolicy(replicas=2, idle_ttl=60))

    @env.task
    def first() -> str:
        return "first"

    @env.task
    def second(text: str) -> str:
        return text.upper()

    assert first() == "first"
    (worker,) = live_workers("link_need")
    worker.shipped = _Claims(worker.shipped)  # the next request names the code without its bytes
    assert second("asked") == "ASKED"
    assert second("again") == "AGAIN"


def test_successive_calls_on_one_link_do_not_share_a_context() -> None:
    env = flyte.TaskEnvironment(name="link_context", reusable=flyte.ReusePolicy(replicas=1, concurrency=1,
                                                                               idle_ttl=60))

    @env.task
    def mark(value: str) -> str:
        """What the previous call on this thread set in a context variable (the worker keeps flyte_nb loaded)."""
        import contextvars
        import sys

        holder = sys.modules["flyte_nb"]
        if not hasattr(holder, "_test_mark"):
            holder._test_mark = contextvars.ContextVar("test_mark", default="unset")  # type: ignore[attr-defined]
        before = holder._test_mark.get()  # type: ignore[attr-defined]
        holder._test_mark.set(value)  # type: ignore[attr-defined]
        return before

    assert [mark("a"), mark("b"), mark("c")] == ["unset"] * 3
    (worker,) = live_workers("link_context")
    assert len(worker.links) == 1  # all three on the one kept-open connection (so the one thread)
    assert len({run.attempts[-1].container for run in flyte.registry().runs if run.task == "link_context.mark"}) == 1


def test_warm_calls_are_sampled_while_they_run_by_the_workers_one_ticker() -> None:
    """The worker's ticker thread samples each running call (0.2 s, then x1.5): the first call starts it,
    the next ones find it looking already (no wake per call), and a short call between them has no sample
    but its first and final figures."""
    env = flyte.TaskEnvironment(name="link_ticks", reusable=flyte.ReusePolicy(replicas=1, idle_ttl=60))

    @env.task
    def nap(seconds: float) -> float:
        import time

        time.sleep(seconds)
        return seconds

    assert [nap(1.2), nap(0.0), nap(1.2)] == [1.2, 0.0, 1.2]
    runs = [run for run in flyte.registry().runs if run.task == "link_ticks.nap"]
    samples = [[s.t for s in run.attempts[-1].usage.samples] for run in runs]
    for long_call in (samples[0], samples[2]):
        assert len(long_call) >= 4  # the start, samples at ~0.2 s and ~0.5 s (and ~0.95 s), the final figures
        assert long_call[0] < 0.1 and 0.1 < long_call[1] < 0.8 and long_call[-1] >= 1.2
    assert len(samples[1]) == 2 and all(run.attempts[-1].usage.complete for run in runs)


def test_inputs_above_the_inline_size_travel_through_a_file_removed_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker_link, "INLINE_INPUTS", 1000)
    env = flyte.TaskEnvironment(name="link_big", reusable=flyte.ReusePolicy(replicas=2, idle_ttl=60))

    @env.task
    def size(data: bytes) -> int:
        return len(data)

    assert size(b"x" * 5000) == 5000 and size(b"y" * 10) == 10
    (worker,) = live_workers("link_big")
    assert not list(worker.folder.glob("inputs-*"))


def test_a_frame_not_signed_by_the_workers_token_is_dropped_and_the_worker_serves_on(tmp_path: Path) -> None:
    env = flyte.TaskEnvironment(name="link_forge", reusable=flyte.ReusePolicy(replicas=2, idle_ttl=60))
    marker = tmp_path / "pwned"

    @env.task
    def forge(marker: str) -> dict:
        """From inside the worker: a pickle that would run a command, to the worker's own socket with a
        forged MAC, and a frame above the cap; what came back."""
        body = pickle.dumps(Evil(marker))
        frames = {"forged": protocol.HEADER.pack(len(body)) + b"\0" * protocol.MAC_SIZE + body,
                  "huge": protocol.HEADER.pack(protocol.MAX_FRAME + 1) + b"\0" * protocol.MAC_SIZE}
        replies = {}
        for name, frame in frames.items():
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.connect("/flyte/worker/worker.sock")
                sock.sendall(frame)
                replies[name] = len(sock.recv(100))
        return {**replies, "token_in_env": "FLYTE_NB_WORKER_TOKEN" in os.environ}

    assert forge(str(marker)) == {"forged": 0, "huge": 0, "token_in_env": False}
    assert forge(str(marker))["forged"] == 0  # the worker lives on
    assert not marker.exists()


def test_the_controller_socket_drops_frames_of_a_finished_call_and_forged_ones(tmp_path: Path) -> None:
    env = flyte.TaskEnvironment(name="link_ctl", reusable=flyte.ReusePolicy(replicas=1, idle_ttl=60))
    marker = tmp_path / "pwned"

    @env.task
    def my_token() -> str:
        controller = protocol.current_controller()
        return controller[1] if controller is not None else ""  # no assert in a task: pytest rewrites it

    @env.task
    def knock(old: str, marker: str) -> dict:
        path, token = protocol.current_controller()  # type: ignore[misc]
        body = pickle.dumps(Evil(marker))
        frames = {"old": protocol.dumps({"op": "hello"}, old),
                  "forged": protocol.HEADER.pack(len(body)) + b"\0" * protocol.MAC_SIZE + body,
                  "signed_pickle": protocol.HEADER.pack(len(body)) + protocol._mac(token, body) + body,
                  "huge": protocol.HEADER.pack(protocol.MAX_FRAME + 1) + b"\0" * protocol.MAC_SIZE,
                  "mine": protocol.dumps({"op": "hello"}, token)}
        replies = {}
        for name, frame in frames.items():
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.connect(path)
                sock.sendall(frame)
                replies[name] = len(sock.recv(100))
        return replies

    old = my_token()
    assert old
    replies = knock(old, str(marker))
    assert replies.pop("mine") > 0  # this call's own token is answered
    assert replies == {"old": 0, "forged": 0, "signed_pickle": 0, "huge": 0}
    assert not marker.exists()
    assert my_token() != old  # every call has its own token


def test_the_kernel_drops_a_link_frame_not_signed_by_the_workers_token(tmp_path: Path) -> None:
    """The kernel's end of a link: a frame with a forged MAC (a pickle that would run a command) ends the
    call as a broken link (the worker's crash), nothing decoded."""
    marker = tmp_path / "pwned"
    path = tmp_path / "w.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)

    def fake_worker() -> None:
        conn, _ = server.accept()
        protocol.receive(conn, "worker-token")  # the request, authenticated
        body = pickle.dumps(Evil(str(marker)))
        conn.sendall(protocol.HEADER.pack(len(body)) + b"\0" * protocol.MAC_SIZE + body)
        conn.recv(10)
        conn.close()

    thread = threading.Thread(target=fake_worker, daemon=True)
    thread.start()
    lines: list[str] = []

    async def run() -> Any:
        from flyte_nb.runners.base import Call

        link = await worker_link.Link.open(path, "worker-token")
        call = Call(task=None, arguments=None, settings=None, run=None, emit=lambda line, stream="stdout": lines.append(line))  # type: ignore[arg-type]
        sent = worker_link.Shipment({"op": "run", "code": "0" * 64}, b"")
        try:
            return await link.run(call, sent, None)  # type: ignore[arg-type]
        finally:
            link.close()

    assert asyncio.run(run()) is None
    thread.join(5)
    server.close()
    assert not marker.exists() and lines == []


def test_a_short_warm_call_is_one_frame_back_with_its_first_and_final_figures(monkeypatch: pytest.MonkeyPatch) -> None:
    """A call that ends before the worker's first sample wakes the kernel once: its "done" frame carries
    the result, the first figures (read before the task ran) and the final ones; no frame of its own
    for the first figures."""
    env = flyte.TaskEnvironment(name="link_frames", reusable=flyte.ReusePolicy(replicas=1, idle_ttl=60))

    @env.task
    def noop() -> None:
        return None

    noop()  # the worker up, the code shipped
    read = protocol.read_message
    frames: list[Any] = []

    async def counting(reader: Any, key: str) -> Any:
        message = await read(reader, key)
        frames.append(message)
        return message

    monkeypatch.setattr(protocol, "read_message", counting)
    noop()
    monkeypatch.setattr(protocol, "read_message", read)
    assert len(frames) == 1 and frames[0]["done"] is True and frames[0]["first"]["final"] is False
    usage = [run for run in flyte.registry().runs if run.task == "link_frames.noop"][-1].attempts[-1].usage
    assert usage is not None and usage.complete and len(usage.samples) == 2
    assert usage.samples[0].t <= usage.samples[1].t


def test_a_warm_call_oom_killed_at_once_keeps_its_figures() -> None:
    """Killed before the worker sent any figure: the kernel records the OOM at the memory limit."""
    env = flyte.TaskEnvironment(name="link_oom", resources=flyte.Resources(memory="64Mi"),
                                reusable=flyte.ReusePolicy(replicas=1, idle_ttl=60))

    @env.task
    def grab(mib: int) -> int:
        return len(b"\x01" * (mib * 2**20))

    assert grab(1) == 2**20
    with pytest.raises(flyte.errors.OOMError):
        grab(400)
    run = [run for run in flyte.registry().runs if run.task == "link_oom.grab"][-1]
    usage = run.attempts[-1].usage
    assert run.status.value == "oom" and usage is not None and usage.ended == "oom"
    assert usage.peak_memory == usage.memory_limit == 64 * 2**20
